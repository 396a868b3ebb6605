"""Benchmarks: this SDK against the floor for Python (picows + msgspec doing the same work),
raw httpx-ws, raw websockets and the other SDKs of this API.

    nox -s bench                  # 5 interleaved rounds (a few minutes)
    nox -s bench -- --quick       # 2 short rounds (under a minute)
    nox -s bench -- --rounds 3    # another number of rounds
    nox -s bench -- --profile     # cProfile of the SDK's pipelined order.place
    nox -s bench -- --soak 20 --transport httpx-ws
                                  # only the SDK's pipelined order.place for 20 s (attach py-spy)

Every client talks to the same local responder (bench/responder.py, its own process,
one on ws:// and one on wss:// with a throwaway certificate). The reference row is the
floor: picows + msgspec doing what the SDK does per request (HMAC-SHA256 signing with a
keyed hmac copied per request, msgspec encoding, id correlation through futures, typed
decoding into the SDK's own result Structs, Decimal money). Clients run interleaved, round
by round; each measure is reported as the median over rounds of the ratio to the floor
measured in the same round, with the spread (min-max) of those ratios. The machine may be
shared: read the ratios, not the absolute numbers.

No assertions: this measures, it does not test. Results: a table, plus JSON and a PNG
chart in bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import hashlib
import hmac
import itertools
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import responder  # noqa: E402

from binance_spot_ws import AsyncClient, Client, HmacKey, StreamGap, types  # noqa: E402
from binance_ws import Protocol, RateLimit  # noqa: E402
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET  # noqa: E402
from binance_ws_emulator.tls import self_signed_certificate  # noqa: E402

RESULTS = ROOT / "bench" / "results"
KEY = HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)
PRICE, QUANTITY = Decimal("23416.10000000"), Decimal("0.00847000")
ORDER_ARGS: dict[str, Any] = dict(
    symbol="BTCUSDT", side="SELL", type="LIMIT", time_in_force="GTC", price=PRICE, quantity=QUANTITY
)
IN_FLIGHT = 100
SDK_TRANSPORTS = ("httpx-ws", "websockets", "picows")


# -- the floor: picows + msgspec doing the SDK's work ---------------------------------------


class ErrorBody(msgspec.Struct, gc=False):
    code: int
    msg: str


class Envelope(msgspec.Struct, gc=False):
    """A response, with the result left raw for the caller's typed decoder."""

    id: int | None = None
    status: int = 0
    result: msgspec.Raw = msgspec.Raw(b"null")
    error: ErrorBody | None = None
    rateLimits: list[RateLimit] | None = None


class EventEnvelope(msgspec.Struct, gc=False):
    subscriptionId: int | None = None
    event: types.UserDataEvent | None = None
    id: int | None = None


ENVELOPE = msgspec.json.Decoder(Envelope)
EVENT_ENVELOPE = msgspec.json.Decoder(EventEnvelope)
ORDER_RESULT = msgspec.json.Decoder(types.OrderResponse)
DEPTH_RESULT = msgspec.json.Decoder(types.Depth)
TIME_RESULT = msgspec.json.Decoder(types.ServerTime)
ENCODER = msgspec.json.Encoder()
_SSL: Any = None


def _ssl_context() -> Any:
    global _SSL
    if _SSL is None:
        import ssl

        _SSL = ssl.create_default_context()
    return _SSL


