"""Candidates panel: every spread the strategy proposed, its details and full gate report.

The panel is a view. It shows the CandidateViews it is given (``set_candidates``) and asks,
through signals, for what the trader wants: approve (with an edited size or limit) or reject.
The terminal answers by showing the order ticket, then by handing back updated candidates.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QBrush, QFont, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedLayout,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.model import CandidateStatus
from engine.model.desk import CandidateEdit, CandidateView
from widgets.candidate_details import (
    WIDE_DETAILS,
    CandidateDetails,
    money,
    percent,
    points,
    status_colors,
    structure_text,
)
from widgets.row_table import ROW_ID_ROLE, Column, RowTableModel, row_table_view

NEW_YORK = ZoneInfo("America/New_York")

PLACEHOLDER_TEXT = "No candidates yet: the strategy proposes at the close"
ID_ROLE = ROW_ID_ROLE  # the candidate id of a row
LIMIT_STEP = 0.05
_CELL_PADDING = 14

CandidateColumn = Column[CandidateView]


def _proposed_text(view: CandidateView) -> str:
    """Return when the candidate was proposed, in market (New York) time like every time shown."""
    proposed = view.candidate.proposed_at.astimezone(NEW_YORK)
    return f"{proposed:%Y-%m-%d %H:%M}"


def _credit_text(view: CandidateView) -> str:
    structure = view.candidate.structure
    return f"{points(structure.credit_mid)} / {points(structure.credit_natural)}"


COLUMNS: tuple[CandidateColumn, ...] = (
    CandidateColumn("Proposed", _proposed_text, "2015-01-15 16:00", "signal day and time proposed", True),
    CandidateColumn("Status", lambda v: v.candidate.status.value, "rejected",
                    "new, approved, sent, filled, rejected, expired, vetoed", True),
    CandidateColumn("Structure", lambda v: structure_text(v.candidate.structure),
                    "Put Credit Spread 1850/1800 2015-03-20", "structure, strikes, expiry", True),
    CandidateColumn("Credit", _credit_text, "99.99 / 99.99", "credit per unit in points: mid / natural"),
    CandidateColumn("Max loss", lambda v: money(v.max_loss_dollars), "$99,999.99",
                    "maximum loss in dollars for the size, at the mid credit"),
    CandidateColumn("RoR", lambda v: percent(v.return_on_risk), "100.0 %",
                    "return on risk: credit / max loss"),
    CandidateColumn("POP", lambda v: percent(v.candidate.structure.probability_of_profit), "100.0 %",
                    "probability of profit"),
    CandidateColumn("Delta", lambda v: points(v.candidate.structure.delta, 3), "-0.000",
                    "net delta of the structure per unit"),
    CandidateColumn("Size", lambda v: f"{v.candidate.contracts}", "999", "contracts"),
    CandidateColumn("Conviction", lambda v: f"x{v.candidate.conviction:.2f}", "x1.50",
                    "conviction multiplier of the size"),
)
STATUS_COLUMN = 1


class CandidateTableModel(RowTableModel[CandidateView]):
    """Read-only table of candidates, newest first; status coloured, its detail in the tooltip.

    ``set_candidates`` only emits ``dataChanged`` while the same candidates are shown in the same
    order, so the view keeps its selection, scroll position and column widths.
    """

    def __init__(self, palette: QPalette | None = None) -> None:
        super().__init__(COLUMNS, lambda view: view.candidate_id)
        colors = status_colors(palette or QApplication.palette())
        self._status_brushes = {status: QBrush(color) for status, color in colors.items()}
        self._bold = QFont()
        self._bold.setBold(True)

    def set_candidates(self, rows: tuple[CandidateView, ...]) -> None:
        """Show candidates given oldest first (shown newest first)."""
        self.set_rows(tuple(reversed(rows)))

    @property
    def views(self) -> tuple[CandidateView, ...]:
        """Return the candidates in the order shown (newest first)."""
        return self.rows

    def view_at(self, row: int) -> CandidateView:
        """Return the candidate shown on a row."""
        return self.row_at(row)

    def cell_data(self, row: CandidateView, column: int, role: int) -> object:
        """Return the status cell's colour, bold font (new candidates) and tooltip (the detail)."""
        if column != STATUS_COLUMN:
            return None
        status = row.candidate.status
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._status_brushes[status]
        if role == Qt.ItemDataRole.FontRole and status is CandidateStatus.NEW:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.candidate.detail or status.value
        return None


