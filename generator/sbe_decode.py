"""SBE layouts + the generated result types -> `generated/<package>/_sbe_decode.py`.

Straight-line decoders, one per (SBE message, result type): one precompiled
`struct.Struct` per fixed block and group entry, one `unpack_from` per block or entry,
the exponent applied inline, strings sliced from the frame, groups as loops, and the
result Structs built directly (the same Structs the JSON decoder builds, field by field).

The Structs are read from the rendered `types.py` (executed in a throwaway module, never
imported from disk) with `msgspec.inspect`, so each field is built as the type it has.
A message whose JSON answer is reshaped by the runtime (`binance_ws.sbe._JSON_SHAPE`), or
one holding a value this stage cannot build directly (a nested message, a tagged union),
gets no decoder here and keeps the table-driven path; the module lists them (`NOT_DIRECT`).

Money values are built in one place: `money()` (from a mantissa and its exponent's scale),
with `money_from_text()` for the rare value that starts as text (a `jsonDefault`, a float
field); change them to change how every decoder builds a Decimal field.
"""

from __future__ import annotations

import contextlib
import re
import sys
import types as pytypes
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec

from binance_ws.sbe import FORMATS as _FORMATS  # the runtime decoder's own tables: one source
from binance_ws.sbe import NULLS as _NULLS

from . import models, sbe
from .ir import Api
from .render import ENV

#: Messages the runtime reshapes after decoding (`binance_ws.sbe._JSON_SHAPE`): no direct decoder.
SHAPED = frozenset(
    {
        "ExchangeInfoResponse",
        "WebSocketSessionLogonResponse",
        "WebSocketSessionStatusResponse",
        "WebSocketSessionLogoutResponse",
        "WebSocketSessionSubscriptionsResponse",
        "OrderAmendKeepPriorityResponse",
        "CancelOpenOrdersResponse",
        "AccountResponse",
    }
)
#: Methods whose JSON result is a list of the one object the SBE message holds (runtime `_LIST_OF_ONE`).
LIST_OF_ONE = frozenset({"sor.order.place"})
#: JSON positions an SBE row does not carry: the value the JSON answer has there (klines' unused twelfth).
ROW_TAILS = {"KlinesResponse": ('"0"',)}

#: A 128-bit mantissa as its low (unsigned) and high (signed) 64-bit halves, little-endian.
_WIDE = "Qq"


class Unmapped(Exception):
    """This message cannot be decoded straight into this type: it keeps the table path."""


def money(mantissa: str, scale: str) -> str:
    """The expression of a money (Decimal) value from its mantissa and its exponent's scale.

    `scale` is `_SCALE[exponent]`: a Decimal `1E<exponent>` (an int `10**exponent` when
    the exponent is not negative), so the product has the digits the JSON text has
    (`0.00100000`). `_mul` is a Context with room for 128-bit mantissas (never rounds).
    """
    return f"_mul({mantissa}, {scale})"


def money_from_text(text: str) -> str:
    """The expression of a money value from the expression of its JSON text (a layout's
    `jsonDefault`, a float field's three decimals)."""
    return f"_Decimal({text})"


def money_text(mantissa: str, exponent: str) -> str:
    """The JSON text of a money value (for a `str` field): `decimal_text`."""
    return f"_text({mantissa}, {exponent})"


# -- the result types, from the rendered types.py -------------------------------------------------


@contextlib.contextmanager
def probed(
    files: dict[str, str], package: str, parts: tuple[str, ...] = ("_aliases", "types")
) -> Iterator[pytypes.ModuleType]:
    """The rendered `_aliases.py` and `types.py` (or the modules `parts` names, in that order)
    executed in throwaway modules: yields the last one.

    They are registered in `sys.modules` (under a private name) only while in use, so that
    `msgspec.inspect` can resolve their annotations; nothing is imported from disk.
    """
    name = f"_sbe_probe_{package}"
    root = pytypes.ModuleType(name)
    root.__path__ = []
    sys.modules[name] = root
    try:
        made: dict[str, pytypes.ModuleType] = {}
        for part in parts:
            source = files.get(f"{part}.py")
            if source is None:
                continue
            source = source.replace(f"from {package}.", f"from {name}.")
            # The declared types: lazy money keeps `Decimal` annotations (a decoder stores the
            # Decimal it builds from the mantissa, the cheapest value a money field takes).
            source = models.without_lazy_money(source)
            module = pytypes.ModuleType(f"{name}.{part}")
            sys.modules[module.__name__] = module
            setattr(root, part, module)
            exec(compile(source, f"<{package}/{part}.py>", "exec"), module.__dict__)
            made[part] = module
        yield made[parts[-1]]
    finally:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]