class Floor:
    """The physical floor for Python: picows frames, msgspec encode/decode, one keyed HMAC."""

    name = "picows + msgspec (floor)"

    async def open(self, url: str) -> None:
        from picows import WSListener, WSMsgType, ws_connect

        self._text = text = WSMsgType.TEXT
        waiters: dict[int, asyncio.Future[Envelope]] = {}
        decode = ENVELOPE.decode

        class Listener(WSListener):  # type: ignore[misc]
            def on_ws_frame(self, transport: Any, frame: Any) -> None:
                if frame.msg_type is text:
                    envelope = decode(frame.get_payload_as_bytes())
                    future = waiters.pop(envelope.id, None)  # type: ignore[arg-type]
                    if future is not None and not future.done():
                        future.set_result(envelope)

        self._waiters = waiters
        self._loop = asyncio.get_running_loop()
        self._ids = itertools.count(1)
        self._order_ids = itertools.count(1)
        self._mac = hmac.new(DOCS_HMAC_SECRET.encode(), digestmod=hashlib.sha256)
        self.transport, _ = await ws_connect(
            Listener, url, ssl_context=_ssl_context() if url.startswith("wss:") else None
        )

    async def _request(self, method: str, params: dict[str, Any] | None, decoder: Any) -> Any:
        request_id = next(self._ids)
        future = self._loop.create_future()
        self._waiters[request_id] = future
        message = (
            {"id": request_id, "method": method, "params": params} if params else {"id": request_id, "method": method}
        )
        self.transport.send(self._text, ENCODER.encode(message))
        envelope = await future
        if envelope.status >= 400 or envelope.error is not None:
            raise RuntimeError(f"{method}: {envelope.status} {envelope.error}")
        return decoder.decode(envelope.result)

    def call(self, method: str) -> Awaitable[Any]:
        if method == "order.place":
            params: dict[str, Any] = {  # already in signature order
                "apiKey": DOCS_HMAC_API_KEY,
                "newClientOrderId": f"flr{next(self._order_ids):x}",
                "price": format(PRICE, "f"),
                "quantity": format(QUANTITY, "f"),
                "side": "SELL",
                "symbol": "BTCUSDT",
                "timeInForce": "GTC",
                "timestamp": int(time.time() * 1000),
                "type": "LIMIT",
            }
            mac = self._mac.copy()
            mac.update("&".join(f"{k}={v}" for k, v in params.items()).encode())
            params["signature"] = mac.hexdigest()
            return self._request("order.place", params, ORDER_RESULT)
        if method == "time":
            return self._request("time", None, TIME_RESULT)
        return self._request("depth", {"symbol": "BTCUSDT", "limit": 100}, DEPTH_RESULT)

    async def close(self) -> None:
        self.transport.send_close()
        self.transport.disconnect()
        await self.transport.wait_disconnected()


async def floor_events(url: str, count: int) -> dict[str, float]:
    """A raw msgspec loop: picows frames decoded into the SDK's event types, consumed by a task."""
    from picows import WSListener, WSMsgType, ws_connect

    text = WSMsgType.TEXT
    inbox: deque[Any] = deque()
    wakeup = asyncio.Event()
    decode = EVENT_ENVELOPE.decode

    class Listener(WSListener):  # type: ignore[misc]
        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            if frame.msg_type is text:
                envelope = decode(frame.get_payload_as_bytes())
                if envelope.event is not None:
                    inbox.append(envelope.event)
                    wakeup.set()

    transport, _ = await ws_connect(Listener, url)
    try:
        started = time.perf_counter()
        transport.send(text, ENCODER.encode({"id": 1, "method": "bench.events", "params": {"count": count}}))
        received = 0
        while True:
            while not inbox:
                wakeup.clear()
                await wakeup.wait()
            event = inbox.popleft()
            received += 1
            if event.event_time == count - 1:
                break
        elapsed = time.perf_counter() - started
    finally:
        transport.disconnect()
    return {"events/s": received / elapsed, "lost": count - received}


# -- the other clients: each offers call(method) -> awaitable result ------------------------

ORDER_PARAMS = (
    f'"params":{{"apiKey":"{DOCS_HMAC_API_KEY}","newClientOrderId":"bwsAAAAAAAAAAAAAAAAAAAAAA","price":"23416.10000000","quantity":"0.00847000",'
    '"side":"SELL","symbol":"BTCUSDT","timeInForce":"GTC","timestamp":1660801715431,"type":"LIMIT",'
    '"signature":"15af09e41c36f3cc61378c2fbe2c33719a03dd5eba8d0f9206fbda44de717c88"}}'
)


class OrderEnvelope(msgspec.Struct):
    id: int
    status: int
    result: types.OrderResponse
    rateLimits: list[RateLimit] = []


class DepthEnvelope(msgspec.Struct):
    id: int
    status: int
    result: types.Depth
    rateLimits: list[RateLimit] = []


ORDER_DECODER = msgspec.json.Decoder(OrderEnvelope)
DEPTH_DECODER = msgspec.json.Decoder(DepthEnvelope)


def raw_frame(request_id: int, method: str) -> str:
    if method == "order.place":
        return f'{{"id":{request_id},"method":"order.place",{ORDER_PARAMS}}}'
    return f'{{"id":{request_id},"method":"depth","params":{{"symbol":"BTCUSDT","limit":100}}}}'


