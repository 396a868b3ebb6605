"""Shared fixtures: a fresh local exchange per test, keys registered on it, clients."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from binance_spot_ws import AsyncClient, Ed25519Key, HmacKey, RsaKey
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite the generator's golden files")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(seed=1) as running:
        yield running


@pytest.fixture
def hmac_key() -> HmacKey:
    return HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)


def _public_pem(private: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def ed25519_key(emulator: Emulator) -> Ed25519Key:
    private = ed25519.Ed25519PrivateKey.generate()
    emulator.register_key("ed25519-test-key", "ed25519", account="alice", public_key_pem=_public_pem(private))
    return Ed25519Key("ed25519-test-key", private)


@pytest.fixture
def rsa_key(emulator: Emulator) -> RsaKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    emulator.register_key("rsa-test-key", "rsa", account="bob", public_key_pem=_public_pem(private))
    return RsaKey("rsa-test-key", private)


@pytest.fixture(params=["httpx-ws", "websockets", "picows"])
async def client(request: pytest.FixtureRequest, emulator: Emulator, hmac_key: HmacKey) -> AsyncIterator[AsyncClient]:
    """A connected client, once per transport (picows is skipped where it is not installed)."""
    if request.param == "picows":
        pytest.importorskip("picows")
    async with AsyncClient(url=emulator.url, key=hmac_key, timeout=5, transport=request.param) as connected:
        yield connected
