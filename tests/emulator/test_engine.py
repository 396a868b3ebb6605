"""The matching engine without sockets: an Exchange with a fake clock and an empty book."""

from __future__ import annotations

from decimal import Decimal

import pytest

from binance_ws_emulator import EmulatorError, Exchange
from binance_ws_emulator.book import Book, Trade
from binance_ws_emulator.exchange import MARKET_MAKER

D = Decimal


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000_000

    def __call__(self) -> int:
        self.now += 1
        return self.now


@pytest.fixture
def exchange() -> Exchange:
    ex = Exchange(seed=1, now_ms=Clock())
    book = ex.books["BTCUSDT"]
    for order in [o for o in ex.orders.values() if o.symbol == "BTCUSDT" and o.is_open]:
        ex.cancel(MARKET_MAKER, "BTCUSDT", order.order_id, None)  # start from an empty book
    assert not book.bid_prices and not book.ask_prices
    return ex


def limit(ex: Exchange, account: str, side: str, price: str, qty: str, tif: str = "GTC", **kw: object):  # type: ignore[no-untyped-def]
    return ex.place(account, "BTCUSDT", side, "LIMIT", tif, D(price), D(qty), D(0), None, **kw)  # type: ignore[arg-type]


def test_price_time_priority_and_partial_fills(exchange: Exchange) -> None:
    first = limit(exchange, "a", "SELL", "100", "1")[0]
    second = limit(exchange, "b", "SELL", "100", "1")[0]
    better = limit(exchange, "c", "SELL", "99", "0.5")[0]
    taker, fills = limit(exchange, "d", "BUY", "100", "2")
    assert [(f.maker.order_id, f.price, f.qty) for f in fills] == [
        (better.order_id, D(99), D("0.5")),
        (first.order_id, D(100), D(1)),
        (second.order_id, D(100), D("0.5")),
    ]
    assert taker.status == "FILLED" and first.status == "FILLED" and second.status == "PARTIALLY_FILLED"
    assert exchange.books["BTCUSDT"].depth(5)[1] == [["100.00000000", "0.50000000"]]


def test_time_in_force(exchange: Exchange) -> None:
    limit(exchange, "a", "SELL", "100", "1")
    ioc, fills = limit(exchange, "b", "BUY", "100", "3", tif="IOC")
    assert ioc.status == "EXPIRED" and ioc.executed_qty == 1 and ioc.expiry_reason == "UNFILLED_IOC_QUANTITY_EXPIRED"
    limit(exchange, "a", "SELL", "100", "1")
    fok, fills = limit(exchange, "b", "BUY", "100", "3", tif="FOK")
    assert fok.status == "EXPIRED" and not fills and fok.expiry_reason == "UNFILLED_FOK_ORDER_EXPIRED"
    gtc, _ = limit(exchange, "b", "BUY", "100", "3")
    assert gtc.status == "PARTIALLY_FILLED" and exchange.books["BTCUSDT"].best_bid() == 100


def test_limit_maker_rejected_when_it_would_take(exchange: Exchange) -> None:
    limit(exchange, "a", "SELL", "100", "1")
    with pytest.raises(EmulatorError) as caught:
        exchange.place("b", "BTCUSDT", "BUY", "LIMIT_MAKER", "GTC", D(100), D(1), D(0), None)
    assert (caught.value.code, caught.value.msg) == (-2010, "Order would immediately match and take.")


def test_market_by_quote_quantity_and_balances(exchange: Exchange) -> None:
    limit(exchange, "a", "SELL", "100", "10")
    usdt, btc = exchange.account("b").free("USDT"), exchange.account("b").free("BTC")
    order, _ = exchange.place("b", "BTCUSDT", "BUY", "MARKET", "GTC", D(0), D(0), D("250"), None)
    assert order.status == "FILLED" and order.executed_qty == D("2.5") and order.cumulative_quote_qty == 250
    assert exchange.account("b").free("USDT") == usdt - 250
    assert exchange.account("b").free("BTC") == btc + D("2.5") - D("0.0025")  # 0.1 % commission on what it gets
    resting, _ = limit(exchange, "c", "BUY", "50", "2")
    assert exchange.account("c").balances["USDT"][1] == 100  # locked for the resting bid
    exchange.cancel("c", "BTCUSDT", resting.order_id, None)
    assert exchange.account("c").balances["USDT"][1] == 0


