"""The local exchange's stream feed without sockets: the engine's books -> stream events on a hub."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from binance_ws import BookSync
from binance_ws_emulator import Exchange
from binance_ws_emulator.exchange import MARKET_MAKER
from binance_ws_emulator.market_feed import MarketFeed
from binance_ws_emulator.stream_hub import StreamHub, StreamSession

D = Decimal


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000_000

    def __call__(self) -> int:
        self.now += 1
        return self.now


@dataclass
class L:
    price: Decimal
    qty: Decimal


@dataclass
class Diff:
    first_update_id: int
    final_update_id: int
    bids: list[L]
    asks: list[L]


@dataclass
class Snap:
    last_update_id: int
    bids: list[L]
    asks: list[L]


def _levels(rows: list[list[str]]) -> list[L]:
    return [L(D(p), D(q)) for p, q in rows]


def engine_levels(
    exchange: Exchange, symbol: str
) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
    bids, asks = exchange.books[symbol].depth(1 << 30)
    return [(D(p), D(q)) for p, q in bids], [(D(p), D(q)) for p, q in asks]


@pytest.fixture
def exchange() -> Exchange:
    return Exchange(seed=3, now_ms=Clock())


def setup(exchange: Exchange, *streams: str) -> tuple[MarketFeed, StreamSession]:
    hub = StreamHub()
    session = hub.open("/stream", "streams=" + "/".join(streams), 0.0)
    feed = MarketFeed(hub, exchange)
    return feed, session


def events(session: StreamSession) -> list[tuple[str, Any]]:
    out = [(f["stream"], f["data"]) for f in map(json.loads, session.outbox)]
    session.outbox.clear()
    return out


def random_order(exchange: Exchange, rng: random.Random) -> None:
    info = exchange.symbols["BTCUSDT"]
    book = exchange.books["BTCUSDT"]
    action = rng.random()
    if action < 0.2:
        exchange.market_trade("BTCUSDT", rng.choice(("BUY", "SELL")), info.step_size * rng.randint(1, 3000))
    elif action < 0.35 and (
        open_orders := [o for o in exchange.orders.values() if o.is_open and o.symbol == "BTCUSDT"]
    ):
        order = rng.choice(open_orders)
        exchange.cancel(order.account, "BTCUSDT", order.order_id, None)
    else:
        side = rng.choice(("BUY", "SELL"))
        mid = book.last_price() or info.mid
        price = (mid + info.tick_size * rng.randint(-400, 400)).quantize(info.tick_size)
        qty = info.step_size * rng.randint(1, 5000)
        exchange.place("alice", "BTCUSDT", side, "LIMIT", "GTC", price, qty, D(0), None)


def test_a_local_book_from_the_diff_stream_equals_the_engine_book_at_every_update(exchange: Exchange) -> None:
    exchange.account("alice")
    feed, session = setup(exchange, "btcusdt@depth@100ms")
    rng = random.Random(7)
    local = BookSync()
    checked = 0
    for step in range(300):
        random_order(exchange, rng)
        if step % 3:
            continue  # several engine operations per flush, as in 100 ms of a busy market
        feed.flush()
        for _, data in events(session):
            outcome = local.on_event(Diff(data["U"], data["u"], _levels(data["b"]), _levels(data["a"])))
            if outcome == "buffered":
                book = exchange.books["BTCUSDT"]
                bids, asks = book.depth(5000)
                assert local.on_snapshot(Snap(book.update_id, _levels(bids), _levels(asks))) == "synced"
            else:
                assert outcome == "applied"
        if local.update_id is not None:
            assert local.update_id == exchange.books["BTCUSDT"].update_id
            assert (local.bids.levels(), local.asks.levels()) == engine_levels(exchange, "BTCUSDT")
            checked += 1
    assert checked > 50


def test_every_book_change_moves_the_update_id(exchange: Exchange) -> None:
    """A partial fill changes a level's quantity: a diff with a new id must say so."""
    feed, session = setup(exchange, "btcusdt@depth@100ms")
    book = exchange.books["BTCUSDT"]
    best_ask = book.best_ask()
    before = book.update_id
    exchange.market_trade("BTCUSDT", "BUY", D("0.00001"))  # takes a sliver of the best ask
    assert book.best_ask() == best_ask
    assert book.update_id > before
    feed.flush()
    ((_, diff),) = events(session)
    assert diff["u"] == book.update_id and diff["a"][0][0] == f"{best_ask:.8f}"


def test_trades_and_aggregate_trades_match_the_engine(exchange: Exchange) -> None:
    feed, session = setup(exchange, "btcusdt@trade", "btcusdt@aggTrade")
    exchange.market_trade("BTCUSDT", "BUY", D("2"))  # walks several ask levels
    feed.flush()
    got = events(session)
    trades = [d for s, d in got if s == "btcusdt@trade"]
    aggs = [d for s, d in got if s == "btcusdt@aggTrade"]
    engine = exchange.books["BTCUSDT"].trades[-len(trades) :]
    assert [(t["t"], D(t["p"]), D(t["q"]), t["m"]) for t in trades] == [
        (t.trade_id, t.price, t.qty, t.is_buyer_maker) for t in engine
    ]
    assert sum(D(a["q"]) for a in aggs) == D("2") and all(a["f"] <= a["l"] for a in aggs)
    assert [a["p"] for a in aggs] == sorted({t["p"] for t in trades})  # one aggregate per price level taken


