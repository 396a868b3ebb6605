"""Closing the blocking client while other threads call it: every thread gets `ConnectionClosed`
promptly (none is left waiting on a stopped loop), and calls after close() do too."""

from __future__ import annotations

import threading
import warnings

import pytest

from binance_spot_ws import Client, ConnectionClosed, ReconnectPolicy
from binance_ws_emulator import Emulator
from tests.client._helpers import ALL_TRANSPORTS

THREADS = 40


@pytest.mark.parametrize("transport", ALL_TRANSPORTS)
def test_close_while_threads_call_ends_every_call(transport: str) -> None:
    with Emulator(seed=1) as exchange:
        exchange.faults.delay_ms = 20  # answers in flight at the moment of closing
        client = Client(
            url=exchange.url, max_in_flight=8, transport=transport, reconnect=ReconnectPolicy(initial_delay=0.01)
        )
        client.connect()
        endings: list[BaseException] = []
        started = threading.Barrier(THREADS + 1)

        def caller() -> None:
            started.wait()
            try:
                while True:
                    client.time()
            except BaseException as exc:  # recorded and checked below
                endings.append(exc)

        threads = [threading.Thread(target=caller, daemon=True) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        started.wait()
        while exchange.requests.get("time", 0) < THREADS:  # calls are queued, in flight and waiting
            threading.Event().wait(0.01)
        client.close()
        for thread in threads:
            thread.join(10)
        assert not [t for t in threads if t.is_alive()]  # nobody left blocked
        assert len(endings) == THREADS
        assert {type(e) for e in endings} == {ConnectionClosed}, {repr(e) for e in endings}
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "coroutine was never awaited"
            with pytest.raises(ConnectionClosed):
                client.time()
            with pytest.raises(ConnectionClosed):
                client.rotate()
            assert client.next_event() is None
            client.close()  # again: nothing to do


def test_a_bad_option_leaves_no_loop_thread_behind() -> None:
    before = threading.active_count()
    with pytest.raises(ValueError, match="max_in_flight"):
        Client(max_in_flight=0)
    assert threading.active_count() == before
