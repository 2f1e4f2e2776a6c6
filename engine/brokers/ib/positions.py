"""Reconciling positions: what IB holds, option by option, against the journal's open positions.

IB reports positions per contract (a 2-lot put credit spread is -2 of the short put and +2 of the
long one); the journal keeps positions per trade. Both are reduced to the net quantity per option
(class, expiry, strike, right) of the underlying and compared. A difference is never "fixed" by
the terminal (which side is right needs a human: a trade placed by hand in TWS, an assignment, a
fill the journal missed); it is reported, option by option, as a warning in the log after every
(re)connect.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from ib_async import Position as IbPosition

from engine.brokers.ib.connection import IbConnection
from engine.brokers.ib.contracts import LegKey, contract_key, leg_key
from engine.clock import MARKET_TZ
from engine.journal import Journal, PositionRecord

log = logging.getLogger(__name__)

Holdings = dict[LegKey, float]


def ib_holdings(positions: Iterable[IbPosition], underlying: str) -> Holdings:
    """Return IB's option positions of `underlying` as net quantity per option."""
    held: Holdings = defaultdict(float)
    for position in positions:
        contract = position.contract
        if contract.secType == "OPT" and contract.symbol == underlying and position.position:
            held[contract_key(contract)] += float(position.position)
    return {key: qty for key, qty in held.items() if qty}


def journal_holdings(records: Iterable[PositionRecord], underlying: str) -> Holdings:
    """Return the journal's open positions of `underlying` as net quantity per option."""
    held: Holdings = defaultdict(float)
    for record in records:
        position = record.position
        if position.underlying != underlying:
            continue
        for leg in position.structure.legs:
            held[leg_key(underlying, leg)] += leg.quantity * position.contracts
    return {key: qty for key, qty in held.items() if qty}


def differences(ib: Holdings, journal: Holdings) -> list[str]:
    """Return one readable line per option where IB and the journal disagree, in option order."""
    lines = []
    for key in sorted(set(ib) | set(journal)):
        at_ib, ours = ib.get(key, 0.0), journal.get(key, 0.0)
        if at_ib != ours:
            trading_class, expiry, strike, right = key
            lines.append(f"{trading_class} {expiry.isoformat()} {strike:g}{right}: IB holds {at_ib:+g}, "
                         f"the journal {ours:+g}")
    return lines


def check_positions(connection: IbConnection, journal: Journal, underlying: str = "SPX") -> list[str]:
    """Compare IB's positions with the journal's now; log each difference as [RECONCILE]; return them."""
    found = differences(ib_holdings(connection.ib.positions(), underlying),
                        journal_holdings(journal.positions("open"), underlying))
    now = datetime.now(MARKET_TZ)
    with journal.transaction():
        for line in found:
            journal.log(now, "BROKER", f"[RECONCILE] position mismatch: {line}")
    for line in found:
        log.warning("position mismatch: %s", line)
    return found
