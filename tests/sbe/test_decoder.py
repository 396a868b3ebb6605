"""The SBE decoder on frames built here byte by byte (not by the exchange's encoder).

The layouts come from spec/sbe/spot-3-5.sbe.yaml; the bytes below are packed by hand from
the schema's field order, so a misreading shared by the decoder and the exchange's encoder
would still fail here. Schema evolution follows the SBE standard: a newer version's longer
blocks and group entries are skipped by their wire lengths, an older version's missing
fields are absent.
"""

from __future__ import annotations

import struct
from decimal import Decimal

import msgspec
import pytest

from binance_spot_ws import NonRepresentable, SbeError, _sbe, types
from binance_ws.sbe import Decoder, decimal_text, sbe_url
from binance_ws_emulator import sbe_encode

DECODER = Decoder(_sbe)


def header(block_length: int, template: int, version: int = 5) -> bytes:
    return struct.pack("<HHHH", block_length, template, 3, version)


def envelope(
    result: bytes, *, status: int = 200, request_id: str = "7", deprecated: bool = False, limits: bytes = b""
) -> bytes:
    count = len(limits) // 19
    rate_limits = struct.pack("<HH", 19, count) + limits
    block = struct.pack("<BH", 1 if deprecated else 0, status)
    ident = struct.pack("<B", len(request_id)) + request_id.encode()
    return header(3, 50) + block + rate_limits + ident + struct.pack("<I", len(result)) + result


def depth(*, extra_block: bytes = b"", extra_entry: bytes = b"", version: int = 5) -> bytes:
    """DepthResponse: lastUpdateId, priceExponent, qtyExponent; bids, asks of (price, qty)."""
    block = struct.pack("<qbb", 1027024, -8, -8) + extra_block
    entry = 16 + len(extra_entry)
    bids = struct.pack("<HI", entry, 2) + struct.pack("<qq", 400000000, 43100000000) + extra_entry
    bids += struct.pack("<qq", 399000000, 100000000) + extra_entry
    asks = struct.pack("<HI", entry, 1) + struct.pack("<qq", 400000100, 1200000000) + extra_entry
    return header(len(block), 200, version) + block + bids + asks


def decode(frame: bytes) -> msgspec.Raw:
    decoded, deprecated, problem = DECODER.frame(frame)
    assert problem is None
    assert not deprecated
    return decoded.result


EXPECTED_DEPTH = {
    "lastUpdateId": 1027024,
    "bids": [["4.00000000", "431.00000000"], ["3.99000000", "1.00000000"]],
    "asks": [["4.00000100", "12.00000000"]],
}


def test_hand_built_depth_decodes_to_the_json_shape_and_the_typed_result() -> None:
    raw = decode(envelope(depth()))
    assert msgspec.json.decode(raw) == EXPECTED_DEPTH
    book = msgspec.json.decode(raw, type=types.Depth)
    assert book.bids[0].price == Decimal("4") and book.asks[0].qty == Decimal("12")


def test_envelope_carries_id_status_and_rate_limits() -> None:
    limit = struct.pack("<BBBqq", 2, 1, 1, 6000, 25)  # REQUEST_WEIGHT, MINUTE, 1, limit, count
    frame, deprecated, problem = DECODER.frame(envelope(depth(), request_id="42", limits=limit, deprecated=True))
    assert problem is None and deprecated is True
    assert frame.id == 42 and frame.status == 200
    assert frame.rateLimits is not None
    (entry,) = frame.rateLimits
    assert (entry.rateLimitType, entry.interval, entry.intervalNum, entry.limit, entry.count) == (
        "REQUEST_WEIGHT",
        "MINUTE",
        1,
        6000,
        25,
    )


def test_newer_version_with_a_longer_block_and_longer_group_entries_decodes() -> None:
    """Schema 3:6 (say) appended a field to the message and a member to each level."""
    newer = depth(extra_block=struct.pack("<q", 99), extra_entry=struct.pack("<i", -5), version=6)
    assert msgspec.json.decode(decode(envelope(newer))) == EXPECTED_DEPTH


def test_newer_version_with_an_extra_trailing_var_data_is_ignored() -> None:
    trailing = depth(version=6) + struct.pack("<B", 3) + b"new"
    assert msgspec.json.decode(decode(envelope(trailing))) == EXPECTED_DEPTH


