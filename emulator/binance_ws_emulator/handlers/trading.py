"""Trading: order validation, placement and test orders, status, cancel, cancel-replace,
amend, open orders and SOR."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..accounts import MAKER_COMMISSION, TAKER_COMMISSION
from ..average_price import average_price
from ..book import LIMIT_PRICED, MAX_ICEBERG_PARTS, MAX_TRAILING_DELTA, MIN_TRAILING_DELTA, STOP_TYPES, Order
from ..errors import EmulatorError
from ..symbols import SymbolInfo
from .base import Request, fmt, method
from .order_lists import cancel_list_report
from .pegs import peg_instructions
from .reports import cancel_report, conditional_fields, order_report, query_report

ORDER_TYPES = ("LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")


ORDER_PARAMS = (
    "symbol",
    "side",
    "type",
    "timeInForce",
    "price",
    "quantity",
    "quoteOrderQty",
    "newClientOrderId",
    "newOrderRespType",
    "stopPrice",
    "trailingDelta",
    "icebergQty",
    "strategyId",
    "strategyType",
    "selfTradePreventionMode",
    "pegPriceType",
    "pegOffsetValue",
    "pegOffsetType",
)


def validate_order(req: Request) -> dict[str, Any]:
    symbol = req.symbol()
    side = req.enum("side", ("BUY", "SELL"), -1117, "Invalid side.", required=True)
    type_ = req.enum("type", ORDER_TYPES, -1116, "Invalid orderType.", required=True)
    tif = req.enum("timeInForce", ("GTC", "IOC", "FOK"), -1115, "Invalid timeInForce.")
    price = req.decimal("price")
    quantity = req.decimal("quantity")
    quote_qty = req.decimal("quoteOrderQty")
    req.enum(
        "newOrderRespType",
        ("ACK", "RESULT", "FULL"),
        -1100,
        "Illegal characters found in parameter 'newOrderRespType'.",
    )
    client_id = req.text("newClientOrderId")
    if type_ in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and tif is None:
        raise EmulatorError.mandatory("timeInForce")
    peg = peg_instructions(req, str(type_), tif)
    if type_ in LIMIT_PRICED and price is None and peg is None:
        raise EmulatorError.mandatory("price")
    if type_ == "MARKET":
        if quantity is None and quote_qty is None:
            raise EmulatorError(
                400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
            )
        if quantity is not None and quote_qty is not None:
            raise EmulatorError(400, -1106, "Parameter 'quoteOrderQty' sent when not required.")
    elif quantity is None:
        raise EmulatorError.mandatory("quantity")
    elif quote_qty is not None:  # quoteOrderQty is for MARKET orders only
        raise EmulatorError.not_required("quoteOrderQty")
    if type_ in STOP_TYPES and "stopPrice" not in req.params and "trailingDelta" not in req.params:
        raise EmulatorError(400, -1102, "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!")
    iceberg_qty = req.decimal("icebergQty")
    if iceberg_qty is not None and iceberg_qty > 0:
        if type_ not in LIMIT_PRICED:
            raise EmulatorError(400, -1106, "Parameter 'icebergQty' sent when not required.")
        if (tif or "GTC") != "GTC":
            raise EmulatorError(400, -2010, "Unsupported order combination")  # icebergs are GTC only
        if quantity is not None and iceberg_qty > quantity:
            raise EmulatorError(400, -2010, "IcebergQty exceeds QTY.")
        if quantity is not None and quantity / iceberg_qty > MAX_ICEBERG_PARTS:
            raise EmulatorError(400, -1013, "Filter failure: ICEBERG_PARTS")
    trailing_delta = req.integer("trailingDelta")
    if trailing_delta is not None:
        if type_ not in STOP_TYPES:
            raise EmulatorError(400, -1106, "Parameter 'trailingDelta' sent when not required.")
        if not MIN_TRAILING_DELTA <= trailing_delta <= MAX_TRAILING_DELTA:
            raise EmulatorError(400, -1013, "Filter failure: TRAILING_DELTA")
    info = req.exchange.symbols[symbol]
    stop_price = req.decimal("stopPrice")
    for value in (price, stop_price):
        if value is not None and not _price_passes(info, value):
            raise EmulatorError(400, -1013, "Filter failure: PRICE_FILTER")
    if quantity is not None:
        if quantity < info.min_qty or quantity > info.max_qty or quantity % info.step_size != 0:
            raise EmulatorError(400, -1013, "Filter failure: LOT_SIZE")
    if type_ == "MARKET":  # no price: the average price over the filter's avgPriceMins (filters.md)
        book = req.exchange.books[symbol]
        reference = average_price(book.trades, req.exchange.now_ms(), info.mid).price
    else:
        reference = price if price is not None else req.exchange.books[symbol].last_price() or info.mid
    notional = quote_qty if quote_qty is not None else reference * (quantity or 0)
    if notional < info.min_notional:  # applyMinToMarket: true
        raise EmulatorError(400, -1013, "Filter failure: NOTIONAL")
    if info.max_notional and notional > info.max_notional and (type_ != "MARKET" or info.apply_max_to_market):
        raise EmulatorError(400, -1013, "Filter failure: NOTIONAL")
    return {
        "symbol": symbol,
        "side": side,
        "type": type_,
        "tif": tif or "GTC",
        "price": price or Decimal(0),
        "quantity": quantity or Decimal(0),
        "quote_qty": quote_qty or Decimal(0),
        "client_id": client_id,
        "stop_price": stop_price or Decimal(0),
        "trailing_delta": trailing_delta or 0,
        "iceberg_qty": iceberg_qty or Decimal(0),
        "peg": peg,
        "stp_mode": _stp_mode(req),
        "strategy": req.strategy(),
    }


def _price_passes(info: SymbolInfo, price: Decimal) -> bool:
    """PRICE_FILTER for a price or stop price: minPrice, maxPrice and tickSize, each off at 0."""
    return (
        (not info.min_price or price >= info.min_price)
        and (not info.max_price or price <= info.max_price)
        and (not info.tick_size or price % info.tick_size == 0)
    )


def _stp_mode(req: Request) -> str | None:
    mode = req.text("selfTradePreventionMode")
    if mode is not None and mode not in ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"):
        raise EmulatorError(400, -1013, "This symbol does not allow the specified self-trade prevention mode.")
    return mode


def commission_weight(params: dict[str, Any]) -> int:
    """order.test / sor.order.test: 20 with computeCommissionRates=true, else 1."""
    value = params.get("computeCommissionRates")
    return 20 if value is True or (isinstance(value, str) and value.lower() == "true") else 1


@method("order.test", security="TRADE", weight=commission_weight)
def order_test(req: Request) -> dict[str, Any]:
    req.known(*ORDER_PARAMS, "computeCommissionRates")
    validate_order(req)
    return commission_for_order(req, special=True)


def commission_for_order(req: Request, *, special: bool) -> dict[str, Any]:
    """The test-order answer: `{}`, or the rates with computeCommissionRates=true."""
    if not req.flag("computeCommissionRates"):
        return {}
    zero = {"maker": "0.00000000", "taker": "0.00000000"}
    rates: dict[str, Any] = {
        "standardCommissionForOrder": {"maker": fmt(MAKER_COMMISSION), "taker": fmt(TAKER_COMMISSION)}
    }
    if special:  # sor.order.test does not report special commission
        rates["specialCommissionForOrder"] = zero
    rates["taxCommissionForOrder"] = zero
    rates["discount"] = {
        "enabledForAccount": False,
        "enabledForSymbol": False,
        "discountAsset": "BNB",
        "discount": "0.25000000",
    }
    return rates


@method("order.place", security="TRADE", weight=1, orders=1, free_on_success=True)
def order_place(req: Request) -> dict[str, Any]:
    req.known(*ORDER_PARAMS)
    order, fills = place_order(req, validate_order(req))
    default = "FULL" if order.type in ("LIMIT", "MARKET") else "ACK"
    return order_report(order, fills, req.text("newOrderRespType") or default)


def place_order(req: Request, args: dict[str, Any], *, used_sor: bool = False) -> tuple[Order, list[Any]]:
    """Place a validated order (`validate_order`'s arguments) for the request's account."""
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
        strategy=args["strategy"],
        used_sor=used_sor,
    )


def order_ref(req: Request) -> tuple[int | None, str | None]:
    order_id = req.integer("orderId")
    client_id = req.text("origClientOrderId")
    if order_id is None and client_id is None:
        raise EmulatorError(
            400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
        )
    return order_id, client_id


@method("order.status", security="USER_DATA", weight=4)
def order_status(req: Request) -> dict[str, Any]:
    req.known("symbol", "orderId", "origClientOrderId")
    symbol = req.symbol()
    order_id, client_id = order_ref(req)
    assert req.account is not None
    order = req.exchange.find(req.account, symbol, order_id, client_id)
    if order is None:
        raise EmulatorError(400, -2013, "Order does not exist.")
    return query_report(order)


@method("order.cancel", security="TRADE", weight=1, free_on_success=True)
def order_cancel(req: Request) -> dict[str, Any]:
    req.known("symbol", "orderId", "origClientOrderId", "newClientOrderId", "cancelRestrictions")
    symbol = req.symbol()
    order_id, client_id = order_ref(req)
    restriction = req.enum(
        "cancelRestrictions", ("ONLY_NEW", "ONLY_PARTIALLY_FILLED"), -1145, "Invalid cancelRestrictions"
    )
    assert req.account is not None
    found = req.exchange.find(req.account, symbol, order_id, client_id)
    if found is not None and restriction is not None and found.status != restriction.removeprefix("ONLY_"):
        raise EmulatorError(400, -2011, "Order was not canceled due to cancel restrictions.")
    cancel_id = req.text("newClientOrderId") or req.exchange.new_client_order_id()
    if found is not None and found.order_list_id != -1 and (found.is_open or found.status == "PENDING_NEW"):
        # Cancelling one leg cancels the whole list: the answer is the list.
        return cancel_list_report(req, found.order_list_id, cancel_id)
    order = req.exchange.cancel(req.account, symbol, order_id, client_id, cancel_id=cancel_id)
    return cancel_report(order, cancel_id)


def cancel_order(
    req: Request, symbol: str, order_id: int | None, client_id: str | None, new_id: str | None
) -> dict[str, Any]:
    assert req.account is not None
    cancel_id = new_id or req.exchange.new_client_order_id()
    order = req.exchange.cancel(req.account, symbol, order_id, client_id, cancel_id=cancel_id)
    return cancel_report(order, cancel_id)


@method("openOrders.status", security="USER_DATA", weight=lambda p: 6 if "symbol" in p else 80)
def open_orders_status(req: Request) -> list[dict[str, Any]]:
    req.known("symbol")
    symbol = req.symbol() if "symbol" in req.params else None
    assert req.account is not None
    return [query_report(o) for o in req.exchange.open_orders(req.account, symbol)]


@method("order.cancelReplace", security="TRADE", weight=1, orders=1, free_on_success=True)
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
    args = validate_order(req)
    cancel_new_id = req.text("cancelNewClientOrderId")
    try:
        cancel: dict[str, Any] = cancel_order(req, args["symbol"], order_id, client_id, cancel_new_id)
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
        order, fills = place_order(req, args)
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
    order_id, client_id = order_ref(req)
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
    previous = order.client_order_id
    execution_id = req.exchange.amend(order, new_qty, new_id or req.exchange.new_client_order_id())
    now = order.update_ms
    return {
        "transactTime": now,
        "executionId": execution_id,
        "amendedOrder": {
            "symbol": symbol,
            "orderId": order.order_id,
            "orderListId": order.order_list_id,
            "origClientOrderId": previous,
            "clientOrderId": order.client_order_id,
            "price": fmt(order.reported_price),
            "qty": fmt(order.orig_qty),
            "executedQty": fmt(order.executed_qty),
            "preventedQty": fmt(order.prevented_qty),
            "quoteOrderQty": fmt(order.quote_order_qty),
            "cumulativeQuoteQty": fmt(order.cumulative_quote_qty),
            "status": order.status,
            "timeInForce": order.time_in_force,
            "type": order.type,
            "side": order.side,
            "workingTime": order.working_ms,
            "selfTradePreventionMode": order.stp_mode,
            **({"stopPrice": fmt(order.stop_price)} if order.stop_price else {}),
            **({"icebergQty": fmt(order.iceberg_qty)} if order.iceberg_qty else {}),
            **conditional_fields(order),
            **({"usedSor": True, "workingFloor": "SOR"} if order.used_sor else {}),
        },
    }


@method("openOrders.cancelAll", security="TRADE", weight=1, free_on_success=True)
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
            replies.append(cancel_order(req, symbol, order.order_id, None, None))
        elif order.order_list_id not in lists_done:
            lists_done.add(order.order_list_id)
            replies.append(cancel_list_report(req, order.order_list_id, req.exchange.new_client_order_id()))
    return replies


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
    if req.params.get("type") == "MARKET":
        for name in ("timeInForce", "price"):  # for LIMIT orders only
            if name in req.params:
                raise EmulatorError.not_required(name)
    return validate_order(req)


@method("sor.order.place", security="TRADE", weight=1, orders=1, free_on_success=True)
def sor_order_place(req: Request) -> list[dict[str, Any]]:
    req.known(*SOR_PARAMS)
    order, fills = place_order(req, _sor_args(req), used_sor=True)
    report = order_report(order, fills, req.text("newOrderRespType") or "FULL")
    report.update({"workingFloor": "SOR", "usedSor": True})
    return [report]


@method("sor.order.test", security="TRADE", weight=commission_weight)
def sor_order_test(req: Request) -> dict[str, Any]:
    req.known(*SOR_PARAMS, "computeCommissionRates")
    _sor_args(req)
    return commission_for_order(req, special=False)
