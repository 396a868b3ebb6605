"""The default transport after the upgrade: on a direct connection (TCP, or TLS over TCP) its
session takes the asyncio transport over from httpx's stream layers; on any other stream it keeps
reading and writing through httpx. Both behave the same towards the server and the caller."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import ssl
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from binance_spot_ws import AsyncClient, HmacKey, TransportError
from binance_ws_emulator import Emulator
from binance_ws_emulator.tls import self_signed_certificate, server_context
from tests.client._helpers import limit_buy


def _session(client: AsyncClient) -> Any:
    link = client._active  # pyright: ignore[reportPrivateUsage]
    assert link is not None
    return link.send.__self__  # the httpx-ws session whose send_text the link uses


@pytest.fixture
async def tls(tmp_path: Path) -> AsyncIterator[tuple[Emulator, httpx.AsyncClient]]:
    cert, key = self_signed_certificate(tmp_path)
    async with (
        Emulator(seed=1, ssl=server_context(cert, key)) as emulator,
        httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(cert))) as http,
    ):
        yield emulator, http


async def _burst(client: AsyncClient, emulator: Emulator) -> None:
    orders = await asyncio.gather(*(limit_buy(client, Decimal("20000.00") + i, f"direct-{i}") for i in range(30)))
    assert [o.client_order_id for o in orders] == [f"direct-{i}" for i in range(30)]
    assert emulator.requests["order.place"] == 30
    books = await asyncio.gather(*(client.depth(symbol="BTCUSDT", limit=1 + i % 5) for i in range(20)))
    assert [len(b.bids) for b in books] == [1 + i % 5 for i in range(20)]


async def test_a_plain_connection_is_taken_over(emulator: Emulator, hmac_key: HmacKey) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key) as client:
        direct = _session(client)._direct
        assert direct is not None and direct.tls is None
        assert direct.transport.get_protocol() is direct  # reads arrive in its callback, not through anyio
        await _burst(client, emulator)


async def test_a_tls_connection_is_taken_over(tls: tuple[Emulator, httpx.AsyncClient], hmac_key: HmacKey) -> None:
    emulator, http = tls
    async with AsyncClient(url=emulator.url, key=hmac_key, http_client=http) as client:
        direct = _session(client)._direct
        assert direct is not None and direct.tls is not None
        assert direct.transport.get_protocol() is direct
        await _burst(client, emulator)


class _Wrapped(httpcore.AsyncNetworkStream):
    """A network stream of a shape the session does not know (as a custom httpx transport may give)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self.inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self.inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self.inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _WrappingTransport(httpx.AsyncHTTPTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if "network_stream" in response.extensions:
            response.extensions["network_stream"] = _Wrapped(response.extensions["network_stream"])
        return response


async def test_any_other_stream_is_read_through_httpx(emulator: Emulator, hmac_key: HmacKey) -> None:
    async with (
        httpx.AsyncClient(transport=_WrappingTransport()) as http,
        AsyncClient(url=emulator.url, key=hmac_key, http_client=http) as client,
    ):
        session = _session(client)
        assert session._direct is None and isinstance(session.stream, _Wrapped)
        await _burst(client, emulator)


def _frame(opcode: int, payload: bytes) -> bytes:
    assert len(payload) < 126
    return bytes((0x80 | opcode, len(payload))) + payload


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    key = await reader.readexactly(4)
    masked = await reader.readexactly(length)
    return first & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(masked))


async def test_frames_sent_with_the_upgrade_response_are_read() -> None:
    """A server may send frames in the same packet as its 101 answer: the bytes httpx read past
    the response are the first the session parses (a ping here, answered with its payload)."""
    pongs: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        key = next(
            line.split(":", 1)[1].strip() for line in head.split("\r\n") if line.lower().startswith("sec-websocket-key")
        )
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n" + _frame(0x9, b"first")
        )
        try:
            while True:
                opcode, payload = await _read_frame(reader)
                if opcode == 0xA:
                    pongs.append(payload)
                elif opcode == 0x1:
                    request = json.loads(payload)
                    answer = {"id": request["id"], "status": 200, "result": {"serverTime": 42}}
                    writer.write(_frame(0x1, json.dumps(answer).encode()))
                elif opcode == 0x8:
                    return
        except asyncio.IncompleteReadError:
            return
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        async with AsyncClient(url=f"ws://127.0.0.1:{port}/", keepalive_interval=None) as client:
            assert _session(client)._direct is not None
            assert (await client.time()).server_time == 42
        assert pongs == [b"first"]


