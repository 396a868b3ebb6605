"""Behaviour the official docs describe that the local exchange reproduces (raw frames over a
real socket, signed by hand): SOR allocations, reference prices, strategy ids, executionReport
fields, order-list answers, filters, weights, prevented matches, ticker windows, commission,
average price."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

from websockets.asyncio.client import connect

from binance_ws_emulator import Emulator
from tests.emulator._wire import call, error, limit_order, ok
from tests.emulator.test_orders import event_where, events, subscribe


async def test_reference_price_never_set_answers_2043_inside_a_200_result(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        reply = await call(ws, "referencePrice", {"symbol": "ETHBTC"})
        assert reply["status"] == 200
        assert reply["result"] == {"code": -2043, "msg": "This symbol doesn't have a reference price."}
        priced = await ok(ws, "referencePrice", {"symbol": "BTCUSDT"})
        assert priced["symbol"] == "BTCUSDT" and priced["referencePrice"] is not None


async def test_exchange_info_lists_the_sor_configurations(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        info = await ok(ws, "exchangeInfo")
        sors = info["sors"]
        assert {"baseAsset": "BTC", "symbols": ["BTCUSDT"]} in sors
        for entry in sors:  # every SOR symbol is listed, with its base asset, and takes SOR orders
            for symbol in entry["symbols"]:
                listed = next(s for s in info["symbols"] if s["symbol"] == symbol)
                assert listed["baseAsset"] == entry["baseAsset"]
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"}
        placed = await ok(ws, "sor.order.place", order, sign=True)
        assert placed[0]["usedSor"] is True


async def test_order_list_reports_default_to_full_for_the_deprecated_method_and_result_otherwise(
    emulator: Emulator,
) -> None:
    async with connect(emulator.url) as ws:
        legacy = await ok(
            ws,
            "orderList.place",
            {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.01", "price": "60000.00", "stopPrice": "40000.00"},
            sign=True,
        )
        assert all("fills" in r and r["status"] == "NEW" for r in legacy["orderReports"])
        oco = {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "quantity": "0.01",
            "aboveType": "LIMIT_MAKER",
            "abovePrice": "61000.00",
            "belowType": "STOP_LOSS",
            "belowStopPrice": "39000.00",
        }
        placed = await ok(ws, "orderList.place.oco", oco, sign=True)
        assert [("status" in r, "fills" in r) for r in placed["orderReports"]] == [(True, False)] * 2
        oto = {
            "symbol": "BTCUSDT",
            "workingType": "LIMIT",
            "workingSide": "BUY",
            "workingPrice": "30000.00",
            "workingQuantity": "0.01",
            "workingTimeInForce": "GTC",
            "pendingType": "LIMIT_MAKER",
            "pendingSide": "SELL",
            "pendingPrice": "62000.00",
            "pendingQuantity": "0.01",
        }
        placed = await ok(ws, "orderList.place.oto", oto, sign=True)
        assert [("status" in r, "fills" in r) for r in placed["orderReports"]] == [(True, False)] * 2
        acked = await ok(ws, "orderList.place.oto", {**oto, "newOrderRespType": "ACK"}, sign=True)
        assert all("status" not in r for r in acked["orderReports"])
        reply = await call(ws, "orderList.place.oto", {**oto, "newOrderRespType": "SHORT"}, sign=True)
        assert reply["status"] == 400 and "newOrderRespType" in reply["error"]["msg"]


async def test_strategy_id_and_type_are_kept_and_reported(emulator: Emulator) -> None:
    strategy = {"strategyId": 37463720, "strategyType": 1000000}
    async with connect(emulator.url) as ws, connect(emulator.url) as stream:
        await subscribe(stream)
        placed = await ok(ws, "order.place", limit_order("BUY", "1000.00", **strategy), sign=True)
        assert (placed["strategyId"], placed["strategyType"]) == (37463720, 1000000)
        [new] = await events(stream, 1)
        assert (new["x"], new["j"], new["J"]) == ("NEW", 37463720, 1000000)
        ref = {"symbol": "BTCUSDT", "orderId": placed["orderId"]}
        status = await ok(ws, "order.status", ref, sign=True)
        assert (status["strategyId"], status["strategyType"]) == (37463720, 1000000)
        [listed] = await ok(ws, "openOrders.status", {"symbol": "BTCUSDT"}, sign=True)
        assert listed["strategyId"] == 37463720
        everything = await ok(ws, "allOrders", {"symbol": "BTCUSDT"}, sign=True)
        assert [o["strategyType"] for o in everything if o["orderId"] == placed["orderId"]] == [1000000]
        canceled = await ok(ws, "order.cancel", ref, sign=True)
        assert (canceled["strategyId"], canceled["strategyType"]) == (37463720, 1000000)
        gone = await event_where(stream, lambda e: e.get("x") == "CANCELED")
        assert (gone["j"], gone["J"]) == (37463720, 1000000)
        plain = await ok(ws, "order.place", limit_order("BUY", "1000.00"), sign=True)
        assert "strategyId" not in plain and "strategyType" not in plain  # only when sent
        plain_event = await event_where(stream, lambda e: e.get("i") == plain["orderId"])
        assert "j" not in plain_event and "J" not in plain_event
        oco = {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "quantity": "0.01",
            "aboveType": "LIMIT_MAKER",
            "abovePrice": "61000.00",
            "aboveStrategyId": 5,
            "belowType": "STOP_LOSS",
            "belowStopPrice": "39000.00",
            "belowStrategyType": 1000001,
        }
        listed_legs = (await ok(ws, "orderList.place.oco", oco, sign=True))["orderReports"]
        assert (listed_legs[0]["strategyId"], listed_legs[1]["strategyType"]) == (5, 1000001)
        code, msg = await error(ws, "order.place", limit_order("BUY", "1000.00", strategyType=999999), sign=True)
        assert code == -1134 and "strategyType" in msg


async def test_sor_fills_are_allocations_queryable_with_my_allocations(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws, connect(emulator.url) as stream:
        await subscribe(stream)
        buy = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.5"}
        [placed] = await ok(ws, "sor.order.place", {**buy, "newOrderRespType": "FULL"}, sign=True)
        fills = placed["fills"]
        assert len(fills) > 1  # 0.5 BTC takes several of the market maker's levels
        assert all(f["matchType"] == "ONE_PARTY_TRADE_REPORT" and f["tradeId"] == -1 for f in fills)
        assert [f["allocId"] for f in fills] == list(range(len(fills)))
        trade = await event_where(stream, lambda e: e.get("x") == "TRADE")
        assert (trade["t"], trade["b"], trade["a"], trade["k"], trade["uS"]) == (
            -1,
            "ONE_PARTY_TRADE_REPORT",
            0,
            "SOR",
            True,
        )
        [second] = await ok(ws, "sor.order.place", {**buy, "quantity": "0.001"}, sign=True)
        everything = await ok(ws, "myAllocations", {"symbol": "BTCUSDT"}, sign=True)
        assert [a["allocationId"] for a in everything] == list(range(len(fills) + 1))
        first = everything[0]
        assert first["allocationType"] == "SOR" and first["orderId"] == placed["orderId"]
        assert (first["price"], first["qty"]) == (fills[0]["price"], fills[0]["qty"])
        assert (first["isBuyer"], first["isMaker"], first["isAllocator"], first["orderListId"]) == (
            True,
            False,
            False,
            -1,
        )
        assert {"quoteQty", "commission", "commissionAsset", "time"} <= first.keys()
        by_order = await ok(ws, "myAllocations", {"symbol": "BTCUSDT", "orderId": second["orderId"]}, sign=True)
        assert [a["orderId"] for a in by_order] == [second["orderId"]]
        later = await ok(ws, "myAllocations", {"symbol": "BTCUSDT", "fromAllocationId": 2, "limit": 2}, sign=True)
        assert [a["allocationId"] for a in later] == [2, 3]
        since = await ok(ws, "myAllocations", {"symbol": "BTCUSDT", "startTime": first["time"] + 10**6}, sign=True)
        assert since == []
        until = await ok(ws, "myAllocations", {"symbol": "BTCUSDT", "endTime": first["time"], "limit": 1}, sign=True)
        assert len(until) == 1 and until[0]["time"] <= first["time"]
        # the SOR order's own fills are allocations, not trades
        trades = await ok(ws, "myTrades", {"symbol": "BTCUSDT", "orderId": placed["orderId"]}, sign=True)
        assert trades == []
        status = await ok(ws, "order.status", {"symbol": "BTCUSDT", "orderId": placed["orderId"]}, sign=True)
        assert (status["usedSor"], status["workingFloor"]) == (True, "SOR")
        assert await ok(ws, "myAllocations", {"symbol": "ETHUSDT"}, sign=True) == []


async def test_price_filter_bounds_and_max_notional_are_enforced(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        info = (await ok(ws, "exchangeInfo", {"symbol": "BTCUSDT"}))["symbols"][0]
        filters = {f["filterType"]: f for f in info["filters"]}
        assert (filters["PRICE_FILTER"]["maxPrice"], filters["NOTIONAL"]["maxNotional"]) == (
            "1000000.00000000",
            "9000000.00000000",
        )
        assert filters["NOTIONAL"]["applyMaxToMarket"] is False
        failure = (-1013, "Filter failure: PRICE_FILTER")
        assert await error(ws, "order.test", limit_order("SELL", "1000000.01", "0.00001"), sign=True) == failure
        await ok(ws, "order.test", limit_order("SELL", "1000000.00", "0.00001"), sign=True)  # the bound itself
        stop = {"symbol": "BTCUSDT", "side": "BUY", "type": "STOP_LOSS", "quantity": "0.001"}
        assert await error(ws, "order.test", {**stop, "stopPrice": "1000000.01"}, sign=True) == failure
        assert await error(ws, "order.test", {**stop, "stopPrice": "0.001"}, sign=True) == failure  # < minPrice
        assert await error(ws, "order.test", {**stop, "stopPrice": "60000.005"}, sign=True) == failure  # tick
        notional = (-1013, "Filter failure: NOTIONAL")
        assert await error(ws, "order.test", limit_order("SELL", "900000.00", "10.00001"), sign=True) == notional
        await ok(ws, "order.test", limit_order("SELL", "900000.00", "10"), sign=True)  # exactly maxNotional
        # applyMaxToMarket false: a MARKET order above maxNotional passes the filter
        await ok(ws, "order.test", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "200"}, sign=True)


async def test_execution_reports_carry_execution_ids_expiry_reasons_and_stp_fields(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws, connect(emulator.url) as stream:
        await subscribe(stream)
        top = await ok(ws, "ticker.book", {"symbol": "BTCUSDT"})
        inside = f"{Decimal(top['askPrice']) - Decimal('0.01'):.2f}"  # the best ask, inside the spread
        maker = await ok(ws, "order.place", limit_order("SELL", inside, "0.01"), sign=True)
        taker_order = limit_order("BUY", inside, "0.004", selfTradePreventionMode="EXPIRE_BOTH")
        taker = await ok(ws, "order.place", taker_order, sign=True)
        seen = await events(stream, 4)  # maker NEW; taker NEW; both TRADE_PREVENTION
        reports = [e for e in seen if e["e"] == "executionReport"]
        ids = [e["I"] for e in reports]
        assert all(isinstance(i, int) and i > 0 for i in ids) and ids == sorted(set(ids))  # distinct, rising
        prevented = {e["i"]: e for e in reports if e["x"] == "TRADE_PREVENTION"}
        assert prevented.keys() == {maker["orderId"], taker["orderId"]}
        mine, theirs = prevented[taker["orderId"]], prevented[maker["orderId"]]
        assert mine["v"] == theirs["v"] and isinstance(mine["v"], int)
        assert (mine["U"], theirs["U"]) == (maker["orderId"], taker["orderId"])
        assert (mine["Cs"], mine["u"], mine["pl"], mine["pL"], mine["pY"]) == (
            "BTCUSDT",
            -1,
            "0.00400000",
            f"{Decimal(inside):.8f}",
            f"{Decimal(inside) * Decimal('0.004'):.8f}",
        )
        assert (mine["A"], mine["B"]) == ("0.00400000", "0.00400000")  # the taker's whole remainder
        assert (theirs["A"], theirs["B"]) == ("0.01000000", "0.01000000")
        plain = [e for e in reports if e["x"] == "NEW"]
        assert plain and all("v" not in e and "eR" not in e for e in plain)  # only for STP expiries
        # an IOC remainder expires with its reason
        ioc = await ok(ws, "order.place", limit_order("BUY", "1000.00", timeInForce="IOC"), sign=True)
        expired = await event_where(stream, lambda e: e.get("i") == ioc["orderId"] and e["x"] == "EXPIRED")
        assert expired["eR"] == "UNFILLED_IOC_QUANTITY_EXPIRED" and expired["I"] > max(ids)
        # amend: the REPLACED event's execution id is the amend's, amendedOrder has the conditional fields
        order = {**limit_order("BUY", "1000.00", "0.02"), "icebergQty": "0.01", "strategyId": 9}
        resting = await ok(ws, "order.place", order, sign=True)
        amend = {"symbol": "BTCUSDT", "orderId": resting["orderId"], "newQty": "0.015"}
        amended = await ok(ws, "order.amend.keepPriority", amend, sign=True)
        replaced = await event_where(stream, lambda e: e.get("x") == "REPLACED")
        assert replaced["I"] == amended["executionId"]
        assert (amended["amendedOrder"]["icebergQty"], amended["amendedOrder"]["strategyId"]) == ("0.01000000", 9)


async def test_successful_placements_and_cancels_cost_no_request_weight(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:

        async def weight_after(method: str, params: dict[str, object]) -> tuple[int, int]:
            reply = await call(ws, method, params, sign=True)
            used = next(r["count"] for r in reply["rateLimits"] if r["rateLimitType"] == "REQUEST_WEIGHT")
            return reply["status"], used

        start = (await call(ws, "time"))["rateLimits"][0]["count"]
        status, used = await weight_after("order.place", limit_order("BUY", "1000.00"))
        assert (status, used) == (200, start)
        placed = await ok(ws, "openOrders.status", {"symbol": "BTCUSDT"}, sign=True)  # weight 6
        start += 6
        status, used = await weight_after("order.place", limit_order("BUY", "1000.001"))  # PRICE_FILTER
        assert (status, used) == (400, start + 1)  # a failure is charged
        start += 1
        ref = {"symbol": "BTCUSDT", "orderId": placed[0]["orderId"]}
        assert await weight_after("order.cancel", ref) == (200, start)
        assert await weight_after("order.cancel", ref) == (400, start + 1)  # already canceled: charged
        start += 1
        resting = await ok(ws, "order.place", limit_order("BUY", "1000.00", "0.02"), sign=True)
        amend = {"symbol": "BTCUSDT", "orderId": resting["orderId"], "newQty": "0.01"}
        assert await weight_after("order.amend.keepPriority", amend) == (200, start + 4)  # still charged
        start += 4
        oco = {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "quantity": "0.01",
            "aboveType": "LIMIT_MAKER",
            "abovePrice": "61000.00",
            "belowType": "STOP_LOSS",
            "belowStopPrice": "39000.00",
        }
        assert await weight_after("orderList.place.oco", oco) == (200, start)
        assert await weight_after("openOrders.cancelAll", {"symbol": "BTCUSDT"}) == (200, start)
        sor = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"}
        assert await weight_after("sor.order.place", sor) == (200, start)


async def test_prevented_match_ids_count_per_symbol(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        takers: dict[str, int] = {}
        for symbol, qty in (("BTCUSDT", "0.01"), ("ETHUSDT", "0.1"), ("BTCUSDT", "0.01")):
            top = await ok(ws, "ticker.book", {"symbol": symbol})
            inside = f"{Decimal(top['askPrice']) - Decimal('0.01'):.2f}"
            sell = {**limit_order("SELL", inside, qty), "symbol": symbol}
            await ok(ws, "order.place", sell, sign=True)
            buy = {**limit_order("BUY", inside, qty), "symbol": symbol, "selfTradePreventionMode": "EXPIRE_TAKER"}
            placed = await ok(ws, "order.place", buy, sign=True)
            assert placed["status"] == "EXPIRED_IN_MATCH"
            takers[symbol] = placed["orderId"]
        btc = await ok(ws, "myPreventedMatches", {"symbol": "BTCUSDT", "orderId": takers["BTCUSDT"]}, sign=True)
        eth = await ok(ws, "myPreventedMatches", {"symbol": "ETHUSDT", "orderId": takers["ETHUSDT"]}, sign=True)
        assert [m["preventedMatchId"] for m in eth] == [0]  # the first on ETHUSDT, after one on BTCUSDT
        assert [m["preventedMatchId"] for m in btc] == [1]


async def test_oto_pending_legs_are_reported_when_placed_and_when_canceled(emulator: Emulator) -> None:
    oto = {
        "symbol": "BTCUSDT",
        "workingType": "LIMIT",
        "workingSide": "BUY",
        "workingPrice": "30000.00",
        "workingQuantity": "0.01",
        "workingTimeInForce": "GTC",
        "pendingType": "LIMIT_MAKER",
        "pendingSide": "SELL",
        "pendingPrice": "62000.00",
        "pendingQuantity": "0.01",
    }
    async with connect(emulator.url) as ws, connect(emulator.url) as stream:
        await subscribe(stream)
        placed = await ok(ws, "orderList.place.oto", oto, sign=True)
        working, pending = (r["orderId"] for r in placed["orderReports"])
        found = await events(stream, 3)
        reports = {e["i"]: e for e in found if e["e"] == "executionReport"}
        assert (reports[pending]["x"], reports[pending]["X"], reports[pending]["w"]) == ("NEW", "PENDING_NEW", False)
        assert reports[pending]["g"] == placed["orderListId"] and reports[working]["X"] == "NEW"
        # cancelling the pending leg cancels the list: both legs report CANCELED
        cancel = {"symbol": "BTCUSDT", "orderId": pending, "newClientOrderId": "cancel-oto"}
        answer = await ok(ws, "order.cancel", cancel, sign=True)
        assert {r["orderId"]: r["status"] for r in answer["orderReports"]} == {working: "CANCELED", pending: "CANCELED"}
        gone = await event_where(stream, lambda e: e.get("i") == pending)
        assert (gone["x"], gone["X"], gone["c"]) == ("CANCELED", "CANCELED", "cancel-oto")


async def test_ticker_windows_and_time_zones(emulator: Emulator) -> None:
    hour = 3_600_000
    emulator.clock_offset_ms = -25 * hour  # one trade 25 hours ago, one 3 hours ago
    emulator.market_trade("BTCUSDT", "BUY", "0.001")
    emulator.clock_offset_ms = -3 * hour
    emulator.market_trade("BTCUSDT", "SELL", "0.002")
    emulator.clock_offset_ms = 0
    async with connect(emulator.url) as ws:
        recent = await ok(ws, "trades.recent", {"symbol": "BTCUSDT", "limit": 1000})
        total = len(recent)
        day = await ok(ws, "ticker.24hr", {"symbol": "BTCUSDT"})
        assert day["count"] == total - 1  # not the one 25 hours ago
        assert day["closeTime"] - day["openTime"] == 24 * hour
        week = await ok(ws, "ticker", {"symbol": "BTCUSDT", "windowSize": "7d"})
        assert week["count"] == total and week["firstId"] == recent[0]["id"]
        assert week["openTime"] % 60_000 == 0 and week["closeTime"] - week["openTime"] >= 7 * 24 * hour
        one = await ok(ws, "ticker", {"symbol": "BTCUSDT", "windowSize": "1h"})
        assert one["count"] == total - 2 and one["volume"] != week["volume"]
        four = await ok(ws, "ticker", {"symbol": "BTCUSDT", "windowSize": "4h"})
        assert four["count"] == total - 1
        assert (await ok(ws, "ticker", {"symbol": "BTCUSDT"}))["count"] == total - 1  # default 1d
        for bad in ("60m", "24h", "8d", "1w", "1d2h", "0m"):
            reply = await call(ws, "ticker", {"symbol": "BTCUSDT", "windowSize": bad})
            assert reply["status"] == 400 and "windowSize" in reply["error"]["msg"], bad
        # trading day in a time zone: 00:00 to 23:59:59.999 local time
        trading = await ok(ws, "ticker.tradingDay", {"symbol": "BTCUSDT", "timeZone": "8"})
        assert (trading["openTime"] + 8 * hour) % (24 * hour) == 0
        assert trading["closeTime"] == trading["openTime"] + 24 * hour - 1
        utc = await ok(ws, "ticker.tradingDay", {"symbol": "BTCUSDT"})
        assert utc["openTime"] % (24 * hour) == 0
        # klines align their intervals in the zone (startTime/endTime stay UTC)
        zoned = await ok(ws, "klines", {"symbol": "BTCUSDT", "interval": "1h", "timeZone": "05:45"})
        assert zoned and all(k[0] % hour == 15 * 60_000 for k in zoned)
        assert sum(k[8] for k in zoned) == total
        plain = await ok(ws, "uiKlines", {"symbol": "BTCUSDT", "interval": "1h", "timeZone": "-1:00"})
        assert all(k[0] % hour == 0 for k in plain)
        for bad in ("15", "-13", "+14:30", "5:60", "abc"):
            reply = await call(ws, "klines", {"symbol": "BTCUSDT", "interval": "1h", "timeZone": bad})
            assert reply["status"] == 400 and "timeZone" in reply["error"]["msg"], bad
        await ok(ws, "klines", {"symbol": "BTCUSDT", "interval": "1h", "timeZone": "+14:00"})


async def test_commission_is_charged_in_the_received_asset(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws, connect(emulator.url) as stream:
        await subscribe(stream)
        rates = await ok(ws, "account.commission", {"symbol": "BTCUSDT"}, sign=True)
        taker_rate = Decimal(rates["standardCommission"]["taker"]) + Decimal(rates["standardCommission"]["buyer"])
        assert taker_rate == Decimal("0.001")

        def balances(account: dict[str, object]) -> dict[str, Decimal]:
            return {b["asset"]: Decimal(b["free"]) for b in account["balances"]}  # type: ignore[attr-defined]

        before = balances(await ok(ws, "account.status", sign=True))
        buy = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.5", "newOrderRespType": "FULL"}
        placed = await ok(ws, "order.place", buy, sign=True)
        fills = placed["fills"]
        for f in fills:  # a BUY receives the base asset: commission = quantity x rate, in BTC
            assert f["commissionAsset"] == "BTC"
            assert Decimal(f["commission"]) == (Decimal(f["qty"]) * taker_rate).quantize(Decimal("0.00000001"))
        paid = sum(Decimal(f["commission"]) for f in fills)
        after = balances(await ok(ws, "account.status", sign=True))
        assert after["BTC"] == before["BTC"] + Decimal("0.5") - paid
        assert after["USDT"] == before["USDT"] - Decimal(placed["cummulativeQuoteQty"])
        trade = await event_where(stream, lambda e: e.get("x") == "TRADE")
        assert (trade["n"], trade["N"]) == (fills[0]["commission"], "BTC")
        trades = await ok(ws, "myTrades", {"symbol": "BTCUSDT", "orderId": placed["orderId"]}, sign=True)
        assert [(t["commission"], t["commissionAsset"]) for t in trades] == [
            (f["commission"], f["commissionAsset"]) for f in fills
        ]
        # a SELL receives the quote asset: commission = notional x rate, in USDT
        sell = {**buy, "side": "SELL", "quantity": "0.1"}
        sold = await ok(ws, "order.place", sell, sign=True)
        for f in sold["fills"]:
            notional = Decimal(f["qty"]) * Decimal(f["price"])
            assert f["commissionAsset"] == "USDT"
            assert Decimal(f["commission"]) == (notional * taker_rate).quantize(Decimal("0.00000001"))
        final = balances(await ok(ws, "account.status", sign=True))
        received = Decimal(sold["cummulativeQuoteQty"]) - sum(Decimal(f["commission"]) for f in sold["fills"])
        assert final["USDT"] == after["USDT"] + received
        new = await event_where(stream, lambda e: e.get("i") == sold["orderId"] and e.get("x") == "NEW")
        assert (new["n"], new["N"]) == ("0", None)  # no fill, no commission


async def test_the_trade_history_kept_is_bounded(emulator: Emulator) -> None:
    assert all(book.max_trades >= 1000 for book in emulator.exchange.books.values())  # the documented max limit
    book = emulator.exchange.books["BTCUSDT"]
    book.max_trades = 50
    for _ in range(300):
        emulator.call(emulator.exchange.tick)  # the autonomous market, step by step
    assert 50 <= len(book.trades) <= 55
    async with connect(emulator.url) as ws:
        recent = await ok(ws, "trades.recent", {"symbol": "BTCUSDT", "limit": 1000})
        assert len(recent) == len(book.trades) and recent[-1]["id"] == book.trades[-1].trade_id
        ids = [t["id"] for t in recent]
        assert ids == list(range(ids[0], ids[0] + len(ids)))  # the newest ones, none missing
        historical = await ok(ws, "trades.historical", {"symbol": "BTCUSDT", "fromId": ids[0] + 10, "limit": 5})
        assert [t["id"] for t in historical] == ids[10:15]
        # a trailing stop placed now still follows the trades that come after it
        stop = {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "STOP_LOSS",
            "quantity": "0.001",
            "trailingDelta": 10,
        }
        placed = await ok(ws, "order.place", stop, sign=True)
        emulator.market_trade("BTCUSDT", "BUY", "0.001")  # tracking starts at this trade
        low = Decimal(recent[-1]["price"]) * Decimal("0.99")  # 1 % down: far past the 0.1 % trail
        low = low.quantize(Decimal("0.01"))
        emulator.call(
            emulator.exchange.place, "bob", "BTCUSDT", "BUY", "LIMIT", "GTC", low, Decimal(5), Decimal(0), None
        )
        above = sum(sum(o.remaining for o in book.bids[p]) for p in book.bid_prices if p > low)
        emulator.market_trade("BTCUSDT", "SELL", str(above + 1))  # through the bids, down to bob's
        status = await ok(ws, "order.status", {"symbol": "BTCUSDT", "orderId": placed["orderId"]}, sign=True)
        assert status["status"] == "FILLED"


async def test_the_average_price_weighs_the_trades_of_the_last_5_minutes() -> None:
    """avgPrice and `<symbol>@avgPrice` (the CHANGELOG's average price calculation): the
    quantity-weighted price of the trades of the last 5 minutes (`closeTime`/`T`: the last
    trade's time); with no trade in the window, the last trade before it, price and time."""
    minute = 60_000
    async with Emulator(seed=1, clock_offset_ms=-60 * minute) as emulator:  # seeded trades an hour ago
        emulator.clock_offset_ms = -7 * minute
        emulator.market_trade("BTCUSDT", "BUY", "0.5")  # outside the window by the time it is asked
        emulator.clock_offset_ms = -3 * minute
        emulator.market_trade("BTCUSDT", "SELL", "0.3")  # inside: several levels, several prices
        emulator.clock_offset_ms = -1 * minute
        emulator.market_trade("BTCUSDT", "BUY", "0.4")
        emulator.clock_offset_ms = 0
        stream_url = emulator.stream_url + "/ws/btcusdt@avgPrice"
        async with connect(emulator.url) as ws, connect(stream_url) as stream:

            async def pushed_since(since: int) -> dict[str, Any]:
                while True:  # the stream's next average computed after `since`
                    event = json.loads(await asyncio.wait_for(stream.recv(), 5))
                    if event["E"] >= since:
                        return event

            def vwap(trades: list[dict[str, Any]]) -> Decimal:
                quote = sum((Decimal(t["price"]) * Decimal(t["qty"]) for t in trades), Decimal(0))
                return (quote / sum((Decimal(t["qty"]) for t in trades), Decimal(0))).quantize(Decimal("0.00000001"))

            recent = await ok(ws, "trades.recent", {"symbol": "BTCUSDT", "limit": 1000})
            asked_at = emulator.now_ms()
            inside = [t for t in recent if t["time"] > asked_at - 5 * minute]
            assert len(inside) >= 4 and len(recent) - len(inside) >= 6  # seeded and 7-minute-old trades left out
            assert len({t["price"] for t in inside}) > 1
            average = await ok(ws, "avgPrice", {"symbol": "BTCUSDT"})
            assert average == {"mins": 5, "price": f"{vwap(inside)}", "closeTime": recent[-1]["time"]}
            assert vwap(inside) != vwap(recent[-50:])  # not the last 50 trades
            pushed = await pushed_since(asked_at)
            assert (pushed["s"], pushed["i"], pushed["w"], pushed["T"]) == (
                "BTCUSDT",
                "5m",
                average["price"],
                recent[-1]["time"],
            )

            emulator.clock_offset_ms = 10 * minute  # the last trade is 11 minutes old: none in the window
            later = emulator.now_ms()
            last = recent[-1]
            assert last["price"] != f"{vwap(inside)}"
            average = await ok(ws, "avgPrice", {"symbol": "BTCUSDT"})
            assert average == {"mins": 5, "price": last["price"], "closeTime": last["time"]}
            pushed = await pushed_since(later)
            assert (pushed["w"], pushed["T"]) == (last["price"], last["time"])


class _TickingEmulator(Emulator):
    """The clock moves on by 1 ms at every read: whatever one operation times twice shows it."""

    ticks = 0

    def now_ms(self) -> int:
        self.ticks += 1
        return super().now_ms() + self.ticks


async def test_one_placement_has_one_transaction_time_in_its_answer_events_and_trades() -> None:
    """A taker crossing several levels: `transactTime`, `workingTime`, the trades' times and
    every executionReport's `T` (the taker's and its makers') are one value."""
    async with _TickingEmulator(seed=1) as emulator:
        async with connect(emulator.url) as ws, connect(emulator.url) as stream:
            await subscribe(stream)
            makers = []
            for price in ("50000.01", "50000.02", "50000.03"):  # below the market maker's asks
                makers.append((await ok(ws, "order.place", limit_order("SELL", price, "0.01"), sign=True))["orderId"])
            for order_id in makers:
                await event_where(stream, lambda e, order_id=order_id: e.get("i") == order_id)  # resting: NEW
            taker = limit_order("BUY", "50000.10", "0.05", selfTradePreventionMode="NONE", newOrderRespType="FULL")
            placed = await ok(ws, "order.place", taker, sign=True)
            assert len({f["price"] for f in placed["fills"]}) == 4  # three levels of ours, one of the market maker
            reports: list[dict[str, Any]] = []
            while len(reports) < 5 + 3:  # the taker's NEW and four TRADEs, a TRADE of each maker
                reports.append(await event_where(stream, lambda e: e["e"] == "executionReport"))
            mine = [e for e in reports if e["i"] == placed["orderId"]]
            assert [e["x"] for e in mine] == ["NEW", "TRADE", "TRADE", "TRADE", "TRADE"]
            assert sorted({e["i"] for e in reports if e["i"] != placed["orderId"]}) == makers
            trades = await ok(ws, "myTrades", {"symbol": "BTCUSDT", "orderId": placed["orderId"]}, sign=True)
            recent = await ok(ws, "trades.recent", {"symbol": "BTCUSDT", "limit": 4})
            assert [t["id"] for t in recent] == [t["id"] for t in trades]
            times = {placed["transactTime"], placed["workingTime"]}
            times |= {e["T"] for e in reports} | {e["W"] for e in mine}
            times |= {t["time"] for t in trades} | {t["time"] for t in recent}
            assert len(times) == 1, times
