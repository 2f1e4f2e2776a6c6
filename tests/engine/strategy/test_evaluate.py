"""The daily entry evaluation on the bundled history: signal days, crisis, warm-up, future-blindness.

The signal dates below were found by evaluating every session 2004-01-01..2024-12-31 with the
default settings and an empty $500,000 account (a throw-away script looping
``Evaluator(load_history(), settings).evaluate(day)`` and printing the days with ``signal``
true: 76 of 5,285; none before 2009-09-21, when VIX3M starts and the term-structure gate gets
data). Three of them, from different eras and VIX levels, are pinned here.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date

import pytest

from engine.config import Settings, load_settings
from engine.data.chain_model import ModelledChainSource
from engine.data.history import MarketHistory, load_history
from engine.model import ChainSlice, CheckStatus, Expiration, Position, Regime, Right, StructureKind
from engine.strategy.evaluate import CANDIDATE_KEYS, JSON_KEYS, Evaluation, Evaluator, report
from engine.strategy.exits import exit_plan_for
from engine.strategy.gates import GATE_NAMES
from engine.strategy.logs import REMAINING_NOT_EVALUATED, SIGNAL_LINE

SIGNAL_DAYS = (date(2015, 2, 3), date(2021, 10, 5), date(2024, 11, 5))
VETOED_DAY = date(2015, 3, 12)  # gates pass; 2 lots carry -118 $/vol pt, over max_vega_per_trade 100
GATES_OF_002 = (
    "Regime",
    "IV Rank",
    "VIX Term Structure",
    "Trend",
    "BB Touch",
    "Mean Reversion",
    "Price Action",
    "RSI",
    "Capacity",
    "Spacing",
)


class CountingChains:
    """A chain source that counts the slices built (and can hide every expiry)."""

    def __init__(self, history: MarketHistory, hide_expiries: bool = False) -> None:
        self.source = ModelledChainSource(history)
        self.hide_expiries = hide_expiries
        self.slices = 0

    def expirations(self, day: date) -> tuple[Expiration, ...]:
        return () if self.hide_expiries else self.source.expirations(day)

    def slice_at(self, day: date, expiration: Expiration) -> ChainSlice:
        self.slices += 1
        return self.source.slice_at(day, expiration)


@pytest.fixture(scope="module")
def history() -> MarketHistory:
    return load_history()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    empty = tmp_path_factory.mktemp("config") / "optimus.toml"
    empty.write_text("")
    return load_settings(empty)  # the bundled defaults, never the user's file


@pytest.fixture(scope="module")
def evaluator(history: MarketHistory, settings: Settings) -> Evaluator:
    return Evaluator(history, settings)


def gate(evaluation: Evaluation, name: str) -> CheckStatus:
    """Return one gate's status."""
    return next(g.status for g in evaluation.gates if g.name == name)


def test_2008_10_10_is_crisis_and_gives_no_signal(evaluator: Evaluator) -> None:
    evaluation = evaluator.evaluate(date(2008, 10, 10))
    assert evaluation.regime.regime is Regime.CRISIS
    assert not evaluation.signal
    assert evaluation.candidate is None
    assert evaluation.reason == "Crisis regime (VIX 69.95 > 35)"
    assert evaluation.entry_eval_log().splitlines() == [
        "[ENTRY EVAL] 2008-10-10 | SPX",
        "  Regime: Crisis (FAIL)",
        "  >>> NO TRADE: Crisis regime (VIX 69.95 > 35)",
        f"  {REMAINING_NOT_EVALUATED}",
    ]
    assert gate(evaluation, "VIX Term Structure") is CheckStatus.NO_DATA  # no VIX3M before 2009-09


