"""The seam for market-data streams: every trade and every change of a price level, as it
happens, to whoever watches (nothing does yet; klines and tickers derive from the trades).

    class Printer:
        def on_trade(self, symbol, trade): print(symbol, trade.price, trade.qty)
        def on_book_change(self, symbol, side, price, book): print(symbol, side, price, book.update_id)

    exchange.market.observers.append(Printer())
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from .book import Book, Trade


class MarketObserver(Protocol):
    def on_trade(self, symbol: str, trade: Trade) -> None:
        """A trade happened (it is already the book's last trade)."""

    def on_book_change(self, symbol: str, side: str, price: Decimal, book: Book) -> None:
        """The quantity at `price` on `side` ("BUY": bids, "SELL": asks) changed (0: level gone);
        `book.update_id` has moved on."""


class MarketObservers:
    """Fans the books' trade and level-change callbacks out to the observers."""

    def __init__(self) -> None:
        self.observers: list[MarketObserver] = []

    def watch(self, book: Book) -> Book:
        book.on_trade = self._trade
        book.on_change = self._change
        return book

    def _trade(self, book: Book, trade: Trade) -> None:
        for observer in list(self.observers):
            observer.on_trade(book.symbol, trade)

    def _change(self, book: Book, side: str, price: Decimal) -> None:
        for observer in list(self.observers):
            observer.on_book_change(book.symbol, side, price, book)
