"""The sans-IO core with literal frames: no sockets, no clock."""

from __future__ import annotations

import json
from decimal import Decimal

import msgspec
import pytest

from binance_ws import (
    AuthError,
    BadRequest,
    ErrorTable,
    HmacKey,
    IpBanned,
    Method,
    Model,
    ParamError,
    Protocol,
    RateLimited,
    Security,
    ServerError,
    UnknownExecutionStatus,
    Weight,
    WeightRule,
    signature_payload,
)
from binance_ws.ratelimit import RateLimiter
from binance_ws.wire import RateLimit


class Params(Model, kw_only=True):
    symbol: str
    price: Decimal | msgspec.UnsetType = msgspec.UNSET
    limit: int | msgspec.UnsetType = msgspec.UNSET
    new_client_order_id: str | msgspec.UnsetType = msgspec.field(name="newClientOrderId", default=msgspec.UNSET)
    order_id: int | msgspec.UnsetType = msgspec.field(name="orderId", default=msgspec.UNSET)
    recv_window: Decimal | msgspec.UnsetType = msgspec.field(name="recvWindow", default=msgspec.UNSET)


class Result(Model, kw_only=True):
    order_id: int = msgspec.field(name="orderId")


PLACE: Method[Params, Result] = Method(
    "order.place", Params, Result, security=Security.TRADE, retry_safe=False, client_id_param="newClientOrderId"
)
QUERY: Method[Params, Result] = Method(
    "order.status", Params, Result, security=Security.USER_DATA, require_one_of=(("orderId", "newClientOrderId"),)
)
KEY = HmacKey("api-key", "secret")


def test_frame_is_signed_over_exactly_what_is_sent() -> None:
    protocol = Protocol(KEY, recv_window=Decimal("5000.5"))
    call = protocol.prepare(PLACE, {"symbol": "BTCUSDT", "price": Decimal("1E-8"), "limit": msgspec.UNSET})
    frame = json.loads(protocol.frame(7, call, 1700000000000))
    params = frame["params"]
    assert frame["id"] == 7 and frame["method"] == "order.place"
    assert params["price"] == "0.00000001" and params["recvWindow"] == "5000.5"
    assert params["newClientOrderId"] == call.client_order_id and call.client_order_id.startswith("bws")
    assert params["timestamp"] == 1700000000000 and params["apiKey"] == "api-key"
    assert params["signature"] == KEY.sign(signature_payload(params))
    assert "limit" not in params


def test_logged_on_frames_carry_timestamp_but_no_key_or_signature() -> None:
    protocol = Protocol(KEY)
    call = protocol.prepare(QUERY, {"symbol": "BTCUSDT", "orderId": 5})
    params = json.loads(protocol.frame(1, call, 1))["params"]
    assert set(params) == {"symbol", "orderId", "timestamp", "apiKey", "signature"}
    params = json.loads(protocol.frame(2, call, 2, logged_on=True))["params"]
    assert set(params) == {"symbol", "orderId", "timestamp"}


def test_parameter_errors_name_the_python_argument() -> None:
    protocol = Protocol(KEY)
    with pytest.raises(ParamError, match="order_id") as caught:
        protocol.prepare(QUERY, {"symbol": "BTCUSDT", "orderId": "x"})
    assert caught.value.param == "order_id"
    with pytest.raises(ParamError, match="order_id or new_client_order_id"):
        protocol.prepare(QUERY, {"symbol": "BTCUSDT"})


@pytest.mark.parametrize(
    ("frame", "method", "expected"),
    [
        ({"status": 400, "error": {"code": -1022, "msg": "bad sig"}}, PLACE, AuthError),
        ({"status": 400, "error": {"code": -1013, "msg": "Filter failure: LOT_SIZE"}}, PLACE, BadRequest),
        ({"status": 429, "error": {"code": -1003, "msg": "slow down", "data": {"retryAfter": 5}}}, QUERY, RateLimited),
        ({"status": 418, "error": {"code": -1003, "msg": "banned"}}, QUERY, IpBanned),
        ({"status": 503, "error": {"code": -1001, "msg": "internal"}}, QUERY, ServerError),
        ({"status": 503, "error": {"code": -1001, "msg": "internal"}}, PLACE, UnknownExecutionStatus),
        (
            {"status": 400, "error": {"code": -1007, "msg": "Timeout waiting for response"}},
            PLACE,
            UnknownExecutionStatus,
        ),
    ],
)
def test_error_mapping(frame: dict[str, object], method: Method[Params, Result], expected: type[Exception]) -> None:
    protocol = Protocol(KEY)
    call = protocol.prepare(method, {"symbol": "BTCUSDT", "orderId": 1})
    outcome = protocol.outcome(call, Protocol.parse(json.dumps({"id": 1, **frame})))
    assert type(outcome) is expected
    if isinstance(outcome, RateLimited) and not isinstance(outcome, IpBanned):
        assert outcome.retry_after_ms == 5


