"""Over TLS (`wss://`, as in production): the default transport's own session reads and writes
through httpx's TLS stream, so the fast paths are exercised there too."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from binance_spot_ws import AsyncClient, HmacKey, ReconnectPolicy, TransportError, UnknownExecutionStatus
from binance_ws_emulator import Emulator
from binance_ws_emulator.tls import self_signed_certificate, server_context
from tests.client._helpers import limit_buy


@pytest.fixture
async def tls(tmp_path: Path) -> AsyncIterator[tuple[Emulator, httpx.AsyncClient]]:
    cert, key = self_signed_certificate(tmp_path)
    client_context = ssl.create_default_context(cafile=str(cert))
    async with (
        Emulator(seed=1, ssl=server_context(cert, key)) as emulator,
        httpx.AsyncClient(verify=client_context) as http,
    ):
        yield emulator, http


async def test_orders_over_tls_are_sent_once_each(tls: tuple[Emulator, httpx.AsyncClient], hmac_key: HmacKey) -> None:
    emulator, http = tls
    assert emulator.url.startswith("wss://")
    async with AsyncClient(url=emulator.url, key=hmac_key, http_client=http) as client:
        books = await asyncio.gather(*(client.depth(symbol="BTCUSDT", limit=1 + i % 5) for i in range(30)))
        assert [len(b.bids) for b in books] == [1 + i % 5 for i in range(30)]
        orders = await asyncio.gather(*(limit_buy(client, Decimal("20000.00") + i) for i in range(25)))
        assert len({o.order_id for o in orders}) == 25
        assert emulator.requests["order.place"] == 25


async def test_drop_over_tls_resends_reads_and_never_orders(
    tls: tuple[Emulator, httpx.AsyncClient], hmac_key: HmacKey
) -> None:
    emulator, http = tls
    fast = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)
    async with AsyncClient(url=emulator.url, key=hmac_key, http_client=http, reconnect=fast) as client:
        emulator.faults.drop_after_requests = 1
        assert len((await client.depth(symbol="BTCUSDT", limit=2)).bids) == 2
        assert emulator.requests["depth"] == 2  # lost with the connection, sent again on the next
        emulator.faults.drop_after_requests = 1
        with pytest.raises(UnknownExecutionStatus):
            await client.order_place(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.001"))
        await asyncio.sleep(0.05)
        assert emulator.requests["order.place"] == 1


async def test_an_untrusted_certificate_is_refused(tls: tuple[Emulator, httpx.AsyncClient]) -> None:
    emulator, _ = tls
    with pytest.raises(TransportError):  # the system trust store does not know the test CA
        async with AsyncClient(url=emulator.url, timeout=3):
            pass


@pytest.mark.parametrize("generated", [False, True])
async def test_emulator_command_serves_tls(tmp_path: Path, generated: bool) -> None:
    if generated:
        options = ["--tls"]
    else:
        cert, key = self_signed_certificate(tmp_path)
        options = ["--tls-cert", str(cert), "--tls-key", str(key)]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "binance_ws_emulator", *options, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        if generated:  # it says where its certificate is
            cert = Path(line.split("certificate: ", 1)[1].split(" ", 1)[0])
            line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        url = line.split("listening on ", 1)[1].strip()
        assert url.startswith("wss://127.0.0.1:")
        context = ssl.create_default_context(cafile=str(cert))
        async with httpx.AsyncClient(verify=context) as http, AsyncClient(url=url, http_client=http) as client:
            assert (await client.time()).server_time > 0
    finally:
        process.terminate()
        await process.wait()


def test_emulator_command_rejects_an_unreadable_certificate(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "binance_ws_emulator", "--tls-cert", str(tmp_path / "missing.pem")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "cannot load --tls-cert" in done.stderr


async def test_picows_trusts_ssl_cert_file_and_refuses_without_it(
    tmp_path: Path, hmac_key: HmacKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """picows builds its own (shared) TLS context: it honours SSL_CERT_FILE, as websockets does."""
    pytest.importorskip("picows")
    cert, key = self_signed_certificate(tmp_path)
    async with Emulator(seed=1, ssl=server_context(cert, key)) as emulator:
        with pytest.raises(TransportError):  # the system trust store does not know the test CA
            async with AsyncClient(url=emulator.url, timeout=3, transport="picows"):
                pass
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        async with AsyncClient(url=emulator.url, key=hmac_key, transport="picows") as client:
            orders = await asyncio.gather(*(limit_buy(client, Decimal("20000.00") + i) for i in range(10)))
            assert len({o.order_id for o in orders}) == 10
            assert emulator.requests["order.place"] == 10


@pytest.mark.parametrize("transport", ["httpx-ws", "websockets", "picows"])
async def test_one_tls_context_for_every_client_and_none_for_ws(
    tmp_path: Path, hmac_key: HmacKey, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    """Loading a trust store costs tens of ms and hundreds of KiB: clients share one context,
    created on the first wss:// connect; ws:// clients load none."""
    if transport != "httpx-ws":
        pytest.importorskip(transport)
    import binance_ws._tls
    import binance_ws._transport_httpx

    cert, key = self_signed_certificate(tmp_path)
    server = server_context(cert, key)
    built: list[str] = []
    if transport == "httpx-ws":  # httpx's own default trust (certifi or SSL_CERT_FILE), as before
        real_httpx = httpx.create_ssl_context
        monkeypatch.setattr(httpx, "create_ssl_context", lambda *a, **k: built.append("httpx") or real_httpx(*a, **k))
    else:
        real_default = ssl.create_default_context
        monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: built.append("ssl") or real_default(*a, **k))
    monkeypatch.setattr(binance_ws._tls, "_CONTEXTS", {})
    monkeypatch.setattr(binance_ws._transport_httpx, "_CONTEXTS", {})
    async with Emulator(seed=1) as plain:
        for _ in range(3):
            async with AsyncClient(url=plain.url, key=hmac_key, transport=transport) as client:  # type: ignore[arg-type]
                assert (await client.time()).server_time > 0
    assert built == []
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    async with Emulator(seed=1, ssl=server) as secure:
        for _ in range(3):
            async with AsyncClient(url=secure.url, key=hmac_key, transport=transport) as client:  # type: ignore[arg-type]
                assert (await client.time()).server_time > 0
    assert len(built) == 1, built
