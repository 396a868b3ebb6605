"""Facts from the official docs that the spec now carries (see /work/notes/docs-comparison.md)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from binance_spot_ws import AsyncClient, BadRequest, ErrorCode, ParamError, types
from binance_spot_ws._methods import METHODS
from binance_ws_emulator import Emulator


async def test_reserved_strategy_type_and_deep_peg_offset_are_refused_before_sending(
    client: AsyncClient, emulator: Emulator
) -> None:
    order = dict(symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC", quantity=Decimal("0.001"))
    with pytest.raises(ParamError) as reserved:
        await client.order_test(**order, price=Decimal(20000), strategy_type=999_999)  # type: ignore[arg-type]
    assert reserved.value.param == "strategy_type"
    with pytest.raises(ParamError) as too_deep:
        await client.order_test(
            **order,  # type: ignore[arg-type]
            peg_price_type="PRIMARY_PEG",
            peg_offset_type="PRICE_LEVEL",
            peg_offset_value=101,
        )
    assert too_deep.value.param == "peg_offset_value"
    assert "order.test" not in emulator.requests
    # the smallest unreserved value goes through
    await client.order_test(**order, price=Decimal(20000), strategy_type=1_000_000)  # type: ignore[arg-type]
    assert "order.test" in emulator.requests


async def test_documented_codes_have_their_names(client: AsyncClient) -> None:
    with pytest.raises(BadRequest) as bad_interval:
        await client.request_raw("klines", {"symbol": "BTCUSDT", "interval": "7m"})
    assert bad_interval.value.code == ErrorCode.BAD_INTERVAL.value == -1120
    assert bad_interval.value.name == "BAD_INTERVAL"
    assert (ErrorCode.ORDER_ARCHIVED.value, ErrorCode.WORKING_PARAM_REQUIRED.value) == (-2026, -1224)


async def test_execution_rule_type_is_an_enum(client: AsyncClient) -> None:
    rules = await client.execution_rules(symbol="BTCUSDT")
    kinds = {rule.rule_type for entry in rules.symbol_rules for rule in entry.rules}
    assert kinds <= {member.value for member in types.ExecutionRuleType}
    assert types.ExecutionRuleType.PRICE_RANGE.value == "PRICE_RANGE"


def test_amended_order_carries_the_conditional_order_fields() -> None:
    # The docs: amend responses may hold every conditional field of the other order responses.
    result = {
        "transactTime": 1,
        "executionId": 2,
        "amendedOrder": {
            "symbol": "BTCUSDT",
            "orderId": 3,
            "orderListId": -1,
            "clientOrderId": "c",
            "origClientOrderId": "o",
            "price": "1.00000000",
            "qty": "4.00000000",
            "executedQty": "0.00000000",
            "preventedQty": "0.00000000",
            "quoteOrderQty": "0.00000000",
            "cumulativeQuoteQty": "0.00000000",
            "status": "NEW",
            "timeInForce": "GTC",
            "type": "LIMIT",
            "side": "BUY",
            "workingTime": 1,
            "selfTradePreventionMode": "NONE",
            "strategyId": 5,
            "strategyType": 1000000,
            "icebergQty": "1.00000000",
            "pegPriceType": "PRIMARY_PEG",
            "peggedPrice": "87523.83710000",
            "usedSor": True,
            "expiryReason": "INSUFFICIENT_LIQUIDITY",
        },
    }
    decoded = METHODS["order.amend.keepPriority"].decoder.decode(json.dumps(result).encode())
    amended = decoded.amended_order  # type: ignore[attr-defined]
    assert (amended.strategy_id, amended.strategy_type, amended.used_sor) == (5, 1000000, True)
    assert amended.iceberg_qty == Decimal(1) and amended.pegged_price == Decimal("87523.8371")
    assert (amended.peg_price_type, amended.expiry_reason) == ("PRIMARY_PEG", "INSUFFICIENT_LIQUIDITY")
