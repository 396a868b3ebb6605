"""Every method in the spec is callable on both clients and makes a valid round trip.

A round trip is valid when the result decodes into its typed Struct, or the local
exchange rejects it for a business reason (unknown order, filters...). Errors that
mean the SDK put something wrong on the wire (-1100 illegal characters, -1102
missing parameter, -1103 unknown parameter, -1022 bad signature, -1020 unknown
method) fail the test.
"""

from __future__ import annotations

import inspect
from decimal import Decimal
from typing import Any

import pytest

from binance_spot_ws import METHODS, AsyncClient, BadRequest, Client, Ed25519Key, HmacKey, _async_client, _methods
from binance_ws_emulator import Emulator

WIRE_BUGS = {-1100, -1102, -1103, -1022, -1020, -1135}

#: A value for each required parameter, by Python name.
VALUES: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "symbols": ["BTCUSDT", "ETHUSDT"],
    "side": "BUY",
    "type": "LIMIT",
    "time_in_force": "GTC",
    "price": Decimal("40000.00"),
    "quantity": Decimal("0.001"),
    "interval": "1m",
    "from_id": 1,
    "new_qty": Decimal("0.0005"),
    "cancel_replace_mode": "STOP_ON_FAILURE",
    "working_type": "LIMIT",
    "working_side": "BUY",
    "working_price": Decimal("40000.00"),
    "working_quantity": Decimal("0.001"),
    "working_time_in_force": "GTC",
    "pending_type": "LIMIT",
    "pending_side": "SELL",
    "pending_price": Decimal("60000.00"),
    "pending_quantity": Decimal("0.001"),
    "pending_time_in_force": "GTC",
    "pending_above_type": "LIMIT_MAKER",
    "pending_above_price": Decimal("61000.00"),
    "pending_below_type": "STOP_LOSS",
    "pending_below_stop_price": Decimal("39000.00"),
    "above_type": "LIMIT_MAKER",
    "above_price": Decimal("61000.00"),
    "below_type": "STOP_LOSS",
    "below_stop_price": Decimal("39000.00"),
    "stop_price": Decimal("39000.00"),
}

#: Per-method extras (optional parameters some methods need to make sense).
EXTRA: dict[str, dict[str, Any]] = {
    "order_list_place": {"side": "SELL", "price": Decimal("61000.00"), "stop_price": Decimal("39000.00")},
    "order_list_place_oco": {
        "side": "SELL",
        "above_type": "LIMIT_MAKER",
        "above_price": Decimal("61000.00"),
        "below_type": "STOP_LOSS",
        "below_stop_price": Decimal("39000.00"),
    },
    "order_list_place_opo": {"pending_type": "LIMIT"},
    "order_list_place_opoco": {"pending_side": "SELL"},
}


def _python_methods() -> list[str]:
    return [
        name
        for name, member in inspect.getmembers(AsyncClient, inspect.iscoroutinefunction)
        if member.__module__ == _async_client.__name__
    ]


def _kwargs(name: str, order_id: int) -> dict[str, Any]:
    signature = inspect.signature(getattr(AsyncClient, name))
    kwargs: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.name == "self":
            continue
        if param.default is inspect.Parameter.empty:
            if param.name in ("order_id", "cancel_order_id"):
                kwargs[param.name] = order_id
            elif param.name in VALUES:
                kwargs[param.name] = VALUES[param.name]
            else:
                raise AssertionError(f"{name}: no test value for required parameter {param.name!r}")
    kwargs.update({k: v for k, v in EXTRA.get(name, {}).items() if k in signature.parameters})
    if kwargs.get("type") == "LIMIT":  # LIMIT orders also need these (mandatory by type)
        for extra in ("time_in_force", "price", "quantity"):
            if extra in signature.parameters:
                kwargs.setdefault(extra, VALUES[extra])
    if (
        "order_id" in signature.parameters
        and "order_id" not in kwargs
        and name not in ("all_orders", "my_trades", "my_prevented_matches", "my_allocations")
    ):
        kwargs["order_id"] = order_id
    if "cancel_order_id" in signature.parameters and "cancel_order_id" not in kwargs:
        kwargs["cancel_order_id"] = order_id
    if name == "order_list_status" or name == "order_list_cancel":
        kwargs.setdefault("order_list_id", 1)
    method = getattr(_methods, name.upper())
    for group in method.require_one_of:  # "one of these is required": give the first one
        python = [method.wire_to_python[w] for w in group]
        if not any(p in kwargs for p in python):
            kwargs[python[0]] = order_id if python[0].endswith("id") else VALUES[python[0]]
    return kwargs


def test_every_spec_method_has_a_client_method() -> None:
    methods = _python_methods()
    assert len(methods) == len(METHODS)
    assert all(hasattr(Client, name) for name in methods)


async def test_every_method_round_trips(emulator: Emulator, hmac_key: HmacKey, ed25519_key: Ed25519Key) -> None:
    outcomes: dict[str, str] = {}
    async with AsyncClient(url=emulator.url, key=ed25519_key, timeout=5) as client:
        resting = await client.order_place(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            price=Decimal("45000.00"),
            quantity=Decimal("0.002"),
        )
        for name in _python_methods():
            if name in ("session_logout",):
                continue
            try:
                result = await getattr(client, name)(**_kwargs(name, resting.order_id))
            except BadRequest as error:
                assert error.code not in WIRE_BUGS, f"{name}: {error}"
                outcomes[name] = f"rejected {error.code}"
            else:
                assert result is not None
                outcomes[name] = type(result).__name__
        await client.session_logout()
    assert len(outcomes) >= len(METHODS) - 1
    ok = [n for n, o in outcomes.items() if not o.startswith("rejected")]
    assert len(ok) >= len(outcomes) * 0.7, outcomes  # most methods succeed outright on the local exchange


def test_blocking_client_round_trips_every_read_only_method(hmac_key: HmacKey) -> None:
    with Emulator(seed=2) as emulator, Client(url=emulator.url, key=hmac_key, timeout=5) as client:
        for wire, method in METHODS.items():
            if not method.retry_safe or method.security.value in ("USER_STREAM", "SIGNED"):
                continue
            name = next(
                n
                for n in _python_methods()
                if getattr(_async_client.AsyncClient, n).__doc__
                and f"`{wire}`" in getattr(_async_client.AsyncClient, n).__doc__
            )
            try:
                getattr(client, name)(**_kwargs(name, 1))
            except BadRequest as error:
                assert error.code not in WIRE_BUGS, f"{name}: {error}"


@pytest.mark.parametrize("name", ["order_place", "depth", "account_status"])
def test_signatures_are_typed(name: str) -> None:
    hints = inspect.get_annotations(getattr(AsyncClient, name))
    assert hints["return"] != "Any"
