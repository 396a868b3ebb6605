"""This project's own client (`binance_spot_ws.AsyncClient`) through the same scenarios as the others."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from scenarios import FLOWS, SCENARIOS, Scenario
from world import DOCS_NON_ASCII_SYMBOL, SYMBOL, Credentials, World

from binance_spot_ws import AsyncClient, BadRequest, Ed25519Key, HmacKey, RsaKey, _methods
from binance_spot_ws.types import ExecutionReport
from binance_ws import Method

#: wire name -> (python method name, Method descriptor)
METHODS: dict[str, tuple[str, Method[Any, Any]]] = {
    value.wire: (name.lower(), value) for name, value in vars(_methods).items() if isinstance(value, Method)
}
OFFERED = sorted(METHODS)


def sdk_key(credentials: Credentials) -> HmacKey | RsaKey | Ed25519Key:
    if credentials.kind == "hmac":
        return HmacKey(credentials.api_key, credentials.secret)
    if credentials.kind == "rsa":
        return RsaKey(credentials.api_key, credentials.private_key)
    return Ed25519Key(credentials.api_key, credentials.private_key)


async def call(client: AsyncClient, wire: str, params: dict[str, Any]) -> Any:
    name, method = METHODS[wire]
    kwargs = {method.wire_to_python[k]: v for k, v in params.items()}
    result = await getattr(client, name)(**kwargs)
    return msgspec.to_builtins(result)  # the wire shape: field names as sent, Decimals as strings


def test_every_offered_method_is_covered() -> None:
    assert sorted([*SCENARIOS, *FLOWS]) == OFFERED


PUBLIC = [s for s in SCENARIOS.values() if not s.signed]
SIGNED = [s for s in SCENARIOS.values() if s.signed]


@pytest.mark.parametrize("scenario", PUBLIC, ids=lambda s: s.method)
async def test_public(scenario: Scenario, world: World) -> None:
    async with AsyncClient(url=world.url, timeout=5) as client:
        scenario.check(await call(client, scenario.method, scenario.params(world)), world)


@pytest.mark.parametrize("scenario", SIGNED, ids=lambda s: s.method)
async def test_signed(scenario: Scenario, world: World, credentials: Credentials) -> None:
    async with AsyncClient(url=world.url, key=sdk_key(credentials), timeout=5) as client:
        scenario.check(await call(client, scenario.method, scenario.params(world)), world)


async def _execution_report(client: AsyncClient, client_order_id: str) -> ExecutionReport:
    async def first() -> ExecutionReport:
        async for event in client.user_data():
            if isinstance(event, ExecutionReport) and event.client_order_id == client_order_id:
                return event
        raise AssertionError("the user-data stream ended")

    return await asyncio.wait_for(first(), 5)


async def _place_and_see_report(client: AsyncClient) -> None:
    order = await client.order_place(
        symbol=SYMBOL,
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        price=Decimal("45000"),
        quantity=Decimal("0.001"),
        new_client_order_id="conformance-stream-1",
    )
    report = await _execution_report(client, "conformance-stream-1")
    assert report.order_id == order.order_id and report.execution_type == "NEW" and report.order_status == "NEW"
    assert report.symbol == SYMBOL and report.price == Decimal("45000") and report.side == "BUY"


async def test_session_logon_and_user_data_stream(world: World, ed25519: Credentials) -> None:
    async with AsyncClient(url=world.url, key=sdk_key(ed25519), timeout=5) as client:
        logged_on = await client.session_logon()
        assert logged_on.api_key == ed25519.api_key and logged_on.authorized_since
        status = await client.session_status()
        assert status.api_key == ed25519.api_key and status.user_data_stream is False
        subscription = await client.user_data_stream_subscribe()
        assert subscription.subscription_id >= 0
        listed = await client.session_subscriptions()
        assert [s.subscription_id for s in listed] == [subscription.subscription_id]
        await _place_and_see_report(client)
        await client.user_data_stream_unsubscribe(subscription_id=subscription.subscription_id)
        assert await client.session_subscriptions() == []
        logged_out = await client.session_logout()
        assert logged_out.api_key is None and logged_out.authorized_since is None


async def test_user_data_stream_by_signature(world: World, credentials: Credentials) -> None:
    async with AsyncClient(url=world.url, key=sdk_key(credentials), timeout=5) as client:
        subscription = await client.user_data_stream_subscribe_signature()
        listed = await client.session_subscriptions()
        assert [s.subscription_id for s in listed] == [subscription.subscription_id]
        await _place_and_see_report(client)
        await client.user_data_stream_unsubscribe()
        assert await client.session_subscriptions() == []


async def test_non_ascii_value_is_signed_raw(world: World, credentials: Credentials) -> None:
    """The control for the other clients' URL-encoding xfails: signed as raw UTF-8, the signature holds."""
    async with AsyncClient(url=world.url, key=sdk_key(credentials), timeout=5) as client:
        with pytest.raises(BadRequest) as caught:
            await client.order_test(
                symbol=DOCS_NON_ASCII_SYMBOL,
                side="BUY",
                type="LIMIT",
                time_in_force="GTC",
                price=Decimal("0.1"),
                quantity=Decimal("1"),
            )
    assert caught.value.code == -1121, caught.value  # past the signature check: the local exchange has no such symbol
