"""Evaluate one session's close for an entry: diagnosis, regime, gates, and the candidate spread.

`Evaluator(history, settings, chain_source).evaluate(day, portfolio)` is the daily entry run of
the default strategy (002, SPEC "engine pipeline" steps 1-8), future-blind: indicators come from
`MarketStates` (causal), the chain is the one known at `day`'s close.

Order of the decision (the first failure is the `reason`):

1. Warm-up (002 §11.10): while indicators seed, no entry ("WARMUP: ... X bars remaining").
2. The signal gates (engine.strategy.gates: 002 §4.2's ten, VIX ceiling, entry window), all of
   them run every day so the panel shows every value; the first that blocks is the reason.
3. Only when they all pass is a chain slice built (the costly step): the expiry nearest
   target_dte within [min_dte_entry, max_dte_entry], the put credit spread of 002 §5.
4. The candidate gates (min credit, return on risk, bid/ask quality) on the built spread.
5. Conviction (002 §6.2), MaxLossSizer contracts (002 §6.1 with §6.3 drawdown scaling): zero
   contracts is no trade. Exit levels (002 §7). The risk manager's verdict: a veto is no trade.

`signal` is True only when every step passed. `candidate` is present whenever a spread was built,
also when a later step said no (so the trader sees what was refused and why).

Units in `Evaluation.to_json()`: credits, bid/ask, profit target and stop loss are option prices
in index points per spread (as quoted: 2.60); max_loss is dollars per contract (4740.0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol

from engine import calendar
from engine.config import Settings
from engine.data.chain_model import ModelledChainSource
from engine.data.history import MarketHistory
from engine.errors import InputError
from engine.model import (
    ChainSlice,
    ExitPlan,
    Expiration,
    GateResult,
    Regime,
    Right,
    RiskVerdict,
    Structure,
)
from engine.risk.manager import RiskManager
from engine.risk.portfolio import PortfolioSnapshot
from engine.strategy.conviction import Conviction, ConvictionInputs, score_conviction, trend_strength_pct
from engine.strategy.diagnosis import Diagnosis, diagnose
from engine.strategy.exits import exit_plan_for
from engine.strategy.gates import (
    CANDIDATE_GATES,
    SIGNAL_GATES,
    GateInputs,
    GateOutcome,
    first_blocking,
    run_gates,
)
from engine.strategy.logs import entry_eval, gate_line, warmup_line
from engine.strategy.market_state import MarketState, MarketStates
from engine.strategy.regime import RegimeReading, classify
from engine.strategy.sizing import MaxLossSizer, Sizer, SizingRequest, SizingResult
from engine.strategy.spreads import NO_STRIKES, NoSpread, build_put_credit_spread, select_expiry

JSON_KEYS = ("date", "regime", "warmup_bars_remaining", "gates", "signal", "reason", "candidate")
CANDIDATE_KEYS = (
    "structure", "expiry", "dte", "legs", "credit_mid", "credit_natural", "max_loss", "contracts",
    "conviction", "profit_target", "stop_loss", "time_stop",
)


class ChainSource(Protocol):
    """Where the evaluator gets chains: the modelled source, a recorded store, a live feed."""

    def expirations(self, day: date) -> tuple[Expiration, ...]:
        """Return the expirations listed at `day`'s close."""
        ...

    def slice_at(self, day: date, expiration: Expiration) -> ChainSlice:
        """Return one expiry's quotes at `day`'s close."""
        ...