class RawHttpxWs:
    """Pre-signed frames over a stock httpx-ws session, decoded into the SDK's Structs."""

    name = "raw httpx-ws"

    async def open(self, url: str) -> None:
        import httpx
        from httpx_ws import aconnect_ws

        self._http = httpx.AsyncClient()
        self._cm = aconnect_ws(url, self._http, keepalive_ping_interval_seconds=None)
        self.ws = await self._cm.__aenter__()
        self._ids = 0
        self._waiters: dict[int, asyncio.Future[bytes]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            text = await self.ws.receive_text()
            data = text.encode()
            request_id = int(data[6 : data.index(b",")])
            self._waiters.pop(request_id).set_result(data)

    async def _send(self, text: str) -> None:
        await self.ws.send_text(text)

    async def call(self, method: str) -> Any:
        self._ids += 1
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiters[self._ids] = future
        await self._send(raw_frame(self._ids, method))
        data = await future
        return (ORDER_DECODER if method == "order.place" else DEPTH_DECODER).decode(data).result

    async def close(self) -> None:
        self._reader.cancel()
        await self._cm.__aexit__(None, None, None)
        await self._http.aclose()


class RawWebsockets(RawHttpxWs):
    name = "raw websockets"

    async def open(self, url: str) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(url, compression=None, max_size=None, ping_interval=None)
        self._ids = 0
        self._waiters = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for text in self.ws:
            data = text.encode() if isinstance(text, str) else text
            request_id = int(data[6 : data.index(b",")])
            self._waiters.pop(request_id).set_result(data)

    async def _send(self, text: str) -> None:
        await self.ws.send(text)

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


class Sdk:
    """This SDK with its defaults (rate_limit="wait", keepalive on) on one transport."""

    transport = "httpx-ws"

    def __init__(self, transport: str | None = None) -> None:
        self.transport = transport or self.transport
        self.name = f"binance-spot-ws ({self.transport})"

    async def open(self, url: str) -> None:
        self.client = AsyncClient(url=url, key=KEY, transport=self.transport)  # type: ignore[arg-type]
        await self.client.connect()

    def call(self, method: str) -> Awaitable[Any]:
        if method == "order.place":
            return self.client.order_place(**ORDER_ARGS)
        if method == "time":
            return self.client.time()
        return self.client.depth(symbol="BTCUSDT", limit=100)

    async def close(self) -> None:
        await self.client.close()


class OfficialSdk:
    """binance-sdk-spot (bench-only install), pointed at the local responder."""

    name = "binance-sdk-spot"

    async def open(self, url: str) -> None:
        from binance_common.configuration import ConfigurationWebSocketAPI
        from binance_sdk_spot.spot import Spot

        config = ConfigurationWebSocketAPI(api_key=DOCS_HMAC_API_KEY, api_secret=DOCS_HMAC_SECRET, stream_url=url)
        self.client = Spot(config_ws_api=config)
        self.connection = self.client.websocket_api
        await self.connection.create_connection()

    async def call(self, method: str) -> Any:
        if method == "order.place":
            from binance_sdk_spot.websocket_api.models import (
                OrderPlaceSideEnum,
                OrderPlaceTimeInForceEnum,
                OrderPlaceTypeEnum,
            )

            response = await self.connection.order_place(
                symbol="BTCUSDT",
                side=OrderPlaceSideEnum["SELL"].value,
                type=OrderPlaceTypeEnum["LIMIT"].value,
                time_in_force=OrderPlaceTimeInForceEnum["GTC"].value,
                price=23416.1,
                quantity=0.00847,
            )
        else:
            response = await self.connection.depth(symbol="BTCUSDT", limit=100)
        return response.data()

    async def close(self) -> None:
        await self.connection.close_connection()


class PythonBinance:
    """python-binance (bench-only install). Its WebsocketAPI is swapped for one on the local URL
    (the library builds the ws-api URL from a constant), and `create()` is skipped (it pings REST)."""

    name = "python-binance"

    async def open(self, url: str) -> None:
        from binance import AsyncClient as PyBinance
        from binance.ws.websocket_api import WebsocketAPI

        self.client = PyBinance(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)
        self.client.ws_api = WebsocketAPI(url=url, tld="com")

    async def call(self, method: str) -> Any:
        if method == "order.place":
            return await self.client.ws_create_order(
                symbol="BTCUSDT",
                side="SELL",
                type="LIMIT",
                timeInForce="GTC",
                price="23416.10000000",
                quantity="0.00847000",
            )
        return await self.client.ws_get_order_book(symbol="BTCUSDT", limit=100)

    async def close(self) -> None:
        # Its read loop sees a close request only at its next receive timeout (10 s): let it
        # close in the background (it only sleeps meanwhile) instead of waiting for it.
        task = asyncio.create_task(self.client.close_connection())
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)


_CLOSING: set[asyncio.Task[None]] = set()


def clients() -> list[Callable[[], Any]]:
    sdks = [lambda t=t: Sdk(t) for t in SDK_TRANSPORTS]  # type: ignore[misc]
    return [Floor, *sdks, RawHttpxWs, RawWebsockets, OfficialSdk, PythonBinance]


