"""Market-data stream events from the matching engine, with no I/O.

`MarketFeed` watches the engine (`exchange.market`, a `MarketObserver`): every trade and
every price level that changed is noted as it happens. `flush()` runs every 100 ms (the
server's timer; every 10th call is a whole second): it publishes the trades made since
the last flush and the changed levels as diff-depth events whose update ids are the
book's own (`Book.update_id`, the `lastUpdateId` the API's `depth` answers with), so a
local order book built from these streams equals the engine's book at every update id.
Level quantities are summed and formatted as the API's `depth` does. Periodic streams
(tickers, klines, average price, reference price, partial depth) are published at their
documented speeds, computed as the API computes the same figures; when a kline's interval
has ended, its stream gets it once more, final and closed (`"x": true`), before the next one.

The SBE market-data streams get the same events as SBE messages (`sbe_stream_encode`):
the trades of each match in one message, best bid/ask when it changes, the top 20
levels and the diff depth (its own update-id cursor, in the book's ids) every flush
(Binance: 50 ms and 20 ms; here the flush interval).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import sbe_stream_encode as sbe
from .average_price import average_price
from .book import Book, Trade
from .klines import KLINE_MS, figures, open_time
from .stream_hub import INTERVALS, WINDOWS, StreamHub

if TYPE_CHECKING:
    from .exchange import Exchange

ZERO = Decimal(0)
_UTC8_MS = 8 * 3_600_000
_DAY_MS = 86_400_000


def _fmt(value: Decimal) -> str:
    return f"{value:.8f}"


@dataclass
class _Diff:
    """One diff stream's position: the update id it last published and the levels changed since."""

    update_id: int
    changed: set[tuple[str, Decimal]] = field(default_factory=set)  # (side, price)


@dataclass
class _SymbolState:
    fast: _Diff  # @depth@100ms
    slow: _Diff  # @depth
    sbe: _Diff  # the SBE @depth
    trades: list[Trade] = field(default_factory=list)  # made since the last flush
    best: tuple[str, str, str, str] | None = None
    ticker_trades: int = -1  # trades count at the last all-market ticker publish


