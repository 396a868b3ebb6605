"""BookSync: each branch of Binance's "How to manage a local order book correctly", with no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from binance_ws import BookSync


@dataclass
class L:
    price: Decimal
    qty: Decimal


def levels(*pairs: tuple[str, str]) -> list[L]:
    return [L(Decimal(p), Decimal(q)) for p, q in pairs]


@dataclass
class Diff:
    first_update_id: int
    final_update_id: int
    bids: list[L] = field(default_factory=list)
    asks: list[L] = field(default_factory=list)


@dataclass
class Snap:
    last_update_id: int
    bids: list[L] = field(default_factory=list)
    asks: list[L] = field(default_factory=list)


SNAP = Snap(100, levels(("10", "1"), ("9", "2")), levels(("11", "1"), ("12", "3")))


def synced() -> BookSync:
    book = BookSync()
    book.on_event(Diff(95, 100))
    assert book.on_snapshot(SNAP) == "synced"
    return book


def test_events_before_the_snapshot_are_buffered_and_the_first_U_noted() -> None:
    book = BookSync()
    assert book.first_buffered is None
    assert book.on_event(Diff(157, 160)) == "buffered"
    assert book.on_event(Diff(161, 165)) == "buffered"
    assert book.first_buffered == 157
    assert book.update_id is None


def test_a_snapshot_older_than_the_first_buffered_event_is_retried() -> None:
    book = BookSync()
    book.on_event(Diff(157, 160))
    assert book.on_snapshot(Snap(156)) == "retry"  # strictly less than U: get another one
    assert book.update_id is None and book.first_buffered == 157
    assert book.on_snapshot(Snap(157)) == "synced"  # equal to U is fine
    assert book.update_id == 160  # ...and the straddling event was applied


def test_buffered_events_up_to_the_snapshot_are_dropped_the_rest_applied() -> None:
    book = BookSync()
    book.on_event(Diff(90, 95, bids=levels(("10", "99"))))  # u <= lastUpdateId: dropped
    book.on_event(Diff(96, 100, bids=levels(("10", "98"))))  # u == lastUpdateId: dropped
    book.on_event(Diff(101, 103, bids=levels(("10", "5"))))
    assert book.on_snapshot(SNAP) == "synced"
    assert book.update_id == 103
    assert book.bids.levels() == [(Decimal("10"), Decimal("5")), (Decimal("9"), Decimal("2"))]


def test_the_first_applied_event_straddles_the_snapshot_id() -> None:
    book = BookSync()
    book.on_event(Diff(98, 104, asks=levels(("11", "7"))))  # lastUpdateId 100 within [98;104]
    assert book.on_snapshot(SNAP) == "synced"
    assert book.update_id == 104
    assert book.asks.best() == (Decimal("11"), Decimal("7"))


def test_a_buffered_event_past_the_snapshot_plus_one_means_start_again() -> None:
    book = BookSync()
    book.on_event(Diff(95, 99))
    book.on_event(Diff(102, 105))  # 101 is missing
    assert book.on_snapshot(SNAP) == "gap"
    assert book.update_id is None and book.bids.levels() == []
    assert book.first_buffered == 102  # starting again, the event past the gap is the first buffered


def test_the_snapshot_becomes_the_book() -> None:
    book = synced()
    assert book.update_id == 100
    assert book.bids.levels() == [(Decimal("10"), Decimal("1")), (Decimal("9"), Decimal("2"))]
    assert book.asks.levels() == [(Decimal("11"), Decimal("1")), (Decimal("12"), Decimal("3"))]


def test_an_event_older_than_the_book_is_ignored() -> None:
    book = synced()
    assert book.on_event(Diff(90, 99, bids=levels(("10", "50")))) == "stale"
    assert book.update_id == 100 and book.bids.best() == (Decimal("10"), Decimal("1"))


def test_an_event_past_the_book_plus_one_is_a_gap() -> None:
    book = synced()
    assert book.on_event(Diff(102, 103)) == "gap"


def test_levels_are_set_inserted_and_removed_and_the_id_advances() -> None:
    book = synced()
    outcome = book.on_event(
        Diff(101, 104, bids=levels(("10", "0"), ("9.5", "4")), asks=levels(("12", "0.5"), ("13", "1")))
    )
    assert outcome == "applied"
    assert book.update_id == 104  # the event's u
    assert book.bids.levels() == [(Decimal("9.5"), Decimal("4")), (Decimal("9"), Decimal("2"))]
    assert book.asks.levels() == [
        (Decimal("11"), Decimal("1")),
        (Decimal("12"), Decimal("0.5")),
        (Decimal("13"), Decimal("1")),
    ]
    assert book.on_event(Diff(105, 105, asks=levels(("99", "0")))) == "applied"  # removing a missing level: no-op
    assert book.asks.levels(1) == [(Decimal("11"), Decimal("1"))]


def test_reset_starts_from_the_beginning() -> None:
    book = synced()
    book.reset()
    assert book.update_id is None and book.first_buffered is None
    assert book.on_event(Diff(200, 201)) == "buffered"


def test_a_snapshot_needs_a_buffered_event_first() -> None:
    with pytest.raises(RuntimeError):
        BookSync().on_snapshot(SNAP)
