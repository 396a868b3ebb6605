"""The symbols the local exchange lists: their filters and seed prices, and exchangeInfo's entry."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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
                    "minPrice": f"{self.tick_size:.8f}",
                    "maxPrice": "1000000.00000000",
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
                    "maxNotional": "9000000.00000000",
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
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
    ),
)
