"""A bad streams document fails with file:line, the JSON pointer and a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import generate
from generator.errors import SpecError

GOLDEN = Path(__file__).parent / "golden" / "streams"
STREAMS = (GOLDEN / "streams.yaml").read_text()


def _generate(tmp_path: Path, streams: str, api_change: tuple[str, str] | None = None) -> None:
    api = (GOLDEN / "spec.yaml").read_text()
    if api_change:
        api = api.replace(*api_change)
    (tmp_path / "spec.yaml").write_text(api)
    (tmp_path / "streams.yaml").write_text(streams)
    generate(tmp_path / "spec.yaml")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("address: '{symbol}@trade'", "address: '{symbol}@trade{speed}'", "{speed} has no parameter"),
        ("address: '{symbol}@trade'", "address: 'btcusdt@trade'", "parameter does not appear in the address"),
        ("p: {type: string, format: decimal, x-python-name: price}", "p: {type: string}", "needs x-python-name"),
        ("x-values: [[1000, ''], [100, '@100ms']]", "x-values: [[1000, ''], [100, '@10ms']]", "exactly the enum"),
        ("levels: {enum: ['5', '10'], x-python-type: int}", "levels: {x-python-type: int}", "needs enum, x-values"),
        ("x-python-type: int\n        x-values", "x-python-type: float\n        x-values", "must be str or int"),
        ("        default: ''", "        default: '@1ms'", "is not one of the values"),
        ("  streamsPerConnection: 8", "  streamsPerSocket: 8", "unknown limit"),
        ("asyncapi: 3.0.0", "asyncapi: 2.6.0", "must be AsyncAPI 3.x"),
        (
            "{action: receive, channel: {$ref: '#/channels/depth'}, x-python-name: book}",
            "{action: receive, channel: {$ref: '#/channels/depth'}, x-python-name: trade}",
            "not a unique Python name",
        ),
    ],
)
def test_bad_streams_document(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in STREAMS
    with pytest.raises(SpecError) as caught:
        _generate(tmp_path, STREAMS.replace(old, new, 1))
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{tmp_path / 'streams.yaml'}:")


def test_x_streams_must_name_a_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="x-streams must be a"):
        _generate(tmp_path, STREAMS, ("x-streams: streams.yaml", "x-streams: [streams.yaml]"))
