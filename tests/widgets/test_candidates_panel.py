"""The Candidates panel: table, details with the gate report, approve / edit / reject."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QLabel, QPushButton, QSpinBox, QTableWidget
from pytestqt.qtbot import QtBot

from engine.model import CandidateStatus, CheckStatus
from engine.model.desk import CandidateEdit, CandidateView
from tests.widgets import desk_samples
from widgets.candidate_details import gate_colors
from widgets.candidates_panel import (
    COLUMNS,
    PLACEHOLDER_TEXT,
    STATUS_COLUMN,
    CandidatesPanel,
    CandidateTableModel,
)

SAMPLE_ID = "C-SPX-2015-01-15"


def column(header: str) -> int:
    """Return the index of a column by its title."""
    return next(i for i, c in enumerate(COLUMNS) if c.header == header)


def other_candidate(candidate_id: str, status: CandidateStatus = CandidateStatus.NEW,
                    contracts: int = 4) -> CandidateView:
    """Return the sample candidate under another id, status and size."""
    view = desk_samples.candidate_view(status, contracts)
    return replace(view, candidate=replace(view.candidate, candidate_id=candidate_id))


@pytest.fixture
def panel(qtbot: QtBot) -> CandidatesPanel:
    widget = CandidatesPanel()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


def spin(panel: CandidatesPanel) -> QSpinBox:
    return panel.findChild(QSpinBox, "contractsSpin")


def limit_spin(panel: CandidatesPanel) -> QDoubleSpinBox:
    return panel.findChild(QDoubleSpinBox, "limitSpin")


def button(panel: CandidatesPanel, name: str) -> QPushButton:
    return panel.findChild(QPushButton, name)


def type_into(qtbot: QtBot, box: QSpinBox | QDoubleSpinBox, text: str) -> None:
    """Replace a spin box's text as the trader would type it."""
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)


def select_row(panel: CandidatesPanel, row: int) -> None:
    """Select a table row the way a click does, through the view's selection model."""
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    panel.table.selectionModel().select(panel.model.index(row, 0), flags)


def text(panel: CandidatesPanel, row: int, header: str) -> str:
    return panel.model.data(panel.model.index(row, column(header)))


def test_table_shows_the_sample_values(panel: CandidatesPanel, qtmodeltester) -> None:
    panel.set_candidates((desk_samples.candidate_view(),))
    qtmodeltester.check(panel.model)
    assert panel.model.rowCount() == 1
    assert text(panel, 0, "Proposed") == "2015-01-15 16:00"
    assert text(panel, 0, "Structure") == "Put Credit Spread 1850/1800 2015-03-20"
    assert text(panel, 0, "Credit") == "6.60 / 5.50"
    assert text(panel, 0, "Max loss") == "$8,680.00"
    assert text(panel, 0, "RoR") == "15.2 %"
    assert text(panel, 0, "POP") == "81.0 %"
    assert text(panel, 0, "Delta") == "0.050"
    assert text(panel, 0, "Size") == "2"
    assert text(panel, 0, "Conviction") == "x1.10"
    assert text(panel, 0, "Status") == "new"
    tooltip = panel.model.data(panel.model.index(0, STATUS_COLUMN), Qt.ItemDataRole.ToolTipRole)
    assert tooltip == "waiting for the trader"


def test_newest_first_with_status_colours() -> None:
    model = CandidateTableModel()
    model.set_candidates((other_candidate("C-OLD", CandidateStatus.FILLED),
                          other_candidate("C-MID", CandidateStatus.VETOED), desk_samples.candidate_view()))
    assert [model.view_at(row).candidate_id for row in range(3)] == [SAMPLE_ID, "C-MID", "C-OLD"]
    colors = [model.data(model.index(row, STATUS_COLUMN), Qt.ItemDataRole.ForegroundRole).color()
              for row in range(3)]
    assert len({c.name() for c in colors}) == 3
    assert colors[1].red() > colors[1].green()  # vetoed: red-ish
    assert colors[2].green() > colors[2].red()  # filled: green-ish


def test_placeholder_until_candidates_arrive(panel: CandidatesPanel) -> None:
    placeholder = next(label for label in panel.findChildren(QLabel) if label.text() == PLACEHOLDER_TEXT)
    assert placeholder.isVisible()
    panel.set_candidates((desk_samples.candidate_view(),))
    assert not placeholder.isVisible()
    assert panel.table.isVisible()


