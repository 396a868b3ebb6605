"""The `binance-ws` command line against the local exchange, in a real subprocess."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from binance_spot_ws import Client, HmacKey
from binance_ws._version import __version__
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator

SPEC = Path(__file__).resolve().parents[2] / "spec" / "binance-spot-ws.asyncapi.yaml"


@pytest.fixture(scope="module")
def exchange() -> Iterator[Emulator]:
    with Emulator(seed=5) as running:
        yield running


CLI = [sys.executable, "-m", "binance_spot_ws._cli"]
ENV = {**os.environ, "BINANCE_API_KEY": DOCS_HMAC_API_KEY, "DEMO_SECRET": DOCS_HMAC_SECRET}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=ENV, timeout=30)


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


@pytest.mark.parametrize(
    "args",
    [("call",), ("call", "depth", "--bogus"), ("nope",), ("call", "depth", "--timeout", "soon"), ()],
    ids=["missing-method", "unknown-option", "unknown-command", "bad-option-value", "no-command"],
)
def test_usage_errors_exit_1_not_2_which_means_rejected_by_the_server(args: tuple[str, ...]) -> None:
    done = cli(*args)
    assert done.returncode == 1, done.stderr
    assert "usage: binance-ws" in done.stderr and "error:" in done.stderr


def test_version_names_the_package_and_the_spec() -> None:
    done = cli("--version")
    spec_version = yaml.safe_load(SPEC.read_text())["info"]["version"]
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"binance-ws {__version__} (spec {spec_version}, 55 methods)"


def test_an_enum_value_error_lists_the_values_and_sends_nothing(exchange: Emulator) -> None:
    sent = exchange.requests.get("order.test", 0)
    done = cli(
        *("call", "order.test", "symbol=BTCUSDT", "side=BUYY", "type=LIMIT", "--secret-env", "DEMO_SECRET"),
        *("--url", exchange.url),
    )
    assert done.returncode == 1
    assert "parameter 'side': 'BUYY' is not one of BUY, SELL (did you mean 'BUY'?)" in done.stderr
    assert exchange.requests.get("order.test", 0) == sent


def test_misspelled_names_get_the_closest_suggestion(exchange: Emulator) -> None:
    method = cli("call", "ordr.place", "--url", exchange.url)
    assert method.returncode == 1
    assert "unknown method 'ordr.place' (did you mean 'order.place'?)" in method.stderr
    param = cli("call", "depth", "symbl=BTCUSDT", "--url", exchange.url)
    assert param.returncode == 1
    assert "parameter 'symbl': unknown parameter (did you mean 'symbol'?); parameters: symbol, limit" in param.stderr


def test_decimals_print_as_exact_strings_and_pretty_indents(exchange: Emulator) -> None:
    done = cli("call", "depth", "symbol=BTCUSDT", "limit=2", "--url", exchange.url)
    assert done.returncode == 0, done.stderr
    book = json.loads(done.stdout)
    price, qty = book["bids"][0]
    assert isinstance(price, str) and isinstance(qty, str)  # never a JSON number a float would round
    assert price == format(Decimal(price), "f") and "E" not in price + qty
    pretty = cli("call", "depth", "symbol=BTCUSDT", "limit=2", "--url", exchange.url, "--pretty")
    assert pretty.returncode == 0, pretty.stderr
    assert json.loads(pretty.stdout)["bids"] == book["bids"]
    assert len(pretty.stdout.splitlines()) > 5 and '\n  "bids": [' in pretty.stdout
    zero = cli(
        *("call", "order.test", "symbol=BTCUSDT", "side=BUY", "type=MARKET", "quantity=0.01"),
        *("computeCommissionRates=true", "--secret-env", "DEMO_SECRET", "--url", exchange.url),
    )
    assert zero.returncode == 0, zero.stderr
    assert json.loads(zero.stdout)["specialCommissionForOrder"]["maker"] == "0.00000000"  # not 0E-8


def test_logon_with_a_key_session_logon_refuses_fails_before_sending(exchange: Emulator) -> None:
    sent = exchange.requests.get("session.logon", 0)
    done = cli("call", "ping", "--logon", "--secret-env", "DEMO_SECRET", "--url", exchange.url)
    assert done.returncode == 1 and "--logon needs an Ed25519 key" in done.stderr
    assert exchange.requests.get("session.logon", 0) == sent


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """The stream's lines, read by a thread: a reader that never gets its line fails instead of hanging."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in iter(stream.readline, "")], daemon=True).start()
    return lines


def _pem_key(exchange: Emulator, kind: str, tmp_path: Path) -> tuple[str, Path]:
    private = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else rsa.generate_private_key(65537, 2048)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    api_key = f"cli-{kind}-key"
    exchange.register_key(api_key, kind, account="demo", public_key_pem=public)  # type: ignore[arg-type]
    path = tmp_path / f"{kind}.pem"
    path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return api_key, path


