"""Place and cancel an order with each key type: HMAC, RSA and Ed25519 (keys registered on the local exchange)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from _local import endpoint
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from binance_spot_ws import AsyncClient, Ed25519Key, HmacKey, RsaKey
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator


def keys(exchange: Emulator) -> list[HmacKey | RsaKey | Ed25519Key]:
    rsa_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_private = ed25519.Ed25519PrivateKey.generate()
    for name, private, kind in (("example-rsa", rsa_private, "rsa"), ("example-ed25519", ed_private, "ed25519")):
        pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        exchange.register_key(name, kind, account=name, public_key_pem=pem)  # type: ignore[arg-type]
    # In real use: RsaKey.from_pem_file("rsa.pem", api_key=...), Ed25519Key.from_pem_file(...), key_from_env("BINANCE").
    return [
        HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET),
        RsaKey("example-rsa", rsa_private),
        Ed25519Key("example-ed25519", ed_private),
    ]


async def main(url: str, exchange: Emulator) -> None:
    for key in keys(exchange):
        async with AsyncClient(url=url, key=key) as client:
            order = await client.order_place(
                symbol="BTCUSDT",
                side="BUY",
                type="LIMIT",
                time_in_force="GTC",
                price=Decimal("30000.00"),
                quantity=Decimal("0.001"),
            )
            canceled = await client.order_cancel(symbol="BTCUSDT", order_id=order.order_id)
            print(f"{type(key).__name__}: placed {order.order_id} ({order.status}), then {canceled.status}")
    print("OK each key type")


if __name__ == "__main__":
    with endpoint(__doc__ or "") as (url, exchange):
        if exchange is None:
            raise SystemExit("this example registers its own keys: run it without --url")
        asyncio.run(main(url, exchange))
