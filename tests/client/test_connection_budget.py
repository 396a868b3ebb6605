"""A server that accepts each handshake and closes it at once must not make the client reconnect in a
storm (Binance bans an IP past ~300 connections per 5 minutes). Counts and order, no timing."""

from __future__ import annotations

import asyncio

import pytest

from binance_spot_ws import AsyncClient, ConnectionEvent, ConnectionState, ReconnectPolicy
from binance_ws._transport import TransportName
from tests.client._helpers import ALL_TRANSPORTS
from tests.client._scripted import scripted_server

#: Scaled down: instant backoff, a budget of 6 connections per hour, never "healthy".
SCALED = ReconnectPolicy(initial_delay=0.001, max_delay=0.004, healthy_after=3600, max_connects=6, connect_window=3600)


@pytest.mark.parametrize("transport", ALL_TRANSPORTS)
async def test_accept_then_close_stays_within_the_connection_budget(transport: TransportName) -> None:
    events: list[ConnectionEvent] = []
    budget_spent = asyncio.Event()

    def on_event(event: ConnectionEvent) -> None:
        events.append(event)
        if "connection budget spent" in event.reason:
            budget_spent.set()

    async with scripted_server() as server:
        server.close_after_handshake_from = 1  # the first connection stays; every later one is dropped at once
        async with AsyncClient(
            url=server.url, keepalive_interval=None, reconnect=SCALED, transport=transport, on_connection_event=on_event
        ) as client:
            await client.time()
            for ws in list(server.open):
                await ws.close()  # now the storm would start
            await asyncio.wait_for(budget_spent.wait(), 20)
            await asyncio.sleep(0.05)  # a client still connecting would show up here
            assert server.connections == SCALED.max_connects  # the first connect included, then it waits
        attempts = [e.attempt for e in events if e.state is ConnectionState.RECONNECTING and "budget" not in e.reason]
        # The backoff never restarted: each accepted-then-closed connection counted as a failure.
        assert attempts == list(range(1, len(attempts) + 1)) and len(attempts) >= SCALED.max_connects - 1


async def test_the_backoff_restarts_after_a_healthy_connection() -> None:
    policy = ReconnectPolicy(initial_delay=0.001, max_delay=0.004, healthy_after=0.001, max_connects=50)
    events: list[ConnectionEvent] = []
    async with (
        scripted_server() as server,
        AsyncClient(url=server.url, keepalive_interval=None, reconnect=policy, on_connection_event=events.append) as c,
    ):
        for _ in range(3):
            await c.time()
            await asyncio.sleep(0.01)  # longer than healthy_after
            for ws in list(server.open):
                await ws.close()
            await asyncio.sleep(0)
            await c.time()  # reconnected
    attempts = [e.attempt for e in events if e.state is ConnectionState.RECONNECTING]
    assert attempts == [1, 1, 1]


def test_the_default_budget_stays_under_binances_limit() -> None:
    default = ReconnectPolicy()
    per_five_minutes = default.max_connects * 300 / default.connect_window
    assert per_five_minutes <= 300 / 4  # room for other clients on the same IP
