"""Market-data streams from the local exchange over real sockets: values, control, faults, order book."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed as WsClosed

from binance_spot_ws import (
    AsyncClient,
    HmacKey,
    MarketStreams,
    OrderBook,
    ReconnectPolicy,
    StreamGap,
    stream_types,
)
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator

D = Decimal
FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)


@pytest.fixture
async def exchange() -> AsyncIterator[Emulator]:
    async with Emulator(seed=5) as running:
        yield running


@pytest.fixture
async def client(exchange: Emulator) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(url=exchange.url, key=HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)) as connected:
        yield connected


async def until(condition: Any, what: str, timeout: float = 10.0) -> None:
    """Wait for a condition of the exchange's state (a timeout fails the test with `what`)."""
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


async def test_raw_and_combined_paths_on_the_api_server(exchange: Emulator) -> None:
    assert exchange.stream_url.startswith("ws://127.0.0.1:") and exchange.url.startswith(exchange.stream_url)
    async with (
        connect(exchange.stream_url + "/ws/btcusdt@trade") as raw,
        connect(exchange.stream_url + "/stream?streams=btcusdt@trade/ethusdt@trade") as combined,
    ):
        await until(lambda: exchange.streams.wanted("btcusdt@trade"), "listening")
        exchange.market_trade("BTCUSDT", "BUY", "0.01")
        event = json.loads(await asyncio.wait_for(raw.recv(), 5))
        wrapped = json.loads(await asyncio.wait_for(combined.recv(), 5))
        assert event["e"] == "trade" and event["s"] == "BTCUSDT"
        assert wrapped == {"stream": "btcusdt@trade", "data": event}
        await raw.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
        assert json.loads(await asyncio.wait_for(raw.recv(), 5)) == {"result": ["btcusdt@trade"], "id": 1}
        await raw.send(json.dumps({"method": "SET_PROPERTY", "params": ["combined", "no"], "id": 2}))
        assert json.loads(await asyncio.wait_for(raw.recv(), 5)) == {
            "code": 1,
            "msg": "Invalid value type: expected Boolean",
            "id": 2,
        }


