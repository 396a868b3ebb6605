"""The streams runtime over real sockets, against the local exchange, with events the test publishes."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from binance_spot_ws import (
    ConnectionClosed,
    MarketStreams,
    ParamError,
    ReconnectPolicy,
    StreamControlError,
    StreamGap,
    TransportError,
    stream_types,
)
from binance_ws.events import ConnectionState
from binance_ws_emulator.stream_hub import HubLimits
from tests.streams._server import StreamServer, trade

FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)


async def until(condition: Any, what: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.001)


async def take(sub: Any, count: int) -> list[Any]:
    return [await asyncio.wait_for(sub.next(), 5) for _ in range(count)]


@pytest.fixture(params=["httpx-ws", "websockets"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_trade_events_decode_typed(transport: str) -> None:
    async with StreamServer() as server, MarketStreams(url=server.url, transport=transport) as streams:  # type: ignore[arg-type]
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        server.publish("btcusdt@trade", trade("BTCUSDT", 7, price="50123.45", qty="0.25"))
        (event,) = await take(trades, 1)
        assert isinstance(event, stream_types.Trade)
        assert (event.symbol, event.trade_id, event.price, event.quantity) == (
            "BTCUSDT",
            7,
            Decimal("50123.45"),
            Decimal("0.25"),
        )
        assert event.is_buyer_maker is False and event.trade_time == 1700000000007


async def test_many_streams_share_one_combined_connection_and_are_routed() -> None:
    async with StreamServer() as server, MarketStreams(url=server.url) as streams:
        btc, eth = streams.trade("BTCUSDT"), streams.trade("ETHUSDT")
        depth = streams.depth("XYZUSDT", levels=5, speed_ms=100)  # a symbol the engine does not trade
        for sub in (btc, eth, depth):
            await sub.ready(5)
        assert server.connections == 1
        assert sorted(server.hub.listeners) == ["btcusdt@trade", "ethusdt@trade", "xyzusdt@depth5@100ms"]
        server.publish("ethusdt@trade", trade("ETHUSDT", 1))
        server.publish("xyzusdt@depth5@100ms", {"lastUpdateId": 9, "bids": [["1.5", "2"]], "asks": [["1.6", "3"]]})
        server.publish("btcusdt@trade", trade("BTCUSDT", 2))
        assert [e.trade_id for e in await take(eth, 1)] == [1]
        assert [e.trade_id for e in await take(btc, 1)] == [2]
        (book,) = await take(depth, 1)
        assert isinstance(book, stream_types.PartialDepth)
        assert (book.last_update_id, book.bids[0].price, book.asks[0].qty) == (9, Decimal("1.5"), Decimal("3"))


async def test_live_subscribe_unsubscribe_and_list() -> None:
    async with StreamServer() as server, MarketStreams(url=server.url) as streams:
        first = streams.trade("BTCUSDT")
        await first.ready(5)
        later = streams.kline("BNBBTC", "1m", timezone="+08:00")  # on the open connection: SUBSCRIBE
        await later.ready(5)
        assert server.opened == 1
        assert await streams.list_subscriptions() == ["bnbbtc@kline_1m@+08:00", "btcusdt@trade"]
        assert server.hub.control_messages >= 2
        await first.unsubscribe()
        assert await streams.list_subscriptions() == ["bnbbtc@kline_1m@+08:00"]
        assert await first.next() is None  # an ended subscription iterates no more
        assert await streams.get_property("combined") is True


async def test_bad_arguments_fail_before_anything_is_sent() -> None:
    async with StreamServer() as server, MarketStreams(url=server.url) as streams:
        with pytest.raises(ParamError, match="'levels'"):
            streams.depth("BTCUSDT", levels=7)  # type: ignore[arg-type]
        with pytest.raises(ParamError, match="'interval'"):
            streams.kline("BTCUSDT", "2m")  # type: ignore[arg-type]
        with pytest.raises(ParamError, match="'symbol'"):
            streams.trade("BTC USDT")
        with pytest.raises(ParamError, match="'speed_ms'"):
            streams.diff_depth("BTCUSDT", speed_ms=True)  # type: ignore[arg-type]
        with pytest.raises(ParamError, match="'buffer'"):
            streams.trade("BTCUSDT", buffer=0)
        await asyncio.sleep(0.05)
        assert server.opened == 0


async def test_a_refused_stream_raises_from_its_iterator() -> None:
    async with StreamServer() as server, MarketStreams(url=server.url) as streams:
        good = streams.trade("BTCUSDT")
        await good.ready(5)
        bad = streams.subscribe_raw("btcusdt@nonsense")
        with pytest.raises(StreamControlError, match="invalid stream name") as refused:
            await bad.next()
        assert refused.value.code == 2
        server.publish("btcusdt@trade", trade("BTCUSDT", 3))
        assert [e.trade_id for e in await take(good, 1)] == [3]  # the connection lives on


async def test_connection_loss_marks_a_gap_and_resubscribes() -> None:
    events: list[ConnectionState] = []
    async with (
        StreamServer() as server,
        MarketStreams(url=server.url, reconnect=FAST, on_connection_event=lambda e: events.append(e.state)) as streams,
    ):
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        server.publish("btcusdt@trade", trade("BTCUSDT", 1))
        await take(trades, 1)
        await server.drop_all()
        await until(lambda: server.opened == 2 and server.hub.wanted("btcusdt@trade"), "reconnected and listening")
        server.publish("btcusdt@trade", trade("BTCUSDT", 5))
        gap, event = await take(trades, 2)
        assert gap == StreamGap("reconnected")
        assert event.trade_id == 5
        assert ConnectionState.RECONNECTING in events


def _handing_over(streams: MarketStreams) -> bool:
    return any(conn.role == "new" for shard in streams._shards for conn in shard.conns)


async def test_rotation_switches_without_loss_or_repeat() -> None:
    async with StreamServer() as server, MarketStreams(url=server.url, handover_timeout=10) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        server.publish("btcusdt@trade", trade("BTCUSDT", 1))
        streams.rotate()
        await until(lambda: _handing_over(streams), "the rotation's handover starts")
        # The old connection is behind: events from before the new one listened still reach it...
        for trade_id in (2, 3, 4):
            server.publish("btcusdt@trade", trade("BTCUSDT", trade_id), only=1)
        # ...then the same events reach both: the new connection's come first here.
        for trade_id in (5, 6, 7):
            server.publish("btcusdt@trade", trade("BTCUSDT", trade_id), only=2)
        for trade_id in (5, 6, 7):
            server.publish("btcusdt@trade", trade("BTCUSDT", trade_id), only=1)
        await until(lambda: server.connections == 1, "the switch is complete: the old connection is closed")
        server.publish("btcusdt@trade", trade("BTCUSDT", 8))
        received = await take(trades, 8)
        assert [e.trade_id for e in received] == list(range(1, 9))  # no gap marker, no repeat


async def test_server_shutdown_notice_moves_to_a_new_connection() -> None:
    async with StreamServer() as server, MarketStreams(url=server.url, handover_timeout=10) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        server.shutdown_notice()
        await until(lambda: server.opened == 2, "a second connection opens")
        server.publish("btcusdt@trade", trade("BTCUSDT", 1))  # on both: proves the overlap
        await until(lambda: server.connections == 1, "the old connection closes")
        server.publish("btcusdt@trade", trade("BTCUSDT", 2))
        assert [e.trade_id for e in await take(trades, 2)] == [1, 2]


async def test_slow_consumer_gets_an_overflow_gap_and_bounded_memory() -> None:
    async with StreamServer() as server, MarketStreams(url=server.url) as streams:
        trades = streams.trade("BTCUSDT", buffer=3)
        await trades.ready(5)
        for trade_id in range(1, 11):
            server.publish("btcusdt@trade", trade("BTCUSDT", trade_id))
        await until(lambda: trades.dropped == 7, "7 events dropped")
        assert trades.queued == 3
        server.publish("btcusdt@trade", trade("BTCUSDT", 11))
        items = await take(trades, 5)
        assert [getattr(i, "trade_id", i) for i in items] == [1, 2, 3, StreamGap("overflow"), 11]


async def test_streams_beyond_the_per_connection_limit_spread_over_connections() -> None:
    async with (
        StreamServer(HubLimits(streams_per_connection=2)) as server,
        MarketStreams(url=server.url, streams_per_connection=2) as streams,
    ):
        subs = [streams.trade(symbol) for symbol in ("AAAUSDT", "BBBUSDT", "CCCUSDT", "DDDUSDT", "EEEUSDT")]
        for sub in subs:
            await sub.ready(5)
        assert server.connections == 3 == streams.connections
        assert all(len(session.streams) <= 2 for session in server.hub.sessions.values())
        assert len(await streams.list_subscriptions()) == 5


async def test_control_messages_stay_under_the_incoming_message_limit() -> None:
    # The server disconnects past 5 incoming messages a second: 12 subscriptions made one by
    # one, each waited for, would be 12 SUBSCRIBE messages in well under a second.
    async with StreamServer() as server, MarketStreams(url=server.url, reconnect=FAST) as streams:
        first = streams.trade("AAAUSDT")
        await first.ready(5)
        for index in range(12):
            await streams.trade(f"S{index}USDT").ready(10)
        assert server.opened == 1  # never cut for going too fast
        assert server.hub.control_messages == 12


async def test_time_unit_goes_into_the_url() -> None:
    async with StreamServer() as server, MarketStreams(url=server.url + "/ws", time_unit="MICROSECOND") as streams:
        assert streams.url == server.url
        with pytest.raises(ParamError, match="time_unit"):
            MarketStreams(url=server.url, time_unit="SECOND")  # type: ignore[arg-type]


async def test_rotation_without_overlap_marks_a_gap_before_the_new_connections_events() -> None:
    async with StreamServer() as server, MarketStreams(url=server.url, handover_timeout=0.3) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        server.publish("btcusdt@trade", trade("BTCUSDT", 1))
        await take(trades, 1)
        streams.rotate()
        await until(lambda: server.opened == 2, "a second connection opens")
        # Only the new connection gets these: the old one never shows the overlap.
        server.publish("btcusdt@trade", trade("BTCUSDT", 3), only=2)
        server.publish("btcusdt@trade", trade("BTCUSDT", 4), only=2)
        gap, *after = await take(trades, 3)
        assert gap == StreamGap("rotation")
        assert [e.trade_id for e in after] == [3, 4]
        server.publish("btcusdt@trade", trade("BTCUSDT", 5))
        assert [e.trade_id for e in await take(trades, 1)] == [5]
        await until(lambda: server.connections == 1, "the old connection closes once the new one has taken over")


async def test_giving_up_reconnecting_ends_the_iterators_with_an_error() -> None:
    server = StreamServer()
    await server.__aenter__()
    give_up = ReconnectPolicy(initial_delay=0.01, max_delay=0.01, max_attempts=2)
    async with MarketStreams(url=server.url, reconnect=give_up) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        await server.__aexit__()  # the server goes away for good
        items = []
        with pytest.raises(ConnectionClosed, match="gave up"):
            while True:
                items.append(await asyncio.wait_for(trades.next(), 10))
        assert items == [StreamGap("reconnected")]


async def test_connection_attempts_stay_within_the_window() -> None:
    from binance_ws.streams import _AttemptWindow

    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    window = _AttemptWindow(clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        await window.acquire(3, 300.0)
    assert slept == []
    now[0] += 10.0
    await window.acquire(3, 300.0)  # the 4th within 5 minutes waits for the 1st to age out
    assert slept == [290.0]


def test_blocking_variant_iterates_the_same_events() -> None:
    from binance_spot_ws import BlockingMarketStreams
    from binance_ws_emulator import Emulator

    with Emulator() as exchange, BlockingMarketStreams(url=exchange.stream_url) as streams:
        with streams.trade("BTCUSDT") as trades:
            trades.ready(5)
            for trade_id in (1, 2):
                exchange.publish_stream("btcusdt@trade", trade("BTCUSDT", trade_id))
            got = [trades.next(timeout=5), trades.next(timeout=5)]
            assert [getattr(e, "trade_id", None) for e in got] == [1, 2]
            assert isinstance(got[0], stream_types.Trade)
            with pytest.raises(TimeoutError):
                trades.next(timeout=0.05)  # nothing lost by the timeout
            exchange.publish_stream("btcusdt@trade", trade("BTCUSDT", 3))
            assert getattr(trades.next(timeout=5), "trade_id", None) == 3
        assert streams.list_subscriptions() == []


async def test_rotation_hands_over_streams_subscribed_beyond_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    import binance_ws.streams

    monkeypatch.setattr(binance_ws.streams, "_URL_BUDGET", 40)  # two names fit in a URL, the rest: SUBSCRIBE
    symbols = ["AAAUSDT", "BBBUSDT", "CCCUSDT", "DDDUSDT", "EEEUSDT"]
    async with StreamServer() as server, MarketStreams(url=server.url, handover_timeout=10) as streams:
        subs = [streams.trade(symbol) for symbol in symbols]
        for sub in subs:
            await sub.ready(5)
        streams.rotate()
        await until(
            lambda: _handing_over(streams) and len(server.hub.sessions.get(2, _NO_SESSION).streams) == 5,
            "the new connection listens to every stream during the handover",
        )
        names = [f"{symbol.lower()}@trade" for symbol in symbols]
        for symbol, name in zip(symbols, names, strict=True):
            server.publish(name, trade(symbol, 1), only=1)  # the old connection is behind
            server.publish(name, trade(symbol, 2))  # then both have it
        await until(lambda: server.connections == 1, "the old connection closes")
        for symbol, name in zip(symbols, names, strict=True):
            server.publish(name, trade(symbol, 3))
        for sub in subs:
            assert [getattr(e, "trade_id", e) for e in await take(sub, 3)] == [1, 2, 3]


class _NoSession:
    streams: list[str] = []  # noqa: RUF012


_NO_SESSION = _NoSession()


async def test_an_event_that_does_not_match_the_spec_becomes_a_gap_in_its_place() -> None:
    async with StreamServer() as server, MarketStreams(url=server.url) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        server.publish("btcusdt@trade", trade("BTCUSDT", 1))
        server.publish("btcusdt@trade", {**trade("BTCUSDT", 2), "t": "not an id"})
        server.publish("btcusdt@trade", trade("BTCUSDT", 3))
        items = await take(trades, 3)
        assert [getattr(i, "trade_id", i) for i in items] == [1, StreamGap("undecodable event"), 3]


async def test_money_that_is_no_number_fails_when_it_is_read() -> None:
    # Money is kept as the wire text and built on read (binance_ws.lazy_money): decoding does
    # not look at it, the read raises a ValidationError naming the field.
    async with StreamServer() as server, MarketStreams(url=server.url) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        server.publish("btcusdt@trade", {**trade("BTCUSDT", 2), "p": "not a price"})
        (item,) = await take(trades, 1)
        assert isinstance(item, stream_types.Trade) and item.trade_id == 2
        assert item.quantity == Decimal(trade("BTCUSDT", 2)["q"])
        with pytest.raises(msgspec.ValidationError, match=r"Trade.price is not a decimal number: 'not a price'"):
            item.price  # noqa: B018


async def test_rotation_before_the_lifetime_ends_loses_nothing() -> None:
    # The server cuts connections at 1 s (Binance: 24 h); the client rotates before that.
    async with StreamServer() as server, MarketStreams(url=server.url, max_lifetime=0.4, handover_timeout=5) as streams:
        server.emulator.max_lifetime = 1.0
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        for trade_id in range(1, 151):
            server.publish("btcusdt@trade", trade("BTCUSDT", trade_id))
            await asyncio.sleep(0.01)
        items = await take(trades, 150)
        assert server.opened >= 3  # rotated at least twice
        assert [getattr(i, "trade_id", i) for i in items] == list(range(1, 151))  # no gap, no repeat


@contextlib.contextmanager
def never_answering_server() -> Iterator[str]:
    """A port that takes connections (the kernel's backlog) and never answers the upgrade."""
    with socket.create_server(("127.0.0.1", 0)) as listening:
        yield f"ws://127.0.0.1:{listening.getsockname()[1]}"


@pytest.mark.parametrize("transport", ["httpx-ws", "websockets", "picows"])
async def test_a_server_that_never_answers_the_upgrade_fails_the_connect_at_the_timeout(transport: str) -> None:
    """The subscription fails with TransportError saying the connect timed out (it said
    'ConnectionClosed: closed': the reason was read after cancelling the connection)."""
    with never_answering_server() as url:
        async with MarketStreams(url=url, timeout=0.3, transport=transport) as streams:  # type: ignore[arg-type]
            trades = streams.trade("BTCUSDT")
            with pytest.raises(TransportError, match="timed out"):
                await trades.ready(10)
            assert streams.connections == 0 and not streams._shards  # pyright: ignore[reportPrivateUsage]


def test_the_blocking_variant_fails_the_connect_at_the_timeout_too() -> None:
    from binance_spot_ws import BlockingMarketStreams

    with never_answering_server() as url, BlockingMarketStreams(url=url, timeout=0.3) as streams:
        trades = streams.trade("BTCUSDT")
        with pytest.raises(TransportError, match="timed out"):
            trades.ready(10)


@pytest.mark.parametrize("transport", ["httpx-ws", "websockets", "picows"])
async def test_frames_reach_the_handler_straight_from_the_transport(
    transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No wrapper in between (a lambda cost one more Python frame per incoming frame)."""
    from binance_ws.streams import StreamsConnection

    handler = StreamsConnection._on_frame  # pyright: ignore[reportPrivateUsage]
    callers: list[str] = []

    def recording(self: StreamsConnection, conn: Any, text: str | bytes) -> None:
        callers.append(sys._getframe(1).f_globals["__name__"])  # pyright: ignore[reportPrivateUsage]
        handler(self, conn, text)

    monkeypatch.setattr(StreamsConnection, "_on_frame", recording)
    async with StreamServer() as server, MarketStreams(url=server.url, transport=transport) as streams:  # type: ignore[arg-type]
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        server.publish("btcusdt@trade", trade("BTCUSDT", 7))
        await take(trades, 1)
    assert callers and all(name.startswith("binance_ws._transport") for name in callers), callers
