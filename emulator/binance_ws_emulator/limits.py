"""Binance rate limits: REQUEST_WEIGHT per IP per minute, ORDERS per account per 10 s and per day.

Fixed calendar intervals, as Binance counts them. Exceeding the weight gives 429
(-1003) with `retryAfter`; sending again before `retryAfter` after a 429 gives 418.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import EmulatorError


@dataclass
class _Counter:
    interval: str
    interval_num: int
    limit: int
    length_ms: int
    bucket: int = -1
    count: int = 0

    def add(self, amount: int, now_ms: int) -> int:
        bucket = now_ms // self.length_ms
        if bucket != self.bucket:
            self.bucket, self.count = bucket, 0
        self.count += amount
        return self.count

    def reset_ms(self, now_ms: int) -> int:
        return (now_ms // self.length_ms + 1) * self.length_ms

    def entry(self, kind: str) -> dict[str, Any]:
        return {
            "rateLimitType": kind,
            "interval": self.interval,
            "intervalNum": self.interval_num,
            "limit": self.limit,
            "count": self.count,
        }


@dataclass
class IpLimits:
    """Shared by every connection from one IP (here: the whole emulator)."""

    weight_limit: int = 6000
    orders_per_10s: int = 50
    orders_per_day: int = 160000
    ban_ms: int = 120_000
    weight: _Counter = field(init=False)
    orders: dict[str, tuple[_Counter, _Counter]] = field(default_factory=dict)
    retry_after_ms: int = 0
    banned_until_ms: int = 0

    def __post_init__(self) -> None:
        self.weight = _Counter("MINUTE", 1, self.weight_limit, 60_000)

    def charge(self, weight: int, now_ms: int) -> list[dict[str, Any]]:
        if now_ms < self.banned_until_ms:
            raise EmulatorError(
                418,
                -1003,
                f"Way too much request weight used; IP banned until {self.banned_until_ms}. Please use WebSocket Streams for live updates to avoid bans.",
                {"serverTime": now_ms, "retryAfter": self.banned_until_ms},
            )
        if now_ms < self.retry_after_ms:
            # Kept sending after a 429: ban.
            self.banned_until_ms = now_ms + self.ban_ms
            raise EmulatorError(
                418,
                -1003,
                f"Way too much request weight used; IP banned until {self.banned_until_ms}. Please use WebSocket Streams for live updates to avoid bans.",
                {"serverTime": now_ms, "retryAfter": self.banned_until_ms},
            )
        count = self.weight.add(weight, now_ms)
        if count > self.weight.limit:
            self.retry_after_ms = self.weight.reset_ms(now_ms)
            raise EmulatorError(
                429,
                -1003,
                f"Too much request weight used; current limit is {self.weight.limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
                {"serverTime": now_ms, "retryAfter": self.retry_after_ms},
            )
        return [self.weight.entry("REQUEST_WEIGHT")]

    def refund(self, weight: int, now_ms: int) -> list[dict[str, Any]]:
        """Give back what `charge` took for a request that turned out free (same minute only)."""
        if now_ms // self.weight.length_ms == self.weight.bucket:
            self.weight.count = max(0, self.weight.count - weight)
        return [self.weight.entry("REQUEST_WEIGHT")]

    def charge_orders(self, account: str, amount: int, now_ms: int) -> list[dict[str, Any]]:
        if account not in self.orders:
            self.orders[account] = (
                _Counter("SECOND", 10, self.orders_per_10s, 10_000),
                _Counter("DAY", 1, self.orders_per_day, 86_400_000),
            )
        short, day = self.orders[account]
        for counter in (short, day):
            counter.add(amount, now_ms)
            if counter.count > counter.limit:
                counter.count -= amount
                raise EmulatorError(
                    429,
                    -1015,
                    f"Too many new orders; current limit is {counter.limit} orders per {counter.interval_num} {counter.interval}.",
                )
        return [short.entry("ORDERS"), day.entry("ORDERS")]
