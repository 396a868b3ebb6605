"""The generator lists every result and event Struct with money for `lazy_money`, and no request parameters."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from generator import ir, load, models

ROOT = Path(__file__).resolve().parents[2]

SOURCE = """
from binance_ws import Model


class Quote(Model, kw_only=True):
    price: Annotated[Decimal, Meta(description="p")] = field(name="p")
    name: str


class QuoteParams(Model, kw_only=True):
    price: Decimal


class Maybe(Model, kw_only=True):
    fee: Decimal | UnsetType = UNSET


class Plain(Model, kw_only=True):
    note: str
    prices: list[Decimal]
"""


def _listed(source: str) -> list[str]:
    call = ast.parse(source).body[-1]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    assert ast.unparse(call.value.func) == "lazy_money"
    return [ast.unparse(arg) for arg in call.value.args]


def test_money_structs_are_listed_but_the_excluded() -> None:
    out = models.with_lazy_money(SOURCE, exclude={"QuoteParams"})
    assert "from binance_ws import Model, lazy_money\n" in out
    assert _listed(out) == ["Quote", "Maybe"]  # a list of Decimals stays eager: no property for it


def test_a_module_without_money_is_left_alone() -> None:
    source = "from binance_ws import Model\n\n\nclass Plain(Model):\n    note: str\n"
    assert models.with_lazy_money(source) == source


def test_a_module_that_does_not_import_model_is_refused() -> None:
    with pytest.raises(ValueError, match=r"does not import binance_ws\.Model"):
        models.with_lazy_money("class Quote:\n    price: Decimal\n")


def test_the_real_spec_lists_no_struct_that_parameters_use() -> None:
    api = ir.build(load.document(ROOT / "spec" / "binance-spot-ws.asyncapi.yaml"))
    params = models.params_structs(api)
    assert {m.params_type for m in api.methods if m.params_type} <= params
    listed = set(_listed(models.render(api)))
    assert listed and not listed & params
    assert {"OrderResponse", "ExecutionReport", "Fill", "Balance"} <= listed


def test_without_lazy_money_gives_back_the_declared_structs() -> None:
    # The SBE decoder writer inspects the Structs as declared (money annotated Decimal).
    lazy = models.with_lazy_money(SOURCE)
    declared = models.without_lazy_money(lazy)
    assert "lazy_money(" not in declared.replace("import Model, lazy_money", "")
    assert declared.rstrip() == SOURCE.replace("import Model", "import Model, lazy_money").rstrip()
