"""The account: balances and commissions, and its history (orders, trades, prevented
matches, allocations, amendments, order-count usage, filters)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from ..accounts import MAKER_COMMISSION, TAKER_COMMISSION
from ..errors import EmulatorError
from .base import Request, check_span, fmt, limit_param, method
from .reports import query_report


@method("account.status", security="USER_DATA", weight=20)
def account_status(req: Request) -> dict[str, Any]:
    req.known("omitZeroBalances")
    assert req.account is not None
    account = req.exchange.account(req.account)
    omit = req.flag("omitZeroBalances")
    now = req.exchange.now_ms()
    return {
        "makerCommission": int(MAKER_COMMISSION * 10_000),  # in 0.01 %
        "takerCommission": int(TAKER_COMMISSION * 10_000),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "commissionRates": {
            "maker": fmt(MAKER_COMMISSION),
            "taker": fmt(TAKER_COMMISSION),
            "buyer": "0.00000000",
            "seller": "0.00000000",
        },
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": now,
        "accountType": "SPOT",
        "balances": [
            {"asset": asset, "free": fmt(free), "locked": fmt(locked)}
            for asset, (free, locked) in sorted(account.balances.items())
            if not (omit and free == 0 and locked == 0)
        ],
        "permissions": ["SPOT"],
        "uid": account_uid(req.account),
    }


def account_uid(account: str) -> int:
    """A stable number per account name (the same in every run, unlike the salted `hash()`)."""
    return int.from_bytes(hashlib.sha256(account.encode()).digest()[:8], "big") % 10**9


@method("allOrders", security="USER_DATA", weight=20)
def all_orders(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "orderId", "startTime", "endTime", "limit")
    symbol = req.symbol()
    start, end = req.integer("startTime"), req.integer("endTime")
    check_span(start, end)
    from_id = req.integer("orderId")
    if start is not None or end is not None:
        from_id = None  # the docs: with a time range, orderId is ignored
    assert req.account is not None
    rows = [
        o
        for o in req.exchange.index.of_account(req.account)
        if o.symbol == symbol
        and (from_id is None or o.order_id >= from_id)
        and (start is None or o.update_ms >= start)
        and (end is None or o.update_ms <= end)
    ]
    return [query_report(o) for o in _page(rows, limit_param(req), forward=from_id is not None or start is not None)]


def _page(rows: list[Any], limit: int, *, forward: bool) -> list[Any]:
    """From a starting id or time: the first `limit`; otherwise the most recent `limit`."""
    return rows[:limit] if forward else rows[-limit:]


@method("myTrades", security="USER_DATA", weight=lambda p: 5 if "orderId" in p else 20)
def my_trades(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "orderId", "startTime", "endTime", "fromId", "limit")
    symbol = req.symbol()
    order_id, start, end = req.integer("orderId"), req.integer("startTime"), req.integer("endTime")
    from_id = req.integer("fromId")
    if (order_id is not None or from_id is not None) and (start is not None or end is not None):
        raise EmulatorError(400, -1128, "Combination of optional parameters invalid.")
    check_span(start, end)
    rows = [
        t
        for t in req.exchange.account_trades
        if t["account"] == req.account
        and t["symbol"] == symbol
        and (from_id is None or t["id"] >= from_id)
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
            "price": fmt(t["price"]),
            "qty": fmt(t["qty"]),
            "quoteQty": fmt(t["quoteQty"]),
            "commission": fmt(t["commission"]),
            "commissionAsset": t["commissionAsset"],
            "time": t["time"],
            "isBuyer": t["isBuyer"],
            "isMaker": t["isMaker"],
            "isBestMatch": True,
        }
        for t in _page(rows, limit_param(req), forward=from_id is not None or start is not None)
    ]


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
    return [{k: (fmt(v) if isinstance(v, Decimal) else v) for k, v in r.items() if k != "account"} for r in rows][
        : limit_param(req)
    ]


@method("myAllocations", security="USER_DATA", weight=20)
def my_allocations(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "startTime", "endTime", "fromAllocationId", "limit", "orderId")
    symbol = req.symbol()
    start, end = req.integer("startTime"), req.integer("endTime")
    from_id, order_id = req.integer("fromAllocationId"), req.integer("orderId")
    check_span(start, end)
    rows = [
        a
        for a in req.exchange.allocations
        if a["account"] == req.account
        and a["symbol"] == symbol
        and (from_id is None or a["allocationId"] >= from_id)
        and (order_id is None or a["orderId"] == order_id)
        and (start is None or a["time"] >= start)
        and (end is None or a["time"] <= end)
    ]
    # Oldest first; with only an endTime, the newest ones until it (the docs' combinations).
    newest = end is not None and start is None and from_id is None and order_id is None
    return [
        {k: (fmt(v) if isinstance(v, Decimal) else v) for k, v in a.items() if k != "account"}
        for a in _page(rows, limit_param(req), forward=not newest)
    ]


@method("account.commission", security="USER_DATA", weight=20)
def account_commission(req: Request) -> dict[str, Any]:
    req.known("symbol")
    rates = {
        "maker": fmt(MAKER_COMMISSION),
        "taker": fmt(TAKER_COMMISSION),
        "buyer": "0.00000000",
        "seller": "0.00000000",
    }
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
    ][: limit_param(req)]


@method("myFilters", security="USER_DATA", weight=40)
def my_filters(req: Request) -> dict[str, Any]:
    req.known("symbol")
    symbol = req.symbol()
    return {
        "exchangeFilters": [],
        "symbolFilters": req.exchange.symbols[symbol].exchange_info()["filters"],
        "assetFilters": [{"filterType": "MAX_ASSET", "asset": "USDT", "limit": "1000000.00000000"}],
    }
