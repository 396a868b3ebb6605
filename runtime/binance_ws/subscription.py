# pyright: reportPrivateUsage=false
# (the stream classes of these modules work as one unit: connections push into subscriptions.)
"""One stream subscription: a bounded queue of frames, decoded when the consumer takes them.

Items are JSON payload texts (decoded as the subscription's event type when taken) or, from
the SBE streams, events the connection decoded already (handed over as they are).

Backpressure: at most `buffer` events wait per subscription. When a slow consumer
lets it fill up, newer events are dropped (not queued) and a `StreamGap("overflow")`
takes their place, so memory stays bounded and the consumer knows what it missed.
Frames are decoded in `__anext__`, so dropped ones cost no decoding.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec

from .events import StreamGap

if TYPE_CHECKING:
    from .streams import StreamsConnection

E = TypeVar("E")

log = logging.getLogger("binance_ws.streams")


class Subscription(Generic[E]):
    """Events of one stream, typed, in order, with `StreamGap` markers where some may be missing.

    async for event in streams.trade("BTCUSDT"):
        if isinstance(event, StreamGap):  # reconnected, rotated without overlap, or overflow
            ...
        else:
            print(event.price)

    Iterating does not end the subscription: `await sub.unsubscribe()`, or use it as
    `async with streams.trade("BTCUSDT") as trades:` to unsubscribe on exit. Iteration
    ends when the streams connection closes, and raises if the server refused the stream.
    """

    def __init__(self, owner: StreamsConnection, stream: str, decoder: msgspec.json.Decoder[E], buffer: int) -> None:
        if buffer < 1:
            raise ValueError("buffer must be at least 1")
        self.stream = stream
        self.dropped = 0  # events dropped because the consumer fell behind
        self._owner = owner
        self._decoder = decoder
        self._queue: collections.deque[Any] = collections.deque()  # payloads as received, events, gaps
        self._max = buffer
        self._overflowed = False
        self._wakeup = asyncio.Event()
        self._acked = asyncio.Event()
        self._ended = False
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        return f"Subscription({self.stream!r}, queued={len(self._queue)}, dropped={self.dropped})"

    # -- fed by the connection -------------------------------------------------------------

    def _push(self, data: Any) -> None:
        """A JSON payload text, or an event decoded already (of this subscription's type)."""
        queue = self._queue
        if len(queue) >= self._max:
            self._overflowed = True
            self.dropped += 1
            return
        if self._overflowed:
            self._overflowed = False
            queue.append(StreamGap("overflow"))
        queue.append(data)
        self._wakeup.set()

    def _gap(self, reason: str) -> None:
        """Mark a place where events may be missing (one marker for several causes in a row)."""
        if self._queue and isinstance(self._queue[-1], StreamGap):
            return
        self._queue.append(StreamGap(reason))
        self._wakeup.set()

    def _ack(self) -> None:
        self._acked.set()

    def _end(self, error: BaseException | None = None) -> None:
        self._ended = True
        if error is not None and self._error is None:
            self._error = error
        self._acked.set()
        self._wakeup.set()

    # -- consumer --------------------------------------------------------------------------

    def __aiter__(self) -> Subscription[E]:
        return self

    async def __anext__(self) -> E | StreamGap:
        item = await self.next()
        if item is None:
            raise StopAsyncIteration
        return item

    async def next(self) -> E | StreamGap | None:
        """The next event or gap marker, waiting for one; None once ended.

        Cancelling the wait loses nothing: an event is taken only when it is returned.
        """
        queue = self._queue
        while not queue:
            if self._error is not None:
                raise self._error
            if self._ended:
                return None
            self._wakeup.clear()
            await self._wakeup.wait()
        item = queue.popleft()
        if item.__class__ is not str:
            taken: E | StreamGap = item  # a gap marker, or an event decoded already (SBE)
            return taken
        try:
            return self._decoder.decode(item)
        except msgspec.ValidationError as exc:
            log.warning("%s: event does not match the spec, skipped (%s)", self.stream, exc)
            return StreamGap("undecodable event")  # in its place: the consumer missed one

    async def ready(self, timeout: float | None = None) -> None:
        """Wait until the server confirmed the subscription (raises if it refused it)."""
        await asyncio.wait_for(self._acked.wait(), timeout)
        if self._error is not None:
            raise self._error

    @property
    def queued(self) -> int:
        """Events (and markers) waiting for the consumer."""
        return len(self._queue)

    async def unsubscribe(self) -> None:
        """Stop this subscription (the stream itself stops once no subscription wants it)."""
        if not self._ended:
            self._end()
            await self._owner._unsubscribe(self)

    async def __aenter__(self) -> Subscription[E]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.unsubscribe()
