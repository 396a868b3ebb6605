"""The SBE market-data streams' generated direct decoders (`_sbe_stream_decode`) against the
table-driven path they replace, over real sockets: the same events, and the direct path is
the one taken (the table path is not called), with the table path kept as the fallback."""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from binance_spot_ws import AsyncClient, HmacKey, MarketStreams, StreamGap, _sbe_stream, stream_types
from binance_ws import asdict
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator
from binance_ws_emulator import sbe_stream_encode as encode
from binance_ws_emulator.book import Trade
from binance_ws_emulator.sbe_encode import HEADER, encode_block

D = Decimal
KEY = "sbe-direct-key"
EVENT_MS = 1_700_000_000_123
SUB_MS = 456  # microseconds past the millisecond: only `time_unit="MICROSECOND"` shows them


class TablePath(MarketStreams):
    """The SBE streams through the table-driven path only (what every frame took before)."""

    _sbe_direct = None


@pytest.fixture
async def exchange() -> AsyncIterator[Emulator]:
    async with Emulator(seed=7) as running:
        private = ed25519.Ed25519PrivateKey.generate()
        pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        running.register_key(KEY, "ed25519", account="alice", public_key_pem=pem)
        yield running


def counted(streams: MarketStreams) -> list[bytes]:
    """The frames `streams` sends down the table-driven path, recorded as it is called."""
    decoder = streams._sbe  # pyright: ignore[reportPrivateUsage]
    assert decoder is not None
    calls: list[bytes] = []
    payloads = decoder.payloads

    def recording(data: bytes) -> list[tuple[str, str]]:
        calls.append(data)
        return payloads(data)

    decoder.payloads = recording  # type: ignore[method-assign]
    return calls


def inject(exchange: Emulator, stream: str, *frames: bytes) -> None:
    """Binary frames of our own to every SBE connection listening to `stream`, over its socket."""

    def send() -> None:
        for frame in frames:
            assert exchange.streams.publish_binary(stream, frame) > 0
        for conn in list(exchange._conns):  # pyright: ignore[reportPrivateUsage]
            conn.flush_stream()

    exchange.call(send)


def with_micros(frame: bytes, *offsets: int) -> bytes:
    """`frame` with SUB_MS microseconds added to the timestamps at these block offsets."""
    out = bytearray(frame)
    for offset in offsets:
        (us,) = struct.unpack_from("<q", out, HEADER.size + offset)
        struct.pack_into("<q", out, HEADER.size + offset, us + SUB_MS)
    return bytes(out)


def newer(template: int, value: dict[str, Any]) -> bytes:
    """`value` as a message of a newer schema version (1): a longer block and longer group entries,
    with fields this SDK does not know, which a decoder must pass over by their wire lengths."""
    length, fields, groups, data = _sbe_stream.MESSAGES[template][2]
    extra = ("futureField", "futureField", "int", length, "int64", 8, False, 1, None, None)
    grown = []
    for name, path, since, omit, length_type, count_type, (entry_length, entry, inner, inner_data) in groups:
        more = ("futureEntryField", "futureEntryField", "int", entry_length, "int32", 4, False, 1, None, None)
        grown.append(
            (name, path, since, omit, length_type, count_type, (entry_length + 4, (*entry, more), inner, inner_data))
        )
    block = (length + 8, (*fields, extra), tuple(grown), data)
    body = encode_block(block, {**value, "futureField": -1}, {}, 1)
    return HEADER.pack(length + 8, template, _sbe_stream.SCHEMA_ID, 1) + body


def trades(first_id: int, prices: list[str], qty: str = "0.00150000") -> list[Trade]:
    return [Trade(first_id + i, D(price), D(qty), EVENT_MS - 5, i % 2 == 1) for i, price in enumerate(prices)]


def _text(value: Decimal) -> str:
    return str(value)


#: The crafted frames' symbol: the local exchange has no book for it, so its streams carry only them.
SYM = "TESTUSDT"


