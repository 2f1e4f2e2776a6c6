"""The Positions panel: values shown, exit signals, close/roll/close-all and exit-mode intents."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton
from pytestqt.qtbot import QtBot

from engine.model.desk import PositionView
from tests.widgets.desk_samples import position, position_view, put_spread
from widgets.positions_panel import COLUMNS, EXIT_SIGNAL_COLOR, PositionsPanel, loss_color, profit_color

SIGNAL = "PROFIT TARGET reached: mark 3.20 <= target 3.30"


def column(header: str) -> int:
    """Return the index of a column by its title."""
    return next(i for i, c in enumerate(COLUMNS) if c.header == header)


def other_position(position_id: str = "P-SPX-2015-01-22", **changes: object) -> PositionView:
    """Return a second position (1900/1850) built from the sample row."""
    held = replace(position(position_id), structure=put_spread(1900.0))
    return replace(position_view(), position=held, **changes)


def cell(panel: PositionsPanel, row: int, header: str, role: int = Qt.ItemDataRole.DisplayRole) -> object:
    """Return what the panel's table shows in a cell."""
    model = panel.table.model()
    return model.data(model.index(row, column(header)), role)


def click_row(panel: PositionsPanel, row: int) -> None:
    """Select a row the way a click does, through the view's selection model."""
    index = panel.table.model().index(row, 0)
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    panel.table.selectionModel().setCurrentIndex(index, flags)


def button(panel: PositionsPanel, name: str) -> QPushButton:
    """Return one of the panel's buttons by object name."""
    found = panel.findChild(QPushButton, name)
    assert found is not None, name
    return found


def exits_box(panel: PositionsPanel) -> QCheckBox:
    """Return the "Exits automatic" checkbox."""
    found = panel.findChild(QCheckBox, "exitsAutomatic")
    assert found is not None
    return found


@pytest.fixture
def panel(qtbot: QtBot) -> PositionsPanel:
    widget = PositionsPanel()
    qtbot.addWidget(widget)
    widget.resize(1400, 600)
    widget.show()
    return widget


def test_shows_every_figure_of_a_position(panel: PositionsPanel) -> None:
    panel.set_positions((position_view(),))
    expected = {
        "Position": "P-SPX-2015-01-15", "Structure": "PCS 1850/1800 Mar20", "Size": "2", "Entry": "6.25",
        "Mark": "4.70", "P&L $": "+$310.00", "P&L % max": "24.8%", "DTE": "48", "Δ $": "$10.00",
        "Θ $/day": "$16.00", "V $/pt": "-$80.00", "Target": "3.30", "Stop": "13.20",
        "Time stop": "2015-02-27", "To short": "142.67 (7.2%)", "Exits": "auto",
    }
    assert {header: cell(panel, 0, header) for header in expected} == expected
    assert "SELL 2 SPX 2015-03-20 1850 P" in str(cell(panel, 0, "Structure", Qt.ItemDataRole.ToolTipRole))
    assert panel.is_badge_visible()


def test_missing_quote_shows_a_dash_and_totals_add_up(panel: PositionsPanel) -> None:
    unquoted = other_position(mark_debit=math.nan, pnl_dollars=math.nan, pnl_pct_of_max_profit=math.nan)
    panel.set_positions((position_view(pnl=-1240.5), unquoted))
    assert [cell(panel, 1, h) for h in ("Mark", "P&L $", "P&L % max")] == ["—", "—", "—"]
    totals = panel.findChild(QLabel, "positionsTotals").text()
    assert "P&L -$1,240.50 (1 unquoted)" in totals
    assert "Δ $20.00" in totals
    assert "Θ $32.00/day" in totals
    assert "V -$160.00" in totals


def test_profit_is_green_and_loss_red(panel: PositionsPanel) -> None:
    panel.set_positions((position_view(pnl=310.0), other_position(pnl_dollars=-50.0)))
    profit = cell(panel, 0, "P&L $", Qt.ItemDataRole.ForegroundRole)
    loss = cell(panel, 1, "P&L % max", Qt.ItemDataRole.ForegroundRole)
    assert isinstance(profit, QBrush)
    assert profit.color() == profit_color()
    assert isinstance(loss, QBrush)
    assert loss.color() == loss_color()


def test_close_and_roll_emit_the_selected_position(qtbot: QtBot, panel: PositionsPanel) -> None:
    panel.set_positions((position_view(), other_position()))
    close_button = button(panel, "closeButton")
    roll_button = button(panel, "rollButton")
    assert not close_button.isEnabled()
    assert not roll_button.isEnabled()
    with qtbot.waitSignal(panel.sig_position_selected, timeout=1000) as selected:
        click_row(panel, 1)
    assert selected.args == ["P-SPX-2015-01-22"]
    with qtbot.waitSignal(panel.sig_close_requested, timeout=1000) as close:
        qtbot.mouseClick(close_button, Qt.MouseButton.LeftButton)
    assert close.args == ["P-SPX-2015-01-22"]
    with qtbot.waitSignal(panel.sig_roll_requested, timeout=1000) as roll:
        qtbot.mouseClick(roll_button, Qt.MouseButton.LeftButton)
    assert roll.args == ["P-SPX-2015-01-22"]


