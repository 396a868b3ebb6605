"""`BlockingOrderBook`: the local order book for blocking code, against the local exchange over real sockets."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from binance_spot_ws import (
    BlockingMarketStreams,
    BlockingOrderBook,
    BookUpdate,
    Client,
    HmacKey,
    ParamError,
    ReconnectPolicy,
    StreamGap,
)
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator

D = Decimal


@pytest.fixture
def exchange() -> Iterator[Emulator]:
    with Emulator(seed=5) as running:
        yield running


@pytest.fixture
def client(exchange: Emulator) -> Iterator[Client]:
    with Client(url=exchange.url, key=HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)) as connected:
        yield connected


@pytest.fixture
def streams(exchange: Emulator) -> Iterator[BlockingMarketStreams]:
    with BlockingMarketStreams(
        url=exchange.stream_url, reconnect=ReconnectPolicy(initial_delay=0.01, max_delay=0.05)
    ) as connected:
        yield connected


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.01)


def engine_book(exchange: Emulator) -> tuple[int, list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
    def read() -> tuple[int, list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        book = exchange.exchange.books["BTCUSDT"]
        bids, asks = book.depth(1 << 30)
        return book.update_id, [(D(p), D(q)) for p, q in bids], [(D(p), D(q)) for p, q in asks]

    result: tuple[int, list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]] = exchange.call(read)
    return result


def place(client: Client, side: str, price: str, qty: str = "0.01") -> None:
    client.order_place(symbol="BTCUSDT", side=side, type="LIMIT", time_in_force="GTC", price=D(price), quantity=D(qty))


def test_the_book_equals_the_exchanges_after_orders_and_a_gap(
    exchange: Emulator, client: Client, streams: BlockingMarketStreams
) -> None:
    with BlockingOrderBook(streams, client, "BTCUSDT", limit=5000) as book:
        assert not book.is_synced and book.bids() == [] and book.best_ask() is None
        wait_for(lambda: exchange.streams.wanted("btcusdt@depth@100ms"), "the book listens")
        place(client, "SELL", "51000.50")  # the first diff event starts the procedure
        book.synced(10)
        exchange.market_trade("BTCUSDT", "BUY", "0.2")
        place(client, "BUY", "49000.50")
        update_id, bids, asks = engine_book(exchange)
        wait_for(lambda: book.update_id == update_id, "the book follows")
        assert (book.bids(), book.asks()) == (bids, asks)
        assert book.best_bid() == bids[0] and book.best_ask() == asks[0] and book.bids(3) == bids[:3]
        exchange.streams.faults.skip_update_ids = 1  # one diff event withheld: the next one's U jumps
        place(client, "SELL", "51001.50")
        time.sleep(exchange.stream_interval * 3)  # the withheld event's 100 ms are over
        place(client, "BUY", "49001.50")
        wait_for(lambda: book.resyncs == 1, "the gap is noticed")
        book.synced(10)
        update_id, bids, asks = engine_book(exchange)
        wait_for(lambda: book.update_id == update_id, "the book follows after the resync")
        assert (book.bids(), book.asks()) == (bids, asks)
        assert repr(book).startswith("BlockingOrderBook('BTCUSDT', update_id=")


def test_updates_iterate_in_order_and_end_when_closed(
    exchange: Emulator, client: Client, streams: BlockingMarketStreams
) -> None:
    book = BlockingOrderBook(streams, client, "BTCUSDT")
    book.start()
    wait_for(lambda: exchange.streams.wanted("btcusdt@depth@100ms"), "the book listens")
    with pytest.raises(TimeoutError):
        book.next_update(timeout=0.2)  # a quiet book: nothing yet, and nothing lost by waiting
    place(client, "SELL", "51000.50")
    first = book.next_update(timeout=10)
    assert isinstance(first, BookUpdate) and first.snapshot and first.update_id == book.update_id
    place(client, "BUY", "49000.50")
    change = next(iter(book.updates()))
    assert not isinstance(change, StreamGap) and (D("49000.50"), D("0.01000000")) in change.bids
    book.close()
    assert book.next_update(timeout=5) is None and list(book.updates()) == []


def test_bad_arguments_are_refused_before_anything_is_sent(
    exchange: Emulator, client: Client, streams: BlockingMarketStreams
) -> None:
    opened = exchange.streams.opened
    with pytest.raises(ParamError, match="'limit'"):
        BlockingOrderBook(streams, client, "BTCUSDT", limit=0)
    with pytest.raises(ParamError, match="'symbol'"):
        BlockingOrderBook(streams, client, "BTC USDT")
    with pytest.raises(ParamError, match="'streams'"):
        BlockingOrderBook(client, client, "BTCUSDT")  # type: ignore[arg-type]
    assert exchange.streams.opened == opened