@dataclass(frozen=True, slots=True)
class Candidate:
    """The spread the strategy proposes: structure, size, conviction, exits, risk verdict.

    Prices and DTE are those of the chain at the signal close; the exit levels are computed as if
    the spread opened then (the order goes out in the next session's entry window).
    """

    structure: Structure
    expiration: Expiration
    dte: int
    modelled: bool
    conviction: Conviction
    sizing: SizingResult
    exit_plan: ExitPlan
    risk: RiskVerdict | None  # None when sizing gave no contract to check

    @property
    def contracts(self) -> int:
        """Return the contracts the sizer gave."""
        return self.sizing.contracts

    @property
    def max_loss_per_contract(self) -> float:
        """Return the dollars one contract can lose at the mid credit."""
        return self.structure.max_loss * self.structure.multiplier


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One day's entry evaluation of one underlying."""

    day: date
    underlying: str
    state: MarketState
    regime: RegimeReading
    diagnosis: Diagnosis
    gates: tuple[GateResult, ...]
    evaluated_gates: int  # how many of `gates` the [ENTRY EVAL] chain reached (all but unbuilt)
    signal: bool
    reason: str | None  # the first failure; None with a signal
    candidate: Candidate | None

    @property
    def warmup_bars_remaining(self) -> int:
        """Return the bars until every indicator is seeded (0 when ready)."""
        return self.state.warmup_bars_remaining

    def entry_eval_log(self) -> str:
        """Return the 002 §9.1 [ENTRY EVAL] block (or the WARMUP line while warming up)."""
        if self.state.warming_up:
            return warmup_line(self.warmup_bars_remaining)
        return entry_eval(self.day, self.underlying, self.gates[: self.evaluated_gates], self.reason)

    def to_json(self) -> dict[str, Any]:
        """Return the evaluation as one JSON-ready object (keys: JSON_KEYS)."""
        return {
            "date": self.day.isoformat(),
            "regime": None if self.regime.regime is None else self.regime.regime.value,
            "warmup_bars_remaining": self.warmup_bars_remaining,
            "gates": [_gate_json(gate) for gate in self.gates],
            "signal": self.signal,
            "reason": self.reason,
            "candidate": None if self.candidate is None else _candidate_json(self.candidate),
        }


