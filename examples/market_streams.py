"""Market-data streams: trades, a kline, the best bid and ask, live subscribe and unsubscribe.

Runs against an embedded local exchange whose market moves by itself, or pass
`--stream-url wss://stream.binance.com:9443` (or STREAM_TESTNET's URL) to listen to Binance.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Iterator

from binance_spot_ws import MarketStreams, StreamGap, stream_types
from binance_ws_emulator import Emulator


async def main(stream_url: str) -> None:
    async with MarketStreams(url=stream_url) as streams:
        trades = streams.trade("BTCUSDT")
        async for trade in trades:
            if isinstance(trade, StreamGap):  # events may be missing here (reconnect, overflow)
                continue
            print(f"trade {trade.trade_id}: {trade.quantity} BTC at {trade.price} USDT")
            break
        async with streams.book_ticker("BTCUSDT") as best:  # unsubscribed when the block ends
            ticker = await best.next()
            assert isinstance(ticker, stream_types.BookTicker)
            print(
                f"best bid {ticker.bid_price} x {ticker.bid_quantity}, ask {ticker.ask_price} x {ticker.ask_quantity}"
            )
        kline = await streams.kline("BTCUSDT", "1s").next()
        assert isinstance(kline, stream_types.KlineEvent)
        print(
            f"kline {kline.kline.interval} from {kline.kline.start_time}: close {kline.kline.close}, {kline.kline.trade_count} trades"
        )
        print("listening to:", await streams.list_subscriptions())
        print("OK market streams")


@contextlib.contextmanager
def stream_endpoint() -> Iterator[str]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stream-url", help="a stream server (default: an embedded local exchange)")
    args = parser.parse_args()
    if args.stream_url:
        yield args.stream_url
        return
    with Emulator(seed=11, ticker_interval=0.05) as exchange:
        yield exchange.stream_url


if __name__ == "__main__":
    with stream_endpoint() as url:
        asyncio.run(main(url))
