"""Method handlers: parameter validation with Binance's codes, then the exchange."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .book import MAX_ICEBERG_PARTS, MAX_TRAILING_DELTA, MIN_TRAILING_DELTA, STOP_TYPES, Order
from .errors import EmulatorError

if TYPE_CHECKING:
    from .exchange import Exchange
    from .session import Session

#: Parameters every method takes besides its own: the security ones and returnRateLimits.
SIGNED = frozenset({"apiKey", "signature", "timestamp", "recvWindow", "returnRateLimits"})


@dataclass
class Request:
    session: Session
    exchange: Exchange
    method: str
    params: dict[str, Any]
    account: str | None

    def known(self, *names: str) -> None:
        """-1103 for parameters the method does not take (catches client bugs)."""
        allowed = set(names) | SIGNED
        for name in self.params:
            if name not in allowed:
                raise EmulatorError(400, -1103, f"An unknown parameter was sent: '{name}'.")

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise EmulatorError.mandatory(name)
            return None
        if not isinstance(value, str):
            raise EmulatorError.illegal(name)
        if name.endswith("ClientOrderId") and not CLIENT_ORDER_ID.fullmatch(value):
            raise EmulatorError(
                400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{CLIENT_ORDER_ID_RANGE}'."
            )
        return value

    def integer(self, name: str, *, required: bool = False, default: int | None = None) -> int | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise EmulatorError.mandatory(name)
            return default
        if isinstance(value, bool) or not isinstance(value, int | str) or not re.fullmatch(r"-?\d{1,19}", str(value)):
            raise EmulatorError(
                400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'."
            )
        return int(value)

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        """A DECIMAL parameter: digits with an optional fraction, as a JSON string or number
        (never NaN, Infinity or an exponent: -1100 with the range Binance quotes)."""
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise EmulatorError.mandatory(name)
            return None
        text = str(value) if not isinstance(value, bool) and isinstance(value, int | float | str) else ""
        if not DECIMAL.fullmatch(text):
            raise EmulatorError(
                400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{DECIMAL_RANGE}'."
            )
        if text.startswith("-"):
            raise EmulatorError(400, -1100, f"Illegal characters found in parameter '{name}'.")
        return Decimal(text)

    def flag(self, name: str, *, default: bool = False) -> bool:
        """A BOOLEAN parameter: a JSON boolean or the strings "true" / "false"."""
        value = self.params.get(name)
        return default if value is None or value == "" else parse_flag(name, value)

    def names(self, name: str, *, single: bool = False) -> list[str] | None:
        """An ARRAY of STRING parameter: a JSON array, or a JSON array in a string (the official
        SDK's encoding of every list, and the REST form); `single`: one bare name is allowed too."""
        value = self.params.get(name)
        if value is None or value == "":
            return None
        names = parse_names(value)
        if names is None and single and isinstance(value, str) and NAME.fullmatch(value):
            names = [value]
        if names is None or not names or not all(NAME.fullmatch(n) for n in names):
            raise EmulatorError(
                400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{NAMES_RANGE}'."
            )
        return names

    def symbols(self) -> list[str] | None:
        """The `symbols` list: each one known (-1121), none twice (-1151)."""
        names = self.names("symbols")
        if names is None:
            return None
        if len(set(names)) != len(names):
            raise EmulatorError(400, -1151, "Symbol is present multiple times in the list.")
        for name in names:
            if name not in self.exchange.symbols:
                raise EmulatorError(400, -1121, "Invalid symbol.")
        return names

    def enum(self, name: str, values: tuple[str, ...], code: int, msg: str, *, required: bool = False) -> str | None:
        value = self.text(name, required=required)
        if value is not None and value not in values:
            raise EmulatorError(400, code, msg)
        return value

    def symbol(self) -> str:
        symbol = self.text("symbol", required=True)
        assert symbol is not None
        if symbol not in self.exchange.symbols:
            raise EmulatorError(400, -1121, "Invalid symbol.")
        return symbol


#: A DECIMAL parameter's text (a minus sign only to say "negative" in its own message).
DECIMAL = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?")
DECIMAL_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"

#: Every client order id parameter (newClientOrderId, listClientOrderId, aboveClientOrderId,
#: cancelNewClientOrderId, origClientOrderId, ...): the rule Binance quotes when it refuses one
#: (maintainer's answer in binance-spot-api-docs#34; the FIX API documents the same rule).
CLIENT_ORDER_ID_RANGE = "^[a-zA-Z0-9-_]{1,36}$"
CLIENT_ORDER_ID = re.compile(r"[a-zA-Z0-9_-]{1,36}")

#: One name in a list parameter (symbols, permissions) and the range Binance quotes for the list.
NAME = re.compile(r"[A-Z0-9_.-]{1,20}")
NAMES_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'


def parse_flag(name: str, value: Any) -> bool:
    """A BOOLEAN parameter's value, as JSON (`true`) or as text (`"true"`, the official SDK's form)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise EmulatorError(400, -1100, f"Illegal characters found in parameter '{name}'; legal range is 'true|false'.")


def parse_names(value: Any) -> list[str] | None:
    """An ARRAY of STRING value (a JSON array, or its JSON text as a string); None if it is neither."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def count_names(params: dict[str, Any], name: str) -> int | None:
    """How many names a list parameter holds (None if absent or malformed), for request weights."""
    names = parse_names(params.get(name))
    return None if names is None else len(names)


@dataclass(frozen=True)
class Handler:
    name: str
    security: str  # NONE, TRADE, USER_DATA, SIGNED, USER_STREAM_SESSION
    weight: Callable[[dict[str, Any]], int]
    run: Callable[[Request], Any]
    orders: int = 0


HANDLERS: dict[str, Handler] = {}


def method(
    name: str, security: str = "NONE", weight: int | Callable[[dict[str, Any]], int] = 1, orders: int = 0
) -> Callable[[Callable[[Request], Any]], Callable[[Request], Any]]:
    def register(func: Callable[[Request], Any]) -> Callable[[Request], Any]:
        fn = weight if callable(weight) else (lambda _params, w=weight: w)
        HANDLERS[name] = Handler(name, security, fn, func, orders)
        return func

    return register


def _fmt(value: Decimal) -> str:
    return f"{value:.8f}"


# -- general ---------------------------------------------------------------------------


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


# -- trading ----------------------------------------------------------------------------

ORDER_TYPES = ("LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")
LIMIT_PRICED = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})  # types with a limit price
ORDER_PARAMS = (
    "symbol",
    "side",
    "type",
    "timeInForce",
    "price",
    "quantity",
    "quoteOrderQty",
    "newClientOrderId",
    "newOrderRespType",
    "stopPrice",
    "trailingDelta",
    "icebergQty",
    "strategyId",
    "strategyType",
    "selfTradePreventionMode",
    "pegPriceType",
    "pegOffsetValue",
    "pegOffsetType",
)


