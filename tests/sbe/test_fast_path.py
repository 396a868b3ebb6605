"""The numeric fast path: market data as columns of int64 mantissas, over JSON and over SBE."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import numpy as np
import pytest

from binance_spot_ws import AsyncClient, Client, Ed25519Key
from binance_ws.fast import Column, depth_from_sbe
from binance_ws_emulator import Emulator, sbe_encode

SYMBOL = "BTCUSDT"


@pytest.mark.parametrize("response_format", ["json", "sbe"])
async def test_columns_hold_the_same_values_as_the_typed_results(
    emulator: Emulator, ed25519_key: Ed25519Key, response_format: str
) -> None:
    emulator.market_trade(SYMBOL, "BUY", Decimal("0.01"))
    emulator.market_trade(SYMBOL, "SELL", Decimal("0.02"))
    async with AsyncClient(url=emulator.url, key=ed25519_key, timeout=5, response_format=response_format) as client:  # type: ignore[arg-type]
        book = await client.depth(symbol=SYMBOL, limit=50)
        columns = await client.depth_columns(symbol=SYMBOL, limit=50)
        assert columns.last_update_id == book.last_update_id
        assert list(columns.bid_prices) == [level.price for level in book.bids]
        assert list(columns.bid_qtys) == [level.qty for level in book.bids]
        assert list(columns.ask_prices) == [level.price for level in book.asks]
        assert list(columns.ask_qtys) == [level.qty for level in book.asks]
        assert columns.bid_prices.exponent is not None and columns.bid_prices.exponent < 0

        klines = await client.klines(symbol=SYMBOL, interval="1m")
        kc = await client.klines_columns(symbol=SYMBOL, interval="1m")
        assert list(kc.closes) == [k.close for k in klines]
        assert list(kc.volumes) == [k.volume for k in klines]
        scale = 1000 if kc.time_unit_us else 1
        assert [t // scale for t in kc.open_times] == [k.open_time for k in klines]

        trades = await client.trades_recent(symbol=SYMBOL)
        tc = await client.trades_columns(symbol=SYMBOL)
        assert len(trades) >= 2
        assert list(tc.ids) == [t.id for t in trades]
        assert list(tc.prices) == [t.price for t in trades]
        assert list(tc.qtys) == [t.qty for t in trades]
        assert [bool(b) for b in tc.buyer_is_maker] == [t.is_buyer_maker for t in trades]
    if response_format == "sbe":
        assert emulator.binary_answers == 6


def test_blocking_client_columns() -> None:
    with Emulator(seed=3) as running, Client(url=running.url, timeout=5, response_format="sbe") as client:
        columns = client.depth_columns(symbol=SYMBOL, limit=5)
        assert list(columns.bid_prices) == [level.price for level in client.depth(symbol=SYMBOL, limit=5).bids]


def test_sbe_columns_view_the_frame_without_copying() -> None:
    answer = {"lastUpdateId": 5, "bids": [["1.5", "2"], ["1.4", "3"]], "asks": [["1.6", "0.25"]]}
    message = sbe_encode.message(answer, [200])
    columns = depth_from_sbe(message)
    assert columns.bid_prices.buffer.obj is message  # a view into the received bytes
    assert columns.bid_prices.mantissas() == [15, 14] and columns.bid_prices.exponent == -1
    assert columns.ask_qtys[0] == Decimal("0.25")
    assert columns.bid_qtys[-1] == Decimal(3)
    with pytest.raises(IndexError):
        columns.ask_prices[1]


def test_numpy_view() -> None:
    answer = {"lastUpdateId": 5, "bids": [["1.5", "2"], ["1.4", "3"]], "asks": []}
    columns = depth_from_sbe(sbe_encode.message(answer, [200]))
    assert np.asarray(columns.bid_prices.to_numpy()).tolist() == [15, 14]
    assert isinstance(columns.ask_prices, Column) and len(columns.ask_prices) == 0


async def test_columns_of_a_bad_symbol_raise_the_api_error(emulator: Emulator) -> None:
    from binance_spot_ws import BadRequest

    async with AsyncClient(url=emulator.url, timeout=5, response_format="sbe") as client:
        with pytest.raises(BadRequest):
            await client.depth_columns(symbol="NOPE")
        await asyncio.sleep(0)


def _decimals(array: object, exponent: int | None) -> list[Decimal]:
    values = np.asarray(array).tolist()
    return [Decimal(v) if exponent is None else Decimal(v).scaleb(exponent) for v in values]


def _views(column: Column) -> bool:
    """Whether `column.to_numpy()` shares the column's memory (nothing copied)."""
    array = column.to_numpy()
    whole = np.frombuffer(column.buffer, dtype=np.uint8)
    return not array.flags.owndata and (len(column) == 0 or bool(np.shares_memory(array, whole)))


