"""The symbols the local exchange lists: their filters and seed prices, and exchangeInfo's entry."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .average_price import AVG_PRICE_MINS
from .book import MAX_ICEBERG_PARTS, MAX_TRAILING_DELTA, MIN_TRAILING_DELTA


@dataclass(frozen=True)
class SymbolInfo:
    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    mid: Decimal  # seed price
    #: Whether the symbol has a reference price (the last price here); False: it never had one
    #: (`referencePrice` answers -2043 inside a 200 result, as the docs show).
    has_reference_price: bool = True
    #: PRICE_FILTER's maxPrice (minPrice is the tick size) and NOTIONAL's maxNotional; 0 disables.
    max_price: Decimal = Decimal(1_000_000)
    max_notional: Decimal = Decimal(9_000_000)
    apply_max_to_market: bool = False

    @property
    def min_price(self) -> Decimal:
        return self.tick_size

    def exchange_info(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "status": "TRADING",
            "baseAsset": self.base,
            "baseAssetPrecision": 8,
            "quoteAsset": self.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": [
                "LIMIT",
                "LIMIT_MAKER",
                "MARKET",
                "STOP_LOSS",
                "STOP_LOSS_LIMIT",
                "TAKE_PROFIT",
                "TAKE_PROFIT_LIMIT",
            ],
            "icebergAllowed": True,
            "ocoAllowed": True,
            "otoAllowed": True,
            "opoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": True,
            "cancelReplaceAllowed": True,
            "amendAllowed": True,
            "pegInstructionsAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": f"{self.min_price:.8f}",
                    "maxPrice": f"{self.max_price:.8f}",
                    "tickSize": f"{self.tick_size:.8f}",
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": f"{self.min_qty:.8f}",
                    "maxQty": f"{self.max_qty:.8f}",
                    "stepSize": f"{self.step_size:.8f}",
                },
                {"filterType": "ICEBERG_PARTS", "limit": MAX_ICEBERG_PARTS},
                {
                    "filterType": "TRAILING_DELTA",
                    "minTrailingAboveDelta": MIN_TRAILING_DELTA,
                    "maxTrailingAboveDelta": MAX_TRAILING_DELTA,
                    "minTrailingBelowDelta": MIN_TRAILING_DELTA,
                    "maxTrailingBelowDelta": MAX_TRAILING_DELTA,
                },
                {
                    "filterType": "NOTIONAL",
                    "minNotional": f"{self.min_notional:.8f}",
                    "applyMinToMarket": True,
                    "maxNotional": f"{self.max_notional:.8f}",
                    "applyMaxToMarket": self.apply_max_to_market,
                    "avgPriceMins": AVG_PRICE_MINS,
                },
                {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            ],
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"],
        }


DEFAULT_SYMBOLS = (
    SymbolInfo(
        "BTCUSDT",
        "BTC",
        "USDT",
        Decimal("0.01"),
        Decimal("0.00001"),
        Decimal("0.00001"),
        Decimal("9000"),
        Decimal("5"),
        Decimal("50000"),
    ),
    SymbolInfo(
        "ETHUSDT",
        "ETH",
        "USDT",
        Decimal("0.01"),
        Decimal("0.0001"),
        Decimal("0.0001"),
        Decimal("100000"),
        Decimal("5"),
        Decimal("3000"),
    ),
    SymbolInfo(
        "ETHBTC",
        "ETH",
        "BTC",
        Decimal("0.00001"),
        Decimal("0.0001"),
        Decimal("0.0001"),
        Decimal("100000"),
        Decimal("0.0001"),
        Decimal("0.06"),
        has_reference_price=False,
    ),
)
