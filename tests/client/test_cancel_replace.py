"""order.cancelReplace against the local exchange: success decodes, a 409 is its own error.

The local exchange answers the documented shapes: 200 with both reports, 409 (-2021)
when one half failed, 400 (-2022) when the cancel failed and nothing was placed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from binance_spot_ws import AsyncClient, BadRequest, CancelReplacePartialFailure, ErrorCode, HmacKey, types
from binance_ws_emulator import Emulator
from tests.client._helpers import limit_buy


async def test_successful_cancel_replace_decodes_both_halves(emulator: Emulator, hmac_key: HmacKey) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5) as client:
        resting = await limit_buy(client, Decimal("45000.00"), client_order_id="old-order-1")
        result = await client.order_cancel_replace(
            symbol="BTCUSDT",
            cancel_replace_mode="STOP_ON_FAILURE",
            cancel_orig_client_order_id="old-order-1",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            price=Decimal("44000.00"),
            quantity=Decimal("0.002"),
            new_client_order_id="new-order-1",
        )
        assert isinstance(result, types.CancelReplaceResult)
        assert result.cancel_result == "SUCCESS"
        assert result.new_order_result == "SUCCESS"
        assert result.cancel_response.orig_client_order_id == "old-order-1"
        assert result.cancel_response.order_id == resting.order_id
        assert result.cancel_response.status == "CANCELED"
        new = result.new_order_response
        assert new.client_order_id == "new-order-1"
        assert new.order_id != resting.order_id
        assert new.status == "NEW"
        assert new.price == Decimal("44000.00")
        assert new.orig_qty == Decimal("0.002")

        old = await client.order_status(symbol="BTCUSDT", order_id=resting.order_id)
        assert old.status == "CANCELED"
        placed = await client.order_status(symbol="BTCUSDT", order_id=new.order_id)
        assert placed.status == "NEW"
        assert placed.client_order_id == "new-order-1"


async def test_409_cancel_succeeded_new_order_failed(emulator: Emulator, hmac_key: HmacKey) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5) as client:
        resting = await limit_buy(client, Decimal("45000.00"))
        with pytest.raises(CancelReplacePartialFailure) as caught:
            await client.order_cancel_replace(
                symbol="BTCUSDT",
                cancel_replace_mode="ALLOW_FAILURE",
                cancel_order_id=resting.order_id,
                side="BUY",
                type="LIMIT_MAKER",  # would cross the asks near 50,000: rejected, the cancel stands
                price=Decimal("60000.00"),
                quantity=Decimal("0.001"),
            )
        error = caught.value
        assert not isinstance(error, BadRequest)
        assert error.status == 409
        assert error.code == ErrorCode.CANCEL_REPLACE_PARTIAL
        data = error.data
        assert isinstance(data, types.CancelReplaceErrorData)
        assert data.cancel_result == "SUCCESS"
        assert data.new_order_result == "FAILURE"
        assert isinstance(data.cancel_response, types.CancelReport)
        assert data.cancel_response.order_id == resting.order_id
        assert data.cancel_response.status == "CANCELED"
        assert isinstance(data.new_order_response, types.ErrorDetail)
        assert data.new_order_response.code == ErrorCode.NEW_ORDER_REJECTED
        assert (await client.order_status(symbol="BTCUSDT", order_id=resting.order_id)).status == "CANCELED"


async def test_409_cancel_failed_new_order_placed(emulator: Emulator, hmac_key: HmacKey) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5) as client:
        with pytest.raises(CancelReplacePartialFailure) as caught:
            await client.order_cancel_replace(
                symbol="BTCUSDT",
                cancel_replace_mode="ALLOW_FAILURE",
                cancel_order_id=987654321,  # no such order: the cancel fails, the new order goes in
                side="BUY",
                type="LIMIT",
                time_in_force="GTC",
                price=Decimal("43000.00"),
                quantity=Decimal("0.001"),
                new_client_order_id="placed-anyway",
            )
        data = caught.value.data
        assert isinstance(data, types.CancelReplaceErrorData)
        assert data.cancel_result == "FAILURE"
        assert data.new_order_result == "SUCCESS"
        assert isinstance(data.cancel_response, types.ErrorDetail)
        assert data.cancel_response.code == ErrorCode.CANCEL_REJECTED
        assert isinstance(data.new_order_response, types.OrderResponse)
        assert data.new_order_response.client_order_id == "placed-anyway"
        placed = await client.order_status(symbol="BTCUSDT", order_id=data.new_order_response.order_id)
        assert placed.status == "NEW"


async def test_400_cancel_failed_nothing_placed_is_a_bad_request_with_typed_data(
    emulator: Emulator, hmac_key: HmacKey
) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5) as client:
        with pytest.raises(BadRequest) as caught:
            await client.order_cancel_replace(
                symbol="BTCUSDT",
                cancel_replace_mode="STOP_ON_FAILURE",
                cancel_order_id=987654321,
                side="BUY",
                type="LIMIT",
                time_in_force="GTC",
                price=Decimal("43000.00"),
                quantity=Decimal("0.001"),
            )
        error = caught.value
        assert not isinstance(error, CancelReplacePartialFailure)
        assert (error.status, error.code) == (400, ErrorCode.CANCEL_REPLACE_FAILED)
        assert isinstance(error.data, types.CancelReplaceErrorData)
        assert (error.data.cancel_result, error.data.new_order_result) == ("FAILURE", "NOT_ATTEMPTED")
        assert error.data.new_order_response is None
        assert await client.open_orders_status(symbol="BTCUSDT") == []


async def test_400_both_halves_failed_carries_both_errors(emulator: Emulator, hmac_key: HmacKey) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5) as client:
        with pytest.raises(BadRequest) as caught:
            await client.order_cancel_replace(
                symbol="BTCUSDT",
                cancel_replace_mode="ALLOW_FAILURE",
                cancel_order_id=987654321,
                side="BUY",
                type="LIMIT_MAKER",
                price=Decimal("60000.00"),
                quantity=Decimal("0.001"),
            )
        data = caught.value.data
        assert isinstance(data, types.CancelReplaceErrorData)
        assert (data.cancel_result, data.new_order_result) == ("FAILURE", "FAILURE")
        assert isinstance(data.cancel_response, types.ErrorDetail)
        assert isinstance(data.new_order_response, types.ErrorDetail)
        assert (data.cancel_response.code, data.new_order_response.code) == (
            ErrorCode.CANCEL_REJECTED,
            ErrorCode.NEW_ORDER_REJECTED,
        )
        assert await client.open_orders_status(symbol="BTCUSDT") == []
