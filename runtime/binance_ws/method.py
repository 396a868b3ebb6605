"""What the runtime needs to know about one API method, generated from the spec."""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

import msgspec

from .conditions import Conditions, RequireIf, compile_conditions

P = TypeVar("P")
R = TypeVar("R")


#: How a signed method authenticates (spec `x-signing`): "request" signs each request
#: unless the connection is logged on; "always" signs even then (session.logon itself);
#: "session" sends no signature and needs a logged-on connection.
Signing = Literal["request", "always", "session"]

#: What a successful call changes on the connection (spec `x-session-effect`); the
#: runtime repeats logon and subscribe on every new connection.
SessionEffect = Literal["logon", "logout", "subscribe", "unsubscribe"]


class Security(enum.Enum):
    """Binance security types; all but NONE need a signed request (or a session logon)."""

    NONE = "NONE"
    TRADE = "TRADE"
    USER_DATA = "USER_DATA"
    USER_STREAM = "USER_STREAM"
    SIGNED = "SIGNED"

    @property
    def signed(self) -> bool:
        return self is not Security.NONE


@dataclass(frozen=True, slots=True)
class WeightRule:
    """One `x-weight` rule from the spec; see spec/README.md."""

    param: str
    weight: int | None = None
    present: bool | None = None
    equals: Any = None
    ranges: tuple[tuple[int | None, int], ...] = ()
    count_ranges: tuple[tuple[int | None, int], ...] = ()
    per_item: int | None = None
    cap: int | None = None

    def evaluate(self, params: Mapping[str, Any], default: Any) -> int | None:
        value = params.get(self.param, default)
        if self.present is not None:
            return self.weight if (self.param in params) == self.present else None
        if self.equals is not None:
            return self.weight if value == self.equals else None
        if value is None:
            return None
        if self.ranges:
            return _in_ranges(self.ranges, int(value))
        if self.count_ranges:
            return _in_ranges(self.count_ranges, len(value))
        if self.per_item is not None:
            total = self.per_item * len(value)
            return min(total, self.cap) if self.cap is not None else total
        return self.weight


def _in_ranges(ranges: Sequence[tuple[int | None, int]], value: int) -> int | None:
    for bound, weight in ranges:
        if bound is None or value <= bound:
            return weight
    return None


@dataclass(frozen=True, slots=True)
class Weight:
    """Request weight: a base value and rules that depend on the parameters."""

    base: int
    rules: tuple[WeightRule, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict[str, Any])

    def of(self, params: Mapping[str, Any]) -> int:
        for rule in self.rules:
            weight = rule.evaluate(params, self.defaults.get(rule.param))
            if weight is not None:
                return weight
        return self.base


class Method(Generic[P, R]):
    """An API method: its wire name, parameter and result types, and metadata.

    Generated code creates one constant per method (``ORDER_PLACE``). The runtime
    reads it; it never imports the generated package.
    """

    __slots__ = (
        "_decimal_params",
        "_decoder",
        "client_id_param",
        "conditions",
        "deprecated",
        "error_data",
        "params",
        "plan",
        "require_if",
        "require_one_of",
        "result",
        "retry_safe",
        "security",
        "session_effect",
        "signed",
        "signing",
        "weight",
        "wire",
        "wire_to_python",
    )

    def __init__(
        self,
        wire: str,
        params: type[P] | None,
        result: Any,
        *,
        security: Security = Security.NONE,
        weight: Weight | int = 1,
        retry_safe: bool = True,
        deprecated: bool = False,
        require_one_of: tuple[tuple[str, ...], ...] = (),
        require_if: tuple[RequireIf, ...] = (),
        client_id_param: str | None = None,
        signing: Signing = "request",
        session_effect: SessionEffect | None = None,
        error_data: Any = None,
    ) -> None:
        self.wire = wire
        self.params = params
        self.result = result
        self.security = security
        self.signed = security.signed  #: (read per request: a plain attribute, not the enum's property)
        self.weight = weight if isinstance(weight, Weight) else Weight(weight)
        self.retry_safe = retry_safe
        self.deprecated = deprecated
        self.require_one_of = require_one_of
        #: `x-require-if`: parameters another parameter's value requires or forbids ...
        self.require_if = require_if
        #: ... merged per (parameter, value), as `wire.checked_params` reads them per request.
        self.conditions: Conditions = compile_conditions(require_if)
        self.client_id_param = client_id_param
        self.signing: Signing = signing
        self.session_effect: SessionEffect | None = session_effect
        #: The type of `error.data` in this method's error responses (spec: the response's
        #: `error.properties.data`), or None: the runtime then hands `data` over as JSON.
        self.error_data: Any = error_data
        self._decoder: msgspec.json.Decoder[R] | None = None
        #: How `wire.wire_params` checks plain arguments directly; built there on first use.
        self.plan: Any = None
        # From the Struct's own name tuples: `msgspec.structs.fields()` would evaluate every
        # annotation (most of the import time of the generated package).
        self.wire_to_python: dict[str, str] = (
            dict(zip(params.__struct_encode_fields__, params.__struct_fields__, strict=True))  # type: ignore[attr-defined]
            if params
            else {}
        )
        self._decimal_params: frozenset[str] | None = None

    @property
    def decimal_params(self) -> frozenset[str]:
        """Wire names of the money (Decimal) parameters: a float for one is refused, not rounded.

        Found on first use: `msgspec.structs.fields()` evaluates every annotation (slow at import).
        """
        found = self._decimal_params
        if found is None:
            params: Any = self.params
            found = self._decimal_params = (
                frozenset(f.encode_name for f in msgspec.structs.fields(params) if _holds_decimal(f.type))
                if params
                else frozenset()
            )
        return found

    @property
    def decoder(self) -> msgspec.json.Decoder[R]:
        """The result decoder, built on first use: building all of them at import is slow."""
        decoder = self._decoder
        if decoder is None:
            decoder = self._decoder = msgspec.json.Decoder(self.result)
        return decoder

    @property
    def takes_sbe(self) -> bool:
        """Whether its result decoder reads an SBE result message itself (the numeric fast path)."""
        decoder = self._decoder
        return (
            decoder is not None and type(decoder) is not msgspec.json.Decoder and getattr(decoder, "wants_sbe", False)
        )

    def __repr__(self) -> str:
        return f"Method({self.wire!r}, security={self.security.value}, weight={self.weight.base})"


def _holds_decimal(annotation: Any) -> bool:
    """Whether a parameter's type is Decimal (possibly Annotated, or in a union with UNSET/None)."""
    if annotation is Decimal:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _holds_decimal(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(_holds_decimal(arg) for arg in typing.get_args(annotation))
    return False
