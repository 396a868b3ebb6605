"""SBE encoding for the local exchange: the JSON answers it computes, as Binance's binary frames.

A connection opened with `?responseFormat=sbe&sbeSchemaId=..&sbeSchemaVersion=..` gets
every answer as a `WebSocketResponse` SBE message (a binary frame) instead of JSON text:
the same answer, encoded with the SDK's generated layout tables
(`binance_spot_ws._sbe`). The encoding logic here is the exchange's own (the SDK's
decoder is separate code), so a round trip tests both against the layout.

Which response message answers a method comes from the layout (`METHODS`, from the
schema's comments); where several do (`order.place` ACK/RESULT/FULL, one symbol or
many), the one whose fields fit the JSON answer is used.
"""

from __future__ import annotations

import struct
from decimal import Decimal
from typing import Any

from binance_spot_ws import _sbe as tables
from binance_ws.sbe import FORMATS, NULLS

HEADER = struct.Struct("<HHHH")
ENVELOPE = 50
ERROR = 100

#: Every schema version the exchange accepts for `sbeSchemaId=3`; older ones are refused
#: at the handshake (retired), those below the latest are answered with the deprecated flag.
LATEST = (tables.SCHEMA_ID, tables.SCHEMA_VERSION)
SUPPORTED_VERSIONS = range(2, tables.SCHEMA_VERSION + 1)

_ABSENT: Any = object()
_REVERSE_ENUMS = {name: {text: value for value, text in values.items()} for name, values in tables.ENUMS.items()}


class EncodeError(ValueError):
    """A JSON answer that does not fit the layout (a bug in the exchange or the layout)."""


def _get(container: Any, path: str, cursor: list[int]) -> Any:
    if path == "..":
        return container
    if path == "[]":
        index = cursor[0]
        cursor[0] += 1
        return container[index] if isinstance(container, list) and index < len(container) else _ABSENT
    if not isinstance(container, dict):
        return _ABSENT
    if "." in path:
        head, _, rest = path.partition(".")
        return _get(container.get(head, {}), rest, cursor)
    return container.get(path, _ABSENT)


def _keys(block: tuple[Any, ...]) -> tuple[set[str], dict[str, Any], bool]:
    """The top-level JSON keys a block produces, its constants, and whether it is a list
    (for a list of objects, the keys of one element)."""
    _, fields, groups, data = block
    for g in groups:
        if g[1] == "..":
            inner_keys, _, _ = _keys(g[6])
            return inner_keys, {}, True
    keys: set[str] = set()
    constants: dict[str, Any] = {}
    is_list = False
    for f in fields:
        if f[2] == "exponent":
            continue
        if f[1] == "[]":
            is_list = True
        keys.add(f[1].split(".")[0])
        if f[2] == "constant":
            constants[f[1]] = f[8]
    for g in groups:
        keys.add(g[1].split(".")[0])
    for d in data:
        keys.add(d[1].split(".")[0])
    return keys, constants, is_list


def choose(value: Any, candidates: list[int]) -> int:
    """The template among `candidates` whose shape fits the JSON `value` best."""
    best: tuple[int, int] | None = None
    for template in candidates:
        keys, constants, is_list = _keys(tables.MESSAGES[template][2])
        if is_list != isinstance(value, list):
            continue
        if constants:
            if isinstance(value, dict) and all(value.get(k) == v for k, v in constants.items()):
                return template
            continue
        sample = value[0] if isinstance(value, list) and value else value
        given = set(sample) if isinstance(sample, dict) else set()
        score = -100 * len(given - keys) - len(keys - given)
        if best is None or score > best[0]:
            best = (score, template)
    if best is None:
        raise EncodeError(f"no SBE message of {candidates} fits {str(value)[:120]}")
    return best[1]


def _exponent_for(block: tuple[Any, ...], value: Any, name: str) -> int:
    """The exponent for field `name`: the finest one any value that uses it needs."""
    found: list[int] = []

    def visit(block: tuple[Any, ...], value: Any) -> None:
        _, fields, groups, _ = block
        cursor = [0]
        for f in fields:
            got = _get(value, f[1], cursor) if f[2] != "constant" else _ABSENT
            if f[2] in ("mantissa", "mantissa128") and f[8] == name and got is not _ABSENT and got is not None:
                found.append(int(Decimal(str(got)).as_tuple().exponent))
        for g in groups:
            inner = g[6]
            if any(f[0] == name and f[2] == "exponent" for f in inner[1]):
                continue  # the group has its own
            items = _get(value, g[1], [0])
            for item in items if isinstance(items, list) else ():
                visit(inner, item)

    visit(block, value)
    return max(min(found), -127) if found else 0


