"""The market-data streams document (AsyncAPI 3.0) -> an IR the stream templates only print.

Every receive operation on a channel with an address becomes a typed subscription
method; the address pattern (`{symbol}@depth{levels}{speed}`) and its parameters
give the arguments and how each one turns into its piece of the stream name. The
payload schemas become msgspec Structs with readable names for the one-letter keys.
Conventions: spec/README.md ("The market-data streams document").
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from . import naming
from .load import Document

_SCHEMAS = "#/components/schemas/"
_PIECE = re.compile(r"\{([^{}]+)\}")
#: x-limits keys the runtime reads (StreamLimits fields); others only document the server.
LIMITS = {
    "incomingMessagesPerSecond": "messages_per_second",
    "streamsPerConnection": "streams_per_connection",
    "connectionAttempts": "connection_attempts",
    "connectionAttemptsWindowSeconds": "connection_attempts_window",
    "connectionLifetimeSeconds": "connection_lifetime",
}
_DOC_ONLY_LIMITS = {"pingIntervalSeconds", "pongTimeoutSeconds"}


@dataclass(frozen=True, slots=True)
class Field:
    wire: str
    name: str
    annotation: str
    default: str | None  # Python source of the default; None: required
    doc: str


@dataclass(frozen=True, slots=True)
class Struct:
    name: str
    doc: str
    fields: tuple[Field, ...]
    array_like: bool


@dataclass(frozen=True, slots=True)
class Choice:
    """A module-level constant: argument value -> piece of the stream name."""

    const: str
    items: tuple[tuple[str, str], ...]  # (Python source of the value, wire piece)


@dataclass(frozen=True, slots=True)
class Subscription:
    name: str
    address: str
    signature: str  # parameters after `self`
    name_expr: str  # Python expression building the stream name
    event_type: str
    docstring: str


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    const: str
    url: str
    description: str


@dataclass(frozen=True, slots=True)
class Streams:
    spec_name: str
    spec_sha256: str
    title: str
    version: str
    servers: tuple[Server, ...]
    subscriptions: tuple[Subscription, ...]
    structs: tuple[Struct, ...]
    choices: tuple[Choice, ...]
    limits: tuple[tuple[str, str], ...]
    control_errors: tuple[tuple[int, str], ...]
    implicit: tuple[tuple[str, str], ...]  # (stream name, event type) delivered without subscribing


def build(document: Document) -> Streams:
    version = document.root.get("asyncapi")
    if not isinstance(version, str) or not version.startswith("3."):
        raise document.error("#/asyncapi", f"the streams document must be AsyncAPI 3.x, not {version!r}")
    return _Builder(document).build()


class _Builder:
    def __init__(self, document: Document) -> None:
        self.doc = document
        self.schemas: dict[str, Any] = (document.root.get("components") or {}).get("schemas") or {}
        self.structs: dict[str, Struct] = {}
        self.choices: dict[str, Choice] = {}

    def build(self) -> Streams:
        root = self.doc.root
        subscriptions: list[Subscription] = []
        implicit: list[tuple[str, str]] = []
        names: set[str] = set()
        for op_name, operation in (root.get("operations") or {}).items():
            pointer = f"#/operations/{op_name}"
            if not isinstance(operation, dict):
                raise self.doc.error(pointer, "an operation must be a mapping")
            if operation.get("action") != "receive":
                continue
            channel, channel_ptr = self.doc.deref(operation.get("channel"), f"{pointer}/channel")
            if not isinstance(channel, dict) or not isinstance(channel.get("address"), str):
                raise self.doc.error(f"{pointer}/channel", "a receive operation needs a channel with an address")
            event_type = self._event_type(channel, channel_ptr)
            if channel.get("x-implicit"):
                implicit.append((channel["address"], event_type))
                continue
            name = str(operation.get("x-python-name") or naming.snake(op_name))
            if name in names or not name.isidentifier():
                raise self.doc.error(pointer, f"{name!r} is not a unique Python name; add x-python-name")
            names.add(name)
            subscriptions.append(self._subscription(name, operation, channel, channel_ptr, event_type))
        return Streams(
            spec_name=_display_path(self.doc.file),
            spec_sha256=hashlib.sha256(self.doc.file.read_bytes()).hexdigest(),
            title=str((root.get("info") or {}).get("title", "")),
            version=str((root.get("info") or {}).get("version", "")),
            servers=self._servers(),
            subscriptions=tuple(subscriptions),
            structs=tuple(self.structs.values()),
            choices=tuple(self.choices.values()),
            limits=self._limits(),
            control_errors=self._control_errors(),
            implicit=tuple(implicit),
        )

    # -- subscriptions ---------------------------------------------------------------------

    def _event_type(self, channel: dict[str, Any], pointer: str) -> str:
        messages = channel.get("messages") or {}
        if len(messages) != 1:
            raise self.doc.error(f"{pointer}/messages", "a stream channel needs exactly one message")
        key, ref = next(iter(messages.items()))
        message, message_ptr = self.doc.deref(ref, f"{pointer}/messages/{key}")
        payload = (message or {}).get("payload")
        if payload is None:
            raise self.doc.error(message_ptr, "the message has no payload")
        return self._annotation(payload, f"{message_ptr}/payload", types_prefix="stream_types.")

    def _subscription(
        self, name: str, operation: dict[str, Any], channel: dict[str, Any], pointer: str, event_type: str
    ) -> Subscription:
        address: str = channel["address"]
        params: dict[str, Any] = channel.get("parameters") or {}
        used = _PIECE.findall(address)
        for missing in set(used) - set(params):
            raise self.doc.error(f"{pointer}/address", f"{{{missing}}} has no parameter")
        for unused in set(params) - set(used):
            raise self.doc.error(f"{pointer}/parameters/{unused}", "parameter does not appear in the address")
        required: list[str] = []
        optional: list[str] = []
        pieces: list[str] = []
        docs: list[str] = []
        arg_of: dict[str, str] = {}
        for key in used:
            param, param_ptr = self.doc.deref(params[key], f"{pointer}/parameters/{key}")
            if not isinstance(param, dict):
                raise self.doc.error(param_ptr, "a parameter must be a mapping")
            arg, annotation, default, piece = self._argument(name, key, param, param_ptr)
            arg_of[key] = arg
            (required if default is None else optional).append(
                f"{arg}: {annotation}" + ("" if default is None else f" = {default}")
            )
            pieces.append(piece)
            docs.append(f"{arg}: {_clean(param.get('description') or '') or self._values_doc(name, arg)}")
        expr_parts: list[str] = []
        position = 0
        for index, match in enumerate(_PIECE.finditer(address)):
            if match.start() > position:
                expr_parts.append(json.dumps(address[position : match.start()]))
            expr_parts.append(pieces[index])
            position = match.end()
        if position < len(address):
            expr_parts.append(json.dumps(address[position:]))
        signature = ", ".join(["self", *required, "*", *optional, "buffer: int | None = None"])
        title = _clean(channel.get("title") or operation.get("summary") or name)
        description = _clean(channel.get("description") or "")
        lines = [f"{title}: `{address}`."]
        if description:
            lines += ["", *textwrap.wrap(description, 88)]
        lines += ["", "Args:"]
        for doc in [*docs, "buffer: events kept for a slow consumer (default: the connection's `buffer`)."]:
            wrapped = textwrap.wrap(doc, 84)
            lines += ["    " + wrapped[0], *("        " + w for w in wrapped[1:])]
        docstring = "\n".join(lines).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
        return Subscription(name, address, signature, " + ".join(expr_parts), event_type, docstring)

    def _values_doc(self, method: str, arg: str) -> str:
        choice = self.choices.get(f"_{naming.constant(method)}_{naming.constant(arg)}")
        return "One of " + ", ".join(value for value, _ in choice.items) + "." if choice else "Required."

    def _argument(self, method: str, key: str, param: dict[str, Any], pointer: str) -> tuple[str, str, str | None, str]:
        """(argument name, annotation, default source or None, expression for its name piece)."""
        arg = str(param.get("x-python-name") or naming.snake(key))
        kind = param.get("x-python-type", "str")
        if kind not in ("str", "int"):
            raise self.doc.error(f"{pointer}/x-python-type", f"x-python-type must be str or int, not {kind!r}")
        if param.get("x-lowercase"):
            return arg, "str", None, f"stream_symbol({method!r}, {arg!r}, {arg})"
        enum = param.get("enum")
        pairs: list[tuple[Any, str]]
        if "x-values" in param:
            raw = param["x-values"]
            if not isinstance(raw, list) or not all(isinstance(p, list) and len(p) == 2 for p in raw):
                raise self.doc.error(f"{pointer}/x-values", "x-values must be a list of [argument value, wire text]")
            pairs = [(p[0], str(p[1])) for p in raw]
            if isinstance(enum, list) and sorted(str(e) for e in enum) != sorted(w for _, w in pairs):
                raise self.doc.error(f"{pointer}/x-values", "x-values must map onto exactly the enum's wire values")
        elif isinstance(enum, list) and enum:
            pairs = [(int(e) if kind == "int" else str(e), str(e)) for e in enum]
        else:
            raise self.doc.error(pointer, "a parameter needs enum, x-values or x-lowercase")
        for value, _ in pairs:
            if value is not None and type(value).__name__ != kind:
                raise self.doc.error(f"{pointer}/x-values", f"{value!r} is not of x-python-type {kind}")
        const = f"_{naming.constant(method)}_{naming.constant(arg)}"
        self.choices[const] = Choice(const, tuple((_py(v), w) for v, w in pairs))
        literal = "Literal[" + ", ".join(_py(v) for v, _ in pairs if v is not None) + "]"
        annotation = literal + (" | None" if any(v is None for v, _ in pairs) else "")
        default: str | None = None
        if "default" in param:
            wire_default = str(param["default"])
            match = [v for v, w in pairs if w == wire_default]
            if not match:
                raise self.doc.error(f"{pointer}/default", f"default {wire_default!r} is not one of the values")
            default = _py(match[0])
        return arg, annotation, default, f"stream_choice({method!r}, {arg!r}, {arg}, {const})"

    # -- payload types ---------------------------------------------------------------------

    def _annotation(self, node: Any, pointer: str, *, types_prefix: str = "") -> str:
        if not isinstance(node, dict):
            raise self.doc.error(pointer, "a schema must be a mapping")
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith(_SCHEMAS):
                raise self.doc.error(pointer, "payload types must be $refs to components/schemas")
            name = ref[len(_SCHEMAS) :]
            self._struct(name)
            return types_prefix + name
        kind = node.get("type")
        nullable = False
        if isinstance(kind, list):
            nullable = "null" in kind
            rest = [k for k in kind if k != "null"]
            kind = rest[0] if len(rest) == 1 else None
        if kind == "string":
            base = "Decimal" if node.get("format") == "decimal" else "str"
        elif kind == "integer":
            base = "int"
        elif kind == "boolean":
            base = "bool"
        elif kind == "number":
            base = "float"
        elif kind == "array" and isinstance(node.get("items"), dict):
            base = f"list[{self._annotation(node['items'], f'{pointer}/items', types_prefix=types_prefix)}]"
        elif kind is None and not node.get("properties"):
            base = "Any"
        else:
            raise self.doc.error(pointer, "inline objects are not supported here: give the schema a name")
        return f"{base} | None" if nullable else base

    def _struct(self, name: str) -> None:
        if name in self.structs:
            return
        pointer = f"{_SCHEMAS}{name}"
        schema = self.schemas.get(name)
        if not isinstance(schema, dict):
            raise self.doc.error(pointer, "dangling $ref")
        self.structs[name] = Struct(name, "", (), False)  # reserve the name before recursing
        doc = _clean(schema.get("description") or name)
        if schema.get("x-array-like"):
            items = schema.get("prefixItems")
            if not isinstance(items, list) or not items:
                raise self.doc.error(pointer, "x-array-like needs prefixItems with a title each")
            fields = []
            for index, item in enumerate(items):
                title = (item or {}).get("x-python-name") or (item or {}).get("title")
                if not title:
                    raise self.doc.error(f"{pointer}/prefixItems/{index}", "each prefixItems entry needs a title")
                annotation = self._annotation(item, f"{pointer}/prefixItems/{index}")
                fields.append(Field(str(title), naming.snake(str(title)), annotation, None, ""))
            self.structs[name] = Struct(name, doc, tuple(fields), True)
            return
        required = set(schema.get("required") or [])
        out: list[Field] = []
        seen: dict[str, str] = {}
        for wire, node in (schema.get("properties") or {}).items():
            prop_ptr = f"{pointer}/properties/{wire}"
            python = node.get("x-python-name") if isinstance(node, dict) else None
            if python is None and len(wire) <= 2:
                raise self.doc.error(prop_ptr, f"one- or two-letter key {wire!r} needs x-python-name")
            snake = str(python or naming.snake(wire))
            if snake in seen:
                raise self.doc.error(prop_ptr, f"{wire!r} and {seen[snake]!r} both become {snake!r}")
            seen[snake] = wire
            annotation = self._annotation(node, prop_ptr)
            default = None
            if wire not in required:
                default = "None"
                if not annotation.endswith("| None") and annotation != "Any":
                    annotation += " | None"
            out.append(Field(wire, snake, annotation, default, _clean((node or {}).get("description") or "")))
        self.structs[name] = Struct(name, doc, tuple(out), False)

    # -- document-wide facts ---------------------------------------------------------------

    def _servers(self) -> tuple[Server, ...]:
        out = []
        for name, server in (self.doc.root.get("servers") or {}).items():
            if not isinstance(server, dict) or not server.get("host") or not server.get("protocol"):
                raise self.doc.error(f"#/servers/{name}", "a server needs host and protocol")
            url = f"{server['protocol']}://{server['host']}{server.get('pathname') or ''}"
            out.append(
                Server(str(name), f"STREAM_{naming.constant(str(name))}", url, _clean(server.get("description") or ""))
            )
        return tuple(out)

    def _limits(self) -> tuple[tuple[str, str], ...]:
        limits = self.doc.root.get("x-limits") or {}
        out = []
        for key, value in limits.items():
            if key in _DOC_ONLY_LIMITS:
                continue
            if key not in LIMITS or not isinstance(value, int | float):
                raise self.doc.error(f"#/x-limits/{key}", f"unknown limit or not a number (known: {', '.join(LIMITS)})")
            out.append((LIMITS[key], repr(value)))
        return tuple(out)

    def _control_errors(self) -> tuple[tuple[int, str], ...]:
        out = []
        for index, entry in enumerate(self.doc.root.get("x-control-errors") or []):
            if not isinstance(entry, dict) or not isinstance(entry.get("code"), int) or not entry.get("message"):
                raise self.doc.error(f"#/x-control-errors/{index}", "each control error needs code and message")
            out.append((entry["code"], str(entry["message"])))
        return tuple(out)


def _py(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def _display_path(path: Any) -> str:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(path).name