class MarketFeed:
    """Turns the engine's state into stream events on a `StreamHub`."""

    def __init__(self, hub: StreamHub, exchange: Exchange) -> None:
        self.hub = hub
        self.books: Mapping[str, Book] = exchange.books
        self.mids = {symbol: info.mid for symbol, info in exchange.symbols.items()}
        self.now_ms: Callable[[], int] = exchange.now_ms
        self.ticks = 0
        self._kline_open: dict[str, int] = {}  # kline stream -> the open time of the kline it last pushed
        self._state = {
            symbol: _SymbolState(_Diff(b.update_id), _Diff(b.update_id), _Diff(b.update_id))
            for symbol, b in self.books.items()
        }
        exchange.market.observers.append(self)

    # -- the engine's callbacks (MarketObserver) --------------------------------------------

    def on_trade(self, symbol: str, trade: Trade) -> None:
        self._state[symbol].trades.append(trade)

    def on_book_change(self, symbol: str, side: str, price: Decimal, book: Book) -> None:
        state = self._state[symbol]
        state.fast.changed.add((side, price))
        state.slow.changed.add((side, price))
        state.sbe.changed.add((side, price))

    def flush(self) -> None:
        """Publish what changed; every 10th call (each second) also the 1000 ms streams."""
        self.ticks += 1
        slow = self.ticks % 10 == 0
        now = self.now_ms()
        for symbol, book in self.books.items():
            self._flush_symbol(symbol, book, now, slow)
        if slow:
            self._all_market(now)

    # -- per symbol ------------------------------------------------------------------------

    def _flush_symbol(self, symbol: str, book: Book, now: int, slow: bool) -> None:
        state = self._state[symbol]
        low = symbol.lower()
        hub = self.hub
        trades, state.trades = state.trades, []
        for trade in trades:
            hub.publish(f"{low}@trade", self._trade(symbol, trade, now))
        if trades and hub.wanted(f"{low}@aggTrade"):
            for group in _aggregate(trades):
                hub.publish(f"{low}@aggTrade", self._agg_trade(symbol, group, now))
        if trades and hub.wanted_sbe(f"{low}@trade"):
            for match in _matches(trades):
                hub.publish_binary(f"{low}@trade", sbe.trades(symbol, match, now, _fmt))
        self._sbe_diff(f"{low}@depth", symbol, book, state.sbe, now)
        if hub.wanted_sbe(f"{low}@depth20"):
            top_bids, top_asks = book.depth(20)
            hub.publish_binary(f"{low}@depth20", sbe.depth_snapshot(symbol, book.update_id, top_bids, top_asks, now))
        self._diff(f"{low}@depth@100ms", symbol, book, state.fast, now)
        if slow:
            self._diff(f"{low}@depth", symbol, book, state.slow, now)
        for levels in (5, 10, 20):
            for suffix, due in (("@100ms", True), ("", slow)):
                name = f"{low}@depth{levels}{suffix}"
                if due and hub.wanted(name):
                    top_bids, top_asks = book.depth(levels)
                    hub.publish(name, {"lastUpdateId": book.update_id, "bids": top_bids, "asks": top_asks})
        best = self._best(book)
        if best != state.best:
            state.best = best
            hub.publish(
                f"{low}@bookTicker",
                {"u": book.update_id, "s": symbol, "b": best[0], "B": best[1], "a": best[2], "A": best[3]},
            )
            if hub.wanted_sbe(f"{low}@bestBidAsk"):
                hub.publish_binary(f"{low}@bestBidAsk", sbe.best_bid_ask(symbol, book.update_id, best, now))
        if slow:
            self._periodic(symbol, low, book, now)
        if self.ticks % 20 == 0:
            for interval in INTERVALS:
                if interval != "1s":
                    self._kline(symbol, low, book, interval, now)
        elif slow:
            self._kline(symbol, low, book, "1s", now)

    def _diff(self, name: str, symbol: str, book: Book, last: _Diff, now: int) -> None:
        diff = self._changes(book, last, self.hub.wanted(name))
        if diff is not None:
            first, bids, asks = diff
            self.hub.publish(
                name, {"e": "depthUpdate", "E": now, "s": symbol, "U": first, "u": book.update_id, "b": bids, "a": asks}
            )

    def _sbe_diff(self, name: str, symbol: str, book: Book, last: _Diff, now: int) -> None:
        diff = self._changes(book, last, self.hub.wanted_sbe(name))
        if diff is not None:
            first, bids, asks = diff
            self.hub.publish_binary(name, sbe.depth_diff(symbol, first, book.update_id, bids, asks, now))

    def _changes(self, book: Book, last: _Diff, wanted: bool) -> tuple[int, list[list[str]], list[list[str]]] | None:
        """The levels changed since `last` (which moves on to the book's update id), to publish, or None."""
        if book.update_id == last.update_id:
            return None
        first = last.update_id + 1
        changed = sorted(last.changed)
        last.update_id = book.update_id
        last.changed = set()
        if not wanted:
            return None
        faults = self.hub.faults
        if faults.skip_update_ids > 0:
            faults.skip_update_ids -= 1
            return None  # withheld: the next event's U is past the subscriber's book + 1
        bids = [[_fmt(price), _level(book.bids, price)] for side, price in changed if side == "BUY"]
        asks = [[_fmt(price), _level(book.asks, price)] for side, price in changed if side == "SELL"]
        return first, bids, asks

    def _best(self, book: Book) -> tuple[str, str, str, str]:
        bids, asks = book.depth(1)
        bid = bids[0] if bids else ["0.00000000", "0.00000000"]
        ask = asks[0] if asks else ["0.00000000", "0.00000000"]
        return bid[0], bid[1], ask[0], ask[1]

    def _trade(self, symbol: str, trade: Trade, now: int) -> str:
        return json.dumps(
            {
                "e": "trade",
                "E": now,
                "s": symbol,
                "t": trade.trade_id,
                "p": _fmt(trade.price),
                "q": _fmt(trade.qty),
                "T": trade.time_ms,
                "m": trade.is_buyer_maker,
                "M": True,
            },
            separators=(",", ":"),
        )

    def _agg_trade(self, symbol: str, group: list[Trade], now: int) -> dict[str, Any]:
        return {
            "e": "aggTrade",
            "E": now,
            "s": symbol,
            "a": group[0].trade_id,
            "p": _fmt(group[0].price),
            "q": _fmt(sum((t.qty for t in group), ZERO)),
            "f": group[0].trade_id,
            "l": group[-1].trade_id,
            "T": group[0].time_ms,
            "m": group[0].is_buyer_maker,
            "M": True,
        }

    def _periodic(self, symbol: str, low: str, book: Book, now: int) -> None:
        hub = self.hub
        if hub.wanted(f"{low}@miniTicker"):
            hub.publish(f"{low}@miniTicker", self.mini_ticker(symbol, book, now))
        if hub.wanted(f"{low}@ticker"):
            hub.publish(f"{low}@ticker", self.ticker(symbol, book, now))
        for window in WINDOWS:
            if hub.wanted(f"{low}@ticker_{window}"):
                hub.publish(f"{low}@ticker_{window}", self.window_ticker(symbol, book, window, now))
        if hub.wanted(f"{low}@avgPrice"):
            avg = average_price(book.trades, now, self.mids[symbol])
            hub.publish(
                f"{low}@avgPrice",
                {
                    "e": "avgPrice",
                    "E": now,
                    "s": symbol,
                    "i": f"{avg.mins}m",
                    "w": _fmt(avg.price),
                    "T": avg.close_time,
                },
            )
        if hub.wanted(f"{low}@referencePrice"):
            hub.publish(
                f"{low}@referencePrice",
                {"e": "referencePrice", "s": symbol, "r": _fmt(self._last(symbol, book)), "t": now},
            )

    def _kline(self, symbol: str, low: str, book: Book, interval: str, now: int) -> None:
        for suffix, offset in (("", 0), ("@+08:00", _UTC8_MS)):
            name = f"{low}@kline_{interval}{suffix}"
            if not self.hub.wanted(name):
                self._kline_open.pop(name, None)
                continue
            start = open_time(now, KLINE_MS[interval], offset)
            previous = self._kline_open.get(name)
            if previous is not None and previous != start:
                # The kline that ended since the last push, once more with its last trades: closed.
                self.hub.publish(name, self.kline(symbol, book, interval, now, offset, opened=previous))
            self._kline_open[name] = start
            self.hub.publish(name, self.kline(symbol, book, interval, now, offset))

    # -- the figures, computed as the API computes them ------------------------------------

    def _last(self, symbol: str, book: Book) -> Decimal:
        return book.last_price() or self.mids[symbol]

    def _stats(self, symbol: str, book: Book, now: int, open_time: int | None = None) -> dict[str, Any]:
        """As the API's tickers: the trades from `open_time` (default: 24 hours ago) to now."""
        opened = now - _DAY_MS if open_time is None else open_time
        trades = [t for t in book.trades if opened <= t.time_ms <= now]
        last = self._last(symbol, book)
        k = figures(trades, last)  # the close is the book's last price, not the window's
        first, volume, quote = k.open, k.volume, k.quote_volume
        change = last - first
        return {
            "p": _fmt(change),
            "P": f"{(change / first * 100 if first else ZERO):.3f}",
            "w": _fmt(quote / volume if volume else last),
            "o": _fmt(first),
            "h": _fmt(k.high),
            "l": _fmt(k.low),
            "c": _fmt(last),
            "v": _fmt(volume),
            "q": _fmt(quote),
            "O": opened,
            "C": now,
            "F": trades[0].trade_id if trades else -1,
            "L": trades[-1].trade_id if trades else -1,
            "n": len(trades),
        }

    def mini_ticker(self, symbol: str, book: Book, now: int) -> dict[str, Any]:
        stats = self._stats(symbol, book, now)
        return {"e": "24hrMiniTicker", "E": now, "s": symbol, **{k: stats[k] for k in ("c", "o", "h", "l", "v", "q")}}

    def ticker(self, symbol: str, book: Book, now: int) -> dict[str, Any]:
        stats = self._stats(symbol, book, now)
        best_bid, best_ask = book.best_bid() or ZERO, book.best_ask() or ZERO
        trades = [t for t in book.trades if now - _DAY_MS <= t.time_ms <= now]
        return {
            "e": "24hrTicker",
            "E": now,
            "s": symbol,
            "p": stats["p"],
            "P": stats["P"],
            "w": stats["w"],
            "x": stats["o"],
            "c": stats["c"],
            "Q": _fmt(trades[-1].qty if trades else ZERO),
            "b": _fmt(best_bid),
            "B": _fmt(sum((o.remaining for o in book.bids.get(best_bid, [])), ZERO)),
            "a": _fmt(best_ask),
            "A": _fmt(sum((o.remaining for o in book.asks.get(best_ask, [])), ZERO)),
            **{k: stats[k] for k in ("o", "h", "l", "v", "q", "O", "C", "F", "L", "n")},
        }

    def window_ticker(self, symbol: str, book: Book, window: str, now: int) -> dict[str, Any]:
        # The window opens on a whole minute and closes at the update (up to 59999 ms wider).
        stats = self._stats(symbol, book, now, (now - KLINE_MS[window]) // 60_000 * 60_000)
        return {"e": f"{window}Ticker", "E": now, "s": symbol, **stats}

    def kline(
        self, symbol: str, book: Book, interval: str, now: int, offset_ms: int = 0, *, opened: int | None = None
    ) -> dict[str, Any]:
        """The kline open at `now`, or the one that opened at `opened` (closed once `now` is past its end)."""
        width = KLINE_MS[interval]
        start = open_time(now, width, offset_ms) if opened is None else opened
        trades = [t for t in book.trades if start <= t.time_ms < start + width]
        # With no trade in it, every price is the close before it.
        close = ZERO if trades else next((t.price for t in reversed(book.trades) if t.time_ms < start), None)
        k = figures(trades, close if close is not None else self.mids[symbol])
        return {
            "e": "kline",
            "E": now,
            "s": symbol,
            "k": {
                "t": start,
                "T": start + width - 1,
                "s": symbol,
                "i": interval,
                "f": trades[0].trade_id if trades else -1,
                "L": trades[-1].trade_id if trades else -1,
                "o": _fmt(k.open),
                "c": _fmt(k.close),
                "h": _fmt(k.high),
                "l": _fmt(k.low),
                "v": _fmt(k.volume),
                "n": k.trades,
                "x": now >= start + width,
                "q": _fmt(k.quote_volume),
                "V": _fmt(k.taker_buy_volume),
                "Q": _fmt(k.taker_buy_quote_volume),
                "B": "0",
            },
        }

    def _all_market(self, now: int) -> None:
        changed = []
        for symbol, book in self.books.items():
            state = self._state[symbol]
            if state.ticker_trades != len(book.trades):
                state.ticker_trades = len(book.trades)
                changed.append((symbol, book))
        if not changed:
            return
        if self.hub.wanted("!miniTicker@arr"):
            self.hub.publish("!miniTicker@arr", [self.mini_ticker(s, b, now) for s, b in changed])
        for window in WINDOWS:
            name = f"!ticker_{window}@arr"
            if self.hub.wanted(name):
                self.hub.publish(name, [self.window_ticker(s, b, window, now) for s, b in changed])


def _level(levels: Mapping[Decimal, list[Any]], price: Decimal) -> str:
    """The quantity shown at `price`, as the API's `depth` sums it (0 when the level is gone)."""
    return _fmt(sum((order.visible for order in levels.get(price, ())), ZERO))


def _matches(trades: list[Trade]) -> list[list[Trade]]:
    """Consecutive trades of one time (one taker's match): one SBE trades message each."""
    groups: list[list[Trade]] = []
    for trade in trades:
        if groups and groups[-1][-1].time_ms == trade.time_ms:
            groups[-1].append(trade)
        else:
            groups.append([trade])
    return groups


def _aggregate(trades: list[Trade]) -> list[list[Trade]]:
    """Consecutive fills of one taker at one price (same time and side) form one aggregate trade."""
    groups: list[list[Trade]] = []
    for trade in trades:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and last.price == trade.price
            and last.time_ms == trade.time_ms
            and last.is_buyer_maker == trade.is_buyer_maker
            and last.trade_id + 1 == trade.trade_id
        ):
            groups[-1].append(trade)
        else:
            groups.append([trade])
    return groups
