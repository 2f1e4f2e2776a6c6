"""Exits of seed 002 §7 (with §11.1's dynamic profit targets): when to close an open credit spread.

Evaluated once a day per position; the first rule that triggers closes it. Prices are debits per
unit in index points (what it costs now to buy the spread back); the credit is what was received.

Rules, in priority order (002 §7.2: "profit target > stop loss > time stop"; every rule closes the
whole position, so the order only decides the reason, which the breaker and the journal keep)
----------------------------------------------------------------------------------------------
1. **PROFIT_TARGET**: debit <= credit x (1 - target %). The target % is `profit_target_pct` (50),
   tightened, never loosened, by
     * §11.1 when `dynamic_profit_target`: DTE > 35 keeps the base; 28 < DTE <= 35: 40 %;
       DTE <= 28: 30 % (002's bands overlap at 28; 28 goes to the tighter band, which is also
       where the soft warning starts);
     * §7.3's soft warning from the soft-warning date on: `soft_warning_profit_target_pct` (40).
   The effective target is the *lowest* that applies: with fixed targets the soft warning takes 50
   to 40 at DTE 28; with dynamic targets the 30 % band is already tighter. Set the soft-warning
   % equal to `profit_target_pct` to switch the warning off.
2. **STOP_LOSS**: debit >= stop_loss_multiplier x credit. It counts as a max loss for the breaker.
3. **EXPIRY_GUARD**: DTE <= 1, whatever the parameters: never hold to expiry (002 §7.3, §12 rule
   2). The time stop (14-28 DTE) always fires first; this rule stands behind it so that a
   position the daily run missed (data outage, engine down) is still closed, and says so.
4. **TIME_STOP**: from the time-stop date on: the last session on or before expiry -
   `time_stop_dte` calendar days. When expiry - 21 days is a holiday the position closes on the
   session before it (at 22 DTE) rather than after (at 18): the time stop is about gamma, so the
   earlier session is the safe one. Any day at or under 21 DTE is past that date, so "DTE <= 21"
   always triggers.
5. **REGIME_SHIFT**: Crisis or Bear Trend (002 §7.1: close within one business day).

The stop in 002
---------------
002 §7.1 says "spread value has increased to 200 % of credit received (loss = 1x premium)", §10
"close when spread value = multiplier x credit received" and §12 "stop loss at 200 % of premium":
a debit of 2 x credit, a loss of one credit. Its §9.2 log prints "Stop Loss: Close at $7.80 (200 %
of $2.60 credit)", which is credit + 2 x credit: a *loss* of 200 %. The log contradicts the three
rule statements, so the stop debit here is `stop_loss_multiplier x credit`: $5.20 for a $2.60
credit (loss $2.60 per unit).

The rules act on the current parameters (a tightened stop applies to open positions at once);
`exit_plan_for` shows the same rules as levels at entry, with the same functions.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date, timedelta

from engine.calendar import on_or_before_session
from engine.config import UnderlyingParams
from engine.errors import InputError
from engine.model import ExitPlan, Position, Regime

EXPIRY_GUARD_DTE = 1  # never hold to expiry: close at DTE <= 1 whatever the parameters
EPSILON = 1e-9  # float noise: a debit exactly at a level counts as reaching it

# 002 §11.1 dynamic targets: (lowest DTE of the band, exclusive; target %), widest DTE first.
DYNAMIC_TARGET_BANDS: tuple[tuple[int, float], ...] = ((35, 50.0), (28, 40.0))
DYNAMIC_TARGET_NEAR_PCT = 30.0  # DTE <= 28


class ExitReason(enum.StrEnum):
    """Why a position is closed, as the journal and the [TRADE CLOSED] log say it."""

    PROFIT_TARGET = "PROFIT TARGET"
    STOP_LOSS = "STOP LOSS"
    EXPIRY_GUARD = "EXPIRY GUARD"
    TIME_STOP = "TIME STOP"
    REGIME_SHIFT = "REGIME SHIFT"


@dataclass(frozen=True, slots=True)
class ExitDecision:
    """Close this position: the rule, a sentence with its numbers, and whether it is a max loss.

    `counts_as_max_loss` is True for a stop-loss exit; the circuit breaker also counts a close whose
    realised loss is large (engine.risk.breaker), which is only known once it has filled.
    """

    reason: ExitReason
    detail: str
    counts_as_max_loss: bool
    dte: int


# --- levels -------------------------------------------------------------------------------------


def days_to_expiry(expiry: date, day: date) -> int:
    """Return calendar days from `day` to expiry, as traders count DTE."""
    return (expiry - day).days


def time_stop_date(expiry: date, params: UnderlyingParams) -> date:
    """Return the session the time stop closes on: the last one on or before expiry - time_stop_dte."""
    return on_or_before_session(expiry - timedelta(days=params.time_stop_dte))


def soft_warning_date(expiry: date, params: UnderlyingParams) -> date:
    """Return the session from which the soft warning tightens the target (002 §7.3)."""
    return on_or_before_session(expiry - timedelta(days=params.soft_warning_dte))


def dynamic_target_pct(dte: int, base_pct: float) -> float:
    """Return 002 §11.1's target for a DTE, never looser than the base target."""
    for lowest_dte, pct in DYNAMIC_TARGET_BANDS:
        if dte > lowest_dte:
            return min(base_pct, pct)
    return min(base_pct, DYNAMIC_TARGET_NEAR_PCT)


