"""Every order of the exchange, found in O(1) by id, by client order id and by account.

An order keeps its client order id for life except through `rename` (amend); a cancel does not
change it. Ids are reusable once the order holding them has stopped working, so a client id
can name several orders: lookups answer the newest, duplicate checks look at the open one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .book import Order


class OrderIndex:
    def __init__(self) -> None:
        self.orders: dict[int, Order] = {}  # order id -> order (insertion order = id order)
        self._by_client: dict[tuple[str, str, str], list[Order]] = {}  # (account, symbol, client id)
        self._by_account: dict[str, dict[int, Order]] = {}
        self._lists_by_client: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (account, list client id)

    # -- orders ----------------------------------------------------------------------------

    def add(self, order: Order) -> None:
        """Index an order (again: a no-op)."""
        if self.orders.get(order.order_id) is order:
            return
        self.orders[order.order_id] = order
        self._by_client.setdefault((order.account, order.symbol, order.client_order_id), []).append(order)
        self._by_account.setdefault(order.account, {})[order.order_id] = order

    def forget(self, order: Order) -> None:
        """Drop an order nobody will ask about again (the market maker's)."""
        if self.orders.pop(order.order_id, None) is None:
            return
        self._unlink(order)
        account = self._by_account.get(order.account)
        if account is not None:
            account.pop(order.order_id, None)
            if not account:
                del self._by_account[order.account]

    def rename(self, order: Order, client_order_id: str) -> None:
        """Give an order a new client order id (amend); the old id names its older holders again."""
        self._unlink(order)
        order.client_order_id = client_order_id
        self._by_client.setdefault((order.account, order.symbol, client_order_id), []).append(order)

    def _unlink(self, order: Order) -> None:
        key = (order.account, order.symbol, order.client_order_id)
        holders = self._by_client.get(key, [])
        if order in holders:
            holders.remove(order)
        if not holders:
            self._by_client.pop(key, None)

    def by_client_id(self, account: str, symbol: str, client_order_id: str) -> Order | None:
        """The newest order of `account` on `symbol` with this client order id."""
        holders = self._by_client.get((account, symbol, client_order_id))
        return max(holders, key=lambda o: o.order_id) if holders else None

    def open_with_client_id(self, account: str, client_order_id: str, symbols: Iterator[str] | list[str]) -> bool:
        """Whether an open order of `account` (on any of `symbols`) holds this client order id."""
        return any(o.is_open for symbol in symbols for o in self._by_client.get((account, symbol, client_order_id), ()))

    def of_account(self, account: str) -> list[Order]:
        """The account's orders, oldest first."""
        return list(self._by_account.get(account, {}).values())

    # -- order lists -----------------------------------------------------------------------

    def add_list(self, record: dict[str, Any]) -> None:
        self._lists_by_client.setdefault((record["account"], record["listClientOrderId"]), []).append(record)

    def list_by_client_id(self, account: str, list_client_id: str) -> dict[str, Any] | None:
        """The newest order list of `account` with this listClientOrderId."""
        records = self._lists_by_client.get((account, list_client_id))
        return records[-1] if records else None

    def open_list_with_client_id(self, account: str, list_client_id: str) -> bool:
        return any(
            r["listOrderStatus"] == "EXECUTING" for r in self._lists_by_client.get((account, list_client_id), ())
        )
