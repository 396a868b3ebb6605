"""A price-time-priority order book per symbol (pure, no I/O)."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)


WORKING_TYPE = {
    "STOP_LOSS": "MARKET",
    "TAKE_PROFIT": "MARKET",
    "STOP_LOSS_LIMIT": "LIMIT",
    "TAKE_PROFIT_LIMIT": "LIMIT",
}
STOP_TYPES = frozenset(WORKING_TYPE)
LIMIT_PRICED = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})  # types with a limit price

#: TRAILING_DELTA filter (BIPS) and ICEBERG_PARTS filter, the same on every symbol.
MIN_TRAILING_DELTA, MAX_TRAILING_DELTA = 10, 2000
MAX_ICEBERG_PARTS = 100


@dataclass(slots=True)
class Order:
    symbol: str
    order_id: int
    client_order_id: str
    account: str
    side: str  # BUY / SELL
    type: str
    time_in_force: str
    price: Decimal  # 0 for MARKET
    orig_qty: Decimal
    created_ms: int
    quote_order_qty: Decimal = ZERO
    executed_qty: Decimal = ZERO
    cumulative_quote_qty: Decimal = ZERO
    status: str = "NEW"
    update_ms: int = 0
    working_ms: int = -1
    order_list_id: int = -1
    stp_mode: str = "EXPIRE_MAKER"
    expiry_reason: str | None = None
    stop_price: Decimal = ZERO
    trailing_delta: int = 0  # BIPS; 0: not a trailing stop
    trailing_time: int = -1  # when tracking started (-1: not yet)
    trailing_extreme: Decimal = ZERO  # highest (SELL) / lowest (BUY) trade price since tracking started
    trades_seen: int = 0  # the id of the last book trade this trailing stop looked at
    iceberg_qty: Decimal = ZERO  # the visible part of an iceberg order (0: all of it shows)
    tip_left: Decimal = ZERO  # what is left of the current visible part, while resting
    peg_price_type: str | None = None  # PRIMARY_PEG / MARKET_PEG: `price` is then the pegged price
    peg_offset_type: str | None = None
    peg_offset_value: int | None = None
    client_price: Decimal = ZERO  # what the client sent as `price` (reported for pegged orders)
    prevented_qty: Decimal = ZERO
    strategy_id: int | None = None  # as the client sent them (reported only when sent)
    strategy_type: int | None = None
    used_sor: bool = False  # placed with sor.order.place: its fills are allocations
    prevented: list[dict[str, object]] = field(default_factory=list)  # STP matches while this order was taker

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty - self.prevented_qty

    @property
    def reported_price(self) -> Decimal:
        """`price` in responses: a pegged order keeps showing the client's price (or 0)."""
        return self.client_price if self.peg_price_type else self.price

    @property
    def visible(self) -> Decimal:
        """What the book shows and a taker can match now (an iceberg shows one tip at a time)."""
        return self.tip_left if self.iceberg_qty else self.remaining

    @property
    def working_type(self) -> str:
        """How the order trades once working: stop orders become MARKET or LIMIT when triggered."""
        return WORKING_TYPE.get(self.type, self.type)

    def triggers_at(self, last: Decimal) -> bool:
        """Stop trigger rule: STOP_LOSS BUY / TAKE_PROFIT SELL at or above, the others at or below."""
        rises = (self.type.startswith("STOP_LOSS")) == (self.side == "BUY")
        return last >= self.stop_price if rises else last <= self.stop_price

    def trail(self, price: Decimal, now_ms: int) -> bool:
        """Feed one trade price to a trailing stop; True when it triggers.

        Tracking starts at the first trade (no stopPrice) or at the first trade that meets
        the stop condition; then SELL triggers after a fall of `trailing_delta` BIPS from
        the highest price since, BUY after a rise from the lowest.
        """
        if self.trailing_time == -1:
            if self.stop_price and not self.triggers_at(price):
                return False
            self.trailing_time, self.trailing_extreme = now_ms, price
            return False
        ratio = Decimal(self.trailing_delta) / 10_000
        if self.side == "SELL":
            self.trailing_extreme = max(self.trailing_extreme, price)
            return price <= self.trailing_extreme * (1 - ratio)
        self.trailing_extreme = min(self.trailing_extreme, price)
        return price >= self.trailing_extreme * (1 + ratio)

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")


@dataclass(slots=True)
class Fill:
    price: Decimal
    qty: Decimal
    maker: Order
    trade_id: int
    alloc_id: int | None = None  # the taker's allocation (an SOR order): the taker has no trade
    commission: Decimal = ZERO  # what the taker paid for this fill, in `commission_asset`
    commission_asset: str = ""


@dataclass(slots=True)
class Trade:
    trade_id: int
    price: Decimal
    qty: Decimal
    time_ms: int
    is_buyer_maker: bool


