"""The client side of the Binance WebSocket API, with no I/O.

`Protocol.prepare()` validates a call, `Protocol.frame()` signs and encodes it,
`Protocol.parse()` reads any server frame and `Protocol.outcome()` turns a
response into a result or the right exception. Time is passed in; the shells
(`_async`, `_sync`) only move text and wake waiters.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from .errors import ApiError, BinanceError, ErrorTable, ServerError, UnknownExecutionStatus
from .method import Method
from .signing import Signer
from .wire import FRAME_DECODER, Frame, encode_request, format_decimal, signature_payload, wire_params

# Unique without a random draw per order: a random per-process part plus a counter.
_PROCESS_PART = secrets.token_hex(6)
_COUNTER = itertools.count(1)


def new_client_order_id(prefix: str = "bws") -> str:
    """A unique client order id, e.g. `bws5f2c9a0e41d7x1b` (Binance allows 36 characters)."""
    return f"{prefix}{_PROCESS_PART}x{next(_COUNTER):x}"


@dataclass(slots=True)
class Call:
    """A validated call: wire parameters (unsigned), ready to be framed (again, on retry)."""

    method: Method[Any, Any]
    params: dict[str, Any]
    client_order_id: str | None
    weight: int


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
        self.client_id_prefix = client_id_prefix

    def prepare(self, method: Method[Any, Any], args: Mapping[str, Any]) -> Call:
        """Validate and render the arguments (raises ParamError, nothing sent)."""
        params = wire_params(method, args)
        client_order_id = None
        if method.client_id_param is not None:
            client_order_id = params.get(method.client_id_param)
            if client_order_id is None:
                # Always set one: it is the handle for reconciliation if the outcome is unknown.
                client_order_id = new_client_order_id(self.client_id_prefix)
                params[method.client_id_param] = client_order_id
        if (
            method.security.signed
            and self.recv_window is not None
            and "recvWindow" not in params
            and method.params is not None
            and "recvWindow" in method.wire_to_python
        ):
            params["recvWindow"] = self.recv_window
        return Call(method, params, client_order_id, method.weight.of(params))

    def frame(self, request_id: int | str, call: Call, now_ms: int, *, logged_on: bool = False) -> str:
        """The text frame for `call`, signed with a fresh timestamp if the method needs it."""
        params = call.params
        method = call.method
        if method.security.signed and method.signing != "session":
            params = {**params, "timestamp": now_ms}
            if not logged_on or method.signing == "always":
                if self.key is None:
                    raise BinanceError(f"{method.wire} needs an API key: pass key=... to the client")
                params["apiKey"] = self.key.api_key
                params["signature"] = self.key.sign(signature_payload(params))
        return encode_request(request_id, method.wire, params)

    @staticmethod
    def parse(text: str | bytes) -> Frame:
        return FRAME_DECODER.decode(text)

    def outcome(self, call: Call, frame: Frame) -> Any:
        """The decoded result, or the exception to raise, for a response to `call`."""
        method = call.method
        error = frame.error
        if error is None and frame.status < 400:
            try:
                return method.decoder.decode(frame.result)
            except msgspec.ValidationError as exc:
                return BinanceError(f"{method.wire}: unexpected result shape: {exc}")
        code = error.code if error else 0
        msg = error.msg if error else ""
        data = error.data if error else None
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
