"""Demo: start the local exchange, connect, call market data and a signed order.place.

nox -s demo        (or: pip install -e . && python examples/demo.py)
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from binance_spot_ws import AsyncClient, HmacKey, UnknownExecutionStatus
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator


async def main() -> None:
    async with Emulator(seed=7) as exchange:
        print(f"local exchange listening on {exchange.url}")
        key = HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)  # the illustrative key from the Binance docs
        print(f"key: {key!r}  (the secret never appears in reprs, logs or errors)")
        async with AsyncClient(url=exchange.url, key=key) as client:
            await client.ping()
            server_time = await client.time()
            print(f"server time: {server_time.server_time}")

            info = await client.exchange_info(symbols=["BTCUSDT", "ETHUSDT"])
            for symbol in info.symbols:
                print(f"symbol {symbol.symbol}: {symbol.base_asset}/{symbol.quote_asset} status {symbol.status}")

            book = await client.depth(symbol="BTCUSDT", limit=5)
            print(
                "best bid",
                book.bids[0].price,
                "x",
                book.bids[0].qty,
                "| best ask",
                book.asks[0].price,
                "x",
                book.asks[0].qty,
            )

            # Several requests in flight on one connection, each answered to its own caller.
            prices = await asyncio.gather(*(client.avg_price(symbol=s) for s in ("BTCUSDT", "ETHUSDT", "ETHBTC")))
            for symbol, price in zip(("BTCUSDT", "ETHUSDT", "ETHBTC"), prices, strict=True):
                print(f"average price {symbol}: {price.price}")

            # A signed LIMIT order that rests on the book ...
            try:
                resting = await client.order_place(
                    symbol="BTCUSDT",
                    side="BUY",
                    type="LIMIT",
                    time_in_force="GTC",
                    price=Decimal("49000.00"),
                    quantity=Decimal("0.002"),
                )
            except UnknownExecutionStatus as unknown:  # reconcile by the client order id the runtime always sets
                print("outcome unknown; query it:", unknown.client_order_id)
                raise
            print(f"LIMIT order {resting.order_id} ({resting.client_order_id}): {resting.status}")

            # ... and a MARKET order that fills against the seeded book.
            filled = await client.order_place(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.01"))
            print(f"MARKET order {filled.order_id}: {filled.status}, executed {filled.executed_qty}")
            for fill in filled.fills or []:
                print(f"  fill {fill.qty} @ {fill.price}")

            status = await client.order_status(symbol="BTCUSDT", order_id=resting.order_id)
            print(f"order.status {status.order_id}: {status.status}")
            canceled = await client.order_cancel(symbol="BTCUSDT", order_id=resting.order_id)
            print(f"order.cancel {canceled.order_id}: {canceled.status}")

            print("rate-limit usage:", client.rate_limiter.usage())


if __name__ == "__main__":
    asyncio.run(main())
