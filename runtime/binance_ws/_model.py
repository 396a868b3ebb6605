"""The base class of every generated Struct, and lazy money for results and events."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec


class Model(msgspec.Struct, gc=False, omit_defaults=True):
    """Cycle-free (so `gc=False` is safe) and cheap to decode.

    Unknown fields are ignored on decode: the exchange adds fields over time and
    an SDK that breaks on a new field is worse than one that ignores it.
    """


#: A money annotation as the generated modules write it (`from __future__ import annotations`
#: keeps it as this text): `Decimal` or `Annotated[Decimal, Meta(...)]`, maybe `| UnsetType` / `| None`.
_MONEY = re.compile(r"(?:Annotated\[)?Decimal(?=[,\] |]|$)")


def lazy_money(*classes: type[Model]) -> None:
    """Keep the money of these result and event Structs as the wire text; read it as `Decimal`.

    msgspec builds every `Decimal` while decoding, and most are never read (a depth
    answer has hundreds). For each field annotated `Decimal` (also `Decimal | UnsetType`,
    `Decimal | None`), msgspec is told the field holds `str`, so decoding stores the
    JSON text as it came, and the attribute becomes a property that answers
    `Decimal(text)` on every read (not cached: the stored text stays what is encoded).

    What the class does then, field by field as before:

    - `obj.price` is a `Decimal` (type checkers see the `Decimal` annotation);
      assigning a `Decimal` or a text stores it as given.
    - Construction is unchanged: `PriceLevel(price=Decimal("1.5"), qty=Decimal("2"))`.
      The constructor also takes the wire text (`price="1.50000000"`), stored as it is:
      the cheapest way to build one (no `Decimal` until read), e.g. from SBE
      `binance_ws.sbe.decimal_text(mantissa, exponent)`.
    - `msgspec.json.encode` writes the stored text (the exchange's own formatting) or
      `str()` of a stored `Decimal`; decoding that again gives an equal value.
    - `==` compares the values read (`"1.00000000"` equals `"1.0"`, as Decimals do);
      `repr` shows Decimals; pickling, `copy` and `msgspec.structs.replace` keep the
      stored values. Still unhashable, like every non-frozen Struct.
    - `msgspec.structs.asdict` / `astuple` / `msgspec.to_builtins` read the stored
      values: the wire text (a `str`) for decoded money. `binance_ws.asdict` gives Decimals.
    - Decoding no longer checks the text: one that is no number raises
      `msgspec.ValidationError` (naming the class and field) when it is read.
    - Runtime introspection (`typing.get_type_hints`, `msgspec.structs.fields`) reports
      `str` for these fields: what is stored. The stored value is also `obj._<field>`.

    Raises:
        TypeError: a class has no money field (the generator lists only those that do).
    """
    for cls in classes:
        # The class's own dict, changed in place (inspect.get_annotations answers a copy).
        annotations: dict[str, Any] = cls.__dict__["__annotations__"]  # noqa: RUF063
        money = [
            name
            for name in cls.__struct_fields__
            if isinstance(annotations.get(name), str) and _MONEY.match(annotations[name])
        ]
        if not money:
            raise TypeError(f"{cls.__name__} has no Decimal field")
        for name in money:
            # msgspec reads the field types on first use (no decoder exists yet); it
            # reaches the values by offset, so the property below does not hide them.
            text = annotations[name]
            required = text == "Decimal" or (text.startswith("Annotated[Decimal,") and text.endswith(")]"))
            annotations[name] = _MONEY.sub(lambda m: m.group(0).replace("Decimal", "str"), annotations[name], 1)
            setattr(cls, name, _money_property(cls, name, optional=not required))
        # Over the values read (msgspec's own compare and print the stored ones).
        for attribute, value in (
            ("__money_fields__", tuple(money)),
            ("__eq__", _eq),
            ("__ne__", _ne),
            ("__repr__", _repr),
            ("__rich_repr__", _rich_repr),
        ):
            setattr(cls, attribute, value)


def _money_property(cls: type[Model], name: str, *, optional: bool) -> property:
    """A property over the field's slot, which stays reachable as `_<name>` (attribute
    access by a fixed name is the fastest way to it: a compiled read costs ~50 ns over
    the `Decimal()` itself, a closure over the slot descriptor twice that)."""
    raw = f"_{name}"
    if not raw.isidentifier() or raw in cls.__dict__:
        raise TypeError(f"{cls.__name__}.{raw} exists: the slot of {name} cannot be kept there")
    slot = cls.__dict__[name]
    setattr(cls, raw, slot)
    return property(_reader(raw, optional), slot.__set__)


@functools.cache
def _reader(raw: str, optional: bool) -> Callable[[Any], Any]:
    # Required money is a text (decoded) or a Decimal (constructed); optional money may
    # also be UNSET or None, returned as they are. A text that is no number (decoding
    # no longer checks it) fails the read with a ValidationError naming the field.
    read = "Decimal(v) if v.__class__ is str else v" if optional else "Decimal(v)"
    source = (
        "def read(self):\n"
        f"    v = self.{raw}\n"
        "    try:\n"
        f"        return {read}\n"
        "    except InvalidOperation:\n"
        f"        raise _not_a_number(self, {raw[1:]!r}, v) from None\n"
    )
    namespace: dict[str, Any] = {
        "Decimal": Decimal,
        "InvalidOperation": InvalidOperation,
        "_not_a_number": _not_a_number,
    }
    exec(source, namespace)  # `raw` is a checked identifier
    reader: Callable[[Any], Any] = namespace["read"]
    return reader


def _not_a_number(obj: Any, name: str, value: Any) -> msgspec.ValidationError:
    return msgspec.ValidationError(f"{type(obj).__name__}.{name} is not a decimal number: {value!r}")


def _values(self: Model) -> Iterator[tuple[str, Any]]:
    for name in self.__struct_fields__:
        yield name, getattr(self, name)


def _eq(self: Model, other: object) -> bool:
    if type(other) is not type(self):
        return NotImplemented  # type: ignore[no-any-return]  # (mypy knows NotImplemented only in dunders)
    return all(value == getattr(other, name) for name, value in _values(self))


def _ne(self: Model, other: object) -> bool:
    if type(other) is not type(self):
        return NotImplemented  # type: ignore[no-any-return]
    return not _eq(self, other)


def _repr(self: Model) -> str:
    return f"{type(self).__name__}({', '.join(f'{name}={value!r}' for name, value in _values(self))})"


def _rich_repr(self: Model) -> list[tuple[str, Any]]:
    return list(_values(self))


def asdict(value: msgspec.Struct) -> dict[str, Any]:
    """The fields of a Struct as a dict (not recursive), money as `Decimal`.

    `msgspec.structs.asdict` gives the stored wire text for lazy money fields.
    """
    return {name: getattr(value, name) for name in value.__struct_fields__}