@dataclass
class Book:
    """Bids and asks as sorted price levels, each a FIFO queue of resting orders."""

    symbol: str
    bids: dict[Decimal, list[Order]] = field(default_factory=dict)
    asks: dict[Decimal, list[Order]] = field(default_factory=dict)
    bid_prices: list[Decimal] = field(default_factory=list)  # ascending; best is last
    ask_prices: list[Decimal] = field(default_factory=list)  # ascending; best is first
    trades: list[Trade] = field(default_factory=list)  # the newest `max_trades` (and a little more), oldest first
    #: Trades kept per symbol: ten times what trades.recent / trades.historical return at most
    #: (1000), so memory stays flat however long the market runs; klines, tickers and
    #: trades.historical see this history.
    max_trades: int = 10_000
    update_id: int = 1
    #: Called on every trade and every change of a price level (market_events.MarketObservers).
    on_trade: Callable[[Book, Trade], None] | None = field(default=None, repr=False, compare=False)
    on_change: Callable[[Book, str, Decimal], None] | None = field(default=None, repr=False, compare=False)

    def record_trade(self, trade: Trade) -> None:
        self.trades.append(trade)
        if len(self.trades) > self.max_trades + self.max_trades // 10:
            del self.trades[: len(self.trades) - self.max_trades]  # in chunks: amortised O(1)
        if self.on_trade is not None:
            self.on_trade(self, trade)

    def level_changed(self, side: str, price: Decimal) -> None:
        """The quantity at a price level changed (new update id, observers told)."""
        self.update_id += 1
        if self.on_change is not None:
            self.on_change(self, side, price)

    def best_bid(self) -> Decimal | None:
        return self.bid_prices[-1] if self.bid_prices else None

    def best_ask(self) -> Decimal | None:
        return self.ask_prices[0] if self.ask_prices else None

    def trades_after(self, trade_id: int) -> list[Trade]:
        """The kept trades newer than `trade_id` (oldest first)."""
        return self.trades[bisect.bisect_right(self.trades, trade_id, key=lambda t: t.trade_id) :]

    def last_trade_id(self) -> int:
        return self.trades[-1].trade_id if self.trades else 0

    def last_price(self) -> Decimal | None:
        return self.trades[-1].price if self.trades else None

    def rest(self, order: Order) -> None:
        levels, prices = (self.bids, self.bid_prices) if order.side == "BUY" else (self.asks, self.ask_prices)
        if order.price not in levels:
            levels[order.price] = []
            bisect.insort(prices, order.price)
        if order.iceberg_qty:
            order.tip_left = min(order.iceberg_qty, order.remaining)
        levels[order.price].append(order)
        self.level_changed(order.side, order.price)

    def refresh_tip(self, order: Order) -> None:
        """An iceberg's tip is used up: show the next one, at the back of its price level."""
        queue = (self.bids if order.side == "BUY" else self.asks)[order.price]
        queue.remove(order)
        order.tip_left = min(order.iceberg_qty, order.remaining)
        queue.append(order)
        self.level_changed(order.side, order.price)

    def remove(self, order: Order) -> bool:
        levels, prices = (self.bids, self.bid_prices) if order.side == "BUY" else (self.asks, self.ask_prices)
        queue = levels.get(order.price)
        if not queue or order not in queue:
            return False
        queue.remove(order)
        if not queue:
            del levels[order.price]
            prices.remove(order.price)
        self.level_changed(order.side, order.price)
        return True

    def opposite(self, side: str) -> list[tuple[Decimal, list[Order]]]:
        """Opposite levels, best first."""
        if side == "BUY":
            return [(p, self.asks[p]) for p in self.ask_prices]
        return [(p, self.bids[p]) for p in reversed(self.bid_prices)]

    def crosses(self, side: str, price: Decimal) -> bool:
        best = self.best_ask() if side == "BUY" else self.best_bid()
        if best is None:
            return False
        return price >= best if side == "BUY" else price <= best

    def fillable(self, side: str, limit: Decimal | None, qty: Decimal) -> Decimal:
        """How much of `qty` could fill now at `limit` or better (for FOK)."""
        total = ZERO
        for price, queue in self.opposite(side):
            if limit is not None and (price > limit if side == "BUY" else price < limit):
                break
            total += sum((o.remaining for o in queue), ZERO)
            if total >= qty:
                return qty
        return total

    def peg_price(self, side: str, peg_price_type: str, offset_levels: int) -> Decimal | None:
        """The price a pegged order of `side` gets: the best price of its own side (PRIMARY_PEG)
        or of the other side (MARKET_PEG), `offset_levels` price levels deeper; None if the book
        side has fewer levels."""
        own = peg_price_type == "PRIMARY_PEG"
        bids = (side == "BUY") == own
        levels = list(reversed(self.bid_prices)) if bids else self.ask_prices
        return levels[offset_levels] if offset_levels < len(levels) else None

    def depth(self, limit: int) -> tuple[list[list[str]], list[list[str]]]:
        bids = [[_fmt(p), _fmt(sum((o.visible for o in self.bids[p]), ZERO))] for p in reversed(self.bid_prices)]
        asks = [[_fmt(p), _fmt(sum((o.visible for o in self.asks[p]), ZERO))] for p in self.ask_prices]
        return bids[:limit], asks[:limit]


def _fmt(value: Decimal) -> str:
    return f"{value:.8f}"
