"""The base class of every generated Struct."""

from __future__ import annotations

import msgspec


class Model(msgspec.Struct, gc=False, omit_defaults=True):
    """Cycle-free (so `gc=False` is safe) and cheap to decode.

    Unknown fields are ignored on decode: the exchange adds fields over time and
    an SDK that breaks on a new field is worse than one that ignores it.
    """