@pytest.mark.parametrize("day", SIGNAL_DAYS)
def test_signal_days_propose_002s_put_spread_sized_by_max_loss(evaluator: Evaluator, day: date) -> None:
    evaluation = evaluator.evaluate(day)
    assert evaluation.signal, evaluation.reason
    assert evaluation.reason is None
    assert all(gate(evaluation, name) is CheckStatus.PASS for name in GATES_OF_002)
    assert gate(evaluation, "MACD") is CheckStatus.DISABLED
    candidate = evaluation.candidate
    assert candidate is not None
    structure = candidate.structure
    short, long = structure.legs
    assert structure.kind is StructureKind.PUT_CREDIT_SPREAD
    assert (short.right, short.quantity, long.right, long.quantity) == (Right.PUT, -1, Right.PUT, 1)
    assert short.delta == pytest.approx(-0.16, abs=0.01)
    assert short.strike - long.strike == 50.0
    assert 30 <= candidate.dte <= 60
    assert candidate.dte == (candidate.expiration.expiry - day).days
    # 002 §6.1: floor(2 % of $500,000 x conviction / max loss per contract); no drawdown here.
    budget = 500_000 * 0.02 * candidate.conviction.multiplier
    assert candidate.contracts == math.floor(budget / (structure.max_loss * 100)) >= 1
    assert candidate.max_loss_per_contract == pytest.approx((50.0 - structure.credit_mid) * 100)
    assert candidate.risk is not None
    assert candidate.risk.approved
    assert candidate.exit_plan == exit_plan_for(structure.credit_mid, day, structure.expiry, evaluator.params)
    assert evaluation.entry_eval_log().splitlines()[-1] == f"  {SIGNAL_LINE}"


def test_2015_02_03_in_detail(evaluator: Evaluator) -> None:
    candidate = evaluator.evaluate(date(2015, 2, 3)).candidate
    assert candidate is not None
    assert candidate.expiration.expiry == date(2015, 3, 20)
    assert [leg.strike for leg in candidate.structure.legs] == [1_915.0, 1_865.0]
    assert candidate.contracts == 2


def test_a_risk_veto_keeps_the_candidate_but_gives_no_signal(
    history: MarketHistory, settings: Settings
) -> None:
    # 003 §3.2's SPY-sized vega cap (100 $/vol point) vetoes 002's default SPX 2-lot on this day.
    spy_caps = settings.model_copy(
        update={"limits": settings.limits.model_copy(update={"max_vega_per_trade": 100.0})}
    )
    evaluation = Evaluator(history, spy_caps).evaluate(VETOED_DAY)
    assert not evaluation.signal
    assert evaluation.candidate is not None
    assert evaluation.reason is not None
    assert evaluation.reason.startswith("Risk veto: vega per trade")


def test_no_contract_affordable_is_no_trade(history: MarketHistory, settings: Settings) -> None:
    small = settings.model_copy(
        update={"portfolio": settings.portfolio.model_copy(update={"starting_equity": 50_000.0})}
    )
    evaluation = Evaluator(history, small).evaluate(SIGNAL_DAYS[0])
    assert evaluation.candidate is not None
    assert evaluation.candidate.contracts == 0
    assert evaluation.reason is not None
    assert evaluation.reason.startswith("Sizing: ")
    assert evaluation.candidate.risk is None


def test_the_chain_is_built_only_when_the_signal_gates_pass(
    history: MarketHistory, settings: Settings
) -> None:
    chains = CountingChains(history)
    evaluator = Evaluator(history, settings, chains)
    for day in (date(2008, 10, 10), date(2015, 1, 2), date(2019, 6, 3)):  # crisis, no touch, bear trend
        assert evaluator.evaluate(day).candidate is None
    assert chains.slices == 0
    evaluator.evaluate(SIGNAL_DAYS[0])
    assert chains.slices == 1


def test_no_expiry_in_the_window_is_no_trade_with_002s_words(
    history: MarketHistory, settings: Settings
) -> None:
    no_expiries = CountingChains(history, hide_expiries=True)
    evaluation = Evaluator(history, settings, no_expiries).evaluate(SIGNAL_DAYS[0])
    assert not evaluation.signal
    assert evaluation.reason == "No suitable strikes for entry: no expiry listed within 30-60 DTE"
    log = evaluation.entry_eval_log().splitlines()
    assert log[-1] == "  >>> NO TRADE: No suitable strikes for entry: no expiry listed within 30-60 DTE"
    assert not any("Min Credit" in line for line in log)


def test_warm_up_blocks_the_first_252_sessions(evaluator: Evaluator, history: MarketHistory) -> None:
    days = history.dates[:256]
    evaluations = [evaluator.evaluate(day) for day in days]
    assert [e.warmup_bars_remaining for e in evaluations[:252]] == list(range(252, 0, -1))
    assert all(not e.signal for e in evaluations)
    assert evaluations[0].reason == "WARMUP: indicators not ready, 252 bars remaining"
    assert evaluations[251].entry_eval_log() == "WARMUP: indicators not ready, 1 bars remaining"
    assert evaluations[252].warmup_bars_remaining == 0
    assert not evaluations[252].reason.startswith("WARMUP")  # type: ignore[union-attr]


