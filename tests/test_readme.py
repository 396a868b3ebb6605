"""The README's code runs as written: its quick starts, and its error-handling example."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def _block(starting: str) -> str:
    found = [block for block in BLOCKS if starting in block]
    assert len(found) == 1, f"one README block holds {starting!r}"
    return found[0]


def _run(code: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_quick_start_runs_as_written(tmp_path: Path) -> None:
    out = _run(_block("async with Emulator() as exchange:"), tmp_path)
    bid, ask = re.search(r"best bid (\S+) best ask (\S+)", out).groups()  # type: ignore[union-attr]
    assert 0 < float(bid) < float(ask)
    assert re.search(r"order \d+ NEW", out), out  # a limit buy at the best bid rests


def test_the_ed25519_quick_start_runs_against_the_local_exchange(tmp_path: Path) -> None:
    """As written but for the URL and API key: the local exchange stands in for the testnet, with the
    key registered the way the README says (`binance-ws emulator --ed25519 ed25519.pem`)."""
    exchange = subprocess.Popen(
        [sys.executable, "-m", "binance_spot_ws._cli", "emulator", "--ed25519", "ed25519.pem"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert exchange.stdout is not None
        lines = [exchange.stdout.readline() for _ in range(5)]
        url = lines[1].split("listening on ", 1)[1].strip()
        api_key = lines[4].split("Ed25519 api key: ", 1)[1].split()[0]
        code = _block("Ed25519Key.from_pem_file")
        assert "url=TESTNET" in code and "<the API key the testnet showed>" in code
        code = code.replace("url=TESTNET", f"url={url!r}").replace("<the API key the testnet showed>", api_key)
        out = _run(code, tmp_path)
        balances = dict(line.split(" ", 1) for line in out.splitlines())
        assert "USDT" in balances and "BTC" in balances, out
    finally:
        exchange.terminate()
        exchange.wait(10)


def test_the_error_example_handles_what_it_says(tmp_path: Path) -> None:
    """Cancelling an order that is not there is the case the README's example lets through."""
    example = _block("from binance_spot_ws import BadRequest, ErrorCode")
    body = textwrap.indent(example.replace("from binance_spot_ws import BadRequest, ErrorCode\n", ""), "            ")
    code = f"""
import asyncio
from binance_spot_ws import AsyncClient, BadRequest, ErrorCode, HmacKey
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator

async def main() -> None:
    async with Emulator() as exchange:
        async with AsyncClient(url=exchange.url, key=HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)) as client:
{body}
            print("handled", exchange.requests["order.cancel"])

asyncio.run(main())
"""
    assert _run(code, tmp_path).strip() == "handled 1"
