"""Every transport: the optional `websockets` and `picows` ones keep every connection-life guarantee
of the default one, and all survive what their fast paths must handle (fragments, bursts)."""

from __future__ import annotations

import asyncio
import importlib.abc
import json
import sys
from decimal import Decimal
from typing import Any

import pytest

from binance_spot_ws import (
    AsyncClient,
    BadRequest,
    ConnectionState,
    ErrorCode,
    HmacKey,
    ReconnectPolicy,
    UnknownExecutionStatus,
    types,
)
from binance_ws._transport import TransportName
from binance_ws_emulator import Emulator
from tests.client._helpers import limit_buy

FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)
ALL = ["httpx-ws", "websockets", "picows"]
OPTIONAL = ["websockets", "picows"]


def _needs(transport: TransportName) -> None:
    if transport == "picows":
        pytest.importorskip("picows")


@pytest.mark.parametrize("transport", OPTIONAL)
async def test_drop_resends_reads_and_never_orders(
    emulator: Emulator, hmac_key: HmacKey, transport: TransportName
) -> None:
    _needs(transport)
    async with AsyncClient(url=emulator.url, key=hmac_key, reconnect=FAST, transport=transport) as client:
        emulator.faults.drop_after_requests = 1
        assert len((await client.depth(symbol="BTCUSDT", limit=2)).bids) == 2
        assert emulator.requests["depth"] == 2
        emulator.faults.drop_after_requests = 1
        with pytest.raises(UnknownExecutionStatus):
            await client.order_place(
                symbol="BTCUSDT",
                side="BUY",
                type="LIMIT",
                time_in_force="GTC",
                price=Decimal("40000.00"),
                quantity=Decimal("0.001"),
            )
        await asyncio.sleep(0.05)
        assert emulator.requests["order.place"] == 1


@pytest.mark.parametrize("transport", OPTIONAL)
async def test_dead_peer_and_rotation(hmac_key: HmacKey, transport: TransportName) -> None:
    _needs(transport)
    states: list[ConnectionState] = []
    async with Emulator(seed=1) as emulator:
        emulator.faults.answer_pings = False
        async with AsyncClient(
            url=emulator.url,
            key=hmac_key,
            keepalive_interval=0.1,
            keepalive_timeout=0.2,
            reconnect=FAST,
            max_lifetime=0.5,
            transport=transport,
            on_connection_event=lambda e: states.append(e.state),
        ) as client:
            await asyncio.sleep(0.6)
            assert ConnectionState.RECONNECTING in states
            emulator.faults.answer_pings = True
            for _ in range(40):
                await client.time()
                await asyncio.sleep(0.03)
            assert ConnectionState.ROTATING in states


@pytest.mark.parametrize("transport", ALL)
async def test_fragmented_responses_are_reassembled(transport: TransportName) -> None:
    """A server may split a message into continuation frames; the client sees one response."""
    _needs(transport)
    from websockets.asyncio.server import ServerConnection, serve

    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            request_id = json.loads(message)["id"]
            text = json.dumps({"id": request_id, "status": 200, "result": {"serverTime": 1234567}})
            await ws.send(iter([text[:10], text[10:25], text[25:]]))  # three frames, one message

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with AsyncClient(url=f"ws://127.0.0.1:{port}/", keepalive_interval=None, transport=transport) as client:
            times = await asyncio.gather(*(client.time() for _ in range(20)))
            assert {t.server_time for t in times} == {1234567}


