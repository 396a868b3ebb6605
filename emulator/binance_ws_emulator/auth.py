"""API keys registered on the emulator and signature / timestamp checks, as Binance documents them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from .errors import EmulatorError

KeyKind = Literal["hmac", "rsa", "ed25519"]

#: The illustrative HMAC key published in the Binance docs (its signatures are the test vectors).
DOCS_HMAC_API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
DOCS_HMAC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"


@dataclass(slots=True)
class ApiKey:
    api_key: str
    kind: KeyKind
    account: str
    secret: bytes = b""
    public_key: Any = None
    can_trade: bool = True

    def __repr__(self) -> str:
        return f"ApiKey({self.api_key[:6]}…, {self.kind}, account={self.account!r})"

    def verify(self, payload: bytes, signature: str) -> bool:
        if self.kind == "hmac":
            expected = hmac.new(self.secret, payload, hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, signature.lower())  # hex is case-insensitive
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            return False
        try:
            if self.kind == "rsa":
                self.public_key.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
            else:
                self.public_key.verify(raw, payload)
        except InvalidSignature:
            return False
        return True


def make_key(
    api_key: str, kind: KeyKind, *, account: str, secret: str | bytes = b"", public_key_pem: bytes | str = b""
) -> ApiKey:
    if kind == "hmac":
        return ApiKey(api_key, kind, account, secret=secret.encode() if isinstance(secret, str) else secret)
    pem = public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem
    public = serialization.load_pem_public_key(pem)
    if kind == "rsa" and not isinstance(public, RSAPublicKey):
        raise ValueError("expected an RSA public key")
    if kind == "ed25519" and not isinstance(public, Ed25519PublicKey):
        raise ValueError("expected an Ed25519 public key")
    return ApiKey(api_key, kind, account, public_key=public)


def payload_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        import json

        return json.dumps(value, separators=(",", ":"))
    return str(value)


def signature_payload(params: Mapping[str, Any]) -> bytes:
    """Binance WS API: every param but `signature`, sorted, key=value joined by '&', UTF-8."""
    return "&".join(f"{k}={payload_value(params[k])}" for k in sorted(params) if k != "signature").encode()


def check_timestamp(params: Mapping[str, Any], now_ms: int) -> None:
    """`timestamp` and `recvWindow` rules (-1021 / -1102)."""
    raw_ts = params.get("timestamp")
    if raw_ts is None or raw_ts == "":
        raise EmulatorError.mandatory("timestamp")
    if isinstance(raw_ts, bool) or not isinstance(raw_ts, int | str) or not re.fullmatch(r"[0-9]{1,20}", str(raw_ts)):
        raise EmulatorError(
            400, -1100, "Illegal characters found in parameter 'timestamp'; legal range is '^[0-9]{1,20}$'."
        )
    timestamp = int(raw_ts)
    if timestamp > 10**14:  # microseconds are allowed too
        timestamp //= 1000
    recv_window = Decimal(5000)
    if "recvWindow" in params:
        raw = params["recvWindow"]
        text = str(raw) if not isinstance(raw, bool) and isinstance(raw, int | float | str) else ""
        # up to three decimal places (microsecond precision), never NaN, Infinity or an exponent
        if not re.fullmatch(r"[0-9]{1,20}(\.[0-9]{1,3})?", text):
            raise EmulatorError(400, -1100, "Illegal characters found in parameter 'recvWindow'.")
        recv_window = Decimal(text)
        if recv_window > 60000:
            raise EmulatorError(400, -1102, "'recvWindow' contains unexpected value. Cannot be greater than 60000.")
    if timestamp >= now_ms + 1000:
        raise EmulatorError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if now_ms - timestamp > recv_window:
        raise EmulatorError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
