# pyright: reportPrivateUsage=false
# (the stream classes of these modules work as one unit: connections push into subscriptions.)
"""The blocking shell of the market-data streams: a `StreamsConnection` (and an `OrderBook`) on a private loop thread.

As for the blocking API client, the one asyncio implementation runs in a background
thread, so blocking users get the same reconnect, rotation and gap behaviour.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Coroutine, Iterator
from decimal import Decimal
from types import TracebackType
from typing import Any, Generic, Literal, Protocol, TypeVar, cast

from .errors import ParamError
from .events import StreamGap
from .orderbook import BookUpdate, DiffDepthStreams, OrderBook, Snapshot
from .streams import StreamsConnection
from .subscription import Subscription

T = TypeVar("T")
E = TypeVar("E")


class _LoopThread:
    """An event loop in a daemon thread, and a way to run coroutines on it and wait."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="binance-streams-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        done: queue.SimpleQueue[asyncio.Task[T]] = queue.SimpleQueue()
        started: list[asyncio.Task[T]] = []

        def start() -> None:
            task = self.loop.create_task(coro)
            started.append(task)
            task.add_done_callback(done.put)

        self.loop.call_soon_threadsafe(start)
        try:
            task = done.get(timeout=timeout)
        except queue.Empty:
            self.loop.call_soon_threadsafe(lambda: started[0].cancel())
            raise TimeoutError(f"nothing within {timeout} s") from None
        return task.result()

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class BlockingSubscription(Generic[E]):
    """A `Subscription` as a blocking iterator (`for event in sub:`)."""

    def __init__(self, runner: _LoopThread, sub: Subscription[E]) -> None:
        self._runner = runner
        self._sub = sub
        self.stream = sub.stream

    def __repr__(self) -> str:
        return f"Blocking{self._sub!r}"

    def __iter__(self) -> Iterator[E | StreamGap]:
        while (item := self.next()) is not None:
            yield item

    def next(self, timeout: float | None = None) -> E | StreamGap | None:
        """The next event or marker; None once ended; `TimeoutError` after `timeout` s (nothing lost)."""
        return self._runner.run(self._sub.next(), timeout)

    def ready(self, timeout: float | None = None) -> None:
        self._runner.run(self._sub.ready(timeout))

    @property
    def dropped(self) -> int:
        return self._sub.dropped

    def unsubscribe(self) -> None:
        self._runner.run(self._sub.unsubscribe())

    def __enter__(self) -> BlockingSubscription[E]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.unsubscribe()


class BlockingStreamsConnection:
    """The blocking twin of `StreamsConnection`; takes the same keyword arguments."""

    _async_class: type[StreamsConnection] = StreamsConnection  # the generated class narrows this

    def __init__(self, **options: Any) -> None:
        self._runner = _LoopThread()
        self._conn: StreamsConnection = self._runner.run(self._make(options))

    async def _make(self, options: dict[str, Any]) -> StreamsConnection:
        return self._async_class(**options)

    def __repr__(self) -> str:
        return f"Blocking{self._conn!r}"

    def __enter__(self: _B) -> _B:
        self.connect()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def connect(self) -> None:
        self._runner.run(self._conn.connect())

    def close(self) -> None:
        if self._runner.loop.is_closed():
            return
        try:
            self._runner.run(self._conn.close())
        finally:
            self._runner.stop()

    @property
    def streams(self) -> StreamsConnection:
        """The underlying asyncio object (settings, state)."""
        return self._conn

    def _subscribe(self, stream: str, event_type: Any, buffer: int | None = None) -> BlockingSubscription[Any]:
        async def make() -> Subscription[Any]:
            return self._conn._subscribe(stream, event_type, buffer)

        return BlockingSubscription(self._runner, self._runner.run(make()))

    def subscribe_raw(self, stream: str, *, buffer: int | None = None) -> BlockingSubscription[Any]:
        async def make() -> Subscription[Any]:
            return self._conn.subscribe_raw(stream, buffer=buffer)

        return BlockingSubscription(self._runner, self._runner.run(make()))

    def list_subscriptions(self) -> list[str]:
        return self._runner.run(self._conn.list_subscriptions())

    def get_property(self, name: str = "combined") -> Any:
        return self._runner.run(self._conn.get_property(name))

    def rotate(self) -> None:
        self._runner.loop.call_soon_threadsafe(self._conn.rotate)


_B = TypeVar("_B", bound=BlockingStreamsConnection)


