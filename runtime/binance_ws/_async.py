"""The asyncio shell: moves frames between `Protocol` and httpx-ws connections.

One supervisor task owns the connection life: connect, log on again and
resubscribe after every reconnect, rotate make-before-break before the 24-hour
limit, back off with jitter when the server is unreachable. Each connection
("link") has one reader task and its own table of requests in flight, so a
rotation can drain the old link while new requests already use the new one.

What happens to a request whose link drops is decided by the caller's own
coroutine: retry-safe methods are sent again on the next link, state-changing
ones raise `UnknownExecutionStatus` and are never sent twice.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import copy
import functools
import importlib
import itertools
import logging
import math
import random
import re
import time
import traceback
from collections.abc import AsyncIterator, Callable, Generator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

import msgspec

from . import fast, options
from ._transport import TRANSPORTS, NotSent, TransportName, describe
from .errors import (
    ApiError,
    BinanceError,
    ConnectionClosed,
    ErrorTable,
    IpBanned,
    RateLimited,
    RequestTimeout,
    TransportError,
    UnknownExecutionStatus,
)
from .events import ConnectionEvent, ConnectionState, StreamGap, UnknownEvent
from .method import Method, Security
from .observe import RequestInfo, redact, wire_log
from .protocol import Call, Protocol
from .ratelimit import Policy, RateLimiter
from .sbe import Decoder as SbeDecoder
from .sbe import SbeError, sbe_url
from .signing import Signer
from .wire import FRAME_DECODER, DecodedFrame, Frame

if TYPE_CHECKING:
    import httpx

R = TypeVar("R")
#: The user-data event type of a generated client (the spec's tagged union of events).
E = TypeVar("E")

log = logging.getLogger("binance_ws")

PRODUCTION = "wss://ws-api.binance.com:443/ws-api/v3"
TESTNET = "wss://ws-api.testnet.binance.vision/ws-api/v3"


class _ServerTime(msgspec.Struct, frozen=True):
    serverTime: int


_TIME: Method[None, _ServerTime] = Method("time", None, _ServerTime, weight=1)


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Exponential backoff with jitter between reconnect attempts, and a connection budget.

    The backoff restarts only after a connection stayed up `healthy_after` seconds, so a
    server that accepts each handshake and drops it at once is retried ever more slowly.
    Whatever happens, at most `max_connects` connections (first connect, reconnects and
    rotations) are opened per `connect_window` seconds: Binance bans an IP that opens
    more than 300 per 5 minutes.
    """

    initial_delay: float = 0.25
    max_delay: float = 30.0
    factor: float = 2.0
    max_attempts: int | None = None  # None: keep trying until close()
    healthy_after: float = 30.0
    max_connects: int = 60
    connect_window: float = 300.0

    def __post_init__(self) -> None:
        for name in ("initial_delay", "max_delay", "healthy_after", "connect_window"):
            options.seconds(f"ReconnectPolicy.{name}", getattr(self, name))
        factor = options.seconds("ReconnectPolicy.factor", self.factor)
        if factor is not None and factor < 1:
            raise ValueError(f"ReconnectPolicy.factor must be at least 1, not {self.factor!r}")
        if self.max_attempts is not None:
            options.count("ReconnectPolicy.max_attempts", self.max_attempts)
        options.count("ReconnectPolicy.max_connects", self.max_connects)

    def delay(self, attempt: int) -> float:
        base = min(self.max_delay, self.initial_delay * self.factor ** max(0, attempt - 1))
        return base * random.uniform(0.5, 1.0)


#: Per-task timeout override, set with `AsyncConnection.request_timeout()`.
_TIMEOUT: contextvars.ContextVar[float | None] = contextvars.ContextVar("binance_ws_timeout", default=None)


class _Lost(Exception):
    """Internal: the link carrying a request dropped before the answer came."""


class _NotSent(Exception):
    """Internal: the link refused the frame before writing anything (it is closing)."""


class _Expired(Exception):
    """Internal: no answer before the request's deadline."""


class _Undecodable(Exception):
    """Internal: the answer to a request could not be decoded."""


#: The id at the start of a response frame, to fail its request when the rest cannot be decoded.
_LEADING_ID = re.compile(r'\s*\{\s*"id"\s*:\s*(\d{1,18})\s*[,}]')


def _pending_method(link: _Link, request_id: Any) -> Method[Any, Any] | None:
    entry = link.pending.get(request_id) if isinstance(request_id, int) else None
    return entry[0].method if entry is not None else None


def _wake(waiter: asyncio.Future[bool] | None, due: bool = False) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(due)


