"""python -m generator: regenerate generated/ from spec/ (or --check that it is fresh)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import emit, ir, load, streams_of
from . import generate as generate_files
from .errors import SpecError

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "binance-spot-ws.asyncapi.yaml"
SBE_LAYOUTS = ROOT / "spec" / "sbe"
OUT = ROOT / "generated" / "binance_spot_ws"


def api_json(spec: Path) -> dict[str, object]:
    """The public API surface for changelog diffs: the methods (by wire name) and the market-data
    streams of the spec's `x-streams` document (as `stream <address>`), with parameters and types."""
    document = load.document(spec)
    api = ir.build(document)
    surface: dict[str, object] = {
        m.wire: {
            "python": m.name,
            "security": m.security,
            "result": m.result_type,
            "deprecated": m.deprecated,
            "retry_safe": m.retry_safe,
            "params": {p.name: {"type": p.annotation, "required": p.required} for p in m.params},
        }
        for m in api.methods
    }
    streams = streams_of(document)
    for sub in streams.subscriptions if streams is not None else ():
        surface[f"stream {sub.address}"] = {
            "python": f"MarketStreams.{sub.name}",
            "security": "NONE",
            "result": sub.event_type,
            "deprecated": False,
            "retry_safe": True,  # subscribing again changes nothing
            "params": signature_params(sub.signature),
        }
    return surface


def signature_params(signature: str) -> dict[str, dict[str, object]]:
    """`self, symbol: str, *, buffer: int | None = None` -> {name: {type, required}}."""
    pieces: list[str] = []
    depth = start = 0
    for index, char in enumerate(signature):
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == "," and depth == 0:  # a comma between parameters, not inside Literal[...]
            pieces.append(signature[start:index])
            start = index + 1
    pieces.append(signature[start:])
    params: dict[str, dict[str, object]] = {}
    for piece in (p.strip() for p in pieces):
        if piece in ("self", "*", ""):
            continue
        name, _, rest = piece.partition(":")
        annotation, has_default, _ = rest.partition("=")
        params[name.strip()] = {"type": annotation.strip(), "required": not has_default}
    return params


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="fail if --out differs from a fresh generation")
    parser.add_argument("--api-json", action="store_true", help="print the public API surface as JSON")
    parser.add_argument("--sbe", type=Path, default=SBE_LAYOUTS, help="directory of SBE layout documents")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        if args.api_json:
            print(json.dumps(api_json(args.spec), indent=1, sort_keys=True))
            return 0
        files = generate_files(args.spec, sbe_layouts=args.sbe)
    except SpecError as error:
        print(f"spec error: {error}", file=sys.stderr)
        return 2
    if args.check:
        difference = emit.diff(files, args.out)
        if difference:
            print(difference[:20000], file=sys.stderr)
            print(f"{args.out} is stale: run `nox -s generate`", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    try:
        emit.write(files, args.out)
    except OSError as error:
        print(f"cannot write {args.out}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(f"generated {len(files)} files in {args.out} ({time.perf_counter() - started:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
