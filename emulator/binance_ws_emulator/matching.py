"""The matching engine: books, balances and orders of every account, price-time matching,
self-trade prevention, settlement and stop orders (sans-IO, the clock injected).

`OrderListEngine` (order_list_engine.py) builds the contingencies on top of it and
`Exchange` (exchange.py) the public operations; this layer calls up only through
`_list_progress`, the hook order lists use to follow their legs.
"""

from __future__ import annotations

import functools
import random
import string
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Concatenate, ParamSpec, TypeVar

from .accounts import MAKER_COMMISSION, MARKET_MAKER, STARTING_BALANCES, TAKER_COMMISSION, Account
from .book import STOP_TYPES, ZERO, Book, Fill, Order, Trade
from .errors import EmulatorError
from .market_events import MarketObservers
from .order_index import OrderIndex
from .symbols import SymbolInfo
from .user_data import UserDataEvents

_P = ParamSpec("_P")
_R = TypeVar("_R")
_M = TypeVar("_M", bound="Matching")


def one_time(operation: Callable[Concatenate[_M, _P], _R]) -> Callable[Concatenate[_M, _P], _R]:
    """An operation of the exchange (a placement, a cancel...) at one transaction time: every
    clock read inside it, nested operations included, gets the time it started, so its answer
    (`transactTime`, `workingTime`), its trades and its events (`T`) agree, as on Binance."""

    @functools.wraps(operation)
    def timed(self: _M, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if self.transaction_time is not None:
            return operation(self, *args, **kwargs)  # part of an operation under way
        self.transaction_time = self.clock()
        try:
            return operation(self, *args, **kwargs)
        finally:
            self.transaction_time = None

    return timed


class Matching:
    def __init__(self, *, seed: int, symbols: tuple[SymbolInfo, ...], now_ms: Callable[[], int]) -> None:
        self.clock = now_ms
        self.transaction_time: int | None = None  # while an operation runs (`one_time`): its time
        self.random = random.Random(seed)
        self.symbols = {s.symbol: s for s in symbols}
        self.market = MarketObservers()
        self.books = {s.symbol: self.market.watch(Book(s.symbol)) for s in symbols}
        self.accounts: dict[str, Account] = {}
        self.index = OrderIndex()
        self.orders = self.index.orders  # order id -> order (read-only outside the index)
        self.events = UserDataEvents(self.now_ms, self.account)
        self.listeners = self.events.listeners  # user-data listeners: (account, event)
        self.account_trades: list[dict[str, Any]] = []
        self.stops: dict[str, list[Order]] = {}  # untriggered stop orders, per symbol
        self.prevented_matches: list[dict[str, Any]] = []
        self._prevented_ids = {s.symbol: iter(range(1 << 62)) for s in symbols}  # per symbol, from 0 (stp_faq)
        self.allocations: list[dict[str, Any]] = []  # SOR allocations (myAllocations), oldest first
        self._alloc_ids = {s.symbol: iter(range(1 << 62)) for s in symbols}  # per symbol, from 0
        self._order_ids = iter(range(1, 1 << 62))
        self._trade_ids = {s.symbol: iter(range(1, 1 << 62)) for s in symbols}  # per symbol, as on Binance

    def now_ms(self) -> int:
        """The time: within an operation, its transaction time (`one_time`), else the clock's."""
        return self.clock() if self.transaction_time is None else self.transaction_time

    def account(self, name: str) -> Account:
        """The account of this name (created with the starting balances on first use)."""
        if name not in self.accounts:
            account = self.accounts[name] = Account(name)
            for asset, amount in STARTING_BALANCES:
                account.move(asset, free=Decimal(amount))
        return self.accounts[name]

    def new_client_order_id(self) -> str:
        return "".join(self.random.choice(string.ascii_letters + string.digits) for _ in range(22))

    def check_client_id(self, account: str, client_order_id: str) -> None:
        """-2010 if an open order of the account already has this client order id."""
        if self.index.open_with_client_id(account, client_order_id, list(self.symbols)):
            raise EmulatorError(400, -2010, "Duplicate order sent.")

    def _list_progress(self, order: Order) -> None:
        """Hook: an order of an order list traded, triggered or ended (the list layer reacts)."""

    def _withdraw(self, order: Order, cancel_id: str) -> None:
        """Take an open order off the book (or off the stop list) and unlock its funds: CANCELED."""
        symbol = order.symbol
        if order in self.stops.get(symbol, []):
            self.stops[symbol].remove(order)  # untriggered: nothing locked, not on the book
            order.status = "CANCELED"
            order.update_ms = self.now_ms()
            self.events.execution_report(order, "CANCELED", cancel_id=cancel_id)
            return
        info = self.symbols[symbol]
        self.books[symbol].remove(order)
        lock_asset, amount = (
            (info.quote, order.price * order.remaining) if order.side == "BUY" else (info.base, order.remaining)
        )
        self.account(order.account).move(lock_asset, free=amount, locked=-amount)
        order.status = "CANCELED"
        order.update_ms = self.now_ms()
        self.events.execution_report(order, "CANCELED", cancel_id=cancel_id)
        self.events.account_position(order.account, (lock_asset,))

    def _execute(self, order: Order, *, check_balance: bool) -> tuple[Order, list[Fill]]:
        """Match an order that is (now) working; rest, expire or fill it."""
        info = self.symbols[order.symbol]
        book = self.books[order.symbol]
        account = self.account(order.account)
        kind, side, price, quantity = order.working_type, order.side, order.price, order.orig_qty
        if kind == "LIMIT_MAKER" and book.crosses(side, price):
            raise EmulatorError(400, -2010, "Order would immediately match and take.")
        if side == "BUY":
            need = (
                price * quantity
                if kind != "MARKET"
                else (order.quote_order_qty or self._market_cost(book, side, quantity))
            )
            asset = info.quote
        else:
            need, asset = quantity, info.base
        if check_balance and account.free(asset) < need:
            if order.working_ms == -1 or order.type in STOP_TYPES:
                order.status = "EXPIRED"  # a triggered stop that can no longer be paid for
                self.events.execution_report(order, "EXPIRED")
                return order, []
            raise EmulatorError(400, -2010, "Account has insufficient balance for requested action.")
        self.index.add(order)
        if kind == "LIMIT" and order.time_in_force == "FOK" and book.fillable(side, price, quantity) < quantity:
            order.status, order.expiry_reason = "EXPIRED", "UNFILLED_FOK_ORDER_EXPIRED"
            self.events.execution_report(order, "NEW")
            self.events.execution_report(order, "EXPIRED")
            return order, []
        if order.type not in STOP_TYPES:
            self.events.execution_report(order, "NEW")
        fills = self._match(order, info, book)
        if order.remaining > 0 and order.is_open:
            if kind in ("LIMIT", "LIMIT_MAKER") and order.time_in_force == "GTC":
                book.rest(order)
                lock_asset, lock_amount = (
                    (info.quote, order.price * order.remaining) if side == "BUY" else (info.base, order.remaining)
                )
                account.move(lock_asset, free=-lock_amount, locked=lock_amount)
            else:
                order.status = "EXPIRED"
                order.expiry_reason = "INSUFFICIENT_LIQUIDITY" if kind == "MARKET" else "UNFILLED_IOC_QUANTITY_EXPIRED"
                self.events.execution_report(order, "EXPIRED")
        if fills:
            self.events.account_position(order.account, (info.base, info.quote))
        return order, fills

    def _trigger_stops(self, symbol: str) -> None:
        """Trigger every resting stop order the trades have reached (repeatedly: a triggered
        stop trades too). Plain stops look at the last price, trailing stops at every trade."""
        book = self.books[symbol]
        while True:
            last = book.last_price()
            waiting = self.stops.get(symbol, [])
            fired = [o for o in waiting if o.is_open and last is not None and self._stop_fires(o, book, last)]
            if not fired:
                return
            for order in fired:
                if order not in waiting or not order.is_open:
                    continue
                waiting.remove(order)
                order.working_ms = self.now_ms()
                if order.order_list_id != -1:
                    self._list_progress(order)  # a triggered OCO leg cancels its sibling
                if order.peg_price_type:
                    try:
                        order.price = self._pegged_price(order)
                    except EmulatorError:
                        order.status = "EXPIRED"  # nothing to peg to at trigger time
                        self.events.execution_report(order, "EXPIRED")
                        continue
                self._execute(order, check_balance=True)

    def _pegged_price(self, order: Order) -> Decimal:
        assert order.peg_price_type is not None
        price = self.books[order.symbol].peg_price(order.side, order.peg_price_type, order.peg_offset_value or 0)
        if price is None:
            raise EmulatorError(400, -2010, "Order book liquidity is too low for this pegged order.")
        return price

    def _stop_fires(self, order: Order, book: Book, last: Decimal) -> bool:
        if not order.trailing_delta:
            return order.triggers_at(last)
        fires = False
        now = self.now_ms()
        for trade in book.trades_after(order.trades_seen):
            fires = order.trail(trade.price, now) or fires
        order.trades_seen = book.last_trade_id()
        return fires

    def _park_stop(self, order: Order) -> tuple[Order, list[Fill]]:
        """A stop order waits off the book for its trigger (a trailing one tracks trades from now)."""
        order.working_ms = -1
        order.trades_seen = self.books[order.symbol].last_trade_id()
        self.stops.setdefault(order.symbol, []).append(order)
        self.events.execution_report(order, "NEW")
        return order, []

    def _market_cost(self, book: Book, side: str, qty: Decimal) -> Decimal:
        total, left = ZERO, qty
        for price, queue in book.opposite(side):
            for maker in queue:
                take = min(left, maker.remaining)
                total += take * price
                left -= take
                if left <= 0:
                    return total
        return total

    def _match(self, taker: Order, info: SymbolInfo, book: Book) -> list[Fill]:
        fills: list[Fill] = []
        taker_account = self.account(taker.account)
        market = taker.working_type == "MARKET"
        now = self.now_ms()  # one match, one transaction time for all its trades (as on Binance)
        for price, queue in book.opposite(taker.side):
            if not market and (price > taker.price if taker.side == "BUY" else price < taker.price):
                break
            i = 0
            while i < len(queue):  # the live queue: a refreshed iceberg tip goes to its back
                maker = queue[i]
                if not maker.is_open:
                    i += 1
                    continue  # expired while this match ran (an OCO sibling)
                if maker.account == taker.account and taker.stp_mode != "NONE" and taker.account != MARKET_MAKER:
                    self._prevent(taker, maker, price, book)
                    if not taker.is_open:
                        break
                    i += 1 if i < len(queue) and queue[i] is maker else 0
                    continue
                available = maker.visible
                if market and taker.quote_order_qty > 0:
                    budget = taker.quote_order_qty - taker.cumulative_quote_qty
                    qty = min(available, (budget / price).quantize(info.step_size, rounding="ROUND_DOWN"))
                    if qty <= 0:
                        break
                else:
                    qty = min(available, taker.remaining)
                if qty <= 0:
                    break
                fill = Fill(price, qty, maker, next(self._trade_ids[taker.symbol]))
                fills.append(fill)
                self._settle(taker, maker, fill, info, taker_account)
                book.record_trade(Trade(fill.trade_id, price, qty, now, taker.side == "SELL"))
                if maker.iceberg_qty:
                    maker.tip_left -= qty
                if maker.remaining == 0:
                    book.remove(maker)
                elif maker.iceberg_qty and maker.tip_left == 0:
                    book.refresh_tip(maker)  # the next tip queues behind the others at this price
                else:
                    book.level_changed(maker.side, price)  # partly filled: less at this price
                    i += 1
                if taker.remaining == 0 or (
                    taker.quote_order_qty > 0 and taker.cumulative_quote_qty >= taker.quote_order_qty
                ):
                    break
            else:
                continue
            break
        if taker.quote_order_qty > 0:
            # The quantity is whatever the quote amount bought: the order is complete.
            taker.orig_qty = taker.executed_qty
            if taker.executed_qty > 0:
                taker.status = "FILLED"
        return fills

    def _prevent(self, taker: Order, maker: Order, price: Decimal, book: Book) -> None:
        """Self-trade prevention with the taker's mode (TRANSFER acts as DECREMENT here)."""
        mode = taker.stp_mode
        quantity = min(taker.remaining, maker.remaining)
        record: dict[str, Any] = {
            "account": taker.account,
            "symbol": taker.symbol,
            "preventedMatchId": next(self._prevented_ids[taker.symbol]),
            "takerOrderId": taker.order_id,
            "makerSymbol": maker.symbol,
            "makerOrderId": maker.order_id,
            "tradeGroupId": -1,
            "selfTradePreventionMode": mode,
            "price": price,
            "transactTime": self.now_ms(),
        }
        expire_maker = mode in ("EXPIRE_MAKER", "EXPIRE_BOTH")
        expire_taker = mode in ("EXPIRE_TAKER", "EXPIRE_BOTH")
        if mode in ("DECREMENT", "TRANSFER"):
            self._release(maker, quantity)  # the resting order no longer holds what is taken off it
            taker.prevented_qty += quantity
            maker.prevented_qty += quantity
            record["takerPreventedQuantity"] = record["makerPreventedQuantity"] = quantity
            expire_maker, expire_taker = maker.remaining == 0, taker.remaining == 0
            if not expire_maker:
                book.level_changed(maker.side, price)
        else:
            if expire_maker:
                record["makerPreventedQuantity"] = maker.remaining
            if expire_taker:
                record["takerPreventedQuantity"] = taker.remaining

        def stp_fields(order: Order, counter: Order, prevented: Decimal) -> dict[str, Any]:
            """What an order that expires in this prevented match reports (user-data-stream.md)."""
            return {
                "v": record["preventedMatchId"],
                "A": f"{order.prevented_qty if mode in ('DECREMENT', 'TRANSFER') else prevented:.8f}",
                "B": f"{prevented:.8f}",
                "u": record["tradeGroupId"],
                "U": counter.order_id,
                "Cs": counter.symbol,
                "pl": f"{quantity:.8f}",
                "pL": f"{price:.8f}",
                "pY": f"{quantity * price:.8f}",
            }

        if expire_maker:
            prevented = record["makerPreventedQuantity"]
            self._release(maker)
            book.remove(maker)
            maker.status = "EXPIRED_IN_MATCH"
            self.events.execution_report(maker, "TRADE_PREVENTION", prevention=stp_fields(maker, taker, prevented))
        if expire_taker:
            prevented = record["takerPreventedQuantity"]
            taker.status = "EXPIRED_IN_MATCH"
            self.events.execution_report(taker, "TRADE_PREVENTION", prevention=stp_fields(taker, maker, prevented))
        self.prevented_matches.append(record)
        hidden = ("account", "symbol", "takerOrderId", "tradeGroupId", "selfTradePreventionMode", "transactTime")
        taker.prevented.append({k: v for k, v in record.items() if k not in hidden})

    def _release(self, order: Order, quantity: Decimal | None = None) -> None:
        """Unlock what a resting order had locked for its remaining quantity (or `quantity` of it)."""
        info = self.symbols[order.symbol]
        qty = order.remaining if quantity is None else quantity
        asset, amount = (info.quote, order.price * qty) if order.side == "BUY" else (info.base, qty)
        self.account(order.account).move(asset, free=amount, locked=-amount)

    @staticmethod
    def _commission(order: Order, info: SymbolInfo, qty: Decimal, quote: Decimal, rate: Decimal) -> tuple[Decimal, str]:
        """What an order pays for one fill: the received amount (BUY: the quantity, SELL: the
        notional) times its rate, in the received asset, to 8 decimals (the market maker pays none)."""
        received, asset = (qty, info.base) if order.side == "BUY" else (quote, info.quote)
        if order.account == MARKET_MAKER:
            return ZERO, asset
        return (received * rate).quantize(Decimal("0.00000001")), asset

    def _settle(self, taker: Order, maker: Order, fill: Fill, info: SymbolInfo, taker_account: Account) -> None:
        """Move the balances of one fill, commission taken from what each side receives, and
        report it (one trade id per fill). An SOR taker is filled by an allocation, not a
        trade: `fill.alloc_id` is set."""
        price, qty, trade_id = fill.price, fill.qty, fill.trade_id
        quote = price * qty
        maker_account = self.account(maker.account)
        taker_fee, taker_fee_asset = self._commission(taker, info, qty, quote, TAKER_COMMISSION)
        maker_fee, maker_fee_asset = self._commission(maker, info, qty, quote, MAKER_COMMISSION)
        fill.commission, fill.commission_asset = taker_fee, taker_fee_asset
        if taker.side == "BUY":
            taker_account.move(info.quote, free=-quote)
            taker_account.move(info.base, free=qty - taker_fee)
            maker_account.move(info.base, locked=-qty)
            maker_account.move(info.quote, free=quote - maker_fee)
        else:
            taker_account.move(info.base, free=-qty)
            taker_account.move(info.quote, free=quote - taker_fee)
            maker_account.move(info.quote, locked=-quote)
            maker_account.move(info.base, free=qty - maker_fee)
        fees = {taker.order_id: (taker_fee, taker_fee_asset), maker.order_id: (maker_fee, maker_fee_asset)}
        now = self.now_ms()
        for order in (taker, maker):
            order.executed_qty += qty
            order.cumulative_quote_qty += quote
            order.status = "FILLED" if order.remaining == 0 else "PARTIALLY_FILLED"
            order.update_ms = now
        alloc_id = next(self._alloc_ids[info.symbol]) if taker.used_sor else None
        if alloc_id is not None:
            self.allocations.append(
                {
                    "account": taker.account,
                    "symbol": info.symbol,
                    "allocationId": alloc_id,
                    "allocationType": "SOR",
                    "orderId": taker.order_id,
                    "orderListId": taker.order_list_id,
                    "price": price,
                    "qty": qty,
                    "quoteQty": quote,
                    "commission": taker_fee,
                    "commissionAsset": taker_fee_asset,
                    "time": now,
                    "isBuyer": taker.side == "BUY",
                    "isMaker": False,
                    "isAllocator": False,
                }
            )
        for order, is_maker in ((taker, False), (maker, True)):
            if order.account == MARKET_MAKER or (order is taker and alloc_id is not None):
                continue  # nobody queries its trades: keeping them would grow memory with every tick
            self.account_trades.append(
                {
                    "account": order.account,
                    "symbol": info.symbol,
                    "id": trade_id,
                    "orderId": order.order_id,
                    "orderListId": order.order_list_id,
                    "price": price,
                    "qty": qty,
                    "quoteQty": quote,
                    "commission": fees[order.order_id][0],
                    "commissionAsset": fees[order.order_id][1],
                    "time": now,
                    "isBuyer": order.side == "BUY",
                    "isMaker": is_maker,
                }
            )
        self.events.execution_report(
            taker, "TRADE", (price, qty, trade_id), alloc_id=alloc_id, commission=(taker_fee, taker_fee_asset)
        )
        self.events.execution_report(maker, "TRADE", (price, qty, trade_id), commission=(maker_fee, maker_fee_asset))
        for order in (taker, maker):
            if order.order_list_id != -1:
                self._list_progress(order)
        if maker.account != taker.account:
            self.events.account_position(maker.account, (info.base, info.quote))
        fill.alloc_id = alloc_id
