"""SBE market-data stream layouts + the generated stream events -> `generated/<package>/_sbe_stream_decode.py`.

Straight-line decoders for the messages of the SBE market-data streams (schema
`spot_stream`, `spec/sbe/spot-stream-1-0.sbe.yaml`), built like the API's (`sbe_decode`):
one precompiled `struct.Struct` per block and group entry, the exponents applied inline,
and the JSON streams' event Structs (`stream_types.py`) built directly, so a binary frame
never becomes JSON text on its way to a typed event.

The SBE messages are not the JSON events field for field (the SBE names differ, a trade
message holds a group of trades, each one JSON event), so `EVENTS` below says which SBE
field gives which event field: the same correspondence the runtime's table-driven fallback
(`binance_ws.stream_sbe.StreamDecoder.payloads`) writes as JSON payloads. A message whose
mapping cannot be built (a field of a kind this stage cannot take as its type, a missing
required field, a name this table does not find) gets no decoder and keeps that fallback;
the module lists it (`NOT_DIRECT`).

Times: each decoder takes `unit`, the divisor of the wire's microseconds (1000 for
milliseconds, 1 for `time_unit="MICROSECOND"`).
"""

from __future__ import annotations

import re
import types as pytypes
from pathlib import Path
from typing import Any

import msgspec

from binance_ws.sbe import FORMATS as _FORMATS

from . import sbe
from .render import ENV
from .sbe_decode import (
    Unmapped,
    _describe,
    _kind,
    _literal_default,
    _Message,
    _Out,
    _Scope,
    _type_info,
    emit_function,
    probed,
)

#: Each SBE stream message as the JSON stream event it stands for:
#: (the SBE stream's name after `<symbol>@`, the event type in `stream_types`, the group each of
#: whose entries is one event (None: one event per message), {event field's JSON name: source}).
#: A source is a field of the message's block (`eventTime`), a field of the per-event group's
#: entry (`trades.price`), a group (`bids`: its entries as the list's items), the var data
#: `symbol`, or `=text`, a constant text.
EVENTS: dict[str, tuple[str, str, str | None, dict[str, str]]] = {
    "TradesStreamEvent": (
        "trade",
        "Trade",
        "trades",
        {
            "e": "=trade",
            "E": "eventTime",
            "s": "symbol",
            "t": "trades.id",
            "p": "trades.price",
            "q": "trades.qty",
            "T": "transactTime",
            "m": "trades.isBuyerMaker",
            "M": "trades.isBestMatch",
        },
    ),
    "BestBidAskStreamEvent": (
        "bestBidAsk",
        "BookTicker",
        None,
        {"u": "bookUpdateId", "s": "symbol", "b": "bidPrice", "B": "bidQty", "a": "askPrice", "A": "askQty"},
    ),
    "DepthSnapshotStreamEvent": (
        "depth20",
        "PartialDepth",
        None,
        {"lastUpdateId": "bookUpdateId", "bids": "bids", "asks": "asks"},
    ),
    "DepthDiffStreamEvent": (
        "depth",
        "DepthUpdate",
        None,
        {
            "e": "=depthUpdate",
            "E": "eventTime",
            "s": "symbol",
            "U": "firstBookUpdateId",
            "u": "lastBookUpdateId",
            "b": "bids",
            "a": "asks",
        },
    ),
}
#: The var data every stream message ends with: its symbol (which names the stream too).
SYMBOL = "symbol"


