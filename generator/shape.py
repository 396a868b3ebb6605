"""Stage 2b: the spec's own structure, checked before the IR reads a single keyword.

A small schema of the AsyncAPI document as this generator reads it. Every keyword the
IR, the templates or datamodel-code-generator use has its shape declared below (type,
allowed values, required members). Where the vocabulary is ours (schemas, messages,
every `x-` extension) an unknown key is refused with the closest known name, so a typo
never falls back to a default silently. Then the cross-checks a shape cannot express:
every `$ref` resolves, `required` names real properties, `const`/`enum`/`default`
values match the declared `type`, keywords fit the type they constrain.

The first problem found is raised as a SpecError with the file, JSON pointer and line.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

from .load import Document, child

Shape = Callable[["_Checker", Any, str], None]

SECURITY = ("NONE", "TRADE", "USER_DATA", "USER_STREAM", "SIGNED")
SIGNING = ("request", "always", "session")
ERROR_KINDS = ("bad_request", "auth", "rate_limit", "server", "unknown_status", "partial_failure")
SESSION_EFFECTS = ("logon", "logout", "subscribe", "unsubscribe")
TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
#: format -> the types it can describe (`decimal` is a string the SDK reads as Decimal).
FORMATS: dict[str, tuple[str, ...]] = {
    "decimal": ("string", "number"),
    "int32": ("integer",),
    "int64": ("integer",),
    "float": ("number",),
    "double": ("number",),
    "date-time": ("string",),
    "date": ("string",),
    "uri": ("string",),
    "uuid": ("string",),
    "email": ("string",),
}
#: Keywords that only constrain one kind of value.
_FOR_TYPE: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf"), ("integer", "number")
    ),
    **dict.fromkeys(("maxLength", "minLength", "pattern"), ("string",)),
    **dict.fromkeys(("items", "prefixItems", "maxItems", "minItems", "uniqueItems", "x-array-like"), ("array",)),
    **dict.fromkeys(("properties", "required", "additionalProperties", "maxProperties", "minProperties"), ("object",)),
}
_PY_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def check(document: Document) -> None:
    """Raise the first SpecError in `document`'s structure; return when it is sound."""
    checker = _Checker(document)
    checker.refs(document.root, "#")
    _ROOT(checker, document.root, "#")