@pytest.mark.parametrize("response_format", ["json", "sbe"])
async def test_numpy_views_hold_the_typed_results_values(
    emulator: Emulator, ed25519_key: Ed25519Key, response_format: str
) -> None:
    """`to_numpy()` of depth, klines and trades columns over the socket: the mantissas scaled by
    the column's exponent are the Decimals of the typed results, read without a copy."""
    emulator.market_trade(SYMBOL, "BUY", Decimal("0.01"))
    emulator.market_trade(SYMBOL, "SELL", Decimal("0.03"))
    async with AsyncClient(url=emulator.url, key=ed25519_key, timeout=5, response_format=response_format) as client:  # type: ignore[arg-type]
        book = await client.depth(symbol=SYMBOL, limit=20)
        columns = await client.depth_columns(symbol=SYMBOL, limit=20)
        assert len(book.bids) > 1 and len(book.asks) > 1
        for column, levels, part in (
            (columns.bid_prices, book.bids, "price"),
            (columns.bid_qtys, book.bids, "qty"),
            (columns.ask_prices, book.asks, "price"),
            (columns.ask_qtys, book.asks, "qty"),
        ):
            assert column.to_numpy().dtype == np.dtype("<i8")
            assert _decimals(column.to_numpy(), column.exponent) == [getattr(level, part) for level in levels]
            assert _views(column)

        klines = await client.klines(symbol=SYMBOL, interval="1m")
        kc = await client.klines_columns(symbol=SYMBOL, interval="1m")
        assert klines
        for column, values in (
            (kc.opens, [k.open for k in klines]),
            (kc.highs, [k.high for k in klines]),
            (kc.lows, [k.low for k in klines]),
            (kc.closes, [k.close for k in klines]),
            (kc.trade_counts, [Decimal(k.trade_count) for k in klines]),
        ):
            assert _decimals(column.to_numpy(), column.exponent) == values
            assert _views(column)
        scale = 1000 if kc.time_unit_us else 1
        assert (kc.open_times.to_numpy() // scale).tolist() == [k.open_time for k in klines]
        if response_format == "sbe":  # 128-bit volumes: no int64 view (the mantissas are there)
            with pytest.raises(TypeError, match="128-bit"):
                kc.volumes.to_numpy()
        else:
            assert _decimals(kc.volumes.to_numpy(), kc.volumes.exponent) == [k.volume for k in klines]

        trades = await client.trades_recent(symbol=SYMBOL)
        tc = await client.trades_columns(symbol=SYMBOL)
        assert len(trades) >= 2
        for column, values in (
            (tc.ids, [Decimal(t.id) for t in trades]),
            (tc.prices, [t.price for t in trades]),
            (tc.qtys, [t.qty for t in trades]),
            (tc.quote_qtys, [t.quote_qty for t in trades]),
        ):
            assert _decimals(column.to_numpy(), column.exponent) == values
            assert _views(column)
        assert (tc.times.to_numpy() // (1000 if tc.time_unit_us else 1)).tolist() == [t.time for t in trades]
        assert tc.buyer_is_maker.to_numpy().astype(bool).tolist() == [t.is_buyer_maker for t in trades]
        assert _views(tc.buyer_is_maker)
