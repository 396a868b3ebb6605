"""What the readers do with frames a well-behaved server never sends, on every transport: text that
is not UTF-8 ends the connection (a read-only call is sent again on the next), a binary frame is
ignored, and a text message split around a ping arrives whole."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.frames import Frame, Opcode

from binance_spot_ws import AsyncClient, ReconnectPolicy
from binance_ws._transport import TransportName
from tests.client._helpers import ALL_TRANSPORTS
from tests.client._scripted import answer

FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)


def _raw(ws: Any, *frames: Frame) -> None:
    for frame in frames:
        ws.protocol.send_frame(frame)
    ws.send_data()


async def _run(transport: TransportName, script: Any) -> tuple[int, int]:
    """Serve `script(ws, request)` for the first request, plain answers after; returns the answer
    the client got and how many connections it took."""
    from websockets.asyncio.server import serve

    state = {"connections": 0}

    async def handler(ws: Any) -> None:
        state["connections"] += 1
        async for message in ws:
            request = json.loads(message)
            if state["connections"] == 1:
                await script(ws, request)
            else:
                await ws.send(answer(request))

    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        async with AsyncClient(
            url=url, keepalive_interval=None, reconnect=FAST, timeout=5, transport=transport
        ) as client:
            result = (await client.time()).server_time
    return result, state["connections"]


@pytest.mark.parametrize("transport", ALL_TRANSPORTS)
async def test_text_that_is_not_utf8_ends_the_connection(transport: TransportName) -> None:
    async def script(ws: Any, request: dict[str, Any]) -> None:
        _raw(ws, Frame(Opcode.TEXT, b'{"id":' + str(request["id"]).encode() + b',"x":"\xff\xfe"}'))

    assert await _run(transport, script) == (1_700_000_000_000, 2)


@pytest.mark.parametrize("transport", ALL_TRANSPORTS)
async def test_a_binary_frame_is_ignored(transport: TransportName) -> None:
    async def script(ws: Any, request: dict[str, Any]) -> None:
        await ws.send(b"\x00\x01binary")
        await ws.send(answer(request, result={"serverTime": 5}))

    assert await _run(transport, script) == (5, 1)


@pytest.mark.parametrize("transport", ALL_TRANSPORTS)
async def test_a_message_split_around_a_ping_arrives_whole(transport: TransportName) -> None:
    async def script(ws: Any, request: dict[str, Any]) -> None:
        text = answer(request, result={"serverTime": 6, "pad": "é" * 300}).encode()
        _raw(
            ws,
            Frame(Opcode.TEXT, text[:7], fin=False),
            Frame(Opcode.PING, b"mid"),
            Frame(Opcode.CONT, text[7:300], fin=False),
            Frame(Opcode.CONT, text[300:], fin=True),
        )
        await asyncio.sleep(0)

    assert await _run(transport, script) == (6, 1)
