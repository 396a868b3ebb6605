"""Pegged-price instructions (pegPriceType / pegOffsetType / pegOffsetValue) of an order or of an
order-list leg (the same three parameters behind the leg's prefix), checked as the docs describe."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import EmulatorError
from .base import Request

#: (pegPriceType, pegOffsetType, pegOffsetValue)
Peg = tuple[str, str | None, int | None]


def _plain(name: str) -> str:
    return name


def peg_instructions(req: Request, type_: str, tif: str | None, key: Callable[[str], str] = _plain) -> Peg | None:
    """The peg of an order of `type_`, None when it has none; `key` names a leg's parameters."""
    peg_type = req.text(key("pegPriceType"))
    offset_type = req.text(key("pegOffsetType"))
    offset_value = req.integer(key("pegOffsetValue"))
    if offset_type is not None and offset_type != "PRICE_LEVEL":
        raise EmulatorError(400, -1211, "Invalid pegOffsetType.")
    if (offset_type is None) != (offset_value is None):
        raise EmulatorError.mandatory(key("pegOffsetValue" if offset_value is None else "pegOffsetType"))
    if offset_value is not None and not 0 <= offset_value <= 100:
        raise EmulatorError(400, -1130, f"Data sent for parameter '{key('pegOffsetValue')}' is not valid.")
    if peg_type is None:
        if offset_type is not None:
            raise EmulatorError.mandatory(key("pegPriceType"))
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
