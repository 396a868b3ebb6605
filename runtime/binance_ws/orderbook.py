"""A local order book kept from the diff-depth stream, exactly as Binance documents it.

The procedure ("How to manage a local order book correctly", web-socket-streams.md):

1. listen to `<symbol>@depth` and buffer its events, noting `U` of the first one;
2. take a depth snapshot (here: the WebSocket API `depth` method);
3. if the snapshot's `lastUpdateId` is below that first `U`, take another snapshot;
4. drop buffered events with `u <= lastUpdateId`;
5. start from the snapshot (its update id is `lastUpdateId`), then apply the buffered
   events and every later one: ignore an event whose `u` is below the book's update id;
   if its `U` is above the book's update id + 1, events were missed: start again from 1;
   otherwise set each level's quantity (0 removes the level) and take `u` as the update id.

`BookSync` is that procedure with no I/O (fed events and snapshots, it says what
happened); `OrderBook` drives it from a stream subscription and an API client, and
also starts again on any `StreamGap` (reconnect, rotation without overlap, overflow).
Starting again, the event that showed the gap is the first one buffered (step 1).
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, Protocol

from .errors import ParamError
from .events import StreamGap
from .stream_wire import stream_symbol
from .subscription import Subscription

log = logging.getLogger("binance_ws.orderbook")


class Level(Protocol):
    @property
    def price(self) -> Decimal: ...
    @property
    def qty(self) -> Decimal: ...


class Snapshot(Protocol):
    """What the API's `depth` returns."""

    @property
    def last_update_id(self) -> int: ...
    @property
    def bids(self) -> Sequence[Level]: ...
    @property
    def asks(self) -> Sequence[Level]: ...


class Diff(Protocol):
    """What the diff-depth stream delivers."""

    @property
    def first_update_id(self) -> int: ...
    @property
    def final_update_id(self) -> int: ...
    @property
    def bids(self) -> Sequence[Level]: ...
    @property
    def asks(self) -> Sequence[Level]: ...


class DepthClient(Protocol):
    def depth(self, *, symbol: str, limit: int) -> Awaitable[Snapshot]: ...


class DiffDepthStreams(Protocol):
    def diff_depth(
        self, symbol: str, *, speed_ms: Literal[1000, 100] = ..., buffer: int | None = ...
    ) -> Subscription[Any]: ...


class _Side:
    """Price -> quantity, with the prices kept sorted (ascending)."""

    def __init__(self, descending: bool) -> None:
        self.descending = descending
        self.qty: dict[Decimal, Decimal] = {}
        self.prices: list[Decimal] = []

    def set(self, price: Decimal, qty: Decimal) -> None:
        if qty == 0:
            if self.qty.pop(price, None) is not None:
                del self.prices[bisect.bisect_left(self.prices, price)]
        else:
            if price not in self.qty:
                bisect.insort(self.prices, price)
            self.qty[price] = qty

    def levels(self, depth: int | None = None) -> list[tuple[Decimal, Decimal]]:
        prices = reversed(self.prices) if self.descending else iter(self.prices)
        out: list[tuple[Decimal, Decimal]] = []
        for price in prices:
            if depth is not None and len(out) >= depth:
                break
            out.append((price, self.qty[price]))
        return out

    def best(self) -> tuple[Decimal, Decimal] | None:
        if not self.prices:
            return None
        price = self.prices[-1] if self.descending else self.prices[0]
        return price, self.qty[price]

    def clear(self) -> None:
        self.qty.clear()
        self.prices.clear()


Outcome = Literal["buffered", "applied", "stale", "gap", "retry", "synced"]


