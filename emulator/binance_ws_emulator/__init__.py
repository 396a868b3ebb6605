"""A local Binance Spot WebSocket API exchange for tests, demos and offline bot development.

    from binance_ws_emulator import Emulator

    with Emulator(seed=1) as emulator:       # background thread, free port
        print(emulator.url)                  # ws://127.0.0.1:<port>/ws-api/v3

It verifies HMAC, RSA and Ed25519 signatures, timestamps and recvWindow, enforces
request-weight and order-count limits, matches orders with price-time priority,
pushes user-data events, pings its clients and can misbehave on demand (`faults`).
"""

from __future__ import annotations

from .auth import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET
from .errors import EmulatorError
from .exchange import Exchange
from .server import Emulator, Faults

__all__ = ["DOCS_HMAC_API_KEY", "DOCS_HMAC_SECRET", "Emulator", "EmulatorError", "Exchange", "Faults"]
