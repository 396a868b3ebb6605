"""Money parameters refuse float at run time: `0.1 + 0.2` is not sent as `0.30000000000000004`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from binance_spot_ws import AsyncClient, HmacKey, ParamError
from binance_ws_emulator import Emulator

ORDER: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "time_in_force": "GTC",
    "price": Decimal("40000"),
    "quantity": Decimal("0.001"),
}


@pytest.mark.parametrize(
    ("param", "value"), [("quantity", 0.1 + 0.2), ("price", 40000.0), ("recv_window", 5000.0), ("stop_price", 1.5)]
)
async def test_a_float_for_a_money_parameter_is_refused_before_sending(
    emulator: Emulator, hmac_key: HmacKey, param: str, value: float
) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key) as client:
        with pytest.raises(ParamError) as caught:
            await client.order_place(**{**ORDER, param: value})
        assert caught.value.param == param
        assert "float" in str(caught.value)
        assert emulator.requests.get("order.place", 0) == 0


@pytest.mark.parametrize("quantity", [Decimal("0.3"), "0.3", 1])
async def test_str_decimal_and_int_money_values_are_sent_exactly(
    emulator: Emulator, hmac_key: HmacKey, quantity: Any
) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key) as client:
        order = await client.order_place(**{**ORDER, "quantity": quantity})
        assert order.orig_qty == Decimal(str(quantity))
        assert emulator.requests["order.place"] == 1