class BookSync:
    """The documented procedure with no I/O. `update_id` is None until synced."""

    def __init__(self) -> None:
        self.bids = _Side(descending=True)
        self.asks = _Side(descending=False)
        self.update_id: int | None = None
        self.buffer: list[Diff] = []

    @property
    def first_buffered(self) -> int | None:
        """`U` of the first buffered event (step 1), once there is one."""
        return self.buffer[0].first_update_id if self.buffer else None

    def on_event(self, event: Diff) -> Outcome:
        """Buffer the event (not synced yet) or apply it (update procedure)."""
        if self.update_id is None:
            self.buffer.append(event)
            return "buffered"
        return self._apply(event)

    def on_snapshot(self, snapshot: Snapshot) -> Outcome:
        """Steps 3 to 5: "retry" (take another snapshot), "synced", or "gap" (start again)."""
        first = self.first_buffered
        if first is None:
            raise RuntimeError("a snapshot before any buffered event (step 1 comes first)")
        if snapshot.last_update_id < first:
            return "retry"
        self.bids.clear()
        self.asks.clear()
        for level in snapshot.bids:
            self.bids.set(level.price, level.qty)
        for level in snapshot.asks:
            self.asks.set(level.price, level.qty)
        self.update_id = snapshot.last_update_id
        pending = [event for event in self.buffer if event.final_update_id > snapshot.last_update_id]
        self.buffer.clear()
        for index, event in enumerate(pending):
            if self._apply(event) == "gap":
                # Start again from the beginning: the events from this one on are the new buffer.
                self.reset()
                self.buffer.extend(pending[index:])
                return "gap"
        return "synced"

    def _apply(self, event: Diff) -> Outcome:
        assert self.update_id is not None
        if event.final_update_id < self.update_id:
            return "stale"
        if event.first_update_id > self.update_id + 1:
            return "gap"
        for level in event.bids:
            self.bids.set(level.price, level.qty)
        for level in event.asks:
            self.asks.set(level.price, level.qty)
        self.update_id = event.final_update_id
        return "applied"

    def reset(self) -> None:
        """Discard the book and the buffer: the procedure starts again from step 1."""
        self.bids.clear()
        self.asks.clear()
        self.update_id = None
        self.buffer.clear()


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """The book changed: the levels set (quantity 0: removed), and its update id after."""

    update_id: int
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]
    snapshot: bool = False  # True: the book was (re)built from a snapshot; levels are the whole book


