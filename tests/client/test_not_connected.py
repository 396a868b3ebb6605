"""A call on a client that is not connected fails at once and says how to connect."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from binance_spot_ws import AsyncClient, Client, ConnectionClosed, RequestTimeout
from binance_ws_emulator import Emulator


async def test_async_client_never_entered_says_how_to_connect(emulator: Emulator) -> None:
    client = AsyncClient(url=emulator.url, timeout=3)
    with pytest.raises(ConnectionClosed, match=r"not connected; call `async with AsyncClient\(\.\.\.\)`"):
        await client.time()
    assert emulator.requests.get("time", 0) == 0
    async with client:  # the same client works once connected
        assert (await client.time()).server_time > 0


def test_blocking_client_never_entered_says_how_to_connect() -> None:
    with Emulator(seed=1) as exchange:
        client = Client(url=exchange.url, timeout=3)
        try:
            with pytest.raises(ConnectionClosed, match=r"not connected; use `with Client\(\.\.\.\)`"):
                client.time()
            assert exchange.requests.get("time", 0) == 0
        finally:
            client.close()


async def test_after_a_failed_connect_calls_fail_at_once() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)  # refuses every handshake
    port = server.sockets[0].getsockname()[1]
    client = AsyncClient(url=f"ws://127.0.0.1:{port}", timeout=3)
    try:
        with pytest.raises(Exception):  # noqa: B017 - the connect error itself is not the point
            await client.connect()
        with pytest.raises(ConnectionClosed, match="not connected"):
            await client.time()
    finally:
        await client.close()
        server.close()


async def test_a_call_while_connecting_says_connecting() -> None:
    accepted = asyncio.Event()
    writers: list[asyncio.StreamWriter] = []

    def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)  # accept TCP, never answer the upgrade
        accepted.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = AsyncClient(url=f"ws://127.0.0.1:{port}", timeout=30)
    connecting = asyncio.create_task(client.connect())
    try:
        await accepted.wait()
        with client.request_timeout(0.2), pytest.raises(RequestTimeout, match="still connecting"):
            await client.time()
    finally:
        connecting.cancel()
        with contextlib.suppress(BaseException):
            await connecting
        await client.close()
        for writer in writers:
            writer.close()
        server.close()
