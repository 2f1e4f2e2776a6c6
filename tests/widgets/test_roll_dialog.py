"""The roll dialog: what it offers, and the RollRequest it hands back."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from engine.model.desk import RollRequest
from tests.widgets.desk_samples import SIGNAL_DAY, roll_options
from widgets.roll_dialog import RollDialog

W = TypeVar("W", bound=QWidget)


def child(dialog: RollDialog, kind: type[W], name: str) -> W:
    """Return one of the dialog's widgets by object name."""
    found = dialog.findChild(kind, name)
    assert found is not None, name
    return found


@pytest.fixture
def dialog(qtbot: QtBot) -> RollDialog:
    widget = RollDialog(roll_options(), SIGNAL_DAY)
    qtbot.addWidget(widget)  # closed and deleted when the test ends
    widget.show()
    return widget


def test_offers_later_expiries_and_preselects_the_defaults(dialog: RollDialog) -> None:
    expiries = child(dialog, QComboBox, "rollExpiry")
    labels = [expiries.itemText(i) for i in range(expiries.count())]
    assert labels == ["2015-04-17  (92 DTE)  SPX AM monthly", "2015-05-15  (120 DTE)  SPX AM monthly"]
    assert expiries.currentData() == date(2015, 4, 17)
    strikes = child(dialog, QComboBox, "rollShortStrike")
    assert strikes.currentText() == "1850"
    assert strikes.count() == len(roll_options().strikes)
    assert dialog.long_strike_text().startswith("1800")
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert "2015-03-20  (64 DTE)" in texts
    assert "short 1850 / long 1800   width 50" in texts
    assert child(dialog, QCheckBox, "rollNatural").isChecked()
    assert not child(dialog, QDoubleSpinBox, "rollLimit").isEnabled()


def test_long_strike_follows_the_short_strike(dialog: RollDialog) -> None:
    strikes = child(dialog, QComboBox, "rollShortStrike")
    strikes.setCurrentIndex(strikes.findText("1775"))
    assert dialog.long_strike_text().startswith("1725")


def test_a_call_spread_s_long_strike_sits_above_the_short(qtbot: QtBot) -> None:
    dialog = RollDialog(replace(roll_options(), long_offset=50.0), SIGNAL_DAY)
    qtbot.addWidget(dialog)
    strikes = child(dialog, QComboBox, "rollShortStrike")
    strikes.setCurrentIndex(strikes.findText("1775"))
    assert dialog.long_strike_text().startswith("1825")
    assert "+ 50" in dialog.long_strike_text()


def test_preview_emits_the_chosen_roll_with_its_limit(qtbot: QtBot, dialog: RollDialog) -> None:
    child(dialog, QComboBox, "rollExpiry").setCurrentIndex(1)
    strikes = child(dialog, QComboBox, "rollShortStrike")
    strikes.setCurrentIndex(strikes.findText("1800"))
    qtbot.mouseClick(child(dialog, QCheckBox, "rollNatural"), Qt.MouseButton.LeftButton)
    limit = child(dialog, QDoubleSpinBox, "rollLimit")
    assert limit.isEnabled()
    limit.selectAll()
    qtbot.keyClicks(limit, "1.35")
    with qtbot.waitSignal(dialog.sig_roll_chosen, timeout=1000) as chosen:
        qtbot.mouseClick(child(dialog, QPushButton, "previewButton"), Qt.MouseButton.LeftButton)
    assert chosen.args == [RollRequest("P-SPX-2015-01-15", date(2015, 5, 15), 1800.0, 1.35)]
    assert not dialog.isVisible()


def test_natural_checked_means_no_limit(qtbot: QtBot, dialog: RollDialog) -> None:
    with qtbot.waitSignal(dialog.sig_roll_chosen, timeout=1000) as chosen:
        qtbot.mouseClick(child(dialog, QPushButton, "previewButton"), Qt.MouseButton.LeftButton)
    assert chosen.args == [RollRequest("P-SPX-2015-01-15", date(2015, 4, 17), 1850.0, None)]


def test_cancel_emits_cancelled_and_closes(qtbot: QtBot, dialog: RollDialog) -> None:
    with qtbot.assertNotEmitted(dialog.sig_roll_chosen), \
            qtbot.waitSignal(dialog.sig_roll_cancelled, timeout=1000):
        qtbot.mouseClick(child(dialog, QPushButton, "cancelButton"), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_nearest_strike_is_preselected_when_the_short_is_not_listed(qtbot: QtBot) -> None:
    options = replace(roll_options(), current_short_strike=1862.0)
    dialog = RollDialog(options, SIGNAL_DAY)
    qtbot.addWidget(dialog)
    assert child(dialog, QComboBox, "rollShortStrike").currentText() == "1850"
    assert dialog.request() == RollRequest("P-SPX-2015-01-15", date(2015, 4, 17), 1850.0, None)
