"""The generator's SBE stage: layout document -> generated/binance_spot_ws/_sbe.py tables."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from binance_spot_ws import _sbe
from generator import sbe
from generator.errors import SpecError

LAYOUTS = Path(__file__).resolve().parents[2] / "spec" / "sbe"


def test_tables_cover_every_message_and_method() -> None:
    document = yaml.safe_load((LAYOUTS / sbe.DEFAULT_LAYOUT).read_text())
    assert sorted(_sbe.MESSAGES) == sorted(m["id"] for m in document["messages"])
    assert (_sbe.SCHEMA_ID, _sbe.SCHEMA_VERSION) == (document["schema"]["id"], document["schema"]["version"])
    assert _sbe.METHODS["depth"] == ((200, {}),)
    assert [t for t, _ in _sbe.METHODS["order.place"]] == [300, 301, 302]
    assert _sbe.METHODS["allOrderLists"] == _sbe.METHODS["openOrderLists.status"]  # an alias
    assert _sbe.EVENTS[603] == "executionReport"
    _, fields, _, _ = _sbe.MESSAGES[200][2]
    assert [(f[0], f[2]) for f in fields] == [
        ("lastUpdateId", "int"),
        ("priceExponent", "exponent"),
        ("qtyExponent", "exponent"),
    ]


def _broken(tmp_path: Path, edit: str) -> Path:
    document = yaml.safe_load((LAYOUTS / sbe.DEFAULT_LAYOUT).read_text())
    depth = next(m for m in document["messages"] if m["name"] == "DepthResponse")
    if edit == "short block":
        depth["blockLength"] = 4
    elif edit == "unknown kind":
        depth["fields"][0]["kind"] = "quaternion"
    elif edit == "mantissa without exponent":
        del depth["groups"][0]["fields"][0]["exponent"]
    path = tmp_path / sbe.DEFAULT_LAYOUT
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return tmp_path


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        ("short block", "blockLength 4 is shorter than its fields"),
        ("unknown kind", "unknown kind 'quaternion'"),
        ("mantissa without exponent", "mantissa 'price' has no exponent"),
    ],
)
def test_a_bad_layout_is_a_located_spec_error(tmp_path: Path, edit: str, problem: str) -> None:
    with pytest.raises(SpecError) as caught:
        sbe.files(_broken(tmp_path, edit), "# header")
    assert problem in str(caught.value)
    assert "DepthResponse" in str(caught.value)


def test_no_layouts_no_sbe_module(tmp_path: Path) -> None:
    assert sbe.files(tmp_path, "# header") == {}


def test_direct_decoders_are_deterministic_and_cover_every_unreshaped_answer() -> None:
    """`_sbe_decode.py` comes out the same twice; the probe of the rendered types leaves nothing
    imported; every method answer gets a direct decoder except the reshaped ones."""
    import sys

    from binance_spot_ws import _sbe_decode
    from generator import generate
    from generator.sbe_decode import LIST_OF_ONE, SHAPED

    spec = LAYOUTS.parent / "binance-spot-ws.asyncapi.yaml"
    first = generate(spec, sbe_layouts=LAYOUTS)["_sbe_decode.py"]
    assert not [name for name in sys.modules if name.startswith("_sbe_probe")]
    assert generate(spec, sbe_layouts=LAYOUTS)["_sbe_decode.py"] == first
    shaped = {t for t, (name, _, _) in _sbe.MESSAGES.items() if name in SHAPED}
    for wire, templates in _sbe.METHODS.items():
        if wire not in _sbe_decode.RESULTS and wire not in _sbe_decode.NOT_DIRECT:
            continue  # not a method of this API
        direct = set(_sbe_decode.RESULTS.get(wire, {}))
        kept = set(_sbe_decode.NOT_DIRECT.get(wire, ()))
        assert direct | kept == {t for t, _ in templates}, wire
        if wire not in LIST_OF_ONE:
            assert kept <= shaped | {104, 105, 307}, wire  # rules and filters (unions), cancelReplace (nested)
    assert sorted(_sbe_decode.EVENTS) == [
        601,
        602,
        603,
        604,
        606,
        607,
    ]  # allocationReport, serverShutdown: not in the union (UnknownEvent)


def test_the_generator_leaves_to_the_table_path_what_the_runtime_reshapes() -> None:
    """A message the runtime reshapes for JSON (`_JSON_SHAPE`) must get no direct decoder (it would
    skip the reshaping): the generator's list and the runtime's are the same."""
    from binance_ws import sbe as runtime_sbe
    from generator.sbe_decode import LIST_OF_ONE, ROW_TAILS, SHAPED

    shapes = runtime_sbe._JSON_SHAPE  # pyright: ignore[reportPrivateUsage]
    assert SHAPED | set(ROW_TAILS) == set(shapes)  # klines: its twelfth "0" is written by the decoder
    assert set(LIST_OF_ONE) == set(runtime_sbe._LIST_OF_ONE)  # pyright: ignore[reportPrivateUsage]


def test_stream_decoders_are_deterministic_and_leave_what_they_cannot_map(monkeypatch: pytest.MonkeyPatch) -> None:
    """`_sbe_stream_decode.py` comes out the same twice (the probe leaves nothing imported); an
    event field whose SBE source is missing or of another kind sends that message to the table
    path (`NOT_DIRECT`, no decoder) and leaves the others direct."""
    import sys

    from generator import sbe_stream_decode

    generated = Path(__file__).resolve().parents[2] / "generated" / "binance_spot_ws"
    package = {"stream_types.py": (generated / "stream_types.py").read_text()}

    def render() -> str:
        return sbe_stream_decode.files(LAYOUTS, package, "binance_spot_ws", "# header")["_sbe_stream_decode.py"]

    first = render()
    assert not [name for name in sys.modules if name.startswith("_sbe_probe")]
    assert render() == first
    assert "NOT_DIRECT: tuple[str, ...] = ()" in first
    assert all(f"def _s{template}_" in first for template in (10000, 10001, 10002, 10003))
    events = dict(sbe_stream_decode.EVENTS)
    suffix, event, group, sources = events["TradesStreamEvent"]
    events["TradesStreamEvent"] = (suffix, event, group, {**sources, "T": "tradeTime"})  # no such SBE field
    suffix, event, group, sources = events["BestBidAskStreamEvent"]
    events["BestBidAskStreamEvent"] = (suffix, event, group, {**sources, "b": "eventTime"})  # a time as money
    monkeypatch.setattr(sbe_stream_decode, "EVENTS", events)
    broken = render()
    assert "NOT_DIRECT: tuple[str, ...] = ('BestBidAskStreamEvent', 'TradesStreamEvent')" in broken
    assert "def _s10000_" not in broken and "def _s10001_" not in broken
    assert "def _s10002_" in broken and "def _s10003_" in broken
    assert sbe_stream_decode.files(LAYOUTS, {}, "binance_spot_ws", "# header") == {}  # no streams, no module
