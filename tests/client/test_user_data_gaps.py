"""No user-data event is lost without a `StreamGap` in its place, and the marker comes before
the events it precedes: around rotations, reconnects and a consumer that falls behind."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from binance_spot_ws import AsyncClient, Ed25519Key, ReconnectPolicy, StreamGap, types
from binance_ws._async import _Link
from binance_ws_emulator import Emulator
from tests.client._helpers import ALL_TRANSPORTS

FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)


async def _subscribed(client: AsyncClient) -> None:
    await client.session_logon()
    await client.user_data_stream_subscribe()


async def _until(condition: Any) -> None:
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not met")


def _deposits(events: list[Any]) -> list[Any]:
    return [e.delta for e in events if isinstance(e, types.BalanceUpdate)]


@pytest.mark.parametrize("transport", ALL_TRANSPORTS)
async def test_a_rotation_whose_old_link_dies_before_the_new_subscription_marks_a_gap(
    emulator: Emulator, ed25519_key: Ed25519Key, transport: Any
) -> None:
    async with AsyncClient(url=emulator.url, key=ed25519_key, reconnect=FAST, transport=transport) as client:
        await _subscribed(client)
        original = client._restore_session

        async def old_link_dies_first(link: _Link) -> None:
            old = client._active
            if old is not None and old is not link:  # a rotation: the new link is being prepared
                await client._close_link(old)  # the old connection is gone before the new one subscribed
                emulator.deposit("alice", "USDT", "1")  # so this event reaches neither
            await original(link)

        client._restore_session = old_link_dies_first  # type: ignore[method-assign]
        client.rotate()
        await _until(lambda: emulator.requests["userDataStream.subscribe"] == 2 and client.state.value == "connected")
        emulator.deposit("alice", "USDT", "2")
        first = await asyncio.wait_for(client.next_event(), 2)
        assert isinstance(first, StreamGap), first  # the lost deposit of 1 is marked, ahead of the 2
        second = await asyncio.wait_for(client.next_event(), 2)
        assert _deposits([second]) == [2]


async def test_a_rotation_with_both_links_up_marks_no_gap(emulator: Emulator, ed25519_key: Ed25519Key) -> None:
    async with AsyncClient(url=emulator.url, key=ed25519_key, reconnect=FAST) as client:
        await _subscribed(client)
        client.rotate()
        await _until(lambda: emulator.requests["userDataStream.subscribe"] == 2 and client.state.value == "connected")
        emulator.deposit("alice", "USDT", "3")
        event = await asyncio.wait_for(client.next_event(), 2)
        assert _deposits([event]) == [3]  # nothing was lost: no marker


async def test_the_reconnect_marker_precedes_events_of_the_new_subscription(
    emulator: Emulator, ed25519_key: Ed25519Key
) -> None:
    async with AsyncClient(url=emulator.url, key=ed25519_key, reconnect=FAST) as client:
        await _subscribed(client)
        original = client._restore_session

        async def event_right_after_subscribing(link: _Link) -> None:
            await original(link)
            before = len(client._events)
            emulator.deposit("alice", "USDT", "4")  # delivered by the new subscription at once
            await _until(lambda: len(client._events) > before)

        client._restore_session = event_right_after_subscribing  # type: ignore[method-assign]
        emulator.drop_connections()
        events = [await asyncio.wait_for(client.next_event(), 2) for _ in range(2)]
        assert isinstance(events[0], StreamGap) and events[0].reason == "reconnected", events
        assert _deposits(events[1:]) == [4]


async def test_an_overflow_is_marked_at_once_not_at_the_next_event(emulator: Emulator, ed25519_key: Ed25519Key) -> None:
    """A burst of 10 into a buffer of 3, then silence: the consumer learns of the loss now."""
    seen: list[Any] = []
    async with AsyncClient(url=emulator.url, key=ed25519_key, user_data_buffer=3, on_user_data=seen.append) as client:
        await _subscribed(client)
        for amount in range(1, 11):
            emulator.deposit("alice", "USDT", str(amount))
        await _until(lambda: len(_deposits(seen)) == 10)
        events = [await asyncio.wait_for(client.next_event(), 2) for _ in range(4)]
        assert events[:3] == seen[:3] and _deposits(events[:1]) == [1]  # the first three kept
        assert isinstance(events[3], StreamGap) and events[3].reason == "overflow"
        emulator.deposit("alice", "USDT", "11")
        after = await asyncio.wait_for(client.next_event(), 2)
        assert after == seen[-1] or after == seen[-2]  # after the marker, events flow again
        assert 11 in _deposits([after, *list(client._events)])
