"""Fixtures of the conformance suite, and a guard that keeps every client on this machine.

The guard is installed before any client is imported: resolving or connecting to anything but
a loopback address raises `NonLocalNetworkAccess` (a test fails loudly instead of a client
quietly reaching Binance).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from world import KEY_TYPES, Credentials, KeyType, World, register_key, seed

from binance_ws_emulator import Emulator


class NonLocalNetworkAccess(RuntimeError):
    """A client tried to reach a host that is not on this machine."""


#: Every refusal, so one a client swallowed (a background task, a retry loop) still fails its test.
REFUSED: list[str] = []


def _is_loopback(host: Any) -> bool:
    if host is None:
        return True  # a local bind
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_loopback(host):
        REFUSED.append(f"resolve {host!r}")
        raise NonLocalNetworkAccess(f"refused to resolve {host!r}: the conformance suite stays on 127.0.0.1")
    return _getaddrinfo(host, *args, **kwargs)


def _check_address(address: Any) -> None:
    if isinstance(address, tuple) and not _is_loopback(address[0]):
        REFUSED.append(f"connect {address!r}")
        raise NonLocalNetworkAccess(f"refused to connect to {address!r}: the conformance suite stays on 127.0.0.1")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(address)
    _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(address)
    return _connect_ex(self, address)


socket.getaddrinfo = _guarded_getaddrinfo
socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _stays_local() -> Iterator[None]:
    REFUSED.clear()
    yield
    assert not REFUSED, f"a client tried to leave this machine: {REFUSED}"


@pytest.fixture
def exchange() -> Iterator[Emulator]:
    """A fresh local exchange in a background thread (so a client that blocks cannot stall it)."""
    with Emulator(seed=1) as running:
        yield running


@pytest.fixture
async def world(exchange: Emulator) -> World:
    return await seed(exchange)


@pytest.fixture(params=KEY_TYPES)
def key_type(request: pytest.FixtureRequest) -> KeyType:
    kind: KeyType = request.param
    return kind


@pytest.fixture
def credentials(exchange: Emulator, key_type: KeyType) -> Credentials:
    return register_key(exchange, key_type)


@pytest.fixture
def ed25519(exchange: Emulator) -> Credentials:
    return register_key(exchange, "ed25519")


@pytest.fixture
def hmac(exchange: Emulator) -> Credentials:
    return register_key(exchange, "hmac")
