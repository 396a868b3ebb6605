"""Protocol rules of one connection, sans-IO: text frame in, response frame out."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from binance_ws import HmacKey, signature_payload
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Exchange
from binance_ws_emulator.limits import IpLimits
from binance_ws_emulator.session import Session, SessionOptions

KEY = HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)


def now() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def session() -> Session:
    return Session(Exchange(seed=1, now_ms=now), IpLimits())


def ask(session: Session, method: str, params: dict[str, Any] | None = None, *, sign: bool = False) -> dict[str, Any]:
    params = dict(params or {})
    if sign:
        params.update(apiKey=KEY.api_key, timestamp=now())
        params["signature"] = KEY.sign(signature_payload(params))
    reply: dict[str, Any] = json.loads(session.handle(json.dumps({"id": 1, "method": method, "params": params})))
    return reply


@pytest.mark.parametrize(
    ("method", "params", "sign", "status", "code"),
    [
        ("depth", {}, False, 400, -1102),
        ("depth", {"symbol": "NOPE"}, False, 400, -1121),
        ("depth", {"symbol": "BTCUSDT", "limit": "x"}, False, 400, -1100),
        ("depth", {"symbol": "BTCUSDT", "bogus": 1}, False, 400, -1103),
        ("klines", {"symbol": "BTCUSDT", "interval": "2m"}, False, 400, -1120),
        ("nope", {}, False, 400, -1020),
        ("order.place", {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT"}, False, 400, -1102),
        ("order.place", {"symbol": "BTCUSDT", "side": "UP", "type": "LIMIT"}, True, 400, -1117),
        (
            "order.place",
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "price": "1.001",
                "quantity": "1",
            },
            True,
            400,
            -1013,
        ),
        (
            "order.place",
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "price": "1",
                "quantity": "0.000001",
            },
            True,
            400,
            -1013,
        ),
        ("order.status", {"symbol": "BTCUSDT", "orderId": 999999}, True, 400, -2013),
        ("order.cancel", {"symbol": "BTCUSDT", "orderId": 999999}, True, 400, -2011),
        ("allOrders", {"symbol": "BTCUSDT", "startTime": 0, "endTime": 90_000_000}, True, 400, -1127),
        ("userDataStream.subscribe", {}, False, 401, -2015),
    ],
)
def test_validation_codes(
    session: Session, method: str, params: dict[str, Any], sign: bool, status: int, code: int
) -> None:
    reply = ask(session, method, params, sign=sign)
    assert (reply["status"], reply["error"]["code"]) == (status, code), reply


def test_signature_and_timestamp_rules(session: Session) -> None:
    params = {"apiKey": KEY.api_key, "timestamp": now()}
    params["signature"] = KEY.sign(signature_payload(params)).upper()  # HMAC hex is case-insensitive
    assert ask(session, "account.status", params)["status"] == 200
    params["signature"] = "0" * 64
    assert ask(session, "account.status", params)["error"]["code"] == -1022
    for stale in (now() - 10_000, now() + 5_000):
        params = {"apiKey": KEY.api_key, "timestamp": stale}
        params["signature"] = KEY.sign(signature_payload(params))
        assert ask(session, "account.status", params)["error"]["code"] == -1021
    params = {"apiKey": KEY.api_key, "timestamp": now() - 7_000, "recvWindow": "8000.5"}
    params["signature"] = KEY.sign(signature_payload(params))
    assert ask(session, "account.status", params)["status"] == 200  # fractional recvWindow


def test_rate_limits_429_then_418_and_optional_limits(session: Session) -> None:
    session.limits = IpLimits(weight_limit=10)
    assert ask(session, "depth", {"symbol": "BTCUSDT"})["rateLimits"][0]["count"] == 5
    assert ask(session, "depth", {"symbol": "BTCUSDT"})["status"] == 200
    limited = ask(session, "depth", {"symbol": "BTCUSDT"})
    assert (limited["status"], limited["error"]["code"]) == (429, -1003) and limited["error"]["data"]["retryAfter"]
    banned = ask(session, "ping")
    assert banned["status"] == 418
    quiet = Session(Exchange(seed=1, now_ms=now), IpLimits(), SessionOptions(return_rate_limits=False))
    assert "rateLimits" not in ask(quiet, "ping")
    assert "rateLimits" in ask(quiet, "ping", {"returnRateLimits": True})


def test_orders_limit(session: Session) -> None:
    session.limits = IpLimits(orders_per_10s=2)
    order = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "price": "40000",
        "quantity": "0.001",
    }
    assert ask(session, "order.place", order, sign=True)["status"] == 200
    assert ask(session, "order.place", order, sign=True)["status"] == 200
    reply = ask(session, "order.place", order, sign=True)
    assert (reply["status"], reply["error"]["code"]) == (429, -1015)


def test_microseconds(session: Session) -> None:
    micro = Session(session.exchange, IpLimits(), SessionOptions(microseconds=True))
    ms, us = ask(session, "time")["result"]["serverTime"], ask(micro, "time")["result"]["serverTime"]
    assert abs(us - ms * 1000) < 5_000_000
    assert ask(micro, "klines", {"symbol": "BTCUSDT", "interval": "1m"})["result"][0][0] % 1000 == 0


def test_events_on_a_subscribed_session(session: Session) -> None:
    sent: list[dict[str, Any]] = []
    session.send_event = lambda text: sent.append(json.loads(text))
    session.subscriptions[0] = "demo"
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    assert ask(session, "order.place", order, sign=True)["status"] == 200
    kinds = [event["event"]["e"] for event in sent]
    assert kinds[0] == "executionReport" and "outboundAccountPosition" in kinds
    assert {event["subscriptionId"] for event in sent} == {0}
    assert sent[0]["event"]["x"] == "NEW" and any(e["event"].get("x") == "TRADE" for e in sent)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(["id", "method", "params", "symbol", "limit", "x"]), inner, max_size=4
                )
            ),
            max_leaves=12,
        ).map(json.dumps),
    )
)
def test_fuzz_never_crashes(text: str) -> None:
    session = Session(Exchange(seed=1, now_ms=now), IpLimits(weight_limit=10**9))
    reply = json.loads(session.handle(text))
    assert reply["status"] in (200, 400, 401, 409, 418, 429)
    assert ("result" in reply) != ("error" in reply)
