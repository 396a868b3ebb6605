"""The server shell: asyncio streams + wsproto (full control over frames, pings and closes).

Runs in its own thread and event loop (`Emulator.start()`), so blocking and
asyncio tests alike can use it, or inside a running loop (`await emulator.serve()`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import ssl as ssl_module
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import wsproto
import wsproto.events as ev
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from . import rest
from .auth import ApiKey, KeyKind
from .exchange import Exchange
from .limits import IpLimits
from .market_feed import MarketFeed
from .sbe_encode import Handshake
from .sbe_encode import event as sbe_event
from .sbe_encode import response as sbe_response
from .session import Session, SessionOptions
from .stream_hub import HubLimits, Refused, StreamHub, StreamSession

log = logging.getLogger("binance_ws_emulator")

#: Where the SBE market-data streams are served (Binance: their own host, stream-sbe.binance.com).
SBE_PATH = "/sbe"


@dataclass
class Faults:
    """Misbehaviour on demand, for tests. All fields may be changed while running."""

    drop_after_requests: int | None = None  # close the TCP connection after N more requests (unanswered)
    drop_after_execute: bool = False  # with drop_after_requests: execute the last request before dropping
    delay_ms: int = 0  # delay every response
    answer_status: dict[str, tuple[int, int, str, bool]] = field(
        default_factory=dict
    )  # method -> (status, code, msg, execute first)
    send_pings: bool = True
    answer_pings: bool = True  # pong our client's pings
    ignore_pongs: bool = False  # never count the client's pongs (so it gets disconnected)
    malformed_next: int = 0  # send N malformed text frames before the next response
    max_frame_bytes: int = 1 << 20


class Emulator:
    """A local Binance Spot WebSocket API.

    Args:
        host: address to listen on (loopback by default).
        port: port to listen on (0 picks a free port).
        seed: deterministic books and ids.
        ping_interval: seconds between server pings (Binance: 20).
        pong_timeout: disconnect when no pong for this long (Binance: 60).
        max_lifetime: disconnect connections older than this (Binance: 24 h).
        weight_limit: REQUEST_WEIGHT per minute.
        clock_offset_ms: shift the server clock (to test timestamp handling).
        ssl: serve TLS (`wss://`) with this server context, as Binance does.
        ticker_interval: if set, every this many seconds the market moves by itself
            (`Exchange.tick()`: a small trade, then fresh quotes around the last price).
        stream_interval: seconds between market-data stream updates (Binance: 100 ms for the
            fast streams; the 1000 ms streams go every 10th time).
        stream_limits: the stream server's limits (`HubLimits`: messages per second, streams
            per connection, connection attempts).

    The market-data streams are served on the same port at Binance's paths:
    `stream_url + "/ws/<stream>"` (raw) and `stream_url + "/stream?streams=<a>/<b>"` (combined);
    the SBE market-data streams at the same paths under `sbe_stream_url` (`/sbe`), for a
    registered Ed25519 key in the `X-MBX-APIKEY` header (see `sbe_refusal`);
    and so is the REST depth snapshot a local order book starts from:
    `rest_url + "/api/v3/depth?symbol=BTCUSDT&limit=1000"` (rest.py).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        ping_interval: float = 20.0,
        pong_timeout: float = 60.0,
        max_lifetime: float = 24 * 3600.0,
        weight_limit: int = 6000,
        orders_per_10s: int = 50,
        clock_offset_ms: int = 0,
        ssl: ssl_module.SSLContext | None = None,
        ticker_interval: float | None = None,
        stream_interval: float = 0.1,
        stream_limits: HubLimits | None = None,
    ) -> None:
        self.host = host
        self.ssl = ssl
        self.ticker_interval = ticker_interval
        self._ticker: asyncio.Task[None] | None = None
        self.port = port
        self.ping_interval = ping_interval
        self.pong_timeout = pong_timeout
        self.max_lifetime = max_lifetime
        self.clock_offset_ms = clock_offset_ms
        self.exchange = Exchange(seed=seed, now_ms=self.now_ms)
        self.streams = StreamHub(stream_limits)  # stream connections, subscriptions, stream faults
        self.feed = MarketFeed(self.streams, self.exchange)
        self.stream_interval = stream_interval
        self._feeder: asyncio.Task[None] | None = None
        self.limits = IpLimits(weight_limit=weight_limit, orders_per_10s=orders_per_10s)
        self.faults = Faults()
        # method -> how many requests arrived (for "sent once" asserts); 0 for one never sent
        self.requests: Counter[str] = Counter()
        self.connections_opened = 0
        self.binary_answers = 0  # answers sent as SBE binary frames
        self._conns: set[_Conn] = set()
        self._server: asyncio.base_events.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    @property
    def url(self) -> str:
        return f"{'wss' if self.ssl else 'ws'}://{self.host}:{self.port}/ws-api/v3"

    @property
    def stream_url(self) -> str:
        """The base of the market-data streams (`/ws/<stream>`, `/stream?streams=...`)."""
        return f"{'wss' if self.ssl else 'ws'}://{self.host}:{self.port}"

    @property
    def sbe_stream_url(self) -> str:
        """The base of the SBE market-data streams (Binance: stream-sbe.binance.com), same paths."""
        return f"{self.stream_url}{SBE_PATH}"

    @property
    def rest_url(self) -> str:
        """The base of the REST endpoint (`/api/v3/depth`, the order book snapshot; rest.py)."""
        return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port}"

    # -- running ---------------------------------------------------------------------------

    async def serve(self) -> None:
        """Start listening in the running loop."""
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._accept, self.host, self.port, limit=1 << 20, ssl=self.ssl)
        self.port = self._server.sockets[0].getsockname()[1]
        if self.ticker_interval:
            self._ticker = asyncio.create_task(self._tick_forever(self.ticker_interval))
        self._feeder = asyncio.create_task(self._feed_forever(self.stream_interval))

    async def _tick_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.exchange.tick()  # on the loop thread, like every request

    async def _feed_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.feed.flush()  # on the loop thread, like every request
            for conn in list(self._conns):
                conn.flush_stream()

    async def aclose(self) -> None:
        for task in (self._ticker, self._feeder):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._server is not None:
            self._server.close()
            for conn in list(self._conns):
                conn.abort()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def __aenter__(self) -> Emulator:
        await self.serve()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def start(self) -> Emulator:
        """Run in a background thread; returns once listening."""
        ready = threading.Event()
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.serve())
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="binance-ws-emulator", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.aclose(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
        self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- control API -----------------------------------------------------------------------

    def call(self, func: Any, *args: Any) -> Any:
        """Run `func(*args)` on the emulator's loop (thread-safe) and return its result."""
        if self._loop is None or self._thread is None or self._thread is threading.current_thread():
            return func(*args)  # same thread as the emulator's loop: no hand-off needed
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            return func(*args)
        return asyncio.run_coroutine_threadsafe(_async_call(func, *args), self._loop).result(5)

    def drop_connections(self) -> None:
        """Cut every connection now, without a close frame (like a network failure)."""
        self.call(self._each, _Conn.abort)

    def publish_stream(self, stream: str, payload: Any, *, connection: int | None = None) -> int:
        """Send an event of your own on a stream (as if the market made it); how many got it.

        `connection` picks one stream connection by its number (1 for the first opened, ...),
        e.g. to show two connections of one client different things around a rotation.
        """

        def publish() -> int:
            hub = self.streams
            if connection is None:
                count = hub.publish(stream, payload)
            else:
                session = hub.sessions.get(connection)
                if session is None or stream not in session.streams:
                    return 0
                session.deliver(stream, payload if isinstance(payload, str) else json.dumps(payload))
                count = 1
            for conn in list(self._conns):
                conn.flush_stream()
            return count

        return int(self.call(publish))

    def drop_stream_connections(self) -> None:
        """Cut every market-data stream connection now (the API connections stay)."""
        self.call(self._each, lambda c: c.abort() if c.stream is not None else None)

    def close_connections(self, code: int = 1001, reason: str = "server going away") -> None:
        """Close every connection with a close frame (server-initiated close)."""
        self.call(self._each, lambda c: c.close(code, reason))

    def shutdown_notice(self) -> None:
        """Send the `serverShutdown` event to every connection (API and streams, each its shape)."""
        now = self.now_ms()
        frame = json.dumps({"event": {"e": "serverShutdown", "E": now}})

        def notify() -> None:
            self.streams.broadcast_shutdown(now)
            for conn in list(self._conns):
                if conn.stream is not None:
                    conn.flush_stream()
                else:
                    conn.send_event(frame)  # SBE sessions: ServerShutdownEvent

        self.call(notify)

    def _each(self, action: Any) -> None:
        for conn in list(self._conns):
            action(conn)

    def register_key(
        self, api_key: str, kind: KeyKind, *, account: str, secret: str | bytes = b"", public_key_pem: bytes | str = b""
    ) -> None:
        """Register an API key (HMAC secret, or an RSA / Ed25519 public key in PEM) for `account`."""
        self.call(
            lambda: self.exchange.add_key(api_key, kind, account=account, secret=secret, public_key_pem=public_key_pem)
        )

    def deposit(self, account: str, asset: str, amount: Decimal | str) -> None:
        """Credit a balance (negative: debit); subscribed clients get `balanceUpdate`."""
        self.call(lambda: self.exchange.deposit(account, asset, Decimal(amount)))

    def market_trade(self, symbol: str, side: str, quantity: Decimal | str) -> None:
        """Move the market: the market maker takes liquidity (trades, klines, tickers and stops follow)."""
        self.call(lambda: self.exchange.market_trade(symbol, side, Decimal(quantity)))

    @property
    def connection_count(self) -> int:
        return len(self._conns)

    # -- connections -----------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Conn(self, reader, writer)
        self._conns.add(conn)
        self.connections_opened += 1
        try:
            await conn.run()
        except DISCONNECTS as exc:  # the client went away: ordinary, not an error
            log.debug("connection %d lost: %s", conn.number, exc.__class__.__name__)
        except Exception:  # never let one connection take the server down
            log.exception("connection %d failed", conn.number)
            conn.abort()
        finally:
            self._conns.discard(conn)
            conn.session_close()


#: What a client that simply went away raises (reset, broken pipe, TLS cut short).
DISCONNECTS = (ConnectionError, ssl_module.SSLError, asyncio.IncompleteReadError)


def sbe_refusal(
    keys: Mapping[str, ApiKey], headers: Iterable[tuple[bytes, bytes]]
) -> tuple[int, dict[str, Any]] | None:
    """Why an SBE stream handshake is refused (HTTP status, JSON body), or None to accept it.

    Binance documents that an API key is needed, that only Ed25519 keys are allowed and
    that it goes in the `X-MBX-APIKEY` header (no timestamp or signature); it answers a
    handshake without the header with HTTP 400. The statuses and bodies for an unknown or
    a non-Ed25519 key are not documented: the exchange answers 401 with code -2015, the
    code Binance gives an unknown API key elsewhere.
    """
    given = [value for name, value in headers if name.lower() == b"x-mbx-apikey"]
    if not given:
        return 400, {"code": -2014, "msg": "No X-MBX-APIKEY header: the SBE streams need an Ed25519 API key."}
    key = keys.get(given[-1].decode("utf-8", "replace").strip())
    if key is None:
        return 401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
    if key.kind != "ed25519":
        return 401, {"code": -2015, "msg": "Only Ed25519 API keys are allowed for the SBE market data streams."}
    return None


async def _async_call(func: Any, *args: Any) -> Any:
    return func(*args)


class _Conn:
    _ids = itertools.count(1)

    def __init__(self, emulator: Emulator, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.emulator = emulator
        self.reader = reader
        self.writer = writer
        self.ws = wsproto.WSConnection(wsproto.ConnectionType.SERVER)
        self.session: Session | None = None
        self.stream: StreamSession | None = None  # a market-data stream connection
        self.number = next(self._ids)
        self.last_pong = time.monotonic()
        self.last_ping = 0.0
        self.opened = time.monotonic()
        self.closed = False
        self.tasks: list[asyncio.Task[None]] = []
        self.text_parts: list[str] = []
        self.sbe: Handshake | None = None  # set when the connection asked for SBE answers

    def session_close(self) -> None:
        for task in self.tasks:
            task.cancel()
        if self.session is not None:
            self.session.close()
        if self.stream is not None:
            self.emulator.streams.closed(self.stream)

    def flush_stream(self) -> None:
        """Send what the stream session has queued; close if it asked to."""
        stream = self.stream
        if stream is None or self.closed:
            return
        for item in stream.outbox:
            if isinstance(item, str):
                self.send_text(item)
            else:
                with contextlib.suppress(LocalProtocolError):
                    self._write(self.ws.send(ev.BytesMessage(data=item)))
        stream.outbox.clear()
        if stream.close is not None:
            self.close(*stream.close)

    def abort(self) -> None:
        self.closed = True
        transport = self.writer.transport
        transport.abort()

    def _write(self, data: bytes) -> None:
        if not self.closed and not self.writer.is_closing():
            self.writer.write(data)

    def _reject(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json;charset=UTF-8"), (b"content-length", str(len(data)).encode())]
        self._write(self.ws.send(ev.RejectConnection(status_code=status, headers=headers, has_body=True)))
        self._write(self.ws.send(ev.RejectData(data=data, body_finished=True)))
        self.closed = True

    def send_answer(self, text: str, method: str | None) -> None:
        """One answer: the JSON text, or in an SBE session the same answer as a binary frame."""
        if self.sbe is None:
            self.send_text(text)
            return
        binary = sbe_response(json.loads(text), method, deprecated=self.sbe.deprecated)
        self.emulator.binary_answers += 1
        with contextlib.suppress(LocalProtocolError):
            self._write(self.ws.send(ev.BytesMessage(data=binary)))

    def send_event(self, text: str) -> None:
        """A user-data event: JSON text, or its SBE message in an SBE session."""
        binary = sbe_event(json.loads(text)) if self.sbe is not None else None
        if binary is None:
            self.send_text(text)
            return
        with contextlib.suppress(LocalProtocolError):
            self._write(self.ws.send(ev.BytesMessage(data=binary)))

    def send_text(self, text: str) -> None:
        with contextlib.suppress(LocalProtocolError):
            self._write(self.ws.send(ev.TextMessage(data=text)))

    def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(LocalProtocolError):
            self._write(self.ws.send(ev.CloseConnection(code=code, reason=reason)))
        self.closed = True
        self.writer.close()

    async def run(self) -> None:
        head: bytes | None = b""  # until the request head is read: a WebSocket handshake, or a REST request (rest.py)
        while not self.closed:
            data = await self.reader.read(65536)
            if not data:
                break
            if head is not None:
                head += data
                parsed = rest.request_head(head)
                if parsed is None and len(head) < rest.MAX_HEAD:
                    continue
                if parsed is not None and not rest.is_websocket(parsed[2]):
                    self._answer_rest(parsed[0], parsed[1])
                    break
                data, head = head, None
            try:
                self.ws.receive_data(data)
                for event in self.ws.events():
                    if self.closed:
                        break  # dropped or closed: frames after that point never reach the exchange
                    try:
                        await self._on_event(event)
                    except DISCONNECTS:
                        raise
                    except Exception:
                        # A bug in a handler: say so once, and end this connection cleanly
                        # (1011) rather than leave it open and unread.
                        log.exception("connection %d: request handling failed, closing with 1011", self.number)
                        self.close(1011, "internal error")
                        break
            except RemoteProtocolError as exc:
                log.info("protocol error from client: %s", exc)
                if exc.event_hint is not None:
                    with contextlib.suppress(LocalProtocolError):
                        self._write(self.ws.send(exc.event_hint))
                break
            with contextlib.suppress(ConnectionError):
                await self.writer.drain()
        self.closed = True
        with contextlib.suppress(Exception):
            self.writer.close()

    async def _on_event(self, event: ev.Event) -> None:
        emu = self.emulator
        if isinstance(event, ev.Request):
            parts = urlsplit(event.target)
            if parts.path == "/ws" or parts.path.startswith(("/ws/", "/stream")):
                self._open_stream(parts.path, parts.query)
                return
            if parts.path.startswith(SBE_PATH + "/"):
                refusal = sbe_refusal(emu.exchange.keys, event.extra_headers)
                if refusal is not None:
                    self._reject(*refusal)
                    return
                self._open_stream(parts.path[len(SBE_PATH) :], parts.query, sbe=True)
                return
            if parts.path.rstrip("/") not in ("/ws-api/v3", ""):
                self._write(self.ws.send(ev.RejectConnection(status_code=404)))
                self.closed = True
                return
            all_values = parse_qs(parts.query)
            query = {k: v[-1] for k, v in all_values.items()}
            handshake = Handshake(all_values)
            if handshake.refusal is not None:  # the FAQ: HTTP 400 with a JSON body at the handshake
                self._reject(400, {"code": handshake.refusal[0], "msg": handshake.refusal[1]})
                return
            self.sbe = handshake if handshake.sbe else None
            options = SessionOptions(
                return_rate_limits=query.get("returnRateLimits", "true").lower() != "false",
                microseconds=query.get("timeUnit", "").upper() == "MICROSECOND",
            )
            self._write(self.ws.send(ev.AcceptConnection()))
            self.session = Session(emu.exchange, emu.limits, options, send_event=self.send_event)
            self.tasks.append(asyncio.create_task(self._keepalive()))
        elif isinstance(event, ev.TextMessage):
            self.text_parts.append(event.data)
            if not event.message_finished:
                if sum(map(len, self.text_parts)) > emu.faults.max_frame_bytes:
                    self.close(1009, "message too big")
                return
            text = "".join(self.text_parts)
            self.text_parts.clear()
            if self.stream is not None:
                self.stream.on_text(text, time.monotonic())  # a control message
                self.flush_stream()
                return
            await self._on_request(text)
        elif isinstance(event, ev.BytesMessage):
            self.close(1003, "binary frames are not supported")
        elif isinstance(event, ev.Ping):
            if self._over_stream_limit():
                return
            if emu.faults.answer_pings:
                self._write(self.ws.send(event.response()))
        elif isinstance(event, ev.Pong):
            if self._over_stream_limit():
                return
            if not emu.faults.ignore_pongs:
                self.last_pong = time.monotonic()
        elif isinstance(event, ev.CloseConnection):
            with contextlib.suppress(LocalProtocolError):
                self._write(self.ws.send(event.response()))
            self.closed = True

    def _answer_rest(self, method: str, target: str) -> None:
        """A plain HTTP request (no upgrade): the REST depth snapshot, answered as the API's `depth`."""
        emu = self.emulator
        emu.requests[f"{method} {urlsplit(target).path}"] += 1
        session = Session(emu.exchange, emu.limits)
        try:
            self._write(rest.respond(method, target, session.handle))
        finally:
            session.close()
        self.closed = True

    def _open_stream(self, path: str, query: str, *, sbe: bool = False) -> None:
        try:
            self.stream = self.emulator.streams.open(path, query, time.monotonic(), sbe=sbe)
        except Refused as refused:
            body = json.dumps(refused.body).encode()
            self._write(
                self.ws.send(
                    ev.RejectConnection(
                        status_code=refused.status, headers=[(b"content-type", b"application/json")], has_body=True
                    )
                )
            )
            self._write(self.ws.send(ev.RejectData(data=body)))
            self.closed = True
            return
        self._write(self.ws.send(ev.AcceptConnection()))
        self.tasks.append(asyncio.create_task(self._keepalive()))

    def _over_stream_limit(self) -> bool:
        """Pings and pongs count toward a stream connection's incoming-message limit."""
        if self.stream is not None and not self.stream.count_incoming(time.monotonic()):
            self.flush_stream()
            return True
        return False

    async def _on_request(self, text: str) -> None:
        emu = self.emulator
        faults = emu.faults
        assert self.session is not None
        method = _peek_method(text)
        if method:
            emu.requests[method] += 1
        if faults.drop_after_requests is not None:
            faults.drop_after_requests -= 1
            if faults.drop_after_requests <= 0:
                faults.drop_after_requests = None
                if faults.drop_after_execute:
                    self.session.handle(text)
                self.abort()
                return
        forced = faults.answer_status.get(method or "")
        if forced is not None:
            status, code, msg, execute = forced
            if execute:
                self.session.handle(text)
            request_id = _peek_id(text)
            response = json.dumps({"id": request_id, "status": status, "error": {"code": code, "msg": msg}})
        else:
            response = self.session.handle(text)
        if faults.delay_ms:
            await asyncio.sleep(faults.delay_ms / 1000)
        while faults.malformed_next > 0:
            faults.malformed_next -= 1
            self.send_text('{"id": 1, "status": 200, "result": ')
        self.send_answer(response, method)

    async def _keepalive(self) -> None:
        emu = self.emulator
        payload = itertools.count(1)
        try:
            while not self.closed:
                await asyncio.sleep(min(0.1, emu.ping_interval, emu.pong_timeout / 4, emu.max_lifetime / 4))
                now = time.monotonic()
                if now - self.opened >= emu.max_lifetime:
                    self.close(1000, "connection lifetime exceeded")
                    await self.writer.drain()
                    return
                if emu.faults.send_pings and now - self.last_ping >= emu.ping_interval:
                    self.last_ping = now
                    self._write(self.ws.send(ev.Ping(str(next(payload)).encode())))
                if now - self.last_pong > emu.pong_timeout:
                    log.info("no pong for %.1f s: disconnecting", emu.pong_timeout)
                    self.close(1008, "pong timeout")
                    return
        except (ConnectionError, asyncio.CancelledError):
            return


def _peek_method(text: str) -> str | None:
    try:
        message = json.loads(text)
    except ValueError:
        return None
    method = message.get("method") if isinstance(message, dict) else None
    return method if isinstance(method, str) else None


def _peek_id(text: str) -> Any:
    try:
        message = json.loads(text)
    except ValueError:
        return None
    return message.get("id") if isinstance(message, dict) else None


def env_port() -> int:
    return int(os.environ.get("BINANCE_EMULATOR_PORT", "0"))
