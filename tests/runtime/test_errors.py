"""Every exception the package exports survives pickling (multiprocessing passes errors that way)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import binance_spot_ws
from binance_spot_ws import (
    ApiError,
    BinanceError,
    ExecutedUnreadable,
    FilterError,
    ParamError,
    StreamControlError,
    UnexpectedResult,
    UnknownExecutionStatus,
)

API_FIELDS: dict[str, Any] = {
    "status": 429,
    "code": -1003,
    "msg": "Too many requests.",
    "method": "order.place",
    "request_id": 7,
    "data": {"retryAfter": 1_700_000_000_000},
    "name": "TOO_MANY_REQUESTS",
}


def _example(cls: type[BaseException]) -> BaseException:
    if issubclass(cls, FilterError):
        return cls("BTCUSDT", "PRICE_FILTER", "price", "0.001 is below minPrice 0.01")
    if issubclass(cls, ExecutedUnreadable):
        return cls(
            method="order.place",
            params={"symbol": "BTCUSDT", "apiKey": "k", "signature": "s"},
            client_order_id="bws1",
            status=200,
            raw_result='{"orderId": "x"}',
            problem="Expected `int`, got `str`",
        )
    if issubclass(cls, UnexpectedResult):
        return cls(method="depth", status=200, raw_result="[]", problem="Expected `object`, got `array`")
    if issubclass(cls, ParamError):
        return cls("depth", "limit", "Expected `int`, got `str`")
    if issubclass(cls, StreamControlError):
        return cls("SUBSCRIBE", 2, "Invalid request: too many parameters")
    if issubclass(cls, ApiError):
        return cls(**API_FIELDS)
    if issubclass(cls, UnknownExecutionStatus):
        return cls(
            method="order.place",
            params={"symbol": "BTCUSDT", "apiKey": "k", "signature": "s"},
            client_order_id="bws1",
            reason="timeout",
            status=503,
            code=-1001,
            msg="Internal error",
        )
    return cls("the client is closed")


EXPORTED = sorted(
    (obj for obj in vars(binance_spot_ws).values() if isinstance(obj, type) and issubclass(obj, BaseException)),
    key=lambda cls: cls.__name__,
)


def test_every_exported_exception_class_is_covered() -> None:
    assert {cls.__name__ for cls in EXPORTED} >= {
        "BinanceError",
        "ParamError",
        "TransportError",
        "ConnectionClosed",
        "RequestTimeout",
        "ApiError",
        "BadRequest",
        "AuthError",
        "RateLimited",
        "IpBanned",
        "ServerError",
        "UnknownExecutionStatus",
    }


@pytest.mark.parametrize("cls", EXPORTED, ids=lambda cls: cls.__name__)
def test_round_trip_through_pickle(cls: type[BaseException]) -> None:
    error = _example(cls)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error) and copy.args == error.args
    assert vars(copy) == vars(error)
    if isinstance(error, BinanceError) and isinstance(copy, UnknownExecutionStatus):
        assert "signature" not in copy.params and "apiKey" not in copy.params
