"""The circuit breaker (seed 002 §7.1, §12 rule 5, §16): consecutive max losses halt new entries.

Rules
-----
* **Max loss.** A closed trade counts as a *max loss* when either

  - it was closed by the STOP-LOSS exit rule (002 §7.1; `ClosedTrade.stop_loss_exit`), or
  - its realised loss is at least `max_loss_share` (default 0.50) of the position's max loss in
    dollars (a gap through the stop, a regime-shift or time-stop close deep in the red).

  The first leg is what 002 means by "max loss" in practice: with a 2x-credit stop a stopped trade
  loses about one credit, far from the spread's width. The second leg keeps a trade that blew
  through its stop from escaping the count because another rule closed it.
* **Streak.** Each max loss adds one to the streak; any other close (a win, a scratch, a loss
  short of the share above) resets it to zero.
* **Trip.** When the streak reaches `count` (default 3) the breaker trips on the day of that close
  and halts new entries through the `cooldown_days`-th session after it (default 5 business days,
  counted on the NYSE calendar, so weekends and holidays do not shorten it). Exits are never halted.
  The streak is not cleared by the trip: if the last `count` closes are all max losses again (the
  first trade after the cooldown also fails) the breaker trips again at once, which is 002's rule
  read literally. A max loss while already tripped extends the halt from that day.
* **Manual halt / resume.** A person may halt entries at any time (indefinitely, until resumed) and
  may resume: resuming lifts a manual halt and an automatic trip alike, clears the streak if it
  lifts a trip, and is recorded with who and why. That recorded resume is the only way around
  the breaker; the risk manager itself has no bypass.

`BreakerState` is a plain value; `CircuitBreaker` holds the rules and makes pure transitions;
`BreakerStore` persists the state (and an event journal) in the SQLite store, transactionally.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from engine.calendar import add_business_days, next_session
from engine.config import UnderlyingParams
from engine.errors import InputError
from engine.store import Store

DEFAULT_MAX_LOSS_SHARE = 0.50  # realised loss >= 50 % of the position's max loss counts as a max loss
RECENT_OUTCOMES = 10  # outcomes kept for the dashboard ("last 3 trades: W, W, L")
ACCOUNT_SCOPE = "account"  # 002's breaker is account-wide ("across all positions")
WIN, LOSS = "W", "L"


@dataclass(frozen=True, slots=True)
class BreakerRules:
    """How many consecutive max losses trip the breaker, for how long, and what a max loss is."""

    count: int = 3
    cooldown_days: int = 5
    max_loss_share: float = DEFAULT_MAX_LOSS_SHARE

    def __post_init__(self) -> None:
        if self.count < 1:
            raise InputError("circuit_breaker_count", self.count, "must be >= 1")
        if self.cooldown_days < 1:
            raise InputError("circuit_breaker_cooldown_days", self.cooldown_days, "must be >= 1")
        if not 0.0 < self.max_loss_share <= 1.0:
            raise InputError("max_loss_share", self.max_loss_share, "must be in (0, 1]")

    @classmethod
    def from_params(
        cls, params: UnderlyingParams, max_loss_share: float = DEFAULT_MAX_LOSS_SHARE
    ) -> BreakerRules:
        """Build the rules from an underlying's parameters (002 §10.1 count and cooldown)."""
        return cls(params.circuit_breaker_count, params.circuit_breaker_cooldown_days, max_loss_share)


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """What the breaker needs to know about a closed position.

    `realised_pnl` is the position's whole realised P&L in dollars (negative for a loss);
    `max_loss` is the position's max loss in dollars (a positive number, `Position.max_loss_dollars`);
    `stop_loss_exit` is True when the STOP-LOSS exit rule closed it (`ExitDecision.counts_as_max_loss`).
    """

    position_id: str
    realised_pnl: float
    max_loss: float
    stop_loss_exit: bool = False

    def __post_init__(self) -> None:
        if not math.isfinite(self.realised_pnl):
            raise InputError("realised_pnl", self.realised_pnl, "must be a finite number", self.position_id)
        if not (math.isfinite(self.max_loss) and self.max_loss > 0):
            raise InputError("max_loss", self.max_loss, "must be a positive number", self.position_id)

    @property
    def letter(self) -> str:
        """Return W for a trade closed at a profit, L otherwise (a scratch is not a win)."""
        return WIN if self.realised_pnl > 0 else LOSS