def test_insufficient_balance(exchange: Exchange) -> None:
    with pytest.raises(EmulatorError) as caught:
        limit(exchange, "poor", "BUY", "100", "1000000")
    assert caught.value.code == -2010 and "insufficient balance" in caught.value.msg


def test_stop_orders_wait_then_trigger(exchange: Exchange) -> None:
    limit(exchange, "a", "SELL", "100", "1")
    limit(exchange, "b", "BUY", "100", "1")  # last price 100
    with pytest.raises(EmulatorError, match="trigger immediately"):
        exchange.place("c", "BTCUSDT", "BUY", "STOP_LOSS", "GTC", D(0), D(1), D(0), None, stop_price=D(99))
    stop, _ = exchange.place("c", "BTCUSDT", "BUY", "STOP_LOSS", "GTC", D(0), D(1), D(0), None, stop_price=D(105))
    assert stop.status == "NEW" and stop.working_ms == -1
    limit(exchange, "a", "SELL", "106", "1")
    limit(exchange, "a", "SELL", "105", "1")
    limit(exchange, "b", "BUY", "105", "1")  # last price 105: the stop fires as MARKET and takes 106
    assert stop.status == "FILLED" and stop.cumulative_quote_qty == 106 and stop.working_ms > 0


def trade_at(ex: Exchange, price: str) -> None:
    """One trade of 0.01 at `price` between two bystanders (moves the last price)."""
    limit(ex, "x", "SELL", price, "0.01")
    limit(ex, "y", "BUY", price, "0.01")


def test_trailing_sell_stop_follows_the_high_then_fires_on_the_fall(exchange: Exchange) -> None:
    trade_at(exchange, "100")
    stop, _ = exchange.place(
        "c", "BTCUSDT", "SELL", "STOP_LOSS", "GTC", D(0), D("0.5"), D(0), None, trailing_delta=500
    )  # no stopPrice: tracking starts with the next trade
    assert stop.trailing_time == -1
    limit(exchange, "d", "BUY", "90", "1")  # where the triggered sell will go
    for price in ("101", "110", "105"):  # high 110; 105 is above 110 x 0.95 = 104.5
        trade_at(exchange, price)
    assert stop.status == "NEW" and stop.trailing_time > 0 and stop.trailing_extreme == 110
    trade_at(exchange, "104.5")
    assert stop.status == "FILLED" and stop.cumulative_quote_qty == D(45)  # sold into the 90 bid


def test_trailing_buy_stop_with_activation_price_as_documented(exchange: Exchange) -> None:
    """The docs' example: BUY STOP_LOSS_LIMIT, stopPrice 44,000, delta 500: tracking starts at
    44,000, the low is 42,000, and it triggers at 44,100 = 42,000 x 1.05."""
    trade_at(exchange, "43000")
    stop, _ = exchange.place(
        "c", "BTCUSDT", "BUY", "STOP_LOSS_LIMIT", "GTC", D(45000), D("0.1"), D(0), None,
        stop_price=D(44000), trailing_delta=500,
    )  # fmt: skip
    for price in ("43500", "44000", "43000", "42000", "44000", "44099.99"):
        trade_at(exchange, price)
    assert stop.status == "NEW" and stop.trailing_extreme == 42000
    limit(exchange, "d", "SELL", "44200", "0.1")
    trade_at(exchange, "44100")
    assert stop.status == "FILLED" and stop.cumulative_quote_qty == D("4420")  # as a LIMIT 45,000 buy


