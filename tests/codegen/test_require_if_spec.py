"""`x-require-if`: the generator checks the rules against the parameters and emits them for the runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import generate
from generator.errors import SpecError

MINI = (Path(__file__).parent / "golden" / "mini" / "spec.yaml").read_text()
RULES = """      x-require-if:
        - {param: type, in: [LIMIT, LIMIT_MAKER], require: [price, quantity]}
        - {param: type, in: [MARKET], require: [[quantity, price]], forbid: [newClientOrderId]}
"""
assert RULES in MINI


def _with_rules(tmp_path: Path, rules: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(MINI.replace(RULES, "      x-require-if:\n" + rules))
    return path


def test_rules_reach_the_method_table_and_the_docstring() -> None:
    files = generate(Path(__file__).parent / "golden" / "mini" / "spec.yaml")
    methods = files["_methods.py"]
    assert 'RequireIf("type", ("LIMIT", "LIMIT_MAKER"), require=(("price",), ("quantity",)))' in methods
    assert 'RequireIf("type", ("MARKET",), require=(("quantity", "price"),), forbid=("newClientOrderId",))' in methods
    assert "from binance_ws import Method, RequireIf," in methods
    client = files["_async_client.py"]
    assert "- type LIMIT, LIMIT_MAKER: needs price, quantity." in client
    assert "- type MARKET: needs quantity or price; takes no new_client_order_id." in client


def test_a_spec_without_rules_imports_no_require_if(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(MINI.replace(RULES, ""))
    assert "RequireIf" not in generate(path)["_methods.py"]


@pytest.mark.parametrize(
    ("rules", "message", "pointer"),
    [
        (
            "        - {param: tpye, in: [LIMIT], require: [price]}\n",
            r"'tpye' is not a parameter \(did you mean 'type'\?\)",
            "x-require-if/0/param",
        ),
        (
            "        - {param: side, in: [BUYY], require: [price]}\n",
            r"'BUYY' is not one of the parameter's values \(did you mean 'BUY'\?\)",
            "x-require-if/0/in/0",
        ),
        ("        - {param: type, in: [7], require: [price]}\n", "7 does not fit the parameter's type", "in/0"),
        (
            "        - {param: price, in: ['1'], require: [quantity]}\n",
            "a condition reads a string, integer, boolean or enum parameter",
            "x-require-if/0/in",
        ),
        ("        - {param: type, in: [LIMIT], require: [prize]}\n", r"'prize' is not a parameter", "require/0"),
        ("        - {param: type, in: [LIMIT], forbid: [type]}\n", "the parameter the condition reads", "forbid/0"),
        ("        - {param: type, in: [LIMIT], require: [symbol]}\n", "'symbol' is always required", "require/0"),
        (
            "        - {param: type, in: [LIMIT], require: [price], forbid: [price]}\n",
            "'price' is required too",
            "x-require-if/0/forbid",
        ),
        ("        - {param: type, in: [LIMIT]}\n", "a condition needs `require` or `forbid`", "x-require-if/0"),
        ("        - {param: type, in: [], require: [price]}\n", "in must not be empty", "x-require-if/0/in"),
        (
            "        - {param: type, in: [LIMIT], require: [[price]]}\n",
            "a list here means one of several names; give at least two",
            "require/0",
        ),
        (
            "        - {param: type, in: [LIMIT], requires: [price]}\n",
            r"unknown key 'requires' .*\(did you mean 'require'\?\)",
            "x-require-if/0/requires",
        ),
    ],
)
def test_a_bad_rule_is_a_spec_error_with_its_pointer(tmp_path: Path, rules: str, message: str, pointer: str) -> None:
    with pytest.raises(SpecError, match=message) as caught:
        generate(_with_rules(tmp_path, rules))
    assert pointer in str(caught.value)
    assert "#/components/messages/OrderPlaceRequest/x-require-if" in str(caught.value)
