"""Code generator: AsyncAPI spec -> msgspec Structs and typed clients in generated/.

Five pure stages (load, resolve, IR, render, format); nothing touches the disk
until `emit.write`, so `--check`, the golden tests and the real run share
`generate()`.
"""

from __future__ import annotations

from pathlib import Path

from . import emit, ir, load, render


def generate(spec: Path, *, package: str = "binance_spot_ws") -> dict[str, str]:
    """Spec file in, `{relative path: formatted source}` out. Raises SpecError."""
    document = load.document(spec)
    api = ir.build(document, package=package)
    return emit.formatted(render.package(api))
