"""The wire trace (logger `binance_ws.wire`, DEBUG) never shows a secret; the `on_request` hook."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest

from binance_spot_ws import AsyncClient, BadRequest, Client, Ed25519Key, HmacKey, ParamError
from binance_ws import RequestInfo
from binance_ws_emulator import DOCS_HMAC_SECRET, Emulator


class _Capture(logging.Handler):
    """Formats every record as an application's handler would (args included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[_Capture]:
    handler = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # every library's DEBUG output, not only ours
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.fixture
def signatures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every signature the keys produce during the test."""
    made: list[str] = []
    for cls in (HmacKey, Ed25519Key):
        original = cls.sign

        def recording(self: object, payload: bytes, _original: object = original) -> str:
            value: str = _original(self, payload)  # type: ignore[operator]
            made.append(value)
            return value

        monkeypatch.setattr(cls, "sign", recording)
    return made


@pytest.mark.parametrize("transport", ["httpx-ws", "websockets"])
async def test_the_wire_trace_shows_frames_but_no_secret(
    emulator: Emulator,
    hmac_key: HmacKey,
    ed25519_key: Ed25519Key,
    captured: _Capture,
    signatures: list[str],
    transport: str,
) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key, transport=transport) as client:  # type: ignore[arg-type]
        await client.order_place(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.001"))
        await client.account_status()
        await client.user_data_stream_subscribe_signature()
    async with AsyncClient(url=emulator.url, key=ed25519_key, transport=transport) as client:  # type: ignore[arg-type]
        await client.session_logon()
        await client.session_status()
        await client.user_data_stream_subscribe()
        await client.order_place(symbol="BTCUSDT", side="SELL", type="MARKET", quantity=Decimal("0.001"))
        await client.next_event()
    wire = [line for line in captured.lines if line.startswith("binance_ws.wire ")]
    assert any("send" in line and '"method":"order.place"' in line for line in wire)
    assert any("recv" in line and '"status":200' in line for line in wire)
    assert any('"signature":"<redacted>"' in line for line in wire)
    assert any('"apiKey":"<redacted>"' in line for line in wire)
    assert len(signatures) >= 4
    secrets = [hmac_key.api_key, DOCS_HMAC_SECRET, ed25519_key.api_key, *signatures]
    for line in captured.lines:
        for secret in secrets:
            assert secret not in line, f"a secret in a log line of {line.split()[0]}"
        assert not re.search(r'"(apiKey|signature|listenKey)"\s*:\s*"(?!<redacted>")', line)


async def test_no_wire_trace_unless_debug_is_on(emulator: Emulator, captured: _Capture) -> None:
    logging.getLogger("binance_ws.wire").setLevel(logging.INFO)
    try:
        async with AsyncClient(url=emulator.url) as client:
            await client.time()
    finally:
        logging.getLogger("binance_ws.wire").setLevel(logging.NOTSET)
    assert not [line for line in captured.lines if line.startswith("binance_ws.wire ")]


async def test_on_request_reports_each_call(emulator: Emulator, hmac_key: HmacKey) -> None:
    seen: list[RequestInfo] = []
    async with AsyncClient(url=emulator.url, key=hmac_key, on_request=seen.append) as client:
        await client.time()
        await client.depth(symbol="BTCUSDT", limit=5000)
        with pytest.raises(BadRequest):
            await client.order_place(symbol="NOSUCH", side="BUY", type="MARKET", quantity=Decimal("1"))
        with pytest.raises(ParamError):  # refused before sending: not a request
            await client.depth(symbol="BTCUSDT", limit="x")  # type: ignore[arg-type]
    assert [(i.method, i.weight, i.outcome, i.ok) for i in seen] == [
        ("time", 1, "ok", True),
        ("depth", 250, "ok", True),
        ("order.place", 1, "BadRequest", False),
    ]
    assert seen[2].exception is BadRequest or issubclass(seen[2].exception or object, BadRequest)
    assert all(isinstance(i.request_id, int) for i in seen)
    assert len({i.request_id for i in seen}) == 3
    assert all(i.latency >= 0 for i in seen)


async def test_a_failing_on_request_hook_does_not_fail_the_call(emulator: Emulator) -> None:
    def broken(info: RequestInfo) -> None:
        raise RuntimeError("metrics backend down")

    async with AsyncClient(url=emulator.url, on_request=broken) as client:
        assert (await client.time()).server_time > 0


def test_on_request_on_the_blocking_client() -> None:
    seen: list[RequestInfo] = []
    with Emulator(seed=1) as exchange, Client(url=exchange.url, on_request=seen.append) as client:
        client.time()
    assert [(i.method, i.outcome) for i in seen] == [("time", "ok")]
