"""Client text frames built here, and an outbox that writes a burst of them at once.

Writing each frame with its own socket write costs a syscall per request (on
loopback it also runs the peer's TCP receive). The outbox writes the first frame
of a loop iteration at once, so a lone request goes out without delay, and the
frames sent later in the same iteration together in one write at the start of
the next. Frames are final text frames, masked as RFC 6455 requires of a client,
with masking keys drawn from os.urandom.
"""

from __future__ import annotations

import asyncio
import os
import struct
from collections.abc import Callable

_KEYS = bytearray()


def client_frame(payload: bytes) -> bytes:
    """One final, masked text frame carrying `payload` (RFC 6455 section 5.2)."""
    size = len(payload)
    if size < 126:
        head = bytes((0x81, 0x80 | size))
    elif size < 65536:
        head = struct.pack("!BBH", 0x81, 0xFE, size)
    else:
        head = struct.pack("!BBQ", 0x81, 0xFF, size)
    if not _KEYS:
        _KEYS.extend(os.urandom(1024))  # one draw of entropy per 256 frames
    key = bytes(_KEYS[-4:])
    del _KEYS[-4:]
    stream = (key * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "little") ^ int.from_bytes(stream, "little")).to_bytes(size, "little")
    return head + key + masked


class Outbox:
    """Frames written in one loop iteration after its first leave together in the next.

    `write` puts bytes on the connection's transport; once `closed()` is true, frames
    still waiting are dropped (their requests end as lost, never as sent twice).
    """

    __slots__ = ("closed", "loop", "pending", "write")

    def __init__(
        self, write: Callable[[bytes], object], closed: Callable[[], bool], loop: asyncio.AbstractEventLoop
    ) -> None:
        self.write = write
        self.closed = closed
        self.loop = loop
        self.pending: list[bytes] | None = None  # None: nothing written in this iteration yet

    def add(self, frame: bytes) -> None:
        if self.pending is None:
            self.pending = []
            self.loop.call_soon(self.flush)
            self.write(frame)
        else:
            self.pending.append(frame)

    def flush(self) -> None:
        pending, self.pending = self.pending, None
        if pending and not self.closed():
            self.write(pending[0] if len(pending) == 1 else b"".join(pending))
