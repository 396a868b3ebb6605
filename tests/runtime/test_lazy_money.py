"""Lazy money: result and event Structs keep the wire text and answer Decimal on every read.

Decoding, encoding back, equality across formattings, repr, pickling, copies, asdict, the
SBE answers and the generated lists (every result, event and stream type with money; no
request parameters).
"""

from __future__ import annotations

import ast
import copy
import pickle
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import binance_spot_ws
from binance_spot_ws import AsyncClient, Ed25519Key, _aliases, stream_types, types
from binance_ws import Model, asdict, lazy_money
from binance_ws.sbe import decimal_text
from binance_ws_emulator import Emulator

GENERATED = Path(binance_spot_ws.__file__).parent
DEPTH = b'{"lastUpdateId":7,"bids":[["23416.10000000","0.00635000"],["0.00000001","5"]],"asks":[["23417.0","1.0"]]}'
ORDER = (
    b'{"symbol":"BTCUSDT","orderId":12,"orderListId":-1,"clientOrderId":"abc","transactTime":1,'
    b'"price":"23416.10000000","origQty":"0.00847000","executedQty":"0.00847000",'
    b'"origQuoteOrderQty":"0.000000","cummulativeQuoteQty":"198.33521500","status":"FILLED",'
    b'"timeInForce":"GTC","type":"LIMIT","side":"SELL","workingTime":1,"selfTradePreventionMode":"NONE",'
    b'"fills":[{"price":"23416.10000000","qty":"0.00635000","commission":"0.000000",'
    b'"commissionAsset":"BNB","tradeId":3}]}'
)


def test_decoding_stores_the_text_and_every_read_is_a_decimal() -> None:
    book = msgspec.json.decode(DEPTH, type=types.Depth)
    level = book.bids[0]
    assert msgspec.structs.astuple(level) == ("23416.10000000", "0.00635000")  # nothing built yet
    assert type(level.price) is Decimal and level.price == Decimal("23416.1")
    assert str(level.price) == "23416.10000000"  # the exponent the exchange wrote
    assert str(book.bids[1].price) == "1E-8"
    assert level.price is not level.price  # built on each read, nothing cached in the Struct
    assert msgspec.structs.astuple(level) == ("23416.10000000", "0.00635000")


def test_encoding_gives_back_the_wire_text() -> None:
    book = msgspec.json.decode(DEPTH, type=types.Depth)
    assert msgspec.json.encode(book) == DEPTH
    order = msgspec.json.decode(ORDER, type=types.OrderResponse)
    again = msgspec.json.decode(msgspec.json.encode(order), type=types.OrderResponse)
    assert again == order and again.fills[0].commission == Decimal(0)


def test_equality_compares_decimal_values_across_formattings() -> None:
    padded = msgspec.json.decode(b'["1.00000000","2.50"]', type=types.PriceLevel)
    short = msgspec.json.decode(b'["1.0","2.5"]', type=types.PriceLevel)
    built = types.PriceLevel(price=Decimal("1"), qty=Decimal("2.5000"))
    assert padded == short == built
    assert not padded != short  # __ne__ is the other half of the override
    other = types.PriceLevel(price=Decimal("1"), qty=Decimal("2.6"))
    assert padded != other and not padded == other
    assert padded != ("1.00000000", "2.50")  # another type: not equal
    with pytest.raises(TypeError):
        hash(padded)  # unhashable, like every non-frozen Struct (and as before)


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=8, min_value=-(10**9), max_value=10**9),
    st.integers(0, 6),
)
def test_any_value_equals_itself_with_more_zeros(value: Decimal, zeros: int) -> None:
    text = format(value, "f")
    longer = text + ("." if "." not in text else "") + "0" * zeros if zeros else text
    a = msgspec.json.decode(msgspec.json.encode([text, "1"]), type=types.PriceLevel)
    b = msgspec.json.decode(msgspec.json.encode([longer, "1"]), type=types.PriceLevel)
    assert a == b and a.price == b.price == value


def test_repr_shows_decimals() -> None:
    level = msgspec.json.decode(b'["1.50","2"]', type=types.PriceLevel)
    assert repr(level) == "PriceLevel(price=Decimal('1.50'), qty=Decimal('2'))"
    book = msgspec.json.decode(DEPTH, type=types.Depth)
    assert "PriceLevel(price=Decimal('23416.10000000'), qty=Decimal('0.00635000'))" in repr(book)


def test_pickle_copy_and_replace_keep_the_values() -> None:
    order = msgspec.json.decode(ORDER, type=types.OrderResponse)
    for twin in (pickle.loads(pickle.dumps(order)), copy.copy(order), copy.deepcopy(order)):
        assert twin == order and twin.price == Decimal("23416.1")
        assert msgspec.json.encode(twin) == msgspec.json.encode(order)  # the same text, not str(Decimal)
    changed = msgspec.structs.replace(order, price=Decimal("1.5"))
    assert changed.price == Decimal("1.5") and changed != order