async def test_every_stream_kind_decodes_with_the_engines_figures(exchange: Emulator, client: AsyncClient) -> None:
    async with MarketStreams(url=exchange.stream_url) as streams:
        subs = {
            "trade": streams.trade("BTCUSDT"),
            "agg": streams.agg_trade("BTCUSDT"),
            "kline": streams.kline("BTCUSDT", "1s"),
            "kline8": streams.kline("BTCUSDT", "1d", timezone="+08:00"),
            "mini": streams.mini_ticker("BTCUSDT"),
            "all_mini": streams.all_mini_tickers(),
            "ticker": streams.ticker("BTCUSDT"),
            "window": streams.window_ticker("BTCUSDT", "1h"),
            "all_window": streams.all_window_tickers("4h"),
            "book": streams.book_ticker("BTCUSDT"),
            "avg": streams.avg_price("BTCUSDT"),
            "ref": streams.reference_price("BTCUSDT"),
            "depth": streams.depth("BTCUSDT", levels=5, speed_ms=100),
            "diff": streams.diff_depth("BTCUSDT", speed_ms=100),
        }
        for sub in subs.values():
            await sub.ready(10)
        exchange.market_trade("BTCUSDT", "BUY", "0.3")  # several trades, klines and tickers follow
        trade = await next_event(subs["trade"])
        recent = await client.trades_recent(symbol="BTCUSDT", limit=50)
        engine = next(t for t in recent if t.id == trade.trade_id)
        assert isinstance(trade, stream_types.Trade)
        assert (trade.price, trade.quantity, trade.trade_time) == (engine.price, engine.qty, engine.time)
        agg = await next_event(subs["agg"])
        assert isinstance(agg, stream_types.AggTrade) and agg.first_trade_id <= agg.last_trade_id
        await asyncio.sleep(0)  # the remaining streams are periodic: take the next of each
        events = {name: await next_event(sub, 15) for name, sub in subs.items() if name not in ("trade", "agg")}
        ticker_24 = await client.ticker_24hr(symbol="BTCUSDT")
        assert not isinstance(ticker_24, list)
        ticker = events["ticker"]
        assert isinstance(ticker, stream_types.Ticker)
        assert ticker.last_price == ticker_24.last_price and ticker.trade_count == ticker_24.count
        assert ticker.open == ticker_24.open_price and ticker.volume == ticker_24.volume
        assert isinstance(events["mini"], stream_types.MiniTicker) and events["mini"].close == ticker_24.last_price
        window = events["window"]
        assert isinstance(window, stream_types.WindowTicker) and window.event_type == "1hTicker"
        assert window.open_time % 60_000 == 0  # opens on a whole minute, as the API's rolling window
        api_window = await client.ticker(symbol="BTCUSDT", window_size="1h")
        assert not isinstance(api_window, list)
        assert (window.last_price, window.trade_count) == (api_window.last_price, api_window.count)
        assert {t.symbol for t in events["all_mini"]} >= {"BTCUSDT"}
        assert all(isinstance(t, stream_types.WindowTicker) for t in events["all_window"])
        kline = events["kline"]
        assert isinstance(kline, stream_types.KlineEvent) and kline.kline.interval == "1s"
        assert kline.kline.close_time - kline.kline.start_time == 999
        day = events["kline8"].kline
        assert (day.start_time + 8 * 3_600_000) % 86_400_000 == 0  # the UTC+8 day
        book = events["book"]
        best = await client.ticker_book(symbol="BTCUSDT")
        assert not isinstance(best, list)
        assert isinstance(book, stream_types.BookTicker)
        assert (book.bid_price, book.ask_price) == (best.bid_price, best.ask_price)
        avg = events["avg"]
        assert isinstance(avg, stream_types.AvgPrice) and avg.price == (await client.avg_price(symbol="BTCUSDT")).price
        ref = events["ref"]
        assert isinstance(ref, stream_types.ReferencePrice) and ref.reference_price == ticker_24.last_price
        depth = events["depth"]
        snapshot = await client.depth(symbol="BTCUSDT", limit=5)
        assert isinstance(depth, stream_types.PartialDepth) and len(depth.bids) == 5
        if depth.last_update_id == snapshot.last_update_id:
            assert [(b.price, b.qty) for b in depth.bids] == [(b.price, b.qty) for b in snapshot.bids]
        diff = events["diff"]
        assert isinstance(diff, stream_types.DepthUpdate) and diff.first_update_id <= diff.final_update_id


async def test_time_unit_microsecond(exchange: Emulator) -> None:
    async with (
        MarketStreams(url=exchange.stream_url, time_unit="MICROSECOND") as micro,
        MarketStreams(url=exchange.stream_url) as milli,
    ):
        a, b = micro.trade("BTCUSDT"), milli.trade("BTCUSDT")
        await a.ready(5)
        await b.ready(5)
        exchange.market_trade("BTCUSDT", "SELL", "0.01")
        in_us, in_ms = await next_event(a), await next_event(b)
        assert in_us.trade_id == in_ms.trade_id
        assert in_us.trade_time == in_ms.trade_time * 1000


async def test_live_subscribe_unsubscribe_and_list(exchange: Emulator) -> None:
    async with MarketStreams(url=exchange.stream_url) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        klines = streams.kline("ETHUSDT", "1m")
        await klines.ready(5)
        assert exchange.streams.control_messages == 1  # one SUBSCRIBE on the open connection
        assert await streams.list_subscriptions() == ["btcusdt@trade", "ethusdt@kline_1m"]
        await trades.unsubscribe()
        assert await streams.list_subscriptions() == ["ethusdt@kline_1m"]
        assert not exchange.streams.wanted("btcusdt@trade")


async def test_reconnects_and_rotations_leave_no_missed_trade_unmarked(exchange: Emulator) -> None:
    async with MarketStreams(url=exchange.stream_url, reconnect=FAST, handover_timeout=5) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        received: list[Any] = []

        async def consume() -> None:
            async for item in trades:
                received.append(item)

        consumer = asyncio.create_task(consume())
        rng = random.Random(1)
        for step in range(60):
            exchange.market_trade("BTCUSDT", rng.choice(("BUY", "SELL")), "0.002")
            if step in (15, 40):
                streams.rotate()
            if step == 25:
                exchange.drop_connections()
            if step == 50:
                exchange.shutdown_notice()
            await asyncio.sleep(0.02)
        book = exchange.exchange.books["BTCUSDT"]
        last = book.trades[-1].trade_id
        await until(lambda: any(getattr(i, "trade_id", None) == last for i in received), "the last trade arrives")
        consumer.cancel()
        position = {t.trade_id: i for i, t in enumerate(book.trades)}
        assert StreamGap("reconnected") in received  # the drop was noticed and marked
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


