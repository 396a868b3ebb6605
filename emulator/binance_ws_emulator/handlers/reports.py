"""The shapes of order answers: placement (ACK/RESULT/FULL), query, cancel, order list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..book import Order
from .base import fmt


def order_report(order: Order, fills: list[Any] | None, resp_type: str) -> dict[str, Any]:
    report: dict[str, Any] = {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": order.client_order_id,
        "transactTime": order.update_ms,
    }
    if resp_type == "ACK":
        return report
    report.update(
        {
            "price": fmt(order.reported_price),
            "origQty": fmt(order.orig_qty),
            "executedQty": fmt(order.executed_qty),
            "origQuoteOrderQty": fmt(order.quote_order_qty),
            "cummulativeQuoteQty": fmt(order.cumulative_quote_qty),
            "status": order.status,
            "timeInForce": order.time_in_force,
            "type": order.type,
            "side": order.side,
            "workingTime": order.working_ms,
            "selfTradePreventionMode": order.stp_mode,
        }
    )
    if order.expiry_reason:
        report["expiryReason"] = order.expiry_reason
    if order.stop_price:
        report["stopPrice"] = fmt(order.stop_price)
    if order.iceberg_qty:
        report["icebergQty"] = fmt(order.iceberg_qty)
    report.update(conditional_fields(order))
    if order.prevented_qty:
        report["preventedQuantity"] = fmt(order.prevented_qty)
    if resp_type == "FULL":
        report["fills"] = [fill_report(f) for f in fills or []]
        if order.prevented:
            report["preventedMatches"] = [
                {k: (fmt(v) if isinstance(v, Decimal) else v) for k, v in match.items()} for match in order.prevented
            ]
    return report


def fill_report(fill: Any) -> dict[str, Any]:
    """One entry of `fills`: a trade, or an allocation (SOR: tradeId -1, allocId)."""
    if fill.alloc_id is not None:
        return {
            "matchType": "ONE_PARTY_TRADE_REPORT",
            "price": fmt(fill.price),
            "qty": fmt(fill.qty),
            "commission": fmt(fill.commission),
            "commissionAsset": fill.commission_asset,
            "tradeId": -1,
            "allocId": fill.alloc_id,
        }
    return {
        "price": fmt(fill.price),
        "qty": fmt(fill.qty),
        "commission": fmt(fill.commission),
        "commissionAsset": fill.commission_asset,
        "tradeId": fill.trade_id,
    }


def query_report(order: Order) -> dict[str, Any]:
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": order.client_order_id,
        "price": fmt(order.reported_price),
        "origQty": fmt(order.orig_qty),
        "executedQty": fmt(order.executed_qty),
        "cummulativeQuoteQty": fmt(order.cumulative_quote_qty),
        "status": order.status,
        "timeInForce": order.time_in_force,
        "type": order.type,
        "side": order.side,
        "stopPrice": fmt(order.stop_price),
        "icebergQty": fmt(order.iceberg_qty),
        "time": order.created_ms,
        "updateTime": order.update_ms,
        "isWorking": order.is_open,
        "workingTime": order.working_ms,
        "origQuoteOrderQty": fmt(order.quote_order_qty),
        "selfTradePreventionMode": order.stp_mode,
        **conditional_fields(order),
        **({"usedSor": True, "workingFloor": "SOR"} if order.used_sor else {}),
    }


def conditional_fields(order: Order) -> dict[str, Any]:
    """The trailing-stop, strategy and peg fields of an order report (none for a plain order)."""
    fields: dict[str, Any] = {}
    if order.strategy_id is not None:
        fields["strategyId"] = order.strategy_id
    if order.strategy_type is not None:
        fields["strategyType"] = order.strategy_type
    if order.trailing_delta:
        fields.update(trailingDelta=order.trailing_delta, trailingTime=order.trailing_time)
    if not order.peg_price_type:
        return fields
    fields["pegPriceType"] = order.peg_price_type
    if order.peg_offset_type:
        fields.update(pegOffsetType=order.peg_offset_type, pegOffsetValue=order.peg_offset_value)
    if order.price:
        fields["peggedPrice"] = fmt(order.price)
    return fields


def cancel_report(order: Order, cancel_id: str) -> dict[str, Any]:
    """A cancel's answer: `origClientOrderId` is the order's id, `clientOrderId` the cancel's."""
    report = query_report(order)
    for key in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking", "workingTime"):
        report.pop(key, None)
    rest = {k: v for k, v in report.items() if k not in ("symbol", "clientOrderId")}
    return {
        "symbol": order.symbol,
        "origClientOrderId": order.client_order_id,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": cancel_id,
        **rest,
        "transactTime": order.update_ms,
    }


INTERNAL = frozenset({"account", "legs", "pending", "oco"})


def list_query(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in INTERNAL}
