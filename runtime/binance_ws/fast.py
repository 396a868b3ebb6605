"""The numeric fast path for market data: columns of integer mantissas, no object per level.

`client.depth_columns(...)`, `client.klines_columns(...)` and `client.trades_columns(...)`
answer with `Column`s instead of lists of Structs: each column is a strided view of
fixed-width integers (int64 mantissas with one exponent, or microsecond timestamps).
With SBE the views point into the received result message (nothing is copied or built
per level); with JSON the texts are parsed once into an `array('q')`. A value becomes a
`Decimal` only when it is read (`column[i]`), and `column.to_numpy()` is a zero-copy
`numpy` array of the mantissas.
"""

from __future__ import annotations

import importlib
import struct
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from .sbe import HEADER, Decoder, SbeError

_I64 = struct.Struct("<q")
_NUMPY_TYPES = {8: "<i8", 1: "i1"}  # as mantissa() reads them: signed


class Column:
    """`count` little-endian integers, `stride` bytes apart from `offset` in `buffer`.

    `exponent` is None for plain integers (ids, times); otherwise item `i` is
    `mantissa(i) * 10**exponent`, read as a `Decimal`.
    """

    __slots__ = ("buffer", "count", "exponent", "offset", "size", "stride")

    def __init__(self, buffer: Any, offset: int, stride: int, count: int, exponent: int | None, size: int = 8) -> None:
        self.buffer = buffer
        self.offset = offset
        self.stride = stride
        self.count = count
        self.exponent = exponent
        self.size = size  # 8 (int64) or 16 (int128 volumes)

    def __len__(self) -> int:
        return self.count

    def mantissa(self, index: int) -> int:
        if not -self.count <= index < self.count:
            raise IndexError(index)
        at = self.offset + (index % self.count) * self.stride
        if self.size == 8:
            return int(_I64.unpack_from(self.buffer, at)[0])
        return int.from_bytes(self.buffer[at : at + self.size], "little", signed=True)

    def __getitem__(self, index: int) -> Any:
        value = self.mantissa(index)
        return value if self.exponent is None else Decimal(value).scaleb(self.exponent)

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(self.count))

    def mantissas(self) -> list[int]:
        return [self.mantissa(i) for i in range(self.count)]

    def to_numpy(self) -> Any:
        """The mantissas as a numpy array viewing the same memory: int64 (int8 for the one-byte
        flags of SBE trades); a 128-bit column has none (TypeError: use `mantissas()`)."""
        np: Any = importlib.import_module("numpy")  # optional: only this method needs it

        dtype = _NUMPY_TYPES.get(self.size)
        if dtype is None:
            raise TypeError("a 128-bit column has no numpy integer view; use mantissas()")
        return np.ndarray((self.count,), dtype=dtype, buffer=self.buffer, offset=self.offset, strides=(self.stride,))

    def __repr__(self) -> str:
        return f"Column({self.count} values, exponent={self.exponent})"


@dataclass(frozen=True, slots=True)
class DepthColumns:
    last_update_id: int
    bid_prices: Column
    bid_qtys: Column
    ask_prices: Column
    ask_qtys: Column


@dataclass(frozen=True, slots=True)
class KlineColumns:
    """Times in microseconds (SBE) or milliseconds (JSON): see `time_unit_us`."""

    open_times: Column
    opens: Column
    highs: Column
    lows: Column
    closes: Column
    volumes: Column
    close_times: Column
    quote_volumes: Column
    trade_counts: Column
    time_unit_us: bool


@dataclass(frozen=True, slots=True)
class TradeColumns:
    """Times in microseconds (SBE) or milliseconds (JSON): see `time_unit_us`."""

    ids: Column
    prices: Column
    qtys: Column
    quote_qtys: Column
    times: Column
    buyer_is_maker: Column  # 0 or 1, one byte each
    time_unit_us: bool


# -- SBE: views into the frame -----------------------------------------------------------------


def _message(data: bytes | memoryview, template: int) -> tuple[memoryview, int, int]:
    buf = memoryview(data)
    block_length, found, _schema, _version = HEADER.unpack_from(buf, 0)
    if found != template:
        raise SbeError(f"expected SBE template {template}, got {found}")
    return buf, HEADER.size, block_length


def _group(buf: memoryview, pos: int, wide: bool = True) -> tuple[int, int, int]:
    """(entry length, count, first entry) of the group at `pos` (groupSizeEncoding)."""
    entry, count = struct.unpack_from("<HI" if wide else "<HH", buf, pos)
    start = pos + (6 if wide else 4)
    if start + entry * count > len(buf):
        raise SbeError("truncated SBE group")
    return entry, count, start


def depth_from_sbe(data: bytes | memoryview) -> DepthColumns:
    buf, pos, block = _message(data, 200)
    last_update_id, price_exp, qty_exp = struct.unpack_from("<qbb", buf, pos)
    pos += block
    entry, count, start = _group(buf, pos)
    bids = (Column(buf, start, entry, count, price_exp), Column(buf, start + 8, entry, count, qty_exp))
    pos = start + entry * count
    entry, count, start = _group(buf, pos)
    asks = (Column(buf, start, entry, count, price_exp), Column(buf, start + 8, entry, count, qty_exp))
    return DepthColumns(last_update_id, *bids, *asks)


