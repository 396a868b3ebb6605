"""The SBE market-data streams over real sockets: the local exchange serves them from its engine,
`MarketStreams(response_format="sbe")` turns them into the JSON streams' typed events."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from binance_spot_ws import (
    STREAM_SBE_DEMO,
    STREAM_SBE_PRODUCTION,
    STREAM_SBE_TESTNET,
    AsyncClient,
    BlockingMarketStreams,
    Ed25519Key,
    HmacKey,
    MarketStreams,
    OrderBook,
    ParamError,
    ReconnectPolicy,
    StreamGap,
    TransportError,
    _sbe_stream,
    stream_types,
)
from binance_ws.sbe import Decoder
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator

D = Decimal
FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)
KEY = "sbe-stream-key"


def register(exchange: Emulator) -> Emulator:
    """An Ed25519 key for the SBE streams (the exchange also knows Binance's example HMAC key)."""
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    exchange.register_key(KEY, "ed25519", account="alice", public_key_pem=pem)
    return exchange


@pytest.fixture
async def exchange() -> AsyncIterator[Emulator]:
    async with Emulator(seed=5) as running:
        yield register(running)


@pytest.fixture
async def client(exchange: Emulator) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(url=exchange.url, key=HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)) as connected:
        yield connected


def sbe_streams(exchange: Emulator, **options: Any) -> MarketStreams:
    return MarketStreams(url=exchange.sbe_stream_url, response_format="sbe", api_key=KEY, **options)


async def until(condition: Any, what: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.01)


async def next_event(sub: Any, timeout: float = 10.0) -> Any:
    while True:
        item = await asyncio.wait_for(sub.next(), timeout)
        if not isinstance(item, StreamGap):
            return item


async def events_until(sub: Any, done: Any, timeout: float = 10.0) -> list[Any]:
    """Events (gaps included) up to the first one for which `done(event)` holds."""
    out: list[Any] = []
    while True:
        item = await asyncio.wait_for(sub.next(), timeout)
        out.append(item)
        if not isinstance(item, StreamGap) and done(item):
            return out


async def quiet(exchange: Emulator) -> None:
    """Two flushes of the stream feed: what the engine did so far has been published."""
    ticks = exchange.feed.ticks
    await until(lambda: exchange.feed.ticks >= ticks + 2, "the feed flushes")


def test_the_documented_servers() -> None:
    assert STREAM_SBE_PRODUCTION == "wss://stream-sbe.binance.com:9443"
    assert STREAM_SBE_TESTNET == "wss://stream-sbe.testnet.binance.vision:9443"
    assert STREAM_SBE_DEMO == "wss://demo-stream-sbe.binance.com:9443"
    assert MarketStreams(response_format="sbe", api_key=KEY).url == STREAM_SBE_PRODUCTION


async def test_each_sbe_stream_carries_the_engines_state(exchange: Emulator, client: AsyncClient) -> None:
    engine = exchange.exchange.books["BTCUSDT"]
    async with sbe_streams(exchange) as streams:
        trades, best, top, diffs = (
            streams.trade("BTCUSDT"),
            streams.book_ticker("BTCUSDT"),
            streams.depth("BTCUSDT", levels=20),
            streams.diff_depth("BTCUSDT"),
        )
        for sub in (trades, best, top, diffs):
            await sub.ready(10)
        start = engine.update_id
        known = {t.trade_id for t in engine.trades}
        await client.order_place(
            symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC", price=D("49990.5"), quantity=D("0.004")
        )
        exchange.market_trade("BTCUSDT", "BUY", "0.6")  # several fills of one taker (three ask levels)
        await quiet(exchange)
        made = [t for t in engine.trades if t.trade_id not in known]
        assert len(made) > 1
        got = [await next_event(trades) for _ in made]
        recent = {t.id: t for t in await client.trades_recent(symbol="BTCUSDT", limit=100)}
        for trade in got:
            assert isinstance(trade, stream_types.Trade) and trade.symbol == "BTCUSDT"
            api = recent[trade.trade_id]
            assert (trade.price, trade.quantity, trade.trade_time, trade.is_buyer_maker) == (
                api.price,
                api.qty,
                api.time,
                api.is_buyer_maker,
            )
        assert [t.trade_id for t in got] == [t.trade_id for t in made]  # every trade, in order

        final = engine.update_id
        book = (await events_until(best, lambda e: e.update_id == final))[-1]
        ticker = await client.ticker_book(symbol="BTCUSDT")
        assert not isinstance(ticker, list)
        assert isinstance(book, stream_types.BookTicker) and book.symbol == "BTCUSDT"
        assert (book.bid_price, book.bid_quantity, book.ask_price, book.ask_quantity) == (
            ticker.bid_price,
            ticker.bid_qty,
            ticker.ask_price,
            ticker.ask_qty,
        )

        snapshot = (await events_until(top, lambda e: e.last_update_id == final))[-1]
        api_depth = await client.depth(symbol="BTCUSDT", limit=20)
        assert isinstance(snapshot, stream_types.PartialDepth) and api_depth.last_update_id == final
        assert [(b.price, b.qty) for b in snapshot.bids] == [(b.price, b.qty) for b in api_depth.bids]
        assert [(a.price, a.qty) for a in snapshot.asks] == [(a.price, a.qty) for a in api_depth.asks]

        chain = await events_until(diffs, lambda e: e.final_update_id == final)
        assert not any(isinstance(e, StreamGap) for e in chain)
        assert chain[0].first_update_id == start + 1  # the book's own update ids, no hole
        for before, after in itertools.pairwise(chain):
            assert after.first_update_id == before.final_update_id + 1
        assert all(isinstance(e, stream_types.DepthUpdate) and e.symbol == "BTCUSDT" for e in chain)
        resting = [(b.price, b.qty) for e in chain for b in e.bids if b.price == D("49990.5")]
        assert resting and resting[0] == (D("49990.5"), D("0.004"))


