"""python-binance 1.0.x: every WebSocket API method its `AsyncClient.ws_*` helpers and user socket offer.

The library builds its ws-api URL from a constant, so its `ws_api` is replaced by one on the
local exchange's URL (as bench/run.py does); `AsyncClient.create()` is not called (it pings REST).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest
from binance import AsyncClient, BinanceSocketManager
from binance.exceptions import BinanceAPIException
from binance.ws.websocket_api import WebsocketAPI
from scenarios import SCENARIOS, Scenario
from world import DOCS_NON_ASCII_SYMBOL, SYMBOL, Credentials, World

from binance_ws_emulator import Emulator


def _offered() -> dict[str, str]:
    """wire method -> the ws_* helper that sends it (read from the library's own source)."""
    offered: dict[str, str] = {}
    for name, member in inspect.getmembers(AsyncClient, inspect.iscoroutinefunction):
        if not name.startswith("ws_") or name.startswith("ws_futures"):
            continue
        found = re.search(r'_ws_api_request\(\s*"([^"]+)"', inspect.getsource(member))
        if found:
            offered.setdefault(found.group(1), name)
    return offered


OFFERED = _offered()
#: Sent by the user socket (`BinanceSocketManager.user_socket()`), not by a ws_* helper.
USER_SOCKET = ("userDataStream.subscribe.signature", "userDataStream.unsubscribe")


def wire_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):  # the library signs str(value): a Python bool would be signed as "True"
        return "true" if value else "false"
    return value


@pytest.fixture
async def client(exchange: Emulator, world: World, credentials: Credentials) -> AsyncIterator[AsyncClient]:
    if credentials.kind == "hmac":
        connected = AsyncClient(credentials.api_key, credentials.secret)
    else:
        connected = AsyncClient(credentials.api_key, private_key=credentials.private_pem)
    connected.ws_api = WebsocketAPI(url=world.url, tld="com")
    yield connected
    # Its read loop notices a close only between 10-second receive timeouts; ending the server's side
    # of the connection once the close has begun lets it finish at once.
    closing = asyncio.create_task(connected.close_connection())
    await asyncio.sleep(0.05)
    exchange.close_connections(1000, "test over")
    await closing


def test_offered_methods_are_covered() -> None:
    assert set(OFFERED) <= set(SCENARIOS), set(OFFERED) - set(SCENARIOS)
    assert len(OFFERED) == 37, sorted(OFFERED)  # 37 helpers' methods, plus the user socket's two


COVERED = [SCENARIOS[wire] for wire in sorted(OFFERED)]


@pytest.mark.parametrize("key_type", ["hmac"], indirect=True)
@pytest.mark.parametrize("scenario", [s for s in COVERED if not s.signed], ids=lambda s: s.method)
async def test_public(scenario: Scenario, world: World, client: AsyncClient) -> None:
    params = {k: wire_value(v) for k, v in scenario.params(world).items()}
    scenario.check(await getattr(client, OFFERED[scenario.method])(**params), world)


@pytest.mark.parametrize("scenario", [s for s in COVERED if s.signed], ids=lambda s: s.method)
async def test_signed(scenario: Scenario, world: World, client: AsyncClient) -> None:
    params = {k: wire_value(v) for k, v in scenario.params(world).items()}
    scenario.check(await getattr(client, OFFERED[scenario.method])(**params), world)


@contextlib.contextmanager
def _bad_signature() -> Iterator[None]:
    """Let only an invalid-signature answer through: any other error fails the test (not an expected failure)."""
    try:
        yield
    except BinanceAPIException as error:
        assert error.code == -1022, error
        raise


@pytest.mark.xfail(
    raises=BinanceAPIException,
    strict=True,
    reason="python-binance signs str(value): a Python bool is signed as 'True' but sent as JSON true, so Binance "
    "(which signs 'true') answers -1022; pass the string 'true' instead",
)
async def test_python_bool_parameter(world: World, client: AsyncClient) -> None:
    with _bad_signature():
        await client.ws_get_account(omitZeroBalances=True)


@pytest.mark.xfail(
    raises=BinanceAPIException,
    strict=True,
    reason="python-binance URL-encodes values before signing (urlencode), so a value with a reserved character "
    "(here the non-ASCII symbol of the docs' signing example) is signed percent-encoded but sent raw: -1022",
)
async def test_url_encoded_signature(world: World, client: AsyncClient) -> None:
    with _bad_signature():
        await client.ws_create_test_order(
            symbol=DOCS_NON_ASCII_SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", price="0.1", quantity="1"
        )


async def test_user_socket_receives_execution_report(world: World, client: AsyncClient) -> None:
    socket = BinanceSocketManager(client).user_socket()
    async with socket as stream:
        order = await client.ws_create_order(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            price="45000",
            quantity="0.001",
            newClientOrderId="conformance-stream-1",
        )
        while True:
            event = await asyncio.wait_for(stream.recv(), 5)
            if event.get("e") == "executionReport":
                break
    assert event["i"] == order["orderId"] and event["c"] == "conformance-stream-1", event
    assert event["x"] == "NEW" and event["X"] == "NEW" and event["s"] == SYMBOL and Decimal(event["p"]) == 45000, event
