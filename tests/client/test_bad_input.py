"""Values that cannot be sent are `ParamError` naming the parameter, with nothing sent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from binance_spot_ws import AsyncClient, HmacKey, ParamError
from binance_ws_emulator import Emulator

ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": Decimal("1")}


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("price", Decimal("NaN")),
        ("price", Decimal("sNaN")),
        ("price", Decimal("Infinity")),
        ("price", "Infinity"),
        ("price", "-inf"),
        ("price", float("nan")),
        ("price", float("inf")),
        ("quantity", Decimal("-Infinity")),
        ("symbol", "BTC\ud800USDT"),
        ("new_client_order_id", "id-\udfff"),
    ],
)
async def test_an_unsendable_value_is_refused_before_anything_is_sent(
    emulator: Emulator, hmac_key: HmacKey, param: str, value: Any
) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key) as client:
        with pytest.raises(ParamError) as caught:
            await client.order_place(**{**ORDER, "price": Decimal("40000"), param: value})
        assert caught.value.param == param
        assert emulator.requests.get("order.place", 0) == 0
        assert (await client.time()).server_time > 0  # the connection is fine


async def test_a_lone_surrogate_in_a_raw_request_is_refused(emulator: Emulator) -> None:
    async with AsyncClient(url=emulator.url) as client:
        with pytest.raises(ParamError, match="symbol"):
            await client.request_raw("ticker.price", {"symbol": "\ud800"})
        assert emulator.requests.get("ticker.price", 0) == 0
