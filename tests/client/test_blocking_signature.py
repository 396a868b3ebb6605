"""The blocking client takes exactly the async client's keyword arguments, typed."""

from __future__ import annotations

import inspect
import threading
from typing import Any

import pytest

from binance_spot_ws import AsyncClient, Client


def test_the_blocking_client_has_the_async_clients_signature() -> None:
    blocking = inspect.signature(Client.__init__)
    assert blocking == inspect.signature(AsyncClient.__init__)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for name, p in blocking.parameters.items() if name != "self")
    assert not [p for p in blocking.parameters.values() if p.kind is inspect.Parameter.VAR_KEYWORD]


def test_every_option_reaches_the_async_client() -> None:
    client = Client(url="ws://127.0.0.1:1", timeout=3.5, max_in_flight=7, user_data_buffer=11)
    try:
        names = [name for name in inspect.signature(Client.__init__).parameters if name != "self"]
        assert list(client._options) == names
        assert (client.connection.timeout, client.connection._max_in_flight) == (3.5, 7)
    finally:
        client.close()


def _loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "binance-ws-loop"]


@pytest.mark.parametrize("options", [{"timout": 5}, {"url": "ws://127.0.0.1:1", "keepalive": 3}])
def test_a_misspelled_argument_is_a_type_error_and_leaves_no_thread(options: dict[str, Any]) -> None:
    before = _loop_threads()
    with pytest.raises(TypeError, match=next(iter(k for k in options if k != "url"))):
        Client(**options)
    assert _loop_threads() == before