async def test_one_sbe_message_carries_the_trades_of_one_match(exchange: Emulator) -> None:
    """Binance's TradesStreamEvent holds a group of trades: each becomes one `Trade`."""
    decoder = Decoder(_sbe_stream)
    async with connect(exchange.sbe_stream_url + "/ws/btcusdt@trade", additional_headers={"X-MBX-APIKEY": KEY}) as ws:
        await until(lambda: exchange.streams.wanted_sbe("btcusdt@trade"), "listening")
        exchange.market_trade("BTCUSDT", "SELL", "0.6")
        frame = await asyncio.wait_for(ws.recv(), 5)
        assert isinstance(frame, bytes)
        name, value = decoder.message(frame)
        engine = exchange.exchange.books["BTCUSDT"].trades
        assert name == "TradesStreamEvent" and value["symbol"] == "BTCUSDT" and len(value["trades"]) > 1
        ids = [t["id"] for t in value["trades"]]
        assert ids == [t.trade_id for t in engine[-len(ids) :]]
        assert value["transactTime"] == engine[-1].time_ms


async def test_sbe_and_json_streams_deliver_equal_events(exchange: Emulator, client: AsyncClient) -> None:
    engine = exchange.exchange.books["BTCUSDT"]
    async with sbe_streams(exchange) as binary, MarketStreams(url=exchange.stream_url) as text:
        pairs = [
            (binary.trade("BTCUSDT"), text.trade("BTCUSDT")),
            (binary.book_ticker("BTCUSDT"), text.book_ticker("BTCUSDT")),
            (binary.diff_depth("BTCUSDT"), text.diff_depth("BTCUSDT", speed_ms=100)),
            (binary.depth("BTCUSDT", 20), text.depth("BTCUSDT", 20, speed_ms=100)),
        ]
        for pair in pairs:
            for sub in pair:
                await sub.ready(10)
        rng = random.Random(4)
        for _ in range(6):
            await client.order_place(
                symbol="BTCUSDT",
                side=rng.choice(("BUY", "SELL")),
                type="MARKET",
                quantity=D(rng.randint(1, 300)) / 10000,
            )
            await quiet(exchange)  # each order in its own flush: an event of each stream
        final = engine.update_id
        last_trade = engine.trades[-1].trade_id
        for (sbe_sub, json_sub), done in zip(
            pairs,
            (
                lambda e: e.trade_id == last_trade,
                lambda e: e.update_id == final,
                lambda e: e.final_update_id == final,
                lambda e: e.last_update_id == final,
            ),
            strict=True,
        ):
            from_sbe = await events_until(sbe_sub, done)
            from_json = await events_until(json_sub, done)
            if isinstance(from_sbe[-1], stream_types.PartialDepth):  # periodic: compare the final snapshot
                assert from_sbe[-1] == from_json[-1]
            else:
                assert from_sbe == from_json and len(from_sbe) > 1


async def test_microseconds_as_the_json_streams_give_them(exchange: Emulator) -> None:
    async with (
        sbe_streams(exchange, time_unit="MICROSECOND") as micro,
        sbe_streams(exchange) as milli,
        MarketStreams(url=exchange.stream_url, time_unit="MICROSECOND") as json_micro,
    ):
        subs = (micro.trade("BTCUSDT"), milli.trade("BTCUSDT"), json_micro.trade("BTCUSDT"))
        for sub in subs:
            await sub.ready(5)
        exchange.market_trade("BTCUSDT", "BUY", "0.01")
        in_us, in_ms, json_us = [await next_event(sub) for sub in subs]
        assert in_us == json_us and in_us.trade_time == in_ms.trade_time * 1000
        assert in_us.event_time == in_ms.event_time * 1000


