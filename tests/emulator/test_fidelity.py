"""The local exchange accepts what Binance accepts, in the encodings other clients use
(raw frames over a real socket, signed by hand)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from binance_ws_emulator import Emulator
from tests.emulator._wire import call, error, limit_order, ok


async def test_return_rate_limits_is_part_of_the_signed_payload(emulator: Emulator) -> None:
    # ccxt sends returnRateLimits in every signed request and signs it like any parameter.
    async with connect(emulator.url) as ws:
        reply = await call(ws, "account.status", {"returnRateLimits": False}, sign=True)
        assert reply["status"] == 200, reply
        assert "rateLimits" not in reply
        reply = await call(ws, "account.status", {"returnRateLimits": True}, sign=True)
        assert reply["status"] == 200 and reply["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
        assert (await ok(ws, "time", {"returnRateLimits": False})).keys() == {"serverTime"}


async def test_booleans_as_json_or_as_text(emulator: Emulator) -> None:
    # binance-sdk-spot sends every boolean as "true" / "false".
    async with connect(emulator.url) as ws:
        for true, false in ((True, False), ("true", "false"), ("TRUE", "False")):
            order = limit_order("BUY", "1000.00")
            rates = await ok(ws, "order.test", {**order, "computeCommissionRates": true}, sign=True)
            assert rates["standardCommissionForOrder"]["maker"] == "0.00100000"
            assert await ok(ws, "order.test", {**order, "computeCommissionRates": false}, sign=True) == {}
            assert await ok(ws, "sor.order.test", {**order, "computeCommissionRates": false}, sign=True) == {}
            assert "discount" in await ok(ws, "sor.order.test", {**order, "computeCommissionRates": true}, sign=True)
            await ok(ws, "account.status", sign=True)  # the account now holds some zero balance
            emulator.deposit("demo", "XRP", "0")
            omitted = await ok(ws, "account.status", {"omitZeroBalances": true}, sign=True)
            assert omitted["balances"] and all(b["free"] != "0.00000000" for b in omitted["balances"])
            everything = await ok(ws, "account.status", {"omitZeroBalances": false}, sign=True)
            assert {"asset": "XRP", "free": "0.00000000", "locked": "0.00000000"} in everything["balances"]
            reply = await call(ws, "time", {"returnRateLimits": false})
            assert reply["status"] == 200 and "rateLimits" not in reply
            reply = await call(ws, "account.status", {"returnRateLimits": false}, sign=True)
            assert reply["status"] == 200 and "rateLimits" not in reply
            assert "rateLimits" in await call(ws, "time", {"returnRateLimits": true})
            info = await ok(ws, "exchangeInfo", {"symbol": "BTCUSDT", "showPermissionSets": false})
            assert info["symbols"][0]["permissionSets"] == []
            info = await ok(ws, "exchangeInfo", {"symbol": "BTCUSDT", "showPermissionSets": true})
            assert info["symbols"][0]["permissionSets"] == [["SPOT"]]
        # commission rates cost 20, plain test orders 1 (weight follows the text form too)
        before = (await call(ws, "time"))["rateLimits"][0]["count"]
        await ok(ws, "order.test", {**limit_order("BUY", "1000.00"), "computeCommissionRates": "true"}, sign=True)
        assert (await call(ws, "time"))["rateLimits"][0]["count"] == before + 20 + 1


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("order.test", {**limit_order("BUY", "1000.00"), "computeCommissionRates": "yes"}),
        ("account.status", {"omitZeroBalances": 1}),
        ("time", {"returnRateLimits": "maybe"}),
        ("exchangeInfo", {"showPermissionSets": "no"}),
    ],
)
async def test_a_boolean_that_is_neither_is_refused_naming_it(
    emulator: Emulator, method: str, params: dict[str, object]
) -> None:
    name = next(
        k
        for k in params
        if k in ("computeCommissionRates", "omitZeroBalances", "returnRateLimits", "showPermissionSets")
    )
    async with connect(emulator.url) as ws:
        code, msg = await error(ws, method, params, sign=method in ("order.test", "account.status"))
        assert code == -1100 and f"'{name}'" in msg


LIST_METHODS = ["exchangeInfo", "ticker.24hr", "ticker.tradingDay", "ticker", "ticker.price", "ticker.book"]


def _symbols_of(method: str, result: object) -> list[str]:
    if method == "exchangeInfo":
        return [s["symbol"] for s in result["symbols"]]  # type: ignore[index]
    return [row["symbol"] for row in result]  # type: ignore[attr-defined]


@pytest.mark.parametrize("method", [*LIST_METHODS, "executionRules"])
async def test_symbols_as_a_json_array_or_as_its_text(emulator: Emulator, method: str) -> None:
    # binance-sdk-spot sends every list as the JSON text of the array (also the REST form).
    async with connect(emulator.url) as ws:
        for symbols in (["ETHUSDT", "BTCUSDT"], '["ETHUSDT","BTCUSDT"]', '[ "ETHUSDT", "BTCUSDT" ]'):
            result = await ok(ws, method, {"symbols": symbols})
            if method == "executionRules":
                assert [r["symbol"] for r in result["symbolRules"]] == ["ETHUSDT", "BTCUSDT"]
            else:
                assert _symbols_of(method, result) == ["ETHUSDT", "BTCUSDT"]
        for bad in ("ETHUSDT", "[ETHUSDT]", '["ETHUSDT", 5]', "[]", 7, "[" * 100_000):
            code, msg = await error(ws, method, {"symbols": bad})
            assert code == -1100 and "'symbols'" in msg, (bad, msg)
        assert (await error(ws, method, {"symbols": '["ETHUSDT","NOPE"]'}))[0] == -1121
        assert (await error(ws, method, {"symbols": '["ETHUSDT","ETHUSDT"]'}))[0] == -1151


async def test_ticker_weight_counts_symbols_sent_as_text(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        before = (await call(ws, "time"))["rateLimits"][0]["count"]
        await ok(ws, "ticker", {"symbols": '["ETHUSDT","BTCUSDT","ETHBTC"]'})
        assert (await call(ws, "time"))["rateLimits"][0]["count"] == before + 3 * 4 + 1


async def test_exchange_info_filters_are_never_ignored(emulator: Emulator) -> None:
    async with connect(emulator.url) as ws:
        for permissions in ("SPOT", ["SPOT"], '["MARGIN","SPOT"]'):
            info = await ok(ws, "exchangeInfo", {"permissions": permissions})
            assert len(info["symbols"]) == 3
        assert (await ok(ws, "exchangeInfo", {"permissions": '["MARGIN"]'}))["symbols"] == []
        assert (await error(ws, "exchangeInfo", {"permissions": "[SPOT"}))[0] == -1100
        assert (await error(ws, "exchangeInfo", {"symbol": "BTCUSDT", "symbols": ["ETHUSDT"]}))[0] == -1128
        assert (await error(ws, "exchangeInfo", {"symbol": "BTCUSDT", "symbolStatus": "TRADING"}))[0] == -1128
        assert len((await ok(ws, "exchangeInfo", {"symbolStatus": "TRADING"}))["symbols"]) == 3
        assert (await ok(ws, "exchangeInfo", {"symbolStatus": "HALT"}))["symbols"] == []
        assert (await error(ws, "exchangeInfo", {"symbolStatus": "SLEEPING"}))[0] == -1122
        assert (await error(ws, "ticker.price", {"symbol": "BTCUSDT", "symbolStatus": "HALT"}))[0] == -1220
        assert (await ok(ws, "ticker.price", {"symbols": ["BTCUSDT"], "symbolStatus": "BREAK"})) == []
        assert (await error(ws, "depth", {"symbol": "BTCUSDT", "symbolStatus": "HALT"}))[0] == -1220
        assert (await ok(ws, "depth", {"symbol": "BTCUSDT", "symbolStatus": "TRADING"}))["bids"]


UID_SCRIPT = """
import asyncio
from websockets.asyncio.client import connect
from binance_ws_emulator import Emulator
from tests.emulator._wire import ok

async def main():
    async with Emulator(seed=1) as emulator, connect(emulator.url) as ws:
        print((await ok(ws, "account.status", sign=True))["uid"])

asyncio.run(main())
"""


def test_the_account_uid_is_the_same_in_every_run() -> None:
    root = Path(__file__).resolve().parents[2]
    uids = set()
    for hash_seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)}
        done = subprocess.run(
            [sys.executable, "-c", UID_SCRIPT], env=env, cwd=root, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        uids.add(int(done.stdout))
    assert len(uids) == 1