class _StreamMessage(_Message):
    time_divisor = "unit"

    def value(self, f: tuple[Any, ...], raw: str, target: str, default: str | None, scope: _Scope) -> str:
        if f[2] == "constant" and target == "bool" and f[8] in ("True", "False"):
            return repr(f[8] == "True")  # a boolEnum constant (isBestMatch)
        return super().value(f, raw, target, default, scope)

    def event(self, block: tuple[Any, ...], event: Any, per_event: str | None, sources: dict[str, str]) -> str:
        """Statements decoding the message; returns the expression of `(symbol, [event, ...])`."""
        fn = self.fn
        where = self.message
        _, fields, groups, data = block
        by_name = {f[0]: f for f in fields}
        raws = dict(zip((f[0] for f in fields), self.fixed(block, 1, "pos", "block_length"), strict=True))
        self.top_raws = list(raws.values())
        exponents: dict[str, tuple[str, str]] = {}
        for f in fields:
            if f[2] == "exponent":
                scale = fn.var("x")
                value = f"(0 if {raws[f[0]]} is _ABSENT else {raws[f[0]]})" if f[7] > 0 else raws[f[0]]
                fn.add(1, f"{scale} = _SCALE[{value}]")
                exponents[f[0]] = (value, scale)
        scope = _Scope(exponents)
        fn.add(1, "pos = pos + block_length")
        by_json = {f.encode_name: f for f in event.fields}
        if set(sources) - set(by_json):
            raise Unmapped(f"{where}: {event.cls.__name__} has no field {sorted(set(sources) - set(by_json))}")
        wanted = {source: name for name, source in sources.items()}
        lists: dict[str, str] = {}  # group name -> the variable of its list
        entry: tuple[dict[str, tuple[Any, ...]], dict[str, str], str] | None = None  # the per-event group
        for g in groups:
            name, _json, since, _omit, _length, _count, _block = g
            if since > 0:
                raise Unmapped(f"{where}.{name}: a group since version {since}")
            if name == per_event:
                entry = self.rows(g, f"{where}.{name}")
            elif name in wanted:
                target_field = by_json[wanted[name]]
                kind, item = _kind(target_field.type)
                if kind != "list":
                    raise Unmapped(f"{where}.{name}: a group as {kind}")
                lists[name] = self.group(_as_rows(g, item), item, f"{where}.{name}", 1, scope)
            else:
                self.skip_group(g, f"{where}.{name}", 1)
        symbol: str | None = None
        for d in data:
            if d[2] != "string":
                raise Unmapped(f"{where}.{d[0]}: var data of kind {d[2]}")
            if d[0] == SYMBOL:
                symbol = self.string(d, where, 1)
            else:
                self.string(d, where, 1, skip=True)
        if symbol is None:
            raise Unmapped(f"{where}: no {SYMBOL}")
        if per_event is not None and entry is None:
            raise Unmapped(f"{where}: no group {per_event}")
        args: dict[str, str] = {}
        for json_name, source in sources.items():
            target_field = by_json[json_name]
            kind = _kind(target_field.type)[0]
            default = _literal_default(target_field)
            if source.startswith("="):
                if kind != "str":
                    raise Unmapped(f"{where}: the constant {source} as {kind}")
                args[target_field.name] = repr(source[1:])
            elif source == SYMBOL:
                args[target_field.name] = symbol
            elif source in lists:
                args[target_field.name] = lists[source]
            elif source in by_name:
                args[target_field.name] = self.value(by_name[source], raws[source], kind, default, scope)
            elif entry is not None and source.startswith(f"{per_event}."):
                entry_fields, entry_raws, _rows = entry
                member = source.partition(".")[2]
                if member not in entry_fields:
                    raise Unmapped(f"{where}: no field {source}")
                args[target_field.name] = self.value(entry_fields[member], entry_raws[member], kind, default, scope)
            else:
                raise Unmapped(f"{where}: no field {source}")
        missing = {f.name for f in event.fields if f.required} - set(args)
        if missing:
            raise Unmapped(f"{where}: no source for {sorted(missing)}")
        call = f"{self.out.cls(event)}({', '.join(f'{k}={v}' for k, v in args.items())})"
        if entry is None:
            return f"{symbol}, [{call}]"
        target = ", ".join(v for v in entry[1].values() if v) + ","
        return f"{symbol}, [{call} for {target} in {entry[2]}]"

    def rows(self, g: tuple[Any, ...], where: str) -> tuple[dict[str, tuple[Any, ...]], dict[str, str], str]:
        """Statements passing over the per-event group at `pos`, its entries left to unpack:
        (its fields by name, the variable of each, the variable of the entries' tuples)."""
        fn = self.fn
        _name, _json, _since, _omit, _length, _count, block = g
        _, fields, groups, data = block
        found = self.layout(block)
        if groups or data or found is None or any(f[2] == "exponent" for f in fields):
            raise Unmapped(f"{where}: entries that are not plain fields")
        _placed, packed, old, condition = found
        dimension = self.out.constant("_D", f"struct.Struct('<{_FORMATS[g[4]]}{_FORMATS[g[5]]}')")
        length, count, stop, rows = fn.var("n"), fn.var("c"), fn.var("e"), fn.var("r")
        fn.add(1, f"{length}, {count} = {dimension}.unpack_from(buf, pos)")
        fn.add(1, f"pos += {dimension}.size")
        fn.add(1, f"{stop} = pos + {length} * {count}")
        fn.add(1, f"if {stop} > end:")
        fn.add(2, f"raise _truncated({where!r}, {count})")
        _target, raws = self.names(fields)
        fn.add(1, f"if {condition.format(length=length)}:")
        fn.add(2, f"{rows} = _rows({packed}, buf, pos, {length}, {count})")
        fn.add(1, "else:  # older or shorter entries: only what they hold")
        fn.add(2, f"{rows} = _older_rows(buf, pos, {length}, {count}, version, {old})")
        fn.add(1, f"pos = {stop}")
        if any(":" in raw for raw in raws):
            raise Unmapped(f"{where}: a 128-bit mantissa per event")
        return {f[0]: f for f in fields}, dict(zip((f[0] for f in fields), raws, strict=True)), rows


