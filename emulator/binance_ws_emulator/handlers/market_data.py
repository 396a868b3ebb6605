"""Market data: general methods, the book, trades and klines from the books' trade history,
tickers, execution rules and reference prices."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ..average_price import average_price
from ..book import ZERO
from ..errors import EmulatorError
from ..klines import KLINE_MS, figures, open_time
from .base import Request, check_symbol_status, count_names, fmt, limit_param, method, symbol_status


@method("ping")
def ping(req: Request) -> dict[str, Any]:
    req.known()
    return {}


@method("time")
def server_time(req: Request) -> dict[str, Any]:
    req.known()
    return {"serverTime": req.exchange.now_ms()}


@method("exchangeInfo", weight=20)
def exchange_info(req: Request) -> dict[str, Any]:
    req.known("symbol", "symbols", "permissions", "showPermissionSets", "symbolStatus")
    if sum(name in req.params for name in ("symbol", "symbols", "permissions")) > 1:
        raise EmulatorError(400, -1128, "Combination of optional parameters invalid.")
    status = symbol_status(req)
    if status is not None and ("symbol" in req.params or "symbols" in req.params):
        raise EmulatorError(400, -1128, "Combination of optional parameters invalid.")
    wanted = list(req.exchange.symbols)
    if req.text("symbol") is not None:
        wanted = [req.symbol()]
    if (names := req.symbols()) is not None:
        wanted = names
    if (permissions := req.names("permissions", single=True)) is not None:
        wanted = [s for s in wanted if "SPOT" in permissions]  # every local symbol is a SPOT symbol
    if status is not None and status != "TRADING":
        wanted = []  # every local symbol is trading
    show_sets = req.flag("showPermissionSets", default=True)
    infos = [req.exchange.symbols[s].exchange_info() for s in wanted]
    if not show_sets:
        infos = [{**info, "permissionSets": []} for info in infos]
    return {
        "timezone": "UTC",
        "serverTime": req.exchange.now_ms(),
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": req.session.limits.weight_limit,
            },
            {
                "rateLimitType": "ORDERS",
                "interval": "SECOND",
                "intervalNum": 10,
                "limit": req.session.limits.orders_per_10s,
            },
            {
                "rateLimitType": "ORDERS",
                "interval": "DAY",
                "intervalNum": 1,
                "limit": req.session.limits.orders_per_day,
            },
            {"rateLimitType": "CONNECTIONS", "interval": "MINUTE", "intervalNum": 5, "limit": 300},
        ],
        "exchangeFilters": [],
        "symbols": infos,
        # SOR routes every order to its own symbol's book here: one configuration per symbol.
        "sors": [{"baseAsset": info.base, "symbols": [info.symbol]} for info in req.exchange.symbols.values()],
    }


def _depth_weight(params: dict[str, Any]) -> int:
    try:
        limit = int(params.get("limit", 100))
    except (TypeError, ValueError, OverflowError):
        return 5
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


@method("depth", weight=_depth_weight)
def depth(req: Request) -> dict[str, Any]:
    req.known("symbol", "limit", "symbolStatus")
    symbol = req.symbol()
    check_symbol_status(req)
    limit = req.integer("limit", default=100)
    assert limit is not None
    if not 1 <= limit <= 5000:
        raise EmulatorError(400, -1130, "Data sent for parameter 'limit' is not valid.")
    book = req.exchange.books[symbol]
    bids, asks = book.depth(limit)
    return {"lastUpdateId": book.update_id, "bids": bids, "asks": asks}


def _symbols(req: Request, *, required: bool = False) -> tuple[list[str], bool]:
    """(symbols, single): from `symbol` or `symbols`, all symbols when neither (unless required);
    `symbolStatus` keeps those with that status (a single symbol that has another: -1220)."""
    if "symbol" in req.params and "symbols" in req.params:
        raise EmulatorError(400, -1128, "Combination of optional parameters invalid.")
    status = symbol_status(req)
    trading = status is None or status == "TRADING"  # every local symbol is trading
    if "symbol" in req.params:
        symbol = req.symbol()
        if not trading:
            raise EmulatorError(400, -1220, "The symbol's status does not match the requested symbolStatus.")
        return [symbol], True
    names = req.symbols()
    if names is not None:
        return (names if trading else []), False
    if required:
        raise EmulatorError(400, -1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!")
    return (list(req.exchange.symbols) if trading else []), False


def _trades(req: Request, symbol: str) -> list[Any]:
    return req.exchange.books[symbol].trades


def _trade(t: Any) -> dict[str, Any]:
    return {
        "id": t.trade_id,
        "price": fmt(t.price),
        "qty": fmt(t.qty),
        "quoteQty": fmt(t.price * t.qty),
        "time": t.time_ms,
        "isBuyerMaker": t.is_buyer_maker,
        "isBestMatch": True,
    }


@method("trades.recent", weight=25)
def trades_recent(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "limit")
    symbol = req.symbol()
    return [_trade(t) for t in _trades(req, symbol)[-limit_param(req) :]]


@method("trades.historical", weight=25)
def trades_historical(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "fromId", "limit")
    symbol = req.symbol()
    limit = limit_param(req)
    from_id = req.integer("fromId")
    trades = _trades(req, symbol)
    if from_id is None:
        return [_trade(t) for t in trades[-limit:]]
    return [_trade(t) for t in trades if t.trade_id >= from_id][:limit]


@method("blockTrades.historical", weight=25)
def block_trades(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "fromId", "limit")
    req.symbol()
    req.integer("fromId", required=True)
    limit_param(req)
    return []  # no block trades happen on the local exchange


@method("trades.aggregate", weight=4)
def trades_aggregate(req: Request) -> list[dict[str, Any]]:
    req.known("symbol", "fromId", "startTime", "endTime", "limit")
    symbol = req.symbol()
    limit = limit_param(req)
    from_id, start, end = req.integer("fromId"), req.integer("startTime"), req.integer("endTime")
    if from_id is not None and (start is not None or end is not None):
        raise EmulatorError(400, -1128, "Combination of optional parameters invalid.")
    rows = [
        {
            "a": t.trade_id,
            "p": fmt(t.price),
            "q": fmt(t.qty),
            "f": t.trade_id,
            "l": t.trade_id,
            "T": t.time_ms,
            "m": t.is_buyer_maker,
            "M": True,
        }
        for t in _trades(req, symbol)
        if (from_id is None or t.trade_id >= from_id)
        and (start is None or t.time_ms >= start)
        and (end is None or t.time_ms <= end)
    ]
    return rows[:limit] if from_id is not None or start is not None else rows[-limit:]


TIME_ZONE = re.compile(r"([+-]?)(\d{1,2})(?::(\d{2}))?")
DAY_MS = 86_400_000


def _time_zone(req: Request) -> int:
    """`timeZone` as an offset from UTC in ms: hours (`8`, `-5`) or hours and minutes (`05:45`,
    `-1:00`), within [-12:00, +14:00]; default 0."""
    text = req.text("timeZone")
    if text is None:
        return 0
    match = TIME_ZONE.fullmatch(text)
    invalid = EmulatorError(400, -1130, "Data sent for parameter 'timeZone' is not valid.")
    if match is None:
        raise invalid
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    offset = (hours * 60 + minutes) * (-1 if sign == "-" else 1)
    if minutes >= 60 or not -12 * 60 <= offset <= 14 * 60:
        raise invalid
    return offset * 60_000


WINDOW = re.compile(r"([1-9][0-9]?)([mhd])")
WINDOW_LIMITS = {"m": (59, 60_000), "h": (23, 3_600_000), "d": (7, DAY_MS)}


def _window(req: Request) -> int:
    """`windowSize` in ms: 1m..59m, 1h..23h, 1d..7d (default 1d)."""
    text = req.text("windowSize")
    if text is None:
        return DAY_MS
    match = WINDOW.fullmatch(text)
    if match is None or int(match.group(1)) > WINDOW_LIMITS[match.group(2)][0]:
        raise EmulatorError(400, -1130, "Data sent for parameter 'windowSize' is not valid.")
    return int(match.group(1)) * WINDOW_LIMITS[match.group(2)][1]


def _klines(req: Request) -> list[list[Any]]:
    req.known("symbol", "interval", "startTime", "endTime", "timeZone", "limit")
    symbol = req.symbol()
    interval = req.text("interval", required=True)
    if interval not in KLINE_MS:
        raise EmulatorError(400, -1120, "Invalid interval.")
    width = KLINE_MS[interval]
    limit = limit_param(req)
    offset = _time_zone(req)  # intervals start at the zone's boundaries; start/end stay UTC
    start, end = req.integer("startTime"), req.integer("endTime")
    buckets: dict[int, list[Any]] = {}
    for t in _trades(req, symbol):
        if (start is not None and t.time_ms < start) or (end is not None and t.time_ms > end):
            continue
        buckets.setdefault(open_time(t.time_ms, width, offset), []).append(t)
    rows = []
    for opened in sorted(buckets):
        k = figures(buckets[opened])
        rows.append(
            [
                opened,
                fmt(k.open),
                fmt(k.high),
                fmt(k.low),
                fmt(k.close),
                fmt(k.volume),
                opened + width - 1,
                fmt(k.quote_volume),
                k.trades,
                fmt(k.taker_buy_volume),
                fmt(k.taker_buy_quote_volume),
                "0",
            ]
        )
    return rows[-limit:]


method("klines", weight=2)(_klines)


method("uiKlines", weight=2)(_klines)


def _last(req: Request, symbol: str) -> Decimal:
    return req.exchange.books[symbol].last_price() or req.exchange.symbols[symbol].mid


@method("avgPrice", weight=2)
def avg_price(req: Request) -> dict[str, Any]:
    req.known("symbol")
    symbol = req.symbol()
    avg = average_price(_trades(req, symbol), req.exchange.now_ms(), req.exchange.symbols[symbol].mid)
    return {"mins": avg.mins, "price": fmt(avg.price), "closeTime": avg.close_time}


def _ticker(req: Request, symbol: str, full: bool, day: bool, window: tuple[int, int] | None = None) -> dict[str, Any]:
    """Price change statistics over the trades between `window`'s open and close times
    (default: the last 24 hours)."""
    book = req.exchange.books[symbol]
    now = req.exchange.now_ms()
    open_time, close_time = window or (now - DAY_MS, now)
    trades = [t for t in book.trades if open_time <= t.time_ms <= close_time]
    last = _last(req, symbol)
    k = figures(trades, last)  # the close is the book's last price, not the window's
    first, volume, quote = k.open, k.volume, k.quote_volume
    row: dict[str, Any] = {"symbol": symbol}
    if full:
        change = last - first
        row.update(
            {
                "priceChange": fmt(change),
                "priceChangePercent": f"{(change / first * 100 if first else ZERO):.3f}",
                "weightedAvgPrice": fmt(quote / volume if volume else last),
            }
        )
        if day:
            best_bid, best_ask = book.best_bid() or ZERO, book.best_ask() or ZERO
            row.update(
                {
                    "prevClosePrice": fmt(first),
                    "lastQty": fmt(trades[-1].qty if trades else ZERO),
                    "bidPrice": fmt(best_bid),
                    "bidQty": fmt(sum((o.remaining for o in book.bids.get(best_bid, [])), ZERO)),
                    "askPrice": fmt(best_ask),
                    "askQty": fmt(sum((o.remaining for o in book.asks.get(best_ask, [])), ZERO)),
                }
            )
    row.update(
        {
            "openPrice": fmt(first),
            "highPrice": fmt(k.high),
            "lowPrice": fmt(k.low),
            "lastPrice": fmt(last),
            "volume": fmt(volume),
            "quoteVolume": fmt(quote),
            "openTime": open_time,
            "closeTime": close_time,
            "firstId": trades[0].trade_id if trades else -1,
            "lastId": trades[-1].trade_id if trades else -1,
            "count": len(trades),
        }
    )
    return row


def _ticker_type(req: Request) -> bool:
    return req.enum("type", ("FULL", "MINI"), -1139, "Invalid ticker type.") != "MINI"


def _count_weight(params: dict[str, Any], per: int, cap: int) -> int:
    count = count_names(params, "symbols")
    return min(per * count, cap) if count is not None else per


def _ticker_24hr_weight(params: dict[str, Any]) -> int:
    if "symbol" in params:
        return 2
    count = count_names(params, "symbols")
    return 80 if count is None else 2 if count <= 20 else 40 if count <= 100 else 80


@method("ticker.24hr", weight=_ticker_24hr_weight)
def ticker_24hr(req: Request) -> Any:
    req.known("symbol", "symbols", "type", "symbolStatus")
    symbols, single = _symbols(req)
    full = _ticker_type(req)
    rows = [_ticker(req, s, full, True) for s in symbols]
    return rows[0] if single else rows


@method("ticker.tradingDay", weight=lambda p: _count_weight(p, 4, 200))
def ticker_trading_day(req: Request) -> Any:
    req.known("symbol", "symbols", "timeZone", "type", "symbolStatus")
    symbols, single = _symbols(req, required=True)
    full = _ticker_type(req)
    offset = _time_zone(req)
    now = req.exchange.now_ms()
    day_start = now - (now + offset) % DAY_MS  # the trading day in that time zone
    rows = [_ticker(req, s, full, False, (day_start, day_start + DAY_MS - 1)) for s in symbols]
    return rows[0] if single else rows


@method("ticker", weight=lambda p: _count_weight(p, 4, 200))
def ticker_window(req: Request) -> Any:
    req.known("symbol", "symbols", "type", "windowSize", "symbolStatus")
    symbols, single = _symbols(req, required=True)
    full = _ticker_type(req)
    size = _window(req)
    now = req.exchange.now_ms()
    opened = (now - size) // 60_000 * 60_000  # the docs: openTime starts on a minute boundary
    rows = [_ticker(req, s, full, False, (opened, now)) for s in symbols]
    return rows[0] if single else rows


@method("ticker.price", weight=lambda p: 2 if "symbol" in p else 4)
def ticker_price(req: Request) -> Any:
    req.known("symbol", "symbols", "symbolStatus")
    symbols, single = _symbols(req)
    rows = [{"symbol": s, "price": fmt(_last(req, s))} for s in symbols]
    return rows[0] if single else rows


@method("ticker.book", weight=lambda p: 2 if "symbol" in p else 4)
def ticker_book(req: Request) -> Any:
    req.known("symbol", "symbols", "symbolStatus")
    symbols, single = _symbols(req)
    rows = []
    for s in symbols:
        book = req.exchange.books[s]
        bid, ask = book.best_bid() or ZERO, book.best_ask() or ZERO
        rows.append(
            {
                "symbol": s,
                "bidPrice": fmt(bid),
                "bidQty": fmt(sum((o.remaining for o in book.bids.get(bid, [])), ZERO)),
                "askPrice": fmt(ask),
                "askQty": fmt(sum((o.remaining for o in book.asks.get(ask, [])), ZERO)),
            }
        )
    return rows[0] if single else rows


@method("executionRules", weight=lambda p: 2 if "symbol" in p else _count_weight(p, 2, 40) if "symbols" in p else 40)
def execution_rules(req: Request) -> dict[str, Any]:
    req.known("symbol", "symbols", "symbolStatus")
    symbols, _ = _symbols(req)
    return {
        "symbolRules": [
            {
                "symbol": s,
                "rules": [
                    {
                        "ruleType": "PRICE_RANGE",
                        "bidLimitMultUp": "1.10000000",
                        "bidLimitMultDown": "0.90000000",
                        "askLimitMultUp": "1.10000000",
                        "askLimitMultDown": "0.90000000",
                    }
                ],
            }
            for s in symbols
        ]
    }


@method("referencePrice", weight=2)
def reference_price(req: Request) -> dict[str, Any]:
    req.known("symbol")
    symbol = req.symbol()
    if not req.exchange.symbols[symbol].has_reference_price:
        # The docs' "never set" example: status 200, the error object as the result.
        return {"code": -2043, "msg": "This symbol doesn't have a reference price."}
    return {"symbol": symbol, "referencePrice": fmt(_last(req, symbol)), "timestamp": req.exchange.now_ms()}


@method("referencePrice.calculation", weight=2)
def reference_price_calculation(req: Request) -> dict[str, Any]:
    req.known("symbol", "symbolStatus")
    symbol = req.symbol()
    check_symbol_status(req)
    return {"symbol": symbol, "calculationType": "ARITHMETIC_MEAN", "bucketCount": 10, "bucketWidthMs": 1000}
