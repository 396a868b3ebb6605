"""A pytest plugin: every client asks for SBE unless a test says otherwise.

    pytest -p tests.sbe.sbe_everywhere tests/client tests/emulator

runs the whole client and local-exchange suite with answers and events in SBE (the
JSON-only assertions in those tests hold unchanged: that is the point of the format switch).
"""

from __future__ import annotations

from typing import Any

from binance_ws import _async

_json_default = _async.AsyncConnection.__init__


def _sbe_default(self: _async.AsyncConnection, *args: Any, response_format: Any = "sbe", **options: Any) -> None:
    _json_default(self, *args, response_format=response_format, **options)


_async.AsyncConnection.__init__ = _sbe_default  # type: ignore[method-assign]
