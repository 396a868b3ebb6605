"""What every handler shares: the request with Binance's parameter rules (codes and messages
as the docs give them), the registry the session dispatches through, and the number format.

Handler modules register into `HANDLERS` with `@method`; they never import the session: what
they need of the connection is `ConnectionState`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from ..errors import EmulatorError
from ..exchange import Exchange
from ..limits import IpLimits


class ConnectionOptions(Protocol):
    @property
    def return_rate_limits(self) -> bool: ...


class ConnectionState(Protocol):
    """The connection a request arrived on, as the session and user-data handlers see it."""

    limits: IpLimits
    connected_ms: int
    logged_on_key: str | None
    authorized_since: int | None
    subscriptions: dict[int, str]  # subscription id -> account
    next_subscription: int

    @property
    def options(self) -> ConnectionOptions: ...

    def terminate(self, subscription_id: int) -> None: ...


#: A DECIMAL parameter's text (a minus sign only to say "negative" in its own message).
DECIMAL = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?")
DECIMAL_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"

#: Every client order id parameter (newClientOrderId, listClientOrderId, aboveClientOrderId,
#: cancelNewClientOrderId, origClientOrderId, ...): the rule Binance quotes when it refuses one
#: (maintainer's answer in binance-spot-api-docs#34; the FIX API documents the same rule).
CLIENT_ORDER_ID_RANGE = "^[a-zA-Z0-9-_]{1,36}$"
CLIENT_ORDER_ID = re.compile(r"[a-zA-Z0-9_-]{1,36}")

#: One name in a list parameter (symbols, permissions) and the range Binance quotes for the list.
NAME = re.compile(r"[A-Z0-9_.-]{1,20}")
NAMES_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'

#: The symbol statuses `symbolStatus` may name (enums.md); every local symbol is TRADING.
SYMBOL_STATUSES = ("TRADING", "END_OF_DAY", "HALT", "BREAK", "CANCEL_ONLY")

#: Parameters every method takes besides its own: the security ones and returnRateLimits.
SIGNED = frozenset({"apiKey", "signature", "timestamp", "recvWindow", "returnRateLimits"})


@dataclass
class Request:
    session: ConnectionState
    exchange: Exchange
    method: str
    params: dict[str, Any]
    account: str | None

    def known(self, *names: str) -> None:
        """-1103 for parameters the method does not take (catches client bugs)."""
        allowed = set(names) | SIGNED
        for name in self.params:
            if name not in allowed:
                raise EmulatorError(400, -1103, f"An unknown parameter was sent: '{name}'.")

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise EmulatorError.mandatory(name)
            return None
        if not isinstance(value, str):
            raise EmulatorError.illegal(name)
        if name.endswith("ClientOrderId") and not CLIENT_ORDER_ID.fullmatch(value):
            raise EmulatorError(
                400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{CLIENT_ORDER_ID_RANGE}'."
            )
        return value

    def integer(self, name: str, *, required: bool = False, default: int | None = None) -> int | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise EmulatorError.mandatory(name)
            return default
        if isinstance(value, bool) or not isinstance(value, int | str) or not re.fullmatch(r"-?\d{1,19}", str(value)):
            raise EmulatorError(
                400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'."
            )
        return int(value)

    def strategy(self, prefix: str = "") -> tuple[int | None, int | None]:
        """(strategyId, strategyType) of an order or of a list leg (`prefix`: "limit", "above", ...);
        a strategyType below 1000000 is reserved (-1134)."""
        id_name, type_name = (
            (prefix + "StrategyId", prefix + "StrategyType") if prefix else ("strategyId", "strategyType")
        )
        strategy_type = self.integer(type_name)
        if strategy_type is not None and strategy_type < 1_000_000:
            raise EmulatorError(400, -1134, f"{type_name} was less than 1000000.")
        return self.integer(id_name), strategy_type

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        """A DECIMAL parameter: digits with an optional fraction, as a JSON string or number
        (never NaN, Infinity or an exponent: -1100 with the range Binance quotes)."""
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise EmulatorError.mandatory(name)
            return None
        text = str(value) if not isinstance(value, bool) and isinstance(value, int | float | str) else ""
        if not DECIMAL.fullmatch(text):
            raise EmulatorError(
                400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{DECIMAL_RANGE}'."
            )
        if text.startswith("-"):
            raise EmulatorError(400, -1100, f"Illegal characters found in parameter '{name}'.")
        return Decimal(text)

    def flag(self, name: str, *, default: bool = False) -> bool:
        """A BOOLEAN parameter: a JSON boolean or the strings "true" / "false"."""
        value = self.params.get(name)
        return default if value is None or value == "" else parse_flag(name, value)

    def names(self, name: str, *, single: bool = False) -> list[str] | None:
        """An ARRAY of STRING parameter: a JSON array, or a JSON array in a string (the official
        SDK's encoding of every list, and the REST form); `single`: one bare name is allowed too."""
        value = self.params.get(name)
        if value is None or value == "":
            return None
        names = parse_names(value)
        if names is None and single and isinstance(value, str) and NAME.fullmatch(value):
            names = [value]
        if names is None or not names or not all(NAME.fullmatch(n) for n in names):
            raise EmulatorError(
                400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{NAMES_RANGE}'."
            )
        return names

    def symbols(self) -> list[str] | None:
        """The `symbols` list: each one known (-1121), none twice (-1151)."""
        names = self.names("symbols")
        if names is None:
            return None
        if len(set(names)) != len(names):
            raise EmulatorError(400, -1151, "Symbol is present multiple times in the list.")
        for name in names:
            if name not in self.exchange.symbols:
                raise EmulatorError(400, -1121, "Invalid symbol.")
        return names

    def enum(self, name: str, values: tuple[str, ...], code: int, msg: str, *, required: bool = False) -> str | None:
        value = self.text(name, required=required)
        if value is not None and value not in values:
            raise EmulatorError(400, code, msg)
        return value

    def symbol(self) -> str:
        symbol = self.text("symbol", required=True)
        assert symbol is not None
        if symbol not in self.exchange.symbols:
            raise EmulatorError(400, -1121, "Invalid symbol.")
        return symbol


def parse_flag(name: str, value: Any) -> bool:
    """A BOOLEAN parameter's value, as JSON (`true`) or as text (`"true"`, the official SDK's form)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise EmulatorError(400, -1100, f"Illegal characters found in parameter '{name}'; legal range is 'true|false'.")


def parse_names(value: Any) -> list[str] | None:
    """An ARRAY of STRING value (a JSON array, or its JSON text as a string); None if it is neither."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def count_names(params: dict[str, Any], name: str) -> int | None:
    """How many names a list parameter holds (None if absent or malformed), for request weights."""
    names = parse_names(params.get(name))
    return None if names is None else len(names)


@dataclass(frozen=True)
class Handler:
    name: str
    security: str  # NONE, TRADE, USER_DATA, SIGNED, USER_STREAM_SESSION
    weight: Callable[[dict[str, Any]], int]
    run: Callable[[Request], Any]
    orders: int = 0
    #: Costs no REQUEST_WEIGHT when it succeeds (placement and cancel methods since 2026-04-02,
    #: docs CHANGELOG 2026-03-27); a failure is charged the documented weight.
    free_on_success: bool = False


HANDLERS: dict[str, Handler] = {}


def method(
    name: str,
    security: str = "NONE",
    weight: int | Callable[[dict[str, Any]], int] = 1,
    orders: int = 0,
    *,
    free_on_success: bool = False,
) -> Callable[[Callable[[Request], Any]], Callable[[Request], Any]]:
    def register(func: Callable[[Request], Any]) -> Callable[[Request], Any]:
        fn = weight if callable(weight) else (lambda _params, w=weight: w)
        HANDLERS[name] = Handler(name, security, fn, func, orders, free_on_success)
        return func

    return register


def fmt(value: Decimal) -> str:
    return f"{value:.8f}"


def symbol_status(req: Request) -> str | None:
    """The symbolStatus filter (-1122 for a value that is no symbol status)."""
    return req.enum("symbolStatus", SYMBOL_STATUSES, -1122, "Invalid symbolStatus.")


def check_symbol_status(req: Request) -> None:
    """symbolStatus with one symbol: -1220 unless it is the symbol's status (all trade locally)."""
    if symbol_status(req) not in (None, "TRADING"):
        raise EmulatorError(400, -1220, "The symbol's status does not match the requested symbolStatus.")


def limit_param(req: Request, default: int = 500, maximum: int = 1000) -> int:
    limit = req.integer("limit", default=default)
    assert limit is not None
    if not 1 <= limit <= maximum:
        raise EmulatorError(400, -1130, "Data sent for parameter 'limit' is not valid.")
    return limit


def check_span(start: int | None, end: int | None) -> None:
    if start is not None and end is not None and end - start > 86_400_000:
        raise EmulatorError(400, -1127, "More than 24 hours between startTime and endTime.")
