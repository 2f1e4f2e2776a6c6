"""The Circuit breaker panel: state, streak, loss limits, drawdown; manual halt and resume requests."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.widgets.desk_samples import breaker_view
from widgets.breaker_panel import BreakerPanel


@pytest.fixture
def panel(qtbot: QtBot) -> BreakerPanel:
    widget = BreakerPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    return widget


def test_armed_breaker_shows_its_figures(panel: BreakerPanel) -> None:
    panel.set_breaker(breaker_view("armed"))
    assert panel.badge_text() == "ARMED"
    assert panel.texts() == {
        "status": "armed (0 consecutive max losses)",
        "streak": "consecutive max losses 0 / 3",
        "recent": "recent outcomes: W, W, L",
        "daily": "-$420.00 loss $420.00 / $10,000.00",
        "weekly": "+$850.00 loss $0.00 / $25,000.00",
        "drawdown": "drawdown 1.2 %",
        "scale": "risk scale x1.00",
    }
    assert panel.loss_state("daily") == "ok"
    assert panel.loss_state("weekly") == "ok"


@pytest.mark.parametrize(("state", "badge", "halt", "resume"), [
    ("armed", "ARMED", True, False),
    ("tripped", "TRIPPED until 2015-02-06", True, False),
    ("halted", "HALTED", False, True),
])
def test_badge_and_buttons_follow_the_state(panel: BreakerPanel, state: str, badge: str, halt: bool,
                                            resume: bool) -> None:
    panel.set_breaker(breaker_view(state))
    assert panel.badge_text() == badge
    assert panel.halt_button.isEnabled() is halt
    assert panel.resume_button.isEnabled() is resume


def test_tripped_breaker_shows_the_streak_that_tripped_it(panel: BreakerPanel) -> None:
    panel.set_breaker(breaker_view("tripped"))
    assert panel.texts()["streak"] == "consecutive max losses 3 / 3"
    assert panel.texts()["status"] == "tripped until 2015-02-06 after 3 consecutive max losses"


def test_buttons_are_disabled_before_the_first_view(panel: BreakerPanel) -> None:
    assert not panel.halt_button.isEnabled()
    assert not panel.resume_button.isEnabled()


def test_halt_emits_the_reason_typed(panel: BreakerPanel, qtbot: QtBot) -> None:
    panel.set_breaker(breaker_view("armed"))
    qtbot.keyClicks(panel.reason_edit, "  FOMC at 14:00 ")
    with qtbot.waitSignal(panel.sig_halt_requested, timeout=1000) as blocker:
        qtbot.mouseClick(panel.halt_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["FOMC at 14:00"]


def test_resume_emits_the_reason_typed(panel: BreakerPanel, qtbot: QtBot) -> None:
    panel.set_breaker(breaker_view("halted"))
    qtbot.keyClicks(panel.reason_edit, "news digested")
    with qtbot.waitSignal(panel.sig_resume_requested, timeout=1000) as blocker:
        qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["news digested"]


@pytest.mark.parametrize("state", ["armed", "halted"])
def test_a_blank_reason_emits_nothing_and_asks_for_one(panel: BreakerPanel, qtbot: QtBot, state: str) -> None:
    panel.set_breaker(breaker_view(state))
    button = panel.halt_button if state == "armed" else panel.resume_button
    qtbot.keyClicks(panel.reason_edit, "   ")
    assert not panel.is_hint_visible()
    with qtbot.assertNotEmitted(panel.sig_halt_requested), qtbot.assertNotEmitted(panel.sig_resume_requested):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert panel.is_hint_visible()
    qtbot.keyClicks(panel.reason_edit, "x")
    assert not panel.is_hint_visible()


def test_the_reason_is_cleared_once_the_state_changes(panel: BreakerPanel, qtbot: QtBot) -> None:
    panel.set_breaker(breaker_view("armed"))
    qtbot.keyClicks(panel.reason_edit, "news")
    panel.set_breaker(replace(breaker_view("armed"), pnl_today=-500.0))
    assert panel.reason_edit.text() == "news"  # a price update keeps what the trader is typing
    panel.set_breaker(breaker_view("halted"))
    assert panel.reason_edit.text() == ""


def test_loss_bars_warn_past_80_percent_and_show_the_breach(panel: BreakerPanel) -> None:
    panel.set_breaker(replace(breaker_view(), pnl_today=-8500.0, pnl_week=-26000.0, drawdown_pct=12.5,
                              risk_scale=0.75))
    assert panel.loss_state("daily") == "warn"
    assert panel.loss_state("weekly") == "breached"
    assert panel.texts()["weekly"] == "-$26,000.00 loss $26,000.00 / $25,000.00"
    assert panel.texts()["drawdown"] == "drawdown 12.5 %"
    assert panel.texts()["scale"] == "risk scale x0.75"
