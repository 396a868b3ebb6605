# pyright: reportPrivateUsage=false
# (the stream classes of these modules work as one unit: connections push into subscriptions.)
"""The asyncio shell of the market-data streams: connections, rotation, routing.

Streams are grouped into shards of at most `streams_per_connection` (1024 on
Binance); each shard is one combined-stream connection (`/stream?streams=...`),
so every event arrives wrapped with its stream name and many subscriptions share
one socket. Each shard has a supervisor task that owns its connection life:

- lost connection: every subscription of the shard gets a `StreamGap`, then the
  supervisor reconnects with backoff and listens to the same streams again;
- rotation (before the 24-hour limit, on `serverShutdown`, or `rotate()`):
  make-before-break. The new connection listens before the old one stops; each
  stream switches over once an event has been seen on both (so nothing is lost
  or repeated); a stream whose overlap cannot be proven gets a `StreamGap`.

Control messages (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS...) are throttled
per connection below the documented 5 incoming messages per second (pings and
pongs count too), and new connections stay within the documented attempts per
IP window, shared by every `StreamsConnection` of the process.

Pings are answered by the transport with their payload; our own keepalive pings
detect a dead peer. Transport, keepalive and backoff are those of the API client.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import importlib
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast
from urllib.parse import urlsplit

import msgspec

from . import options
from ._async import ReconnectPolicy, _check_optional_transport  # pyright: ignore[reportPrivateUsage]
from ._transport import TRANSPORTS, NotSent, TransportName, describe
from .errors import ConnectionClosed, ParamError, RequestTimeout, TransportError
from .sbe import SbeError
from .signing import Ed25519Key, HmacKey, RsaKey

if TYPE_CHECKING:
    import httpx
from .events import ConnectionEvent, ConnectionState
from .stream_sbe import StreamDecoder, sbe_stream_name
from .stream_wire import (
    ENVELOPE_DECODER,
    SERVER_SHUTDOWN,
    STREAM_PRODUCTION,
    STREAM_SBE_PRODUCTION,
    StreamControlError,
    StreamLimits,
    TimeUnit,
    base_url,
    combined_url,
    control_frame,
)
from .subscription import Subscription

E = TypeVar("E")

log = logging.getLogger("binance_ws.streams")

#: Stream names per SUBSCRIBE message, and the most put into a connection URL.
_BATCH = 200
_URL_BUDGET = 4000


class _AttemptWindow:
    """At most `limit` connection attempts per `window` seconds (the limit is per IP)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._times: collections.deque[float] = collections.deque()
        self._clock = clock
        self._sleep = sleep

    async def acquire(self, limit: int, window: float) -> None:
        while True:
            now = self._clock()
            while self._times and self._times[0] <= now - window:
                self._times.popleft()
            if len(self._times) < limit:
                self._times.append(now)
                return
            wait = self._times[0] + window - now
            log.warning("connection attempts: %d in %.0f s used; waiting %.1f s", limit, window, wait)
            await self._sleep(wait)


#: Connection attempts per stream server host, shared by every StreamsConnection of the process.
_ATTEMPTS: dict[str, _AttemptWindow] = {}


