"""Frames no well-behaved server sends (a proxy, a bug or a newer API can): the reader survives,
the request waiting for the frame gets a clear error, and the client stays usable."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from binance_spot_ws import AsyncClient, BinanceError, RateLimited, ReconnectPolicy, StreamGap
from binance_ws._transport import TransportName
from tests.client._helpers import ALL_TRANSPORTS
from tests.client._scripted import answer, scripted_server

FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)
TRANSPORTS = pytest.mark.parametrize("transport", ALL_TRANSPORTS)
DEEP = 100_000


def _client(url: str, transport: TransportName, **extra: Any) -> AsyncClient:
    return AsyncClient(url=url, keepalive_interval=None, reconnect=FAST, timeout=5, transport=transport, **extra)


@TRANSPORTS
async def test_a_user_data_event_that_is_not_an_object_is_marked_not_fatal(transport: TransportName) -> None:
    def reply(request: dict[str, Any]) -> list[str]:
        return ['{"event": 5}', '{"event": [1, 2]}', answer(request)]  # hostile events ahead of the answer

    async with scripted_server(reply) as server, _client(server.url, transport) as client:
        assert (await client.time()).server_time > 0
        assert (await client.time()).server_time > 0
        assert server.connections == 1  # the reader survived both frames
        gap = await client.next_event()
        assert isinstance(gap, StreamGap) and gap.reason == "undecodable"


@TRANSPORTS
@pytest.mark.parametrize("interval", [("MINUTE", 0), ("FORTNIGHT", 1), ("SECOND", -3)])
async def test_a_rate_limit_entry_that_cannot_be_counted_is_ignored(
    transport: TransportName, interval: tuple[str, int]
) -> None:
    """intervalNum 0 divided by zero in the reader; an unknown interval was taken as a minute (and,
    with limit 1, stalled every later call until the next minute)."""
    limits = [{"rateLimitType": "REQUEST_WEIGHT", "interval": interval[0], "intervalNum": interval[1], "limit": 1}]
    limits[0]["count"] = 1

    def reply(request: dict[str, Any]) -> list[str]:
        return [answer(request, rateLimits=limits)]

    async with scripted_server(reply) as server, _client(server.url, transport) as client:
        for _ in range(3):
            with client.request_timeout(2):
                assert (await client.time()).server_time > 0
        assert server.connections == 1 and len(server.requests) == 3
        assert client.rate_limiter.buckets == {}


@TRANSPORTS
async def test_a_429_whose_retry_after_is_not_a_time_is_still_rate_limited(transport: TransportName) -> None:
    def reply(request: dict[str, Any]) -> list[str]:
        error = {"code": -1003, "msg": "Too many requests.", "data": {"retryAfter": "soon"}}
        return [json.dumps({"id": request["id"], "status": 429, "error": error})]

    async with scripted_server(reply) as server, _client(server.url, transport) as client:
        with pytest.raises(RateLimited) as caught:
            await client.time()
        assert caught.value.retry_after_ms is None and caught.value.status == 429
        assert server.connections == 1


@TRANSPORTS
async def test_deeply_nested_json_fails_its_request_and_spares_the_link(transport: TransportName) -> None:
    deep = "[" * DEEP + "]" * DEEP

    def reply(request: dict[str, Any]) -> list[str]:
        if len(server.requests) == 1:  # the first answer is a bomb, unsolicited junk too
            return [deep, f'{{"id":{request["id"]},"status":200,"result":{deep}}}']
        return [answer(request)]

    async with scripted_server(reply) as server, _client(server.url, transport) as client:
        with pytest.raises(BinanceError, match="undecodable"):
            await client.time()  # its own answer could not be read: a clear error, at once
        assert (await client.time()).server_time > 0
        assert server.connections == 1  # no reconnect loop


@TRANSPORTS
async def test_a_message_over_the_cap_closes_the_link_with_a_logged_reason(
    transport: TransportName, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="binance_ws")
    big = "x" * (2 << 20)

    def reply(request: dict[str, Any]) -> list[str]:
        if server.connections == 1:
            return [answer(request, result={"serverTime": 1, "pad": big})]
        return [answer(request)]

    async with (
        scripted_server(reply) as server,
        _client(server.url, transport, max_message_size=1 << 20) as client,
    ):
        assert (await client.time()).server_time == 1_700_000_000_000  # read-only: sent again
        assert server.connections == 2
    lost = [r.getMessage() for r in caplog.records if "connection lost" in r.getMessage()]
    assert len(lost) == 1 and ("max_message_size" in lost[0] or "1009" in lost[0]), lost


@TRANSPORTS
async def test_the_default_cap_refuses_a_20_mb_message(transport: TransportName) -> None:
    big = "x" * (20 * 1000 * 1000)

    def reply(request: dict[str, Any]) -> list[str]:
        if server.connections == 1:
            return [answer(request, result={"serverTime": 1, "pad": big})]
        return [answer(request)]

    async with scripted_server(reply) as server, _client(server.url, transport) as client:
        assert (await client.time()).server_time == 1_700_000_000_000
        assert server.connections == 2
