"""What each WebSocket API method is called with, from the seeded `World`, and what its result must hold.

Parameters are in wire names with Python values (Decimal for prices and quantities); each
client's adapter turns them into that client's own arguments. Checks take the result in its
wire shape (the JSON `result`, as dicts and lists), so one check serves every client that
returns it: binance-sdk-spot (`model.to_dict()`), python-binance (the raw dict) and this
project's SDK (`msgspec.to_builtins` of the typed result). A check asserts the values that
prove the call did what it says, not only that something came back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from world import RESTING_PRICE, RESTING_QTY, SYMBOL, World

Params = Callable[[World], dict[str, Any]]
Check = Callable[[Any, World], None]


@dataclass(frozen=True)
class Scenario:
    method: str
    params: Params
    check: Check
    signed: bool = False  # needs a key: runs once per key type
    extra: dict[str, Any] = field(default_factory=dict)


def d(value: Any) -> Decimal:
    return Decimal(str(value))


def _ids(rows: Any, key: str = "orderId") -> set[int]:
    return {int(row[key]) for row in rows}


def _order(result: Any, world: World, *, order_id: int, status: str) -> None:
    assert result["symbol"] == SYMBOL, result
    assert int(result["orderId"]) == order_id, result
    assert result["status"] == status, result


def _new_limit(result: Any, *, price: Decimal, qty: Decimal, side: str = "BUY") -> None:
    assert result["symbol"] == SYMBOL and result["side"] == side and result["type"] == "LIMIT", result
    assert result["status"] == "NEW" and int(result["orderId"]) > 0, result
    assert d(result["price"]) == price and d(result["origQty"]) == qty, result


def _klines(rows: Any, world: World) -> None:
    assert rows and len(rows) <= 5, rows
    for row in rows:
        assert len(row) == 12 and int(row[0]) < int(row[6]), row
        assert d(row[3]) <= d(row[1]) <= d(row[2]) and d(row[3]) <= d(row[4]) <= d(row[2]), (
            row
        )  # low <= open/close <= high


def _trades(rows: Any, world: World) -> None:
    assert rows and len(rows) <= 5, rows
    for row in rows:
        assert (
            int(row["id"]) > 0 and d(row["price"]) > 0 and d(row["qty"]) > 0 and isinstance(row["isBuyerMaker"], bool)
        )


def _ticker_24hr(rows: Any, world: World) -> None:
    assert sorted(r["symbol"] for r in rows) == ["BTCUSDT", "ETHUSDT"], rows
    btc = next(r for r in rows if r["symbol"] == SYMBOL)
    assert d(btc["lastPrice"]) > 0 and d(btc["highPrice"]) >= d(btc["lowPrice"]) > 0 and int(btc["count"]) > 0, btc


def _exchange_info(result: Any, world: World) -> None:
    assert sorted(s["symbol"] for s in result["symbols"]) == ["BTCUSDT", "ETHUSDT"], [
        s["symbol"] for s in result["symbols"]
    ]
    btc = next(s for s in result["symbols"] if s["symbol"] == SYMBOL)
    assert btc["status"] == "TRADING" and btc["baseAsset"] == "BTC" and btc["quoteAsset"] == "USDT", btc
    assert {f["filterType"] for f in btc["filters"]} >= {"PRICE_FILTER", "LOT_SIZE"}, btc["filters"]
    assert any(limit["rateLimitType"] == "REQUEST_WEIGHT" for limit in result["rateLimits"]), result["rateLimits"]


def _account(result: Any, world: World) -> None:
    balances = {b["asset"]: d(b["free"]) + d(b["locked"]) for b in result["balances"]}
    assert balances.get("BTC", 0) > 0 and balances.get("USDT", 0) > 0, balances
    assert "BNB" not in balances and all(total > 0 for total in balances.values()), (
        f"omitZeroBalances=true, yet zero balances came back: {balances}"
    )
    assert result["canTrade"] is True and result["accountType"] == "SPOT", result


def _cancel_replace(result: Any, world: World) -> None:
    assert result["cancelResult"] == "SUCCESS" and result["newOrderResult"] == "SUCCESS", result
    _order(result["cancelResponse"], world, order_id=world.resting_id, status="CANCELED")
    _new_limit(result["newOrderResponse"], price=Decimal("45100"), qty=RESTING_QTY)


def _cancel_all(rows: Any, world: World) -> None:
    singles = [r for r in rows if "orderListId" not in r or int(r.get("orderListId", -1)) == -1]
    lists = [r for r in rows if "listOrderStatus" in r]
    assert world.resting_id in _ids(singles), rows
    assert all(r["status"] == "CANCELED" for r in singles), rows
    assert [int(r["orderListId"]) for r in lists] == [world.oco_list_id], rows  # one entry per order list
    assert lists[0]["listOrderStatus"] == "ALL_DONE", lists


def _list(result: Any, *, kind: str, orders: int, status: str = "EXECUTING") -> None:
    assert result["contingencyType"] == kind and result["listOrderStatus"] == status, result
    assert int(result["orderListId"]) > 0 and result["symbol"] == SYMBOL, result
    assert len(result["orders"]) == orders and len(result["orderReports"]) == orders, result
    assert all(r["symbol"] == SYMBOL and r["status"] in ("NEW", "PENDING_NEW") for r in result["orderReports"]), result


def _order_test(result: Any, world: World) -> None:
    assert d(result["standardCommissionForOrder"]["maker"]) >= 0, result  # sent with computeCommissionRates=true
    assert "taxCommissionForOrder" in result and "discount" in result, result


def _sor(rows: Any, world: World) -> None:
    (order,) = rows
    assert order["symbol"] == SYMBOL and order["status"] == "FILLED" and order["usedSor"] is True, order
    assert d(order["executedQty"]) == Decimal("0.001") and order["workingFloor"] == "SOR", order


def _sor_test(result: Any, world: World) -> None:
    assert d(result["standardCommissionForOrder"]["taker"]) >= 0 and "discount" in result, result


SCENARIOS: dict[str, Scenario] = {
    s.method: s
    for s in [
        # -- market data and general ------------------------------------------------------
        Scenario("ping", lambda w: {}, lambda r, w: _assert(r == {}, r)),
        Scenario("time", lambda w: {}, lambda r, w: _assert(int(r["serverTime"]) > 1_600_000_000_000, r)),
        Scenario("exchangeInfo", lambda w: {"symbols": ["BTCUSDT", "ETHUSDT"]}, _exchange_info),
        Scenario(
            "depth",
            lambda w: {"symbol": SYMBOL, "limit": 5},
            lambda r, w: _assert(
                len(r["bids"]) == 5 == len(r["asks"])
                and d(r["bids"][0][0]) < d(r["asks"][0][0])
                and r["lastUpdateId"] > 0,
                r,
            ),
        ),
        Scenario("trades.recent", lambda w: {"symbol": SYMBOL, "limit": 5}, _trades),
        Scenario("trades.historical", lambda w: {"symbol": SYMBOL, "limit": 5}, _trades),
        Scenario(
            "trades.aggregate",
            lambda w: {"symbol": SYMBOL, "limit": 5},
            lambda r, w: _assert(r and all(int(t["a"]) >= 0 and d(t["p"]) > 0 and d(t["q"]) > 0 for t in r), r),
        ),
        Scenario("klines", lambda w: {"symbol": SYMBOL, "interval": "1m", "limit": 5}, _klines),
        Scenario("uiKlines", lambda w: {"symbol": SYMBOL, "interval": "1m", "limit": 5}, _klines),
        Scenario(
            "avgPrice",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(int(r["mins"]) > 0 and Decimal(40000) < d(r["price"]) < Decimal(60000), r),
        ),
        Scenario("ticker.24hr", lambda w: {"symbols": ["BTCUSDT", "ETHUSDT"]}, _ticker_24hr),
        Scenario(
            "ticker.tradingDay",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(r["symbol"] == SYMBOL and d(r["lastPrice"]) > 0 and int(r["count"]) > 0, r),
        ),
        Scenario(
            "ticker",
            lambda w: {"symbol": SYMBOL, "windowSize": "1h"},
            lambda r, w: _assert(r["symbol"] == SYMBOL and d(r["lastPrice"]) > 0 and int(r["count"]) > 0, r),
        ),
        Scenario(
            "ticker.price",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(r["symbol"] == SYMBOL and Decimal(40000) < d(r["price"]) < Decimal(60000), r),
        ),
        Scenario(
            "ticker.book",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(r["symbol"] == SYMBOL and 0 < d(r["bidPrice"]) < d(r["askPrice"]), r),
        ),
        Scenario(
            "referencePrice",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(r["symbol"] == SYMBOL and d(r["referencePrice"]) > 0 and int(r["timestamp"]) > 0, r),
        ),
        Scenario(
            "referencePrice.calculation",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(r["symbol"] == SYMBOL and r["calculationType"] and int(r["bucketCount"]) > 0, r),
        ),
        Scenario(
            "executionRules",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(any(s["symbol"] == SYMBOL and s["rules"] for s in r["symbolRules"]), r),
        ),
        Scenario(
            "blockTrades.historical",
            lambda w: {"symbol": SYMBOL, "fromId": 1, "limit": 5},
            # Block trades are arranged off the book; the local exchange has none, so the answer is an empty list.
            lambda r, w: _assert(r == [], r),
        ),
        # -- account and history ----------------------------------------------------------
        Scenario("account.status", lambda w: {"omitZeroBalances": True}, _account, signed=True),
        Scenario(
            "account.commission",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(
                r["symbol"] == SYMBOL and d(r["standardCommission"]["maker"]) >= 0 and "discount" in r, r
            ),
            signed=True,
        ),
        Scenario(
            "account.rateLimits.orders",
            lambda w: {},
            lambda r, w: _assert(
                {x["interval"] for x in r if x["rateLimitType"] == "ORDERS"} == {"SECOND", "DAY"}
                and all(int(x["count"]) >= 1 for x in r),  # the seeding placed orders
                r,
            ),
            signed=True,
        ),
        Scenario(
            "order.status",
            lambda w: {"symbol": SYMBOL, "orderId": w.resting_id},
            lambda r, w: (
                _order(r, w, order_id=w.resting_id, status="NEW"),
                _new_limit(r, price=RESTING_PRICE, qty=RESTING_QTY),
                _assert(r["clientOrderId"] == w.resting_client_id, r),
            ),
            signed=True,
        ),
        Scenario(
            "openOrders.status",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(
                {w.resting_id, w.amended_id, *w.oco_order_ids} <= _ids(r) and w.filled_id not in _ids(r), r
            ),
            signed=True,
        ),
        Scenario(
            "allOrders",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(
                {w.resting_id, w.filled_id, w.amended_id} <= _ids(r)
                and next(o for o in r if int(o["orderId"]) == w.filled_id)["status"] == "FILLED",
                r,
            ),
            signed=True,
        ),
        Scenario(
            "myTrades",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(
                w.filled_id in _ids(r)
                and all(t["symbol"] == SYMBOL and d(t["qty"]) > 0 and t["isBuyer"] is True for t in r),
                r,
            ),
            signed=True,
        ),
        Scenario(
            "myPreventedMatches",
            lambda w: {"symbol": SYMBOL, "orderId": w.prevented_taker_id},
            lambda r, w: _assert(
                [int(m["preventedMatchId"]) for m in r] == [w.prevented_match_id]
                and int(r[0]["takerOrderId"]) == w.prevented_taker_id
                and r[0]["selfTradePreventionMode"] == "EXPIRE_TAKER",
                r,
            ),
            signed=True,
        ),
        Scenario(
            "myAllocations",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(
                w.sor_id in _ids(r) and all(d(a["qty"]) > 0 and a["allocationType"] == "SOR" for a in r), r
            ),
            signed=True,
        ),
        Scenario(
            "myFilters",
            lambda w: {"symbol": SYMBOL},
            lambda r, w: _assert(
                {"exchangeFilters", "symbolFilters", "assetFilters"} <= set(r)
                and any(f["filterType"] == "PRICE_FILTER" for f in r["symbolFilters"]),
                r,
            ),
            signed=True,
        ),
        Scenario(
            "order.amendments",
            lambda w: {"symbol": SYMBOL, "orderId": w.amended_id},
            lambda r, w: _assert(
                len(r) == 1
                and int(r[0]["orderId"]) == w.amended_id
                and d(r[0]["origQty"]) == RESTING_QTY
                and d(r[0]["newQty"]) == Decimal("0.001"),
                r,
            ),
            signed=True,
        ),
        Scenario(
            "allOrderLists",
            lambda w: {},
            lambda r, w: _assert(w.oco_list_id in _ids(r, "orderListId"), r),
            signed=True,
        ),
        Scenario(
            "openOrderLists.status",
            lambda w: {},
            lambda r, w: _assert(
                [int(x["orderListId"]) for x in r] == [w.oco_list_id] and r[0]["listOrderStatus"] == "EXECUTING", r
            ),
            signed=True,
        ),
        Scenario(
            "orderList.status",
            lambda w: {"orderListId": w.oco_list_id},
            lambda r, w: _assert(
                int(r["orderListId"]) == w.oco_list_id
                and r["contingencyType"] == "OCO"
                and _ids(r["orders"]) == set(w.oco_order_ids),
                r,
            ),
            signed=True,
        ),
        # -- trading ----------------------------------------------------------------------
        Scenario(
            "order.test",
            lambda w: {
                "symbol": SYMBOL,
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "price": Decimal("45000"),
                "quantity": Decimal("0.001"),
                "computeCommissionRates": True,
            },
            _order_test,
            signed=True,
        ),
        Scenario(
            "order.place",
            lambda w: {
                "symbol": SYMBOL,
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "price": Decimal("45500"),
                "quantity": Decimal("0.001"),
                "newClientOrderId": "conformance-new-1",
            },
            lambda r, w: (
                _new_limit(r, price=Decimal("45500"), qty=Decimal("0.001")),
                _assert(r["clientOrderId"] == "conformance-new-1", r),
            ),
            signed=True,
        ),
        Scenario(
            "order.cancel",
            lambda w: {"symbol": SYMBOL, "orderId": w.resting_id},
            lambda r, w: (
                _order(r, w, order_id=w.resting_id, status="CANCELED"),
                _assert(r["origClientOrderId"] == w.resting_client_id and d(r["origQty"]) == RESTING_QTY, r),
            ),
            signed=True,
        ),
        Scenario(
            "order.cancelReplace",
            lambda w: {
                "symbol": SYMBOL,
                "cancelReplaceMode": "STOP_ON_FAILURE",
                "cancelOrderId": w.resting_id,
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "price": Decimal("45100"),
                "quantity": RESTING_QTY,
            },
            _cancel_replace,
            signed=True,
        ),
        Scenario(
            "order.amend.keepPriority",
            lambda w: {"symbol": SYMBOL, "orderId": w.resting_id, "newQty": Decimal("0.001")},
            lambda r, w: _assert(
                int(r["amendedOrder"]["orderId"]) == w.resting_id
                and d(r["amendedOrder"]["qty"]) == Decimal("0.001")
                and r["amendedOrder"]["status"] == "NEW",
                r,
            ),
            signed=True,
        ),
        Scenario("openOrders.cancelAll", lambda w: {"symbol": SYMBOL}, _cancel_all, signed=True),
        Scenario(
            "orderList.place",
            lambda w: {
                "symbol": SYMBOL,
                "newOrderRespType": "RESULT",
                "side": "SELL",
                "quantity": Decimal("0.001"),
                "price": Decimal("61000"),
                "stopPrice": Decimal("39000"),
            },
            lambda r, w: _list(r, kind="OCO", orders=2),
            signed=True,
        ),
        Scenario(
            "orderList.place.oco",
            lambda w: {
                "symbol": SYMBOL,
                "newOrderRespType": "RESULT",
                "side": "SELL",
                "quantity": Decimal("0.001"),
                "aboveType": "LIMIT_MAKER",
                "abovePrice": Decimal("61000"),
                "belowType": "STOP_LOSS",
                "belowStopPrice": Decimal("39000"),
            },
            lambda r, w: _list(r, kind="OCO", orders=2),
            signed=True,
        ),
        Scenario(
            "orderList.place.oto",
            lambda w: {
                "symbol": SYMBOL,
                "newOrderRespType": "RESULT",
                "workingType": "LIMIT",
                "workingSide": "BUY",
                "workingPrice": Decimal("45000"),
                "workingQuantity": Decimal("0.001"),
                "workingTimeInForce": "GTC",
                "pendingType": "LIMIT_MAKER",
                "pendingSide": "SELL",
                "pendingPrice": Decimal("60000"),
                "pendingQuantity": Decimal("0.001"),
            },
            lambda r, w: _list(r, kind="OTO", orders=2),
            signed=True,
        ),
        Scenario(
            "orderList.place.otoco",
            lambda w: {
                "symbol": SYMBOL,
                "newOrderRespType": "RESULT",
                "workingType": "LIMIT",
                "workingSide": "BUY",
                "workingPrice": Decimal("45000"),
                "workingQuantity": Decimal("0.001"),
                "workingTimeInForce": "GTC",
                "pendingSide": "SELL",
                "pendingQuantity": Decimal("0.001"),
                "pendingAboveType": "LIMIT_MAKER",
                "pendingAbovePrice": Decimal("61000"),
                "pendingBelowType": "STOP_LOSS",
                "pendingBelowStopPrice": Decimal("39000"),
            },
            lambda r, w: _list(r, kind="OTO", orders=3),
            signed=True,
        ),
        Scenario(
            "orderList.place.opo",
            lambda w: {
                "symbol": SYMBOL,
                "newOrderRespType": "RESULT",
                "workingType": "LIMIT",
                "workingSide": "BUY",
                "workingPrice": Decimal("45000"),
                "workingQuantity": Decimal("0.001"),
                "workingTimeInForce": "GTC",
                "pendingType": "LIMIT_MAKER",
                "pendingSide": "SELL",
                "pendingPrice": Decimal("60000"),
            },
            lambda r, w: _list(r, kind="OTO", orders=2),
            signed=True,
        ),
        Scenario(
            "orderList.place.opoco",
            lambda w: {
                "symbol": SYMBOL,
                "newOrderRespType": "RESULT",
                "workingType": "LIMIT",
                "workingSide": "BUY",
                "workingPrice": Decimal("45000"),
                "workingQuantity": Decimal("0.001"),
                "workingTimeInForce": "GTC",
                "pendingSide": "SELL",
                "pendingAboveType": "LIMIT_MAKER",
                "pendingAbovePrice": Decimal("61000"),
                "pendingBelowType": "STOP_LOSS",
                "pendingBelowStopPrice": Decimal("39000"),
            },
            lambda r, w: _list(r, kind="OTO", orders=3),
            signed=True,
        ),
        Scenario(
            "orderList.cancel",
            lambda w: {"symbol": SYMBOL, "orderListId": w.oco_list_id},
            lambda r, w: _assert(
                int(r["orderListId"]) == w.oco_list_id
                and r["listOrderStatus"] == "ALL_DONE"
                and _ids(r["orderReports"]) == set(w.oco_order_ids)
                and all(x["status"] == "CANCELED" for x in r["orderReports"]),
                r,
            ),
            signed=True,
        ),
        Scenario(
            "sor.order.place",
            lambda w: {"symbol": SYMBOL, "side": "BUY", "type": "MARKET", "quantity": Decimal("0.001")},
            _sor,
            signed=True,
        ),
        Scenario(
            "sor.order.test",
            lambda w: {
                "symbol": SYMBOL,
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "price": Decimal("45000"),
                "quantity": Decimal("0.001"),
                "computeCommissionRates": True,
            },
            _sor_test,
            signed=True,
        ),
    ]
}

#: Methods that need a flow of their own (logon, subscriptions): each client's test file covers them.
FLOWS = (
    "session.logon",
    "session.status",
    "session.logout",
    "session.subscriptions",
    "userDataStream.subscribe",
    "userDataStream.subscribe.signature",
    "userDataStream.unsubscribe",
)


def _assert(condition: Any, detail: Any) -> None:
    assert condition, detail
