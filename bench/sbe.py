"""SBE vs JSON: bytes per response and decode cost, in one run (python bench/sbe.py).

Each row's json, sbe and table timings are taken in turns (`timed_together`), so their
ratios hold on a loaded machine. For each payload (depth 100 and 5000 levels, klines 1000, an order FULL response, an
executionReport event) it builds the same answer as a JSON frame and as an SBE frame
(with the local exchange's encoder) and times, per frame:

- json:  the SDK's JSON path (envelope, then the method's typed result: msgspec Structs)
- sbe:   the SDK's SBE path: binary envelope, then the generated straight-line decoder
         (`_sbe_decode`) builds the same typed result
- table: the table-driven SBE path it replaced (JSON-shaped values, re-encoded, then the
         JSON decoder): what `Decoder(_sbe)` without direct decoders still does
- fast:  the numeric fast path (`binance_ws.fast` columns; market data only), from SBE
- fastj: the numeric fast path from JSON

Then the SBE market-data streams: the same events as a JSON combined-stream frame and as an
SBE frame (the local exchange's encoder), each through `MarketStreams`' own frame handler
into a subscription and taken from it typed, as `async for` does (no socket):

- json:  the JSON stream (the payload cut out of the frame, decoded by msgspec when taken)
- sbe:   the SBE stream: the generated straight-line decoders (`_sbe_stream_decode`) build
         the events in the frame handler
- table: the table-driven path it replaced (JSON payload texts, then the JSON decoder): the
         fallback for a message the direct decoders leave, and what `subscribe_raw` gets

Ratios are against `json` (lower is better); no sockets. `--e2e` adds end-to-end pipelined
throughput (100 in flight) of `depth` (100 levels) and `order.place` (FULL) against a canned
responder in its own process that answers in JSON or SBE as the URL asks, both transports.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import re
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for part in ("runtime", "generated", "emulator"):
    sys.path.insert(0, str(ROOT / part))

import msgspec  # noqa: E402

from binance_spot_ws import _methods, _sbe, _sbe_decode, types  # noqa: E402
from binance_ws import fast  # noqa: E402
from binance_ws.sbe import Decoder  # noqa: E402
from binance_ws.wire import FRAME_DECODER, DecodedFrame  # noqa: E402
from binance_ws_emulator import sbe_encode  # noqa: E402
from binance_ws_emulator import sbe_stream_encode as sbe_stream  # noqa: E402
from binance_ws_emulator.book import Trade  # noqa: E402

RATE_LIMITS = [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "count": 7}]


def depth(levels: int) -> dict[str, Any]:
    return {
        "lastUpdateId": 2731179239,
        "bids": [[f"{50000 - i * 0.01:.8f}", f"{0.1 + i / 1000:.8f}"] for i in range(levels)],
        "asks": [[f"{50000.01 + i * 0.01:.8f}", f"{0.1 + i / 1000:.8f}"] for i in range(levels)],
    }


def klines(count: int) -> list[list[Any]]:
    start = 1_700_000_000_000
    return [
        [
            start + i * 60_000,
            f"{50000 + i:.8f}",
            f"{50010 + i:.8f}",
            f"{49990 + i:.8f}",
            f"{50005 + i:.8f}",
            f"{12.5 + i / 100:.8f}",
            start + i * 60_000 + 59_999,
            f"{625000 + i:.8f}",
            100 + i,
            f"{6.25:.8f}",
            f"{312500:.8f}",
            "0",
        ]
        for i in range(count)
    ]


ORDER_FULL = {
    "symbol": "BTCUSDT",
    "orderId": 12510053279,
    "orderListId": -1,
    "clientOrderId": "a097fe6304b20a7e4fc436",
    "transactTime": 1660801715793,
    "price": "23416.10000000",
    "origQty": "0.00847000",
    "executedQty": "0.00847000",
    "origQuoteOrderQty": "0.00000000",
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
            "commission": "0.00000000",
            "commissionAsset": "BNB",
            "tradeId": 1650422481,
        },
        {
            "price": "23416.50000000",
            "qty": "0.00212000",
            "commission": "0.00000000",
            "commissionAsset": "BNB",
            "tradeId": 1650422482,
        },
    ],
}
EXECUTION_REPORT = {
    "e": "executionReport",
    "E": 1499405658658,
    "s": "ETHBTC",
    "c": "mUvoqJxFIILMdfAW5iGSOW",
    "S": "BUY",
    "o": "LIMIT",
    "f": "GTC",
    "q": "1.00000000",
    "p": "0.10264410",
    "P": "0.00000000",
    "F": "0.00000000",
    "g": -1,
    "C": "",
    "x": "NEW",
    "X": "NEW",
    "r": "NONE",
    "i": 4293153,
    "l": "0.00000000",
    "z": "0.00000000",
    "L": "0.00000000",
    "n": "0",
    "N": None,
    "T": 1499405658657,
    "t": -1,
    "v": 3,
    "I": 8641984,
    "w": True,
    "m": False,
    "M": False,
    "O": 1499405658657,
    "Z": "0.00000000",
    "Y": "0.00000000",
    "Q": "0.00000000",
    "W": 1499405658657,
    "V": "NONE",
}


def frames(method: str, result: Any) -> tuple[bytes, bytes]:
    answer = {"id": 1, "status": 200, "result": result, "rateLimits": RATE_LIMITS}
    return json.dumps(answer, separators=(",", ":")).encode(), sbe_encode.response(answer, method)


def timed(func: Callable[[], Any], budget: float = 0.4) -> float:
    """Microseconds per call (best of 5 runs of a loop sized to the budget)."""
    number = max(1, int(budget / max(timeit.timeit(func, number=1), 1e-7) / 5))
    return min(timeit.repeat(func, number=number, repeat=5)) / number * 1e6


def timed_together(funcs: dict[str, Callable[[], Any]], budget: float = 0.3, rounds: int = 7) -> dict[str, float]:
    """Microseconds of CPU per call of each function, measured in turns (one loop of each per
    round, best round kept): on a loaded machine the ratios between them stay meaningful."""
    numbers = {k: max(1, int(budget / max(timeit.timeit(f, number=1), 1e-7) / rounds)) for k, f in funcs.items()}
    timers = {k: timeit.Timer(f, timer=time.process_time) for k, f in funcs.items()}  # CPU time: not the waits
    best = dict.fromkeys(funcs, float("inf"))
    for _ in range(rounds):
        for key, timer in timers.items():
            best[key] = min(best[key], timer.timeit(number=numbers[key]) / numbers[key] * 1e6)
    return best


def main() -> None:
    decoder = Decoder(_sbe, _sbe_decode)  # the generated straight-line decoders
    tables_only = Decoder(_sbe)  # the table-driven path (JSON-shaped values, then the JSON decoder)
    method_of: dict[str, Any] = {}
    rows = []
    cases: list[tuple[str, str, Any, Any, Any]] = [
        ("depth 100", "depth", depth(100), _methods.DEPTH, (fast.depth_from_sbe, fast.depth_from_json)),
        ("depth 5000", "depth", depth(5000), _methods.DEPTH, (fast.depth_from_sbe, fast.depth_from_json)),
        ("klines 1000", "klines", klines(1000), _methods.KLINES, (fast.klines_from_sbe, fast.klines_from_json)),
        ("order FULL", "order.place", ORDER_FULL, _methods.ORDER_PLACE, None),
    ]
    for label, wire, result, method, fast_pair in cases:
        text, binary = frames(wire, result)
        method_of[wire] = method

        def json_path(text: bytes = text, method: Any = method) -> Any:
            return method.decoder.decode(FRAME_DECODER.decode(text).result)

        def sbe_path(binary: bytes = binary, method: Any = method, decoder: Decoder = decoder) -> Any:
            frame, _, _ = decoder.frame(binary, 0, lambda _id, m=method: m)
            return frame.value if type(frame) is DecodedFrame else method.decoder.decode(frame.result)

        def table_path(binary: bytes = binary, method: Any = method) -> Any:
            return sbe_path(binary, method, tables_only)

        assert sbe_path() == table_path(), label
        assert json_path() == sbe_path() or label.startswith("order"), label  # SBE has fields the sample lacks
        row = {
            "payload": label,
            "json B": len(text),
            "sbe B": len(binary),
            **timed_together({"json": json_path, "sbe": sbe_path, "table": table_path}),
        }
        if fast_pair is not None:
            from_sbe, from_json = fast_pair
            message = sbe_encode.message(result, [next(t for t, _ in _sbe.METHODS[wire])])
            raw_json = msgspec.json.encode(result)
            row["fast"] = timed(lambda message=message, f=from_sbe: f(memoryview(message)))
            row["fastj"] = timed(lambda raw_json=raw_json, f=from_json: f(raw_json))
        rows.append(row)
    event_json = json.dumps({"subscriptionId": 0, "event": EXECUTION_REPORT}).encode()
    event_sbe = sbe_encode.event({"subscriptionId": 0, "event": EXECUTION_REPORT})
    assert event_sbe is not None
    event_type = msgspec.json.Decoder(types.UserDataEvent)
    direct_event = decoder.frame(event_sbe)[0]
    assert type(direct_event) is DecodedFrame
    assert direct_event.value == event_type.decode(tables_only.frame(event_sbe)[0].event)
    rows.append(
        {
            "payload": "executionReport",
            "json B": len(event_json),
            "sbe B": len(event_sbe),
            **timed_together(
                {
                    "json": lambda: event_type.decode(FRAME_DECODER.decode(event_json).event),
                    "sbe": lambda: decoder.frame(event_sbe)[0].value,
                    "table": lambda: event_type.decode(tables_only.frame(event_sbe)[0].event),
                }
            ),
        }
    )
    print(
        f"{'payload':16} {'JSON B':>8} {'SBE B':>8} {'bytes':>6} {'json us':>9} {'sbe us':>9} {'table us':>9} "
        f"{'fast us':>9} {'fastj us':>9}"
    )
    for r in rows:
        fast_us = f"{r['fast']:9.1f}" if "fast" in r else f"{'-':>9}"
        fastj_us = f"{r['fastj']:9.1f}" if "fastj" in r else f"{'-':>9}"
        print(
            f"{r['payload']:16} {r['json B']:8d} {r['sbe B']:8d} {r['sbe B'] / r['json B']:6.2f} "
            f"{r['json']:9.1f} {r['sbe']:9.1f} {r['table']:9.1f} {fast_us} {fastj_us}"
        )
    print("\nratios against the JSON typed decode (lower is better):")
    for r in rows:
        parts = [f"sbe {r['sbe'] / r['json']:.2f}x", f"sbe(table path) {r['table'] / r['json']:.2f}x"]
        if "fast" in r:
            parts += [f"fast(sbe) {r['fast'] / r['json']:.3f}x", f"fast(json) {r['fastj'] / r['json']:.2f}x"]
        print(f"  {r['payload']:16} bytes {r['sbe B'] / r['json B']:.2f}x   " + "   ".join(parts))


# -- market-data streams ------------------------------------------------------------------------


def _levels(count: int, start: float, step: float) -> list[list[str]]:
    return [[f"{start + i * step:.8f}", f"{0.001 * (i + 1):.8f}"] for i in range(count)]


def stream_cases() -> list[tuple[str, str, str, list[str], bytes]]:
    """(label, method, SBE stream, JSON payload texts, SBE frame): the same events both ways."""
    from decimal import Decimal

    event_ms, symbol = 1_700_000_000_123, "BTCUSDT"

    def trades(count: int) -> tuple[list[str], bytes]:
        made = [
            Trade(7_000_000 + i, Decimal("50123.45") + i, Decimal("0.01234"), event_ms - 1, i % 2 == 0)
            for i in range(count)
        ]
        texts = [
            json.dumps(
                {
                    "e": "trade",
                    "E": event_ms,
                    "s": symbol,
                    "t": t.trade_id,
                    "p": f"{t.price:.8f}",
                    "q": f"{t.qty:.8f}",
                    "T": t.time_ms,
                    "m": t.is_buyer_maker,
                    "M": True,
                },
                separators=(",", ":"),
            )
            for t in made
        ]
        return texts, sbe_stream.trades(symbol, made, event_ms, lambda v: f"{v:.8f}")

    best = ("50123.45000000", "1.25000000", "50123.46000000", "0.75000000")
    book = {"u": 2731179239, "s": symbol, "b": best[0], "B": best[1], "a": best[2], "A": best[3]}
    bids20, asks20 = _levels(20, 50123.45, -0.01), _levels(20, 50123.46, 0.01)
    partial = {"lastUpdateId": 2731179239, "bids": bids20, "asks": asks20}
    diff = {"e": "depthUpdate", "E": event_ms, "s": symbol, "U": 2731179200, "u": 2731179239, "b": bids20, "a": asks20}
    compact = {"separators": (",", ":")}
    one, one_sbe = trades(1)
    three, three_sbe = trades(3)
    return [
        ("trade", "trade", "btcusdt@trade", one, one_sbe),
        ("trade x3 (1 msg)", "trade", "btcusdt@trade", three, three_sbe),
        (
            "bestBidAsk",
            "book_ticker",
            "btcusdt@bookTicker",
            [json.dumps(book, **compact)],  # type: ignore[arg-type]
            sbe_stream.best_bid_ask(symbol, 2731179239, best, event_ms),
        ),
        (
            "depth20",
            "depth",
            "btcusdt@depth20@100ms",
            [json.dumps(partial, **compact)],  # type: ignore[arg-type]
            sbe_stream.depth_snapshot(symbol, 2731179239, bids20, asks20, event_ms),
        ),
        (
            "diff 40 levels",
            "diff_depth",
            "btcusdt@depth",
            [json.dumps(diff, **compact)],  # type: ignore[arg-type]
            sbe_stream.depth_diff(symbol, 2731179200, 2731179239, bids20, asks20, event_ms),
        ),
    ]


def streams_main() -> None:
    from binance_spot_ws import MarketStreams
    from binance_ws.streams import _Conn, _Shard  # pyright: ignore[reportPrivateUsage]

    class TablePath(MarketStreams):
        _sbe_direct = None  # the table-driven path only

    def subscribe(streams: MarketStreams, method: str) -> Any:
        if method == "depth":
            return streams.depth("BTCUSDT", 20, **({} if streams.response_format == "sbe" else {"speed_ms": 100}))
        return getattr(streams, method)("BTCUSDT")

    def handler(streams: MarketStreams, method: str) -> Callable[[str | bytes], list[Any]]:
        """Frame in, typed events out: the frame handler, then what `Subscription.next` does."""
        sub = subscribe(streams, method)
        conn = _Conn(_Shard(), {sub.stream})
        on_frame, queue, decode = streams._on_frame, sub._queue, sub._decoder.decode  # pyright: ignore[reportPrivateUsage]

        def run(frame: str | bytes) -> list[Any]:
            on_frame(conn, frame)
            out = [item if item.__class__ is not str else decode(item) for item in queue]
            queue.clear()
            return out

        return run

    rows = []
    for label, method, json_stream, texts, binary in stream_cases():
        as_json = handler(MarketStreams(), method)
        direct = handler(MarketStreams(response_format="sbe", api_key="bench"), method)
        table = handler(TablePath(response_format="sbe", api_key="bench"), method)
        frames = [f'{{"stream":"{json_stream}","data":{text}}}' for text in texts]
        events = [e for f in frames for e in as_json(f)]
        assert direct(binary) == table(binary) == events and len(events) == len(texts), label
        row = {
            "payload": label,
            "json B": sum(len(f) for f in frames),
            "sbe B": len(binary),
            **timed_together(
                {
                    "json": lambda frames=frames, run=as_json: [run(f) for f in frames],
                    "sbe": lambda binary=binary, run=direct: run(binary),
                    "table": lambda binary=binary, run=table: run(binary),
                }
            ),
        }
        rows.append(row)
    print("\nmarket-data streams, per SBE message (its JSON frames), frame handler to typed event:")
    print(
        f"{'payload':16} {'JSON B':>8} {'SBE B':>8} {'json us':>9} {'sbe us':>9} {'table us':>9}   sbe/json table/json"
    )
    for r in rows:
        print(
            f"{r['payload']:16} {r['json B']:8d} {r['sbe B']:8d} {r['json']:9.2f} {r['sbe']:9.2f} {r['table']:9.2f}"
            f"   {r['sbe'] / r['json']:7.2f}x {r['table'] / r['json']:9.2f}x"
        )


# -- end to end --------------------------------------------------------------------------------

_ID = re.compile(rb'"id":\s*(\d+)')
_METHOD = re.compile(rb'"method":\s*"([^"]+)"')


def _serve(port_out: Any) -> None:
    from websockets.asyncio.server import serve

    def canned(wire: str, result: Any) -> tuple[tuple[bytes, bytes], tuple[bytes, bytes]]:
        """(JSON head, tail) and (SBE head, tail) around the request id: the answers are made once."""
        text = json.dumps({"id": 0, "status": 200, "result": result, "rateLimits": RATE_LIMITS}, separators=(",", ":"))
        binary = sbe_encode.response({"id": 0, "status": 200, "result": result, "rateLimits": RATE_LIMITS}, wire)
        at = 8 + 3 + 4 + 19 * len(RATE_LIMITS)  # header, block, the rateLimits group: then the id
        return (b'{"id":', text.encode()[len('{"id":0') :]), (binary[:at], binary[at + 2 :])

    answers = {b"depth": canned("depth", depth(100)), b"order.place": canned("order.place", ORDER_FULL)}

    async def handler(ws: Any) -> None:
        sbe = "responseFormat=sbe" in (ws.request.path if ws.request else "")
        async for message in ws:
            data = message.encode() if isinstance(message, str) else message
            request_id = _ID.search(data).group(1)  # type: ignore[union-attr]
            as_json, as_sbe = answers[_METHOD.search(data).group(1)]  # type: ignore[union-attr]
            if sbe:
                await ws.send(as_sbe[0] + bytes([len(request_id)]) + request_id + as_sbe[1])
            else:
                await ws.send((as_json[0] + request_id + as_json[1]).decode())

    async def run() -> None:
        async with serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
            port_out.put(server.sockets[0].getsockname()[1])
            await asyncio.Event().wait()

    asyncio.run(run())


async def _throughput(url: str, response_format: str, transport: str, wire: str, total: int = 2000) -> float:
    from decimal import Decimal

    from binance_spot_ws import AsyncClient, HmacKey

    key = HmacKey("bench", "bench-secret")
    async with AsyncClient(
        url=url, key=key, response_format=response_format, transport=transport, rate_limit="off"
    ) as c:  # type: ignore[arg-type]
        if wire == "depth":

            def call() -> Any:
                return c.depth(symbol="BTCUSDT", limit=100)
        else:

            def call() -> Any:
                return c.order_place(
                    symbol="BTCUSDT",
                    side="SELL",
                    type="LIMIT",
                    time_in_force="GTC",
                    price=Decimal("23416.1"),
                    quantity=Decimal("0.00847"),
                )

        await asyncio.gather(*(call() for _ in range(100)))  # warm up
        started = time.perf_counter()
        for _ in range(total // 100):
            await asyncio.gather(*(call() for _ in range(100)))
        return total / (time.perf_counter() - started)


def e2e() -> None:
    queue: multiprocessing.Queue[int] = multiprocessing.Queue()
    process = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    process.start()
    try:
        url = f"ws://127.0.0.1:{queue.get(timeout=20)}/ws-api/v3"
        print("\nend to end, pipelined (100 in flight), requests per second:")
        for transport in ("httpx-ws", "websockets"):
            for wire in ("depth", "order.place"):
                as_json = asyncio.run(_throughput(url, "json", transport, wire))
                as_sbe = asyncio.run(_throughput(url, "sbe", transport, wire))
                print(f"  {transport:10} {wire:12} json {as_json:8.0f}   sbe {as_sbe:8.0f}   ({as_sbe / as_json:.2f}x)")
    finally:
        process.terminate()


if __name__ == "__main__":
    main()
    streams_main()
    if "--e2e" in sys.argv:
        e2e()
