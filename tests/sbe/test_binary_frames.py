"""Binary frames on both transports, from a scripted server: routed, capped, and survived."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from binance_spot_ws import AsyncClient, ReconnectPolicy, SbeError
from binance_ws._transport import TransportName
from binance_ws_emulator import sbe_encode
from tests.client._scripted import answer, scripted_server

FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)
TRANSPORTS = pytest.mark.parametrize("transport", ["httpx-ws", "websockets", "picows"])
SERVER_TIME = 1_700_000_000_000


def _client(url: str, transport: TransportName, **extra: Any) -> AsyncClient:
    return AsyncClient(url=url, keepalive_interval=None, reconnect=FAST, timeout=5, transport=transport, **extra)


def sbe_time(request: dict[str, Any]) -> bytes:
    return sbe_encode.response({"id": request["id"], "status": 200, "result": {"serverTime": SERVER_TIME}}, "time")


@TRANSPORTS
async def test_sbe_answers_arrive_on_both_transports(transport: TransportName) -> None:
    async with (
        scripted_server(lambda request: [sbe_time(request)]) as server,  # type: ignore[list-item]
        _client(server.url, transport, response_format="sbe") as client,
    ):
        assert (await client.time()).server_time == SERVER_TIME
        assert (await client.time()).server_time == SERVER_TIME


@TRANSPORTS
async def test_a_json_client_ignores_a_binary_frame(transport: TransportName, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="binance_ws")
    async with (
        scripted_server(lambda request: [sbe_time(request), answer(request)]) as server,  # type: ignore[list-item]
        _client(server.url, transport) as client,
    ):
        assert (await client.time()).server_time == SERVER_TIME  # the JSON answer
    assert any("binary frame from the server ignored" in r.getMessage() for r in caplog.records)


@TRANSPORTS
async def test_a_binary_message_over_the_cap_closes_the_link(
    transport: TransportName, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="binance_ws")
    big = {"lastUpdateId": 1, "bids": [["1.00000000", "1.00000000"]] * 100_000, "asks": []}  # 1.6 MB

    def reply(request: dict[str, Any]) -> list[Any]:
        if server.connections == 1:
            return [sbe_encode.response({"id": request["id"], "status": 200, "result": big}, "depth")]
        return [sbe_time(request)]

    async with (
        scripted_server(reply) as server,  # type: ignore[arg-type]
        _client(server.url, transport, response_format="sbe", max_message_size=1 << 20) as client,
    ):
        assert (await client.time()).server_time == SERVER_TIME  # read-only: sent again
        assert server.connections == 2
    lost = [r.getMessage() for r in caplog.records if "connection lost" in r.getMessage()]
    assert len(lost) == 1 and ("max_message_size" in lost[0] or "1009" in lost[0]), lost


@TRANSPORTS
async def test_a_truncated_sbe_result_fails_its_request_and_spares_the_link(transport: TransportName) -> None:
    def reply(request: dict[str, Any]) -> list[Any]:
        frame = sbe_time(request)
        if len(server.requests) == 1:
            at = 8 + 3 + 4 + 1 + len(str(request["id"]))  # header, block, no rate limits, the id
            result = frame[at + 4 :]  # ServerTimeResponse: an 8-byte header and an 8-byte block
            return [frame[:at] + (len(result) - 3).to_bytes(4, "little") + result[:-3]]
        return [frame]

    async with (
        scripted_server(reply) as server,  # type: ignore[arg-type]
        _client(server.url, transport, response_format="sbe") as client,
    ):
        with pytest.raises(SbeError, match="truncated"):
            await client.time()
        assert (await client.time()).server_time == SERVER_TIME
        assert server.connections == 1


@TRANSPORTS
@pytest.mark.parametrize(
    "garbage",
    [
        b"\x03",
        b"\x03\x002\x00\x03\x00\x05\x00\x00\xc8",
        b"\x03\x002\x00\x03\x00\x05\x00\x00\xc8\x00",
        b"\x03\x002\x00\x03\x00\x05\x00\x00\xc8\x00\x13\x00\xff\xff",
        b"\xff" * 40,
    ],
    ids=["one byte", "cut envelope", "no group header", "huge group", "no header"],
)
async def test_a_garbage_binary_frame_is_ignored_and_spares_the_link(
    transport: TransportName, garbage: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="binance_ws")
    async with (
        scripted_server(lambda request: [garbage, sbe_time(request)]) as server,  # type: ignore[list-item]
        _client(server.url, transport, response_format="sbe") as client,
    ):
        assert (await client.time()).server_time == SERVER_TIME
        assert server.connections == 1
    assert any("undecodable SBE frame" in r.getMessage() for r in caplog.records)


@TRANSPORTS
async def test_a_binary_frame_on_a_market_data_stream_is_ignored(
    transport: TransportName, caplog: pytest.LogCaptureFixture
) -> None:
    """The transports pass binary frames on; the JSON streams client drops them and keeps reading."""
    from binance_spot_ws import MarketStreams
    from tests.streams._server import StreamServer, trade

    caplog.set_level(logging.WARNING, logger="binance_ws")
    async with StreamServer() as server, MarketStreams(url=server.url, transport=transport) as streams:
        trades = streams.trade("BTCUSDT")
        await trades.ready(5)
        server.send_binary(b"\x01\x02\x03")
        server.publish("btcusdt@trade", trade("BTCUSDT", 7))
        event = await asyncio.wait_for(trades.next(), 5)
        assert event.trade_id == 7
    assert any("binary frame from the stream server ignored" in r.getMessage() for r in caplog.records)
