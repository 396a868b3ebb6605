"""Answers the local exchange never gives, from a tiny raw WebSocket server on 127.0.0.1.

A success whose result does not decode, an answer without a status, an error carried
inside a 200 result (Binance's documented `referencePrice` -2043 example), and
`returnRateLimits` as it goes on the wire and the rate-limit tracker without
`rateLimits`; then a signed `returnRateLimits` request on the local exchange.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from binance_spot_ws import (
    AsyncClient,
    BadRequest,
    ErrorCode,
    ExecutedUnreadable,
    HmacKey,
    ParamError,
    UnexpectedResult,
    UnknownExecutionStatus,
)
from binance_ws import signature_payload
from binance_ws_emulator import DOCS_HMAC_SECRET, Emulator

Reply = Callable[[dict[str, Any]], dict[str, Any]]


class RawServer:
    """Answers each request with `reply(request)`; keeps every request frame it got."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.reply: Reply = lambda request: {"id": request["id"], "status": 200, "result": {}}
        self.url = ""

    async def handle(self, connection: ServerConnection) -> None:
        async for text in connection:
            request = json.loads(text)
            self.frames.append(request)
            await connection.send(json.dumps(self.reply(request)))


@pytest.fixture
async def raw() -> AsyncIterator[RawServer]:
    server = RawServer()
    async with serve(server.handle, "127.0.0.1", 0) as running:
        port = next(iter(running.sockets)).getsockname()[1]
        server.url = f"ws://127.0.0.1:{port}/ws-api/v3"
        yield server


def _order(client: AsyncClient) -> Any:
    return client.order_place(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        price=Decimal("45000"),
        quantity=Decimal("0.001"),
        new_client_order_id="reconcile-me",
    )


async def test_undecodable_success_for_an_order_says_it_executed(raw: RawServer, hmac_key: HmacKey) -> None:
    raw.reply = lambda request: {"id": request["id"], "status": 200, "result": {"orderId": "not a number"}}
    async with AsyncClient(url=raw.url, key=hmac_key, timeout=5) as client:
        with pytest.raises(ExecutedUnreadable) as caught:
            await _order(client)
    error = caught.value
    assert isinstance(error, UnknownExecutionStatus)  # reconciliation code catches it
    assert error.executed is True
    assert error.client_order_id == "reconcile-me"
    assert error.status == 200
    assert json.loads(error.raw_result) == {"orderId": "not a number"}
    assert "executed" in str(error) and "reconcile-me" in str(error)
    assert "signature" not in error.params and "apiKey" not in error.params
    assert len(raw.frames) == 1  # never sent twice


async def test_answer_without_status_is_not_success(raw: RawServer, hmac_key: HmacKey) -> None:
    raw.reply = lambda request: {"id": request["id"]}
    async with AsyncClient(url=raw.url, key=hmac_key, timeout=5) as client:
        with pytest.raises(UnknownExecutionStatus) as caught:
            await _order(client)
        assert not isinstance(caught.value, ExecutedUnreadable)
        assert caught.value.client_order_id == "reconcile-me"
        assert "no status" in caught.value.reason
        with pytest.raises(UnexpectedResult) as read_only:
            await client.time()
        assert read_only.value.method == "time" and read_only.value.status == 0


async def test_undecodable_success_for_a_read_only_method_carries_the_raw_result(raw: RawServer) -> None:
    raw.reply = lambda request: {"id": request["id"], "status": 200, "result": {"serverTime": "soon"}}
    async with AsyncClient(url=raw.url, timeout=5) as client:
        with pytest.raises(UnexpectedResult) as caught:
            await client.time()
    assert not isinstance(caught.value, UnknownExecutionStatus)
    assert json.loads(caught.value.raw_result) == {"serverTime": "soon"}


