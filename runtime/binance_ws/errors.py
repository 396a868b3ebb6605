"""Every exception this package raises.

    BinanceError
    ├── ParamError(ValueError)         an argument is invalid; nothing was sent
    ├── TransportError(ConnectionError) could not talk to the server
    │   ├── ConnectionClosed           the client is closed, or reconnecting gave up
    │   └── RequestTimeout(TimeoutError) a read-only request got no answer in time
    ├── ApiError                       the server answered with an error
    │   ├── BadRequest                 4xx but 409: rejected, did not execute
    │   │   └── AuthError              -1002, -1022, -2014, -2015 (bad key, signature, permissions)
    │   ├── CancelReplacePartialFailure 409: one half of a cancelReplace executed
    │   ├── RateLimited                429 (`retry_after_ms`)
    │   │   └── IpBanned               418
    │   └── ServerError                5xx on a request that changes nothing
    ├── UnexpectedResult               a success answer to a request that changes nothing
    │                                  did not decode (`raw_result`)
    └── UnknownExecutionStatus         a state-changing request was (or may have been)
        │                              sent, and its outcome is unknown: a 5xx, -1006 or
        │                              -1007 answer, an answer without a status, a timeout,
        │                              or a connection lost in flight. Reconcile with
        │                              `client_order_id`.
        └── ExecutedUnreadable         the exchange answered success (it executed), but the
                                       result did not decode (`raw_result`)

Secrets never reach an exception: errors carry the wire parameters without
`apiKey` and `signature`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

_REDACTED = frozenset({"apiKey", "signature"})


def _public(params: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (params or {}).items() if k not in _REDACTED}


def _rebuild(cls: type[BinanceError], args: tuple[Any, ...], state: dict[str, Any]) -> BinanceError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class BinanceError(Exception):
    """Base class of every exception raised by this package."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive the default pickling (it calls cls(*args)):
        # rebuild from the message and the attributes, for every subclass alike.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class ParamError(BinanceError, ValueError):
    """An argument is invalid; detected before anything was sent."""

    def __init__(self, method: str, param: str, problem: str) -> None:
        super().__init__(f"{method}: parameter {param!r}: {problem}")
        self.method = method
        self.param = param
        self.problem = problem


class TransportError(BinanceError, ConnectionError):
    """The connection failed or could not be established."""


class ConnectionClosed(TransportError):
    """The client is closed, was never connected, or gave up reconnecting."""


class RequestTimeout(TransportError, TimeoutError):
    """A request that changes nothing got no answer within its timeout."""


class ApiError(BinanceError):
    """The server answered with an error.

    Attributes:
        status: HTTP-like status of the response (400, 401, 409, 418, 429, 5xx; 200 when
            the error came inside a result, as `referencePrice` does for -2043).
        code: Binance error code (negative), e.g. -1022.
        msg: Binance error message.
        method: wire name of the method, e.g. ``order.place``.
        request_id: the id of the request.
        data: the optional ``error.data``: a typed Struct where the spec describes it
            (`order.cancelReplace`: `types.CancelReplaceErrorData`), else the JSON
            object (``{"retryAfter": ...}``).
        name: the code's name from the spec (``INVALID_SIGNATURE``), if it has one;
            compare `code` with the generated `ErrorCode` enum.
    """

    def __init__(
        self,
        *,
        status: int,
        code: int,
        msg: str,
        method: str = "",
        request_id: int | str | None = None,
        data: Any = None,
        name: str | None = None,
    ) -> None:
        label = f"{code} ({name})" if name else f"{code}"
        super().__init__(f"{method or 'request'} failed: status {status}, code {label}: {msg}")
        self.status = status
        self.code = code
        self.name = name
        self.msg = msg
        self.method = method
        self.request_id = request_id
        self.data = data


class BadRequest(ApiError):
    """A 4xx answer (but 409): the request was rejected and did not execute."""


class AuthError(BadRequest):
    """The key, signature or permissions were rejected."""


class CancelReplacePartialFailure(ApiError):
    """Status 409 (-2021) to `order.cancelReplace`: one half executed, the other did not.

    Not a `BadRequest`: something changed on the exchange. `data` is a
    `types.CancelReplaceErrorData`: `cancel_result` and `new_order_result` are
    ``SUCCESS`` / ``FAILURE`` / ``NOT_ATTEMPTED``; the half that succeeded carries its
    report in `cancel_response` / `new_order_response`, the failed half an
    `ErrorDetail` (`code`, `msg`). Either the old order is canceled and the new one was
    rejected (nothing of the two rests), or the cancel failed and the new order rests
    (`new_order_response.order_id`) while the old one was not canceled: check it with
    `order_status` and cancel it if it is still open.
    """


class RateLimited(ApiError):
    """Status 429: a rate limit was exceeded. Wait until `retry_after_ms` (epoch ms)."""

    @property
    def retry_after_ms(self) -> int | None:
        data = cast("Mapping[str, Any]", self.data) if isinstance(self.data, Mapping) else None  # pyright: ignore[reportUnknownMemberType]
        value = data.get("retryAfter") if data is not None else None
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        return None  # absent or not a time ("soon", -1, 1.5e300...): the caller picks a default


