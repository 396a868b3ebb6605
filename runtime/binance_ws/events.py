"""What the client tells its user besides results: connection state and stream markers."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class ConnectionState(enum.Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    ROTATING = "rotating"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """A change of connection state, passed to `on_connection_event` callbacks."""

    state: ConnectionState
    reason: str = ""
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class StreamGap:
    """Placed in the user-data stream where events may be missing.

    After a reconnect (or a consumer that fell too far behind) re-query balances
    (`account_status`) and open orders (`open_orders_status`) before trusting
    incremental events again.
    """

    reason: str


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """A user-data event type the spec does not know yet (delivered, not dropped)."""

    type: str
    raw: dict[str, Any]
