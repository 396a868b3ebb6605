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
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, update_golden: bool) -> None:
    files = generate(CASES[case])
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
