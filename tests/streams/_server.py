"""The local exchange's stream server with the few controls the runtime tests use.

Events are published by the test itself (`publish`, on streams the engine is quiet on),
so every test knows exactly what the server sent, in which order, on which connection.
"""

from __future__ import annotations

from typing import Any

from binance_ws_emulator import Emulator
from binance_ws_emulator.stream_hub import HubLimits, StreamHub


class StreamServer:
    def __init__(self, limits: HubLimits | None = None) -> None:
        self.emulator = Emulator(stream_limits=limits)
        self.hub: StreamHub = self.emulator.streams
        self.url = ""

    async def __aenter__(self) -> StreamServer:
        await self.emulator.serve()
        self.url = self.emulator.stream_url
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.emulator.aclose()

    def publish(self, stream: str, payload: Any, *, only: int | None = None) -> int:
        """To every listener of `stream`, or only to the `only`-th stream connection opened (1, 2, ...)."""
        return self.emulator.publish_stream(stream, payload, connection=only)

    def shutdown_notice(self) -> None:
        self.emulator.shutdown_notice()

    async def drop_all(self) -> None:
        """Cut every stream connection without a close handshake."""
        self.emulator.drop_stream_connections()

    @property
    def opened(self) -> int:
        return self.hub.opened

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