class OrderBook:
    """A local order book for one symbol, kept in sync from the diff-depth stream.

    async with MarketStreams(url=...) as streams, AsyncClient(url=...) as client:
        async with OrderBook(streams, client, "BTCUSDT") as book:
            await book.synced()
            print(book.best_bid(), book.best_ask())
            async for update in book.updates():  # BookUpdate, or StreamGap before a resync
                ...

    Args:
        streams: a `MarketStreams` (its `diff_depth` stream feeds the book).
        client: an `AsyncClient` (its `depth` method gives the snapshots).
        symbol: the symbol, e.g. "BTCUSDT".
        limit: levels per side in each snapshot (Binance: up to 5000; weight grows with it).
        speed_ms: 100 or 1000, the diff stream's update speed.
        buffer: diff events kept while a snapshot is fetched or the consumer is slow.
        updates_buffer: `BookUpdate`s kept for a slow `updates()` consumer; past that
            a `StreamGap("overflow")` replaces them (the book itself stays exact).
    """

    def __init__(
        self,
        streams: DiffDepthStreams,
        client: DepthClient,
        symbol: str,
        *,
        limit: int = 1000,
        speed_ms: Literal[1000, 100] = 100,
        buffer: int | None = None,
        updates_buffer: int = 1000,
    ) -> None:
        stream_symbol("OrderBook", "symbol", symbol)
        if not isinstance(limit, int) or not 1 <= limit <= 5000:  # pyright: ignore[reportUnnecessaryIsInstance]  # checked at run time for callers without a type checker
            raise ParamError("OrderBook", "limit", f"expected 1 to 5000, got {limit!r}")
        self.symbol = symbol.upper()
        self.limit = limit
        self.resyncs = 0  # times the book started again after it was synced
        self._streams = streams
        self._client = client
        self._speed_ms: Literal[1000, 100] = speed_ms
        self._buffer = buffer
        self._sync = BookSync()
        self._sub: Subscription[Any] | None = None
        self._task: asyncio.Task[None] | None = None
        self._synced = asyncio.Event()
        self._updates: collections.deque[BookUpdate | StreamGap] = collections.deque()
        self._updates_max = updates_buffer
        self._updates_overflowed = False
        self._updates_wakeup = asyncio.Event()
        self._closed = False
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        return f"OrderBook({self.symbol!r}, update_id={self.update_id}, bid={self.best_bid()}, ask={self.best_ask()})"

    # -- reading ---------------------------------------------------------------------------

    @property
    def update_id(self) -> int | None:
        """The update id the book is at; None while (re)syncing."""
        return self._sync.update_id

    @property
    def is_synced(self) -> bool:
        return self._sync.update_id is not None

    def best_bid(self) -> tuple[Decimal, Decimal] | None:
        """(price, quantity) of the best bid; None if the side is empty or not synced."""
        return self._sync.bids.best() if self.is_synced else None

    def best_ask(self) -> tuple[Decimal, Decimal] | None:
        return self._sync.asks.best() if self.is_synced else None

    def bids(self, depth: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Bid levels, best (highest) first; empty while not synced."""
        return self._sync.bids.levels(depth) if self.is_synced else []

    def asks(self, depth: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Ask levels, best (lowest) first; empty while not synced."""
        return self._sync.asks.levels(depth) if self.is_synced else []

    async def synced(self, timeout: float | None = None) -> None:
        """Wait until the book is in sync (again)."""
        while not self.is_synced:
            if self._error is not None:
                raise self._error
            if self._closed:
                raise RuntimeError("the order book is closed")
            self._synced.clear()
            await asyncio.wait_for(self._synced.wait(), timeout)

    async def updates(self) -> AsyncIterator[BookUpdate | StreamGap]:
        """Every change in order: a `BookUpdate` per event, a `StreamGap` before each resync."""
        while (item := await self.next_update()) is not None:
            yield item

    async def next_update(self) -> BookUpdate | StreamGap | None:
        """The next item `updates()` would yield; None once the book is closed. Cancelling it
        (a timeout) loses nothing: the item stays for the next call."""
        while not self._updates:
            if self._error is not None:
                raise self._error
            if self._closed:
                return None
            self._updates_wakeup.clear()
            await self._updates_wakeup.wait()
        return self._updates.popleft()

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> OrderBook:
        self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def start(self) -> None:
        """Subscribe and start keeping the book (returns at once; see `synced()`)."""
        if self._task is None:
            self._sub = self._streams.diff_depth(self.symbol, speed_ms=self._speed_ms, buffer=self._buffer)
            self._task = asyncio.create_task(self._run(self._sub), name=f"binance-orderbook-{self.symbol}")

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._sub is not None:
            await self._sub.unsubscribe()
        self._synced.set()
        self._updates_wakeup.set()

    # -- the procedure ---------------------------------------------------------------------

    async def _run(self, sub: Subscription[Any]) -> None:
        try:
            async for item in sub:
                if isinstance(item, StreamGap):
                    self._restart(f"stream gap: {item.reason}")
                    continue
                outcome = self._sync.on_event(item)
                if outcome == "gap":
                    self._restart("update ids not continuous")
                    outcome = self._sync.on_event(item)  # from the beginning: the first buffered event
                if outcome == "buffered" and len(self._sync.buffer) == 1:
                    await self._snapshot()
                elif outcome == "applied":
                    self._publish(BookUpdate(item.final_update_id, _levels(item.bids), _levels(item.asks)))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._error = exc
            self._synced.set()
            self._updates_wakeup.set()
            raise

    async def _snapshot(self) -> None:
        """Steps 2 to 5: snapshots until one is not older than the first buffered event and
        the buffered events follow it (a gap among them: start again with them buffered)."""
        delay = 0.05
        while True:
            try:
                snapshot = await self._client.depth(symbol=self.symbol, limit=self.limit)
            except (OSError, ConnectionError, TimeoutError) as exc:  # transport trouble: try again
                log.warning("%s: depth snapshot failed (%s); retrying", self.symbol, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            outcome = self._sync.on_snapshot(snapshot)
            if outcome == "retry":
                log.info("%s: snapshot %d older than the stream; taking another", self.symbol, snapshot.last_update_id)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if outcome == "gap":
                log.warning("%s: buffered events skip update ids; starting again", self.symbol)
                self._publish(StreamGap("update ids not continuous"))
                continue
            assert self._sync.update_id is not None
            self._publish(BookUpdate(self._sync.update_id, tuple(self.bids()), tuple(self.asks()), snapshot=True))
            self._synced.set()
            return

    def _restart(self, reason: str) -> None:
        log.warning("%s: order book out of sync (%s); resyncing", self.symbol, reason)
        if self._sync.update_id is not None:
            self.resyncs += 1
        self._sync.reset()
        self._publish(StreamGap(reason))

    def _publish(self, item: BookUpdate | StreamGap) -> None:
        if len(self._updates) >= self._updates_max:
            self._updates_overflowed = True
            return
        if self._updates_overflowed:
            self._updates_overflowed = False
            self._updates.append(StreamGap("overflow"))
        self._updates.append(item)
        self._updates_wakeup.set()


def _levels(levels: Sequence[Level]) -> tuple[tuple[Decimal, Decimal], ...]:
    return tuple((level.price, level.qty) for level in levels)
