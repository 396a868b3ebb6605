"""The blocking client takes user-data events over from the loop thread in batches: a burst is
read in order and complete, with one thread hop per batch rather than per event."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from binance_spot_ws import Client, types
from tests.client._scripted import answer, scripted_server

BURST = 2500


def _event(number: int) -> str:
    event = {"e": "balanceUpdate", "E": number, "a": "BTC", "d": "0.001", "T": number}
    return json.dumps({"subscriptionId": 0, "event": event})


async def test_a_burst_is_read_whole_in_a_few_hops() -> None:
    def reply(request: dict[str, Any]) -> list[str]:
        return [answer(request), *(_event(n) for n in range(BURST))]

    async with scripted_server(reply) as server:
        client = Client(url=server.url, keepalive_interval=None)
        try:
            await asyncio.to_thread(client.connect)
            assert (await asyncio.to_thread(client.time)).server_time > 0
            waiting = client.connection._events
            deadline = time.monotonic() + 20
            while len(waiting) < BURST and time.monotonic() < deadline:  # all arrived (not a timing check)
                await asyncio.sleep(0.01)
            assert len(waiting) == BURST
            hops = 0
            run = client._run

            def counting(*args: Any, **kwargs: Any) -> Any:
                nonlocal hops
                hops += 1
                return run(*args, **kwargs)

            client._run = counting  # type: ignore[method-assign]
            events = await asyncio.to_thread(lambda: [client.next_event(timeout=5) for _ in range(BURST)])
            assert [e.event_time for e in events] == list(range(BURST))
            assert all(isinstance(e, types.BalanceUpdate) for e in events)
            assert hops == 3  # 1000 + 1000 + 500
        finally:
            await asyncio.to_thread(client.close)