def _type_info(types_module: pytypes.ModuleType, expression: str) -> Any:
    value = eval(expression, {"types": types_module, "list": list})
    return msgspec.inspect.type_info(value)


def _strip(t: Any) -> Any:
    while isinstance(t, msgspec.inspect.Metadata):
        t = t.type
    return t


def _kind(t: Any) -> tuple[str, Any]:
    """A result type reduced to what a decoder builds: (kind, detail); kind '' if not buildable."""
    t = _strip(t)
    inspect = msgspec.inspect
    if isinstance(t, inspect.UnionType):
        members = [_strip(m) for m in t.types if not isinstance(_strip(m), inspect.NoneType)]
        if members and all(isinstance(m, inspect.LiteralType | inspect.StrType) for m in members):
            return "str", None
        if len(members) == 1:
            return _kind(members[0])
        return "union", members
    if isinstance(t, inspect.LiteralType):
        return ("str", None) if all(isinstance(v, str) for v in t.values) else ("", None)
    for cls, kind in (
        (inspect.DecimalType, "decimal"),
        (inspect.IntType, "int"),
        (inspect.StrType, "str"),
        (inspect.BoolType, "bool"),
        (inspect.FloatType, "float"),
    ):
        if isinstance(t, cls):
            return kind, None
    if isinstance(t, inspect.ListType):
        return "list", t.item_type
    if isinstance(t, inspect.StructType):
        return "struct", t
    return "", None


# -- emitting ------------------------------------------------------------------------------------


@dataclass
class _Out:
    """The module being written: its constants and functions."""

    constants: dict[str, str] = field(default_factory=dict[str, str])
    classes: dict[str, str] = field(default_factory=dict[str, str])
    functions: list[str] = field(default_factory=list[str])

    def constant(self, prefix: str, value: str) -> str:
        for name, existing in self.constants.items():
            if existing == value and name.startswith(prefix):
                return name
        name = f"{prefix}{len(self.constants)}"
        self.constants[name] = value
        return name

    def cls(self, struct_type: Any) -> str:
        cls = struct_type.cls
        module = cls.__module__.rpartition(".")[2]
        name = f"_{cls.__name__}"
        self.classes[name] = f"{module}.{cls.__name__}"
        return name


class _Fn:
    """One decoder function's body."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.counter = 0

    def var(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def add(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)


def _literal_default(f: Any) -> str | None:
    """The expression of a Struct field's default, or None if it has none."""
    if f.required:
        return None
    if f.default_factory is not msgspec.NODEFAULT:
        return "[]" if f.default_factory is list else None
    value = f.default
    if value is msgspec.UNSET or value is msgspec.NODEFAULT:  # inspect shows an UNSET default as NODEFAULT
        return "_UNSET"
    if value is None or isinstance(value, bool | int | str | float):
        return repr(value)
    return None


def _json_default(f: tuple[Any, ...], target: str) -> str | None:
    """The layout's `jsonDefault` of an SBE field as a value of the target kind."""
    default = f[9]
    if default is None:
        return None
    if target == "decimal":
        return money_from_text(repr(str(default)))
    if target == "str":
        return repr(str(default))
    if target in ("int", "bool") and isinstance(default, int | bool):
        return repr(default)
    raise Unmapped(f"jsonDefault {default!r} for a {target}")


@dataclass
class _Scope:
    """What a block's code can read: the scale and exponent variables of the exponents in scope."""

    exponents: dict[str, tuple[str, str]]  # exponent field name -> (exponent var, scale var)


