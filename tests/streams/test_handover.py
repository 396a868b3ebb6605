"""Rotation handover, frame by frame: each interleaving of the old and the new connection's frames.

The socket test (test_runtime) shows it end to end; here every order the two connections'
frames can arrive in is fed by hand, so each branch is taken for certain.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from binance_spot_ws import MarketStreams, StreamGap
from binance_ws.streams import _Conn, _Handover, _Shard


def frame(trade_id: int) -> str:
    data = {"e": "trade", "E": 1, "s": "BTCUSDT", "t": trade_id, "p": "1", "q": "1", "T": 1, "m": True}
    return json.dumps({"stream": "btcusdt@trade", "data": data}, separators=(",", ":"))


def setup(buffer: int = 100) -> tuple[MarketStreams, Any, _Conn, _Conn, _Handover]:
    streams = MarketStreams(url="ws://127.0.0.1:1")
    sub = streams.trade("BTCUSDT")
    shard = _Shard()
    old, new = _Conn(shard, {"btcusdt@trade"}), _Conn(shard, {"btcusdt@trade"})
    handover = _Handover({"btcusdt@trade"}, buffer)
    old.handover, old.role = handover, "old"
    new.handover, new.role = handover, "new"
    return streams, sub, old, new, handover


def delivered(sub: Any) -> list[Any]:
    out = []
    while sub._queue:
        item = sub._queue.popleft()
        out.append(item if isinstance(item, StreamGap) else json.loads(item)["t"])
    return out


def interleavings(a: list[int], b: list[int]) -> list[list[tuple[str, int]]]:
    """Every merge of the two sequences that keeps each one's own order."""
    out = []
    for positions in itertools.combinations(range(len(a) + len(b)), len(a)):
        merged, ia, ib = [], iter(a), iter(b)
        for index in range(len(a) + len(b)):
            merged.append(("old", next(ia)) if index in positions else ("new", next(ib)))
        out.append(merged)
    return out


@pytest.mark.parametrize("order", interleavings([1, 2, 3, 4, 5], [3, 4, 5, 6]))
def test_every_interleaving_delivers_each_event_once_in_order(order: list[tuple[str, int]]) -> None:
    # The old connection delivers 1..5 then stops; the new one listens from 3 on.
    streams, sub, old, new, handover = setup()
    for role, trade_id in order:
        streams._on_frame(old if role == "old" else new, frame(trade_id))
    assert handover.done.is_set()
    assert delivered(sub) == [1, 2, 3, 4, 5, 6]


def test_no_overlap_in_time_releases_the_held_events_after_a_gap() -> None:
    streams, sub, old, new, handover = setup()
    streams._on_frame(old, frame(1))
    streams._on_frame(new, frame(7))
    streams._on_frame(new, frame(8))
    assert delivered(sub) == [1]  # 7 and 8 are held until the old connection catches up
    streams._release(handover, "btcusdt@trade", gap=True)  # the handover timed out
    assert delivered(sub) == [StreamGap("rotation"), 7, 8]


def test_held_events_past_the_buffer_release_with_a_gap() -> None:
    streams, sub, old, new, _ = setup(buffer=2)
    for trade_id in (7, 8, 9):
        streams._on_frame(new, frame(trade_id))
    assert delivered(sub) == [StreamGap("rotation"), 7, 8, 9]
    streams._on_frame(old, frame(6))
    assert delivered(sub) == []  # switched: the old connection is muted