def profit_target_pct(dte: int, soft_warning: bool, params: UnderlyingParams) -> float:
    """Return the % of the credit to capture: base, dynamic and soft warning, the lowest wins."""
    pct = params.profit_target_pct
    if params.dynamic_profit_target:
        pct = dynamic_target_pct(dte, pct)
    if soft_warning:
        pct = min(pct, params.soft_warning_profit_target_pct)
    return pct


def target_debit(credit: float, target_pct: float) -> float:
    """Return the debit at which the spread is bought back for `target_pct` of the credit."""
    return credit * (1.0 - target_pct / 100.0)


def stop_debit(credit: float, params: UnderlyingParams) -> float:
    """Return the debit at which the stop closes the spread: multiplier x credit (module doc)."""
    return params.stop_loss_multiplier * credit


def _check_credit(credit: float, where: str) -> None:
    if not (math.isfinite(credit) and credit > 0):
        raise InputError("credit", credit, "002 §7 exits need a positive credit received (points)", where)


def exit_plan_for(credit: float, opened_on: date, expiry: date, params: UnderlyingParams) -> ExitPlan:
    """Return the exit levels of a spread sold for `credit` points (the [TRADE OPENED] levels)."""
    _check_credit(credit, "exit plan")
    if expiry <= opened_on:
        raise InputError("expiry", expiry.isoformat(), f"must be after the opening day {opened_on}")
    soft = soft_warning_date(expiry, params)
    pct = profit_target_pct(days_to_expiry(expiry, opened_on), opened_on >= soft, params)
    return ExitPlan(
        profit_target_debit=target_debit(credit, pct),
        stop_loss_debit=stop_debit(credit, params),
        time_stop=time_stop_date(expiry, params),
        soft_warning=soft,
    )


# --- rules --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Today:
    """One position on one day: what every rule looks at."""

    credit: float
    debit: float  # NaN when there is no usable mark
    expiry: date
    day: date
    dte: int
    regime: Regime | None
    params: UnderlyingParams

    @property
    def has_mark(self) -> bool:
        return not math.isnan(self.debit)


def _profit_target(today: _Today) -> ExitDecision | None:
    if not today.has_mark:
        return None
    soft = today.day >= soft_warning_date(today.expiry, today.params)
    pct = profit_target_pct(today.dte, soft, today.params)
    level = target_debit(today.credit, pct)
    if today.debit > level + EPSILON:
        return None
    why = " (soft warning)" if soft and pct == today.params.soft_warning_profit_target_pct else ""
    detail = f"debit {today.debit:.2f} <= {level:.2f}: {pct:g} % of the {today.credit:.2f} credit{why}"
    return ExitDecision(ExitReason.PROFIT_TARGET, detail, False, today.dte)


def _stop_loss(today: _Today) -> ExitDecision | None:
    if not today.has_mark:
        return None
    level = stop_debit(today.credit, today.params)
    if today.debit < level - EPSILON:
        return None
    multiplier = today.params.stop_loss_multiplier
    detail = f"debit {today.debit:.2f} >= {level:.2f}: {multiplier:g} x the {today.credit:.2f} credit"
    return ExitDecision(ExitReason.STOP_LOSS, detail, True, today.dte)


def _expiry_guard(today: _Today) -> ExitDecision | None:
    if today.dte > EXPIRY_GUARD_DTE:
        return None
    detail = f"DTE {today.dte} <= {EXPIRY_GUARD_DTE}: never hold to expiry ({today.expiry.isoformat()})"
    return ExitDecision(ExitReason.EXPIRY_GUARD, detail, False, today.dte)


def _time_stop(today: _Today) -> ExitDecision | None:
    stop_on = time_stop_date(today.expiry, today.params)
    if today.day < stop_on:
        return None
    detail = f"DTE {today.dte}: time stop {stop_on.isoformat()} ({today.params.time_stop_dte} DTE) reached"
    return ExitDecision(ExitReason.TIME_STOP, detail, False, today.dte)


def _regime_shift(today: _Today) -> ExitDecision | None:
    if today.regime is None or not today.regime.halts_entries:
        return None
    detail = f"{today.regime.value} regime: close within one business day"
    return ExitDecision(ExitReason.REGIME_SHIFT, detail, False, today.dte)


EXIT_RULES = (_profit_target, _stop_loss, _expiry_guard, _time_stop, _regime_shift)


def evaluate_exit(
    position: Position,
    mark_debit: float,
    day: date,
    regime: Regime | None,
    params: UnderlyingParams,
) -> ExitDecision | None:
    """Return the first exit rule that closes the position today, or None to hold it.

    `mark_debit` is the cost to close per unit in points; NaN (no usable quote) skips the price
    rules and still applies the time rules and the regime. `regime` None means unknown.
    """
    _check_credit(position.entry_credit, position.position_id)
    if not math.isnan(mark_debit) and not (math.isfinite(mark_debit) and mark_debit >= 0):
        raise InputError(
            "mark_debit", mark_debit, "must be >= 0 points (or NaN: no mark)", position.position_id
        )
    expiry = position.structure.expiry
    today = _Today(
        position.entry_credit, mark_debit, expiry, day, days_to_expiry(expiry, day), regime, params
    )
    for rule in EXIT_RULES:
        decision = rule(today)
        if decision is not None:
            return decision
    return None
