"""A raw WebSocket server on 127.0.0.1 that answers with whatever a test scripts, hostile frames included."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

#: Given a request (parsed JSON), the text frames to send back (in order).
Reply = Callable[[dict[str, Any]], list[str]]


def answer(request: dict[str, Any], result: Any = None, **extra: Any) -> str:
    """A plain 200 answer to `request`."""
    if result is None:
        result = {"serverTime": 1_700_000_000_000} if request.get("method") == "time" else {}
    return json.dumps({"id": request["id"], "status": 200, "result": result, **extra})


def ordinary(request: dict[str, Any]) -> list[str]:
    return [answer(request)]


@dataclass
class Scripted:
    url: str
    reply: Reply
    connections: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    open: set[ServerConnection] = field(default_factory=set)
    #: Connections after this many are closed right after the handshake (None: never).
    close_after_handshake_from: int | None = None

    def methods(self) -> list[str]:
        return [r.get("method", "") for r in self.requests]


@contextlib.asynccontextmanager
async def scripted_server(reply: Reply = ordinary) -> AsyncIterator[Scripted]:
    state = Scripted(url="", reply=reply)

    async def handler(ws: ServerConnection) -> None:
        state.connections += 1
        if state.close_after_handshake_from is not None and state.connections > state.close_after_handshake_from:
            return  # accepted, then closed at once
        state.open.add(ws)
        try:
            async for message in ws:
                request = json.loads(message)
                state.requests.append(request)
                for text in state.reply(request):
                    await ws.send(text)
        finally:
            state.open.discard(ws)

    async with serve(handler, "127.0.0.1", 0, max_size=None, compression=None) as server:
        state.url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        yield state
