"""pytest plugin (auto-registered when the package is installed): the `binance_emulator` fixture.

def test_depth(binance_emulator):
    with Client(url=binance_emulator.url) as client:
        assert client.depth(symbol="BTCUSDT").bids
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import Emulator


@pytest.fixture
def binance_emulator() -> Iterator[Emulator]:
    """A fresh emulator on a free loopback port, in a background thread."""
    emulator = Emulator(seed=1)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
