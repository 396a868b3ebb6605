"""order.cancelReplace's outcomes (both halves, partial failures with typed error data) in SBE.

The JSON tests of `tests/client/test_cancel_replace.py` run again with a client that asks for
SBE: the 409 and 400 answers carry a `CancelReplaceOrderResponse` nested in the SBE
`ErrorResponse.data`, and the same typed exceptions and data must come out.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from binance_spot_ws import AsyncClient, HmacKey
from binance_ws_emulator import Emulator
from tests.client import test_cancel_replace as json_tests

CASES = [
    name for name, func in vars(json_tests).items() if name.startswith("test_") and inspect.iscoroutinefunction(func)
]


class _SbeClient(AsyncClient):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options, response_format="sbe")


@pytest.mark.parametrize("case", CASES)
async def test_cancel_replace_in_sbe(
    case: str, emulator: Emulator, hmac_key: HmacKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_tests, "AsyncClient", _SbeClient)
    await getattr(json_tests, case)(emulator=emulator, hmac_key=hmac_key)
    assert emulator.binary_answers >= 1