def _validate_order(req: Request) -> dict[str, Any]:
    symbol = req.symbol()
    side = req.enum("side", ("BUY", "SELL"), -1117, "Invalid side.", required=True)
    type_ = req.enum("type", ORDER_TYPES, -1116, "Invalid orderType.", required=True)
    tif = req.enum("timeInForce", ("GTC", "IOC", "FOK"), -1115, "Invalid timeInForce.")
    price = req.decimal("price")
    quantity = req.decimal("quantity")
    quote_qty = req.decimal("quoteOrderQty")
    req.enum(
        "newOrderRespType",
        ("ACK", "RESULT", "FULL"),
        -1100,
        "Illegal characters found in parameter 'newOrderRespType'.",
    )
    client_id = req.text("newClientOrderId")
    if type_ in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and tif is None:
        raise EmulatorError.mandatory("timeInForce")
    peg = _peg(req, str(type_), tif)
    if type_ in LIMIT_PRICED and price is None and peg is None:
        raise EmulatorError.mandatory("price")
    if type_ == "MARKET":
        if quantity is None and quote_qty is None:
            raise EmulatorError(
                400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
            )
        if quantity is not None and quote_qty is not None:
            raise EmulatorError(400, -1106, "Parameter 'quoteOrderQty' sent when not required.")
    elif quantity is None:
        raise EmulatorError.mandatory("quantity")
    if type_ in STOP_TYPES and "stopPrice" not in req.params and "trailingDelta" not in req.params:
        raise EmulatorError(400, -1102, "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!")
    iceberg_qty = req.decimal("icebergQty")
    if iceberg_qty is not None and iceberg_qty > 0:
        if type_ not in LIMIT_PRICED:
            raise EmulatorError(400, -1106, "Parameter 'icebergQty' sent when not required.")
        if (tif or "GTC") != "GTC":
            raise EmulatorError(400, -2010, "Unsupported order combination")  # icebergs are GTC only
        if quantity is not None and iceberg_qty > quantity:
            raise EmulatorError(400, -2010, "IcebergQty exceeds QTY.")
        if quantity is not None and quantity / iceberg_qty > MAX_ICEBERG_PARTS:
            raise EmulatorError(400, -1013, "Filter failure: ICEBERG_PARTS")
    trailing_delta = req.integer("trailingDelta")
    if trailing_delta is not None:
        if type_ not in STOP_TYPES:
            raise EmulatorError(400, -1106, "Parameter 'trailingDelta' sent when not required.")
        if not MIN_TRAILING_DELTA <= trailing_delta <= MAX_TRAILING_DELTA:
            raise EmulatorError(400, -1013, "Filter failure: TRAILING_DELTA")
    info = req.exchange.symbols[symbol]
    if price is not None:
        if price < info.tick_size or price % info.tick_size != 0:
            raise EmulatorError(400, -1013, "Filter failure: PRICE_FILTER")
    if quantity is not None:
        if quantity < info.min_qty or quantity > info.max_qty or quantity % info.step_size != 0:
            raise EmulatorError(400, -1013, "Filter failure: LOT_SIZE")
    reference = price if price is not None else req.exchange.books[symbol].last_price() or info.mid
    notional = quote_qty if quote_qty is not None else reference * (quantity or 0)
    if notional < info.min_notional:
        raise EmulatorError(400, -1013, "Filter failure: NOTIONAL")
    return {
        "symbol": symbol,
        "side": side,
        "type": type_,
        "tif": tif or "GTC",
        "price": price or Decimal(0),
        "quantity": quantity or Decimal(0),
        "quote_qty": quote_qty or Decimal(0),
        "client_id": client_id,
        "stop_price": req.decimal("stopPrice") or Decimal(0),
        "trailing_delta": trailing_delta or 0,
        "iceberg_qty": iceberg_qty or Decimal(0),
        "peg": peg,
        "stp_mode": _stp_mode(req),
    }