class _Slots:
    """The `max_in_flight` bound: a count of free slots, and callers waiting for one in order.

    A slot freed while callers wait goes straight to the first of them, so `free` is only
    above 0 when nobody waits and a caller that finds one free takes it without a wait.
    """

    __slots__ = ("_waiters", "free")

    def __init__(self, size: int) -> None:
        self.free = size
        self._waiters: collections.deque[asyncio.Future[bool]] = collections.deque()

    def release(self) -> None:
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():  # (one that gave up or was cancelled is skipped)
                waiter.set_result(True)
                return
        self.free += 1

    async def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a slot; True: the caller holds one (and releases it)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(max(0.0, timeout), _give_up, waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.release()  # handed a slot, but cancelled before taking it: pass it on
            raise
        finally:
            timer.cancel()


def _give_up(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


#: `_result`: the call may be sent again once the clock is synced (a -1021 answer).
_RESYNC: Any = object()


class _Link:
    """One WebSocket connection and the requests in flight on it."""

    _serial = itertools.count(1)

    def __init__(self) -> None:
        self.number = next(self._serial)
        self.send: Any = None  # coroutine function sending one text frame
        self.task: asyncio.Task[None] | None = None
        self.opened = asyncio.Event()
        self.closed = asyncio.Event()
        self.settled: asyncio.Future[bool] | None = None  # resolved once it opened or closed
        # request id -> (call, future, deadline on the loop clock)
        self.pending: dict[int, tuple[Call, asyncio.Future[Frame], float]] = {}
        self.logged_on = False
        self.error: BaseException | None = None
        self.deliver_events = True
        self.usable = True  # False once a send was refused because the connection is closing
        self.opened_at = math.inf  # loop time when it started taking requests
        # User-data gap bookkeeping: a reconnect link owes a StreamGap before its first event;
        # a rotation link owes one if its predecessor closed before the new subscription was made.
        self.gap_reason: str | None = None
        self.predecessor: _Link | None = None
        self.gap_settled = False
        self._sweep: asyncio.TimerHandle | None = None
        self._sweep_at = 0.0

    def watch(self, deadline: float) -> None:
        """Make sure a request due at `deadline` is expired on time.

        One timer per link, set for the earliest deadline, instead of one timer per
        request: no timer handle, heap push and cancel on the hot path.
        """
        if self._sweep is None or deadline < self._sweep_at:
            if self._sweep is not None:
                self._sweep.cancel()
            self._sweep_at = deadline
            self._sweep = asyncio.get_running_loop().call_at(deadline, self._expire_due)

    def _expire_due(self) -> None:
        self._sweep = None
        now = asyncio.get_running_loop().time()
        next_due = math.inf
        for _, future, deadline in self.pending.values():
            if future.done():
                continue
            if deadline <= now:
                future.set_exception(_Expired())
            elif deadline < next_due:
                next_due = deadline
        if next_due != math.inf:
            self.watch(next_due)

    def fail_pending(self, exc: BaseException) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        for _, future, _ in self.pending.values():
            if not future.done():
                future.set_exception(exc)
        self.pending.clear()


class AsyncConnection(Generic[E]):
    """A resilient connection to the Binance Spot WebSocket API (asyncio).

    Args:
        url: endpoint, `PRODUCTION` (default) or `TESTNET` or a local emulator.
        key: an `HmacKey`, `RsaKey` or `Ed25519Key`; needed for signed methods.
        recv_window: default `recvWindow` (ms, up to 3 decimals) for signed methods.
        timeout: seconds to wait for each answer.
        http_client: an `httpx.AsyncClient` to reuse (proxies, TLS settings).
        rate_limit: "wait" (default) sleeps before a request would exceed a limit,
            "raise" raises `RateLimited` instead, "off" only honours 429/418.
        max_in_flight: bound on requests awaiting an answer at once.
        keepalive_interval: seconds between our own pings (None: off).
        keepalive_timeout: no pong within this many seconds means a dead connection,
            which is then replaced.
        max_lifetime: seconds after which a connection is rotated (Binance closes at 24 h).
        reconnect: backoff policy for reconnecting.
        user_data_buffer: events kept for a slow `user_data()` consumer; past that,
            events are dropped and a `StreamGap("overflow")` marks the hole.
        on_connection_event: called with each `ConnectionEvent`.
        on_user_data: called with each user-data event (in the reader; keep it quick).
        on_request: called with a `RequestInfo` (method, weight, latency, request id,
            exception class) after each call, for metrics; not set, it costs nothing.
        sync_clock: measure the server clock offset with `time` on connect.
        transport: "httpx-ws" (default) or "websockets" (faster; `pip install binance-spot-ws[fast]`;
            takes no `http_client`).
        max_message_size: largest server message accepted, in bytes (default 16 MiB); a bigger
            one closes the connection (code 1009, logged) and the client reconnects.
        response_format: "json" (default) or "sbe": answers in Simple Binary Encoding (half the
            bytes), decoded into the same results; the URL gets `responseFormat=sbe` and the
            schema id and version the SDK was generated from.

    Every option is checked here: a bad one raises `ValueError` or `TypeError` naming it.
    """

    _event_type: Any = None  # set by the generated client: the tagged union of events
    _errors: ErrorTable | None = None  # set by the generated client: the spec's error codes
    #: How to connect, said when a method is called on a client that is not connected.
    _connect_hint = "call `async with AsyncClient(...)` or `await client.connect()` first"
    _sbe_layout: Any = None  # set by the generated client: its SBE layout tables (`_sbe`)
    _sbe_direct: Any = None  # ... and its straight-line SBE decoders (`_sbe_decode`, or its module name)
    _method_table: Mapping[str, Method[Any, Any]] = {}  # set by the generated client: wire name -> Method

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
        self.url = options.url(url)
        self.response_format = options.choice("response_format", response_format, ("json", "sbe"))
        self._sbe: SbeDecoder | None = None
        self._fast_methods: dict[str, Method[Any, Any]] = {}
        self._sbe_deprecated_logged = False
        if self.response_format == "sbe":
            if self._sbe_layout is None:
                raise ValueError("response_format='sbe' needs a generated client with SBE layouts (binance_spot_ws)")
            direct = self._sbe_direct
            self._sbe = SbeDecoder(
                self._sbe_layout, importlib.import_module(direct) if isinstance(direct, str) else direct
            )
            self.url = sbe_url(self.url, self._sbe.schema_id, self._sbe.schema_version)
        self.protocol = Protocol(options.key(key), recv_window=options.recv_window(recv_window), errors=self._errors)
        self.timeout: float = options.seconds("timeout", timeout)  # type: ignore[assignment]
        self.rate_limiter = RateLimiter(options.choice("rate_limit", rate_limit, ("wait", "raise", "off")))  # type: ignore[arg-type]
        self.clock_offset_ms = 0
        if http_client is not None:
            import httpx  # here only: the default transport imports it when it first connects

            if not isinstance(http_client, httpx.AsyncClient):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise TypeError(f"http_client must be an httpx.AsyncClient or None, not {type(http_client).__name__}")
        self._transport: TransportName = options.choice("transport", transport, tuple(TRANSPORTS))  # type: ignore[assignment]
        if self._transport != "httpx-ws":
            _check_optional_transport(self._transport, http_client)
        self._http_client = http_client
        self._owns_http_client = http_client is None
        self._max_in_flight = options.count("max_in_flight", max_in_flight)
        self._slots = _Slots(max_in_flight)
        self._keepalive = (
            options.seconds("keepalive_interval", keepalive_interval, optional=True),
            options.seconds("keepalive_timeout", keepalive_timeout, optional=True),
        )
        self._max_lifetime: float = options.seconds("max_lifetime", max_lifetime)  # type: ignore[assignment]
        if reconnect is not None and not isinstance(reconnect, ReconnectPolicy):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"reconnect must be a ReconnectPolicy or None, not {type(reconnect).__name__}")
        self._reconnect = reconnect or ReconnectPolicy()
        self._on_connection_event = options.callback("on_connection_event", on_connection_event)
        self._on_user_data = options.callback("on_user_data", on_user_data)
        self._on_request = options.callback("on_request", on_request)
        self._sync_clock = options.flag("sync_clock", sync_clock)
        self._max_message_size = options.count("max_message_size", max_message_size, minimum=65_536)
        self._connects: collections.deque[float] = collections.deque()  # loop times of recent connects
        self._failures = 0  # reconnect attempts since the last connection that stayed healthy
        self._closed = asyncio.Event()
        self._ids = itertools.count(1)
        self._active: _Link | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # set by connect()
        self._ready = asyncio.Event()
        self._closing = False
        self._supervisor: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._links: set[_Link] = set()
        self._rotate_now = asyncio.Event()
        self._supervisor_wake: asyncio.Future[bool] | None = None  # a link closed, or rotate() was called
        self._logon: Call | None = None
        self._subscribe: Call | None = None
        self._events: collections.deque[E | StreamGap | UnknownEvent] = collections.deque()
        self._events_max = options.count("user_data_buffer", user_data_buffer)
        self._events_wakeup = asyncio.Event()
        self._events_overflowed = False
        # The last 256 events, for dropping the copy seen on both links around a rotation: the
        # deque keeps their order, the set answers "seen?" in O(1).
        self._recent_events: collections.deque[bytes] = collections.deque()
        self._recent_seen: set[bytes] = set()
        self._event_decoder: msgspec.json.Decoder[Any] | None = (
            msgspec.json.Decoder(self._event_type) if self._event_type is not None else None
        )
        self.state = ConnectionState.CLOSED

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, key={self.protocol.key!r}, state={self.state.value})"

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self: _C) -> _C:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the first connection (raises `TransportError` if it fails), then supervise."""
        self._loop = asyncio.get_running_loop()
        if self._http_client is None and self._transport == "httpx-ws":
            from ._transport_httpx import new_http_client

            self._http_client = new_http_client(self.url, self.timeout)
        self._set_state(ConnectionState.CONNECTING)
        try:
            link = await self._open_link()
        except BaseException:
            self._set_state(ConnectionState.CLOSED, "connect failed")
            raise
        self._activate(link)
        self._supervisor = asyncio.create_task(self._supervise(link), name="binance-ws-supervisor")

    async def close(self) -> None:
        """Close every connection; requests still waiting fail with `ConnectionClosed`."""
        if self._closing:
            return
        self._closing = True
        self._closed.set()  # wakes rate-limit, backoff and budget waits
        self._ready.set()  # wake waiters so they see _closing
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._supervisor
        for task in list(self._background):
            task.cancel()
        for link in list(self._links):
            await self._close_link(link)
        self._set_state(ConnectionState.CLOSED)
        self._events_wakeup.set()
        if self._owns_http_client and self._http_client is not None:
            await self._http_client.aclose()

    @contextlib.contextmanager
    def request_timeout(self, seconds: float) -> Generator[None, None, None]:
        """Use another timeout for the requests made inside this block (this task only).

        with client.request_timeout(0.5):
            book = await client.depth(symbol="BTCUSDT")
        """
        token = _TIMEOUT.set(options.seconds("request_timeout", seconds))
        try:
            yield
        finally:
            _TIMEOUT.reset(token)

    def rotate(self) -> None:
        """Replace the connection now, make-before-break (as before the 24-hour limit)."""
        self._rotate_now.set()
        _wake(self._supervisor_wake)

    # -- requests --------------------------------------------------------------------------

    async def _request(self, method: Method[Any, R], args: Mapping[str, Any]) -> R:
        """Validate `args` (ParamError: nothing sent), send the call and return its result.

        The common case runs in this one coroutine: a free `max_in_flight` slot, a link that
        takes requests and room in the rate limits, so the request is framed, counted, sent
        and awaited here. Anything else (no link yet, a limit to wait for, a frame the link
        refused, a resend after a lost connection, a clock resync) continues in `_perform`,
        the general loop, from the point reached: nothing is sent twice, nothing is lost.
        """
        call = self.protocol.prepare(method, args)  # ParamError here: nothing sent
        loop = self._loop  # the one it connected on: asyncio.get_running_loop() makes a getpid() system call
        if loop is None:
            loop = asyncio.get_running_loop()
        started = loop.time()
        timeout = _TIMEOUT.get()
        deadline = started + (self.timeout if timeout is None else timeout)
        hook = self._on_request
        slots = self._slots
        try:
            if slots.free:
                slots.free -= 1  # a free slot: taken without a wait
            else:
                await self._wait_for_slot(call, deadline)
            try:
                link = self._active
                if link is None or not link.usable or self._closing or not self._ready.is_set() or link.closed.is_set():
                    result = await self._perform(call, deadline)  # waits for a link
                else:
                    frame: Frame | None = None
                    now_ms = int(time.time() * 1000) + self.clock_offset_ms
                    request_id = next(self._ids)
                    text = self.protocol.frame(request_id, call, now_ms, logged_on=link.logged_on)
                    if not self.rate_limiter.admit(call.weight, 1 if call.client_order_id else 0, now_ms):
                        call.request_id = request_id
                        if wire_log.isEnabledFor(logging.DEBUG):
                            wire_log.debug("link %d send %s", link.number, redact(text))
                        future: asyncio.Future[Frame] = loop.create_future()
                        pending = link.pending
                        pending[request_id] = (call, future, deadline)
                        try:
                            try:
                                await link.send(text)
                            except Exception as exc:
                                raise self._send_failed(link, call, exc) from None
                            link.watch(deadline)
                            frame = await future
                        except (_NotSent, _Lost) as exc:
                            self._check_resend(call, exc)  # raises unless it may go on the next link
                        except _Expired:
                            raise self._expired(call) from None
                        except _Undecodable as exc:
                            raise self._undecodable(call, exc) from None
                        finally:
                            pending.pop(request_id, None)
                    # else: a rate limit to wait for (nothing counted, nothing sent)
                    if frame is None:
                        result = await self._perform(call, deadline)
                    else:
                        result = self._result(call, link, frame, resync=True)
                        if result is _RESYNC:
                            await self.sync_clock()
                            result = await self._perform(call, deadline, resynced=True)
            finally:
                slots.release()
        except BaseException as exc:
            if hook is not None:
                self._report(hook, call, started, type(exc))
            raise
        if hook is not None:
            self._report(hook, call, started, None)
        return result  # type: ignore[no-any-return]

    @staticmethod
    def _report(
        hook: Callable[[RequestInfo], None], call: Call, started: float, exception: type[BaseException] | None
    ) -> None:
        latency = asyncio.get_running_loop().time() - started
        try:
            hook(RequestInfo(call.method.wire, call.weight, latency, call.request_id, exception))
        except Exception:
            log.error("on_request callback failed:\n%s", traceback.format_exc())

    async def _wait_for_slot(self, call: Call, deadline: float) -> None:
        """Wait for one of the `max_in_flight` slots, but not past the call's deadline."""
        if not await self._slots.wait(deadline - asyncio.get_running_loop().time()):
            raise RequestTimeout(
                f"{call.method.wire}: not sent: {self._max_in_flight} requests (max_in_flight) "
                "were in flight until its deadline"
            )

    async def request_raw(self, method: str, params: Mapping[str, Any] | None = None, *, signed: bool = False) -> Any:
        """Call a method the spec does not know yet; returns the decoded JSON `result`."""
        raw: Method[None, Any] = Method(
            method, None, Any, security=Security.SIGNED if signed else Security.NONE, retry_safe=False
        )
        return await self._request(raw, dict(params or {}))

    async def _perform(self, call: Call, deadline: float, *, resynced: bool = False) -> Any:
        """Send `call` until it is answered: waits for a link and for the rate limits, sends
        a frame the link refused and a retry-safe call whose link dropped again on the next
        link, and retries once with a synced clock after -1021."""
        while True:
            link = self._ready_link()
            if link is None or self._closing:
                link = await self._wait_ready(deadline, call)
            now_ms = self.now_ms()  # one clock read for the limit check, the timestamp and the spend
            if self.rate_limiter.delay_ms(call.weight, 1 if call.client_order_id else 0, now_ms) > 0:
                await self._respect_limits(call, deadline)
                continue  # time passed: check the connection again
            try:
                frame = await self._exchange(link, call, deadline, now_ms)
            except (_NotSent, _Lost) as exc:
                self._check_resend(call, exc)
                continue  # nothing went out, or a retry-safe call: again, re-signed, on the next link
            result = self._result(call, link, frame, resync=not resynced)
            if result is _RESYNC:
                resynced = True
                await self.sync_clock()
                continue
            return result

    async def _exchange(self, link: _Link, call: Call, deadline: float, now_ms: int | None = None) -> Frame:
        """Send `call` on `link` and wait for its response frame."""
        loop = asyncio.get_running_loop()
        if loop.time() >= deadline:  # waited for a connection or a limit until the end: never send late
            raise RequestTimeout(f"{call.method.wire}: not sent: its deadline passed before it could go out")
        if now_ms is None:
            now_ms = self.now_ms()
        request_id = call.request_id = next(self._ids)
        frame_text = self.protocol.frame(request_id, call, now_ms, logged_on=link.logged_on)
        if wire_log.isEnabledFor(logging.DEBUG):
            wire_log.debug("link %d send %s", link.number, redact(frame_text))
        future: asyncio.Future[Frame] = loop.create_future()
        link.pending[request_id] = (call, future, deadline)
        try:
            try:
                self.rate_limiter.spend(call.weight, 1 if call.client_order_id else 0, now_ms)
                await link.send(frame_text)
            except Exception as exc:
                raise self._send_failed(link, call, exc) from None
            link.watch(deadline)
            try:
                return await future
            except _Expired:
                raise self._expired(call) from None
            except _Undecodable as exc:
                raise self._undecodable(call, exc) from None
        finally:
            link.pending.pop(request_id, None)

    # What went wrong with one attempt, the same for the fast path and `_perform`:

    def _send_failed(self, link: _Link, call: Call, exc: Exception) -> BaseException:
        if isinstance(exc, NotSent):
            link.usable = False  # new requests wait for the next connection
            return _NotSent()
        # A failed write may still have put bytes on the wire.
        if call.method.retry_safe:
            return _Lost()
        return self._unknown(call, f"send failed: {type(exc).__name__}")

    def _check_resend(self, call: Call, exc: _NotSent | _Lost) -> None:
        """Return if `call` may go again on the next link; else raise why not."""
        if isinstance(exc, _NotSent):
            return  # nothing went out: even an order goes on the next connection (_wait_ready raises if closing)
        if not call.method.retry_safe:
            raise self._unknown(call, "connection lost") from None
        if self._closing:
            raise ConnectionClosed(f"{call.method.wire}: the client was closed") from None

    def _expired(self, call: Call) -> BinanceError:
        if call.method.retry_safe:
            return RequestTimeout(f"{call.method.wire}: no answer in time")
        return self._unknown(call, "timeout")

    def _undecodable(self, call: Call, exc: _Undecodable) -> BinanceError:
        if call.method.retry_safe:
            if exc.args and isinstance(exc.args[0], SbeError):
                return exc.args[0]  # e.g. NonRepresentable: typed, with its field
            return BinanceError(f"{call.method.wire}: undecodable answer from the server ({exc})")
        return self._unknown(call, f"undecodable answer ({exc})")

    def _result(self, call: Call, link: _Link, frame: Frame, *, resync: bool) -> Any:
        """The call's result after its session effect, or its error raised; `_RESYNC`: a
        -1021 (rejected before execution) that may be sent again once the clock is synced."""
        outcome = self.protocol.outcome(call, frame)
        if isinstance(outcome, BaseException):
            if isinstance(outcome, ApiError):
                self._after_error(outcome)
                if outcome.code == -1021 and resync:
                    return _RESYNC
            raise outcome
        if call.method.session_effect is not None:
            self._after_success(call, link)
        return outcome

    def _unknown(self, call: Call, reason: str) -> UnknownExecutionStatus:
        return UnknownExecutionStatus(
            method=call.method.wire, params=call.params, client_order_id=call.client_order_id, reason=reason
        )

    def _ready_link(self) -> _Link | None:
        """The active link if requests may go out on it now."""
        link = self._active
        if self._ready.is_set() and link is not None and link.usable and not link.closed.is_set():
            return link
        return None

    async def _wait_ready(self, deadline: float, call: Call) -> _Link:
        loop = asyncio.get_running_loop()
        while True:
            if self._closing:
                raise ConnectionClosed("the client is closed")
            link = self._ready_link()
            if link is not None:
                return link
            if self.state is ConnectionState.CLOSED:  # never connected, or the first connect failed
                raise ConnectionClosed(
                    f"{call.method.wire}: not sent: the client is not connected; {self._connect_hint}"
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise RequestTimeout(f"{call.method.wire}: not sent: still {self.state.value} at its deadline")
            if self._ready.is_set():
                await asyncio.sleep(0.005)  # the link just dropped; the supervisor has not noticed yet
                continue
            with contextlib.suppress(asyncio.TimeoutError):  # not the builtin TimeoutError before 3.11
                await asyncio.wait_for(self._ready.wait(), remaining)

    async def _respect_limits(self, call: Call, deadline: float) -> None:
        """Wait until the request fits the rate limits, within its deadline; else raise, not sent."""
        limiter = self.rate_limiter
        loop = asyncio.get_running_loop()
        while True:
            now = self.now_ms()
            wait_ms = limiter.delay_ms(call.weight, 1 if call.client_order_id else 0, now)
            if wait_ms <= 0:
                return
            if limiter.banned and now < limiter.blocked_until_ms:
                raise IpBanned(
                    status=418,
                    code=-1003,
                    msg="IP banned; not sending until the ban lifts",
                    method=call.method.wire,
                    data={"retryAfter": limiter.blocked_until_ms},
                )
            remaining = deadline - loop.time()
            if limiter.policy == "raise" or wait_ms / 1000 >= remaining:
                within = "" if limiter.policy == "raise" else f" for {wait_ms / 1000:.3f} s, past its deadline"
                raise RateLimited(
                    status=429,
                    code=-1003,
                    msg=f"request would exceed a rate limit{within} (not sent)",
                    method=call.method.wire,
                    data={"retryAfter": now + wait_ms},
                )
            log.warning("rate limit: waiting %.3f s before %s", wait_ms / 1000, call.method.wire)
            await self._sleep(wait_ms / 1000)
            if self._closing:
                raise ConnectionClosed(f"{call.method.wire}: the client was closed")

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up at once when the client is closed."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._closed.wait(), seconds)

    def _after_error(self, error: ApiError) -> None:
        if isinstance(error, RateLimited):
            until = error.retry_after_ms or (self.now_ms() + 1000)
            self.rate_limiter.block(until, banned=isinstance(error, IpBanned))

    def _after_success(self, call: Call, link: _Link) -> None:
        effect = call.method.session_effect
        if effect is None:
            return
        if effect == "logon":
            self._logon, link.logged_on = call, True
        elif effect == "logout":
            self._logon, link.logged_on = None, False
            self._subscribe = None
        elif effect == "subscribe":
            self._subscribe = call
        else:  # unsubscribe
            self._subscribe = None

    def now_ms(self) -> int:
        """Milliseconds on the server's clock (local clock plus the measured offset)."""
        return int(time.time() * 1000) + self.clock_offset_ms

    async def sync_clock(self) -> int:
        """Measure the server clock offset with `time` (half the round trip); returns it in ms."""
        call = self.protocol.prepare(_TIME, {})
        best: tuple[float, int] | None = None
        for _ in range(3):
            sent = time.time() * 1000
            result = await self._perform_raw(call)
            received = time.time() * 1000
            offset = int(result.serverTime - (sent + received) / 2)
            if best is None or received - sent < best[0]:
                best = (received - sent, offset)
        assert best is not None
        self.clock_offset_ms = best[1]
        return self.clock_offset_ms

    async def _perform_raw(self, call: Call) -> Any:
        """One attempt on the current link: no resend, no -1021 retry (used by sync_clock)."""
        loop = asyncio.get_running_loop()
        link = await self._wait_ready(loop.time() + self.timeout, call)
        return await self._exchange_checked(link, call, loop)

    # -- connection budget -----------------------------------------------------------------

    async def _spend_connect_budget(self) -> None:
        """Wait until opening one more connection stays within the policy's budget."""
        loop = asyncio.get_running_loop()
        policy = self._reconnect
        spent = self._connects
        while True:
            now = loop.time()
            while spent and spent[0] <= now - policy.connect_window:
                spent.popleft()
            if len(spent) < policy.max_connects:
                spent.append(now)
                return
            wait = spent[0] + policy.connect_window - now
            reason = (
                f"connection budget spent ({policy.max_connects} per {policy.connect_window:g} s): waiting {wait:.1f} s"
            )
            log.warning("%s", reason)
            self._set_state(self.state, reason, self._failures)
            await self._sleep(wait)
            if self._closing:
                raise ConnectionClosed("the client is closed")

    # -- connections -----------------------------------------------------------------------

    async def _open_link(self, *, gap_reason: str | None = None, predecessor: _Link | None = None) -> _Link:
        """Connect, then log on and resubscribe before the link takes requests."""
        await self._spend_connect_budget()
        link = _Link()
        link.gap_reason = gap_reason
        link.predecessor = predecessor
        self._links.add(link)
        loop = asyncio.get_running_loop()
        settled = link.settled = loop.create_future()  # one future and a timer, not two waiter tasks
        link.task = loop.create_task(self._run_link(link), name=f"binance-ws-link-{link.number}")
        timer = loop.call_later(self.timeout, _wake, settled)
        try:
            await settled
        finally:
            timer.cancel()
            link.settled = None
        if not link.opened.is_set() or link.closed.is_set():
            # Why, taken before the link is cancelled (which would say only "closed").
            reason = (link.error if link.closed.is_set() else None) or TimeoutError("connect timed out")
            await self._close_link(link)
            raise TransportError(f"cannot connect to {self.url}: {describe(reason)}")
        try:
            await self._restore_session(link)
        except BaseException:
            await self._close_link(link)
            raise
        finally:
            link.predecessor = None  # settled (or moot): do not keep a chain of old links alive
        link.opened_at = asyncio.get_running_loop().time()
        return link

    async def _restore_session(self, link: _Link) -> None:
        loop = asyncio.get_running_loop()
        if self._sync_clock:
            result = await self._exchange_checked(link, self.protocol.prepare(_TIME, {}), loop)
            self.clock_offset_ms = int(result.serverTime - time.time() * 1000)
        if self._logon is not None:
            await self._exchange_checked(link, self._logon, loop)
            link.logged_on = True
        if self._subscribe is not None:
            await self._exchange_checked(link, self._subscribe, loop)
            self._settle_gap(link, subscribed=True)

    async def _exchange_checked(self, link: _Link, call: Call, loop: asyncio.AbstractEventLoop) -> Any:
        try:
            frame = await self._exchange(link, call, loop.time() + self.timeout)
        except (_Lost, _NotSent):
            raise TransportError(f"connection lost during {call.method.wire}") from None
        outcome = self.protocol.outcome(call, frame)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def _run_link(self, link: _Link) -> None:
        run = TRANSPORTS[self._transport]

        def opened(send: Any) -> None:
            link.send = send
            link.opened.set()
            _wake(link.settled)

        try:
            link.error = await run(
                self.url,
                self._http_client,
                self._keepalive,
                self._max_message_size,
                opened,
                functools.partial(self._on_frame, link),
            )
        except asyncio.CancelledError:
            link.error = link.error or ConnectionClosed("closed")
        except BaseException as exc:  # includes ExceptionGroup from anyio
            link.error = exc
        finally:
            if link is self._active:
                self._ready.clear()  # requests wait for the supervisor's next link instead of spinning
            link.closed.set()
            _wake(link.settled)
            _wake(self._supervisor_wake)
            link.fail_pending(_Lost())

    def _on_frame(self, link: _Link, text: str | bytes) -> None:
        """Handle one frame in the reader. Never raises: a hostile frame must not end the link."""
        if isinstance(text, bytes):
            if wire_log.isEnabledFor(logging.DEBUG):
                wire_log.debug("link %d recv %d bytes of SBE", link.number, len(text))
            self._on_binary(link, text)
            return
        if wire_log.isEnabledFor(logging.DEBUG):
            wire_log.debug("link %d recv %s", link.number, redact(text))
        try:
            frame = FRAME_DECODER.decode(text)  # (Protocol.parse)
        except (msgspec.DecodeError, RecursionError) as exc:  # ValidationError is a DecodeError
            self._on_undecodable(link, text, exc)
            return
        self._handle(link, frame)

    def _on_binary(self, link: _Link, data: bytes) -> None:
        """An SBE answer: decoded into the same `Frame` a JSON answer gives."""
        if self._sbe is None:
            log.warning("binary frame from the server ignored (%d bytes): this connection asked for JSON", len(data))
            return
        try:
            frame, deprecated, problem = self._sbe.frame(data, self.now_ms(), lambda i: _pending_method(link, i))
        except SbeError as exc:
            log.warning("undecodable SBE frame from the server ignored (%d bytes): %s", len(data), exc)
            return
        if deprecated and not self._sbe_deprecated_logged:
            self._sbe_deprecated_logged = True
            log.warning(
                "the server says SBE schema %d:%d is deprecated (sbeSchemaIdVersionDeprecated): "
                "upgrade binance-spot-ws before Binance retires it",
                self._sbe.schema_id,
                self._sbe.schema_version,
            )
        if problem is not None:
            if frame.rateLimits:
                self.rate_limiter.update(frame.rateLimits, self.now_ms())
            log.warning("SBE answer to request %s could not be decoded: %s", frame.id, problem)
            self._fail_request(link, frame.id, problem)
            return
        self._handle(link, frame)

    # -- the numeric fast path for market data ---------------------------------------------

    def _columns_method(self, wire: str) -> Method[Any, Any]:
        found = self._fast_methods.get(wire)
        if found is None:
            base = self._method_table.get(wire)
            if base is None:
                raise BinanceError(f"{wire}: not a method of this client")
            found = copy.copy(base)
            from_sbe, from_json = fast.FAST[wire]
            found._decoder = fast.ColumnsDecoder(from_sbe, from_json, self._sbe)  # type: ignore[assignment]  # pyright: ignore[reportPrivateUsage]
            self._fast_methods[wire] = found
        return found

    async def depth_columns(self, *, symbol: str, limit: int | None = None) -> fast.DepthColumns:
        """`depth` as columns of int64 mantissas (`binance_ws.fast`): no object per level."""
        args = {"symbol": symbol, "limit": msgspec.UNSET if limit is None else limit}
        return await self._request(self._columns_method("depth"), args)

    async def klines_columns(
        self, *, symbol: str, interval: str, limit: int | None = None, ui: bool = False
    ) -> fast.KlineColumns:
        """`klines` (or `uiKlines`) as columns (`binance_ws.fast`)."""
        args = {"symbol": symbol, "interval": interval, "limit": msgspec.UNSET if limit is None else limit}
        return await self._request(self._columns_method("uiKlines" if ui else "klines"), args)

    async def trades_columns(self, *, symbol: str, limit: int | None = None) -> fast.TradeColumns:
        """`trades.recent` as columns (`binance_ws.fast`)."""
        args = {"symbol": symbol, "limit": msgspec.UNSET if limit is None else limit}
        return await self._request(self._columns_method("trades.recent"), args)

    def _on_undecodable(self, link: _Link, text: str, exc: BaseException) -> None:
        problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        match = _LEADING_ID.match(text, 0, 64)
        request_id = int(match.group(1)) if match else None
        log.warning(
            "undecodable frame from the server ignored (%d chars, id %s): %s", len(text), request_id, problem[:200]
        )
        self._fail_request(link, request_id, f"undecodable frame: {problem[:200]}")

    @staticmethod
    def _fail_request(link: _Link, request_id: object, problem: str | BaseException) -> None:
        """Fail the request `request_id` with `problem` (an SBE error is kept whole, to be raised as it is)."""
        entry = link.pending.pop(request_id, None) if isinstance(request_id, int) else None
        if entry is not None and not entry[1].done():
            entry[1].set_exception(_Undecodable(problem))

    def _handle(self, link: _Link, frame: Frame) -> None:
        """Deliver an event, or hand an answer to its request (after counting its rate limits).

        A request whose answer cannot be handled fails, instead of the reader.
        """
        try:
            if len(frame.event):
                if link.deliver_events:
                    self._on_event(link, frame.event, frame.value if type(frame) is DecodedFrame else None)
                return
            if frame.rateLimits:
                self.rate_limiter.update(frame.rateLimits, int(time.time() * 1000) + self.clock_offset_ms)
            request_id = frame.id
            entry = link.pending.pop(request_id, None) if type(request_id) is int else None
            if entry is None:
                if request_id is None and frame.error is not None and frame.error.code == -2015:
                    log.warning("session logon revoked by the server (-2015)")
                    link.logged_on = False
                return
            future = entry[1]
            if not future.done():
                future.set_result(frame)
        except Exception as exc:
            log.error("frame from the server could not be handled, ignored: %s", describe(exc))
            self._fail_request(link, frame.id, f"{type(exc).__name__} handling the answer")

    async def _close_link(self, link: _Link) -> None:
        self._links.discard(link)
        task = link.task
        while task is not None and not task.done():
            task.cancel()
            # One cancellation is not always enough: on Python 3.10 a cancel scope inside the
            # transport (anyio) can absorb it and leave the link waiting forever. Ask again.
            await asyncio.wait({task}, timeout=0.5)

    def _activate(self, link: _Link) -> None:
        self._active = link
        self._ready.set()
        self._set_state(ConnectionState.CONNECTED)

    async def _supervise(self, link: _Link) -> None:
        loop = asyncio.get_running_loop()
        while not self._closing:
            rotate_at = loop.time() + self._max_lifetime * random.uniform(0.97, 1.0)
            # Woken by any link closing or rotate(), or at rotate_at: one future and a timer,
            # not two waiter tasks per wait.
            due = False
            while not due and not link.closed.is_set() and not self._rotate_now.is_set():
                wake = self._supervisor_wake = loop.create_future()
                timer = loop.call_at(rotate_at, _wake, wake, True)
                try:
                    due = await wake  # True: the timer (another link closing wakes it too)
                finally:
                    timer.cancel()
                    self._supervisor_wake = None
            try:
                if link.closed.is_set():
                    self._links.discard(link)
                    link = await self._reconnect_after_loss(link)
                else:
                    self._rotate_now.clear()
                    link = await self._rotate(link)
            except ConnectionClosed:
                raise  # gave up, or closing
            except Exception as exc:  # a bug must not leave the client without a supervisor
                log.error("connection supervisor error, retrying: %s", describe(exc))
                await self._sleep(self._reconnect.delay(max(1, self._failures)))

    async def _reconnect_after_loss(self, old: _Link) -> _Link:
        loop = asyncio.get_running_loop()
        self._ready.clear()
        reason = describe(old.error) if old.error else "connection lost"
        log.warning("connection lost (%s); reconnecting", reason)
        if loop.time() - old.opened_at >= self._reconnect.healthy_after:
            self._failures = 0  # it was healthy: start the backoff again
        while True:
            self._failures += 1
            attempt = self._failures
            self._set_state(ConnectionState.RECONNECTING, reason, attempt)
            if self._reconnect.max_attempts is not None and attempt > self._reconnect.max_attempts:
                self._closing = True
                self._ready.set()
                self._set_state(ConnectionState.CLOSED, "gave up reconnecting", attempt)
                raise ConnectionClosed("gave up reconnecting")
            await self._sleep(self._reconnect.delay(attempt))
            if self._closing:
                raise ConnectionClosed("the client is closed")
            try:
                link = await self._open_link(gap_reason="reconnected")
            except (BinanceError, OSError) as exc:
                reason = describe(exc)
                continue
            self._settle_gap(link)  # no subscription to restore: nothing owed; else already placed
            self._activate(link)
            return link

    async def _rotate(self, old: _Link) -> _Link:
        """Make-before-break: the new link is logged on and subscribed before the switch."""
        self._set_state(ConnectionState.ROTATING, "connection lifetime")
        try:
            new = await self._open_link(predecessor=old)
        except (BinanceError, OSError) as exc:
            log.warning("rotation failed (%s); keeping the current connection", describe(exc))
            self._set_state(ConnectionState.CONNECTED, "rotation postponed")
            return old
        old.deliver_events = False  # the new subscription delivers from now on
        self._activate(new)
        self._background.add(task := asyncio.create_task(self._drain_and_close(old)))
        task.add_done_callback(self._background.discard)
        return new

    async def _drain_and_close(self, link: _Link) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while link.pending and loop.time() < deadline and not link.closed.is_set():
            await asyncio.sleep(0.01)
        await self._close_link(link)

    def _set_state(self, state: ConnectionState, reason: str = "", attempt: int = 0) -> None:
        self.state = state
        log.info("connection %s%s", state.value, f" ({reason})" if reason else "")
        if self._on_connection_event is not None:
            try:
                self._on_connection_event(ConnectionEvent(state, reason, attempt))
            except Exception:
                log.error("on_connection_event callback failed:\n%s", traceback.format_exc())

    # -- user data -------------------------------------------------------------------------

    def _settle_gap(self, link: _Link, *, subscribed: bool = False) -> None:
        """Place the StreamGap a new link owes, before any event it delivers.

        A reconnect link owes one whenever a subscription is restored on it. A rotation link
        owes one if the old link closed before the new subscription was in place: events in
        between were delivered to neither. Once subscribed with the old link still open, the
        new link owes nothing (the old one covered the handover; duplicates are dropped).
        """
        if link.gap_settled or self._subscribe is None:
            return
        old = link.predecessor
        if link.gap_reason is not None or (old is not None and old.closed.is_set()):
            link.gap_settled = True
            self._push_event(StreamGap(link.gap_reason or "reconnected"))
        elif subscribed:
            link.gap_settled = True

    def _on_event(self, link: _Link, raw: msgspec.Raw, decoded: Any = None) -> None:
        """`decoded`: the event already built (an SBE event), else it is decoded from `raw` (JSON)."""
        data = bytes(raw)
        seen = self._recent_seen
        if data in seen:
            return  # the same event seen on both links around a rotation
        seen.add(data)
        recent = self._recent_events
        recent.append(data)
        if len(recent) > _RECENT_EVENTS:
            seen.discard(recent.popleft())
        self._settle_gap(link)
        event: E | StreamGap | UnknownEvent
        try:
            event = decoded if decoded is not None else self._decode_event(data)
        except (msgspec.DecodeError, RecursionError, ValueError) as exc:
            log.warning("undecodable user-data event (%d bytes) replaced by a gap: %s", len(data), describe(exc))
            event = StreamGap("undecodable")
        if isinstance(event, UnknownEvent) and event.type == "serverShutdown":
            self.rotate()  # the server is going away: move to a new connection now
        self._push_event(event)

    def _decode_event(self, data: bytes) -> E | UnknownEvent:
        try:
            decoded: E = self._event_decoder.decode(data) if self._event_decoder else msgspec.json.decode(data)
            return decoded
        except msgspec.ValidationError:
            generic: object = msgspec.json.decode(data)
            if not isinstance(generic, dict):
                raise ValueError(f"event is a JSON {type(generic).__name__}, not an object") from None
            fields = cast("dict[str, Any]", generic)
            return UnknownEvent(str(fields.get("e", "")), fields)

    def _push_event(self, event: E | StreamGap | UnknownEvent) -> None:
        if self._on_user_data is not None:
            try:
                self._on_user_data(event)
            except Exception:
                log.error("on_user_data callback failed:\n%s", traceback.format_exc())
        if len(self._events) >= self._events_max:
            # Full: the consumer learns of the loss at once, from a marker in a slot kept for it
            # (the buffer holds at most user_data_buffer events plus that one marker).
            if not self._events_overflowed:
                self._events_overflowed = True
                self._events.append(StreamGap("overflow"))
                self._events_wakeup.set()
            return
        self._events_overflowed = False  # a marker already precedes this event
        self._events.append(event)
        self._events_wakeup.set()

    async def user_data(self) -> AsyncIterator[E | StreamGap | UnknownEvent]:
        """User-data events in order, as typed structs, with `StreamGap` markers.

        Subscribe first (`session_logon()` then `user_data_stream_subscribe()`); the
        runtime resubscribes after reconnects and rotations by itself.
        """
        while (event := await self.next_event()) is not None:
            yield event

    async def next_event(self) -> E | StreamGap | UnknownEvent | None:
        """The next user-data event, waiting for one; None once the client is closed.

        Cancelling the wait loses nothing: an event is taken only when it is returned.
        """
        while not self._events:
            if self._closing:
                return None
            self._events_wakeup.clear()
            await self._events_wakeup.wait()
        return self._events.popleft()

    async def _take_events(self, into: collections.deque[Any], limit: int) -> bool:
        """Wait for an event, then move up to `limit` waiting events into `into`; False once closed.

        The blocking client's batch: one thread hop for many events. Events are moved, never
        held here, so a wait that is cancelled or timed out loses none.
        """
        while not self._events:
            if self._closing:
                return False
            self._events_wakeup.clear()
            await self._events_wakeup.wait()
        events = self._events
        for _ in range(min(limit, len(events))):
            into.append(events.popleft())
        return True


_RECENT_EVENTS = 256
_EXTRAS = {"websockets": "fast", "picows": "picows"}
_OWN_SETTINGS = {
    "websockets": "websockets reads SSL_CERT_FILE and the proxy environment variables itself",
    "picows": "picows reads SSL_CERT_FILE itself and connects directly, without a proxy",
}


def _check_optional_transport(transport: str, http_client: httpx.AsyncClient | None) -> None:
    import importlib.util

    if importlib.util.find_spec(transport) is None:
        raise ValueError(
            f'transport="{transport}" needs the {transport} package: pip install "binance-spot-ws[{_EXTRAS[transport]}]"'
        )
    if http_client is not None:
        raise ValueError(
            f'http_client applies to transport="httpx-ws" only: transport="{transport}" cannot use its proxy, '
            "TLS or verify settings. Use the default transport with http_client, or drop http_client "
            f"({_OWN_SETTINGS[transport]})"
        )


_C = TypeVar("_C", bound="AsyncConnection[Any]")
