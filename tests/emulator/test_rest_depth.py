"""The local exchange's REST depth snapshot (`GET /api/v3/depth`, rest.py) over a real socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from websockets.sync.client import connect

from binance_ws_emulator import Emulator


@pytest.fixture(scope="module")
def exchange() -> Iterator[Emulator]:
    with Emulator(seed=3) as running:
        yield running


def api_depth(exchange: Emulator, **params: object) -> dict[str, object]:
    with connect(exchange.url) as ws:
        ws.send(json.dumps({"id": 1, "method": "depth", "params": params}))
        reply: dict[str, object] = json.loads(ws.recv(timeout=5))
    return reply


def test_the_snapshot_is_the_api_depth_answer(exchange: Emulator) -> None:
    exchange.market_trade("BTCUSDT", "BUY", "0.01")  # the book moved: a new update id
    response = httpx.get(f"{exchange.rest_url}/api/v3/depth", params={"symbol": "BTCUSDT", "limit": "5"}, timeout=5)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert int(response.headers["x-mbx-used-weight-1m"]) >= 5  # the per-IP weight the API counts
    body = response.json()
    assert body == api_depth(exchange, symbol="BTCUSDT", limit=5)["result"]
    book = exchange.exchange.books["BTCUSDT"]
    assert body["lastUpdateId"] == book.update_id and len(body["bids"]) == len(body["asks"]) == 5
    assert Decimal(body["bids"][0][0]) == book.best_bid() and Decimal(body["asks"][0][0]) == book.best_ask()
    assert exchange.requests["GET /api/v3/depth"] == 1


def test_the_default_limit_is_100(exchange: Emulator) -> None:
    body = httpx.get(f"{exchange.rest_url}/api/v3/depth?symbol=ETHUSDT", timeout=5).json()
    assert body == api_depth(exchange, symbol="ETHUSDT")["result"]


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("", 400, -1102),  # symbol is mandatory
        ("symbol=BTCUSDT&limit=0", 400, -1130),
        ("symbol=BTCUSDT&limit=x", 400, -1100),
        ("symbol=NOPE", 400, -1121),
        ("symbol=BTCUSDT&extra=1", 400, -1103),
    ],
)
def test_errors_are_the_apis(exchange: Emulator, query: str, status: int, code: int) -> None:
    response = httpx.get(f"{exchange.rest_url}/api/v3/depth?{query}", timeout=5)
    params = dict(p.split("=") for p in query.split("&") if p)
    api = api_depth(exchange, **params)
    assert (response.status_code, response.json()) == (api["status"], api["error"])
    assert (status, code) == (api["status"], response.json()["code"])


def test_other_paths_and_methods(exchange: Emulator) -> None:
    assert httpx.get(f"{exchange.rest_url}/api/v3/trades?symbol=BTCUSDT", timeout=5).status_code == 404
    assert httpx.post(f"{exchange.rest_url}/api/v3/depth?symbol=BTCUSDT", timeout=5).status_code == 405
    with connect(exchange.url) as ws:  # the WebSocket API on the same port is unaffected
        ws.send(json.dumps({"id": 1, "method": "ping"}))
        assert json.loads(ws.recv(timeout=5))["status"] == 200