@dataclass(frozen=True, slots=True)
class ManualAction:
    """A person's halt or resume: who, why and on which day."""

    who: str
    why: str
    on: date

    def __post_init__(self) -> None:
        if not self.who.strip():
            raise InputError("who", self.who, "must name the person halting or resuming")
        if not self.why.strip():
            raise InputError("why", self.why, "must give a reason")


@dataclass(frozen=True, slots=True)
class BreakerState:
    """Where the breaker stands: the streak, the last outcomes, any trip and any manual halt.

    `halted_through` is the last session on which entries are halted by an automatic trip
    (inclusive); entries resume on the next session (`resumes_on`). `recent` holds the last
    outcomes, oldest first, as "W"/"L".
    """

    consecutive_max_losses: int = 0
    recent: tuple[str, ...] = ()
    tripped_on: date | None = None
    halted_through: date | None = None
    manual_halt: ManualAction | None = None
    last_resume: ManualAction | None = None

    def is_tripped(self, day: date) -> bool:
        """Return True while an automatic trip halts entries on `day`."""
        return self.halted_through is not None and day <= self.halted_through

    def is_halted(self, day: date) -> bool:
        """Return True when no new entry may open on `day` (a trip or a manual halt)."""
        return self.manual_halt is not None or self.is_tripped(day)

    @property
    def resumes_on(self) -> date | None:
        """Return the first session entries are allowed again after the trip, if any."""
        return None if self.halted_through is None else next_session(self.halted_through)

    def recent_text(self, last: int = 3) -> str:
        """Return the last outcomes as the dashboard shows them: "W, W, L"."""
        return ", ".join(self.recent[-last:]) if self.recent else "none"

    def status(self, day: date) -> str:
        """Return the panel's one-line state: armed, tripped until DATE, or halted by whom."""
        if self.manual_halt is not None:
            halt = self.manual_halt
            return f"halted by {halt.who} since {halt.on.isoformat()}: {halt.why}"
        if self.is_tripped(day):
            assert self.halted_through is not None
            return (
                f"tripped until {self.halted_through.isoformat()} after {self.consecutive_max_losses} "
                f"consecutive max losses (entries resume {self.resumes_on})"
            )
        return f"armed ({self.consecutive_max_losses} consecutive max losses)"


class CircuitBreaker:
    """The breaker's rules and its pure state transitions (each returns a new state)."""

    def __init__(self, rules: BreakerRules | None = None) -> None:
        self.rules = rules or BreakerRules()

    def is_max_loss(self, trade: ClosedTrade) -> bool:
        """Return True when the trade counts as a max loss (see the module docstring)."""
        if trade.stop_loss_exit:
            return True
        return trade.realised_pnl < 0 and -trade.realised_pnl >= self.rules.max_loss_share * trade.max_loss

    def record_close(self, state: BreakerState, trade: ClosedTrade, day: date) -> BreakerState:
        """Return the state after one closed trade: extend or reset the streak, trip at `count`."""
        recent = (*state.recent, trade.letter)[-RECENT_OUTCOMES:]
        if not self.is_max_loss(trade):
            return replace(state, consecutive_max_losses=0, recent=recent)
        streak = state.consecutive_max_losses + 1
        after = replace(state, consecutive_max_losses=streak, recent=recent)
        return self._trip(after, day) if streak >= self.rules.count else after

    def _trip(self, state: BreakerState, day: date) -> BreakerState:
        through = add_business_days(day, self.rules.cooldown_days)
        if state.halted_through is not None:
            through = max(through, state.halted_through)  # a second trip never shortens a halt
        return replace(state, tripped_on=day, halted_through=through)

    def halt(self, state: BreakerState, who: str, why: str, day: date) -> BreakerState:
        """Return the state with entries halted by hand until someone resumes."""
        return replace(state, manual_halt=ManualAction(who, why, day))

    def resume(self, state: BreakerState, who: str, why: str, day: date) -> BreakerState:
        """Return the state with any manual halt and automatic trip lifted, recording who and why."""
        action = ManualAction(who, why, day)
        lifted_trip = state.is_tripped(day)
        return replace(
            state,
            manual_halt=None,
            tripped_on=None if lifted_trip else state.tripped_on,
            halted_through=None if lifted_trip else state.halted_through,
            consecutive_max_losses=0 if lifted_trip else state.consecutive_max_losses,
            last_resume=action,
        )


# --- persistence --------------------------------------------------------------------------------


