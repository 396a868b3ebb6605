"""The client side of the Binance WebSocket API, with no I/O.

`Protocol.prepare()` validates a call, `Protocol.frame()` signs and encodes it,
`Protocol.parse()` reads any server frame and `Protocol.outcome()` turns a
response into a result or the right exception. Time is passed in; the shells
(`_async`, `_sync`) only move text and wake waiters.
"""

from __future__ import annotations

import itertools
import secrets
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from .errors import (
    ApiError,
    BinanceError,
    ErrorTable,
    ExecutedUnreadable,
    ParamError,
    ServerError,
    UnexpectedResult,
    UnknownExecutionStatus,
)
from .fallback import decode_with_fallbacks
from .method import Method
from .signing import Signer
from .wire import (
    FRAME_DECODER,
    DecodedFrame,
    ErrorBody,
    Frame,
    checked_params,
    encode_request,
    format_decimal,
    signature_payload,
)

# Unique without a random draw per order: a random per-process part plus a counter.
_PROCESS_PART = secrets.token_hex(6)
_COUNTER = itertools.count(1)


def new_client_order_id(prefix: str = "bws") -> str:
    """A unique client order id, e.g. `bws5f2c9a0e41d7x1b` (Binance allows 36 characters)."""
    return f"{prefix}{_PROCESS_PART}x{next(_COUNTER):x}"


#: Per-request parameter of every method (not in the spec's parameter tables): whether the
#: response carries `rateLimits`. The generated methods take it as `return_rate_limits`.
RETURN_RATE_LIMITS = "returnRateLimits"


#: A `result` that is an error: `{"code": -2043, "msg": ...}` with status 200.
_RESULT_ERROR = msgspec.json.Decoder(ErrorBody)


def convert_by_shape(value: Any, target: Any) -> Any:
    """`msgspec.convert`, also through unions of several untagged Structs (which msgspec
    cannot decode): such a union takes the first member the value fits.

    Raises:
        msgspec.ValidationError: the value fits no member.
    """
    try:
        return msgspec.convert(value, target, strict=False)
    except TypeError:
        pass  # the type holds a union of several Structs somewhere: go through it by hand
    origin = typing.get_origin(target)
    if origin is typing.Annotated:
        return convert_by_shape(value, typing.get_args(target)[0])
    if origin is typing.Union or origin is types.UnionType:
        members = [m for m in typing.get_args(target) if m is not msgspec.UnsetType]
        if value is None and type(None) in members:
            return None
        for member in members:
            if member is type(None):
                continue
            try:
                return convert_by_shape(value, member)
            except msgspec.ValidationError:
                continue
        raise msgspec.ValidationError(f"{value!r:.80} fits none of {target}")
    if isinstance(target, type) and issubclass(target, msgspec.Struct):
        if not isinstance(value, Mapping):
            raise msgspec.ValidationError(f"expected an object for {target.__name__}")
        fields: dict[str, Any] = {}
        for info in msgspec.structs.fields(target):
            if info.encode_name in value:
                fields[info.name] = convert_by_shape(value[info.encode_name], info.type)
            elif info.required:
                raise msgspec.ValidationError(f"{target.__name__}: missing required field {info.encode_name!r}")
        return target(**fields)
    raise msgspec.ValidationError(f"cannot convert to {target}")


@dataclass(slots=True)
class Call:
    """A validated call: wire parameters (unsigned), ready to be framed (again, on retry)."""

    method: Method[Any, Any]
    params: dict[str, Any]
    client_order_id: str | None
    weight: int
    request_id: int | None = None  # of the last frame sent for it (the shells set it)
    #: Every value is a str or an int (the signature payload writes them as they are).
    plain: bool = False