def test_success_decodes_and_ignores_unknown_fields() -> None:
    protocol = Protocol(KEY)
    call = protocol.prepare(QUERY, {"symbol": "BTCUSDT", "orderId": 1})
    frame = Protocol.parse(
        '{"id":1,"status":200,"result":{"orderId":9,"brandNewField":[1,2]},"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":4}]}'
    )
    assert protocol.outcome(call, frame) == Result(order_id=9)
    assert frame.rateLimits and frame.rateLimits[0].count == 4


def test_weight_rules() -> None:
    depth = Weight(5, (WeightRule("limit", ranges=((100, 5), (500, 25), (1000, 50), (5000, 250))),), {"limit": 100})
    assert [depth.of({}), depth.of({"limit": 100}), depth.of({"limit": 101}), depth.of({"limit": 5000})] == [
        5,
        5,
        25,
        250,
    ]
    ticker = Weight(
        80,
        (
            WeightRule("symbol", present=True, weight=2),
            WeightRule("symbols", count_ranges=((20, 2), (100, 40), (None, 80))),
        ),
    )
    assert [
        ticker.of({"symbol": "X"}),
        ticker.of({"symbols": ["A"] * 21}),
        ticker.of({"symbols": ["A"] * 101}),
        ticker.of({}),
    ] == [2, 40, 80, 80]
    capped = Weight(40, (WeightRule("symbols", per_item=2, cap=40),))
    assert [capped.of({"symbols": ["A"] * 3}), capped.of({"symbols": ["A"] * 30})] == [6, 40]


def test_rate_limiter_uses_calendar_buckets_and_server_counts() -> None:
    limiter = RateLimiter("wait")
    minute = 60_000 * 1000
    limiter.update([RateLimit("REQUEST_WEIGHT", "MINUTE", 1, 100, 95)], minute + 10)
    assert limiter.delay_ms(5, 0, minute + 20) == 0
    assert limiter.delay_ms(6, 0, minute + 20) == 60_000 - 20  # until the next whole minute
    assert limiter.delay_ms(6, 0, minute + 60_000) == 0  # new bucket
    limiter.spend(5, 0, minute + 30)
    assert limiter.delay_ms(1, 0, minute + 40) > 0
    limiter.block(minute + 99_000, banned=True)
    assert limiter.banned and limiter.delay_ms(0, 0, minute + 50) > 0


def test_a_late_response_does_not_forget_requests_still_in_flight() -> None:
    limiter = RateLimiter("wait")
    minute = 60_000 * 1000
    limiter.update([RateLimit("REQUEST_WEIGHT", "MINUTE", 1, 100, 10)], minute + 10)
    for _ in range(80):  # 80 requests of weight 1 sent, none answered yet
        limiter.spend(1, 0, minute + 20)
    limiter.update([RateLimit("REQUEST_WEIGHT", "MINUTE", 1, 100, 11)], minute + 30)  # answer to the first
    assert limiter.usage()["REQUEST_WEIGHT/1MINUTE"] == (90, 100)
    assert limiter.delay_ms(11, 0, minute + 40) > 0
    limiter.update([RateLimit("REQUEST_WEIGHT", "MINUTE", 1, 100, 3)], minute + 60_005)  # next minute
    assert limiter.usage()["REQUEST_WEIGHT/1MINUTE"] == (3, 100)