def _peg(req: Request, type_: str, tif: str | None) -> tuple[str, str | None, int | None] | None:
    """pegPriceType / pegOffsetType / pegOffsetValue, checked as the docs describe."""
    peg_type = req.text("pegPriceType")
    offset_type = req.text("pegOffsetType")
    offset_value = req.integer("pegOffsetValue")
    if offset_type is not None and offset_type != "PRICE_LEVEL":
        raise EmulatorError(400, -1211, "Invalid pegOffsetType.")
    if (offset_type is None) != (offset_value is None):
        raise EmulatorError.mandatory("pegOffsetValue" if offset_value is None else "pegOffsetType")
    if offset_value is not None and not 0 <= offset_value <= 100:
        raise EmulatorError(400, -1130, "Data sent for parameter 'pegOffsetValue' is not valid.")
    if peg_type is None:
        if offset_type is not None:
            raise EmulatorError.mandatory("pegPriceType")
        return None
    if peg_type not in ("PRIMARY_PEG", "MARKET_PEG"):
        raise EmulatorError(400, -1210, "Invalid pegPriceType.")
    if type_ in ("MARKET", "STOP_LOSS", "TAKE_PROFIT"):
        raise EmulatorError(400, -2010, "This order type may not use pegged price.")
    if (peg_type == "PRIMARY_PEG" and type_ == "LIMIT" and (tif or "GTC") != "GTC") or (
        peg_type == "MARKET_PEG" and type_ == "LIMIT_MAKER"
    ):
        raise EmulatorError(400, -2010, "This price peg cannot be used with this order type.")
    return peg_type, offset_type, offset_value


def _stp_mode(req: Request) -> str | None:
    mode = req.text("selfTradePreventionMode")
    if mode is not None and mode not in ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"):
        raise EmulatorError(400, -1013, "This symbol does not allow the specified self-trade prevention mode.")
    return mode


