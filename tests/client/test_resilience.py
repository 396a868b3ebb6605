"""Connection life against the local exchange's fault injection: nothing lost, nothing sent twice."""

from __future__ import annotations

import asyncio
import logging
import sys
from decimal import Decimal
from typing import Any

import pytest

from binance_spot_ws import (
    AsyncClient,
    BadRequest,
    ConnectionEvent,
    ConnectionState,
    Ed25519Key,
    ErrorCode,
    HmacKey,
    IpBanned,
    RateLimited,
    ReconnectPolicy,
    RequestTimeout,
    StreamGap,
    TransportError,
    UnknownExecutionStatus,
    types,
)
from binance_ws_emulator import Emulator

FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)


def _order(client: AsyncClient, **extra: object) -> object:
    return client.order_place(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        price=Decimal("40000.00"),
        quantity=Decimal("0.001"),
        **extra,  # type: ignore[arg-type]
    )


async def test_read_only_request_is_resent_after_a_drop(emulator: Emulator, hmac_key: HmacKey) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key, reconnect=FAST, timeout=5) as client:
        emulator.faults.drop_after_requests = 1  # the next request is swallowed and the socket cut
        book = await client.depth(symbol="BTCUSDT", limit=5)
        assert len(book.bids) == 5
        assert emulator.requests["depth"] == 2  # sent, lost, sent again on the new connection
        assert emulator.connections_opened == 2


@pytest.mark.parametrize("executed", [True, False])
async def test_order_in_flight_on_a_drop_is_never_resent(emulator: Emulator, hmac_key: HmacKey, executed: bool) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key, reconnect=FAST, timeout=5) as client:
        emulator.faults.drop_after_requests = 1
        emulator.faults.drop_after_execute = executed
        with pytest.raises(UnknownExecutionStatus) as caught:
            await _order(client, new_client_order_id="drop-me-1")
        unknown = caught.value
        assert unknown.client_order_id == "drop-me-1" and unknown.reason == "connection lost"
        assert "signature" not in unknown.params and "apiKey" not in unknown.params
        await asyncio.sleep(0.05)
        assert emulator.requests["order.place"] == 1  # never duplicated
        # Reconciliation by the client order id the error carries:
        if executed:
            found = await client.order_status(symbol="BTCUSDT", orig_client_order_id=unknown.client_order_id)
            assert found.status == "NEW"
        else:
            with pytest.raises(BadRequest) as missing:
                await client.order_status(symbol="BTCUSDT", orig_client_order_id=unknown.client_order_id)
            assert missing.value.code == ErrorCode.NO_SUCH_ORDER
        assert emulator.requests["order.place"] == 1


async def test_an_order_refused_by_a_closing_connection_goes_out_once_on_the_next(
    emulator: Emulator, hmac_key: HmacKey
) -> None:
    """A frame refused before any byte was written is not "outcome unknown": even an order is
    sent on the next connection, exactly once."""
    from binance_ws._transport import NotSent

    async with AsyncClient(url=emulator.url, key=hmac_key, reconnect=FAST) as client:
        link = client._active
        assert link is not None

        async def closing(text: str) -> None:
            emulator.drop_connections()  # the connection goes away as the order is handed over
            raise NotSent("connection closing")

        link.send = closing
        order = await _order(client)
        assert order.status == "NEW" and client._active is not link
        assert emulator.requests["order.place"] == 1


@pytest.mark.parametrize(("status", "code"), [(503, -1001), (400, -1007)])
async def test_unknown_status_answers(emulator: Emulator, hmac_key: HmacKey, status: int, code: int) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key) as client:
        emulator.faults.answer_status["order.place"] = (status, code, "execution status unknown", True)
        with pytest.raises(UnknownExecutionStatus) as caught:
            await _order(client)
        assert (caught.value.status, caught.value.code) == (status, code)
        order = await client.order_status(symbol="BTCUSDT", orig_client_order_id=caught.value.client_order_id)
        assert order.client_order_id == caught.value.client_order_id  # it did execute: reconciled


async def test_dead_peer_is_detected_and_replaced(hmac_key: HmacKey) -> None:
    events: list[ConnectionEvent] = []
    async with Emulator(seed=1) as emulator:
        emulator.faults.answer_pings = False  # the server stops answering our pings: a half-open link
        async with AsyncClient(
            url=emulator.url,
            key=hmac_key,
            keepalive_interval=0.1,
            keepalive_timeout=0.2,
            reconnect=FAST,
            on_connection_event=events.append,
        ) as client:
            await asyncio.sleep(0.6)
            emulator.faults.answer_pings = True
            assert (await client.time()).server_time > 0
        assert emulator.connections_opened >= 2
        assert ConnectionState.RECONNECTING in [e.state for e in events]


