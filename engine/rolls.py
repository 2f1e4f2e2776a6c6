"""Rolling a position: close it and open its successor as one combo order (SPEC, positions).

A roll is one order whose legs are the old structure's closing legs followed by the new
structure's opening legs, for one net price (a credit, or a debit the trader states). When it
fills, the net is split in two: the closing legs' own prices give what closing the old position
cost, and the rest of the net is the new position's entry credit, so the two parts add up to the
fill to the cent. Commissions split by the number of legs each part has (every leg pays the
same fee per contract).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.accounting import closing_legs, opening_legs
from engine.model import ComboLeg, Expiration, Fill, Order, Structure


@dataclass(frozen=True, slots=True)
class RollTarget:
    """What a roll order opens: the new structure as quoted when the order went out."""

    old_position_id: str
    new_position_id: str
    structure: Structure
    expiration: Expiration


@dataclass(frozen=True, slots=True)
class RollSplit:
    """A roll fill split into its two halves: net prices per unit and commissions in dollars."""

    closing_price: float  # net per unit of the closing legs (negative: a debit paid)
    opening_price: float  # net per unit of the opening legs (positive: a credit received)
    closing_commission: float
    opening_commission: float


def moved_structure(structure: Structure, expiration: Expiration, short_strike: float) -> Structure:
    """Return the structure's legs moved to `expiration`, shifted so its first short leg is at `short_strike`.

    Only rights, strikes, quantities and expiries are meaningful: the result is a template for
    engine.strategy.spreads.requote, which prices it on a chain slice.
    """
    first_short = next(leg for leg in structure.legs if leg.quantity < 0)
    shift = short_strike - first_short.strike
    legs = tuple(replace(leg, strike=leg.strike + shift, expiry=expiration.expiry,
                         trading_class=expiration.trading_class) for leg in structure.legs)
    return replace(structure, legs=legs)


def roll_legs(old: Structure, new: Structure) -> tuple[ComboLeg, ...]:
    """Return the combo legs of a roll: close every old leg, then open every new one."""
    return closing_legs(old) + opening_legs(new)


def split_roll_fill(order: Order, fill: Fill, closing_count: int, closing_mark: float) -> RollSplit:
    """Split a roll's fill into the closing and the opening half (module doc).

    Without per-leg prices (a broker that reports only the net), the closing half is taken at
    `closing_mark` (the old position's mid debit, as a negative net) and the rest is the opening.
    """
    if len(fill.leg_prices) == len(order.legs):
        pairs = zip(order.legs[:closing_count], fill.leg_prices[:closing_count], strict=True)
        closing = round(sum(-leg.ratio * price for leg, price in pairs), 10)
    else:
        closing = closing_mark
    share = closing_count / len(order.legs)
    closing_commission = round(fill.commission * share, 2)
    return RollSplit(closing, fill.price - closing, closing_commission, fill.commission - closing_commission)
