"""Every method's scenario again, with answers in SBE: the same typed results, checked the same way.

The scenarios of `tests/client/test_every_method.py` seed the local exchange, call one
method and check its typed result against what they seeded; here the client asks for SBE
(`response_format="sbe"`), the exchange answers in binary frames, and the checks are
unchanged.
"""

from __future__ import annotations

import asyncio

import pytest

from binance_spot_ws import METHODS, AsyncClient, Client, Ed25519Key
from binance_ws_emulator import Emulator
from tests.client.test_every_method import EMULATOR_GAPS, SCENARIOS, Blocking, Ctx

#: Methods with no SBE answer in schema 3:5 (nothing to decode: they stay JSON-only in the SDK).
NO_SBE: dict[str, str] = {}


@pytest.mark.parametrize("blocking", [False, True], ids=["async", "blocking"])
@pytest.mark.parametrize(
    "wire",
    [
        pytest.param(w, marks=pytest.mark.xfail(reason=EMULATOR_GAPS.get(w) or NO_SBE[w], strict=True))
        if w in EMULATOR_GAPS or w in NO_SBE
        else w
        for w in sorted(METHODS)
    ],
)
async def test_method_succeeds_in_sbe(wire: str, blocking: bool, emulator: Emulator, ed25519_key: Ed25519Key) -> None:
    run = SCENARIOS[wire]
    binary_before = emulator.binary_answers
    if blocking:
        sync = Client(url=emulator.url, key=ed25519_key, timeout=5, response_format="sbe")
        await asyncio.to_thread(sync.connect)
        try:
            await run(Ctx(Blocking(sync), emulator, ed25519_key))
        finally:
            await asyncio.to_thread(sync.close)
    else:
        async with AsyncClient(url=emulator.url, key=ed25519_key, timeout=5, response_format="sbe") as client:
            await run(Ctx(client, emulator, ed25519_key))
    assert emulator.requests.get(wire, 0) >= 1
    assert emulator.binary_answers > binary_before  # the answers really were SBE
