"""The exchange state every conformance test starts from, and the keys the clients sign with.

Each test gets a fresh local exchange (a real server on 127.0.0.1, in its own thread) seeded
over the WebSocket API so that every method has something to act on and should succeed:
a deposit, a resting order, a filled order (trades, commission), an open OCO list, an amended
order, a prevented self-trade and an SOR order (an allocation).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from binance_spot_ws import AsyncClient, HmacKey
from binance_ws_emulator import Emulator

ACCOUNT = "alice"
SYMBOL = "BTCUSDT"
KeyType = Literal["hmac", "ed25519", "rsa"]
KEY_TYPES: tuple[KeyType, ...] = ("hmac", "ed25519", "rsa")

_SEED_KEY = HmacKey("conformance-seed-key", "conformance-seed-secret")
_RSA_PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # one per run: generating is slow


@dataclass(frozen=True)
class Credentials:
    """One API key of `ACCOUNT`, in the forms the clients take."""

    kind: KeyType
    api_key: str
    secret: str = ""  # HMAC
    private_pem: str = ""  # RSA / Ed25519, PKCS#8 PEM
    private_key: Any = None  # the cryptography object (for this project's SDK)


def register_key(exchange: Emulator, kind: KeyType) -> Credentials:
    api_key = f"conformance-{kind}-key"
    if kind == "hmac":
        secret = f"conformance-{kind}-secret"
        exchange.register_key(api_key, "hmac", account=ACCOUNT, secret=secret)
        return Credentials(kind, api_key, secret=secret)
    private = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else _RSA_PRIVATE
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    exchange.register_key(api_key, kind, account=ACCOUNT, public_key_pem=public_pem)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return Credentials(kind, api_key, private_pem=private_pem, private_key=private)


@dataclass(frozen=True)
class World:
    """Ids of what was seeded; every value a check compares against."""

    url: str
    resting_id: int  # BUY LIMIT 0.002 @ 45000, GTC, NEW
    resting_client_id: str
    filled_id: int  # BUY MARKET 0.01, FILLED (trades, commission)
    oco_list_id: int  # SELL OCO 0.001: LIMIT_MAKER @ 61000 / STOP_LOSS @ 39000, EXECUTING
    oco_order_ids: tuple[int, int]
    amended_id: int  # BUY LIMIT 0.002 @ 44000 amended down to 0.001
    prevented_taker_id: int  # BUY LIMIT that met our own SELL: taker expired (EXPIRE_TAKER)
    prevented_match_id: int
    sor_id: int  # SOR BUY MARKET 0.001 (one allocation)


#: The symbol of the docs' non-ASCII signing example (six full-width digits): signed as raw UTF-8.
DOCS_NON_ASCII_SYMBOL = "\uff11\uff12\uff13\uff14\uff15\uff16"
RESTING_PRICE = Decimal("45000")
RESTING_QTY = Decimal("0.002")


async def seed(exchange: Emulator) -> World:
    exchange.register_key(_SEED_KEY.api_key, "hmac", account=ACCOUNT, secret="conformance-seed-secret")
    exchange.deposit(ACCOUNT, "USDT", "5000")
    exchange.deposit(ACCOUNT, "BNB", "-100")  # a zero balance, for omitZeroBalances
    async with AsyncClient(url=exchange.url, key=_SEED_KEY, timeout=5) as client:
        resting = await client.order_place(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            price=RESTING_PRICE,
            quantity=RESTING_QTY,
            new_client_order_id="conformance-resting",
        )
        filled = await client.order_place(symbol=SYMBOL, side="BUY", type="MARKET", quantity=Decimal("0.01"))
        oco = await client.order_list_place_oco(
            symbol=SYMBOL,
            side="SELL",
            quantity=Decimal("0.001"),
            above_type="LIMIT_MAKER",
            above_price=Decimal("61000"),
            below_type="STOP_LOSS",
            below_stop_price=Decimal("39000"),
        )
        amended = await client.order_place(
            symbol=SYMBOL, side="BUY", type="LIMIT", time_in_force="GTC", price=Decimal("44000"), quantity=RESTING_QTY
        )
        await client.order_amend_keep_priority(symbol=SYMBOL, order_id=amended.order_id, new_qty=Decimal("0.001"))
        await client.order_place(  # our own best ask, then a buy that would meet it
            symbol=SYMBOL, side="SELL", type="LIMIT_MAKER", price=Decimal("50000.05"), quantity=Decimal("0.001")
        )
        taker = await client.order_place(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            price=Decimal("50000.05"),
            quantity=Decimal("0.001"),
            self_trade_prevention_mode="EXPIRE_TAKER",
        )
        prevented = await client.my_prevented_matches(symbol=SYMBOL, order_id=taker.order_id)
        sor = await client.sor_order_place(symbol=SYMBOL, side="BUY", type="MARKET", quantity=Decimal("0.001"))
    assert resting.status == "NEW" and filled.status == "FILLED" and taker.status == "EXPIRED_IN_MATCH", (
        resting,
        filled,
        taker,
    )
    assert prevented, "seeding: the self-trade was not prevented"
    return World(
        url=exchange.url,
        resting_id=resting.order_id,
        resting_client_id=resting.client_order_id,
        filled_id=filled.order_id,
        oco_list_id=oco.order_list_id,
        oco_order_ids=(oco.orders[0].order_id, oco.orders[1].order_id),
        amended_id=amended.order_id,
        prevented_taker_id=taker.order_id,
        prevented_match_id=prevented[0].prevented_match_id,
        sor_id=sor[0].order_id,
    )
