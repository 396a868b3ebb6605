"""Order identity over the socket: client order ids through cancel, replace, amend and order
lists, the cancel-all answer, and what the user-data stream says about each."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from binance_ws_emulator import Emulator
from tests.emulator._wire import call, error, limit_order, ok


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
