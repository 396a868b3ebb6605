"""WebSocket transports behind one small interface.

`httpx-ws` is the default. `websockets` (optional: `pip install binance-spot-ws[fast]`)
is offered because it is several times faster on the same socket (see `nox -s bench`):
httpx-ws hands every frame through an anyio memory stream and a background task.
Both answer server pings with the same payload and ping the server themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

import httpx

TransportName = Literal["httpx-ws", "websockets"]

#: Called once connected with the coroutine function that sends one text frame.
OnOpen = Callable[[Callable[[str], Awaitable[None]]], None]
OnText = Callable[[str], None]


async def run_httpx_ws(
    url: str,
    client: httpx.AsyncClient | None,
    keepalive: tuple[float | None, float | None],
    on_open: OnOpen,
    on_text: OnText,
) -> BaseException | None:
    """Run one connection until it closes; returns why (None when closed by us)."""
    import wsproto.events
    from httpx_ws import WebSocketDisconnect, WebSocketNetworkError, aconnect_ws

    connect: Any = aconnect_ws(
        url,
        client,
        keepalive_ping_interval_seconds=keepalive[0],
        keepalive_ping_timeout_seconds=keepalive[1],
    )  # max_message_size_bytes is httpx-ws's read chunk size, not a cap: its 64 KiB default is the fast one
    async with connect as ws:
        on_open(ws.send_text)
        while True:
            try:
                event = await ws.receive()
            except (WebSocketDisconnect, WebSocketNetworkError) as exc:
                return exc
            if isinstance(event, wsproto.events.TextMessage):
                on_text(event.data)


async def run_websockets(
    url: str,
    client: httpx.AsyncClient | None,
    keepalive: tuple[float | None, float | None],
    on_open: OnOpen,
    on_text: OnText,
) -> BaseException | None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async with connect(
        url, ping_interval=keepalive[0], ping_timeout=keepalive[1], max_size=None, compression=None
    ) as ws:
        on_open(ws.send)
        try:
            async for message in ws:
                if isinstance(message, str):
                    on_text(message)
        except ConnectionClosed as exc:
            return exc
        return ConnectionError("closed by the server")


TRANSPORTS = {"httpx-ws": run_httpx_ws, "websockets": run_websockets}