class _Checker:
    def __init__(self, document: Document) -> None:
        self.doc = document
        self.seen: set[tuple[str, str]] = set()  # (shape name, pointer) already checked through a $ref

    def fail(self, pointer: str, message: str) -> NoReturn:
        raise self.doc.error(pointer, message)

    def refs(self, node: Any, pointer: str) -> None:
        """Every `$ref` anywhere (channels too, which the IR never reads) is a local pointer that resolves."""
        if isinstance(node, dict):
            if "$ref" in node:
                self.ref_target(node["$ref"], child(pointer, "$ref"))
            for key, value in node.items():
                self.refs(value, child(pointer, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                self.refs(item, f"{pointer}/{index}")

    def ref_target(self, ref: Any, pointer: str) -> Any:
        if not isinstance(ref, str):
            self.fail(pointer, f"$ref must be a string, not {_describe(ref)}")
        if ref != "#" and not ref.startswith("#/"):
            self.fail(pointer, f"$ref {ref!r} is not a local pointer ('#/...'); only local $refs are supported")
        node: Any = self.doc.root
        for part in ref[2:].split("/") if ref != "#" else ():
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                close = closest(part, node if isinstance(node, dict) else ())
                self.fail(pointer, f"dangling $ref {ref!r}: nothing at this path{close}")
        return node

    def through_ref(self, shape_name: str, shape: Shape, node: Any, pointer: str) -> bool:
        """For a `{$ref}` node: check its target (once) with `shape`; True when `node` was a $ref."""
        if not (isinstance(node, dict) and "$ref" in node):
            return False
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                self.fail(pointer, f"circular $ref {ref}")
            seen.add(ref)
            node, pointer = self.ref_target(ref, child(pointer, "$ref")), ref
        if (shape_name, pointer) not in self.seen:
            self.seen.add((shape_name, pointer))
            shape(self, node, pointer)
        return True


# -- building blocks -------------------------------------------------------------------------


def _label(pointer: str) -> str:
    """`#/a/required/0` -> `required[0]`; `#/a/maximum` -> `maximum`."""
    head, _, last = pointer.rpartition("/")
    last = last.replace("~1", "/").replace("~0", "~")
    if last.isdigit() and head and head != "#":
        return f"{_label(head)}[{last}]"
    return last if last != "#" else "the spec"


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"a string ({value!r})" if len(value) < 40 else "a string"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def closest(name: str, choices: Iterable[Any]) -> str:
    found = difflib.get_close_matches(name, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {found[0]!r}?)" if found else ""


def _string(ch: _Checker, value: Any, pointer: str) -> None:
    if not isinstance(value, str):
        ch.fail(pointer, f"{_label(pointer)} must be a string, not {_describe(value)}")


def _boolean(ch: _Checker, value: Any, pointer: str) -> None:
    if not isinstance(value, bool):
        ch.fail(pointer, f"{_label(pointer)} must be true or false, not {_describe(value)}")


def _number(ch: _Checker, value: Any, pointer: str) -> None:
    if not _PY_TYPES["number"](value):
        ch.fail(pointer, f"{_label(pointer)} must be a number, not {_describe(value)}")


def _count(ch: _Checker, value: Any, pointer: str) -> None:
    if not _PY_TYPES["integer"](value) or value < 0:
        ch.fail(pointer, f"{_label(pointer)} must be a non-negative integer, not {_describe(value)}")


def _integer(ch: _Checker, value: Any, pointer: str) -> None:
    if not _PY_TYPES["integer"](value):
        ch.fail(pointer, f"{_label(pointer)} must be an integer, not {_describe(value)}")


def _scalar(ch: _Checker, value: Any, pointer: str) -> None:
    if isinstance(value, dict | list):
        ch.fail(pointer, f"{_label(pointer)} must be a string, number, boolean or null, not {_describe(value)}")


def _anything(ch: _Checker, value: Any, pointer: str) -> None:
    pass


def _identifier(ch: _Checker, value: Any, pointer: str) -> None:
    _string(ch, value, pointer)
    if not value.isidentifier() or keyword.iskeyword(value):
        ch.fail(pointer, f"{_label(pointer)} {value!r} is not a usable Python identifier")


def _regex(ch: _Checker, value: Any, pointer: str) -> None:
    _string(ch, value, pointer)
    try:
        re.compile(value)
    except re.error as exc:
        ch.fail(pointer, f"pattern {value!r} is not a valid regular expression: {exc}")


def _choice(*values: str) -> Shape:
    def shape(ch: _Checker, value: Any, pointer: str) -> None:
        if value not in values:
            hint = closest(str(value), values) if isinstance(value, str) else ""
            ch.fail(pointer, f"{_label(pointer)} {value!r} is not one of {', '.join(values)}{hint}")

    return shape


def _list_of(item: Shape, *, nonempty: bool = False, unique: bool = False, what: str = "") -> Shape:
    def shape(ch: _Checker, value: Any, pointer: str) -> None:
        if not isinstance(value, list):
            ch.fail(pointer, f"{_label(pointer)} must be a list{what}, not {_describe(value)}")
        if nonempty and not value:
            ch.fail(pointer, f"{_label(pointer)} must not be empty")
        for index, entry in enumerate(value):
            item(ch, entry, f"{pointer}/{index}")
            if unique and entry in value[:index]:
                ch.fail(f"{pointer}/{index}", f"{_label(pointer)} lists {entry!r} twice")

    return shape


def _map_of(value_shape: Shape, *, nonempty: bool = False, what: str = "") -> Shape:
    def shape(ch: _Checker, value: Any, pointer: str) -> None:
        if not isinstance(value, dict):
            ch.fail(pointer, f"{_label(pointer)} must be a mapping{what}, not {_describe(value)}")
        if nonempty and not value:
            ch.fail(pointer, f"{_label(pointer)} must not be empty")
        for key, entry in value.items():
            if not isinstance(key, str):
                ch.fail(child(pointer, key), f"key {key!r} must be a string (quote it)")
            value_shape(ch, entry, child(pointer, key))

    return shape


def _record(
    fields: Mapping[str, Shape],
    *,
    required: tuple[str, ...] = (),
    closed: bool = True,
    what: str = "",
    then: Shape | None = None,
) -> Shape:
    """A mapping with known members. `closed`: other keys are refused; otherwise only unknown `x-` keys are."""

    def shape(ch: _Checker, value: Any, pointer: str) -> None:
        if not isinstance(value, dict):
            ch.fail(pointer, f"{_label(pointer)} must be a mapping{what}, not {_describe(value)}")
        for name in required:
            if name not in value:
                ch.fail(pointer, f"{_label(pointer)} has no {name!r}{what}")
        for key, entry in value.items():
            at = child(pointer, key)
            if key in fields:
                fields[key](ch, entry, at)
            elif closed or str(key).startswith("x-"):
                kind = "extension" if str(key).startswith("x-") else "key"
                ch.fail(at, f"unknown {kind} {key!r} in {_label(pointer)}{closest(str(key), fields)}")
        if then is not None:
            then(ch, value, pointer)

    return shape


# -- JSON Schema (the subset the generator and datamodel-code-generator read) ---------------


def _schema(ch: _Checker, node: Any, pointer: str) -> None:
    if ch.through_ref("schema", _schema, node, pointer):
        _SCHEMA_REF(ch, node, pointer)
        return
    _SCHEMA(ch, node, pointer)


def _types(node: dict[str, Any]) -> tuple[str, ...]:
    kind = node.get("type")
    return tuple(kind) if isinstance(kind, list) else (kind,) if isinstance(kind, str) else ()


def _type_keyword(ch: _Checker, value: Any, pointer: str) -> None:
    for index, kind in enumerate(value if isinstance(value, list) else [value]):
        at = f"{pointer}/{index}" if isinstance(value, list) else pointer
        if not isinstance(kind, str) or kind not in TYPES:
            shown = repr(kind) if isinstance(kind, str) else _describe(kind)
            hint = closest(kind, TYPES) if isinstance(kind, str) else ""
            ch.fail(at, f"type {shown} is not a JSON Schema type{hint}; one of {', '.join(TYPES)}")
    if isinstance(value, list) and (not value or len(set(value)) != len(value)):
        ch.fail(pointer, "type must be a type name or a non-empty list of distinct type names")


def _format(ch: _Checker, value: Any, pointer: str) -> None:
    _string(ch, value, pointer)
    if value not in FORMATS:
        ch.fail(pointer, f"unknown format {value!r}{closest(value, FORMATS)}; one of {', '.join(FORMATS)}")


def _additional(ch: _Checker, value: Any, pointer: str) -> None:
    if not isinstance(value, bool):
        _schema(ch, value, pointer)


def _schema_rules(ch: _Checker, node: dict[str, Any], pointer: str) -> None:
    """What a shape cannot say: values fit the type, keywords fit the type, `required` names properties."""
    types = _types(node)
    if types:
        for key, allowed in _FOR_TYPE.items():
            if key in node and not set(allowed) & set(types):
                ch.fail(child(pointer, key), f"{key} applies to {' or '.join(allowed)}, but this schema is {types[0]}")
        if "format" in node and not set(FORMATS[node["format"]]) & set(types):
            ch.fail(child(pointer, "format"), f"format {node['format']!r} does not describe a {types[0]}")
        values = [("const", node["const"])] if "const" in node else []
        values += [("default", node["default"])] if "default" in node else []
        values += [(f"enum/{i}", v) for i, v in enumerate(node.get("enum") or [])]
        for at, value in values:
            if not any(_PY_TYPES[kind](value) for kind in types):
                kinds = " or ".join(types)
                ch.fail(f"{pointer}/{at}", f"{_label(f'{pointer}/{at}')} {value!r} is not {_article(kinds)} {kinds}")
    if "required" in node and not any(k in node for k in ("allOf", "anyOf", "oneOf")):
        properties = node.get("properties") or {}
        for index, name in enumerate(node["required"]):
            if name not in properties:
                ch.fail(
                    f"{pointer}/required/{index}",
                    f"required property {name!r} is not among the properties{closest(name, properties)}",
                )
    if "default" in node:
        _default_fits(ch, node, pointer)
    _alternatives(ch, node, pointer)
    if node.get("x-array-like") and not node.get("prefixItems"):
        ch.fail(child(pointer, "x-array-like"), "x-array-like needs prefixItems (one titled schema per position)")
    for low, high in (("minimum", "maximum"), ("minLength", "maxLength"), ("minItems", "maxItems")):
        if low in node and high in node and node[low] > node[high]:
            ch.fail(child(pointer, low), f"{low} {node[low]} is above {high} {node[high]}")


def _default_fits(ch: _Checker, node: dict[str, Any], pointer: str) -> None:
    default, at = node["default"], child(pointer, "default")
    if "enum" in node and default not in node["enum"]:
        ch.fail(at, f"default {default!r} is not one of the enum values")
    if _PY_TYPES["number"](default):
        if "maximum" in node and default > node["maximum"]:
            ch.fail(at, f"default {default} is above maximum {node['maximum']}")
        if "minimum" in node and default < node["minimum"]:
            ch.fail(at, f"default {default} is below minimum {node['minimum']}")


def _alternatives(ch: _Checker, node: dict[str, Any], pointer: str) -> None:
    """A discriminator's tag is a required string `const` in every alternative, a different one in each."""
    key = "oneOf" if "oneOf" in node else "anyOf"
    alternatives = node.get(key) or []
    discriminator = node.get("discriminator")
    if discriminator is None:
        return
    tag = discriminator["propertyName"]
    if not alternatives:
        ch.fail(child(pointer, "discriminator"), "a discriminator needs oneOf (or anyOf) alternatives")
    for value in (discriminator.get("mapping") or {}).values():
        ch.ref_target(value, child(pointer, "discriminator") + "/mapping")
    seen: dict[Any, str] = {}
    for index, alternative in enumerate(alternatives):
        at = f"{pointer}/{key}/{index}"
        target, _ = ch.doc.deref(alternative, at)
        properties = target.get("properties") if isinstance(target, dict) else None
        prop = properties.get(tag) if isinstance(properties, dict) else None
        const = prop.get("const") if isinstance(prop, dict) else None
        required = target.get("required") if isinstance(target, dict) else None
        if not isinstance(const, str) or not isinstance(required, list) or tag not in required:
            ch.fail(at, f"each {key} alternative needs a required property {tag!r} with a string const (the tag)")
        if const in seen:
            ch.fail(at, f"tag {tag}={const!r} is used by two alternatives ({seen[const]} and this one)")
        seen[const] = at


_SCHEMA_FIELDS: dict[str, Shape] = {
    "$ref": _string,  # resolved by _Checker.refs
    "type": _type_keyword,
    "format": _format,
    "enum": _list_of(_scalar, nonempty=True, unique=True, what=" of values"),
    "const": _scalar,
    "default": _anything,
    "properties": _map_of(_schema, what=" of property name -> schema"),
    "required": _list_of(_string, unique=True, what=" of property names"),
    "items": _schema,
    "prefixItems": _list_of(_schema, nonempty=True, what=" of schemas"),
    "oneOf": _list_of(_schema, nonempty=True, what=" of schemas"),
    "anyOf": _list_of(_schema, nonempty=True, what=" of schemas"),
    "allOf": _list_of(_schema, nonempty=True, what=" of schemas"),
    "additionalProperties": _additional,
    "discriminator": _record({"propertyName": _string, "mapping": _map_of(_string)}, required=("propertyName",)),
    "title": _string,
    "description": _string,
    "pattern": _regex,
    "maximum": _number,
    "minimum": _number,
    "exclusiveMaximum": _number,
    "exclusiveMinimum": _number,
    "multipleOf": _number,
    "maxLength": _count,
    "minLength": _count,
    "maxItems": _count,
    "minItems": _count,
    "maxProperties": _count,
    "minProperties": _count,
    "uniqueItems": _boolean,
    "examples": _list_of(_anything),
    "example": _anything,
    "x-python-name": _identifier,
    "x-array-like": _boolean,
}
_SCHEMA = _record(_SCHEMA_FIELDS, what=" (a schema)", then=_schema_rules)
# Next to a $ref only words about the use site (the target is checked where it lives).
_SCHEMA_REF = _record({k: _SCHEMA_FIELDS[k] for k in ("$ref", "description", "title", "x-python-name")})


# -- messages, operations, the document ------------------------------------------------------


def _weight(ch: _Checker, value: Any, pointer: str) -> None:
    if isinstance(value, dict):
        _WEIGHT(ch, value, pointer)
    else:
        if not _PY_TYPES["integer"](value) or value < 0:
            ch.fail(pointer, f"x-weight must be a non-negative integer or {{base, rules}}, not {_describe(value)}")


def _rule_rules(ch: _Checker, rule: dict[str, Any], pointer: str) -> None:
    selectors = [k for k in ("present", "equals", "ranges", "countRanges", "perItem") if k in rule]
    if len(selectors) != 1:
        ch.fail(pointer, "a weight rule needs exactly one of present, equals, ranges, countRanges, perItem")
    if selectors[0] in ("present", "equals") and "weight" not in rule:
        ch.fail(pointer, f"a weight rule with {selectors[0]} needs `weight`")
    if selectors[0] not in ("present", "equals") and "weight" in rule:
        ch.fail(child(pointer, "weight"), f"`weight` has no meaning next to {selectors[0]}")
    if "cap" in rule and selectors[0] != "perItem":
        ch.fail(child(pointer, "cap"), "`cap` only goes with perItem")


def _bound(ch: _Checker, value: Any, pointer: str) -> None:
    if value is not None:
        _count(ch, value, pointer)


def _range(ch: _Checker, value: Any, pointer: str) -> None:
    if not isinstance(value, list) or len(value) != 2:
        ch.fail(pointer, f"{_label(pointer)} must be a pair [upper bound or null, weight], not {_describe(value)}")
    _bound(ch, value[0], f"{pointer}/0")
    _count(ch, value[1], f"{pointer}/1")


def _ranges(ch: _Checker, value: Any, pointer: str) -> None:
    _list_of(_range, nonempty=True, what=" of [upper bound or null, weight] pairs")(ch, value, pointer)
    bounds = [bound for bound, _ in value]
    for index, bound in enumerate(bounds):
        if bound is None and index != len(bounds) - 1:
            ch.fail(f"{pointer}/{index}/0", "null (no upper bound) can only be the last range: later ones never apply")
        if index and bound is not None and bounds[index - 1] is not None and bound <= bounds[index - 1]:
            ch.fail(f"{pointer}/{index}/0", f"upper bounds must increase: {bound} follows {bounds[index - 1]}")


_RANGES = _ranges
_RULE = _record(
    {
        "param": _string,
        "weight": _count,
        "present": _boolean,
        "equals": _scalar,
        "perItem": _count,
        "cap": _count,
        "ranges": _RANGES,
        "countRanges": _RANGES,
    },
    required=("param",),
    then=_rule_rules,
)
_WEIGHT = _record({"base": _count, "rules": _list_of(_RULE)}, required=("base",), what=" ({base, rules})")


def _required_entry(ch: _Checker, value: Any, pointer: str) -> None:
    """`require` lists names; a list of names in it means "one of these"."""
    if isinstance(value, list):
        _list_of(_string, unique=True, what=" of names")(ch, value, pointer)
        if len(value) < 2:
            ch.fail(pointer, f"{_label(pointer)}: a list here means one of several names; give at least two")
    else:
        _string(ch, value, pointer)


def _condition_rules(ch: _Checker, rule: dict[str, Any], pointer: str) -> None:
    if not rule.get("require") and not rule.get("forbid"):
        ch.fail(pointer, "a condition needs `require` or `forbid` (or both)")


_CONDITION = _record(
    {
        "param": _string,
        "in": _list_of(_scalar, nonempty=True, unique=True, what=" of values"),
        "require": _list_of(_required_entry, unique=True, what=" of names (or lists of names: one of them)"),
        "forbid": _list_of(_string, unique=True, what=" of names"),
    },
    required=("param", "in"),
    what=" ({param, in, require, forbid})",
    then=_condition_rules,
)
_REF_ONLY = _record({"$ref": _string}, required=("$ref",), what=" ({$ref: ...})")
#: The method metadata, on a request message (2.x) or an operation (3.x).
_EXTENSIONS: dict[str, Shape] = {
    "x-response": _REF_ONLY,
    "x-security": _choice(*SECURITY),
    "x-weight": _weight,
    "x-retry-safe": _boolean,
    "x-deprecated": _boolean,
    "x-require-one-of": _list_of(_list_of(_string, nonempty=True, unique=True), nonempty=True, what=" of name lists"),
    "x-require-if": _list_of(_CONDITION, nonempty=True, what=" of {param, in, require, forbid}"),
    "x-signing": _choice(*SIGNING),
    "x-session-effect": _choice(*SESSION_EFFECTS),
    "x-client-id-param": _string,
    "x-python-name": _identifier,
    "x-one-or-many": _record({"one": _string, "many": _string}, required=("one", "many"), what=" ({one, many})"),
}
METHOD_EXTENSIONS = tuple(_EXTENSIONS)
_MESSAGE_BODY = _record(
    {
        "name": _string,
        "title": _string,
        "summary": _string,
        "description": _string,
        "deprecated": _boolean,
        "payload": _schema,
        **{k: _anything for k in ("messageId", "contentType", "headers", "correlationId", "tags", "externalDocs")},
        **{k: _anything for k in ("bindings", "examples", "traits", "schemaFormat")},
        **_EXTENSIONS,
    },
    required=("payload",),
    what=" (a message)",
)


def _message(ch: _Checker, node: Any, pointer: str) -> None:
    if not ch.through_ref("message", _message, node, pointer):
        _MESSAGE_BODY(ch, node, pointer)


def _message_ref(ch: _Checker, node: Any, pointer: str) -> None:
    """Channels and operations name messages by `$ref` into components/messages: the IR reads only those."""
    if not (isinstance(node, dict) and "$ref" in node):
        ch.fail(pointer, "a message here must be a $ref to components/messages (the generator reads only those)")
    _REF_ONLY(ch, node, pointer)
    target = node["$ref"]
    if not target.startswith(("#/components/messages/", "#/channels/")):
        ch.fail(child(pointer, "$ref"), f"{target!r} is not a message: define messages under components/messages")
    _message(ch, node, pointer)


def _channel_message(ch: _Checker, node: Any, pointer: str) -> None:
    if isinstance(node, dict) and "oneOf" in node:
        _record({"oneOf": _list_of(_message_ref, nonempty=True)}, closed=False)(ch, node, pointer)
    else:
        _message_ref(ch, node, pointer)


_V2_OPERATION = _record({"message": _channel_message}, required=("message",), closed=False)
_CHANNEL = _record(
    {
        "description": _string,
        "address": _anything,
        "publish": _V2_OPERATION,
        "subscribe": _V2_OPERATION,
        "messages": _map_of(_message_ref),
    },
    closed=False,
    what=" (a channel)",
)
_OPERATION = _record(
    {
        "action": _choice("send", "receive"),
        "channel": _REF_ONLY,
        "messages": _list_of(_message_ref, nonempty=True),
        "reply": _record({"messages": _list_of(_message_ref, nonempty=True)}, closed=False),
        "title": _string,
        "summary": _string,
        "description": _string,
        **_EXTENSIONS,
    },
    required=("messages",),
    closed=False,
    what=" (an operation)",
)
_ERROR_CODE = _record(
    {"code": _integer, "name": _identifier, "message": _string, "kind": _choice(*ERROR_KINDS)},
    required=("code", "name"),
    what=" ({code, name, message, kind})",
)


def _version(ch: _Checker, value: Any, pointer: str) -> None:
    _string(ch, value, pointer)
    if value.split(".")[0] not in ("2", "3"):
        ch.fail(pointer, f"unsupported AsyncAPI version {value!r} (need 2.x or 3.x)")


_ROOT = _record(
    {
        "asyncapi": _version,
        "info": _record(
            {"title": _string, "version": _string, "description": _string},
            required=("title", "version"),
            closed=False,
            what=" with title and version",
        ),
        "servers": _map_of(
            _record(
                {"url": _string, "host": _string, "pathname": _string, "protocol": _string, "description": _string},
                closed=False,
                what=" (a server)",
            )
        ),
        "channels": _map_of(_CHANNEL, nonempty=True, what=" of channels"),
        "operations": _map_of(_OPERATION),
        "components": _record(
            {"messages": _map_of(_message), "schemas": _map_of(_schema, what=" of name -> schema")}, closed=False
        ),
        "x-error-codes": _list_of(_ERROR_CODE, what=" of {code, name, message, kind}"),
        "x-streams": _string,  # the market-data streams document, a path relative to this one
    },
    required=("asyncapi", "info", "channels"),
    closed=False,
)