class BlockingDepthClient(Protocol):
    """What `BlockingOrderBook` takes its snapshots from: the blocking `Client`'s `depth`."""

    def depth(self, *, symbol: str, limit: int) -> Snapshot: ...


class _DepthInAThread:
    """The blocking client's `depth`, awaited from the streams' loop (it blocks a worker thread, not the loop)."""

    def __init__(self, client: BlockingDepthClient) -> None:
        self._client = client

    async def depth(self, *, symbol: str, limit: int) -> Snapshot:
        return await asyncio.to_thread(self._client.depth, symbol=symbol, limit=limit)


class BlockingOrderBook:
    """The blocking twin of `OrderBook`: the same procedure, kept on the streams' loop thread.

    with BlockingMarketStreams(url=...) as streams, Client(url=...) as client:
        with BlockingOrderBook(streams, client, "BTCUSDT") as book:
            book.synced(timeout=10)
            print(book.best_bid(), book.best_ask())
            for update in book.updates():  # BookUpdate, or StreamGap before a resync
                ...

    Args:
        streams: a `BlockingMarketStreams` (its `diff_depth` stream feeds the book).
        client: a blocking `Client` (its `depth` method gives the snapshots, in a worker thread).
        symbol, limit, speed_ms, buffer, updates_buffer: as for `OrderBook`.

    Reads (`bids()`, `best_bid()`, ...) run on the streams' loop, so they see the book between
    two events, never in the middle of one.
    """

    def __init__(
        self,
        streams: BlockingStreamsConnection,
        client: BlockingDepthClient,
        symbol: str,
        *,
        limit: int = 1000,
        speed_ms: Literal[1000, 100] = 100,
        buffer: int | None = None,
        updates_buffer: int = 1000,
    ) -> None:
        feed = getattr(getattr(streams, "streams", None), "diff_depth", None)
        if feed is None:
            raise ParamError("BlockingOrderBook", "streams", f"expected a BlockingMarketStreams, got {streams!r}")
        self._runner = streams._runner
        depth = _DepthInAThread(client)

        async def make() -> OrderBook:
            return OrderBook(
                cast(DiffDepthStreams, streams.streams),
                depth,
                symbol,
                limit=limit,
                speed_ms=speed_ms,
                buffer=buffer,
                updates_buffer=updates_buffer,
            )

        self._book = self._runner.run(make())
        self.symbol = self._book.symbol
        self.limit = self._book.limit

    def __repr__(self) -> str:
        return f"Blocking{self._on_loop(self._book.__repr__)}"

    def _on_loop(self, read: Callable[[], T]) -> T:
        async def call() -> T:
            return read()

        return self._runner.run(call())

    # -- reading ---------------------------------------------------------------------------

    @property
    def update_id(self) -> int | None:
        """The update id the book is at; None while (re)syncing."""
        return self._on_loop(lambda: self._book.update_id)

    @property
    def is_synced(self) -> bool:
        return self._on_loop(lambda: self._book.is_synced)

    @property
    def resyncs(self) -> int:
        """Times the book started again after it was synced."""
        return self._book.resyncs

    def best_bid(self) -> tuple[Decimal, Decimal] | None:
        """(price, quantity) of the best bid; None if the side is empty or not synced."""
        return self._on_loop(self._book.best_bid)

    def best_ask(self) -> tuple[Decimal, Decimal] | None:
        return self._on_loop(self._book.best_ask)

    def bids(self, depth: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Bid levels, best (highest) first; empty while not synced."""
        return self._on_loop(lambda: self._book.bids(depth))

    def asks(self, depth: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Ask levels, best (lowest) first; empty while not synced."""
        return self._on_loop(lambda: self._book.asks(depth))

    def synced(self, timeout: float | None = None) -> None:
        """Wait until the book is in sync (again); `TimeoutError` after `timeout` s."""
        self._runner.run(self._book.synced(), timeout)

    def next_update(self, timeout: float | None = None) -> BookUpdate | StreamGap | None:
        """The next change (as `updates()` yields them); None once closed; `TimeoutError` after
        `timeout` s (nothing lost)."""
        return self._runner.run(self._book.next_update(), timeout)

    def updates(self) -> Iterator[BookUpdate | StreamGap]:
        """Every change in order: a `BookUpdate` per event, a `StreamGap` before each resync."""
        while (item := self.next_update()) is not None:
            yield item

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> BlockingOrderBook:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        """Subscribe and start keeping the book (returns at once; see `synced()`)."""
        self._on_loop(self._book.start)

    def close(self) -> None:
        if not self._runner.loop.is_closed():
            self._runner.run(self._book.close())
