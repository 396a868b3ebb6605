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


def test_the_streams_are_listed_with_their_parameters() -> None:
    """`python -m generator --api-json` lists the market-data streams of the spec's x-streams document too."""
    surface = api_json(ROOT / "spec" / "binance-spot-ws.asyncapi.yaml")
    kline = surface["stream {symbol}@kline_{interval}{timezone}"]
    assert isinstance(kline, dict) and kline["python"] == "MarketStreams.kline"
    assert kline["result"] == "stream_types.KlineEvent"
    assert kline["params"]["symbol"] == {"type": "str", "required": True}
    assert kline["params"]["interval"]["required"] is True and '"1M"' in kline["params"]["interval"]["type"]
    assert kline["params"]["timezone"] == {"type": 'Literal["+08:00"] | None', "required": False}
    assert surface["stream !miniTicker@arr"]["params"] == {"buffer": {"type": "int | None", "required": False}}  # type: ignore[index]
    assert "depth" in surface and not any(k.startswith("stream") for k in api_json(MINI))  # MINI names no x-streams
    old = {k: v for k, v in surface.items() if k != "stream {symbol}@trade"}
    old["stream {symbol}@ticker"] = {**surface["stream {symbol}@ticker"], "params": {}}  # type: ignore[dict-item]
    changes = _api_diff().diff(old, surface)
    assert "+ stream {symbol}@trade (MarketStreams.trade)" in changes
    assert "+ stream {symbol}@ticker: parameter symbol: str" in changes
