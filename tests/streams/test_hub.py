"""The local exchange's stream server core without sockets: control messages, paths and limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from binance_ws_emulator.stream_hub import HubLimits, Refused, StreamHub, StreamSession


def answer(session: StreamSession, request: Any, now: float = 0.0) -> dict[str, Any]:
    session.on_text(request if isinstance(request, str) else json.dumps(request), now)
    reply = json.loads(session.outbox.pop())
    assert not session.outbox
    return reply  # type: ignore[no-any-return]


@pytest.fixture
def session() -> StreamSession:
    return StreamHub().open("/ws/btcusdt@trade", "", 0.0)


def test_raw_and_combined_paths() -> None:
    hub = StreamHub()
    raw = hub.open("/ws/btcusdt@trade", "", 0.0)
    combined = hub.open("/stream", "streams=btcusdt@trade/ethusdt@depth5@100ms", 0.0)
    bare = hub.open("/ws", "", 0.0)
    assert (raw.combined, raw.streams) == (False, ["btcusdt@trade"])
    assert (combined.combined, combined.streams) == (True, ["btcusdt@trade", "ethusdt@depth5@100ms"])
    assert bare.streams == []
    hub.publish("btcusdt@trade", {"e": "trade", "t": 1})
    assert raw.outbox == ['{"e":"trade","t":1}']
    assert combined.outbox == ['{"stream":"btcusdt@trade","data":{"e":"trade","t":1}}']
    assert bare.outbox == []
    with pytest.raises(Refused):
        hub.open("/elsewhere", "", 0.0)


def test_a_url_name_that_is_no_stream_opens_a_silent_connection() -> None:
    """Binance accepts such a connection and sends nothing for the name (an upper-case symbol is the
    usual case); ccxt opens `/ws/0`, `/ws/1`, ... and subscribes with control messages."""
    hub = StreamHub()
    typo = hub.open("/stream", "streams=btcusdt@nonsense/btcusdt@trade", 0.0)
    numbered = hub.open("/ws/0", "", 0.0)
    upper = hub.open("/ws/BTCUSDT@trade", "", 0.0)
    assert (typo.streams, numbered.streams, upper.streams) == (["btcusdt@trade"], [], [])
    assert answer(numbered, {"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1}) == {"result": None, "id": 1}
    hub.publish("btcusdt@trade", {"e": "trade", "t": 1})
    assert typo.outbox and numbered.outbox and not upper.outbox


def test_control_message_ids_take_uuids() -> None:
    """The ids the WebSocket API takes (changelog 2023-12-04), UUIDs included: binance-sdk-spot sends uuid4()."""
    session = StreamHub().open("/stream", "", 0.0)
    uuid = "1b5738ee-75a2-40f4-b607-7c20ee46019b"
    assert answer(session, {"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": uuid}) == {
        "result": None,
        "id": uuid,
    }
    assert answer(session, {"method": "LIST_SUBSCRIPTIONS", "id": uuid}) == {"result": ["btcusdt@trade"], "id": uuid}
    assert answer(session, {"method": "LIST_SUBSCRIPTIONS", "id": -(1 << 63)})["result"] == ["btcusdt@trade"]
    refused = answer(session, {"method": "LIST_SUBSCRIPTIONS", "id": uuid + "x"})  # 37 characters
    assert refused["code"] == 2


def test_subscribe_unsubscribe_list(session: StreamSession) -> None:
    assert answer(session, {"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade", "btcusdt@depth"], "id": 1}) == {
        "result": None,
        "id": 1,
    }
    assert answer(session, {"method": "LIST_SUBSCRIPTIONS", "id": 3}) == {
        "result": ["btcusdt@trade", "btcusdt@aggTrade", "btcusdt@depth"],
        "id": 3,
    }
    assert answer(session, {"method": "UNSUBSCRIBE", "params": ["btcusdt@depth"], "id": 312}) == {
        "result": None,
        "id": 312,
    }
    assert session.hub.wanted("btcusdt@aggTrade") and not session.hub.wanted("btcusdt@depth")
    assert answer(session, {"method": "LIST_SUBSCRIPTIONS", "id": "abc"})["result"] == [
        "btcusdt@trade",
        "btcusdt@aggTrade",
    ]


def test_properties(session: StreamSession) -> None:
    assert answer(session, {"method": "GET_PROPERTY", "params": ["combined"], "id": 2}) == {"result": False, "id": 2}
    assert answer(session, {"method": "SET_PROPERTY", "params": ["combined", True], "id": 5}) == {
        "result": None,
        "id": 5,
    }
    assert answer(session, {"method": "GET_PROPERTY", "params": ["combined"], "id": 6}) == {"result": True, "id": 6}
    session.hub.publish("btcusdt@trade", {"t": 1})
    assert session.outbox.pop() == '{"stream":"btcusdt@trade","data":{"t":1}}'


@pytest.mark.parametrize(
    ("request_", "code", "msg"),
    [
        ({"method": "SET_PROPERTY", "params": ["colour", True], "id": 1}, 0, "Unknown property"),
        ({"method": "GET_PROPERTY", "params": ["colour"], "id": 1}, 0, "Unknown property"),
        ({"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 1}, 1, "Invalid value type: expected Boolean"),
        (
            {"method": "SET_PROPERTY", "params": [5, True], "id": 1},
            2,
            "Invalid request: property name must be a string",
        ),
        ({"method": "GET_PROPERTY", "params": [], "id": 1}, 2, "Invalid request: property name must be a string"),
        ({"method": "LIST_SUBSCRIPTIONS", "id": True}, 2, "Invalid request: request ID must be an unsigned integer"),
        ({"method": "LIST_SUBSCRIPTIONS"}, 2, "Invalid request: request ID must be an unsigned integer"),
        (
            {"method": "LIST_SUBSCRIPTIONS", "id": "x" * 37},
            2,
            "Invalid request: request ID must be an unsigned integer",
        ),
        (
            {"method": "SUBSCRIBEE", "params": [], "id": 1},
            2,
            'Invalid request: unknown variant "SUBSCRIBEE", expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, '
            "`LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 column 28",
        ),
        ({"method": "GET_PROPERTY", "params": ["combined", 1], "id": 1}, 2, "Invalid request: too many parameters"),
        ({"method": "LIST_SUBSCRIPTIONS", "params": ["x"], "id": 1}, 2, "Invalid request: too many parameters"),
        ({"params": [], "id": 1}, 2, "Invalid request: missing field `method` at line 1 column 73"),
        ("{not json", 3, "Invalid JSON: expected value at line 1 column 2"),
    ],
)
def test_documented_errors(session: StreamSession, request_: Any, code: int, msg: str) -> None:
    reply = answer(session, request_)
    assert (reply["code"], reply["msg"]) == (code, msg)
    if code in (0, 1) or "variant" in msg:
        assert reply["id"] == request_["id"]  # answers to a readable request carry its id


def test_more_than_five_incoming_messages_a_second_disconnect(session: StreamSession) -> None:
    for index in range(5):
        answer(session, {"method": "LIST_SUBSCRIPTIONS", "id": index}, now=10.0 + index * 0.1)
    assert session.close is None
    assert session.count_incoming(10.6) is False  # a ping or pong counts as well
    assert session.close is not None and session.close[0] == 1008
    later = StreamHub().open("/ws", "", 0.0)
    for index in range(20):
        answer(later, {"method": "LIST_SUBSCRIPTIONS", "id": index}, now=index * 0.25)  # 4 a second: fine
    assert later.close is None


def test_streams_per_connection_and_connection_attempts() -> None:
    hub = StreamHub(HubLimits(streams_per_connection=2, connection_attempts=3, connection_attempts_window_s=300))
    session = hub.open("/ws/a@trade", "", 0.0)
    reply = answer(session, {"method": "SUBSCRIBE", "params": ["b@trade", "c@trade"], "id": 1})
    assert reply["code"] == 2 and "at most 2" in reply["msg"]
    assert answer(session, {"method": "SUBSCRIBE", "params": ["b@trade"], "id": 2}) == {"result": None, "id": 2}
    hub.open("/ws", "", 1.0)
    hub.open("/ws", "", 1.5)
    with pytest.raises(Refused) as refused:
        hub.open("/ws", "", 2.0)  # the 4th attempt within 5 minutes
    assert refused.value.status == 429
    hub.open("/ws", "", 301.0)  # the first attempt has left the window


def test_shutdown_notice_on_every_connection() -> None:
    hub = StreamHub()
    raw, combined = hub.open("/ws", "", 0.0), hub.open("/stream", "streams=btcusdt@trade", 0.0)
    hub.broadcast_shutdown(1770123456789)
    assert json.loads(raw.outbox.pop()) == {"e": "serverShutdown", "E": 1770123456789}
    assert json.loads(combined.outbox.pop()) == {
        "stream": "!serverShutdown",
        "data": {"e": "serverShutdown", "E": 1770123456789},
    }


def test_time_unit_microsecond_converts_time_fields_only() -> None:
    hub = StreamHub()
    micro = hub.open("/ws/btcusdt@trade", "timeUnit=microsecond", 0.0)
    milli = hub.open("/ws/btcusdt@trade", "", 0.0)
    hub.publish("btcusdt@trade", {"e": "trade", "E": 1, "t": 7, "T": 2})
    assert json.loads(micro.outbox.pop()) == {"e": "trade", "E": 1000, "t": 7, "T": 2000}  # t is the trade id
    assert json.loads(milli.outbox.pop()) == {"e": "trade", "E": 1, "t": 7, "T": 2}
    kline = hub.open("/ws/btcusdt@kline_1m", "timeUnit=MICROSECOND", 0.0)
    hub.publish("btcusdt@kline_1m", {"e": "kline", "E": 5, "k": {"t": 60000, "T": 119999}})
    assert json.loads(kline.outbox.pop())["k"] == {"t": 60000000, "T": 119999999}
    with pytest.raises(Refused):
        hub.open("/ws", "timeUnit=SECOND", 0.0)
