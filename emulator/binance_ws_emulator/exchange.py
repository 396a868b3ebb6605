"""The local exchange's state and operations, shared by all connections (sans-IO: the clock
is injected, so the rules are testable without sockets or sleeps).

Layers: `Matching` (matching.py: books, balances, matching, stops) <- `OrderListEngine`
(order_list_engine.py: contingencies) <- `Exchange` (here: keys, placing, cancelling,
lookups, deposits and the market maker that seeds the books and moves the market).
Orders are indexed in `OrderIndex`, user-data events built in `UserDataEvents`, trades and
book changes observable through `market` (`MarketObservers`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .accounts import MARKET_MAKER
from .auth import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, ApiKey, KeyKind, make_key
from .book import STOP_TYPES, ZERO, Fill, Order
from .errors import EmulatorError
from .matching import one_time
from .order_list_engine import OrderListEngine
from .symbols import DEFAULT_SYMBOLS, SymbolInfo

__all__ = ["DEFAULT_SYMBOLS", "MARKET_MAKER", "Exchange", "SymbolInfo"]


class Exchange(OrderListEngine):
    """All state of the emulated exchange."""

    def __init__(
        self, *, seed: int = 1, symbols: tuple[SymbolInfo, ...] = DEFAULT_SYMBOLS, now_ms: Callable[[], int]
    ) -> None:
        super().__init__(seed=seed, symbols=symbols, now_ms=now_ms)
        self.keys: dict[str, ApiKey] = {}
        self.amendments: list[dict[str, Any]] = []
        self._quotes: dict[str, list[Order]] = {}  # the market maker's resting quotes, per symbol
        self.add_key(DOCS_HMAC_API_KEY, "hmac", account="demo", secret=DOCS_HMAC_SECRET)
        self._seed_books()

    # -- keys, orders and balances ----------------------------------------------------------

    def add_key(
        self, api_key: str, kind: KeyKind, *, account: str, secret: str | bytes = b"", public_key_pem: bytes | str = b""
    ) -> None:
        self.keys[api_key] = make_key(api_key, kind, account=account, secret=secret, public_key_pem=public_key_pem)
        self.account(account)

    def place(
        self,
        account: str,
        symbol: str,
        side: str,
        type_: str,
        time_in_force: str,
        price: Decimal,
        quantity: Decimal,
        quote_order_qty: Decimal,
        client_order_id: str | None,
        *,
        stop_price: Decimal = ZERO,
        trailing_delta: int = 0,
        iceberg_qty: Decimal = ZERO,
        peg: tuple[str, str | None, int | None] | None = None,
        stp_mode: str | None = None,
        strategy: tuple[int | None, int | None] = (None, None),
        used_sor: bool = False,
    ) -> tuple[Order, list[Fill]]:
        if client_order_id is not None:
            self.check_client_id(account, client_order_id)
        return self._place(
            account,
            symbol,
            side,
            type_,
            time_in_force,
            price,
            quantity,
            quote_order_qty,
            client_order_id,
            stop_price=stop_price,
            trailing_delta=trailing_delta,
            iceberg_qty=iceberg_qty,
            peg=peg,
            stp_mode=stp_mode,
            strategy=strategy,
            used_sor=used_sor,
        )

    @one_time
    def _place(
        self,
        account: str,
        symbol: str,
        side: str,
        type_: str,
        time_in_force: str,
        price: Decimal,
        quantity: Decimal,
        quote_order_qty: Decimal,
        client_order_id: str | None,
        *,
        stop_price: Decimal = ZERO,
        trailing_delta: int = 0,
        iceberg_qty: Decimal = ZERO,
        peg: tuple[str, str | None, int | None] | None = None,
        stp_mode: str | None = None,
        strategy: tuple[int | None, int | None] = (None, None),
        used_sor: bool = False,
    ) -> tuple[Order, list[Fill]]:
        now = self.now_ms()
        order = Order(
            symbol,
            next(self._order_ids),
            client_order_id or self.new_client_order_id(),
            account,
            side,
            type_,
            time_in_force,
            price,
            quantity,
            now,
            quote_order_qty=quote_order_qty,
            update_ms=now,
            working_ms=now,
            stp_mode=stp_mode or "EXPIRE_MAKER",
            stop_price=stop_price,
            trailing_delta=trailing_delta,
            iceberg_qty=iceberg_qty,
            client_price=price,
            strategy_id=strategy[0],
            strategy_type=strategy[1],
            used_sor=used_sor,
        )
        if peg is not None:
            order.peg_price_type, order.peg_offset_type, order.peg_offset_value = peg
            if type_ not in STOP_TYPES:  # stop-limit orders are pegged when they trigger
                order.price = self._pegged_price(order)
        if type_ in STOP_TYPES:
            # A trailing stop with a stopPrice may be placed past it: that only starts tracking.
            if not trailing_delta and order.triggers_at(self.books[symbol].last_price() or self.symbols[symbol].mid):
                raise EmulatorError(400, -2010, "Order would trigger immediately.")
            self.index.add(order)
            return self._park_stop(order)
        result = self._execute(order, check_balance=True)
        self._trigger_stops(symbol)
        return result

    @one_time
    def cancel(
        self,
        account: str,
        symbol: str,
        order_id: int | None,
        orig_client_order_id: str | None,
        *,
        whole_list: bool = True,
        cancel_id: str | None = None,
    ) -> Order:
        """Cancel an open order. The order keeps its clientOrderId; `cancel_id` is the cancel's
        own id (the request's newClientOrderId, generated if None), `c` of the CANCELED event."""
        order = self.find(account, symbol, order_id, orig_client_order_id)
        if order is None or not order.is_open:
            raise EmulatorError(400, -2011, "Unknown order sent.")
        if whole_list and order.order_list_id != -1:
            self.cancel_list(account, order.order_list_id, cancel_id)  # cancelling a leg cancels the whole list
            return order
        self._withdraw(order, cancel_id or self.new_client_order_id())
        return order

    @one_time
    def amend(self, order: Order, new_qty: Decimal, client_order_id: str) -> int:
        """Reduce an open order's quantity keeping its place in the queue (order.amend.keepPriority):
        the released part is unlocked, the order takes `client_order_id`; the execution id."""
        info = self.symbols[order.symbol]
        released = order.orig_qty - new_qty
        asset, amount = (info.quote, order.price * released) if order.side == "BUY" else (info.base, released)
        if order not in self.stops.get(order.symbol, []):  # an untriggered stop has nothing locked
            self.account(order.account).move(asset, free=amount, locked=-amount)
            self.books[order.symbol].level_changed(order.side, order.price)
        previous = order.client_order_id
        order.orig_qty = new_qty  # same queue position: the order object stays where it is
        if order.iceberg_qty:
            order.tip_left = min(order.tip_left, order.remaining)
        self.index.rename(order, client_order_id)
        now = self.now_ms()
        order.update_ms = now
        execution_id = self.events.execution_report(order, "REPLACED", replaced=previous)
        self.amendments.append(
            {
                "account": order.account,
                "symbol": order.symbol,
                "orderId": order.order_id,
                "executionId": execution_id,
                "origClientOrderId": previous,
                "newClientOrderId": client_order_id,
                "origQty": f"{order.orig_qty + released:.8f}",
                "newQty": f"{new_qty:.8f}",
                "time": now,
            }
        )
        record = self.order_lists.get(order.order_list_id)
        if record is not None and client_order_id != previous:
            for entry in record["orders"]:
                if entry["orderId"] == order.order_id:
                    entry["clientOrderId"] = client_order_id
            self.events.list_status(record, "UPDATED")
        if order not in self.stops.get(order.symbol, []):
            self.events.account_position(order.account, (asset,))
        return execution_id

    def find(self, account: str, symbol: str, order_id: int | None, client_order_id: str | None) -> Order | None:
        """An order of the account by id (its client id must then match, -2039) or client id."""
        if order_id is not None:
            order = self.orders.get(order_id)
            if order is None or order.account != account or order.symbol != symbol:
                return None
            if client_order_id is not None and order.client_order_id != client_order_id:
                raise EmulatorError(400, -2039, "Client order ID is not correct for this order ID.")
            return order
        if client_order_id is None:
            return None
        return self.index.by_client_id(account, symbol, client_order_id)

    def open_orders(self, account: str, symbol: str | None = None) -> list[Order]:
        return [o for o in self.index.of_account(account) if o.is_open and (symbol is None or o.symbol == symbol)]

    def deposit(self, account: str, asset: str, amount: Decimal) -> None:
        """Control API: credit (or debit) a balance, with the `balanceUpdate` event."""
        self.account(account).move(asset, free=amount)
        self.events.balance_update(account, asset, amount)
        self.events.account_position(account, (asset,))

    # -- the market maker ------------------------------------------------------------------

    def _seed_books(self) -> None:
        maker = self.account(MARKET_MAKER)
        for info in self.symbols.values():
            maker.move(info.base, free=Decimal(10**9))
            maker.move(info.quote, free=Decimal(10**12))
            self._quote(info, info.mid)
            # a little trade history so trades/klines have data
            for _ in range(5):
                self._place(MARKET_MAKER, info.symbol, "BUY", "MARKET", "GTC", ZERO, info.step_size * 100, ZERO, None)

    def _quote(self, info: SymbolInfo, mid: Decimal) -> None:
        """The market maker's 20 levels a side around `mid` (its orders may trade on arrival)."""
        quotes = self._quotes.setdefault(info.symbol, [])
        for level in range(1, 21):
            offset = info.tick_size * level * 10
            qty = (info.step_size * self.random.randint(1000, 50000)).quantize(info.step_size)
            for side, price in (("BUY", mid - offset), ("SELL", mid + offset)):
                quotes.append(self._place(MARKET_MAKER, info.symbol, side, "LIMIT", "GTC", price, qty, ZERO, None)[0])

    def tick(self) -> None:
        """One step of an autonomous market: per symbol a small trade on a random side, then the
        market maker quotes afresh around the last price (which can fill resting orders and
        trigger stops, as a moving market does)."""
        for info in self.symbols.values():
            side = self.random.choice(("BUY", "SELL"))
            trade = self._place(
                MARKET_MAKER, info.symbol, side, "MARKET", "GTC", ZERO, info.step_size * 100, ZERO, None
            )
            book = self.books[info.symbol]
            last = book.last_price() or info.mid
            # Nobody queries the market maker's orders: dropping them keeps memory flat.
            self.index.forget(trade[0])
            for order in self._quotes.pop(info.symbol, []):
                if order.is_open and book.remove(order):
                    self._release(order)
                self.index.forget(order)
            drift = last * Decimal(self.random.gauss(0, 0.0002))  # about 0.02 % a step
            self._quote(info, (last + drift).quantize(info.tick_size))
            self._trigger_stops(info.symbol)

    def market_trade(self, symbol: str, side: str, quantity: Decimal) -> None:
        """The market maker sends a MARKET order: the state evolves like a live market."""
        self._place(MARKET_MAKER, symbol, side, "MARKET", "GTC", ZERO, quantity, ZERO, None)
