"""At DEBUG, on every transport, no log record holds a secret, in its message or in its args, and no
record keeps an exception (or its traceback, and through it the client) alive."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from binance_spot_ws import AsyncClient, HmacKey, ReconnectPolicy
from binance_ws import signature_payload
from binance_ws._transport import TransportName
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator
from tests.client._helpers import ALL_TRANSPORTS, limit_buy


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        """Everything a structured handler could print: message, raw args, every attribute."""
        return "\n".join(f"{r.getMessage()} {r.msg!r} {r.args!r} {vars(r)!r}" for r in self.records)


@pytest.fixture
def keep() -> Iterator[_Keep]:
    handler = _Keep()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


@pytest.mark.parametrize("transport", ALL_TRANSPORTS)
async def test_no_secret_in_any_record_at_debug(emulator: Emulator, keep: _Keep, transport: TransportName) -> None:
    key = HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)
    frames: list[str] = []
    async with AsyncClient(url=emulator.url, key=key, transport=transport) as client:
        original = client.protocol.frame

        def spy(*args: Any, **kwargs: Any) -> str:
            frames.append(original(*args, **kwargs))
            return frames[-1]

        client.protocol.frame = spy  # type: ignore[method-assign]
        await client.account_status()
        await limit_buy(client, Decimal("40000.00"))
    signed = [json.loads(f)["params"] for f in frames]
    secrets = [DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET]
    for params in signed:
        secrets.append(params["signature"])
        secrets.append(signature_payload(params).decode())
    assert len(signed) == 2 and keep.records
    text = keep.text()
    leaked = [s[:12] for s in secrets if s in text]
    assert not leaked


async def test_log_records_carry_text_not_exceptions(emulator: Emulator, keep: _Keep) -> None:
    def failing_callback(event: object) -> None:
        raise RuntimeError("callback bug")

    async with AsyncClient(
        url=emulator.url,
        reconnect=ReconnectPolicy(initial_delay=0.01),
        on_connection_event=failing_callback,
        on_user_data=failing_callback,
    ) as client:
        emulator.drop_connections()
        await asyncio.sleep(0.05)
        assert (await client.time()).server_time > 0
    ours = [r for r in keep.records if r.name.startswith("binance_ws")]
    assert any("callback failed" in r.getMessage() and "callback bug" in r.getMessage() for r in ours)
    assert any("connection lost" in r.getMessage() for r in ours)
    for record in ours:
        assert record.exc_info is None, record.getMessage()
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        assert not [a for a in args if isinstance(a, BaseException)], record.getMessage()
