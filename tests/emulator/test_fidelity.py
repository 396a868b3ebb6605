"""The local exchange accepts what Binance accepts, in the encodings other clients use
(raw frames over a real socket, signed by hand)."""

from __future__ import annotations

from websockets.asyncio.client import connect

from binance_ws_emulator import Emulator
from tests.emulator._wire import call, ok


async def test_return_rate_limits_is_part_of_the_signed_payload(emulator: Emulator) -> None:
    # ccxt sends returnRateLimits in every signed request and signs it like any parameter.
    async with connect(emulator.url) as ws:
        reply = await call(ws, "account.status", {"returnRateLimits": False}, sign=True)
        assert reply["status"] == 200, reply
        assert "rateLimits" not in reply
        reply = await call(ws, "account.status", {"returnRateLimits": True}, sign=True)
        assert reply["status"] == 200 and reply["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
        assert (await ok(ws, "time", {"returnRateLimits": False})).keys() == {"serverTime"}
