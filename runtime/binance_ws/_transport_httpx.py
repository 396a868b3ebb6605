"""The default transport: httpx-ws, with a session class of our own (imported on first use).

httpx-ws's stock session hands every received frame from a background task to the
reader through a zero-capacity anyio stream (a task switch and two checkpoints per
message) and yields twice per send. The SDK plugs its own session class in through
httpx-ws's `session_class` hook: the background task delivers text straight to a
callback, and frames written while a write is in progress go out together in the
next write. httpx still does the connect, TLS, proxies and the upgrade; wsproto
parses what arrives and frames control frames; text frames are framed by `_framing`.

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
import httpcore
import httpx
import wsproto.connection
import wsproto.events
from httpx_ws import AsyncWebSocketSession, HTTPXWSException, WebSocketDisconnect, WebSocketNetworkError
from wsproto.frame_protocol import CloseReason

from ._framing import client_frame
from ._transport import Headers, MessageTooBig, NotSent, OnOpen, OnText


class _TooBig(MessageTooBig, HTTPXWSException):
    """MessageTooBig as httpx-ws raises it from `receive()`."""


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
    """The httpx client a connection makes for itself, with the shared TLS context."""
    return httpx.AsyncClient(timeout=timeout, verify=_verify(url))


class _CallbackSession(AsyncWebSocketSession):
    """An httpx-ws session that calls `on_text` from its reader task (no queue, no task switch)."""

    def __init__(self, *args: Any, on_text: OnText, max_message: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_text = on_text
        self._max_message = max_message
        # No checkpoint when the lock is free: one loop iteration less per write.
        self._write_lock = anyio.Lock(fast_acquire=True)
        self._outbox: list[bytes] = []
        self._flushing = False
        self._flushers: set[asyncio.Task[None]] = set()

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
        self._outbox.append(client_frame(data.encode()))
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
        """Read frames; messages go to `on_text` (text as str, binary as bytes), the rest through wsproto.

        Plain data frames (text or binary, and their continuations, unmasked, no RSV
        bits: all a well-behaved server sends) are parsed here, a few slices per frame.
        Any other frame is handed to wsproto whole, in order, and its events handled as
        before: pings answered, pongs acknowledged, a close or a protocol error ends the
        connection the way wsproto decides.
        """
        connection = self.connection
        on_text = self._on_text
        limit = self._max_message
        fragments: list[bytes] = []
        binary = False  # the message being assembled is binary (SBE), not text
        size = 0
        buffer = bytearray()
        try:
            while not self._should_close.is_set():
                data = await self.stream.read(max_bytes)
                if not data:
                    raise anyio.EndOfStream
                buffer += data
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
                    if plain and size + length > limit:
                        await self._too_big(limit)  # refused before it is buffered whole
                        return
                    stop = position + head + length
                    if stop > end:
                        break  # the rest of this frame is still to come
                    if plain:
                        if opcode:
                            binary = opcode == 2
                        fragments.append(bytes(buffer[position + head : stop]))
                        size += length
                        if first & 0x80:  # FIN: the message is complete
                            payload = fragments[0] if len(fragments) == 1 else b"".join(fragments)
                            fragments.clear()
                            size = 0
                            if binary:  # an SBE answer
                                on_text(payload)
                                position = stop
                                continue
                            try:
                                text = payload.decode()
                            except UnicodeDecodeError:
                                await self.close(CloseReason.INVALID_FRAME_PAYLOAD_DATA, "invalid UTF-8")
                                await self._send_event.send(WebSocketNetworkError())
                                return
                            on_text(text)
                    else:
                        connection.receive_data(bytes(buffer[position:stop]))
                        if await self._wsproto_events(connection):
                            return
                    position = stop
                del buffer[:position]
        except (httpcore.ReadError, httpcore.WriteError, anyio.EndOfStream):
            await self.close(CloseReason.INTERNAL_ERROR, "Stream error")
            await self._send_event.send(WebSocketNetworkError())

    async def _wsproto_events(self, connection: wsproto.connection.Connection) -> bool:
        """Handle what wsproto made of a frame; True once the connection is ending."""
        for event in connection.events():
            if isinstance(event, wsproto.events.Ping):
                pong = connection.send(event.response())
                async with self._write_lock:
                    await self.stream.write(pong)
            elif isinstance(event, wsproto.events.Pong):
                self._ping_manager.ack(event.payload)
            elif isinstance(event, wsproto.events.CloseConnection):
                self._should_close.set()
                await self._send_event.send(event)  # receive() raises WebSocketDisconnect
                return True
            # data frames reach wsproto only when it refuses them (it answers with a close)
        return False

    async def _too_big(self, limit: int) -> None:
        await self.close(CloseReason.MESSAGE_TOO_BIG, "message too big")
        await self._send_event.send(_TooBig(f"the server sent a message over max_message_size ({limit} bytes)"))


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
