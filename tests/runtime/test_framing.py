"""The picows and websockets transports frame and mask their own text frames (to write a burst
at once): a server-side WebSocket parser reads them back exactly, at every length encoding."""

from __future__ import annotations

import pytest
import wsproto
import wsproto.events
import wsproto.frame_protocol

from binance_ws._framing import client_frame


def _server_reads(data: bytes) -> list[str]:
    server = wsproto.frame_protocol.FrameProtocol(client=False, extensions=[])
    server.receive_bytes(data)
    texts = []
    for frame in server.received_frames():
        assert frame.opcode is wsproto.frame_protocol.Opcode.TEXT and frame.frame_finished and frame.message_finished
        texts.append(frame.payload)
    return texts


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 125, 126, 127, 65535, 65536, 200_000])
def test_a_frame_of_any_length_reads_back_whole(size: int) -> None:
    text = ("{é}" * (size // 4 + 1))[:size]
    payload = text.encode()
    frame = client_frame(payload)
    assert frame[1] & 0x80  # masked, as RFC 6455 requires of a client
    assert _server_reads(frame) == [payload.decode()]


def test_a_burst_of_frames_reads_back_in_order_with_fresh_keys() -> None:
    payloads = [f'{{"id":{i},"method":"time"}}'.encode() for i in range(600)]  # across a key refill
    frames = [client_frame(p) for p in payloads]
    assert _server_reads(b"".join(frames)) == [p.decode() for p in payloads]
    keys = {f[2:6] for f in frames}
    assert len(keys) > 590  # a new masking key per frame
