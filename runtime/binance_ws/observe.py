"""Observability: the per-request hook's record and the redacted wire trace.

The wire trace is the logger `binance_ws.wire` at DEBUG: every frame sent and
received, with the values of `apiKey`, `signature` and `listenKey` replaced by
`<redacted>`. It costs one level check per frame while DEBUG is off for it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

#: The wire trace: set this logger to DEBUG to see every frame (secrets redacted).
wire_log = logging.getLogger("binance_ws.wire")

#: JSON string values that must never reach a log: the API key, any signature, listen keys.
_SECRET_VALUE = re.compile(r'("(?:apiKey|signature|listenKey)"\s*:\s*)"(?:[^"\\]|\\.)*"')


def redact(text: str) -> str:
    """`text` (a JSON frame) with the values of apiKey, signature and listenKey replaced."""
    return _SECRET_VALUE.sub(r'\1"<redacted>"', text)


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """One finished call, passed to the client's `on_request` hook (for metrics).

    Attributes:
        method: the wire name, e.g. "order.place".
        weight: the request weight counted for it.
        latency: seconds from the call to its outcome (waits for a connection or a
            rate limit included).
        request_id: the id of the last frame sent for it (None: nothing was sent).
        exception: the class of the exception the call raised; None on success.
    """

    method: str
    weight: int
    latency: float
    request_id: int | None
    exception: type[BaseException] | None = None

    @property
    def ok(self) -> bool:
        return self.exception is None

    @property
    def outcome(self) -> str:
        """ "ok", or the name of the exception class (e.g. "BadRequest", "RequestTimeout")."""
        return "ok" if self.exception is None else self.exception.__name__
