"""The optional `websockets` transport keeps every connection-life guarantee of the default one."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from binance_spot_ws import AsyncClient, ConnectionState, HmacKey, ReconnectPolicy, UnknownExecutionStatus
from binance_ws_emulator import Emulator

FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)


async def test_drop_resends_reads_and_never_orders(emulator: Emulator, hmac_key: HmacKey) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key, reconnect=FAST, transport="websockets") as client:
        emulator.faults.drop_after_requests = 1
        assert len((await client.depth(symbol="BTCUSDT", limit=2)).bids) == 2
        assert emulator.requests["depth"] == 2
        emulator.faults.drop_after_requests = 1
        with pytest.raises(UnknownExecutionStatus):
            await client.order_place(
                symbol="BTCUSDT",
                side="BUY",
                type="LIMIT",
                time_in_force="GTC",
                price=Decimal("40000.00"),
                quantity=Decimal("0.001"),
            )
        await asyncio.sleep(0.05)
        assert emulator.requests["order.place"] == 1


async def test_dead_peer_and_rotation(hmac_key: HmacKey) -> None:
    states: list[ConnectionState] = []
    async with Emulator(seed=1) as emulator:
        emulator.faults.answer_pings = False
        async with AsyncClient(
            url=emulator.url,
            key=hmac_key,
            keepalive_interval=0.1,
            keepalive_timeout=0.2,
            reconnect=FAST,
            max_lifetime=0.5,
            transport="websockets",
            on_connection_event=lambda e: states.append(e.state),
        ) as client:
            await asyncio.sleep(0.6)
            assert ConnectionState.RECONNECTING in states
            emulator.faults.answer_pings = True
            for _ in range(40):
                await client.time()
                await asyncio.sleep(0.03)
            assert ConnectionState.ROTATING in states