def _field_value(f: tuple[Any, ...], got: Any, exps: dict[str, int]) -> Any:
    kind, primitive, optional = f[2], f[4], f[6]
    missing = got is _ABSENT or got is None
    if kind == "exponent":
        return exps[f[0]]
    if kind == "mantissa":
        if missing:
            return NULLS["int64"] if optional else 0
        mantissa = Decimal(str(got)).scaleb(-exps.get(f[8], 0))
        if mantissa != mantissa.to_integral_value():
            raise EncodeError(f"{f[0]}={got} is finer than exponent {exps.get(f[8], 0)}")
        return int(mantissa)
    if kind == "mantissa128":
        if missing:
            number = -(2**127)
        else:
            number = int(Decimal(str(got)).scaleb(-exps.get(f[8], 0)))
        return number.to_bytes(16, "little", signed=True)
    if kind == "timestamp":
        return NULLS["int64"] if missing else int(got) * 1000
    if kind == "int":
        return NULLS[primitive] if missing else int(got)
    if kind == "float":
        return float("nan") if missing else float(got)
    if kind == "bool":
        if missing:
            return 255 if optional else 0
        return 1 if got is True or got == "true" else 0
    if kind == "enum":
        if missing:  # a field JSON answers leave out (orderCapacity, workingFloor): the first value
            return NULLS[primitive] if optional else next(v for v, t in tables.ENUMS[f[8]].items() if t is not None)
        try:
            return _REVERSE_ENUMS[f[8]][got]
        except KeyError:
            return next(v for v, t in tables.ENUMS[f[8]].items() if t is None)  # NonRepresentable
    if kind == "set":
        bits = 0
        choices = tables.SETS[f[8]]
        for text in got if isinstance(got, list) else ():
            bit = next((b for b, t in choices if t == text), None)
            if bit is None:
                bit = next(b for b, t in choices if t is None)
            bits |= 1 << bit
        return bits
    raise EncodeError(f"{f[0]}: unknown kind {kind!r}")


def _block(block: tuple[Any, ...], value: Any, exps: dict[str, int], version: int) -> bytes:
    length, fields, groups, data = block
    exps = dict(exps)
    for f in fields:
        if f[2] == "exponent":
            exps[f[0]] = _exponent_for(block, value, f[0])
    body = bytearray(length)
    cursor = [0]
    for f in fields:
        if f[2] == "constant":
            continue
        got = _get(value, f[1], cursor)
        if f[7] > version:
            continue
        fmt = "<16s" if f[2] == "mantissa128" else "<" + FORMATS[f[4]]
        try:
            struct.pack_into(fmt, body, f[3], _field_value(f, got, exps))
        except (struct.error, ValueError, TypeError) as exc:
            raise EncodeError(f"field {f[0]}={got!r}: {exc}") from None
    out = [bytes(body)]
    for _name, path, since, _omit, length_primitive, count_primitive, inner in groups:
        if since > version:
            continue
        items = _get(value, path, [0])
        items = items if isinstance(items, list) else []
        out.append(struct.pack("<" + FORMATS[length_primitive] + FORMATS[count_primitive], inner[0], len(items)))
        out.extend(_block(inner, item, exps, version) for item in items)
    for _name, path, kind, length_primitive, _optional, since in data:
        if since > version:
            continue
        got = _get(value, path, [0])
        if got is _ABSENT or got is None:
            raw = b""
        elif kind == "string":
            raw = str(got).encode()
        elif isinstance(got, _Pinned):
            raw = message(got.value, _templates(*got.names), version)
        else:
            raw = message(got, [*_all_templates(), ERROR], version)  # a failed half is an ErrorResponse
        out.append(struct.pack("<" + FORMATS[length_primitive], len(raw)) + raw)
    return b"".join(out)


#: One block (a message's body or a group entry) for a JSON-shaped value: (layout, value, exponents, version).
def encode_block(block: tuple[Any, ...], value: Any, exps: dict[str, int], version: int) -> bytes:
    return _block(block, value, exps, version)


class _Pinned:
    """A nested message whose schema comment names the messages it can be (not a best fit among all)."""

    __slots__ = ("names", "value")

    def __init__(self, value: Any, *names: str) -> None:
        self.value = value
        self.names = names


def _templates(*names: str) -> list[int]:
    return [t for t, (name, _since, _block) in tables.MESSAGES.items() if name in names]


def _all_templates() -> list[int]:
    return [t for t in tables.MESSAGES if t not in (ENVELOPE, ERROR) and t < 600]


def message(value: Any, candidates: list[int], version: int = tables.SCHEMA_VERSION) -> bytes:
    """One SBE message (header + body) for the JSON `value`, as the best fitting candidate."""
    template = candidates[0] if len(candidates) == 1 else choose(value, candidates)
    _name, _since, block = tables.MESSAGES[template]
    return HEADER.pack(block[0], template, tables.SCHEMA_ID, version) + _block(block, value, {}, version)


