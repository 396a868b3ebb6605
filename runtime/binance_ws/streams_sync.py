# pyright: reportPrivateUsage=false
# (the stream classes of these modules work as one unit: connections push into subscriptions.)
"""The blocking shell of the market-data streams: a `StreamsConnection` on a private loop thread.

As for the blocking API client, the one asyncio implementation runs in a background
thread, so blocking users get the same reconnect, rotation and gap behaviour.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Coroutine, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

from .events import StreamGap
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
