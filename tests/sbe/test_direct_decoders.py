"""The generated straight-line SBE decoders (`_sbe_decode.py`) against the table-driven path.

Both read the same bytes; the direct decoders build the result Structs themselves, the table
path builds JSON-shaped values that the JSON decoder then types. Every answer of every
method scenario (over a real socket, from the local exchange) must come out the same both
ways, and the direct decoders must take schema evolution and NonRepresentable values as the
table path does (hand-built frames of `test_decoder`).
"""

from __future__ import annotations

import struct
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from binance_spot_ws import (
    METHODS,
    AsyncClient,
    Ed25519Key,
    NonRepresentable,
    SbeError,
    _methods,
    _sbe,
    _sbe_decode,
    types,
)
from binance_ws import sbe
from binance_ws.wire import DecodedFrame, Frame
from binance_ws_emulator import Emulator, sbe_encode
from tests.client.test_every_method import EMULATOR_GAPS, SCENARIOS, Ctx
from tests.sbe.test_decoder import depth, envelope, header, order_result

DIRECT = sbe.Decoder(_sbe, _sbe_decode)
TABLES = sbe.Decoder(_sbe)


def _table_value(data: bytes, method: Any) -> Any:
    frame, _, problem = TABLES.frame(data, 0, lambda _id: method)
    assert problem is None
    return method.decoder.decode(frame.result)


