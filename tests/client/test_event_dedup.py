"""An event seen twice within the last 256 (both links deliver it around a rotation) reaches the
consumer once; the window is bounded, so an identical event long after is delivered again."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from binance_spot_ws import AsyncClient
from tests.client._scripted import answer, scripted_server


def _event(number: int) -> str:
    event = {"e": "balanceUpdate", "E": number, "a": "BTC", "d": "0.001", "T": number}
    return json.dumps({"subscriptionId": 0, "event": event})


async def test_duplicates_inside_the_window_are_dropped_and_the_window_moves_on() -> None:
    frames = [_event(0), _event(0), _event(1), _event(1), *(_event(n) for n in range(2, 302)), _event(0), _event(0)]

    def reply(request: dict[str, Any]) -> list[str]:
        return [answer(request), *frames]

    async with scripted_server(reply) as server, AsyncClient(url=server.url, keepalive_interval=None) as client:
        assert (await client.time()).server_time > 0
        seen = [(await asyncio.wait_for(client.next_event(), 5)).event_time for _ in range(303)]
        assert seen == [0, 1, *range(2, 302), 0]
        assert len(client._recent_events) == len(client._recent_seen) == 256
