"""The market-data streams on the wire, with no I/O: names, URLs, control frames, limits.

Stream names are built by the generated methods from the spec's address patterns
(`{symbol}@depth{levels}{speed}`); the helpers here check each argument and turn it
into its piece of the name, so a bad argument fails before anything is sent.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import msgspec

from .errors import BinanceError, ParamError

STREAM_PRODUCTION = "wss://stream.binance.com:9443"
#: The SBE market-data streams (`response_format="sbe"`; an Ed25519 API key is required).
STREAM_SBE_PRODUCTION = "wss://stream-sbe.binance.com:9443"

TimeUnit = Literal["MILLISECOND", "MICROSECOND"]

_SYMBOL = re.compile(r"[^\s/@&?#%]+")  # Unicode symbols exist; only what would break a name is refused


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """The documented limits of one stream server (`x-limits` in the streams spec)."""

    messages_per_second: int = 5  # incoming: pings, pongs and control messages alike
    streams_per_connection: int = 1024
    connection_attempts: int = 300  # per IP ...
    connection_attempts_window: float = 300.0  # ... per this many seconds
    connection_lifetime: float = 86400.0


class StreamControlError(BinanceError):
    """The stream server refused a control message (SUBSCRIBE, LIST_SUBSCRIPTIONS...)."""

    def __init__(self, method: str, code: int, msg: str) -> None:
        super().__init__(f"{method}: stream server error {code}: {msg}")
        self.method = method
        self.code = code
        self.msg = msg


def stream_symbol(stream: str, param: str, value: object) -> str:
    """A symbol as it appears in a stream name (lower case); ParamError if it cannot be one."""
    if not isinstance(value, str) or not _SYMBOL.fullmatch(value):
        raise ParamError(stream, param, f"expected a symbol such as 'BTCUSDT', got {value!r}")
    return value.lower()


def stream_choice(stream: str, param: str, value: object, values: Mapping[Any, str]) -> str:
    """The name piece for one of the documented values; ParamError listing them otherwise."""
    for allowed, piece in values.items():
        if value == allowed and type(value) is type(allowed):  # True is not 1
            return piece
    choices = ", ".join(repr(v) for v in values)
    raise ParamError(stream, param, f"expected one of {choices}, got {value!r}")


def base_url(url: str) -> str:
    """`wss://host:port` from a base URL or a raw/combined stream URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise ParamError("MarketStreams", "url", f"expected a ws:// or wss:// URL, got {url!r}")
    segments = parts.path.split("/")
    for cut, segment in enumerate(segments):
        if segment in ("ws", "stream"):
            segments = segments[:cut]
            break
    path = "/".join(segments).rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def combined_url(base: str, streams: list[str], time_unit: TimeUnit | None) -> str:
    """The combined-stream URL listening to `streams` from the start."""
    query = "streams=" + "/".join(streams)
    if time_unit is not None:
        query += f"&timeUnit={time_unit}"
    return f"{base}/stream?{query}"


class Envelope(msgspec.Struct, gc=False):
    """Any frame of a combined-stream connection: an event or a control answer."""

    stream: str | None = None
    data: msgspec.Raw = msgspec.Raw(b"")  # empty unless this frame is an event
    id: int | str | None = None
    result: msgspec.Raw = msgspec.Raw(b"")  # empty unless a control answer
    code: int | None = None
    msg: str | None = None


ENVELOPE_DECODER = msgspec.json.Decoder(Envelope)
_ENCODER = msgspec.json.Encoder()
_IDS = itertools.count(1)


def control_frame(method: str, params: list[Any] | None) -> tuple[int, str]:
    """A control request and its id (unique in this process)."""
    request_id = next(_IDS)
    body: dict[str, Any] = {"method": method, "id": request_id}
    if params is not None:
        body["params"] = params
    return request_id, _ENCODER.encode(body).decode()


#: The stream name Binance gives the server-shutdown notice on combined connections.
SERVER_SHUTDOWN = "!serverShutdown"