class _Message:
    #: The expression dividing a timestamp's microseconds: results and events are in milliseconds.
    time_divisor = "1000"

    def __init__(self, out: _Out, tables: dict[str, Any], message_name: str) -> None:
        self.out = out
        self.tables = tables
        self.message = message_name
        self.fn = _Fn()
        self.top_raws: list[str] | None = None

    # -- a fixed block ---------------------------------------------------------------------

    def layout(self, block: tuple[Any, ...]) -> tuple[list[tuple[Any, ...]], str, str, str] | None:
        """(placed fields, Struct constant, older-block spec constant, fast condition), or None if empty."""
        _, fields, _, _ = block
        placed = [f for f in fields if f[2] != "constant"]
        if not placed:
            return None
        fmt = "<"
        end = 0
        for f in placed:
            if f[3] > end:
                fmt += f"{f[3] - end}x"
            fmt += _WIDE if f[2] == "mantissa128" else _FORMATS[f[4]]
            end = f[3] + f[5]
        packed = self.out.constant("_S", f"struct.Struct({fmt!r})")
        spec = tuple(
            ("<" + (_WIDE if f[2] == "mantissa128" else _FORMATS[f[4]]), f[3], f[3] + f[5], f[7]) for f in placed
        )
        old = self.out.constant("_O", repr(spec))
        since = max((f[7] for f in placed), default=0)
        return placed, packed, old, f"{{length}} >= {end}" + (f" and version >= {since}" if since else "")

    def fixed(self, block: tuple[Any, ...], indent: int, at: str, length: str) -> list[str]:
        """Unpack the fixed block at `at` (its wire length in `length`): one var per field ('' for a constant)."""
        fn = self.fn
        _, fields, _, _ = block
        found = self.layout(block)
        if found is None:
            return ["" for _ in fields]
        _placed, packed, old, condition = found
        target, raws = self.names(fields)
        fn.add(indent, f"if {condition.format(length=length)}:")
        fn.add(indent + 1, f"{target} = {packed}.unpack_from(buf, {at})")
        fn.add(indent, "else:  # an older or shorter block: only what it holds")
        fn.add(indent + 1, f"{target} = _older(buf, {at}, {length}, version, {old})")
        return raws

    def names(self, fields: tuple[Any, ...]) -> tuple[str, list[str]]:
        """(the unpack target, the raw value of each field): '' for a constant, `lo:hi` for a
        128-bit mantissa (unpacked as its two 64-bit halves: no bytes object, no int.from_bytes)."""
        flat: list[str] = []
        raws: list[str] = []
        for f in fields:
            if f[2] == "constant":
                raws.append("")
            elif f[2] == "mantissa128":
                low, high = self.fn.var("v"), self.fn.var("v")
                flat += [low, high]
                raws.append(f"{low}:{high}")
            else:
                raws.append(self.fn.var("v"))
                flat.append(raws[-1])
        return ", ".join(flat) + ("," if len(flat) == 1 else ""), raws

    def value(self, f: tuple[Any, ...], raw: str, target: str, default: str | None, scope: _Scope) -> str:
        """The expression of field `f` (raw wire value in `raw`) as a `target`; absent -> `default`."""
        kind = f[2]
        optional = f[6]
        absent: list[str] = []
        if f[7] > 0:
            absent.append(f"{raw.partition(':')[0]} is _ABSENT")
        json_default = _json_default(f, target)
        fallback = json_default if json_default is not None else default
        if kind == "constant":
            if target != "str":
                raise Unmapped(f"constant {f[0]} as {target}")
            return repr(f[8])
        if kind in ("mantissa", "mantissa128"):
            exponent, scale = scope.exponents.get(f[8], ("0", "1"))
            number = raw
            if kind == "mantissa128":
                low, _, high = raw.partition(":")
                number = f"({low} if {high} == 0 else {high} << 64 | {low})"
                absent.append(f"{high} == {-(2**63)} and {low} == 0")  # the int128 null: -2**127
            elif optional:
                absent.append(f"{raw} == {_NULLS['int64']}")
            if target == "decimal":
                expr = money(number, scale)
            elif target == "str":
                expr = money_text(number, exponent)
            else:
                raise Unmapped(f"mantissa {f[0]} as {target}")
        elif kind == "timestamp":
            if target != "int":
                raise Unmapped(f"timestamp {f[0]} as {target}")
            if optional:
                absent.append(f"{raw} == {_NULLS['int64']}")
            expr = f"{raw} // {self.time_divisor}"
        elif kind == "int":
            if target != "int":
                raise Unmapped(f"int {f[0]} as {target}")
            if optional:
                absent.append(f"{raw} == {_NULLS[f[4]]}")
            expr = raw
        elif kind == "bool":
            if target != "bool":
                raise Unmapped(f"bool {f[0]} as {target}")
            if optional:
                absent.append(f"{raw} == 255")
            expr = f"_BOOL[{raw}]"
        elif kind == "enum":
            if target != "str":
                raise Unmapped(f"enum {f[0]} as {target}")
            if optional:
                absent.append(f"{raw} == {_NULLS[f[4]]}")
            known = {v: t for v, t in self.tables["enums"][f[8]].items() if t is not None}
            table = self.out.constant("_E", repr(known))
            expr = f"{table}[{raw}]"
        elif kind == "set":
            if target != "list":
                raise Unmapped(f"set {f[0]} as {target}")
            table = self.out.constant("_B", repr(self.tables["sets"][f[8]]))
            expr = f"_bits({table}, {raw})"
        elif kind == "float":
            if target == "decimal":
                expr = money_from_text(f'f"{{{raw}:.3f}}"')
            elif target == "str":
                expr = f'f"{{{raw}:.3f}}"'
            else:
                raise Unmapped(f"float {f[0]} as {target}")
            absent.append(f"{raw} != {raw}")
        else:
            raise Unmapped(f"{kind} {f[0]}")
        if absent:
            if fallback is None:
                fallback = "_missing()"
            return f"({fallback} if {' or '.join(absent)} else {expr})"
        return expr

    # -- a block as a Struct --------------------------------------------------------------

    def build(
        self, block: tuple[Any, ...], target: Any, where: str, indent: int, scope: _Scope, at: str, length: str
    ) -> str:
        """Statements decoding the block at `at` (advancing `pos` past it and what follows);
        returns the expression of the value as `target` (a type_info)."""
        kind, detail = _kind(target)
        _, fields, groups, data = block
        if kind == "union":
            members = detail
            structs = [m for m in members if isinstance(m, msgspec.inspect.StructType)]
            lists = [m for m in members if isinstance(m, msgspec.inspect.ListType)]
            whole = [g for g in groups if g[1] == ".."]
            if whole and len(lists) == 1:
                return self.build(block, lists[0], where, indent, scope, at, length)
            if not whole and len(structs) == 1:
                return self.build(block, structs[0], where, indent, scope, at, length)
            raise Unmapped(f"{where}: a union of {len(members)}")
        raws = self.fixed(block, indent, at, length)
        if self.top_raws is None:
            self.top_raws = raws
        exponents = dict(scope.exponents)
        for f, raw in zip(fields, raws, strict=True):
            if f[2] == "exponent":
                scale = self.fn.var("x")
                value = f"(0 if {raw} is _ABSENT else {raw})" if f[7] > 0 else raw
                self.fn.add(indent, f"{scale} = _SCALE[{value}]")
                exponents[f[0]] = (value, scale)
        inner = _Scope(exponents)
        self.fn.add(indent, f"pos = {at} + {length}")
        if kind == "list":
            whole = [g for g in groups if g[1] == ".."]
            if len(whole) != 1 or len(groups) != 1 or data or any(f[2] not in ("exponent",) for f in fields):
                raise Unmapped(f"{where}: a list from a block that is not one group")
            return self.group(whole[0], detail, where, indent, inner)
        if kind != "struct":
            raise Unmapped(f"{where}: a block as {kind or 'an unbuildable type'}")
        struct_type = detail
        cls = self.out.cls(struct_type)
        if struct_type.array_like:
            return self.row(block, raws, struct_type, cls, where, inner)
        # Fixed fields first (their exponents are in scope now), then groups, then var data.
        by_json = {f.encode_name: f for f in struct_type.fields}
        exprs, nested = self.fixed_args(fields, raws, by_json, where, inner)
        values: dict[str, str] = {}
        for name, expr in exprs.items():
            values[name] = expr  # evaluated in the constructor call (every name it reads is unique)
        for g in groups:
            target_field = by_json.get(g[1])
            if g[1] == ".." or g[1] == "[]":
                raise Unmapped(f"{where}.{g[0]}: group path {g[1]} in an object")
            if target_field is None:
                self.skip_group(g, f"{where}.{g[0]}", indent)  # no field holds it: only its bytes are passed
                continue
            tkind, item = _kind(target_field.type)
            if tkind != "list":
                raise Unmapped(f"{where}.{g[0]}: group as {tkind}")
            default = _literal_default(target_field)
            if g[2] > 0 or g[3]:  # absent from older versions, or left out of JSON when empty
                var = self.fn.var("g")
                self.fn.add(indent, f"{var} = {default if default is not None else '_missing()'}")
                if g[2] > 0:
                    self.fn.add(indent, f"if version >= {g[2]}:")
                    found = self.group(g, item, f"{where}.{g[0]}", indent + 1, inner)
                else:
                    self.fn.add(indent, "if True:")
                    found = self.group(g, item, f"{where}.{g[0]}", indent + 1, inner)
                if g[3]:
                    self.fn.add(indent + 1, f"if {found}:")
                    self.fn.add(indent + 2, f"{var} = {found}")
                else:
                    self.fn.add(indent + 1, f"{var} = {found}")
                values[target_field.name] = var
            else:
                values[target_field.name] = self.group(g, item, f"{where}.{g[0]}", indent, inner)
        for d in data:
            path = d[1]
            nested_rest = None
            if "." in path:
                nested_rest = path.partition(".")
            target_field = by_json.get(path) if nested_rest is None else None
            if d[2] != "string":
                raise Unmapped(f"{where}.{d[0]}: a nested message")
            if target_field is None and nested_rest is None:
                self.string(d, where, indent, skip=True)  # no field reads it: only its bytes are passed
                continue
            text = self.string(d, where, indent)
            if nested_rest is not None:
                nested.setdefault(nested_rest[0], []).append(
                    (("string-data", nested_rest[2], "string", 0, "", 0, d[4], d[5], None, None), text)
                )
                continue
            if target_field is None:
                continue
            if _kind(target_field.type)[0] != "str":
                raise Unmapped(f"{where}.{d[0]}: a string as {_kind(target_field.type)[0]}")
            default = _literal_default(target_field)
            if d[4]:  # an empty optional string is left out, like an unset field
                text = f"({default if default is not None else '_missing()'} if {text} == '' else {text})"
            values[target_field.name] = text
        for head, members in nested.items():
            built = self.nested_value(head, members, by_json, where, inner)
            if built is not None:
                values[built[0]] = built[1]
        missing = {f.name for f in struct_type.fields if f.required} - set(values)
        if missing:
            raise Unmapped(f"{where}: no SBE field for {sorted(missing)}")
        return f"{cls}({', '.join(f'{k}={v}' for k, v in values.items())})"

    def fixed_args(
        self, fields: tuple[Any, ...], raws: list[str], by_json: dict[str, Any], where: str, scope: _Scope
    ) -> tuple[dict[str, str], dict[str, list[tuple[Any, str]]]]:
        """The constructor arguments (Python name -> expression) from a block's fixed fields,
        and the members of nested objects (`a.b` paths) by object."""
        values: dict[str, str] = {}
        nested: dict[str, list[tuple[Any, str]]] = {}
        for f, raw in zip(fields, raws, strict=True):
            path = f[1]
            if "." in path:
                head, _, rest = path.partition(".")
                nested.setdefault(head, []).append(((*f[:1], rest, *f[2:]), raw))
                continue
            if path in ("..", "[]"):
                raise Unmapped(f"{where}.{f[0]}: path {path} in an object")
            target_field = by_json.get(path)
            if target_field is None or (f[2] == "constant" and target_field.name not in by_json):
                continue  # the JSON decoder ignores it too (an exponent, a tag)
            tkind, _ = _kind(target_field.type)
            values[target_field.name] = self.value(f, raw, tkind, _literal_default(target_field), scope)
        return values, nested

    def nested_value(
        self, head: str, members: list[tuple[Any, str]], by_json: dict[str, Any], where: str, scope: _Scope
    ) -> tuple[str, str] | None:
        """(Python name, expression) of the nested object `head` from its members, or None if no field holds it."""
        target_field = by_json.get(head)
        if target_field is None:
            return None
        tkind, inner_type = _kind(target_field.type)
        if tkind != "struct" or inner_type.array_like:
            raise Unmapped(f"{where}.{head}: nested fields as {tkind}")
        inner_by_json = {f.encode_name: f for f in inner_type.fields}
        args: dict[str, str] = {}
        for f, raw in members:
            member = inner_by_json.get(f[1])
            if member is None:
                continue
            if f[0] == "string-data":
                args[member.name] = raw
                continue
            args[member.name] = self.value(f, raw, _kind(member.type)[0], _literal_default(member), scope)
        if {f.name for f in inner_type.fields if f.required} - set(args):
            raise Unmapped(f"{where}.{head}: a required member has no SBE field")
        call = f"{self.out.cls(inner_type)}({', '.join(f'{k}={v}' for k, v in args.items())})"
        return target_field.name, call

    def entry(self, block: tuple[Any, ...], raws: list[str], target: Any, where: str, scope: _Scope) -> str:
        """One expression building a plain group entry (fixed fields only) as `target`."""
        kind, detail = _kind(target)
        _, fields, _, _ = block
        if kind == "union":
            structs = [m for m in detail if isinstance(m, msgspec.inspect.StructType)]
            if len(structs) != 1:
                raise Unmapped(f"{where}: a union of {len(detail)}")
            kind, detail = "struct", structs[0]
        if kind != "struct":
            raise Unmapped(f"{where}: an entry as {kind or 'an unbuildable type'}")
        cls = self.out.cls(detail)
        if detail.array_like:
            return self.row(block, raws, detail, cls, where, scope)
        by_json = {f.encode_name: f for f in detail.fields}
        values, nested = self.fixed_args(fields, raws, by_json, where, scope)
        for head, members in nested.items():
            found = self.nested_value(head, members, by_json, where, scope)
            if found is not None:
                values[found[0]] = found[1]
        missing = {f.name for f in detail.fields if f.required} - set(values)
        if missing:
            raise Unmapped(f"{where}: no SBE field for {sorted(missing)}")
        return f"{cls}({', '.join(f'{k}={v}' for k, v in values.items())})"

    def row(
        self, block: tuple[Any, ...], raws: list[str], struct_type: Any, cls: str, where: str, scope: _Scope
    ) -> str:
        _, fields, groups, data = block
        if groups or data:
            raise Unmapped(f"{where}: a row with groups or data")
        positions = [(f, raw) for f, raw in zip(fields, raws, strict=True) if f[1] == "[]"]
        tail = ROW_TAILS.get(self.message, ()) if len(positions) < len(struct_type.fields) else ()
        if len(positions) + len(tail) != len(struct_type.fields):
            raise Unmapped(f"{where}: {len(positions)} positions for {len(struct_type.fields)} fields")
        args = [
            self.value(f, raw, _kind(member.type)[0], _literal_default(member), scope)
            for (f, raw), member in zip(positions, struct_type.fields, strict=False)
        ]
        return f"{cls}({', '.join([*args, *tail])})"

    # -- groups and var data --------------------------------------------------------------

    def group(self, g: tuple[Any, ...], item_type: Any, where: str, indent: int, scope: _Scope) -> str:
        """Statements reading the group at `pos`; returns the list's variable."""
        fn = self.fn
        _name, _json, _since, _omit, length_primitive, count_primitive, block = g
        dimension = self.out.constant(
            "_D", f"struct.Struct('<{_FORMATS[length_primitive]}{_FORMATS[count_primitive]}')"
        )
        length, count, items = fn.var("n"), fn.var("c"), fn.var("g")
        fn.add(indent, f"{length}, {count} = {dimension}.unpack_from(buf, pos)")
        fn.add(indent, f"pos += {dimension}.size")
        _, fields, groups, data = block
        found = self.layout(block)
        if not groups and not data and found is not None and all(f[2] != "exponent" for f in fields):
            # Plain entries: one unpack each, in a comprehension.
            _placed, packed, old, condition = found
            stop = fn.var("e")
            fn.add(indent, f"{stop} = pos + {length} * {count}")
            fn.add(indent, f"if {stop} > end:")
            fn.add(indent + 1, f"raise _truncated({where!r}, {count})")
            target, raws = self.names(fields)
            expr = self.entry(block, raws, item_type, where, scope)
            fn.add(indent, f"if {condition.format(length=length)}:")
            fn.add(indent + 1, f"{items} = [{expr} for {target} in _rows({packed}, buf, pos, {length}, {count})]")
            fn.add(indent, "else:  # older or shorter entries: only what they hold")
            fn.add(
                indent + 1,
                f"{items} = [{expr} for {target} in _older_rows(buf, pos, {length}, {count}, version, {old})]",
            )
            fn.add(indent, f"pos = {stop}")
            return items
        fn.add(indent, f"{items}: list[Any] = []")
        fn.add(indent, f"for _ in range({count}):")
        fn.add(indent + 1, f"if pos + {length} > end:")
        fn.add(indent + 2, f"raise _truncated({where!r}, {count})")
        entry = fn.var("a")
        fn.add(indent + 1, f"{entry} = pos")
        expr = self.build(block, item_type, where, indent + 1, scope, entry, length)
        fn.add(indent + 1, f"{items}.append({expr})")
        return items

    def skip_group(self, g: tuple[Any, ...], where: str, indent: int) -> None:
        """Statements passing over the group at `pos` (entries, their groups and var data)."""
        fn = self.fn
        _name, _json, since, _omit, length_primitive, count_primitive, block = g
        if since > 0:
            fn.add(indent, f"if version >= {since}:")
            indent += 1
        dimension = self.out.constant(
            "_D", f"struct.Struct('<{_FORMATS[length_primitive]}{_FORMATS[count_primitive]}')"
        )
        length, count = fn.var("n"), fn.var("c")
        fn.add(indent, f"{length}, {count} = {dimension}.unpack_from(buf, pos)")
        fn.add(indent, f"pos += {dimension}.size")
        _, _, groups, data = block
        if not groups and not data:
            fn.add(indent, f"pos += {length} * {count}")
            fn.add(indent, "if pos > end:")
            fn.add(indent + 1, f"raise _truncated({where!r}, {count})")
            return
        fn.add(indent, f"for _ in range({count}):")
        fn.add(indent + 1, f"pos += {length}")
        for inner in groups:
            self.skip_group(inner, f"{where}.{inner[0]}", indent + 1)
        for d in data:
            if d[2] != "string" and d[2] != "message":
                raise Unmapped(f"{where}.{d[0]}: var data of kind {d[2]}")
            self.string(d, where, indent + 1, skip=True)
        fn.add(indent + 1, "if pos > end:")
        fn.add(indent + 2, f"raise _truncated({where!r}, {count})")

    def string(self, d: tuple[Any, ...], where: str, indent: int, *, skip: bool = False) -> str:
        fn = self.fn
        primitive, since = d[3], d[5]
        if since > 0:
            raise Unmapped(f"{where}.{d[0]}: var data since version {since}")
        size = fn.var("z")
        prefix = {"uint8": 1, "uint16": 2, "uint32": 4}[primitive]
        fn.add(indent, f"{size} = buf[pos]" if prefix == 1 else f"({size},) = _U{prefix * 8}.unpack_from(buf, pos)")
        fn.add(indent, f"pos += {prefix + 0}")
        text = fn.var("t")
        fn.add(indent, f"if pos + {size} > end:")
        fn.add(indent + 1, f"raise _truncated({f'{where}.{d[0]}'!r}, {size})")
        if not skip:
            fn.add(indent, f"{text} = str(buf[pos : pos + {size}], 'utf-8')")
        fn.add(indent, f"pos += {size}")
        return text