async def test_dead_peer_is_detected_and_replaced(exchange: Emulator) -> None:
    async with MarketStreams(
        url=exchange.stream_url, keepalive_interval=0.2, keepalive_timeout=0.3, reconnect=FAST
    ) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        opened = exchange.connections_opened
        exchange.faults.answer_pings = False  # a half-open peer: nothing answers our pings
        assert await asyncio.wait_for(trades.next(), 10) == StreamGap("reconnected")
        exchange.faults.answer_pings = True
        await until(lambda: exchange.connections_opened > opened and exchange.streams.wanted("btcusdt@trade"), "back")
        exchange.market_trade("BTCUSDT", "BUY", "0.01")
        assert isinstance(await next_event(trades), stream_types.Trade)


async def test_server_pings_are_answered(exchange: Emulator) -> None:
    # Pings every 0.3 s (pongs count toward 5 incoming messages a second); no pong for 0.9 s: cut.
    exchange.ping_interval, exchange.pong_timeout = 0.3, 0.9
    async with MarketStreams(url=exchange.stream_url, keepalive_interval=None) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        opened = exchange.connections_opened
        for _ in range(3):
            exchange.market_trade("BTCUSDT", "BUY", "0.01")
            await next_event(trades)
            await asyncio.sleep(0.5)
        assert exchange.connections_opened == opened  # never cut for a missing pong


async def test_withheld_server_pings_change_nothing(exchange: Emulator) -> None:
    exchange.faults.send_pings = False  # the client must not depend on the server's pings
    async with MarketStreams(url=exchange.stream_url, keepalive_interval=0.2, keepalive_timeout=1.0) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        opened = exchange.connections_opened
        for _ in range(3):
            exchange.market_trade("BTCUSDT", "SELL", "0.01")
            assert isinstance(await next_event(trades), stream_types.Trade)
            await asyncio.sleep(0.3)  # our own pings go and are answered meanwhile
        assert exchange.connections_opened == opened and trades.queued == 0


async def test_incoming_message_limit_disconnects_a_client_that_ignores_it(exchange: Emulator) -> None:
    async with connect(exchange.stream_url + "/ws") as ws:
        with pytest.raises(WsClosed):
            for index in range(20):
                await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": index}))
            while True:
                await asyncio.wait_for(ws.recv(), 5)
    # The SDK paces its control messages: 12 subscriptions one by one, never cut.
    async with MarketStreams(url=exchange.stream_url) as streams:
        first = streams.trade("BTCUSDT")
        await first.ready(5)
        opened = exchange.connections_opened
        for index in range(12):
            await streams.kline(
                "BTCUSDT", ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d")[index]
            ).ready(10)
        assert exchange.connections_opened == opened
        assert len(await streams.list_subscriptions()) == 13


async def test_streams_past_the_per_connection_limit_use_more_connections() -> None:
    from binance_ws_emulator.stream_hub import HubLimits

    async with (
        Emulator(stream_limits=HubLimits(streams_per_connection=3)) as exchange,
        MarketStreams(url=exchange.stream_url, streams_per_connection=3) as streams,
    ):
        subs = [streams.kline("BTCUSDT", i) for i in ("1m", "3m", "5m", "15m", "30m", "1h", "2h")]
        for sub in subs:
            await sub.ready(10)
        assert len(exchange.streams.sessions) == 3
        assert len(await streams.list_subscriptions()) == 7


async def _book_equals_exchange(book: OrderBook, client: AsyncClient, exchange: Emulator) -> None:
    engine = exchange.exchange.books["BTCUSDT"]
    await until(lambda: book.update_id == engine.update_id, "the local book catches up")
    snapshot = await client.depth(symbol="BTCUSDT", limit=5000)
    assert snapshot.last_update_id == book.update_id
    assert book.bids() == [(b.price, b.qty) for b in snapshot.bids]
    assert book.asks() == [(a.price, a.qty) for a in snapshot.asks]


