"""`x-require-if`: what an order's type makes mandatory or forbidden is checked before sending.

Each broken rule is a ParamError naming the parameter and the condition, and the local
exchange received nothing; the same parameters sent anyway (a raw request, no SDK check)
are refused by the exchange with Binance's code and message. Every documented combination
still succeeds, and the exchange holds what was sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from binance_spot_ws import METHODS, ApiError, AsyncClient, HmacKey, ParamError
from binance_ws_emulator import Emulator

LIMIT = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "price": "45000",
    "quantity": "0.001",
}
REPLACE = {"cancelReplaceMode": "ALLOW_FAILURE", "cancelOrderId": 999999}  # (the cancel half may fail: allowed)
OCO = {
    "symbol": "BTCUSDT",
    "side": "SELL",
    "quantity": "0.001",
    "aboveType": "LIMIT_MAKER",
    "abovePrice": "61000",
    "belowType": "STOP_LOSS",
    "belowStopPrice": "39000",
}
WORKING = {
    "symbol": "BTCUSDT",
    "workingType": "LIMIT",
    "workingSide": "BUY",
    "workingPrice": "45000",
    "workingQuantity": "0.001",
    "workingTimeInForce": "GTC",
}
OTO = {
    **WORKING,
    "pendingType": "LIMIT_MAKER",
    "pendingSide": "SELL",
    "pendingPrice": "60000",
    "pendingQuantity": "0.001",
}
OPO = {k: v for k, v in OTO.items() if k != "pendingQuantity"}
OTOCO = {
    **WORKING,
    "pendingSide": "SELL",
    "pendingQuantity": "0.001",
    "pendingAboveType": "LIMIT_MAKER",
    "pendingAbovePrice": "61000",
    "pendingBelowType": "STOP_LOSS",
    "pendingBelowStopPrice": "39000",
}
OPOCO = {k: v for k, v in OTOCO.items() if k != "pendingQuantity"}
SOR_LIMIT = dict(LIMIT)
SOR_MARKET = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"}


def _without(params: dict[str, Any], *names: str, **changes: Any) -> dict[str, Any]:
    return {**{k: v for k, v in params.items() if k not in names}, **changes}


def _mandatory(name: str) -> tuple[int, str]:
    return -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."


def _one_of(first: str, second: str) -> tuple[int, str]:
    return -1102, f"Param '{first}' or '{second}' must be sent, but both were empty/null!"


def _not_required(name: str) -> tuple[int, str]:
    return -1106, f"Parameter '{name}' sent when not required."


_ORDER_BREAKS = [
    # (params, the Python parameter named, the condition, the exchange's code and message)
    (_without(LIMIT, "timeInForce"), "time_in_force", "required when type is 'LIMIT'", _mandatory("timeInForce")),
    (
        _without(LIMIT, "price"),
        "price or peg_price_type",
        "one of these parameters is required when type is 'LIMIT'",
        _mandatory("price"),
    ),
    (_without(LIMIT, "quantity"), "quantity", "required when type is 'LIMIT'", _mandatory("quantity")),
    (
        _without(LIMIT, "quantity", quoteOrderQty="100"),
        "quantity",
        "required when type is 'LIMIT'",
        _mandatory("quantity"),
    ),
    (
        _without(LIMIT, quoteOrderQty="100"),
        "quote_order_qty",
        "not allowed when type is 'LIMIT'",
        _not_required("quoteOrderQty"),
    ),
    (
        _without(LIMIT, trailingDelta=100),
        "trailing_delta",
        "not allowed when type is 'LIMIT'",
        _not_required("trailingDelta"),
    ),
    (
        _without(LIMIT, "timeInForce", type="LIMIT_MAKER", trailingDelta=100),
        "trailing_delta",
        "not allowed when type is 'LIMIT_MAKER'",
        _not_required("trailingDelta"),
    ),
    (
        _without(LIMIT, "price", "timeInForce", type="LIMIT_MAKER"),
        "price or peg_price_type",
        "one of these parameters is required when type is 'LIMIT_MAKER'",
        _mandatory("price"),
    ),
    (
        _without(LIMIT, "price", "timeInForce", "quantity", type="MARKET"),
        "quantity or quote_order_qty",
        "one of these parameters is required when type is 'MARKET'",
        _one_of("quantity", "quoteOrderQty"),
    ),
    (
        _without(LIMIT, "price", "timeInForce", type="MARKET", trailingDelta=100),
        "trailing_delta",
        "not allowed when type is 'MARKET'",
        _not_required("trailingDelta"),
    ),
    (
        _without(LIMIT, "price", "timeInForce", side="SELL", type="STOP_LOSS"),
        "stop_price or trailing_delta",
        "one of these parameters is required when type is 'STOP_LOSS'",
        _one_of("stopPrice", "trailingDelta"),
    ),
    (
        _without(LIMIT, "price", "timeInForce", "quantity", side="SELL", type="TAKE_PROFIT", stopPrice="60000"),
        "quantity",
        "required when type is 'TAKE_PROFIT'",
        _mandatory("quantity"),
    ),
    (
        _without(LIMIT, side="SELL", type="STOP_LOSS_LIMIT"),
        "stop_price or trailing_delta",
        "one of these parameters is required when type is 'STOP_LOSS_LIMIT'",
        _one_of("stopPrice", "trailingDelta"),
    ),
    (
        _without(LIMIT, "timeInForce", side="SELL", type="TAKE_PROFIT_LIMIT", stopPrice="60000"),
        "time_in_force",
        "required when type is 'TAKE_PROFIT_LIMIT'",
        _mandatory("timeInForce"),
    ),
    (
        _without(LIMIT, "price", side="SELL", type="STOP_LOSS_LIMIT", trailingDelta=100),
        "price or peg_price_type",
        "one of these parameters is required when type is 'STOP_LOSS_LIMIT'",
        _mandatory("price"),
    ),
]

BREAKS = [
    *[("order.place", *case) for case in _ORDER_BREAKS],
    *[("order.test", *case) for case in _ORDER_BREAKS[::3]],
    *[("order.cancelReplace", {**REPLACE, **params}, *rest) for params, *rest in _ORDER_BREAKS[1::3]],
    (
        "orderList.place.oco",
        _without(OCO, "abovePrice"),
        "above_price or above_peg_price_type",
        "one of these parameters is required when above_type is 'LIMIT_MAKER'",
        _mandatory("abovePrice"),
    ),
    (
        "orderList.place.oco",
        _without(OCO, "belowStopPrice"),
        "below_stop_price or below_trailing_delta",
        "one of these parameters is required when below_type is 'STOP_LOSS'",
        _one_of("belowStopPrice", "belowTrailingDelta"),
    ),
    (
        "orderList.place.oco",
        _without(OCO, belowType="STOP_LOSS_LIMIT", belowPrice="38900"),
        "below_time_in_force",
        "required when below_type is 'STOP_LOSS_LIMIT'",
        _mandatory("belowTimeInForce"),
    ),
    (
        "orderList.place.oto",
        _without(OTO, "workingTimeInForce"),
        "working_time_in_force",
        "required when working_type is 'LIMIT'",
        _mandatory("workingTimeInForce"),
    ),
    (
        "orderList.place.oto",
        _without(OTO, "pendingPrice"),
        "pending_price or pending_peg_price_type",
        "one of these parameters is required when pending_type is 'LIMIT_MAKER'",
        _mandatory("pendingPrice"),
    ),
    (
        "orderList.place.oto",
        _without(OTO, pendingType="LIMIT"),
        "pending_time_in_force",
        "required when pending_type is 'LIMIT'",
        _mandatory("pendingTimeInForce"),
    ),
    (
        "orderList.place.oto",
        _without(OTO, "pendingPrice", pendingType="STOP_LOSS"),
        "pending_stop_price or pending_trailing_delta",
        "one of these parameters is required when pending_type is 'STOP_LOSS'",
        _one_of("pendingStopPrice", "pendingTrailingDelta"),
    ),
    (
        "orderList.place.otoco",
        _without(OTOCO, "pendingAbovePrice"),
        "pending_above_price or pending_above_peg_price_type",
        "one of these parameters is required when pending_above_type is 'LIMIT_MAKER'",
        _mandatory("pendingAbovePrice"),
    ),
    (
        "orderList.place.otoco",
        _without(OTOCO, pendingBelowType="TAKE_PROFIT_LIMIT", pendingBelowPrice="38900"),
        "pending_below_time_in_force",
        "required when pending_below_type is 'TAKE_PROFIT_LIMIT'",
        _mandatory("pendingBelowTimeInForce"),
    ),
    (
        "orderList.place.opo",
        _without(OPO, "pendingPrice", pendingType="TAKE_PROFIT"),
        "pending_stop_price or pending_trailing_delta",
        "one of these parameters is required when pending_type is 'TAKE_PROFIT'",
        _one_of("pendingStopPrice", "pendingTrailingDelta"),
    ),
    (
        "orderList.place.opoco",
        _without(OPOCO, "pendingBelowStopPrice"),
        "pending_below_stop_price or pending_below_trailing_delta",
        "one of these parameters is required when pending_below_type is 'STOP_LOSS'",
        _one_of("pendingBelowStopPrice", "pendingBelowTrailingDelta"),
    ),
    (
        "sor.order.place",
        _without(SOR_LIMIT, "timeInForce"),
        "time_in_force",
        "required when type is 'LIMIT'",
        _mandatory("timeInForce"),
    ),
    (
        "sor.order.place",
        _without(SOR_LIMIT, "price"),
        "price",
        "required when type is 'LIMIT'",
        _mandatory("price"),
    ),
    (
        "sor.order.place",
        _without(SOR_MARKET, price="50000"),
        "price",
        "not allowed when type is 'MARKET'",
        _not_required("price"),
    ),
    (
        "sor.order.test",
        _without(SOR_MARKET, timeInForce="GTC"),
        "time_in_force",
        "not allowed when type is 'MARKET'",
        _not_required("timeInForce"),
    ),
]


def _python(method: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The client method's name and its keyword arguments for wire `params`."""
    descriptor = METHODS[method]
    name = "".join("_" + c.lower() if c.isupper() else c for c in method.replace(".", "_"))
    return name, {descriptor.wire_to_python[k]: v for k, v in params.items()}


