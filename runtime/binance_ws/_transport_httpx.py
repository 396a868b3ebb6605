"""The default transport: httpx-ws, with a session class of our own (imported on first use).

httpx-ws's stock session hands every received frame from a background task to the
reader through a zero-capacity anyio stream (a task switch and two checkpoints per
message) and yields twice per send. The SDK plugs its own session class in through
httpx-ws's `session_class` hook. httpx still does the connect, TLS, proxies and the
upgrade (the clients the SDK makes for itself connect through `_asyncio_network`: asyncio
transports under httpcore, instead of anyio's); httpx-ws still pings, and closes. After the upgrade, on a direct connection
(TCP, or TLS over TCP, on asyncio: what httpx builds when no HTTPS proxy is in the
way) the session takes the asyncio transport over from anyio (`_Direct`): bytes are
parsed in the transport's read callback and messages handed to a callback from there
(no reader task wakes, no anyio/httpcore layer per read, reading is not paused and
resumed around each read), and frames go to the transport through an `Outbox` (a
burst in one write). Any other stream (an HTTPS proxy's TLS-in-TLS, a custom httpx
transport) is read by a background task and written through httpx's stream as before.
Data frames are parsed here and framed by `_framing`; wsproto handles control frames.

The clients the SDK creates for itself share one TLS context (httpx's default trust:
certifi, or SSL_CERT_FILE / SSL_CERT_DIR), created on the first `wss://` connect;
a `ws://` client gets a bare context that loads no certificates.
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
from typing import Any

import anyio
import anyio.streams.tls
import httpcore
import httpcore._async.http11
import httpcore._backends.anyio
import httpx
import wsproto.connection
import wsproto.events
from httpx_ws import AsyncWebSocketSession, HTTPXWSException, WebSocketDisconnect, WebSocketNetworkError
from wsproto.frame_protocol import CloseReason

from ._asyncio_network import AsyncioBackend, AsyncioStream
from ._framing import Outbox, client_frame
from ._transport import Headers, MessageTooBig, NotSent, OnOpen, OnText


class _TooBig(MessageTooBig, HTTPXWSException):
    """MessageTooBig as httpx-ws raises it from `receive()`."""


# Why reading stopped (besides the server's close frame, kept as wsproto's event).
_STREAM = "the stream ended or failed"
_TOO_BIG = "a message over the size cap"
_BAD_UTF8 = "a text message that is not UTF-8"


_CONTEXTS: dict[tuple[str | None, str | None], ssl.SSLContext] = {}
_PLAIN: list[ssl.SSLContext] = []


def _verify(url: str) -> ssl.SSLContext:
    if not url.startswith("wss:"):  # never used for ws://: no trust store to load
        if not _PLAIN:
            _PLAIN.append(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        return _PLAIN[0]
    where = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _CONTEXTS.get(where)
    if context is None:
        context = _CONTEXTS[where] = httpx.create_ssl_context()
    return context


def new_http_client(url: str, timeout: float) -> httpx.AsyncClient:
    """The httpx client a connection makes for itself, with the shared TLS context.

    Its direct connections are made on asyncio (`AsyncioBackend`); the proxies httpx
    mounts from the environment keep their own transports.
    """
    client = httpx.AsyncClient(timeout=timeout, verify=_verify(url))
    transport: Any = client._transport  # pyright: ignore[reportPrivateUsage]
    if type(transport) is httpx.AsyncHTTPTransport:
        pool: Any = transport._pool  # pyright: ignore[reportPrivateUsage]
        if type(pool) is httpcore.AsyncConnectionPool:
            pool._network_backend = AsyncioBackend()  # pyright: ignore[reportPrivateUsage]
    return client


_HIGH_WATER = 64 * 1024  # bytes buffered by the socket before a sender waits


class _Direct(asyncio.Protocol):
    """The asyncio transport under httpx's stream, once the upgrade is done (see `_take_over`).

    Bytes arrive in `data_received` (decrypted here for `wss://`) and are parsed by the
    session in that callback: no reader task wakes per read, no anyio or httpcore layer
    runs per read or write, reading is never paused and resumed between reads. Every
    write of the session (frames, pongs, httpx-ws's pings and close) goes through
    `write`, in order, so TLS records keep their sequence.
    """

    def __init__(
        self,
        session: _CallbackSession,
        transport: asyncio.Transport,
        inner: asyncio.BaseProtocol,
        tls: ssl.SSLObject | None,
        incoming: ssl.MemoryBIO | None,
        outgoing: ssl.MemoryBIO | None,
    ) -> None:
        self.session = session
        self.transport = transport
        self.inner = inner  # anyio's protocol: told of flow control and the end, as before
        self.tls = tls
        self.incoming = incoming
        self.outgoing = outgoing
        self.lost = False
        self.writable: asyncio.Future[None] | None = None

    # -- reading -------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.tls is None:
            self.session.feed(data)
            return
        assert self.incoming is not None
        self.incoming.write(data)
        self.decrypt()

    def decrypt(self) -> None:
        """Hand the session all the plaintext the TLS layer holds; answer what TLS must answer."""
        assert self.tls is not None and self.outgoing is not None
        while not self.session.ended:
            try:
                plain = self.tls.read(262144)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:  # the peer's close_notify
                self.session.end_reading(_STREAM)
                break
            except ssl.SSLError:
                self.session.end_reading(_STREAM)
                break
            if not plain:
                self.session.end_reading(_STREAM)
                break
            self.session.feed(plain)
        if self.outgoing.pending and not self.transport.is_closing():
            self.transport.write(self.outgoing.read())  # e.g. a TLS 1.3 key update's answer

    def eof_received(self) -> bool | None:
        self.session.end_reading(_STREAM)
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.inner.connection_lost(exc)
        self.session.end_reading(_STREAM)
        self._wake()

    # -- writing -------------------------------------------------------------------------

    def closing(self) -> bool:
        return self.lost or self.transport.is_closing()

    def write_now(self, data: bytes) -> None:
        if self.tls is None:
            self.transport.write(data)
            return
        assert self.outgoing is not None
        self.tls.write(data)
        self.transport.write(self.outgoing.read())

    async def drain(self) -> None:
        """Wait while the socket holds more than `_HIGH_WATER` unsent bytes."""
        while self.transport.get_write_buffer_size() > _HIGH_WATER and not self.closing():
            if self.writable is None:
                self.writable = asyncio.get_running_loop().create_future()
            await asyncio.shield(self.writable)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()
        self._wake()

    def _wake(self) -> None:
        if self.writable is not None:
            if not self.writable.done():
                self.writable.set_result(None)
            self.writable = None


class _DirectStream(httpcore.AsyncNetworkStream):
    """What httpx-ws's session writes to and closes once `_Direct` has taken the transport over."""

    def __init__(self, direct: _Direct, original: httpcore.AsyncNetworkStream) -> None:
        self.direct = direct
        self.original = original

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # pragma: no cover - never called
        raise httpcore.ReadError("the connection is read by its protocol")

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        direct = self.direct
        if direct.closing():
            raise httpcore.WriteError("the connection is closed")
        try:
            direct.write_now(buffer)
        except (OSError, ssl.SSLError) as exc:
            raise httpcore.WriteError(str(exc)) from exc
        await direct.drain()

    async def aclose(self) -> None:
        await self.original.aclose()

    def get_extra_info(self, info: str) -> Any:
        return self.original.get_extra_info(info)


def _take_over(session: _CallbackSession) -> _Direct | None:
    """The asyncio transport under an upgraded httpx connection, with whatever it has buffered.

    Only the shapes httpx builds for a direct connection are taken over: the SDK's own
    clients' `AsyncioStream` (TCP, or asyncio's TLS over it), and anyio's TCP or TLS over
    TCP (a user's `http_client`). Anything else (TLS through an HTTPS proxy, another
    backend, a custom httpx transport) keeps being read through httpx's stream.
    """
    from anyio._backends._asyncio import SocketStream, StreamProtocol

    upgraded: Any = session.stream
    stream: Any = upgraded
    if type(upgraded) is httpcore._async.http11.AsyncHTTP11UpgradeStream:
        stream = upgraded._stream  # pyright: ignore[reportPrivateUsage]
    tls_stream: Any = None
    if type(stream) is AsyncioStream:
        transport: Any = stream.transport
        inner: Any = stream.receiver
        if inner.error is not None or transport.is_closing():
            return None
        queued = [bytes(inner.buffer)] if inner.buffer else []
        inner.buffer.clear()
        at_eof = inner.eof
    elif type(stream) is httpcore._backends.anyio.AnyIOStream:
        inner = stream._stream  # pyright: ignore[reportPrivateUsage]
        if type(inner) is anyio.streams.tls.TLSStream:
            tls_stream, inner = inner, inner.transport_stream
            if getattr(tls_stream, "_broken", False):
                return None
        if type(inner) is not SocketStream:
            return None
        transport, inner = inner._transport, inner._protocol  # pyright: ignore[reportPrivateUsage]
        if type(inner) is not StreamProtocol or inner.exception is not None or transport.is_closing():
            return None
        queued = list(inner.read_queue)
        inner.read_queue.clear()
        inner.read_event.clear()
        at_eof = inner.is_at_eof
    else:
        return None
    leading = b""
    if upgraded is not stream:
        leading, upgraded._leading_data = upgraded._leading_data, b""  # pyright: ignore[reportPrivateUsage]
    direct = _Direct(
        session,
        transport,
        inner,
        tls_stream._ssl_object if tls_stream is not None else None,
        tls_stream._read_bio if tls_stream is not None else None,
        tls_stream._write_bio if tls_stream is not None else None,
    )
    session.stream = _DirectStream(direct, session.stream)
    # Before anything is parsed: pongs are written through it.
    session._direct = direct  # pyright: ignore[reportPrivateUsage]
    # In order: what h11 read past the 101 response, what anyio's TLS has decrypted or holds, what was queued.
    if leading:
        session.feed(leading)
    if direct.tls is not None:
        direct.decrypt()
    for chunk in queued:
        direct.data_received(chunk)
    if at_eof:
        session.end_reading(_STREAM)
        return direct
    transport.set_write_buffer_limits(_HIGH_WATER)
    transport.set_protocol(direct)
    transport.resume_reading()
    return direct
    transport.set_write_buffer_limits(_HIGH_WATER)
    transport.set_protocol(direct)
    transport.resume_reading()
    return direct


class _CallbackSession(AsyncWebSocketSession):
    """An httpx-ws session that calls `on_text` from its reader (no queue, no task switch).

    On a direct connection (TCP or TLS over TCP on asyncio: what httpx builds without an
    HTTPS proxy) the session takes the asyncio transport over right after the upgrade
    (`_Direct`): frames are parsed in the transport's read callback and written to it
    through an `Outbox`. On any other stream it reads and writes through httpx's stream.
    """

    def __init__(self, *args: Any, on_text: OnText, max_message: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_text = on_text
        self._max_message = max_message
        # No checkpoint when the lock is free: one loop iteration less per write.
        self._write_lock = anyio.Lock(fast_acquire=True)
        self._outbox: list[bytes] = []
        self._flushing = False
        self._flushers: set[asyncio.Task[None]] = set()
        # Reading: the message being assembled, what to write back (pongs), why reading stopped.
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self._binary = False  # the message being assembled is binary (SBE), not text
        self._size = 0
        self._replies: list[bytes] = []
        self.ended: object = None  # _STREAM, _TOO_BIG, _BAD_UTF8 or the server's CloseConnection
        self._ending: asyncio.Future[None] | None = None
        self._direct: _Direct | None = None
        self._direct_outbox: Outbox | None = None
        # Taken over here, before anything is written: no write of httpx's stream is under way.
        direct = _take_over(self)
        if direct is not None:
            self._direct_outbox = Outbox(direct.write_now, self._direct_closed, asyncio.get_running_loop())

    def _direct_closed(self) -> bool:
        assert self._direct is not None
        return self._direct.closing() or self.connection.state is not wsproto.connection.ConnectionState.OPEN

    async def send_text(self, data: str) -> None:
        """Frame `data` and write it, or leave it to the write already in progress.

        Raises `WebSocketNetworkError` if the write this call performs fails. Frames
        queued behind another caller's write fail with the connection instead: their
        requests end as lost (never as sent twice).
        """
        if self.connection.state is not wsproto.connection.ConnectionState.OPEN:
            raise NotSent(f"connection {self.connection.state.name.lower()}")
        # Framed by `_framing` (what wsproto would produce, masked with pooled os.urandom keys
        # instead of a draw and a Python XOR per frame); wsproto keeps no state for data frames.
        frame = client_frame(data.encode())
        direct = self._direct
        if direct is not None:
            if direct.closing():
                raise NotSent("connection lost")
            assert self._direct_outbox is not None
            self._direct_outbox.add(frame)
            if direct.transport.get_write_buffer_size() > _HIGH_WATER:
                await direct.drain()  # the socket is not keeping up
            return
        self._outbox.append(frame)
        if not self._flushing:
            await self._flush()

    async def _flush(self, *, background: bool = False) -> None:
        self._flushing = True
        handed_over = False
        try:
            while self._outbox:
                chunk = self._outbox[0] if len(self._outbox) == 1 else b"".join(self._outbox)
                self._outbox.clear()
                async with self._write_lock:
                    await self.stream.write(chunk)
        except httpcore.WriteError as exc:
            self._outbox.clear()
            await self.close(CloseReason.INTERNAL_ERROR, "Stream write error")
            if not background:
                raise WebSocketNetworkError() from exc
        except BaseException:
            # The flushing caller was cancelled: frames queued behind it still go out.
            if self._outbox:
                task = asyncio.get_running_loop().create_task(self._flush(background=True))
                self._flushers.add(task)
                task.add_done_callback(self._flushers.discard)
                handed_over = True  # that task is the flusher now
            raise
        finally:
            if not handed_over:
                self._flushing = False

    async def _background_receive(self, max_bytes: int) -> None:
        """Read until the connection ends, then end it the way httpx-ws does.

        Taken over (`_Direct`), the transport's callback feeds `feed` and this task only
        waits for the end; otherwise it reads httpx's stream and feeds `feed` itself.
        """
        if self._direct is not None:
            if self.ended is None:
                self._ending = asyncio.get_running_loop().create_future()
                await self._ending
        else:
            try:
                while not self._should_close.is_set() and self.ended is None:
                    data = await self.stream.read(max_bytes)
                    if not data:
                        raise anyio.EndOfStream
                    self.feed(data)
                    while self._replies:
                        reply = self._replies.pop(0)
                        async with self._write_lock:
                            await self.stream.write(reply)
            except (httpcore.ReadError, httpcore.WriteError, anyio.EndOfStream):
                self.end_reading(_STREAM)
        why = self.ended
        if why is None:
            return  # closed by us
        if why is _TOO_BIG:
            limit = self._max_message
            await self.close(CloseReason.MESSAGE_TOO_BIG, "message too big")
            await self._send_event.send(_TooBig(f"the server sent a message over max_message_size ({limit} bytes)"))
        elif why is _BAD_UTF8:
            await self.close(CloseReason.INVALID_FRAME_PAYLOAD_DATA, "invalid UTF-8")
            await self._send_event.send(WebSocketNetworkError())
        elif why is _STREAM:
            await self.close(CloseReason.INTERNAL_ERROR, "Stream error")
            await self._send_event.send(WebSocketNetworkError())
        else:  # the server's close frame, or wsproto's answer to a protocol error
            self._should_close.set()
            await self._send_event.send(why)  # type: ignore[arg-type]  # receive() raises WebSocketDisconnect

    def end_reading(self, why: object) -> None:
        """Stop reading, for `why` (the first reason counts); the reader task ends the connection."""
        if self.ended is None:
            self.ended = why
            if self._ending is not None and not self._ending.done():
                self._ending.set_result(None)

    def _reply(self, data: bytes) -> None:
        direct = self._direct
        if direct is None:
            self._replies.append(data)  # written by the reader task after this read
        elif not direct.closing():
            direct.write_now(data)

    def feed(self, data: bytes) -> None:
        """Parse what arrived; messages go to `on_text` (text as str, binary as bytes).

        Plain data frames (text or binary, and their continuations, unmasked, no RSV
        bits: all a well-behaved server sends) are parsed here, a few slices per frame.
        Any other frame is handed to wsproto whole, in order, and its events handled as
        before: pings answered, pongs acknowledged, a close or a protocol error ends the
        connection the way wsproto decides.
        """
        if self.ended is not None:
            return
        buffer = self._buffer
        if buffer:
            buffer += data
        else:
            buffer = self._buffer = bytearray(data)
        fragments = self._fragments
        on_text = self._on_text
        end = len(buffer)
        position = 0
        while end - position >= 2:
            first, second = buffer[position], buffer[position + 1]
            length, head = second & 0x7F, 2
            if length == 126:
                if end - position < 4:
                    break
                length, head = int.from_bytes(buffer[position + 2 : position + 4], "big"), 4
            elif length == 127:
                if end - position < 10:
                    break
                length, head = int.from_bytes(buffer[position + 2 : position + 10], "big"), 10
            if second & 0x80:
                head += 4  # masked: no server may; wsproto says so
            opcode = first & 0x0F
            plain = not first & 0x70 and not second & 0x80 and (opcode in (1, 2) or (opcode == 0 and fragments))
            if plain and self._size + length > self._max_message:
                self.end_reading(_TOO_BIG)  # refused before it is buffered whole
                return
            stop = position + head + length
            if stop > end:
                break  # the rest of this frame is still to come
            if plain:
                if opcode:
                    self._binary = opcode == 2
                fragments.append(bytes(buffer[position + head : stop]))
                self._size += length
                if first & 0x80:  # FIN: the message is complete
                    payload = fragments[0] if len(fragments) == 1 else b"".join(fragments)
                    fragments.clear()
                    self._size = 0
                    if self._binary:  # an SBE answer
                        on_text(payload)
                    else:
                        try:
                            text = payload.decode()
                        except UnicodeDecodeError:
                            self.end_reading(_BAD_UTF8)
                            return
                        on_text(text)
                    if self.ended is not None:
                        return
            else:
                connection = self.connection
                connection.receive_data(bytes(buffer[position:stop]))
                for event in connection.events():
                    if isinstance(event, wsproto.events.Ping):
                        if connection.state is wsproto.connection.ConnectionState.OPEN:  # not once closing
                            self._reply(connection.send(event.response()))
                    elif isinstance(event, wsproto.events.Pong):
                        self._ping_manager.ack(event.payload)
                    elif isinstance(event, wsproto.events.CloseConnection):
                        self.end_reading(event)
                        return
                    # data frames reach wsproto only when it refuses them (it answers with a close)
            position = stop
        if position == end:
            self._buffer = bytearray()
        elif position:
            del buffer[:position]


async def run_httpx_ws(
    url: str,
    client: httpx.AsyncClient | None,
    keepalive: tuple[float | None, float | None],
    max_message: int,
    on_open: OnOpen,
    on_text: OnText,
    headers: Headers = None,
) -> BaseException | None:
    """Run one connection until it closes; returns why (None when closed by us)."""
    from httpx_ws import aconnect_ws

    extra: dict[str, Any] = {"headers": dict(headers)} if headers else {}  # the SBE streams' API key
    connect: Any = aconnect_ws(  # pyright: ignore[reportUnknownVariableType]
        url,
        client,
        keepalive_ping_interval_seconds=keepalive[0],
        keepalive_ping_timeout_seconds=keepalive[1],
        session_class=functools.partial(_CallbackSession, on_text=on_text, max_message=max_message),  # type: ignore[arg-type]
        **extra,
    )  # max_message_size_bytes is httpx-ws's read chunk size, not a cap (the session caps): its 64 KiB default is the fast one
    async with connect as ws:
        on_open(ws.send_text)
        while True:  # text goes to on_text from the session; only the end comes through here
            try:
                await ws.receive()
            except (WebSocketDisconnect, WebSocketNetworkError, MessageTooBig) as exc:
                return exc
