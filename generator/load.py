"""Stage 1-2: read the YAML safely, keep a JSON-pointer -> line map, resolve local $refs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError


@dataclass
class Document:
    file: Path
    root: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)

    def error(self, pointer: str, message: str) -> SpecError:
        line = self.lines.get(pointer)
        probe = pointer
        while line is None and "/" in probe:
            probe = probe.rsplit("/", 1)[0]
            line = self.lines.get(probe)
        return SpecError(self.file, pointer, line, message)

    def get(self, pointer: str) -> Any:
        """The node at a local JSON pointer such as `#/components/schemas/Side`."""
        if not pointer.startswith("#"):
            raise self.error(pointer, "only local $refs ('#/...') are supported")
        node: Any = self.root
        for part in pointer[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise self.error(pointer, "dangling $ref: nothing at this path")
        return node

    def deref(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow `$ref`s (and chains of them); returns the node and where it really is."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str):
                raise self.error(pointer, "$ref must be a string")
            if ref in seen:
                raise self.error(pointer, f"circular $ref {ref}")
            seen.add(ref)
            try:
                node = self.get(ref)
            except SpecError as exc:
                raise self.error(pointer, f"dangling $ref {ref!r}") from exc
            pointer = ref
        return node, pointer


def document(path: Path) -> Document:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(path, "#", None, f"cannot read spec: {exc}") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()  # one parse: the line map and the data come from the same nodes
        lines = _line_map(path, node)
        root = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SpecError(path, "#", mark.line + 1 if mark else None, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise SpecError(path, "#", None, "the YAML nests too deeply to read") from None
    finally:
        loader.dispose()
    if not isinstance(root, dict):
        raise SpecError(path, "#", 1, "the spec must be a YAML mapping")
    return Document(path, root, lines)


def child(pointer: str, key: object) -> str:
    """The JSON pointer of `key` under `pointer` (`/` and `~` escaped as RFC 6901 says)."""
    return f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"


#: More nodes than any real spec has (the Binance spec has ~30k): aliases expanding exponentially.
MAX_NODES = 2_000_000


def _line_map(path: Path, root: yaml.Node | None) -> dict[str, int]:
    """JSON pointer -> line; a key given twice in one mapping is an error (YAML would keep the last)."""
    lines: dict[str, int] = {}
    on_path: set[int] = set()  # an alias to a node that contains it would nest forever

    def walk(node: yaml.Node, pointer: str) -> None:
        if id(node) in on_path:
            raise SpecError(path, pointer, node.start_mark.line + 1, "a YAML alias refers to a node that contains it")
        if len(lines) > MAX_NODES:
            raise SpecError(path, pointer, node.start_mark.line + 1, f"more than {MAX_NODES} nodes (YAML aliases?)")
        lines.setdefault(pointer, node.start_mark.line + 1)
        on_path.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                name = str(key.value)
                line = key.start_mark.line + 1
                if name in first and name != "<<":
                    raise SpecError(
                        path, child(pointer, name), line, f"key {name!r} is given twice (first on line {first[name]})"
                    )
                first[name] = line
                lines.setdefault(child(pointer, name), line)
                walk(value, child(pointer, name))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, f"{pointer}/{index}")
        on_path.discard(id(node))

    if root is not None:
        walk(root, "#")
    return lines