@pytest.fixture
async def trader(emulator: Emulator, hmac_key: HmacKey) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5) as connected:
        yield connected


@pytest.mark.parametrize(("method", "params", "param", "problem", "exchange"), BREAKS)
async def test_a_broken_rule_is_refused_before_sending_and_by_the_exchange(
    trader: AsyncClient,
    emulator: Emulator,
    method: str,
    params: dict[str, Any],
    param: str,
    problem: str,
    exchange: tuple[int, str],
) -> None:
    name, kwargs = _python(method, params)
    with pytest.raises(ParamError) as caught:
        await getattr(trader, name)(**kwargs)
    assert (caught.value.method, caught.value.param, caught.value.problem) == (method, param, problem)
    assert emulator.requests.get(method, 0) == 0  # nothing was sent
    # The same request sent anyway: the exchange refuses it the way Binance does.
    with pytest.raises(ApiError) as refused:
        await trader.request_raw(method, params, signed=True)
    assert (refused.value.code, refused.value.msg) == exchange
    assert emulator.requests[method] == 1


VALID_ORDERS = [
    LIMIT,
    _without(LIMIT, "price", pegPriceType="PRIMARY_PEG"),
    _without(LIMIT, "timeInForce", type="LIMIT_MAKER"),
    {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"},
    {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "100"},
    {"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_LOSS", "quantity": "0.001", "stopPrice": "40000"},
    {"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_LOSS", "quantity": "0.001", "trailingDelta": 100},
    {"symbol": "BTCUSDT", "side": "SELL", "type": "TAKE_PROFIT", "quantity": "0.001", "stopPrice": "60000"},
    {**LIMIT, "side": "SELL", "type": "STOP_LOSS_LIMIT", "price": "39900", "stopPrice": "40000"},
    {**LIMIT, "side": "SELL", "type": "STOP_LOSS_LIMIT", "price": "39900", "stopPrice": "40000", "trailingDelta": 200},
    {**LIMIT, "side": "SELL", "type": "TAKE_PROFIT_LIMIT", "price": "60100", "trailingDelta": 100},
]


@pytest.mark.parametrize("params", VALID_ORDERS, ids=lambda p: f"{p['type']}-{'-'.join(sorted(p))}")
async def test_every_documented_order_combination_is_placed(
    trader: AsyncClient, emulator: Emulator, params: dict[str, Any]
) -> None:
    _, kwargs = _python("order.place", params)
    placed = await trader.order_place(**kwargs, new_order_resp_type="RESULT")
    assert emulator.requests["order.place"] == 1
    status = await trader.order_status(symbol="BTCUSDT", order_id=placed.order_id)
    assert (status.type, status.side) == (params["type"], params["side"])
    assert status.status in (("FILLED",) if params["type"] == "MARKET" else ("NEW",))
    if "quantity" in params:
        assert status.orig_qty == Decimal(params["quantity"])
    else:
        assert status.orig_quote_order_qty == Decimal(params["quoteOrderQty"])
    if "price" in params:
        assert status.price == Decimal(params["price"])
    if "stopPrice" in params:
        assert status.stop_price == Decimal(params["stopPrice"])
    if "timeInForce" in params:
        assert status.time_in_force == params["timeInForce"]
    assert status.trailing_delta == params.get("trailingDelta", msgspec.UNSET)
    # order.test and order.cancelReplace (of a resting order) take the same parameters.
    assert await trader.order_test(**kwargs) is not None
    resting = await trader.order_place(**_python("order.place", {**LIMIT, "price": "44000"})[1])
    replaced = await trader.order_cancel_replace(
        cancel_replace_mode="STOP_ON_FAILURE", cancel_order_id=resting.order_id, **kwargs
    )
    assert replaced.cancel_result == "SUCCESS" and replaced.new_order_result == "SUCCESS"


VALID_LISTS = [
    ("orderList.place.oco", OCO, 2),
    ("orderList.place.oco", _without(OCO, "belowStopPrice", belowTrailingDelta=100), 2),
    (
        "orderList.place.oco",
        _without(OCO, belowType="STOP_LOSS_LIMIT", belowPrice="38900", belowTimeInForce="GTC"),
        2,
    ),
    ("orderList.place.oto", OTO, 2),
    ("orderList.place.oto", _without(OTO, pendingType="LIMIT", pendingTimeInForce="GTC"), 2),
    ("orderList.place.oto", _without(OTO, "pendingPrice", pendingType="STOP_LOSS", pendingStopPrice="40000"), 2),
    (
        "orderList.place.oto",
        _without(OTO, pendingType="TAKE_PROFIT_LIMIT", pendingTrailingDelta=100, pendingTimeInForce="GTC"),
        2,
    ),
    ("orderList.place.otoco", OTOCO, 3),
    ("orderList.place.otoco", _without(OTOCO, "pendingBelowType", "pendingBelowStopPrice"), 2),
    (
        "orderList.place.otoco",
        _without(
            OTOCO, pendingAboveType="TAKE_PROFIT_LIMIT", pendingAboveStopPrice="60000", pendingAboveTimeInForce="GTC"
        ),
        3,
    ),
    ("orderList.place.opo", OPO, 2),
    ("orderList.place.opoco", OPOCO, 3),
]


LEG_TYPES = ("aboveType", "belowType", "workingType", "pendingType", "pendingAboveType", "pendingBelowType")


@pytest.mark.parametrize(("method", "params", "legs"), VALID_LISTS)
async def test_every_documented_order_list_combination_is_placed(
    trader: AsyncClient, emulator: Emulator, method: str, params: dict[str, Any], legs: int
) -> None:
    name, kwargs = _python(method, params)
    placed = await getattr(trader, name)(**kwargs)
    assert emulator.requests[method] == 1
    assert len(placed.orders) == legs
    listed = await trader.order_list_status(order_list_id=placed.order_list_id)
    assert listed.list_order_status == "EXECUTING"
    orders = [await trader.order_status(symbol="BTCUSDT", order_id=o.order_id) for o in placed.orders]
    assert sorted(o.type for o in orders) == sorted(params[k] for k in LEG_TYPES if k in params)


@pytest.mark.parametrize("params", [SOR_MARKET, SOR_LIMIT])
async def test_sor_orders_of_both_types_are_placed(
    trader: AsyncClient, emulator: Emulator, params: dict[str, Any]
) -> None:
    _, kwargs = _python("sor.order.place", params)
    placed = await trader.sor_order_place(**kwargs)
    assert emulator.requests["sor.order.place"] == 1
    assert [(o.type, o.orig_qty) for o in placed] == [(params["type"], Decimal("0.001"))]
    assert await trader.sor_order_test(**kwargs) is not None