async def random_orders(client: AsyncClient, rng: random.Random, count: int) -> None:
    for _ in range(count):
        side = rng.choice(("BUY", "SELL"))
        if rng.random() < 0.25:
            await client.order_place(
                symbol="BTCUSDT", side=side, type="MARKET", quantity=D(rng.randint(1, 300)) / 10000
            )
        else:
            price = D(50000) + D(rng.randint(-300, 300)) / 10
            await client.order_place(
                symbol="BTCUSDT",
                side=side,
                type="LIMIT",
                time_in_force="GTC",
                price=price,
                quantity=D(rng.randint(1, 50)) / 1000,
            )


async def test_order_book_equals_the_exchange_after_orders_a_gap_and_a_reconnect(
    exchange: Emulator, client: AsyncClient
) -> None:
    rng = random.Random(9)
    async with MarketStreams(url=exchange.stream_url, reconnect=FAST) as streams:
        async with OrderBook(streams, client, "BTCUSDT", limit=5000) as book:
            await until(lambda: exchange.streams.wanted("btcusdt@depth@100ms"), "the book listens")
            await random_orders(client, rng, 60)  # the first diff event starts the procedure
            await book.synced(10)
            await _book_equals_exchange(book, client, exchange)
            assert book.resyncs == 0
            exchange.streams.faults.skip_update_ids = 1  # one diff event withheld: the next one's U jumps
            await random_orders(client, rng, 10)
            await asyncio.sleep(exchange.stream_interval * 3)  # the withheld event's 100 ms are over
            await random_orders(client, rng, 10)
            await until(lambda: book.resyncs == 1, "the gap is noticed")
            await _book_equals_exchange(book, client, exchange)
            exchange.drop_stream_connections()  # the stream connection goes (a reconnect follows)
            await random_orders(client, rng, 10)
            await until(lambda: book.resyncs == 2, "the reconnect is noticed")
            await random_orders(client, rng, 10)
            await _book_equals_exchange(book, client, exchange)
            assert book.best_bid() == book.bids()[0] and book.best_ask() == book.asks()[0]


async def test_order_book_updates_iterator(exchange: Emulator, client: AsyncClient) -> None:
    async with MarketStreams(url=exchange.stream_url) as streams, OrderBook(streams, client, "BTCUSDT") as book:
        updates = book.updates()
        await until(lambda: exchange.streams.wanted("btcusdt@depth@100ms"), "the book listens")
        # A quiet book sends no diff events: the procedure starts with the first one (step 1).
        await client.order_place(
            symbol="BTCUSDT", side="SELL", type="LIMIT", time_in_force="GTC", price=D("51000.50"), quantity=D("0.01")
        )
        first = await asyncio.wait_for(updates.__anext__(), 10)
        assert first.snapshot and first.update_id == book.update_id  # type: ignore[union-attr]
        await client.order_place(
            symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC", price=D("49000.50"), quantity=D("0.01")
        )
        change = await asyncio.wait_for(updates.__anext__(), 10)
        assert not isinstance(change, StreamGap) and (D("49000.50"), D("0.01000000")) in change.bids


async def test_order_book_follows_the_moving_market_exactly() -> None:
    async with Emulator(seed=8, ticker_interval=0.02) as moving, AsyncClient(url=moving.url) as api:
        engine = moving.exchange.books["BTCUSDT"]
        async with MarketStreams(url=moving.stream_url) as streams, OrderBook(streams, api, "BTCUSDT") as book:
            await book.synced(10)
            matches = 0
            for _ in range(5):
                seen = book.update_id or 0
                # Whenever the local book is at the engine's update id, the two are the same book
                # (checked in the same loop step, so neither can move in between).
                await until(
                    lambda seen=seen: (book.update_id or 0) > seen and book.update_id == engine.update_id, "in step"
                )
                bids, asks = engine.depth(1000)
                assert book.bids() == [(D(p), D(q)) for p, q in bids]
                assert book.asks() == [(D(p), D(q)) for p, q in asks]
                matches += 1
            assert matches == 5 and book.resyncs == 0
