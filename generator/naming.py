"""Wire names -> Python identifiers. Deterministic and collision-checked by the IR."""

from __future__ import annotations

import keyword
import re

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """`order.cancelReplace` -> `order_cancel_replace`; `ticker.24hr` -> `ticker_24hr`."""
    parts = re.split(r"[.\-\s/]+", name)
    words = [_CAMEL.sub("_", part).lower() for part in parts if part]
    result = "_".join(words)
    result = re.sub(r"[^0-9a-zA-Z_]", "_", result)
    if result and result[0].isdigit():
        result = "_" + result
    if keyword.iskeyword(result) or result in {"self", "method"}:
        result += "_"
    return result


def pascal(name: str) -> str:
    """`order.cancelReplace` -> `OrderCancelReplace`."""
    return "".join(word[:1].upper() + word[1:] for word in snake(name).split("_") if word)


def constant(name: str) -> str:
    return snake(name).upper().lstrip("_")