async def test_handshake_needs_a_registered_ed25519_key(exchange: Emulator) -> None:
    combined = exchange.sbe_stream_url + "/stream?streams=btcusdt@trade"
    refusals = []
    for headers in ({}, {"X-MBX-APIKEY": "nobody"}, {"X-MBX-APIKEY": DOCS_HMAC_API_KEY}):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(combined, additional_headers=headers):
                pass
        response = refused.value.response
        refusals.append((response.status_code, json.loads(response.body or b"{}")["code"]))
    assert refusals == [(400, -2014), (401, -2015), (401, -2015)]
    assert exchange.streams.opened == 0
    async with connect(combined, additional_headers={"X-MBX-APIKEY": KEY}):
        await until(lambda: exchange.streams.opened == 1, "accepted")

    for transport in ("httpx-ws", "websockets", "picows"):
        async with MarketStreams(
            url=exchange.sbe_stream_url, response_format="sbe", api_key="nobody", transport=transport
        ) as streams:
            sub = streams.trade("BTCUSDT")
            with pytest.raises(TransportError, match="401"):
                await sub.ready(10)
    assert exchange.streams.opened == 1


def test_bad_arguments_fail_before_anything_is_sent() -> None:
    with pytest.raises(ParamError, match="api_key"):
        MarketStreams(response_format="sbe")
    with pytest.raises(ParamError, match="api_key") as hmac:
        MarketStreams(response_format="sbe", api_key=HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET))
    assert DOCS_HMAC_SECRET not in str(hmac.value) and DOCS_HMAC_API_KEY not in str(hmac.value)
    with pytest.raises(ParamError, match="response_format"):
        MarketStreams(response_format="xml")  # type: ignore[arg-type]
    with pytest.raises(ParamError, match="api_key"):
        MarketStreams(api_key=KEY)  # the JSON streams take no key
    streams = MarketStreams(response_format="sbe", api_key=Ed25519Key(KEY, ed25519.Ed25519PrivateKey.generate()))
    assert KEY not in repr(streams)
    for refused in (
        lambda: streams.agg_trade("BTCUSDT"),
        lambda: streams.depth("BTCUSDT", levels=5),
        lambda: streams.kline("BTCUSDT", "1m"),
        lambda: streams.subscribe_raw("btcusdt@ticker"),
    ):
        with pytest.raises(ParamError, match="not available as an SBE stream"):
            refused()


async def test_live_subscribe_and_unsubscribe_on_a_combined_sbe_connection(exchange: Emulator) -> None:
    headers = {"X-MBX-APIKEY": KEY}
    async with connect(exchange.sbe_stream_url + "/stream?streams=btcusdt@trade", additional_headers=headers) as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["ethusdt@bestBidAsk", "btcusdt@depth"], "id": 1}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"result": None, "id": 1}
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 2}))
        refused = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert refused["code"] == 2 and refused["id"] == 2  # a JSON-only stream
        await ws.send(json.dumps({"method": "UNSUBSCRIBE", "params": ["btcusdt@depth"], "id": 3}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"result": None, "id": 3}
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 4}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {
            "result": ["btcusdt@trade", "ethusdt@bestBidAsk"],
            "id": 4,
        }
        assert not exchange.streams.wanted_sbe("btcusdt@depth") and not exchange.streams.wanted("btcusdt@trade")

    async with sbe_streams(exchange) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        books = streams.book_ticker("ETHUSDT")
        raw = streams.subscribe_raw("ethusdt@bestBidAsk")
        await books.ready(5)
        assert await streams.list_subscriptions() == ["btcusdt@trade", "ethusdt@bestBidAsk"]
        exchange.market_trade("ETHUSDT", "BUY", "0.5")
        book, value = await next_event(books), await next_event(raw)
        assert isinstance(book, stream_types.BookTicker) and book.update_id == value["u"]
        assert value["E"] > 0  # the SBE event time, in the raw value only
        await books.unsubscribe()
        assert await streams.list_subscriptions() == ["btcusdt@trade", "ethusdt@bestBidAsk"]  # raw still wants it
        await raw.unsubscribe()
        assert await streams.list_subscriptions() == ["btcusdt@trade"]
        assert not exchange.streams.wanted_sbe("ethusdt@bestBidAsk")
        exchange.market_trade("BTCUSDT", "SELL", "0.01")
        assert isinstance(await next_event(trades), stream_types.Trade)