async def test_error_inside_a_200_result_is_the_api_error(raw: RawServer) -> None:
    # Binance's own example for a symbol that never had a reference price.
    message = "This symbol doesn't have a reference price."
    raw.reply = lambda request: {"id": request["id"], "status": 200, "result": {"code": -2043, "msg": message}}
    async with AsyncClient(url=raw.url, timeout=5) as client:
        with pytest.raises(BadRequest) as caught:
            await client.reference_price(symbol="BNBUSDT")
    error = caught.value
    assert (error.code, error.name, error.msg) == (ErrorCode.NO_REFERENCE_PRICE, "NO_REFERENCE_PRICE", message)
    assert error.status == 200 and error.method == "referencePrice"


async def test_return_rate_limits_goes_on_the_wire_and_is_signed(raw: RawServer, hmac_key: HmacKey) -> None:
    raw.reply = lambda request: {"id": request["id"], "status": 200, "result": {"serverTime": 1656400527891}}
    async with AsyncClient(url=raw.url, key=hmac_key, timeout=5) as client:
        assert (await client.time(return_rate_limits=False)).server_time == 1656400527891
        raw.reply = lambda request: {
            "id": request["id"],
            "status": 200,
            "result": {
                "makerCommission": 15,
                "takerCommission": 15,
                "buyerCommission": 0,
                "sellerCommission": 0,
                "canTrade": True,
                "canWithdraw": True,
                "canDeposit": True,
                "commissionRates": {"maker": "0.0015", "taker": "0.0015", "buyer": "0", "seller": "0"},
                "brokered": False,
                "requireSelfTradePrevention": False,
                "preventSor": False,
                "updateTime": 1,
                "accountType": "SPOT",
                "balances": [],
                "permissions": ["SPOT"],
                "uid": 1,
            },
        }
        await client.account_status(return_rate_limits=True)
    assert raw.frames[0] == {"id": raw.frames[0]["id"], "method": "time", "params": {"returnRateLimits": False}}
    signed = raw.frames[1]["params"]
    assert signed["returnRateLimits"] is True
    expected = hmac.new(DOCS_HMAC_SECRET.encode(), signature_payload(signed), hashlib.sha256).hexdigest()
    assert b"returnRateLimits=true" in signature_payload(signed)
    assert signed["signature"] == expected


async def test_answers_without_rate_limits_keep_the_tracker_counting(raw: RawServer) -> None:
    into_minute = int(time.time() * 1000) % 60_000  # weight counts reset at each whole minute
    if into_minute > 55_000:
        await asyncio.sleep((60_000 - into_minute) / 1000 + 0.05)
    counts = iter([40, 47])

    def reply(request: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = {"id": request["id"], "status": 200, "result": {"serverTime": 1656400527891}}
        if request.get("params", {}).get("returnRateLimits") is not False:
            limit = {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000}
            answer["rateLimits"] = [{**limit, "count": next(counts)}]
        return answer

    raw.reply = reply
    async with AsyncClient(url=raw.url, timeout=5) as client:
        await client.time()
        assert client.rate_limiter.usage() == {"REQUEST_WEIGHT/1MINUTE": (40, 6000)}
        assert (await client.time(return_rate_limits=False)).server_time == 1656400527891
        # No rateLimits came back: the bucket stays, with this request counted by the client.
        assert client.rate_limiter.usage() == {"REQUEST_WEIGHT/1MINUTE": (41, 6000)}
        await client.time()
        assert client.rate_limiter.usage() == {"REQUEST_WEIGHT/1MINUTE": (47, 6000)}


async def test_signed_request_with_return_rate_limits_on_the_local_exchange(
    emulator: Emulator, hmac_key: HmacKey
) -> None:
    # The local exchange checks the signature over every parameter but `signature`, as Binance does.
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5) as client:
        account = await client.account_status(return_rate_limits=False)
        assert {b.asset for b in account.balances} >= {"BTC", "USDT"}
        assert account.can_trade is True


async def test_return_rate_limits_must_be_a_bool(raw: RawServer) -> None:
    async with AsyncClient(url=raw.url, timeout=5) as client:
        with pytest.raises(ParamError) as caught:
            await client.time(return_rate_limits="false")  # type: ignore[arg-type]
    assert caught.value.param == "return_rate_limits"
    assert raw.frames == []