@pytest.mark.parametrize("transport", ALL)
async def test_a_response_larger_than_one_read_arrives_whole(transport: TransportName) -> None:
    """One 1 MiB frame spans many socket reads (httpx-ws reads 64 KiB at a time)."""
    _needs(transport)
    from websockets.asyncio.server import ServerConnection, serve

    padding = "x" * (1 << 20)

    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            request_id = json.loads(message)["id"]
            await ws.send(json.dumps({"id": request_id, "status": 200, "result": {"serverTime": 7, "pad": padding}}))

    async with serve(handler, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        async with AsyncClient(url=f"ws://127.0.0.1:{port}/", keepalive_interval=None, transport=transport) as client:
            times = await asyncio.gather(*(client.time() for _ in range(3)))
            assert [t.server_time for t in times] == [7, 7, 7]


@pytest.mark.parametrize("transport", ALL)
async def test_a_burst_of_orders_is_sent_exactly_once_each(
    emulator: Emulator, hmac_key: HmacKey, transport: TransportName
) -> None:
    """Many frames written at once (the httpx-ws session coalesces them into fewer writes):
    every order reaches the exchange once and every caller gets its own answer."""
    _needs(transport)
    async with AsyncClient(url=emulator.url, key=hmac_key, transport=transport) as client:
        orders = await asyncio.gather(*(limit_buy(client, Decimal("20000.00") + i, f"burst-{i}") for i in range(40)))
        assert [o.client_order_id for o in orders] == [f"burst-{i}" for i in range(40)]
        assert [o.price for o in orders] == [Decimal("20000.00") + i for i in range(40)]
        assert emulator.requests["order.place"] == 40
        open_orders = await client.open_orders_status(symbol="BTCUSDT")
        assert sorted(o.client_order_id for o in open_orders if o.client_order_id.startswith("burst-")) == sorted(
            f"burst-{i}" for i in range(40)
        )


@pytest.mark.parametrize("transport", ALL)
async def test_a_drop_in_the_middle_of_a_burst_loses_and_duplicates_nothing(
    emulator: Emulator, hmac_key: HmacKey, transport: TransportName
) -> None:
    """Orders and reads in flight together when the connection drops: every read is answered
    (sent again), every order either has its answer or is flagged unknown, and reconciling by
    client order id finds each executed order exactly once."""
    _needs(transport)
    async with AsyncClient(url=emulator.url, key=hmac_key, transport=transport, reconnect=FAST) as client:
        emulator.faults.drop_after_requests = 9
        emulator.faults.drop_after_execute = True
        calls: list[Any] = []
        for i in range(8):
            calls.append(limit_buy(client, Decimal("21000.00") + i, f"drop-{i}"))
            calls.append(client.depth(symbol="BTCUSDT", limit=1 + i % 5))
        results = await asyncio.gather(*calls, return_exceptions=True)
        books, orders = results[1::2], results[0::2]
        assert [len(b.bids) for b in books] == [1 + i % 5 for i in range(8)]  # type: ignore[union-attr]
        answered = {o.client_order_id for o in orders if isinstance(o, types.OrderResponse)}
        unknown = [o for o in orders if isinstance(o, UnknownExecutionStatus)]
        assert len(answered) + len(unknown) == 8 and unknown  # nothing else, and the drop hit some
        executed = set(answered)
        for flagged in unknown:
            assert flagged.client_order_id is not None
            try:
                found = await client.order_status(symbol="BTCUSDT", orig_client_order_id=flagged.client_order_id)
                executed.add(found.client_order_id)
            except BadRequest as missing:
                assert missing.code == ErrorCode.NO_SUCH_ORDER
        assert emulator.requests["order.place"] == len(executed)  # each executed order was sent once
        open_orders = await client.open_orders_status(symbol="BTCUSDT")
        assert sorted(o.client_order_id for o in open_orders if o.client_order_id.startswith("drop-")) == sorted(
            executed
        )


class _ImportRecorder(importlib.abc.MetaPathFinder):
    """Records every module name the import system had to search for (not found in sys.modules)."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        self.searched.append(fullname)
        return None  # leaves the search to the real finders


async def test_connecting_searches_for_no_module(emulator: Emulator) -> None:
    """A connect after the first imports nothing: httpcore's `import sniffio` per lock and
    connection is a dictionary hit (sniffio is a dependency), not a failed search of sys.path."""
    async with AsyncClient(url=emulator.url) as first:
        await first.time()
    recorder = _ImportRecorder()
    sys.meta_path.insert(0, recorder)
    try:
        async with AsyncClient(url=emulator.url) as client:
            await client.time()
    finally:
        sys.meta_path.remove(recorder)
    assert recorder.searched == []
