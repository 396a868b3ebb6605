"""SBE over a real socket: the same results and exceptions as JSON, the handshake, the flags."""

from __future__ import annotations

import logging
import struct
import types as pytypes
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance_spot_ws import (
    AsyncClient,
    BadRequest,
    Ed25519Key,
    NonRepresentable,
    UnknownExecutionStatus,
    _sbe,
)
from binance_ws._transport import TransportName
from binance_ws_emulator import Emulator, sbe_encode
from binance_ws_emulator import server as emulator_server

SYMBOL = "BTCUSDT"

#: JSON fields the SBE schema 3:5 has no room for (deprecated duplicates and newer flags).
JSON_ONLY = {"quotePrecision", "opoAllowed", "permissions"}
#: Fields SBE always carries that JSON leaves out when they hold their default.
SBE_ONLY = {"usedSor", "workingFloor", "preventedQuantity", "orderCapacity"}
#: Lists whose order is the set's bit order in SBE (the same members).
UNORDERED = {"orderTypes", "allowedSelfTradePreventionModes"}


def assert_same(json_result: Any, sbe_result: Any, path: str = "$", sbe_only: frozenset[str] = frozenset()) -> None:
    """Equal, field by field, but for the documented differences above (and `sbe_only`)."""
    a, b = msgspec.to_builtins(json_result), msgspec.to_builtins(sbe_result)
    if isinstance(a, dict) and isinstance(b, dict):
        a = {k: v for k, v in a.items() if v not in (None, "") or k in b}  # empty ones: absent in SBE
        assert set(a) - set(b) <= JSON_ONLY, f"{path}: only in JSON: {set(a) - set(b)}"
        assert set(b) - set(a) <= SBE_ONLY | sbe_only, f"{path}: only in SBE: {set(b) - set(a)}"
        for key in set(a) & set(b):
            if key in UNORDERED:
                assert sorted(a[key]) == sorted(b[key]), f"{path}.{key}"
            else:
                assert_same(a[key], b[key], f"{path}.{key}", sbe_only)
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{path}: {len(a)} vs {len(b)} elements"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]", sbe_only)
    else:
        if isinstance(a, str) and isinstance(b, str):
            try:
                assert Decimal(a) == Decimal(b), f"{path}: {a!r} != {b!r}"
                return
            except ArithmeticError:
                pass
        assert a == b, f"{path}: {a!r} != {b!r}"


READS: list[tuple[str, dict[str, Any]]] = [
    ("depth", {"symbol": SYMBOL, "limit": 20}),
    ("klines", {"symbol": SYMBOL, "interval": "1m"}),
    ("trades_recent", {"symbol": SYMBOL}),
    ("trades_aggregate", {"symbol": SYMBOL}),
    ("avg_price", {"symbol": SYMBOL}),
    ("ticker_price", {"symbol": SYMBOL}),
    ("ticker_book", {"symbol": SYMBOL}),
    ("ticker_24hr", {"symbol": SYMBOL}),
    ("exchange_info", {"symbol": SYMBOL}),
    ("account_status", {}),
    ("open_orders_status", {"symbol": SYMBOL}),
    ("all_orders", {"symbol": SYMBOL}),
    ("my_trades", {"symbol": SYMBOL}),
    ("account_commission", {"symbol": SYMBOL}),
    ("account_rate_limits_orders", {}),
]
#: Clock readings taken when each answer is made (not state): exchangeInfo's serverTime (SBE
#: leaves it out, the client fills in its clock), the exchange's account updateTime (now) and
#: the 24-hour ticker's rolling window (now - 24 h to now).
SKIP_FIELDS = {
    "exchange_info": ("serverTime",),
    "account_status": ("updateTime",),
    "ticker_24hr": ("openTime", "closeTime"),
}


async def compare_reads(json_client: AsyncClient, sbe_client: AsyncClient) -> None:
    for name, kwargs in READS:
        from_json = msgspec.to_builtins(await getattr(json_client, name)(**kwargs))
        from_sbe = msgspec.to_builtins(await getattr(sbe_client, name)(**kwargs))
        for clock in SKIP_FIELDS.get(name, ()):
            from_json.pop(clock)
            from_sbe.pop(clock)
        assert_same(from_json, from_sbe, name)


