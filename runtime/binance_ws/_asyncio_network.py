"""An httpcore network backend on plain asyncio transports, for the httpx clients the SDK makes.

httpcore's default backend goes through anyio: a task group and a task per TCP connect
(happy eyeballs), a cancel scope per read and write, reading paused and resumed around
every read, TLS in anyio's own memory-BIO layer. For the one request a WebSocket
connection makes (the upgrade) that is most of httpx's cost: about a third more loop
iterations and CPU than connecting with asyncio directly. This backend connects with
`loop.create_connection` (happy eyeballs as anyio's, 0.25 s), upgrades to TLS with
`loop.start_tls` and reads into a buffer from the protocol's callback.

Only the SDK's own clients use it, and only for their direct connections: proxies
(configured through the environment, as httpx reads it) keep httpx's proxy transports,
and a user's `http_client` is used as given. After the upgrade, `_transport_httpx`
takes the asyncio transport over (`AsyncioStream.transport`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import sys
import typing

import httpcore

_HAPPY_EYEBALLS_DELAY = 0.25  # anyio's default


class _Receiver(asyncio.Protocol):
    """Buffers what arrives and wakes the one reader waiting for it."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[None] | None = None
        self.eof = False
        self.error: BaseException | None = None

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._wake()

    def eof_received(self) -> bool | None:
        self.eof = True
        self._wake()
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _expire(waiter: asyncio.Future[None], error: Exception) -> None:
    if not waiter.done():
        waiter.set_exception(error)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection: `transport` (TCP, or TLS over it) and the `receiver` that buffers its bytes."""

    def __init__(self, transport: asyncio.Transport, receiver: _Receiver) -> None:
        self.transport = transport
        self.receiver = receiver

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        receiver = self.receiver
        while not receiver.buffer:
            if receiver.error is not None:
                raise httpcore.ReadError(str(receiver.error)) from receiver.error
            if receiver.eof:
                return b""
            loop = asyncio.get_running_loop()
            waiter = receiver.waiter = loop.create_future()
            timer = None if timeout is None else loop.call_later(timeout, _expire, waiter, httpcore.ReadTimeout())
            try:
                await waiter
            finally:
                receiver.waiter = None
                if timer is not None:
                    timer.cancel()
        data = bytes(receiver.buffer[:max_bytes])
        del receiver.buffer[:max_bytes]
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self.transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self.transport.write(buffer)  # one request's headers: never more than the socket takes

    async def aclose(self) -> None:
        self.transport.abort()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            transport = await loop.start_tls(
                self.transport,
                self.receiver,
                ssl_context,
                server_hostname=server_hostname,
                ssl_handshake_timeout=timeout,
            )
        except (OSError, ssl.SSLError) as exc:
            self.transport.abort()
            raise httpcore.ConnectError(str(exc)) from exc
        if transport is None:  # pragma: no cover - only when the transport closed meanwhile
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        return AsyncioStream(transport, self.receiver)

    def get_extra_info(self, info: str) -> typing.Any:
        transport = self.transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":
            return bool(self.receiver.buffer) or self.receiver.eof
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Connections on asyncio transports, mapped to httpcore's errors as its own backend maps them."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        connecting = loop.create_connection(
            _Receiver,
            host,
            port,
            local_addr=(local_address, 0) if local_address else None,
            # One address needs no race (asyncio's would start a task for it).
            happy_eyeballs_delay=None if _is_ip(host) else _HAPPY_EYEBALLS_DELAY,
        )
        stream = AsyncioStream(*await _within(connecting, timeout, f"{host}:{port}"))
        for option in socket_options or ():  # as httpcore's own backend: once connected
            stream.transport.get_extra_info("socket").setsockopt(*option)
        return stream

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - the SDK's clients connect over TCP
        stream = AsyncioStream(
            *await _within(asyncio.get_running_loop().create_unix_connection(_Receiver, path), timeout, path)
        )
        for option in socket_options or ():
            stream.transport.get_extra_info("socket").setsockopt(*option)
        return stream

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _within(
    connecting: typing.Awaitable[tuple[asyncio.Transport, _Receiver]], timeout: float | None, where: str
) -> tuple[asyncio.Transport, _Receiver]:
    try:
        if timeout is None:
            return await connecting
        if sys.version_info >= (3, 11):
            async with asyncio.timeout(timeout):  # no task of its own, unlike wait_for
                return await connecting
        return await asyncio.wait_for(connecting, timeout)  # pragma: no cover - Python 3.10
    except asyncio.TimeoutError as exc:  # the builtin TimeoutError from 3.11 on, not before
        raise httpcore.ConnectTimeout(f"no connection to {where} within {timeout} s") from exc
    except OSError as exc:
        raise httpcore.ConnectError(str(exc)) from exc