def test_admit_counts_what_fits_and_refuses_the_rest_until_the_interval_ends() -> None:
    limiter = RateLimiter("wait")
    minute = 60_000 * 1000
    limiter.update(
        [RateLimit("REQUEST_WEIGHT", "MINUTE", 1, 100, 90), RateLimit("ORDERS", "SECOND", 10, 3, 1)], minute + 10
    )
    assert limiter.admit(4, 1, minute + 20) == 0  # full check: room 10 weight, 2 orders
    assert limiter.admit(4, 1, minute + 30) == 0  # from the cached room
    assert limiter.admit(1, 1, minute + 40) == 10_000 - 40  # no order left until the 10 s interval ends
    assert limiter.usage() == {"REQUEST_WEIGHT/1MINUTE": (98, 100), "ORDERS/10SECOND": (3, 3)}  # refused: not counted
    assert limiter.admit(3, 0, minute + 50) == 60_000 - 50  # 98 + 3 > 100
    assert limiter.admit(2, 0, minute + 60) == 0
    assert limiter.admit(0, 0, minute + 70) == 0  # a request that costs nothing always fits
    assert limiter.admit(1, 1, minute + 10_000) > 0  # orders free again, but the minute is full
    assert limiter.admit(1, 1, minute + 60_000) == 0  # next minute: both buckets start over
    assert limiter.usage() == {"REQUEST_WEIGHT/1MINUTE": (1, 100), "ORDERS/10SECOND": (1, 3)}
    limiter.block(minute + 61_000, banned=False)
    assert limiter.admit(1, 0, minute + 60_500) == 500  # a 429's retryAfter stops the cached path too
    assert limiter.admit(1, 0, minute + 61_000) == 0


def test_admit_starts_a_new_interval_even_with_room_left_in_the_old_one() -> None:
    limiter = RateLimiter("wait")
    minute = 60_000 * 1000
    limiter.update([RateLimit("REQUEST_WEIGHT", "MINUTE", 1, 100, 90)], minute + 10)
    assert limiter.admit(4, 0, minute + 20) == 0
    assert limiter.admit(4, 0, minute + 60_005) == 0
    assert limiter.usage()["REQUEST_WEIGHT/1MINUTE"] == (4, 100)  # not 98: the minute rolled over
    assert [limiter.admit(32, 0, minute + 60_010) for _ in range(4)] == [0, 0, 0, 60_000 - 10]


def test_admit_with_policy_off_counts_but_only_a_block_stops_it() -> None:
    limiter = RateLimiter("off")
    minute = 60_000 * 1000
    limiter.update([RateLimit("REQUEST_WEIGHT", "MINUTE", 1, 10, 10)], minute + 10)
    assert [limiter.admit(5, 0, minute + 20) for _ in range(3)] == [0, 0, 0]
    assert limiter.usage()["REQUEST_WEIGHT/1MINUTE"] == (25, 10)
    limiter.block(minute + 1_000, banned=False)
    assert limiter.admit(1, 0, minute + 30) == 970


@pytest.mark.parametrize(
    ("signing", "logged_on", "sent"),
    [
        ("request", False, {"timestamp", "apiKey", "signature"}),
        ("request", True, {"timestamp"}),
        ("always", True, {"timestamp", "apiKey", "signature"}),
        ("session", False, set()),
    ],
)
def test_signing_follows_the_method_metadata(signing: str, logged_on: bool, sent: set[str]) -> None:
    method: Method[None, object] = Method("x.call", None, object, security=Security.SIGNED, signing=signing)  # type: ignore[arg-type]
    protocol = Protocol(HmacKey("key", "secret"))
    frame = json.loads(protocol.frame(1, protocol.prepare(method, {}), 1_700_000_000_000, logged_on=logged_on))
    assert set(frame.get("params", {})) == sent


def test_the_spec_error_table_decides_class_and_name() -> None:
    table = ErrorTable({-1008: "server", -1015: "rate_limit", -9999: "unknown_status"}, {-1008: "SERVER_BUSY"})
    protocol = Protocol(KEY, errors=table)

    def outcome(method: Method[Params, Result], status: int, code: int) -> object:
        call = protocol.prepare(method, {"symbol": "BTCUSDT", "orderId": 1})
        error = {"id": 1, "status": status, "error": {"code": code, "msg": "m"}}
        return protocol.outcome(call, Protocol.parse(json.dumps(error)))

    busy = outcome(QUERY, 400, -1008)
    assert type(busy) is ServerError and busy.name == "SERVER_BUSY" and "-1008 (SERVER_BUSY)" in str(busy)
    assert type(outcome(QUERY, 400, -1015)) is RateLimited
    assert type(outcome(PLACE, 400, -9999)) is UnknownExecutionStatus  # the table's own unknown-status code
    assert type(outcome(PLACE, 400, -1022)) is AuthError  # runtime defaults still apply
    plain = outcome(QUERY, 400, -2013)
    assert type(plain) is BadRequest and plain.name is None