@pytest.mark.parametrize("transport", ["httpx-ws", "websockets"])
async def test_same_results_as_json_for_the_same_state(
    emulator: Emulator, ed25519_key: Ed25519Key, transport: TransportName
) -> None:
    async with (
        AsyncClient(url=emulator.url, key=ed25519_key, timeout=5) as json_client,
        AsyncClient(url=emulator.url, key=ed25519_key, timeout=5, response_format="sbe", transport=transport) as sbe,
    ):
        placed = await sbe.order_place(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            price=Decimal("49000"),
            quantity=Decimal("0.002"),
        )
        await json_client.order_place(symbol=SYMBOL, side="BUY", type="MARKET", quantity=Decimal("0.001"))
        assert_same(
            await json_client.order_status(symbol=SYMBOL, order_id=placed.order_id),
            await sbe.order_status(symbol=SYMBOL, order_id=placed.order_id),
        )
        await compare_reads(json_client, sbe)
        canceled = await sbe.order_cancel(symbol=SYMBOL, order_id=placed.order_id)
        assert canceled.status == "CANCELED" and canceled.order_id == placed.order_id
        assert sbe.rate_limiter.buckets  # rate limits came from the SBE envelope
        assert emulator.binary_answers >= len(READS) + 3


async def test_errors_are_the_same_exceptions(emulator: Emulator, ed25519_key: Ed25519Key) -> None:
    caught = []
    for response_format in ("json", "sbe"):
        async with AsyncClient(url=emulator.url, key=ed25519_key, timeout=5, response_format=response_format) as c:  # type: ignore[arg-type]
            with pytest.raises(BadRequest) as error:
                await c.order_cancel(symbol=SYMBOL, order_id=987654321)
            caught.append(error.value)
    from_json, from_sbe = caught
    assert (from_sbe.status, from_sbe.code, from_sbe.msg, from_sbe.name) == (
        from_json.status,
        from_json.code,
        from_json.msg,
        from_json.name,
    )
    assert emulator.binary_answers == 1


ORDERS = st.lists(
    st.tuples(
        st.sampled_from(["BUY", "SELL"]),
        st.sampled_from(["LIMIT", "MARKET"]),
        st.integers(min_value=-300, max_value=300),  # price offset in ticks of 10 from 50,000
        st.integers(min_value=1, max_value=30),  # quantity in 0.001
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders=ORDERS)
async def test_random_exchange_states_read_the_same(orders: list[tuple[str, str, int, int]]) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    async with Emulator(seed=3) as emulator:
        private = ed25519.Ed25519PrivateKey.generate()
        pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        emulator.register_key("k", "ed25519", account="alice", public_key_pem=pem)
        key = Ed25519Key("k", private)
        async with (
            AsyncClient(url=emulator.url, key=key, timeout=5) as json_client,
            AsyncClient(url=emulator.url, key=key, timeout=5, response_format="sbe") as sbe,
        ):
            for i, (side, kind, offset, qty) in enumerate(orders):
                client = sbe if i % 2 else json_client
                args: dict[str, Any] = {"symbol": SYMBOL, "side": side, "type": kind, "quantity": Decimal(qty) / 1000}
                if kind == "LIMIT":
                    args.update(time_in_force="GTC", price=Decimal(50000 + 10 * offset))
                placed_json = await client.order_place(**args)
                other = json_client if client is sbe else sbe
                assert_same(
                    await json_client.order_status(symbol=SYMBOL, order_id=placed_json.order_id),
                    await sbe.order_status(symbol=SYMBOL, order_id=placed_json.order_id),
                )
                assert other is not client
            await compare_reads(json_client, sbe)


# -- the handshake ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("responseFormat=sbe&sbeSchemaId=3&sbeSchemaVersion=1", -1153),  # retired
        ("responseFormat=sbe&sbeSchemaId=2&sbeSchemaVersion=1", -1153),  # an old schema id
        ("responseFormat=sbe&sbeSchemaId=3&sbeSchemaVersion=x", -1152),  # malformed
        ("responseFormat=sbe", -1152),  # no schema
        ("responseFormat=sbe&responseFormat=json&sbeSchemaId=3&sbeSchemaVersion=5", -1152),  # both formats
    ],
)
async def test_bad_schema_is_http_400_with_a_json_body(emulator: Emulator, query: str, code: int) -> None:
    url = emulator.url.replace("ws://", "http://") + "?" + query
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    async with httpx.AsyncClient() as http:
        answer = await http.get(url, headers=headers)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json;charset=UTF-8"
    assert answer.json()["code"] == code