def commission_weight(params: dict[str, Any]) -> int:
    """order.test / sor.order.test: 20 with computeCommissionRates=true, else 1."""
    value = params.get("computeCommissionRates")
    return 20 if value is True or (isinstance(value, str) and value.lower() == "true") else 1


def symbol_status(req: Request) -> str | None:
    """The symbolStatus filter (-1122 for a value that is no symbol status)."""
    return req.enum("symbolStatus", SYMBOL_STATUSES, -1122, "Invalid symbolStatus.")


def check_symbol_status(req: Request) -> None:
    """symbolStatus with one symbol: -1220 unless it is the symbol's status (all trade locally)."""
    if symbol_status(req) not in (None, "TRADING"):
        raise EmulatorError(400, -1220, "The symbol's status does not match the requested symbolStatus.")


SYMBOL_STATUSES = ("TRADING", "END_OF_DAY", "HALT", "BREAK", "CANCEL_ONLY")


@method("order.test", security="TRADE", weight=commission_weight)
def order_test(req: Request) -> dict[str, Any]:
    req.known(*ORDER_PARAMS, "computeCommissionRates")
    _validate_order(req)
    return commission_for_order(req, special=True)


def commission_for_order(req: Request, *, special: bool) -> dict[str, Any]:
    """The test-order answer: `{}`, or the rates with computeCommissionRates=true."""
    if not req.flag("computeCommissionRates"):
        return {}
    zero = {"maker": "0.00000000", "taker": "0.00000000"}
    rates: dict[str, Any] = {"standardCommissionForOrder": {"maker": "0.00100000", "taker": "0.00100000"}}
    if special:  # sor.order.test does not report special commission
        rates["specialCommissionForOrder"] = zero
    rates["taxCommissionForOrder"] = zero
    rates["discount"] = {
        "enabledForAccount": False,
        "enabledForSymbol": False,
        "discountAsset": "BNB",
        "discount": "0.25000000",
    }
    return rates


def order_report(order: Order, fills: list[Any] | None, resp_type: str) -> dict[str, Any]:
    report: dict[str, Any] = {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": order.client_order_id,
        "transactTime": order.update_ms,
    }
    if resp_type == "ACK":
        return report
    report.update(
        {
            "price": _fmt(order.reported_price),
            "origQty": _fmt(order.orig_qty),
            "executedQty": _fmt(order.executed_qty),
            "origQuoteOrderQty": _fmt(order.quote_order_qty),
            "cummulativeQuoteQty": _fmt(order.cumulative_quote_qty),
            "status": order.status,
            "timeInForce": order.time_in_force,
            "type": order.type,
            "side": order.side,
            "workingTime": order.working_ms,
            "selfTradePreventionMode": order.stp_mode,
        }
    )
    if order.expiry_reason:
        report["expiryReason"] = order.expiry_reason
    if order.stop_price:
        report["stopPrice"] = _fmt(order.stop_price)
    if order.iceberg_qty:
        report["icebergQty"] = _fmt(order.iceberg_qty)
    report.update(conditional_fields(order))
    if order.prevented_qty:
        report["preventedQuantity"] = _fmt(order.prevented_qty)
    if resp_type == "FULL":
        report["fills"] = [
            {
                "price": _fmt(f.price),
                "qty": _fmt(f.qty),
                "commission": "0.00000000",
                "commissionAsset": "BNB",
                "tradeId": f.trade_id,
            }
            for f in fills or []
        ]
        if order.prevented:
            report["preventedMatches"] = [
                {k: (_fmt(v) if isinstance(v, Decimal) else v) for k, v in match.items()} for match in order.prevented
            ]
    return report


@method("order.place", security="TRADE", weight=1, orders=1)
def order_place(req: Request) -> dict[str, Any]:
    req.known(*ORDER_PARAMS)
    order_args = _validate_order(req)
    assert req.account is not None
    order, fills = req.exchange.place(
        req.account,
        order_args["symbol"],
        order_args["side"],
        order_args["type"],
        order_args["tif"],
        order_args["price"],
        order_args["quantity"],
        order_args["quote_qty"],
        order_args["client_id"],
        stop_price=order_args["stop_price"],
        trailing_delta=order_args["trailing_delta"],
        iceberg_qty=order_args["iceberg_qty"],
        peg=order_args["peg"],
        stp_mode=order_args["stp_mode"],
    )
    default = "FULL" if order.type in ("LIMIT", "MARKET") else "ACK"
    return order_report(order, fills, req.text("newOrderRespType") or default)


