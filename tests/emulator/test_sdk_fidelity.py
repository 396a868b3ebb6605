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


async def test_order_list_legs_are_pegged_like_single_orders(emulator: Emulator, hmac_key: HmacKey) -> None:
    """Every list method takes `<leg>PegPriceType` / `PegOffsetType` / `PegOffsetValue` (see
    Pegged Orders): a working leg gets its pegged price now, a pending one when it starts
    working; `price` stays what the client sent (0 if nothing), `peggedPrice` shows the peg."""
    qty = Decimal("0.001")
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5) as client:
        book = await client.depth(symbol=SYMBOL, limit=5)
        bids, asks = [level.price for level in book.bids], [level.price for level in book.asks]

        async def leg(client_id: str) -> types.OrderQuery:
            return await client.order_status(symbol=SYMBOL, orig_client_order_id=client_id)

        def assert_pegged(
            order: types.OrderQuery, peg: str, pegged: Decimal | None, offset: int | None = None, price: int = 0
        ) -> None:
            assert order.price == price and order.peg_price_type == peg
            assert order.pegged_price == (types.UNSET if pegged is None else pegged)
            if offset is not None:
                assert (order.peg_offset_type, order.peg_offset_value) == ("PRICE_LEVEL", offset)

        await client.order_list_place_oco(
            symbol=SYMBOL,
            side="SELL",
            quantity=qty,
            above_type="LIMIT_MAKER",
            above_client_order_id="oco-above",
            above_peg_price_type="PRIMARY_PEG",
            above_peg_offset_type="PRICE_LEVEL",
            above_peg_offset_value=2,
            below_type="STOP_LOSS_LIMIT",
            below_client_order_id="oco-below",
            below_stop_price=Decimal(40000),
            below_time_in_force="GTC",
            below_peg_price_type="MARKET_PEG",
        )
        assert_pegged(await leg("oco-above"), "PRIMARY_PEG", asks[2], offset=2)
        assert_pegged(await leg("oco-below"), "MARKET_PEG", None)  # a stop-limit leg is pegged when it triggers

        for method in (client.order_list_place_oto, client.order_list_place_opo):
            tag = method.__name__
            await method(
                symbol=SYMBOL,
                working_type="LIMIT",
                working_side="BUY",
                working_quantity=qty,
                working_price=Decimal(45000),  # mandatory for the working leg even when pegged
                working_time_in_force="GTC",
                working_client_order_id=f"{tag}-working",
                working_peg_price_type="PRIMARY_PEG",
                working_peg_offset_type="PRICE_LEVEL",
                working_peg_offset_value=1,
                pending_type="LIMIT_MAKER",
                pending_side="SELL",
                pending_client_order_id=f"{tag}-pending",
                pending_peg_price_type="PRIMARY_PEG",
                **({"pending_quantity": qty} if tag.endswith("oto") else {}),
            )
            assert_pegged(await leg(f"{tag}-working"), "PRIMARY_PEG", bids[1], offset=1, price=45000)
            pending = await leg(f"{tag}-pending")
            assert pending.status == "PENDING_NEW"
            assert_pegged(pending, "PRIMARY_PEG", None)  # not working yet: no price to peg to

        for method in (client.order_list_place_otoco, client.order_list_place_opoco):
            tag = method.__name__
            # the working leg pegs to the best ask and fills: the pending pair starts, pegged then
            await method(
                symbol=SYMBOL,
                working_type="LIMIT",
                working_side="BUY",
                working_quantity=qty,
                working_price=Decimal(45000),  # mandatory for the working leg even when pegged
                working_time_in_force="GTC",
                working_client_order_id=f"{tag}-working",
                working_peg_price_type="MARKET_PEG",
                pending_side="SELL",
                pending_above_type="LIMIT_MAKER",
                pending_above_client_order_id=f"{tag}-above",
                pending_above_peg_price_type="PRIMARY_PEG",
                pending_above_peg_offset_type="PRICE_LEVEL",
                pending_above_peg_offset_value=3,
                pending_below_type="STOP_LOSS",
                pending_below_client_order_id=f"{tag}-below",
                pending_below_stop_price=Decimal(40000),
                **({"pending_quantity": qty} if tag.endswith("otoco") else {}),
            )
            working = await leg(f"{tag}-working")
            assert working.status == "FILLED"
            assert_pegged(working, "MARKET_PEG", asks[0], price=45000)
            above = await leg(f"{tag}-above")
            assert above.status == "NEW"
            assert_pegged(above, "PRIMARY_PEG", asks[3], offset=3)
            below = await leg(f"{tag}-below")
            assert below.status == "NEW" and below.peg_price_type == types.UNSET