@pytest.mark.parametrize("wire", [w for w in sorted(_sbe_decode.RESULTS) if w in METHODS and w not in EMULATOR_GAPS])
async def test_every_direct_answer_equals_the_table_path(
    wire: str, emulator: Emulator, ed25519_key: Ed25519Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each method's scenario in SBE; every frame the direct decoders build is checked against the table path."""
    direct_frames: list[str] = []
    original = sbe.Decoder.frame

    def checked(self: sbe.Decoder, data: bytes, now_ms: int = 0, method_of: Any = None) -> Any:
        frame, deprecated, problem = original(self, data, now_ms, method_of)
        if type(frame) is DecodedFrame and frame.status:
            method = method_of(frame.id)
            assert frame.value == _table_value(data, method), method.wire
            direct_frames.append(method.wire)
        return frame, deprecated, problem

    monkeypatch.setattr(sbe.Decoder, "frame", checked)
    async with AsyncClient(url=emulator.url, key=ed25519_key, timeout=5, response_format="sbe") as client:
        await SCENARIOS[wire](Ctx(client, emulator, ed25519_key))
    assert wire in direct_frames  # its answer was decoded by a generated decoder, not the table path


def _decode(data: bytes, method: Any) -> tuple[Frame, BaseException | None]:
    frame, _, problem = DIRECT.frame(envelope(data), 0, lambda _id: method)
    return frame, problem


def test_direct_depth_is_the_typed_result() -> None:
    frame, problem = _decode(depth(), _methods.DEPTH)
    assert problem is None and type(frame) is DecodedFrame
    book = frame.value
    assert book == _table_value(envelope(depth()), _methods.DEPTH)
    assert book.last_update_id == 1027024
    assert [(b.price, b.qty) for b in book.bids] == [(Decimal("4.00000000"), Decimal("431")), (Decimal("3.99"), 1)]
    assert str(book.bids[0].price) == "4.00000000"  # the JSON text's digits
    assert [(a.price, a.qty) for a in book.asks] == [(Decimal("4.000001"), Decimal("12"))]


def test_direct_depth_of_a_newer_version_skips_what_it_does_not_know() -> None:
    newer = depth(extra_block=struct.pack("<q", 99), extra_entry=struct.pack("<i", -5), version=6)
    trailing = depth(version=6) + struct.pack("<B", 3) + b"new"
    expected, _ = _decode(depth(), _methods.DEPTH)
    for data in (newer, trailing):
        frame, problem = _decode(data, _methods.DEPTH)
        assert problem is None and type(frame) is DecodedFrame
        assert frame.value == expected.value  # type: ignore[attr-defined]


def test_direct_order_of_an_older_version_lacks_the_later_fields() -> None:
    current, _ = _decode(order_result(5), _methods.ORDER_PLACE)
    older, problem = _decode(order_result(2), _methods.ORDER_PLACE)
    assert problem is None and type(older) is DecodedFrame and type(current) is DecodedFrame
    assert current.value.expiry_reason == "REJECTED"
    assert older.value.expiry_reason is msgspec.UNSET
    assert older.value == _table_value(envelope(order_result(2)), _methods.ORDER_PLACE)
    assert older.value.order_id == 28 and older.value.price == Decimal("0.1")


def test_a_non_representable_value_is_the_typed_problem_on_the_direct_path() -> None:
    message = bytearray(order_result(5))
    _, fields, _, _ = _sbe.MESSAGES[301][2]
    status = next(f for f in fields if f[0] == "status")
    message[8 + status[3]] = 254  # orderStatus NonRepresentable
    frame, problem = _decode(bytes(message), _methods.ORDER_PLACE)
    assert isinstance(problem, NonRepresentable)
    assert (problem.message, problem.field) == ("NewOrderResultResponse", "status")
    assert frame.id == 7


def test_a_non_representable_message_and_a_cut_one_are_sbe_errors_on_the_direct_path() -> None:
    _, problem = _decode(header(0, 999), _methods.DEPTH)
    assert isinstance(problem, NonRepresentable) and problem.message == "NonRepresentableMessage"
    cut = depth()[:-5]
    _, problem = _decode(cut, _methods.DEPTH)
    assert isinstance(problem, SbeError) and "truncated" in str(problem)


def test_direct_events_equal_the_table_path() -> None:
    report = {
        "e": "executionReport",
        "E": 1499405658658,
        "s": "ETHBTC",
        "c": "mUvoqJxFIILMdfAW5iGSOW",
        "S": "BUY",
        "o": "LIMIT",
        "f": "GTC",
        "q": "1.00000000",
        "p": "0.10264410",
        "P": "0.00000000",
        "F": "0.00000000",
        "g": -1,
        "C": "",
        "x": "NEW",
        "X": "NEW",
        "r": "NONE",
        "i": 4293153,
        "l": "0.00000000",
        "z": "0.00000000",
        "L": "0.00000000",
        "n": "0",
        "N": None,
        "T": 1499405658657,
        "t": -1,
        "I": 8641984,
        "w": True,
        "m": False,
        "M": False,
        "O": 1499405658657,
        "Z": "0.00000000",
        "Y": "0.00000000",
        "Q": "0.00000000",
        "W": 1499405658657,
        "V": "NONE",
    }
    data = sbe_encode.event({"subscriptionId": 3, "event": report})
    assert data is not None
    frame, _, _ = DIRECT.frame(data)
    assert type(frame) is DecodedFrame and frame.subscriptionId == 3
    table, _, _ = TABLES.frame(data)
    assert frame.value == msgspec.json.decode(table.event, type=types.UserDataEvent)
    assert frame.value.price == Decimal("0.10264410") and frame.value.order_id == 4293153


@pytest.mark.parametrize("volume", ["12.50000000", "0.00000000", "184467440737.09551616", "99999999999999999999999.25"])
def test_direct_klines_read_128_bit_volumes_exactly(volume: str) -> None:
    """Volumes are int128 mantissas, unpacked as two 64-bit halves: below, at and far above 2**64."""
    row = [1_700_000_000_000, "1.5", "2.5", "0.5", "1.25", volume, 1_700_000_059_999, volume, 7, volume, volume, "0"]
    message = sbe_encode.message([row, row], [203])
    frame, problem = _decode(message, _methods.KLINES)
    assert problem is None and type(frame) is DecodedFrame
    assert frame.value == _table_value(envelope(message), _methods.KLINES)
    assert [k.volume for k in frame.value] == [Decimal(volume)] * 2
    assert str(frame.value[0].quote_volume) == str(Decimal(volume))


async def test_the_clients_own_time_call_is_decoded_into_its_own_type(emulator: Emulator) -> None:
    """The runtime measures the clock with its own `time` method (another result type than
    `types.ServerTime`): the generated decoder, made for `types.ServerTime`, is not used for it."""
    async with AsyncClient(url=emulator.url, timeout=5, response_format="sbe") as client:
        offset = await client.sync_clock()
        assert isinstance(offset, int) and abs(offset) < 60_000
        assert isinstance(await client.time(), types.ServerTime)


def test_a_method_of_another_result_type_takes_the_table_path() -> None:
    from binance_ws.method import Method

    class Book(msgspec.Struct):
        lastUpdateId: int

    other: Method[None, Book] = Method("depth", None, Book)
    frame, problem = _decode(depth(), other)
    assert problem is None and type(frame) is Frame
    assert other.decoder.decode(frame.result) == Book(1027024)