def _query_report(order: Order) -> dict[str, Any]:
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": order.client_order_id,
        "price": _fmt(order.reported_price),
        "origQty": _fmt(order.orig_qty),
        "executedQty": _fmt(order.executed_qty),
        "cummulativeQuoteQty": _fmt(order.cumulative_quote_qty),
        "status": order.status,
        "timeInForce": order.time_in_force,
        "type": order.type,
        "side": order.side,
        "stopPrice": _fmt(order.stop_price),
        "icebergQty": _fmt(order.iceberg_qty),
        "time": order.created_ms,
        "updateTime": order.update_ms,
        "isWorking": order.is_open,
        "workingTime": order.working_ms,
        "origQuoteOrderQty": _fmt(order.quote_order_qty),
        "selfTradePreventionMode": order.stp_mode,
        **conditional_fields(order),
    }


def conditional_fields(order: Order) -> dict[str, Any]:
    """The trailing-stop and peg fields of an order report (none for a plain order)."""
    fields: dict[str, Any] = {}
    if order.trailing_delta:
        fields.update(trailingDelta=order.trailing_delta, trailingTime=order.trailing_time)
    if not order.peg_price_type:
        return fields
    fields["pegPriceType"] = order.peg_price_type
    if order.peg_offset_type:
        fields.update(pegOffsetType=order.peg_offset_type, pegOffsetValue=order.peg_offset_value)
    if order.price:
        fields["peggedPrice"] = _fmt(order.price)
    return fields


def _order_ref(req: Request) -> tuple[int | None, str | None]:
    order_id = req.integer("orderId")
    client_id = req.text("origClientOrderId")
    if order_id is None and client_id is None:
        raise EmulatorError(
            400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
        )
    return order_id, client_id


@method("order.status", security="USER_DATA", weight=4)
def order_status(req: Request) -> dict[str, Any]:
    req.known("symbol", "orderId", "origClientOrderId")
    symbol = req.symbol()
    order_id, client_id = _order_ref(req)
    assert req.account is not None
    order = req.exchange.find(req.account, symbol, order_id, client_id)
    if order is None:
        raise EmulatorError(400, -2013, "Order does not exist.")
    return _query_report(order)


@method("order.cancel", security="TRADE", weight=1)
def order_cancel(req: Request) -> dict[str, Any]:
    req.known("symbol", "orderId", "origClientOrderId", "newClientOrderId", "cancelRestrictions")
    symbol = req.symbol()
    order_id, client_id = _order_ref(req)
    restriction = req.enum(
        "cancelRestrictions", ("ONLY_NEW", "ONLY_PARTIALLY_FILLED"), -1145, "Invalid cancelRestrictions"
    )
    assert req.account is not None
    found = req.exchange.find(req.account, symbol, order_id, client_id)
    if found is not None and restriction is not None and found.status != restriction.removeprefix("ONLY_"):
        raise EmulatorError(400, -2011, "Order was not canceled due to cancel restrictions.")
    cancel_id = req.text("newClientOrderId") or req.exchange.new_client_order_id()
    if found is not None and found.order_list_id != -1 and found.is_open:
        # Cancelling one leg cancels the whole list: the answer is the list.
        return cancel_list_report(req, found.order_list_id, cancel_id)
    order = req.exchange.cancel(req.account, symbol, order_id, client_id, cancel_id=cancel_id)
    return cancel_report(order, cancel_id)


def cancel_list_report(req: Request, list_id: int, cancel_id: str) -> dict[str, Any]:
    """Cancel an order list: its status with one cancel report per leg."""
    assert req.account is not None
    legs = req.exchange.cancel_list(req.account, list_id, cancel_id)
    record = req.exchange.order_lists[list_id]
    hidden = ("account", "legs", "pending", "oco")
    return {
        **{k: v for k, v in record.items() if k not in hidden},
        "orderReports": [cancel_report(o, cancel_id) for o in legs],
    }


