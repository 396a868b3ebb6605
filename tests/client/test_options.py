"""Every client option is checked at construction: a bad one raises ValueError or TypeError naming it,
instead of hanging, spinning or failing late."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import httpx
import pytest

from binance_spot_ws import AsyncClient, Client, HmacKey, ReconnectPolicy

BAD_OPTIONS: list[tuple[str, Any, type[Exception]]] = [
    ("url", "http://example.com", ValueError),
    ("url", 5, TypeError),
    ("key", "my-api-key", TypeError),
    ("recv_window", "abc", TypeError),
    ("recv_window", 0, ValueError),
    ("recv_window", 70_000, ValueError),
    ("recv_window", Decimal("NaN"), ValueError),
    ("recv_window", Decimal("1.0001"), ValueError),
    ("timeout", math.nan, ValueError),
    ("timeout", 0, ValueError),
    ("timeout", -1, ValueError),
    ("timeout", "10", TypeError),
    ("http_client", object(), TypeError),
    ("rate_limit", "bogus", ValueError),
    ("max_in_flight", 0, ValueError),
    ("max_in_flight", -1, ValueError),
    ("max_in_flight", 1.5, TypeError),
    ("max_in_flight", True, TypeError),
    ("keepalive_interval", 0, ValueError),
    ("keepalive_interval", math.inf, ValueError),
    ("keepalive_timeout", -5, ValueError),
    ("max_lifetime", 0, ValueError),
    ("max_lifetime", -1, ValueError),
    ("max_lifetime", math.nan, ValueError),
    ("reconnect", {"initial_delay": 1}, TypeError),
    ("user_data_buffer", 0, ValueError),
    ("user_data_buffer", -3, ValueError),
    ("on_connection_event", "print", TypeError),
    ("on_user_data", 42, TypeError),
    ("sync_clock", "yes", TypeError),
    ("transport", "bogus", ValueError),
    ("max_message_size", 10, ValueError),
]


@pytest.mark.parametrize(
    ("name", "value", "error"),
    BAD_OPTIONS,
    ids=[f"{n}={type(v).__name__ if type(v) is object else repr(v)}" for n, v, _ in BAD_OPTIONS],
)
async def test_a_bad_option_is_refused_naming_it(name: str, value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=name):
        AsyncClient(**{name: value})


def test_the_blocking_client_refuses_the_same() -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        Client(rate_limit="bogus")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("initial_delay", 0),
        ("max_delay", math.nan),
        ("factor", 0.5),
        ("max_attempts", 0),
        ("healthy_after", -1),
        ("max_connects", 0),
        ("connect_window", 0),
    ],
)
def test_a_bad_reconnect_policy_is_refused_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises((ValueError, TypeError), match=f"ReconnectPolicy.{field}"):
        ReconnectPolicy(**{field: value})


@pytest.mark.parametrize("seconds", [0, -1, math.nan, math.inf])
async def test_a_bad_request_timeout_is_refused(seconds: float) -> None:
    client = AsyncClient()
    with pytest.raises(ValueError, match="request_timeout"), client.request_timeout(seconds):
        pass
    blocking = Client()  # never connected: close() only stops its loop thread
    try:
        with pytest.raises(ValueError, match="request_timeout"), blocking.request_timeout(seconds):
            pass
    finally:
        blocking.close()


@pytest.mark.parametrize("transport", ["websockets", "picows"])
async def test_an_optional_transport_refuses_an_http_client_it_cannot_honour(transport: str) -> None:
    async with httpx.AsyncClient(verify=False) as http:
        with pytest.raises(ValueError, match="http_client"):
            AsyncClient(transport=transport, http_client=http)  # type: ignore[arg-type]
        assert AsyncClient(http_client=http) is not None  # the default transport uses it


def test_a_missing_optional_transport_is_named_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "picows" else real(name, *a))
    with pytest.raises(ValueError, match=r"binance-spot-ws\[picows\]"):
        AsyncClient(transport="picows")


async def test_good_options_are_accepted() -> None:
    client = AsyncClient(
        key=HmacKey("k", "s"),
        recv_window=Decimal("5000.5"),
        timeout=1,
        rate_limit="raise",
        max_in_flight=1,
        keepalive_interval=None,
        keepalive_timeout=None,
        max_lifetime=0.5,
        user_data_buffer=1,
        transport="websockets",
    )
    assert client.protocol.recv_window == "5000.5" and client.timeout == 1.0