class IpBanned(RateLimited):
    """Status 418: the IP is banned until `retry_after_ms`; the client stops sending."""


class ServerError(ApiError):
    """A 5xx answer to a request that changes nothing (safe to retry)."""


class UnknownExecutionStatus(BinanceError):
    """A state-changing request may or may not have executed.

    Never retry blindly: query the order by `client_order_id` (the runtime always
    sets one on order placement) or watch the user-data stream.

    Attributes:
        method: wire name of the method.
        params: the wire parameters as sent (without apiKey and signature).
        client_order_id: the client order id (or list client order id) sent, if any.
        reason: what happened (``"connection lost"``, ``"timeout"``, ``"-1007 TIMEOUT"``...).
        status, code, msg: set when the server answered (5xx, -1006, -1007).
    """

    def __init__(
        self,
        *,
        method: str,
        params: Mapping[str, Any] | None,
        client_order_id: str | None,
        reason: str,
        status: int | None = None,
        code: int | None = None,
        msg: str | None = None,
    ) -> None:
        hint = f"; reconcile with client order id {client_order_id!r}" if client_order_id else ""
        super().__init__(f"{method}: execution status unknown ({reason}){hint}")
        self.method = method
        self.params = _public(params)
        self.client_order_id = client_order_id
        self.reason = reason
        self.status = status
        self.code = code
        self.msg = msg


class ExecutedUnreadable(UnknownExecutionStatus):
    """The exchange answered success to a state-changing request, so it executed, but the
    result did not decode (a newer API, a proxy, a spec mistake).

    `raw_result` holds the result's JSON text; reconcile with `client_order_id`
    (`order_status(orig_client_order_id=...)`) for the typed state. Caught by
    ``except UnknownExecutionStatus`` like every other "do not resend" outcome.
    """

    def __init__(
        self,
        *,
        method: str,
        params: Mapping[str, Any] | None,
        client_order_id: str | None,
        status: int,
        raw_result: str,
        problem: str,
    ) -> None:
        super().__init__(
            method=method,
            params=params,
            client_order_id=client_order_id,
            reason=f"executed (status {status}) but the result did not decode: {problem}",
            status=status,
        )
        hint = f"; reconcile with client order id {client_order_id!r}" if client_order_id else ""
        self.args = (f"{method}: executed (status {status}), but the result did not decode: {problem}{hint}",)
        self.executed = True
        self.raw_result = raw_result
        self.problem = problem


class UnexpectedResult(BinanceError):
    """A success answer to a request that changes nothing did not decode.

    Attributes:
        method: wire name of the method.
        status: the answer's status (absent: 0).
        raw_result: the result's JSON text.
        problem: what did not match the spec.
    """

    def __init__(self, *, method: str, status: int, raw_result: str, problem: str) -> None:
        super().__init__(f"{method}: unexpected answer (status {status}): {problem}")
        self.method = method
        self.status = status
        self.raw_result = raw_result
        self.problem = problem


#: How an error code is to be understood (spec `x-error-codes`, `kind`).
ErrorKind = Literal["bad_request", "auth", "rate_limit", "server", "unknown_status", "partial_failure"]

#: What the runtime knows without a spec; a generated client brings the spec's whole table.
DEFAULT_ERROR_KINDS: Mapping[int, ErrorKind] = {
    -1002: "auth",
    -1022: "auth",
    -2014: "auth",
    -2015: "auth",
    -1006: "unknown_status",
    -1007: "unknown_status",
}

_CLASS_OF_KIND: Mapping[str, type[ApiError]] = {
    "auth": AuthError,
    "rate_limit": RateLimited,
    "server": ServerError,
    "bad_request": BadRequest,
    "partial_failure": CancelReplacePartialFailure,
}


class ErrorTable:
    """Error code -> kind and name: decides which exception an error response becomes."""

    __slots__ = ("kinds", "names", "unknown_status_codes")

    def __init__(self, kinds: Mapping[int, ErrorKind] | None = None, names: Mapping[int, str] | None = None) -> None:
        self.kinds: dict[int, ErrorKind] = {**DEFAULT_ERROR_KINDS, **(kinds or {})}
        self.names: dict[int, str] = dict(names or {})
        #: Codes meaning "sent, outcome unknown" whatever the status says.
        self.unknown_status_codes = frozenset(c for c, k in self.kinds.items() if k == "unknown_status")

    def outcome_unknown(self, status: int, code: int) -> bool:
        return status >= 500 or code in self.unknown_status_codes

    def error_class(self, status: int, code: int) -> type[ApiError]:
        """The exception class for an error response that is not outcome-unknown."""
        if status == 418:
            return IpBanned
        if status == 429:
            return RateLimited
        if status == 409:  # only order.cancelReplace answers 409: partly executed
            return CancelReplacePartialFailure
        cls = _CLASS_OF_KIND.get(self.kinds.get(code, ""))
        if cls is not None:
            return cls
        return ServerError if status >= 500 else BadRequest