def test_gate_report_lists_all_ten_gates(panel: CandidatesPanel) -> None:
    failing = replace(desk_samples.candidate_view(), gates=desk_samples.gates(passing=False))
    panel.set_candidates((failing,))
    table = panel.findChild(QTableWidget, "gateTable")
    assert table.rowCount() == 10
    names = [table.item(row, 0).text() for row in range(10)]
    assert names == [gate.name for gate in desk_samples.gates()]
    statuses = {table.item(row, 0).text(): table.item(row, 1).text() for row in range(10)}
    assert statuses["IV Rank"] == "FAIL"
    assert statuses["MACD"] == "DISABLED"
    assert statuses["Spacing"] == "NO DATA"
    assert statuses["Trend"] == "PASS"
    assert table.item(1, 2).text() == "34.20"
    assert table.item(1, 3).text() == ">= 30"
    assert table.item(7, 2).text() == "—"
    fail_color = gate_colors(panel.palette())[CheckStatus.FAIL]
    assert table.item(1, 1).foreground().color() == fail_color


def test_details_show_figures_legs_and_the_modelled_mark(panel: CandidatesPanel) -> None:
    panel.set_candidates((desk_samples.candidate_view(),))
    details = panel.details
    assert details.figure("Credit") == "6.60 mid / 5.50 natural"
    assert details.figure("Max profit").startswith("$1,320.00")
    assert details.figure("Max loss").startswith("$8,680.00")
    assert details.figure("Breakevens") == "1,843.40"
    assert details.figure("POP") == "81.0 %"
    assert details.figure("Exits") == "target 3.30 debit · stop 13.20 debit"
    assert details.figure("Time stop").startswith("2015-02-27")
    assert details.figure("Regime") == "Elevated Vol"
    assert details.figure("Risk") == "approved: every limit within bounds"
    assert details.is_badge_visible()
    legs = panel.findChild(QTableWidget, "legsTable")
    assert [legs.item(0, c).text() for c in range(5)] == ["SELL", "PUT", "1850", "2015-03-20", "SPX"]
    assert legs.item(1, 0).text() == "BUY"
    assert legs.item(0, 7).text() == "22.00"
    panel.set_candidates((replace(desk_samples.candidate_view(), modelled=False),))
    assert not details.is_badge_visible()


def test_newest_actionable_candidate_is_selected_on_arrival(panel: CandidatesPanel, qtbot: QtBot) -> None:
    rows = (desk_samples.candidate_view(), other_candidate("C-VETOED", CandidateStatus.VETOED))
    with qtbot.waitSignal(panel.sig_candidate_selected, timeout=1000) as blocker:
        panel.set_candidates(rows)
    assert blocker.args == [SAMPLE_ID]
    assert panel.selected_candidate_id() == SAMPLE_ID
    assert button(panel, "approveButton").isEnabled()


def test_approve_with_edited_contracts_and_limit(panel: CandidatesPanel, qtbot: QtBot) -> None:
    panel.set_candidates((desk_samples.candidate_view(),))
    type_into(qtbot, spin(panel), "3")
    assert not limit_spin(panel).isEnabled()
    check = panel.findChild(QCheckBox, "limitCheck")
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton)
    assert limit_spin(panel).isEnabled()
    type_into(qtbot, limit_spin(panel), "6.10")
    with qtbot.waitSignal(panel.sig_approve_requested, timeout=1000) as blocker:
        qtbot.mouseClick(button(panel, "approveButton"), Qt.MouseButton.LeftButton)
    assert blocker.args == [CandidateEdit(SAMPLE_ID, 3, 6.10)]


def test_approve_unchanged_keeps_the_engines_size_and_limit(panel: CandidatesPanel, qtbot: QtBot) -> None:
    panel.set_candidates((desk_samples.candidate_view(),))
    assert spin(panel).value() == 2
    with qtbot.waitSignal(panel.sig_approve_requested, timeout=1000) as blocker:
        qtbot.mouseClick(button(panel, "approveButton"), Qt.MouseButton.LeftButton)
    assert blocker.args == [CandidateEdit(SAMPLE_ID, None, None)]


def test_reject_emits_the_candidate_id(panel: CandidatesPanel, qtbot: QtBot) -> None:
    panel.set_candidates((desk_samples.candidate_view(),))
    with qtbot.waitSignal(panel.sig_reject_requested, timeout=1000) as blocker:
        qtbot.mouseClick(button(panel, "rejectButton"), Qt.MouseButton.LeftButton)
    assert blocker.args == [SAMPLE_ID]


