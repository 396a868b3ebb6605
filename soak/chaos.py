"""Chaos soak: many workers on one client while faults hit the connection, checked against the
local exchange's own records. Loopback only, bounded in time (`nox -s soak`, not part of the tests).

Phases: the async client on httpx-ws, then on websockets (and picows, if installed), then the blocking client (Ed25519 key,
session logon, user-data stream; rotation every few seconds). The exchange runs in a child process,
so the memory figures are the client's own. Invariants checked at the end of each phase:

- no double execution: each client order id appears at most once in the exchange's orders;
- every executed order was acknowledged, or raised `UnknownExecutionStatus` and was reconciled
  (`order_status` by its client order id agrees with the exchange); no order reported as rejected
  or not sent exists on the exchange;
- no event missed without a marker: every executed order's NEW `executionReport` was delivered,
  or a `StreamGap` came after the order was placed;
- no call past its deadline (beyond a small scheduling slack);
- flat RSS and task count between the first and the last third of the phase.

Exit status 1 if an invariant failed; the figures are printed either way.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import importlib.util
import multiprocessing
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.connection import Connection as Pipe
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from binance_spot_ws import (
    ApiError,
    AsyncClient,
    BadRequest,
    Client,
    ConnectionClosed,
    Ed25519Key,
    ReconnectPolicy,
    RequestTimeout,
    StreamGap,
    TransportError,
    UnknownExecutionStatus,
    types,
)

ACCOUNT = "soak"
API_KEY = "soak-ed25519"
SLACK = 0.25  # seconds a call may end after its deadline (event-loop scheduling under load)
POLICY = ReconnectPolicy(initial_delay=0.01, max_delay=0.2, healthy_after=1.0, max_connects=100_000)


# -- the exchange, in its own process ------------------------------------------------------


def _exchange_process(pipe: Pipe) -> None:
    import logging

    from binance_ws_emulator import Emulator

    # Ordinary client disconnects are logged with tracebacks by the exchange: not this soak's subject.
    logging.getLogger("binance_ws_emulator").setLevel(logging.CRITICAL)
    with Emulator(seed=7, weight_limit=10**9, orders_per_10s=10**9) as exchange:
        pipe.send(exchange.url)
        while True:
            command, args, kwargs = pipe.recv()
            if command == "stop":
                return
            result: Any = None
            try:
                if command == "faults":
                    for name, value in kwargs.items():
                        setattr(exchange.faults, name, value)
                elif command == "orders":
                    result = exchange.call(
                        lambda: [
                            (o.client_order_id, o.status)
                            for o in exchange.exchange.orders.values()
                            if o.account == ACCOUNT
                        ]
                    )
                else:
                    result = getattr(exchange, command)(*args, **kwargs)
            except Exception as exc:
                result = RuntimeError(f"exchange {command}: {type(exc).__name__}: {exc}")
            pipe.send(result)


class Exchange:
    """Remote control of the exchange process (one caller at a time)."""

    def __init__(self) -> None:
        self._pipe, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(target=_exchange_process, args=(child,))
        self._process.start()
        self.url: str = self._pipe.recv()
        self._lock = threading.Lock()

    def __call__(self, command: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self._pipe.send((command, args, kwargs))
            result = self._pipe.recv()
        if isinstance(result, RuntimeError):
            raise result
        return result

    def faults(self, **values: Any) -> None:
        self("faults", **values)

    def stop(self) -> None:
        with self._lock:
            self._pipe.send(("stop", (), {}))
        self._process.join(10)


# -- what happened -------------------------------------------------------------------------


@dataclass
class Record:
    started: dict[str, float] = field(default_factory=dict)  # client order id -> monotonic start
    acked: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)  # rejected by the server, or not sent
    other: collections.Counter[str] = field(default_factory=collections.Counter)
    calls: int = 0
    late: int = 0
    worst_overrun: float = 0.0
    new_reports: set[str] = field(default_factory=set)
    gaps: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, timeout: float, elapsed: float) -> None:
        with self.lock:
            self.calls += 1
            overrun = elapsed - timeout
            self.worst_overrun = max(self.worst_overrun, overrun)
            if overrun > SLACK:
                self.late += 1

    def order_outcome(self, client_order_id: str, outcome: object) -> None:
        with self.lock:
            if isinstance(outcome, types.OrderResponse):
                self.acked.add(client_order_id)
            elif isinstance(outcome, UnknownExecutionStatus):
                self.unknown.add(client_order_id)
            elif isinstance(outcome, (ApiError, RequestTimeout, ConnectionClosed)):
                self.refused.add(client_order_id)  # 4xx/429 answers, or "not sent"
            else:
                self.other[type(outcome).__name__] += 1

    def event(self, event: object) -> None:
        with self.lock:
            if isinstance(event, StreamGap):
                self.gaps.append(time.monotonic())
            elif isinstance(event, types.ExecutionReport) and event.execution_type == "NEW":
                self.new_reports.add(event.client_order_id)


def _rss_kb() -> int:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# -- workers -------------------------------------------------------------------------------


class Plan:
    """The next call of a worker: (method name, kwargs, client order id of an order or None)."""

    def __init__(self, record: Record, prefix: str, seed: int) -> None:
        self.record = record
        self.prefix = prefix
        self.rng = random.Random(seed)
        self.count = 0

    def next(self) -> tuple[str, dict[str, Any], str | None, float]:
        rng = self.rng
        timeout = rng.uniform(0.3, 2.0)
        roll = rng.random()
        if roll < 0.5:
            self.count += 1
            coid = f"{self.prefix}{self.count}"
            price = Decimal("30000.00") + rng.randrange(0, 500000) / Decimal(100)
            kwargs: dict[str, Any] = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC"}
            kwargs |= {"price": price, "quantity": Decimal("0.001"), "new_client_order_id": coid}
            with self.record.lock:
                self.record.started[coid] = time.monotonic()
            return "order_place", kwargs, coid, timeout
        if roll < 0.65 and self.record.acked:
            with self.record.lock:
                target = rng.choice(sorted(self.record.acked)[-200:])
            kwargs = {"symbol": "BTCUSDT", "orig_client_order_id": target, "new_client_order_id": f"x{target}"}
            return "order_cancel", kwargs, None, timeout
        if roll < 0.8 and self.record.acked:
            with self.record.lock:
                target = rng.choice(sorted(self.record.acked)[-200:])
            return "order_status", {"symbol": "BTCUSDT", "orig_client_order_id": target}, None, timeout
        if roll < 0.9:
            return "depth", {"symbol": "BTCUSDT", "limit": 5}, None, timeout
        return "time", {}, None, timeout


async def _async_worker(client: AsyncClient, plan: Plan, until: float) -> None:
    loop = asyncio.get_running_loop()
    while loop.time() < until:
        name, kwargs, coid, timeout = plan.next()
        started = loop.time()
        outcome: object
        try:
            with client.request_timeout(timeout):
                outcome = await getattr(client, name)(**kwargs)
        except Exception as exc:
            outcome = exc
        plan.record.timed(timeout, loop.time() - started)
        if coid is not None:
            plan.record.order_outcome(coid, outcome)
        await asyncio.sleep(0)


def _sync_worker(client: Client, plan: Plan, until: float) -> None:
    while time.monotonic() < until:
        name, kwargs, coid, timeout = plan.next()
        started = time.monotonic()
        outcome: object
        try:
            with client.request_timeout(timeout):
                outcome = getattr(client, name)(**kwargs)
        except Exception as exc:
            outcome = exc
        plan.record.timed(timeout, time.monotonic() - started)
        if coid is not None:
            plan.record.order_outcome(coid, outcome)


def _chaos_step(exchange: Exchange, rng: random.Random, rotate: Callable[[], None]) -> str:
    exchange.faults(answer_status={}, delay_ms=0, drop_after_requests=None, malformed_next=0)
    action = rng.choice(["drop", "close", "shutdown", "drop_after", "delay", "503", "malformed", "rotate", "calm"])
    if action == "drop":
        exchange("drop_connections")
    elif action == "close":
        exchange("close_connections", 1001, "going away")
    elif action == "shutdown":
        exchange("shutdown_notice")
    elif action == "drop_after":
        exchange.faults(drop_after_requests=rng.randint(1, 20), drop_after_execute=rng.random() < 0.5)
    elif action == "delay":
        exchange.faults(delay_ms=rng.choice([100, 500, 1500]))
    elif action == "503":
        exchange.faults(answer_status={"order.place": (503, -1001, "Internal error", rng.random() < 0.5)})
    elif action == "malformed":
        exchange.faults(malformed_next=1)
    elif action == "rotate":
        rotate()
    return action


# -- one phase -----------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    record: Record
    faults: collections.Counter[str]
    reconciled: int = 0
    executed: int = 0
    problems: list[str] = field(default_factory=list)


def _key(exchange: Exchange) -> Ed25519Key:
    private = ed25519.Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    exchange("register_key", API_KEY, "ed25519", account=ACCOUNT, public_key_pem=public)
    exchange("deposit", ACCOUNT, "USDT", "1000000000")
    return Ed25519Key(API_KEY, private)


def _client_options(exchange: Exchange, key: Ed25519Key, transport: str) -> dict[str, Any]:
    return {
        "url": exchange.url,
        "key": key,
        "transport": transport,
        "reconnect": POLICY,
        "max_lifetime": 4.0,
        "keepalive_interval": 1.0,
        "keepalive_timeout": 1.0,
        "timeout": 2.0,
    }


async def _async_phase(exchange: Exchange, transport: str, seconds: float, workers: int) -> Phase:
    phase = Phase(f"async/{transport}", Record(), collections.Counter())
    record = phase.record
    key = _key(exchange)
    loop = asyncio.get_running_loop()
    async with AsyncClient(**_client_options(exchange, key, transport)) as client:
        await client.session_logon()
        await client.user_data_stream_subscribe()

        async def consume() -> None:
            async for event in client.user_data():
                record.event(event)

        async def chaos() -> None:
            rng = random.Random(3)
            while loop.time() < until:
                await asyncio.sleep(rng.uniform(0.2, 2.0))
                action = await asyncio.to_thread(_chaos_step, exchange, rng, client.rotate)
                phase.faults[action] += 1

        async def sample() -> None:
            while loop.time() < until:
                record.rss_kb.append(_rss_kb())
                record.tasks.append(len(asyncio.all_tasks()))
                await asyncio.sleep(1.0)

        until = loop.time() + seconds
        consumer = asyncio.create_task(consume())
        plans = [Plan(record, f"s{transport[0]}{i}x", i) for i in range(workers)]
        await asyncio.gather(chaos(), sample(), *(_async_worker(client, plan, until) for plan in plans))
        await asyncio.to_thread(exchange.faults, answer_status={}, delay_ms=0, drop_after_requests=None)
        await asyncio.sleep(1.5)  # let late events arrive
        for coid in sorted(record.unknown):
            phase.reconciled += await _reconcile_async(client, coid, exchange, phase)
        consumer.cancel()
    _check(phase, exchange)
    return phase


async def _reconcile_async(client: AsyncClient, coid: str, exchange: Exchange, phase: Phase) -> int:
    for _ in range(5):
        try:
            await client.order_status(symbol="BTCUSDT", orig_client_order_id=coid)
            return 1
        except BadRequest as error:
            if error.code == -2013:
                return 1  # not executed: also a reconciled outcome
            raise
        except (TransportError, ApiError):
            await asyncio.sleep(0.2)
    phase.problems.append(f"{coid}: could not be reconciled")
    return 0


def _sync_phase(exchange: Exchange, seconds: float, workers: int) -> Phase:
    phase = Phase("blocking/httpx-ws", Record(), collections.Counter())
    record = phase.record
    key = _key(exchange)
    with Client(**_client_options(exchange, key, "httpx-ws")) as client:
        client.session_logon()
        client.user_data_stream_subscribe()
        until = time.monotonic() + seconds
        stop = threading.Event()

        def consume() -> None:
            while not stop.is_set():
                try:
                    event = client.next_event(timeout=0.5)
                except TimeoutError:
                    continue
                if event is None:
                    return
                record.event(event)

        def chaos() -> None:
            rng = random.Random(4)
            while time.monotonic() < until:
                time.sleep(rng.uniform(0.2, 2.0))
                phase.faults[_chaos_step(exchange, rng, client.rotate)] += 1

        threads = [threading.Thread(target=consume), threading.Thread(target=chaos)]
        threads += [
            threading.Thread(target=_sync_worker, args=(client, Plan(record, f"sb{i}x", 100 + i), until))
            for i in range(workers)
        ]
        for thread in threads:
            thread.start()
        while time.monotonic() < until:
            record.rss_kb.append(_rss_kb())
            record.tasks.append(threading.active_count())
            time.sleep(1.0)
        for thread in threads[1:]:
            thread.join()
        exchange.faults(answer_status={}, delay_ms=0, drop_after_requests=None)
        time.sleep(1.5)
        for coid in sorted(record.unknown):
            phase.reconciled += _reconcile_sync(client, coid, phase)
        stop.set()
        threads[0].join()
    _check(phase, exchange)
    return phase


def _reconcile_sync(client: Client, coid: str, phase: Phase) -> int:
    for _ in range(5):
        try:
            client.order_status(symbol="BTCUSDT", orig_client_order_id=coid)
            return 1
        except BadRequest as error:
            if error.code == -2013:
                return 1
            raise
        except (TransportError, ApiError):
            time.sleep(0.2)
    phase.problems.append(f"{coid}: could not be reconciled")
    return 0


def _check(phase: Phase, exchange: Exchange) -> None:
    record = phase.record
    ours = set(record.started)
    counts = collections.Counter(coid[1:] if coid.startswith("x") else coid for coid, _ in exchange("orders"))
    executed = {coid for coid in counts if coid in ours}
    doubles = [coid for coid in executed if counts[coid] > 1]
    if doubles:
        phase.problems.append(f"double execution: {doubles[:5]}")
    silent = executed - record.acked - record.unknown
    if silent:
        phase.problems.append(f"executed but reported rejected/not sent, or no outcome: {sorted(silent)[:5]}")
    ghost = record.acked - executed
    if ghost:
        phase.problems.append(f"acknowledged but not on the exchange: {sorted(ghost)[:5]}")
    missed = [c for c in executed - record.new_reports if not any(g >= record.started[c] for g in record.gaps)]
    if missed:
        phase.problems.append(f"{len(missed)} executionReport(s) missed without a StreamGap: {sorted(missed)[:5]}")
    if record.late:
        phase.problems.append(f"{record.late} call(s) ended more than {SLACK} s past the deadline")
    third = max(1, len(record.rss_kb) // 3)
    if len(record.rss_kb) >= 6:
        early, late = max(record.rss_kb[third : 2 * third]), max(record.rss_kb[-third:])
        if late - early > 40_000:
            phase.problems.append(f"RSS grew {early} -> {late} kB")
        early_tasks, late_tasks = max(record.tasks[third : 2 * third]), max(record.tasks[-third:])
        if late_tasks > early_tasks + 10:
            phase.problems.append(f"task/thread count grew {early_tasks} -> {late_tasks}")
    phase.executed = len(executed)


def _report(phase: Phase, seconds: float) -> None:
    r = phase.record
    print(f"\n== {phase.name}: {r.calls} calls in {seconds:.0f} s ({r.calls / seconds:.0f}/s)")
    print(
        f"   orders: {len(r.started)} placed, {phase.executed} executed on the exchange, "
        f"{len(r.acked)} acknowledged, {len(r.unknown)} unknown ({phase.reconciled} reconciled), "
        f"{len(r.refused)} rejected or not sent, other outcomes {dict(r.other) or 0}"
    )
    print(f"   user data: {len(r.new_reports)} NEW reports, {len(r.gaps)} StreamGap markers")
    print(f"   deadlines: worst overrun {r.worst_overrun * 1000:.0f} ms, {r.late} past {SLACK} s slack")
    if r.rss_kb:
        print(f"   RSS kB: first {r.rss_kb[0]}, max {max(r.rss_kb)}, last {r.rss_kb[-1]}")
        print(f"   tasks/threads: first {r.tasks[0]}, max {max(r.tasks)}, last {r.tasks[-1]}")
    print(f"   faults: {dict(phase.faults)}")
    print("   invariants: " + ("all held" if not phase.problems else "FAILED"))
    for problem in phase.problems:
        print(f"     - {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=180.0, help="total soak time (split over the phases)")
    parser.add_argument("--workers", type=int, default=20)
    args = parser.parse_args()
    transports = ["httpx-ws", "websockets", *(["picows"] if importlib.util.find_spec("picows") else [])]
    each = args.seconds / (len(transports) + 1)
    exchange = Exchange()
    phases: list[Phase] = []
    try:
        for transport in transports:
            phases.append(asyncio.run(_async_phase(exchange, transport, each, args.workers)))
            _report(phases[-1], each)
        phases.append(_sync_phase(exchange, each, args.workers))
        _report(phases[-1], each)
    finally:
        exchange.stop()
    failed = [p.name for p in phases if p.problems]
    print(f"\nsoak: {'FAILED in ' + ', '.join(failed) if failed else 'every invariant held'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
