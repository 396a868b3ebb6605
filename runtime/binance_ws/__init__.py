"""Handwritten runtime of the Binance Spot WebSocket API SDK.

Generated code (`binance_spot_ws`) imports this package; this package never
imports the generated one. Users import everything from `binance_spot_ws`.
"""

from __future__ import annotations

import logging

from ._async import PRODUCTION, TESTNET, AsyncConnection, ReconnectPolicy
from ._model import Model, asdict, lazy_money
from ._sync import Connection
from .conditions import RequireIf
from .errors import (
    ApiError,
    AuthError,
    BadRequest,
    BinanceError,
    CancelReplacePartialFailure,
    ConnectionClosed,
    ErrorKind,
    ErrorTable,
    ExecutedUnreadable,
    IpBanned,
    ParamError,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
    UnexpectedResult,
    UnknownExecutionStatus,
)
from .events import ConnectionEvent, ConnectionState, StreamGap, UnknownEvent
from .method import Method, Security, Weight, WeightRule
from .observe import RequestInfo
from .orderbook import BookSync, BookUpdate, OrderBook
from .protocol import Protocol, new_client_order_id
from .rules import FilterError, SymbolRules
from .sbe import NonRepresentable, SbeError
from .signing import Ed25519Key, HmacKey, RsaKey, Signer, key_from_env, key_from_pem
from .stream_wire import STREAM_PRODUCTION, StreamControlError, StreamLimits, stream_choice, stream_symbol
from .streams import StreamsConnection
from .streams_sync import BlockingOrderBook, BlockingStreamsConnection, BlockingSubscription
from .subscription import Subscription
from .wire import RateLimit, format_decimal, signature_payload

# A library logs; the application decides where logs go (no output unless configured).
logging.getLogger("binance_ws").addHandler(logging.NullHandler())

__all__ = [
    "PRODUCTION",
    "STREAM_PRODUCTION",
    "BlockingOrderBook",
    "BlockingStreamsConnection",
    "BlockingSubscription",
    "BookSync",
    "BookUpdate",
    "OrderBook",
    "StreamControlError",
    "StreamLimits",
    "StreamsConnection",
    "Subscription",
    "stream_choice",
    "stream_symbol",
    "TESTNET",
    "ApiError",
    "AsyncConnection",
    "AuthError",
    "BadRequest",
    "BinanceError",
    "CancelReplacePartialFailure",
    "Connection",
    "ConnectionClosed",
    "ConnectionEvent",
    "ConnectionState",
    "Ed25519Key",
    "ErrorKind",
    "ErrorTable",
    "ExecutedUnreadable",
    "FilterError",
    "HmacKey",
    "IpBanned",
    "Method",
    "Model",
    "NonRepresentable",
    "ParamError",
    "Protocol",
    "RateLimit",
    "RateLimited",
    "ReconnectPolicy",
    "RequestInfo",
    "RequestTimeout",
    "RequireIf",
    "RsaKey",
    "SbeError",
    "Security",
    "ServerError",
    "Signer",
    "StreamGap",
    "SymbolRules",
    "TransportError",
    "UnexpectedResult",
    "UnknownEvent",
    "UnknownExecutionStatus",
    "Weight",
    "WeightRule",
    "asdict",
    "format_decimal",
    "key_from_env",
    "key_from_pem",
    "lazy_money",
    "new_client_order_id",
    "signature_payload",
]
