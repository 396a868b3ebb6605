"""Method handlers by domain. Importing this package registers every method in `HANDLERS`,
the table the session dispatches through."""

from __future__ import annotations

from . import account, market_data, order_lists, session_and_user_data, trading
from .base import HANDLERS, ConnectionState, Handler, Request, parse_flag

__all__ = [
    "HANDLERS",
    "ConnectionState",
    "Handler",
    "Request",
    "account",
    "market_data",
    "order_lists",
    "parse_flag",
    "session_and_user_data",
    "trading",
]