def crafted() -> dict[str, list[bytes]]:
    """Frames of every SBE stream message: several trades in one, coarse and fine exponents,
    zero quantities (removed levels), microseconds past the millisecond, and each message
    again as a newer schema version."""
    three = encode.trades(SYM, trades(9_000_001, ["50000.10", "50000.25", "50001"]), EVENT_MS, _text)
    coarse = encode.trades(SYM, trades(9_000_004, ["5E+4", "6E+4"], "2E+2"), EVENT_MS, _text)  # exponents > 0
    best = encode.best_bid_ask(SYM, 777, ("49999.99000000", "0.00000001", "50000.01", "12.5"), EVENT_MS)
    bids = [["49999.99", "1.5"], ["49999.98", "0"], ["49999.00", "0.00000001"]]
    asks = [["50000.01", "0"], ["50000.02", "3.25"]]
    top = encode.depth_snapshot(SYM, 778, bids, asks, EVENT_MS)
    diff = encode.depth_diff(SYM, 779, 781, bids, asks, EVENT_MS)
    levels = [{"price": p, "qty": q} for p, q in bids]
    future_trades = newer(
        encode.TRADES,
        {
            "eventTime": EVENT_MS,
            "transactTime": EVENT_MS - 5,
            "symbol": SYM,
            "trades": [
                {"id": 9_000_010 + i, "price": p, "qty": "0.5", "isBuyerMaker": i == 0}
                for i, p in enumerate(("50002.5", "50003"))
            ],
        },
    )
    future_best = {
        "eventTime": EVENT_MS,
        "bookUpdateId": 780,
        "bidPrice": "49999.5",
        "bidQty": "1",
        "askPrice": "50000.5",
        "askQty": "2",
        "symbol": SYM,
    }
    future_top = {"eventTime": EVENT_MS, "bookUpdateId": 782, "bids": levels, "asks": [], "symbol": SYM}
    future_diff = {
        "eventTime": EVENT_MS,
        "firstBookUpdateId": 782,
        "lastBookUpdateId": 783,
        "bids": [],
        "asks": levels,
        "symbol": SYM,
    }
    return {
        "testusdt@trade": [with_micros(f, 0, 8) for f in (three, coarse, future_trades)],  # eventTime, transactTime
        "testusdt@bestBidAsk": [best, newer(encode.BEST_BID_ASK, future_best)],
        "testusdt@depth20": [top, newer(encode.DEPTH_SNAPSHOT, future_top)],
        "testusdt@depth": [with_micros(f, 0) for f in (diff, newer(encode.DEPTH_DIFF, future_diff))],
    }


EXPECTED = {  # events per crafted frame
    "testusdt@trade": [3, 2, 2],
    "testusdt@bestBidAsk": [1, 1],
    "testusdt@depth20": [1, 1],
    "testusdt@depth": [1, 1],
}
TYPES = {
    "trade": stream_types.Trade,
    "bestBidAsk": stream_types.BookTicker,
    "depth20": stream_types.PartialDepth,
    "depth": stream_types.DepthUpdate,
}


def subscriptions(streams: MarketStreams, symbol: str) -> dict[str, Any]:
    low = symbol.lower()
    return {
        f"{low}@trade": streams.trade(symbol),
        f"{low}@bestBidAsk": streams.book_ticker(symbol),
        f"{low}@depth20": streams.depth(symbol, 20),
        f"{low}@depth": streams.diff_depth(symbol),
    }


def money_of(value: Any) -> Any:
    """Every field read as users read it, money as (Decimal, its exponent): equal values of
    equal scale (so `0.00100000` is not taken for `0.001`)."""
    if isinstance(value, list):
        return [money_of(item) for item in value]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, Decimal):
        return (value, value.as_tuple().exponent)
    if isinstance(value, stream_types.PriceLevel):
        return (money_of(value.price), money_of(value.qty))
    if hasattr(value, "__struct_fields__"):
        return {name: money_of(field) for name, field in asdict(value).items()}
    return value


async def take(sub: Any, count: int) -> list[Any]:
    out = []
    while len(out) < count:
        item = await asyncio.wait_for(sub.next(), 10)
        assert not isinstance(item, StreamGap), item
        out.append(item)
    return out


async def until_done(sub: Any, done: Any) -> list[Any]:
    out = await take(sub, 1)
    while not done(out[-1]):
        out += await take(sub, 1)
    return out


async def settled(exchange: Emulator, subs: list[Any]) -> None:
    """Two flushes of the exchange's feed, then what they published taken: from here on both
    connections get the same events (each listened to all its streams before)."""
    ticks = exchange.feed.ticks
    while exchange.feed.ticks < ticks + 2:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    for sub in subs:
        while sub.queued:
            await sub.next()


