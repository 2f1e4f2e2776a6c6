"""Value types shared by the engine and the panels.

Everything here is a frozen, slotted dataclass: safe to hand from the engine to a view, never
mutated in place. Chains are columnar (one numpy array per field) because pricing and strike
selection work on whole arrays, never on per-option Python objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class DataSource(enum.StrEnum):
    """Where a chain or a bar came from; shown wherever the data shows."""

    MODELLED = "modelled"
    QUOTED = "quoted"
    RECORDED = "recorded"


class Settlement(enum.StrEnum):
    """How an SPX expiry settles: AM on the opening prints (monthly SPX), PM on the close (SPXW)."""

    AM = "AM"
    PM = "PM"


class Right(enum.IntEnum):
    """Option right, with the sign the pricing kernels use (+1 call, -1 put)."""

    CALL = 1
    PUT = -1


@dataclass(frozen=True, slots=True)
class Expiration:
    """One listed expiration of an index option class."""

    expiry: date
    settlement: Settlement
    trading_class: str  # "SPX" (AM monthly) or "SPXW" (PM weeklies/dailies)
    settles_at: datetime  # tz-aware: when the settlement value is fixed
    kind: str  # "monthly", "weekly-fri", "weekly-mon", "weekly-wed", "daily"


def _readonly(array: FloatArray) -> FloatArray:
    array = np.ascontiguousarray(array, dtype=np.float64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, slots=True)
class SideQuotes:
    """Quotes and Greeks of one side (calls or puts) of a chain slice, one entry per strike.

    Greeks use the conventions of engine.pricing: theta per calendar day, vega per vol point,
    both per one option on one unit of the underlying (multiply by the contract multiplier for $).
    IV is a decimal (0.18 = 18 %). Missing values are NaN.
    """

    bid: FloatArray
    ask: FloatArray
    mid: FloatArray
    iv: FloatArray
    delta: FloatArray
    gamma: FloatArray
    theta: FloatArray
    vega: FloatArray
    open_interest: FloatArray

    def __post_init__(self) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, _readonly(getattr(self, name)))


@dataclass(frozen=True, slots=True)
class ChainSlice:
    """All strikes of one expiry at one moment: the columnar form every chain takes."""

    underlying: str
    expiration: Expiration
    as_of: datetime  # tz-aware
    spot: float
    forward: float
    rate: float
    dividend_yield: float
    time_to_expiry: float  # years, ACT/365 to the settlement moment
    strikes: FloatArray
    calls: SideQuotes
    puts: SideQuotes
    source: DataSource

    def __post_init__(self) -> None:
        object.__setattr__(self, "strikes", _readonly(self.strikes))

    @property
    def expiry(self) -> date:
        """Return the expiry date."""
        return self.expiration.expiry

    @property
    def dte(self) -> int:
        """Return calendar days from the as-of date to expiry, as traders count DTE."""
        return (self.expiration.expiry - self.as_of.date()).days

    @property
    def atm_index(self) -> int:
        """Return the index of the strike nearest the forward."""
        return int(np.argmin(np.abs(self.strikes - self.forward)))

    @property
    def is_modelled(self) -> bool:
        """Return True when the quotes were modelled, not observed."""
        return self.source is DataSource.MODELLED


@dataclass(frozen=True, slots=True)
class Chain:
    """Every listed expiry of one underlying at one moment."""

    underlying: str
    as_of: datetime
    spot: float
    source: DataSource
    slices: tuple[ChainSlice, ...] = field(default_factory=tuple)

    @property
    def expirations(self) -> tuple[Expiration, ...]:
        """Return the expirations in date order."""
        return tuple(s.expiration for s in self.slices)

    def slice_for(self, expiry: date) -> ChainSlice:
        """Return the slice of one expiry; raise KeyError naming the expiry when not listed."""
        for chain_slice in self.slices:
            if chain_slice.expiry == expiry:
                return chain_slice
        raise KeyError(f"expiry {expiry.isoformat()} is not listed in the {self.underlying} chain")