def _sbe_shape(method: str | None, result: Any) -> Any:
    """The few JSON results shaped unlike their SBE message, reshaped for it."""
    if method == "sor.order.place" and isinstance(result, list) and len(result) == 1:
        return result[0]
    if method == "session.subscriptions" and isinstance(result, list):
        return {"subscriptions": result}
    if method == "order.amend.keepPriority" and isinstance(result, dict):
        flat = {k: v for k, v in result.items() if k not in ("amendedOrder", "listStatus")}
        flat.update(result.get("amendedOrder") or {})
        if isinstance(result.get("listStatus"), dict):
            flat["listStatus"] = [result["listStatus"]]
        return flat
    if method == "openOrders.cancelAll" and isinstance(result, list):
        # the schema: each entry is a CancelOrderResponse or a CancelOrderListResponse
        return [{"response": _Pinned(item, "CancelOrderResponse", "CancelOrderListResponse")} for item in result]
    return result


def response(answer: dict[str, Any], method: str | None, *, deprecated: bool = False) -> bytes:
    """A whole JSON answer (`{"id", "status", "result" | "error", "rateLimits"}`) as one SBE frame."""
    if "error" in answer:
        error = answer["error"]
        data = error.get("data")
        body: dict[str, Any] = {"code": error.get("code", 0), "msg": error.get("msg", "")}
        if isinstance(data, dict) and ("retryAfter" in data or "serverTime" in data) and len(data) <= 2:
            body.update({k: data[k] for k in ("serverTime", "retryAfter") if k in data})
        elif data is not None:
            body["data"] = data
        result = message(body, [ERROR])
    else:
        found = tables.METHODS.get(method or "")
        candidates = [t for t, _ in found] if found else _all_templates()
        result = message(_sbe_shape(method, answer.get("result")), candidates)
    request_id = answer.get("id")
    envelope = {
        "sbeSchemaIdVersionDeprecated": deprecated,
        "status": answer.get("status", 200),
        "rateLimits": answer.get("rateLimits") or [],
        "id": "" if request_id is None else str(request_id),
    }
    _name, _since, block = tables.MESSAGES[ENVELOPE]
    length, fields, groups, data = block
    head = _block(
        (length, fields, groups, tuple(d for d in data if d[2] == "string")), envelope, {}, tables.SCHEMA_VERSION
    )
    return (
        HEADER.pack(length, ENVELOPE, tables.SCHEMA_ID, tables.SCHEMA_VERSION)
        + head
        + struct.pack("<I", len(result))
        + result
    )


class Handshake:
    """What a connection URL's query asks for: SBE or JSON, or an HTTP 400 (`refusal`)."""

    def __init__(self, query: dict[str, list[str]]) -> None:
        self.sbe = False
        self.deprecated = False
        self.refusal: tuple[int, str] | None = None  # (error code, message) for HTTP 400
        formats = [f.lower() for f in query.get("responseFormat", [])]
        if not formats or formats == ["json"]:
            return
        if len(formats) > 1:
            self.refusal = (-1152, "responseFormat may be given once: json or sbe")
            return
        if formats != ["sbe"]:
            self.refusal = (-1152, f"Invalid responseFormat: {formats[0]!r}")
            return
        self.sbe = True
        schema_id, version = query.get("sbeSchemaId", [""])[-1], query.get("sbeSchemaVersion", [""])[-1]
        if not (schema_id.isdigit() and version.isdigit() and schema_id.isascii() and version.isascii()):
            self.refusal = (-1152, "Invalid sbeSchemaId or sbeSchemaVersion; expected <SCHEMA_ID> and <VERSION>.")
            return
        if int(schema_id) != tables.SCHEMA_ID or int(version) not in SUPPORTED_VERSIONS:
            self.refusal = (-1153, f"Unsupported SBE schema ID or version: {int(schema_id)}:{int(version)}.")
            return
        self.deprecated = int(version) < tables.SCHEMA_VERSION


_EVENT_TEMPLATES = {name: template for template, name in tables.EVENTS.items()}


def event(frame: dict[str, Any]) -> bytes | None:
    """A JSON event frame (`{"subscriptionId", "event": {"e": ...}}`) as its SBE message, or None
    for an event type the schema has no message for."""
    payload = frame.get("event") or {}
    template = _EVENT_TEMPLATES.get(str(payload.get("e")))
    if template is None:
        return None
    value = {k: v for k, v in payload.items() if k != "e"}
    if frame.get("subscriptionId") is not None:
        value["subscriptionId"] = frame["subscriptionId"]
    return message(value, [template])