@pytest.mark.parametrize("time_unit", [None, "MICROSECOND"])
async def test_direct_and_table_paths_give_equal_events(exchange: Emulator, time_unit: str | None) -> None:
    frames = crafted()
    options: dict[str, Any] = {"response_format": "sbe", "api_key": KEY, "time_unit": time_unit}
    async with (
        MarketStreams(url=exchange.sbe_stream_url, **options) as direct,
        TablePath(url=exchange.sbe_stream_url, **options) as table,
        AsyncClient(url=exchange.url, key=HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)) as client,
    ):
        direct_calls, table_calls = counted(direct), counted(table)
        fast, slow = subscriptions(direct, SYM), subscriptions(table, SYM)
        fast_btc, slow_btc = subscriptions(direct, "BTCUSDT"), subscriptions(table, "BTCUSDT")
        every = [*fast.values(), *slow.values(), *fast_btc.values(), *slow_btc.values()]
        for sub in every:
            await sub.ready(10)
        for stream, made in frames.items():
            inject(exchange, stream, *made)
        for stream, counts in EXPECTED.items():
            got, want = await take(fast[stream], sum(counts)), await take(slow[stream], sum(counts))
            assert got == want
            assert money_of(got) == money_of(want)
            assert all(type(event) is TYPES[stream.partition("@")[2]] for event in got)
        # The engine's own events too: a taker order filling at several levels (one SBE trade
        # message for the match), the book ticker and both depth streams after it.
        await settled(exchange, every)
        engine = exchange.exchange.books["BTCUSDT"]
        known = len(engine.trades)
        await client.order_place(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=D("0.6"))
        made = [t.trade_id for t in engine.trades[known:]]
        assert len(made) > 1
        got, want = await take(fast_btc["btcusdt@trade"], len(made)), await take(slow_btc["btcusdt@trade"], len(made))
        assert money_of(got) == money_of(want) and [t.trade_id for t in got] == made
        final = engine.update_id
        for stream, done in (
            ("btcusdt@bestBidAsk", lambda e: e.update_id == final),
            ("btcusdt@depth", lambda e: e.final_update_id == final),
            ("btcusdt@depth20", lambda e: e.last_update_id == final),
        ):
            got, want = await until_done(fast_btc[stream], done), await until_done(slow_btc[stream], done)
            if stream == "btcusdt@depth20":  # a snapshot each flush: compare the one both wait for
                got, want = got[-1:], want[-1:]
            assert money_of(got) == money_of(want)
            assert all(type(event) is TYPES[stream.partition("@")[2]] for event in got)
        assert all(sub.queued == 0 for sub in (*fast.values(), *slow.values()))  # nothing more, nothing twice

    assert direct_calls == []  # every frame took the direct decoders
    assert len(table_calls) >= sum(len(f) for f in frames.values())


async def test_microseconds_and_newer_versions_as_the_wire_has_them(exchange: Emulator) -> None:
    """Values checked against the frame, not only against the table path."""
    sym = SYM
    fine = with_micros(encode.trades(sym, trades(5, ["2500.5", "2500.75"]), EVENT_MS, _text), 0, 8)
    future = newer(
        encode.DEPTH_DIFF,
        {
            "eventTime": EVENT_MS,
            "firstBookUpdateId": 41,
            "lastBookUpdateId": 42,
            "bids": [{"price": "2499.5", "qty": "0"}],
            "asks": [{"price": "2500.5", "qty": "1.25"}, {"price": "2501", "qty": "0.5"}],
            "symbol": sym,
        },
    )
    async with (
        MarketStreams(url=exchange.sbe_stream_url, response_format="sbe", api_key=KEY, time_unit="MICROSECOND") as us,
        MarketStreams(url=exchange.sbe_stream_url, response_format="sbe", api_key=KEY) as ms,
    ):
        calls = (counted(us), counted(ms))
        subs = [us.trade(sym), ms.trade(sym), us.diff_depth(sym), ms.diff_depth(sym)]
        for sub in subs:
            await sub.ready(10)
        inject(exchange, "testusdt@trade", fine)
        inject(exchange, "testusdt@depth", future)
        in_us, in_ms = await take(subs[0], 2), await take(subs[1], 2)
        assert [t.event_time for t in in_us] == [EVENT_MS * 1000 + SUB_MS] * 2
        assert [t.trade_time for t in in_us] == [(EVENT_MS - 5) * 1000 + SUB_MS] * 2
        assert [(t.event_time, t.trade_time) for t in in_ms] == [(EVENT_MS, EVENT_MS - 5)] * 2
        assert [(t.trade_id, t.price, t.is_buyer_maker, t.ignore) for t in in_ms] == [
            (5, D("2500.50"), False, True),
            (6, D("2500.75"), True, True),
        ]
        assert all(t.symbol == sym and t.event_type == "trade" for t in in_us + in_ms)
        (diff_us,), (diff_ms,) = await take(subs[2], 1), await take(subs[3], 1)
        assert diff_us.event_time == EVENT_MS * 1000 and diff_ms.event_time == EVENT_MS
        assert (diff_ms.event_type, diff_ms.symbol, diff_ms.first_update_id, diff_ms.final_update_id) == (
            "depthUpdate",
            sym,
            41,
            42,
        )
        assert [(b.price, b.qty) for b in diff_ms.bids] == [(D("2499.5"), 0)]
        assert [(a.price, a.qty) for a in diff_ms.asks] == [(D("2500.5"), D("1.25")), (D("2501"), D("0.5"))]
    assert calls == ([], [])


