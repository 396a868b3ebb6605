"""SymbolRules: each filter as Binance defines it (filters.md), checked without any I/O."""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from binance_spot_ws import FilterError, ParamError, SymbolRules, types


def info(*filters: dict[str, Any], base_precision: int = 8, quote_precision: int = 8) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": 1,
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": [
            {"symbol": "ETHBTC", "status": "TRADING", "baseAsset": "ETH", "quoteAsset": "BTC", "filters": []},
            {
                "symbol": "BTCUSDT",
                "status": "TRADING",
                "baseAsset": "BTC",
                "quoteAsset": "USDT",
                "baseAssetPrecision": base_precision,
                "quoteAssetPrecision": quote_precision,
                "filters": list(filters),
            },
        ],
    }


PRICE = {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000.00", "tickSize": "0.01"}
LOT = {"filterType": "LOT_SIZE", "minQty": "0.00010", "maxQty": "9000", "stepSize": "0.00001"}


def rules(*filters: dict[str, Any], **kwargs: int) -> SymbolRules:
    return SymbolRules.from_exchange_info(info(*filters, **kwargs), "BTCUSDT")


def failure(rule: SymbolRules, **order: Any) -> tuple[str, str]:
    with pytest.raises(FilterError) as caught:
        rule.check_order(**order)
    return caught.value.filter, caught.value.param


def test_rounding_to_the_tick_and_step_grids() -> None:
    rule = rules(PRICE, LOT)
    assert rule.round_price(Decimal("25000.129")) == Decimal("25000.12")
    assert str(rule.round_price("25000.121", "up")) == "25000.13"
    assert str(rule.round_price("25000.125", "nearest")) == "25000.12"  # half to even
    assert str(rule.round_quantity("0.0012345")) == "0.00123"
    assert str(rule.round_quantity("7")) == "7.00000"
    ten = rules({"filterType": "PRICE_FILTER", "minPrice": "0", "maxPrice": "0", "tickSize": "10.00000000"})
    assert str(ten.round_price("1234.5")) == "1230"  # plain notation, never 1.23E+3
    untouched = rules()
    assert untouched.round_price("1.23456789") == Decimal("1.23456789")


def test_price_filter_bounds_and_tick_each_disabled_by_zero() -> None:
    rule = rules(PRICE, LOT)
    assert failure(rule, side="BUY", type="LIMIT", price="0.001", quantity="1") == ("PRICE_FILTER", "price")
    assert failure(rule, side="BUY", type="LIMIT", price="1000000.01", quantity="1") == ("PRICE_FILTER", "price")
    assert failure(rule, side="BUY", type="LIMIT", price="100.005", quantity="1") == ("PRICE_FILTER", "price")
    assert failure(rule, side="SELL", type="STOP_LOSS", stop_price="100.005", quantity="1") == (
        "PRICE_FILTER",
        "stop_price",
    )
    rule.check_order(side="BUY", type="LIMIT", price="100.01", quantity="1")
    no_bounds = rules({"filterType": "PRICE_FILTER", "minPrice": "0", "maxPrice": "0", "tickSize": "0.01"})
    no_bounds.check_order(side="BUY", type="LIMIT", price="99999999.01", quantity="1")
    no_tick = rules({"filterType": "PRICE_FILTER", "minPrice": "1", "maxPrice": "0", "tickSize": "0"})
    no_tick.check_order(side="BUY", type="LIMIT", price="1.23456789", quantity="1")


def test_lot_size_steps_from_zero_and_market_lot_size_for_market_orders() -> None:
    rule = rules(LOT, {"filterType": "MARKET_LOT_SIZE", "minQty": "0", "maxQty": "10", "stepSize": "0.001"})
    assert failure(rule, side="BUY", type="LIMIT", price="1", quantity="0.00009") == ("LOT_SIZE", "quantity")
    assert failure(rule, side="BUY", type="LIMIT", price="1", quantity="9000.00001") == ("LOT_SIZE", "quantity")
    # the step counts from 0, not from minQty: 0.00002 passes although 0.00002 - 0.000015 is off the step
    odd_min = rules({"filterType": "LOT_SIZE", "minQty": "0.000015", "maxQty": "0", "stepSize": "0.00001"})
    odd_min.check_order(side="BUY", type="LIMIT", price="1", quantity="0.00002")
    assert failure(rule, side="BUY", type="LIMIT", price="1", quantity="0.000115") == ("LOT_SIZE", "quantity")
    assert failure(rule, side="BUY", type="MARKET", quantity="11") == ("MARKET_LOT_SIZE", "quantity")
    assert failure(rule, side="BUY", type="MARKET", quantity="1.0005") == ("MARKET_LOT_SIZE", "quantity")
    assert str(rule.round_quantity("1.00059", market=True)) == "1.000"
    assert failure(rule, side="BUY", type="LIMIT", price="1", quantity="2", iceberg_qty="0.000001") == (
        "LOT_SIZE",
        "iceberg_qty",
    )


def test_notional_filters_value_market_orders_only_with_a_reference_and_their_apply_flags() -> None:
    notional = {
        "filterType": "NOTIONAL",
        "minNotional": "5",
        "applyMinToMarket": False,
        "maxNotional": "1000",
        "applyMaxToMarket": True,
        "avgPriceMins": 5,
    }
    rule = rules(notional)
    assert failure(rule, side="BUY", type="LIMIT", price="4", quantity="1") == ("NOTIONAL", "quantity")
    assert failure(rule, side="BUY", type="LIMIT", price="1001", quantity="1") == ("NOTIONAL", "quantity")
    rule.check_order(side="BUY", type="MARKET", quantity="1", reference_price="4")  # min not applied to MARKET
    assert failure(rule, side="BUY", type="MARKET", quantity="2", reference_price="600") == ("NOTIONAL", "quantity")
    assert failure(rule, side="BUY", type="MARKET", quote_order_qty="1001") == ("NOTIONAL", "quote_order_qty")
    rule.check_order(side="BUY", type="MARKET", quantity="2")  # no reference: left to the exchange
    legacy = rules({"filterType": "MIN_NOTIONAL", "minNotional": "10", "applyToMarket": False, "avgPriceMins": 5})
    assert failure(legacy, side="SELL", type="LIMIT", price="9", quantity="1") == ("MIN_NOTIONAL", "quantity")
    legacy.check_order(side="SELL", type="MARKET", quantity="1", reference_price="9")


def test_percent_price_and_by_side_need_a_reference_price() -> None:
    percent = {"filterType": "PERCENT_PRICE", "multiplierUp": "1.1", "multiplierDown": "0.9", "avgPriceMins": 5}
    by_side = {
        "filterType": "PERCENT_PRICE_BY_SIDE",
        "bidMultiplierUp": "1.2",
        "bidMultiplierDown": "0.2",
        "askMultiplierUp": "5",
        "askMultiplierDown": "0.8",
        "avgPriceMins": 1,
    }
    rule = rules(percent)
    rule.check_order(side="BUY", type="LIMIT", price="200", quantity="1")  # no reference given
    assert failure(rule, side="BUY", type="LIMIT", price="111", quantity="1", reference_price="100") == (
        "PERCENT_PRICE",
        "price",
    )
    assert failure(rule, side="SELL", type="LIMIT", price="89", quantity="1", reference_price="100") == (
        "PERCENT_PRICE",
        "price",
    )
    sided = rules(by_side)
    sided.check_order(side="BUY", type="LIMIT", price="30", quantity="1", reference_price="100")
    assert failure(sided, side="SELL", type="LIMIT", price="30", quantity="1", reference_price="100") == (
        "PERCENT_PRICE_BY_SIDE",
        "price",
    )


def test_iceberg_parts_trailing_delta_and_precision() -> None:
    rule = rules(
        {"filterType": "ICEBERG_PARTS", "limit": 10},
        {
            "filterType": "TRAILING_DELTA",
            "minTrailingAboveDelta": 10,
            "maxTrailingAboveDelta": 2000,
            "minTrailingBelowDelta": 20,
            "maxTrailingBelowDelta": 1000,
        },
        base_precision=5,
        quote_precision=2,
    )
    assert failure(rule, side="BUY", type="LIMIT", price="1", quantity="1.1", iceberg_qty="0.1") == (
        "ICEBERG_PARTS",
        "iceberg_qty",
    )
    rule.check_order(side="BUY", type="LIMIT", price="1", quantity="1", iceberg_qty="0.1")
    # above: STOP_LOSS BUY and TAKE_PROFIT SELL; below: STOP_LOSS SELL and TAKE_PROFIT BUY
    rule.check_order(side="BUY", type="STOP_LOSS", quantity="1", trailing_delta=1500)
    assert failure(rule, side="SELL", type="STOP_LOSS", quantity="1", trailing_delta=1500) == (
        "TRAILING_DELTA",
        "trailing_delta",
    )
    assert failure(rule, side="BUY", type="TAKE_PROFIT_LIMIT", price="1", quantity="1", trailing_delta=15) == (
        "TRAILING_DELTA",
        "trailing_delta",
    )
    with pytest.raises(ParamError, match="'quantity': has too much precision"):
        rule.check_order(side="BUY", type="LIMIT", price="1", quantity="0.000001")
    with pytest.raises(ParamError, match="'price': has too much precision"):
        rule.check_order(side="BUY", type="LIMIT", price="1.001", quantity="1")


def test_bad_values_and_inputs_are_refused_clearly() -> None:
    rule = rules(PRICE, LOT)
    with pytest.raises(TypeError, match="price must be a Decimal, str or int, not float"):
        rule.check_order(side="BUY", type="LIMIT", price=0.1, quantity="1")
    with pytest.raises(ValueError, match="quantity must be a finite number"):
        rule.round_quantity("NaN")
    with pytest.raises(KeyError, match="ETHUSDT is not in this exchangeInfo"):
        SymbolRules.from_exchange_info(info(), "ETHUSDT")
    with pytest.raises(ValueError, match="not an exchangeInfo result"):
        SymbolRules.from_exchange_info({"symbols": "none"}, "BTCUSDT")


#: The SymbolInfo fields an exchangeInfo always carries (the generated type requires them).
SYMBOL_FIELDS: dict[str, Any] = {
    "baseAssetPrecision": 8,
    "quotePrecision": 8,
    "quoteAssetPrecision": 8,
    "baseCommissionPrecision": 8,
    "quoteCommissionPrecision": 8,
    "orderTypes": ["LIMIT", "MARKET"],
    **dict.fromkeys(
        (
            "icebergAllowed",
            "ocoAllowed",
            "otoAllowed",
            "opoAllowed",
            "quoteOrderQtyMarketAllowed",
            "allowTrailingStop",
            "cancelReplaceAllowed",
            "amendAllowed",
            "pegInstructionsAllowed",
            "isSpotTradingAllowed",
            "isMarginTradingAllowed",
        ),
        True,
    ),
    "permissions": [],
    "permissionSets": [["SPOT"]],
    "defaultSelfTradePreventionMode": "NONE",
    "allowedSelfTradePreventionModes": ["NONE"],
}


def test_the_generated_result_type_is_accepted_and_errors_pickle() -> None:
    data = info(PRICE, LOT)
    data["symbols"] = [{**SYMBOL_FIELDS, **entry} for entry in data["symbols"]]
    typed = msgspec.convert(data, types.ExchangeInfo)
    rule = SymbolRules.from_exchange_info(typed, "BTCUSDT")
    assert rule.tick_size == Decimal("0.01") and rule.step_size == Decimal("0.00001")
    assert (rule.base_asset, rule.quote_asset, rule.base_precision) == ("BTC", "USDT", 8)
    with pytest.raises(FilterError) as caught:
        rule.check_order(side="BUY", type=types.OrderType.LIMIT, price="0.001", quantity="1")
    error = caught.value
    assert str(error) == "BTCUSDT order: parameter 'price': PRICE_FILTER: 0.001 is below minPrice 0.01"
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.filter, copy.param) == (FilterError, str(error), "PRICE_FILTER", "price")
