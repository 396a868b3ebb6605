"""One WebSocket connection's protocol logic (sans-IO): text frame in -> text frames out.

Checks in Binance's order: JSON and envelope, method, rate limits (weight is
charged even for rejected requests; placement and cancel methods get it back when they
succeed), security (signature, timestamp), parameters, then the handler.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .auth import check_timestamp, signature_payload
from .errors import EmulatorError
from .exchange import Exchange
from .handlers import HANDLERS, Handler, Request, parse_flag
from .limits import IpLimits


@dataclass
class SessionOptions:
    return_rate_limits: bool = True
    microseconds: bool = False


@dataclass
class Session:
    exchange: Exchange
    limits: IpLimits
    options: SessionOptions = field(default_factory=SessionOptions)
    send_event: Callable[[str], None] = lambda text: None
    connected_ms: int = 0
    logged_on_key: str | None = None
    authorized_since: int | None = None
    subscriptions: dict[int, str] = field(default_factory=dict)  # id -> account
    next_subscription: int = 0
    requests_seen: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.connected_ms = self.exchange.now_ms()
        self.exchange.listeners.append(self._on_account_event)

    def close(self) -> None:
        if self._on_account_event in self.exchange.listeners:
            self.exchange.listeners.remove(self._on_account_event)

    def _on_account_event(self, account: str, event: dict[str, Any]) -> None:
        if self.options.microseconds:
            event = to_microseconds(event)
        for subscription_id, subscribed in self.subscriptions.items():
            if subscribed == account:
                self.send_event(json.dumps({"subscriptionId": subscription_id, "event": event}))

    def terminate(self, subscription_id: int) -> None:
        self.subscriptions.pop(subscription_id, None)
        event = {"e": "eventStreamTerminated", "E": self.exchange.now_ms()}
        self.send_event(json.dumps({"subscriptionId": subscription_id, "event": event}))

    # -- requests --------------------------------------------------------------------------

    def handle(self, text: str) -> str:
        """Answer one request frame (events produced meanwhile go through `send_event`)."""
        request_id: Any = None
        rate_limits: list[dict[str, Any]] | None = None
        show_limits = self.options.return_rate_limits
        try:
            try:
                message = json.loads(text)
            except (ValueError, RecursionError):
                raise EmulatorError(400, -1135, "Invalid JSON Request") from None
            if not isinstance(message, dict):
                raise EmulatorError(400, -1135, "Invalid JSON Request")
            request_id = message.get("id")
            if not (
                request_id is None
                or isinstance(request_id, int)
                or (isinstance(request_id, str) and len(request_id) <= 36)
            ):
                request_id = None
                raise EmulatorError(400, -1100, "Illegal characters found in parameter 'id'.")
            method = message.get("method")
            params = message.get("params", {})
            if not isinstance(params, dict):
                raise EmulatorError(400, -1135, "JSON sent for parameter 'params' is not valid")
            if "returnRateLimits" in params:  # signed like every other parameter: it stays in params
                show_limits = parse_flag("returnRateLimits", params["returnRateLimits"])
            if not isinstance(method, str) or method.removeprefix("v3/") not in HANDLERS:
                raise EmulatorError(
                    400,
                    -1020,
                    "Unknown method."
                    if isinstance(method, str)
                    else "Mandatory parameter 'method' was not sent, was empty/null, or malformed.",
                )
            method = method.removeprefix("v3/")
            self.requests_seen[method] = self.requests_seen.get(method, 0) + 1
            handler = HANDLERS[method]
            weight = handler.weight(params)
            now = self.exchange.now_ms()
            rate_limits = self.limits.charge(weight, now)
            account = self._authenticate(handler, params, now)
            if handler.orders:
                rate_limits = self.limits.charge_orders(account or "", handler.orders, now) + rate_limits
            result = handler.run(Request(self, self.exchange, method, params, account))
            if handler.free_on_success:
                weight_entry = self.limits.refund(weight, now)
                rate_limits = [e for e in rate_limits if e["rateLimitType"] != "REQUEST_WEIGHT"] + weight_entry
            if self.options.microseconds:
                result = to_microseconds(result, kline=method in ("klines", "uiKlines"))
            body: dict[str, Any] = {"id": request_id, "status": 200, "result": result}
        except EmulatorError as error:
            body = {"id": request_id, "status": error.status, "error": error.body()}
        if show_limits and rate_limits is not None:
            body["rateLimits"] = rate_limits
        return json.dumps(body, separators=(",", ":"))

    def _authenticate(self, handler: Handler, params: dict[str, Any], now: int) -> str | None:
        if handler.security == "NONE":
            return None
        if handler.security == "USER_STREAM_SESSION":
            if self.logged_on_key is None:
                raise EmulatorError(401, -2015, "Invalid API-key, IP, or permissions for action.")
            return self.exchange.keys[self.logged_on_key].account
        api_key = params.get("apiKey")
        signature = params.get("signature")
        always_signed = handler.name == "session.logon" or handler.security == "USER_STREAM_SIGNED"
        if api_key is None and signature is None and self.logged_on_key is not None and not always_signed:
            check_timestamp(params, now)
            return self.exchange.keys[self.logged_on_key].account
        if not isinstance(api_key, str) or not api_key:
            raise EmulatorError.mandatory("apiKey")
        if not isinstance(signature, str) or not signature:
            raise EmulatorError.mandatory("signature")
        key = self.exchange.keys.get(api_key)
        if key is None:
            raise EmulatorError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        check_timestamp(params, now)
        if not key.verify(signature_payload(params), signature):
            raise EmulatorError(400, -1022, "Signature for this request is not valid.")
        if handler.security == "TRADE" and not key.can_trade:
            raise EmulatorError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        if handler.name == "session.logon":
            if key.kind != "ed25519":
                raise EmulatorError(400, -1022, "Signature for this request is not valid.")
            self.logged_on_key = api_key
            self.authorized_since = now
        return key.account


#: Millisecond timestamps in responses and events (timeUnit=MICROSECOND multiplies them by 1000).
TIME_KEYS = frozenset(
    {
        "serverTime",
        "transactTime",
        "time",
        "updateTime",
        "workingTime",
        "closeTime",
        "openTime",
        "timestamp",
        "transactionTime",
        "authorizedSince",
        "connectedSince",
        "E",
        "T",
        "O",
        "W",
        "D",
        "trailingTime",
    }
)


def to_microseconds(value: Any, *, kline: bool = False) -> Any:
    """Convert every millisecond timestamp in a result or event to microseconds (-1 stays -1)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            time_key = key in TIME_KEYS or (key == "u" and value.get("e") == "outboundAccountPosition")
            out[key] = (
                item * 1000
                if time_key and isinstance(item, int) and not isinstance(item, bool) and item > 0
                else to_microseconds(item)
            )
        return out
    if isinstance(value, list):
        if kline:
            return [[row[0] * 1000, *row[1:6], row[6] * 1000, *row[7:]] for row in value]
        return [to_microseconds(item) for item in value]
    return value
