"""Code generator: AsyncAPI spec -> msgspec Structs and typed clients in generated/.

Pure stages (load, check the spec's shape and recursion, IR, render, format);
nothing touches the disk until `emit.write`, so `--check`, the golden tests and
the real run share `generate()`. Every problem in a spec is a SpecError with the
file, the JSON pointer and the line.
"""

from __future__ import annotations

from pathlib import Path

from . import emit, ir, load, models, render, sbe, sbe_decode, sbe_stream_decode, streams


def generate(spec: Path, *, package: str = "binance_spot_ws", sbe_layouts: Path | None = None) -> dict[str, str]:
    """Spec file in, `{relative path: formatted source}` out. Raises SpecError.

    A top-level `x-streams: <file>` names the market-data streams document (a path
    relative to the spec); its subscriptions and event types are generated alongside.
    With a directory of SBE layouts (`spec/sbe/`), the package gets `_sbe.py` (the layout
    tables) and `_sbe_decode.py` (straight-line decoders into the result types) too, and with
    market-data streams and their SBE layout, `_sbe_stream.py` and `_sbe_stream_decode.py`.
    """
    document = load.document(spec)
    api = ir.build(document, package=package)
    sbe_files = (
        {} if sbe_layouts is None else sbe.files(sbe_layouts, models.HEADER.format(spec=f"sbe/{sbe.DEFAULT_LAYOUT}"))
    )
    package_files = render.package(
        api, streams_of(document), sbe=bool(sbe_files), sbe_stream="_sbe_stream.py" in sbe_files
    )
    if sbe_files and sbe_layouts is not None:
        sbe_files |= sbe_decode.files(
            sbe_layouts, api, package_files, models.HEADER.format(spec=f"sbe/{sbe.DEFAULT_LAYOUT}")
        )
        sbe_files |= sbe_stream_decode.files(
            sbe_layouts, package_files, api.package, models.HEADER.format(spec=f"sbe/{sbe.STREAM_LAYOUT}")
        )
    return emit.formatted(package_files | sbe_files)


def streams_of(document: load.Document) -> streams.Streams | None:
    """The streams document the spec names with `x-streams`, built; None if it names none."""
    name = document.root.get("x-streams")
    if name is None:
        return None
    if not isinstance(name, str):
        raise document.error("#/x-streams", "x-streams must be a file name relative to the spec")
    return streams.build(load.document(document.file.parent / name))
