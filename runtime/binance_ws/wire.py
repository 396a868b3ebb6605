"""Wire formats: validating and rendering parameters, request frames, response frames.

One function, `wire_params`, produces the parameter mapping that is both signed
and sent, so the signature always covers exactly what goes on the wire.
"""

from __future__ import annotations

import enum
import functools
import math
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import msgspec

from .errors import ParamError
from .method import Method
from .param_plan import Plan

_UNSET = msgspec.UNSET


class RateLimit(msgspec.Struct, frozen=True, gc=False):
    """One `rateLimits` entry: usage of a limit after the request."""

    rateLimitType: str
    interval: str
    intervalNum: int
    limit: int
    count: int = 0


class ErrorBody(msgspec.Struct, frozen=True, gc=False):
    code: int
    msg: str
    data: Any = None


class Frame(msgspec.Struct, frozen=True, gc=False):
    """Any frame from the server: a response (`status`) or an event (`event`)."""

    id: int | str | None = None
    status: int = 0
    result: msgspec.Raw = msgspec.Raw(b"null")
    error: ErrorBody | None = None
    rateLimits: list[RateLimit] | None = None
    event: msgspec.Raw = msgspec.Raw(b"")  # empty unless this frame is an event
    subscriptionId: int | None = None


class DecodedFrame(Frame, frozen=True, gc=False):
    """A frame whose result (or event) is already built: `value` (an SBE answer decoded straight
    into the result Structs). Never decoded from JSON: only the SBE decoder makes one."""

    value: Any = None


FRAME_DECODER = msgspec.json.Decoder(Frame)
_ENCODER = msgspec.json.Encoder()


def format_decimal(value: Decimal) -> str:
    """Plain notation, never `1E-8`: Binance rejects exponents."""
    text = format(value, "f")
    return "0" if text in ("-0", "") else text