class _Throttle:
    """At most `rate` control messages in any second as the server counts them.

    One message at a time, and a new one only while fewer than `rate` answers came in the
    last second. The server handles a message before its answer leaves, so any `rate + 1`
    consecutive messages span more than a second of the server's time, however late it
    reads them (a server that stalls and then reads several at once counts them together).
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.lock = asyncio.Lock()
        self._answered: collections.deque[float] = collections.deque()

    async def wait(self) -> None:
        while True:
            now = time.monotonic()
            while self._answered and self._answered[0] <= now - 1.0:
                self._answered.popleft()
            if len(self._answered) < self.rate:
                return
            await asyncio.sleep(self._answered[0] + 1.0 - now)

    def answered(self) -> None:
        self._answered.append(time.monotonic())


class _Handover:
    """Make-before-break for the streams of one shard: from `old` to `new`, stream by stream."""

    def __init__(self, streams: set[str], buffer: int) -> None:
        # Events as delivered: JSON payload texts, or the SBE streams' events already decoded
        # (Structs, compared by value: both connections' frames decode to equal events).
        self.waiting = set(streams)  # not switched yet
        self.held: dict[str, collections.deque[Any]] = {s: collections.deque() for s in streams}
        self.seen_old: dict[str, collections.deque[Any]] = {s: collections.deque(maxlen=256) for s in streams}
        self.replay: dict[str, collections.deque[Any]] = {}  # switched; the new one still repeats these
        self.buffer = buffer
        self.done = asyncio.Event()
        if not streams:
            self.done.set()

    def switched(self, stream: str) -> None:
        self.waiting.discard(stream)
        self.held.pop(stream, None)
        self.seen_old.pop(stream, None)
        self.replay.pop(stream, None)
        if not self.waiting:
            self.done.set()


class _Conn:
    """One WebSocket connection of a shard."""

    _serial = itertools.count(1)

    def __init__(self, shard: _Shard, streams: set[str]) -> None:
        self.number = next(self._serial)
        self.shard = shard
        self.known: set[str] = set(streams)  # streams the server was asked to send
        self.send: Any = None
        self.task: asyncio.Task[None] | None = None
        self.opened = asyncio.Event()
        self.closed = asyncio.Event()
        self.error: BaseException | None = None
        self.closing = False  # closed by us
        self.pending: dict[int, tuple[str, asyncio.Future[Any]]] = {}
        self.throttle: _Throttle | None = None
        self.handover: _Handover | None = None
        self.role = "active"  # "old" or "new" during a handover
        self.opened_at = 0.0  # loop time of the handshake


class _Shard:
    """Up to `streams_per_connection` streams sharing one connection (two during a rotation)."""

    _serial = itertools.count(1)

    def __init__(self) -> None:
        self.number = next(self._serial)
        self.streams: set[str] = set()
        self.conn: _Conn | None = None  # the one new subscriptions go to
        self.rotate_now = asyncio.Event()
        self.changed = asyncio.Event()  # streams added or removed: bring the connection up to date
        self.idle = asyncio.Event()  # the connection listens to exactly `streams`
        self.task: asyncio.Task[None] | None = None
        self.started = False
        self.conns: set[_Conn] = set()  # every connection not closed yet (two during a rotation)
        self.failures = 0  # reconnect attempts since the last healthy connection
        self.retry_rotation_at: float | None = None


class StreamsConnection:
    """Market-data streams over WebSocket, resilient, for asyncio.

    Args:
        url: stream server base, e.g. `STREAM_PRODUCTION` (the default; `STREAM_SBE_PRODUCTION`
            with `response_format="sbe"`), `STREAM_TESTNET` or `Emulator.stream_url` (a `/ws/...`
            or `/stream?...` URL is cut to its base).
        time_unit: "MICROSECOND" for time fields in microseconds (default milliseconds).
        buffer: events kept per subscription for a slow consumer; past that, events are
            dropped and a `StreamGap("overflow")` marks the hole.
        timeout: seconds to wait for a connection or a control answer.
        keepalive_interval: seconds between our own pings (None: off).
        keepalive_timeout: no pong within this many seconds means a dead connection.
        max_lifetime: seconds after which a connection is rotated (the server closes at 24 h).
        reconnect: backoff between reconnect attempts and the connection budget (`ReconnectPolicy`;
            the documented 300 connections per 5 minutes per IP are kept per server host across the
            process too).
        control_rate: control messages per second per connection (default: one less than
            the documented limit, which pings and pongs share).
        streams_per_connection: streams per connection (default: the documented limit).
        handover_timeout: seconds a rotation waits for the connections' events to overlap.
        http_client: an `httpx.AsyncClient` to reuse (proxies, TLS settings).
        on_connection_event: called with each `ConnectionEvent`.
        transport: "httpx-ws" (default), "websockets" or "picows".
        max_message_size: largest server message accepted, in bytes (default 16 MiB).
        response_format: "json" (default), or "sbe" for the SBE market-data streams
            (stream-sbe.binance.com: `trade`, `book_ticker`, `depth` with 20 levels and
            `diff_depth`, delivered as the same typed events; see `binance_ws.stream_sbe`).
        api_key: with "sbe", the API key of an Ed25519 key (a string, or the `Ed25519Key`),
            sent in the `X-MBX-APIKEY` header when connecting, as Binance requires.

    Bad options fail here with a `ValueError` or `TypeError` naming the option.
    """

    _limits = StreamLimits()  # the generated class sets the spec's values
    _sbe_layout: Any = None  # set by the generated class: the SBE streams' layout tables (`_sbe_stream`)
    _sbe_direct: Any = None  # ... and their straight-line decoders (`_sbe_stream_decode`, or its module name)

    def __init__(
        self,
        *,
        url: str | None = None,
        time_unit: TimeUnit | None = None,
        buffer: int = 10_000,
        timeout: float = 10.0,
        keepalive_interval: float | None = 20.0,
        keepalive_timeout: float | None = 20.0,
        max_lifetime: float = 23.5 * 3600,
        reconnect: ReconnectPolicy | None = None,
        control_rate: int | None = None,
        streams_per_connection: int | None = None,
        handover_timeout: float = 5.0,
        http_client: httpx.AsyncClient | None = None,
        on_connection_event: Callable[[ConnectionEvent], None] | None = None,
        transport: TransportName = "httpx-ws",
        max_message_size: int = options.DEFAULT_MAX_MESSAGE_SIZE,
        response_format: Literal["json", "sbe"] = "json",
        api_key: str | Ed25519Key | None = None,
    ) -> None:
        timeout = options.seconds("timeout", timeout) or timeout
        if response_format not in ("json", "sbe"):
            raise ParamError("MarketStreams", "response_format", f"expected 'json' or 'sbe', got {response_format!r}")
        self.response_format: Literal["json", "sbe"] = response_format
        self._headers: list[tuple[str, str]] | None = None
        self._sbe: StreamDecoder | None = None
        if response_format == "sbe":
            self._headers = [("X-MBX-APIKEY", _sbe_api_key(api_key))]
            if self._sbe_layout is None:
                raise ValueError("response_format='sbe' needs the generated MarketStreams (binance_spot_ws)")
            direct = self._sbe_direct
            self._sbe = StreamDecoder(
                self._sbe_layout,
                microseconds=time_unit == "MICROSECOND",
                direct=importlib.import_module(direct) if isinstance(direct, str) else direct,
            )
        elif api_key is not None:
            raise ParamError("MarketStreams", "api_key", "only the SBE streams take an API key (response_format='sbe')")
        if url is None:
            url = STREAM_SBE_PRODUCTION if response_format == "sbe" else STREAM_PRODUCTION
        keepalive_interval = options.seconds("keepalive_interval", keepalive_interval, optional=True)
        keepalive_timeout = options.seconds("keepalive_timeout", keepalive_timeout, optional=True)
        max_lifetime = options.seconds("max_lifetime", max_lifetime) or max_lifetime
        handover_timeout = options.seconds("handover_timeout", handover_timeout) or handover_timeout
        options.count("buffer", buffer)
        self._max_message = options.count("max_message_size", max_message_size, minimum=65_536)
        if reconnect is not None and not isinstance(reconnect, ReconnectPolicy):  # pyright: ignore[reportUnnecessaryIsInstance]  # checked at run time for callers without a type checker
            raise TypeError(f"reconnect must be a ReconnectPolicy, not {type(reconnect).__name__}")
        if transport in ("websockets", "picows"):
            _check_optional_transport(transport, http_client)
        if time_unit not in (None, "MILLISECOND", "MICROSECOND"):
            raise ParamError(
                "MarketStreams", "time_unit", f"expected 'MILLISECOND' or 'MICROSECOND', got {time_unit!r}"
            )
        if transport not in TRANSPORTS:
            raise ParamError(
                "MarketStreams", "transport", f"expected one of {', '.join(TRANSPORTS)}, got {transport!r}"
            )
        limits = self._limits
        per_conn = streams_per_connection or limits.streams_per_connection
        if not 1 <= per_conn <= limits.streams_per_connection:
            raise ParamError(
                "MarketStreams",
                "streams_per_connection",
                f"expected 1 to {limits.streams_per_connection}, got {streams_per_connection!r}",
            )
        rate = control_rate or max(1, limits.messages_per_second - 1)
        if not 1 <= rate <= limits.messages_per_second:
            raise ParamError(
                "MarketStreams", "control_rate", f"expected 1 to {limits.messages_per_second}, got {control_rate!r}"
            )
        self.url = base_url(url)
        self.time_unit: TimeUnit | None = time_unit
        self.buffer = buffer
        self.timeout = timeout
        self._keepalive = (keepalive_interval, keepalive_timeout)
        self._max_lifetime = min(max_lifetime, limits.connection_lifetime)
        self._backoff = reconnect or ReconnectPolicy()
        self._control_rate = rate
        self._per_conn = per_conn
        self._handover_timeout = handover_timeout
        self._http_client = http_client
        self._owns_http_client = http_client is None
        self._on_connection_event = on_connection_event
        self._transport = transport
        self._subs: dict[str, list[Subscription[Any]]] = {}
        self._shard_of: dict[str, _Shard] = {}
        self._shards: list[_Shard] = []
        self._decoders: dict[Any, msgspec.json.Decoder[Any]] = {}
        self._closing = False
        self._entered = False
        self._tasks: list[asyncio.Task[None]] = []  # every shard supervisor started
        self._connects = _AttemptWindow()
        self.state = ConnectionState.CLOSED

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(url={self.url!r}, streams={len(self._shard_of)}, connections={len(self._shards)})"
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self: _S) -> _S:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        """Get ready; connections open when the first streams are subscribed."""
        if self._http_client is None and self._transport == "httpx-ws":
            from ._transport_httpx import new_http_client  # shared TLS context, httpx imported here

            self._http_client = new_http_client(self.url, self.timeout)
        self._entered = True
        for shard in self._shards:
            self._start(shard)

    async def close(self) -> None:
        """Close every connection; iterators end."""
        if self._closing:
            return
        self._closing = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for subs in self._subs.values():
            for sub in subs:
                sub._end()
        self._set_state(ConnectionState.CLOSED)
        if self._owns_http_client and self._http_client is not None:
            await self._http_client.aclose()

    def rotate(self) -> None:
        """Replace every connection now, make-before-break (as before the 24-hour limit)."""
        for shard in self._shards:
            shard.rotate_now.set()

    @property
    def connections(self) -> int:
        """Connections currently open (two per shard during a rotation)."""
        return sum(
            1 for shard in self._shards for conn in shard.conns if conn.opened.is_set() and not conn.closed.is_set()
        )

    # -- subscriptions ---------------------------------------------------------------------

    def _subscribe(self, stream: str, event_type: Any, buffer: int | None = None) -> Subscription[Any]:
        """A new subscription to `stream` whose events decode as `event_type` (the generated methods call this)."""
        if self._closing:
            raise ConnectionClosed("the streams connection is closed")
        if buffer is not None and (not isinstance(buffer, int) or buffer < 1):  # pyright: ignore[reportUnnecessaryIsInstance]  # checked at run time for callers without a type checker
            raise ParamError(stream, "buffer", f"expected a positive int, got {buffer!r}")
        if self._sbe is not None:
            stream = sbe_stream_name(stream)  # the SBE stream with the same events, or ParamError
        decoder = self._decoders.get(event_type)
        if decoder is None:
            decoder = self._decoders[event_type] = msgspec.json.Decoder(event_type)
        sub: Subscription[Any] = Subscription(self, stream, decoder, buffer or self.buffer)
        subs = self._subs.setdefault(stream, [])
        subs.append(sub)
        shard = self._shard_of.get(stream)
        if shard is not None:
            conn = shard.conn
            if (
                conn is not None
                and conn.opened.is_set()
                and stream in conn.known
                and any(s._acked.is_set() for s in subs)
            ):
                sub._ack()
            return sub
        shard = next((s for s in self._shards if len(s.streams) < self._per_conn), None)
        if shard is None:
            shard = _Shard()
            self._shards.append(shard)
        shard.streams.add(stream)
        self._shard_of[stream] = shard
        shard.changed.set()
        if self._entered:
            self._start(shard)
        return sub

    def subscribe_raw(self, stream: str, *, buffer: int | None = None) -> Subscription[Any]:
        """A stream the spec does not describe; events are plain JSON values."""
        if not isinstance(stream, str) or not stream or any(c in stream for c in " /?&#"):  # pyright: ignore[reportUnnecessaryIsInstance]  # checked at run time for callers without a type checker
            raise ParamError("subscribe_raw", "stream", f"expected a stream name, got {stream!r}")
        return self._subscribe(stream, Any, buffer)

    async def _unsubscribe(self, sub: Subscription[Any]) -> None:
        subs = self._subs.get(sub.stream)
        if subs is None or sub not in subs:
            return
        subs.remove(sub)
        if subs:
            return
        del self._subs[sub.stream]
        shard = self._shard_of.pop(sub.stream, None)
        if shard is not None:
            shard.streams.discard(sub.stream)
            shard.idle.clear()
            shard.changed.set()
            conn = shard.conn
            if conn is not None and conn.opened.is_set() and not conn.closed.is_set() and not self._closing:
                # Return once the server has stopped sending it (UNSUBSCRIBE answered).
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(shard.idle.wait(), self.timeout)

    async def list_subscriptions(self) -> list[str]:
        """The streams the server says it sends, over every connection (LIST_SUBSCRIPTIONS)."""
        names: set[str] = set()
        for shard in list(self._shards):
            conn = await self._ready_conn(shard)
            result = await self._control(conn, "LIST_SUBSCRIPTIONS", None)
            names.update(str(name) for name in cast("list[object]", result or []))
        return sorted(names)

    async def get_property(self, name: str = "combined") -> Any:
        """A connection property (GET_PROPERTY); the only one Binance has is `combined`."""
        if not self._shards:
            raise ConnectionClosed("no stream connection is open (subscribe first)")
        conn = await self._ready_conn(self._shards[0])
        return await self._control(conn, "GET_PROPERTY", [name])

    async def _ready_conn(self, shard: _Shard) -> _Conn:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:
            if self._closing:
                raise ConnectionClosed("the streams connection is closed")
            conn = shard.conn
            if conn is not None and conn.opened.is_set() and not conn.closed.is_set():
                return conn
            if loop.time() >= deadline:
                raise RequestTimeout("no stream connection in time")
            await asyncio.sleep(0.01)

    # -- control messages ------------------------------------------------------------------

    async def _control(self, conn: _Conn, method: str, params: list[Any] | None) -> Any:
        throttle = conn.throttle
        assert throttle is not None
        async with throttle.lock:  # one control message in flight per connection
            await throttle.wait()
            request_id, text = control_frame(method, params)
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            conn.pending[request_id] = (method, future)
            try:
                try:
                    await conn.send(text)
                except NotSent:
                    raise TransportError(f"{method}: the connection is closing") from None
                except Exception as exc:
                    raise TransportError(f"{method}: {describe(exc)}") from exc
                try:
                    return await asyncio.wait_for(future, self.timeout)
                except asyncio.TimeoutError:
                    raise RequestTimeout(f"{method}: no answer in time") from None
            finally:
                throttle.answered()  # or given up on: counted as if answered now
                conn.pending.pop(request_id, None)

    async def _sync_streams(self, shard: _Shard, conn: _Conn) -> None:
        """SUBSCRIBE / UNSUBSCRIBE until the connection listens to exactly the shard's streams."""
        while not conn.closed.is_set():
            shard.changed.clear()
            add = sorted(shard.streams - conn.known)
            remove = sorted(conn.known - shard.streams)
            if not add and not remove:
                shard.idle.set()
                return
            if remove:
                batch = remove[:_BATCH]
                conn.known.difference_update(batch)
                await self._control_or_lost(conn, "UNSUBSCRIBE", batch)
            if add:
                batch = add[:_BATCH]
                conn.known.update(batch)
                try:
                    sent = await self._control_or_lost(conn, "SUBSCRIBE", batch)
                except StreamControlError as error:
                    conn.known.difference_update(batch)
                    for stream in batch:
                        self._refuse(stream, error)
                    continue
                if not sent:
                    return  # lost: the next connection listens to them from its URL
                for stream in batch:
                    if stream in conn.known:
                        for sub in self._subs.get(stream, ()):
                            sub._ack()

    async def _control_or_lost(self, conn: _Conn, method: str, params: list[Any]) -> bool:
        """True once answered; False if the connection went (the next one listens to the shard's streams)."""
        try:
            await self._control(conn, method, params)
        except (TransportError, ConnectionClosed):
            return False
        return True

    def _refuse(self, stream: str, error: BaseException) -> None:
        for sub in self._subs.pop(stream, []):
            sub._end(error)
        shard = self._shard_of.pop(stream, None)
        if shard is not None:
            shard.streams.discard(stream)

    # -- frames ----------------------------------------------------------------------------

    def _on_frame(self, conn: _Conn, text: str | bytes) -> None:
        if not isinstance(text, str):  # the transports pass binary frames on (SBE); JSON streams send none
            if self._sbe is None:
                log.warning("binary frame from the stream server ignored (%d bytes)", len(text))
                return
            try:
                found = self._sbe.decoded(text)
                if found is not None:
                    stream, event_type, decoded = found
                    for sub in self._subs.get(stream, ()):
                        if sub._decoder.type is not event_type:
                            break  # it wants other values (`subscribe_raw`): all get the JSON payloads
                    else:  # the events as they are
                        for event in decoded:
                            self._on_event(conn, stream, event)
                        return
                events = self._sbe.payloads(text)
            except (SbeError, KeyError, TypeError) as exc:
                log.warning("undecodable SBE frame from the stream server ignored (%d bytes): %s", len(text), exc)
                return
            for stream, data in events:
                self._on_event(conn, stream, data)
            return
        # The hot path: Binance frames events compactly as {"stream":"<name>","data":<payload>},
        # so the name and the payload are cut out of the text without parsing it; the payload is
        # parsed once, typed, when the consumer takes it. Anything else is parsed in full.
        if text.startswith('{"stream":"'):
            end = text.find('"', 11)
            if end > 0 and text.startswith(',"data":', end + 1) and text.endswith("}"):
                self._on_event(conn, text[11:end], text[end + 9 : -1])
                return
        try:
            frame = ENVELOPE_DECODER.decode(text)
        except msgspec.DecodeError:
            log.warning("undecodable frame from the stream server ignored (%d chars)", len(text))
            return
        if frame.stream is not None:
            if frame.data:
                self._on_event(conn, frame.stream, bytes(frame.data).decode())
            return
        if frame.id is None and frame.code is None:
            if '"serverShutdown"' in text:
                self._server_shutdown(conn)  # a raw (not combined) notice
            return
        entry = conn.pending.pop(frame.id, None) if isinstance(frame.id, int) else None
        if entry is None:
            if frame.code is not None:
                log.warning("stream server error %s: %s", frame.code, frame.msg)
            return
        method, future = entry
        if future.done():
            return
        if frame.code is not None:
            future.set_exception(StreamControlError(method, frame.code, frame.msg or ""))
        else:
            future.set_result(msgspec.json.decode(frame.result) if frame.result else None)

    def _on_event(self, conn: _Conn, stream: str, data: Any) -> None:
        """`data`: a JSON payload text, or an event already decoded (SBE)."""
        if stream == SERVER_SHUTDOWN:
            self._server_shutdown(conn)
            return
        handover = conn.handover
        if handover is not None and stream in handover.waiting:
            self._handover_frame(conn, handover, stream, data)
            return
        if conn.role == "old":
            return  # switched to the new connection already
        subs = self._subs.get(stream)
        if subs:
            for sub in subs:
                sub._push(data)

    def _handover_frame(self, conn: _Conn, handover: _Handover, stream: str, data: Any) -> None:
        held = handover.held[stream]
        replay = handover.replay.get(stream)
        if conn.role == "old":
            if replay is not None:
                return  # the new connection delivers this stream already
            self._deliver(stream, data)
            handover.seen_old[stream].append(data)
            if held and held[0] == data:  # the old connection caught up with the new one
                held.popleft()
                for item in held:
                    self._deliver(stream, item)
                handover.switched(stream)
            return
        if replay is not None:  # the new connection repeats what the old one delivered
            if replay and replay[0] == data:
                replay.popleft()
                if not replay:
                    handover.switched(stream)
                return
            handover.switched(stream)
            self._deliver(stream, data)
            return
        seen = handover.seen_old[stream]
        if not held and data in seen:
            # Overlap proven: from here on the new connection delivers, after repeating what
            # the old one delivered past this event (those are dropped).
            items = list(seen)
            index = len(items) - 1 - items[::-1].index(data)
            rest = items[index + 1 :]
            if rest:
                handover.replay[stream] = collections.deque(rest)
            else:
                handover.switched(stream)
            return
        if len(held) >= handover.buffer:
            self._release(handover, stream, gap=True)
            self._deliver(stream, data)
            return
        held.append(data)

    def _release(self, handover: _Handover, stream: str, *, gap: bool) -> None:
        """Switch `stream` to the new connection without proven overlap."""
        held = handover.held.get(stream)
        if held and gap:
            for sub in self._subs.get(stream, ()):
                sub._gap("rotation")
        for item in held or ():
            self._deliver(stream, item)
        handover.switched(stream)

    def _deliver(self, stream: str, data: Any) -> None:
        for sub in self._subs.get(stream, ()):
            sub._push(data)

    def _server_shutdown(self, conn: _Conn) -> None:
        if conn.role != "old":
            log.warning("stream server shutting down; moving to a new connection")
            conn.shard.rotate_now.set()

    # -- connections -----------------------------------------------------------------------

    def _start(self, shard: _Shard) -> None:
        if shard.started or self._closing:
            return
        shard.started = True
        shard.task = asyncio.create_task(self._supervise(shard), name=f"binance-streams-shard-{shard.number}")
        self._tasks.append(shard.task)

    async def _open(self, shard: _Shard, handover: _Handover | None = None) -> _Conn:
        """Connect listening to the shard's streams (the rest by SUBSCRIBE); raises TransportError.

        With `handover`, the connection is the new one of a rotation from its first frame.
        """
        # The policy's budget for this object, and the documented per-IP limit for the process.
        await self._connects.acquire(self._backoff.max_connects, self._backoff.connect_window)
        host = urlsplit(self.url).hostname or ""
        window = _ATTEMPTS.setdefault(host, _AttemptWindow())
        await window.acquire(self._limits.connection_attempts, self._limits.connection_attempts_window)
        in_url: list[str] = []
        length = 0
        for stream in sorted(shard.streams):
            if length + len(stream) + 1 > _URL_BUDGET:
                break
            in_url.append(stream)
            length += len(stream) + 1
        conn = _Conn(shard, set(in_url))
        if handover is not None:
            conn.handover, conn.role = handover, "new"
        shard.conns.add(conn)
        conn.throttle = _Throttle(self._control_rate)
        url = combined_url(self.url, in_url, None if self._sbe is not None else self.time_unit)  # SBE: always us
        conn.task = asyncio.create_task(self._run_conn(conn, url), name=f"binance-streams-conn-{conn.number}")
        opened = asyncio.create_task(conn.opened.wait())
        closed = asyncio.create_task(conn.closed.wait())
        try:
            await asyncio.wait({opened, closed}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            opened.cancel()
            closed.cancel()
        if not conn.opened.is_set() or conn.closed.is_set():
            # Why, taken before the connection is cancelled (which would say only "closed").
            reason = (conn.error if conn.closed.is_set() else None) or TimeoutError("connect timed out")
            await self._close_conn(conn)
            hint = ""
            if self._sbe is not None and _refused_status(reason) in (400, 401, 403):
                hint = " (the SBE streams need the API key of an Ed25519 key Binance knows, in X-MBX-APIKEY)"
            raise TransportError(f"cannot connect to {self.url}: {describe(reason)}{hint}")
        return conn

    async def _run_conn(self, conn: _Conn, url: str) -> None:
        run = TRANSPORTS[self._transport]

        def opened(send: Any) -> None:
            conn.send = send
            conn.opened_at = asyncio.get_running_loop().time()
            conn.opened.set()

        try:
            conn.error = await run(
                url,
                self._http_client,
                self._keepalive,
                self._max_message,
                opened,
                functools.partial(self._on_frame, conn),
                headers=self._headers,
            )
        except asyncio.CancelledError:
            conn.error = conn.error or ConnectionClosed("closed")
        except BaseException as exc:
            conn.error = exc
        finally:
            conn.closed.set()
            for _, future in conn.pending.values():
                if not future.done():
                    future.set_exception(ConnectionClosed("the stream connection closed"))
            conn.pending.clear()

    async def _close_conn(self, conn: _Conn) -> None:
        conn.closing = True
        conn.shard.conns.discard(conn)
        task = conn.task
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=0.5)  # cancel again if a transport absorbed it

    def _ack_known(self, conn: _Conn) -> None:
        for stream in conn.known:
            for sub in self._subs.get(stream, ()):
                sub._ack()

    async def _supervise(self, shard: _Shard) -> None:
        try:
            conn = await self._open(shard)
        except TransportError as error:
            log.warning("%s", error)
            self._fail_shard(shard, error)
            return
        try:
            await self._live(shard, conn)
        finally:
            for conn in list(shard.conns):
                await self._close_conn(conn)

    async def _live(self, shard: _Shard, conn: _Conn) -> None:
        loop = asyncio.get_running_loop()
        shard.conn = conn
        self._ack_known(conn)
        self._set_state(ConnectionState.CONNECTED)
        while not self._closing:
            rotate_at = shard.retry_rotation_at or loop.time() + self._max_lifetime * random.uniform(0.97, 1.0)
            shard.retry_rotation_at = None
            while not conn.closed.is_set() and not shard.rotate_now.is_set():
                sync = asyncio.create_task(self._sync_streams(shard, conn))
                waiters = {
                    asyncio.create_task(conn.closed.wait()),
                    asyncio.create_task(shard.rotate_now.wait()),
                    asyncio.create_task(shard.changed.wait()),
                }
                try:
                    await sync
                    if not shard.changed.is_set():
                        await asyncio.wait(
                            waiters, timeout=max(0.0, rotate_at - loop.time()), return_when=asyncio.FIRST_COMPLETED
                        )
                finally:
                    for waiter in waiters:
                        waiter.cancel()
                    await asyncio.gather(*waiters, return_exceptions=True)
                if loop.time() >= rotate_at:
                    shard.rotate_now.set()
            if conn.closed.is_set():
                reconnected = await self._reconnect(shard, conn)
                if reconnected is None:
                    return  # gave up: the shard's subscriptions ended with ConnectionClosed
                conn = reconnected
            else:
                shard.rotate_now.clear()
                conn = await self._rotate(shard, conn)
            shard.conn = conn

    async def _reconnect(self, shard: _Shard, old: _Conn) -> _Conn | None:
        reason = describe(old.error) if old.error else "connection lost"
        log.warning("stream connection lost (%s); reconnecting", reason)
        if asyncio.get_running_loop().time() - old.opened_at >= self._backoff.healthy_after:
            shard.failures = 0  # it was healthy: the backoff starts again
        for stream in shard.streams:
            for sub in self._subs.get(stream, ()):
                sub._gap("reconnected")
        shard.conn = None
        await self._close_conn(old)
        while True:
            shard.failures += 1
            attempt = shard.failures
            self._set_state(ConnectionState.RECONNECTING, reason, attempt)
            if self._backoff.max_attempts is not None and attempt > self._backoff.max_attempts:
                self._fail_shard(shard, ConnectionClosed("gave up reconnecting"))
                self._set_state(ConnectionState.CLOSED, "gave up reconnecting", attempt)
                return None
            await asyncio.sleep(self._backoff.delay(attempt))
            try:
                conn = await self._open(shard)
            except TransportError as exc:
                reason = str(exc)
                continue
            self._ack_known(conn)
            self._set_state(ConnectionState.CONNECTED)
            return conn

    async def _rotate(self, shard: _Shard, old: _Conn) -> _Conn:
        """Make-before-break: the new connection listens before the old one stops delivering."""
        self._set_state(ConnectionState.ROTATING, "connection lifetime")
        # The handover starts before the new connection opens (its first frames can come before
        # this task resumes). Streams beyond what fits in its URL are subscribed on it too, and
        # are part of the handover from the start: the old connection delivers until they overlap.
        handover = _Handover(old.known & shard.streams, self.buffer)
        old.handover, old.role = handover, "old"
        try:
            new = await self._open(shard, handover)
        except TransportError as exc:
            old.handover, old.role = None, "active"
            log.warning("rotation failed (%s); keeping the current connection, trying again soon", exc)
            self._set_state(ConnectionState.CONNECTED, "rotation postponed")
            shard.retry_rotation_at = asyncio.get_running_loop().time() + self._backoff.delay(1) + 1.0
            return old
        shard.conn = new  # new subscriptions go to the new connection
        self._ack_known(new)
        await self._sync_streams(shard, new)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._handover_timeout
        waiters = {asyncio.create_task(handover.done.wait()), asyncio.create_task(old.closed.wait())}
        try:
            await asyncio.wait(waiters, timeout=max(0.0, deadline - loop.time()), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        old_failed = old.closed.is_set() and not old.closing
        for stream in list(handover.waiting):
            # No overlap seen: events held from the new connection follow a gap marker. If
            # nothing came on the new one and the old one ended normally, nothing was missed.
            self._release(handover, stream, gap=True)
            if old_failed:
                for sub in self._subs.get(stream, ()):
                    sub._gap("rotation")
        new.handover, new.role = None, "active"
        await self._close_conn(old)
        self._set_state(ConnectionState.CONNECTED, "rotated")
        return new

    def _fail_shard(self, shard: _Shard, error: BaseException) -> None:
        for stream in list(shard.streams):
            self._refuse(stream, error)
        if shard in self._shards:
            self._shards.remove(shard)

    def _set_state(self, state: ConnectionState, reason: str = "", attempt: int = 0) -> None:
        self.state = state
        log.info("streams %s%s", state.value, f" ({reason})" if reason else "")
        if self._on_connection_event is not None:
            try:
                self._on_connection_event(ConnectionEvent(state, reason, attempt))
            except Exception:
                log.exception("on_connection_event callback failed")


_S = TypeVar("_S", bound=StreamsConnection)


def _refused_status(exc: BaseException) -> int | None:
    """The HTTP status of a refused handshake, as each transport reports it (None: not one)."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return int(status) if isinstance(status, int) else None


def _sbe_api_key(api_key: object) -> str:
    """The `X-MBX-APIKEY` value: an API key string or an `Ed25519Key`; ParamError otherwise."""
    if isinstance(api_key, Ed25519Key):
        return api_key.api_key
    if isinstance(api_key, (HmacKey, RsaKey)):
        raise ParamError("MarketStreams", "api_key", "the SBE streams accept only Ed25519 keys")
    if not isinstance(api_key, str) or not api_key or not api_key.isprintable() or not api_key.isascii():
        raise ParamError(
            "MarketStreams",
            "api_key",
            "response_format='sbe' needs the API key of an Ed25519 key (Binance requires one)",
        )
    return api_key
