"""Handlers for the rest of the API: market data from the books' trade history, order lists,
cancel-replace, amend, SOR and the account history queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .book import ZERO, Order
from .errors import EmulatorError
from .handlers import (
    ORDER_PARAMS,
    Request,
    _fmt,
    _order_ref,
    _query_report,
    _validate_order,
    cancel_list_report,
    cancel_report,
    check_symbol_status,
    commission_for_order,
    commission_weight,
    count_names,
    method,
    order_report,
    symbol_status,
    user_data_subscribe,
)

KLINE_MS = {
    "1s": 1000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
    "1M": 2_592_000_000,
}


def _limit(req: Request, default: int = 500, maximum: int = 1000) -> int:
    limit = req.integer("limit", default=default)
    assert limit is not None
    if not 1 <= limit <= maximum:
        raise EmulatorError(400, -1130, "Data sent for parameter 'limit' is not valid.")
    return limit


def _symbols(req: Request, *, required: bool = False) -> tuple[list[str], bool]:
    """(symbols, single): from `symbol` or `symbols`, all symbols when neither (unless required);
    `symbolStatus` keeps those with that status (a single symbol that has another: -1220)."""
    if "symbol" in req.params and "symbols" in req.params:
        raise EmulatorError(400, -1128, "Combination of optional parameters invalid.")
    status = symbol_status(req)
    trading = status is None or status == "TRADING"  # every local symbol is trading
    if "symbol" in req.params:
        symbol = req.symbol()
        if not trading:
            raise EmulatorError(400, -1220, "The symbol's status does not match the requested symbolStatus.")
        return [symbol], True
    names = req.symbols()
    if names is not None:
        return (names if trading else []), False
    if required:
        raise EmulatorError(400, -1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!")
    return (list(req.exchange.symbols) if trading else []), False


def _trades(req: Request, symbol: str) -> list[Any]:
    return req.exchange.books[symbol].trades


def _trade(t: Any) -> dict[str, Any]:
    return {
        "id": t.trade_id,
        "price": _fmt(t.price),
        "qty": _fmt(t.qty),
        "quoteQty": _fmt(t.price * t.qty),
        "time": t.time_ms,
        "isBuyerMaker": t.is_buyer_maker,
        "isBestMatch": True,
    }


@method("trades.recent", weight=25)
def trades_recent(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "limit")
    symbol = req.symbol()
    return [_trade(t) for t in _trades(req, symbol)[-_limit(req) :]]


@method("trades.historical", weight=25)
def trades_historical(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "fromId", "limit")
    symbol = req.symbol()
    limit = _limit(req)
    from_id = req.integer("fromId")
    trades = _trades(req, symbol)
    if from_id is None:
        return [_trade(t) for t in trades[-limit:]]
    return [_trade(t) for t in trades if t.trade_id >= from_id][:limit]


@method("blockTrades.historical", weight=25)
def block_trades(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "fromId", "limit")
    req.symbol()
    req.integer("fromId", required=True)
    _limit(req)
    return []  # no block trades happen on the local exchange


@method("trades.aggregate", weight=4)
def trades_aggregate(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "fromId", "startTime", "endTime", "limit")
    symbol = req.symbol()
    limit = _limit(req)
    from_id, start, end = req.integer("fromId"), req.integer("startTime"), req.integer("endTime")
    if from_id is not None and (start is not None or end is not None):
        raise EmulatorError(400, -1128, "Combination of optional parameters invalid.")
    rows = [
        {
            "a": t.trade_id,
            "p": _fmt(t.price),
            "q": _fmt(t.qty),
            "f": t.trade_id,
            "l": t.trade_id,
            "T": t.time_ms,
            "m": t.is_buyer_maker,
            "M": True,
        }
        for t in _trades(req, symbol)
        if (from_id is None or t.trade_id >= from_id)
        and (start is None or t.time_ms >= start)
        and (end is None or t.time_ms <= end)
    ]
    return rows[:limit] if from_id is not None or start is not None else rows[-limit:]


def _klines(req: Request) -> list[list[Any]]:
    req.known("symbol", "interval", "startTime", "endTime", "timeZone", "limit")
    symbol = req.symbol()
    interval = req.text("interval", required=True)
    if interval not in KLINE_MS:
        raise EmulatorError(400, -1120, "Invalid interval.")
    width = KLINE_MS[interval]
    limit = _limit(req)
    start, end = req.integer("startTime"), req.integer("endTime")
    buckets: dict[int, list[Any]] = {}
    for t in _trades(req, symbol):
        if (start is not None and t.time_ms < start) or (end is not None and t.time_ms > end):
            continue
        buckets.setdefault(t.time_ms - t.time_ms % width, []).append(t)
    rows = []
    for open_time in sorted(buckets):
        trades = buckets[open_time]
        prices = [t.price for t in trades]
        volume = sum((t.qty for t in trades), ZERO)
        quote = sum((t.qty * t.price for t in trades), ZERO)
        taker_buy = [t for t in trades if not t.is_buyer_maker]
        rows.append(
            [
                open_time,
                _fmt(prices[0]),
                _fmt(max(prices)),
                _fmt(min(prices)),
                _fmt(prices[-1]),
                _fmt(volume),
                open_time + width - 1,
                _fmt(quote),
                len(trades),
                _fmt(sum((t.qty for t in taker_buy), ZERO)),
                _fmt(sum((t.qty * t.price for t in taker_buy), ZERO)),
                "0",
            ]
        )
    return rows[-limit:]


method("klines", weight=2)(_klines)
method("uiKlines", weight=2)(_klines)


def _last(req: Request, symbol: str) -> Decimal:
    return req.exchange.books[symbol].last_price() or req.exchange.symbols[symbol].mid


@method("avgPrice", weight=2)
def avg_price(req: Request) -> dict[str, Any]:
    req.known("symbol")
    symbol = req.symbol()
    trades = _trades(req, symbol)[-50:]
    volume = sum((t.qty for t in trades), ZERO)
    price = sum((t.qty * t.price for t in trades), ZERO) / volume if volume else _last(req, symbol)
    return {"mins": 5, "price": _fmt(price), "closeTime": trades[-1].time_ms if trades else req.exchange.now_ms()}


def _ticker(req: Request, symbol: str, full: bool, day: bool) -> dict[str, Any]:
    book = req.exchange.books[symbol]
    trades = book.trades or []
    last = _last(req, symbol)
    first = trades[0].price if trades else last
    prices = [t.price for t in trades] or [last]
    volume = sum((t.qty for t in trades), ZERO)
    quote = sum((t.qty * t.price for t in trades), ZERO)
    now = req.exchange.now_ms()
    row: dict[str, Any] = {"symbol": symbol}
    if full:
        change = last - first
        row.update(
            {
                "priceChange": _fmt(change),
                "priceChangePercent": f"{(change / first * 100 if first else ZERO):.3f}",
                "weightedAvgPrice": _fmt(quote / volume if volume else last),
            }
        )
        if day:
            best_bid, best_ask = book.best_bid() or ZERO, book.best_ask() or ZERO
            row.update(
                {
                    "prevClosePrice": _fmt(first),
                    "lastQty": _fmt(trades[-1].qty if trades else ZERO),
                    "bidPrice": _fmt(best_bid),
                    "bidQty": _fmt(sum((o.remaining for o in book.bids.get(best_bid, [])), ZERO)),
                    "askPrice": _fmt(best_ask),
                    "askQty": _fmt(sum((o.remaining for o in book.asks.get(best_ask, [])), ZERO)),
                }
            )
    row.update(
        {
            "openPrice": _fmt(first),
            "highPrice": _fmt(max(prices)),
            "lowPrice": _fmt(min(prices)),
            "lastPrice": _fmt(last),
            "volume": _fmt(volume),
            "quoteVolume": _fmt(quote),
            "openTime": now - 86_400_000,
            "closeTime": now,
            "firstId": trades[0].trade_id if trades else -1,
            "lastId": trades[-1].trade_id if trades else -1,
            "count": len(trades),
        }
    )
    return row


def _ticker_type(req: Request) -> bool:
    return req.enum("type", ("FULL", "MINI"), -1139, "Invalid ticker type.") != "MINI"


def _count_weight(params: dict[str, Any], per: int, cap: int) -> int:
    count = count_names(params, "symbols")
    return min(per * count, cap) if count is not None else per


def _ticker_24hr_weight(params: dict[str, Any]) -> int:
    if "symbol" in params:
        return 2
    count = count_names(params, "symbols")
    return 80 if count is None else 2 if count <= 20 else 40 if count <= 100 else 80


@method("ticker.24hr", weight=_ticker_24hr_weight)
def ticker_24hr(req: Request) -> Any:
    req.known("symbol", "symbols", "type", "symbolStatus")
    symbols, single = _symbols(req)
    full = _ticker_type(req)
    rows = [_ticker(req, s, full, True) for s in symbols]
    return rows[0] if single else rows


@method("ticker.tradingDay", weight=lambda p: _count_weight(p, 4, 200))
def ticker_trading_day(req: Request) -> Any:
    req.known("symbol", "symbols", "timeZone", "type", "symbolStatus")
    symbols, single = _symbols(req, required=True)
    full = _ticker_type(req)
    rows = [_ticker(req, s, full, False) for s in symbols]
    return rows[0] if single else rows


@method("ticker", weight=lambda p: _count_weight(p, 4, 200))
def ticker_window(req: Request) -> Any:
    req.known("symbol", "symbols", "type", "windowSize", "symbolStatus")
    symbols, single = _symbols(req, required=True)
    full = _ticker_type(req)
    rows = [_ticker(req, s, full, False) for s in symbols]
    return rows[0] if single else rows


@method("ticker.price", weight=lambda p: 2 if "symbol" in p else 4)
def ticker_price(req: Request) -> Any:
    req.known("symbol", "symbols", "symbolStatus")
    symbols, single = _symbols(req)
    rows = [{"symbol": s, "price": _fmt(_last(req, s))} for s in symbols]
    return rows[0] if single else rows


@method("ticker.book", weight=lambda p: 2 if "symbol" in p else 4)
def ticker_book(req: Request) -> Any:
    req.known("symbol", "symbols", "symbolStatus")
    symbols, single = _symbols(req)
    rows = []
    for s in symbols:
        book = req.exchange.books[s]
        bid, ask = book.best_bid() or ZERO, book.best_ask() or ZERO
        rows.append(
            {
                "symbol": s,
                "bidPrice": _fmt(bid),
                "bidQty": _fmt(sum((o.remaining for o in book.bids.get(bid, [])), ZERO)),
                "askPrice": _fmt(ask),
                "askQty": _fmt(sum((o.remaining for o in book.asks.get(ask, [])), ZERO)),
            }
        )
    return rows[0] if single else rows


@method("executionRules", weight=lambda p: 2 if "symbol" in p else _count_weight(p, 2, 40) if "symbols" in p else 40)
def execution_rules(req: Request) -> dict[str, Any]:
    req.known("symbol", "symbols", "symbolStatus")
    symbols, _ = _symbols(req)
    return {
        "symbolRules": [
            {
                "symbol": s,
                "rules": [
                    {
                        "ruleType": "PRICE_RANGE",
                        "bidLimitMultUp": "1.10000000",
                        "bidLimitMultDown": "0.90000000",
                        "askLimitMultUp": "1.10000000",
                        "askLimitMultDown": "0.90000000",
                    }
                ],
            }
            for s in symbols
        ]
    }


@method("referencePrice", weight=2)
def reference_price(req: Request) -> dict[str, Any]:
    req.known("symbol")
    symbol = req.symbol()
    return {"symbol": symbol, "referencePrice": _fmt(_last(req, symbol)), "timestamp": req.exchange.now_ms()}


@method("referencePrice.calculation", weight=2)
def reference_price_calculation(req: Request) -> dict[str, Any]:
    req.known("symbol", "symbolStatus")
    symbol = req.symbol()
    check_symbol_status(req)
    return {"symbol": symbol, "calculationType": "ARITHMETIC_MEAN", "bucketCount": 10, "bucketWidthMs": 1000}


# -- trading ------------------------------------------------------------------------------


def _place(req: Request, args: dict[str, Any]) -> tuple[Order, list[Any]]:
    assert req.account is not None
    return req.exchange.place(
        req.account,
        args["symbol"],
        args["side"],
        args["type"],
        args["tif"],
        args["price"],
        args["quantity"],
        args["quote_qty"],
        args["client_id"],
        stop_price=args["stop_price"],
        trailing_delta=args["trailing_delta"],
        iceberg_qty=args["iceberg_qty"],
        peg=args["peg"],
        stp_mode=args["stp_mode"],
    )


def _cancel(
    req: Request, symbol: str, order_id: int | None, client_id: str | None, new_id: str | None
) -> dict[str, Any]:
    assert req.account is not None
    cancel_id = new_id or req.exchange.new_client_order_id()
    order = req.exchange.cancel(req.account, symbol, order_id, client_id, cancel_id=cancel_id)
    return cancel_report(order, cancel_id)


@method("order.cancelReplace", security="TRADE", weight=1, orders=1)
def order_cancel_replace(req: Request) -> dict[str, Any]:
    req.known(
        *ORDER_PARAMS,
        "cancelReplaceMode",
        "cancelOrderId",
        "cancelOrigClientOrderId",
        "cancelNewClientOrderId",
        "cancelRestrictions",
        "orderRateLimitExceededMode",
    )
    mode = req.enum(
        "cancelReplaceMode",
        ("STOP_ON_FAILURE", "ALLOW_FAILURE"),
        -1100,
        "Illegal characters found in parameter 'cancelReplaceMode'.",
        required=True,
    )
    order_id, client_id = req.integer("cancelOrderId"), req.text("cancelOrigClientOrderId")
    if order_id is None and client_id is None:
        raise EmulatorError(
            400, -1102, "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent, but both were empty/null!"
        )
    args = _validate_order(req)
    cancel_new_id = req.text("cancelNewClientOrderId")
    try:
        cancel: dict[str, Any] = _cancel(req, args["symbol"], order_id, client_id, cancel_new_id)
        cancel_ok = True
    except EmulatorError as error:
        cancel, cancel_ok = error.body(), False
    if not cancel_ok and mode == "STOP_ON_FAILURE":
        raise EmulatorError(
            400,
            -2022,
            "Order cancel-replace failed.",
            {
                "cancelResult": "FAILURE",
                "newOrderResult": "NOT_ATTEMPTED",
                "cancelResponse": cancel,
                "newOrderResponse": None,
            },
        )
    try:
        order, fills = _place(req, args)
        new: dict[str, Any] = order_report(
            order, fills, req.text("newOrderRespType") or ("FULL" if order.type in ("LIMIT", "MARKET") else "ACK")
        )
        new_ok = True
    except EmulatorError as error:
        new, new_ok = error.body(), False
    data = {
        "cancelResult": "SUCCESS" if cancel_ok else "FAILURE",
        "newOrderResult": "SUCCESS" if new_ok else "FAILURE",
        "cancelResponse": cancel,
        "newOrderResponse": new,
    }
    if cancel_ok and new_ok:
        return data
    if not cancel_ok and not new_ok:
        raise EmulatorError(400, -2022, "Order cancel-replace failed.", data)
    raise EmulatorError(409, -2021, "Order cancel-replace partially failed.", data)


@method("order.amend.keepPriority", security="TRADE", weight=4)
def order_amend(req: Request) -> dict[str, Any]:
    req.known("symbol", "orderId", "origClientOrderId", "newClientOrderId", "newQty")
    symbol = req.symbol()
    order_id, client_id = _order_ref(req)
    new_qty = req.decimal("newQty", required=True)
    new_id = req.text("newClientOrderId")
    assert req.account is not None and new_qty is not None
    order = req.exchange.find(req.account, symbol, order_id, client_id)
    if order is None or not order.is_open:
        raise EmulatorError(400, -2013, "Order does not exist.")
    if new_qty >= order.orig_qty:
        raise EmulatorError(
            400,
            -2038,
            "Order amend (quantity increase) is not supported."
            if new_qty > order.orig_qty
            else "The requested action would change no state; rejecting",
        )
    if new_qty <= order.executed_qty:
        raise EmulatorError(400, -2038, "Order amend rejected.")
    info = req.exchange.symbols[symbol]
    released = order.orig_qty - new_qty
    asset, amount = (info.quote, order.price * released) if order.side == "BUY" else (info.base, released)
    req.exchange.account(req.account).move(asset, free=amount, locked=-amount)
    previous = order.client_order_id
    order.orig_qty = new_qty  # same queue position: the order object stays where it is
    if order.iceberg_qty:
        order.tip_left = min(order.tip_left, order.remaining)
    req.exchange.index.rename(order, new_id or req.exchange.new_client_order_id())
    now = req.exchange.now_ms()
    execution_id = len(req.exchange.amendments) + 1
    req.exchange.amendments.append(
        {
            "account": req.account,
            "symbol": symbol,
            "orderId": order.order_id,
            "executionId": execution_id,
            "origClientOrderId": previous,
            "newClientOrderId": order.client_order_id,
            "origQty": _fmt(order.orig_qty + released),
            "newQty": _fmt(new_qty),
            "time": now,
        }
    )
    return {
        "transactTime": now,
        "executionId": execution_id,
        "amendedOrder": {
            "symbol": symbol,
            "orderId": order.order_id,
            "orderListId": order.order_list_id,
            "origClientOrderId": previous,
            "clientOrderId": order.client_order_id,
            "price": _fmt(order.reported_price),
            "qty": _fmt(order.orig_qty),
            "executedQty": _fmt(order.executed_qty),
            "preventedQty": "0.00000000",
            "quoteOrderQty": _fmt(order.quote_order_qty),
            "cumulativeQuoteQty": _fmt(order.cumulative_quote_qty),
            "status": order.status,
            "timeInForce": order.time_in_force,
            "type": order.type,
            "side": order.side,
            "workingTime": order.working_ms,
            "selfTradePreventionMode": order.stp_mode,
        },
    }


@method("openOrders.cancelAll", security="TRADE", weight=1)
def open_orders_cancel_all(req: Request) -> list[dict[str, Any]]:
    req.known("symbol")
    symbol = req.symbol()
    assert req.account is not None
    open_orders = req.exchange.open_orders(req.account, symbol)
    if not open_orders:
        raise EmulatorError(400, -2011, "Unknown order sent.")
    # One entry per standalone order and one per order list (its legs in its orderReports).
    replies: list[dict[str, Any]] = []
    lists_done: set[int] = set()
    for order in open_orders:
        if order.order_list_id == -1:
            replies.append(_cancel(req, symbol, order.order_id, None, None))
        elif order.order_list_id not in lists_done:
            lists_done.add(order.order_list_id)
            replies.append(cancel_list_report(req, order.order_list_id, req.exchange.new_client_order_id()))
    return replies


# -- order lists (legs are orders; the exchange runs the contingencies) -------------------------


def _leg(req: Request, prefix: str, side: str | None, quantity: Decimal | None) -> dict[str, Any]:
    def key(name: str) -> str:
        return prefix + name[0].upper() + name[1:] if prefix else name

    type_ = req.text(key("type"), required=True)
    return {
        "type": type_,
        "side": side or req.text(key("side"), required=True),
        "price": req.decimal(key("price")),
        "stop": req.decimal(key("stopPrice")),
        "trailing": req.integer(key("trailingDelta")) or 0,
        "qty": quantity if quantity is not None else req.decimal(key("quantity"), required=True),
        "tif": req.text(key("timeInForce")) or "GTC",
        "client_id": req.text(key("clientOrderId")),
    }


def _list_place(req: Request, contingency: str, legs: list[dict[str, Any]], pending_from: int) -> dict[str, Any]:
    assert req.account is not None
    symbol = req.symbol()
    record, results = req.exchange.place_list(
        req.account, symbol, contingency, legs, pending_from, req.text("listClientOrderId")
    )
    resp_type = req.text("newOrderRespType") or "ACK"
    return {**_list_query(record), "orderReports": [order_report(order, fills, resp_type) for order, fills in results]}


LIST_COMMON = ("symbol", "listClientOrderId", "newOrderRespType", "selfTradePreventionMode")
LEG = (
    "Type",
    "Side",
    "ClientOrderId",
    "Price",
    "StopPrice",
    "TrailingDelta",
    "IcebergQty",
    "TimeInForce",
    "StrategyId",
    "StrategyType",
    "PegPriceType",
    "PegOffsetType",
    "PegOffsetValue",
    "Quantity",
)


def _leg_params(*prefixes: str) -> list[str]:
    return [p + s for p in prefixes for s in LEG]


@method("orderList.place", security="TRADE", weight=1, orders=2)
def order_list_place_legacy(req: Request) -> dict[str, Any]:
    req.known(
        *LIST_COMMON,
        "side",
        "price",
        "quantity",
        "limitClientOrderId",
        "limitIcebergQty",
        "limitStrategyId",
        "limitStrategyType",
        "stopPrice",
        "trailingDelta",
        "stopClientOrderId",
        "stopLimitPrice",
        "stopLimitTimeInForce",
        "stopIcebergQty",
        "stopStrategyId",
        "stopStrategyType",
    )
    side = req.enum("side", ("BUY", "SELL"), -1117, "Invalid side.", required=True)
    quantity = req.decimal("quantity", required=True)
    price = req.decimal("price", required=True)
    stop = req.decimal("stopPrice", required=True)
    stop_limit = req.decimal("stopLimitPrice")
    legs: list[dict[str, Any]] = [
        {
            "type": "LIMIT_MAKER",
            "side": side,
            "price": price,
            "stop": None,
            "qty": quantity,
            "tif": "GTC",
            "client_id": req.text("limitClientOrderId"),
        },
        {
            "type": "STOP_LOSS_LIMIT" if stop_limit else "STOP_LOSS",
            "side": side,
            "price": stop_limit,
            "stop": stop,
            "trailing": req.integer("trailingDelta") or 0,
            "qty": quantity,
            "tif": req.text("stopLimitTimeInForce") or "GTC",
            "client_id": req.text("stopClientOrderId"),
        },
    ]
    return _list_place(req, "OCO", legs, pending_from=2)


@method("orderList.place.oco", security="TRADE", weight=1, orders=2)
def order_list_place_oco(req: Request) -> dict[str, Any]:
    req.known(*LIST_COMMON, "side", "quantity", *_leg_params("above", "below"))
    side = req.enum("side", ("BUY", "SELL"), -1117, "Invalid side.", required=True)
    quantity = req.decimal("quantity", required=True)
    return _list_place(
        req, "OCO", [_leg(req, "above", side, quantity), _leg(req, "below", side, quantity)], pending_from=2
    )


@method("orderList.place.oto", security="TRADE", weight=1, orders=2)
def order_list_place_oto(req: Request) -> dict[str, Any]:
    req.known(*LIST_COMMON, *_leg_params("working", "pending"))
    return _list_place(req, "OTO", [_leg(req, "working", None, None), _leg(req, "pending", None, None)], pending_from=1)


@method("orderList.place.otoco", security="TRADE", weight=1, orders=3)
def order_list_place_otoco(req: Request) -> dict[str, Any]:
    req.known(*LIST_COMMON, *_leg_params("working", "pending", "pendingAbove", "pendingBelow"))
    side = req.text("pendingSide", required=True)
    quantity = req.decimal("pendingQuantity", required=True)
    legs = [_leg(req, "working", None, None), _leg(req, "pendingAbove", side, quantity)]
    if "pendingBelowType" in req.params:
        legs.append(_leg(req, "pendingBelow", side, quantity))
    return _list_place(req, "OTO", legs, pending_from=1)


@method("orderList.place.opo", security="TRADE", weight=1, orders=2)
def order_list_place_opo(req: Request) -> dict[str, Any]:
    req.known(*LIST_COMMON, *_leg_params("working", "pending"))
    if "pendingQuantity" in req.params:
        raise EmulatorError(400, -1225, "Pending orders should not include the 'pendingQuantity' tag.")
    working = _leg(req, "working", None, None)
    if working["side"] != "BUY":
        raise EmulatorError(400, -1222, "Working order in an OPO list must be a bid.")
    pending = _leg(req, "pending", None, working["qty"])
    if pending["side"] != "SELL":
        raise EmulatorError(400, -1223, "Pending orders in an OPO list must be asks.")
    return _list_place(req, "OTO", [working, pending], pending_from=1)


@method("orderList.place.opoco", security="TRADE", weight=1, orders=3)
def order_list_place_opoco(req: Request) -> dict[str, Any]:
    req.known(*LIST_COMMON, *_leg_params("working", "pending", "pendingAbove", "pendingBelow"))
    working = _leg(req, "working", None, None)
    if working["side"] != "BUY":
        raise EmulatorError(400, -1222, "Working order in an OPO list must be a bid.")
    side = req.text("pendingSide", required=True)
    if side != "SELL":
        raise EmulatorError(400, -1223, "Pending orders in an OPO list must be asks.")
    legs = [working, _leg(req, "pendingAbove", side, working["qty"])]
    if "pendingBelowType" in req.params:
        legs.append(_leg(req, "pendingBelow", side, working["qty"]))
    return _list_place(req, "OTO", legs, pending_from=1)


def _find_list(req: Request, list_id: int | None, client_id: str | None) -> dict[str, Any]:
    assert req.account is not None
    record = req.exchange.find_list(req.account, list_id, None if list_id is not None else client_id)
    if record is None:
        raise EmulatorError(400, -2011, "Order list does not exist.")
    return record


@method("orderList.cancel", security="TRADE", weight=1)
def order_list_cancel(req: Request) -> dict[str, Any]:
    req.known("symbol", "orderListId", "listClientOrderId", "newClientOrderId")
    req.symbol()
    list_id, client_id = req.integer("orderListId"), req.text("listClientOrderId")
    if list_id is None and client_id is None:
        raise EmulatorError(
            400, -1102, "Param 'orderListId' or 'listClientOrderId' must be sent, but both were empty/null!"
        )
    record = _find_list(req, list_id, client_id)
    assert req.account is not None
    cancel_id = req.text("newClientOrderId") or req.exchange.new_client_order_id()
    return cancel_list_report(req, record["orderListId"], cancel_id)


_INTERNAL = frozenset({"account", "legs", "pending", "oco"})


def _list_query(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in _INTERNAL}


@method("orderList.status", security="USER_DATA", weight=4)
def order_list_status(req: Request) -> dict[str, Any]:
    req.known("origClientOrderId", "orderListId")
    list_id, client_id = req.integer("orderListId"), req.text("origClientOrderId")
    if list_id is None and client_id is None:
        raise EmulatorError(
            400, -1102, "Param 'origClientOrderId' or 'orderListId' must be sent, but both were empty/null!"
        )
    return _list_query(_find_list(req, None if client_id else list_id, client_id))


@method("openOrderLists.status", security="USER_DATA", weight=6)
def open_order_lists(req: Request) -> list[dict[str, Any]]:
    req.known()
    return [
        _list_query(r)
        for r in req.exchange.order_lists.values()
        if r["account"] == req.account and r["listOrderStatus"] == "EXECUTING"
    ]


def _check_span(start: int | None, end: int | None) -> None:
    if start is not None and end is not None and end - start > 86_400_000:
        raise EmulatorError(400, -1127, "More than 24 hours between startTime and endTime.")


@method("allOrderLists", security="USER_DATA", weight=20)
def all_order_lists(req: Request) -> list[dict[str, Any]]:
    req.known("fromId", "startTime", "endTime", "limit")
    _check_span(req.integer("startTime"), req.integer("endTime"))
    from_id = req.integer("fromId") or 0
    return [
        _list_query(r)
        for r in req.exchange.order_lists.values()
        if r["account"] == req.account and r["orderListId"] >= from_id
    ][: _limit(req)]


# -- SOR ----------------------------------------------------------------------------------

SOR_PARAMS = (
    "symbol",
    "side",
    "type",
    "timeInForce",
    "price",
    "quantity",
    "newClientOrderId",
    "newOrderRespType",
    "icebergQty",
    "strategyId",
    "strategyType",
    "selfTradePreventionMode",
)


def _sor_args(req: Request) -> dict[str, Any]:
    if req.params.get("type") not in ("LIMIT", "MARKET"):
        raise EmulatorError(400, -1116, "Invalid orderType.")
    return _validate_order(req)


@method("sor.order.place", security="TRADE", weight=1, orders=1)
def sor_order_place(req: Request) -> list[dict[str, Any]]:
    req.known(*SOR_PARAMS)
    order, fills = _place(req, _sor_args(req))
    report = order_report(order, fills, req.text("newOrderRespType") or "FULL")
    report.update({"workingFloor": "SOR", "usedSor": True})
    return [report]


@method("sor.order.test", security="TRADE", weight=commission_weight)
def sor_order_test(req: Request) -> dict[str, Any]:
    req.known(*SOR_PARAMS, "computeCommissionRates")
    _sor_args(req)
    return commission_for_order(req, special=False)


# -- account history ----------------------------------------------------------------------


@method("allOrders", security="USER_DATA", weight=20)
def all_orders(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "orderId", "startTime", "endTime", "limit")
    symbol = req.symbol()
    start, end = req.integer("startTime"), req.integer("endTime")
    _check_span(start, end)
    from_id = req.integer("orderId") or 0
    assert req.account is not None
    rows = [
        o
        for o in req.exchange.index.of_account(req.account)
        if o.symbol == symbol
        and o.order_id >= from_id
        and (start is None or o.update_ms >= start)
        and (end is None or o.update_ms <= end)
    ]
    return [_query_report(o) for o in rows][-_limit(req) :]


@method("myTrades", security="USER_DATA", weight=lambda p: 5 if "orderId" in p else 20)
def my_trades(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "orderId", "startTime", "endTime", "fromId", "limit")
    symbol = req.symbol()
    order_id, start, end = req.integer("orderId"), req.integer("startTime"), req.integer("endTime")
    if order_id is not None and (start is not None or end is not None):
        raise EmulatorError(400, -1128, "Combination of optional parameters invalid.")
    _check_span(start, end)
    from_id = req.integer("fromId") or 0
    rows = [
        t
        for t in req.exchange.account_trades
        if t["account"] == req.account
        and t["symbol"] == symbol
        and t["id"] >= from_id
        and (order_id is None or t["orderId"] == order_id)
        and (start is None or t["time"] >= start)
        and (end is None or t["time"] <= end)
    ]
    return [
        {
            "symbol": t["symbol"],
            "id": t["id"],
            "orderId": t["orderId"],
            "orderListId": t["orderListId"],
            "price": _fmt(t["price"]),
            "qty": _fmt(t["qty"]),
            "quoteQty": _fmt(t["quoteQty"]),
            "commission": "0.00000000",
            "commissionAsset": "BNB",
            "time": t["time"],
            "isBuyer": t["isBuyer"],
            "isMaker": t["isMaker"],
            "isBestMatch": True,
        }
        for t in rows
    ][-_limit(req) :]


@method("account.rateLimits.orders", security="USER_DATA", weight=40)
def account_rate_limits(req: Request) -> list[dict[str, Any]]:
    req.known()
    counters = req.session.limits.orders.get(req.account or "")
    if counters is None:
        limits = req.session.limits
        return [
            {
                "rateLimitType": "ORDERS",
                "interval": "SECOND",
                "intervalNum": 10,
                "limit": limits.orders_per_10s,
                "count": 0,
            },
            {
                "rateLimitType": "ORDERS",
                "interval": "DAY",
                "intervalNum": 1,
                "limit": limits.orders_per_day,
                "count": 0,
            },
        ]
    return [c.entry("ORDERS") for c in counters]


@method("myPreventedMatches", security="USER_DATA", weight=lambda p: 2 if "preventedMatchId" in p else 20)
def my_prevented_matches(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "preventedMatchId", "orderId", "fromPreventedMatchId", "limit")
    symbol = req.symbol()
    match_id, order_id = req.integer("preventedMatchId"), req.integer("orderId")
    if match_id is None and order_id is None:
        raise EmulatorError(400, -1102, "Param 'preventedMatchId' or 'orderId' must be sent, but both were empty/null!")
    from_id = req.integer("fromPreventedMatchId") or 0
    rows = [
        r
        for r in req.exchange.prevented_matches
        if r["account"] == req.account
        and r["symbol"] == symbol
        and r["preventedMatchId"] >= from_id
        and (match_id is None or r["preventedMatchId"] == match_id)
        and (order_id is None or order_id in (r["takerOrderId"], r["makerOrderId"]))
    ]
    return [{k: (_fmt(v) if isinstance(v, Decimal) else v) for k, v in r.items() if k != "account"} for r in rows][
        : _limit(req)
    ]


@method("myAllocations", security="USER_DATA", weight=20)
def my_allocations(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "startTime", "endTime", "fromAllocationId", "limit", "orderId")
    req.symbol()
    _check_span(req.integer("startTime"), req.integer("endTime"))
    return []


@method("account.commission", security="USER_DATA", weight=20)
def account_commission(req: Request) -> dict[str, Any]:
    req.known("symbol")
    rates = {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000", "seller": "0.00000000"}
    zero = dict.fromkeys(rates, "0.00000000")
    return {
        "symbol": req.symbol(),
        "standardCommission": rates,
        "specialCommission": zero,
        "taxCommission": zero,
        "discount": {
            "enabledForAccount": False,
            "enabledForSymbol": False,
            "discountAsset": "BNB",
            "discount": "0.25000000",
        },
    }


@method("order.amendments", security="USER_DATA", weight=4)
def order_amendments(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "orderId", "fromExecutionId", "limit")
    symbol = req.symbol()
    order_id = req.integer("orderId", required=True)
    from_id = req.integer("fromExecutionId") or 0
    return [
        {k: v for k, v in a.items() if k != "account"}
        for a in req.exchange.amendments
        if a["account"] == req.account
        and a["symbol"] == symbol
        and a["orderId"] == order_id
        and a["executionId"] >= from_id
    ][: _limit(req)]


@method("myFilters", security="USER_DATA", weight=40)
def my_filters(req: Request) -> dict[str, Any]:
    req.known("symbol")
    symbol = req.symbol()
    return {
        "exchangeFilters": [],
        "symbolFilters": req.exchange.symbols[symbol].exchange_info()["filters"],
        "assetFilters": [{"filterType": "MAX_ASSET", "asset": "USDT", "limit": "1000000.00000000"}],
    }


# The signed variant works on any connection with any key type; the subscription is the same.
method("userDataStream.subscribe.signature", security="USER_STREAM_SIGNED", weight=2)(user_data_subscribe)
