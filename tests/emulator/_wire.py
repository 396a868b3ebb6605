"""Raw WebSocket requests to the local exchange, signed by hand as the Binance docs describe
(every parameter but `signature`, sorted, `key=value` joined by `&`; JSON booleans as
`true`/`false`, strings as they are), independent of the SDK and of the emulator's own code."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from websockets.asyncio.client import ClientConnection

from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET

_ids = itertools.count(1)


def rendered(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def signed(params: dict[str, Any]) -> dict[str, Any]:
    out = {**params, "apiKey": DOCS_HMAC_API_KEY, "timestamp": int(time.time() * 1000)}
    payload = "&".join(f"{k}={rendered(out[k])}" for k in sorted(out))
    out["signature"] = hmac.new(DOCS_HMAC_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return out


async def call(ws: ClientConnection, method: str, params: dict[str, Any] | None = None, *, sign: bool = False) -> Any:
    """The whole response object of one request (status, result or error, rateLimits)."""
    request_id = next(_ids)
    body = signed(params or {}) if sign else (params or {})
    await ws.send(json.dumps({"id": request_id, "method": method, "params": body}))
    while True:
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if reply.get("id") == request_id:
            return reply


async def ok(ws: ClientConnection, method: str, params: dict[str, Any] | None = None, *, sign: bool = False) -> Any:
    """The result of a request that must succeed."""
    reply = await call(ws, method, params, sign=sign)
    assert reply["status"] == 200, reply
    return reply["result"]


async def error(ws: ClientConnection, method: str, params: dict[str, Any] | None = None, *, sign: bool = False) -> Any:
    """(code, msg) of a request that must be refused."""
    reply = await call(ws, method, params, sign=sign)
    assert reply["status"] != 200, reply
    return reply["error"]["code"], reply["error"]["msg"]


def limit_order(side: str, price: str, qty: str = "0.01", **extra: Any) -> dict[str, Any]:
    return {
        "symbol": "BTCUSDT",
        "side": side,
        "type": "LIMIT",
        "timeInForce": "GTC",
        "price": price,
        "quantity": qty,
        **extra,
    }