def test_close_all_is_enabled_while_a_position_can_close(qtbot: QtBot, panel: PositionsPanel) -> None:
    close_all = button(panel, "closeAllButton")
    assert not close_all.isEnabled()
    panel.set_positions((position_view(),))
    with qtbot.waitSignal(panel.sig_close_all_requested, timeout=1000):
        qtbot.mouseClick(close_all, Qt.MouseButton.LeftButton)
    panel.set_positions((replace(position_view(), closing_order_id="X-P-SPX-2015-01-15-2015-02-20"),))
    assert not close_all.isEnabled()


def test_closing_order_disables_close_and_roll(panel: PositionsPanel) -> None:
    closing = replace(position_view(), closing_order_id="X-P-SPX-2015-01-15-2015-02-20")
    panel.set_positions((closing, other_position()))
    panel.select_position("P-SPX-2015-01-15")
    assert cell(panel, 0, "Exits") == "closing…"
    assert "X-P-SPX-2015-01-15-2015-02-20" in str(cell(panel, 0, "Exits", Qt.ItemDataRole.ToolTipRole))
    assert not button(panel, "closeButton").isEnabled()
    assert not button(panel, "rollButton").isEnabled()
    assert button(panel, "closeAllButton").isEnabled()
    panel.select_position("P-SPX-2015-01-22")
    assert button(panel, "closeButton").isEnabled()
    assert button(panel, "rollButton").isEnabled()


def test_trader_toggling_exits_emits_the_mode(qtbot: QtBot, panel: PositionsPanel) -> None:
    panel.set_positions((position_view(exit_mode="auto"),))
    panel.select_position("P-SPX-2015-01-15")
    box = exits_box(panel)
    assert box.isEnabled()
    assert box.isChecked()
    with qtbot.waitSignal(panel.sig_exit_mode_changed, timeout=1000) as changed:
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert changed.args == ["P-SPX-2015-01-15", "manual"]
    with qtbot.waitSignal(panel.sig_exit_mode_changed, timeout=1000) as changed:
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert changed.args == ["P-SPX-2015-01-15", "auto"]


def test_exit_mode_from_new_data_does_not_emit(qtbot: QtBot, panel: PositionsPanel) -> None:
    panel.set_positions((position_view(exit_mode="auto"), other_position()))
    panel.select_position("P-SPX-2015-01-15")
    with qtbot.assertNotEmitted(panel.sig_exit_mode_changed, wait=50):
        panel.set_positions((position_view(exit_mode="manual"), other_position()))
        assert not exits_box(panel).isChecked()
        assert panel.model.data(panel.model.index(0, column("Exits"))) == "manual"
        panel.set_positions((position_view(exit_mode="auto"), other_position(exit_mode="manual")))
        assert exits_box(panel).isChecked()
        panel.select_position("P-SPX-2015-01-22")
        assert not exits_box(panel).isChecked()


def test_exit_signal_row_is_amber_with_the_signal_in_tooltip_and_line(panel: PositionsPanel) -> None:
    panel.set_positions((position_view(), other_position(exit_mode="manual", exit_signal=SIGNAL)))
    background = cell(panel, 1, "Mark", Qt.ItemDataRole.BackgroundRole)
    assert isinstance(background, QBrush)
    assert background.color() == EXIT_SIGNAL_COLOR
    assert cell(panel, 0, "Mark", Qt.ItemDataRole.BackgroundRole) is None
    assert SIGNAL in str(cell(panel, 1, "Position", Qt.ItemDataRole.ToolTipRole))
    assert panel.exit_signal_text() == (f"EXIT SIGNAL P-SPX-2015-01-22: {SIGNAL} — close it or set exits "
                                        "automatic")
    panel.set_positions((position_view(), other_position()))
    assert panel.exit_signal_text() == ""


def test_selection_is_kept_by_id_across_refreshes(qtbot: QtBot, panel: PositionsPanel) -> None:
    panel.set_positions((position_view(), other_position()))
    click_row(panel, 1)
    with qtbot.assertNotEmitted(panel.sig_position_selected, wait=50):
        panel.set_positions((other_position("P-SPX-2015-01-08"), position_view(pnl=400.0), other_position()))
    assert panel.selected_position_id() == "P-SPX-2015-01-22"
    assert cell(panel, 2, "Position") == "P-SPX-2015-01-22"
    with qtbot.waitSignal(panel.sig_position_selected, timeout=1000) as cleared:
        panel.set_positions((position_view(),))
    assert cleared.args == [""]
    assert panel.selected_position_id() is None


def test_placeholder_when_flat(panel: PositionsPanel) -> None:
    placeholder = panel.findChild(QLabel, "panelPlaceholder")
    panel.set_positions(())
    assert placeholder.isVisible()
    assert placeholder.text() == "No open positions"
    assert not panel.table.isVisible()
    panel.set_positions((position_view(),))
    assert panel.table.isVisible()
    assert not placeholder.isVisible()
    panel.set_positions(())
    assert placeholder.isVisible()
    assert panel.model.rowCount() == 0
