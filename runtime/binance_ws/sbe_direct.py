"""What the generated straight-line SBE decoders (`<package>/_sbe_decode.py`) call.

Kept small: the decoders unpack each block with one precompiled `struct.Struct` and build
the result Structs inline; these are the few shared pieces (the scales of exponents, the
older-block reader, the conditions that send a message back to the table-driven path).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from decimal import Context, Decimal
from typing import Any

import msgspec

from .sbe import Fallback, SbeError, decimal_text

__all__ = [
    "ABSENT",
    "BOOL",
    "SCALE",
    "U16",
    "U32",
    "UNSET",
    "Decimal",
    "Fallback",
    "bits",
    "missing",
    "mul",
    "older",
    "older_rows",
    "rows",
    "text",
    "truncated",
]

UNSET = msgspec.UNSET
U16 = struct.Struct("<H")
U32 = struct.Struct("<I")
#: SBE booleans: any other value is NonRepresentable (a KeyError sends it to the table path).
BOOL = {0: False, 1: True}
#: `mantissa * SCALE[exponent]` is the value with the JSON text's digits (`1E-8` keeps 8 places).
SCALE: dict[int, Any] = {e: (10**e if e >= 0 else Decimal(f"1E{e}")) for e in range(-128, 128)}
#: Exact for every int64 and int128 mantissa (39 digits): never rounds, whatever the caller's context.
mul = Context(prec=60).multiply
text = decimal_text


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


#: A field an older version's block does not hold.
ABSENT: Any = _Absent()


def missing() -> Any:
    """A required value is absent (null, or from an older version): the table path decides."""
    raise Fallback()


def truncated(where: str, size: int) -> SbeError:
    return SbeError(f"truncated SBE {where}: {size} past the end")


def bits(choices: tuple[tuple[int, str | None], ...], value: int) -> list[str]:
    out: list[str] = []
    for bit, name in choices:
        if value >> bit & 1:
            if name is None:
                raise Fallback()  # NonRepresentable: the table path names the field
            out.append(name)
    return out


def older(
    buf: bytes | memoryview, pos: int, length: int, version: int, spec: tuple[tuple[str, int, int, int], ...]
) -> tuple[Any, ...]:
    """A block shorter than this schema's (or of an older version): each field it holds, ABSENT for the rest.

    `spec` is (format, offset, end, sinceVersion) per field. A field of version 0 that is not
    there is a malformed block: the table path reports it.
    """
    out: list[Any] = []
    for fmt, offset, end, since in spec:
        if since > version or end > length:
            if since == 0:
                raise Fallback()
            out += [ABSENT] * (len(fmt) - 1)  # a 128-bit mantissa (`<Qq`) is two values
        else:
            out += struct.unpack_from(fmt, buf, pos + offset)
    return tuple(out)


def rows(
    packed: struct.Struct, buf: bytes | memoryview, pos: int, length: int, count: int
) -> Iterable[tuple[Any, ...]]:
    """The unpacked entries of a group of `count` entries, `length` bytes each, from `pos`."""
    if count == 1:  # (one trade of a stream message, one fill): no view, no iterator
        return (packed.unpack_from(buf, pos),)
    if length == packed.size:
        return packed.iter_unpack(memoryview(buf)[pos : pos + length * count])
    unpack = packed.unpack_from
    return (unpack(buf, at) for at in range(pos, pos + length * count, length))


def older_rows(
    buf: bytes | memoryview,
    pos: int,
    length: int,
    count: int,
    version: int,
    spec: tuple[tuple[str, int, int, int], ...],
) -> Iterator[tuple[Any, ...]]:
    for at in range(pos, pos + length * count, length):
        yield older(buf, at, length, version, spec)
