"""A user's script, checked with mypy --strict and pyright strict (tests/typing/test_user_typing.py), and run.

No casts, no `# type: ignore`, no UNSET narrowing of fields that are always there: what a strict
user writes against the SDK must type-check as it stands.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from binance_spot_ws import (
    AsyncClient,
    BadRequest,
    Client,
    ErrorCode,
    HmacKey,
    ParamError,
    RequestInfo,
    StreamGap,
    UnknownEvent,
    asdict,
    types,
)
from binance_ws_emulator import DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET, Emulator

KEY = HmacKey(DOCS_HMAC_API_KEY, DOCS_HMAC_SECRET)
calls: list[tuple[str, str, float]] = []


def on_request(info: RequestInfo) -> None:
    calls.append((info.method, info.outcome, info.latency))


async def market_data(client: AsyncClient) -> Decimal:
    one = await client.ticker_price(symbol="BTCUSDT")
    price: Decimal = one.price  # one symbol: one ticker
    many = await client.ticker_price(symbols=["BTCUSDT", "ETHUSDT"])
    prices: dict[str, Decimal] = {ticker.symbol: ticker.price for ticker in many}  # several: a list
    every = await client.ticker_price()  # neither: every symbol, a list
    book = await client.ticker_book(symbol="BTCUSDT")
    spread: Decimal = book.ask_price - book.bid_price
    day = await client.ticker_24hr(symbols=["BTCUSDT"])
    volumes = [ticker.volume for ticker in day]
    depth = await client.depth(symbol="BTCUSDT", limit=5)
    best_bid: Decimal = depth.bids[0].price
    mine = types.Balance(asset="BTC", free=Decimal("1.5"), locked=Decimal("2"))  # money from Decimals
    notional: Decimal = mine.free + mine.locked
    level: dict[str, Any] = asdict(depth.bids[0])  # money as Decimal (msgspec.structs.asdict: the text)
    print(notional, level["price"] == best_bid)
    info = await client.exchange_info(symbol="BTCUSDT")
    step = Decimal(0)
    for rule in info.symbols[0].filters:
        if isinstance(rule, types.LotSizeFilter):
            step = rule.step_size
        elif isinstance(rule, types.PriceFilter):
            print("tick", rule.tick_size)
        elif isinstance(rule, types.UnknownFilter):
            print("a filter type this SDK does not know:", rule.type, rule.raw)
    precision: int = info.symbols[0].base_asset_precision
    print(prices, len(every), spread, volumes, best_bid, step, precision)
    return price


async def trading(client: AsyncClient) -> int:
    account = await client.account_status()
    maker: int = account.maker_commission  # always present: required, no UNSET
    free = {balance.asset: balance.free for balance in account.balances}
    await client.user_data_stream_subscribe_signature()
    order = await client.order_place(
        symbol="BTCUSDT", side=types.Side.BUY, type=types.OrderType.MARKET, quantity=Decimal("0.001")
    )
    filled: bool = order.status == types.OrderStatus.FILLED.value
    placed_at: int = order.transact_time
    try:
        await client.order_cancel(symbol="BTCUSDT", order_id=order.order_id)
    except BadRequest as error:
        if error.code != ErrorCode.CANCEL_REJECTED:
            raise
    try:
        await client.order_place(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("-1"))
    except ParamError as error:
        print("refused before sending:", error.param, error.problem)
    except BadRequest as error:
        print("rejected:", error.code, error.msg)
    print(maker, free, filled, placed_at)
    async for event in client.user_data():
        if isinstance(event, StreamGap):
            print("events may be missing:", event.reason)  # re-query balances and open orders
            continue
        if isinstance(event, UnknownEvent):
            print("new event type", event.type)
            continue
        if isinstance(event, types.ExecutionReport):
            order_id: int = event.order_id
            return order_id
    return -1


def blocking(url: str) -> Decimal:
    with Client(url=url, key=KEY, timeout=5.0, on_request=on_request) as client:
        ticker = client.ticker_price(symbol="ETHUSDT")
        tickers = client.ticker_book(symbols=["BTCUSDT", "ETHUSDT"])
        asks: list[Decimal] = [book.ask_price for book in tickers]
        client.user_data_stream_subscribe_signature()
        client.order_place(symbol="ETHUSDT", side="BUY", type="MARKET", quote_order_qty=Decimal("100"))
        event = client.next_event(timeout=5.0)
        if isinstance(event, types.ExecutionReport):
            print("order", event.order_id, event.execution_type)
        print(asks)
        return ticker.price


async def main() -> None:
    async with Emulator(seed=1) as exchange:
        async with AsyncClient(url=exchange.url, key=KEY, on_request=on_request) as client:
            print("BTCUSDT", await market_data(client))
            print("order", await trading(client))
        print("ETHUSDT", await asyncio.to_thread(blocking, exchange.url))
    print(len(calls), "calls")


if __name__ == "__main__":
    asyncio.run(main())
