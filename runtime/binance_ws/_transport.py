"""WebSocket transports behind one small interface.

`httpx-ws` is the default (`_transport_httpx`). `websockets` (optional: `pip install
binance-spot-ws[fast]`) and `picows` (`[picows]`, `_transport_picows`) are offered
too. Each module is imported when its transport first connects, not with the SDK.
All answer server pings with the same payload and ping the server themselves, and
all close a connection whose server sends a message over the size cap (code 1009).
The websockets library logs every frame at DEBUG, signed requests included: it gets
a logger of ours that drops frame records and passes only formatted text on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    import httpx

TransportName = Literal["httpx-ws", "websockets", "picows"]


class NotSent(ConnectionError):
    """The connection is closing: the frame was refused before any byte of it was written."""


class MessageTooBig(ConnectionError):
    """The server sent a message over the size cap; the connection was closed with 1009."""


def describe(exc: BaseException) -> str:
    """`Type: message` for logs and errors, with a close code and reason when there is one."""
    text = str(exc)
    if not text and type(exc).__module__.startswith("httpx_ws"):  # WebSocketDisconnect: a close code only
        code, reason = getattr(exc, "code", None), getattr(exc, "reason", None)
        text = f"close code {code} {reason or ''}".strip() if code is not None else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


#: Called once connected with the coroutine function that sends one text frame.
OnOpen = Callable[[Callable[[str], Awaitable[None]]], None]
OnText = Callable[[str | bytes], None]  # text frames as str, binary (SBE) frames as bytes
#: Extra HTTP headers of the opening handshake (the SBE streams' `X-MBX-APIKEY`), or None.
Headers = Sequence[tuple[str, str]] | None


_HIGH_WATER = 64 * 1024


class _QuietFrames(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The websockets library's logger: no frame records, and only formatted text in the rest.

    websockets logs each frame (`> %s` / `< %s`) at DEBUG with the frame itself in the record's
    args, so any handler that keeps args would hold API keys, signatures and signed payloads.
    """

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if not self.isEnabledFor(level) or msg in ("> %s", "< %s"):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = str(msg)
        kwargs.pop("exc_info", None)  # a traceback would keep the connection (and its frames) alive
        self.logger.log(level, "%s", text, **kwargs)  # pyright: ignore[reportUnknownMemberType]


_WEBSOCKETS_LOG = _QuietFrames(logging.getLogger("binance_ws.websockets"), {})


async def run_websockets(
    url: str,
    client: httpx.AsyncClient | None,
    keepalive: tuple[float | None, float | None],
    max_message: int,
    on_open: OnOpen,
    on_text: OnText,
    headers: Headers = None,
) -> BaseException | None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed
    from websockets.protocol import State

    # `client` is unused: AsyncConnection refuses a user's http_client with this transport.
    from ._framing import Outbox, client_frame
    from ._tls import client_context

    async with connect(
        url,
        ssl=client_context() if url.startswith("wss:") else None,
        ping_interval=keepalive[0],
        ping_timeout=keepalive[1],
        max_size=max_message,
        compression=None,
        logger=_WEBSOCKETS_LOG,
        additional_headers=list(headers or ()),
    ) as ws:
        # Frames written straight to the transport through the outbox (a burst in one write);
        # websockets still reads, answers pings, pings and closes.
        transport = ws.transport
        outbox = Outbox(transport.write, transport.is_closing, asyncio.get_running_loop())

        async def send(text: str) -> None:
            if ws.state is not State.OPEN or transport.is_closing():
                raise NotSent(f"connection {ws.state.name.lower()}")
            outbox.add(client_frame(text.encode()))
            if transport.get_write_buffer_size() > _HIGH_WATER:
                await ws.drain()  # the socket is not keeping up: wait as websockets' own send does

        on_open(send)
        try:
            async for message in ws:
                on_text(message if isinstance(message, str) else bytes(message))
        except ConnectionClosed as exc:
            return exc
        return ConnectionError("closed by the server")


async def _run_httpx_ws(*args: Any, **kwargs: Any) -> BaseException | None:
    """The default transport, imported on first use (see `_transport_httpx`)."""
    from ._transport_httpx import run_httpx_ws

    return await run_httpx_ws(*args, **kwargs)


async def _run_picows(*args: Any, **kwargs: Any) -> BaseException | None:
    """The optional picows transport, imported on first use (see `_transport_picows`)."""
    from ._transport_picows import run_picows

    return await run_picows(*args, **kwargs)


class Transport(Protocol):
    """Runs one connection: (url, http_client, keepalive, max_message, on_open, on_text) -> why it ended."""

    def __call__(
        self,
        url: str,
        client: httpx.AsyncClient | None,
        keepalive: tuple[float | None, float | None],
        max_message: int,
        on_open: OnOpen,
        on_text: OnText,
        headers: Headers = None,
    ) -> Awaitable[BaseException | None]: ...


TRANSPORTS: dict[str, Transport] = {"httpx-ws": _run_httpx_ws, "websockets": run_websockets, "picows": _run_picows}
