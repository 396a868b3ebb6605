"""Hostile input and broken handlers never leave a connection half-alive, and ordinary
disconnects are no errors (raw frames over a real socket)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from binance_ws_emulator import DOCS_HMAC_API_KEY, Emulator
from binance_ws_emulator.handlers import HANDLERS, Handler
from tests.emulator._wire import error, limit_order, ok

NOT_NUMBERS = ["NaN", "nan", "Infinity", "-Infinity", "inf", "sNaN", "1e5", ".5", "5.", "0x10"]


@pytest.mark.parametrize("value", NOT_NUMBERS)
async def test_decimals_that_are_not_numbers_are_refused_and_the_connection_lives(
    emulator: Emulator, value: str
) -> None:
    async with connect(emulator.url) as ws:
        for name in ("price", "quantity"):
            code, msg = await error(ws, "order.place", {**limit_order("BUY", "1000.00"), name: value}, sign=True)
            assert code == -1100 and f"parameter '{name}'" in msg, msg
        stop = {**limit_order("BUY", "1000.00"), "type": "STOP_LOSS_LIMIT", "stopPrice": value}
        assert (await error(ws, "order.place", stop, sign=True))[0] == -1100
        code, msg = await error(ws, "account.status", {"recvWindow": value}, sign=True)
        assert code == -1100 and "'recvWindow'" in msg
        amend = {"symbol": "BTCUSDT", "orderId": 1, "newQty": value}
        assert (await error(ws, "order.amend.keepPriority", amend, sign=True))[0] == -1100
        assert await ok(ws, "ping") == {}


async def test_json_nan_and_infinity_literals_are_refused_and_the_connection_lives(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        for literal in ("NaN", "Infinity", "-Infinity", "1e999"):
            frame = '{"id": 7, "method": "depth", "params": {"symbol": "BTCUSDT", "limit": ' + literal + "}}"
            await ws.send(frame)
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert reply["status"] == 400 and reply["error"]["code"] in (-1100, -1135), reply
            params = f'{{"apiKey": "{DOCS_HMAC_API_KEY}", "signature": "00", "timestamp": {literal}}}'
            await ws.send(f'{{"id": 8, "method": "account.status", "params": {params}}}')
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert (reply["status"], reply["error"]["code"]) == (400, -1100), reply
            assert "'timestamp'" in reply["error"]["msg"]
        assert await ok(ws, "ping") == {}


def _crash(_request: Any) -> Any:
    raise RuntimeError("deliberate handler bug")


async def test_a_crashing_handler_closes_the_connection_with_1011_and_is_logged_once(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(HANDLERS, "ping", Handler("ping", "NONE", lambda _params: 1, _crash))
    caplog.set_level(logging.DEBUG, logger="binance_ws_emulator")
    async with connect(emulator.url) as ws, connect(emulator.url) as bystander:
        await ws.send(json.dumps({"id": 1, "method": "ping", "params": {}}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
        assert (await ok(bystander, "time"))["serverTime"] > 0  # the server and other connections go on
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].exc_info is not None and "deliberate handler bug" in str(errors[0].exc_info[1])
