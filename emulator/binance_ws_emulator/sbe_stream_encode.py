"""SBE market-data stream messages (schema `spot_stream` 1:0) for the local exchange.

The four messages Binance serves at stream-sbe.binance.com, encoded with the SDK's
generated layout tables (`binance_spot_ws._sbe_stream`) by the exchange's own encoder
(`sbe_encode`), from the same figures its JSON streams publish. Times are given in
milliseconds (the engine's clock) and go on the wire in microseconds; prices and
quantities are the JSON streams' decimal strings, each message with the finest
exponent its values need.
"""

from __future__ import annotations

from typing import Any

from binance_spot_ws import _sbe_stream as tables

from .book import Trade
from .sbe_encode import HEADER, encode_block

TRADES = 10000
BEST_BID_ASK = 10001
DEPTH_SNAPSHOT = 10002
DEPTH_DIFF = 10003


def _message(template: int, value: dict[str, Any]) -> bytes:
    block = tables.MESSAGES[template][2]
    return HEADER.pack(block[0], template, tables.SCHEMA_ID, tables.SCHEMA_VERSION) + encode_block(
        block, value, {}, tables.SCHEMA_VERSION
    )


def trades(symbol: str, group: list[Trade], event_ms: int, fmt: Any) -> bytes:
    """One `TradesStreamEvent` for trades of one match (they share the transaction time)."""
    return _message(
        TRADES,
        {
            "eventTime": event_ms,
            "transactTime": group[0].time_ms,
            "trades": [
                {"id": t.trade_id, "price": fmt(t.price), "qty": fmt(t.qty), "isBuyerMaker": t.is_buyer_maker}
                for t in group
            ],
            "symbol": symbol,
        },
    )


def best_bid_ask(symbol: str, update_id: int, best: tuple[str, str, str, str], event_ms: int) -> bytes:
    bid, bid_qty, ask, ask_qty = best
    return _message(
        BEST_BID_ASK,
        {
            "eventTime": event_ms,
            "bookUpdateId": update_id,
            "bidPrice": bid,
            "bidQty": bid_qty,
            "askPrice": ask,
            "askQty": ask_qty,
            "symbol": symbol,
        },
    )


def _levels(levels: list[list[str]]) -> list[dict[str, str]]:
    return [{"price": price, "qty": qty} for price, qty in levels]


def depth_snapshot(symbol: str, update_id: int, bids: list[list[str]], asks: list[list[str]], event_ms: int) -> bytes:
    return _message(
        DEPTH_SNAPSHOT,
        {
            "eventTime": event_ms,
            "bookUpdateId": update_id,
            "bids": _levels(bids),
            "asks": _levels(asks),
            "symbol": symbol,
        },
    )


def depth_diff(
    symbol: str, first: int, last: int, bids: list[list[str]], asks: list[list[str]], event_ms: int
) -> bytes:
    return _message(
        DEPTH_DIFF,
        {
            "eventTime": event_ms,
            "firstBookUpdateId": first,
            "lastBookUpdateId": last,
            "bids": _levels(bids),
            "asks": _levels(asks),
            "symbol": symbol,
        },
    )
