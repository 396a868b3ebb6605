"""The parameter plan (the direct path) agrees with the full msgspec path wherever it answers,
for every generated method, and hands everything unusual to the full path."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec import inspect

from binance_spot_ws import _methods, types
from binance_ws import Method, ParamError
from binance_ws.param_plan import Plan
from binance_ws.wire import format_decimal, full_params, wire_params

METHODS = [m for m in vars(_methods).values() if isinstance(m, Method) and m.params is not None]


def _values_for(kind: Any) -> st.SearchStrategy[Any]:
    """Good values of the field's type, near misses and plainly wrong ones."""
    if isinstance(kind, inspect.Metadata):
        return _values_for(kind.type)
    if isinstance(kind, inspect.UnionType):
        return st.one_of(*(_values_for(t) for t in kind.types))
    wrong = st.sampled_from([None, 1.5, float("nan"), [1], {"a": 1}, b"x", True])
    if isinstance(kind, inspect.EnumType):
        members = list(kind.cls)
        return st.one_of(st.sampled_from(members), st.sampled_from([m.value for m in members]), st.just("NOPE"), wrong)
    if isinstance(kind, inspect.LiteralType):
        return st.one_of(st.sampled_from(kind.values), st.just("NOPE"), wrong)
    if isinstance(kind, inspect.DecimalType):
        return st.one_of(
            st.decimals(allow_nan=True, allow_infinity=True, places=8), st.integers(-5, 10**6), st.just("1.5"), wrong
        )
    if isinstance(kind, inspect.IntType):
        return st.one_of(st.integers(-(2**40), 2**40), st.just(0), st.just("7"), wrong)
    if isinstance(kind, inspect.BoolType):
        return st.one_of(st.booleans(), st.just(1), wrong)
    if isinstance(kind, inspect.StrType):
        return st.one_of(
            st.text(max_size=12), st.just("BTCUSDT"), st.just("ＢＴＣ"), st.just("\ud800"), st.integers(), wrong
        )
    return st.one_of(st.just([]), st.lists(st.text(max_size=5), max_size=3), wrong)


@st.composite
def calls(draw: st.DrawFn) -> tuple[Method[Any, Any], dict[str, Any]]:
    method = draw(st.sampled_from(METHODS))
    fields = inspect.type_info(method.params).fields  # type: ignore[attr-defined]
    args: dict[str, Any] = {}
    for field in fields:
        if (field.required and draw(st.integers(0, 20)) > 0) or draw(st.booleans()):
            args[field.encode_name] = draw(_values_for(field.type))
    if draw(st.integers(0, 30)) == 0:
        args["notAParameter"] = 1
    return method, args


def _reference(method: Method[Any, Any], args: dict[str, Any]) -> Any:
    try:
        return full_params(method, args)
    except ParamError as exc:
        return exc


@settings(max_examples=600, deadline=None)
@given(calls())
def test_the_plan_renders_what_the_full_path_renders(call: tuple[Method[Any, Any], dict[str, Any]]) -> None:
    method, args = call
    plan = Plan(method.params, format_decimal)  # type: ignore[arg-type]
    direct = plan.render(args)
    if direct is not None:
        reference = _reference(method, args)
        assert not isinstance(reference, Exception), (method.wire, args, reference)
        assert direct == reference and list(direct) == list(reference)
    # and wire_params (plan first, full path otherwise) answers as the full path alone would
    try:
        combined: Any = wire_params(method, args)
    except ParamError as exc:
        combined = exc
    reference = _reference(method, args)
    if isinstance(reference, ParamError):
        assert isinstance(combined, ParamError) and str(combined) == str(reference)
    elif not isinstance(combined, ParamError) or "one of these parameters" not in str(combined):
        assert combined == reference


def test_the_plan_answers_for_a_typical_order() -> None:
    """The common case does take the direct path (else the plan would be pointless)."""
    args = {
        "symbol": "BTCUSDT",
        "side": types.Side.SELL,
        "type": "LIMIT",
        "timeInForce": "GTC",
        "price": Decimal("23416.10"),
        "quantity": Decimal("1E-8"),
        "newClientOrderId": "x1",
    }
    rendered = Plan(_methods.ORDER_PLACE.params, format_decimal).render(args)  # type: ignore[arg-type]
    assert rendered == {
        "newClientOrderId": "x1",
        "price": "23416.10",
        "quantity": "0.00000001",
        "side": "SELL",
        "symbol": "BTCUSDT",
        "timeInForce": "GTC",
        "type": "LIMIT",
    }


class _Colour(enum.Enum):
    RED = 1


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        (int, True),  # bool is not an int here
        (Decimal, 5),  # converted by the full path, not guessed at
        (Decimal, Decimal("NaN")),
        (str, "ＢＴＣ"),  # non-ASCII: the full path checks it can be encoded
        (_Colour, _Colour.RED),  # an enum with non-string values
        (int | str, 5),  # a real union
    ],
)
def test_the_plan_leaves_unusual_values_to_the_full_path(annotation: Any, value: Any) -> None:
    params = msgspec.defstruct("P", [("x", annotation)])
    assert Plan(params, format_decimal).render({"x": value}) is None


_ANY_DECIMAL = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.builds(
        lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
        st.integers(0, 1),
        st.lists(st.integers(0, 9), min_size=1, max_size=30),
        st.integers(-40, 40),
    ),
)


@given(_ANY_DECIMAL)
def test_a_decimal_renders_as_format_decimal_does(value: Decimal) -> None:
    """The plan writes a Decimal with str() where that gives plain notation (faster); never
    anything else than `format_decimal` gives: no exponent, no "-0"."""
    params = msgspec.defstruct("P", [("x", Decimal)])
    assert Plan(params, format_decimal).render({"x": value}) == {"x": format_decimal(value)}
