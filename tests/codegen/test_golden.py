"""Golden records: small specs and their expected generated packages, file by file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import emit, generate

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).resolve().parents[2]
CASES = {
    "mini": GOLDEN / "mini" / "spec.yaml",  # params, enums, rows, nested results, events
    "v3": GOLDEN / "v3" / "spec.yaml",  # AsyncAPI 3.0 operations with reply
    "streams": GOLDEN / "streams" / "spec.yaml",  # x-streams: a market-data streams document beside the API
    "seed": ROOT / "spec" / "seed.asyncapi.yaml",  # the seed, exactly as the project started
    "sbe": GOLDEN / "mini" / "spec.yaml",  # the mini spec with SBE layouts: _sbe.py and the direct decoders
}
#: SBE layout directories of the cases that have one.
LAYOUTS = {"sbe": GOLDEN / "sbe" / "layouts"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, update_golden: bool) -> None:
    files = generate(CASES[case], sbe_layouts=LAYOUTS.get(case))
    expected = GOLDEN / case / "expected"
    if update_golden:
        emit.write(files, expected)
    assert emit.diff(files, expected) == ""


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_output_imports_and_runs(case: str, tmp_path: Path) -> None:
    """The generated package imports (in a fresh interpreter) and exposes a method per spec method."""
    shutil.copytree(GOLDEN / case / "expected", tmp_path / "binance_spot_ws")
    code = (
        "import binance_spot_ws as p, inspect;"
        "names = [m for m in dir(p.AsyncClient) if not m.startswith('_') and inspect.iscoroutinefunction(getattr(p.AsyncClient, m))];"
        "print(len(p.METHODS), len(names))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": f"{tmp_path}:{ROOT / 'runtime'}", "PATH": ""},
    ).stdout.split()
    methods, coroutines = int(out[0]), int(out[1])
    assert methods > 0
    assert coroutines >= methods  # plus the runtime's own coroutines (connect, close, ...)


def test_generation_is_deterministic() -> None:
    assert generate(CASES["mini"]) == generate(CASES["mini"])
    assert generate(CASES["sbe"], sbe_layouts=LAYOUTS["sbe"]) == generate(CASES["sbe"], sbe_layouts=LAYOUTS["sbe"])


def test_golden_sbe_decoders_decode_what_the_encoder_writes(tmp_path: Path) -> None:
    """The mini package's direct decoders (in a fresh interpreter, with the local exchange's encoder
    over the mini layouts): a FULL order answer whose `preventedMatches` group no field holds is
    passed over, the fills and strings after it are read, and the Struct equals the JSON decode."""
    shutil.copytree(GOLDEN / "sbe" / "expected", tmp_path / "binance_spot_ws")
    code = """
import msgspec
from binance_spot_ws import _sbe_decode, types
from binance_ws_emulator import sbe_encode
answer = {"symbol": "BTCUSDT", "orderId": 7, "orderListId": -1, "clientOrderId": "abc", "transactTime": 1,
          "price": "1.50000000", "origQty": "2.00000000", "executedQty": "2.00000000",
          "origQuoteOrderQty": "0.00000000", "cummulativeQuoteQty": "3.00000000", "status": "FILLED",
          "timeInForce": "GTC", "type": "LIMIT", "side": "BUY", "workingTime": 1,
          "selfTradePreventionMode": "NONE",
          "fills": [{"price": "1.50000000", "qty": "2.00000000", "commission": "0.00000000",
                     "commissionAsset": "BNB", "tradeId": 3}],
          "preventedMatches": [{"preventedMatchId": 1, "makerOrderId": 2, "price": "1.50000000",
                                "takerPreventedQuantity": "1.00000000", "makerSymbol": "BTCUSDT"}]}
data = sbe_encode.message(answer, [302])
block, template, _, version = sbe_encode.struct.unpack_from("<HHHH", data)
built = _sbe_decode.RESULTS["order.place"][template](data, 8, block, version, len(data))
assert built == msgspec.json.decode(msgspec.json.encode(answer), type=types.OrderResponse), built
print(built.fills[0].qty, built.status, built.client_order_id)
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{tmp_path}:{ROOT / 'runtime'}:{ROOT / 'emulator'}", "PATH": ""},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2.00000000", "FILLED", "abc"]