# -- measurements ---------------------------------------------------------------------------


async def sequential(client: Any, method: str, n: int) -> float:
    """p50 latency (µs) of one call at a time."""
    samples = []
    for _ in range(n):
        started = time.perf_counter_ns()
        await client.call(method)
        samples.append(time.perf_counter_ns() - started)
    return statistics.median(samples) / 1000


async def pipelined(client: Any, method: str, n: int) -> tuple[float, float]:
    """Requests per second with IN_FLIGHT outstanding, and process CPU µs per request."""
    per_worker = max(1, n // IN_FLIGHT)

    async def worker() -> None:
        for _ in range(per_worker):
            await client.call(method)

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    done = per_worker * IN_FLIGHT
    return done / elapsed, cpu / done * 1e6


async def _warm(client: Any) -> None:
    for _ in range(50):
        await client.call("order.place")
    await asyncio.gather(*(client.call("order.place") for _ in range(IN_FLIGHT)))
    await asyncio.gather(*(client.call("depth") for _ in range(20)))


async def _pair(client: Any, floor: Any, first: bool, run: Callable[[Any], Awaitable[Any]]) -> tuple[Any, Any]:
    """The same measure on the client and on the floor, back to back (order alternates by round)."""
    if first:
        mine = await run(client)
        return mine, await run(floor)
    theirs = await run(floor)
    return await run(client), theirs


async def measure_client(
    factory: Callable[[], Any], url: str, tls_url: str, sizes: dict[str, int], floors: tuple[Any, Any], first: bool
) -> tuple[dict[str, float], dict[str, float]]:
    """Every request/response measure of one client, each paired with the floor's."""
    row: dict[str, float] = {}
    base: dict[str, float] = {}
    floor, floor_tls = floors
    client = factory()
    await client.open(url)
    try:
        await _warm(client)
        for measure, method, n in (
            ("order.place p50 µs", "order.place", sizes["seq"]),
            ("depth p50 µs", "depth", sizes["seq"] // 2),
        ):
            row[measure], base[measure] = await _pair(
                client, floor, first, lambda c, m=method, n=n: sequential(c, m, n)
            )
        (
            (row["order.place req/s"], row["CPU µs/request"]),
            (base["order.place req/s"], base["CPU µs/request"]),
        ) = await _pair(client, floor, first, lambda c: pipelined(c, "order.place", sizes["pipe"]))
        (row["depth req/s"], _), (base["depth req/s"], _) = await _pair(
            client, floor, first, lambda c: pipelined(c, "depth", sizes["pipe"] // 2)
        )
    finally:
        await client.close()
    client = factory()
    await client.open(tls_url)
    try:
        await _warm(client)
        (row["order.place req/s wss"], _), (base["order.place req/s wss"], _) = await _pair(
            client, floor_tls, first, lambda c: pipelined(c, "order.place", sizes["pipe"])
        )
    finally:
        await client.close()
    return row, base


async def sdk_events(url: str, transport: str, count: int) -> dict[str, float]:
    """Events/s delivered through `client.user_data()` (responder pushes `count` events)."""
    async with AsyncClient(url=url, key=KEY, transport=transport) as client:  # type: ignore[arg-type]
        started = time.perf_counter()
        await client.request_raw("bench.events", {"count": count})
        received = gaps = 0
        async for event in client.user_data():
            if isinstance(event, StreamGap):
                gaps += 1
                continue
            received += 1
            if event.event_time == count - 1:
                break
        elapsed = time.perf_counter() - started
    return {"events/s": received / elapsed, "lost": count - received, "gaps": gaps}


def blocking_events(url: str, count: int, rate: int) -> dict[str, float]:
    """The blocking client reading a stream paced at `rate` events/s: delivered, lost, gaps."""
    received = gaps = 0
    with Client(url=url, key=KEY) as client:
        started = time.perf_counter()
        client.request_raw("bench.events", {"count": count, "rate": rate})
        try:
            for event in client.user_data(timeout=3):
                if isinstance(event, StreamGap):
                    gaps += 1
                    continue
                received += 1
                if event.event_time == count - 1:
                    break
        except TimeoutError:
            pass
        elapsed = time.perf_counter() - started
    return {"events/s": received / elapsed, "lost": count - received, "gaps": gaps, "offered/s": rate}


def blocking_sequential(url: str, n: int) -> float:
    with Client(url=url, key=KEY) as client:
        for _ in range(100):
            client.order_place(**ORDER_ARGS)
        samples = []
        for _ in range(n):
            started = time.perf_counter_ns()
            client.order_place(**ORDER_ARGS)
            samples.append(time.perf_counter_ns() - started)
    return statistics.median(samples) / 1000


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: peak RSS is the best the OS offers
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


CHILD_KINDS = {"floor": Floor, **{f"sdk:{t}": (lambda t=t: Sdk(t)) for t in SDK_TRANSPORTS}}


async def _child(kind: str, url: str, count: int) -> dict[str, float]:
    """In a fresh interpreter: connect-to-first-response, and RSS per extra connected client."""
    factory = CHILD_KINDS[kind]
    started = time.perf_counter()
    first = factory()
    await first.open(url)
    await first.call("time")
    first_ms = (time.perf_counter() - started) * 1000
    gc.collect()
    before = _rss_bytes()
    opened, samples = [], []
    for _ in range(count):
        started = time.perf_counter()
        client = factory()
        await client.open(url)
        await client.call("time")
        samples.append(time.perf_counter() - started)
        opened.append(client)
    gc.collect()
    after = _rss_bytes()
    for client in [first, *opened]:
        await client.close()
    return {
        "connect ms": statistics.median(samples) * 1000,
        "first connect ms": first_ms,
        "RSS KiB/client": (after - before) / count / 1024,
    }


def child_measures(kind: str, url: str, count: int) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}  # as users run
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--child", kind, url, str(count)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if done.returncode:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "child failed")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


IMPORTS = {
    "floor": "import asyncio, decimal, hashlib, hmac, ssl, msgspec, picows",
    "sdk": "import binance_spot_ws",
}


def import_times(samples: int) -> dict[str, dict[str, float]]:
    """Wall time of a fresh interpreter importing each, minus one that imports nothing (ms)."""

    # With bytecode caches, as after `pip install` (which compiles them): this environment may
    # set PYTHONDONTWRITEBYTECODE, and then every import would compile the sources again.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def wall(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)
        return (time.perf_counter() - started) * 1000

    for code in IMPORTS.values():  # writes the caches
        wall(code)

    runs: dict[str, list[float]] = {"bare": [], **{name: [] for name in IMPORTS}}
    for _ in range(samples):
        runs["bare"].append(wall("pass"))
        for name, code in IMPORTS.items():
            runs[name].append(wall(code))
    bare = statistics.median(runs["bare"])
    out = {name: {"import ms": statistics.median(runs[name]) - bare} for name in IMPORTS}
    trace = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORTS["sdk"]], check=True, capture_output=True, text=True, env=env
    ).stderr
    for line in trace.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == "binance_spot_ws":
            out["sdk"]["-X importtime ms"] = int(parts[1]) / 1000
    return out