def _as_rows(g: tuple[Any, ...], item: Any) -> tuple[Any, ...]:
    """A group whose entries become an array-like Struct (a price level): its fields are the
    positions, in order, and must be named as the Struct's fields are."""
    item = _strip_type(item)
    if not isinstance(item, msgspec.inspect.StructType) or not item.array_like:
        return g
    name, json_name, since, omit, length, count, (block_length, fields, groups, data) = g
    placed = [f for f in fields if f[2] != "constant"]
    if [f[0] for f in placed] != [f.name for f in item.fields]:
        raise Unmapped(f"{name}: entries {[f[0] for f in placed]} for {[f.name for f in item.fields]}")
    fields = tuple((f[0], "[]", *f[2:]) for f in fields)
    return (name, json_name, since, omit, length, count, (block_length, fields, groups, data))


def _strip_type(t: Any) -> Any:
    while isinstance(t, msgspec.inspect.Metadata):
        t = t.type
    return t


def _function(out: _Out, tables: dict[str, Any], template: int, event: Any, mapping: tuple[Any, ...]) -> str | None:
    message_name, _since, block = tables["messages"][template]
    _suffix, _event_type, per_event, sources = mapping
    writer = _StreamMessage(out, tables, message_name)
    try:
        result = writer.event(block, event, per_event, sources)
    except Unmapped:
        return None
    name = f"_s{template}_{re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_', message_name).lower()}"
    head = [
        f"def {name}(",
        "    buf: bytes | memoryview, pos: int, block_length: int, version: int, end: int, unit: int",
        ") -> tuple[str, list[Any]]:",
    ]
    doc = f"{message_name} -> (symbol, [{_describe(event)}{', ...' if per_event else ''}])."
    emit_function(out, head, doc, message_name, writer.fn.lines, result)
    return name


def render(tables: dict[str, Any], package_files: dict[str, str], package: str, header: str, source: str) -> str:
    with probed(package_files, package, ("stream_types",)) as stream_types:
        return _render(tables, stream_types, header, source)


def _render(tables: dict[str, Any], stream_types: pytypes.ModuleType, header: str, source: str) -> str:
    out = _Out()
    streams: dict[int, tuple[str, str, str]] = {}
    not_direct: list[str] = []
    for template, (message_name, _since, _block) in tables["messages"].items():
        mapping = EVENTS.get(message_name)
        if mapping is None or not hasattr(stream_types, mapping[1]):
            not_direct.append(message_name)
            continue
        event = _strip_type(_type_info(stream_types, f"types.{mapping[1]}"))
        name = _function(out, tables, template, event, mapping)
        if name is None:
            not_direct.append(message_name)
        else:
            streams[template] = (mapping[0], f"stream_types.{mapping[1]}", name)
    return ENV.get_template("sbe_stream_decode.py.jinja").render(
        header=header,
        source=source,
        schema_id=tables["schema_id"],
        schema_version=tables["schema_version"],
        constants=out.constants,
        classes=dict(sorted(out.classes.items())),
        functions=out.functions,
        streams=dict(sorted(streams.items())),
        not_direct=tuple(sorted(not_direct)),
    )


def files(spec_dir: Path, package_files: dict[str, str], package: str, header: str) -> dict[str, str]:
    """`{"_sbe_stream_decode.py": source}` beside `_sbe_stream.py` (nothing without the stream
    layout or without market-data streams)."""
    path = spec_dir / sbe.STREAM_LAYOUT
    if not path.exists() or "stream_types.py" not in package_files:
        return {}
    tables = sbe.compile_layout(path)
    source = f"spec/sbe/{path.name}"
    return {"_sbe_stream_decode.py": render(tables, package_files, package, header, source)}
