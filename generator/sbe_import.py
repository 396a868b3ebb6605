"""python -m generator.sbe_import: an SBE message schema (FIX SBE XML) -> the project's layout document.

Binance publishes its SBE schemas as XML. The project builds from a document of its own,
`spec/sbe/<package>-<id>-<version>.sbe.yaml`: every type resolved to a primitive, every
field with its offset and size, every group and var-data field in wire order, the JSON
names and values Binance maps them to (`mbx:` attributes), and the WebSocket methods each
response message answers (from the schema's comments). A new schema from Binance is one
run of this command, a review of the diff and `python -m generator`.

    python -m generator.sbe_import path/to/spot_3_5.xml            # writes spec/sbe/spot-3-5.sbe.yaml
    python -m generator.sbe_import path/to/spot_3_5.xml --check    # exit 1 if the document differs
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "spec" / "sbe"

_SBE = "{http://fixprotocol.io/2016/sbe}"
_MBX = "{https://developers.binance.com/docs/binance-spot-api-docs}"

#: Size in bytes of each SBE primitive type.
PRIMITIVE_SIZE = {
    "char": 1,
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "uint16": 2,
    "int32": 4,
    "uint32": 4,
    "int64": 8,
    "uint64": 8,
    "float": 4,
    "double": 8,
}

_METHOD = re.compile(r'WebSocket "method":"([^"]+)"(?:,"params":(\{[^}]*\}))?')
_ALSO = re.compile(r'and "method":"([^"]+)"')
_EVENT = re.compile(r'\s*"(\w+)"')  # a user-data event's comment: its JSON type
_PARAM = re.compile(r'"(\w+)":(?:"([^"]*)"|(\[[^\]]*\])|(true|false))')


class SchemaError(ValueError):
    """The XML is not an SBE schema this importer understands (names the element)."""


def _int(text: str | None, where: str) -> int:
    try:
        return int(text or "")
    except ValueError:
        raise SchemaError(f"{where}: expected an integer, got {text!r}") from None


def _mbx(element: ET.Element, name: str) -> str | None:
    return element.get(_MBX + name)


class _Types:
    def __init__(self, types: ET.Element) -> None:
        self.simple: dict[str, dict[str, Any]] = {}
        self.composites: dict[str, list[dict[str, Any]]] = {}
        self.enums: dict[str, dict[str, Any]] = {}
        self.sets: dict[str, dict[str, Any]] = {}
        for element in types:
            if not isinstance(element.tag, str):
                continue  # a comment
            name = element.get("name") or ""
            tag = element.tag
            if tag == "type":
                self.simple[name] = self._simple(element, f"type {name}")
            elif tag == "composite":
                self.composites[name] = [
                    self._simple(part, f"composite {name}.{part.get('name')}") | {"name": part.get("name")}
                    for part in element
                    if isinstance(part.tag, str)
                ]
            elif tag == "enum":
                self.enums[name] = {
                    "encoding": element.get("encodingType"),
                    **_since(element),
                    "values": [
                        {
                            "name": value.get("name"),
                            "value": _int((value.text or "").strip(), f"enum {name}.{value.get('name')}"),
                            **({"json": _mbx(value, "jsonValue")} if _mbx(value, "jsonValue") else {}),
                            **_since(value),
                        }
                        for value in element
                        if isinstance(value.tag, str)
                    ],
                }
            elif tag == "set":
                self.sets[name] = {
                    "encoding": element.get("encodingType"),
                    **_since(element),
                    "choices": [
                        {
                            "name": choice.get("name"),
                            "bit": _int((choice.text or "").strip(), f"set {name}.{choice.get('name')}"),
                            **({"json": _mbx(choice, "jsonValue")} if _mbx(choice, "jsonValue") else {}),
                            **_since(choice),
                        }
                        for choice in element
                        if isinstance(choice.tag, str)
                    ],
                }
            else:
                raise SchemaError(f"types: unknown element <{tag}>")

    @staticmethod
    def _simple(element: ET.Element, where: str) -> dict[str, Any]:
        primitive = element.get("primitiveType")
        if primitive not in PRIMITIVE_SIZE:
            raise SchemaError(f"{where}: unknown primitiveType {primitive!r}")
        out: dict[str, Any] = {"primitive": primitive}
        length = element.get("length")
        if length is not None and length != "1":
            out["length"] = _int(length, where)
        if element.get("characterEncoding"):
            out["characterEncoding"] = element.get("characterEncoding")
        if element.get("maxValue"):
            out["maxValue"] = _int(element.get("maxValue"), where)
        out.update(_since(element))
        return out


def _since(element: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if element.get("sinceVersion"):
        out["sinceVersion"] = _int(element.get("sinceVersion"), f"<{element.tag} name={element.get('name')}>")
    if element.get("deprecated"):
        out["deprecated"] = _int(element.get("deprecated"), f"<{element.tag} name={element.get('name')}>")
    return out


def _json_attrs(element: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    path = _mbx(element, "jsonPath")
    if path is not None:
        out["json"] = path
    default = _mbx(element, "jsonDefaultValue")
    if default is not None:
        out["jsonDefault"] = default
    if _mbx(element, "jsonOmitNull") == "true":
        out["jsonOmitNull"] = True
    return out


def _field(element: ET.Element, types: _Types, offset: int, where: str) -> tuple[dict[str, Any], int]:
    name = element.get("name") or ""
    type_name = element.get("type") or ""
    presence = element.get("presence", "required")
    out: dict[str, Any] = {"name": name, "id": _int(element.get("id"), where), "type": type_name}
    if presence == "constant":
        ref = element.get("valueRef") or ""
        enum_name, _, value_name = ref.partition(".")
        enum = types.enums.get(enum_name)
        if enum is None or not any(v["name"] == value_name for v in enum["values"]):
            raise SchemaError(f"{where}: constant valueRef {ref!r} names no enum value")
        out.update({"kind": "constant", "enum": enum_name, "value": value_name})
        out.update(_since(element))
        out.update(_json_attrs(element))
        return out, offset
    length = 1
    if type_name in types.enums:
        primitive = types.enums[type_name]["encoding"]
        kind = "bool" if type_name == "boolEnum" else "enum"
    elif type_name in types.sets:
        primitive = types.sets[type_name]["encoding"]
        kind = "set"
    elif type_name in types.simple or type_name in PRIMITIVE_SIZE:
        simple = types.simple.get(type_name, {"primitive": type_name})
        primitive = simple["primitive"]
        length = simple.get("length", 1)
        if _mbx(element, "exponent"):
            kind = "mantissa128" if length == 16 else "mantissa"
        elif type_name == "utcTimestampUs":
            kind = "timestamp"
        elif primitive in ("float", "double"):
            kind = "float"
        else:
            kind = "int"
    else:
        raise SchemaError(f"{where}: field {name!r} has unknown type {type_name!r}")
    if primitive not in PRIMITIVE_SIZE:
        raise SchemaError(f"{where}: field {name!r}: unknown encoding {primitive!r}")
    size = PRIMITIVE_SIZE[primitive] * length
    if element.get("offset") is not None:
        declared = _int(element.get("offset"), where)
        if declared < offset:
            raise SchemaError(f"{where}: field {name!r} offset {declared} overlaps the field before it")
        offset = declared
    out.update({"kind": kind, "primitive": primitive, "offset": offset, "size": size})
    if presence == "optional":
        out["optional"] = True
    elif presence != "required":
        raise SchemaError(f"{where}: field {name!r}: unknown presence {presence!r}")
    if _mbx(element, "exponent"):
        out["exponent"] = _mbx(element, "exponent")
    out.update(_since(element))
    out.update(_json_attrs(element))
    return out, offset + size


def _data(element: ET.Element, types: _Types, where: str) -> dict[str, Any]:
    type_name = element.get("type") or ""
    parts = types.composites.get(type_name)
    if not parts or len(parts) != 2 or parts[0]["name"] != "length":
        raise SchemaError(f"{where}: data {element.get('name')!r} has no length/varData composite {type_name!r}")
    encoding = parts[1].get("characterEncoding")
    optional = type_name.startswith("optional")
    kind = "string" if encoding else "message"
    out: dict[str, Any] = {
        "name": element.get("name"),
        "id": _int(element.get("id"), where),
        "type": type_name,
        "kind": kind,
        "length": parts[0]["primitive"],
    }
    if optional:
        out["optional"] = True
    out.update(_since(element))
    out.update(_json_attrs(element))
    return out


def _block(element: ET.Element, types: _Types, where: str) -> dict[str, Any]:
    """Fields, groups and var data of a message or group, in wire order, with offsets."""
    fields: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    data: list[dict[str, Any]] = []
    offset = 0
    for child in element:
        if not isinstance(child.tag, str):
            continue
        here = f"{where}.{child.get('name')}"
        if child.tag == "field":
            if groups or data:
                raise SchemaError(f"{here}: a field after a group or var data")
            field, offset = _field(child, types, offset, here)
            fields.append(field)
        elif child.tag == "group":
            if data:
                raise SchemaError(f"{here}: a group after var data")
            dimension = child.get("dimensionType", "groupSizeEncoding")
            parts = types.composites.get(dimension)
            if not parts or [p["name"] for p in parts] != ["blockLength", "numInGroup"]:
                raise SchemaError(f"{here}: dimensionType {dimension!r} is not blockLength + numInGroup")
            group = {
                "name": child.get("name"),
                "id": _int(child.get("id"), here),
                "dimension": {"blockLength": parts[0]["primitive"], "numInGroup": parts[1]["primitive"]},
            }
            group.update(_since(child))
            group.update(_json_attrs(child))
            group.update(_block(child, types, here))
            groups.append(group)
        elif child.tag == "data":
            data.append(_data(child, types, here))
        else:
            raise SchemaError(f"{here}: unknown element <{child.tag}>")
    declared = element.get("blockLength")
    block_length = _int(declared, where) if declared is not None else offset
    if block_length < offset:
        raise SchemaError(f"{where}: blockLength {block_length} is shorter than its fields ({offset})")
    return {"blockLength": block_length, "fields": fields, "groups": groups, "data": data}


def _methods(comment: str) -> list[dict[str, Any]]:
    """The WebSocket methods a `<!-- Response for ... -->` comment names, with their params."""
    found: list[dict[str, Any]] = []
    for match in _METHOD.finditer(comment):
        entry: dict[str, Any] = {"method": match.group(1)}
        if match.group(2):
            params: dict[str, Any] = {}
            for param in _PARAM.finditer(match.group(2)):
                key, text, array, flag = param.groups()
                params[key] = text if text is not None else (array if array is not None else flag == "true")
            if params:
                entry["params"] = params
        tail = comment[match.end() : match.end() + 40]
        if "(RETIRED)" in tail.split("\n", 1)[0]:
            entry["retired"] = True
        found.append(entry)
    for also in _ALSO.finditer(comment):
        found.append({"method": also.group(1)})
    return found


def convert(xml_text: str | bytes) -> dict[str, Any]:
    """The layout document for one SBE XML schema. Raises SchemaError."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    try:
        root = ET.fromstring(xml_text, parser=parser)
    except ET.ParseError as exc:
        raise SchemaError(f"not well-formed XML: {exc}") from None
    if root.tag != _SBE + "messageSchema":
        raise SchemaError(f"the root element is <{root.tag}>, not <sbe:messageSchema>")
    types_element = root.find("types")
    if types_element is None:
        raise SchemaError("no <types>")
    types = _Types(types_element)
    header = types.composites.get(root.get("headerType", "messageHeader"))
    if not header or [p["name"] for p in header] != ["blockLength", "templateId", "schemaId", "version"]:
        raise SchemaError("messageHeader is not blockLength, templateId, schemaId, version")
    messages: list[dict[str, Any]] = []
    pending_comment = last_comment = ""
    for element in root:
        if callable(element.tag):  # a comment
            pending_comment += str(element.text or "")
            last_comment = str(element.text or "")
            continue
        if element.tag != _SBE + "message":
            pending_comment = last_comment = ""
            continue
        name = element.get("name") or ""
        message: dict[str, Any] = {"name": name, "id": _int(element.get("id"), f"message {name}")}
        message.update(_since(element))
        methods = _methods(pending_comment)
        if methods:
            message["methods"] = methods
        event = _EVENT.match(last_comment)
        if event and name.endswith("Event"):
            message["event"] = event.group(1)  # the JSON event type (`e`)
        pending_comment = last_comment = ""
        message.update(_block(element, types, name))
        messages.append(message)
    ids = [m["id"] for m in messages]
    if len(set(ids)) != len(ids):
        raise SchemaError("two messages share a template id")
    return {
        "schema": {
            "package": root.get("package"),
            "id": _int(root.get("id"), "messageSchema id"),
            "version": _int(root.get("version"), "messageSchema version"),
            "semanticVersion": root.get("semanticVersion"),
            "byteOrder": root.get("byteOrder", "littleEndian"),
        },
        "header": {part["name"]: part["primitive"] for part in header},
        "types": types.simple,
        "composites": types.composites,
        "enums": types.enums,
        "sets": types.sets,
        "messages": messages,
    }


