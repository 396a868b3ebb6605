"""Schemas no finite value can match: a required property that leads back to its own schema.

`CancelReplaceResult: {required: [cancelResult], properties: {cancelResult: {$ref:
CancelReplaceResult}}}` describes only infinitely deep objects, so every real response fails
to decode. A loop of references is fine when some step of it can stop: an optional property,
a nullable type, an array (it may be empty), an alternative of a oneOf/anyOf that stops, or
any value that is not an object.
"""

from __future__ import annotations

from typing import Any

from .load import Document, child

_SCHEMAS = "#/components/schemas/"


def check(document: Document) -> None:
    """Raise a SpecError naming the schema and property of the first loop that cannot end."""
    nodes = _nodes(document)
    finite: set[str] = set()
    changed = True
    while changed:  # least fixpoint: a schema ends once each of its required steps can end
        changed = False
        for pointer, node in nodes.items():
            if pointer not in finite and _ends(document, node, finite):
                finite.add(pointer)
                changed = True
    stuck = [pointer for pointer in nodes if pointer not in finite]
    if not stuck:
        return
    # Follow the required steps from the first stuck schema until one repeats: that is the loop.
    steps: list[tuple[str, str, str]] = []  # (schema pointer, property path, property pointer)
    pointer = stuck[0]
    while pointer not in [step[0] for step in steps]:
        path, at, target = _blocker(document, nodes[pointer], pointer, finite)
        steps.append((pointer, path, at))
        pointer = target
    loop = steps[[step[0] for step in steps].index(pointer) :]
    first_pointer, first_path, first_at = loop[0]
    name = _name(first_pointer)
    if len(loop) == 1:
        how = f"refers to {name} itself"
    else:
        chain = " -> ".join(f"{_name(p)}.{path}" for p, path, _ in loop)
        how = f"leads back to {name} ({chain} -> {name})"
    raise document.error(
        first_at,
        f"{name}.{first_path} is required and {how}, so no finite value matches: make a property on "
        "this loop optional, nullable or an array, or point it at the schema it should be",
    )


def _name(pointer: str) -> str:
    return pointer[len(_SCHEMAS) :] if pointer.startswith(_SCHEMAS) else pointer


def _nodes(document: Document) -> dict[str, Any]:
    """Every named schema and every $ref target, by real pointer (components/schemas first)."""
    schemas = (document.root.get("components") or {}).get("schemas") or {}
    nodes: dict[str, Any] = {child("#/components/schemas", name): schema for name, schema in schemas.items()}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                target, real = document.deref(node, "#")
                if isinstance(target, dict):
                    nodes.setdefault(real, target)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document.root)
    return nodes


def _types(node: dict[str, Any]) -> tuple[Any, ...]:
    kind = node.get("type")
    return tuple(kind) if isinstance(kind, list) else (kind,)


def _parts(node: dict[str, Any]) -> tuple[list[Any], list[Any], list[tuple[str, Any]], list[Any]]:
    """(alternatives, allOf parts, required (name, schema) pairs, items that must appear)."""
    alternatives = list(node.get("oneOf") or node.get("anyOf") or [])
    every = list(node.get("allOf") or [])
    properties = node.get("properties") or {}
    required = [(name, properties[name]) for name in node.get("required") or [] if name in properties]
    items: list[Any] = []
    if (node.get("minItems") or 0) >= 1:
        items = list(node.get("prefixItems") or []) or [node.get("items")]
    return alternatives, every, required, items


def _ends(document: Document, node: Any, finite: set[str]) -> bool:
    """True when `node` has a finite value, given the referenced schemas known to have one."""
    if not isinstance(node, dict):
        return True
    if "$ref" in node:
        return document.deref(node, "#")[1] in finite
    if "null" in _types(node):
        return True
    if "array" in _types(node) and not (node.get("minItems") or 0):
        return True
    alternatives, every, required, items = _parts(node)
    if alternatives and not any(_ends(document, alt, finite) for alt in alternatives):
        return False
    return all(_ends(document, part, finite) for part in every + [s for _, s in required] + items)


def _blocker(document: Document, node: Any, pointer: str, finite: set[str]) -> tuple[str, str, str]:
    """For a schema that cannot end: (property path, its pointer, the schema it leads to)."""
    if "$ref" in node:
        return "", pointer, document.deref(node, pointer)[1]
    alternatives, every, required, items = _parts(node)
    key = "oneOf" if "oneOf" in node else "anyOf"
    candidates = (
        [(f"{key}/0", "", alternatives[0])]
        if alternatives and not any(_ends(document, alt, finite) for alt in alternatives)
        else []
    )
    candidates += [(f"allOf/{i}", "", part) for i, part in enumerate(every)]
    candidates += [(f"properties/{child('', name)[1:]}", name, schema) for name, schema in required]
    listed = "prefixItems" if node.get("prefixItems") else "items"
    candidates += [(f"{listed}/{i}" if listed == "prefixItems" else listed, "[]", item) for i, item in enumerate(items)]
    for where, label, sub in candidates:
        if not _ends(document, sub, finite):
            path, at, target = _blocker(document, sub, f"{pointer}/{where}", finite)
            joined = ".".join(part for part in (label, path) if part)
            return joined, at, target
    raise AssertionError(f"{pointer} was found not to end but no step blocks it")  # pragma: no cover
