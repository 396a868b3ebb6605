"""Signature payloads and signatures, byte for byte against the Binance docs' worked examples."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import given
from hypothesis import strategies as st

from binance_spot_ws import Ed25519Key, HmacKey, RsaKey, key_from_env
from binance_ws import format_decimal, signature_payload
from binance_ws.wire import payload_value

API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

ORDER_1 = {
    "symbol": "BTCUSDT",
    "side": "SELL",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.01000000",
    "price": "52000.00",
    "recvWindow": 100,
    "timestamp": 1645423376532,
    "apiKey": API_KEY,
}
ORDER_2 = {
    **ORDER_1,
    "symbol": "１２３４５６",
    "side": "BUY",
    "quantity": "1.00000000",
    "price": "0.10000000",
    "recvWindow": 5000,
}

# (params, payload, signature) from ../shared/reference/binance-ws-api.md §2.5.1
VECTORS = [
    (
        ORDER_1,
        "apiKey="
        + API_KEY
        + "&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT",
        "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24",
    ),
    (
        ORDER_2,
        "apiKey="
        + API_KEY
        + "&price=0.10000000&quantity=1.00000000&recvWindow=5000&side=BUY&symbol=１２３４５６&timeInForce=GTC&timestamp=1645423376532&type=LIMIT",
        "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd",
    ),
    ({**ORDER_1, "newOrderRespType": "ACK"}, None, "cc15477742bd704c29492d96c7ead9414dfd8e0ec4a00f947bb5bb454ddbd08a"),
    (
        {"apiKey": API_KEY, "timestamp": 1649729878532},
        None,
        "1cf54395b336b0a9727ef27d5d98987962bc47aca6e13fe978612d0adee066ed",
    ),
    (
        {
            "apiKey": API_KEY,
            "price": "23416.10000000",
            "quantity": "0.00847000",
            "side": "SELL",
            "symbol": "BTCUSDT",
            "timeInForce": "GTC",
            "timestamp": 1660801715431,
            "type": "LIMIT",
        },
        None,
        "15af09e41c36f3cc61378c2fbe2c33719a03dd5eba8d0f9206fbda44de717c88",
    ),
    (
        {
            "apiKey": API_KEY,
            "origClientOrderId": "4d96324ff9d44481926157",
            "symbol": "BTCUSDT",
            "timestamp": 1660801715830,
        },
        None,
        "33d5b721f278ae17a52f004a82a6f68a70c68e7dd6776ed0be77a455ab855282",
    ),
    (
        {
            "apiKey": API_KEY,
            "cancelOrigClientOrderId": "4d96324ff9d44481926157",
            "cancelReplaceMode": "ALLOW_FAILURE",
            "price": "23416.10000000",
            "quantity": "0.00847000",
            "side": "SELL",
            "symbol": "BTCUSDT",
            "timeInForce": "GTC",
            "timestamp": 1660813156900,
            "type": "LIMIT",
        },
        None,
        "7028fdc187868754d25e42c37ccfa5ba2bab1d180ad55d4c3a7e2de643943dc5",
    ),
    (
        {"apiKey": API_KEY, "symbol": "BTCUSDT", "timestamp": 1660805557200},
        None,
        "773f01b6e3c2c9e0c1d217bc043ce383c1ddd6f0e25f8d6070f2b66a6ceaf3a5",
    ),
    (
        {
            "apiKey": API_KEY,
            "newOrderRespType": "RESULT",
            "price": "23420.00000000",
            "quantity": "0.00650000",
            "side": "SELL",
            "stopLimitPrice": "23405.00000000",
            "stopLimitTimeInForce": "GTC",
            "stopPrice": "23410.00000000",
            "symbol": "BTCUSDT",
            "timestamp": 1660801713767,
        },
        None,
        "6689c2a36a639ff3915c2904871709990ab65f3c7a9ff13857558fd350315c35",
    ),
    (
        {"apiKey": API_KEY, "timestamp": 1660801839480},
        None,
        "83303b4a136ac1371795f465808367242685a9e3a42b22edb4d977d0696eb45c",
    ),
    (
        {"apiKey": API_KEY, "orderId": 12569099453, "symbol": "BTCUSDT", "timestamp": 1660801720951},
        None,
        "2c3aab5a078ee4ea465ecd95523b77289f61476c2f238ec10c55ea6cb11a6f35",
    ),
    (
        {"apiKey": API_KEY, "symbol": "BTCUSDT", "timestamp": 1660813156812},
        None,
        "d632b3fdb8a81dd44f82c7c901833309dd714fe508772a89b0a35b0ee0c48b89",
    ),
    (
        {
            "apiKey": API_KEY,
            "endTime": 1660867200000,
            "limit": 5,
            "startTime": 1660780800000,
            "symbol": "BTCUSDT",
            "timestamp": 1661955123341,
        },
        None,
        "f50a972ba7fad92842187643f6b930802d4e20bce1ba1e788e856e811577bd42",
    ),
    (
        {"apiKey": API_KEY, "timestamp": 1660801713831},
        None,
        "1bea8b157dd78c3da30359bddcd999e4049749fe50b828e620e12f64e8b433c9",
    ),
    (
        {
            "apiKey": API_KEY,
            "endTime": 1660867200000,
            "limit": 5,
            "startTime": 1660780800000,
            "timestamp": 1661955123341,
        },
        None,
        "c8e1484db4a4a02d0e84dfa627eb9b8298f07ebf12fcc4eaf86e4a565b2712c2",
    ),
    (
        {
            "apiKey": API_KEY,
            "endTime": 1660867200000,
            "startTime": 1660780800000,
            "symbol": "BTCUSDT",
            "timestamp": 1661955125250,
        },
        None,
        "c5a5ffb79fd4f2e10a92f895d488943a57954edf5933bde3338dfb6ea6d6eefc",
    ),
    (
        {"apiKey": API_KEY, "timestamp": 1660801839500},
        None,
        "76289424d6e288f4dc47d167ac824e859dabf78736f4348abbbac848d719eb94",
    ),
]


@pytest.mark.parametrize(("params", "payload", "signature"), VECTORS)
def test_docs_hmac_vectors(params: dict[str, object], payload: str | None, signature: str) -> None:
    built = signature_payload({**params, "signature": "ignored"})
    if payload is not None:
        assert built == payload.encode()
    assert HmacKey(API_KEY, SECRET).sign(built) == signature


def test_one_key_signs_every_vector_in_any_order() -> None:
    """The key is scheduled once and each signature starts from a copy: signing never carries
    state from one request into the next."""
    key = HmacKey(API_KEY, SECRET.encode())
    payloads = [(signature_payload({**params, "signature": "x"}), signature) for params, _, signature in VECTORS]
    for built, signature in [*payloads, *reversed(payloads), *payloads]:
        assert key.sign(built) == signature


@pytest.mark.parametrize("length", [0, 1, 32, 63, 64, 65, 100, 200])
@given(payload=st.binary(max_size=300))
def test_hmac_matches_the_standard_library_for_any_key_length(length: int, payload: bytes) -> None:
    """The docs' secret is 64 bytes (one SHA-256 block); shorter keys are padded and longer
    ones hashed first, as RFC 2104 says."""
    secret = bytes(range(256))[-length:] if length else b""
    expected = hmac.new(secret, payload, hashlib.sha256).hexdigest()
    assert HmacKey("k", secret).sign(payload) == expected
    assert (
        HmacKey("k", secret.decode("latin-1")).sign(payload)
        == hmac.new(secret.decode("latin-1").encode(), payload, hashlib.sha256).hexdigest()
    )


def test_percent_encoded_payload_differs() -> None:
    """The docs sign raw UTF-8, not percent-encoding (a bug in some connectors)."""
    built = signature_payload(ORDER_2)
    assert b"%EF" not in built and "１２３４５６".encode() in built


def test_rsa_and_ed25519_sign_verifiably() -> None:
    payload = signature_payload(ORDER_1)
    rsa_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signature = base64.b64decode(RsaKey("k", rsa_private).sign(payload))
    assert len(signature) == 256
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    rsa_private.public_key().verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
    ed_private = ed25519.Ed25519PrivateKey.generate()
    ed_signature = Ed25519Key("k", ed_private).sign(payload)
    assert len(ed_signature) == 88
    ed_private.public_key().verify(base64.b64decode(ed_signature), payload)


def test_encrypted_pem_and_env_loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"s3cret")
    )
    path = tmp_path / "key.pem"
    path.write_bytes(pem)
    key = Ed25519Key.from_pem_file(path, api_key="abc", password="s3cret")
    payload = b"x=1"
    private.public_key().verify(base64.b64decode(key.sign(payload)), payload)
    with pytest.raises(ValueError, match="cannot load private key"):
        Ed25519Key.from_pem_file(path, api_key="abc", password="wrong")
    monkeypatch.setenv("TEST_API_KEY", "abc")
    monkeypatch.setenv("TEST_PRIVATE_KEY_PATH", str(path))
    monkeypatch.setenv("TEST_PRIVATE_KEY_PASSPHRASE", "s3cret")
    assert isinstance(key_from_env("TEST"), Ed25519Key)
    monkeypatch.setenv("TEST_API_SECRET", SECRET)
    assert isinstance(key_from_env("TEST"), HmacKey)


def test_secrets_never_in_repr_or_pickle() -> None:
    key = HmacKey(API_KEY, SECRET)
    for text in (repr(key), str(key), f"{key}", repr([key])):
        assert SECRET not in text and API_KEY not in text
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(key)
    private = ed25519.Ed25519PrivateKey.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert raw.hex() not in repr(Ed25519Key("abcdefgh", private))


@given(
    st.dictionaries(
        st.from_regex(r"[a-zA-Z]{1,12}", fullmatch=True),
        st.one_of(
            st.text(st.characters(blacklist_characters="&=", blacklist_categories=("Cs",)), max_size=20),
            st.integers(),
            st.booleans(),
        ),
        max_size=8,
    )
)
def test_payload_is_sorted_complete_and_excludes_signature(params: dict[str, object]) -> None:
    built = signature_payload({**params, "signature": "zzz"}).decode()
    pairs = built.split("&") if params else []
    assert [p.split("=", 1)[0] for p in pairs] == sorted(params)
    for pair, key in zip(pairs, sorted(params), strict=True):
        assert pair == f"{key}={payload_value(params[key])}"
    assert "signature=" not in built or "signature" in params


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=0, max_value=10**12, places=12))
def test_decimals_are_sent_in_plain_notation(value: Decimal) -> None:
    text = format_decimal(value)
    assert "E" not in text.upper()
    assert Decimal(text) == value


def test_known_decimal_renderings() -> None:
    assert format_decimal(Decimal("1E-8")) == "0.00000001"
    assert format_decimal(Decimal("0.01000000")) == "0.01000000"  # trailing zeros kept: they are signed as sent
    assert format_decimal(Decimal("1E+3")) == "1000"
    assert os.sep  # keep the import list honest


@given(
    st.dictionaries(
        st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ%", min_size=1, max_size=12),
        st.one_of(st.integers(), st.text(max_size=20)),
        min_size=1,
        max_size=12,
    )
)
def test_the_plain_payload_is_the_general_one(params: dict[str, object]) -> None:
    # The plain path keeps one template per parameter shape: every shape, every value, any order.
    params.pop("signature", None)
    if params:
        expected = signature_payload(params)
        assert signature_payload(params, plain=True) == expected
        reordered = dict(reversed(list(params.items())))
        assert signature_payload(reordered, plain=True) == expected  # a shape of its own, the same payload
        assert signature_payload(params, plain=True) == expected  # and the cached one again
