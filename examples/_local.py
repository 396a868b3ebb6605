"""Shared by the examples: an embedded local exchange, or a real endpoint with `--url`."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from binance_ws_emulator import Emulator


@contextlib.contextmanager
def endpoint(description: str) -> Iterator[tuple[str, Emulator | None]]:
    """Yield (url, emulator): the embedded emulator unless `--url` points elsewhere."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", help="a WebSocket API endpoint (default: an embedded local exchange)")
    args = parser.parse_args()
    if args.url:
        yield args.url, None
        return
    with Emulator(seed=11) as exchange:
        yield exchange.url, exchange
