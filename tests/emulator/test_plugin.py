"""The pytest plugin costs nothing until its fixtures are used; the factory fixture starts
emulators with custom settings; `Emulator.requests` counts methods never sent as 0."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from websockets.asyncio.client import connect

from binance_ws_emulator import Emulator
from tests.emulator._wire import ok


def test_loading_the_plugin_imports_no_emulator_module() -> None:
    probe = (
        "import sys, binance_ws_emulator.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith('binance_ws_emulator')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['binance_ws_emulator', 'binance_ws_emulator.pytest_plugin']"


def test_the_package_names_import_on_first_use() -> None:
    probe = "import binance_ws_emulator as e; print(e.Emulator.__name__, e.Faults.__name__, e.DOCS_HMAC_API_KEY[:4])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["Emulator", "Faults", "vmPU"]


async def test_factory_fixture_starts_emulators_with_custom_settings(
    binance_emulator_factory: Callable[..., Emulator],
) -> None:
    low = binance_emulator_factory(seed=3, weight_limit=50)
    other = binance_emulator_factory(seed=4)
    assert low.port != other.port
    async with connect(low.url) as ws:
        await ok(ws, "time")
        reply = await ok(ws, "exchangeInfo")
        weight = next(r for r in reply["rateLimits"] if r["rateLimitType"] == "REQUEST_WEIGHT")
        assert weight["limit"] == 50


def test_requests_counts_zero_before_the_first_request(binance_emulator: Emulator) -> None:
    assert binance_emulator.requests["order.place"] == 0
