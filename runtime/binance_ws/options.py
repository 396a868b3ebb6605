"""Checks for client options: every bad option fails at construction, naming itself.

A `nan` timeout that disables every deadline, a `max_in_flight=0` that hangs every
call or a transport name that fails only when connecting are refused here with a
`ValueError` (bad value) or `TypeError` (bad type) that says which option it was.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

#: Largest message accepted from the server by default (16 MiB). Binance's largest answers
#: (a full `exchangeInfo`, all-symbol tickers) are a few MB; a bigger frame closes the link.
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024

#: recvWindow bounds Binance documents (ms; up to three decimals).
_RECV_WINDOW_MAX = 60_000


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def seconds(name: str, value: object, *, optional: bool = False) -> float | None:
    """A finite, positive number of seconds (or None if `optional`)."""
    if value is None and optional:
        return None
    if not _is_number(value):
        kind = "a number of seconds or None" if optional else "a number of seconds"
        raise TypeError(f"{name} must be {kind}, not {type(value).__name__}")
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a finite number of seconds > 0, not {value!r}")
    return number


def count(name: str, value: object, *, minimum: int = 1) -> int:
    """An int of at least `minimum` (bool refused)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value!r}")
    return value


def choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, not {value!r}")
    return value


def flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {type(value).__name__}")
    return value


def callback(name: str, value: object) -> Callable[..., Any] | None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, not {type(value).__name__}")
    return value


def url(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"url must be a str, not {type(value).__name__}")
    if not value.startswith(("ws://", "wss://")):
        raise ValueError(f"url must start with ws:// or wss://, not {value!r}")
    return value


def recv_window(value: object) -> Decimal | None:
    """None, or milliseconds in (0, 60000] with at most three decimals."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise TypeError(f"recv_window must be an int or Decimal of milliseconds, not {type(value).__name__}")
    window = Decimal(0)
    try:
        window = Decimal(value)
        valid = window.is_finite() and 0 < window <= _RECV_WINDOW_MAX and window == window.quantize(Decimal("0.001"))
    except InvalidOperation:
        valid = False
    if not valid:
        raise ValueError(f"recv_window must be in (0, {_RECV_WINDOW_MAX}] ms with at most 3 decimals, not {value!r}")
    return window


def key(value: object) -> Any:
    """None or a key object: something with an `api_key` and a `sign(payload)` method."""
    from .signing import Signer

    if value is not None and not isinstance(value, Signer):
        raise TypeError(
            f"key must be an HmacKey, RsaKey, Ed25519Key or None, not {type(value).__name__} "
            "(build one with HmacKey(api_key, secret) or key_from_env(...))"
        )
    return value
