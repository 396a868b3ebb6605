"""Group a py-spy raw profile (`py-spy record --format raw`) of `bench/run.py --soak` by concern.

    py-spy record --format raw -o spy.txt -- python bench/run.py --soak 20 --transport httpx-ws
    python bench/profile_breakdown.py spy.txt

Each sample goes to the first frame, from the innermost outwards, that names a concern;
library internals (wsproto, anyio, httpcore, ssl, asyncio transports) count for the SDK
frame that called them (a send or the reader). Samples outside the event loop (start-up,
imports) are left out.
"""

from __future__ import annotations

import collections
import sys

RULES: list[tuple[str, tuple[str, ...]]] = [
    ("signing (payload, HMAC)", ("hmac.py", "signing.py", "signature_payload", "payload_value", "Protocol.frame")),
    ("encode (msgspec)", ("encode_request",)),
    ("decode result (typed, Decimal)", ("Protocol.outcome",)),
    ("parse frame (envelope)", ("Protocol.parse",)),
    (
        "validation and wire params",
        (
            "wire_params",
            "_render",
            "format_decimal",
            "Protocol.prepare",
            "new_client_order_id",
            "Weight.",
            "WeightRule",
        ),
    ),
    ("rate-limit bookkeeping", ("ratelimit.py",)),
    (
        "transport send (framing, the write syscall)",
        (
            "send_text",
            "_CallbackSession._flush",
            "run_picows.<locals>.send",
            "run_websockets.<locals>.send",
            "Outbox.",
            "client_frame",
            "Floor._request (run.py:149)",
        ),
    ),
    ("transport receive", ("_background_receive", "_Listener.on_ws_frame", "_read_ready", "run_websockets")),
    ("response dispatch (correlation)", ("AsyncConnection._on_frame",)),
    (
        "request dispatch (ids, futures, semaphore, deadline)",
        ("_async.py", "_async_client.py", "locks.py", "create_future", "futures.py"),
    ),
    ("floor's own request code (bench)", ("Floor.",)),
    ("bench harness", ("run.py",)),
    ("event loop", ("base_events.py", "events.py", "selectors.py", "tasks.py")),
]
LIBRARY = ("wsproto", "anyio", "httpcore", "httpx", "ssl.py", "selector_events.py", "websockets", "codecs")


def categorize(frames: list[str]) -> str:
    library = False
    for frame in reversed(frames):
        if any(name in frame for name in LIBRARY) and "_read_ready" not in frame:
            library = True
            continue
        for category, needles in RULES:
            if any(needle in frame for needle in needles):
                if library and category.startswith("request dispatch"):
                    return "transport send (framing, the write syscall)"  # a library send called from _exchange
                return category
    return "other"


def main(path: str) -> None:
    counts: collections.Counter[str] = collections.Counter()
    for line in open(path):
        stack, _, number = line.rstrip("\n").rpartition(" ")
        frames = stack.split(";")
        if not any("_run_once" in f for f in frames):
            continue
        counts[categorize(frames)] += int(number)
    total = sum(counts.values())
    for category, n in counts.most_common():
        print(f"{100 * n / total:5.1f}%  {category}")
    print(f"({total} samples)")


if __name__ == "__main__":
    main(sys.argv[1])