def _function(
    out: _Out, tables: dict[str, Any], template: int, target: Any, name: str, *, event: bool = False
) -> str | None:
    message_name, _since, block = tables["messages"][template]
    writer = _Message(out, tables, message_name)
    fn = writer.fn
    try:
        if event:
            # The event's `subscriptionId` goes to the frame, not into the event.
            _, fields, _, _ = block
            expr = writer.build(block, target, message_name, 1, _Scope({}), "pos", "block_length")
            subscription = next((i for i, f in enumerate(fields) if f[1] == "subscriptionId"), None)
            if subscription is None:
                result = f"{expr}, None"
            else:
                sub_field = fields[subscription]
                assert writer.top_raws is not None
                raw_var = writer.top_raws[subscription]
                optional = sub_field[6]
                sub = f"(None if {raw_var} == {_NULLS[sub_field[4]]} else {raw_var})" if optional else raw_var
                result = f"{expr}, {sub}"
        else:
            result = writer.build(block, target, message_name, 1, _Scope({}), "pos", "block_length")
    except Unmapped:
        return None
    head = f"def {name}(buf: bytes | memoryview, pos: int, block_length: int, version: int, end: int) -> Any:"
    emit_function(out, [head], f"{message_name} -> {_describe(target)}.", message_name, fn.lines, result)
    return name


