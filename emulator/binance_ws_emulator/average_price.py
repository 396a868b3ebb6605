"""The current average price of a symbol: shared by the API's `avgPrice` and the
`<symbol>@avgPrice` stream, computed as Binance documents it (CHANGELOG, "average price
calculation"): the volume-weighted price of the trades of the last 5 minutes; with no trade
in that window, the price of the last trade before it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .book import ZERO, Trade

#: The averaging window in minutes (`mins` of `avgPrice`, `"i": "5m"` of the stream, and the
#: `avgPriceMins` of the symbols' NOTIONAL filter).
AVG_PRICE_MINS = 5
_WINDOW_MS = AVG_PRICE_MINS * 60_000


@dataclass(frozen=True, slots=True)
class AveragePrice:
    mins: int
    price: Decimal
    close_time: int  # the time of the last trade the price stands on


def average_price(trades: Sequence[Trade], now_ms: int, no_trade: Decimal) -> AveragePrice:
    """The average price at `now_ms` of `trades` (oldest first).

    The trades in the window `(now_ms - 5 min, now_ms]` weighted by quantity; with none there,
    the last trade before the window (its price, its time). A symbol that never traded has no
    average price on Binance; here it is `no_trade` (the symbol's starting price), as of now.
    """
    start = now_ms - _WINDOW_MS
    window: list[Trade] = []  # newest first
    before: Trade | None = None
    for trade in reversed(trades):
        if trade.time_ms > now_ms:
            continue  # after now (the clock was set back): not yet
        if trade.time_ms <= start:
            before = trade
            break
        window.append(trade)
    if window:
        volume = sum((t.qty for t in window), ZERO)
        price = sum((t.qty * t.price for t in window), ZERO) / volume
        return AveragePrice(AVG_PRICE_MINS, price, window[0].time_ms)
    if before is not None:
        return AveragePrice(AVG_PRICE_MINS, before.price, before.time_ms)
    return AveragePrice(AVG_PRICE_MINS, no_trade, now_ms)