def test_book_ticker_follows_the_best_levels(exchange: Exchange) -> None:
    feed, session = setup(exchange, "btcusdt@bookTicker")
    feed.flush()
    ((_, first),) = events(session)
    book = exchange.books["BTCUSDT"]
    assert (D(first["b"]), D(first["a"])) == (book.best_bid(), book.best_ask())
    feed.flush()
    assert events(session) == []  # unchanged: nothing sent
    exchange.place(MARKET_MAKER, "BTCUSDT", "BUY", "LIMIT", "GTC", book.best_bid() + D("0.01"), D("1"), D(0), None)
    feed.flush()
    ((_, moved),) = events(session)
    assert D(moved["b"]) == book.best_bid() and D(moved["B"]) == D("1") and moved["u"] == book.update_id


def test_a_withheld_update_shows_as_a_gap_in_update_ids(exchange: Exchange) -> None:
    feed, session = setup(exchange, "btcusdt@depth@100ms")
    feed.hub.faults.skip_update_ids = 1
    exchange.market_trade("BTCUSDT", "BUY", D("0.5"))
    feed.flush()
    assert events(session) == []
    before = exchange.books["BTCUSDT"].update_id
    exchange.market_trade("BTCUSDT", "SELL", D("0.5"))
    feed.flush()
    ((_, diff),) = events(session)
    assert diff["U"] == before + 1  # the subscriber's book is at an older id: U > its id + 1


def test_periodic_streams_carry_the_engine_figures(exchange: Exchange) -> None:
    names = (
        "btcusdt@ticker",
        "btcusdt@miniTicker",
        "btcusdt@kline_1s",
        "btcusdt@avgPrice",
        "btcusdt@depth5",
        "!miniTicker@arr",
    )
    feed, session = setup(exchange, *names)
    exchange.market_trade("BTCUSDT", "BUY", D("0.3"))
    for _ in range(10):
        feed.flush()  # one second
    got = dict(events(session))
    book = exchange.books["BTCUSDT"]
    last = book.trades[-1]
    ticker = got["btcusdt@ticker"]
    assert D(ticker["c"]) == last.price and ticker["L"] == last.trade_id and ticker["n"] == len(book.trades)
    assert D(ticker["b"]) == book.best_bid() and D(ticker["a"]) == book.best_ask()
    assert D(got["btcusdt@miniTicker"]["c"]) == last.price
    assert got["btcusdt@depth5"]["lastUpdateId"] == book.update_id
    assert got["btcusdt@depth5"]["bids"] == book.depth(5)[0]
    kline = got["btcusdt@kline_1s"]["k"]
    assert kline["i"] == "1s" and kline["T"] - kline["t"] == 999
    assert {row["s"] for row in got["!miniTicker@arr"]} == set(exchange.symbols)
    assert D(got["btcusdt@avgPrice"]["w"]) > 0


def test_a_kline_that_ended_is_pushed_once_more_closed() -> None:
    """Binance's kline events say whether the kline is closed (`x`): the trades of a kline's last
    seconds, after its last periodic push, arrive with the closed kline."""
    clock = Clock()
    clock.now = 1_700_000_040_000 - 5_000  # five seconds before a minute ends
    exchange = Exchange(seed=3, now_ms=clock)
    feed, session = setup(exchange, "btcusdt@kline_1m")
    book = exchange.books["BTCUSDT"]
    exchange.market_trade("BTCUSDT", "BUY", D("0.3"))
    for _ in range(20):
        feed.flush()  # two seconds: one push
    ((_, pushed),) = events(session)
    assert (pushed["k"]["x"], pushed["k"]["L"]) == (False, book.trades[-1].trade_id)
    exchange.market_trade("BTCUSDT", "SELL", D("0.2"))  # after that push, in the same minute
    last = book.trades[-1]
    clock.now += 10_000  # the minute has ended
    for _ in range(20):
        feed.flush()
    (_, closed), (_, opened) = events(session)
    minute = [t for t in book.trades if 1_699_999_980_000 <= t.time_ms < 1_700_000_040_000]
    assert closed["k"]["t"] == 1_699_999_980_000 and closed["k"]["x"] is True, closed
    assert (closed["k"]["L"], closed["k"]["n"], D(closed["k"]["c"])) == (last.trade_id, len(minute), last.price)
    assert D(closed["k"]["v"]) == sum((t.qty for t in minute), D(0))
    assert opened["k"]["t"] == 1_700_000_040_000 and opened["k"]["x"] is False and opened["k"]["n"] == 0, opened
    assert D(opened["k"]["o"]) == D(opened["k"]["c"]) == last.price  # no trade yet: the close before it
