"""The local exchange judges and prices orders as Binance does, seen through the SDK client over
a real socket: the NOTIONAL filter on MARKET orders, pegged order-list legs."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

import pytest

from binance_spot_ws import ApiError, AsyncClient, HmacKey, types
from binance_ws_emulator import Emulator

SYMBOL = "BTCUSDT"


async def test_a_market_orders_notional_uses_the_5_minute_average_price(emulator: Emulator, hmac_key: HmacKey) -> None:
    """filters.md: a MARKET order has no price, so NOTIONAL is checked with the average price
    over `avgPriceMins`, not with the last price."""
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5) as client:
        # our bid far below the book, then the market maker sells through every bid down to it:
        # the last trade is at 40000, the 5-minute average stays near 50000
        await client.order_place(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            price=Decimal(40000),
            quantity=Decimal("0.001"),
        )
        emulator.market_trade(SYMBOL, "SELL", "1000")
        [last] = await client.trades_recent(symbol=SYMBOL, limit=1)
        average = (await client.avg_price(symbol=SYMBOL)).price
        assert last.price == Decimal(40000) and average > Decimal(49000)
        info = await client.exchange_info(symbol=SYMBOL)
        [notional] = [f for f in info.symbols[0].filters if isinstance(f, types.NotionalFilter)]
        assert notional.avg_price_mins == 5
        step = Decimal("0.00001")
        # the least quantity the average price lets through; at the last price it would not pass
        qty = (notional.min_notional / average / step).to_integral_value(ROUND_CEILING) * step
        assert qty * last.price < notional.min_notional <= qty * average
        bought = await client.order_place(symbol=SYMBOL, side="BUY", type="MARKET", quantity=qty)
        assert bought.status == "FILLED" and bought.executed_qty == qty
        # one step less fails the filter at the average price (and would at the last price)
        with pytest.raises(ApiError) as refused:
            await client.order_place(symbol=SYMBOL, side="BUY", type="MARKET", quantity=qty - step)
        assert (refused.value.code, refused.value.msg) == (-1013, "Filter failure: NOTIONAL")