def _day_text(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _action_columns(prefix: str, action: ManualAction | None) -> dict[str, Any]:
    if action is None:
        return {f"{prefix}_by": None, f"{prefix}_why": None, f"{prefix}_on": None}
    return {f"{prefix}_by": action.who, f"{prefix}_why": action.why, f"{prefix}_on": action.on.isoformat()}


def _action(row: dict[str, Any], prefix: str) -> ManualAction | None:
    if row[f"{prefix}_by"] is None:
        return None
    return ManualAction(row[f"{prefix}_by"], row[f"{prefix}_why"], date.fromisoformat(row[f"{prefix}_on"]))


def _row(scope: str, state: BreakerState, day: date) -> dict[str, Any]:
    return {
        "scope": scope,
        "consecutive_max_losses": state.consecutive_max_losses,
        "recent": "".join(state.recent),
        "tripped_on": _day_text(state.tripped_on),
        "halted_through": _day_text(state.halted_through),
        **_action_columns("manual_halt", state.manual_halt),
        **_action_columns("last_resume", state.last_resume),
        "updated_on": day.isoformat(),
    }


def _state(row: dict[str, Any]) -> BreakerState:
    return BreakerState(
        consecutive_max_losses=int(row["consecutive_max_losses"]),
        recent=tuple(row["recent"]),
        tripped_on=_day(row["tripped_on"]),
        halted_through=_day(row["halted_through"]),
        manual_halt=_action(row, "manual_halt"),
        last_resume=_action(row, "last_resume"),
    )


class BreakerStore:
    """Persist one breaker's state in the store (tables of migration 2), with an event journal.

    Every change writes the new state and its journal line in one transaction, and the
    read-modify-write helpers (`record_close`, `halt`, `resume`) run inside that same transaction,
    so a crash leaves either the old state or the new one, never half of a change.
    """

    def __init__(
        self, store: Store, breaker: CircuitBreaker | None = None, scope: str = ACCOUNT_SCOPE
    ) -> None:
        self.store = store
        self.breaker = breaker or CircuitBreaker()
        self.scope = scope

    def load(self) -> BreakerState:
        """Return the stored state, or an armed breaker when nothing was stored yet."""
        rows = list(self.store.db.query("SELECT * FROM circuit_breaker WHERE scope = ?", [self.scope]))
        return _state(rows[0]) if rows else BreakerState()

    def save(self, state: BreakerState, day: date, event: str, detail: str = "") -> None:
        """Write the state and one journal line for the event that produced it, atomically."""
        with self.store.transaction() as db:
            db.table("circuit_breaker").insert(_row(self.scope, state, day), pk="scope", replace=True)
            db.table("circuit_breaker_events").insert(
                {
                    "scope": self.scope,
                    "day": day.isoformat(),
                    "event": event,
                    "detail": detail,
                    "consecutive_max_losses": state.consecutive_max_losses,
                    "halted_through": _day_text(state.halted_through),
                    "manual_halt": state.manual_halt is not None,
                }
            )

    def record_close(self, trade: ClosedTrade, day: date) -> BreakerState:
        """Record a closed trade and return the new state (tripping the breaker if it must)."""
        with self.store.transaction():
            before = self.load()
            after = self.breaker.record_close(before, trade, day)
            is_max_loss = self.breaker.is_max_loss(trade)
            tripped = is_max_loss and after.consecutive_max_losses >= self.breaker.rules.count
            event = "trip" if tripped else "close"
            max_loss = "max loss" if is_max_loss else "not a max loss"
            self.save(
                after,
                day,
                event,
                f"{trade.position_id} {trade.letter} {trade.realised_pnl:+.2f} ({max_loss})",
            )
        return after

    def halt(self, who: str, why: str, day: date) -> BreakerState:
        """Halt entries by hand and return the new state."""
        with self.store.transaction():
            after = self.breaker.halt(self.load(), who, why, day)
            self.save(after, day, "halt", f"{who}: {why}")
        return after

    def resume(self, who: str, why: str, day: date) -> BreakerState:
        """Lift a manual halt or a trip by hand and return the new state."""
        with self.store.transaction():
            after = self.breaker.resume(self.load(), who, why, day)
            self.save(after, day, "resume", f"{who}: {why}")
        return after

    def events(self) -> list[dict[str, Any]]:
        """Return the journal of this breaker, oldest first."""
        return list(
            self.store.db.query(
                "SELECT * FROM circuit_breaker_events WHERE scope = ? ORDER BY id", [self.scope]
            )
        )
