"""python-binance 1.0.x: its market-data sockets (`BinanceSocketManager`) and `DepthCacheManager` on the local exchange.

The socket manager builds every stream URL from `STREAM_URL` (raw: `ws/<stream>`, combined:
`stream?streams=...`), set here to the local exchange's stream base; `DepthCacheManager` takes its
snapshot from REST `GET /api/v3/depth` at `client.API_URL`, set to the local exchange's REST base.
Each test subscribes, moves the market (market.py) and checks what the client delivers against the
engine's trades and book. python-binance hands events over as the decoded JSON (dicts).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from binance import AsyncClient, BinanceSocketManager, DepthCacheManager
from market import ASK, BID, STREAM, SYMBOL, Market, as_levels, until

from binance_ws_emulator import Emulator

D = Decimal


@pytest.fixture
def market(exchange: Emulator) -> Market:
    return Market(exchange)


@pytest.fixture
async def manager(exchange: Emulator) -> AsyncIterator[BinanceSocketManager]:
    client = AsyncClient()  # no create(): it pings REST
    client.API_URL = exchange.rest_url + "/api"
    sockets = BinanceSocketManager(client)
    sockets.STREAM_URL = exchange.stream_url + "/"
    yield sockets
    await client.close_connection()


@contextlib.asynccontextmanager
async def opened(exchange: Emulator, *sockets: Any) -> AsyncIterator[None]:
    """The sockets open; on leaving, closed as the fixture in test_python_binance.py closes its client."""
    for socket in sockets:
        await socket.__aenter__()
    try:
        yield
    finally:
        # Its read loop notices a close only between 10-second receive timeouts (or at the next event);
        # ending the server's side once the close has begun lets it finish at once.
        closing = asyncio.gather(*(socket.__aexit__(None, None, None) for socket in sockets))
        await asyncio.sleep(0.05)
        exchange.close_connections(1000, "test over")
        await closing


def trade_fields(event: dict[str, Any]) -> tuple[int, D, D, int, bool]:
    return event["t"], D(event["p"]), D(event["q"]), event["T"], event["m"]


async def test_trade_and_agg_trade_sockets(market: Market, manager: BinanceSocketManager) -> None:
    trades, aggs = manager.trade_socket(SYMBOL), manager.aggtrade_socket(SYMBOL)
    async with opened(market.exchange, trades, aggs):
        await market.listening(f"{STREAM}@trade", f"{STREAM}@aggTrade")
        await market.move()
        made = market.moved()
        got = [await until(trades.recv, lambda e: e["e"] == "trade", "trade") for _ in made]
        agg = [await until(aggs.recv, lambda e: e["e"] == "aggTrade", "aggTrade") for _ in range(3)]
    assert [trade_fields(e) for e in got] == [(t.id, t.price, t.qty, t.time, t.buyer_is_maker) for t in made]
    assert all(e["s"] == SYMBOL for e in got + agg), got + agg
    # One aggregate per price a taker took (the two BUY fills are at two prices): each spans one trade.
    assert [(e["a"], e["f"], e["l"], D(e["p"]), D(e["q"]), e["m"]) for e in agg] == [
        (t.id, t.id, t.id, t.price, t.qty, t.buyer_is_maker) for t in made
    ]


async def test_kline_and_ticker_sockets(market: Market, manager: BinanceSocketManager) -> None:
    kline, ticker, mini = (
        manager.kline_socket(SYMBOL, AsyncClient.KLINE_INTERVAL_1MINUTE),
        manager.symbol_ticker_socket(SYMBOL),
        manager.symbol_miniticker_socket(SYMBOL),
    )
    async with opened(market.exchange, kline, ticker, mini):
        await market.listening(f"{STREAM}@kline_1m", f"{STREAM}@ticker", f"{STREAM}@miniTicker")
        await market.move()
        last = market.moved()[-1].id
        final = market.moved()[-1]

        def with_move(event: dict[str, Any]) -> bool:
            return bool(event["E"] >= final.time and D(event["c"]) == final.price)

        candle_event = await until(kline.recv, lambda e: e["k"]["L"] == last, "kline with the move")
        ticker_event = await until(ticker.recv, lambda e: e["L"] == last, "ticker with the move")
        mini_event = await until(mini.recv, with_move, "mini ticker after the move")
    k = candle_event["k"]
    candle = market.candle(k["t"])
    closed = candle_event["E"] > k["T"]  # the move can end a minute: that kline then comes closed
    assert (k["s"], k["i"], k["T"], k["x"]) == (SYMBOL, "1m", k["t"] + 59_999, closed), k
    assert (D(k["o"]), D(k["h"]), D(k["l"]), D(k["c"]), D(k["v"]), D(k["q"])) == (
        candle.open,
        candle.high,
        candle.low,
        candle.close,
        candle.volume,
        candle.quote_volume,
    ), k
    assert (k["n"], k["f"], k["L"]) == (candle.count, candle.first_id, candle.last_id), k
    day, book = market.day(ticker_event["C"]), market.book(1)
    t = ticker_event
    assert (D(t["o"]), D(t["h"]), D(t["l"]), D(t["c"]), D(t["v"]), D(t["q"])) == (
        day.open,
        day.high,
        day.low,
        day.close,
        day.volume,
        day.quote_volume,
    ), t
    assert (t["n"], t["F"], t["L"], D(t["p"]), D(t["Q"])) == (
        day.count,
        day.first_id,
        day.last_id,
        day.close - day.open,
        market.moved()[-1].qty,
    ), t
    assert (D(t["b"]), D(t["B"]), D(t["a"]), D(t["A"])) == (*book.bids[0], *book.asks[0]), (t, book)
    assert D(t["w"]) == (day.quote_volume / day.volume).quantize(D("0.00000001")), t  # quote volume / volume
    day = market.day(mini_event["E"])
    assert (D(mini_event["o"]), D(mini_event["h"]), D(mini_event["l"]), D(mini_event["v"])) == (
        day.open,
        day.high,
        day.low,
        day.volume,
    ), mini_event


async def test_book_ticker_and_partial_depth_sockets(market: Market, manager: BinanceSocketManager) -> None:
    best, top = manager.symbol_book_ticker_socket(SYMBOL), manager.depth_socket(SYMBOL, depth="5", interval=100)
    async with opened(market.exchange, best, top):
        await market.listening(f"{STREAM}@bookTicker", f"{STREAM}@depth5@100ms")
        await market.move()
        book = market.book()
        quoted = await until(best.recv, lambda e: e["u"] == book.update_id, "book ticker after the move")
        levels = await until(top.recv, lambda e: e["lastUpdateId"] == book.update_id, "partial depth after the move")
    assert (quoted["s"], D(quoted["b"]), D(quoted["B"]), D(quoted["a"]), D(quoted["A"])) == (
        SYMBOL,
        *book.bids[0],
        *book.asks[0],
    ), quoted
    assert (as_levels(levels["bids"]), as_levels(levels["asks"])) == (book.bids[:5], book.asks[:5]), levels


async def test_multiplex_socket_wraps_each_event_with_its_stream(market: Market, manager: BinanceSocketManager) -> None:
    names = [f"{STREAM}@trade", f"{STREAM}@depth@100ms"]
    combined = manager.multiplex_socket(names)
    async with opened(market.exchange, combined):
        await market.listening(*names)
        await market.move()
        made, book = market.moved(), market.book()
        events: list[dict[str, Any]] = []
        await until(
            combined.recv,
            lambda e: events.append(e) or (e["stream"] == names[1] and e["data"]["u"] == book.update_id),
            "the diff after the move",
        )
    trades = [e["data"] for e in events if e["stream"] == names[0]]
    assert [trade_fields(e) for e in trades] == [(t.id, t.price, t.qty, t.time, t.buyer_is_maker) for t in made]
    diffs = [e["data"] for e in events if e["stream"] == names[1]]
    assert all(d["e"] == "depthUpdate" and d["s"] == SYMBOL for d in diffs), diffs
    assert all(b["U"] == a["u"] + 1 for a, b in itertools.pairwise(diffs)), diffs  # no update id skipped
    changed = {D(p): D(q) for d in diffs for p, q in d["b"] + d["a"]}  # the newest quantity of each level
    assert changed[BID] == D("0.002") and changed[ASK] == 0  # the maker's resting bid; its ask was taken


async def test_depth_cache_manager_equals_the_exchanges_book(market: Market, manager: BinanceSocketManager) -> None:
    """Its REST snapshot (`GET /api/v3/depth`), then the diffs: the engine's whole book."""
    cache = DepthCacheManager(manager._client, SYMBOL, bm=manager, limit=1000, ws_interval=100)
    async with opened(market.exchange, cache):
        await market.listening(f"{STREAM}@depth@100ms")
        assert market.exchange.requests["GET /api/v3/depth"] >= 1  # its snapshot came from REST
        await market.move()
        book = market.book()
        expected = ([[float(p), float(q)] for p, q in book.bids], [[float(p), float(q)] for p, q in book.asks])
        await until(cache.recv, lambda c: (c.get_bids(), c.get_asks()) == expected, "the engine's book in the cache")


