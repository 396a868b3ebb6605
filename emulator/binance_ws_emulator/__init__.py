"""A local Binance Spot WebSocket API exchange for tests, demos and offline bot development.

    from binance_ws_emulator import Emulator

    with Emulator(seed=1) as emulator:       # background thread, free port
        print(emulator.url)                  # ws://127.0.0.1:<port>/ws-api/v3

It verifies HMAC, RSA and Ed25519 signatures, timestamps and recvWindow, enforces
request-weight and order-count limits, matches orders with price-time priority,
pushes user-data events, pings its clients and can misbehave on demand (`faults`).

The names are imported on first use, so importing the package (as the pytest plugin does
in every pytest run) costs nothing until an emulator is wanted.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auth import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET
    from .errors import EmulatorError
    from .exchange import Exchange
    from .server import Emulator, Faults

__all__ = ["DOCS_HMAC_API_KEY", "DOCS_HMAC_SECRET", "Emulator", "EmulatorError", "Exchange", "Faults"]

_HOMES = {
    "DOCS_HMAC_API_KEY": ".auth",
    "DOCS_HMAC_SECRET": ".auth",
    "EmulatorError": ".errors",
    "Exchange": ".exchange",
    "Emulator": ".server",
    "Faults": ".server",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