def emit_function(out: _Out, head: list[str], doc: str, message_name: str, body: list[str], result: str) -> None:
    """One decoder function into `out`: its `def` lines, docstring, the block-length check, the
    body (scales and values nothing reads dropped) and `return result`."""
    body = _unused_as_underscore(_without_unread_scales(body, result), result)
    lines = [
        *head,
        f'    """{doc}"""',
        "    if pos + block_length > end:",
        f"        raise _truncated({message_name!r}, block_length)",
        *body,
        f"    return {result}",
    ]
    out.functions.append("\n".join(lines))


def _without_unread_scales(lines: list[str], result: str) -> list[str]:
    """Drop `xN = _SCALE[...]` lines whose scale nothing reads (money kept as text reads the exponent)."""
    text = "\n".join(lines) + "\n" + result
    kept: list[str] = []
    for line in lines:
        found = re.fullmatch(r"\s*(x\d+) = _SCALE\[.*\]", line)
        if found is None or len(re.findall(rf"\b{found.group(1)}\b", text)) > 1:
            kept.append(line)
    return kept


def _unused_as_underscore(lines: list[str], result: str) -> list[str]:
    """Unpacked values nothing reads become `_` (each is named twice: the current and the older unpack)."""
    text = "\n".join(lines)
    counts: dict[str, int] = {}
    for name in re.findall(r"\bv\d+\b", text + "\n" + result):
        counts[name] = counts.get(name, 0) + 1
    unused = {name for name, count in counts.items() if count == 2}
    if not unused:
        return lines
    return re.sub(r"\bv\d+\b", lambda m: "_" if m.group(0) in unused else m.group(0), text).split("\n")


