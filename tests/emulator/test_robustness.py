"""Hostile input and broken handlers never leave a connection half-alive, and ordinary
disconnects are no errors (raw frames over a real socket)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from binance_ws_emulator import DOCS_HMAC_API_KEY, Emulator
from binance_ws_emulator.handlers import HANDLERS, Handler
from tests.emulator._wire import call, error, limit_order, ok

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


def _handshake(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        b"GET /ws-api/v3 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 101")
    return sock


def _masked_text(text: str) -> bytes:
    payload = text.encode()
    mask = b"\x01\x02\x03\x04"
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def test_an_abrupt_client_disconnect_logs_no_error(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="binance_ws_emulator")
    loop = asyncio.get_running_loop()
    for _ in range(3):
        sock = await loop.run_in_executor(None, _handshake, emulator.port)
        # requests in flight, then a reset (RST, no close frame) while the server answers
        for request_id in range(20):
            frame = json.dumps({"id": request_id, "method": "depth", "params": {"symbol": "BTCUSDT", "limit": 1000}})
            sock.sendall(_masked_text(frame))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    async with connect(emulator.url) as ws:  # the server has handled the resets by now
        for _ in range(200):
            await call(ws, "ping")
            if emulator.connection_count == 1:
                break
            await asyncio.sleep(0.05)
        assert emulator.connection_count == 1
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert noisy == [], [r.getMessage() for r in noisy]
