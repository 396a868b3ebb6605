"""The market the stream tests move, and the engine's own state every parsed value is checked against.

`Market.move()` places crossing orders over the WebSocket API (this project's client, two accounts
besides the local market maker), so that every stream has something to say:

1. the maker rests a SELL LIMIT inside the spread (a new best ask: a new level);
2. the taker BUYs at market through it and the next ask (two trades, the buyer is the taker);
3. the taker SELLs at market into the best bid (one trade, the buyer is the maker);
4. the maker rests a BUY LIMIT inside the spread (a new best bid, last: the book ticker's `u` is
   the book's update id after the move).

The figures a stream must show are computed here from the engine's trades and book (read on the
exchange's own thread), never taken from the stream code under test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from binance_spot_ws import AsyncClient, HmacKey
from binance_ws_emulator import Emulator

SYMBOL = "BTCUSDT"
STREAM = SYMBOL.lower()
MAKER, TAKER = "stream-maker", "stream-taker"
SECRETS = {account: f"{account}-secret" for account in (MAKER, TAKER)}
KEYS = {account: HmacKey(f"{account}-key", secret) for account, secret in SECRETS.items()}
#: Inside the market maker's spread (its best quotes are a tenth apart around the mid, 50000).
ASK, BID = Decimal("50000.05"), Decimal("49999.95")
WAIT = 5.0  # seconds an event that must come may take (the 2000 ms klines on a loaded machine)

T = TypeVar("T")
Levels = list[tuple[Decimal, Decimal]]


@dataclass(frozen=True)
class Trade:
    id: int
    price: Decimal
    qty: Decimal
    time: int
    buyer_is_maker: bool


@dataclass(frozen=True)
class Candle:
    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    count: int
    first_id: int
    last_id: int


@dataclass(frozen=True)
class Book:
    update_id: int
    bids: Levels  # best (highest) first
    asks: Levels  # best (lowest) first


class Market:
    def __init__(self, exchange: Emulator) -> None:
        self.exchange = exchange
        for account, key in KEYS.items():
            exchange.register_key(key.api_key, "hmac", account=account, secret=SECRETS[account])
            exchange.deposit(account, "USDT", "10000")
            exchange.deposit(account, "BTC", "1")
        self.first_trade = self.last_trade_id() + 1  # the trades the move makes start here

    def _read(self, func: Callable[[], T]) -> T:
        result: T = self.exchange.call(func)
        return result

    async def move(self) -> None:
        """The four orders above; returns once the engine has them all."""
        async with (
            AsyncClient(url=self.exchange.url, key=KEYS[MAKER], timeout=5) as maker,
            AsyncClient(url=self.exchange.url, key=KEYS[TAKER], timeout=5) as taker,
        ):
            common: dict[str, Any] = {"symbol": SYMBOL, "time_in_force": "GTC", "type": "LIMIT"}
            await maker.order_place(side="SELL", price=ASK, quantity=Decimal("0.003"), **common)
            bought = await taker.order_place(symbol=SYMBOL, side="BUY", type="MARKET", quantity=Decimal("0.005"))
            sold = await taker.order_place(symbol=SYMBOL, side="SELL", type="MARKET", quantity=Decimal("0.004"))
            await maker.order_place(side="BUY", price=BID, quantity=Decimal("0.002"), **common)
        assert bought.status == sold.status == "FILLED" and len(bought.fills) == 2, (bought, sold)

    async def listening(self, *streams: str) -> None:
        """Wait until the exchange has a listener on each stream (so the move is seen)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while not all(self._read(lambda s=s: self.exchange.streams.wanted(s)) for s in streams):  # type: ignore[misc]
            assert loop.time() < deadline, f"nobody subscribed to {streams} within {WAIT} s"
            await asyncio.sleep(0.02)

    # -- the engine's state ----------------------------------------------------------------

    def last_trade_id(self) -> int:
        return self._read(lambda: self.exchange.exchange.books[SYMBOL].last_trade_id())

    def trades(self, since_id: int = 0) -> list[Trade]:
        def read() -> list[Trade]:
            book = self.exchange.exchange.books[SYMBOL]
            return [
                Trade(t.trade_id, t.price, t.qty, t.time_ms, t.is_buyer_maker)
                for t in book.trades
                if t.trade_id >= since_id
            ]

        return self._read(read)

    def moved(self) -> list[Trade]:
        """The move's three trades, oldest first."""
        made = self.trades(self.first_trade)
        assert len(made) == 3, made
        return made

    def book(self, depth: int | None = None) -> Book:
        def read() -> Book:
            book = self.exchange.exchange.books[SYMBOL]
            bids, asks = book.depth(depth or 1_000_000)
            return Book(
                book.update_id,
                [(Decimal(p), Decimal(q)) for p, q in bids],
                [(Decimal(p), Decimal(q)) for p, q in asks],
            )

        return self._read(read)

    def candle(self, open_time: int, width_ms: int = 60_000) -> Candle:
        """The kline from the engine's trades in [open_time, open_time + width)."""
        trades = [t for t in self.trades() if open_time <= t.time < open_time + width_ms]
        assert trades, f"no trade in the kline opening at {open_time}"
        prices = [t.price for t in trades]
        return Candle(
            open_time,
            prices[0],
            max(prices),
            min(prices),
            prices[-1],
            sum((t.qty for t in trades), Decimal(0)),
            sum((t.qty * t.price for t in trades), Decimal(0)),
            len(trades),
            trades[0].id,
            trades[-1].id,
        )

    def day(self, now_ms: int) -> Candle:
        """The 24-hour rolling figures of a ticker sent at `now_ms`."""
        return self.candle(now_ms - 86_400_000, 86_400_001)


async def until(receive: Callable[[], Any], done: Callable[[Any], bool], what: str) -> Any:
    """Read events with `receive()` (a coroutine function) until one satisfies `done`; that one."""
    seen: list[Any] = []

    async def read() -> Any:
        while True:
            event = await receive()
            seen.append(event)
            if done(event):
                return event

    try:
        return await asyncio.wait_for(read(), WAIT)
    except TimeoutError:
        raise AssertionError(f"no {what} within {WAIT} s; the last events: {seen[-3:]}") from None


def as_levels(rows: Any) -> Levels:
    return [(Decimal(str(p)), Decimal(str(q))) for p, q, *_ in rows]


def applied(book: Book, events: list[tuple[int, int, Levels, Levels]]) -> Book:
    """`book` with diff events (U, u, bids, asks) applied by the documented procedure, checking
    that their update ids follow on from it."""
    bids, asks, update_id = dict(book.bids), dict(book.asks), book.update_id
    for first, last, new_bids, new_asks in events:
        if last <= update_id:
            continue
        assert first <= update_id + 1 <= last, f"event [{first}; {last}] after update id {update_id}: missed events"
        for side, levels in ((bids, new_bids), (asks, new_asks)):
            for price, qty in levels:
                if qty:
                    side[price] = qty
                else:
                    side.pop(price, None)
        update_id = last
    return Book(update_id, sorted(bids.items(), reverse=True), sorted(asks.items()))