RETIRED = {
    "miniticker_socket": (
        "!miniTicker@arr@1000ms",
        "python-binance names the all-market mini tickers stream `!miniTicker@arr@1000ms`; the docs name it "
        "`!miniTicker@arr` (no speed suffix), so Binance treats it as an unknown name: the connection opens, silent",
    ),
    "ticker_socket": (
        "!ticker@arr",
        "python-binance's ticker_socket uses `!ticker@arr`, retired on 2026-03-26 (changelog 2025-12-02; use "
        "<symbol>@ticker or !miniTicker@arr): the connection opens and nothing comes",
    ),
    "book_ticker_socket": (
        "!bookTicker",
        "python-binance's book_ticker_socket uses `!bookTicker`, removed in December 2022 (changelog; use "
        "<symbol>@bookTicker): the connection opens and nothing comes",
    ),
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=r))
        for name, (_, r) in RETIRED.items()
    ],
)
async def test_all_market_sockets(exchange: Emulator, manager: BinanceSocketManager, name: str) -> None:
    """The stream each all-market socket names is one the exchange serves (checked on the exchange, not by waiting)."""
    stream = RETIRED[name][0]
    async with opened(exchange, socket := getattr(manager, name)()):
        assert socket is not None
        listened = exchange.call(lambda: [s.streams for s in exchange.streams.sessions.values()])
        assert listened == [[stream]], listened