@pytest.mark.parametrize(
    ("kind", "subscribed_with"),
    [
        ("hmac", "userDataStream.subscribe.signature"),
        ("rsa", "userDataStream.subscribe.signature"),
        ("ed25519", "session.logon, userDataStream.subscribe"),
    ],
)
def test_watch_subscribes_the_way_the_key_allows_and_prints_events(
    exchange: Emulator, tmp_path: Path, kind: str, subscribed_with: str
) -> None:
    env = {**os.environ, "DEMO_API_KEY": DOCS_HMAC_API_KEY, "DEMO_API_SECRET": DOCS_HMAC_SECRET}
    if kind != "hmac":  # issue 15 item 2: HMAC and RSA used to get session.logon and "-1022"
        api_key, pem = _pem_key(exchange, kind, tmp_path)
        env = {**os.environ, "DEMO_API_KEY": api_key, "DEMO_PRIVATE_KEY_PATH": str(pem)}
    logons = exchange.requests.get("session.logon", 0)
    watch = subprocess.Popen(
        [*CLI, "watch", "--env", "DEMO", "--url", exchange.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert watch.stdout is not None and watch.stderr is not None
        out, err = _lines(watch.stdout), _lines(watch.stderr)
        first = err.get(timeout=30)
        assert first.startswith(f"# subscribed ({subscribed_with}; subscription "), first
        with Client(url=exchange.url, key=HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)) as client:
            order = client.order_place(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.01"))
        event = json.loads(out.get(timeout=30))
        assert (event["e"], event["i"], event["c"]) == ("executionReport", order.order_id, order.client_order_id)
        assert isinstance(event["q"], str) and Decimal(event["q"]) == Decimal("0.01")
        assert exchange.requests.get("session.logon", 0) == logons + (kind == "ed25519")
    finally:
        watch.terminate()
        watch.wait(10)
    assert DOCS_HMAC_SECRET not in "".join(err.queue)


def test_the_emulator_subcommand_makes_and_registers_an_ed25519_key(tmp_path: Path) -> None:
    """`binance-ws emulator --ed25519 PEM` writes a key if absent, registers it and says how to use it;
    it also prints the demo HMAC key and secret, so both kinds of key can be tried locally."""
    pem = tmp_path / "ed25519.pem"
    process = subprocess.Popen(
        [sys.executable, "-m", "binance_spot_ws._cli", "emulator", "--ed25519", str(pem)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        assert lines[0].startswith("wrote a new Ed25519 private key to") and pem.exists()
        url = lines[1].split("listening on ", 1)[1].strip()
        api_key = lines[2].split("demo HMAC api key: ", 1)[1].strip()
        secret = lines[3].split("demo HMAC secret:", 1)[1].split()[0]
        ed_key = lines[4].split("Ed25519 api key: ", 1)[1].split()[0]
        assert f"--api-key {ed_key} --key-file {pem}" in lines[4]
        signed = ["call", "account.status", "omit_zero_balances=true", "--url", url]
        with_ed = cli(*signed, "--api-key", ed_key, "--key-file", str(pem), "--logon")
        assert with_ed.returncode == 0, with_ed.stderr
        with_hmac = subprocess.run(
            [
                sys.executable,
                "-m",
                "binance_spot_ws._cli",
                *signed,
                "--api-key",
                api_key,
                "--secret-env",
                "DEMO_SECRET",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "DEMO_SECRET": secret},
            timeout=30,
        )
        assert with_hmac.returncode == 0, with_hmac.stderr
        # the same demo account behind both keys
        assert json.loads(with_ed.stdout)["balances"] == json.loads(with_hmac.stdout)["balances"] != []
    finally:
        process.terminate()
        process.wait(10)


def test_testnet_and_demo_switches_pick_the_specs_servers() -> None:
    import argparse

    from binance_spot_ws import _cli
    from binance_ws import cli as runtime_cli

    assert _cli.SERVERS["demo"] == "wss://demo-ws-api.binance.com/ws-api/v3"  # from the spec's servers

    def url(**switches: bool) -> str:
        options = {"url": None, "testnet": False, "demo": False, **switches}
        return runtime_cli._url(argparse.Namespace(servers=_cli.SERVERS, **options))

    assert url() == _cli.SERVERS["production"]
    assert url(testnet=True) == _cli.SERVERS["testnet"]
    assert url(demo=True) == _cli.SERVERS["demo"]
    with pytest.raises(runtime_cli.UsageError, match="no demo server"):
        runtime_cli._url(argparse.Namespace(url=None, testnet=False, demo=True, servers={}))
    both = cli("call", "time", "--demo", "--testnet")
    assert both.returncode == 1 and "not allowed with" in both.stderr
