"""Bad specs fail with file:line, the JSON pointer and a clear message, and write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import generate
from generator.__main__ import main
from generator.errors import SpecError

MINI = (Path(__file__).parent / "golden" / "mini" / "spec.yaml").read_text()


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


def test_dangling_ref(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path, MINI.replace("$ref: '#/components/schemas/DepthParams'", "$ref: '#/components/schemas/Nope'")
    )
    with pytest.raises(SpecError) as caught:
        generate(spec)
    message = str(caught.value)
    assert "dangling $ref '#/components/schemas/Nope'" in message
    assert message.startswith(f"{spec}:")
    line = int(message.split(":")[1])
    assert (
        "DepthParams" not in spec.read_text().splitlines()[line - 1]
        or "params" in spec.read_text().splitlines()[line - 1]
    )
    assert "#/components/messages/DepthRequest/payload/properties/params" in message


def test_method_without_response(tmp_path: Path) -> None:
    text = (
        MINI.replace("      x-response: {$ref: '#/components/messages/DepthResponse'}\n", "")
        .replace("    DepthResponse:", "    DepthAnswer:")
        .replace("'#/components/messages/DepthResponse'", "'#/components/messages/DepthAnswer'")
    )
    with pytest.raises(SpecError, match="has no response"):
        generate(_spec(tmp_path, text))


def test_parameter_without_type(tmp_path: Path) -> None:
    text = MINI.replace("symbol: {type: string, description: Trading pair.}", "symbol: {description: Trading pair.}")
    with pytest.raises(SpecError, match="parameter has no type") as caught:
        generate(_spec(tmp_path, text))
    assert "DepthParams/properties/symbol" in str(caught.value) or "params/properties/symbol" in str(caught.value)


def test_colliding_field_names_need_x_python_name(tmp_path: Path) -> None:
    text = MINI.replace(
        "        E: {type: integer, format: int64, x-python-name: event_time}\n        a:",
        "        E: {type: integer, format: int64}\n        a:",
        1,
    ).replace("        e: {type: string, const: balanceUpdate}", "        e: {type: string, const: balanceUpdate}")
    with pytest.raises(SpecError, match="add x-python-name"):
        generate(_spec(tmp_path, text))


def test_cli_exits_nonzero_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec(tmp_path, MINI.replace("asyncapi: 2.6.0", "asyncapi: 9.0.0"))
    out = tmp_path / "out" / "binance_spot_ws"
    assert main(["--spec", str(spec), "--out", str(out)]) == 2
    assert not out.exists()
    assert "unsupported AsyncAPI version" in capsys.readouterr().err


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"bad.yaml:\d+: #: invalid YAML"):
        generate(_spec(tmp_path, "asyncapi: 2.6.0\ninfo: [unclosed\n"))


@pytest.mark.parametrize(
    ("extension", "message"),
    [
        ("x-signing: sometimes", "x-signing 'sometimes' is not one of request, always, session"),
        (
            "x-session-effect: login",
            "x-session-effect 'login' is not one of logon, logout, subscribe, unsubscribe \\(did you mean 'logon'\\?\\)",
        ),
    ],
)
def test_unknown_session_extensions(tmp_path: Path, extension: str, message: str) -> None:
    text = MINI.replace("      x-security: TRADE\n", f"      x-security: TRADE\n      {extension}\n", 1)
    with pytest.raises(SpecError, match=message) as caught:
        generate(_spec(tmp_path, text))
    assert "#/components/messages/OrderPlaceRequest/x-" in str(caught.value)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("- {code: -1, name: A, kind: fatal}", "kind 'fatal' is not one of bad_request, auth"),
        ("- {code: -1, name: A}\n- {code: -2, name: A}", "'A' must be a unique Python identifier"),
        ("- {code: -1, name: A}\n- {code: -1, name: B}", "code -1 is listed twice"),
        ("- {name: A}", r"x-error-codes\[0\] has no 'code'"),
    ],
)
def test_bad_error_code_tables(tmp_path: Path, entries: str, message: str) -> None:
    with pytest.raises(SpecError, match=message) as caught:
        generate(_spec(tmp_path, MINI + "x-error-codes:\n" + entries + "\n"))
    assert "#/x-error-codes/" in str(caught.value)


def test_one_or_many_needs_a_one_or_list_result(tmp_path: Path) -> None:
    text = MINI.replace(
        "      x-response: {$ref: '#/components/messages/DepthResponse'}\n",
        "      x-response: {$ref: '#/components/messages/DepthResponse'}\n      x-one-or-many: {one: limit, many: limit}\n",
        1,
    )
    with pytest.raises(SpecError, match="x-one-or-many needs a result") as caught:
        generate(_spec(tmp_path, text))
    assert "x-one-or-many" in str(caught.value)


def test_one_or_many_names_parameters(tmp_path: Path) -> None:
    text = MINI.replace(
        "      x-response: {$ref: '#/components/messages/DepthResponse'}\n",
        "      x-response: {$ref: '#/components/messages/DepthResponse'}\n      x-one-or-many: {one: nope, many: limit}\n",
        1,
    )
    with pytest.raises(SpecError, match="'nope' is not a parameter"):
        generate(_spec(tmp_path, text))
