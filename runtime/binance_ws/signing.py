"""API keys and request signing: HMAC-SHA256 (hex), RSA PKCS#1 v1.5 SHA-256 and Ed25519 (base64).

Keys keep their secret out of `repr`, `str`, logs and exceptions: only a prefix of
the (public) API key is ever shown. `cryptography` is imported only when an RSA or
Ed25519 key is loaded or used (importing it costs tens of milliseconds).
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

if sys.version_info >= (3, 11):
    from typing import Self
else:  # pragma: no cover
    from typing_extensions import Self


@runtime_checkable
class Signer(Protocol):
    """What the runtime needs from a key."""

    @property
    def api_key(self) -> str: ...

    def sign(self, payload: bytes) -> str: ...


_BLOCK = 64  # SHA-256 block size, bytes
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def _masked(api_key: str) -> str:
    return f"{api_key[:6]}…" if len(api_key) > 6 else "…"


class HmacKey:
    """An HMAC-SHA256 API key (secret key string from Binance)."""

    __slots__ = ("_api_key", "_inner", "_outer")

    def __init__(self, api_key: str, secret: str | bytes) -> None:
        self._api_key = api_key
        # HMAC (RFC 2104) keyed once: the inner and outer SHA-256 states after the padded key.
        # Each signature continues copies of them: no key schedule and no `hmac.HMAC` wrapper
        # per request. Only these hash states hold the secret (never the secret itself).
        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_IPAD))
        self._outer = hashlib.sha256(key.translate(_OPAD))

    @property
    def api_key(self) -> str:
        return self._api_key

    def sign(self, payload: bytes) -> str:
        inner = self._inner.copy()
        inner.update(payload)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def __repr__(self) -> str:
        return f"HmacKey(api_key='{_masked(self._api_key)}')"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:  # never pickle a secret by accident
        raise TypeError("keys cannot be pickled")


def _load_pem(pem: bytes | str, password: bytes | str | None) -> object:
    from cryptography.hazmat.primitives import serialization

    data = pem.encode() if isinstance(pem, str) else pem
    secret = password.encode() if isinstance(password, str) else password
    try:
        return serialization.load_pem_private_key(data, secret)
    except (ValueError, TypeError) as exc:
        # The cryptography message never contains key material, but keep ours generic.
        raise ValueError(f"cannot load private key: {type(exc).__name__}") from None


def _rsa_type() -> type[Any]:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    return RSAPrivateKey


def _ed25519_type() -> type[Any]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey


class _PrivateKey:
    """An API key backed by a private key (PEM, optionally encrypted)."""

    __slots__ = ("_api_key", "_key")
    _label: str

    @staticmethod
    def _kind() -> type[Any]:
        raise NotImplementedError

    def __init__(self, api_key: str, private_key: Any) -> None:
        self._api_key = api_key
        self._key = private_key

    @classmethod
    def from_pem(cls, pem: bytes | str, *, api_key: str, password: bytes | str | None = None) -> Self:
        key = _load_pem(pem, password)
        if not isinstance(key, cls._kind()):
            raise TypeError(f"expected an {cls._label} private key")
        return cls(api_key, key)

    @classmethod
    def from_pem_file(cls, path: str | os.PathLike[str], *, api_key: str, password: bytes | str | None = None) -> Self:
        return cls.from_pem(Path(path).read_bytes(), api_key=api_key, password=password)

    @property
    def api_key(self) -> str:
        return self._api_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_key='{_masked(self._api_key)}')"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("keys cannot be pickled")


class RsaKey(_PrivateKey):
    """An RSA API key: signs with RSASSA-PKCS1-v1_5 / SHA-256, base64 output."""

    __slots__ = ()
    _label = "RSA"

    @staticmethod
    def _kind() -> type[Any]:
        return _rsa_type()

    def sign(self, payload: bytes) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        signature = self._key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()


class Ed25519Key(_PrivateKey):
    """An Ed25519 API key (the only type Binance accepts for `session.logon`)."""

    __slots__ = ()
    _label = "Ed25519"

    @staticmethod
    def _kind() -> type[Any]:
        return _ed25519_type()

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(self._key.sign(payload)).decode()


Key = HmacKey | RsaKey | Ed25519Key


def key_from_pem(pem: bytes | str, *, api_key: str, password: bytes | str | None = None) -> RsaKey | Ed25519Key:
    """Load an RSA or Ed25519 key, whichever the PEM holds."""
    key = _load_pem(pem, password)
    if isinstance(key, _ed25519_type()):
        return Ed25519Key(api_key, key)
    if isinstance(key, _rsa_type()):
        return RsaKey(api_key, key)
    raise TypeError("expected an RSA or Ed25519 private key")


def key_from_env(prefix: str = "BINANCE") -> Key:
    """A key from the environment.

    `{prefix}_API_KEY` plus either `{prefix}_API_SECRET` (HMAC) or
    `{prefix}_PRIVATE_KEY_PATH` / `{prefix}_PRIVATE_KEY` (PEM text; RSA or Ed25519),
    with an optional `{prefix}_PRIVATE_KEY_PASSPHRASE`.
    """
    env = os.environ
    api_key = env.get(f"{prefix}_API_KEY")
    if not api_key:
        raise KeyError(f"{prefix}_API_KEY is not set")
    if secret := env.get(f"{prefix}_API_SECRET"):
        return HmacKey(api_key, secret)
    password = env.get(f"{prefix}_PRIVATE_KEY_PASSPHRASE")
    if path := env.get(f"{prefix}_PRIVATE_KEY_PATH"):
        return key_from_pem(Path(path).read_bytes(), api_key=api_key, password=password)
    if pem := env.get(f"{prefix}_PRIVATE_KEY"):
        return key_from_pem(pem, api_key=api_key, password=password)
    raise KeyError(f"set {prefix}_API_SECRET, {prefix}_PRIVATE_KEY_PATH or {prefix}_PRIVATE_KEY")
