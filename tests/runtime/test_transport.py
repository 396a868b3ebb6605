"""The httpx-ws session's write path: frames queued behind a write are never stranded."""

from __future__ import annotations

import asyncio

import pytest
import wsproto
import wsproto.events

from binance_ws._transport import NotSent
from binance_ws._transport_httpx import _CallbackSession


class _SlowStream:
    """A network stream whose writes wait until released (stands in for a full socket buffer)."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.release = asyncio.Event()

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self.release.wait()
        self.written.append(buffer)

    async def aclose(self) -> None:
        pass


def _texts(chunks: list[bytes]) -> list[str]:
    server = wsproto.connection.Connection(wsproto.ConnectionType.SERVER)
    server.receive_data(b"".join(chunks))
    return [e.data for e in server.events() if isinstance(e, wsproto.events.TextMessage)]


async def test_frames_queued_behind_a_cancelled_writer_still_go_out() -> None:
    stream = _SlowStream()
    session = _CallbackSession(stream, on_text=lambda text: None, max_message=1 << 20)  # type: ignore[arg-type]
    first = asyncio.create_task(session.send_text("first"))
    await asyncio.sleep(0)  # `first` is now writing (blocked)
    await session.send_text("second")  # returns at once: queued behind the write in progress
    await session.send_text("third")
    first.cancel()
    await asyncio.sleep(0)
    stream.release.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert first.cancelled()
    # "first" was cancelled before its bytes reached the stream; the others were written, in order, once.
    assert _texts(stream.written) == ["second", "third"]


async def test_frames_written_meanwhile_are_coalesced_into_one_write() -> None:
    stream = _SlowStream()
    session = _CallbackSession(stream, on_text=lambda text: None, max_message=1 << 20)  # type: ignore[arg-type]
    first = asyncio.create_task(session.send_text("a"))
    await asyncio.sleep(0)
    for text in ("b", "c", "d"):
        await session.send_text(text)
    stream.release.set()
    await first
    assert len(stream.written) == 2  # "a", then "b"+"c"+"d" together
    assert _texts(stream.written) == ["a", "b", "c", "d"]


async def test_a_closing_connection_refuses_frames_before_writing_any() -> None:
    stream = _SlowStream()
    stream.release.set()
    session = _CallbackSession(stream, on_text=lambda text: None, max_message=1 << 20)  # type: ignore[arg-type]
    await session.send_text("before")
    session.connection.send(wsproto.events.CloseConnection(code=1000))  # closing from here on
    with pytest.raises(NotSent):
        await session.send_text("after")
    assert _texts(stream.written) == ["before"]


async def test_closing_a_link_whose_transport_absorbs_a_cancellation() -> None:
    """anyio on Python 3.10 can swallow the cancellation of a link task (seen as a hang on
    close); the connection asks again until the task has ended."""
    from binance_ws._async import AsyncConnection, _Link

    async def stubborn() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            pass  # absorbed, as a cancel scope inside the transport can do
        await asyncio.Event().wait()

    connection = AsyncConnection(url="ws://127.0.0.1:9/")
    link = _Link()
    link.task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    closing = asyncio.create_task(connection._close_link(link))
    done, _ = await asyncio.wait({closing}, timeout=5)  # no cancellation of our own: it must end by itself
    closing.cancel()
    assert closing in done and link.task.done()
