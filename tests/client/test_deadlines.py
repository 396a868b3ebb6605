"""Every wait before sending stays within the call's deadline: past it, the call fails with nothing
sent, and an order never goes out after its deadline."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from typing import Any

import pytest

from binance_spot_ws import AsyncClient, HmacKey, RateLimited, RequestTimeout
from binance_ws._async import _Slots
from binance_ws_emulator import Emulator
from tests.client._helpers import limit_buy
from tests.client._scripted import answer, scripted_server


async def _start_well_inside_a_minute(emulator: Emulator) -> None:
    """Weight resets at each whole minute: keep a test's requests inside one (>= 5 s left)."""
    into_minute = emulator.now_ms() % 60_000
    if into_minute > 55_000:
        await asyncio.sleep((60_000 - into_minute) / 1000 + 0.05)


async def test_a_rate_limit_wait_longer_than_the_deadline_raises_with_nothing_sent(hmac_key: HmacKey) -> None:
    async with Emulator(seed=1, weight_limit=10) as emulator:
        await _start_well_inside_a_minute(emulator)
        async with AsyncClient(url=emulator.url, key=hmac_key, rate_limit="wait") as client:
            await client.depth(symbol="BTCUSDT")  # 5
            await client.depth(symbol="BTCUSDT")  # 10: the minute is full
            with client.request_timeout(1), pytest.raises(RateLimited, match="not sent"):
                await asyncio.wait_for(limit_buy(client, Decimal("40000.00")), 30)
            assert emulator.requests.get("order.place", 0) == 0  # not sent after its deadline either


async def test_a_retry_after_an_hour_away_does_not_make_calls_sleep(hmac_key: HmacKey) -> None:
    hour_later = int(time.time() * 1000) + 3_600_000

    def reply(request: dict[str, Any]) -> list[str]:
        if len(server.requests) == 1:
            error = {"code": -1003, "msg": "Too many requests.", "data": {"retryAfter": hour_later}}
            return [json.dumps({"id": request["id"], "status": 429, "error": error})]
        return [answer(request)]

    async with (
        scripted_server(reply) as server,
        AsyncClient(url=server.url, key=hmac_key, keepalive_interval=None, timeout=2) as client,
    ):
        with pytest.raises(RateLimited):
            await client.time()
        for call in (client.time(), limit_buy(client, Decimal("40000.00"))):
            with pytest.raises(RateLimited, match="not sent") as caught:
                await asyncio.wait_for(call, 10)  # at once: the wait would pass the 2 s deadline
            assert caught.value.retry_after_ms is not None and caught.value.retry_after_ms >= hour_later
        assert server.methods() == ["time"]


async def test_the_max_in_flight_wait_ends_at_the_deadline_with_nothing_sent(emulator: Emulator) -> None:
    async with AsyncClient(url=emulator.url, max_in_flight=1, timeout=5) as client:
        emulator.faults.delay_ms = 1500
        busy = asyncio.create_task(client.time())  # holds the only slot for 1.5 s
        await asyncio.sleep(0.05)
        with client.request_timeout(0.2), pytest.raises(RequestTimeout, match="not sent"):
            await client.depth(symbol="BTCUSDT")
        assert emulator.requests.get("depth", 0) == 0
        assert (await busy).server_time > 0
        emulator.faults.delay_ms = 0
        assert len((await client.depth(symbol="BTCUSDT", limit=1)).bids) == 1  # the slot came back


async def test_a_call_cancelled_while_waiting_for_a_slot_leaves_the_slots_whole(emulator: Emulator) -> None:
    async with AsyncClient(url=emulator.url, max_in_flight=2, timeout=5) as client:
        emulator.faults.delay_ms = 300
        busy = [asyncio.create_task(client.time()) for _ in range(2)]
        await asyncio.sleep(0.05)
        waiting = asyncio.create_task(client.time())
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await asyncio.gather(*busy)
        emulator.faults.delay_ms = 0
        await asyncio.gather(client.time(), client.time())
        assert client._slots.free == 2  # neither leaked nor released twice


async def test_a_slot_handed_to_a_caller_cancelled_before_it_ran_goes_to_the_next() -> None:
    slots = _Slots(1)
    slots.free -= 1  # the only slot is taken
    first = asyncio.create_task(slots.wait(5))
    second = asyncio.create_task(slots.wait(5))
    await asyncio.sleep(0)  # both wait now
    slots.release()  # handed to the first waiter...
    first.cancel()  # ...cancelled before it could run: it must pass the slot on
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await second is True
    assert slots.free == 0  # the second holds it
    assert await slots.wait(0.01) is False  # none freed in time
    slots.release()  # the waiter that gave up is skipped: the slot is free again
    assert slots.free == 1


async def test_requests_still_unanswered_count_against_the_limit(hmac_key: HmacKey) -> None:
    """The client counts what it sent before any answer says so: with 2 of 5 used, three more
    go out unanswered and the sixth is refused (rate_limit="raise"), with nothing sent."""

    def reply(request: dict[str, Any]) -> list[str]:
        if len(server.requests) > 1:
            return []  # the rest stay unanswered
        limits = [{"rateLimitType": "REQUEST_WEIGHT", "interval": "DAY", "intervalNum": 1, "limit": 5, "count": 2}]
        return [answer(request, rateLimits=limits)]

    async with (
        scripted_server(reply) as server,
        AsyncClient(url=server.url, key=hmac_key, keepalive_interval=None, rate_limit="raise") as client,
    ):
        await client.time()  # 2 of 5 used
        hanging = [asyncio.create_task(client.time()) for _ in range(3)]  # 3, 4, 5
        for _ in range(500):
            if len(server.requests) == 4:
                break
            await asyncio.sleep(0.01)
        assert len(server.requests) == 4
        with pytest.raises(RateLimited, match="not sent"):
            await client.time()
        for task in hanging:
            task.cancel()
        await asyncio.gather(*hanging, return_exceptions=True)
        assert len(server.requests) == 4
