"""Every method of the spec succeeds on the local exchange, on both clients, with meaningful values.

Each method has a scenario: it seeds the state in which the method should succeed
(resting orders, order lists, trades, a prevented match, a logged-on session...),
calls it, and checks the typed result against what was seeded (ids, statuses,
quantities, symbols). A business rejection fails the test like any other error. The
test is parametrized over `METHODS`, so a method added to the spec without a scenario
fails here. The blocking client runs the same scenarios (each call in a worker thread,
the local exchange on the test's loop).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

import msgspec
import pytest

from binance_spot_ws import METHODS, AsyncClient, Client, Ed25519Key, ParamError, _async_client, types
from binance_ws_emulator import Emulator

SYMBOL = "BTCUSDT"
QTY = Decimal("0.001")


class Blocking:
    """The blocking `Client` behind an awaitable facade, so one scenario drives both clients."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._client, name)

        async def call(**kwargs: Any) -> Any:
            return await asyncio.to_thread(partial(method, **kwargs))

        return call


@dataclass
class Ctx:
    client: Any  # AsyncClient, or Blocking(Client): the same awaitable methods
    emulator: Emulator
    key: Ed25519Key


Scenario = Callable[[Ctx], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(*wires: str) -> Callable[[Scenario], Scenario]:
    def register(func: Scenario) -> Scenario:
        for wire in wires:
            assert wire not in SCENARIOS, wire
            SCENARIOS[wire] = func
        return func

    return register


async def resting_buy(ctx: Ctx, price: str = "45000.00", qty: Decimal = QTY, cid: str | None = None) -> Any:
    extra = {} if cid is None else {"new_client_order_id": cid}
    order = await ctx.client.order_place(
        symbol=SYMBOL, side="BUY", type="LIMIT", time_in_force="GTC", price=Decimal(price), quantity=qty, **extra
    )
    assert order.status == "NEW" and order.symbol == SYMBOL
    return order


async def oco(ctx: Ctx, list_cid: str = "my-oco") -> Any:
    return await ctx.client.order_list_place_oco(
        symbol=SYMBOL,
        side="SELL",
        quantity=QTY,
        above_type="LIMIT_MAKER",
        above_price=Decimal("61000.00"),
        below_type="STOP_LOSS",
        below_stop_price=Decimal("39000.00"),
        list_client_order_id=list_cid,
    )


def assert_list(report: Any, contingency: str, legs: int, list_cid: str | None = None) -> None:
    assert report.symbol == SYMBOL
    assert report.contingency_type == contingency
    assert report.list_order_status == "EXECUTING"
    assert len(report.orders) == legs
    assert all(leg.symbol == SYMBOL and leg.order_id > 0 for leg in report.orders)
    assert len({leg.order_id for leg in report.orders}) == legs
    if list_cid is not None:
        assert report.list_client_order_id == list_cid


# -- market data -------------------------------------------------------------------------


@scenario("ping")
async def _ping(ctx: Ctx) -> None:
    assert isinstance(await ctx.client.ping(), types.EmptyResult)


@scenario("time")
async def _time(ctx: Ctx) -> None:
    result = await ctx.client.time()
    assert abs(result.server_time - ctx.emulator.now_ms()) < 60_000


@scenario("exchangeInfo")
async def _exchange_info(ctx: Ctx) -> None:
    info = await ctx.client.exchange_info(symbols=[SYMBOL, "ETHBTC"])
    assert [s.symbol for s in info.symbols] == [SYMBOL, "ETHBTC"]
    assert (info.symbols[0].base_asset, info.symbols[0].quote_asset) == ("BTC", "USDT")
    assert any(isinstance(f, types.PriceFilter) for f in info.symbols[0].filters)


@scenario("executionRules")
async def _execution_rules(ctx: Ctx) -> None:
    rules = await ctx.client.execution_rules(symbol=SYMBOL)
    assert [r.symbol for r in rules.symbol_rules] == [SYMBOL]


@scenario("depth")
async def _depth(ctx: Ctx) -> None:
    book = await ctx.client.depth(symbol=SYMBOL, limit=5)
    assert len(book.bids) == len(book.asks) == 5
    assert book.bids[0].price < book.asks[0].price and book.bids[0].qty > 0


@scenario("trades.recent", "trades.historical")
async def _trades(ctx: Ctx) -> None:
    recent = await ctx.client.trades_recent(symbol=SYMBOL, limit=3)
    assert 1 <= len(recent) <= 3 and all(t.price > 0 and t.qty > 0 for t in recent)
    older = await ctx.client.trades_historical(symbol=SYMBOL, from_id=recent[0].id, limit=2)
    assert [t.id for t in older] == [t.id for t in recent[:2]]


@scenario("blockTrades.historical")
async def _block_trades(ctx: Ctx) -> None:
    # Block trades are arranged off-book; none ever happen on the local exchange.
    assert await ctx.client.block_trades_historical(symbol=SYMBOL, from_id=1) == []


@scenario("trades.aggregate")
async def _agg_trades(ctx: Ctx) -> None:
    trades = await ctx.client.trades_aggregate(symbol=SYMBOL, limit=5)
    assert trades and all(t.price > 0 and t.quantity > 0 for t in trades)


@scenario("klines", "uiKlines")
async def _klines(ctx: Ctx) -> None:
    for call in (ctx.client.klines, ctx.client.ui_klines):
        rows = await call(symbol=SYMBOL, interval="1m", limit=10)
        assert rows
        row = rows[-1]
        assert row.low <= row.open <= row.high and row.low <= row.close <= row.high and row.volume > 0


@scenario("avgPrice")
async def _avg_price(ctx: Ctx) -> None:
    avg = await ctx.client.avg_price(symbol=SYMBOL)
    assert Decimal(40000) < avg.price < Decimal(60000) and avg.mins > 0


@scenario("ticker.24hr", "ticker.tradingDay", "ticker")
async def _tickers(ctx: Ctx) -> None:
    day = await ctx.client.ticker_24hr(symbol=SYMBOL)
    assert day.symbol == SYMBOL and day.last_price > 0 and day.volume > 0
    trading_day = await ctx.client.ticker_trading_day(symbols=[SYMBOL, "ETHBTC"])
    assert [t.symbol for t in trading_day] == [SYMBOL, "ETHBTC"]
    window = await ctx.client.ticker(symbol=SYMBOL, window_size="1h")
    assert window.symbol == SYMBOL and window.last_price > 0


@scenario("ticker.price", "ticker.book")
async def _price_book(ctx: Ctx) -> None:
    price = await ctx.client.ticker_price(symbol=SYMBOL)
    book = await ctx.client.ticker_book(symbol=SYMBOL)
    assert price.symbol == book.symbol == SYMBOL
    assert book.bid_price < book.ask_price and book.bid_qty > 0


@scenario("referencePrice", "referencePrice.calculation")
async def _reference_price(ctx: Ctx) -> None:
    ref = await ctx.client.reference_price(symbol=SYMBOL)
    assert ref.symbol == SYMBOL and ref.reference_price is not None and ref.reference_price > 0
    calc = await ctx.client.reference_price_calculation(symbol=SYMBOL)
    assert calc.symbol == SYMBOL and calc.calculation_type in ("ARITHMETIC_MEAN", "EXTERNAL")


# -- session and user data -------------------------------------------------------------------


@scenario("session.logon", "session.status", "session.logout")
async def _session(ctx: Ctx) -> None:
    before = await ctx.client.session_status()
    assert before.api_key is None and before.authorized_since is None
    logon = await ctx.client.session_logon()
    assert logon.api_key == ctx.key.api_key and logon.authorized_since is not None
    status = await ctx.client.session_status()
    assert status.api_key == ctx.key.api_key and status.connected_since <= status.server_time
    assert (await ctx.client.account_status()).can_trade is True  # signed call on the session
    logout = await ctx.client.session_logout()
    assert logout.api_key is None
    assert (await ctx.client.session_status()).api_key is None


@scenario("userDataStream.subscribe", "userDataStream.unsubscribe", "session.subscriptions")
async def _user_data(ctx: Ctx) -> None:
    await ctx.client.session_logon()
    subscribed = await ctx.client.user_data_stream_subscribe()
    listed = await ctx.client.session_subscriptions()
    assert [s.subscription_id for s in listed] == [subscribed.subscription_id]
    assert isinstance(
        await ctx.client.user_data_stream_unsubscribe(subscription_id=subscribed.subscription_id), types.EmptyResult
    )
    assert await ctx.client.session_subscriptions() == []


@scenario("userDataStream.subscribe.signature")
async def _user_data_signature(ctx: Ctx) -> None:
    subscribed = await ctx.client.user_data_stream_subscribe_signature()
    listed = await ctx.client.session_subscriptions()
    assert subscribed.subscription_id in [s.subscription_id for s in listed]


# -- trading -----------------------------------------------------------------------------------


@scenario("order.place", "order.status")
async def _order_place(ctx: Ctx) -> None:
    order = await resting_buy(ctx, cid="scenario-place")
    assert order.client_order_id == "scenario-place" and order.price == Decimal("45000.00") and order.orig_qty == QTY
    by_id = await ctx.client.order_status(symbol=SYMBOL, order_id=order.order_id)
    by_cid = await ctx.client.order_status(symbol=SYMBOL, orig_client_order_id="scenario-place")
    assert by_id.order_id == by_cid.order_id == order.order_id
    assert by_id.status == "NEW" and by_id.orig_qty == QTY and by_id.executed_qty == 0


@scenario("order.test", "sor.order.test")
async def _order_test(ctx: Ctx) -> None:
    args: dict[str, Any] = {"symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "time_in_force": "GTC"}
    args |= {"price": Decimal("45000.00"), "quantity": QTY}
    for call in (ctx.client.order_test, ctx.client.sor_order_test):
        plain = await call(**args)
        assert plain.standard_commission_for_order is msgspec.UNSET
        rates = await call(**args, compute_commission_rates=True)
        assert rates.standard_commission_for_order.maker >= 0 and rates.standard_commission_for_order.taker > 0
    assert await ctx.client.open_orders_status(symbol=SYMBOL) == []  # nothing was placed


@scenario("order.cancel")
async def _order_cancel(ctx: Ctx) -> None:
    order = await resting_buy(ctx, cid="to-cancel")
    canceled = await ctx.client.order_cancel(symbol=SYMBOL, orig_client_order_id="to-cancel")
    assert canceled.order_id == order.order_id and canceled.status == "CANCELED"
    assert canceled.orig_client_order_id == "to-cancel" and canceled.orig_qty == QTY
    assert (await ctx.client.order_status(symbol=SYMBOL, order_id=order.order_id)).status == "CANCELED"


@scenario("order.cancelReplace")
async def _cancel_replace(ctx: Ctx) -> None:
    old = await resting_buy(ctx, cid="replace-me")
    result = await ctx.client.order_cancel_replace(
        symbol=SYMBOL,
        cancel_replace_mode="STOP_ON_FAILURE",
        cancel_orig_client_order_id="replace-me",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        price=Decimal("44000.00"),
        quantity=QTY,
    )
    assert (result.cancel_result, result.new_order_result) == ("SUCCESS", "SUCCESS")
    assert result.cancel_response.order_id == old.order_id and result.cancel_response.status == "CANCELED"
    assert result.new_order_response.status == "NEW" and result.new_order_response.price == Decimal("44000.00")
    [open_order] = await ctx.client.open_orders_status(symbol=SYMBOL)
    assert open_order.order_id == result.new_order_response.order_id


@scenario("order.amend.keepPriority", "order.amendments")
async def _amend(ctx: Ctx) -> None:
    order = await resting_buy(ctx, qty=Decimal("0.003"))
    amended = await ctx.client.order_amend_keep_priority(symbol=SYMBOL, order_id=order.order_id, new_qty=QTY)
    assert amended.amended_order.order_id == order.order_id and amended.amended_order.qty == QTY
    history = await ctx.client.order_amendments(symbol=SYMBOL, order_id=order.order_id)
    assert [(a.order_id, a.orig_qty, a.new_qty) for a in history] == [(order.order_id, Decimal("0.003"), QTY)]


@scenario("openOrders.cancelAll", "openOrders.status")
async def _cancel_all(ctx: Ctx) -> None:
    first = await resting_buy(ctx, price="45000.00")
    second = await resting_buy(ctx, price="44000.00")
    listed = await oco(ctx)
    open_orders = await ctx.client.open_orders_status(symbol=SYMBOL)
    assert {o.order_id for o in open_orders} == {first.order_id, second.order_id} | {
        leg.order_id for leg in listed.orders
    }
    canceled = await ctx.client.open_orders_cancel_all(symbol=SYMBOL)
    singles = [c for c in canceled if c.orders is msgspec.UNSET]  # a cancel report
    lists = [c for c in canceled if c.orders is not msgspec.UNSET]  # an order list report
    assert {c.order_id for c in singles} == {first.order_id, second.order_id}
    assert all(c.status == "CANCELED" for c in singles)
    assert [c.order_list_id for c in lists] == [listed.order_list_id]  # one entry per order list
    assert {leg.order_id for leg in lists[0].orders} == {leg.order_id for leg in listed.orders}
    assert await ctx.client.open_orders_status(symbol=SYMBOL) == []


@scenario("orderList.place")
async def _order_list_place(ctx: Ctx) -> None:
    report = await ctx.client.order_list_place(
        symbol=SYMBOL,
        side="SELL",
        price=Decimal("61000.00"),
        quantity=QTY,
        stop_price=Decimal("39000.00"),
        list_client_order_id="deprecated-oco",
    )
    assert_list(report, "OCO", 2, "deprecated-oco")


@scenario("orderList.place.oco", "orderList.status", "openOrderLists.status", "allOrderLists")
async def _oco(ctx: Ctx) -> None:
    report = await oco(ctx, "queried-oco")
    assert_list(report, "OCO", 2, "queried-oco")
    by_id = await ctx.client.order_list_status(order_list_id=report.order_list_id)
    by_cid = await ctx.client.order_list_status(orig_client_order_id="queried-oco")
    assert by_id.order_list_id == by_cid.order_list_id == report.order_list_id
    assert {leg.order_id for leg in by_id.orders} == {leg.order_id for leg in report.orders}
    assert [o.order_list_id for o in await ctx.client.open_order_lists_status()] == [report.order_list_id]
    assert [o.order_list_id for o in await ctx.client.all_order_lists()] == [report.order_list_id]


@scenario("orderList.place.oto")
async def _oto(ctx: Ctx) -> None:
    report = await ctx.client.order_list_place_oto(
        symbol=SYMBOL,
        working_type="LIMIT",
        working_side="BUY",
        working_price=Decimal("40000.00"),
        working_quantity=QTY,
        working_time_in_force="GTC",
        pending_type="LIMIT",
        pending_side="SELL",
        pending_price=Decimal("60000.00"),
        pending_quantity=QTY,
        pending_time_in_force="GTC",
    )
    assert_list(report, "OTO", 2)


@scenario("orderList.place.otoco")
async def _otoco(ctx: Ctx) -> None:
    report = await ctx.client.order_list_place_otoco(
        symbol=SYMBOL,
        working_type="LIMIT",
        working_side="BUY",
        working_price=Decimal("40000.00"),
        working_quantity=QTY,
        working_time_in_force="GTC",
        pending_side="SELL",
        pending_quantity=QTY,
        pending_above_type="LIMIT_MAKER",
        pending_above_price=Decimal("61000.00"),
        pending_below_type="STOP_LOSS",
        pending_below_stop_price=Decimal("39000.00"),
    )
    assert_list(report, "OTO", 3)


@scenario("orderList.place.opo")
async def _opo(ctx: Ctx) -> None:
    report = await ctx.client.order_list_place_opo(
        symbol=SYMBOL,
        working_type="LIMIT",
        working_side="BUY",
        working_price=Decimal("40000.00"),
        working_quantity=QTY,
        working_time_in_force="GTC",
        pending_type="LIMIT",
        pending_side="SELL",
        pending_price=Decimal("60000.00"),
        pending_time_in_force="GTC",
    )
    assert_list(report, "OTO", 2)


@scenario("orderList.place.opoco")
async def _opoco(ctx: Ctx) -> None:
    report = await ctx.client.order_list_place_opoco(
        symbol=SYMBOL,
        working_type="LIMIT",
        working_side="BUY",
        working_price=Decimal("40000.00"),
        working_quantity=QTY,
        working_time_in_force="GTC",
        pending_side="SELL",
        pending_above_type="LIMIT_MAKER",
        pending_above_price=Decimal("61000.00"),
        pending_below_type="STOP_LOSS",
        pending_below_stop_price=Decimal("39000.00"),
    )
    assert_list(report, "OTO", 3)


@scenario("orderList.cancel")
async def _order_list_cancel(ctx: Ctx) -> None:
    placed = await oco(ctx)
    canceled = await ctx.client.order_list_cancel(symbol=SYMBOL, order_list_id=placed.order_list_id)
    assert canceled.order_list_id == placed.order_list_id
    assert canceled.list_status_type == "ALL_DONE" and canceled.list_order_status == "ALL_DONE"
    assert {leg.order_id for leg in canceled.orders} == {leg.order_id for leg in placed.orders}
    assert await ctx.client.open_order_lists_status() == []


async def sor_buy(ctx: Ctx) -> Any:
    [order] = await ctx.client.sor_order_place(symbol=SYMBOL, side="BUY", type="MARKET", quantity=QTY)
    assert order.symbol == SYMBOL and order.status == "FILLED" and order.executed_qty == QTY
    assert order.working_floor == "SOR" and order.used_sor is True
    return order


@scenario("sor.order.place")
async def _sor(ctx: Ctx) -> None:
    order = await sor_buy(ctx)
    assert (await ctx.client.order_status(symbol=SYMBOL, order_id=order.order_id)).status == "FILLED"


@scenario("myAllocations")
async def _allocations(ctx: Ctx) -> None:
    order = await sor_buy(ctx)
    allocations = await ctx.client.my_allocations(symbol=SYMBOL, order_id=order.order_id)
    assert allocations, "a SOR fill is recorded as allocations"
    assert all(a.order_id == order.order_id and a.symbol == SYMBOL for a in allocations)
    assert sum(a.qty for a in allocations) == QTY
    assert all(a.allocation_type == "SOR" and not a.is_allocator for a in allocations)


#: Methods the local exchange cannot make succeed yet, and why (strict: fixed means remove).
EMULATOR_GAPS: dict[str, str] = {}


# -- account and history ---------------------------------------------------------------------------


@scenario("account.status")
async def _account(ctx: Ctx) -> None:
    account = await ctx.client.account_status(omit_zero_balances=True)
    balances = {b.asset: b for b in account.balances}
    assert balances["BTC"].free == Decimal(10) and balances["USDT"].free == Decimal(1_000_000)
    assert all(b.free + b.locked > 0 for b in account.balances)
    await resting_buy(ctx)  # locks 45 USDT
    locked = {b.asset: b for b in (await ctx.client.account_status()).balances}["USDT"]
    assert locked.locked == Decimal("45.00000") and locked.free == Decimal(1_000_000) - locked.locked


@scenario("allOrders", "myTrades")
async def _history(ctx: Ctx) -> None:
    resting = await resting_buy(ctx)
    filled = await ctx.client.order_place(symbol=SYMBOL, side="BUY", type="MARKET", quantity=QTY)
    assert filled.status == "FILLED" and filled.executed_qty == QTY
    orders = await ctx.client.all_orders(symbol=SYMBOL)
    assert [(o.order_id, o.status) for o in orders] == [(resting.order_id, "NEW"), (filled.order_id, "FILLED")]
    trades = await ctx.client.my_trades(symbol=SYMBOL)
    assert trades and all(t.order_id == filled.order_id and t.is_buyer for t in trades)
    assert sum(t.qty for t in trades) == QTY
    assert [t.order_id for t in await ctx.client.my_trades(symbol=SYMBOL, order_id=resting.order_id)] == []


@scenario("myPreventedMatches")
async def _prevented(ctx: Ctx) -> None:
    maker = await ctx.client.order_place(
        symbol=SYMBOL, side="SELL", type="LIMIT", time_in_force="GTC", price=Decimal("50000.05"), quantity=QTY
    )
    taker = await ctx.client.order_place(
        symbol=SYMBOL,
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        price=Decimal("50000.05"),
        quantity=QTY,
        self_trade_prevention_mode="EXPIRE_TAKER",
    )
    assert taker.status == "EXPIRED_IN_MATCH"
    matches = await ctx.client.my_prevented_matches(symbol=SYMBOL, order_id=taker.order_id)
    assert len(matches) == 1
    match = matches[0]
    assert (match.maker_order_id, match.taker_order_id) == (maker.order_id, taker.order_id)
    assert match.self_trade_prevention_mode == "EXPIRE_TAKER" and match.price == Decimal("50000.05")
    by_id = await ctx.client.my_prevented_matches(symbol=SYMBOL, prevented_match_id=match.prevented_match_id)
    assert [m.prevented_match_id for m in by_id] == [match.prevented_match_id]


@scenario("account.rateLimits.orders")
async def _order_limits(ctx: Ctx) -> None:
    await resting_buy(ctx)
    limits = await ctx.client.account_rate_limits_orders()
    assert limits and all(limit.rate_limit_type == "ORDERS" for limit in limits)
    assert any(limit.count >= 1 for limit in limits)


@scenario("account.commission", "myFilters")
async def _commission(ctx: Ctx) -> None:
    commission = await ctx.client.account_commission(symbol=SYMBOL)
    assert commission.symbol == SYMBOL and commission.standard_commission.taker > 0
    filters = await ctx.client.my_filters(symbol=SYMBOL)
    assert isinstance(filters.symbol_filters, list) and isinstance(filters.exchange_filters, list)
    assert any(isinstance(f, types.MaxNumOrdersFilter) for f in filters.symbol_filters)


# -- the tests ---------------------------------------------------------------------------------------


def test_every_spec_method_has_a_client_method() -> None:
    methods = [
        name
        for name, member in inspect.getmembers(AsyncClient, inspect.iscoroutinefunction)
        if member.__module__ == _async_client.__name__
    ]
    assert len(methods) == len(METHODS)
    assert all(callable(getattr(Client, name, None)) for name in methods)


@pytest.mark.parametrize("blocking", [False, True], ids=["async", "blocking"])
@pytest.mark.parametrize(
    "wire",
    [
        pytest.param(w, marks=pytest.mark.xfail(reason=EMULATOR_GAPS[w], strict=True)) if w in EMULATOR_GAPS else w
        for w in sorted(METHODS)
    ],
)
async def test_method_succeeds(wire: str, blocking: bool, emulator: Emulator, ed25519_key: Ed25519Key) -> None:
    run = SCENARIOS.get(wire)
    assert run is not None, f"{wire}: no scenario; add one to {__name__}"
    if blocking:
        sync = Client(url=emulator.url, key=ed25519_key, timeout=5)
        await asyncio.to_thread(sync.connect)
        try:
            await run(Ctx(Blocking(sync), emulator, ed25519_key))
        finally:
            await asyncio.to_thread(sync.close)
    else:
        async with AsyncClient(url=emulator.url, key=ed25519_key, timeout=5) as client:
            await run(Ctx(client, emulator, ed25519_key))
    assert emulator.requests.get(wire, 0) >= 1


def test_every_scenario_is_a_spec_method() -> None:
    assert set(SCENARIOS) <= set(METHODS)


async def test_order_list_place_needs_stop_price_or_trailing_delta(emulator: Emulator, ed25519_key: Ed25519Key) -> None:
    async with AsyncClient(url=emulator.url, key=ed25519_key, timeout=5) as client:
        with pytest.raises(ParamError) as caught:
            await client.order_list_place(symbol=SYMBOL, side="SELL", price=Decimal("61000.00"), quantity=QTY)
    assert caught.value.param == "stop_price or trailing_delta"
    assert "orderList.place" not in emulator.requests


@pytest.mark.parametrize("name", ["order_place", "order_cancel_replace", "depth", "account_status"])
def test_signatures_are_typed(name: str) -> None:
    hints = inspect.get_annotations(getattr(AsyncClient, name))
    assert hints["return"].startswith("types.")
    assert hints["return_rate_limits"] == "bool | UnsetType"