def test_trailing_stop_leg_of_an_oco_cancels_the_limit_leg(exchange: Exchange) -> None:
    trade_at(exchange, "100")
    legs = [
        {"type": "LIMIT_MAKER", "side": "SELL", "price": D(120), "stop": None, "qty": D(1), "tif": "GTC", "client_id": None},
        {"type": "STOP_LOSS", "side": "SELL", "price": None, "stop": None, "trailing": 1000, "qty": D(1), "tif": "GTC",
         "client_id": None},
    ]  # fmt: skip
    record, results = exchange.place_list("c", "BTCUSDT", "OCO", legs, 2, None)
    limit_leg, stop_leg = (order for order, _ in results)
    limit(exchange, "d", "BUY", "80", "1")
    for price in ("110", "100", "99.5"):  # high 110; fires at or below 99
        trade_at(exchange, price)
    assert stop_leg.status == "NEW" and limit_leg.status == "NEW"
    trade_at(exchange, "99")
    assert stop_leg.status == "FILLED" and limit_leg.status == "EXPIRED" and limit_leg.expiry_reason == "OCO_TRIGGER"
    assert record["listOrderStatus"] == "ALL_DONE"


def test_an_iceberg_shows_one_tip_and_requeues_each_new_one(exchange: Exchange) -> None:
    iceberg, _ = limit(exchange, "a", "SELL", "100", "1", iceberg_qty=D("0.3"))
    behind, _ = limit(exchange, "b", "SELL", "100", "0.5")
    assert exchange.books["BTCUSDT"].depth(1)[1] == [["100.00000000", "0.80000000"]]  # 0.3 shown + 0.5
    _, fills = limit(exchange, "c", "BUY", "100", "0.4")
    # the tip (0.3) first; its next tip queues behind `behind`, which gets the rest
    assert [(f.maker.order_id, f.qty) for f in fills] == [(iceberg.order_id, D("0.3")), (behind.order_id, D("0.1"))]
    assert exchange.books["BTCUSDT"].depth(1)[1] == [["100.00000000", "0.70000000"]]  # 0.4 + new tip 0.3
    _, fills = limit(exchange, "c", "BUY", "100", "1.1")
    assert [(f.maker.order_id, f.qty) for f in fills] == [
        (behind.order_id, D("0.4")),
        (iceberg.order_id, D("0.3")),
        (iceberg.order_id, D("0.3")),
        (iceberg.order_id, D("0.1")),  # the last, smaller tip
    ]
    assert iceberg.status == "FILLED" and not exchange.books["BTCUSDT"].ask_prices


def test_pegged_orders_take_their_price_from_the_book(exchange: Exchange) -> None:
    for price in ("97", "98", "99"):
        limit(exchange, "mm", "BUY", price, "1")
    limit(exchange, "mm", "SELL", "101", "1")
    primary, _ = limit(exchange, "a", "BUY", "0", "0.5", peg=("PRIMARY_PEG", None, None))
    deeper, _ = limit(exchange, "a", "BUY", "0", "0.5", peg=("PRIMARY_PEG", "PRICE_LEVEL", 2))
    assert (primary.price, primary.reported_price, deeper.price) == (D(99), D(0), D(97))
    taker, fills = limit(exchange, "b", "BUY", "0", "0.5", tif="IOC", peg=("MARKET_PEG", None, None))
    assert taker.price == 101 and [(f.price, f.qty) for f in fills] == [(D(101), D("0.5"))]
    with pytest.raises(EmulatorError, match="liquidity is too low"):
        limit(exchange, "b", "SELL", "0", "0.5", peg=("PRIMARY_PEG", "PRICE_LEVEL", 5))  # one ask level only


def test_a_pegged_stop_limit_is_priced_when_it_triggers(exchange: Exchange) -> None:
    trade_at(exchange, "100")
    stop, _ = exchange.place(
        "c", "BTCUSDT", "SELL", "STOP_LOSS_LIMIT", "GTC", D(0), D("0.5"), D(0), None,
        stop_price=D(95), peg=("PRIMARY_PEG", None, None),
    )  # fmt: skip
    assert stop.price == 0
    limit(exchange, "d", "SELL", "96", "1")  # the best ask when the stop fires
    limit(exchange, "d", "BUY", "90", "1")
    trade_at(exchange, "95")
    assert stop.price == 96 and stop.status == "NEW" and stop.working_ms > 0  # resting at the pegged price