_HEAD = """\
# SBE layouts: schema {package} {id}:{version}, imported from Binance's published XML by
# `python -m generator.sbe_import` (do not edit by hand: re-import and review the diff).
# Offsets and sizes are in bytes; `json` is the JSON field name (`..`: the value itself,
# `[]`: the next array element); `sinceVersion` fields are absent from older versions.
"""


def dump(document: dict[str, Any]) -> str:
    """The document as YAML text, deterministically."""
    body = yaml.safe_dump(document, sort_keys=False, default_flow_style=None, width=120, allow_unicode=True)
    return _HEAD.format(**document["schema"]) + body


def target_for(document: dict[str, Any]) -> Path:
    schema = document["schema"]
    return (
        SPEC_DIR
        / f"{schema['package'].replace('_sbe', '').replace('_', '-')}-{schema['id']}-{schema['version']}.sbe.yaml"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator.sbe_import", description=__doc__.split("\n\n")[0])
    parser.add_argument("xml", type=Path, help="Binance's SBE schema (e.g. spot_3_5.xml)")
    parser.add_argument("--out", type=Path, help="the layout document to write (default: spec/sbe/<name>.sbe.yaml)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the document differs from a fresh import")
    args = parser.parse_args(argv)
    try:
        document = convert(args.xml.read_bytes())
    except OSError as exc:
        print(f"cannot read {args.xml}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except SchemaError as exc:
        print(f"{args.xml}: {exc}", file=sys.stderr)
        return 2
    text = dump(document)
    out: Path = args.out or target_for(document)
    if args.check:
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            print(f"{out} differs from an import of {args.xml}", file=sys.stderr)
            return 1
        print(f"{out} is up to date")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({len(document['messages'])} messages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
