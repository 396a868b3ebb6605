"""Opt-in: the SDK against the real Binance Spot testnet.

Runs only when testnet keys are in the environment, e.g. (Ed25519, needed for logon):

    BINANCE_TESTNET_API_KEY=... BINANCE_TESTNET_PRIVATE_KEY_PATH=ed25519.pem nox -s tests -- -m testnet tests/testnet

HMAC keys (BINANCE_TESTNET_API_SECRET) work too; logon is then skipped.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest

from binance_spot_ws import TESTNET, AsyncClient, Ed25519Key, key_from_env

pytestmark = [
    pytest.mark.testnet,
    pytest.mark.skipif(
        not os.environ.get("BINANCE_TESTNET_API_KEY"), reason="no BINANCE_TESTNET_API_KEY in the environment"
    ),
]


async def test_logon_signed_query_and_place_cancel_round_trip() -> None:
    key = key_from_env("BINANCE_TESTNET")
    async with AsyncClient(url=os.environ.get("BINANCE_TESTNET_URL", TESTNET), key=key, sync_clock=True) as client:
        if isinstance(key, Ed25519Key):
            status = await client.session_logon()
            assert status.api_key == key.api_key
        account = await client.account_status(omit_zero_balances=True)
        assert account.can_trade
        book = await client.depth(symbol="BTCUSDT", limit=5)
        far_below = (book.bids[-1].price * Decimal("0.8")).quantize(Decimal("0.01"))
        order = await client.order_place(
            symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC", price=far_below, quantity=Decimal("0.001")
        )
        try:
            found = await client.order_status(symbol="BTCUSDT", orig_client_order_id=order.client_order_id)
            assert found.order_id == order.order_id
        finally:
            canceled = await client.order_cancel(symbol="BTCUSDT", order_id=order.order_id)
        assert canceled.status == "CANCELED"
