"""Decoding SBE (Simple Binary Encoding) answers of the WebSocket API.

With `response_format="sbe"` the server answers in binary frames: a `WebSocketResponse`
envelope (status, rate limits, request id) around one response message, and user-data
events as their own messages. `Decoder` reads the envelope straight, then the result:

- with the generated straight-line decoders (`generated/.../_sbe_decode.py`, its `direct`
  argument), built directly into the method's result Structs (a `DecodedFrame`): the same
  Structs the JSON answer decodes into;
- otherwise (a message the generator leaves to it, a value a direct decoder does not take,
  `Decoder(tables)` alone) with the layout tables (`generated/.../_sbe.py`) into the
  JSON-shaped values the JSON API sends, which go through the same typed decoding.

`message()` (JSON-shaped values of one message) and `frame()` are the entry points.

Schema evolution as the SBE standard requires: each message's and group's block length
is read from the wire (trailing fields a newer version added are skipped), fields of a
version newer than the message's are absent (their JSON default, or left out), and
`NonRepresentable` enum values, set bits or messages raise `NonRepresentable`.
Timestamps arrive in microseconds and are given in milliseconds, as JSON answers are.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import ModuleType
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec

from .errors import BinanceError
from .wire import DecodedFrame, ErrorBody, Frame, RateLimit

#: `struct` format of each SBE primitive (little-endian, no padding).
FORMATS = {
    "char": "c",
    "int8": "b",
    "uint8": "B",
    "int16": "h",
    "uint16": "H",
    "int32": "i",
    "uint32": "I",
    "int64": "q",
    "uint64": "Q",
    "float": "f",
    "double": "d",
}
#: The null value of each primitive for `presence="optional"` fields (SBE standard).
NULLS: dict[str, Any] = {
    "int8": -(2**7),
    "uint8": 2**8 - 1,
    "int16": -(2**15),
    "uint16": 2**16 - 1,
    "int32": -(2**31),
    "uint32": 2**32 - 1,
    "int64": -(2**63),
    "uint64": 2**64 - 1,
}
MANTISSA128_NULL = -(2**127)
HEADER = struct.Struct("<HHHH")  # blockLength, templateId, schemaId, version
_FLAG = struct.Struct("<B")
_NULL = msgspec.Raw(b"null")
_NO_EVENT = msgspec.Raw(b"")

ENVELOPE = 50  # WebSocketResponse
ERROR = 100  # ErrorResponse
NON_REPRESENTABLE_MESSAGE = 999


class SbeError(BinanceError):
    """An SBE payload that cannot be decoded (truncated, unknown template, other schema)."""


class Fallback(Exception):
    """Internal: a generated decoder leaves this message to the table-driven path (which then
    raises the typed problem, e.g. NonRepresentable, or decodes it the JSON way)."""


class NonRepresentable(SbeError):
    """The server had a value the requested schema cannot represent: a newer schema has it.

    Attributes:
        message: the SBE message holding it.
        field: the field (or `""` for a whole `NonRepresentableMessage`).
    """

    def __init__(self, message: str, field: str = "") -> None:
        self.message = message
        self.field = field
        where = f"{message}.{field}" if field else message
        super().__init__(f"{where}: the value is not representable in this SBE schema version (a newer one has it)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.field))


def sbe_url(url: str, schema_id: int, version: int) -> str:
    """`url` asking for SBE answers of schema `schema_id:version` (the FAQ's query parameters)."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _SBE_QUERY]
    query = urlencode([*kept, ("responseFormat", "sbe"), ("sbeSchemaId", schema_id), ("sbeSchemaVersion", version)])
    return urlunsplit(parts._replace(query=query))


_SBE_QUERY = ("responseFormat", "sbeSchemaId", "sbeSchemaVersion")


def decimal_text(mantissa: int, exponent: int) -> str:
    """`mantissa * 10**exponent` in plain notation, as the JSON API writes it (`0.00100000`)."""
    if exponent >= 0:
        return str(mantissa * 10**exponent)
    digits = str(-mantissa if mantissa < 0 else mantissa).rjust(1 - exponent, "0")
    return f"{'-' if mantissa < 0 else ''}{digits[:exponent]}.{digits[exponent:]}"


def _decimal_at(exponent: int, mantissa: int) -> str:
    return decimal_text(mantissa, exponent)


def _milliseconds(microseconds: int) -> int:
    return microseconds // 1000


def _place(out: Any, path: str, value: Any) -> Any:
    """Put `value` at `path` in `out`; returns the (possibly replaced) container."""
    if path == "..":
        return value
    if path == "[]":
        out.append(value)
        return out
    if "." in path:
        head, _, rest = path.partition(".")
        inner = out.setdefault(head, {})
        _place(inner, rest, value)
        return out
    out[path] = value
    return out


class _Block:
    """One message's or group's fixed block, compiled for decoding."""

    __slots__ = ("data", "fields", "groups", "is_list", "leaf", "length", "max_since", "name", "struct")

    def __init__(self, name: str, spec: tuple[Any, ...]) -> None:
        length, fields, groups, data = spec
        self.name = name
        self.length: int = length
        placed = [f for f in fields if f[2] != "constant"]
        fmt = "<"
        at = 0
        for f in placed:
            if f[3] > at:
                fmt += f"{f[3] - at}x"
            fmt += "16s" if f[2] == "mantissa128" else FORMATS[f[4]]
            at = f[3] + f[5]
        self.struct = struct.Struct(fmt)
        self.fields: tuple[tuple[Any, ...], ...] = tuple(fields)
        self.max_since = max((f[7] for f in fields), default=0)
        self.is_list = any(f[1] == "[]" for f in fields)
        self.groups = tuple(
            (g[0], g[1], g[2], g[3], struct.Struct("<" + FORMATS[g[4]] + FORMATS[g[5]]), _Block(f"{name}.{g[0]}", g[6]))
            for g in groups
        )
        self.data = tuple((d[0], d[1], d[2], struct.Struct("<" + FORMATS[d[3]]), d[4], d[5]) for d in data)
        # Only plain fields (no nested groups, var data, constants, exponents or nested paths):
        # its entries decode in one loop over the group (the depth levels, klines, trades).
        self.leaf = (
            not groups and not data and all(f[2] not in ("constant", "exponent") and "." not in f[1] for f in fields)
        )


class Decoder:
    """SBE payloads -> JSON-shaped values and frames, from a generated `_sbe` table module."""

    def __init__(self, tables: ModuleType, direct: ModuleType | None = None) -> None:
        """`tables`: the generated `_sbe` layout tables; `direct`: the generated `_sbe_decode`
        module (straight-line decoders into the result Structs), or None for the table path only."""
        self.schema_id: int = tables.SCHEMA_ID
        self.schema_version: int = tables.SCHEMA_VERSION
        self.enums: Mapping[str, Mapping[int, str | None]] = tables.ENUMS
        self.sets: Mapping[str, tuple[tuple[int, str | None], ...]] = tables.SETS
        self.messages = {tid: (spec[0], _Block(spec[0], spec[2])) for tid, spec in tables.MESSAGES.items()}
        self.events: Mapping[int, str] = tables.EVENTS
        self._encode = msgspec.json.Encoder().encode
        #: wire -> (the result type the decoders build, {template: decoder})
        self._direct: Mapping[str, tuple[Any, Mapping[int, Callable[..., Any]]]] = {}
        self._direct_events: Mapping[int, Callable[..., tuple[Any, int | None]]] = {}
        # Decoders made for other tables (a client asking for an older schema) are not used.
        if direct is not None and (direct.SCHEMA_ID, direct.SCHEMA_VERSION) == (self.schema_id, self.schema_version):
            self._direct = {wire: (direct.RESULT_TYPES[wire], found) for wire, found in direct.RESULTS.items()}
            self._direct_events = direct.EVENTS
        # A schema of answers has the envelope; the market-data streams' schema has none.
        envelope = self.messages.get(ENVELOPE)
        self._envelope_reader = None if envelope is None else _EnvelopeReader(envelope[1], self.enums)

    # -- values -----------------------------------------------------------------------------

    def message(self, data: bytes | memoryview, pos: int = 0, end: int | None = None) -> tuple[str, Any]:
        """Decode the message at `pos` (header + body): (its name, its JSON-shaped value)."""
        buf = memoryview(data)
        if end is None:
            end = len(buf)
        if end - pos < HEADER.size:
            raise SbeError(f"truncated SBE message: {end - pos} bytes, no room for a header")
        block_length, template, schema_id, version = HEADER.unpack_from(buf, pos)
        if schema_id != self.schema_id:
            raise SbeError(f"SBE message of schema {schema_id}, expected {self.schema_id}")
        if template == NON_REPRESENTABLE_MESSAGE:
            raise NonRepresentable("NonRepresentableMessage")
        found = self.messages.get(template)
        if found is None:
            raise SbeError(f"unknown SBE template id {template} (schema {schema_id}:{version})")
        name, block = found
        try:
            value, _ = self._block(block, buf, pos + HEADER.size, block_length, version, {}, end)
        except (struct.error, IndexError, UnicodeDecodeError) as exc:
            raise SbeError(f"malformed SBE {name}: {exc}") from None
        return name, value

    def _block(
        self,
        block: _Block,
        buf: memoryview,
        pos: int,
        block_length: int,
        version: int,
        exponents: dict[str, int],
        end: int,
    ) -> tuple[Any, int]:
        if pos + block_length > end:
            raise SbeError(f"truncated SBE {block.name}: block of {block_length} bytes past the end")
        fields = block.fields
        if block_length >= block.struct.size and version >= block.max_since:
            values: Any = iter(block.struct.unpack_from(buf, pos))
            raw: list[Any] = [None if f[2] == "constant" else next(values) for f in fields]
        else:  # an older (or shorter) block: only what it holds
            raw = []
            for f in fields:
                if f[2] == "constant" or f[7] > version or f[3] + f[5] > block_length:
                    raw.append(None if f[2] == "constant" else _ABSENT)
                else:
                    fmt = "<16s" if f[2] == "mantissa128" else "<" + FORMATS[f[4]]
                    raw.append(struct.unpack_from(fmt, buf, pos + f[3])[0])
        exps = exponents
        out: Any = [] if block.is_list else {}
        for f, value in zip(fields, raw, strict=True):
            if f[2] == "exponent":
                if exps is exponents:
                    exps = dict(exponents)
                exps[f[0]] = value if value is not _ABSENT else 0
        for f, value in zip(fields, raw, strict=True):
            kind = f[2]
            if kind == "exponent":
                continue
            if kind == "constant":
                out = _place(out, f[1], f[8])
                continue
            json_value = self._value(block, f, value, exps)
            if json_value is _ABSENT:
                if f[9] is not None:
                    out = _place(out, f[1], f[9])
                continue
            out = _place(out, f[1], json_value)
        pos += block_length
        for _name, path, since, omit_empty, dimension, inner in block.groups:
            if since > version:
                if not omit_empty:
                    out = _place(out, path, [])
                continue
            item_length, count = dimension.unpack_from(buf, pos)
            pos += dimension.size
            if inner.leaf and item_length >= inner.struct.size and version >= inner.max_since:
                if pos + item_length * count > end:
                    raise SbeError(f"truncated SBE {inner.name}: {count} entries past the end")
                items = self._leaf_entries(inner, buf, pos, item_length, count, exps)
                pos += item_length * count
                if items or not omit_empty:
                    out = _place(out, path, items)
                continue
            entries: list[Any] = []
            for _ in range(count):
                item, pos = self._block(inner, buf, pos, item_length, version, exps, end)
                entries.append(item)
            if entries or not omit_empty:
                out = _place(out, path, entries)
        for name, path, kind, length, optional, since in block.data:
            if since > version:
                continue
            (size,) = length.unpack_from(buf, pos)
            pos += length.size
            if pos + size > end:
                raise SbeError(f"truncated SBE {block.name}.{name}: {size} bytes past the end")
            if kind == "string":
                value = _ABSENT if optional and size == 0 else str(buf[pos : pos + size], "utf-8")
            elif size == 0:
                value = None  # JSON: null (a cancelReplace half not attempted)
            else:
                value = self.message(buf, pos, pos + size)[1]
            pos += size
            if value is not _ABSENT:  # an empty optional string: left out, like an unset field
                out = _place(out, path, value)
        return out, pos

    def _leaf_entries(
        self, block: _Block, buf: memoryview, pos: int, item_length: int, count: int, exps: Mapping[str, int]
    ) -> list[Any]:
        """All entries of a plain group: one unpack and one converter per field and entry."""
        converters: list[Any] = []
        for f in block.fields:
            kind, optional = f[2], f[6]
            if kind == "mantissa" and not optional:
                converters.append(functools.partial(_decimal_at, exps.get(f[8], 0)))
            elif kind == "timestamp" and not optional:
                converters.append(_milliseconds)
            elif kind == "int" and not optional:
                converters.append(None)
            else:
                converters.append(functools.partial(self._value_or_default, block, f, exps))
        unpack = block.struct.unpack_from
        keys = [f[1] for f in block.fields]
        entries: list[Any] = []
        append = entries.append
        for at in range(pos, pos + item_length * count, item_length):
            values = unpack(buf, at)
            row = [v if c is None else c(v) for c, v in zip(converters, values, strict=True)]
            if block.is_list:
                append([v for v in row if v is not _ABSENT])
            else:
                append({k: v for k, v in zip(keys, row, strict=True) if v is not _ABSENT})
        return entries

    def _value_or_default(self, block: _Block, f: tuple[Any, ...], exps: Mapping[str, int], value: Any) -> Any:
        found = self._value(block, f, value, exps)
        return f[9] if found is _ABSENT and f[9] is not None else found

    def _value(self, block: _Block, f: tuple[Any, ...], value: Any, exps: Mapping[str, int]) -> Any:
        if value is _ABSENT:
            return _ABSENT
        kind = f[2]
        optional = f[6]
        if kind == "mantissa":
            if optional and value == NULLS["int64"]:
                return _ABSENT
            return decimal_text(value, exps.get(f[8], 0))
        if kind == "timestamp":
            if optional and value == NULLS["int64"]:
                return _ABSENT
            return value // 1000
        if kind == "int":
            if optional and value == NULLS[f[4]]:
                return _ABSENT
            return value
        if kind == "bool":
            if value == 255 and optional:
                return _ABSENT
            if value not in (0, 1):
                raise NonRepresentable(block.name, f[0])
            return value == 1
        if kind == "enum":
            if optional and value == NULLS[f[4]]:
                return _ABSENT
            text = self.enums[f[8]].get(value)
            if text is None:
                raise NonRepresentable(block.name, f[0])
            return text
        if kind == "set":
            out: list[str] = []
            for bit, text in self.sets[f[8]]:
                if value >> bit & 1:
                    if text is None:
                        raise NonRepresentable(block.name, f[0])
                    out.append(text)
            return out
        if kind == "mantissa128":
            number = int.from_bytes(value, "little", signed=True)
            if number == MANTISSA128_NULL:
                return _ABSENT
            return decimal_text(number, exps.get(f[8], 0))
        if kind == "float":
            if value != value:  # NaN is the null value
                return _ABSENT
            return f"{value:.3f}"
        raise SbeError(f"{block.name}.{f[0]}: unknown kind {kind!r}")

    # -- frames -----------------------------------------------------------------------------

    def frame(
        self, data: bytes, now_ms: int = 0, method_of: Callable[[Any], Any] | None = None
    ) -> tuple[Frame, bool, BaseException | None]:
        """A binary frame -> (the same `Frame` a JSON answer gives, deprecated flag, problem).

        `method_of(request id)` gives the `Method` a request id was sent for (a few results
        differ in shape by method; the numeric fast path takes the SBE message as it is). `now_ms` is the client's estimate of the server clock, for the one JSON field SBE
        leaves out that a result needs (`exchangeInfo.serverTime`). The envelope (id, status,
        rate limits) is read first, so a result that cannot be
        decoded (`NonRepresentable`, malformed) still reaches its request: then `problem`
        is set and the frame carries no result.
        """
        if len(data) < HEADER.size:
            raise SbeError(f"truncated SBE frame ({len(data)} bytes)")
        block_length, template, _schema_id, version = HEADER.unpack_from(data, 0)
        if template in self.events:
            return self._event(data, memoryview(data), template), False, None
        if template != ENVELOPE or self._envelope_reader is None:
            raise SbeError(f"SBE frame is neither a WebSocketResponse nor an event (template {template})")
        try:
            deprecated, status, limits, request_id, start, stop = self._envelope_reader.read(
                data, block_length, version
            )
        except (struct.error, IndexError, UnicodeDecodeError, KeyError) as exc:
            raise SbeError(f"malformed SBE WebSocketResponse: {exc}") from None
        method = method_of(request_id) if method_of is not None else None
        problem: BaseException | None = None
        error: ErrorBody | None = None
        body = _NULL
        try:
            inner_length, inner, inner_schema, inner_version = (
                HEADER.unpack_from(data, start) if stop - start >= HEADER.size else (0, None, None, 0)
            )
            if inner == ERROR:
                error = self._error(self.message(memoryview(data)[start:stop])[1])
            elif method is not None and method.takes_sbe:
                body = msgspec.Raw(data[start:stop])  # the numeric fast path reads the message itself
            else:
                wire = method.wire if method is not None else None
                direct = self._direct.get(wire) if method is not None and wire is not None else None
                # Only for the result type they build (the runtime's own `time` call has its own).
                decode = (
                    direct[1].get(inner)
                    if direct is not None and method is not None and inner is not None and method.result is direct[0]
                    else None
                )
                if decode is not None and inner_schema == self.schema_id:
                    try:
                        value = decode(data, start + HEADER.size, inner_length, inner_version, stop)
                    except (Fallback, KeyError, struct.error, IndexError, UnicodeDecodeError):
                        pass  # a NonRepresentable value, a missing field, a malformed block: the table path says
                    else:  # (positional: id, status, result, error, rateLimits, event, subscriptionId, value)
                        decoded = DecodedFrame(request_id, status, _NULL, None, limits or None, _NO_EVENT, None, value)
                        return decoded, deprecated, None
                body = self._json_result(memoryview(data)[start:stop], wire, now_ms)
        except SbeError as exc:
            problem = exc
        except (struct.error, IndexError, UnicodeDecodeError) as exc:
            problem = SbeError(f"malformed SBE result: {exc}")
        frame = Frame(id=request_id, status=status, result=body, error=error, rateLimits=limits or None)
        return frame, deprecated, problem

    def _json_result(self, result: memoryview, wire: str | None, now_ms: int) -> msgspec.Raw:
        """The result the table-driven way: its JSON value, as the JSON API sends it."""
        value: Any
        inner, value = self.message(result) if len(result) else ("", None)
        shape = _JSON_SHAPE.get(inner)
        if shape is not None:
            value = shape(value, now_ms)
        if wire in _LIST_OF_ONE and isinstance(value, dict):
            value = [cast("dict[str, Any]", value)]
        return msgspec.Raw(self._encode(value))

    def _event(self, data: bytes, buf: memoryview, template: int) -> Frame:
        """A user-data event: the same `{"subscriptionId", "event"}` frame JSON sessions get.

        With a generated decoder the frame carries the event already built (`DecodedFrame.value`)
        and the SBE bytes as `event` (what duplicate detection compares).
        """
        decode = self._direct_events.get(template)
        if decode is not None:
            block_length, _template, schema_id, version = HEADER.unpack_from(buf, 0)
            if schema_id == self.schema_id:
                try:
                    event, subscription = decode(data, HEADER.size, block_length, version, len(data))
                except (Fallback, KeyError, struct.error, IndexError, UnicodeDecodeError):
                    pass  # the table path decides (and reports what is wrong)
                else:
                    return DecodedFrame(event=msgspec.Raw(data), subscriptionId=subscription, value=event)
        _, value = self.message(buf)
        subscription = value.pop("subscriptionId", None)
        event = {"e": self.events[template], **value}
        return Frame(event=msgspec.Raw(self._encode(event)), subscriptionId=subscription)

    @staticmethod
    def _error(value: Any) -> ErrorBody:
        data = value.get("data")
        if data is None:
            timing = {k: value[k] for k in ("serverTime", "retryAfter") if k in value}
            data = timing or None
        return ErrorBody(code=value["code"], msg=value.get("msg", ""), data=data)


class _EnvelopeReader:
    """The `WebSocketResponse` envelope, read straight: (deprecated, status, rate limits, id, result).

    Offsets and formats come from the layout tables; the block and entry lengths from the wire
    (a newer version's longer ones are skipped). The result is left as a view (decoded separately).
    """

    def __init__(self, block: _Block, enums: Mapping[str, Mapping[int, str | None]]) -> None:
        by_json = {f[1]: f for f in block.fields}
        deprecated, status = by_json["sbeSchemaIdVersionDeprecated"], by_json["status"]
        self.block = block
        self.status = struct.Struct(f"<{FORMATS[status[4]]}")
        self.status_at = status[3]
        self.deprecated_at = deprecated[3]
        ((_, _, _, _, dimension, entry),) = block.groups
        self.dimension = dimension
        self.entry = entry.struct
        self.entry_fields = tuple(f[1] for f in entry.fields)
        self.entry_enums = tuple(enums[f[8]] if f[2] == "enum" else None for f in entry.fields)
        (ident, result) = block.data
        self.id_length, self.result_length = ident[3], result[3]
        # The block as this schema has it and the group's dimension, in one unpack.
        self.front = struct.Struct(
            self.block.struct.format + f"{block.length - block.struct.size}x" + dimension.format.lstrip("<")
        )
        self.front_fields = (block.fields.index(deprecated), block.fields.index(status))

    def read(
        self, buf: bytes | memoryview, block_length: int, version: int
    ) -> tuple[bool, int, list[RateLimit], int | str | None, int, int]:
        """(deprecated, status, rate limits, request id, where the result message starts, where it ends)."""
        pos = HEADER.size
        end = len(buf)
        if pos + block_length > end or block_length < self.block.struct.size:
            raise SbeError(f"truncated SBE WebSocketResponse: block of {block_length} bytes")
        if block_length == self.block.length:
            values = self.front.unpack_from(buf, pos)
            deprecated = values[self.front_fields[0]] == 1
            status = values[self.front_fields[1]]
            entry_length, count = values[-2], values[-1]
            pos += block_length + self.dimension.size
        else:  # a newer version's longer block
            deprecated = _FLAG.unpack_from(buf, pos + self.deprecated_at)[0] == 1
            (status,) = self.status.unpack_from(buf, pos + self.status_at)
            pos += block_length
            entry_length, count = self.dimension.unpack_from(buf, pos)
            pos += self.dimension.size
        if pos + entry_length * count > end or (count and entry_length < self.entry.size):
            raise SbeError("truncated SBE WebSocketResponse.rateLimits")
        limits: list[RateLimit] = []
        kind_names, interval_names = self.entry_enums[0], self.entry_enums[1]
        assert kind_names is not None and interval_names is not None
        for at in range(pos, pos + entry_length * count, entry_length):
            kind, interval, interval_num, limit, current = self.entry.unpack_from(buf, at)
            kind_name, interval_name = kind_names.get(kind), interval_names.get(interval)
            if kind_name is None or interval_name is None:
                raise NonRepresentable(
                    "WebSocketResponse.rateLimits", "rateLimitType" if kind_name is None else "interval"
                )
            limits.append(RateLimit(kind_name, interval_name, interval_num, limit, current))
        pos += entry_length * count
        (size,) = self.id_length.unpack_from(buf, pos)
        pos += self.id_length.size
        if pos + size > end:
            raise SbeError("truncated SBE WebSocketResponse.id")
        text = str(buf[pos : pos + size], "utf-8")
        pos += size
        request_id: int | str | None = text
        if text.isdigit() and text.isascii():
            request_id = int(text)
        elif text == "":
            request_id = None
        (size,) = self.result_length.unpack_from(buf, pos)
        pos += self.result_length.size
        if pos + size > end:
            raise SbeError("truncated SBE WebSocketResponse.result")
        return deprecated, status, limits, request_id, pos, pos + size


def _klines(value: Any, now_ms: int) -> Any:
    for row in value:
        row.append("0")  # the JSON rows' twelfth, unused element
    return value


def _exchange_info(value: Any, now_ms: int) -> Any:
    value.setdefault("timezone", "UTC")  # SBE: every timestamp is UTC
    value.setdefault("serverTime", now_ms)  # SBE leaves it out (the `time` method has it)
    return value


def _session(value: Any, now_ms: int) -> Any:
    value.setdefault("authorizedSince", None)  # JSON: null until session.logon
    if not value.get("apiKey"):
        value["apiKey"] = None
    return value


def _subscriptions(value: Any, now_ms: int) -> Any:
    return value["subscriptions"]  # JSON: the list itself


def _amend(value: Any, now_ms: int) -> Any:
    out = {"transactTime": value.pop("transactTime"), "executionId": value.pop("executionId")}
    lists = value.pop("listStatus", [])
    related = value.pop("relatedOrders", [])
    out["amendedOrder"] = value  # flat in SBE, an object in JSON
    if lists:
        out["listStatus"] = lists[0]  # a group of 0 or 1 in SBE, an optional object in JSON
    if related:
        out["relatedOrders"] = related
    return out


def _account(value: Any, now_ms: int) -> Any:
    rates = value.get("commissionRates", {})
    for side in ("maker", "taker", "buyer", "seller"):  # JSON's integer basis points of the rates
        if side in rates:
            value.setdefault(f"{side}Commission", int(Decimal(rates[side]) * 10000))
    return value


def _cancel_all(value: Any, now_ms: int) -> Any:
    return [item["response"] for item in value]  # each element is the nested message


#: Where a JSON result differs in shape from its SBE message (the schema's comments say so for
#: klines and exchangeInfo): message name -> the JSON value from the SBE one.
_JSON_SHAPE: dict[str, Any] = {
    "KlinesResponse": _klines,
    "ExchangeInfoResponse": _exchange_info,
    "WebSocketSessionLogonResponse": _session,
    "WebSocketSessionStatusResponse": _session,
    "WebSocketSessionLogoutResponse": _session,
    "WebSocketSessionSubscriptionsResponse": _subscriptions,
    "OrderAmendKeepPriorityResponse": _amend,
    "CancelOpenOrdersResponse": _cancel_all,
    "AccountResponse": _account,
}
#: Methods whose JSON result is a list of the one order the SBE message holds.
_LIST_OF_ONE = frozenset({"sor.order.place"})


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()
