"""SBE layouts (spec/sbe/*.sbe.yaml) -> `generated/<package>/_sbe.py`, the tables the codecs read.

The layout document is the project's own record of Binance's SBE schema (see
`generator.sbe_import`). This stage checks it and compiles each message into compact
tuples (wire order, offsets, the JSON name and shape of each value), so that the
runtime decoder (`binance_ws.sbe`) and the local exchange's encoder
(`binance_ws_emulator.sbe_encode`) interpret the same facts without reading YAML.
"""

from __future__ import annotations

import pprint
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError
from .render import ENV

#: The schema the SDK asks for and decodes (the latest in production).
DEFAULT_LAYOUT = "spot-3-5.sbe.yaml"
#: The schema of the SBE market-data streams (stream-sbe.binance.com) -> `_sbe_stream.py`.
STREAM_LAYOUT = "spot-stream-1-0.sbe.yaml"

_INT_KINDS = {"int", "timestamp"}

#: WebSocket methods the schema's comments do not name, answered with the same messages as
#: a sibling (the REST comments name their endpoints: `allOrderList`; OPO lists report like OTO).
METHOD_ALIASES = {
    "allOrderLists": "openOrderLists.status",
    "orderList.place": "orderList.place.oco",
    "orderList.place.opo": "orderList.place.oto",
    "orderList.place.opoco": "orderList.place.otoco",
}


def _error(path: Path, where: str, problem: str) -> SpecError:
    return SpecError(path, where, None, problem)


def load(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(path, "", None, f"cannot read the SBE layout document: {exc}") from None
    if not isinstance(document, dict) or not {"schema", "enums", "sets", "messages"} <= set(document):
        raise SpecError(path, "", None, "not an SBE layout document (schema, enums, sets, messages)")
    return document


def _exponent_names(block: dict[str, Any]) -> set[str]:
    names = {f["exponent"] for f in block["fields"] if "exponent" in f}
    for group in block["groups"]:
        names |= _exponent_names(group)
    return names


def _field(
    path: Path, where: str, field: dict[str, Any], exponents: set[str], document: dict[str, Any]
) -> tuple[Any, ...]:
    kind = field.get("kind")
    name = field["name"]
    json_name = field.get("json", name)
    since = field.get("sinceVersion", 0)
    default = field.get("jsonDefault")
    if kind == "constant":
        enum = document["enums"].get(field["enum"])
        value = next((v for v in (enum or {}).get("values", []) if v["name"] == field["value"]), None)
        if value is None:
            raise _error(path, where, f"constant {name!r} names no value of enum {field['enum']!r}")
        return (name, json_name, "constant", 0, "", 0, False, since, value.get("json", value["name"]), None)
    if kind in _INT_KINDS and name in exponents and field["primitive"] == "int8":
        kind = "exponent"
    ref: Any = None
    if kind == "mantissa" or kind == "mantissa128":
        ref = field.get("exponent")
        if ref is None:
            raise _error(path, where, f"mantissa {name!r} has no exponent")
    elif kind in ("enum", "bool"):
        ref = field["type"]
        if ref not in document["enums"]:
            raise _error(path, where, f"field {name!r}: unknown enum {ref!r}")
    elif kind == "set":
        ref = field["type"]
        if ref not in document["sets"]:
            raise _error(path, where, f"field {name!r}: unknown set {ref!r}")
    elif kind not in ("int", "timestamp", "float", "exponent"):
        raise _error(path, where, f"field {name!r}: unknown kind {kind!r}")
    if default is not None:
        if kind in _INT_KINDS:
            default = int(default)
        elif kind == "bool":
            default = default == "true"
    return (
        name,
        json_name,
        kind,
        field["offset"],
        field["primitive"],
        field["size"],
        bool(field.get("optional")),
        since,
        ref,
        default,
    )


def _block(
    path: Path, where: str, block: dict[str, Any], exponents: set[str], document: dict[str, Any]
) -> tuple[Any, ...]:
    fields = tuple(_field(path, f"{where}.{f['name']}", f, exponents, document) for f in block["fields"])
    end = max((f[3] + f[5] for f in fields), default=0)
    if block["blockLength"] < end:
        raise _error(path, where, f"blockLength {block['blockLength']} is shorter than its fields ({end})")
    groups = tuple(
        (
            group["name"],
            group.get("json", group["name"]),
            group.get("sinceVersion", 0),
            bool(group.get("jsonOmitNull")),
            group["dimension"]["blockLength"],
            group["dimension"]["numInGroup"],
            _block(path, f"{where}.{group['name']}", group, exponents, document),
        )
        for group in block["groups"]
    )
    data = tuple(
        (
            item["name"],
            item.get("json", item["name"]),
            item["kind"],
            item["length"],
            bool(item.get("optional")),
            item.get("sinceVersion", 0),
        )
        for item in block["data"]
    )
    return (block["blockLength"], fields, groups, data)


def compile_layout(path: Path) -> dict[str, Any]:
    """The tables `_sbe.py` holds, from one layout document. Raises SpecError."""
    document = load(path)
    enums = {
        name: {
            v["value"]: (None if v["name"] == "NonRepresentable" else v.get("json", v["name"])) for v in enum["values"]
        }
        for name, enum in sorted(document["enums"].items())
    }
    sets = {
        name: tuple(
            (c["bit"], None if c["name"] == "NonRepresentable" else c.get("json", c["name"])) for c in item["choices"]
        )
        for name, item in sorted(document["sets"].items())
    }
    messages: dict[int, tuple[Any, ...]] = {}
    methods: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    events: dict[int, str] = {}
    for message in document["messages"]:
        exponents = _exponent_names(message)
        messages[message["id"]] = (
            message["name"],
            message.get("sinceVersion", 0),
            _block(path, message["name"], message, exponents, document),
        )
        if "event" in message:
            events[message["id"]] = message["event"]
        for entry in message.get("methods", []):
            if not entry.get("retired"):
                methods.setdefault(entry["method"], []).append((message["id"], entry.get("params", {})))
    for alias, sibling in METHOD_ALIASES.items():
        if sibling in methods and alias not in methods:
            methods[alias] = methods[sibling]
    schema = document["schema"]
    return {
        "schema_id": schema["id"],
        "schema_version": schema["version"],
        "package": schema["package"],
        "enums": enums,
        "sets": sets,
        "messages": dict(sorted(messages.items())),
        "methods": {name: tuple(found) for name, found in sorted(methods.items())},
        "events": dict(sorted(events.items())),
    }


def _literal(value: Any) -> str:
    return pprint.pformat(value, width=110, sort_dicts=False)


def _render(path: Path, header: str) -> str:
    tables = compile_layout(path)
    return ENV.get_template("sbe.py.jinja").render(
        header=header,
        source=f"spec/sbe/{path.name}",
        tables={key: _literal(value) for key, value in tables.items()},
        schema_id=tables["schema_id"],
        schema_version=tables["schema_version"],
    )


def files(spec_dir: Path, header: str) -> dict[str, str]:
    """`{"_sbe.py": source}` for the layout the SDK decodes (and `_sbe_stream.py` for the
    market-data streams' layout when present), or {} without a spec/sbe directory."""
    path = spec_dir / DEFAULT_LAYOUT
    if not path.exists():
        return {}
    out = {"_sbe.py": _render(path, header)}
    stream = spec_dir / STREAM_LAYOUT
    if stream.exists():
        out["_sbe_stream.py"] = _render(stream, header.replace(DEFAULT_LAYOUT, STREAM_LAYOUT))
    return out
