"""Every example runs against the embedded local exchange, so the examples never rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")))
def test_example_runs(script: str) -> None:
    done = subprocess.run([sys.executable, script], cwd=EXAMPLES, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "OK" in done.stdout or script == "demo.py"
    if script == "demo.py":
        assert "MARKET order" in done.stdout and "CANCELED" in done.stdout
