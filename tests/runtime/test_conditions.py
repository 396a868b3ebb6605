"""`RequireIf` rules in the request path: the first broken rule names its parameter, passing
shapes are remembered per (parameter, value) only, and a failing shape is never remembered."""

from __future__ import annotations

import enum
from decimal import Decimal

import msgspec
import pytest

from binance_ws import Method, Model, ParamError, RequireIf
from binance_ws.conditions import Case
from binance_ws.wire import wire_params

U = msgspec.UNSET


class Kind(enum.Enum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"


class Params(Model, kw_only=True):
    symbol: str
    type: Kind
    price: Decimal | msgspec.UnsetType = U
    quantity: Decimal | msgspec.UnsetType = U
    quote_order_qty: Decimal | msgspec.UnsetType = msgspec.field(name="quoteOrderQty", default=U)
    time_in_force: str | msgspec.UnsetType = msgspec.field(name="timeInForce", default=U)


RULES = (
    RequireIf("type", ("LIMIT",), require=(("timeInForce",), ("price",), ("quantity",)), forbid=("quoteOrderQty",)),
    RequireIf("type", ("MARKET",), require=(("quantity", "quoteOrderQty"),), forbid=("price", "timeInForce")),
)
PLACE: Method[Params, None] = Method("order.place", Params, None, require_if=RULES)
LIMIT = {"symbol": "BTCUSDT", "type": "LIMIT", "timeInForce": "GTC", "price": Decimal("1"), "quantity": Decimal("2")}


def _refusal(args: dict[str, object]) -> tuple[str, str]:
    with pytest.raises(ParamError) as caught:
        wire_params(PLACE, args)
    return caught.value.param, caught.value.problem


def test_a_passing_request_is_rendered_and_its_shape_remembered_for_its_value_only() -> None:
    assert wire_params(PLACE, LIMIT)["type"] == "LIMIT"
    cases = dict(PLACE.conditions)["type"]
    assert cases["LIMIT"].passed == {tuple(sorted(LIMIT))}
    assert not cases["MARKET"].passed
    # The same names with another value: MARKET forbids price and timeInForce.
    assert _refusal({**LIMIT, "type": Kind.MARKET}) == ("price", "not allowed when type is 'MARKET'")


def test_the_first_broken_rule_names_the_python_parameter_and_the_condition() -> None:
    assert _refusal({k: v for k, v in LIMIT.items() if k != "timeInForce"}) == (
        "time_in_force",
        "required when type is 'LIMIT'",
    )
    assert _refusal({**LIMIT, "quoteOrderQty": Decimal(3)}) == ("quote_order_qty", "not allowed when type is 'LIMIT'")
    assert _refusal({"symbol": "BTCUSDT", "type": "MARKET"}) == (
        "quantity or quote_order_qty",
        "one of these parameters is required when type is 'MARKET'",
    )


def test_a_failing_shape_fails_every_time_and_on_the_full_path_too() -> None:
    market = {"symbol": "BTCUSDT", "type": "MARKET", "price": Decimal(1), "quantity": Decimal(1)}
    for _ in range(3):
        assert _refusal(market)[0] == "price"
    assert not dict(PLACE.conditions)["type"]["MARKET"].passed
    # A value the direct plan does not take (a str for a Decimal) goes the full way: same rules.
    assert _refusal({**market, "quantity": "1"})[0] == "price"
    assert wire_params(PLACE, {"symbol": "BTCUSDT", "type": "MARKET", "quoteOrderQty": "10"})["quoteOrderQty"] == "10"


def test_remembered_shapes_are_bounded() -> None:
    case = Case([RequireIf("type", ("LIMIT",), forbid=("price",))])
    for index in range(Case.MAX_PASSED + 10):
        case.check("m", {}, "type", {"type": "LIMIT"}, ("type", f"x{index}"))
    assert len(case.passed) == Case.MAX_PASSED
