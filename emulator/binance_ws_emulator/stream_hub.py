"""The market-data stream server, with no I/O: connections, subscriptions, control messages, limits.

A `StreamHub` holds every stream connection (`StreamSession`). The server shell
creates a session for each WebSocket opened at a stream path (raw `/ws/<stream>`,
combined `/stream?streams=a/b`), passes it every text frame and every ping or pong
(they count toward the incoming-message limit), and sends what lands in its
outbox. `publish()` fans one payload out to every session listening to a stream,
serialized once, so two connections on the same stream get identical bytes.

Control messages answer with Binance's documented codes and messages; the few
cases Binance does not document (an invalid stream name, more than the streams
per connection) answer with code 2 and a message saying what was wrong. A control
message's `id` is what the WebSocket API takes (the changelog of 2023-12-04): a
64-bit integer, an alphanumeric string of up to 36 characters with hyphens allowed (UUIDs, as
Binance's own SDK sends them), or null.

SBE sessions (the SBE market-data streams, `open(..., sbe=True)`) have their own four
stream names (`SBE_STREAM_NAME`), receive `publish_binary()` messages as binary frames,
and control answers and the shutdown notice as JSON text, as Binance documents. Their
subscriptions are kept apart from the JSON ones (`<s>@depth` is not the same stream).
"""

from __future__ import annotations

import collections
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

INTERVALS = ("1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M")
WINDOWS = ("1h", "4h", "1d")
_SYMBOL = r"[^\s/@A-Z!]+"
STREAM_NAME = re.compile(
    rf"(?P<symbol>{_SYMBOL})@(?P<kind>aggTrade|trade|blockTrade|miniTicker|ticker|bookTicker|avgPrice|referencePrice)"
    rf"|(?P<ksymbol>{_SYMBOL})@kline_(?P<interval>{'|'.join(INTERVALS)})(?P<tz>@\+08:00)?"
    rf"|(?P<wsymbol>{_SYMBOL})@ticker_(?P<window>{'|'.join(WINDOWS)})"
    rf"|(?P<dsymbol>{_SYMBOL})@depth(?P<levels>5|10|20)?(?P<speed>@100ms)?"
    rf"|!miniTicker@arr|!ticker_(?P<awindow>{'|'.join(WINDOWS)})@arr"
)
#: The SBE market-data streams (sbe-market-data-streams.md).
SBE_STREAM_NAME = re.compile(rf"{_SYMBOL}@(?:trade|bestBidAsk|depth20|depth)")
_METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_ID = re.compile(r"[A-Za-z0-9-]{0,36}")


@dataclass
class HubLimits:
    messages_per_second: int = 5
    streams_per_connection: int = 1024
    connection_attempts: int = 300
    connection_attempts_window_s: float = 300.0


@dataclass
class StreamFaults:
    """Stream misbehaviour on demand (tests change these while running). Dropping connections,
    withholding pings or pongs and the shutdown notice are the server's (`Emulator.faults`,
    `drop_connections()`, `shutdown_notice()`) and apply to stream connections too."""

    skip_update_ids: int = 0  # withhold the next N diff-depth events: the one after shows a gap in ids


@dataclass(frozen=True)
class _Error:
    code: int
    msg: str


@dataclass(frozen=True)
class _Ok:
    result: Any


