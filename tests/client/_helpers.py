"""Small helpers shared by the client tests."""

from __future__ import annotations

from collections.abc import Awaitable
from decimal import Decimal
from importlib.util import find_spec
from typing import Any

import pytest

from binance_spot_ws import AsyncClient, types


def limit_buy(
    client: AsyncClient, price: Decimal, client_order_id: str | None = None
) -> Awaitable[types.OrderResponse]:
    """A resting BTCUSDT limit buy of 0.001 (the emulator's book sits near 50,000)."""
    extra: dict[str, Any] = {} if client_order_id is None else {"new_client_order_id": client_order_id}
    return client.order_place(
        symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC", price=price, quantity=Decimal("0.001"), **extra
    )


#: Every transport; picows is skipped where it is not installed.
ALL_TRANSPORTS = [
    "httpx-ws",
    "websockets",
    pytest.param("picows", marks=pytest.mark.skipif(find_spec("picows") is None, reason="picows not installed")),
]
