"""Malformed specs: each one exits 2 with file:line and a message naming the problem, and writes nothing.

Every case edits the golden mini spec in one place; `line_of` is text found on the line the error
must point at (the first line containing it, after the edit).
"""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from binance_spot_ws import types
from generator import ir, load, recursion, shape
from generator.__main__ import SPEC, main
from generator.errors import SpecError

MINI = (Path(__file__).parent / "golden" / "mini" / "spec.yaml").read_text()
DEPTH_PROPERTIES = """      properties:
        symbol: {type: string, description: Trading pair.}
        limit: {type: integer, format: int64, default: 100, maximum: 5000, description: Levels per side.}
"""
CHANNELS = MINI[MINI.index("channels:") : MINI.index("components:")]


def edited(old: str, new: str) -> str:
    assert MINI.count(old) == 1, f"the edit must hit exactly one place: {old!r}"
    return MINI.replace(old, new)


# (id, edited spec, expected message (regex), text on the line the error points at, or (after, text))
CASES = [
    # issue 14 item 22: tracebacks before
    (
        "enum-as-string",
        edited("enum: [BUY, SELL]", "enum: BUY"),
        r"#/components/schemas/Side/enum: enum must be a list of values, not a string \('BUY'\)",
        "enum: BUY",
    ),
    (
        "properties-as-list",
        edited(DEPTH_PROPERTIES, "      properties: [symbol, limit]\n"),
        r"DepthParams/properties: properties must be a mapping of property name -> schema, not a list",
        "properties: [symbol, limit]",
    ),
    (
        "maximum-not-a-number",
        edited("maximum: 5000", "maximum: lots"),
        r"DepthParams/properties/limit/maximum: maximum must be a number, not a string \('lots'\)",
        "maximum: lots",
    ),
    # issue 14 item 22: generated silently before
    (
        "required-as-string",
        edited("required: [symbol]\n", "required: symbol\n"),
        r"DepthParams/required: required must be a list of property names, not a string \('symbol'\)",
        "required: symbol",
    ),
    (
        "type-typo",
        edited("limit: {type: integer,", "limit: {type: integr,"),
        r"limit/type: type 'integr' is not a JSON Schema type \(did you mean 'integer'\?\)",
        "limit: {type: integr,",
    ),
    (
        "negative-weight",
        edited("      x-security: TRADE\n      x-weight: 1\n", "      x-security: TRADE\n      x-weight: -25\n"),
        r"OrderPlaceRequest/x-weight: x-weight must be a non-negative integer or \{base, rules\}, not a number \(-25\)",
        "x-weight: -25",
    ),
    (
        "required-names-missing-property",
        edited("required: [symbol]\n", "required: [symbol, limt]\n"),
        r"DepthParams/required/1: required property 'limt' is not among the properties \(did you mean 'limit'\?\)",
        "required: [symbol, limt]",
    ),
    (
        "key-given-twice",
        edited(DEPTH_PROPERTIES, DEPTH_PROPERTIES + "        limit: {type: string}\n"),
        r"DepthParams/properties/limit: key 'limit' is given twice \(first on line 110\)",
        "limit: {type: string}",
    ),
    (
        "dangling-ref-in-channels",
        edited(
            "          - $ref: '#/components/messages/PingRequest'",
            "          - $ref: '#/components/messages/PingRequst'",
        ),
        r"#/channels/~1/publish/message/oneOf/0/\$ref: dangling \$ref '#/components/messages/PingRequst': "
        r"nothing at this path \(did you mean 'PingRequest'\?\)",
        "PingRequst",
    ),
    (
        "name-and-const-disagree",
        edited("      name: ping\n", "      name: pong\n"),
        r"PingRequest/name: message name 'pong' and method const 'ping' disagree",
        "name: pong",
    ),
    (
        "no-channels",
        MINI.replace(CHANNELS, ""),
        r"#: the spec has no 'channels'",
        "asyncapi: 2.6.0",
    ),
    (
        "info-null",
        edited(
            "info:\n  title: Binance Spot WebSocket API (mini)\n  version: '1'\n",
            "info: null\n",
        ),
        r"#/info: info must be a mapping with title and version, not null",
        "info: null",
    ),
    # the same checks catch the next mistake too
    (
        "keyword-typo",
        edited("required: [symbol]\n", "requird: [symbol]\n"),
        r"unknown key 'requird' in DepthParams \(did you mean 'required'\?\)",
        "requird: [symbol]",
    ),
    (
        "extension-typo",
        edited("      x-retry-safe: false\n", "      x-retry-saf: false\n"),
        r"unknown extension 'x-retry-saf' in OrderPlaceRequest \(did you mean 'x-retry-safe'\?\)",
        "x-retry-saf",
    ),
    (
        "format-typo",
        edited(
            "price: {type: string, format: decimal}\n        quantity",
            "price: {type: string, format: decimall}\n        quantity",
        ),
        r"unknown format 'decimall' \(did you mean 'decimal'\?\)",
        "format: decimall",
    ),
    (
        "default-of-the-wrong-type",
        edited("default: 100,", "default: hundred,"),
        r"limit/default: default 'hundred' is not an integer",
        "default: hundred",
    ),
    (
        "keyword-for-another-type",
        edited("symbol: {type: string, description: Trading pair.}", "symbol: {type: string, maximum: 3}"),
        r"symbol/maximum: maximum applies to integer or number, but this schema is string",
        "symbol: {type: string, maximum: 3}",
    ),
    (
        "weight-rule-without-selector",
        edited("{param: limit, ranges: [[100, 5], [500, 25], [1000, 50], [5000, 250]]}", "{param: limit, weight: 3}"),
        r"x-weight/rules/0: a weight rule needs exactly one of present, equals, ranges, countRanges, perItem",
        "{param: limit, weight: 3}",
    ),
    (
        "weight-range-not-a-pair",
        edited("[[100, 5], [500, 25],", "[[100, 5, 7], [500, 25],"),
        r"x-weight/rules/0/ranges/0: ranges\[0\] must be a pair \[upper bound or null, weight\]",
        "[[100, 5, 7]",
    ),
    (
        "unknown-security",
        edited("      x-security: TRADE\n", "      x-security: TRAD\n"),
        r"x-security 'TRAD' is not one of NONE, TRADE, USER_DATA, USER_STREAM, SIGNED \(did you mean 'TRADE'\?\)",
        "x-security: TRAD",
    ),
    (
        "unquoted-numeric-key",
        edited(
            "        qty: {type: string, format: decimal}\n",
            "        qty: {type: string, format: decimal}\n        200: {type: string}\n",
        ),
        r"key 200 must be a string \(quote it\)",
        "200: {type: string}",
    ),
    (
        "array-like-without-positions",
        edited(
            "      prefixItems:\n        - {title: price, type: string, format: decimal}\n"
            "        - {title: qty, type: string, format: decimal}\n",
            "",
        ),
        r"PriceLevel/x-array-like: x-array-like needs prefixItems",
        "x-array-like: true",
    ),
    (
        "message-inline-in-a-channel",
        edited(
            "          - $ref: '#/components/messages/PingRequest'", "          - {name: ping, payload: {type: object}}"
        ),
        r"#/channels/~1/publish/message/oneOf/0: a message here must be a \$ref to components/messages",
        "- {name: ping, payload: {type: object}}",
    ),
    (
        "client-id-param-not-a-parameter",
        edited("      x-retry-safe: false\n", "      x-retry-safe: false\n      x-client-id-param: clientId\n"),
        r"OrderPlaceRequest/x-client-id-param: 'clientId' is not a parameter",
        "x-client-id-param: clientId",
    ),
    (
        "event-alternative-without-its-tag",
        edited("        e: {type: string, const: balanceUpdate}\n", "        e: {type: string}\n"),
        r"UserDataEvent/oneOf/0: each oneOf alternative needs a required property 'e' with a string const",
        "- $ref: '#/components/schemas/BalanceUpdate'",
    ),
    (
        "event-union-without-discriminator",
        edited("      discriminator: {propertyName: e}\n", ""),
        r"UserDataEvent/oneOf: the user-data event oneOf needs a discriminator",
        ("    UserDataEvent:", "oneOf:"),
    ),
    (
        "method-metadata-on-a-message-without-method",
        edited("    PingResponse:\n", "    PingResponse:\n      x-weight: 3\n"),
        r"PingResponse/x-weight: x-weight describes a method, but this message is not a request",
        "x-weight: 3",
    ),
    (
        "message-of-no-kind",
        edited(
            "          subscriptionId: {type: integer}\n          event: {$ref: '#/components/schemas/UserDataEvent'}\n",
            "          subscriptionId: {type: integer}\n",
        ),
        r"UserDataEventMessage/payload: the payload has none of `method` \(a request\)",
        ("    UserDataEventMessage:", "payload:"),
    ),
    (
        "weight-ranges-out-of-order",
        edited("[[100, 5], [500, 25],", "[[500, 5], [100, 25],"),
        r"ranges/1/0: upper bounds must increase: 100 follows 500",
        "[[500, 5], [100, 25],",
    ),
    (
        "default-above-maximum",
        edited("default: 100, maximum: 5000", "default: 9000, maximum: 5000"),
        r"limit/default: default 9000 is above maximum 5000",
        "default: 9000",
    ),
    # issue 11 item 1: a required property that leads back to its own schema
    (
        "required-self-reference",
        edited(
            "        status: {$ref: '#/components/schemas/OrderStatus'}\n",
            "        status: {$ref: '#/components/schemas/OrderStatus'}\n"
            "        replaced: {$ref: '#/components/schemas/OrderResponse'}\n",
        ).replace("required: [symbol, orderId, clientOrderId]", "required: [symbol, orderId, clientOrderId, replaced]"),
        r"OrderResponse/properties/replaced: OrderResponse.replaced is required and refers to OrderResponse itself, "
        r"so no finite value matches",
        "replaced: {$ref: '#/components/schemas/OrderResponse'}",
    ),
    (
        "required-cycle-through-two-schemas",
        edited(
            "        asks: {type: array, items: {$ref: '#/components/schemas/PriceLevel'}}\n",
            "        asks: {type: array, items: {$ref: '#/components/schemas/PriceLevel'}}\n"
            "        next: {$ref: '#/components/schemas/DepthLink'}\n"
            "    DepthLink:\n"
            "      type: object\n"
            "      required: [depth]\n"
            "      properties:\n"
            "        depth: {$ref: '#/components/schemas/DepthResult'}\n",
        ).replace("required: [lastUpdateId, bids, asks]", "required: [lastUpdateId, bids, asks, next]"),
        r"DepthResult/properties/next: DepthResult.next is required and leads back to DepthResult "
        r"\(DepthResult.next -> DepthLink.depth -> DepthResult\)",
        "next: {$ref: '#/components/schemas/DepthLink'}",
    ),
    (
        "required-cycle-through-an-inline-object",
        edited(
            "        asks: {type: array, items: {$ref: '#/components/schemas/PriceLevel'}}\n",
            "        asks: {type: array, items: {$ref: '#/components/schemas/PriceLevel'}}\n"
            "        wrapper:\n"
            "          type: object\n"
            "          required: [inner]\n"
            "          properties:\n"
            "            inner: {$ref: '#/components/schemas/DepthResult'}\n",
        ).replace("required: [lastUpdateId, bids, asks]", "required: [lastUpdateId, bids, asks, wrapper]"),
        r"DepthResult/properties/wrapper/properties/inner: DepthResult.wrapper.inner is required and refers to "
        r"DepthResult itself",
        "inner: {$ref: '#/components/schemas/DepthResult'}",
    ),
]


