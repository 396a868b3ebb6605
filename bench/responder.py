"""A minimal, fast WebSocket responder for benchmarks (its own process, loopback only).

It runs on picows, so that it stays ahead of every client measured against it.
Every request gets a canned, realistic response whose `id` is spliced in from the
request: `order.place` a FULL order response with fills, `depth` a 100-level book,
`time` the server time, anything else `{}`. Each response carries `rateLimits` whose
counts go up with every request on the connection, as Binance's do, but whose
limits are far above anything a benchmark sends: a client that respects them is
never throttled.

`bench.events` (params `count`, optional `rate` per second) answers `{}` and then
pushes `count` distinct user-data events (`executionReport`, event time E = 0, 1,
..., count - 1) in the WebSocket API's event envelope: as fast as the socket takes
them, or paced at `rate` in 10 ms batches.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import re
from typing import Any

from binance_ws_emulator.tls import server_context

_ID = re.compile(rb'"id":\s*(-?\d+|"[^"]*")')
_METHOD = re.compile(rb'"method":\s*"([^"]+)"')
_COUNT = re.compile(rb'"count":\s*(\d+)')
_RATE = re.compile(rb'"rate":\s*(\d+)')

LIMIT = 1_000_000_000  # never reached: a benchmark must not be throttled
ORDER = {
    "symbol": "BTCUSDT",
    "orderId": 12510053279,
    "orderListId": -1,
    "clientOrderId": "a097fe6304b20a7e4fc436",
    "transactTime": 1660801715793,
    "price": "23416.10000000",
    "origQty": "0.00847000",
    "executedQty": "0.00847000",
    "origQuoteOrderQty": "0.000000",
    "cummulativeQuoteQty": "198.33521500",
    "status": "FILLED",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "SELL",
    "workingTime": 1660801715793,
    "selfTradePreventionMode": "NONE",
    "fills": [
        {
            "price": "23416.10000000",
            "qty": "0.00635000",
            "commission": "0.000000",
            "commissionAsset": "BNB",
            "tradeId": 1650422481,
        },
        {
            "price": "23416.50000000",
            "qty": "0.00212000",
            "commission": "0.000000",
            "commissionAsset": "BNB",
            "tradeId": 1650422482,
        },
    ],
}
DEPTH = {
    "lastUpdateId": 2731179239,
    "bids": [[f"{50000 - i * 0.01:.8f}", f"{0.1 + i / 1000:.8f}"] for i in range(100)],
    "asks": [[f"{50000.01 + i * 0.01:.8f}", f"{0.1 + i / 1000:.8f}"] for i in range(100)],
}
EVENT = {
    "e": "executionReport",
    "E": 0,
    "s": "BTCUSDT",
    "c": "bws5f2c9a0e41d7x1b",
    "S": "BUY",
    "o": "LIMIT",
    "f": "GTC",
    "q": "0.00847000",
    "p": "23416.10000000",
    "P": "0.00000000",
    "F": "0.00000000",
    "g": -1,
    "C": "",
    "x": "TRADE",
    "X": "PARTIALLY_FILLED",
    "r": "NONE",
    "i": 12510053279,
    "l": "0.00635000",
    "z": "0.00635000",
    "L": "23416.10000000",
    "n": "0.00000000",
    "N": "BNB",
    "T": 1660801715793,
    "t": 1650422481,
    "I": 8641984,
    "w": True,
    "m": False,
    "M": True,
    "O": 1660801715431,
    "Z": "148.69223500",
    "Y": "148.69223500",
    "Q": "0.00000000",
    "W": 1660801715431,
    "V": "NONE",
}


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


_ORDER_LIMITS = (
    b',"rateLimits":[{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":%d,"count":%%d},'
    b'{"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1,"limit":%d,"count":%%d},'
    b'{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":%d,"count":%%d}]}'
) % (LIMIT, LIMIT, LIMIT)
_WEIGHT_LIMITS = (
    b',"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":%d,"count":%%d}]}'
) % LIMIT
RESULTS = {
    b"order.place": (b',"status":200,"result":' + _json(ORDER), True),
    b"depth": (b',"status":200,"result":' + _json(DEPTH), False),
    b"time": (b',"status":200,"result":{"serverTime":1660801715431}', False),
}
DEFAULT = (b',"status":200,"result":{}', False)
_EVENT_HEAD, _EVENT_TAIL = _json({"subscriptionId": 0, "event": EVENT}).split(b'"E":0', 1)


def event_frame(number: int) -> bytes:
    """The `number`-th pushed event (its event time `E` is `number`)."""
    return b'%s"E":%d%s' % (_EVENT_HEAD, number, _EVENT_TAIL)


class Counts:
    """Per-connection request counts, reported back in `rateLimits` as Binance does."""

    def __init__(self) -> None:
        self.requests = 0
        self.orders = 0


def answer(frame: bytes, counts: Counts | None = None) -> bytes:
    counts = counts or Counts()
    request_id = _ID.search(frame)
    method = _METHOD.search(frame)
    body, is_order = RESULTS.get(method.group(1) if method else b"", DEFAULT)
    counts.requests += 1
    if is_order:
        counts.orders += 1
        tail = _ORDER_LIMITS % (counts.orders, counts.orders, counts.requests)
    else:
        tail = _WEIGHT_LIMITS % counts.requests
    return b'{"id":' + (request_id.group(1) if request_id else b"null") + body + tail


async def _push_events(transport: Any, listener: Any, count: int, rate: int) -> None:
    from picows import WSMsgType

    text = WSMsgType.TEXT
    batch = max(1, rate // 100) if rate else 256
    loop = asyncio.get_running_loop()
    started = loop.time()
    for first in range(0, count, batch):
        if transport.is_disconnected:
            return
        for number in range(first, min(count, first + batch)):
            transport.send(text, event_frame(number))
        if rate:
            await asyncio.sleep(max(0.0, started + (first + batch) / rate - loop.time()))
        else:
            await listener.writable()


def _listener_class() -> Any:
    from picows import WSListener, WSMsgType

    text, close = WSMsgType.TEXT, WSMsgType.CLOSE

    class Responder(WSListener):  # type: ignore[misc]
        def __init__(self) -> None:
            self.counts = Counts()
            self.paused: asyncio.Future[None] | None = None
            self.tasks: set[asyncio.Task[None]] = set()

        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            if frame.msg_type is text:
                data = frame.get_payload_as_bytes()
                transport.send(text, answer(data, self.counts))
                if b'"bench.events"' in data:
                    count = _COUNT.search(data)
                    rate = _RATE.search(data)
                    task = asyncio.get_running_loop().create_task(
                        _push_events(
                            transport, self, int(count.group(1)) if count else 0, int(rate.group(1)) if rate else 0
                        )
                    )
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
            elif frame.msg_type is close:
                transport.send_close(frame.get_close_code())
                transport.disconnect()

        async def writable(self) -> None:
            if self.paused is not None:
                await self.paused
            else:
                await asyncio.sleep(0)

        def pause_writing(self) -> None:
            self.paused = asyncio.get_running_loop().create_future()

        def resume_writing(self) -> None:
            if self.paused is not None and not self.paused.done():
                self.paused.set_result(None)
            self.paused = None

        def on_ws_disconnected(self, transport: Any) -> None:
            self.resume_writing()

    return Responder


async def _serve(port_out: Any, tls: tuple[str, str] | None) -> None:
    from picows import ws_create_server

    listener = _listener_class()
    context = server_context(*tls) if tls is not None else None
    server = await ws_create_server(lambda request: listener(), "127.0.0.1", 0, ssl=context, max_frame_size=2**30)
    port_out.put(server.sockets[0].getsockname()[1])
    async with server:
        await asyncio.Event().wait()


def _main(port_out: Any, tls: tuple[str, str] | None) -> None:
    try:
        import uvloop  # optional

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve(port_out, tls))


def start(tls: tuple[str, str] | None = None) -> tuple[multiprocessing.Process, str]:
    """Start the responder process; returns it and its URL (wss:// with `tls=(cert, key)` paths)."""
    queue: multiprocessing.Queue[int] = multiprocessing.Queue()
    process = multiprocessing.Process(target=_main, args=(queue, tls), daemon=True)
    process.start()
    port = queue.get(timeout=20)
    return process, f"{'wss' if tls else 'ws'}://127.0.0.1:{port}/ws-api/v3"