def _describe(target: Any) -> str:
    t = _strip(target)
    if isinstance(t, msgspec.inspect.StructType):
        return t.cls.__name__
    if isinstance(t, msgspec.inspect.ListType):
        return f"list[{_describe(t.item_type)}]"
    if isinstance(t, msgspec.inspect.UnionType):
        return " | ".join(_describe(m) for m in t.types)
    return type(t).__name__


def _event_members(types_module: pytypes.ModuleType, event_type: str) -> dict[str, Any]:
    union = _type_info(types_module, f"types.{event_type}")
    members = _strip(union)
    out: dict[str, Any] = {}
    for member in members.types if isinstance(members, msgspec.inspect.UnionType) else (members,):
        member = _strip(member)
        if isinstance(member, msgspec.inspect.StructType) and isinstance(member.tag, str):
            out[member.tag] = member
    return out


def _snake(text: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def render(tables: dict[str, Any], api: Api, package_files: dict[str, str], header: str, source: str) -> str:
    with probed(package_files, api.package) as types_module:
        return _render(tables, api, types_module, header, source)


def _render(tables: dict[str, Any], api: Api, types_module: pytypes.ModuleType, header: str, source: str) -> str:
    out = _Out()
    results: dict[str, dict[int, str]] = {}
    not_direct: dict[str, list[int]] = {}
    made: dict[tuple[int, str], str | None] = {}  # (template, result type) -> its decoder
    by_wire = {m.wire: m for m in api.methods}
    for wire, found in tables["methods"].items():
        method = by_wire.get(wire)
        if method is None:
            continue
        for template, _params in found:
            message_name = tables["messages"][template][0]
            if message_name in SHAPED or wire in LIST_OF_ONE:
                not_direct.setdefault(wire, []).append(template)
                continue
            target = _type_info(types_module, method.result_type)
            key = (template, _describe(target))  # klines and uiKlines: one decoder
            if key not in made:
                name = f"_r{template}_{_snake(method.result_type.removeprefix('types.'))}"
                made[key] = _function(out, tables, template, target, name)
            if made[key] is None:
                not_direct.setdefault(wire, []).append(template)
            else:
                results.setdefault(wire, {})[template] = made[key]  # type: ignore[assignment]
    events: dict[int, str] = {}
    if api.event_type is not None:
        members = _event_members(types_module, api.event_type)
        for template, event_name in tables["events"].items():
            member = members.get(event_name)
            if member is None:
                continue
            name = f"_e{template}_{_snake(event_name)}"
            if _function(out, tables, template, member, name, event=True) is not None:
                events[template] = name
    return ENV.get_template("sbe_decode.py.jinja").render(
        header=header,
        source=source,
        schema_id=tables["schema_id"],
        schema_version=tables["schema_version"],
        constants=out.constants,
        classes=dict(sorted(out.classes.items())),
        functions=out.functions,
        results={wire: results[wire] for wire in sorted(results)},
        result_types={wire: by_wire[wire].result_type for wire in sorted(results)},
        events=dict(sorted(events.items())),
        not_direct={wire: tuple(t) for wire, t in sorted(not_direct.items())},
    )


def files(spec_dir: Any, api: Api, package_files: dict[str, str], header: str) -> dict[str, str]:
    """`{"_sbe_decode.py": source}` beside `_sbe.py` (nothing without SBE layouts)."""
    path = spec_dir / sbe.DEFAULT_LAYOUT
    if not path.exists():
        return {}
    tables = sbe.compile_layout(path)
    return {"_sbe_decode.py": render(tables, api, package_files, header, f"spec/sbe/{path.name}")}
