"""User-data events in an SBE session: binary event messages, decoded into the same typed events."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import msgspec

from binance_spot_ws import AsyncClient, Ed25519Key, types
from binance_ws_emulator import Emulator
from tests.sbe.test_client_sbe import assert_same

SYMBOL = "BTCUSDT"
#: executionReport fields the SBE message always has, JSON only when they are not the default:
#: prevented quantity, used SOR, counter symbol, working floor, match type, order capacity (`y`).
EVENT_SBE_ONLY = frozenset({"A", "uS", "Cs", "k", "b", "y"})


async def collect(client: AsyncClient, count: int) -> list[Any]:
    events = client.user_data()
    return [await asyncio.wait_for(anext(events), 5) for _ in range(count)]


async def test_events_are_the_same_typed_events_as_json(emulator: Emulator, ed25519_key: Ed25519Key) -> None:
    async with (
        AsyncClient(url=emulator.url, key=ed25519_key, timeout=5) as json_client,
        AsyncClient(url=emulator.url, key=ed25519_key, timeout=5, response_format="sbe") as sbe,
    ):
        for client in (json_client, sbe):
            await client.session_logon()
            await client.user_data_stream_subscribe()
        before = emulator.binary_answers
        placed = await json_client.order_place(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            price=Decimal("49000"),
            quantity=Decimal("0.01"),
        )
        await json_client.order_cancel(symbol=SYMBOL, order_id=placed.order_id)
        emulator.deposit("alice", "USDT", "25.5")
        from_json = await collect(json_client, 5)
        from_sbe = await collect(sbe, 5)
    assert [type(e) for e in from_json] == [type(e) for e in from_sbe]
    kinds = {type(e) for e in from_sbe}
    assert {types.ExecutionReport, types.OutboundAccountPosition, types.BalanceUpdate} <= kinds
    for a, b in zip(from_json, from_sbe, strict=True):
        assert_same(a, b, type(a).__name__, EVENT_SBE_ONLY)
    reports = [e for e in from_sbe if isinstance(e, types.ExecutionReport)]
    assert [r.order_status for r in reports] == ["NEW", "CANCELED"]
    assert reports[0].price == Decimal("49000") and reports[0].order_id == placed.order_id
    balance = next(e for e in from_sbe if isinstance(e, types.BalanceUpdate))
    assert msgspec.to_builtins(balance)["d"] == "25.50000000" or Decimal(msgspec.to_builtins(balance)["d"]) == Decimal(
        "25.5"
    )
    assert emulator.binary_answers == before  # the requests went through the JSON client