class StrLevel(msgspec.Struct, array_like=True, gc=False):
    price: str
    qty: str


class StrDepth(msgspec.Struct, gc=False):
    lastUpdateId: int
    bids: list[StrLevel]
    asks: list[StrLevel]


class StrDepthEnvelope(msgspec.Struct, gc=False):
    id: int
    status: int
    result: StrDepth
    rateLimits: list[RateLimit] = []


def decode_costs(n: int) -> dict[str, float]:
    """µs to decode one 100-level depth response (and to decode it and read every level)."""
    frame = responder.answer(b'{"id":7,"method":"depth","params":{"symbol":"BTCUSDT","limit":100}}')
    protocol = Protocol(KEY)
    from binance_spot_ws._methods import DEPTH

    call = protocol.prepare(DEPTH, {"symbol": "BTCUSDT", "limit": 100})
    str_decoder = msgspec.json.Decoder(StrDepthEnvelope)

    def sdk() -> Any:
        return protocol.outcome(call, Protocol.parse(frame))

    def read_all(book: Any) -> None:
        for level in book.bids:
            level.price, level.qty  # noqa: B018
        for level in book.asks:
            level.price, level.qty  # noqa: B018

    variants: dict[str, tuple[Callable[[], Any], int]] = {
        "msgspec into str fields (floor)": (lambda: str_decoder.decode(frame), n),
        "msgspec into the SDK's Depth (money as text until read)": (lambda: DEPTH_DECODER.decode(frame), n),
        "binance-spot-ws": (sdk, n),
        "binance-spot-ws, then every level read": (lambda: read_all(sdk()), n),
        "python-binance (json.loads, dicts of str)": (lambda: json.loads(frame), n),
    }
    try:  # what binance-sdk-spot does per response: json.loads in its reader, then the pydantic model
        from binance_sdk_spot.websocket_api.models import DepthResponse

        uuid_frame = responder.answer(b'{"id":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","method":"depth"}')
        variants["binance-sdk-spot (pydantic)"] = (
            lambda: DepthResponse.from_dict(json.loads(uuid_frame)),
            max(50, n // 4),
        )
    except Exception as error:  # not installed, or its models changed
        print(f"binance-sdk-spot decode not measured: {type(error).__name__}: {str(error)[:100]}")
    costs = dict.fromkeys(variants, float("inf"))
    for _ in range(5):  # interleaved passes, the best of each: the least disturbed
        for name, (fn, count) in variants.items():
            started = time.perf_counter()
            for _ in range(count // 5):
                fn()
            costs[name] = min(costs[name], (time.perf_counter() - started) / (count // 5) * 1e6)
    return costs


def regeneration_seconds() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "generator", "--out", f"{tmp}/binance_spot_ws"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - started


def _rotated(items: list[Any], by: int) -> list[Any]:
    by %= len(items)
    return items[by:] + items[:by]


FLOOR = "picows + msgspec (floor)"


async def one_round(
    number: int, url: str, tls_url: str, sizes: dict[str, int], profile: bool
) -> dict[str, dict[str, dict[str, float]]]:
    """{client: {"row": its measures, "floor": the floor's, measured next to each}}."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    first = number % 2 == 1
    floor, floor_tls = Floor(), Floor()
    await floor.open(url)
    await floor_tls.open(tls_url)
    await _warm(floor)
    await _warm(floor_tls)
    try:
        for factory in _rotated(clients()[1:], number):
            name = factory().name
            try:
                profiler = cProfile.Profile() if profile and name == "binance-spot-ws (httpx-ws)" else None
                if profiler:
                    profiler.enable()
                row, base = await measure_client(factory, url, tls_url, sizes, (floor, floor_tls), first)
                if profiler:
                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
                out[name] = {"row": row, "floor": base}
            except Exception as error:  # another SDK that cannot be pointed at the local responder
                out[name] = {"error": {"message": f"{type(error).__name__}: {error}"[:200]}}  # type: ignore[dict-item]
    finally:
        await floor.close()
        await floor_tls.close()
    for transport in _rotated(list(SDK_TRANSPORTS), number):
        name = f"binance-spot-ws ({transport})"
        mine, theirs = await _pair(
            transport,
            "floor",
            first,
            lambda t: floor_events(url, sizes["events"]) if t == "floor" else sdk_events(url, t, sizes["events"]),
        )
        entry = out.setdefault(name, {"row": {}, "floor": {}})
        entry["row"]["user-data events/s"], entry["floor"]["user-data events/s"] = mine["events/s"], theirs["events/s"]
        entry["row"]["user-data events lost"] = mine["lost"]
    floor_seq = Floor()
    await floor_seq.open(url)
    await _warm(floor_seq)
    floor_p50 = await sequential(floor_seq, "order.place", sizes["seq"] // 2)
    await floor_seq.close()
    out["binance-spot-ws, blocking client"] = {
        "row": {"order.place p50 µs": await asyncio.to_thread(blocking_sequential, url, sizes["seq"] // 2)},
        "floor": {"order.place p50 µs": floor_p50},
    }
    return out


def children_round(number: int, url: str, count: int, out: dict[str, dict[str, dict[str, float]]]) -> None:
    """Connect time and RSS in fresh interpreters, each SDK transport next to a floor run."""
    for transport in _rotated(list(SDK_TRANSPORTS), number):
        entry = out.setdefault(f"binance-spot-ws ({transport})", {"row": {}, "floor": {}})
        try:
            mine, theirs = (child_measures(f"sdk:{transport}", url, count), child_measures("floor", url, count))
        except Exception as error:
            print(f"{transport}: connect/RSS not measured: {error}")
            continue
        entry["row"].update(mine)
        entry["floor"].update(theirs)


def summarize(rounds: list[dict[str, dict[str, dict[str, float]]]]) -> dict[str, dict[str, dict[str, float]]]:
    """Per client and measure: the median value, and median/min/max over rounds of its ratio
    to the floor measured next to it. The floor's own row: the median of all its pairings."""
    names = list(dict.fromkeys(name for r in rounds for name in r))
    out: dict[str, dict[str, dict[str, float]]] = {FLOOR: {}}
    floor_values: dict[str, list[float]] = {}
    for name in names:
        if name == FLOOR:
            continue
        entries = [r[name] for r in rounds if name in r and "row" in r[name]]
        measures = list(dict.fromkeys(m for e in entries for m in e["row"]))
        out[name] = {}
        for measure in measures:
            values = [e["row"][measure] for e in entries if measure in e["row"]]
            ratios = [e["row"][measure] / e["floor"][measure] for e in entries if e["floor"].get(measure)]
            for e in entries:
                if measure in e["floor"]:
                    floor_values.setdefault(measure, []).append(e["floor"][measure])
            summary = {"median": statistics.median(values), "rounds": len(values)}
            if ratios:
                summary.update(ratio=statistics.median(ratios), ratio_min=min(ratios), ratio_max=max(ratios))
            out[name][measure] = summary
        if not entries:
            errors = [r[name]["error"]["message"] for r in rounds if "error" in r.get(name, {})]
            out[name] = {"error": errors[-1]}  # type: ignore[dict-item]
    for measure, values in floor_values.items():
        out[FLOOR][measure] = {"median": statistics.median(values), "rounds": len(values), "ratio": 1.0}
    return out


ISSUE_TABLE = [  # (measure, label, goal as a ratio to the floor, higher is better)
    ("order.place req/s", "order.place req/s, 100 in flight, ws://", ">= 0.8x", True),
    ("order.place req/s wss", "order.place req/s, 100 in flight, wss://", ">= 0.8x", True),
    ("order.place p50 µs", "order.place p50 µs, sequential", "<= 1.3x", False),
    ("CPU µs/request", "CPU µs per request, pipelined", "<= 1.5x", False),
    ("user-data events/s", "user-data events/s through user_data()", ">= 0.6x", True),
    ("connect ms", "connect to first response, ms, ws://", "<= 2x", False),
    ("RSS KiB/client", "RSS KiB per extra connected client", "<= 3x (< 100 KiB)", False),
]


def _cell(entry: dict[str, float] | None, unit: str = "") -> str:
    if not entry:
        return "–"
    value = entry["median"]
    shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"
    if "ratio" not in entry:
        return f"{shown}{unit}"
    spread = (
        f" [{entry['ratio_min']:.2f}–{entry['ratio_max']:.2f}]" if "ratio_min" in entry and entry["rounds"] > 1 else ""
    )
    return f"{shown}{unit} ({entry['ratio']:.2f}x{spread})"


def report(results: dict[str, Any]) -> str:
    summary = results["summary"]
    floor = summary[FLOOR]
    lines = [
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{results['rounds']} interleaved rounds; value = median over rounds, (ratio to the floor in the same"
        " round, median [min–max] over rounds)",
        "",
        "| measure | floor (picows + msgspec) | " + " | ".join(f"SDK, {t}" for t in SDK_TRANSPORTS) + " | goal |",
        "|---|---|" + "---|" * len(SDK_TRANSPORTS) + "---|",
    ]
    for measure, label, goal, _ in ISSUE_TABLE:
        cells = [_cell(summary.get(f"binance-spot-ws ({t})", {}).get(measure)) for t in SDK_TRANSPORTS]
        lines.append(f"| {label} | {_cell(floor.get(measure))} | " + " | ".join(cells) + f" | {goal} |")
    decode = results["decode_depth_us"]
    base = decode["msgspec into str fields (floor)"]
    sdk = decode["binance-spot-ws"]
    lines.append(
        f"| depth(limit=100) decode, typed | {base:.1f} µs (str fields) | {sdk:.1f} µs ({sdk / base:.2f}x) | | | <= 1.5x |"
    )
    imports = results["imports"]
    sdk_import = imports["sdk"]["import ms"]
    lines.append(
        f"| cold `import binance_spot_ws` | {imports['floor']['import ms']:.0f} ms (asyncio, ssl, msgspec, picows) |"
        f" {sdk_import:.0f} ms ({sdk_import / imports['floor']['import ms']:.1f}x) | | | <= 200 ms |"
    )
    lines += [
        "",
        "All clients (ratios to the floor; throughput: higher is better, latency/CPU: lower is better)",
        "",
        "| client | order.place p50 µs | depth p50 µs | order.place req/s | depth req/s | wss order.place req/s | CPU µs/req |",
        "|---|---|---|---|---|---|---|",
    ]
    columns = ["order.place p50 µs", "depth p50 µs", "order.place req/s", "depth req/s", "order.place req/s wss"]
    for name, row in summary.items():
        if "error" in row:
            lines.append(f"| {name} | n/a ({row['error']}) |||||||")
            continue
        cells = [_cell(row.get(c)) for c in [*columns, "CPU µs/request"]]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Decoding one 100-level depth response (µs, best of 5 interleaved passes):"]
    lines += [f"  {k}: {v:.1f} ({v / base:.2f}x the str floor)" for k, v in decode.items()]
    blocking = results.get("blocking_events")
    if blocking:
        lines.append(
            f"\nBlocking client, a stream offered at {blocking['offered/s']:,} events/s: delivered"
            f" {blocking['events/s']:,.0f}/s, lost {blocking['lost']:.0f}, gap markers {blocking['gaps']:.0f}"
        )
    if "sdk" in imports and "-X importtime ms" in imports["sdk"]:
        lines.append(f"import binance_spot_ws, -X importtime cumulative: {imports['sdk']['-X importtime ms']:.0f} ms")
    lines.append(f"full regeneration of the SDK: {results['regeneration_s']:.2f} s")
    return "\n".join(lines)


def chart(results: dict[str, Any]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    summary = {k: v for k, v in results["summary"].items() if "order.place req/s" in v}
    fig, (latency, throughput) = plt.subplots(1, 2, figsize=(12, 4.5))
    latency.barh(list(summary), [v["order.place p50 µs"]["median"] for v in summary.values()])
    latency.set_xlabel("order.place p50 latency, µs (lower is better)")
    latency.invert_yaxis()
    throughput.barh(list(summary), [v["order.place req/s"]["median"] / 1000 for v in summary.values()])
    throughput.set_xlabel("order.place, thousands/s, 100 in flight (higher is better)")
    throughput.invert_yaxis()
    fig.suptitle("Local responder, ws://; first row: the picows + msgspec floor")
    fig.tight_layout()
    fig.savefig(RESULTS / "bench.png")


async def soak(url: str, transport: str, seconds: float) -> None:
    client = Sdk(transport)
    await client.open(url)
    done, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        rate, cpu = await pipelined(client, "order.place", 5000)
        done += 5000
    await client.close()
    print(f"soak: {done} order.place on {transport}, last {rate:,.0f}/s, {cpu:.0f} µs CPU/request")


async def measure(args: argparse.Namespace, url: str, tls_url: str) -> dict[str, Any]:
    sizes = (
        {"seq": 150, "pipe": 1500, "events": 5000, "clients": 30}
        if args.quick
        else {"seq": 400, "pipe": 3000, "events": 10000, "clients": 60}
    )
    rounds: list[dict[str, dict[str, float]]] = []
    child_rounds = 1 if args.quick else min(args.rounds, 2)  # fresh interpreters: slow to start
    for number in range(args.rounds):
        started = time.perf_counter()
        rows = await one_round(number, url, tls_url, sizes, args.profile and number == 0)
        if number < child_rounds:
            await asyncio.to_thread(children_round, number, url, sizes["clients"], rows)
        rounds.append(rows)
        print(f"round {number + 1}/{args.rounds}: {time.perf_counter() - started:.0f} s", flush=True)
    offered = 10_000
    results: dict[str, Any] = {
        "rounds": args.rounds,
        "sizes": sizes,
        "per_round": rounds,
        "summary": summarize(rounds),
        "blocking_events": await asyncio.to_thread(blocking_events, url, offered * (1 if args.quick else 4), offered),
        "decode_depth_us": decode_costs(300 if args.quick else 2000),
        "imports": import_times(3 if args.quick else 7),
    }
    try:
        results["regeneration_s"] = regeneration_seconds()
    except (OSError, subprocess.CalledProcessError) as error:
        results["regeneration_s"] = float("nan")
        print(f"regeneration not measured: {error}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2 short rounds")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--profile", action="store_true", help="cProfile the SDK (httpx-ws) in round 1")
    parser.add_argument("--soak", type=float, default=0, help="only the SDK's pipelined order.place for N s")
    parser.add_argument("--transport", default="httpx-ws", help="the SDK transport for --soak")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "URL", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, url, count = args.child
        print(json.dumps(asyncio.run(_child(kind, url, int(count)))))
        return
    args.rounds = args.rounds or (2 if args.quick else 5)
    with tempfile.TemporaryDirectory() as folder:
        cert, key = self_signed_certificate(Path(folder))
        os.environ["SSL_CERT_FILE"] = str(cert)  # every client's default context trusts it (children: unset)
        plain, url = responder.start()
        secure, tls_url = responder.start((str(cert), str(key)))
        try:
            if args.soak:
                asyncio.run(soak(url, args.transport, args.soak))
                return
            started = time.perf_counter()
            results = asyncio.run(measure(args, url, tls_url))
            results["seconds"] = time.perf_counter() - started
        finally:
            plain.terminate()
            secure.terminate()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=1, default=str))
    chart(results)
    text = report(results)
    (RESULTS / "report.md").write_text(text + "\n")
    print("\n" + text)
    print(f"\n{results['seconds']:.0f} s; written: {RESULTS / 'results.json'}, {RESULTS / 'report.md'}")


if __name__ == "__main__":
    main()