async def test_rotation_reconnect_and_shutdown_notice_lose_no_trade_unmarked(exchange: Emulator) -> None:
    async with sbe_streams(exchange, reconnect=FAST, handover_timeout=5) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        received: list[Any] = []

        async def consume() -> None:
            async for item in trades:
                received.append(item)

        consumer = asyncio.create_task(consume())
        rng = random.Random(2)
        for step in range(40):
            exchange.market_trade("BTCUSDT", rng.choice(("BUY", "SELL")), "0.002")
            if step == 10:
                streams.rotate()
            if step == 20:
                exchange.drop_stream_connections()
            if step == 30:
                exchange.shutdown_notice()  # JSON text on an SBE connection, as Binance sends it
            await asyncio.sleep(0.02)
        book = exchange.exchange.books["BTCUSDT"]
        last = book.trades[-1].trade_id
        await until(lambda: any(getattr(i, "trade_id", None) == last for i in received), "the last trade arrives")
        consumer.cancel()
        assert StreamGap("reconnected") in received
        assert exchange.streams.opened >= 4  # the first, the rotation, the reconnect, after the notice
        position = {t.trade_id: i for i, t in enumerate(book.trades)}
        previous, marked = None, False
        for item in received:
            if isinstance(item, StreamGap):
                marked = True
                continue
            if previous is not None:
                assert position[item.trade_id] > position[previous], "out of order or repeated"
                if position[item.trade_id] != position[previous] + 1:
                    assert marked, f"trades between {previous} and {item.trade_id} missing without a gap marker"
            previous, marked = item.trade_id, False


async def test_an_undecodable_binary_frame_is_skipped(exchange: Emulator) -> None:
    async with sbe_streams(exchange) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)

        def hostile() -> None:
            for conn in list(exchange._conns):  # pyright: ignore[reportPrivateUsage]
                if conn.stream is not None:
                    conn.stream.outbox.append(b"\x01\x02\x03")
                    conn.flush_stream()

        exchange.call(hostile)
        exchange.market_trade("BTCUSDT", "BUY", "0.01")
        assert isinstance(await next_event(trades), stream_types.Trade)
        assert streams.connections == 1


async def test_order_book_on_the_sbe_diff_depth(exchange: Emulator, client: AsyncClient) -> None:
    rng = random.Random(3)
    engine = exchange.exchange.books["BTCUSDT"]

    async def orders(count: int) -> None:
        for _ in range(count):
            side = rng.choice(("BUY", "SELL"))
            price = D(50000) + D(rng.randint(-300, 300)) / 10
            await client.order_place(
                symbol="BTCUSDT",
                side=side,
                type="LIMIT",
                time_in_force="GTC",
                price=price,
                quantity=D(rng.randint(1, 50)) / 1000,
            )

    async def equals_exchange(book: OrderBook) -> None:
        await until(lambda: book.update_id == engine.update_id, "the local book catches up")
        snapshot = await client.depth(symbol="BTCUSDT", limit=5000)
        assert snapshot.last_update_id == book.update_id
        assert book.bids() == [(b.price, b.qty) for b in snapshot.bids]
        assert book.asks() == [(a.price, a.qty) for a in snapshot.asks]

    async with sbe_streams(exchange, reconnect=FAST) as streams:
        async with OrderBook(streams, client, "BTCUSDT", limit=5000) as book:
            await until(lambda: exchange.streams.wanted_sbe("btcusdt@depth"), "the book listens")
            await orders(40)
            await book.synced(10)
            await equals_exchange(book)
            assert book.resyncs == 0
            exchange.streams.faults.skip_update_ids = 1  # one SBE diff withheld: the next one's U jumps
            await orders(10)
            await asyncio.sleep(exchange.stream_interval * 3)
            await orders(10)
            await until(lambda: book.resyncs == 1, "the gap is noticed")
            await equals_exchange(book)


def test_blocking_sbe_streams() -> None:
    with (
        Emulator(seed=5) as running,
        BlockingMarketStreams(url=register(running).sbe_stream_url, response_format="sbe", api_key=KEY) as streams,
    ):
        exchange = running
        trades = streams.trade("BTCUSDT")
        trades.ready(5)
        exchange.market_trade("BTCUSDT", "BUY", "0.01")
        event = trades.next(10)
        while isinstance(event, StreamGap):
            event = trades.next(10)
        assert isinstance(event, stream_types.Trade)
        assert event.trade_id == exchange.exchange.books["BTCUSDT"].trades[-1].trade_id
