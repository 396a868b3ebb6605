"""The SBE market-data streams (stream-sbe.binance.com) as the JSON streams' events, with no I/O.

Binance serves four streams in SBE (schema `spot_stream` 1:0), each the counterpart of a
JSON stream; events arrive in binary frames (control answers and `serverShutdown` stay
JSON text). This module maps the names both ways and turns each binary frame into the
JSON stream's events, so the same typed events, handover and `OrderBook` logic serve both:

- `decoded()`: with the generated straight-line decoders (`generated/.../_sbe_stream_decode.py`,
  the `direct` argument), the typed events themselves, built from the frame with no JSON in
  between;
- `payloads()`: otherwise (a message or value the direct decoders leave to it, no `direct`,
  and for `subscribe_raw`) the payload texts the JSON stream would have sent, through the
  layout tables; decoded as JSON events are.

| JSON stream (method)                  | SBE stream          | SBE message              | event         |
|---------------------------------------|---------------------|--------------------------|---------------|
| `<s>@trade` (`trade`)                 | `<s>@trade`         | TradesStreamEvent        | `Trade`       |
| `<s>@bookTicker` (`book_ticker`)      | `<s>@bestBidAsk`    | BestBidAskStreamEvent    | `BookTicker`  |
| `<s>@depth20[@100ms]` (`depth(s, 20)`)| `<s>@depth20`       | DepthSnapshotStreamEvent | `PartialDepth`|
| `<s>@depth[@100ms]` (`diff_depth`)    | `<s>@depth`         | DepthDiffStreamEvent     | `DepthUpdate` |

Differences: one SBE trade message can carry several trades (one `Trade` each, in order);
the SBE streams have one update speed each (the `speed_ms` argument does not apply);
the SBE payloads also carry `E` (event time) for best bid/ask and `E`, `s` for the partial
depth (in `subscribe_raw` values; the typed events have no such field); times are
microseconds on the wire, given in milliseconds unless `time_unit="MICROSECOND"`.
"""

from __future__ import annotations

import re
import struct
from types import ModuleType
from typing import Any

import msgspec

from .errors import ParamError
from .sbe import HEADER, Decoder, Fallback

_JSON_TO_SBE = re.compile(
    r"(?P<symbol>[^@]+)@(?:(?P<trade>trade)|(?P<book>bookTicker|bestBidAsk)|depth(?P<levels>\d+)?(?:@100ms)?)"
)
_INT64 = struct.Struct("<q")


def sbe_stream_name(stream: str) -> str:
    """The SBE stream carrying the JSON stream `stream`'s events; ParamError if there is none."""
    found = _JSON_TO_SBE.fullmatch(stream)
    if found is not None:
        symbol = found["symbol"]
        if found["trade"]:
            return f"{symbol}@trade"
        if found["book"]:
            return f"{symbol}@bestBidAsk"
        levels = found["levels"]
        if levels is None:
            return f"{symbol}@depth"
        if levels == "20":
            return f"{symbol}@depth20"
    raise ParamError(
        stream,
        "response_format",
        "not available as an SBE stream; SBE has trade, book_ticker (@bestBidAsk), depth(levels=20) and diff_depth",
    )