@pytest.mark.parametrize(
    ("mode", "taker_status", "maker_status"),
    [
        ("EXPIRE_TAKER", "EXPIRED_IN_MATCH", "NEW"),
        ("EXPIRE_MAKER", "NEW", "EXPIRED_IN_MATCH"),
        ("EXPIRE_BOTH", "EXPIRED_IN_MATCH", "EXPIRED_IN_MATCH"),
        ("NONE", "FILLED", "FILLED"),
    ],
)
def test_self_trade_prevention(exchange: Exchange, mode: str, taker_status: str, maker_status: str) -> None:
    maker, _ = limit(exchange, "same", "SELL", "100", "1")
    taker, fills = limit(exchange, "same", "BUY", "100", "1", stp_mode=mode)
    assert (taker.status, maker.status) == (taker_status, maker_status)
    assert bool(fills) == (mode == "NONE")
    assert bool(exchange.prevented_matches) == (mode != "NONE")


def test_decrement_reduces_both(exchange: Exchange) -> None:
    maker, _ = limit(exchange, "same", "SELL", "100", "3")
    taker, _ = limit(exchange, "same", "BUY", "100", "1", stp_mode="DECREMENT")
    assert taker.status == "EXPIRED_IN_MATCH" and taker.prevented_qty == 1
    assert maker.remaining == 2 and maker.is_open


def leg(type_: str, side: str, qty: str, price: str | None = None, stop: str | None = None) -> dict[str, object]:
    return {
        "type": type_,
        "side": side,
        "qty": D(qty),
        "price": D(price) if price else None,
        "stop": D(stop) if stop else None,
        "tif": "GTC",
        "client_id": None,
    }


def test_oco_fill_of_one_leg_expires_the_other(exchange: Exchange) -> None:
    events: list[dict[str, object]] = []
    exchange.listeners.append(lambda account, event: events.append(event))
    limit(exchange, "m", "SELL", "100", "1")
    limit(exchange, "m2", "BUY", "100", "1")  # last price 100
    record, results = exchange.place_list(
        "a",
        "BTCUSDT",
        "OCO",
        [leg("LIMIT_MAKER", "SELL", "1", price="110"), leg("STOP_LOSS", "SELL", "1", stop="90")],
        2,
        None,
    )
    maker_leg, stop_leg = (order for order, _ in results)
    assert maker_leg.status == "NEW" and stop_leg.working_ms == -1
    limit(exchange, "b", "BUY", "110", "1")  # takes the limit leg
    assert maker_leg.status == "FILLED"
    assert (stop_leg.status, stop_leg.expiry_reason) == ("EXPIRED", "OCO_TRIGGER")
    assert record["listOrderStatus"] == "ALL_DONE"
    statuses = [e["l"] for e in events if e["e"] == "listStatus"]
    assert statuses[0] == "EXEC_STARTED" and statuses[-1] == "ALL_DONE"


def test_oto_pending_leg_starts_when_the_working_leg_fills(exchange: Exchange) -> None:
    _, results = exchange.place_list(
        "a", "BTCUSDT", "OTO", [leg("LIMIT", "BUY", "1", price="95"), leg("LIMIT", "SELL", "1", price="120")], 1, None
    )
    working, pending = (order for order, _ in results)
    assert pending.status == "PENDING_NEW" and exchange.books["BTCUSDT"].best_ask() is None
    limit(exchange, "b", "SELL", "95", "1")
    assert working.status == "FILLED" and pending.status == "NEW"
    assert exchange.books["BTCUSDT"].best_ask() == 120


def test_cancelling_a_leg_cancels_the_list_and_deposits_emit_balance_updates(exchange: Exchange) -> None:
    record, results = exchange.place_list(
        "a",
        "BTCUSDT",
        "OCO",
        [leg("LIMIT_MAKER", "SELL", "1", price="110"), leg("STOP_LOSS", "SELL", "1", stop="90")],
        2,
        None,
    )
    exchange.cancel("a", "BTCUSDT", results[0][0].order_id, None)
    assert [order.status for order, _ in results] == ["CANCELED", "CANCELED"]
    assert record["listStatusType"] == "ALL_DONE"
    events: list[dict[str, object]] = []
    exchange.listeners.append(lambda account, event: events.append(event))
    exchange.deposit("a", "BNB", D("1.5"))
    assert events[0] == {"e": "balanceUpdate", "E": events[0]["E"], "a": "BNB", "d": "1.50000000", "T": events[0]["T"]}
    assert events[1]["e"] == "outboundAccountPosition"


