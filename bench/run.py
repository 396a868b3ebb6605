"""Benchmarks: this SDK against raw httpx-ws (the floor), raw websockets and other SDKs.

    nox -s bench                # default sizes (about a minute)
    nox -s bench -- --quick     # small sizes
    nox -s bench -- --profile   # cProfile of the SDK's pipelined case
    nox -s bench -- --tls       # over wss:// (throwaway certificate), as in production

Every client talks to the same local responder (bench/responder.py, its own
process). Results: a table with ratios to raw httpx-ws, plus JSON and a PNG chart
in bench/results/ (not committed). No assertions: this measures, it does not test.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import responder  # noqa: E402

from binance_spot_ws import AsyncClient, Client, HmacKey, types  # noqa: E402
from binance_ws import Protocol, RateLimit  # noqa: E402
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET  # noqa: E402
from binance_ws_emulator.tls import self_signed_certificate  # noqa: E402

RESULTS = ROOT / "bench" / "results"
KEY = HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)
ORDER_ARGS = dict(
    symbol="BTCUSDT",
    side="SELL",
    type="LIMIT",
    time_in_force="GTC",
    price=Decimal("23416.10000000"),
    quantity=Decimal("0.00847000"),
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
ORDER_PARAMS = (
    f'"params":{{"apiKey":"{DOCS_HMAC_API_KEY}","newClientOrderId":"bwsAAAAAAAAAAAAAAAAAAAAAA","price":"23416.10000000","quantity":"0.00847000",'
    '"side":"SELL","symbol":"BTCUSDT","timeInForce":"GTC","timestamp":1660801715431,"type":"LIMIT",'
    '"signature":"15af09e41c36f3cc61378c2fbe2c33719a03dd5eba8d0f9206fbda44de717c88"}}'
)


def raw_frame(request_id: int, method: str) -> str:
    if method == "order.place":
        return f'{{"id":{request_id},"method":"order.place",{ORDER_PARAMS}}}'
    return f'{{"id":{request_id},"method":"depth","params":{{"symbol":"BTCUSDT","limit":100}}}}'


# -- clients under test: each offers call(method) -> awaitable result ------------------------


class RawHttpxWs:
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
    name = "binance-spot-ws (async)"

    async def open(self, url: str) -> None:
        self.client = AsyncClient(url=url, key=KEY, keepalive_interval=None, rate_limit="off")
        await self.client.connect()

    def call(self, method: str) -> Awaitable[Any]:
        if method == "order.place":
            return self.client.order_place(**ORDER_ARGS)  # type: ignore[arg-type]
        return self.client.depth(symbol="BTCUSDT", limit=100)

    async def close(self) -> None:
        await self.client.close()


class SdkWebsockets(Sdk):
    name = "binance-spot-ws (websockets)"

    async def open(self, url: str) -> None:
        self.client = AsyncClient(url=url, key=KEY, keepalive_interval=None, rate_limit="off", transport="websockets")
        await self.client.connect()


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
        await self.client.close_connection()


# -- measurements ---------------------------------------------------------------------------


async def sequential(client: Any, method: str, n: int) -> dict[str, float]:
    for _ in range(min(200, n)):  # warm up
        await client.call(method)
    samples = []
    for _ in range(n):
        started = time.perf_counter_ns()
        await client.call(method)
        samples.append(time.perf_counter_ns() - started)
    samples.sort()
    return {"p50_us": samples[len(samples) // 2] / 1000, "p99_us": samples[int(len(samples) * 0.99)] / 1000}


async def pipelined(client: Any, method: str, n: int, in_flight: int = 100, rounds: int = 3) -> float:
    """Requests per second with `in_flight` outstanding: best of `rounds` (the machine is shared
    with the responder process, so the best round is the least disturbed one)."""
    semaphore = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with semaphore:
            await client.call(method)

    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n // rounds)))
        best = max(best, (n // rounds) / (time.perf_counter() - started))
    return best


async def idle_memory_kib(factory: Callable[[], Any], url: str) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    client = factory()
    await client.open(url)
    await asyncio.sleep(0.05)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    await client.close()
    return sum(s.size_diff for s in after.compare_to(before, "filename")) / 1024


def decode_costs() -> dict[str, float]:
    frame = responder.answer(b'{"id":7,"method":"depth","params":{"symbol":"BTCUSDT"}}')
    protocol = Protocol(KEY)
    from binance_spot_ws._methods import DEPTH

    call = protocol.prepare(DEPTH, {"symbol": "BTCUSDT", "limit": 100})

    def per_call(fn: Callable[[], Any], n: int = 2000) -> float:
        started = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - started) / n * 1e6

    costs = {
        "msgspec Struct (floor)": per_call(lambda: DEPTH_DECODER.decode(frame)),
        "binance-spot-ws (Decimal rows)": per_call(lambda: protocol.outcome(call, Protocol.parse(frame))),
        "python-binance (json.loads, dicts of str)": per_call(lambda: json.loads(frame)),
    }
    try:  # what binance-sdk-spot does per response: json.loads in its reader, then the pydantic model
        from binance_sdk_spot.websocket_api.models import DepthResponse

        uuid_frame = responder.answer(b'{"id":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","method":"depth"}')
        costs["binance-sdk-spot (pydantic)"] = per_call(lambda: DepthResponse.from_dict(json.loads(uuid_frame)), 500)
    except Exception as error:  # not installed, or its models changed
        print(f"binance-sdk-spot decode not measured: {type(error).__name__}: {str(error)[:100]}")
    return costs


def sync_sequential(url: str, method: str, n: int) -> dict[str, float]:
    with Client(url=url, key=KEY, keepalive_interval=None, rate_limit="off") as client:
        call = (
            (lambda: client.order_place(**ORDER_ARGS))
            if method == "order.place"
            else (lambda: client.depth(symbol="BTCUSDT", limit=100))
        )  # type: ignore[arg-type]
        for _ in range(min(200, n)):
            call()
        samples = []
        for _ in range(n):
            started = time.perf_counter_ns()
            call()
            samples.append(time.perf_counter_ns() - started)
    samples.sort()
    return {"p50_us": samples[len(samples) // 2] / 1000, "p99_us": samples[int(len(samples) * 0.99)] / 1000}


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


async def measure(url: str, n: int, pipelined_n: int, profile: bool) -> dict[str, Any]:
    results: dict[str, Any] = {"clients": {}}
    for cls in (RawHttpxWs, RawWebsockets, Sdk, SdkWebsockets, OfficialSdk, PythonBinance):
        client = cls()
        row: dict[str, Any] = {}
        try:
            await client.open(url)
            for method in ("order.place", "depth"):
                row[method] = await sequential(client, method, n)
                if profile and cls is Sdk and method == "order.place":
                    profiler = cProfile.Profile()
                    profiler.enable()
                    row[f"{method} req/s"] = await pipelined(client, method, pipelined_n)
                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
                else:
                    row[f"{method} req/s"] = await pipelined(client, method, pipelined_n)
            await client.close()
            row["idle_kib"] = await idle_memory_kib(cls, url)
        except Exception as error:  # another SDK that cannot be pointed at the local responder
            row = {"error": f"{type(error).__name__}: {error}"[:200]}
        results["clients"][cls.name] = row
    results["clients"]["binance-spot-ws (blocking)"] = {
        m: sync_sequential(url, m, max(200, n // 3)) for m in ("order.place", "depth")
    }
    results["decode_depth_us"] = decode_costs()
    try:
        results["regeneration_s"] = regeneration_seconds()
    except (OSError, subprocess.CalledProcessError) as error:
        results["regeneration_s"] = float("nan")
        print(f"regeneration not measured: {error}")
    return results


def report(results: dict[str, Any]) -> None:
    floor = results["clients"]["raw httpx-ws"]
    print(
        f"\nPython {platform.python_version()} on {platform.machine()}, {'wss:// (TLS)' if results.get('tls') else 'ws://'};"
        " ratios are to raw httpx-ws (lower latency / higher throughput is better)\n"
    )
    header = f"{'client':28} {'order p50 µs':>14} {'order p99 µs':>14} {'depth p50 µs':>14} {'order req/s':>14} {'depth req/s':>14} {'idle KiB':>10}"
    print(header)
    print("-" * len(header))
    for name, row in results["clients"].items():
        if "error" in row:
            print(f"{name:28} n/a ({row['error']})")
            continue

        def cell(value: float | None, base: float | None) -> str:
            if value is None:
                return f"{'-':>14}"
            ratio = f" ({value / base:.2f}x)" if base else ""
            return f"{value:>8.0f}{ratio:>6}"

        order, depth = row["order.place"], row["depth"]
        print(
            f"{name:28} {cell(order['p50_us'], floor['order.place']['p50_us'])} {cell(order['p99_us'], floor['order.place']['p99_us'])}"
            f" {cell(depth['p50_us'], floor['depth']['p50_us'])} {cell(row.get('order.place req/s'), floor['order.place req/s'])}"
            f" {cell(row.get('depth req/s'), floor['depth req/s'])} {row.get('idle_kib', float('nan')):>10.0f}"
        )
    print(
        "\ndecode of a 100-level depth response (µs):", {k: round(v, 1) for k, v in results["decode_depth_us"].items()}
    )
    print(f"full regeneration of the SDK: {results['regeneration_s']:.2f} s")


def chart(results: dict[str, Any]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    rows = {k: v for k, v in results["clients"].items() if "order.place" in v}
    piped = {k: v for k, v in rows.items() if "order.place req/s" in v}
    floor = results["clients"]["raw httpx-ws"]
    fig, (latency, throughput) = plt.subplots(1, 2, figsize=(12, 4.5))
    latency.barh(list(rows), [v["order.place"]["p50_us"] for v in rows.values()])
    latency.axvline(floor["order.place"]["p50_us"], linestyle="--", color="grey")
    latency.set_xlabel("order.place p50 latency, µs (lower is better)")
    latency.invert_yaxis()
    throughput.barh(list(piped), [v["order.place req/s"] / 1000 for v in piped.values()])
    throughput.axvline(floor["order.place req/s"] / 1000, linestyle="--", color="grey")
    throughput.set_xlabel("order.place, thousands/s, 100 in flight (higher is better)")
    throughput.invert_yaxis()
    fig.suptitle("Local responder; dashed line: raw httpx-ws")
    fig.tight_layout()
    fig.savefig(RESULTS / "bench.png")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--tls", action="store_true", help="wss:// with a throwaway certificate, as in production")
    args = parser.parse_args()
    n, pipelined_n = (300, 2000) if args.quick else (3000, 20000)
    with tempfile.TemporaryDirectory() as folder:
        tls = None
        if args.tls:
            cert, key = self_signed_certificate(Path(folder))
            tls = (str(cert), str(key))
            os.environ["SSL_CERT_FILE"] = tls[0]  # every client's default context trusts it
        process, url = responder.start(tls)
        try:
            results = asyncio.run(measure(url, n, pipelined_n, args.profile))
        finally:
            process.terminate()
    results["tls"] = args.tls
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=1))
    chart(results)
    report(results)
    print(f"\nwritten: {RESULTS / 'results.json'}")


if __name__ == "__main__":
    main()