async def test_server_disconnects_a_client_that_does_not_pong_in_time() -> None:
    """The emulator side of the same rule (pong within pong_timeout); our client always pongs."""
    async with Emulator(seed=1, ping_interval=0.05, pong_timeout=0.3) as emulator:
        async with AsyncClient(url=emulator.url, keepalive_interval=None) as client:
            await asyncio.sleep(0.6)  # several server pings, each answered with the same payload
            assert emulator.connections_opened == 1
            emulator.faults.ignore_pongs = True
            await asyncio.sleep(0.6)
            assert emulator.connections_opened >= 2  # dropped by the server, and replaced
            emulator.faults.ignore_pongs = False
            assert (await client.ping()) is not None


async def test_rotation_make_before_break_loses_no_request(hmac_key: HmacKey) -> None:
    states: list[ConnectionState] = []
    async with (
        Emulator(seed=1, weight_limit=10**7) as emulator,
        AsyncClient(
            url=emulator.url, key=hmac_key, max_lifetime=0.4, on_connection_event=lambda e: states.append(e.state)
        ) as client,
    ):
        failures = 0
        done = 0
        loop = asyncio.get_running_loop()
        end = loop.time() + 1.6
        while loop.time() < end:
            try:
                results = await asyncio.gather(client.time(), client.depth(symbol="BTCUSDT", limit=1))
                done += len(results)
            except Exception:
                failures += 1
        assert failures == 0 and done > 20
        assert states.count(ConnectionState.ROTATING) >= 3
        assert emulator.connections_opened >= 4


async def test_logon_then_signed_calls_without_signature_and_relogon_after_reconnect(
    emulator: Emulator, ed25519_key: Ed25519Key, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with AsyncClient(url=emulator.url, key=ed25519_key, reconnect=FAST) as client:
        status = await client.session_logon()
        assert status.api_key == "ed25519-test-key"
        sent: list[str] = []
        original = client.protocol.frame

        def spy(*args: object, **kwargs: object) -> str:
            text = original(*args, **kwargs)  # type: ignore[arg-type]
            sent.append(text)
            return text

        client.protocol.frame = spy  # type: ignore[method-assign]
        account = await client.account_status()
        assert account.balances
        assert '"signature"' not in sent[-1] and '"apiKey"' not in sent[-1] and '"timestamp"' in sent[-1]
        emulator.drop_connections()
        await asyncio.sleep(0.1)
        account = await client.account_status()  # works only because the runtime logged on again
        assert '"signature"' not in sent[-1]
        assert emulator.requests["session.logon"] == 2
    assert "ed25519-test-key" not in caplog.text or "signature" not in caplog.text


async def test_user_data_stream_survives_reconnect_with_a_gap_marker(
    emulator: Emulator, ed25519_key: Ed25519Key
) -> None:
    async with AsyncClient(url=emulator.url, key=ed25519_key, reconnect=FAST) as client:
        await client.session_logon()
        await client.user_data_stream_subscribe()
        stream = client.user_data()
        await _order(client)
        first = await asyncio.wait_for(anext(stream), 2)
        assert isinstance(first, types.ExecutionReport) and first.execution_type == "NEW"
        emulator.drop_connections()
        gap = await asyncio.wait_for(anext(stream), 2)
        assert isinstance(gap, StreamGap) and gap.reason == "reconnected"
        await _order(client)
        event = await asyncio.wait_for(anext(stream), 2)
        while not isinstance(event, types.ExecutionReport):
            event = await asyncio.wait_for(anext(stream), 2)
        assert event.order_status == "NEW"
        assert emulator.requests["userDataStream.subscribe"] == 2


async def _start_well_inside_a_minute(emulator: Emulator) -> None:
    """Weight counts reset at each whole minute (and a 429's retryAfter is that instant): keep
    the requests of a rate-limit test inside one minute, whenever the test happens to run."""
    into_minute = emulator.now_ms() % 60_000
    if into_minute > 50_000:
        await asyncio.sleep((60_000 - into_minute) / 1000 + 0.05)


async def test_429_is_honoured_and_418_stops_sending(hmac_key: HmacKey) -> None:
    async with Emulator(seed=1, weight_limit=30) as emulator:
        await _start_well_inside_a_minute(emulator)
        # timeout 3 s: the 429's retryAfter (the next whole minute) is then always past the call's
        # deadline, since the test starts at least 10 s before a minute ends
        async with AsyncClient(url=emulator.url, key=hmac_key, rate_limit="off", timeout=3) as client:
            with pytest.raises(RateLimited) as limited:
                for _ in range(10):
                    await client.depth(symbol="BTCUSDT")  # weight 5 each
            assert limited.value.status == 429 and limited.value.retry_after_ms
            sent_before = sum(emulator.requests.values())
            with pytest.raises(RateLimited, match="not sent"):  # retryAfter is past the call's deadline
                await client.depth(symbol="BTCUSDT")
            assert sum(emulator.requests.values()) == sent_before
            emulator.limits.retry_after_ms = emulator.now_ms() + 60_000
            client.rate_limiter.blocked_until_ms = 0  # pretend we ignored the 429
            with pytest.raises(IpBanned) as banned:
                await client.ping()
            assert banned.value.status == 418
            count = sum(emulator.requests.values())
            with pytest.raises(IpBanned):
                await client.ping()  # refused locally while banned
            assert sum(emulator.requests.values()) == count


async def test_local_rate_limiter_waits_instead_of_exceeding(hmac_key: HmacKey) -> None:
    async with Emulator(seed=1, weight_limit=12) as emulator:
        await _start_well_inside_a_minute(emulator)
        async with AsyncClient(url=emulator.url, key=hmac_key, rate_limit="raise") as client:
            await client.depth(symbol="BTCUSDT")  # 5
            await client.depth(symbol="BTCUSDT")  # 10
            with pytest.raises(RateLimited, match="not sent"):
                await client.depth(symbol="BTCUSDT")  # would be 15 > 12
            assert emulator.requests["depth"] == 2


async def test_clock_offset_is_synced_after_minus_1021(hmac_key: HmacKey) -> None:
    async with Emulator(seed=1, clock_offset_ms=-30_000) as emulator:  # server clock 30 s behind ours
        async with AsyncClient(url=emulator.url, key=hmac_key) as client:
            account = await client.account_status()  # -1021, resync with `time`, retried once
            assert account.can_trade
            assert -31_000 < client.clock_offset_ms < -29_000
            assert emulator.requests["account.status"] == 2


async def test_per_request_timeout_and_cancellation_free_the_slot(emulator: Emulator, hmac_key: HmacKey) -> None:
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5) as client:
        emulator.faults.delay_ms = 300
        with client.request_timeout(0.05), pytest.raises(RequestTimeout):
            await client.time()  # read-only: a plain timeout
        with client.request_timeout(0.05), pytest.raises(UnknownExecutionStatus) as caught:
            await _order(client)  # state-changing: the outcome is unknown, not "failed"
        assert caught.value.reason == "timeout"
        task = asyncio.create_task(client.depth(symbol="BTCUSDT"))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        link = client._active
        assert link is not None and not link.pending  # nothing left behind by timeouts or cancellation
        emulator.faults.delay_ms = 0
        assert (await client.time()).server_time > 0  # the late answers were dropped quietly


