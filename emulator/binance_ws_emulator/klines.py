"""Kline intervals and the figures of one kline: shared by the API's `klines` and the kline streams."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .book import ZERO, Trade

#: Width of each kline interval in ms (Binance's interval names; 1M counts 30 days here).
KLINE_MS = {
    "1s": 1000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
    "1M": 2_592_000_000,
}


def open_time(time_ms: int, width: int, offset_ms: int = 0) -> int:
    """Start of the kline of `width` ms holding `time_ms`, intervals starting at a zone's boundaries."""
    return time_ms - (time_ms + offset_ms) % width


@dataclass(frozen=True, slots=True)
class KlineFigures:
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int
    taker_buy_volume: Decimal
    taker_buy_quote_volume: Decimal


def figures(trades: Sequence[Trade], last: Decimal = ZERO) -> KlineFigures:
    """The kline of `trades` (in time order); with none, every price is `last` and volumes are 0."""
    prices = [t.price for t in trades] or [last]
    taker_buy = [t for t in trades if not t.is_buyer_maker]
    return KlineFigures(
        open=prices[0],
        high=max(prices),
        low=min(prices),
        close=prices[-1],
        volume=sum((t.qty for t in trades), ZERO),
        quote_volume=sum((t.qty * t.price for t in trades), ZERO),
        trades=len(trades),
        taker_buy_volume=sum((t.qty for t in taker_buy), ZERO),
        taker_buy_quote_volume=sum((t.qty * t.price for t in taker_buy), ZERO),
    )
