"""ccxt 4.5.x (`ccxt.pro.binance`): its spot market-data watchers on the local exchange.

Its spot stream URL (`urls['api']['ws']['spot']`) is the local exchange's `/ws`: ccxt opens
`/ws/0`, `/ws/1`, ... and subscribes with SUBSCRIBE control messages (UNSUBSCRIBE for `un_watch_*`).
`watch_order_book` takes its snapshot from REST `GET /api/v3/depth` at `urls['api']['public']`,
the local exchange's REST base. Markets come from the local `exchangeInfo`, as in test_ccxt.py.
Results are ccxt's unified structures (floats), checked against the engine after the move (market.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import ccxt.pro
import pytest
from market import ASK, BID, STREAM, Market, until
from test_ccxt import MARKET, exchange_info

from binance_ws_emulator import Emulator


@pytest.fixture
def market(exchange: Emulator) -> Market:
    return Market(exchange)


@pytest.fixture
async def client(exchange: Emulator) -> AsyncIterator[Any]:
    watcher = ccxt.pro.binance({"options": {"fetchMarkets": {"types": ["spot"]}, "fetchMargins": False}})
    watcher.urls["api"]["ws"]["spot"] = exchange.stream_url + "/ws"
    watcher.urls["api"]["public"] = exchange.rest_url + "/api/v3"  # the order book snapshot
    watcher.has["fetchCurrencies"] = False  # a private REST call on Binance
    info = await exchange_info(exchange.url)

    async def local_exchange_info(params: Any = None) -> Any:
        return info

    watcher.publicGetExchangeInfo = local_exchange_info
    await watcher.load_markets()
    yield watcher
    await watcher.close()


def floats(levels: list[tuple[Any, Any]]) -> list[list[float]]:
    return [[float(price), float(qty)] for price, qty in levels]


async def test_watch_trades(market: Market, client: Any) -> None:
    """`watch_trades` returns at the first trade of a burst (the rest come with the next call, after a
    later trade): all three are then in its trade cache (`client.trades`), each parsed."""
    first = await _started(client.watch_trades(MARKET), market, f"{STREAM}@trade")
    await market.move()
    made = market.moved()
    assert (await until(lambda: first, lambda batch: True, "trades"))[0]["id"] == str(made[0].id)

    async def cached() -> list[Any]:
        await asyncio.sleep(0.02)
        return list(client.trades[MARKET])

    trades = await until(cached, lambda got: len(got) == len(made), "all the trades in its cache")
    assert [(t["id"], t["price"], t["amount"], t["timestamp"], t["side"], t["symbol"]) for t in trades] == [
        (str(t.id), float(t.price), float(t.qty), t.time, "sell" if t.buyer_is_maker else "buy", MARKET) for t in made
    ]


async def test_watch_ticker(market: Market, client: Any) -> None:
    """The default is the mini ticker; `name: ticker` the full one (best bid and ask too)."""
    mini = await _started(client.watch_ticker(MARKET), market, f"{STREAM}@miniTicker")
    full = await _started(client.watch_ticker(MARKET, {"name": "ticker"}), market, f"{STREAM}@ticker")
    await market.move()
    last = market.moved()[-1]
    with_move = lambda t: t["last"] == float(last.price) and t["info"]["E"] >= last.time  # noqa: E731
    mini_ticker = await until(lambda: mini, lambda t: True, "mini ticker")
    if not with_move(mini_ticker):
        mini_ticker = await until(lambda: client.watch_ticker(MARKET), with_move, "mini ticker with the move")
    ticker = await until(lambda: full, lambda t: True, "ticker")
    if not with_move(ticker):
        ticker = await until(lambda: client.watch_ticker(MARKET, {"name": "ticker"}), with_move, "ticker with the move")
    for unified in (mini_ticker, ticker):
        day = market.day(unified["info"]["E"] if "C" not in unified["info"] else unified["info"]["C"])
        assert (unified["symbol"], unified["open"], unified["high"], unified["low"], unified["close"]) == (
            MARKET,
            float(day.open),
            float(day.high),
            float(day.low),
            float(day.close),
        ), unified
        assert (unified["baseVolume"], unified["quoteVolume"]) == (float(day.volume), float(day.quote_volume)), unified
    book = market.book(1)
    assert (ticker["bid"], ticker["bidVolume"], ticker["ask"], ticker["askVolume"]) == tuple(
        floats(book.bids)[0] + floats(book.asks)[0]
    ), ticker
    assert ticker["timestamp"] == ticker["info"]["C"] and ticker["change"] == float(day.close - day.open), ticker


async def test_watch_ohlcv(market: Market, client: Any) -> None:
    first = await _started(client.watch_ohlcv(MARKET, "1m"), market, f"{STREAM}@kline_1m")
    await market.move()
    last = market.moved()[-1]
    candle = market.candle(last.time - last.time % 60_000)
    expected = [
        candle.open_time,
        *(float(v) for v in (candle.open, candle.high, candle.low, candle.close, candle.volume)),
    ]
    rows = await until(lambda: first, lambda rows: True, "klines")
    if expected not in rows:  # the move can end a minute: that kline then comes closed, before the next
        rows = await until(lambda: client.watch_ohlcv(MARKET, "1m"), lambda rows: expected in rows, "the kline")
    assert [row for row in rows if row[0] == candle.open_time] == [expected], rows


async def test_watch_bids_asks(market: Market, client: Any) -> None:
    first = await _started(client.watch_bids_asks([MARKET]), market, f"{STREAM}@bookTicker")
    await market.move()
    book = market.book(1)
    expected = tuple(floats(book.bids)[0] + floats(book.asks)[0])

    def best(tickers: Any) -> tuple[Any, ...]:
        t = tickers[MARKET]
        return t["bid"], t["bidVolume"], t["ask"], t["askVolume"]

    tickers = await until(lambda: first, lambda t: True, "bids and asks")
    if best(tickers) != expected:
        tickers = await until(lambda: client.watch_bids_asks([MARKET]), lambda t: best(t) == expected, "the best")
    assert best(tickers) == expected and tickers[MARKET]["info"]["u"] == book.update_id


async def test_watch_order_book_equals_the_exchanges_book(exchange: Emulator, market: Market, client: Any) -> None:
    """Diff events buffered, its REST snapshot, the events applied: the engine's whole book, at its update id."""
    first = await _started(client.watch_order_book(MARKET), market, f"{STREAM}@depth@100ms")
    await until(lambda: first, lambda book: True, "the first order book")
    assert exchange.requests["GET /api/v3/depth"] == 1
    await market.move()
    book = market.book()
    local = await until(lambda: client.watch_order_book(MARKET), lambda b: b["nonce"] == book.update_id, "the book")
    assert (local["symbol"], local["bids"], local["asks"]) == (MARKET, floats(book.bids), floats(book.asks))
    assert [float(BID), 0.002] in local["bids"] and float(ASK) not in [price for price, _ in local["asks"]]


async def test_un_watch_unsubscribes(market: Market, client: Any) -> None:
    """`un_watch_trades` sends UNSUBSCRIBE on the connection `watch_trades` subscribed on."""
    watching = await _started(client.watch_trades(MARKET), market, f"{STREAM}@trade")
    await client.un_watch_trades(MARKET)
    assert not market.exchange.call(lambda: market.exchange.streams.wanted(f"{STREAM}@trade"))
    watching.cancel()


async def _started(watch: Any, market: Market, stream: str) -> Any:
    """Start a ccxt watch (a coroutine that returns at the first update) and wait until the exchange
    has its subscription; the running future."""
    future = asyncio.ensure_future(watch)
    await market.listening(stream)
    return future
