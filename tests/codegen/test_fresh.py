"""generated/ is the golden record of spec/: any drift fails the build."""

from __future__ import annotations

import time

from generator import emit, generate
from generator.__main__ import OUT, SPEC


def test_generated_package_is_fresh() -> None:
    started = time.perf_counter()
    difference = emit.diff(generate(SPEC), OUT)
    assert not difference, f"generated/ is stale; run `nox -s generate`\n{difference[:5000]}"
    print(f"full regeneration took {time.perf_counter() - started:.2f} s")


def test_api_md_names_the_spec_it_comes_from() -> None:
    import re

    first = (OUT / "API.md").read_text().splitlines()[2]
    named = re.search(r"generated from `([^`]+)`", first)
    assert named, first
    assert (OUT.parents[1] / named.group(1)).resolve() == SPEC.resolve()


def test_runtime_never_imports_generated_code() -> None:
    import ast
    from pathlib import Path

    runtime = Path(__file__).resolve().parents[2] / "runtime" / "binance_ws"
    for source in runtime.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any(n.startswith("binance_spot_ws") for n in names), source
