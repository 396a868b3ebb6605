"""Trading rules of a symbol, from `exchangeInfo`: round and check an order before sending it.

    info = await client.exchange_info(symbol="BTCUSDT")
    rules = SymbolRules.from_exchange_info(info, "BTCUSDT")
    price = rules.round_price(Decimal("25000.123"))          # 25000.12 (tickSize 0.01)
    quantity = rules.round_quantity(Decimal("0.0012345"))    # 0.00123 (stepSize 0.00001)
    rules.check_order(side="BUY", type="LIMIT", price=price, quantity=quantity)   # FilterError or None

A failed check raises `FilterError` (a `ParamError`) naming the filter (`PRICE_FILTER`, `LOT_SIZE`,
`MARKET_LOT_SIZE`, `NOTIONAL`, `MIN_NOTIONAL`, `PERCENT_PRICE`, `PERCENT_PRICE_BY_SIDE`,
`ICEBERG_PARTS`, `TRAILING_DELTA`) and the parameter, instead of a round trip ending in -1013
"Filter failure: NAME". The rules follow Binance's filter definitions: a bound whose value is 0
is disabled; quantities step from 0, not from `minQty`; MARKET orders use `MARKET_LOT_SIZE`
where it has a step, and are checked against notional and percent-price bounds only when you
pass the `reference_price` they would be valued at (the exchange uses its average price) and
the filter applies to market orders. Counting filters (`MAX_NUM_ORDERS`, ...) depend on the
account's open orders and are left to the exchange.

The input is the result of `exchange_info` (a generated Struct) or the same document as plain
JSON data; nothing here does I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Literal

import msgspec

from .errors import ParamError

Rounding = Literal["down", "up", "nearest"]
_MODES = {"down": ROUND_FLOOR, "up": ROUND_CEILING, "nearest": ROUND_HALF_EVEN}
_ZERO = Decimal(0)

#: Order types whose `price` is a limit price (checked against PRICE_FILTER and used for notional).
_LIMIT_PRICED = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
_STOPS = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})


class FilterError(ParamError):
    """An order would fail one of the symbol's filters; nothing was sent.

    Attributes:
        filter: the filter's `filterType`, e.g. ``PRICE_FILTER``.
        param: the order parameter that fails it, e.g. ``price``.
    """

    def __init__(self, symbol: str, filter_type: str, param: str, problem: str) -> None:
        super().__init__(f"{symbol} order", param, f"{filter_type}: {problem}")
        self.symbol = symbol
        self.filter = filter_type
        self.detail = problem


class _Filter(msgspec.Struct, kw_only=True):
    filterType: str
    minPrice: Decimal = _ZERO
    maxPrice: Decimal = _ZERO
    tickSize: Decimal = _ZERO
    minQty: Decimal = _ZERO
    maxQty: Decimal = _ZERO
    stepSize: Decimal = _ZERO
    minNotional: Decimal = _ZERO
    maxNotional: Decimal = _ZERO
    applyToMarket: bool = True
    applyMinToMarket: bool = True
    applyMaxToMarket: bool = False
    multiplierUp: Decimal = _ZERO
    multiplierDown: Decimal = _ZERO
    bidMultiplierUp: Decimal = _ZERO
    bidMultiplierDown: Decimal = _ZERO
    askMultiplierUp: Decimal = _ZERO
    askMultiplierDown: Decimal = _ZERO
    limit: int = 0
    minTrailingAboveDelta: int = 0
    maxTrailingAboveDelta: int = 0
    minTrailingBelowDelta: int = 0
    maxTrailingBelowDelta: int = 0


class _Symbol(msgspec.Struct, kw_only=True):
    symbol: str
    baseAsset: str = ""
    quoteAsset: str = ""
    baseAssetPrecision: int | None = None
    quoteAssetPrecision: int | None = None
    filters: list[_Filter] = []


class _Info(msgspec.Struct):
    symbols: list[_Symbol]


def _decimal(name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, str, int)):
        raise TypeError(f"{name} must be a Decimal, str or int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return number


def _to_step(value: Decimal, step: Decimal, rounding: Rounding) -> Decimal:
    if step <= 0:
        return value
    steps = (value / step).to_integral_value(rounding=_MODES[rounding])
    exponent = step.normalize().as_tuple().exponent
    places = Decimal(1).scaleb(exponent) if isinstance(exponent, int) and exponent < 0 else Decimal(1)
    return (steps * step).quantize(places)


class SymbolRules:
    """The filters of one symbol, ready to round and check order parameters."""

    def __init__(self, symbol: _Symbol) -> None:
        self.symbol = symbol.symbol
        self.base_asset = symbol.baseAsset
        self.quote_asset = symbol.quoteAsset
        self.base_precision = symbol.baseAssetPrecision
        self.quote_precision = symbol.quoteAssetPrecision
        self.filters: dict[str, _Filter] = {f.filterType: f for f in symbol.filters}

    @classmethod
    def from_exchange_info(cls, info: object, symbol: str) -> SymbolRules:
        """Rules of `symbol` from an `exchange_info` result (Struct or JSON data)."""
        try:
            parsed = msgspec.convert(msgspec.to_builtins(info), _Info, strict=False)
        except msgspec.ValidationError as exc:
            raise ValueError(f"not an exchangeInfo result: {exc}") from None
        for entry in parsed.symbols:
            if entry.symbol == symbol:
                return cls(entry)
        raise KeyError(f"{symbol} is not in this exchangeInfo ({len(parsed.symbols)} symbols)")

    def __repr__(self) -> str:
        return f"SymbolRules({self.symbol!r}, filters={sorted(self.filters)})"

    @property
    def tick_size(self) -> Decimal:
        return self.filters["PRICE_FILTER"].tickSize if "PRICE_FILTER" in self.filters else _ZERO

    @property
    def step_size(self) -> Decimal:
        return self.filters["LOT_SIZE"].stepSize if "LOT_SIZE" in self.filters else _ZERO

    def round_price(self, price: Decimal | str | int, rounding: Rounding = "down") -> Decimal:
        """`price` on the tick grid (PRICE_FILTER's tickSize); `rounding` is "down", "up" or "nearest"."""
        return _to_step(_decimal("price", price), self.tick_size, rounding)

    def round_quantity(
        self, quantity: Decimal | str | int, *, market: bool = False, rounding: Rounding = "down"
    ) -> Decimal:
        """`quantity` on the step grid of LOT_SIZE (MARKET_LOT_SIZE with `market=True`, where it has a step)."""
        lot = self._lot(market)
        return _to_step(_decimal("quantity", quantity), lot.stepSize if lot is not None else _ZERO, rounding)

    def _lot(self, market: bool) -> _Filter | None:
        market_lot = self.filters.get("MARKET_LOT_SIZE")
        if market and market_lot is not None and market_lot.stepSize > 0:
            return market_lot
        return self.filters.get("LOT_SIZE")

    def _fail(self, filter_type: str, param: str, problem: str) -> FilterError:
        return FilterError(self.symbol, filter_type, param, problem)

    def check_order(
        self,
        *,
        side: str,
        type: str,
        price: Decimal | str | int | None = None,
        quantity: Decimal | str | int | None = None,
        quote_order_qty: Decimal | str | int | None = None,
        stop_price: Decimal | str | int | None = None,
        iceberg_qty: Decimal | str | int | None = None,
        trailing_delta: int | None = None,
        reference_price: Decimal | str | int | None = None,
        **_other: object,
    ) -> None:
        """Raise `FilterError` if the order would fail a filter; other keyword arguments are ignored,
        so the same `dict` can go to `check_order(**order)` and `client.order_place(**order)`.

        `reference_price` (for example the `avg_price` result) values MARKET orders and is the
        reference of PERCENT_PRICE(_BY_SIDE); without it those checks are skipped.
        """
        side, kind = str(getattr(side, "value", side)), str(getattr(type, "value", type))
        market = kind == "MARKET"
        values = {
            name: _decimal(name, value)
            for name, value in (
                ("price", price),
                ("quantity", quantity),
                ("quote_order_qty", quote_order_qty),
                ("stop_price", stop_price),
                ("iceberg_qty", iceberg_qty),
                ("reference_price", reference_price),
            )
            if value is not None
        }
        self._check_precision(values)
        for name in ("price", "stop_price"):
            if name in values and (name == "stop_price" or kind in _LIMIT_PRICED):
                self._check_price(name, values[name])
        if "quantity" in values:
            self._check_lot(values["quantity"], market)
        if "iceberg_qty" in values and values["iceberg_qty"] > 0:
            self._check_lot(values["iceberg_qty"], False, param="iceberg_qty")
            self._check_iceberg(values.get("quantity"), values["iceberg_qty"])
        if trailing_delta is not None and kind in _STOPS:
            self._check_trailing(side, kind, trailing_delta)
        valued_at = values.get("price") if kind in _LIMIT_PRICED else values.get("reference_price")
        if valued_at is not None and kind in _LIMIT_PRICED:
            self._check_percent(side, valued_at, values.get("reference_price"))
        notional = values.get("quote_order_qty")
        if notional is None and valued_at is not None and "quantity" in values:
            notional = valued_at * values["quantity"]
        if notional is not None:
            self._check_notional(notional, market, "quote_order_qty" if "quote_order_qty" in values else "quantity")

    def _check_precision(self, values: Mapping[str, Decimal]) -> None:
        limits = {"quantity": self.base_precision, "iceberg_qty": self.base_precision}
        limits.update(dict.fromkeys(("price", "stop_price", "quote_order_qty"), self.quote_precision))
        for name, digits in limits.items():
            value = values.get(name)
            if value is not None and digits is not None:
                exponent = value.normalize().as_tuple().exponent
                if isinstance(exponent, int) and -exponent > digits:
                    raise ParamError(self.symbol, name, f"has too much precision (at most {digits} decimals)")

    def _check_price(self, param: str, price: Decimal) -> None:
        rule = self.filters.get("PRICE_FILTER")
        if rule is None:
            return
        if rule.minPrice > 0 and price < rule.minPrice:
            raise self._fail("PRICE_FILTER", param, f"{price} is below minPrice {rule.minPrice.normalize()}")
        if rule.maxPrice > 0 and price > rule.maxPrice:
            raise self._fail("PRICE_FILTER", param, f"{price} is above maxPrice {rule.maxPrice.normalize()}")
        if rule.tickSize > 0 and price % rule.tickSize != 0:
            raise self._fail(
                "PRICE_FILTER", param, f"{price} is not a multiple of tickSize {rule.tickSize.normalize()}"
            )

    def _check_lot(self, quantity: Decimal, market: bool, *, param: str = "quantity") -> None:
        rules = [("LOT_SIZE", self.filters.get("LOT_SIZE"))]
        if market:
            rules.append(("MARKET_LOT_SIZE", self.filters.get("MARKET_LOT_SIZE")))
        for name, rule in rules:
            if rule is None:
                continue
            if rule.minQty > 0 and quantity < rule.minQty:
                raise self._fail(name, param, f"{quantity} is below minQty {rule.minQty.normalize()}")
            if rule.maxQty > 0 and quantity > rule.maxQty:
                raise self._fail(name, param, f"{quantity} is above maxQty {rule.maxQty.normalize()}")
            if rule.stepSize > 0 and quantity % rule.stepSize != 0:
                raise self._fail(name, param, f"{quantity} is not a multiple of stepSize {rule.stepSize.normalize()}")

    def _check_iceberg(self, quantity: Decimal | None, iceberg_qty: Decimal) -> None:
        rule = self.filters.get("ICEBERG_PARTS")
        if rule is not None and rule.limit > 0 and quantity is not None:
            parts = math.ceil(quantity / iceberg_qty)
            if parts > rule.limit:
                raise self._fail("ICEBERG_PARTS", "iceberg_qty", f"{parts} parts, at most {rule.limit}")

    def _check_trailing(self, side: str, kind: str, delta: int) -> None:
        rule = self.filters.get("TRAILING_DELTA")
        if rule is None:
            return
        above = (kind.startswith("STOP_LOSS") and side == "BUY") or (kind.startswith("TAKE_PROFIT") and side == "SELL")
        low, high = (
            (rule.minTrailingAboveDelta, rule.maxTrailingAboveDelta)
            if above
            else (rule.minTrailingBelowDelta, rule.maxTrailingBelowDelta)
        )
        if (low and delta < low) or (high and delta > high):
            raise self._fail("TRAILING_DELTA", "trailing_delta", f"{delta} is outside {low}..{high}")

    def _check_percent(self, side: str, price: Decimal, reference: Decimal | None) -> None:
        if reference is None:
            return
        bounds: list[tuple[str, Decimal, Decimal]] = []
        if (rule := self.filters.get("PERCENT_PRICE")) is not None:
            bounds.append(("PERCENT_PRICE", rule.multiplierDown, rule.multiplierUp))
        if (rule := self.filters.get("PERCENT_PRICE_BY_SIDE")) is not None:
            if side == "BUY":
                bounds.append(("PERCENT_PRICE_BY_SIDE", rule.bidMultiplierDown, rule.bidMultiplierUp))
            else:
                bounds.append(("PERCENT_PRICE_BY_SIDE", rule.askMultiplierDown, rule.askMultiplierUp))
        for name, down, up in bounds:
            if down > 0 and price < reference * down:
                raise self._fail(name, "price", f"{price} is below {down.normalize()} x the reference {reference}")
            if up > 0 and price > reference * up:
                raise self._fail(name, "price", f"{price} is above {up.normalize()} x the reference {reference}")

    def _check_notional(self, notional: Decimal, market: bool, param: str) -> None:
        if (rule := self.filters.get("MIN_NOTIONAL")) is not None and (rule.applyToMarket or not market):
            if rule.minNotional > 0 and notional < rule.minNotional:
                raise self._fail("MIN_NOTIONAL", param, f"notional {notional} is below {rule.minNotional.normalize()}")
        if (rule := self.filters.get("NOTIONAL")) is not None:
            if rule.minNotional > 0 and notional < rule.minNotional and (rule.applyMinToMarket or not market):
                raise self._fail("NOTIONAL", param, f"notional {notional} is below {rule.minNotional.normalize()}")
            if rule.maxNotional > 0 and notional > rule.maxNotional and (rule.applyMaxToMarket or not market):
                raise self._fail("NOTIONAL", param, f"notional {notional} is above {rule.maxNotional.normalize()}")