@pytest.fixture(params=["ws", "wss"])
def scheme(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, ssl.SSLContext | None, ssl.SSLContext | None]:
    """The URL scheme, and the server's and client's TLS contexts for wss://."""
    if request.param == "ws":
        return "ws", None, None
    cert, key = self_signed_certificate(tmp_path)
    return "wss", server_context(cert, key), ssl.create_default_context(cafile=str(cert))


async def test_large_messages_both_ways_arrive_whole(
    scheme: tuple[str, ssl.SSLContext | None, ssl.SSLContext | None],
) -> None:
    """24 MB of requests written while the server does not read yet (the socket's buffers fill and
    senders wait for them to drain), answered with 1 MiB frames that span many reads (and TLS
    records): every caller gets its own whole answer."""
    from websockets.asyncio.server import ServerConnection, serve

    name, server_tls, client_tls = scheme
    padding = "y" * (1 << 20)

    async def handler(ws: ServerConnection) -> None:
        await asyncio.sleep(0.3)  # let the client's writes back up
        async for message in ws:
            request = json.loads(message)
            result = {"size": len(request["params"]["pad"]), "pad": padding}
            await ws.send(json.dumps({"id": request["id"], "status": 200, "result": result}))

    async with (
        serve(handler, "127.0.0.1", 0, max_size=None, ssl=server_tls) as server,
        httpx.AsyncClient(verify=client_tls or True) as http,
    ):
        port = server.sockets[0].getsockname()[1]
        url = f"{name}://127.0.0.1:{port}/"
        async with AsyncClient(url=url, keepalive_interval=None, http_client=http, timeout=30) as client:
            assert _session(client)._direct is not None
            sizes = [300_000 + i for i in range(80)]
            first = [asyncio.ensure_future(client.request_raw("bench.pad", {"pad": "x" * n})) for n in sizes[:40]]
            for _ in range(3):
                await asyncio.sleep(0)  # the first burst is written (and backs up)
            rest = [client.request_raw("bench.pad", {"pad": "x" * n}) for n in sizes[40:]]  # these wait for the drain
            answers = await asyncio.gather(*first, *rest)
            assert [a["size"] for a in answers] == sizes
            assert all(a["pad"] == padding for a in answers)


async def test_the_sdks_own_client_connects_on_asyncio_and_verifies_tls(
    tmp_path: Path, hmac_key: HmacKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an `http_client`, the connection is made on asyncio (`AsyncioBackend`): the
    certificate is still verified against httpx's trust (here SSL_CERT_FILE), TLS is asyncio's."""
    import binance_ws._transport_httpx
    from binance_ws._asyncio_network import AsyncioStream

    monkeypatch.setattr(binance_ws._transport_httpx, "_CONTEXTS", {})
    cert, key = self_signed_certificate(tmp_path)
    async with Emulator(seed=1, ssl=server_context(cert, key)) as emulator:
        with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):  # not a CA httpx trusts
            async with AsyncClient(url=emulator.url, timeout=3):
                pass
        monkeypatch.setattr(binance_ws._transport_httpx, "_CONTEXTS", {})
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        async with AsyncClient(url=emulator.url, key=hmac_key) as client:
            session = _session(client)
            assert type(session.stream.original._stream) is AsyncioStream
            direct = session._direct
            assert direct.tls is None and direct.transport.get_extra_info("ssl_object") is not None
            await _burst(client, emulator)


async def test_a_refused_connection_is_a_transport_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()  # nothing listens on the port now
    with pytest.raises(TransportError, match=f"cannot connect to ws://127.0.0.1:{port}/: ConnectError"):
        async with AsyncClient(url=f"ws://127.0.0.1:{port}/", timeout=3):
            pass


async def test_a_proxy_from_the_environment_is_still_used(
    tmp_path: Path, hmac_key: HmacKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx reads proxies from the environment for the SDK's own client: they keep httpx's proxy
    transport (wss:// through an HTTP proxy's CONNECT tunnel), and the connection is still taken over."""
    import binance_ws._transport_httpx

    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setattr(binance_ws._transport_httpx, "_CONTEXTS", {})
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    relayed: list[bytes] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
        finally:
            writer.close()

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n", 1)[0].split(b" ")
        relayed.append(method + b" " + target)
        host, port = target.decode().rsplit(":", 1)  # httpcore tunnels ws:// with CONNECT host:port
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with server, Emulator(seed=1, ssl=server_context(cert, key)) as emulator:
        async with AsyncClient(url=emulator.url, key=hmac_key) as client:
            direct = _session(client)._direct
            assert direct is not None and direct.tls is not None  # anyio's TLS through the tunnel
            await _burst(client, emulator)
        authority = emulator.url.split("//", 1)[1].split("/", 1)[0]
    assert relayed == [f"CONNECT {authority}".encode()]
