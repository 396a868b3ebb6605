"""Market data: order book, klines, tickers, many requests in flight on one connection."""

from __future__ import annotations

import asyncio

from _local import endpoint

from binance_spot_ws import AsyncClient


async def main(url: str) -> None:
    async with AsyncClient(url=url) as client:
        book = await client.depth(symbol="BTCUSDT", limit=5)
        spread = book.asks[0].price - book.bids[0].price
        print(f"BTCUSDT spread {spread} (bid {book.bids[0].price}, ask {book.asks[0].price})")
        for kline in await client.klines(symbol="BTCUSDT", interval="1m", limit=3):
            print(f"kline {kline.open_time}: open {kline.open} close {kline.close} volume {kline.volume}")
        prices = await client.ticker_price(symbols=["BTCUSDT", "ETHUSDT"])
        assert isinstance(prices, list)
        print("prices:", {p.symbol: str(p.price) for p in prices})
        books = await asyncio.gather(*(client.ticker_book(symbol=s) for s in ("BTCUSDT", "ETHUSDT", "ETHBTC")))
        print("best bids:", [str(b.bid_price) for b in books if not isinstance(b, list)])
        print("OK market data")


if __name__ == "__main__":
    with endpoint(__doc__ or "") as (url, _):
        asyncio.run(main(url))
