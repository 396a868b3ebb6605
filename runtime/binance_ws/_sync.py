"""The blocking shell: an `AsyncConnection` driven from a private event-loop thread.

Running the one asyncio implementation in a background thread (instead of a
second, thread-based copy of the connection logic) means the blocking client
gets exactly the same reconnect, rotation, keepalive and reconciliation
behaviour, tested once.

Closing is safe while other threads are calling: every call started before
`close()` ends (with `ConnectionClosed` if it had not finished), and every call
after it raises `ConnectionClosed` at once; no thread is left waiting on a loop
that has stopped.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import queue
import threading
from collections.abc import Callable, Coroutine, Generator, Iterator, Mapping
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from . import options
from ._async import PRODUCTION, AsyncConnection, E, ReconnectPolicy
from ._transport import TransportName
from .errors import ConnectionClosed
from .events import ConnectionEvent, ConnectionState, StreamGap, UnknownEvent
from .method import Method
from .observe import RequestInfo
from .ratelimit import Policy
from .signing import Signer

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")

_BATCH = 1000  # user-data events moved from the loop thread in one hop, at most


class Connection(Generic[E]):
    """The blocking twin of `AsyncConnection`: the same keyword arguments (a test keeps them equal).

    Callbacks (`on_connection_event`, `on_user_data`, `on_request`) run on the client's
    event-loop thread.
    """

    _async_class: type[AsyncConnection[Any]] = AsyncConnection  # the generated client narrows this

    def __init__(
        self,
        *,
        url: str = PRODUCTION,
        key: Signer | None = None,
        recv_window: Decimal | int | None = None,
        timeout: float = 10.0,
        http_client: httpx.AsyncClient | None = None,
        rate_limit: Policy = "wait",
        max_in_flight: int = 1000,
        keepalive_interval: float | None = 20.0,
        keepalive_timeout: float | None = 20.0,
        max_lifetime: float = 23.5 * 3600,
        reconnect: ReconnectPolicy | None = None,
        user_data_buffer: int = 10_000,
        on_connection_event: Callable[[ConnectionEvent], None] | None = None,
        on_user_data: Callable[[E | StreamGap | UnknownEvent], None] | None = None,
        on_request: Callable[[RequestInfo], None] | None = None,
        sync_clock: bool = False,
        transport: TransportName = "httpx-ws",
        max_message_size: int = options.DEFAULT_MAX_MESSAGE_SIZE,
        response_format: Literal["json", "sbe"] = "json",
    ) -> None:
        self._options: dict[str, Any] = {
            "url": url,
            "key": key,
            "recv_window": recv_window,
            "timeout": timeout,
            "http_client": http_client,
            "rate_limit": rate_limit,
            "max_in_flight": max_in_flight,
            "keepalive_interval": keepalive_interval,
            "keepalive_timeout": keepalive_timeout,
            "max_lifetime": max_lifetime,
            "reconnect": reconnect,
            "user_data_buffer": user_data_buffer,
            "on_connection_event": on_connection_event,
            "on_user_data": on_user_data,
            "on_request": on_request,
            "sync_clock": sync_clock,
            "transport": transport,
            "max_message_size": max_message_size,
            "response_format": response_format,
        }
        self._local = threading.local()
        self._lock = threading.Lock()  # orders "closed" against scheduling a call on the loop
        self._closed = False
        self._tasks: set[asyncio.Task[Any]] = set()  # calls running on the loop, cancelled by close()
        self._events: collections.deque[E | StreamGap | UnknownEvent] = collections.deque()  # moved over, not yet read
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="binance-ws-loop", daemon=True)
        self._thread.start()
        try:
            self._conn: AsyncConnection[E] = self._run(self._make())
        except BaseException:  # a bad option: do not leave the loop thread behind
            self._closed = True
            self._stop_loop()
            raise

    async def _make(self) -> AsyncConnection[E]:
        conn: AsyncConnection[E] = self._async_class(**self._options)
        conn._connect_hint = "use `with Client(...)` or call `client.connect()` first"  # pyright: ignore[reportPrivateUsage]
        return conn

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop thread and wait for it (cancelled there if `timeout` passes).

        A task plus a `SimpleQueue` instead of `run_coroutine_threadsafe`: one hop without
        the concurrent Future and its condition variable, about 40 µs less per call.
        """
        done: queue.SimpleQueue[asyncio.Task[T]] = queue.SimpleQueue()
        started: list[asyncio.Task[T]] = []
        tasks = self._tasks

        def start() -> None:
            task = self._loop.create_task(coro)
            started.append(task)
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            task.add_done_callback(done.put)

        with self._lock:
            if self._closed:
                coro.close()
                raise ConnectionClosed("the client is closed")
            self._loop.call_soon_threadsafe(start)  # before close() schedules its shutdown, so it is seen
        try:
            task = done.get(timeout=timeout)
        except queue.Empty:
            self._loop.call_soon_threadsafe(lambda: started[0].cancel())  # runs after start()
            raise TimeoutError(f"no result within {timeout} s") from None
        try:
            return task.result()
        except asyncio.CancelledError:  # only close() cancels a call
            raise ConnectionClosed("the client was closed during the call") from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self._conn.url!r}, key={self._conn.protocol.key!r})"

    def __enter__(self: _C) -> _C:
        self.connect()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def connect(self) -> None:
        self._run(self._conn.connect())

    def close(self) -> None:
        """Close the connection; calls still running in other threads raise `ConnectionClosed`."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            done: queue.SimpleQueue[object] = queue.SimpleQueue()
            self._loop.call_soon_threadsafe(
                lambda: self._loop.create_task(self._shutdown()).add_done_callback(done.put)
            )
        try:
            done.get(timeout=60)  # close() itself is bounded; this only guards against a wedged loop
        except queue.Empty:
            pass
        finally:
            self._stop_loop()

    async def _shutdown(self) -> None:
        try:
            await self._conn.close()
        finally:
            current = asyncio.current_task()
            calls = [task for task in self._tasks if task is not current]
            for task in calls:
                task.cancel()
            await asyncio.gather(*calls, return_exceptions=True)

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()

    @property
    def state(self) -> ConnectionState:
        return self._conn.state

    @property
    def connection(self) -> AsyncConnection[E]:
        """The underlying asyncio connection (rate limiter, clock offset, settings)."""
        return self._conn

    @contextlib.contextmanager
    def request_timeout(self, seconds: float) -> Generator[None, None, None]:
        """Use another timeout for the requests made inside this block (this thread only)."""
        previous = getattr(self._local, "timeout", None)
        self._local.timeout = options.seconds("request_timeout", seconds)
        try:
            yield
        finally:
            self._local.timeout = previous

    def _request(self, method: Method[Any, T], args: Mapping[str, Any]) -> T:
        timeout = getattr(self._local, "timeout", None)
        if timeout is None:
            return self._run(self._conn._request(method, args))  # pyright: ignore[reportPrivateUsage]

        async def with_timeout() -> T:
            with self._conn.request_timeout(timeout):
                return await self._conn._request(method, args)  # pyright: ignore[reportPrivateUsage]

        return self._run(with_timeout())

    def request_raw(self, method: str, params: Mapping[str, Any] | None = None, *, signed: bool = False) -> Any:
        return self._run(self._conn.request_raw(method, params, signed=signed))

    def depth_columns(self, *, symbol: str, limit: int | None = None) -> Any:
        """`depth` as columns of int64 mantissas (`binance_ws.fast.DepthColumns`)."""
        return self._run(self._conn.depth_columns(symbol=symbol, limit=limit))

    def klines_columns(self, *, symbol: str, interval: str, limit: int | None = None, ui: bool = False) -> Any:
        """`klines` as columns (`binance_ws.fast.KlineColumns`)."""
        return self._run(self._conn.klines_columns(symbol=symbol, interval=interval, limit=limit, ui=ui))

    def trades_columns(self, *, symbol: str, limit: int | None = None) -> Any:
        """`trades.recent` as columns (`binance_ws.fast.TradeColumns`)."""
        return self._run(self._conn.trades_columns(symbol=symbol, limit=limit))

    def sync_clock(self) -> int:
        return self._run(self._conn.sync_clock())

    def rotate(self) -> None:
        with self._lock:
            if self._closed:
                raise ConnectionClosed("the client is closed")
            self._loop.call_soon_threadsafe(self._conn.rotate)

    def user_data(self, timeout: float | None = None) -> Iterator[E | StreamGap | UnknownEvent]:
        """User-data events as a blocking iterator (see `AsyncConnection.user_data`).

        With `timeout`, waiting longer than that for one event raises `TimeoutError`
        (which ends this iterator); nothing is lost, a new `user_data()` or
        `next_event()` carries on from the same place. Ends when the client closes.
        """
        while (event := self.next_event(timeout)) is not None:
            yield event

    def next_event(self, timeout: float | None = None) -> E | StreamGap | UnknownEvent | None:
        """The next user-data event; None once closed; `TimeoutError` after `timeout` s.

        Events come over from the loop thread in batches (all that are waiting, up to
        1000): one thread hop per batch instead of one per event.
        """
        batch = self._events
        if not batch:
            try:
                if not self._run(self._conn._take_events(batch, _BATCH), timeout):  # pyright: ignore[reportPrivateUsage]
                    return None
            except ConnectionClosed:
                return None
            except TimeoutError:
                if not batch:  # (events moved over just as the wait timed out are not lost)
                    raise
        return batch.popleft()


_C = TypeVar("_C", bound="Connection[Any]")
