"""Filters are a tagged union on `filterType`; an unknown filter type decodes as `UnknownFilter`."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from binance_spot_ws import AsyncClient, SymbolRules, types
from binance_ws_emulator import Emulator
from tests.client._scripted import answer, scripted_server
from tests.runtime.test_rules import SYMBOL_FIELDS


async def test_the_exchanges_filters_decode_as_their_own_structs(emulator: Emulator) -> None:
    async with AsyncClient(url=emulator.url) as client:
        info = await client.exchange_info(symbol="BTCUSDT")
    by_type = {type(f): f for f in info.symbols[0].filters}
    price = by_type[types.PriceFilter]
    lot = by_type[types.LotSizeFilter]
    assert isinstance(price, types.PriceFilter) and price.tick_size == Decimal("0.01")
    assert isinstance(lot, types.LotSizeFilter) and lot.step_size > 0
    assert types.UnknownFilter not in by_type


def _exchange_info(filters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": 1,
        "rateLimits": [],
        "exchangeFilters": [{"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": 1000}],
        "symbols": [
            {
                **SYMBOL_FIELDS,
                "symbol": "BTCUSDT",
                "status": "TRADING",
                "baseAsset": "BTC",
                "quoteAsset": "USDT",
                "filters": filters,
            }
        ],
    }


NEW_FILTER = {"filterType": "T_PLUS_SELL", "endTime": 1700000000000, "newField": "x"}
KNOWN = [
    {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "100000", "tickSize": "0.01"},
    {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "100", "stepSize": "0.001"},
]


async def test_an_unknown_filter_type_never_breaks_decoding() -> None:
    def reply(request: dict[str, Any]) -> list[str]:
        if request["method"] == "exchangeInfo":
            return [answer(request, _exchange_info([KNOWN[0], NEW_FILTER, KNOWN[1]]))]
        return [answer(request)]

    async with scripted_server(reply) as server, AsyncClient(url=server.url) as client:
        info = await client.exchange_info(symbol="BTCUSDT")
    filters = info.symbols[0].filters
    assert [type(f) for f in filters] == [types.PriceFilter, types.UnknownFilter, types.LotSizeFilter]
    unknown = filters[1]
    assert isinstance(unknown, types.UnknownFilter)
    assert unknown.type == "T_PLUS_SELL"
    assert unknown.raw == NEW_FILTER
    assert isinstance(info.exchange_filters[0], types.ExchangeMaxNumOrdersFilter)
    # The trading rules still read the known filters and ignore the new one.
    rules = SymbolRules.from_exchange_info(info, "BTCUSDT")
    assert rules.round_price(Decimal("123.456")) == Decimal("123.45")
    assert json.loads(json.dumps(unknown.raw)) == NEW_FILTER
