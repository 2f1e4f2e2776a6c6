"""The Replay panel: dataset, replay time, play/pause/step/next signal, speed, range and progress."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDateEdit
from pytestqt.qtbot import QtBot

from engine.model.desk import ReplayView
from tests.widgets.desk_samples import at, desk_view
from widgets.replay_panel import ReplayPanel


@pytest.fixture
def panel(qtbot: QtBot) -> ReplayPanel:
    widget = ReplayPanel()
    qtbot.addWidget(widget)
    widget.resize(900, 200)
    widget.show()
    return widget


def paused() -> ReplayView:
    """Return the sample replay: paused at the 2015-01-15 close of 2015, at 1 h/s."""
    return desk_view().replay


def playing() -> ReplayView:
    return replace(paused(), playing=True)


def finished() -> ReplayView:
    return replace(paused(), now=at(date(2015, 12, 31)), finished=True)


def type_date(qtbot: QtBot, edit: QDateEdit, text: str) -> None:
    """Select the whole date and type another, as the trader does."""
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, text)


def test_shows_the_dataset_the_replay_time_and_the_speed(panel: ReplayPanel) -> None:
    panel.set_replay(paused())
    assert panel.texts() == {"dataset": "bundled SPX history (modelled chains)",
                             "time": "2015-01-15 16:00 ET", "state": "paused", "speed": "1 h/s"}
    first, last = panel.range_edits
    assert (first.text(), last.text()) == ("2015-01-02", "2015-12-31")
    assert (panel.progress_bar.value(), panel.progress_bar.maximum()) == (13, 363)


def test_before_the_first_step_it_says_not_started(panel: ReplayPanel) -> None:
    panel.set_replay(replace(paused(), now=None))
    assert panel.texts()["time"] == "not started"
    assert panel.texts()["state"] == "ready"
    assert panel.progress_bar.value() == 0
    assert panel.play_button.isEnabled()
    assert panel.step_button.isEnabled()


def test_nothing_is_enabled_before_the_first_view(panel: ReplayPanel, qtbot: QtBot) -> None:
    buttons = (panel.play_button, panel.step_button, panel.next_signal_button, panel.apply_button)
    assert not any(button.isEnabled() for button in buttons)
    assert not panel.speed_box.isEnabled()
    with qtbot.assertNotEmitted(panel.sig_play_requested), qtbot.assertNotEmitted(panel.sig_step_requested):
        panel.toggle_play()
        panel.step()


def test_play_button_plays_when_paused(panel: ReplayPanel, qtbot: QtBot) -> None:
    panel.set_replay(paused())
    assert panel.play_button.text() == "Play"
    with qtbot.assertNotEmitted(panel.sig_pause_requested), \
            qtbot.waitSignal(panel.sig_play_requested, timeout=1000):
        qtbot.mouseClick(panel.play_button, Qt.MouseButton.LeftButton)


def test_play_button_pauses_while_playing(panel: ReplayPanel, qtbot: QtBot) -> None:
    panel.set_replay(playing())
    assert panel.play_button.text() == "Pause"
    assert panel.texts()["state"] == "playing"
    with qtbot.assertNotEmitted(panel.sig_play_requested), \
            qtbot.waitSignal(panel.sig_pause_requested, timeout=1000):
        qtbot.mouseClick(panel.play_button, Qt.MouseButton.LeftButton)


def test_play_button_switches_back_when_paused_again(panel: ReplayPanel) -> None:
    panel.set_replay(playing())
    panel.set_replay(replace(paused(), now=at(date(2015, 2, 2))))
    assert panel.play_button.text() == "Play"
    assert panel.texts()["time"] == "2015-02-02 16:00 ET"


def test_step_button_asks_for_one_session(panel: ReplayPanel, qtbot: QtBot) -> None:
    panel.set_replay(paused())
    with qtbot.waitSignal(panel.sig_step_requested, timeout=1000):
        qtbot.mouseClick(panel.step_button, Qt.MouseButton.LeftButton)


def test_next_signal_button_asks_for_the_next_signal(panel: ReplayPanel, qtbot: QtBot) -> None:
    panel.set_replay(paused())
    with qtbot.waitSignal(panel.sig_next_signal_requested, timeout=1000):
        qtbot.mouseClick(panel.next_signal_button, Qt.MouseButton.LeftButton)


def test_step_next_signal_and_range_are_disabled_while_playing(panel: ReplayPanel, qtbot: QtBot) -> None:
    panel.set_replay(playing())
    assert panel.play_button.isEnabled()
    assert not panel.step_button.isEnabled()
    assert not panel.next_signal_button.isEnabled()
    assert not panel.apply_button.isEnabled()
    assert not any(edit.isEnabled() for edit in panel.range_edits)
    with qtbot.assertNotEmitted(panel.sig_step_requested), \
            qtbot.assertNotEmitted(panel.sig_next_signal_requested):
        panel.step()
        panel.next_signal()


def test_finished_replay_shows_end_of_range_and_cannot_play(panel: ReplayPanel, qtbot: QtBot) -> None:
    panel.set_replay(finished())
    assert panel.texts()["state"] == "end of range"
    assert panel.texts()["time"] == "2015-12-31 16:00 ET"
    assert not panel.play_button.isEnabled()
    assert not panel.step_button.isEnabled()
    assert not panel.next_signal_button.isEnabled()
    assert panel.apply_button.isEnabled()  # another range can still be chosen
    assert panel.progress_bar.value() == panel.progress_bar.maximum()
    with qtbot.assertNotEmitted(panel.sig_play_requested), qtbot.assertNotEmitted(panel.sig_step_requested), \
            qtbot.assertNotEmitted(panel.sig_next_signal_requested):
        panel.toggle_play()
        panel.step()
        panel.next_signal()


@pytest.mark.parametrize(("view", "expected"), [(paused(), "sig_play_requested"),
                                                (playing(), "sig_pause_requested")])
def test_toggle_play_follows_the_view(panel: ReplayPanel, qtbot: QtBot, view: ReplayView,
                                      expected: str) -> None:
    panel.set_replay(view)
    other = "sig_pause_requested" if expected == "sig_play_requested" else "sig_play_requested"
    with qtbot.assertNotEmitted(getattr(panel, other)), \
            qtbot.waitSignal(getattr(panel, expected), timeout=1000):
        panel.toggle_play()


def test_step_and_next_signal_methods_ask_when_paused(panel: ReplayPanel, qtbot: QtBot) -> None:
    panel.set_replay(paused())
    with qtbot.waitSignal(panel.sig_step_requested, timeout=1000):
        panel.step()
    with qtbot.waitSignal(panel.sig_next_signal_requested, timeout=1000):
        panel.next_signal()


def test_trader_picking_a_speed_emits_it(panel: ReplayPanel, qtbot: QtBot) -> None:
    panel.set_replay(paused())  # 1 h/s
    with qtbot.waitSignal(panel.sig_speed_chosen, timeout=1000) as blocker:
        qtbot.keyClick(panel.speed_box, Qt.Key.Key_Down)
    assert blocker.args == [86400.0]
    assert panel.texts()["speed"] == "1 day/s"
    with qtbot.waitSignal(panel.sig_speed_chosen, timeout=1000) as blocker:
        qtbot.keyClick(panel.speed_box, Qt.Key.Key_End)
    assert blocker.args == [math.inf]


@pytest.mark.parametrize(("speed", "label"), [
    (1.0, "1x"), (60.0, "1 min/s"), (3600.0, "1 h/s"), (86400.0, "1 day/s"), (604800.0, "1 week/s"),
    (math.inf, "Max"),
])
def test_the_view_selects_its_speed_without_emitting(panel: ReplayPanel, qtbot: QtBot, speed: float,
                                                     label: str) -> None:
    panel.set_replay(replace(paused(), speed=17.0))
    with qtbot.assertNotEmitted(panel.sig_speed_chosen):
        panel.set_replay(replace(paused(), speed=speed))
    assert panel.speed_box.currentText() == label
    assert panel.speed_box.currentData() == speed


def test_a_speed_not_offered_is_shown_as_its_value(panel: ReplayPanel) -> None:
    panel.set_replay(replace(paused(), speed=7200.0))
    assert panel.speed_box.currentIndex() == -1
    assert panel.texts()["speed"] == "7,200x"


def test_apply_range_emits_the_two_dates_typed(panel: ReplayPanel, qtbot: QtBot) -> None:
    panel.set_replay(paused())
    first, last = panel.range_edits
    type_date(qtbot, first, "2015-03-02")
    type_date(qtbot, last, "2015-06-30")
    with qtbot.waitSignal(panel.sig_range_chosen, timeout=1000) as blocker:
        qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [date(2015, 3, 2), date(2015, 6, 30)]


def test_apply_range_is_disabled_while_from_is_after_to(panel: ReplayPanel, qtbot: QtBot) -> None:
    panel.set_replay(paused())
    type_date(qtbot, panel.range_edits[1], "2015-01-01")
    assert panel.range_edits[1].date() == QDate(2015, 1, 1)
    assert not panel.apply_button.isEnabled()
    type_date(qtbot, panel.range_edits[1], "2015-01-05")
    assert panel.apply_button.isEnabled()


def test_the_trader_s_dates_survive_updates_until_the_range_changes(panel: ReplayPanel, qtbot: QtBot) -> None:
    panel.set_replay(paused())
    first, last = panel.range_edits
    type_date(qtbot, first, "2015-03-02")
    panel.set_replay(replace(paused(), now=at(date(2015, 1, 16))))
    assert first.text() == "2015-03-02"
    panel.set_replay(replace(paused(), first=date(2015, 2, 2), last=date(2015, 4, 30)))
    assert (first.text(), last.text()) == ("2015-02-02", "2015-04-30")
    assert (panel.progress_bar.value(), panel.progress_bar.maximum()) == (0, 87)
