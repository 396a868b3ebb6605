"""The `binance-ws` command line against the local exchange, in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator


@pytest.fixture(scope="module")
def exchange() -> Iterator[Emulator]:
    with Emulator(seed=5) as running:
        yield running


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BINANCE_API_KEY": DOCS_HMAC_API_KEY, "DEMO_SECRET": DOCS_HMAC_SECRET}
    return subprocess.run(
        [sys.executable, "-m", "binance_spot_ws._cli", *args], capture_output=True, text=True, env=env, timeout=30
    )


def test_call_a_public_method(exchange: Emulator) -> None:
    done = cli("call", "depth", "symbol=BTCUSDT", "limit=3", "--url", exchange.url)
    assert done.returncode == 0, done.stderr
    book = json.loads(done.stdout)
    assert len(book["bids"]) == 3 and float(book["bids"][0][0]) > 1000


def test_call_a_signed_method_by_python_names(exchange: Emulator) -> None:
    done = cli(
        "call",
        "order_test",
        "symbol=BTCUSDT",
        "side=BUY",
        "type=LIMIT",
        "time_in_force=GTC",
        "price=40000",
        "quantity=0.001",
        "--url",
        exchange.url,
        "--secret-env",
        "DEMO_SECRET",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {}
    assert DOCS_HMAC_SECRET not in done.stdout + done.stderr


def test_lists_are_comma_separated_and_errors_have_exit_codes(exchange: Emulator) -> None:
    done = cli("call", "ticker.price", "symbols=BTCUSDT,ETHUSDT", "--url", exchange.url)
    assert done.returncode == 0 and [t["symbol"] for t in json.loads(done.stdout)] == ["BTCUSDT", "ETHUSDT"]
    rejected = cli("call", "depth", "symbol=NOPE", "--url", exchange.url)
    assert rejected.returncode == 2 and "code -1121" in rejected.stderr
    bad = cli("call", "depth", "symbol=BTCUSDT", "limit=ten", "--url", exchange.url)
    assert bad.returncode == 1 and "limit" in bad.stderr  # caught before sending
    unknown = cli("call", "no.such", "--url", exchange.url)
    assert unknown.returncode == 1
    down = cli("call", "ping", "--url", "ws://127.0.0.1:9/ws-api/v3", "--timeout", "2")
    assert down.returncode == 3


def test_methods_listing() -> None:
    done = cli("methods", "ticker")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert any(line.startswith("ticker.24hr") for line in lines) and all("ticker" in line for line in lines)


def test_the_emulator_subcommand_serves_a_moving_market_over_tls() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "binance_spot_ws._cli", "emulator", "--tls", "--ticker", "0.02"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        cert = process.stdout.readline().split("certificate: ", 1)[1].split(" ", 1)[0]
        url = process.stdout.readline().split("listening on ", 1)[1].strip()
        env = {**os.environ, "SSL_CERT_FILE": cert}  # how a user trusts the throwaway certificate
        prices = set()
        for _ in range(3):
            done = subprocess.run(
                [sys.executable, "-m", "binance_spot_ws._cli", "call", "ticker.price", "symbol=BTCUSDT", "--url", url],
                capture_output=True,
                text=True,
                env=env,
                timeout=30,
            )
            assert done.returncode == 0, done.stderr
            prices.add(json.loads(done.stdout)["price"])
        assert url.startswith("wss://") and len(prices) > 1  # the market moved between the calls
    finally:
        process.terminate()
        process.wait(10)