def _position(evaluation: Evaluation, opened_on: date, number: int) -> Position:
    assert evaluation.candidate is not None
    structure = evaluation.candidate.structure
    plan = evaluation.candidate.exit_plan
    return Position(f"p{number}", "SPX", structure, 1, structure.credit_mid, opened_on, plan)


def test_capacity_and_spacing_read_the_portfolio(evaluator: Evaluator) -> None:
    day = SIGNAL_DAYS[0]
    signal = evaluator.evaluate(day)
    flat = evaluator.empty_portfolio()
    three = replace(flat, positions=tuple(_position(signal, date(2015, 1, 2), i) for i in range(3)))
    full = evaluator.evaluate(day, three)
    assert full.reason == "At capacity: 3/3 open SPX positions"
    recent = replace(flat, positions=(_position(signal, date(2015, 2, 2), 1),))
    too_soon = evaluator.evaluate(day, recent)
    assert gate(too_soon, "Spacing") is CheckStatus.FAIL  # Feb 2 to the entry on Feb 4: 2 sessions
    assert too_soon.reason is not None
    assert too_soon.reason.startswith("Too soon after last entry on 2015-02-02: 2 business days")
    assert evaluator.evaluate(day, flat, last_entry=date(2015, 1, 30)).signal  # 3 sessions to Feb 4


@pytest.mark.parametrize("day", [SIGNAL_DAYS[0], VETOED_DAY, date(2008, 10, 10), date(2020, 3, 16)])
def test_evaluation_from_the_history_cut_at_the_day_equals_the_full_history(
    history: MarketHistory, settings: Settings, evaluator: Evaluator, day: date
) -> None:
    cut = Evaluator(history.up_to(day), settings).evaluate(day)
    full = evaluator.evaluate(day)
    assert cut.to_json() == full.to_json()
    assert report(cut) == report(full)


def test_json_has_exactly_the_documented_keys(evaluator: Evaluator, history: MarketHistory) -> None:
    for day in (history.dates[0], date(2008, 10, 10), SIGNAL_DAYS[0]):
        document = json.loads(json.dumps(evaluator.evaluate(day).to_json(), allow_nan=False))
        assert tuple(document) == JSON_KEYS
        assert [g["name"] for g in document["gates"]] == list(GATE_NAMES)
        for entry in document["gates"]:
            assert tuple(entry) == ("name", "passed", "value", "threshold", "detail")
    candidate = document["candidate"]
    assert tuple(candidate) == CANDIDATE_KEYS
    leg_keys = ("right", "strike", "action", "delta", "bid", "ask")
    assert [tuple(leg) for leg in candidate["legs"]] == [leg_keys, leg_keys]
    assert [leg["action"] for leg in candidate["legs"]] == ["SELL", "BUY"]
    assert candidate["structure"] == "Put Credit Spread"
    assert document["signal"] is True
    assert document["reason"] is None


def test_report_shows_diagnosis_regime_gates_candidate_and_the_log(evaluator: Evaluator) -> None:
    text = report(evaluator.evaluate(SIGNAL_DAYS[0]))
    for needle in (
        "Regime: Bullish Calm",
        "Diagnosis: volatility",
        "Diagnosis: sentiment",
        "Entry gates",
        "Candidate: SPX Put Credit Spread",
        "Contracts: 2",
        "[ENTRY EVAL] 2015-02-03 | SPX",
        "Risk manager: approved",
    ):
        assert needle in text
    crisis = report(evaluator.evaluate(date(2008, 10, 10)))
    assert "Candidate: none (Crisis regime (VIX 69.95 > 35))" in crisis


def test_high_vol_signal_is_sized_at_the_reduced_allocation(evaluator: Evaluator) -> None:
    # Found by scanning 2010-2024 for signals in the High Vol regime (16 such days).
    evaluation = evaluator.evaluate(date(2010, 2, 5))
    assert evaluation.regime.regime is Regime.HIGH_VOL
    assert evaluation.candidate is not None
    assert "regime allocation 75%" in evaluation.candidate.sizing.detail