def _number(value: float | str | int | None) -> float | str | int | None:
    """Return a JSON-safe value: NaN and infinities become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _gate_json(gate: GateResult) -> dict[str, Any]:
    return {"name": gate.name, "passed": gate.passed, "value": _number(gate.value),
            "threshold": gate.threshold, "detail": gate.detail}


def _candidate_json(candidate: Candidate) -> dict[str, Any]:
    structure, plan = candidate.structure, candidate.exit_plan
    legs = [{"right": "put" if leg.right is Right.PUT else "call", "strike": leg.strike, "action": leg.action,
             "delta": _number(round(leg.delta, 4)), "bid": leg.bid, "ask": leg.ask} for leg in structure.legs]
    return {
        "structure": structure.kind.value,
        "expiry": candidate.expiration.expiry.isoformat(),
        "dte": candidate.dte,
        "legs": legs,
        "credit_mid": round(structure.credit_mid, 4),
        "credit_natural": round(structure.credit_natural, 4),
        "max_loss": round(candidate.max_loss_per_contract, 2),
        "contracts": candidate.contracts,
        "conviction": round(candidate.conviction.multiplier, 4),
        "profit_target": round(plan.profit_target_debit, 4),
        "stop_loss": round(plan.stop_loss_debit, 4),
        "time_stop": plan.time_stop.isoformat(),
    }


# --- the evaluator -------------------------------------------------------------------------------


def _entry_session(day: date) -> date | None:
    """Return the session the order would be placed in (None past the calendar's end)."""
    try:
        return calendar.next_session(day)
    except InputError:
        return None


def _last_entry(portfolio: PortfolioSnapshot, underlying: str) -> date | None:
    opened = [p.opened_on for p in portfolio.positions if p.underlying == underlying]
    return max(opened) if opened else None


@dataclass(frozen=True, slots=True)
class _Proposal:
    """What steps 3-5 produced: the candidate (if built), its gates, and the first failure."""

    candidate: Candidate | None
    gates: tuple[GateOutcome, ...]
    reason: str | None


class Evaluator:
    """Run the daily entry evaluation of one underlying over a history (module doc)."""

    def __init__(
        self,
        history: MarketHistory,
        settings: Settings,
        chain_source: ChainSource | None = None,
        underlying: str = "SPX",
        *,
        sizer: Sizer | None = None,
        disabled_gates: frozenset[str] = frozenset(),
        breadth_pct: Mapping[date, float] | None = None,
        hy_spread_bp: Mapping[date, float] | None = None,
    ) -> None:
        self.settings = settings
        self.underlying = underlying
        self.params = settings.underlying(underlying)
        self.states = MarketStates(history, self.params, underlying, breadth_pct, hy_spread_bp)
        self.chains = chain_source if chain_source is not None else ModelledChainSource(history)
        self.sizer = sizer or MaxLossSizer(self.params.risk_per_trade_pct)
        self.disabled_gates = disabled_gates
        self.risk = RiskManager(settings)

    def empty_portfolio(self) -> PortfolioSnapshot:
        """Return a flat account at the configured starting equity."""
        equity = self.settings.portfolio.starting_equity
        return PortfolioSnapshot(equity, equity, positions=(), pnl_today=0.0, pnl_week=0.0)

    def _gate_inputs(
        self, state: MarketState, book: PortfolioSnapshot, last_entry: date | None
    ) -> GateInputs:
        return GateInputs(
            state, self.params, classify(state, self.params), len(book.positions),
            book.open_on(self.underlying), self.settings.portfolio.max_concurrent_total,
            last_entry if last_entry is not None else _last_entry(book, self.underlying),
            _entry_session(state.day),
        )

    def evaluate(
        self, day: date, portfolio: PortfolioSnapshot | None = None, last_entry: date | None = None
    ) -> Evaluation:
        """Evaluate `day`'s close; `last_entry` defaults to the newest open position's opening day."""
        state = self.states.on(day)
        book = portfolio if portfolio is not None else self.empty_portfolio()
        inputs = self._gate_inputs(state, book, last_entry)
        signal_gates = run_gates(SIGNAL_GATES, inputs, self.disabled_gates)
        blocking = first_blocking(signal_gates)
        if state.warming_up:
            proposal = self._no_proposal(inputs, warmup_line(state.warmup_bars_remaining))
        elif blocking is not None:
            proposal = self._no_proposal(inputs, blocking.reason)
        else:
            proposal = self._propose(day, inputs, book)
        gates = signal_gates + proposal.gates
        evaluated = len(gates) if proposal.candidate is not None else len(signal_gates)
        return Evaluation(
            day, self.underlying, state, inputs.regime, diagnose(state, self.params),
            tuple(outcome.result for outcome in gates), evaluated, proposal.reason is None, proposal.reason,
            proposal.candidate,
        )

    def _regime_allocation(self, regime: Regime | None) -> float:
        """Return the share of full size the regime allows (002 §3.3: High Vol is reduced)."""
        return self.params.high_vol_allocation_pct / 100.0 if regime is Regime.HIGH_VOL else 1.0

    def _no_proposal(self, inputs: GateInputs, reason: str) -> _Proposal:
        """Return the day's result without a spread: the candidate gates report "not evaluated"."""
        return _Proposal(None, run_gates(CANDIDATE_GATES, inputs, self.disabled_gates), reason)

    def _build(self, day: date, state: MarketState) -> tuple[Structure, Expiration, ChainSlice] | str:
        """Build 002 §5's put credit spread from the chain at `day`'s close, or say why not."""
        params = self.params
        expiration = select_expiry(self.chains.expirations(day), day, params)
        if expiration is None:
            return f"{NO_STRIKES}: no expiry listed within {params.min_dte_entry}-{params.max_dte_entry} DTE"
        chain = self.chains.slice_at(day, expiration)  # small batches run serially (engine.pricing.threads)
        built = build_put_credit_spread(chain, params, state.vix)
        if isinstance(built, NoSpread):
            return built.reason
        return built, expiration, chain

    def _propose(self, day: date, inputs: GateInputs, book: PortfolioSnapshot) -> _Proposal:
        built = self._build(day, inputs.state)
        if isinstance(built, str):
            return self._no_proposal(inputs, built)
        structure, expiration, chain = built
        gates = run_gates(CANDIDATE_GATES, replace(inputs, candidate=structure), self.disabled_gates)
        conviction = self._conviction(inputs.state, book)
        request = SizingRequest.for_structure(structure, book.equity, book.peak_equity,
                                              conviction=conviction.multiplier, vix=inputs.state.vix,
                                              allocation=self._regime_allocation(inputs.regime.regime))
        sizing = self.sizer.size(request)
        risk = None
        if sizing.contracts >= 1:  # the risk manager judges a real order only
            book = replace(book, regime=inputs.regime.regime)
            risk = self.risk.check_entry(structure, sizing.contracts, book, day)
        plan = exit_plan_for(structure.credit_mid, day, structure.expiry, self.params)
        modelled = chain.is_modelled
        candidate = Candidate(structure, expiration, chain.dte, modelled, conviction, sizing, plan, risk)
        return _Proposal(candidate, gates, _candidate_reason(gates, sizing, risk))

    def _conviction(self, state: MarketState, book: PortfolioSnapshot) -> Conviction:
        """Score 002 §6.2's conviction from the day's readings and the last closed trades."""
        depth = state.deepest_touch_std(self.params.bb_std_dev)
        return score_conviction(ConvictionInputs(
            iv_rank=state.iv_rank,
            term_structure_ratio=state.term_ratio,
            trend_strength_pct=trend_strength_pct(state.close, state.trend_ema),
            bb_touch_depth=None if math.isnan(depth) else depth,
            recent_wins=[outcome == "W" for outcome in book.breaker.recent],
        ))


def _candidate_reason(
    gates: tuple[GateOutcome, ...], sizing: SizingResult, risk: RiskVerdict | None
) -> str | None:
    """Return the first failure after the spread was built: a candidate gate, sizing, the risk veto."""
    blocking = first_blocking(gates)
    if blocking is not None:
        return blocking.reason
    if sizing.contracts < 1:
        return f"Sizing: {sizing.detail}"
    if risk is not None and not risk.approved:
        return f"Risk veto: {risk.limit}: {risk.detail}"
    return None


# --- the text report -----------------------------------------------------------------------------


def _candidate_lines(candidate: Candidate) -> list[str]:
    structure, plan = candidate.structure, candidate.exit_plan
    source = "modelled chain" if candidate.modelled else "quoted chain"
    lines = [f"Candidate: {structure.underlying} {structure.kind.value}, expiry "
             f"{candidate.expiration.expiry.isoformat()} ({candidate.dte} DTE, {source})"]
    for leg in structure.legs:
        right = "P" if leg.right is Right.PUT else "C"
        lines.append(f"  {leg.action} {structure.underlying} {leg.strike:g}{right}  delta {leg.delta:+.3f}  "
                     f"bid/ask {leg.bid:.2f}/{leg.ask:.2f}  IV {100 * leg.iv:.1f}%")
    pop = 100 * structure.probability_of_profit
    lines += [
        f"  Credit: ${structure.credit_mid:.2f} mid, ${structure.credit_natural:.2f} natural; max loss "
        f"${candidate.max_loss_per_contract:,.0f} per contract; POP {pop:.1f}%",
        f"  Contracts: {candidate.contracts} ({candidate.sizing.detail})",
        f"  {candidate.conviction.describe()}",
        f"  Exits: profit target ${plan.profit_target_debit:.2f}, stop loss ${plan.stop_loss_debit:.2f}, "
        f"time stop {plan.time_stop.isoformat()}",
    ]
    if candidate.risk is not None:
        verdict = "approved" if candidate.risk.approved else f"VETO ({candidate.risk.limit})"
        lines.append(f"  Risk manager: {verdict}: {candidate.risk.detail}")
    return lines


def report(evaluation: Evaluation) -> str:
    """Return the human report: diagnosis, regime, every gate, the candidate or why none, the log."""
    state = evaluation.state
    warmup = "ready" if not state.warming_up else f"{state.warmup_bars_remaining} bars remaining"
    lines = [
        f"Optimus entry evaluation {evaluation.day.isoformat()} | {evaluation.underlying} "
        f"close {state.close:,.2f}",
        f"Regime: {evaluation.regime.label} ({evaluation.regime.because})",
        f"Warm-up: {warmup}",
        "Diagnosis: volatility (002 §3.1)",
        *(gate_line(check) for check in evaluation.diagnosis.volatility),
        "Diagnosis: sentiment and direction (002 §3.2)",
        *(gate_line(check) for check in evaluation.diagnosis.sentiment),
        "Entry gates (002 §4.2 and extra gates)",
        *(gate_line(gate) for gate in evaluation.gates),
        "Signal: YES" if evaluation.signal else f"Signal: NO ({evaluation.reason})",
    ]
    if evaluation.candidate is not None:
        lines += _candidate_lines(evaluation.candidate)
    else:
        lines.append(f"Candidate: none ({evaluation.reason})")
    return "\n".join([*lines, "", evaluation.entry_eval_log()])