class Refused(Exception):
    """A stream connection cannot be opened (HTTP status and body for the handshake)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("msg", ""))
        self.status = status
        self.body = body


@dataclass
class StreamSession:
    """One stream connection."""

    hub: StreamHub
    number: int
    combined: bool
    microseconds: bool = False  # timeUnit=MICROSECOND: time fields in microseconds
    sbe: bool = False  # an SBE market-data stream connection: events in binary frames
    streams: list[str] = field(default_factory=list)
    outbox: list[str | bytes] = field(default_factory=list)  # text frames (str) and binary frames (bytes)
    close: tuple[int, str] | None = None  # set when the server must close the connection
    incoming: collections.deque[float] = field(default_factory=collections.deque)

    # -- incoming --------------------------------------------------------------------------

    def count_incoming(self, now: float) -> bool:
        """Count one incoming message (text, ping or pong); False (and `close` set) past the limit."""
        limit = self.hub.limits.messages_per_second
        window = self.incoming
        window.append(now)
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) > limit:
            self.close = (1008, f"Too many messages; more than {limit} incoming messages per second")
            return False
        return True

    def on_text(self, text: str, now: float) -> None:
        """A control message: its answer goes to the outbox."""
        self.hub.control_messages += 1
        if not self.count_incoming(now):
            return
        try:
            request = json.loads(text)
        except ValueError as exc:
            line, column = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
            self._answer({"code": 3, "msg": f"Invalid JSON: expected value at line {line} column {column}"})
            return
        if not isinstance(request, dict) or "method" not in request:
            self._answer({"code": 2, "msg": "Invalid request: missing field `method` at line 1 column 73"})
            return
        request_id = request.get("id")
        if not _valid_id(request_id) or "id" not in request:
            self._answer({"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"})
            return
        method = request["method"]
        if method not in _METHODS:
            self._answer(
                {
                    "code": 2,
                    "msg": f"Invalid request: unknown variant {json.dumps(method)}, expected one of `SUBSCRIBE`, "
                    "`UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 column 28",
                },
                request_id,
            )
            return
        handler = {
            "SUBSCRIBE": self._subscribe,
            "UNSUBSCRIBE": self._unsubscribe,
            "LIST_SUBSCRIPTIONS": self._list_subscriptions,
            "SET_PROPERTY": self._set_property,
            "GET_PROPERTY": self._get_property,
        }[method]
        outcome = handler(request.get("params"))
        if isinstance(outcome, _Error):
            self._answer({"code": outcome.code, "msg": outcome.msg}, request_id)
        else:
            self._answer({"result": outcome.result, "id": request_id})

    def _answer(self, body: dict[str, Any], request_id: Any = ...) -> None:
        if "code" in body and request_id is not ...:
            body["id"] = request_id
        self.outbox.append(json.dumps(body, separators=(",", ":")))

    def _names(self, params: Any) -> list[str] | _Error:
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            return _Error(2, "Invalid request: params must be a list of stream names")
        pattern = SBE_STREAM_NAME if self.sbe else STREAM_NAME
        for name in params:
            if not pattern.fullmatch(name):
                return _Error(2, f"Invalid request: invalid stream name {json.dumps(name)}")
        return params

    def _subscribe(self, params: Any) -> _Error | _Ok:
        names = self._names(params)
        if isinstance(names, _Error):
            return names
        added = [n for n in dict.fromkeys(names) if n not in self.streams]
        limit = self.hub.limits.streams_per_connection
        if len(self.streams) + len(added) > limit:
            return _Error(2, f"Invalid request: too many streams; at most {limit} per connection")
        self.streams.extend(added)
        for name in added:
            self.hub._listen(self, name)
        return _Ok(None)

    def _unsubscribe(self, params: Any) -> _Error | _Ok:
        names = self._names(params)
        if isinstance(names, _Error):
            return names
        for name in names:
            if name in self.streams:
                self.streams.remove(name)
                self.hub._unlisten(self, name)
        return _Ok(None)

    def _list_subscriptions(self, params: Any) -> _Error | _Ok:
        if params not in (None, []):
            return _Error(2, "Invalid request: too many parameters")
        return _Ok(list(self.streams))

    def _set_property(self, params: Any) -> _Error | _Ok:
        if not isinstance(params, list) or not params or not isinstance(params[0], str):
            return _Error(2, "Invalid request: property name must be a string")
        if len(params) > 2:
            return _Error(2, "Invalid request: too many parameters")
        if params[0] != "combined":
            return _Error(0, "Unknown property")
        if len(params) < 2 or not isinstance(params[1], bool):
            return _Error(1, "Invalid value type: expected Boolean")
        self.combined = params[1]
        return _Ok(None)

    def _get_property(self, params: Any) -> _Error | _Ok:
        if not isinstance(params, list) or not params or not isinstance(params[0], str):
            return _Error(2, "Invalid request: property name must be a string")
        if len(params) > 1:
            return _Error(2, "Invalid request: too many parameters")
        if params[0] != "combined":
            return _Error(0, "Unknown property")
        return _Ok(self.combined)

    # -- outgoing --------------------------------------------------------------------------

    def deliver(self, stream: str, payload: str) -> None:
        if self.combined:
            self.outbox.append(f'{{"stream":{json.dumps(stream)},"data":{payload}}}')
        else:
            self.outbox.append(payload)


class StreamHub:
    """Every stream connection of one server, and who listens to what."""

    def __init__(self, limits: HubLimits | None = None) -> None:
        self.limits = limits or HubLimits()
        self.faults = StreamFaults()
        self.sessions: dict[int, StreamSession] = {}
        self.listeners: dict[str, list[StreamSession]] = {}
        self.control_messages = 0
        self.events_sent = 0
        self.opened = 0  # stream connections accepted
        self._numbers = iter(range(1, 1 << 62))
        self._attempts: collections.deque[float] = collections.deque()

    def open(self, path: str, query: str, now: float, *, sbe: bool = False) -> StreamSession:
        """A new connection at `path` (`/ws`, `/ws/<stream>` or `/stream`); raises Refused.

        `sbe`: an SBE market-data stream connection (its key was checked by the server shell).
        """
        window = self.limits.connection_attempts_window_s
        while self._attempts and self._attempts[0] <= now - window:
            self._attempts.popleft()
        self._attempts.append(now)
        if len(self._attempts) > self.limits.connection_attempts:
            raise Refused(429, {"code": -1003, "msg": "Too many connection attempts; try again later."})
        params = parse_qs(query.replace("+", "%2B"))  # a '+' is part of a name (kline_1d@+08:00), not a space
        unit = (params.get("timeUnit") or ["MILLISECOND"])[-1].upper()
        if unit not in ("MILLISECOND", "MICROSECOND"):
            raise Refused(400, {"code": -1100, "msg": "Invalid timeUnit."})
        if path == "/stream" or path == "/stream/":
            combined = True
            raw = (params.get("streams") or [""])[0]
            names = [n for n in raw.split("/") if n]
        elif path == "/ws" or path.startswith("/ws/"):
            combined = False
            names = [n for n in path[len("/ws/") :].split("/") if n] if path.startswith("/ws/") else []
        else:
            raise Refused(404, {"code": -1, "msg": "Unknown path"})
        # A name in the URL that is no stream (a typo, an upper-case symbol, ccxt's `/ws/0`) opens
        # nothing: Binance accepts the connection and stays silent about it, as the clients know it.
        pattern = SBE_STREAM_NAME if sbe else STREAM_NAME
        names = list(dict.fromkeys(n for n in names if pattern.fullmatch(n)))
        if len(names) > self.limits.streams_per_connection:
            raise Refused(400, {"code": 2, "msg": "Invalid request: too many streams"})
        # SBE: every time is in microseconds on the wire; timeUnit changes nothing.
        session = StreamSession(self, next(self._numbers), combined, unit == "MICROSECOND" and not sbe, sbe)
        self.opened += 1
        self.sessions[session.number] = session
        session.streams.extend(names)
        for name in names:
            self._listen(session, name)
        return session

    def closed(self, session: StreamSession) -> None:
        self.sessions.pop(session.number, None)
        for name in session.streams:
            self._unlisten(session, name)

    def _listen(self, session: StreamSession, stream: str) -> None:
        self.listeners.setdefault(_key(session, stream), []).append(session)

    def _unlisten(self, session: StreamSession, stream: str) -> None:
        key = _key(session, stream)
        listening = self.listeners.get(key)
        if listening and session in listening:
            listening.remove(session)
            if not listening:
                del self.listeners[key]

    def wanted(self, stream: str) -> bool:
        return stream in self.listeners

    def wanted_sbe(self, stream: str) -> bool:
        """An SBE session listens to `stream` (an SBE stream name)."""
        return SBE_PREFIX + stream in self.listeners

    def publish_binary(self, stream: str, message: bytes) -> int:
        """One SBE message to every SBE session listening to `stream`, as a binary frame (never
        wrapped: the SBE events carry their symbol, and combined connections get them as they are)."""
        listening = self.listeners.get(SBE_PREFIX + stream)
        if not listening:
            return 0
        for session in listening:
            session.outbox.append(message)
        self.events_sent += len(listening)
        return len(listening)

    def publish(self, stream: str, payload: Any) -> int:
        """Send `payload` (JSON-able, or JSON text) to every listener of `stream`; how many got it."""
        listening = self.listeners.get(stream)
        if not listening:
            return 0
        text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
        micro: str | None = None
        for session in listening:
            if session.microseconds:
                if micro is None:
                    micro = json.dumps(to_microseconds(json.loads(text)), separators=(",", ":"))
                session.deliver(stream, micro)
            else:
                session.deliver(stream, text)
        self.events_sent += len(listening)
        return len(listening)

    def broadcast_shutdown(self, now_ms: int) -> None:
        """The serverShutdown notice on every connection."""
        notice = {"e": "serverShutdown", "E": now_ms}
        for session in self.sessions.values():
            body = to_microseconds(notice) if session.microseconds else notice
            session.deliver("!serverShutdown", json.dumps(body, separators=(",", ":")))


#: Listener keys of SBE sessions: their stream names are not the JSON streams' (`<s>@depth` is faster).
SBE_PREFIX = "sbe:"


def _key(session: StreamSession, stream: str) -> str:
    return SBE_PREFIX + stream if session.sbe else stream


def _valid_id(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(1 << 63) <= value < (1 << 63)
    return isinstance(value, str) and bool(_ID.fullmatch(value))


#: The time fields of each event type (by its `e`), in milliseconds unless timeUnit=MICROSECOND.
_TIME_FIELDS = {
    "trade": ("E", "T"),
    "aggTrade": ("E", "T"),
    "blockTrade": ("E", "T"),
    "kline": ("E",),
    "24hrMiniTicker": ("E",),
    "24hrTicker": ("E", "O", "C"),
    "1hTicker": ("E", "O", "C"),
    "4hTicker": ("E", "O", "C"),
    "1dTicker": ("E", "O", "C"),
    "avgPrice": ("E", "T"),
    "depthUpdate": ("E",),
    "referencePrice": ("t",),
    "serverShutdown": ("E",),
}


def to_microseconds(payload: Any) -> Any:
    """The same event with its time fields in microseconds (arrays: each element)."""
    if isinstance(payload, list):
        return [to_microseconds(item) for item in payload]
    if not isinstance(payload, dict):
        return payload
    out = dict(payload)
    for key in _TIME_FIELDS.get(str(payload.get("e")), ()):
        if isinstance(out.get(key), int):
            out[key] *= 1000
    if isinstance(out.get("k"), dict):
        kline = dict(out["k"])
        for key in ("t", "T"):
            kline[key] = kline[key] * 1000 + (999 if key == "T" else 0)
        out["k"] = kline
    return out