def test_ticks_move_the_market_and_keep_it_quoted() -> None:
    exchange = Exchange(seed=7, now_ms=Clock())
    book = exchange.books["BTCUSDT"]
    start, trades = book.last_price(), len(book.trades)
    stop, _ = exchange.place("c", "BTCUSDT", "SELL", "STOP_LOSS", "GTC", D(0), D("0.01"), D(0), None, trailing_delta=10)
    prices = set()
    for _ in range(300):
        exchange.tick()
        prices.add(book.last_price())
        assert len(book.bid_prices) >= 20 and len(book.ask_prices) >= 20
        assert book.best_bid() < book.best_ask()  # type: ignore[operator]
    assert len(book.trades) >= trades + 300 and len(prices) > 10 and book.last_price() != start
    assert stop.status == "FILLED"  # a 0.1 % trailing stop does not survive 300 random steps
    assert len(exchange.orders) < 200  # the market maker's old quotes are not kept


def test_the_order_index_holds_exactly_the_orders_kept() -> None:
    ex = Exchange(seed=4, now_ms=Clock())
    kept = limit(
        ex,
        "a",
        "BUY",
        "49000",
        "0.01",
    )[0]
    for _ in range(30):
        ex.tick()  # the market maker's old quotes and trades are dropped, from the index too
    indexed = [o for holders in ex.index._by_client.values() for o in holders]
    assert sorted(o.order_id for o in indexed) == sorted(ex.orders)
    assert len(ex.orders) < 3 * 40 + 20  # about one set of quotes per symbol, not 30
    assert ex.find("a", "BTCUSDT", None, kept.client_order_id) is kept
    assert ex.open_orders("a") == [kept]


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[object, ...]] = []

    def on_trade(self, symbol: str, trade: Trade) -> None:
        self.seen.append(("trade", symbol, trade.price, trade.qty))

    def on_book_change(self, symbol: str, side: str, price: D, book: Book) -> None:
        self.seen.append(("level", symbol, side, price, book.update_id))


def test_market_observers_see_every_trade_and_level_change(exchange: Exchange) -> None:
    recorder = Recorder()
    exchange.market.observers.append(recorder)
    resting = limit(exchange, "a", "SELL", "100", "2")[0]
    assert recorder.seen == [("level", "BTCUSDT", "SELL", D("100"), exchange.books["BTCUSDT"].update_id)]
    recorder.seen.clear()
    limit(exchange, "b", "BUY", "100", "2")  # fills the resting order: the level goes
    assert recorder.seen[0] == ("trade", "BTCUSDT", D("100"), D("2"))
    assert recorder.seen[1][:4] == ("level", "BTCUSDT", "SELL", D("100"))
    assert exchange.books["BTCUSDT"].trades[-1].price == D("100") and not resting.is_open
    recorder.seen.clear()
    bid = limit(exchange, "b", "BUY", "99", "1")[0]
    exchange.cancel("b", "BTCUSDT", bid.order_id, None)
    assert [entry[:4] for entry in recorder.seen] == [("level", "BTCUSDT", "BUY", D("99"))] * 2
    first, second = recorder.seen
    assert second[4] == first[4] + 1  # type: ignore[operator]


def test_the_market_makers_trades_are_not_kept_per_account() -> None:
    ex = Exchange(seed=5, now_ms=Clock())
    for _ in range(30):
        ex.tick()
    assert ex.books["BTCUSDT"].trades  # the market traded
    assert [t for t in ex.account_trades if t["account"] == MARKET_MAKER] == []  # nobody can ask: memory stays flat
    limit(ex, "a", "BUY", "60000", "0.01")  # takes the market maker's ask
    assert [t["account"] for t in ex.account_trades] == ["a"]


def test_the_trades_of_one_match_share_its_time(exchange: Exchange) -> None:
    # The clock moves on every read: trades timed one by one would each get their own time.
    for price in ("100", "101", "102"):
        limit(exchange, "a", "SELL", price, "1")
    _, fills = limit(exchange, "b", "BUY", "102", "3")
    trades = exchange.books["BTCUSDT"].trades[-3:]
    assert len(fills) == 3 and [t.trade_id for t in trades] == [f.trade_id for f in fills]
    assert len({t.time_ms for t in trades}) == 1