def test_asdict_reads_decimals_and_msgspec_asdict_the_stored_text() -> None:
    fill = msgspec.json.decode(ORDER, type=types.OrderResponse).fills[0]
    plain = asdict(fill)
    assert plain["price"] == Decimal("23416.1") and type(plain["price"]) is Decimal
    assert plain["commission_asset"] == "BNB" and plain["trade_id"] == 3
    assert binance_spot_ws.asdict is asdict
    assert msgspec.structs.asdict(fill)["price"] == "23416.10000000"
    assert msgspec.to_builtins(fill)["price"] == "23416.10000000"


def test_the_constructor_takes_decimals_or_the_wire_text() -> None:
    from_decimal = types.PriceLevel(price=Decimal("0.001"), qty=Decimal(3))
    from_text: Any = types.PriceLevel(price="0.00100000", qty="3")  # type: ignore[arg-type]
    from_mantissa: Any = types.PriceLevel(price=decimal_text(100000, -8), qty=decimal_text(3, 0))  # type: ignore[arg-type]
    assert from_decimal == from_text == from_mantissa
    assert type(from_text.price) is Decimal and type(from_decimal.price) is Decimal
    assert msgspec.json.encode(from_mantissa) == b'["0.00100000","3"]'
    assert msgspec.json.encode(from_decimal) == b'["0.001","3"]'  # str() of the Decimal, as before


def test_assignment_stores_what_is_given() -> None:
    level = msgspec.json.decode(b'["1","2"]', type=types.PriceLevel)
    level.price = Decimal("7.25")
    assert level.price == Decimal("7.25") and msgspec.json.encode(level) == b'["7.25","2"]'


def test_optional_money_keeps_unset_and_none() -> None:
    report = msgspec.json.decode(b'{"symbol":"X","referencePrice":null,"timestamp":1}', type=types.ReferencePrice)
    assert report.reference_price is None
    assert msgspec.json.decode(b'{"symbol":"X","referencePrice":"1.5","timestamp":1}', type=types.ReferencePrice) == (
        types.ReferencePrice(symbol="X", reference_price=Decimal("1.50"), timestamp=1)
    )
    order = msgspec.json.decode(ORDER, type=types.OrderResponse)
    assert order.stop_price is msgspec.UNSET  # absent optional money: UNSET, as before
    assert b"stopPrice" not in msgspec.json.encode(order)


def test_stream_events_are_lazy_too() -> None:
    trade = msgspec.json.decode(
        b'{"e":"trade","E":1,"s":"BTCUSDT","t":5,"p":"0.0010","q":"100","T":2,"m":true,"M":true}',
        type=stream_types.Trade,
    )
    assert msgspec.structs.asdict(trade)["price"] == "0.0010"
    assert trade.price == Decimal("0.001") and type(trade.quantity) is Decimal


def test_request_parameters_keep_eager_decimals() -> None:
    params = msgspec.convert(
        {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "price": "1.5"}, types.OrderPlaceParams
    )
    assert msgspec.structs.asdict(params)["price"] == Decimal("1.5")  # built by msgspec: validated input
    assert not hasattr(types.OrderPlaceParams, "__money_fields__")


def _money_classes(module: Any) -> dict[str, list[str]]:
    """Struct name -> its money fields, read from the generated source (as a type checker sees it)."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            fields = [
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and re.match(r"(Annotated\[)?Decimal\b", ast.unparse(item.annotation))
            ]
            if fields:
                found[node.name] = fields
    return found


@pytest.mark.parametrize("module", [types, stream_types, _aliases], ids=lambda m: m.__name__)
def test_every_result_event_and_stream_type_is_lazy(module: Any) -> None:
    classes = _money_classes(module)
    assert classes
    for name, fields in classes.items():
        cls = getattr(module, name)
        if name.endswith("Params"):
            assert not hasattr(cls, "__money_fields__"), name
        else:
            assert cls.__money_fields__ == tuple(fields), name
            assert all(isinstance(cls.__dict__[f], property) for f in fields), name


def test_lazy_money_refuses_a_class_without_money() -> None:
    class Plain(Model, kw_only=True):
        name: str

    with pytest.raises(TypeError, match="Plain has no Decimal field"):
        lazy_money(Plain)


async def test_json_and_sbe_answers_are_equal_over_a_socket(emulator: Emulator, ed25519_key: Ed25519Key) -> None:
    async with (
        AsyncClient(url=emulator.url, key=ed25519_key, timeout=5) as json_client,
        AsyncClient(url=emulator.url, key=ed25519_key, timeout=5, response_format="sbe") as sbe_client,
    ):
        json_book = await json_client.depth(symbol="BTCUSDT", limit=20)
        sbe_book = await sbe_client.depth(symbol="BTCUSDT", limit=20)
        assert json_book.bids and json_book == sbe_book
        assert type(sbe_book.bids[0].price) is Decimal
