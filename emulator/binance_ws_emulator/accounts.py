"""Accounts and their balances (free and locked per asset)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .book import ZERO

#: The account behind the seeded books and the autonomous market (never sent events).
MARKET_MAKER = "__market_maker__"

#: The commission rates every account has (account.status, account.commission, test orders),
#: charged on every fill in the asset the order receives (commission_faq.md; no BNB discount).
MAKER_COMMISSION = Decimal("0.001")
TAKER_COMMISSION = Decimal("0.001")

#: What every new account starts with.
STARTING_BALANCES = (("USDT", "1000000"), ("BTC", "10"), ("ETH", "100"), ("BNB", "100"))


@dataclass
class Account:
    name: str
    balances: dict[str, list[Decimal]] = field(default_factory=dict)  # asset -> [free, locked]

    def free(self, asset: str) -> Decimal:
        return self.balances.setdefault(asset, [ZERO, ZERO])[0]

    def move(self, asset: str, free: Decimal = ZERO, locked: Decimal = ZERO) -> None:
        entry = self.balances.setdefault(asset, [ZERO, ZERO])
        entry[0] += free
        entry[1] += locked