# --- the detail pane ---------------------------------------------------------------------------

class CandidatesPanel(QWidget):
    """Proposed spreads, newest first, with the selected one's details and approve/edit/reject.

    Signals:
        sig_approve_requested(object): the trader asked to approve the selected candidate;
            carries an ``engine.model.desk.CandidateEdit`` (contracts and limit None when unchanged).
        sig_reject_requested(str): the trader rejected a candidate; carries its id.
        sig_candidate_selected(str): another candidate was selected (by the trader, by
            ``select_candidate`` or when the newest arrives); carries its id.
    """

    sig_approve_requested = Signal(object)
    sig_reject_requested = Signal(str)
    sig_candidate_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[CandidateView, ...] = ()
        self._selected_id: str | None = None
        self._shown_view: CandidateView | None = None  # the one in the detail pane
        self._loaded: tuple[int, float] = (0, 0.0)  # contracts and limit put into the edit controls
        self._updating = False
        self._model = CandidateTableModel()
        self._table = self._make_table()
        self._details = CandidateDetails()
        self._make_edit_controls()
        self._placeholder = QLabel(PLACEHOLDER_TEXT)
        self._placeholder.setObjectName("panelPlaceholder")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self._placeholder)
        self._stack.addWidget(self._make_content())
        self._show_selected()

    # --- construction ------------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        table = row_table_view(self._model, "candidatesTable", _CELL_PADDING, stretch_last=False)
        table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        return table

    def _make_edit_controls(self) -> None:
        self._contracts = QSpinBox()
        self._contracts.setObjectName("contractsSpin")
        self._contracts.setRange(1, 999)
        self._contracts.setToolTip("contracts to open")
        self._limit_check = QCheckBox("Own limit")
        self._limit_check.setObjectName("limitCheck")
        self._limit_check.setToolTip("Unchecked: the session sets the limit from the quotes when the order "
                                     "goes out. Checked: your limit, net per unit (+ credit, - debit).")
        self._limit_check.toggled.connect(self._update_actions)
        self._limit = QDoubleSpinBox()
        self._limit.setObjectName("limitSpin")
        self._limit.setLocale(QLocale.c())  # prices in points always with a decimal point
        self._limit.setRange(-999.95, 999.95)
        self._limit.setDecimals(2)
        self._limit.setSingleStep(LIMIT_STEP)
        self._limit.setToolTip("limit price, net per unit in points (+ credit, - debit)")
        self._approve = QPushButton("Approve…")
        self._approve.setObjectName("approveButton")
        self._approve.setToolTip("approve with this size and limit; the order ticket confirms it")
        self._approve.clicked.connect(self.approve_selected)
        self._reject = QPushButton("Reject")
        self._reject.setObjectName("rejectButton")
        self._reject.clicked.connect(self.reject_selected)

    def _make_edit_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Contracts"))
        bar.addWidget(self._contracts)
        bar.addSpacing(10)
        bar.addWidget(self._limit_check)
        bar.addWidget(self._limit)
        bar.addStretch(1)
        bar.addWidget(self._approve)
        bar.addWidget(self._reject)
        return bar

    def _make_content(self) -> QWidget:
        scroll = QScrollArea()
        scroll.setObjectName("candidateDetails")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._details)
        hint = QLabel("Select a candidate to see its legs, figures and gate report")
        hint.setObjectName("panelPlaceholder")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self._detail_stack = QStackedWidget()
        self._detail_stack.addWidget(hint)
        self._detail_stack.addWidget(scroll)
        self._splitter = QSplitter(Qt.Orientation.Vertical)
        self._splitter.setChildrenCollapsible(False)
        self._splitter.addWidget(self._table)
        self._splitter.addWidget(self._detail_stack)
        # Most of the height to the details: a few candidates a day, each with a long report.
        self._splitter.setSizes([180, 420])
        self._splitter.setStretchFactor(0, 1)
        self._splitter.setStretchFactor(1, 3)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self._splitter, 1)
        layout.addLayout(self._make_edit_bar())
        return content

    # --- what the terminal calls ---------------------------------------------------------------

    @property
    def model(self) -> CandidateTableModel:
        """Return the table model (newest first)."""
        return self._model

    @property
    def table(self) -> QTableView:
        """Return the candidates table view."""
        return self._table

    @property
    def details(self) -> CandidateDetails:
        """Return the detail pane of the selected candidate."""
        return self._details

    def set_candidates(self, rows: tuple[CandidateView, ...]) -> None:
        """Show the candidates (oldest first, as the desk lists them); keep the selection by id."""
        if rows == self._rows:
            return
        known = {view.candidate_id for view in self._rows}
        self._rows = rows
        self._stack.setCurrentIndex(1 if rows else 0)
        self._updating = True
        try:
            self._model.set_candidates(rows)
            self._restore_selection()
        finally:
            self._updating = False
        if self._selected_id is None and any(view.candidate_id not in known for view in rows):
            newest = next((view for view in reversed(rows) if view.actionable), None)
            if newest is not None:
                self.select_candidate(newest.candidate_id)
        self._show_selected()

    def selected_candidate_id(self) -> str | None:
        """Return the id of the selected candidate, or None."""
        return self._selected_id

    def select_candidate(self, candidate_id: str) -> None:
        """Select a candidate by id (nothing happens when it is not shown)."""
        row = self._model.row_of(candidate_id)
        if row is not None:
            self._table.selectRow(row)
            self._table.scrollTo(self._model.index(row, 0))

    def approve_selected(self) -> bool:
        """Ask to approve the selected candidate with the edits; return False when it cannot be."""
        view = self._selected_view()
        if view is None or not view.actionable:
            return False
        contracts = self._contracts.value()
        limit = round(self._limit.value(), 2) if self._limit_check.isChecked() else None
        self.sig_approve_requested.emit(CandidateEdit(
            view.candidate_id, None if contracts == view.candidate.contracts else contracts,
            None if limit == view.candidate.limit_price else limit))
        return True

    def reject_selected(self) -> bool:
        """Ask to reject the selected candidate; return False when it cannot be."""
        view = self._selected_view()
        if view is None or not view.actionable:
            return False
        self.sig_reject_requested.emit(view.candidate_id)
        return True

    # --- internals ---------------------------------------------------------------------------

    def _selected_view(self) -> CandidateView | None:
        row = None if self._selected_id is None else self._model.row_of(self._selected_id)
        return None if row is None else self._model.view_at(row)

    def _restore_selection(self) -> None:
        row = None if self._selected_id is None else self._model.row_of(self._selected_id)
        if row is None:
            self._selected_id = None
            self._table.clearSelection()
        elif self._table.selectionModel().selectedRows() != [self._model.index(row, 0)]:
            self._table.selectRow(row)

    def _on_selection_changed(self) -> None:
        if self._updating:
            return
        rows = self._table.selectionModel().selectedRows()
        candidate_id = self._model.view_at(rows[0].row()).candidate_id if rows else None
        if candidate_id == self._selected_id:
            return
        self._selected_id = candidate_id
        self._shown_view = None  # another candidate: its own values in the edit controls
        self._show_selected()
        if candidate_id is not None:
            self.sig_candidate_selected.emit(candidate_id)

    def _show_selected(self) -> None:
        view = self._selected_view()
        if view is not None and view != self._shown_view:
            shown = self._shown_view
            self._load_edit_controls(view, same=shown is not None and shown.candidate_id == view.candidate_id)
            self._details.show_candidate(view)
        self._detail_stack.setCurrentIndex(0 if view is None else 1)
        self._shown_view = view
        self._update_actions()

    def _load_edit_controls(self, view: CandidateView, same: bool) -> None:
        """Put the candidate's size and limit in the controls; on a refresh, only untouched ones."""
        structure = view.candidate.structure
        limit = view.candidate.limit_price
        suggested = limit if limit is not None else round(structure.credit_mid / LIMIT_STEP) * LIMIT_STEP
        loaded_contracts, loaded_limit = self._loaded
        if not same or self._contracts.value() == loaded_contracts:
            self._contracts.setValue(view.candidate.contracts)
            loaded_contracts = view.candidate.contracts
        if not same:
            self._limit_check.setChecked(limit is not None)
        if not same or (not self._limit_check.isChecked() and self._limit.value() == loaded_limit):
            self._limit.setValue(suggested)
            loaded_limit = self._limit.value()
        self._loaded = (loaded_contracts, loaded_limit)

    def _update_actions(self) -> None:
        view = self._selected_view()
        actionable = view is not None and view.actionable
        for widget in (self._contracts, self._limit_check, self._approve, self._reject):
            widget.setEnabled(actionable)
        self._limit.setEnabled(actionable and self._limit_check.isChecked())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Put the gate report beside the figures when the panel is wide enough."""
        super().resizeEvent(event)
        self._details.set_wide(event.size().width() >= WIDE_DETAILS)
