"""The SBE importer: Binance's XML -> the project's layout document under spec/sbe/."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import sbe_import

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "sbe"  # Binance's published schemas, where present (never committed)


@pytest.mark.parametrize(
    ("xml", "document"), [("spot_3_5.xml", "spot-3-5.sbe.yaml"), ("stream_1_0.xml", "spot-stream-1-0.sbe.yaml")]
)
def test_import_reproduces_the_committed_document(xml: str, document: str) -> None:
    source = SHARED / xml
    if not source.exists():
        pytest.skip(f"{source} not present")
    text = sbe_import.dump(sbe_import.convert(source.read_bytes()))
    assert text == (ROOT / "spec" / "sbe" / document).read_text(encoding="utf-8")
    assert sbe_import.target_for(sbe_import.convert(source.read_bytes())).name == document


def test_check_mode_reports_drift(tmp_path: Path) -> None:
    source = SHARED / "stream_1_0.xml"
    if not source.exists():
        pytest.skip(f"{source} not present")
    out = tmp_path / "doc.yaml"
    assert sbe_import.main([str(source), "--out", str(out)]) == 0
    assert sbe_import.main([str(source), "--out", str(out), "--check"]) == 0
    out.write_text(out.read_text() + "# edited\n")
    assert sbe_import.main([str(source), "--out", str(out), "--check"]) == 1


SMALL = """<?xml version="1.0"?>
<sbe:messageSchema xmlns:sbe="http://fixprotocol.io/2016/sbe" xmlns:mbx="https://developers.binance.com/docs/binance-spot-api-docs"
    package="t_sbe" id="9" version="2">
  <types>
    <composite name="messageHeader"><type name="blockLength" primitiveType="uint16"/><type name="templateId" primitiveType="uint16"/>
      <type name="schemaId" primitiveType="uint16"/><type name="version" primitiveType="uint16"/></composite>
    <composite name="groupSizeEncoding"><type name="blockLength" primitiveType="uint16"/><type name="numInGroup" primitiveType="uint32"/></composite>
    <composite name="varString8"><type name="length" primitiveType="uint8"/><type name="varData" length="0" primitiveType="uint8" characterEncoding="UTF-8"/></composite>
    <type name="mantissa64" primitiveType="int64"/>
    <type name="exponent8" primitiveType="int8"/>
    <enum name="side" encodingType="uint8"><validValue name="Buy" mbx:jsonValue="BUY">0</validValue></enum>
  </types>
  <!-- Response for - WebSocket "method":"thing","params":{"kind":"FULL"} -->
  <sbe:message name="Thing" id="7">
    <field id="1" name="e" type="exponent8"/>
    <field id="2" name="px" type="mantissa64" mbx:exponent="e" mbx:jsonPath="price"/>
    <field id="3" name="side" type="side" presence="optional" sinceVersion="2"/>
    <group id="100" name="rows"><field id="1" name="n" type="int32"/></group>
    <data id="200" name="symbol" type="varString8"/>
  </sbe:message>
</sbe:messageSchema>
"""


def test_layout_of_a_small_schema() -> None:
    document = sbe_import.convert(SMALL)
    assert document["schema"] == {
        "package": "t_sbe",
        "id": 9,
        "version": 2,
        "semanticVersion": None,
        "byteOrder": "littleEndian",
    }
    (message,) = document["messages"]
    assert message["methods"] == [{"method": "thing", "params": {"kind": "FULL"}}]
    assert message["blockLength"] == 10
    assert [(f["name"], f["kind"], f["offset"], f["size"]) for f in message["fields"]] == [
        ("e", "int", 0, 1),
        ("px", "mantissa", 1, 8),
        ("side", "enum", 9, 1),
    ]
    assert message["fields"][1]["json"] == "price" and message["fields"][1]["exponent"] == "e"
    assert message["fields"][2]["sinceVersion"] == 2 and message["fields"][2]["optional"] is True
    assert message["groups"][0]["blockLength"] == 4
    assert message["data"] == [{"name": "symbol", "id": 200, "type": "varString8", "kind": "string", "length": "uint8"}]


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (('type="int32"', 'type="nope"'), "unknown type 'nope'"),
        (("<sbe:messageSchema", "<messageSchema"), "not <sbe:messageSchema>"),
        (
            (
                'name="n" type="int32"/></group>',
                'name="n" type="int32"/></group><field id="9" name="late" type="int32"/>',
            ),
            "a field after a group",
        ),
        (("</sbe:messageSchema>", ""), "not well-formed"),
    ],
)
def test_bad_schema_is_a_clear_error(edit: tuple[str, str], problem: str) -> None:
    text = SMALL.replace(*edit)
    if "<messageSchema" in text:
        text = text.replace("</sbe:messageSchema>", "</messageSchema>")
    with pytest.raises(sbe_import.SchemaError, match=problem):
        sbe_import.convert(text)
