"""SymbolRules against the local exchange: its verdict on an order is the exchange's verdict.

Both read the same filters (the exchange's own exchangeInfo), so for a random sample of
orders the rules must reject exactly those the exchange answers -1013 "Filter failure: X"
for, naming the same filter, and accept the rest; rounded values are always accepted.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal

import pytest

from binance_spot_ws import AsyncClient, BadRequest, FilterError, HmacKey, SymbolRules
from binance_ws_emulator import Emulator


def _random_decimal(rng: random.Random, low: float, high: float, max_places: int) -> Decimal:
    """Log-uniform between low and high, with 0 to max_places decimals (at least one significant digit)."""
    places = rng.randint(0, max_places)
    value = Decimal(f"{10 ** rng.uniform(math.log10(low), math.log10(high)):.{places}f}")
    return value if value > 0 else Decimal(1).scaleb(-places)


async def _exchange_verdict(client: AsyncClient, order: dict[str, object]) -> str | None:
    try:
        await client.order_test(**order)  # type: ignore[arg-type]
    except BadRequest as error:
        assert error.code == -1013, error
        return error.msg.removeprefix("Filter failure: ")
    return None


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT"])
async def test_rules_and_exchange_agree_on_random_orders(emulator: Emulator, hmac_key: HmacKey, symbol: str) -> None:
    rng = random.Random(f"rules-{symbol}")
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5) as client:
        rules = SymbolRules.from_exchange_info(await client.exchange_info(symbol=symbol), symbol)
        verdicts: dict[str | None, int] = {}
        bounds: set[str] = set()  # the upper bounds the sample reached: maxPrice, maxNotional
        for n in range(100):
            large = n % 4 == 0  # every fourth order near the upper bounds (maxPrice 1e6, maxNotional 9e6)
            order: dict[str, object] = {
                "symbol": symbol,
                "side": rng.choice(["BUY", "SELL"]),
                "type": "LIMIT",
                "time_in_force": "GTC",
                "price": _random_decimal(rng, *((1e5, 2e6) if large else (0.001, 60000)), 4),
                "quantity": _random_decimal(rng, 5, 50, 4) if large else _random_decimal(rng, 0.000001, 50, 6),
            }
            try:
                rules.check_order(**order)
                expected = None
            except FilterError as error:
                assert error.param in {"price", "quantity"}
                expected = error.filter
                if "above maxPrice" in str(error):
                    bounds.add("maxPrice")
                if error.filter == "NOTIONAL" and "above" in str(error):
                    bounds.add("maxNotional")
            assert await _exchange_verdict(client, order) == expected, order
            verdicts[expected] = verdicts.get(expected, 0) + 1

            rounded = {
                **order,
                "price": rules.round_price(order["price"], "up"),  # type: ignore[arg-type]
                "quantity": rules.round_quantity(order["quantity"], rounding="up"),  # type: ignore[arg-type]
            }
            try:
                rules.check_order(**rounded)
            except FilterError as error:  # on the grids, only a bound can still fail
                assert error.filter in {"NOTIONAL", "LOT_SIZE", "PRICE_FILTER"} and "multiple" not in str(error)
                assert await _exchange_verdict(client, rounded) == error.filter
            else:
                assert await _exchange_verdict(client, rounded) is None, rounded
        # the sample reaches every verdict, so agreement is not agreement on "accepted" alone
        assert {None, "PRICE_FILTER", "LOT_SIZE", "NOTIONAL"} <= set(verdicts), verdicts
        assert bounds == {"maxPrice", "maxNotional"}, bounds