async def test_timeouts_of_different_lengths_each_fire_on_time(emulator: Emulator, hmac_key: HmacKey) -> None:
    """Deadlines share one timer per connection: a short one set after long ones still fires first,
    and a long one outlives it."""
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5) as client:
        emulator.faults.delay_ms = 400
        patient = [asyncio.create_task(client.time()) for _ in range(3)]  # 5 s budget: will be answered
        await asyncio.sleep(0.01)
        with client.request_timeout(0.1), pytest.raises(RequestTimeout):
            await client.time()  # raised by its own deadline: the server would answer at 400 ms
        with client.request_timeout(0.15), pytest.raises(RequestTimeout):
            await client.depth(symbol="BTCUSDT")  # and again, after the timer was re-armed
        assert all(t.server_time > 0 for t in await asyncio.gather(*patient))


async def test_secrets_stay_out_of_logs_and_errors(
    emulator: Emulator, ed25519_key: Ed25519Key, caplog: pytest.LogCaptureFixture
) -> None:
    from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET

    caplog.set_level(logging.DEBUG)
    wrong = HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET + "x")
    async with AsyncClient(url=emulator.url, key=wrong, reconnect=FAST) as client:
        with pytest.raises(Exception) as caught:
            await client.account_status()
        emulator.drop_connections()
        await client.ping()
        text = f"{caught.value!r} {caught.value} {client!r} {caplog.text}"
    assert DOCS_HMAC_SECRET not in text and DOCS_HMAC_API_KEY not in text


@pytest.mark.parametrize("transport", ["httpx-ws", "websockets"])
async def test_a_server_that_never_answers_the_upgrade_fails_the_connect_at_the_timeout(transport: str) -> None:
    """Accepted, then silent: connect() raises TransportError (timed out) and the link is gone."""
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # keeps the connection open, answers nothing

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        client = AsyncClient(url=f"ws://127.0.0.1:{port}/", timeout=0.3, transport=transport)  # type: ignore[arg-type]
        with pytest.raises(TransportError, match="timed out"):
            await client.connect()
        assert client.state is ConnectionState.CLOSED
        assert not client._links  # pyright: ignore[reportPrivateUsage]
        for writer in held:
            writer.close()


@pytest.mark.parametrize("transport", ["httpx-ws", "websockets", "picows"])
async def test_frames_reach_the_handler_straight_from_the_transport(
    emulator: Emulator, transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No wrapper in between (a lambda cost one more Python frame per incoming frame)."""
    from binance_ws._async import AsyncConnection

    handler = AsyncConnection._on_frame  # pyright: ignore[reportPrivateUsage]
    callers: list[str] = []

    def recording(self: AsyncConnection[Any], link: Any, text: str | bytes) -> None:
        callers.append(sys._getframe(1).f_globals["__name__"])  # pyright: ignore[reportPrivateUsage]
        handler(self, link, text)

    monkeypatch.setattr(AsyncConnection, "_on_frame", recording)
    async with AsyncClient(url=emulator.url, transport=transport) as client:  # type: ignore[arg-type]
        await client.ping()
    assert callers and all(name.startswith("binance_ws._transport") for name in callers), callers
