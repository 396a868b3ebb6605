"""The changelog helper: public API differences between two specs, from the IR."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from generator.__main__ import api_json

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "codegen" / "golden" / "mini" / "spec.yaml"


def _api_diff():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("api_diff", ROOT / "scripts" / "api_diff.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_added_and_changed_parameters_are_reported(tmp_path: Path) -> None:
    edited = tmp_path / "spec.yaml"
    edited.write_text(
        MINI.read_text().replace(
            "        limit: {type: integer, format: int64, default: 100, maximum: 5000, description: Levels per side.}",
            "        limit: {type: string, description: Levels per side.}\n        symbolStatus: {type: string}",
        )
    )
    changes = _api_diff().diff(api_json(MINI), api_json(edited))
    assert "+ depth: parameter symbol_status: str" in changes
    assert any(line.startswith("~ depth: parameter limit:") and "'str'" in line for line in changes)
    assert _api_diff().diff(api_json(MINI), api_json(MINI)) == []
