"""The generated client against the local exchange over a real loopback socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from websockets.asyncio.server import ServerConnection, serve

from binance_spot_ws import (
    AsyncClient,
    AuthError,
    BadRequest,
    Client,
    Ed25519Key,
    ErrorCode,
    HmacKey,
    ParamError,
    types,
)
from binance_ws_emulator import DOCS_HMAC_API_KEY, Emulator


async def test_general_methods(client: AsyncClient, emulator: Emulator) -> None:
    assert await client.ping() is not None
    server = await client.time()
    assert abs(server.server_time - emulator.now_ms()) < 5000
    info = await client.exchange_info(symbols=["BTCUSDT", "ETHBTC"])
    assert [s.symbol for s in info.symbols] == ["BTCUSDT", "ETHBTC"]
    btc = info.symbols[0]
    assert btc.base_asset == "BTC" and btc.quote_asset == "USDT"
    assert any(isinstance(f, types.LotSizeFilter) for f in btc.filters)


async def test_depth_decodes_rows_as_decimals(client: AsyncClient) -> None:
    book = await client.depth(symbol="BTCUSDT", limit=5)
    assert len(book.bids) == 5 and len(book.asks) == 5
    assert all(isinstance(level.price, Decimal) and isinstance(level.qty, Decimal) for level in book.bids + book.asks)
    assert book.bids[0].price > book.bids[1].price  # highest bid first
    assert book.asks[0].price < book.asks[1].price  # lowest ask first
    assert book.bids[0].price < book.asks[0].price


async def test_order_test_validates_without_placing(client: AsyncClient, emulator: Emulator) -> None:
    result = await client.order_test(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        price=Decimal("49000"),
        quantity=Decimal("0.001"),
    )
    assert isinstance(result, types.OrderTestResult)
    assert not [o for o in emulator.exchange.orders.values() if o.account == "demo"]
    with pytest.raises(BadRequest) as caught:
        await client.order_test(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            price=Decimal("49000.001"),
            quantity=Decimal("0.001"),
        )
    assert caught.value.code == -1013 and "PRICE_FILTER" in caught.value.msg


async def test_limit_order_rests_and_market_order_fills(client: AsyncClient, emulator: Emulator) -> None:
    resting = await client.order_place(
        symbol="BTCUSDT",
        side=types.Side.BUY,
        type="LIMIT",
        time_in_force="GTC",
        price=Decimal("49000.00"),
        quantity=Decimal("0.002"),
        new_client_order_id="my-limit-1",
    )
    assert resting.status == "NEW" and resting.client_order_id == "my-limit-1"
    assert resting.fills == []
    filled = await client.order_place(symbol="BTCUSDT", side="SELL", type="MARKET", quantity=Decimal("0.01"))
    assert filled.status == "FILLED"
    assert filled.fills and sum((f.qty for f in filled.fills), Decimal(0)) == Decimal("0.01")
    assert filled.client_order_id.startswith("bws")  # the runtime always sets one (reconciliation handle)
    status = await client.order_status(symbol="BTCUSDT", orig_client_order_id="my-limit-1")
    assert status.order_id == resting.order_id and status.status == "NEW"
    canceled = await client.order_cancel(symbol="BTCUSDT", order_id=resting.order_id)
    assert canceled.status == "CANCELED"


async def test_concurrent_requests_resolve_to_their_callers(client: AsyncClient) -> None:
    symbols = ["BTCUSDT", "ETHUSDT", "ETHBTC"] * 20
    limits = [1 + i % 7 for i in range(len(symbols))]
    books = await asyncio.gather(*(client.depth(symbol=s, limit=n) for s, n in zip(symbols, limits, strict=True)))
    for book, limit in zip(books, limits, strict=True):
        assert len(book.bids) == limit
    mids = {s: b.bids[0].price for s, b in zip(symbols, books, strict=True)}
    assert mids["BTCUSDT"] > mids["ETHUSDT"] > 1 > mids["ETHBTC"]


async def test_trailing_stop_over_the_socket(emulator: Emulator, ed25519_key: Ed25519Key) -> None:
    """A trailing stop placed through the SDK follows the market the exchange makes, and its
    order query and events carry trailingDelta / trailingTime."""
    async with AsyncClient(url=emulator.url, key=ed25519_key) as client:
        await client.session_logon()
        await client.user_data_stream_subscribe()
        stop = await client.order_place(
            symbol="BTCUSDT", side="SELL", type="STOP_LOSS", quantity=Decimal("0.01"), trailing_delta=10
        )  # sells after a 0.1 % fall from the high
        assert (await client.order_status(symbol="BTCUSDT", order_id=stop.order_id)).trailing_time == -1
        emulator.market_trade("BTCUSDT", "BUY", Decimal("0.01"))  # tracking starts at this trade
        tracked = await client.order_status(symbol="BTCUSDT", order_id=stop.order_id)
        assert tracked.status == "NEW" and tracked.trailing_delta == 10 and tracked.trailing_time > 0
        # Someone bids well below; the market maker's sells then walk the price down to it.
        emulator.exchange.place(
            "bystander", "BTCUSDT", "BUY", "LIMIT", "GTC", Decimal(49_900), Decimal(5), Decimal(0), None
        )
        for _ in range(50):
            emulator.market_trade("BTCUSDT", "SELL", Decimal("0.5"))
            if (await client.order_status(symbol="BTCUSDT", order_id=stop.order_id)).status == "FILLED":
                break
        events = client.user_data()
        reports = []
        while not reports or reports[-1].order_status != "FILLED":
            event = await asyncio.wait_for(anext(events), 2)
            if isinstance(event, types.ExecutionReport) and event.order_id == stop.order_id:
                reports.append(event)
        assert reports[0].trailing_delta == 10 and reports[-1].trailing_time > 0
        assert reports[-1].last_executed_price == Decimal(49_900)


async def test_iceberg_over_the_socket(client: AsyncClient) -> None:
    before = {level.price: level.qty for level in (await client.depth(symbol="BTCUSDT", limit=50)).asks}
    price = max(before) + Decimal("1000")  # a level of its own
    order = await client.order_place(
        symbol="BTCUSDT", side="SELL", type="LIMIT", time_in_force="GTC", price=price,
        quantity=Decimal("1"), iceberg_qty=Decimal("0.1"),
    )  # fmt: skip
    shown = {level.price: level.qty for level in (await client.depth(symbol="BTCUSDT", limit=100)).asks}
    assert shown[price] == Decimal("0.1")  # only the tip is visible
    assert (await client.order_status(symbol="BTCUSDT", order_id=order.order_id)).iceberg_qty == Decimal("0.1")
    with pytest.raises(BadRequest) as caught:
        await client.order_place(
            symbol="BTCUSDT", side="SELL", type="LIMIT", time_in_force="IOC", price=price,
            quantity=Decimal("1"), iceberg_qty=Decimal("0.1"),
        )  # fmt: skip
    assert caught.value.code == ErrorCode.NEW_ORDER_REJECTED


async def test_pegged_order_over_the_socket(client: AsyncClient) -> None:
    best_bid = (await client.depth(symbol="BTCUSDT", limit=1)).bids[0].price
    order = await client.order_place(
        symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC", quantity=Decimal("0.01"),
        peg_price_type="PRIMARY_PEG", peg_offset_type="PRICE_LEVEL", peg_offset_value=1,
    )  # fmt: skip
    second_bid = (await client.depth(symbol="BTCUSDT", limit=3)).bids[1].price
    assert order.price == 0 and order.pegged_price == second_bid < best_bid  # `price` stays what was sent
    status = await client.order_status(symbol="BTCUSDT", order_id=order.order_id)
    assert (status.peg_price_type, status.peg_offset_value, status.pegged_price) == ("PRIMARY_PEG", 1, second_bid)
    with pytest.raises(BadRequest, match="may not use pegged price"):
        await client.order_place(
            symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.01"), peg_price_type="MARKET_PEG"
        )
    with pytest.raises(BadRequest, match="cannot be used with this order type"):
        await client.order_place(
            symbol="BTCUSDT", side="BUY", type="LIMIT_MAKER", quantity=Decimal("0.01"), peg_price_type="MARKET_PEG"
        )


async def test_wrong_secret_is_a_typed_auth_error(emulator: Emulator) -> None:
    async with AsyncClient(url=emulator.url, key=HmacKey(DOCS_HMAC_API_KEY, "not-the-secret")) as client:
        with pytest.raises(AuthError) as caught:
            await client.account_status()
    assert (caught.value.status, caught.value.code) == (400, -1022)
    assert caught.value.code == ErrorCode.INVALID_SIGNATURE and caught.value.name == "INVALID_SIGNATURE"
    assert caught.value.method == "account.status"
    assert "not-the-secret" not in str(caught.value)


async def test_bad_argument_is_rejected_before_sending(client: AsyncClient, emulator: Emulator) -> None:
    with pytest.raises(ParamError) as caught:
        await client.depth(symbol="BTCUSDT", limit="ten")  # type: ignore[arg-type]
    assert caught.value.param == "limit"
    with pytest.raises(ParamError) as enum_error:
        await client.order_test(symbol="BTCUSDT", side="BUYY", type="MARKET", quantity=Decimal(1))  # type: ignore[arg-type]
    assert enum_error.value.param == "side"
    with pytest.raises(ParamError) as one_of:
        await client.order_status(symbol="BTCUSDT")
    assert "order_id" in one_of.value.param
    assert "depth" not in emulator.requests and "order.test" not in emulator.requests
    assert "order.status" not in emulator.requests


async def test_server_errors_unknown_method_and_missing_parameter(client: AsyncClient) -> None:
    with pytest.raises(BadRequest) as unknown:
        await client.request_raw("no.such.method")
    assert unknown.value.status == 400
    with pytest.raises(BadRequest) as missing:
        await client.request_raw("depth", {})
    assert missing.value.code == -1102 and "symbol" in missing.value.msg
    with pytest.raises(BadRequest) as bad_symbol:
        await client.depth(symbol="NOPE")
    assert bad_symbol.value.code == -1121


async def test_rate_limits_are_tracked_from_every_response(client: AsyncClient) -> None:
    await client.depth(symbol="BTCUSDT", limit=5)
    first = client.rate_limiter.usage()["REQUEST_WEIGHT/1MINUTE"]
    await client.depth(symbol="BTCUSDT", limit=600)  # weight 50
    second = client.rate_limiter.usage()["REQUEST_WEIGHT/1MINUTE"]
    assert second[0] - first[0] == 50 and second[1] == 6000


async def test_server_ping_is_answered_with_the_same_payload() -> None:
    """A bare server: it pings with a payload and waits for the matching pong before answering."""
    pong_ok = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        waiter = await ws.ping(b"payload-123")
        await asyncio.wait_for(waiter, 2)  # resolves only for a pong echoing these bytes
        pong_ok.set()
        async for message in ws:
            request_id = json.loads(message)["id"]
            await ws.send(json.dumps({"id": request_id, "status": 200, "result": {"serverTime": 1}}))

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with AsyncClient(url=f"ws://127.0.0.1:{port}/", keepalive_interval=None) as client:
            await asyncio.wait_for(pong_ok.wait(), 3)
            assert (await client.time()).server_time == 1


def test_blocking_client(emulator_thread: Emulator) -> None:
    key = HmacKey(DOCS_HMAC_API_KEY, "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
    with Client(url=emulator_thread.url, key=key) as client:
        assert client.time().server_time > 0
        book = client.depth(symbol="ETHUSDT", limit=3)
        assert len(book.asks) == 3
        order = client.order_place(symbol="ETHUSDT", side="BUY", type="MARKET", quote_order_qty=Decimal("100"))
        assert order.status == "FILLED"
        with pytest.raises(ParamError):
            client.depth(symbol="ETHUSDT", limit="x")  # type: ignore[arg-type]


def test_blocking_user_data_times_out_without_losing_events(emulator_thread: Emulator) -> None:
    key = HmacKey(DOCS_HMAC_API_KEY, "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
    with Client(url=emulator_thread.url, key=key) as client:
        client.user_data_stream_subscribe_signature()
        with pytest.raises(TimeoutError):
            next(client.user_data(timeout=0.2))  # nothing happened yet
        order = client.order_place(symbol="ETHUSDT", side="BUY", type="MARKET", quote_order_qty=Decimal("100"))
        first = client.next_event(timeout=2)  # the abandoned wait did not swallow it
        assert isinstance(first, types.ExecutionReport)
        assert (first.order_id, first.execution_type) == (order.order_id, "NEW")


@pytest.fixture
def emulator_thread() -> Iterator[Emulator]:
    with Emulator(seed=3) as running:
        yield running
