"""pytest plugin (auto-registered when the package is installed): the `binance_emulator` and
`binance_emulator_factory` fixtures.

    def test_depth(binance_emulator):
        with Client(url=binance_emulator.url) as client:
            assert client.depth(symbol="BTCUSDT").bids

    def test_moving_market(binance_emulator_factory):
        emulator = binance_emulator_factory(seed=7, ticker_interval=0.1)

The emulator is imported only when one of the fixtures is used: a pytest run that does not use
them pays nothing for the plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .server import Emulator


@pytest.fixture
def binance_emulator() -> Iterator[Emulator]:
    """A fresh emulator (seed 1) on a free loopback port, in a background thread."""
    from .server import Emulator

    emulator = Emulator(seed=1)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def binance_emulator_factory() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with your own settings: `binance_emulator_factory(**Emulator options)`
    (seed, ticker_interval, weight_limit, ping_interval, ...); each one is stopped after the test."""
    from .server import Emulator

    started: list[Emulator] = []

    def start(**options: Any) -> Emulator:
        emulator = Emulator(**options)
        emulator.start()
        started.append(emulator)
        return emulator

    try:
        yield start
    finally:
        for emulator in reversed(started):
            emulator.stop()
