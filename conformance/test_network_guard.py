"""The guard in conftest.py: nothing in this suite can reach a host that is not on this machine."""

from __future__ import annotations

import socket

import pytest
from conftest import REFUSED, NonLocalNetworkAccess


def test_resolving_binance_is_refused() -> None:
    with pytest.raises(NonLocalNetworkAccess, match=r"ws-api\.binance\.com"):
        socket.getaddrinfo("ws-api.binance.com", 443)
    assert REFUSED == ["resolve 'ws-api.binance.com'"]
    REFUSED.clear()  # expected here


def test_connecting_to_a_non_loopback_address_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(NonLocalNetworkAccess, match=r"203\.0\.113\.7"):
        sock.connect(("203.0.113.7", 443))  # refused before any packet leaves
    assert REFUSED == ["connect ('203.0.113.7', 443)"]
    REFUSED.clear()


def test_loopback_still_works() -> None:
    assert socket.getaddrinfo("127.0.0.1", 80)
    assert socket.getaddrinfo("localhost", 80)
