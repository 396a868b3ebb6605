"""The server shell over real sockets: handshake options, keepalive, faults, robustness."""

from __future__ import annotations

import asyncio
import json
import random
from decimal import Decimal

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from binance_ws_emulator import Emulator


async def request(
    ws: ClientConnection, method: str, params: dict[str, object] | None = None, request_id: int = 1
) -> dict[str, object]:
    await ws.send(json.dumps({"id": request_id, "method": method, "params": params or {}}))
    while True:
        reply = json.loads(await asyncio.wait_for(ws.recv(), 2))
        if reply.get("id") == request_id:
            return reply  # type: ignore[no-any-return]


async def test_binary_and_oversized_frames_close_only_that_connection(emulator: Emulator) -> None:
    async with connect(emulator.url) as good, connect(emulator.url) as bad:
        await bad.send(b"\x00\x01")
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(bad.recv(), 2)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003
        assert (await request(good, "ping"))["status"] == 200


async def test_malformed_json_gets_an_error_and_the_connection_lives(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        await ws.send("{not json")
        reply = json.loads(await asyncio.wait_for(ws.recv(), 2))
        assert (reply["status"], reply["error"]["code"], reply["id"]) == (400, -1135, None)
        assert (await request(ws, "time"))["status"] == 200


async def test_malformed_frames_delay_and_forced_answers(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        emulator.faults.malformed_next = 2
        await ws.send(json.dumps({"id": 5, "method": "ping"}))
        frames = [await asyncio.wait_for(ws.recv(), 2) for _ in range(3)]
        assert frames[0] == frames[1] and not frames[0].endswith("}")
        assert json.loads(frames[2])["id"] == 5
        emulator.faults.answer_status["time"] = (503, -1001, "Internal error", False)
        reply = await request(ws, "time", request_id=6)
        assert (reply["status"], reply["error"]["code"]) == (503, -1001)
        emulator.faults.answer_status.clear()
        emulator.faults.delay_ms = 150
        loop = asyncio.get_running_loop()
        started = loop.time()
        await request(ws, "ping", request_id=7)
        assert loop.time() - started >= 0.14


async def test_query_options_and_server_close() -> None:
    async with Emulator(seed=1) as emulator:
        async with connect(emulator.url + "?returnRateLimits=false&timeUnit=MICROSECOND") as ws:
            reply = await request(ws, "time")
            assert "rateLimits" not in reply
            assert reply["result"]["serverTime"] > 10**15  # microseconds
            emulator.close_connections(1001, "going away")
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 2)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001


async def test_pings_and_pong_timeout_and_lifetime() -> None:
    async with Emulator(seed=1, ping_interval=0.05, pong_timeout=0.3, max_lifetime=0.8) as emulator:
        loop = asyncio.get_running_loop()
        async with connect(emulator.url, ping_interval=None) as ws:  # websockets answers each ping with a pong
            started = loop.time()
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 2)
            # Alive past several pong timeouts: the pongs counted; then closed by the lifetime rule.
            assert loop.time() - started > 0.6
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
        emulator.faults.ignore_pongs = True
        async with connect(emulator.url, ping_interval=None) as ws:
            started = loop.time()
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 2)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008  # pong timeout
            assert loop.time() - started < 0.6


async def test_random_frames_on_a_live_server_and_many_connections() -> None:
    rng = random.Random(7)
    async with Emulator(seed=1, weight_limit=10**9) as emulator:
        sockets = [await connect(emulator.url, max_queue=None, close_timeout=1) for _ in range(20)]
        try:
            for ws in sockets[:5]:
                for _ in range(30):
                    choice = rng.random()
                    if choice < 0.3:
                        await ws.send("".join(chr(rng.randint(0, 0x2FF)) for _ in range(rng.randint(0, 50))))
                    elif choice < 0.6:
                        await ws.send(
                            json.dumps(
                                {
                                    "id": rng.choice([1, "x", None, [1]]),
                                    "method": rng.choice(["ping", "depth", 3, None]),
                                    "params": rng.choice([{}, [], "s", {"symbol": 1}]),
                                }
                            )
                        )
                    else:
                        await ws.send(json.dumps(rng.choice([[], {}, 1, "s", None])))
            replies = await asyncio.gather(*(request(ws, "ping", request_id=99) for ws in sockets[5:]))
            assert all(reply["status"] == 200 for reply in replies)
            assert emulator.connection_count == 20
        finally:
            for ws in sockets:
                await ws.close()


def test_control_api_moves_the_market_and_balances() -> None:
    with Emulator(seed=3) as emulator:
        book = emulator.exchange.books["BTCUSDT"]
        trades_before, best_ask = len(book.trades), book.best_ask()
        emulator.market_trade("BTCUSDT", "BUY", "5")  # sweeps several ask levels
        assert len(book.trades) > trades_before and book.best_ask() != best_ask
        before = emulator.exchange.account("demo").free("USDT")
        emulator.deposit("demo", "USDT", "25.5")
        assert emulator.exchange.account("demo").free("USDT") == before + Decimal("25.5")


async def test_the_ticker_moves_the_market_while_clients_watch() -> None:
    async with Emulator(seed=2, ticker_interval=0.01) as emulator, connect(emulator.url) as ws:
        prices = set()
        for i in range(15):
            reply = await request(ws, "ticker.price", {"symbol": "ETHUSDT"}, request_id=i + 1)
            prices.add(reply["result"]["price"])  # type: ignore[index]
            await asyncio.sleep(0.03)
        assert len(prices) > 3