def order_result(version: int) -> bytes:
    """NewOrderResultResponse as a version-`version` server sends it: fields since a later
    version are not on the wire (the block ends before them)."""
    answer = {
        "symbol": "BTCUSDT",
        "orderId": 28,
        "orderListId": -1,
        "clientOrderId": "abc",
        "transactTime": 1507725176595,
        "price": "0.10000000",
        "origQty": "10.00000000",
        "executedQty": "0.00000000",
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "SELL",
        "workingTime": 1507725176595,
        "selfTradePreventionMode": "NONE",
        "expiryReason": "REJECTED",
    }
    full = sbe_encode.message(answer, [301])
    _, fields, _, _ = _sbe.MESSAGES[301][2]
    cut = min((f[3] for f in fields if f[7] > version), default=None)
    block_length = struct.unpack_from("<H", full)[0]
    if cut is None:
        return full
    body = full[8 : 8 + cut] + full[8 + block_length :]
    return header(cut, 301, version) + body


def test_older_version_lacks_the_fields_added_later() -> None:
    current = msgspec.json.decode(decode(envelope(order_result(5))))
    older = msgspec.json.decode(decode(envelope(order_result(2))))
    assert current["expiryReason"] == "REJECTED"
    assert "expiryReason" not in older  # sinceVersion 3: absent from a 3:2 message
    assert {k: v for k, v in current.items() if k != "expiryReason"} == older
    typed = msgspec.json.decode(msgspec.json.encode(older), type=types.OrderResponse)
    assert typed.order_id == 28 and typed.price == Decimal("0.1")


def test_non_representable_enum_value_is_a_typed_problem() -> None:
    message = bytearray(order_result(5))
    _, fields, _, _ = _sbe.MESSAGES[301][2]
    status = next(f for f in fields if f[0] == "status")
    message[8 + status[3]] = 254  # orderStatus NonRepresentable
    frame, _, problem = DECODER.frame(envelope(bytes(message), request_id="9"))
    assert isinstance(problem, NonRepresentable)
    assert (problem.message, problem.field) == ("NewOrderResultResponse", "status")
    assert frame.id == 9  # the request it answers is still known


def test_non_representable_message_is_a_typed_problem() -> None:
    _, _, problem = DECODER.frame(envelope(header(0, 999)))
    assert isinstance(problem, NonRepresentable)
    assert problem.message == "NonRepresentableMessage"


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        (envelope(depth())[:-5], "truncated"),
        (envelope(header(0, 4242)), "unknown SBE template id 4242"),
        (envelope(struct.pack("<HHHH", 0, 101, 2, 0)), "schema 2, expected 3"),
    ],
)
def test_malformed_results_are_sbe_errors(frame: bytes, problem: str) -> None:
    try:
        _, _, found = DECODER.frame(frame)
    except SbeError as exc:  # the envelope itself is cut
        found = exc
    assert isinstance(found, SbeError)
    assert problem in str(found)


def test_error_response_becomes_the_error_of_the_frame() -> None:
    msg = b"Too much request weight used"
    error = header(18, 100) + struct.pack("<hqq", -1003, 1_700_000_000_000_000, 1_700_000_060_000_000)
    error += struct.pack("<H", len(msg)) + msg + struct.pack("<I", 0)
    frame, _, problem = DECODER.frame(envelope(error, status=429))
    assert problem is None and frame.status == 429
    assert frame.error is not None
    assert (frame.error.code, frame.error.msg) == (-1003, msg.decode())
    assert frame.error.data == {"serverTime": 1_700_000_000_000, "retryAfter": 1_700_000_060_000}  # us -> ms


@pytest.mark.parametrize(
    ("mantissa", "exponent", "text"),
    [(100000, -8, "0.00100000"), (-5, -2, "-0.05"), (0, -8, "0.00000000"), (12, 3, "12000"), (-123456, -3, "-123.456")],
)
def test_decimal_text(mantissa: int, exponent: int, text: str) -> None:
    assert decimal_text(mantissa, exponent) == text
    assert Decimal(text) == Decimal(mantissa).scaleb(exponent)


def test_sbe_url_replaces_any_format_the_url_had() -> None:
    assert (
        sbe_url("wss://h/ws-api/v3?returnRateLimits=false&responseFormat=json", 3, 5)
        == "wss://h/ws-api/v3?returnRateLimits=false&responseFormat=sbe&sbeSchemaId=3&sbeSchemaVersion=5"
    )
