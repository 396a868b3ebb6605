"""User-data events (executionReport, outboundAccountPosition, listStatus, balanceUpdate),
built from the exchange's state and handed to every listener (each connection's session)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .accounts import MARKET_MAKER, Account
from .book import ZERO, Order

Listener = Callable[[str, dict[str, Any]], None]  # (account, event)


class UserDataEvents:
    def __init__(self, now_ms: Callable[[], int], account: Callable[[str], Account]) -> None:
        self.now_ms = now_ms
        self.account = account
        self.listeners: list[Listener] = []
        self._execution_ids: dict[str, itertools.count[int]] = {}  # per symbol, as on Binance

    def execution_report(
        self,
        order: Order,
        execution_type: str,
        trade: tuple[Decimal, Decimal, int] | None = None,
        *,
        cancel_id: str | None = None,
        replaced: str | None = None,
        alloc_id: int | None = None,
        prevention: dict[str, Any] | None = None,
        commission: tuple[Decimal, str] | None = None,
    ) -> int:
        """An executionReport; `trade` is (price, quantity, trade id) of a fill. For a cancel,
        `c` is the cancel's id and `C` the order's own; for an amend (REPLACED) `C` is the
        client order id it had before (`replaced`). An SOR fill is an allocation (`alloc_id`):
        `t` is -1, `b` and `a` name it. `commission`: (amount, asset) paid for this fill (n, N). `prevention`: the STP fields (v, A, B, u, U, Cs, pl, pL,
        pY) of an order that expired in a prevented match. Returns the execution id (`I`, one
        sequence per symbol, consumed by every execution whether anyone listens or not)."""
        counter = self._execution_ids.setdefault(order.symbol, itertools.count(1))
        execution_id = next(counter)
        if not self.listeners or order.account == MARKET_MAKER:
            return execution_id
        now = self.now_ms()
        price, qty, trade_id = trade or (ZERO, ZERO, -1)
        event = {
            "e": "executionReport",
            "E": now,
            "s": order.symbol,
            "c": cancel_id if cancel_id is not None else order.client_order_id,
            "S": order.side,
            "o": order.type,
            "f": order.time_in_force,
            "q": f"{order.orig_qty:.8f}",
            "p": f"{order.reported_price:.8f}",
            "P": f"{order.stop_price:.8f}",
            "F": f"{order.iceberg_qty:.8f}",
            "g": order.order_list_id,
            "C": order.client_order_id if cancel_id is not None else replaced or "",
            "x": execution_type,
            "X": order.status,
            "r": "NONE",
            "i": order.order_id,
            "l": f"{qty:.8f}",
            "z": f"{order.executed_qty:.8f}",
            "L": f"{price:.8f}",
            "n": f"{commission[0]:.8f}" if commission else "0",
            "N": commission[1] if commission else None,
            "T": now,
            "t": -1 if alloc_id is not None else trade_id,
            "I": execution_id,
            "w": order.is_open,
            "m": False,
            "M": False,
            "O": order.created_ms,
            "Z": f"{order.cumulative_quote_qty:.8f}",
            "Y": f"{price * qty:.8f}",
            "Q": f"{order.quote_order_qty:.8f}",
            "W": order.working_ms,
            "V": order.stp_mode,
        }
        if order.trailing_delta:
            event["d"], event["D"] = order.trailing_delta, order.trailing_time
        if prevention is not None:
            event.update(prevention)
        if order.expiry_reason and order.status == "EXPIRED":
            event["eR"] = order.expiry_reason
        if alloc_id is not None:
            event["b"], event["a"] = "ONE_PARTY_TRADE_REPORT", alloc_id
        if order.used_sor:
            event["k"], event["uS"] = "SOR", True
        if order.strategy_id is not None:
            event["j"] = order.strategy_id
        if order.strategy_type is not None:
            event["J"] = order.strategy_type
        if order.peg_price_type:
            event["gP"] = order.peg_price_type
            if order.peg_offset_type:
                event["gOT"], event["gOV"] = order.peg_offset_type, order.peg_offset_value
            if order.price:
                event["gp"] = f"{order.price:.8f}"
        for listener in list(self.listeners):
            listener(order.account, event)
        return execution_id

    def account_position(self, account_name: str, assets: tuple[str, ...]) -> None:
        """outboundAccountPosition: the balances of `assets` as they are now."""
        if not self.listeners or account_name == MARKET_MAKER:
            return
        account = self.account(account_name)
        now = self.now_ms()
        event = {
            "e": "outboundAccountPosition",
            "E": now,
            "u": now,
            "B": [
                {"a": a, "f": f"{account.balances[a][0]:.8f}", "l": f"{account.balances[a][1]:.8f}"}
                for a in assets
                if a in account.balances
            ],
        }
        for listener in list(self.listeners):
            listener(account_name, event)

    def list_status(self, record: dict[str, Any], status_type: str | None = None) -> None:
        """listStatus: an order list as it is now (`status_type`: another `l`, e.g. UPDATED)."""
        if not self.listeners:
            return
        now = self.now_ms()
        event = {
            "e": "listStatus",
            "E": now,
            "s": record["symbol"],
            "g": record["orderListId"],
            "c": record["contingencyType"],
            "l": status_type or record["listStatusType"],
            "L": record["listOrderStatus"],
            "r": "NONE",
            "C": record["listClientOrderId"],
            "T": now,
            "O": [{"s": o["symbol"], "i": o["orderId"], "c": o["clientOrderId"]} for o in record["orders"]],
        }
        for listener in list(self.listeners):
            listener(record["account"], event)

    def balance_update(self, account: str, asset: str, amount: Decimal) -> None:
        """balanceUpdate: a deposit or withdrawal of `amount`."""
        now = self.now_ms()
        for listener in list(self.listeners):
            listener(account, {"e": "balanceUpdate", "E": now, "a": asset, "d": f"{amount:.8f}", "T": now})
