"""Order lists on top of the matching engine: OCO legs cancel each other on the first fill or
trigger; OTO pending legs start when the working leg is filled (two pending legs then form an
OCO pair, OTOCO / OPOCO); cancelling a leg cancels the list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .book import STOP_TYPES, ZERO, Fill, Order
from .errors import EmulatorError
from .matching import Matching, one_time
from .symbols import SymbolInfo


class OrderListEngine(Matching):
    def __init__(self, *, seed: int, symbols: tuple[SymbolInfo, ...], now_ms: Callable[[], int]) -> None:
        super().__init__(seed=seed, symbols=symbols, now_ms=now_ms)
        self.order_lists: dict[int, dict[str, Any]] = {}  # list id -> its status record

    @one_time
    def place_list(
        self,
        account: str,
        symbol: str,
        contingency: str,
        legs: list[dict[str, Any]],
        pending_from: int,
        list_client_id: str | None,
    ) -> tuple[dict[str, Any], list[tuple[Order, list[Fill]]]]:
        """Create an order list: legs before `pending_from` work now, the rest wait (OTO).

        OCO legs cancel each other on the first fill or trigger; OTO pending legs start when
        the working leg is filled (two pending legs then form an OCO pair).
        """
        given = [leg["client_id"] for leg in legs if leg["client_id"]]
        if len(set(given)) != len(given):
            raise EmulatorError(400, -2010, "Duplicate order sent.")
        for client_id in given:
            self.check_client_id(account, client_id)
        if list_client_id is not None and self.index.open_list_with_client_id(account, list_client_id):
            raise EmulatorError(400, -2010, "Duplicate order sent.")
        book = self.books[symbol]
        for leg in legs[:pending_from]:  # a working leg pegged now needs a book side to peg to
            peg = leg.get("peg")
            if peg and leg["type"] not in STOP_TYPES and book.peg_price(leg["side"], peg[0], peg[2] or 0) is None:
                raise EmulatorError(400, -2010, "Order book liquidity is too low for this pegged order.")
        list_id = len(self.order_lists) + 1
        now = self.now_ms()
        orders: list[Order] = []
        for index, leg in enumerate(legs):
            price = leg["price"] if leg["price"] is not None else ZERO
            peg = leg.get("peg")
            order = Order(
                symbol,
                next(self._order_ids),
                leg["client_id"] or self.new_client_order_id(),
                account,
                leg["side"],
                leg["type"],
                leg["tif"],
                ZERO if peg else price,  # a pegged leg gets its price when it starts working
                leg["qty"],
                now,
                client_price=price,
                update_ms=now,
                working_ms=-1,
                stop_price=leg["stop"] or ZERO,
                trailing_delta=leg.get("trailing", 0),
                order_list_id=list_id,
                status="PENDING_NEW" if index >= pending_from else "NEW",
                strategy_id=leg.get("strategy_id"),
                strategy_type=leg.get("strategy_type"),
            )
            if peg:
                order.peg_price_type, order.peg_offset_type, order.peg_offset_value = peg
            self.index.add(order)
            orders.append(order)
        record: dict[str, Any] = {
            "account": account,
            "orderListId": list_id,
            "contingencyType": contingency,
            "listStatusType": "EXEC_STARTED",
            "listOrderStatus": "EXECUTING",
            "listClientOrderId": list_client_id or self.new_client_order_id(),
            "transactionTime": now,
            "symbol": symbol,
            "orders": [{"symbol": symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id} for o in orders],
            "legs": [o.order_id for o in orders],
            "pending": [o.order_id for o in orders[pending_from:]],
            "oco": contingency == "OCO",
        }
        self.order_lists[list_id] = record
        self.index.add_list(record)
        for order in orders[pending_from:]:
            self.events.execution_report(order, "NEW")  # accepted, waiting: X PENDING_NEW
        results = [self._activate(order) for order in orders[:pending_from]]
        results += [(order, []) for order in orders[pending_from:]]
        self.events.list_status(record)
        self._trigger_stops(symbol)
        return record, results

    def _activate(self, order: Order) -> tuple[Order, list[Fill]]:
        order.working_ms = self.now_ms()
        if order.type in STOP_TYPES:
            return self._park_stop(order)  # a pegged stop-limit leg is pegged when it triggers
        if order.peg_price_type:
            try:
                order.price = self._pegged_price(order)
            except EmulatorError:
                order.status = "EXPIRED"  # nothing to peg to when the leg starts working
                self.events.execution_report(order, "EXPIRED")
                return order, []
        return self._execute(order, check_balance=True)

    def _list_progress(self, order: Order) -> None:
        record = self.order_lists.get(order.order_list_id)
        if record is None or record["listOrderStatus"] != "EXECUTING":
            return
        legs = [self.orders[i] for i in record["legs"]]
        if record["oco"] and (order.executed_qty > 0 or order.working_ms != -1 or not order.is_open):
            for sibling in legs:
                if sibling is not order and sibling.is_open and sibling.order_id not in record["pending"]:
                    self._expire(sibling, "OCO_TRIGGER")
        elif order.order_id not in record["pending"] and order.status == "FILLED" and record["pending"]:
            pending = [self.orders[i] for i in record["pending"]]
            record["pending"] = []
            record["oco"] = len(pending) == 2  # OTOCO: the pending pair is an OCO
            record["legs"] = [p.order_id for p in pending]
            for leg in pending:
                leg.status = "NEW"
                self._activate(leg)
        if all(not self.orders[i].is_open and i not in record["pending"] for i in record["legs"]):
            record.update(listStatusType="ALL_DONE", listOrderStatus="ALL_DONE", transactionTime=self.now_ms())
        self.events.list_status(record)

    def _expire(self, order: Order, reason: str) -> None:
        if order in self.stops.get(order.symbol, []):
            self.stops[order.symbol].remove(order)
        elif self.books[order.symbol].remove(order):
            self._release(order)
        order.status, order.expiry_reason, order.update_ms = "EXPIRED", reason, self.now_ms()
        self.events.execution_report(order, "EXPIRED")

    @one_time
    def cancel_list(self, account: str, list_id: int, cancel_id: str | None = None) -> list[Order]:
        """Cancel every open leg of a list; `cancel_id` identifies the cancel (generated if None)."""
        record = self.order_lists.get(list_id)
        if record is None or record["account"] != account or record["listOrderStatus"] != "EXECUTING":
            raise EmulatorError(400, -2011, "Unknown order list sent.")
        cancel_id = cancel_id or self.new_client_order_id()
        canceled = []
        for order_id in [o["orderId"] for o in record["orders"]]:
            order = self.orders[order_id]
            if order.status == "PENDING_NEW":
                order.status, order.update_ms = "CANCELED", self.now_ms()
                self.events.execution_report(order, "CANCELED", cancel_id=cancel_id)
                canceled.append(order)
            elif order.is_open:
                self._withdraw(order, cancel_id)
                canceled.append(order)
        record.update(pending=[], listStatusType="ALL_DONE", listOrderStatus="ALL_DONE", transactionTime=self.now_ms())
        self.events.list_status(record)
        return canceled

    def find_list(self, account: str, list_id: int | None, list_client_id: str | None) -> dict[str, Any] | None:
        """An order list of the account by listClientOrderId (if given) or by id."""
        if list_client_id is not None:
            return self.index.list_by_client_id(account, list_client_id)
        record = self.order_lists.get(list_id) if list_id is not None else None
        return record if record is not None and record["account"] == account else None