async def test_what_the_direct_decoders_cannot_take_goes_the_table_way(
    exchange: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A NonRepresentable value (a buyer-is-maker flag that is neither 0 nor 1) goes to the
    table path, which reports it; and a stream with a `subscribe_raw` subscription gets the
    JSON values there (its typed subscriptions decode them), so both keep working."""
    bad = bytearray(encode.trades("BTCUSDT", trades(70, ["50000"]), EVENT_MS, _text))
    bad[HEADER.size + 18 + 6 + 24] = 7  # header, block, group dimension, then the flag's offset in the entry
    good = encode.trades("BTCUSDT", trades(71, ["50001"]), EVENT_MS, _text)
    book = encode.best_bid_ask("BTCUSDT", 5, ("1.5", "2", "1.6", "3"), EVENT_MS)
    async with MarketStreams(url=exchange.sbe_stream_url, response_format="sbe", api_key=KEY) as streams:
        calls = counted(streams)
        typed, books = streams.trade("BTCUSDT"), streams.book_ticker("BTCUSDT")
        raw = streams.subscribe_raw("btcusdt@bestBidAsk")
        for sub in (typed, books, raw):
            await sub.ready(10)
        with caplog.at_level(logging.WARNING, logger="binance_ws.streams"):
            inject(exchange, "btcusdt@trade", bytes(bad), good)
            (trade,) = await take(typed, 1)
        assert trade.trade_id == 71  # the bad frame was skipped, the next one decoded
        assert calls == [bytes(bad)]  # only the frame the direct decoder could not take
        assert "not representable" in caplog.text
        inject(exchange, "btcusdt@bestBidAsk", book)
        (ticker,), (value,) = await take(books, 1), await take(raw, 1)
        assert calls[-1] == book
        assert isinstance(ticker, stream_types.BookTicker) and (ticker.update_id, ticker.bid_price) == (5, D("1.5"))
        assert value == {"u": 5, "s": "BTCUSDT", "b": "1.5", "B": "2", "a": "1.6", "A": "3", "E": EVENT_MS}
        await raw.unsubscribe()
        inject(exchange, "btcusdt@bestBidAsk", book)
        assert (await take(books, 1))[0] == ticker
        assert calls[-1] == book and len(calls) == 2  # typed only again: the direct path


def test_the_generated_decoders_cover_every_stream_message() -> None:
    from binance_spot_ws import _sbe_stream_decode

    assert _sbe_stream_decode.NOT_DIRECT == ()
    assert {t: (suffix, kind) for t, (suffix, kind, _) in _sbe_stream_decode.STREAMS.items()} == {
        encode.TRADES: ("trade", stream_types.Trade),
        encode.BEST_BID_ASK: ("bestBidAsk", stream_types.BookTicker),
        encode.DEPTH_SNAPSHOT: ("depth20", stream_types.PartialDepth),
        encode.DEPTH_DIFF: ("depth", stream_types.DepthUpdate),
    }