def _layout(version: int) -> pytypes.SimpleNamespace:
    return pytypes.SimpleNamespace(**{**vars(_sbe), "SCHEMA_VERSION": version})


async def test_a_deprecated_schema_is_a_logged_warning_once(
    emulator: Emulator, ed25519_key: Ed25519Key, caplog: pytest.LogCaptureFixture
) -> None:
    class OlderClient(AsyncClient):
        _sbe_layout = _layout(4)  # asks for 3:4, deprecated since 3:5

    caplog.set_level(logging.WARNING, logger="binance_ws")
    async with OlderClient(url=emulator.url, key=ed25519_key, timeout=5, response_format="sbe") as client:
        assert "sbeSchemaVersion=4" in client.url
        assert (await client.depth(symbol=SYMBOL, limit=5)).bids
        await client.ping()
    warnings = [r for r in caplog.records if "deprecated" in r.getMessage()]
    assert len(warnings) == 1
    assert "3:4" in warnings[0].getMessage()


async def test_the_latest_schema_logs_no_deprecation(
    emulator: Emulator, ed25519_key: Ed25519Key, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="binance_ws")
    async with AsyncClient(url=emulator.url, key=ed25519_key, timeout=5, response_format="sbe") as client:
        await client.ping()
    assert not [r for r in caplog.records if "deprecated" in r.getMessage()]


# -- NonRepresentable over the socket -----------------------------------------------------------


def _non_representable(answer: dict[str, Any], method: str | None, *, deprecated: bool = False) -> bytes:
    """A real frame for `answer`, its result replaced by a NonRepresentableMessage."""
    frame = sbe_encode.response(answer, method, deprecated=deprecated)
    if method in ("ping", "time", None):
        return frame
    rest = frame[8 + 3 :]
    (count_block, count) = struct.unpack_from("<HH", rest)
    at = 8 + 3 + 4 + count_block * count
    id_length = frame[at]
    head = frame[: at + 1 + id_length]
    result = struct.pack("<HHHH", 0, 999, 3, 5)
    return head + struct.pack("<I", len(result)) + result


async def test_non_representable_is_typed_for_reads_and_unknown_status_for_orders(
    emulator: Emulator, ed25519_key: Ed25519Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emulator_server, "sbe_response", _non_representable)
    async with AsyncClient(url=emulator.url, key=ed25519_key, timeout=5, response_format="sbe") as client:
        with pytest.raises(NonRepresentable) as caught:
            await client.depth(symbol=SYMBOL, limit=5)
        assert caught.value.message == "NonRepresentableMessage"
        with pytest.raises(UnknownExecutionStatus) as unknown:
            await client.order_place(
                symbol=SYMBOL,
                side="BUY",
                type="LIMIT",
                time_in_force="GTC",
                price=Decimal("49000"),
                quantity=Decimal("0.001"),
                new_client_order_id="sbe-nonrep-1",
            )
        assert unknown.value.client_order_id == "sbe-nonrep-1"
        assert "not representable" in str(unknown.value)
        await client.ping()  # the connection is still usable


async def test_a_json_client_asks_for_json_and_gets_text(emulator: Emulator, ed25519_key: Ed25519Key) -> None:
    async with AsyncClient(url=emulator.url, key=ed25519_key, timeout=5) as client:
        assert client.response_format == "json"
        assert "responseFormat" not in client.url
        assert (await client.time()).server_time > 0
    assert emulator.binary_answers == 0


def test_response_format_is_checked() -> None:
    with pytest.raises(ValueError, match="response_format"):
        AsyncClient(url="ws://127.0.0.1:1/ws-api/v3", response_format="xml")  # type: ignore[arg-type]