class StreamDecoder:
    """Binary frames of an SBE stream connection -> the stream name and its events, typed
    (`decoded`) or as JSON payload texts (`payloads`)."""

    def __init__(self, tables: ModuleType, *, microseconds: bool = False, direct: ModuleType | None = None) -> None:
        """`tables`: the generated `_sbe_stream` layout tables; `direct`: the generated
        `_sbe_stream_decode` module (straight-line decoders into the events), or None."""
        self._decoder = Decoder(tables)
        self.schema_id: int = tables.SCHEMA_ID
        self._unit = 1 if microseconds else 1000
        #: template id -> (SBE stream name after `<symbol>@`, the event type, decoder, the stream
        #: name of each symbol seen); only decoders made for these tables are used.
        self._direct: dict[int, tuple[str, Any, Any, dict[str, str]]] = {}
        if direct is not None and (direct.SCHEMA_ID, direct.SCHEMA_VERSION) == (
            tables.SCHEMA_ID,
            tables.SCHEMA_VERSION,
        ):
            self._direct = {t: (suffix, kind, decode, {}) for t, (suffix, kind, decode) in direct.STREAMS.items()}
        self._encode = msgspec.json.Encoder().encode
        self._microseconds = microseconds
        # Offsets of each message's root timestamps (the decoder gives milliseconds).
        self._times: dict[str, dict[str, int]] = {
            spec[0]: {f[0]: f[3] for f in spec[2][1] if f[2] == "timestamp"} for spec in tables.MESSAGES.values()
        }

    def decoded(self, data: bytes) -> tuple[str, Any, list[Any]] | None:
        """(stream name, event type, the typed events) of one binary frame, built directly; None
        when the direct decoders leave the frame to `payloads()` (no decoder for its message, a
        NonRepresentable value, another schema). Raises `SbeError` for a truncated message."""
        if len(data) < HEADER.size:
            return None
        block_length, template, schema_id, version = HEADER.unpack_from(data)
        found = self._direct.get(template)
        if found is None or schema_id != self.schema_id:
            return None
        suffix, event_type, decode, names = found
        try:
            symbol, events = decode(data, HEADER.size, block_length, version, len(data), self._unit)
        except (Fallback, KeyError, struct.error, IndexError, UnicodeDecodeError):
            return None  # the table path decides (and reports what is wrong)
        stream = names.get(symbol)
        if stream is None:
            if len(names) >= 4096:
                names.clear()  # bounded, whatever the server sends
            stream = names[symbol] = f"{symbol.lower()}@{suffix}"
        return stream, event_type, events

    def payloads(self, data: bytes) -> list[tuple[str, str]]:
        """The JSON streams' payloads in one binary frame. Raises `SbeError` if it does not decode."""
        name, value = self._decoder.message(data)
        if self._microseconds:
            for field, offset in self._times.get(name, {}).items():
                value[field] = _INT64.unpack_from(data, HEADER.size + offset)[0]
        symbol: str = value["symbol"]
        low = symbol.lower()
        encode = self._encode
        if name == "TradesStreamEvent":
            head: dict[str, Any] = {"e": "trade", "E": value["eventTime"], "s": symbol}
            return [
                (
                    f"{low}@trade",
                    encode(
                        {
                            **head,
                            "t": trade["id"],
                            "p": trade["price"],
                            "q": trade["qty"],
                            "T": value["transactTime"],
                            "m": trade["isBuyerMaker"],
                            "M": trade.get("isBestMatch", "True") == "True",
                        }
                    ).decode(),
                )
                for trade in value["trades"]
            ]
        if name == "BestBidAskStreamEvent":
            payload: dict[str, Any] = {
                "u": value["bookUpdateId"],
                "s": symbol,
                "b": value["bidPrice"],
                "B": value["bidQty"],
                "a": value["askPrice"],
                "A": value["askQty"],
                "E": value["eventTime"],
            }
            return [(f"{low}@bestBidAsk", encode(payload).decode())]
        bids = [[level["price"], level["qty"]] for level in value["bids"]]
        asks = [[level["price"], level["qty"]] for level in value["asks"]]
        if name == "DepthSnapshotStreamEvent":
            payload = {
                "lastUpdateId": value["bookUpdateId"],
                "bids": bids,
                "asks": asks,
                "E": value["eventTime"],
                "s": symbol,
            }
            return [(f"{low}@depth20", encode(payload).decode())]
        if name == "DepthDiffStreamEvent":
            payload = {
                "e": "depthUpdate",
                "E": value["eventTime"],
                "s": symbol,
                "U": value["firstBookUpdateId"],
                "u": value["lastBookUpdateId"],
                "b": bids,
                "a": asks,
            }
            return [(f"{low}@depth", encode(payload).decode())]
        return []  # a message of the schema this SDK does not map (none today)
