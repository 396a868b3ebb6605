"""User-data stream: log on with Ed25519, subscribe, trade, and consume typed events in order."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from _local import endpoint
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from binance_spot_ws import AsyncClient, Ed25519Key, StreamGap, types
from binance_ws_emulator import Emulator


async def main(url: str, exchange: Emulator) -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    exchange.register_key("stream-key", "ed25519", account="stream", public_key_pem=pem)
    async with AsyncClient(url=url, key=Ed25519Key("stream-key", private)) as client:
        await client.session_logon()  # signed calls now go without apiKey/signature
        await client.user_data_stream_subscribe()  # resubscribed by the SDK after any reconnect
        events = client.user_data()
        await client.order_place(symbol="ETHUSDT", side="BUY", type="MARKET", quantity=Decimal("0.5"))
        exchange.deposit("stream", "USDT", "100")
        seen: list[str] = []
        while "BalanceUpdate" not in seen:
            event = await asyncio.wait_for(anext(events), 5)
            match event:
                case types.ExecutionReport(execution_type=kind, order_status=status, last_executed_quantity=qty):
                    print(f"executionReport {kind} -> {status} (last fill {qty:f})")
                case types.OutboundAccountPosition(balances=balances):
                    print("balances:", {b.asset: str(b.free) for b in balances})
                case types.BalanceUpdate(asset=asset, delta=delta):
                    print(f"balanceUpdate {asset} {delta:+}")
                case StreamGap(reason=reason):
                    print(f"gap ({reason}): re-query account_status() and open_orders_status()")
                case _:  # list status, external lock, an event type the spec does not know (UnknownEvent)...
                    print("other event:", type(event).__name__)
            seen.append(type(event).__name__)
        print("OK user data")


if __name__ == "__main__":
    with endpoint(__doc__ or "") as (url, exchange):
        if exchange is None:
            raise SystemExit("this example registers its own key: run it without --url")
        asyncio.run(main(url, exchange))
