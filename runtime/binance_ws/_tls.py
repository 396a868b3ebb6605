"""One client TLS context per certificate setting, created on the first `wss://` connect.

`ssl.create_default_context()` loads the whole system trust store (tens of
milliseconds and hundreds of KiB): the websockets and picows transports share one
instead of building one per connection. It honours `SSL_CERT_FILE` and
`SSL_CERT_DIR`; a change of either gets a context of its own.
"""

from __future__ import annotations

import os
import ssl

_CONTEXTS: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def client_context() -> ssl.SSLContext:
    """The shared default client context for the current `SSL_CERT_FILE` / `SSL_CERT_DIR`."""
    where = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _CONTEXTS.get(where)
    if context is None:
        context = _CONTEXTS[where] = ssl.create_default_context()
    return context