@pytest.mark.parametrize("status", [CandidateStatus.FILLED, CandidateStatus.VETOED, CandidateStatus.SENT])
def test_final_or_sent_candidates_cannot_be_approved(panel: CandidatesPanel, qtbot: QtBot,
                                                     status: CandidateStatus) -> None:
    panel.set_candidates((desk_samples.candidate_view(status),))
    panel.select_candidate(SAMPLE_ID)
    assert panel.selected_candidate_id() == SAMPLE_ID
    for name in ("approveButton", "rejectButton"):
        assert not button(panel, name).isEnabled()
    assert not spin(panel).isEnabled()
    with qtbot.assertNotEmitted(panel.sig_approve_requested), \
            qtbot.assertNotEmitted(panel.sig_reject_requested):
        assert panel.approve_selected() is False
        assert panel.reject_selected() is False


def test_refresh_of_the_same_candidate_keeps_typed_edits(panel: CandidatesPanel, qtbot: QtBot) -> None:
    panel.set_candidates((desk_samples.candidate_view(),))
    type_into(qtbot, spin(panel), "5")
    qtbot.mouseClick(panel.findChild(QCheckBox, "limitCheck"), Qt.MouseButton.LeftButton)
    type_into(qtbot, limit_spin(panel), "6.10")
    refreshed = desk_samples.candidate_view(contracts=3)  # the engine resized it meanwhile
    refreshed = replace(refreshed, risk_text="approved: heat 2.1 %")
    panel.set_candidates((refreshed,))
    assert panel.details.figure("Risk") == "approved: heat 2.1 %"
    assert spin(panel).value() == 5
    assert limit_spin(panel).value() == pytest.approx(6.10)
    with qtbot.waitSignal(panel.sig_approve_requested, timeout=1000) as blocker:
        assert panel.approve_selected() is True
    assert blocker.args == [CandidateEdit(SAMPLE_ID, 5, 6.10)]


def test_untouched_size_follows_a_refresh(panel: CandidatesPanel) -> None:
    panel.set_candidates((desk_samples.candidate_view(),))
    panel.set_candidates((desk_samples.candidate_view(contracts=3),))
    assert spin(panel).value() == 3


def test_selecting_another_candidate_loads_its_values(panel: CandidatesPanel, qtbot: QtBot) -> None:
    panel.set_candidates((other_candidate("C-OTHER", contracts=4), desk_samples.candidate_view()))
    assert panel.selected_candidate_id() == SAMPLE_ID  # the newest, shown on row 0
    type_into(qtbot, spin(panel), "7")
    with qtbot.waitSignal(panel.sig_candidate_selected, timeout=1000) as blocker:
        select_row(panel, 1)
    assert blocker.args == ["C-OTHER"]
    assert spin(panel).value() == 4
    select_row(panel, 0)
    assert spin(panel).value() == 2


def test_selection_is_kept_across_refreshes(panel: CandidatesPanel, qtbot: QtBot) -> None:
    older = other_candidate("C-OLDER")
    panel.set_candidates((older, desk_samples.candidate_view()))
    panel.select_candidate("C-OLDER")
    newest = other_candidate("C-NEWEST")
    with qtbot.assertNotEmitted(panel.sig_candidate_selected):
        panel.set_candidates((older, desk_samples.candidate_view(), newest))
    assert panel.selected_candidate_id() == "C-OLDER"
    rows = panel.table.selectionModel().selectedRows()
    assert [index.row() for index in rows] == [2]
    assert panel.model.view_at(2).candidate_id == "C-OLDER"


def test_unchanged_update_touches_nothing_and_same_rows_only_repaint(panel: CandidatesPanel,
                                                                     qtbot: QtBot) -> None:
    rows = (desk_samples.candidate_view(),)
    panel.set_candidates(rows)
    with qtbot.assertNotEmitted(panel.model.dataChanged), qtbot.assertNotEmitted(panel.model.modelReset):
        panel.set_candidates(tuple(rows))
    approved = (desk_samples.candidate_view(CandidateStatus.APPROVED),)
    with qtbot.assertNotEmitted(panel.model.modelReset), qtbot.waitSignal(panel.model.dataChanged):
        panel.set_candidates(approved)
    assert text(panel, 0, "Status") == "approved"
    assert not button(panel, "approveButton").isEnabled()


def test_approve_selected_and_reject_selected(panel: CandidatesPanel, qtbot: QtBot) -> None:
    assert panel.approve_selected() is False  # nothing shown, nothing selected
    panel.set_candidates((desk_samples.candidate_view(),))
    with qtbot.waitSignal(panel.sig_approve_requested, timeout=1000) as approved:
        assert panel.approve_selected() is True
    assert approved.args[0].candidate_id == SAMPLE_ID
    with qtbot.waitSignal(panel.sig_reject_requested, timeout=1000) as rejected:
        assert panel.reject_selected() is True
    assert rejected.args == [SAMPLE_ID]
    panel.set_candidates((desk_samples.candidate_view(CandidateStatus.REJECTED),))
    assert panel.reject_selected() is False