class Protocol:
    """Signing, framing and response interpretation for one client."""

    def __init__(
        self,
        key: Signer | None = None,
        *,
        recv_window: Decimal | int | None = None,
        client_id_prefix: str = "bws",
        errors: ErrorTable | None = None,
    ) -> None:
        self.key = key
        self.errors = errors or ErrorTable()
        self.recv_window = None if recv_window is None else format_decimal(Decimal(recv_window))
        self.client_id_prefix = client_id_prefix  # (a property: also sets the ids' fixed head)

    @property
    def client_id_prefix(self) -> str:
        """How the client order ids the SDK sets begin (`new_client_order_id`'s prefix)."""
        return self._client_id_prefix

    @client_id_prefix.setter
    def client_id_prefix(self, prefix: str) -> None:
        self._client_id_prefix = prefix
        self._client_id_head = f"{prefix}{_PROCESS_PART}x"  # new_client_order_id's, before the counter

    def prepare(self, method: Method[Any, Any], args: Mapping[str, Any]) -> Call:
        """Validate and render the arguments (raises ParamError, nothing sent)."""
        return_rate_limits = args.get(RETURN_RATE_LIMITS, msgspec.UNSET)
        if return_rate_limits is not msgspec.UNSET:
            if type(return_rate_limits) is not bool:
                raise ParamError(method.wire, "return_rate_limits", f"expected a bool, got {return_rate_limits!r:.40}")
            args = {k: v for k, v in args.items() if k != RETURN_RATE_LIMITS}
        params, plain = checked_params(method, args)
        if return_rate_limits is not msgspec.UNSET:
            params[RETURN_RATE_LIMITS] = return_rate_limits
            plain = False
        client_order_id = None
        if method.client_id_param is not None:
            client_order_id = params.get(method.client_id_param)
            if client_order_id is None:
                # Always set one: it is the handle for reconciliation if the outcome is unknown.
                client_order_id = f"{self._client_id_head}{next(_COUNTER):x}"  # new_client_order_id()
                params[method.client_id_param] = client_order_id
        if (
            self.recv_window is not None
            and method.signed
            and "recvWindow" not in params
            and method.params is not None
            and "recvWindow" in method.wire_to_python
        ):
            params["recvWindow"] = self.recv_window
        weight = method.weight
        return Call(method, params, client_order_id, weight.of(params) if weight.rules else weight.base, plain=plain)

    def frame(self, request_id: int | str, call: Call, now_ms: int, *, logged_on: bool = False) -> str:
        """The text frame for `call`, signed with a fresh timestamp if the method needs it."""
        params = call.params
        method = call.method
        if method.signed and method.signing != "session":
            params = {**params, "timestamp": now_ms}
            if not logged_on or method.signing == "always":
                key = self.key
                if key is None:
                    raise BinanceError(f"{method.wire} needs an API key: pass key=... to the client")
                params["apiKey"] = key.api_key
                params["signature"] = key.sign(signature_payload(params, plain=call.plain))
        return encode_request(request_id, method.wire, params)

    @staticmethod
    def parse(text: str | bytes) -> Frame:
        return FRAME_DECODER.decode(text)

    def outcome(self, call: Call, frame: Frame) -> Any:
        """The decoded result, or the exception to raise, for a response to `call`.

        Never reads as "did not execute" unless the server said so: a success whose
        result does not decode is `ExecutedUnreadable` for a state-changing method, and
        an answer without a status is an unknown execution status.
        """
        method = call.method
        error = frame.error
        if error is None and frame.status < 400:
            if not 200 <= frame.status < 300:
                return self._unexpected(call, frame, "the answer has no status" if not frame.status else "no result")
            try:
                if type(frame) is DecodedFrame:
                    return frame.value  # an SBE answer, built straight into the result type
                return method.decoder.decode(frame.result)
            except msgspec.ValidationError as exc:
                try:
                    return decode_with_fallbacks(frame.result, method.result)  # e.g. a new filter type
                except msgspec.ValidationError:
                    pass
                try:
                    # The API error it carries, whatever the status (referencePrice answers -2043 so).
                    error = _RESULT_ERROR.decode(frame.result)
                except msgspec.ValidationError:
                    return self._unexpected(call, frame, str(exc))
        code = error.code if error else 0
        msg = error.msg if error else ""
        data = self._typed_data(method, error.data) if error else None
        name = self.errors.names.get(code)
        if self.errors.outcome_unknown(frame.status, code):
            if not method.retry_safe:
                return UnknownExecutionStatus(
                    method=method.wire,
                    params=call.params,
                    client_order_id=call.client_order_id,
                    reason=f"status {frame.status}, code {code}" + (f" ({name})" if name else ""),
                    status=frame.status,
                    code=code,
                    msg=msg,
                )
            cls: type[ApiError] = ServerError
        else:
            cls = self.errors.error_class(frame.status, code)
        return cls(
            status=frame.status, code=code, msg=msg, method=method.wire, request_id=frame.id, data=data, name=name
        )

    @staticmethod
    def _unexpected(call: Call, frame: Frame, problem: str) -> BinanceError:
        method = call.method
        raw = bytes(frame.result).decode(errors="replace")
        if method.retry_safe:
            return UnexpectedResult(method=method.wire, status=frame.status, raw_result=raw, problem=problem)
        if not 200 <= frame.status < 300:
            return UnknownExecutionStatus(
                method=method.wire,
                params=call.params,
                client_order_id=call.client_order_id,
                reason=problem,
                status=frame.status or None,
            )
        return ExecutedUnreadable(
            method=method.wire,
            params=call.params,
            client_order_id=call.client_order_id,
            status=frame.status,
            raw_result=raw,
            problem=problem,
        )

    @staticmethod
    def _typed_data(method: Method[Any, Any], data: Any) -> Any:
        """`error.data` as the spec's type for this method, if it has one and the data fits."""
        if method.error_data is None or not isinstance(data, Mapping):
            return data  # pyright: ignore[reportUnknownVariableType]
        try:
            return convert_by_shape(data, method.error_data)
        except (msgspec.ValidationError, TypeError):
            return data  # pyright: ignore[reportUnknownVariableType] # not the documented shape (e.g. a 429's retryAfter): hand over the JSON