def _render(value: Any) -> Any:
    """Render one value for the wire; ValueError if it cannot be sent (NaN, a lone surrogate)."""
    # After msgspec.to_builtins only Decimals (kept on purpose) need rendering; exact type
    # checks keep this cheap on the hot path.
    kind = type(value)  # pyright: ignore[reportUnknownVariableType]
    if kind is str:
        if not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                raise ValueError("not valid text: it holds a lone surrogate, which cannot be UTF-8 encoded") from None
        return value
    if kind is Decimal:
        if not value.is_finite():
            raise ValueError(f"must be a finite number, not {value}")
        return format_decimal(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, not {value}")
        return value
    if kind is list:
        return [_render(v) for v in value]
    if kind is dict:
        return {_render(k): _render(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return _render(value.value)
    return value


def _rendered(method: Method[Any, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in params.items():
        try:
            out[name] = _render(value)
        except ValueError as exc:
            raise ParamError(method.wire, method.wire_to_python.get(name, name), str(exc)) from None
    return out


def wire_params(method: Method[Any, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    """Validate `args` (wire name -> value, UNSET for absent) and render them for the wire.

    Raises:
        ParamError: naming the Python parameter, before anything is sent.
    """
    return checked_params(method, args)[0]


def checked_params(method: Method[Any, Any], args: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """`wire_params`, and whether every value is a str or an int (`signature_payload`'s `plain`)."""
    params = method.params
    if params is None:
        return _rendered(method, {k: v for k, v in args.items() if v is not _UNSET}), False
    plan = method.plan
    if plan is None:
        plan = method.plan = Plan(params, format_decimal)
    out: dict[str, Any] | None = plan.render(args)  # plain values: checked and rendered directly
    plain = plan.plain
    if out is None:
        out, plain = full_params(method, {k: v for k, v in args.items() if v is not _UNSET}), False
    for group in method.require_one_of:
        if not any(name in out for name in group):
            names = " or ".join(method.wire_to_python.get(n, n) for n in group)
            raise ParamError(method.wire, names, "one of these parameters is required")
    conditions = method.conditions  # x-require-if: parameters another parameter's value requires or forbids
    if conditions:
        shape = tuple(out)  # what the rules read: which names are given (in order: the plan sorts them)
        for param, cases in conditions:
            case = cases.get(out.get(param))
            if case is not None and shape not in case.passed:
                case.check(method.wire, method.wire_to_python, param, out, shape)
    return out, plain


def full_params(method: Method[Any, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate by converting into the method's params Struct, then render (any input)."""
    decimals = method.decimal_params
    if decimals:
        for name, value in given.items():
            if isinstance(value, float) and name in decimals:  # numpy floats too
                raise ParamError(
                    method.wire,
                    method.wire_to_python.get(name, name),
                    f"a float ({value!r}) is inexact for a money amount: pass a str, Decimal or int, "
                    f'e.g. Decimal("{value:.8g}")',
                )
    try:
        validated = msgspec.convert(given, method.params, strict=False)
    except msgspec.ValidationError as exc:
        raise _param_error(method, str(exc)) from None
    out: dict[str, Any] = msgspec.to_builtins(validated, builtin_types=(Decimal,), order="sorted")
    return _rendered(method, out)


def _param_error(method: Method[Any, Any], message: str) -> ParamError:
    # msgspec says "Expected `int`, got `str` - at `$.limit`": map the wire path back
    # to the Python argument name the caller used.
    problem, _, path = message.partition(" - at `$.")
    wire = path.rstrip("`").split(".")[0].split("[")[0]
    if not wire and "missing required field" in problem:
        wire = problem.rsplit("`", 2)[-2] if problem.count("`") >= 2 else ""
    return ParamError(method.wire, method.wire_to_python.get(wire, wire or "?"), problem)


def payload_value(value: Any) -> str:
    """How a JSON parameter value appears in the signature payload."""
    kind = type(value)  # pyright: ignore[reportUnknownVariableType]
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return str(value)
    if isinstance(value, str):
        return value
    return _ENCODER.encode(value).decode()


def signature_payload(params: Mapping[str, Any], *, plain: bool = False) -> bytes:
    """All parameters but `signature`, sorted by name, `key=value` joined by `&`, UTF-8.

    `plain`: the caller knows every value is a str or an int and no key is `signature`
    (as `checked_params` says of what a plan rendered): each value is written as it is.
    """
    if plain:
        shape = tuple(params)
        found = _PLAIN_SHAPES.get(shape)
        if found is None:
            found = _plain_shape(shape)
        text: str = found[1] % found[0](params)
        return text.encode()
    return "&".join(f"{key}={payload_value(params[key])}" for key in sorted(params) if key != "signature").encode()


#: The parameter names of a plain payload, in the order given -> (a getter of the values in
#: sorted order, the `key=%s&...` template): sorting and joining once per shape, not per call.
_PLAIN_SHAPES: dict[tuple[str, ...], tuple[Any, str]] = {}


def _plain_shape(shape: tuple[str, ...]) -> tuple[Any, str]:
    keys = sorted(shape)
    getter: Callable[[Mapping[str, Any]], Any]
    if len(keys) > 1:
        getter = operator.itemgetter(*keys)  # a tuple of the values, sorted by name
    else:
        getter = functools.partial(_values, keys)
    found = (getter, "&".join(f"{key.replace('%', '%%')}=%s" for key in keys))
    if len(shape) > 1 and len(_PLAIN_SHAPES) < 1024:  # (the shapes a program uses are few)
        _PLAIN_SHAPES[shape] = found
    return found


def _values(keys: list[str], params: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(params[key] for key in keys)


def encode_request(request_id: int | str, method: str, params: Mapping[str, Any]) -> str:
    """One request frame (text)."""
    if params:
        return _ENCODER.encode({"id": request_id, "method": method, "params": params}).decode()
    return _ENCODER.encode({"id": request_id, "method": method}).decode()
