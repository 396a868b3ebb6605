"""A local order book kept from the diff-depth stream, as Binance documents it.

Buffers `btcusdt@depth@100ms`, takes a snapshot with the WebSocket API's `depth`, then applies
every update, starting again on any gap. Runs against an embedded local exchange whose market
moves by itself, or pass `--url` and `--stream-url` for Binance (e.g. the testnet).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Iterator

from binance_spot_ws import AsyncClient, BookUpdate, MarketStreams, OrderBook, StreamGap
from binance_ws_emulator import Emulator


async def main(url: str, stream_url: str) -> None:
    async with MarketStreams(url=stream_url) as streams, AsyncClient(url=url) as client:
        async with OrderBook(streams, client, "BTCUSDT", limit=1000) as book:
            await book.synced(timeout=30)
            print(f"synced at update {book.update_id}: best bid {book.best_bid()}, best ask {book.best_ask()}")
            changes = 0
            async for update in book.updates():
                if isinstance(update, StreamGap):
                    print("resyncing:", update.reason)
                    continue
                assert isinstance(update, BookUpdate)
                changes += len(update.bids) + len(update.asks)
                if changes >= 20:
                    break
            print(f"{changes} level changes applied; top of book:")
            for (bid, bid_qty), (ask, ask_qty) in zip(book.bids(3), book.asks(3), strict=False):
                print(f"  {bid_qty:>12} @ {bid:<14} | {ask:<14} @ {ask_qty}")
            print("OK local order book")


@contextlib.contextmanager
def endpoints() -> Iterator[tuple[str, str]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="a WebSocket API endpoint (default: an embedded local exchange)")
    parser.add_argument("--stream-url", help="its stream server")
    args = parser.parse_args()
    if args.url and args.stream_url:
        yield args.url, args.stream_url
        return
    with Emulator(seed=11, ticker_interval=0.05) as exchange:
        yield exchange.url, exchange.stream_url


if __name__ == "__main__":
    with endpoints() as (api, streams):
        asyncio.run(main(api, streams))
