"""A strict user's script type-checks with mypy --strict and pyright strict; wrong uses are caught."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("user_script.py")


def _mypy(*paths: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr


def _pyright(*paths: Path) -> tuple[int, str]:
    # The project's strict settings, in a config beside the checked files: pyright skips files on
    # its command line whose path below the project root holds a dot directory (nox's .nox/ tmp).
    folder = paths[-1].parent
    config = {
        "typeCheckingMode": "strict",
        "pythonVersion": "3.10",
        "extraPaths": [str(ROOT / name) for name in ("runtime", "generated", "emulator")],
    }
    (folder / "pyrightconfig.json").write_text(json.dumps(config))
    done = subprocess.run(
        [sys.executable, "-m", "pyright", "--pythonpath", sys.executable, "-p", str(folder), *map(str, paths)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr


CHECKERS = {"mypy": _mypy, "pyright": _pyright}


#: Each line marked `# wrong` must be reported, and nothing else.
WRONG = """
from __future__ import annotations

from decimal import Decimal

from binance_spot_ws import AsyncClient, Client, types


async def wrong(client: AsyncClient) -> None:
    many = await client.ticker_price(symbols=["BTCUSDT"])
    print(many.price)  # wrong: a list has no price
    one = await client.ticker_price(symbol="BTCUSDT")
    print(one.price)
    await client.order_place(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.1)  # wrong: float
    event = await client.next_event()
    print(event.order_id)  # wrong: may be a StreamGap (or None)
    if isinstance(event, types.ExecutionReport):
        print(event.order_id)
    account = await client.account_status()
    commission: str = account.maker_commission  # wrong: an int
    print(commission, Decimal(1))
    types.Balance(asset="BTC", free=1.5, locked=Decimal(1))  # wrong: a float for money
    price: str = (await client.depth(symbol="BTCUSDT")).bids[0].price  # wrong: a Decimal
    print(price)


def wrong_blocking() -> None:
    Client(timout=5)  # wrong: misspelled option
"""


def _error_lines(output: str, name: str) -> set[int]:
    """Lines of the errors reported in file `name` (mypy `f.py:3: error`, pyright `f.py:3:5 - error`)."""
    return {int(n) for n in re.findall(rf"{re.escape(name)}:(\d+):\d*:? ?-? ?error", output)}


@pytest.mark.parametrize("checker", CHECKERS)
def test_the_user_script_is_clean_and_wrong_uses_are_caught(checker: str, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong_use.py"
    wrong.write_text(WRONG)
    code, output = CHECKERS[checker](SCRIPT, wrong)  # one run of the checker for both files
    assert code != 0
    assert SCRIPT.name not in output, output  # the user script: not one error
    expected = {n for n, line in enumerate(WRONG.splitlines(), 1) if "# wrong" in line}
    assert _error_lines(output, wrong.name) == expected, output


def test_the_user_script_runs() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "BTCUSDT" in done.stdout and "calls" in done.stdout
