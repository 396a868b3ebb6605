"""Order identity over the socket: client order ids through cancel, replace, amend and order
lists, the cancel-all answer, and what the user-data stream says about each."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from binance_ws_emulator import Emulator
from tests.emulator._wire import error, limit_order, ok


async def subscribe(ws: ClientConnection) -> None:
    await ok(ws, "userDataStream.subscribe.signature", sign=True)


async def events(ws: ClientConnection, wanted: int) -> list[dict[str, Any]]:
    """The next `wanted` user-data events (responses in between are skipped)."""
    found: list[dict[str, Any]] = []
    while len(found) < wanted:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if "event" in frame:
            found.append(frame["event"])
    return found


async def event_where(ws: ClientConnection, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The next user-data event that is `wanted` (others are skipped)."""
    while True:
        [event] = await events(ws, 1)
        if wanted(event):
            return event


async def test_a_canceled_order_keeps_its_client_order_id(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws, connect(emulator.url) as stream:
        await subscribe(stream)
        placed = await ok(ws, "order.place", limit_order("BUY", "1000.00", newClientOrderId="original-1"), sign=True)
        await events(stream, 1)  # NEW
        canceled = await ok(
            ws,
            "order.cancel",
            {"symbol": "BTCUSDT", "origClientOrderId": "original-1", "newClientOrderId": "undo-1"},
            sign=True,
        )
        assert (canceled["origClientOrderId"], canceled["clientOrderId"], canceled["status"]) == (
            "original-1",
            "undo-1",
            "CANCELED",
        )
        report = next(e for e in await events(stream, 2) if e["e"] == "executionReport")
        assert (report["x"], report["c"], report["C"], report["i"]) == (
            "CANCELED",
            "undo-1",
            "original-1",
            placed["orderId"],
        )
        # reconciliation after a cancel whose answer was lost: the original id still finds the order
        status = await ok(ws, "order.status", {"symbol": "BTCUSDT", "origClientOrderId": "original-1"}, sign=True)
        assert (status["orderId"], status["clientOrderId"], status["status"]) == (
            placed["orderId"],
            "original-1",
            "CANCELED",
        )
        assert (await error(ws, "order.status", {"symbol": "BTCUSDT", "origClientOrderId": "undo-1"}, sign=True))[
            0
        ] == -2013
        both = {"symbol": "BTCUSDT", "orderId": placed["orderId"], "origClientOrderId": "original-1"}
        assert (await ok(ws, "order.status", both, sign=True))["status"] == "CANCELED"
        # without newClientOrderId the cancel gets a generated id, the order still keeps its own
        second = await ok(ws, "order.place", limit_order("BUY", "1000.00", newClientOrderId="original-2"), sign=True)
        canceled = await ok(ws, "order.cancel", {"symbol": "BTCUSDT", "orderId": second["orderId"]}, sign=True)
        assert canceled["origClientOrderId"] == "original-2" and canceled["clientOrderId"] not in ("", "original-2")
        status = await ok(ws, "order.status", {"symbol": "BTCUSDT", "origClientOrderId": "original-2"}, sign=True)
        assert status["orderId"] == second["orderId"]


async def test_cancel_replace_keeps_the_canceled_orders_id(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        await ok(ws, "order.place", limit_order("BUY", "1000.00", newClientOrderId="first"), sign=True)
        replace = {
            **limit_order("BUY", "1001.00", newClientOrderId="first"),  # the old id may be reused at once
            "cancelReplaceMode": "STOP_ON_FAILURE",
            "cancelOrigClientOrderId": "first",
            "cancelNewClientOrderId": "first-cancel",
        }
        result = await ok(ws, "order.cancelReplace", replace, sign=True)
        assert (result["cancelResponse"]["origClientOrderId"], result["cancelResponse"]["clientOrderId"]) == (
            "first",
            "first-cancel",
        )
        assert result["newOrderResponse"]["clientOrderId"] == "first"
        status = await ok(ws, "order.status", {"symbol": "BTCUSDT", "origClientOrderId": "first"}, sign=True)
        assert (status["orderId"], status["status"]) == (result["newOrderResponse"]["orderId"], "NEW")
        old = await ok(
            ws, "order.status", {"symbol": "BTCUSDT", "orderId": result["cancelResponse"]["orderId"]}, sign=True
        )
        assert (old["clientOrderId"], old["status"]) == ("first", "CANCELED")


OCO_SELL = {
    "symbol": "BTCUSDT",
    "side": "SELL",
    "quantity": "0.01",
    "aboveType": "LIMIT_MAKER",
    "abovePrice": "60000.00",
    "aboveClientOrderId": "oco-above",
    "belowType": "STOP_LOSS",
    "belowStopPrice": "40000.00",
    "belowClientOrderId": "oco-below",
    "listClientOrderId": "oco-list",
}


async def test_cancel_all_cancels_order_lists_too_one_entry_per_list(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        first = await ok(ws, "order.place", limit_order("BUY", "1000.00", newClientOrderId="plain-1"), sign=True)
        oco = await ok(ws, "orderList.place.oco", OCO_SELL, sign=True)
        second = await ok(ws, "order.place", limit_order("BUY", "1001.00", newClientOrderId="plain-2"), sign=True)
        other = {**limit_order("BUY", "100.00", qty="0.1"), "symbol": "ETHUSDT"}
        untouched = await ok(ws, "order.place", other, sign=True)
        replies = await ok(ws, "openOrders.cancelAll", {"symbol": "BTCUSDT"}, sign=True)
        plain = [r for r in replies if "orderListId" in r and "orderReports" not in r]
        lists = [r for r in replies if "orderReports" in r]
        assert len(replies) == 3
        assert [(r["orderId"], r["origClientOrderId"], r["status"]) for r in plain] == [
            (first["orderId"], "plain-1", "CANCELED"),
            (second["orderId"], "plain-2", "CANCELED"),
        ]
        [listed] = lists
        assert (listed["orderListId"], listed["listClientOrderId"]) == (oco["orderListId"], "oco-list")
        assert (listed["listStatusType"], listed["listOrderStatus"], listed["contingencyType"]) == (
            "ALL_DONE",
            "ALL_DONE",
            "OCO",
        )
        assert sorted((r["origClientOrderId"], r["status"]) for r in listed["orderReports"]) == [
            ("oco-above", "CANCELED"),
            ("oco-below", "CANCELED"),
        ]
        assert [o["clientOrderId"] for o in listed["orders"]] == ["oco-above", "oco-below"]
        open_now = await ok(ws, "openOrders.status", {}, sign=True)
        assert [o["orderId"] for o in open_now] == [untouched["orderId"]]
        assert await ok(ws, "openOrderLists.status", sign=True) == []
        assert (await error(ws, "openOrders.cancelAll", {"symbol": "BTCUSDT"}, sign=True))[0] == -2011


CLIENT_ID_PARAMS = [
    ("order.place", limit_order("BUY", "1000.00"), "newClientOrderId"),
    ("order.test", limit_order("BUY", "1000.00"), "newClientOrderId"),
    ("sor.order.test", limit_order("BUY", "1000.00"), "newClientOrderId"),
    ("order.cancel", {"symbol": "BTCUSDT", "orderId": 1}, "newClientOrderId"),
    ("order.cancel", {"symbol": "BTCUSDT"}, "origClientOrderId"),
    ("order.status", {"symbol": "BTCUSDT"}, "origClientOrderId"),
    ("order.amend.keepPriority", {"symbol": "BTCUSDT", "orderId": 1, "newQty": "0.001"}, "newClientOrderId"),
    (
        "order.cancelReplace",
        {**limit_order("BUY", "1000.00"), "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrderId": 1},
        "cancelNewClientOrderId",
    ),
    ("orderList.place.oco", OCO_SELL, "listClientOrderId"),
    ("orderList.place.oco", OCO_SELL, "aboveClientOrderId"),
    ("orderList.place.oco", OCO_SELL, "belowClientOrderId"),
    ("orderList.cancel", {"symbol": "BTCUSDT"}, "listClientOrderId"),
]


@pytest.mark.parametrize(("method", "params", "name"), CLIENT_ID_PARAMS)
async def test_client_order_ids_follow_the_rule_the_message_quotes(
    emulator: Emulator, method: str, params: dict[str, Any], name: str
) -> None:
    async with connect(emulator.url) as ws:
        for bad in ("with:colon", "with/slash", "with.dot", "x" * 37, "spa ce"):
            code, msg = await error(ws, method, {**params, name: bad}, sign=True)
            assert (code, msg) == (
                -1100,
                f"Illegal characters found in parameter '{name}'; legal range is '^[a-zA-Z0-9-_]{{1,36}}$'.",
            ), bad
    # every character the rule allows is accepted
    async with connect(emulator.url) as ws:
        good = "Az09-_" + "x" * 30
        placed = await ok(ws, "order.place", limit_order("BUY", "1000.00", newClientOrderId=good), sign=True)
        assert placed["clientOrderId"] == good


async def status_of(ws: ClientConnection, **ref: Any) -> Any:
    return await ok(ws, "order.status", {"symbol": "BTCUSDT", **ref}, sign=True)


async def test_client_order_id_lookups_through_every_change() -> None:
    async with Emulator(seed=1, orders_per_10s=10_000) as emulator, connect(emulator.url) as ws:
        a = await ok(ws, "order.place", limit_order("BUY", "1000.00", newClientOrderId="same"), sign=True)
        # a duplicate while the first is open, on any symbol
        assert (await error(ws, "order.place", limit_order("BUY", "1000.00", newClientOrderId="same"), sign=True))[
            0
        ] == -2010
        eth = {**limit_order("BUY", "100.00", qty="0.1"), "symbol": "ETHUSDT", "newClientOrderId": "same"}
        assert (await error(ws, "order.place", eth, sign=True))[0] == -2010
        await ok(ws, "order.cancel", {"symbol": "BTCUSDT", "orderId": a["orderId"]}, sign=True)
        # the id is free again; the newest order holding it answers, the older one by both ids
        b = await ok(ws, "order.place", limit_order("BUY", "1000.00", newClientOrderId="same"), sign=True)
        assert (await status_of(ws, origClientOrderId="same"))["orderId"] == b["orderId"]
        assert (await status_of(ws, orderId=a["orderId"], origClientOrderId="same"))["status"] == "CANCELED"
        # amend renames b: "same" names a again, "renamed" names b
        amend = {"symbol": "BTCUSDT", "orderId": b["orderId"], "newQty": "0.005", "newClientOrderId": "renamed"}
        await ok(ws, "order.amend.keepPriority", amend, sign=True)
        assert (await status_of(ws, origClientOrderId="same"))["orderId"] == a["orderId"]
        renamed = await status_of(ws, origClientOrderId="renamed")
        assert (renamed["orderId"], renamed["origQty"]) == (b["orderId"], "0.00500000")
        assert (
            await error(
                ws,
                "order.status",
                {"symbol": "BTCUSDT", "orderId": b["orderId"], "origClientOrderId": "same"},
                sign=True,
            )
        )[0] == -2039
        # cancelReplace: the new order takes over the id, the canceled one keeps it too
        replace = {
            **limit_order("BUY", "999.00", newClientOrderId="renamed"),
            "cancelReplaceMode": "STOP_ON_FAILURE",
            "cancelOrigClientOrderId": "renamed",
        }
        c = (await ok(ws, "order.cancelReplace", replace, sign=True))["newOrderResponse"]
        assert (await status_of(ws, origClientOrderId="renamed"))["orderId"] == c["orderId"]
        # order list legs and the list itself are found by their ids; duplicates refused while open
        oco = await ok(ws, "orderList.place.oco", OCO_SELL, sign=True)
        for leg, name in zip(oco["orders"], ("oco-above", "oco-below"), strict=True):
            assert (await status_of(ws, origClientOrderId=name))["orderId"] == leg["orderId"]
        listed = await ok(ws, "orderList.status", {"origClientOrderId": "oco-list"}, sign=True)
        assert listed["orderListId"] == oco["orderListId"]
        for clash in (
            {"aboveClientOrderId": "renamed"},
            {"listClientOrderId": "oco-list", "aboveClientOrderId": "x1", "belowClientOrderId": "x2"},
            {"aboveClientOrderId": "dup", "belowClientOrderId": "dup"},
        ):
            assert (await error(ws, "orderList.place.oco", {**OCO_SELL, **clash}, sign=True))[0] == -2010, clash
        await ok(ws, "orderList.cancel", {"symbol": "BTCUSDT", "listClientOrderId": "oco-list"}, sign=True)
        again = await ok(ws, "orderList.place.oco", OCO_SELL, sign=True)
        listed = await ok(ws, "orderList.status", {"origClientOrderId": "oco-list"}, sign=True)
        assert listed["orderListId"] == again["orderListId"] != oco["orderListId"]
        assert (await status_of(ws, origClientOrderId="oco-above"))["orderId"] == again["orders"][0]["orderId"]
        # many orders: each found by its id; open ones listed once
        placed = [
            await ok(ws, "order.place", limit_order("BUY", f"{900 + i}.00", newClientOrderId=f"many-{i}"), sign=True)
            for i in range(150)
        ]
        for i in (0, 77, 149):
            assert (await status_of(ws, origClientOrderId=f"many-{i}"))["orderId"] == placed[i]["orderId"]
        open_ids = [o["orderId"] for o in await ok(ws, "openOrders.status", {"symbol": "BTCUSDT"}, sign=True)]
        assert open_ids == sorted(open_ids) and set(open_ids) >= {p["orderId"] for p in placed}
        assert len(open_ids) == len(set(open_ids)) == 150 + 1 + 2  # c and the new OCO's legs


async def test_one_trade_id_everywhere_a_trade_is_reported(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws, connect(emulator.url) as stream:
        await subscribe(stream)
        eth = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.5", "newOrderRespType": "FULL"}
        await ok(ws, "order.place", eth, sign=True)  # trades on another book first
        btc = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "newOrderRespType": "FULL"}
        placed = await ok(ws, "order.place", btc, sign=True)
        [fill] = placed["fills"]
        report = await event_where(
            stream, lambda e: e["e"] == "executionReport" and e["x"] == "TRADE" and e["i"] == placed["orderId"]
        )
        assert report["t"] == fill["tradeId"]
        mine = await ok(ws, "myTrades", {"symbol": "BTCUSDT", "orderId": placed["orderId"]}, sign=True)
        assert [t["id"] for t in mine] == [fill["tradeId"]]
        recent = await ok(ws, "trades.recent", {"symbol": "BTCUSDT", "limit": 1})
        assert recent[0]["id"] == fill["tradeId"]


async def test_trade_ids_count_per_symbol(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        for symbol in ("BTCUSDT", "ETHUSDT"):
            ids = [t["id"] for t in await ok(ws, "trades.historical", {"symbol": symbol, "fromId": 1, "limit": 1000})]
            assert ids == list(range(1, len(ids) + 1)), symbol


def balance(account: dict[str, Any], asset: str) -> tuple[str, str]:
    entry = next(b for b in account["balances"] if b["asset"] == asset)
    return entry["free"], entry["locked"]


async def test_amend_is_reported_and_moves_only_what_was_locked(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws, connect(emulator.url) as stream:
        await subscribe(stream)
        before = balance(await ok(ws, "account.status", sign=True), "USDT")
        placed = await ok(
            ws, "order.place", limit_order("BUY", "1000.00", qty="0.02", newClientOrderId="big"), sign=True
        )
        amend = {"symbol": "BTCUSDT", "orderId": placed["orderId"], "newQty": "0.01", "newClientOrderId": "small"}
        await ok(ws, "order.amend.keepPriority", amend, sign=True)
        report = await event_where(stream, lambda e: e["e"] == "executionReport" and e["x"] == "REPLACED")
        assert (report["i"], report["X"], report["q"], report["c"], report["C"]) == (
            placed["orderId"],
            "NEW",
            "0.01000000",
            "small",
            "big",
        )
        after = balance(await ok(ws, "account.status", sign=True), "USDT")
        assert Decimal(after[1]) - Decimal(before[1]) == Decimal("10.00")  # 0.01 at 1000 still locked
        # an untriggered stop locks nothing, so amending it releases nothing
        stop = {**limit_order("BUY", "60000.00", qty="0.02"), "type": "STOP_LOSS_LIMIT", "stopPrice": "60000.00"}
        parked = await ok(ws, "order.place", stop, sign=True)
        await ok(
            ws,
            "order.amend.keepPriority",
            {"symbol": "BTCUSDT", "orderId": parked["orderId"], "newQty": "0.01"},
            sign=True,
        )
        assert balance(await ok(ws, "account.status", sign=True), "USDT") == after
        # a leg of an order list: the list reports the leg's new id
        oco = await ok(ws, "orderList.place.oco", OCO_SELL, sign=True)
        above = oco["orders"][0]["orderId"]
        amend = {"symbol": "BTCUSDT", "orderId": above, "newQty": "0.005", "newClientOrderId": "oco-above-2"}
        await ok(ws, "order.amend.keepPriority", amend, sign=True)
        updated = await event_where(stream, lambda e: e["e"] == "listStatus" and e["l"] == "UPDATED")
        assert updated["g"] == oco["orderListId"]
        assert {o["i"]: o["c"] for o in updated["O"]}[above] == "oco-above-2"
        listed = await ok(ws, "orderList.status", {"orderListId": oco["orderListId"]}, sign=True)
        assert {o["orderId"]: o["clientOrderId"] for o in listed["orders"]}[above] == "oco-above-2"


async def test_history_pages_forward_from_an_id_and_back_from_now(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        placed = []
        for i in range(5):
            market = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
            placed.append(await ok(ws, "order.place", {**market, "newClientOrderId": f"h{i}"}, sign=True))
        ids = [p["orderId"] for p in placed]
        page = await ok(ws, "allOrders", {"symbol": "BTCUSDT", "orderId": ids[1], "limit": 2}, sign=True)
        assert [o["orderId"] for o in page] == ids[1:3]
        latest = await ok(ws, "allOrders", {"symbol": "BTCUSDT", "limit": 2}, sign=True)
        assert [o["orderId"] for o in latest] == ids[3:]
        since = {"symbol": "BTCUSDT", "orderId": ids[4], "startTime": 0, "limit": 2}  # times win over orderId
        assert [o["orderId"] for o in await ok(ws, "allOrders", since, sign=True)] == ids[:2]
        trades = [t["id"] for t in await ok(ws, "myTrades", {"symbol": "BTCUSDT"}, sign=True)]
        assert len(trades) >= 5
        page = await ok(ws, "myTrades", {"symbol": "BTCUSDT", "fromId": trades[1], "limit": 2}, sign=True)
        assert [t["id"] for t in page] == trades[1:3]
        latest = await ok(ws, "myTrades", {"symbol": "BTCUSDT", "limit": 2}, sign=True)
        assert [t["id"] for t in latest] == trades[-2:]
        both = {"symbol": "BTCUSDT", "fromId": trades[0], "startTime": 0}
        assert (await error(ws, "myTrades", both, sign=True))[0] == -1128


async def test_a_partial_fill_of_a_resting_order_moves_the_book_update_id(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        book = await ok(ws, "depth", {"symbol": "BTCUSDT", "limit": 1})
        best_bid, best_ask = Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])
        price = f"{(best_bid + best_ask) / 2:.2f}"
        resting = await ok(ws, "order.place", limit_order("SELL", price, qty="0.03"), sign=True)
        before = await ok(ws, "depth", {"symbol": "BTCUSDT", "limit": 1})
        amend = {"symbol": "BTCUSDT", "orderId": resting["orderId"], "newQty": "0.02"}
        await ok(ws, "order.amend.keepPriority", amend, sign=True)
        amended = await ok(ws, "depth", {"symbol": "BTCUSDT", "limit": 1})
        assert amended["lastUpdateId"] > before["lastUpdateId"]
        before = amended
        assert before["asks"][0] == [f"{Decimal(price):.8f}", "0.02000000"]
        emulator.market_trade("BTCUSDT", "BUY", "0.01")  # takes half of the best ask: ours
        after = await ok(ws, "depth", {"symbol": "BTCUSDT", "limit": 1})
        assert after["asks"][0] == [f"{Decimal(price):.8f}", "0.01000000"]
        assert after["lastUpdateId"] > before["lastUpdateId"]


async def test_stp_decrement_unlocks_what_it_takes_off_the_resting_order(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        book = await ok(ws, "depth", {"symbol": "BTCUSDT", "limit": 1})
        price = f"{(Decimal(book['bids'][0][0]) + Decimal(book['asks'][0][0])) / 2:.2f}"
        start = balance(await ok(ws, "account.status", sign=True), "BTC")
        resting = await ok(ws, "order.place", limit_order("SELL", price, qty="0.02"), sign=True)
        assert (
            balance(await ok(ws, "account.status", sign=True), "BTC")[1] == f"{Decimal(start[1]) + Decimal('0.02'):.8f}"
        )
        before = (await ok(ws, "depth", {"symbol": "BTCUSDT", "limit": 1}))["lastUpdateId"]
        taker = limit_order("BUY", price, qty="0.01", selfTradePreventionMode="DECREMENT")
        await ok(ws, "order.place", taker, sign=True)
        after = await ok(ws, "depth", {"symbol": "BTCUSDT", "limit": 1})
        assert after["asks"][0] == [f"{Decimal(price):.8f}", "0.01000000"] and after["lastUpdateId"] > before
        free, locked = balance(await ok(ws, "account.status", sign=True), "BTC")
        assert (Decimal(free), Decimal(locked)) == (
            Decimal(start[0]) - Decimal("0.01"),
            Decimal(start[1]) + Decimal("0.01"),
        )
        status = await ok(ws, "order.status", {"symbol": "BTCUSDT", "orderId": resting["orderId"]}, sign=True)
        assert status["status"] == "NEW"
        # decrementing it to nothing ends it and unlocks the rest
        await ok(ws, "order.place", taker, sign=True)
        free, locked = balance(await ok(ws, "account.status", sign=True), "BTC")
        assert (Decimal(free), Decimal(locked)) == (Decimal(start[0]), Decimal(start[1]))
