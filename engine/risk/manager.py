"""The risk manager: the veto over every order that opens risk (seed 002 §12 rule 4; SPEC step 8).

Every entry passes `check_entry`, whoever proposed it: the strategy, a trader's manual spread, a
roll's opening leg, an approval re-checked on current prices. There is no bypass argument and no
"manual" flag: a manual order is judged exactly like a proposed one. The limits are in
`engine.risk.limits`, checked in the order of `ENTRY_CHECKS`; the first breached one is the veto,
naming the limit, the value measured and the threshold.

Closing orders pass `check_exit`, which always approves a genuine close: risk never blocks
reducing risk (a tripped breaker, a loss limit or an over-limit book must still be able to get
out). An order that would close more than is held would open the opposite position, so it is
not a close and is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from engine.config import Settings
from engine.errors import InputError
from engine.model import Position, RiskVerdict, Structure
from engine.risk.limits import ENTRY_CHECKS, LimitReading, ProposedEntry
from engine.risk.portfolio import PortfolioSnapshot


def _check_contracts(contracts: int) -> None:
    if isinstance(contracts, bool) or not isinstance(contracts, int) or contracts < 1:
        raise InputError("contracts", contracts, "must be a whole number >= 1")


class RiskManager:
    """Judge orders against the account's limits (Settings.portfolio, .limits, per underlying)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _readings(
        self, structure: Structure, contracts: int, portfolio: PortfolioSnapshot, day: date
    ) -> Iterator[LimitReading]:
        _check_contracts(contracts)
        self.settings.underlying(structure.underlying)  # unknown underlying: ConfigError naming it
        entry = ProposedEntry(structure, contracts, portfolio, day)
        for check in ENTRY_CHECKS:
            yield check(entry, self.settings)

    def readings(
        self, structure: Structure, contracts: int, portfolio: PortfolioSnapshot, day: date
    ) -> tuple[LimitReading, ...]:
        """Return every limit's reading for a proposed entry (for panels and the gate report)."""
        return tuple(self._readings(structure, contracts, portfolio, day))

    def check_entry(
        self, structure: Structure, contracts: int, portfolio: PortfolioSnapshot, day: date
    ) -> RiskVerdict:
        """Approve an opening order, or veto it on the first limit it breaches."""
        passed = 0
        for reading in self._readings(structure, contracts, portfolio, day):
            if reading.breached:
                return reading.verdict()
            passed += 1
        return RiskVerdict(True, detail=f"all {passed} risk limits pass")

    def check_exit(self, position: Position, contracts: int | None = None) -> RiskVerdict:
        """Approve a closing order for `contracts` of a position (all of it when None).

        Always approves a genuine close, whatever the breaker, loss limits or Greeks say.
        """
        closing = position.contracts if contracts is None else contracts
        _check_contracts(closing)
        if closing > position.contracts:
            return RiskVerdict(
                False,
                "not a closing order",
                float(closing),
                float(position.contracts),
                f"closing {closing} contracts of {position.position_id} would open "
                f"{closing - position.contracts} the other way (only {position.contracts} held)",
            )
        return RiskVerdict(True, "exit", detail=f"closing {closing} of {position.position_id}: reduces risk")
