"""The optional picows transport (`pip install binance-spot-ws[picows]`, `transport="picows"`).

picows parses frames in C and calls a listener for each one: the text of a
frame goes straight to the client's frame handler from there (no task, no
queue). Sends are coalesced: the first frame of a loop iteration is written at
once, frames sent later in the same iteration leave together in one write at
the start of the next (one syscall for a burst instead of one per frame; on
loopback each write also runs the peer's TCP receive). Those frames are framed
and masked by `_framing` (RFC 6455, masking keys from os.urandom); picows sends
its own control frames. It answers server pings itself; our own pings run on picows's
auto-ping timer with the same interval and timeout as the other transports.

TLS uses the context shared with the websockets transport (`_tls`: the system
defaults, honouring `SSL_CERT_FILE` and `SSL_CERT_DIR`), created on the first
`wss://` connect; `ws://` builds none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._framing import Outbox, client_frame
from ._tls import client_context
from ._transport import Headers, MessageTooBig, NotSent, OnOpen

if TYPE_CHECKING:
    import httpx

try:
    import picows
    from picows import WSCloseCode, WSFrame, WSMsgType, WSTransport
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError('transport="picows" needs the picows package: pip install "binance-spot-ws[picows]"') from exc

#: picows logs connection life (and the upgrade handshake at its lowest level) here.
_LOG = logging.getLogger("binance_ws.picows")

_TEXT, _BINARY, _CONTINUATION, _CLOSE = WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION, WSMsgType.CLOSE


class _Listener(picows.WSListener):
    """Hands each message to `on_text` (text as str, binary as bytes); pauses senders while the socket buffer is full."""

    def __init__(self, on_text: Callable[[str | bytes], None], max_message: int) -> None:
        self.on_text = on_text
        self.max_message = max_message
        self.too_big = False
        self.fragments: list[bytes] | None = None
        self.binary = False  # the message being assembled is binary (SBE)
        self.size = 0
        self.writable: asyncio.Future[None] | None = None
        self.closed_by_server: tuple[int, str] | None = None

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if frame.payload_size > self.max_message:
            # picows refuses such a frame (max_frame_size) but may still hand it over when it
            # was already buffered: never deliver it.
            self._too_big(transport)
            return
        if kind is _TEXT or kind is _BINARY:
            if frame.fin:
                self.on_text(frame.get_payload_as_utf8_text() if kind is _TEXT else frame.get_payload_as_bytes())
            else:
                self.fragments = [frame.get_payload_as_bytes()]
                self.binary = kind is _BINARY
                self.size = frame.payload_size
        elif kind is _CONTINUATION:
            if self.fragments is not None:
                self.size += frame.payload_size
                if self.size > self.max_message:
                    self._too_big(transport)
                    return
                self.fragments.append(frame.get_payload_as_bytes())
                if frame.fin:
                    data, self.fragments = b"".join(self.fragments), None
                    self.on_text(data if self.binary else data.decode())
        elif kind is _CLOSE:
            code = frame.get_close_code()
            self.closed_by_server = (code.value, frame.get_close_reason())
            transport.send_close(code)
            transport.disconnect()
        # pongs: handled by picows's auto-ping

    def _too_big(self, transport: WSTransport) -> None:
        self.fragments = None
        self.too_big = True
        if not transport.is_close_frame_sent:
            transport.send_close(WSCloseCode.MESSAGE_TOO_BIG, b"message too big")
        transport.disconnect()

    def pause_writing(self) -> None:
        if self.writable is None:
            self.writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self.writable is not None:
            if not self.writable.done():
                self.writable.set_result(None)
            self.writable = None

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.resume_writing()


async def run_picows(
    url: str,
    client: httpx.AsyncClient | None,
    keepalive: tuple[float | None, float | None],
    max_message: int,
    on_open: OnOpen,
    on_text: Callable[[str | bytes], None],
    headers: Headers = None,
) -> BaseException | None:
    """Run one connection until it closes; returns why.

    `client` is not used: AsyncConnection refuses a user's http_client with this transport.
    """
    interval, timeout = keepalive
    listener = _Listener(on_text, max_message)
    transport, _ = await picows.ws_connect(  # pyright: ignore[reportUnknownMemberType]  (its **kwargs)
        lambda: listener,
        url,
        ssl_context=client_context() if url.startswith("wss:") else None,
        websocket_handshake_timeout=None,  # the client's own connect deadline applies
        logger_name=_LOG,
        max_frame_size=max_message,
        enable_auto_ping=interval is not None,
        auto_ping_idle_timeout=interval or 10.0,
        # picows wants the reply timeout no longer than the interval
        auto_ping_reply_timeout=min(timeout, interval) if timeout is not None and interval else interval or 10.0,
        auto_ping_strategy=picows.WSAutoPingStrategy.PING_PERIODICALLY,
        extra_headers=list(headers) if headers else None,
    )

    outbox = Outbox(
        transport.underlying_transport.write,
        lambda: transport.is_close_frame_sent or transport.is_disconnected,
        asyncio.get_running_loop(),
    )

    async def send(text: str) -> None:
        if transport.is_close_frame_sent or transport.is_disconnected:
            raise NotSent("connection closing")
        outbox.add(client_frame(text.encode()))
        if listener.writable is not None:  # the socket buffer is over its high-water mark
            await asyncio.shield(listener.writable)

    on_open(send)
    try:
        await transport.wait_disconnected()
    except asyncio.CancelledError:
        if not transport.is_disconnected:
            transport.send_close(WSCloseCode.OK)
            transport.disconnect()
        raise
    except Exception as exc:  # a protocol violation picows detected (a frame over the cap), or on_text failed
        if "max_frame_size" in str(exc) or getattr(exc, "code", None) is WSCloseCode.MESSAGE_TOO_BIG:
            return MessageTooBig(f"the server sent a message over max_message_size ({max_message} bytes)")
        return exc
    if listener.too_big:
        return MessageTooBig(f"the server sent a message over max_message_size ({max_message} bytes)")
    if listener.closed_by_server is not None:
        code, reason = listener.closed_by_server
        return ConnectionError(f"closed by the server: code {code} {reason}".rstrip())
    return ConnectionError("connection lost")
