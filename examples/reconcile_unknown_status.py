"""Reconciliation: the connection drops while an order is in flight; find out what happened.

The SDK never resends an order blindly. It raises UnknownExecutionStatus carrying the
client order id it set, and you query the order by that id.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from _local import endpoint

from binance_spot_ws import AsyncClient, BadRequest, HmacKey, UnknownExecutionStatus
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator


async def place_or_reconcile(client: AsyncClient) -> None:
    try:
        order = await client.order_place(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            price=Decimal("35000.00"),
            quantity=Decimal("0.001"),
        )
        print(f"placed {order.order_id}")
    except UnknownExecutionStatus as unknown:
        print(f"outcome unknown ({unknown.reason}); client order id {unknown.client_order_id}")
        try:
            found = await client.order_status(symbol="BTCUSDT", orig_client_order_id=unknown.client_order_id)
            print(f"reconciled: the order exists, order id {found.order_id}, status {found.status}")
        except BadRequest as missing:
            if missing.code != -2013:
                raise
            print("reconciled: the order was never placed; safe to place it again")


async def main(url: str, exchange: Emulator) -> None:
    async with AsyncClient(url=url, key=HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)) as client:
        exchange.faults.drop_after_requests = 1
        exchange.faults.drop_after_execute = True  # executed, then the socket is cut before the answer
        await place_or_reconcile(client)
        exchange.faults.drop_after_requests = 1
        exchange.faults.drop_after_execute = False  # cut before it executed
        await place_or_reconcile(client)
        print(f"order.place requests that reached the exchange: {exchange.requests['order.place']} (never duplicated)")
        print("OK reconciliation")


if __name__ == "__main__":
    with endpoint(__doc__ or "") as (url, exchange):
        if exchange is None:
            raise SystemExit("this example injects faults into the local exchange: run it without --url")
        asyncio.run(main(url, exchange))
