"""Code generator: AsyncAPI spec -> msgspec Structs and typed clients in generated/.

Pure stages (load, check the spec's shape and recursion, IR, render, format);
nothing touches the disk until `emit.write`, so `--check`, the golden tests and
the real run share `generate()`. Every problem in a spec is a SpecError with the
file, the JSON pointer and the line.
"""

from __future__ import annotations

from pathlib import Path

from . import emit, ir, load, render


def generate(spec: Path, *, package: str = "binance_spot_ws") -> dict[str, str]:
    """Spec file in, `{relative path: formatted source}` out. Raises SpecError."""
    document = load.document(spec)
    api = ir.build(document, package=package)
    return emit.formatted(render.package(api))
