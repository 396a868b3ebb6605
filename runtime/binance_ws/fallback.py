"""Decoding past tags the spec does not know: a tagged union's `*` member takes them.

msgspec decodes a tagged union (filters, tagged by `filterType`) fast, but an
unknown tag fails the whole answer, and a new filter type must not break
`exchange_info`. A union member whose tag is `*` (the generated `UnknownFilter`)
is the fallback: after the fast decode failed, `decode_with_fallbacks` decodes the
JSON generically, turns every object whose tag no member has into
`{tag: "*", "type": <its tag>, "raw": <the object>}` for that member, and converts.
Only the slow path after a failed decode pays for it.
"""

from __future__ import annotations

import types
import typing
from typing import Any, cast

import msgspec

#: The tag of a tagged union's fallback member.
OTHER = "*"


def decode_with_fallbacks(raw: bytes | memoryview | msgspec.Raw, target: Any) -> Any:
    """Decode `raw` as `target`, unknown tags going to their union's `*` member.

    Raises:
        msgspec.ValidationError: it does not fit even so.
    """
    data = msgspec.json.decode(raw)
    return msgspec.convert(_fix(data, target), target)


def _members(target: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(target)
    if origin is typing.Annotated:
        return _members(typing.get_args(target)[0])
    if origin is typing.Union or origin is types.UnionType:
        return tuple(m for arg in typing.get_args(target) for m in _members(arg))
    return (target,)


def _tagged(member: Any) -> tuple[str, Any] | None:
    if isinstance(member, type) and issubclass(member, msgspec.Struct):
        config = member.__struct_config__
        if config.tag_field is not None:
            return config.tag_field, config.tag
    return None


def _fix(data: Any, target: Any) -> Any:
    members = [m for m in _members(target) if m is not msgspec.UnsetType and m is not type(None)]
    if isinstance(data, dict):
        value = cast("dict[str, Any]", data)
        structs: list[type[msgspec.Struct]] = [
            m for m in members if isinstance(m, type) and issubclass(m, msgspec.Struct)
        ]
        tagged = [(t, m) for m in structs if (t := _tagged(m)) is not None]
        if tagged:
            tag_field = tagged[0][0][0]
            tags = {tag: m for (_, tag), m in tagged}
            member = tags.get(value.get(tag_field))
            if member is None and OTHER in tags:
                return {tag_field: OTHER, "type": str(value.get(tag_field, "")), "raw": value}
            return _fix_struct(value, member) if member is not None else value
        if structs:
            return _fix_struct(value, structs[0])
        for member in members:
            if typing.get_origin(member) is dict:
                item = typing.get_args(member)[1]
                return {k: _fix(v, item) for k, v in value.items()}
        return value
    if isinstance(data, list):
        items = cast("list[object]", data)
        for member in members:
            if typing.get_origin(member) is list:
                item = typing.get_args(member)[0]
                return [_fix(v, item) for v in items]
        return items
    return data


def _fix_struct(value: dict[str, Any], struct: type[msgspec.Struct]) -> dict[str, Any]:
    out = dict(value)
    for info in msgspec.structs.fields(struct):
        if info.encode_name in out:
            out[info.encode_name] = _fix(out[info.encode_name], info.type)
    return out
