"""Rate-limit bookkeeping, kept in step with the server's own `rateLimits` counts.

Binance counts in fixed calendar intervals (a MINUTE bucket resets at each whole
minute). Every response tells the current count; between responses the limiter
adds the weight of what it sent, so concurrent callers cannot all slip through, and
a response never lowers the count below what is known to be in flight.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .wire import RateLimit

_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}

Policy = Literal["wait", "raise", "off"]

log = logging.getLogger("binance_ws")


@dataclass(slots=True)
class Bucket:
    kind: str  # REQUEST_WEIGHT or ORDERS
    interval: str
    interval_num: int
    limit: int
    count: int
    start_ms: int
    length_ms: int = 0

    def __post_init__(self) -> None:
        self.length_ms = _SECONDS[self.interval] * self.interval_num * 1000

    def current(self, now_ms: int) -> int:
        """Usage in the bucket that contains `now_ms` (0 once the interval rolled over)."""
        return self.count if now_ms - now_ms % self.length_ms == self.start_ms else 0

    def reset_at_ms(self, now_ms: int) -> int:
        return now_ms - now_ms % self.length_ms + self.length_ms


class RateLimiter:
    """Tracks REQUEST_WEIGHT and ORDERS usage and says how long to wait before sending.

    `admit()` is the per-request call: while no bucket has rolled over since the last full
    check and the request fits the room that check found, it compares two numbers and adds
    the cost, instead of going through every bucket.
    """

    def __init__(self, policy: Policy = "wait") -> None:
        self.policy: Policy = policy
        self.buckets: dict[tuple[str, str, int], Bucket] = {}
        self.blocked_until_ms = 0
        self.banned = False
        self._ignored: set[tuple[str, str, int]] = set()
        # Found by the last full check (`_refresh`) and valid for `now_ms` in [_from_ms, _until_ms):
        # the room left in the tightest REQUEST_WEIGHT and ORDERS bucket, and the buckets of each kind.
        self._from_ms = 0
        self._until_ms = 0  # an empty window: the next request runs the full check
        self._weight_room = 0
        self._order_room = 0
        self._weight_buckets: tuple[Bucket, ...] = ()
        self._order_buckets: tuple[Bucket, ...] = ()

    def update(self, limits: Iterable[RateLimit], now_ms: int) -> None:
        for item in limits:
            key = (item.rateLimitType, item.interval, item.intervalNum)
            bucket = self.buckets.get(key)
            if bucket is None:
                if item.interval not in _SECONDS or item.intervalNum <= 0 or item.limit < 0:
                    # A limit we cannot count is not guessed at (as a minute, say): it is ignored.
                    if key not in self._ignored:
                        self._ignored.add(key)
                        log.warning(
                            "rate limit %s/%s%s (limit %s) not understood; not tracked",
                            item.rateLimitType,
                            item.intervalNum,
                            item.interval,
                            item.limit,
                        )
                    continue
                bucket = self.buckets[key] = Bucket(
                    item.rateLimitType, item.interval, item.intervalNum, item.limit, 0, 0
                )
            start_ms = now_ms - now_ms % bucket.length_ms
            if start_ms == bucket.start_ms and item.count <= bucket.count and item.limit == bucket.limit:
                continue  # nothing new: the count already holds this (and what is in flight)
            self._until_ms = 0  # the room changed: the next request runs the full check
            bucket.limit = item.limit
            if start_ms == bucket.start_ms:
                # The server counted up to this request; our own count also holds what was
                # sent since (still in flight), so the larger one is the better estimate.
                bucket.count = max(bucket.count, item.count)
            else:
                bucket.count, bucket.start_ms = item.count, start_ms

    def admit(self, weight: int, orders: int, now_ms: int) -> int:
        """0 when a request of this weight (placing `orders` orders) may go now, and it is counted;
        else the ms to wait (nothing counted)."""
        if not (
            self._from_ms <= now_ms < self._until_ms and weight <= self._weight_room and orders <= self._order_room
        ):
            wait = self.delay_ms(weight, orders, now_ms)
            if wait:
                return wait
            self._refresh(now_ms)  # room in every bucket: find how much, then count as below
        if weight:
            self._weight_room -= weight
            for bucket in self._weight_buckets:
                bucket.count += weight
        if orders:
            self._order_room -= orders
            for bucket in self._order_buckets:
                bucket.count += orders
        return 0

    def delay_ms(self, weight: int, orders: int, now_ms: int) -> int:
        """0 if a request of this weight (placing `orders` orders) may go now, else ms to wait."""
        wait = max(0, self.blocked_until_ms - now_ms)
        if self.policy != "off":
            for bucket in self.buckets.values():
                cost = weight if bucket.kind == "REQUEST_WEIGHT" else orders
                if cost and bucket.current(now_ms) + cost > bucket.limit:
                    wait = max(wait, bucket.reset_at_ms(now_ms) - now_ms)
        return wait

    def spend(self, weight: int, orders: int, now_ms: int) -> None:
        """Count a request that is being sent (the next response corrects the numbers)."""
        self._until_ms = 0
        for bucket in self.buckets.values():
            cost = weight if bucket.kind == "REQUEST_WEIGHT" else orders
            if cost:
                if bucket.current(now_ms) == 0:
                    bucket.count = 0
                    bucket.start_ms = now_ms - now_ms % bucket.length_ms
                bucket.count += cost

    def _refresh(self, now_ms: int) -> None:
        """For `admit()`, with a request about to be counted at `now_ms`: each bucket's room,
        and until when that holds (the end of the shortest bucket's interval)."""
        start, end = 0, _FOREVER
        weight_room = order_room = _FOREVER
        weights: list[Bucket] = []
        order_buckets: list[Bucket] = []
        for bucket in self.buckets.values():
            bucket_start = now_ms - now_ms % bucket.length_ms
            if bucket.start_ms != bucket_start:  # rolled over (as `spend` would): empty for this interval
                bucket.count, bucket.start_ms = 0, bucket_start
            start, end = max(start, bucket_start), min(end, bucket_start + bucket.length_ms)
            room = max(0, bucket.limit - bucket.count)  # over the limit: only requests costing 0 fit
            if bucket.kind == "REQUEST_WEIGHT":
                weights.append(bucket)
                weight_room = min(weight_room, room)
            else:
                order_buckets.append(bucket)
                order_room = min(order_room, room)
        if self.policy == "off":
            weight_room = order_room = _FOREVER
        self._from_ms, self._until_ms = start, end
        self._weight_room, self._order_room = weight_room, order_room
        self._weight_buckets, self._order_buckets = tuple(weights), tuple(order_buckets)

    def block(self, until_ms: int, *, banned: bool) -> None:
        """After a 429 (or a 418 ban), send nothing until `until_ms`."""
        self.blocked_until_ms = max(self.blocked_until_ms, until_ms)
        self.banned = self.banned or banned
        self._until_ms = 0

    def usage(self) -> dict[str, tuple[int, int]]:
        """`{"REQUEST_WEIGHT/1MINUTE": (count, limit), ...}` for display and metrics."""
        return {f"{b.kind}/{b.interval_num}{b.interval}": (b.count, b.limit) for b in self.buckets.values()}


#: Room and window end when nothing limits a request.
_FOREVER = 1 << 62
