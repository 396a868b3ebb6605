"""Exchange state shared by all connections: symbols, books, accounts, keys, orders (sans-IO).

The clock is injected (`now_ms`), so the rules are testable without sockets or sleeps.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .auth import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, ApiKey, KeyKind, make_key
from .book import MAX_ICEBERG_PARTS, MAX_TRAILING_DELTA, MIN_TRAILING_DELTA, STOP_TYPES, ZERO, Book, Fill, Order, Trade
from .errors import EmulatorError
from .order_index import OrderIndex


@dataclass(frozen=True)
class SymbolInfo:
    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    mid: Decimal  # seed price

    def exchange_info(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "status": "TRADING",
            "baseAsset": self.base,
            "baseAssetPrecision": 8,
            "quoteAsset": self.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": [
                "LIMIT",
                "LIMIT_MAKER",
                "MARKET",
                "STOP_LOSS",
                "STOP_LOSS_LIMIT",
                "TAKE_PROFIT",
                "TAKE_PROFIT_LIMIT",
            ],
            "icebergAllowed": True,
            "ocoAllowed": True,
            "otoAllowed": True,
            "opoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": True,
            "cancelReplaceAllowed": True,
            "amendAllowed": True,
            "pegInstructionsAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": f"{self.tick_size:.8f}",
                    "maxPrice": "1000000.00000000",
                    "tickSize": f"{self.tick_size:.8f}",
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": f"{self.min_qty:.8f}",
                    "maxQty": f"{self.max_qty:.8f}",
                    "stepSize": f"{self.step_size:.8f}",
                },
                {"filterType": "ICEBERG_PARTS", "limit": MAX_ICEBERG_PARTS},
                {
                    "filterType": "TRAILING_DELTA",
                    "minTrailingAboveDelta": MIN_TRAILING_DELTA,
                    "maxTrailingAboveDelta": MAX_TRAILING_DELTA,
                    "minTrailingBelowDelta": MIN_TRAILING_DELTA,
                    "maxTrailingBelowDelta": MAX_TRAILING_DELTA,
                },
                {
                    "filterType": "NOTIONAL",
                    "minNotional": f"{self.min_notional:.8f}",
                    "applyMinToMarket": True,
                    "maxNotional": "9000000.00000000",
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
                },
                {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            ],
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"],
        }


DEFAULT_SYMBOLS = (
    SymbolInfo(
        "BTCUSDT",
        "BTC",
        "USDT",
        Decimal("0.01"),
        Decimal("0.00001"),
        Decimal("0.00001"),
        Decimal("9000"),
        Decimal("5"),
        Decimal("50000"),
    ),
    SymbolInfo(
        "ETHUSDT",
        "ETH",
        "USDT",
        Decimal("0.01"),
        Decimal("0.0001"),
        Decimal("0.0001"),
        Decimal("100000"),
        Decimal("5"),
        Decimal("3000"),
    ),
    SymbolInfo(
        "ETHBTC",
        "ETH",
        "BTC",
        Decimal("0.00001"),
        Decimal("0.0001"),
        Decimal("0.0001"),
        Decimal("100000"),
        Decimal("0.0001"),
        Decimal("0.06"),
    ),
)

MARKET_MAKER = "__market_maker__"


@dataclass
class Account:
    name: str
    balances: dict[str, list[Decimal]] = field(default_factory=dict)  # asset -> [free, locked]

    def free(self, asset: str) -> Decimal:
        return self.balances.setdefault(asset, [ZERO, ZERO])[0]

    def move(self, asset: str, free: Decimal = ZERO, locked: Decimal = ZERO) -> None:
        entry = self.balances.setdefault(asset, [ZERO, ZERO])
        entry[0] += free
        entry[1] += locked


Listener = Callable[[str, dict[str, Any]], None]  # (account, event)


class Exchange:
    """All state of the emulated exchange."""

    def __init__(
        self, *, seed: int = 1, symbols: tuple[SymbolInfo, ...] = DEFAULT_SYMBOLS, now_ms: Callable[[], int]
    ) -> None:
        self.now_ms = now_ms
        self.random = random.Random(seed)
        self.symbols = {s.symbol: s for s in symbols}
        self.books = {s.symbol: Book(s.symbol) for s in symbols}
        self.accounts: dict[str, Account] = {}
        self.keys: dict[str, ApiKey] = {}
        self.index = OrderIndex()
        self.orders = self.index.orders  # order id -> order (read-only outside the index)
        self.listeners: list[Listener] = []
        self.account_trades: list[dict[str, Any]] = []
        self.order_lists: dict[int, dict[str, Any]] = {}
        self.stops: dict[str, list[Order]] = {}
        self.prevented_matches: list[dict[str, Any]] = []
        self.amendments: list[dict[str, Any]] = []
        self._quotes: dict[str, list[Order]] = {}  # the market maker's resting quotes, per symbol
        self._order_ids = iter(range(1, 1 << 62))
        self._trade_ids = iter(range(1, 1 << 62))
        self.add_key(DOCS_HMAC_API_KEY, "hmac", account="demo", secret=DOCS_HMAC_SECRET)
        self._seed_books()

    # -- setup -----------------------------------------------------------------------------

    def account(self, name: str) -> Account:
        if name not in self.accounts:
            account = self.accounts[name] = Account(name)
            for asset, amount in (("USDT", "1000000"), ("BTC", "10"), ("ETH", "100"), ("BNB", "100")):
                account.move(asset, free=Decimal(amount))
        return self.accounts[name]

    def add_key(
        self, api_key: str, kind: KeyKind, *, account: str, secret: str | bytes = b"", public_key_pem: bytes | str = b""
    ) -> None:
        self.keys[api_key] = make_key(api_key, kind, account=account, secret=secret, public_key_pem=public_key_pem)
        self.account(account)

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

    # -- trading ---------------------------------------------------------------------------

    def check_client_id(self, account: str, client_order_id: str) -> None:
        """-2010 if an open order of the account already has this client order id."""
        if self.index.open_with_client_id(account, client_order_id, list(self.symbols)):
            raise EmulatorError(400, -2010, "Duplicate order sent.")

    def new_client_order_id(self) -> str:
        return "".join(self.random.choice(string.ascii_letters + string.digits) for _ in range(22))

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
        )

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
                self._notify_order(order, "EXPIRED", None)
                return order, []
            raise EmulatorError(400, -2010, "Account has insufficient balance for requested action.")
        self.index.add(order)
        if kind == "LIMIT" and order.time_in_force == "FOK" and book.fillable(side, price, quantity) < quantity:
            order.status, order.expiry_reason = "EXPIRED", "UNFILLED_FOK_ORDER_EXPIRED"
            self._notify_order(order, "NEW", None)
            self._notify_order(order, "EXPIRED", None)
            return order, []
        if order.type not in STOP_TYPES:
            self._notify_order(order, "NEW", None)
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
                self._notify_order(order, "EXPIRED", None)
        if fills:
            self._notify_balances(order.account, (info.base, info.quote))
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
                        self._notify_order(order, "EXPIRED", None)
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
        for trade in book.trades[order.trades_seen :]:
            fires = order.trail(trade.price, now) or fires
        order.trades_seen = len(book.trades)
        return fires

    # -- order lists ---------------------------------------------------------------------

    def place_list(
        self,
        account: str,
        symbol: str,
        contingency: str,
        legs: list[dict[str, Any]],
        pending_from: int,
        list_client_id: str | None,
    ) -> tuple[dict[str, Any], list[tuple[Order, list[Fill]]]]:
        """Create an order list: legs before `pending_from` work now, the rest wait (OTO).

        OCO legs cancel each other on the first fill or trigger; OTO pending legs start when
        the working leg is filled (two pending legs then form an OCO pair).
        """
        given = [leg["client_id"] for leg in legs if leg["client_id"]]
        if len(set(given)) != len(given):
            raise EmulatorError(400, -2010, "Duplicate order sent.")
        for client_id in given:
            self.check_client_id(account, client_id)
        if list_client_id is not None and self.index.open_list_with_client_id(account, list_client_id):
            raise EmulatorError(400, -2010, "Duplicate order sent.")
        list_id = len(self.order_lists) + 1
        now = self.now_ms()
        orders: list[Order] = []
        for index, leg in enumerate(legs):
            price = leg["price"] if leg["price"] is not None else ZERO
            order = Order(
                symbol,
                next(self._order_ids),
                leg["client_id"] or self.new_client_order_id(),
                account,
                leg["side"],
                leg["type"],
                leg["tif"],
                price,
                leg["qty"],
                now,
                update_ms=now,
                working_ms=-1,
                stop_price=leg["stop"] or ZERO,
                trailing_delta=leg.get("trailing", 0),
                order_list_id=list_id,
                status="PENDING_NEW" if index >= pending_from else "NEW",
            )
            self.index.add(order)
            orders.append(order)
        record: dict[str, Any] = {
            "account": account,
            "orderListId": list_id,
            "contingencyType": contingency,
            "listStatusType": "EXEC_STARTED",
            "listOrderStatus": "EXECUTING",
            "listClientOrderId": list_client_id or self.new_client_order_id(),
            "transactionTime": now,
            "symbol": symbol,
            "orders": [{"symbol": symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id} for o in orders],
            "legs": [o.order_id for o in orders],
            "pending": [o.order_id for o in orders[pending_from:]],
            "oco": contingency == "OCO",
        }
        self.order_lists[list_id] = record
        self.index.add_list(record)
        results = [self._activate(order) for order in orders[:pending_from]]
        results += [(order, []) for order in orders[pending_from:]]
        self._notify_list(record)
        self._trigger_stops(symbol)
        return record, results

    def _activate(self, order: Order) -> tuple[Order, list[Fill]]:
        order.working_ms = self.now_ms()
        if order.type in STOP_TYPES:
            return self._park_stop(order)
        return self._execute(order, check_balance=True)

    def _park_stop(self, order: Order) -> tuple[Order, list[Fill]]:
        """A stop order waits off the book for its trigger (a trailing one tracks trades from now)."""
        order.working_ms = -1
        order.trades_seen = len(self.books[order.symbol].trades)
        self.stops.setdefault(order.symbol, []).append(order)
        self._notify_order(order, "NEW", None)
        return order, []

    def _list_progress(self, order: Order) -> None:
        record = self.order_lists.get(order.order_list_id)
        if record is None or record["listOrderStatus"] != "EXECUTING":
            return
        legs = [self.orders[i] for i in record["legs"]]
        if record["oco"] and (order.executed_qty > 0 or order.working_ms != -1 or not order.is_open):
            for sibling in legs:
                if sibling is not order and sibling.is_open and sibling.order_id not in record["pending"]:
                    self._expire(sibling, "OCO_TRIGGER")
        elif order.order_id not in record["pending"] and order.status == "FILLED" and record["pending"]:
            pending = [self.orders[i] for i in record["pending"]]
            record["pending"] = []
            record["oco"] = len(pending) == 2  # OTOCO: the pending pair is an OCO
            record["legs"] = [p.order_id for p in pending]
            for leg in pending:
                leg.status = "NEW"
                self._activate(leg)
        if all(not self.orders[i].is_open and i not in record["pending"] for i in record["legs"]):
            record.update(listStatusType="ALL_DONE", listOrderStatus="ALL_DONE", transactionTime=self.now_ms())
        self._notify_list(record)

    def _expire(self, order: Order, reason: str) -> None:
        if order in self.stops.get(order.symbol, []):
            self.stops[order.symbol].remove(order)
        elif self.books[order.symbol].remove(order):
            self._release(order)
        order.status, order.expiry_reason, order.update_ms = "EXPIRED", reason, self.now_ms()
        self._notify_order(order, "EXPIRED", None)

    def cancel_list(self, account: str, list_id: int, cancel_id: str | None = None) -> list[Order]:
        """Cancel every open leg of a list; `cancel_id` identifies the cancel (generated if None)."""
        record = self.order_lists.get(list_id)
        if record is None or record["account"] != account or record["listOrderStatus"] != "EXECUTING":
            raise EmulatorError(400, -2011, "Unknown order list sent.")
        cancel_id = cancel_id or self.new_client_order_id()
        canceled = []
        for order_id in [o["orderId"] for o in record["orders"]]:
            order = self.orders[order_id]
            if order.status == "PENDING_NEW":
                order.status = "CANCELED"
                canceled.append(order)
            elif order.is_open:
                canceled.append(
                    self.cancel(account, order.symbol, order.order_id, None, whole_list=False, cancel_id=cancel_id)
                )
        record.update(pending=[], listStatusType="ALL_DONE", listOrderStatus="ALL_DONE", transactionTime=self.now_ms())
        self._notify_list(record)
        return canceled

    def _notify_list(self, record: dict[str, Any]) -> None:
        if not self.listeners:
            return
        now = self.now_ms()
        event = {
            "e": "listStatus",
            "E": now,
            "s": record["symbol"],
            "g": record["orderListId"],
            "c": record["contingencyType"],
            "l": record["listStatusType"],
            "L": record["listOrderStatus"],
            "r": "NONE",
            "C": record["listClientOrderId"],
            "T": now,
            "O": [{"s": o["symbol"], "i": o["orderId"], "c": o["clientOrderId"]} for o in record["orders"]],
        }
        for listener in list(self.listeners):
            listener(record["account"], event)

    def market_trade(self, symbol: str, side: str, quantity: Decimal) -> None:
        """The market maker sends a MARKET order: the state evolves like a live market."""
        self._place(MARKET_MAKER, symbol, side, "MARKET", "GTC", ZERO, quantity, ZERO, None)

    def deposit(self, account: str, asset: str, amount: Decimal) -> None:
        """Control API: credit (or debit) a balance, with the `balanceUpdate` event."""
        self.account(account).move(asset, free=amount)
        now = self.now_ms()
        for listener in list(self.listeners):
            listener(account, {"e": "balanceUpdate", "E": now, "a": asset, "d": f"{amount:.8f}", "T": now})
        self._notify_balances(account, (asset,))

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
                fill = Fill(price, qty, maker, next(self._trade_ids))
                fills.append(fill)
                self._settle(taker, maker, price, qty, info, taker_account)
                book.trades.append(Trade(fill.trade_id, price, qty, self.now_ms(), taker.side == "SELL"))
                if maker.iceberg_qty:
                    maker.tip_left -= qty
                if maker.remaining == 0:
                    book.remove(maker)
                elif maker.iceberg_qty and maker.tip_left == 0:
                    book.refresh_tip(maker)  # the next tip queues behind the others at this price
                else:
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
            "preventedMatchId": len(self.prevented_matches) + 1,
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
            taker.prevented_qty += quantity
            maker.prevented_qty += quantity
            record["takerPreventedQuantity"] = record["makerPreventedQuantity"] = quantity
            expire_maker, expire_taker = maker.remaining == 0, taker.remaining == 0
        else:
            if expire_maker:
                record["makerPreventedQuantity"] = maker.remaining
            if expire_taker:
                record["takerPreventedQuantity"] = taker.remaining
        if expire_maker:
            self._release(maker)
            book.remove(maker)
            maker.status = "EXPIRED_IN_MATCH"
            self._notify_order(maker, "TRADE_PREVENTION", None)
        if expire_taker:
            taker.status = "EXPIRED_IN_MATCH"
            self._notify_order(taker, "TRADE_PREVENTION", None)
        self.prevented_matches.append(record)
        hidden = ("account", "symbol", "takerOrderId", "tradeGroupId", "selfTradePreventionMode", "transactTime")
        taker.prevented.append({k: v for k, v in record.items() if k not in hidden})

    def _release(self, order: Order) -> None:
        """Unlock what a resting order had locked for its remaining quantity."""
        info = self.symbols[order.symbol]
        asset, amount = (
            (info.quote, order.price * order.remaining) if order.side == "BUY" else (info.base, order.remaining)
        )
        self.account(order.account).move(asset, free=amount, locked=-amount)

    def _settle(
        self, taker: Order, maker: Order, price: Decimal, qty: Decimal, info: SymbolInfo, taker_account: Account
    ) -> None:
        quote = price * qty
        maker_account = self.account(maker.account)
        if taker.side == "BUY":
            taker_account.move(info.quote, free=-quote)
            taker_account.move(info.base, free=qty)
            maker_account.move(info.base, locked=-qty)
            maker_account.move(info.quote, free=quote)
        else:
            taker_account.move(info.base, free=-qty)
            taker_account.move(info.quote, free=quote)
            maker_account.move(info.quote, locked=-quote)
            maker_account.move(info.base, free=qty)
        now = self.now_ms()
        for order in (taker, maker):
            order.executed_qty += qty
            order.cumulative_quote_qty += quote
            order.status = "FILLED" if order.remaining == 0 else "PARTIALLY_FILLED"
            order.update_ms = now
        trade_id = len(self.books[info.symbol].trades) + 1
        for order, is_maker in ((taker, False), (maker, True)):
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
                    "time": now,
                    "isBuyer": order.side == "BUY",
                    "isMaker": is_maker,
                }
            )
        self._notify_order(taker, "TRADE", (price, qty))
        self._notify_order(maker, "TRADE", (price, qty))
        for order in (taker, maker):
            if order.order_list_id != -1:
                self._list_progress(order)
        if maker.account != taker.account:
            self._notify_balances(maker.account, (info.base, info.quote))

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
        cancel_id = cancel_id or self.new_client_order_id()
        info = self.symbols[symbol]
        if order in self.stops.get(symbol, []):
            self.stops[symbol].remove(order)  # untriggered: nothing locked, not on the book
            order.status = "CANCELED"
            order.update_ms = self.now_ms()
            self._notify_order(order, "CANCELED", None, cancel_id=cancel_id)
            return order
        self.books[symbol].remove(order)
        lock_asset, amount = (
            (info.quote, order.price * order.remaining) if order.side == "BUY" else (info.base, order.remaining)
        )
        self.account(account).move(lock_asset, free=amount, locked=-amount)
        order.status = "CANCELED"
        order.update_ms = self.now_ms()
        self._notify_order(order, "CANCELED", None, cancel_id=cancel_id)
        self._notify_balances(account, (lock_asset,))
        return order

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

    def find_list(self, account: str, list_id: int | None, list_client_id: str | None) -> dict[str, Any] | None:
        """An order list of the account by listClientOrderId (if given) or by id."""
        if list_client_id is not None:
            return self.index.list_by_client_id(account, list_client_id)
        record = self.order_lists.get(list_id) if list_id is not None else None
        return record if record is not None and record["account"] == account else None

    def open_orders(self, account: str, symbol: str | None = None) -> list[Order]:
        return [o for o in self.index.of_account(account) if o.is_open and (symbol is None or o.symbol == symbol)]

    # -- user-data events ------------------------------------------------------------------

    def _notify_order(
        self,
        order: Order,
        execution_type: str,
        trade: tuple[Decimal, Decimal] | None,
        *,
        cancel_id: str | None = None,
    ) -> None:
        """An executionReport. For a cancel, `c` is the cancel's id and `C` the order's own."""
        if not self.listeners or order.account == MARKET_MAKER:
            return
        now = self.now_ms()
        price, qty = trade or (ZERO, ZERO)
        event = {
            "e": "executionReport",
            "E": now,
            "s": order.symbol,
            "c": cancel_id if cancel_id is not None else order.client_order_id,
            "S": order.side,
            "o": order.type,
            "f": order.time_in_force,
            "q": f"{order.orig_qty:.8f}",
            "p": f"{order.reported_price:.8f}",
            "P": f"{order.stop_price:.8f}",
            "F": f"{order.iceberg_qty:.8f}",
            "g": order.order_list_id,
            "C": order.client_order_id if cancel_id is not None else "",
            "x": execution_type,
            "X": order.status,
            "r": "NONE",
            "i": order.order_id,
            "l": f"{qty:.8f}",
            "z": f"{order.executed_qty:.8f}",
            "L": f"{price:.8f}",
            "n": "0",
            "N": None,
            "T": now,
            "t": -1 if trade is None else len(self.books[order.symbol].trades) + 1,
            "I": 0,
            "w": order.is_open,
            "m": False,
            "M": False,
            "O": order.created_ms,
            "Z": f"{order.cumulative_quote_qty:.8f}",
            "Y": f"{price * qty:.8f}",
            "Q": f"{order.quote_order_qty:.8f}",
            "W": order.working_ms,
            "V": order.stp_mode,
        }
        if order.trailing_delta:
            event["d"], event["D"] = order.trailing_delta, order.trailing_time
        if order.peg_price_type:
            event["gP"] = order.peg_price_type
            if order.peg_offset_type:
                event["gOT"], event["gOV"] = order.peg_offset_type, order.peg_offset_value
            if order.price:
                event["gp"] = f"{order.price:.8f}"
        for listener in list(self.listeners):
            listener(order.account, event)

    def _notify_balances(self, account_name: str, assets: tuple[str, ...]) -> None:
        if not self.listeners or account_name == MARKET_MAKER:
            return
        account = self.account(account_name)
        now = self.now_ms()
        event = {
            "e": "outboundAccountPosition",
            "E": now,
            "u": now,
            "B": [
                {"a": a, "f": f"{account.balances[a][0]:.8f}", "l": f"{account.balances[a][1]:.8f}"}
                for a in assets
                if a in account.balances
            ],
        }
        for listener in list(self.listeners):
            listener(account_name, event)