def cancel_report(order: Order, cancel_id: str) -> dict[str, Any]:
    """A cancel's answer: `origClientOrderId` is the order's id, `clientOrderId` the cancel's."""
    report = _query_report(order)
    for key in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking", "workingTime"):
        report.pop(key, None)
    rest = {k: v for k, v in report.items() if k not in ("symbol", "clientOrderId")}
    return {
        "symbol": order.symbol,
        "origClientOrderId": order.client_order_id,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": cancel_id,
        **rest,
        "transactTime": order.update_ms,
    }


@method("openOrders.status", security="USER_DATA", weight=lambda p: 6 if "symbol" in p else 80)
def open_orders_status(req: Request) -> list[dict[str, Any]]:
    req.known("symbol")
    symbol = req.symbol() if "symbol" in req.params else None
    assert req.account is not None
    return [_query_report(o) for o in req.exchange.open_orders(req.account, symbol)]


@method("account.status", security="USER_DATA", weight=20)
def account_status(req: Request) -> dict[str, Any]:
    req.known("omitZeroBalances")
    assert req.account is not None
    account = req.exchange.account(req.account)
    omit = req.flag("omitZeroBalances")
    now = req.exchange.now_ms()
    return {
        "makerCommission": 10,
        "takerCommission": 10,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "commissionRates": {
            "maker": "0.00100000",
            "taker": "0.00100000",
            "buyer": "0.00000000",
            "seller": "0.00000000",
        },
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": now,
        "accountType": "SPOT",
        "balances": [
            {"asset": asset, "free": _fmt(free), "locked": _fmt(locked)}
            for asset, (free, locked) in sorted(account.balances.items())
            if not (omit and free == 0 and locked == 0)
        ],
        "permissions": ["SPOT"],
        "uid": account_uid(req.account),
    }


def account_uid(account: str) -> int:
    """A stable number per account name (the same in every run, unlike the salted `hash()`)."""
    return int.from_bytes(hashlib.sha256(account.encode()).digest()[:8], "big") % 10**9


# -- session and user data ----------------------------------------------------------------


def _session_status(req: Request) -> dict[str, Any]:
    session = req.session
    return {
        "apiKey": session.logged_on_key,
        "authorizedSince": session.authorized_since,
        "connectedSince": session.connected_ms,
        "returnRateLimits": session.options.return_rate_limits,
        "serverTime": req.exchange.now_ms(),
        "userDataStream": bool(session.subscriptions),
    }


@method("session.logon", security="SIGNED", weight=2)
def session_logon(req: Request) -> dict[str, Any]:
    req.known()
    return _session_status(req)


@method("session.status", weight=2)
def session_status(req: Request) -> dict[str, Any]:
    req.known()
    return _session_status(req)


@method("session.logout", weight=2)
def session_logout(req: Request) -> dict[str, Any]:
    req.known()
    session = req.session
    if session.logged_on_key is not None:
        account = req.exchange.keys[session.logged_on_key].account
        for subscription_id, subscribed in list(session.subscriptions.items()):
            if subscribed == account:
                session.terminate(subscription_id)
    session.logged_on_key = None
    session.authorized_since = None
    return _session_status(req)


@method("userDataStream.subscribe", security="USER_STREAM_SESSION", weight=2)
def user_data_subscribe(req: Request) -> dict[str, Any]:
    req.known()
    session = req.session
    if req.account in session.subscriptions.values():
        raise EmulatorError(400, -2035, "User Data Stream subscription already active.")
    subscription_id = session.next_subscription
    session.next_subscription += 1
    assert req.account is not None
    session.subscriptions[subscription_id] = req.account
    return {"subscriptionId": subscription_id}


@method("userDataStream.unsubscribe", weight=2)
def user_data_unsubscribe(req: Request) -> dict[str, Any]:
    req.known("subscriptionId")
    wanted = req.integer("subscriptionId")
    for subscription_id in list(req.session.subscriptions):
        if wanted is None or wanted == subscription_id:
            req.session.terminate(subscription_id)
    return {}


@method("session.subscriptions", weight=2)
def session_subscriptions(req: Request) -> list[dict[str, Any]]:
    req.known()
    return [{"subscriptionId": s} for s in req.session.subscriptions]
