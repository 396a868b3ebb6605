"""A minimal, fast WebSocket responder for benchmarks (its own process, loopback only).

Answers every request with a canned, realistic response whose `id` is spliced in
from the request: `order.place` gets a FULL order response with fills and
`rateLimits`, `depth` a 100-level book, anything else `{}`.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import re
from typing import Any

from binance_ws_emulator.tls import server_context

_ID = re.compile(rb'"id":\s*(-?\d+|"[^"]*")')
_METHOD = re.compile(rb'"method":\s*"([^"]+)"')

RATE_LIMITS = [
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50, "count": 1},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 160000, "count": 1},
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "count": 1},
]
ORDER = {
    "symbol": "BTCUSDT",
    "orderId": 12510053279,
    "orderListId": -1,
    "clientOrderId": "a097fe6304b20a7e4fc436",
    "transactTime": 1660801715793,
    "price": "23416.10000000",
    "origQty": "0.00847000",
    "executedQty": "0.00847000",
    "origQuoteOrderQty": "0.000000",
    "cummulativeQuoteQty": "198.33521500",
    "status": "FILLED",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "SELL",
    "workingTime": 1660801715793,
    "selfTradePreventionMode": "NONE",
    "fills": [
        {
            "price": "23416.10000000",
            "qty": "0.00635000",
            "commission": "0.000000",
            "commissionAsset": "BNB",
            "tradeId": 1650422481,
        },
        {
            "price": "23416.50000000",
            "qty": "0.00212000",
            "commission": "0.000000",
            "commissionAsset": "BNB",
            "tradeId": 1650422482,
        },
    ],
}
DEPTH = {
    "lastUpdateId": 2731179239,
    "bids": [[f"{50000 - i * 0.01:.8f}", f"{0.1 + i / 1000:.8f}"] for i in range(100)],
    "asks": [[f"{50000.01 + i * 0.01:.8f}", f"{0.1 + i / 1000:.8f}"] for i in range(100)],
}


def _canned(result: Any, rate_limits: list[dict[str, Any]]) -> tuple[bytes, bytes]:
    body = json.dumps({"status": 200, "result": result, "rateLimits": rate_limits}, separators=(",", ":")).encode()
    return b'{"id":', b"," + body[1:]


RESPONSES = {
    b"order.place": _canned(ORDER, RATE_LIMITS),
    b"depth": _canned(DEPTH, RATE_LIMITS[2:]),
}
DEFAULT = _canned({}, RATE_LIMITS[2:])


def answer(frame: bytes) -> bytes:
    request_id = _ID.search(frame)
    method = _METHOD.search(frame)
    head, tail = RESPONSES.get(method.group(1) if method else b"", DEFAULT)
    return head + (request_id.group(1) if request_id else b"null") + tail


async def _serve(port_out: Any, tls: tuple[str, str] | None) -> None:
    from websockets.asyncio.server import serve

    async def handler(ws: Any) -> None:
        async for message in ws:
            data = message.encode() if isinstance(message, str) else message
            await ws.send(answer(data).decode())

    context = server_context(*tls) if tls is not None else None
    async with serve(handler, "127.0.0.1", 0, compression=None, max_size=None, ssl=context) as server:
        port_out.put(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()


def _main(port_out: Any, tls: tuple[str, str] | None) -> None:
    try:
        import uvloop  # optional

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve(port_out, tls))


def start(tls: tuple[str, str] | None = None) -> tuple[multiprocessing.Process, str]:
    """Start the responder process; returns it and its URL (wss:// with `tls=(cert, key)` paths)."""
    queue: multiprocessing.Queue[int] = multiprocessing.Queue()
    process = multiprocessing.Process(target=_main, args=(queue, tls), daemon=True)
    process.start()
    port = queue.get(timeout=20)
    return process, f"{'wss' if tls else 'ws'}://127.0.0.1:{port}/ws-api/v3"
