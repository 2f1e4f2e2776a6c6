"""Our legs and combos as IB contracts, and IB's sign convention for combo prices.

* An option leg is an ``Option`` on SMART with the IB trading class (SPX: AM-settled monthlies,
  SPXW: PM-settled weeklies, dailies and end-of-month) and multiplier 100; it must be qualified
  (its ``conId`` known) before it can be a combo leg. `ContractBook` keeps the qualified ones.
* A combo is a ``BAG`` on SMART whose legs name each option by conId with an action (BUY for our
  ratio > 0, SELL for < 0) and a positive ratio.
* Prices: the engine's net is positive for a credit received and negative for a debit paid. IB
  prices a BAG order as what the *buyer of the combo as defined* pays: we always BUY the combo
  (its legs carry their own actions), so a credit of 1.50 is an IB limit of -1.50 and a debit of
  0.80 is +0.80. `ib_limit_of` and `engine_net_of` convert, and nothing else does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from ib_async import Bag, Contract, Index, Option
from ib_async import ComboLeg as IbComboLeg

from engine.model import ComboLeg, Right

EXCHANGE = "SMART"
INDEX_EXCHANGE = "CBOE"
CURRENCY = "USD"
MULTIPLIER = "100"
BUY, SELL = "BUY", "SELL"


def expiry_text(day: date) -> str:
    """Return IB's ``lastTradeDateOrContractMonth`` for an expiry day: YYYYMMDD."""
    return day.strftime("%Y%m%d")


def expiry_of(text: str) -> date:
    """Return the expiry day of IB's YYYYMMDD (or YYYYMMDD followed by a time)."""
    digits = text.strip()[:8]
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))


def right_text(right: Right) -> str:
    """Return IB's right letter: C or P."""
    return "C" if right is Right.CALL else "P"


def index_contract(symbol: str) -> Index:
    """Return an index (SPX, VIX, VIX9D, VIX3M) as IB lists it: on CBOE, in USD."""
    return Index(symbol, INDEX_EXCHANGE, CURRENCY)


def option_contract(underlying: str, leg: ComboLeg) -> Option:
    """Return one leg's option, unqualified (no conId): symbol, expiry, strike, right, class."""
    return Option(underlying, expiry_text(leg.expiry), leg.strike, right_text(leg.right), EXCHANGE,
                  MULTIPLIER, CURRENCY, tradingClass=leg.trading_class or underlying)


LegKey = tuple[str, date, float, str]  # (trading class, expiry, strike, C/P)


class OptionOf(Protocol):
    """What names one option of an underlying: a ComboLeg of an order or a Leg of a position."""

    @property
    def right(self) -> Right: ...
    @property
    def strike(self) -> float: ...
    @property
    def expiry(self) -> date: ...
    @property
    def trading_class(self) -> str: ...


def leg_key(underlying: str, leg: OptionOf) -> LegKey:
    """Return the key a leg's option is known by (ContractBook, streamed quotes, positions)."""
    return (leg.trading_class or underlying, leg.expiry, float(leg.strike), right_text(leg.right))


def contract_key(contract: Contract) -> LegKey:
    """Return the ContractBook key of a qualified IB option."""
    return (contract.tradingClass, expiry_of(contract.lastTradeDateOrContractMonth),
            float(contract.strike), contract.right)


@dataclass
class ContractBook:
    """The qualified options we know, by (class, expiry, strike, right); the feed and broker share it."""

    underlying: str = "SPX"

    def __post_init__(self) -> None:
        """Start empty."""
        self._known: dict[LegKey, Contract] = {}

    def add(self, contracts: Iterable[Contract]) -> None:
        """Remember qualified options (those with a conId)."""
        for contract in contracts:
            if contract.conId and contract.secType == "OPT":
                self._known[contract_key(contract)] = contract

    def get(self, leg: ComboLeg) -> Contract | None:
        """Return a leg's qualified option, None when it has not been qualified."""
        return self._known.get(leg_key(self.underlying, leg))

    def missing(self, legs: Sequence[ComboLeg]) -> list[ComboLeg]:
        """Return the legs whose options are not qualified yet."""
        return [leg for leg in legs if self.get(leg) is None]

    def __len__(self) -> int:
        """Return how many options are known."""
        return len(self._known)


def qualified_only(answers: Iterable[object]) -> list[Contract]:
    """Return the contracts ib_async's qualifyContractsAsync qualified (None or ambiguous lists dropped)."""
    return [c for c in answers if isinstance(c, Contract) and c.conId]


def bag_contract(underlying: str, legs: Sequence[ComboLeg], book: ContractBook) -> Bag:
    """Return the BAG for `legs` (every leg qualified: KeyError names the first that is not)."""
    combo = []
    for leg in legs:
        option = book.get(leg)
        if option is None:
            raise KeyError(f"leg {leg_key(underlying, leg)} is not qualified")
        action = BUY if leg.ratio > 0 else SELL
        combo.append(IbComboLeg(conId=option.conId, ratio=abs(leg.ratio), action=action, exchange=EXCHANGE))
    return Bag(symbol=underlying, exchange=EXCHANGE, currency=CURRENCY, comboLegs=combo)  # type: ignore[no-untyped-call]


def ib_limit_of(net: float) -> float:
    """Return IB's BAG limit for an engine net (credit > 0): the negated net, rounded to the cent."""
    return round(-net, 2) + 0.0  # + 0.0: never send "-0.0"


def engine_net_of(ib_price: float) -> float:
    """Return the engine's net (credit > 0) of an IB BAG price."""
    return round(-ib_price, 2) + 0.0


def net_of_leg_prices(leg_prices: Sequence[float], legs: Sequence[ComboLeg]) -> float:
    """Return the engine's net per combo unit of leg prices: sold legs add, bought legs subtract."""
    if len(leg_prices) != len(legs):
        raise ValueError(f"{len(leg_prices)} leg prices for {len(legs)} legs")
    total = sum(-leg.ratio * price for leg, price in zip(legs, leg_prices, strict=True))
    return total if math.isfinite(total) else math.nan
