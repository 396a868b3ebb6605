"""Per-method plans that check and render the common parameter values directly.

`wire.wire_params` validates arguments by converting them into the method's params
Struct and renders that back into a dict: right for every input, and several
microseconds per request. Nearly every call passes plain values: an exact `str`
(ASCII), `int`, `bool`, a finite `Decimal`, an enum member or one of its values. A
plan, built once per method from the Struct's type information, checks and renders
exactly those. Anything else (another type, a constraint the plan does not check, a
list, an unknown or missing name) makes the plan answer None, and the full path runs:
errors and unusual inputs behave exactly as they do without a plan.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, cast

import msgspec
from msgspec import inspect

#: A field's check: the rendered value, or _NO when the full path must decide.
Check = Callable[[Any], Any]
_NO: Any = object()
_UNSET = msgspec.UNSET


def _str(value: Any) -> Any:
    return value if type(value) is str and value.isascii() else _NO


def _int(value: Any) -> Any:
    return value if type(value) is int else _NO


def _bool(value: Any) -> Any:
    return value if type(value) is bool else _NO


def _bounded_int(kind: inspect.IntType) -> Check:
    low = kind.ge if kind.ge is not None else (kind.gt + 1 if kind.gt is not None else None)
    high = kind.le if kind.le is not None else (kind.lt - 1 if kind.lt is not None else None)

    def check(value: Any) -> Any:
        if type(value) is not int or (low is not None and value < low) or (high is not None and value > high):
            return _NO
        return value

    return check


def _decimal(render: Callable[[Decimal], str]) -> Check:
    def check(value: Any) -> Any:
        if type(value) is not Decimal or not value.is_finite():
            return _NO
        # str() writes plain notation (what `render` gives) unless the exponent is positive or
        # the number is below 1e-6 (then it writes an exponent: `render` decides), and is faster.
        text = str(value)
        return text if "E" not in text and text != "-0" else render(value)

    return check


def _enum(cls: type[enum.Enum]) -> Check | None:
    values = {member.value: member.value for member in cls}
    if not all(type(v) is str and v.isascii() for v in values):
        return None

    def check(value: Any) -> Any:
        if type(value) is cls:
            return value.value
        return values.get(value, _NO) if type(value) is str else _NO

    return check


def _literal(values: tuple[Any, ...]) -> Check | None:
    if not all(type(v) is str and v.isascii() for v in values):
        return None
    allowed = {v: v for v in values}
    return lambda value: allowed.get(value, _NO) if type(value) is str else _NO


def _unconstrained(kind: Any, *names: str) -> bool:
    return all(getattr(kind, name, None) is None for name in names)


def _check_for(kind: Any, render_decimal: Callable[[Decimal], str]) -> Check | None:
    """The check for one field type, or None when the plan does not handle it."""
    if isinstance(kind, inspect.Metadata):
        return _check_for(kind.type, render_decimal)
    # (`X | UnsetType` shows as X: msgspec.inspect leaves UNSET out of a field's type;
    # a real union such as `int | str` takes the full path.)
    if isinstance(kind, inspect.StrType):
        return _str if _unconstrained(kind, "min_length", "max_length", "pattern") else None
    if isinstance(kind, inspect.BoolType):
        return _bool
    if isinstance(kind, inspect.IntType):
        if kind.multiple_of is not None:
            return None
        return _int if _unconstrained(kind, "ge", "gt", "le", "lt") else _bounded_int(kind)
    if isinstance(kind, inspect.DecimalType):
        if _unconstrained(kind, "ge", "gt", "le", "lt", "multiple_of", "max_digits"):
            return _decimal(render_decimal)
        return None
    if isinstance(kind, inspect.EnumType):
        return _enum(kind.cls)
    if isinstance(kind, inspect.LiteralType):
        return _literal(kind.values)
    return None


class Plan:
    """Checks for every field of one params Struct (wire name -> check, None: full path)."""

    __slots__ = ("checks", "plain", "required")

    required: frozenset[str]

    def __init__(self, params: type[msgspec.Struct], render_decimal: Callable[[Decimal], str]) -> None:
        info = cast(inspect.StructType, inspect.type_info(params))
        fields: tuple[inspect.Field, ...] = info.fields
        self.checks: dict[str, Check | None] = {f.encode_name: _check_for(f.type, render_decimal) for f in fields}
        self.required = frozenset(f.encode_name for f in fields if f.required)
        #: Every value the plan renders is a str or an int: the signature payload can format
        #: them as they are (`wire.signature_payload(..., plain=True)`).
        self.plain = _bool not in self.checks.values() and not {"signature", "timestamp", "apiKey"} & set(self.checks)

    def render(self, given: Mapping[str, Any]) -> dict[str, Any] | None:
        """The wire parameters sorted by name (UNSET ones left out), or None if the full path
        must handle `given`."""
        if not given.keys() >= self.required:
            return None
        checks = self.checks
        out: dict[str, Any] = {}
        for name in sorted(given):
            value = given[name]
            if value is _UNSET:
                if name in self.required:
                    return None
                continue
            check = checks.get(name)
            if check is None:
                return None
            value = check(value)
            if value is _NO:
                return None
            out[name] = value
        return out