def _write(tmp_path: Path, text: str) -> Path:
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    return spec


@pytest.mark.parametrize(("text", "message", "line_of"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_spec_exits_2_with_file_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str, line_of: str | tuple[str, str]
) -> None:
    spec = _write(tmp_path, text)
    out = tmp_path / "out" / "binance_spot_ws"
    assert main(["--spec", str(spec), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    after, marker = line_of if isinstance(line_of, tuple) else ("", line_of)
    lines = text.splitlines()
    start = next(number for number, content in enumerate(lines) if after in content)
    line = next(number for number, content in enumerate(lines[start:], start + 1) if marker in content)
    assert error.startswith(f"spec error: {spec}:{line}: #"), error
    assert re.search(message, error), error
    assert "Traceback" not in error
    assert not (tmp_path / "out").exists()  # nothing written, not even the parent
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


@pytest.mark.parametrize(
    "loop_that_ends",
    [
        "        replaced: {$ref: '#/components/schemas/OrderResponse'}\n",  # optional
        "        replaced: {type: array, items: {$ref: '#/components/schemas/OrderResponse'}}\n",  # may be empty
        "        replaced: {oneOf: [{type: 'null'}, {$ref: '#/components/schemas/OrderResponse'}]}\n",  # nullable
    ],
    ids=["optional", "array", "nullable"],
)
def test_a_self_reference_that_can_end_is_accepted(loop_that_ends: str, tmp_path: Path) -> None:
    text = edited(
        "        status: {$ref: '#/components/schemas/OrderStatus'}\n",
        "        status: {$ref: '#/components/schemas/OrderStatus'}\n" + loop_that_ends,
    )
    if "replaced: {$ref" not in loop_that_ends:
        text = text.replace("required: [symbol, orderId, clientOrderId]", "required: [symbol, orderId, replaced]")
    document = load.document(_write(tmp_path, text))
    shape.check(document)
    recursion.check(document)


def test_unwritable_out_exits_2_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _write(tmp_path, MINI)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where --out's parent should be")
    assert main(["--spec", str(spec), "--out", str(blocker / "binance_spot_ws")]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"cannot write {blocker / 'binance_spot_ws'}: "), error
    assert "Traceback" not in error
    assert blocker.read_text() == "a file where --out's parent should be"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "not-a-directory"]


def test_the_real_spec_passes_and_cancel_replace_results_decode() -> None:
    """The recursion rule found CancelReplaceResult.cancelResult pointing at itself (issue 11 item 1)."""
    document = load.document(SPEC)
    shape.check(document)
    recursion.check(document)
    answer = (
        b'{"cancelResult": "SUCCESS", "newOrderResult": "SUCCESS",'
        b' "cancelResponse": {"symbol": "BTCUSDT", "origClientOrderId": "o", "orderId": 1, "orderListId": -1,'
        b' "clientOrderId": "a", "transactTime": 1, "price": "1", "origQty": "1", "executedQty": "0",'
        b' "origQuoteOrderQty": "0", "cummulativeQuoteQty": "0", "status": "CANCELED", "timeInForce": "GTC",'
        b' "type": "LIMIT", "side": "BUY", "selfTradePreventionMode": "NONE"},'
        b' "newOrderResponse": {"symbol": "BTCUSDT", "orderId": 2, "orderListId": -1, "clientOrderId": "b",'
        b' "transactTime": 1}}'
    )
    result = msgspec.json.decode(answer, type=types.CancelReplaceResult)
    assert (result.cancel_result, result.new_order_result) == ("SUCCESS", "SUCCESS")
    assert (result.cancel_response.order_id, result.new_order_response.order_id) == (1, 2)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (
            "asyncapi: 2.6.0\ninfo: &x\n  title: t\n  self: *x\n",
            "#/info/self: a YAML alias refers to a node that contains it",
            2,
        ),
        ("asyncapi: 2.6.0\ninfo: " + "[" * 3000 + "]" * 3000 + "\n", "#: the YAML nests too deeply to read", None),
        ("asyncapi: 2.6.0\ninfo: {title: t\n", "#: invalid YAML", 3),
    ],
    ids=["recursive-alias", "nested-too-deeply", "unclosed-mapping"],
)
def test_unreadable_yaml_exits_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str, line: int | None
) -> None:
    spec = _write(tmp_path, text)
    assert main(["--spec", str(spec), "--out", str(tmp_path / "out" / "pkg")]) == 2
    error = capsys.readouterr().err
    where = f"{spec}:{line}" if line else f"{spec}"
    assert error.startswith(f"spec error: {where}: {message}"), error
    assert not (tmp_path / "out").exists()


def test_a_spec_nested_beyond_the_stack_is_a_spec_error() -> None:
    document = load.document(Path(__file__).parent / "golden" / "mini" / "spec.yaml")
    deep: dict[str, object] = {"type": "string"}
    for _ in range(2000):  # beyond what the YAML parser would read; built in memory
        deep = {"type": "object", "properties": {"x": deep}}
    document.root["components"]["schemas"]["DepthParams"]["properties"]["symbol"] = deep
    with pytest.raises(SpecError, match="the spec nests too deeply to process"):
        ir.build(document)
