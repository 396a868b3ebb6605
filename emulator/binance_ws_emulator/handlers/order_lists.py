"""Order lists (OCO, OTO, OTOCO, OPO, OPOCO): legs are orders, the exchange runs the contingencies."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..book import LIMIT_PRICED, STOP_TYPES
from ..errors import EmulatorError
from .base import Request, check_span, limit_param, method
from .pegs import peg_instructions
from .reports import cancel_report, list_query, order_report


def _leg(req: Request, prefix: str, side: str | None, quantity: Decimal | None) -> dict[str, Any]:
    def key(name: str) -> str:
        return prefix + name[0].upper() + name[1:] if prefix else name

    type_ = req.text(key("type"), required=True)
    _leg_mandatory(req, type_, key)
    tif = req.text(key("timeInForce")) or "GTC"
    return {
        **_strategy(req, prefix),
        "type": type_,
        "side": side or req.text(key("side"), required=True),
        "price": req.decimal(key("price")),
        "stop": req.decimal(key("stopPrice")),
        "trailing": req.integer(key("trailingDelta")) or 0,
        "qty": quantity if quantity is not None else req.decimal(key("quantity"), required=True),
        "tif": tif,
        "client_id": req.text(key("clientOrderId")),
        "peg": peg_instructions(req, str(type_), tif, key),
    }


def _leg_mandatory(req: Request, type_: str | None, key: Callable[[str], str]) -> None:
    """What the leg's type makes mandatory, as for a single order (`order.place`): timeInForce for
    the LIMIT types, a price (or a peg) for the priced ones, stopPrice or trailingDelta for stops."""
    given = req.params
    if type_ in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and key("timeInForce") not in given:
        raise EmulatorError.mandatory(key("timeInForce"))
    if type_ in LIMIT_PRICED and key("price") not in given and key("pegPriceType") not in given:
        raise EmulatorError.mandatory(key("price"))
    if type_ in STOP_TYPES and key("stopPrice") not in given and key("trailingDelta") not in given:
        raise EmulatorError.one_of(key("stopPrice"), key("trailingDelta"))


def _strategy(req: Request, prefix: str) -> dict[str, int | None]:
    strategy_id, strategy_type = req.strategy(prefix)
    return {"strategy_id": strategy_id, "strategy_type": strategy_type}


def _list_place(
    req: Request, contingency: str, legs: list[dict[str, Any]], pending_from: int, *, default: str = "RESULT"
) -> dict[str, Any]:
    """Place a list; without newOrderRespType the orderReports take `default`: FULL for the
    deprecated orderList.place (its parameter table), RESULT for the others (the shape of every
    example in the docs: no fills)."""
    assert req.account is not None
    symbol = req.symbol()
    record, results = req.exchange.place_list(
        req.account, symbol, contingency, legs, pending_from, req.text("listClientOrderId")
    )
    resp_type = req.enum(
        "newOrderRespType",
        ("ACK", "RESULT", "FULL"),
        -1100,
        "Illegal characters found in parameter 'newOrderRespType'.",
    )
    resp_type = resp_type or default
    return {**list_query(record), "orderReports": [order_report(order, fills, resp_type) for order, fills in results]}


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


@method("orderList.place", security="TRADE", weight=1, orders=2, free_on_success=True)
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
            **_strategy(req, "limit"),
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
            **_strategy(req, "stop"),
        },
    ]
    return _list_place(req, "OCO", legs, pending_from=2, default="FULL")


@method("orderList.place.oco", security="TRADE", weight=1, orders=2, free_on_success=True)
def order_list_place_oco(req: Request) -> dict[str, Any]:
    req.known(*LIST_COMMON, "side", "quantity", *_leg_params("above", "below"))
    side = req.enum("side", ("BUY", "SELL"), -1117, "Invalid side.", required=True)
    quantity = req.decimal("quantity", required=True)
    return _list_place(
        req, "OCO", [_leg(req, "above", side, quantity), _leg(req, "below", side, quantity)], pending_from=2
    )


@method("orderList.place.oto", security="TRADE", weight=1, orders=2, free_on_success=True)
def order_list_place_oto(req: Request) -> dict[str, Any]:
    req.known(*LIST_COMMON, *_leg_params("working", "pending"))
    return _list_place(req, "OTO", [_leg(req, "working", None, None), _leg(req, "pending", None, None)], pending_from=1)


@method("orderList.place.otoco", security="TRADE", weight=1, orders=3, free_on_success=True)
def order_list_place_otoco(req: Request) -> dict[str, Any]:
    req.known(*LIST_COMMON, *_leg_params("working", "pending", "pendingAbove", "pendingBelow"))
    side = req.text("pendingSide", required=True)
    quantity = req.decimal("pendingQuantity", required=True)
    legs = [_leg(req, "working", None, None), _leg(req, "pendingAbove", side, quantity)]
    if "pendingBelowType" in req.params:
        legs.append(_leg(req, "pendingBelow", side, quantity))
    return _list_place(req, "OTO", legs, pending_from=1)


@method("orderList.place.opo", security="TRADE", weight=1, orders=2, free_on_success=True)
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


@method("orderList.place.opoco", security="TRADE", weight=1, orders=3, free_on_success=True)
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


@method("orderList.cancel", security="TRADE", weight=1, free_on_success=True)
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


def cancel_list_report(req: Request, list_id: int, cancel_id: str) -> dict[str, Any]:
    """Cancel an order list: its status with one cancel report per leg."""
    assert req.account is not None
    legs = req.exchange.cancel_list(req.account, list_id, cancel_id)
    record = req.exchange.order_lists[list_id]
    hidden = ("account", "legs", "pending", "oco")
    return {
        **{k: v for k, v in record.items() if k not in hidden},
        "orderReports": [cancel_report(o, cancel_id) for o in legs],
    }


@method("orderList.status", security="USER_DATA", weight=4)
def order_list_status(req: Request) -> dict[str, Any]:
    req.known("origClientOrderId", "orderListId")
    list_id, client_id = req.integer("orderListId"), req.text("origClientOrderId")
    if list_id is None and client_id is None:
        raise EmulatorError(
            400, -1102, "Param 'origClientOrderId' or 'orderListId' must be sent, but both were empty/null!"
        )
    return list_query(_find_list(req, None if client_id else list_id, client_id))


@method("openOrderLists.status", security="USER_DATA", weight=6)
def open_order_lists(req: Request) -> list[dict[str, Any]]:
    req.known()
    return [
        list_query(r)
        for r in req.exchange.order_lists.values()
        if r["account"] == req.account and r["listOrderStatus"] == "EXECUTING"
    ]


@method("allOrderLists", security="USER_DATA", weight=20)
def all_order_lists(req: Request) -> list[dict[str, Any]]:
    req.known("fromId", "startTime", "endTime", "limit")
    check_span(req.integer("startTime"), req.integer("endTime"))
    from_id = req.integer("fromId") or 0
    return [
        list_query(r)
        for r in req.exchange.order_lists.values()
        if r["account"] == req.account and r["orderListId"] >= from_id
    ][: limit_param(req)]
