"""Benchmark: market-data events per second into a typed `async for`, and arrival-to-consumer latency.

    python bench/streams.py [--quick]     (nox -s bench runs it after bench/run.py)

A publisher process serves combined-stream connections and sends canned trade
frames, as fast as it can (throughput) or paced (latency). Compared in the same run:

- raw msgspec loop: decoding the same frames, typed, in a plain loop (no socket);
- raw websockets: the same connection read with `websockets` and decoded typed by hand;
- MarketStreams on each transport: `async for trade in streams.trade("BTCUSDT")`.

Latency is measured from the moment the frame's text reaches the SDK (its reader
callback) to the moment the consumer has the decoded event. No assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent

from binance_spot_ws import MarketStreams, StreamGap, stream_types  # noqa: E402


def frame(trade_id: int) -> str:
    return (
        '{"stream":"btcusdt@trade","data":{"e":"trade","E":1700000000000,"s":"BTCUSDT","t":'
        + str(trade_id)
        + ',"p":"50123.45000000","q":"0.01234000","T":1700000000000,"m":true,"M":true}}'
    )


def _ws_frame(text: str) -> bytes:
    data = text.encode()
    head = bytes([0x81, len(data)]) if len(data) < 126 else bytes([0x81, 126]) + len(data).to_bytes(2, "big")
    return head + data


def _publisher(port_out: Any, count: int, pace_s: float) -> None:
    """Pre-framed bytes on a plain socket after a hand-made upgrade: the publisher costs ~nothing."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        key = next(
            line.split(b":", 1)[1].strip()
            for line in request.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        frames = [_ws_frame(frame(i)) for i in range(1, count + 1)]
        if pace_s:
            for data in frames:
                writer.write(data)
                await writer.drain()
                await asyncio.sleep(pace_s)
        else:
            for i in range(0, count, 1000):
                writer.write(b"".join(frames[i : i + 1000]))
                await writer.drain()
        await reader.read()  # until the client goes

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port_out.put(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


def start_publisher(count: int, pace_s: float = 0.0) -> tuple[multiprocessing.Process, str]:
    queue: multiprocessing.Queue[int] = multiprocessing.Queue()
    process = multiprocessing.Process(target=_publisher, args=(queue, count, pace_s), daemon=True)
    process.start()
    return process, f"ws://127.0.0.1:{queue.get(timeout=20)}"


class Envelope(msgspec.Struct):
    stream: str
    data: stream_types.Trade


def raw_decode_rate(count: int) -> float:
    frames = [frame(i).encode() for i in range(1, count + 1)]
    decoder = msgspec.json.Decoder(Envelope)
    started = time.perf_counter()
    for text in frames:
        decoder.decode(text)
    return count / (time.perf_counter() - started)


async def raw_websockets_rate(url: str, count: int) -> float:
    from websockets.asyncio.client import connect

    decoder = msgspec.json.Decoder(Envelope)
    async with connect(url + "/stream?streams=btcusdt@trade", compression=None, max_size=None) as ws:
        first = decoder.decode(await ws.recv())
        started = time.perf_counter()
        got = 1
        while got < count:
            decoder.decode(await ws.recv())
            got += 1
        assert first.data.trade_id == 1
        return (count - 1) / (time.perf_counter() - started)


async def sdk_rate(url: str, count: int, transport: str) -> tuple[float, int]:
    async with MarketStreams(url=url, transport=transport, buffer=count) as streams:  # type: ignore[arg-type]
        trades = streams.trade("BTCUSDT")
        gaps = 0
        await trades.next()
        started = time.perf_counter()
        got = 1
        async for event in trades:
            if isinstance(event, StreamGap):
                gaps += 1
                continue
            got += 1
            if event.trade_id == count:
                break
        return (got - 1) / (time.perf_counter() - started), gaps


class _Timed(MarketStreams):
    """Records when each frame's text reached the SDK (the reader callback)."""

    arrivals: dict[int, float]

    def _on_frame(self, conn: Any, text: str) -> None:
        marker = text.find('"t":')
        if marker > 0:
            self.arrivals[int(text[marker + 4 : text.index(",", marker)])] = time.perf_counter()
        super()._on_frame(conn, text)


async def sdk_latency(url: str, count: int, transport: str) -> list[float]:
    async with _Timed(url=url, transport=transport) as streams:  # type: ignore[arg-type]
        streams.arrivals = {}
        trades = streams.trade("BTCUSDT")
        samples = []
        async for event in trades:
            if isinstance(event, StreamGap):
                continue
            samples.append(time.perf_counter() - streams.arrivals[event.trade_id])
            if event.trade_id == count:
                break
        return samples


async def _best(runs: int, once: Any) -> Any:
    """The best of `runs` (throughput: the highest), each against a fresh publisher."""
    results = [await once() for _ in range(runs)]
    return max(results, key=lambda r: r[0] if isinstance(r, tuple) else r)


async def measure(count: int, latency_count: int, runs: int) -> None:
    raw = max(raw_decode_rate(count) for _ in range(runs))
    print(f"raw msgspec loop (typed, no socket): {raw:12,.0f} events/s")

    async def raw_ws() -> float:
        process, url = start_publisher(count)
        try:
            return await raw_websockets_rate(url, count)
        finally:
            process.terminate()

    floor = await _best(runs, raw_ws)
    print(f"raw websockets + msgspec (typed):    {floor:12,.0f} events/s ({floor / raw:.2f}x the raw loop)")
    for transport in ("httpx-ws", "websockets"):

        async def sdk(transport: str = transport) -> tuple[float, int]:
            process, url = start_publisher(count)
            try:
                return await sdk_rate(url, count, transport)
            finally:
                process.terminate()

        rate, gaps = await _best(runs, sdk)
        print(
            f"MarketStreams, {transport:10}:         {rate:12,.0f} events/s "
            f"({rate / raw:.2f}x the raw loop, {rate / floor:.2f}x raw websockets; gaps {gaps})"
        )
    for transport in ("httpx-ws", "websockets"):
        process, url = start_publisher(latency_count, pace_s=0.001)
        try:
            samples = await sdk_latency(url, latency_count, transport)
        finally:
            process.terminate()
        p50 = statistics.median(samples) * 1e6
        p99 = sorted(samples)[int(len(samples) * 0.99) - 1] * 1e6
        print(f"MarketStreams, {transport:10}: arrival -> consumer p50 {p50:6.1f} µs, p99 {p99:6.1f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args, _ = parser.parse_known_args()
    count, latency_count, runs = (20_000, 500, 1) if args.quick else (100_000, 3_000, 3)
    print(f"market-data streams: {count:,} trade events, best of {runs} ({sys.version.split()[0]})")
    asyncio.run(measure(count, latency_count, runs))


if __name__ == "__main__":
    main()