def klines_from_sbe(data: bytes | memoryview) -> KlineColumns:
    buf, pos, block = _message(data, 203)
    price_exp, qty_exp = struct.unpack_from("<bb", buf, pos)
    entry, count, start = _group(buf, pos + block)

    def col(offset: int, exponent: int | None, size: int = 8) -> Column:
        return Column(buf, start + offset, entry, count, exponent, size)

    return KlineColumns(
        open_times=col(0, None),
        opens=col(8, price_exp),
        highs=col(16, price_exp),
        lows=col(24, price_exp),
        closes=col(32, price_exp),
        volumes=col(40, qty_exp, 16),
        close_times=col(56, None),
        quote_volumes=col(64, price_exp, 16),
        trade_counts=col(80, None),
        time_unit_us=True,
    )


def trades_from_sbe(data: bytes | memoryview) -> TradeColumns:
    buf, pos, block = _message(data, 201)
    price_exp, qty_exp = struct.unpack_from("<bb", buf, pos)
    entry, count, start = _group(buf, pos + block)
    return TradeColumns(
        ids=Column(buf, start, entry, count, None),
        prices=Column(buf, start + 8, entry, count, price_exp),
        qtys=Column(buf, start + 16, entry, count, qty_exp),
        quote_qtys=Column(buf, start + 24, entry, count, price_exp),
        times=Column(buf, start + 32, entry, count, None),
        buyer_is_maker=Column(buf, start + 40, entry, count, None, 1),
        time_unit_us=True,
    )


# -- JSON: parsed once into int64 arrays ----------------------------------------------------------


def _fixed(texts: list[str]) -> Column:
    """Decimal texts as int64 mantissas with the finest exponent among them."""
    places = max((len(t) - t.index(".") - 1 for t in texts if "." in t), default=0)
    values = array("q")
    for text in texts:
        whole, _, fraction = text.partition(".")
        values.append(int(whole + fraction.ljust(places, "0")) if places else int(whole))
    return Column(memoryview(values).cast("B"), 0, 8, len(values), -places)


def _ints(values: list[int]) -> Column:
    return Column(memoryview(array("q", values)).cast("B"), 0, 8, len(values), None)


class _DepthJson(msgspec.Struct):
    lastUpdateId: int
    bids: list[tuple[str, str]]
    asks: list[tuple[str, str]]


_DEPTH_JSON = msgspec.json.Decoder(_DepthJson)
_ROWS_JSON = msgspec.json.Decoder(list[tuple[Any, ...]])


class _TradeJson(msgspec.Struct):
    id: int
    price: str
    qty: str
    quoteQty: str
    time: int
    isBuyerMaker: bool


_TRADES_JSON = msgspec.json.Decoder(list[_TradeJson])


def depth_from_json(data: bytes) -> DepthColumns:
    book = _DEPTH_JSON.decode(data)
    return DepthColumns(
        book.lastUpdateId,
        _fixed([b[0] for b in book.bids]),
        _fixed([b[1] for b in book.bids]),
        _fixed([a[0] for a in book.asks]),
        _fixed([a[1] for a in book.asks]),
    )


def klines_from_json(data: bytes) -> KlineColumns:
    rows = _ROWS_JSON.decode(data)
    return KlineColumns(
        open_times=_ints([r[0] for r in rows]),
        opens=_fixed([r[1] for r in rows]),
        highs=_fixed([r[2] for r in rows]),
        lows=_fixed([r[3] for r in rows]),
        closes=_fixed([r[4] for r in rows]),
        volumes=_fixed([r[5] for r in rows]),
        close_times=_ints([r[6] for r in rows]),
        quote_volumes=_fixed([r[7] for r in rows]),
        trade_counts=_ints([r[8] for r in rows]),
        time_unit_us=False,
    )


def trades_from_json(data: bytes) -> TradeColumns:
    trades = _TRADES_JSON.decode(data)
    return TradeColumns(
        ids=_ints([t.id for t in trades]),
        prices=_fixed([t.price for t in trades]),
        qtys=_fixed([t.qty for t in trades]),
        quote_qtys=_fixed([t.quoteQty for t in trades]),
        times=_ints([t.time for t in trades]),
        buyer_is_maker=_ints([int(t.isBuyerMaker) for t in trades]),
        time_unit_us=False,
    )


class ColumnsDecoder:
    """Stands in for a method's result decoder: the frame's raw result in, columns out.

    `wants_sbe` tells the SBE frame decoder to hand over the result message itself.
    """

    wants_sbe = True

    def __init__(self, from_sbe: Any, from_json: Any, sbe: Decoder | None) -> None:
        self._from_sbe = from_sbe
        self._from_json = from_json
        self._sbe = sbe

    def decode(self, raw: Any) -> Any:
        try:
            if self._sbe is not None:
                return self._from_sbe(memoryview(raw))  # views into the result message: no copy
            return self._from_json(raw)
        except (struct.error, SbeError, ValueError, IndexError) as exc:
            raise msgspec.ValidationError(f"not the expected market data: {exc}") from None


FAST = {
    "depth": (depth_from_sbe, depth_from_json),
    "klines": (klines_from_sbe, klines_from_json),
    "uiKlines": (klines_from_sbe, klines_from_json),
    "trades.recent": (trades_from_sbe, trades_from_json),
    "trades.historical": (trades_from_sbe, trades_from_json),
}
