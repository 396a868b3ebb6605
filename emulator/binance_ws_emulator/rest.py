"""The local exchange's one REST endpoint, `GET /api/v3/depth`, with no I/O.

The documented way to keep a local order book takes its snapshot over REST
(web-socket-streams.md, "How to manage a local order book correctly"), and clients
that keep one (ccxt's `watch_order_book`, python-binance's `DepthCacheManager`) do
exactly that. So the server answers that one request on the same port: a plain
HTTP/1.1 request (no WebSocket upgrade) for `/api/v3/depth?symbol=...&limit=...`.
It is the WebSocket API's `depth` (same parameters, checks, weight from the same
per-IP budget, same errors): 200 with the result as the body, or the error's HTTP
status with `{"code": ..., "msg": ...}`. Every other path answers 404, every other
HTTP method 405. Each answer closes the connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

#: The REST paths served, and the WebSocket API method each one is.
PATHS = {"/api/v3/depth": "depth"}
#: The most bytes of request line and headers read before giving up on a plain HTTP request.
MAX_HEAD = 16 * 1024


def request_head(data: bytes) -> tuple[str, str, dict[str, str]] | None:
    """(method, target, headers with lower-case names) once `data` holds a whole request head."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = data[:end].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return "", "", {}
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1], headers


def is_websocket(headers: dict[str, str]) -> bool:
    return headers.get("upgrade", "").lower() == "websocket"


def respond(method: str, target: str, handle: Callable[[str], str]) -> bytes:
    """The whole HTTP response; `handle` answers one WebSocket API request frame (a `Session`'s)."""
    parts = urlsplit(target)
    api_method = PATHS.get(parts.path.rstrip("/"))
    if api_method is None:
        return _response(404, {"code": -1, "msg": "Unknown path; this local exchange serves GET /api/v3/depth."})
    if method != "GET":
        return _response(405, {"code": -1, "msg": f"Method {method} not allowed on {parts.path}."})
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    answer = json.loads(handle(json.dumps({"id": "rest", "method": api_method, "params": params})))
    used = [e["count"] for e in answer.get("rateLimits", ()) if e.get("rateLimitType") == "REQUEST_WEIGHT"]
    headers = [("X-MBX-USED-WEIGHT-1M", str(used[0]))] if used else []
    if answer["status"] == 200:
        return _response(200, answer["result"], headers)
    return _response(answer["status"], answer["error"], headers)


def _response(status: int, body: Any, headers: Sequence[tuple[str, str]] = ()) -> bytes:
    data = json.dumps(body, separators=(",", ":")).encode()
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    lines = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: application/json;charset=UTF-8",
        f"Content-Length: {len(data)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data
