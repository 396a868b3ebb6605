"""A small stream server for the runtime's tests: the emulator's StreamHub behind `websockets`.

Events are published by the test itself (`publish`), so every test knows exactly
what the server sent and in which order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve

from binance_ws_emulator.stream_hub import HubLimits, Refused, StreamHub, StreamSession


class StreamServer:
    def __init__(self, limits: HubLimits | None = None) -> None:
        self.hub = StreamHub(limits)
        self.url = ""
        self.opened = 0
        self._server: Server | None = None
        self._queues: dict[int, asyncio.Queue[str | None]] = {}
        self._sockets: dict[int, ServerConnection] = {}

    async def __aenter__(self) -> StreamServer:
        self._server = await serve(self._handle, "127.0.0.1", 0, ping_interval=None)
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, ws: ServerConnection) -> None:
        path, _, query = ws.request.path.partition("?") if ws.request else ("", "", "")
        try:
            session = self.hub.open(path, query, time.monotonic())
        except Refused as refused:
            await ws.close(1008, json.dumps(refused.body))
            return
        self.opened += 1
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._queues[session.number] = queue
        self._sockets[session.number] = ws
        writer = asyncio.create_task(self._write(ws, queue))
        try:
            async for message in ws:
                if isinstance(message, str):
                    session.on_text(message, time.monotonic())
                    self._flush(session)
                    if session.close is not None:
                        await ws.close(*session.close)
                        break
        except Exception:
            pass
        finally:
            self.hub.closed(session)
            self._queues.pop(session.number, None)
            self._sockets.pop(session.number, None)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _write(self, ws: ServerConnection, queue: asyncio.Queue[str | None]) -> None:
        while (text := await queue.get()) is not None:
            await ws.send(text)

    def _flush(self, session: StreamSession) -> None:
        queue = self._queues.get(session.number)
        for text in session.outbox:
            if queue is not None:
                queue.put_nowait(text)
        session.outbox.clear()

    def publish(self, stream: str, payload: Any, *, only: int | None = None) -> int:
        """To every listener of `stream`, or only to the `only`-th connection opened (1, 2, ...)."""
        if only is not None:
            session = self.hub.sessions.get(only)
            if session is None or stream not in session.streams:
                return 0
            session.deliver(stream, payload if isinstance(payload, str) else json.dumps(payload))
            self._flush(session)
            return 1
        count = self.hub.publish(stream, payload)
        for session in list(self.hub.sessions.values()):
            self._flush(session)
        return count

    def shutdown_notice(self) -> None:
        self.hub.broadcast_shutdown(int(time.time() * 1000))
        for session in list(self.hub.sessions.values()):
            self._flush(session)

    async def drop_all(self) -> None:
        """Cut every connection without a close handshake."""
        for ws in list(self._sockets.values()):
            ws.transport.abort()

    async def drained(self) -> None:
        """Until every frame published so far has been handed to the sockets."""
        while any(not q.empty() for q in self._queues.values()):
            await asyncio.sleep(0.001)

    @property
    def connections(self) -> int:
        return len(self.hub.sessions)


def trade(symbol: str, trade_id: int, price: str = "50000.00", qty: str = "0.001") -> dict[str, Any]:
    return {
        "e": "trade",
        "E": 1700000000000 + trade_id,
        "s": symbol,
        "t": trade_id,
        "p": price,
        "q": qty,
        "T": 1700000000000 + trade_id,
        "m": trade_id % 2 == 0,
        "M": True,
    }
