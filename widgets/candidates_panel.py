"""Candidates panel: every spread the strategy proposed, its details and full gate report.

The panel is a view. It shows the CandidateViews it is given (``set_candidates``) and asks,
through signals, for what the trader wants: approve (with an edited size or limit) or reject.
The terminal answers by showing the order ticket, then by handing back updated candidates.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QLocale, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QBoxLayout,
    QCheckBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedLayout,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.model import CandidateStatus, CheckStatus, GateResult, Structure
from engine.model.desk import CandidateEdit, CandidateView
from widgets.colors import muted_text, tone

NEW_YORK = ZoneInfo("America/New_York")

MISSING = "—"
PLACEHOLDER_TEXT = "No candidates yet: the strategy proposes at the close"
ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the candidate id of a row
LIMIT_STEP = 0.05
_CELL_PADDING = 14
_WIDE_DETAILS = 1180  # from this width on, the gate report sits beside the figures

AnyIndex = QModelIndex | QPersistentModelIndex


# --- formatting --------------------------------------------------------------------------------


def money(dollars: float) -> str:
    """Return dollars as $1,234.56 (-$12.00 when negative, an em dash when missing)."""
    if not math.isfinite(dollars):
        return MISSING
    return f"-${-dollars:,.2f}" if dollars < 0 else f"${dollars:,.2f}"


def points(price: float, decimals: int = 2) -> str:
    """Return a price or Greek with fixed decimals (an em dash when missing)."""
    return f"{price:,.{decimals}f}" if math.isfinite(price) else MISSING


def percent(fraction: float) -> str:
    """Return a fraction as a percentage with one decimal (0.152 -> 15.2 %)."""
    return f"{100.0 * fraction:.1f} %" if math.isfinite(fraction) else MISSING


def strike_text(strike: float) -> str:
    """Return a strike without decimals, or with one for half-point strikes."""
    return f"{strike:.0f}" if strike == round(strike) else f"{strike:.1f}"


def structure_text(structure: Structure) -> str:
    """Return e.g. ``Put Credit Spread 1850/1800 2015-03-20`` (legs in order, each expiry once)."""
    strikes = "/".join(strike_text(leg.strike) for leg in structure.legs)
    expiries = "/".join(sorted({leg.expiry.isoformat() for leg in structure.legs}))
    return f"{structure.kind.value} {strikes} {expiries}"


def gate_value_text(value: float | str | None) -> str:
    """Return a gate's value: numbers with 2 decimals, words as they are, an em dash for none."""
    if value is None:
        return MISSING
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}" if isinstance(value, int) else points(value)
    return str(value)


def status_colors(palette: QPalette) -> dict[CandidateStatus, QColor]:
    """Return the text colour of each candidate status (new in the accent colour)."""
    accent, muted = palette.color(QPalette.ColorRole.Link), muted_text(palette)
    amber, green, red = (tone(name, palette) for name in ("amber", "green", "red"))
    return {CandidateStatus.NEW: accent, CandidateStatus.APPROVED: amber, CandidateStatus.SENT: amber,
            CandidateStatus.FILLED: green, CandidateStatus.REJECTED: red, CandidateStatus.VETOED: red,
            CandidateStatus.EXPIRED: muted}


def gate_colors(palette: QPalette) -> dict[CheckStatus, QColor]:
    """Return the text colour of each gate status."""
    return {CheckStatus.PASS: tone("green", palette), CheckStatus.FAIL: tone("red", palette),
            CheckStatus.NO_DATA: tone("amber", palette), CheckStatus.DISABLED: muted_text(palette)}


# --- the table model ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CandidateColumn:
    """One column of the candidates table: its title, widest text, tooltip and cell text."""

    header: str
    sample: str
    tooltip: str
    text: Callable[[CandidateView], str]
    numeric: bool = True


def _proposed_text(view: CandidateView) -> str:
    """Return when the candidate was proposed, in market (New York) time like every time shown."""
    proposed = view.candidate.proposed_at.astimezone(NEW_YORK)
    return f"{proposed:%Y-%m-%d %H:%M}"


def _credit_text(view: CandidateView) -> str:
    structure = view.candidate.structure
    return f"{points(structure.credit_mid)} / {points(structure.credit_natural)}"


COLUMNS: tuple[CandidateColumn, ...] = (
    CandidateColumn("Proposed", "2015-01-15 16:00", "signal day and time proposed", _proposed_text, False),
    CandidateColumn("Status", "rejected", "new, approved, sent, filled, rejected, expired, vetoed",
                    lambda v: v.candidate.status.value, False),
    CandidateColumn("Structure", "Put Credit Spread 1850/1800 2015-03-20", "structure, strikes, expiry",
                    lambda v: structure_text(v.candidate.structure), False),
    CandidateColumn("Credit", "99.99 / 99.99", "credit per unit in points: mid / natural", _credit_text),
    CandidateColumn("Max loss", "$99,999.99", "maximum loss in dollars for the size, at the mid credit",
                    lambda v: money(v.max_loss_dollars)),
    CandidateColumn("RoR", "100.0 %", "return on risk: credit / max loss",
                    lambda v: percent(v.return_on_risk)),
    CandidateColumn("POP", "100.0 %", "probability of profit",
                    lambda v: percent(v.candidate.structure.probability_of_profit)),
    CandidateColumn("Delta", "-0.000", "net delta of the structure per unit",
                    lambda v: points(v.candidate.structure.delta, 3)),
    CandidateColumn("Size", "999", "contracts", lambda v: f"{v.candidate.contracts}"),
    CandidateColumn("Conviction", "x1.50", "conviction multiplier of the size",
                    lambda v: f"x{v.candidate.conviction:.2f}"),
)
STATUS_COLUMN = 1


class CandidateTableModel(QAbstractTableModel):
    """Read-only table of candidates, newest first; status coloured, its detail in the tooltip.

    ``set_candidates`` only emits ``dataChanged`` while the same candidates are shown in the same
    order, so the view keeps its selection, scroll position and column widths.
    """

    def __init__(self, palette: QPalette | None = None) -> None:
        super().__init__()
        self._views: tuple[CandidateView, ...] = ()
        colors = status_colors(palette or QApplication.palette())
        self._status_brushes = {status: QBrush(color) for status, color in colors.items()}
        self._bold = QFont()
        self._bold.setBold(True)

    def set_candidates(self, rows: tuple[CandidateView, ...]) -> None:
        """Show candidates given oldest first (shown newest first)."""
        views = tuple(reversed(rows))
        if [v.candidate_id for v in views] == [v.candidate_id for v in self._views]:
            self._views = views
            if views:
                self.dataChanged.emit(self.index(0, 0), self.index(len(views) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self._views = views
        self.endResetModel()

    @property
    def views(self) -> tuple[CandidateView, ...]:
        """Return the candidates in the order shown (newest first)."""
        return self._views

    def view_at(self, row: int) -> CandidateView:
        """Return the candidate shown on a row."""
        return self._views[row]

    def row_of(self, candidate_id: str) -> int | None:
        """Return the row showing a candidate, or None when it is not shown."""
        return next((row for row, v in enumerate(self._views) if v.candidate_id == candidate_id), None)

    def rowCount(self, parent: AnyIndex | None = None) -> int:
        """Return the number of candidates."""
        return 0 if parent is not None and parent.isValid() else len(self._views)

    def columnCount(self, parent: AnyIndex | None = None) -> int:
        """Return the number of columns."""
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return column titles and tooltips."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].header
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section].tooltip
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return a cell's text, alignment, status colour, tooltip or candidate id."""
        if not index.isValid() or not 0 <= index.row() < len(self._views):
            return None
        view, column = self._views[index.row()], index.column()
        status = view.candidate.status
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[column].text(view)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = COLUMNS[column].numeric
            return int((Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft)
                       | Qt.AlignmentFlag.AlignVCenter)
        if role == ID_ROLE:
            return view.candidate_id
        if column != STATUS_COLUMN:
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._status_brushes[status]
        if role == Qt.ItemDataRole.FontRole and status is CandidateStatus.NEW:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            return view.candidate.detail or status.value
        return None


# --- the detail pane ---------------------------------------------------------------------------

_LEG_HEADERS = ("Action", "Right", "Strike", "Expiry", "Class", "Bid", "Ask", "Mid", "IV %", "Δ")
_LEG_SAMPLES = ("SELL x2", "CALL", "9,999.5", "2015-03-20", "SPXW", "999.99", "999.99", "999.99",
                "100.0", "-0.000")
_GATE_HEADERS = ("Gate", "Status", "Value", "Threshold", "Detail")
_GATE_SAMPLES = ("Mean Reversion", "DISABLED", "Elevated Vol", "close > EMA 200 (1968.4)",
                 "VIX / VIX3M")  # the detail column stretches; longer details elide (tooltip: all)


def _fitted_table(name: str, headers: tuple[str, ...], samples: tuple[str, ...]) -> QTableWidget:
    """Return a read-only table sized once from sample texts that never scrolls by itself."""
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
    table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    metrics = QFontMetrics(table.font())
    table.verticalHeader().setDefaultSectionSize(metrics.height() + 6)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    for section, (title, sample) in enumerate(zip(headers, samples, strict=True)):
        width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title))
        header.resizeSection(section, width + _CELL_PADDING)
    # Never narrower than its columns: the detail pane scrolls sideways instead of clipping them.
    table.setMinimumWidth(header.length() + 2 * table.frameWidth())
    return table


def _item(text: str, right: bool = False, color: QColor | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    horizontal = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
    item.setTextAlignment(horizontal | Qt.AlignmentFlag.AlignVCenter)
    if color is not None:
        item.setForeground(QBrush(color))
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


def _fill(table: QTableWidget, rows: list[list[QTableWidgetItem]]) -> None:
    table.setRowCount(len(rows))
    for row, items in enumerate(rows):
        for column, item in enumerate(items):
            table.setItem(row, column, item)


_FIGURES = ("Credit", "Max profit", "Max loss", "Breakevens", "POP", "Greeks / unit", "Exits", "Time stop",
            "Regime", "Risk")


class CandidateDetails(QWidget):
    """The selected candidate in full: figures, legs, exits, risk text and the gate report."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = QLabel()
        self._title.setObjectName("candidateTitle")
        self._title.setWordWrap(True)
        self._title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._badge = QLabel("MODELLED")
        self._badge.setObjectName("modelledBadge")
        self._badge.setToolTip("The prices come from the modelled chain, not from real quotes.")
        self._values = {name: self._value_label(name) for name in _FIGURES}
        self._legs = _fitted_table("legsTable", _LEG_HEADERS, _LEG_SAMPLES)
        self._gates = _fitted_table("gateTable", _GATE_HEADERS, _GATE_SAMPLES)
        self._gates.horizontalHeader().setStretchLastSection(True)
        self._gate_colors = gate_colors(QApplication.palette())
        self._status_colors = status_colors(QApplication.palette())
        self._columns = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self._columns.setContentsMargins(6, 6, 6, 6)
        self._columns.addLayout(self._make_left(), 0)
        self._columns.addLayout(self._make_right(), 1)

    @staticmethod
    def _value_label(name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(f"detail{name.replace(' ', '').replace('/', '')}")
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setWordWrap(name == "Risk")
        return label

    def _make_left(self) -> QVBoxLayout:
        title_row = QHBoxLayout()
        title_row.addWidget(self._title, 1)
        title_row.addWidget(self._badge, 0, Qt.AlignmentFlag.AlignTop)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        for row, name in enumerate(_FIGURES):
            caption = QLabel(name)
            caption.setObjectName("detailCaption")
            grid.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(self._values[name], row, 1)
        grid.setColumnStretch(1, 1)
        left = QVBoxLayout()
        left.addLayout(title_row)
        left.addLayout(grid)
        left.addWidget(QLabel("Legs"))
        left.addWidget(self._legs)
        left.addStretch(1)
        return left

    def _make_right(self) -> QVBoxLayout:
        right = QVBoxLayout()
        right.addWidget(QLabel("Gate report at the signal close"))
        right.addWidget(self._gates)
        right.addStretch(1)
        return right

    def set_wide(self, wide: bool) -> None:
        """Put the gate report beside the figures (wide) or below them (narrow)."""
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self._columns.direction() != direction:
            self._columns.setDirection(direction)

    def gate_names(self) -> list[str]:
        """Return the gate names the report shows, top to bottom."""
        return [self._gates.item(row, 0).text() for row in range(self._gates.rowCount())]

    def figure(self, name: str) -> str:
        """Return the text shown for a figure ("Credit", "Max loss", ... as captioned)."""
        return self._values[name].text()

    def is_badge_visible(self) -> bool:
        """Return whether the MODELLED mark shows."""
        return not self._badge.isHidden()

    def show_candidate(self, view: CandidateView) -> None:
        """Show one candidate in full."""
        candidate, structure = view.candidate, view.candidate.structure
        color = self._status_colors[candidate.status].name()
        detail = f" — {html.escape(candidate.detail)}" if candidate.detail else ""
        self._title.setText(f"<b>{candidate.candidate_id}</b>  {structure_text(structure)}  "
                            f"{candidate.expiration.trading_class} {candidate.expiration.settlement.value}"
                            f"<br>Status <b style='color:{color}'>{candidate.status.value}</b>{detail}")
        self._badge.setVisible(view.modelled)
        for name, text in self._figure_texts(view).items():
            self._values[name].setText(text)
        _fill(self._legs, self._leg_rows(structure, candidate.contracts))
        _fill(self._gates, [self._gate_row(gate) for gate in view.gates])

    @staticmethod
    def _figure_texts(view: CandidateView) -> dict[str, str]:
        candidate, structure = view.candidate, view.candidate.structure
        scale = structure.multiplier * candidate.contracts
        plan = candidate.exit_plan
        return {
            "Credit": f"{points(structure.credit_mid)} mid / {points(structure.credit_natural)} natural",
            "Max profit": f"{money(structure.max_profit * scale)}  ({points(structure.max_profit)} pts)",
            "Max loss": f"{money(view.max_loss_dollars)}  ({points(structure.max_loss)} pts)",
            "Breakevens": ", ".join(points(b) for b in structure.breakevens) or MISSING,
            "POP": percent(structure.probability_of_profit),
            "Greeks / unit": (f"Δ {points(structure.delta, 3)}   Γ {points(structure.gamma, 4)}   "
                              f"Θ {points(structure.theta)}   vega {points(structure.vega)}"),
            "Exits": (f"target {points(plan.profit_target_debit)} debit · "
                      f"stop {points(plan.stop_loss_debit)} debit"),
            "Time stop": f"{plan.time_stop.isoformat()} (warning from {plan.soft_warning.isoformat()})",
            "Regime": view.regime or MISSING,
            "Risk": view.risk_text or MISSING,
        }

    @staticmethod
    def _leg_rows(structure: Structure, contracts: int) -> list[list[QTableWidgetItem]]:
        rows = []
        for leg in structure.legs:
            ratio = f" x{abs(leg.quantity)}" if abs(leg.quantity) != 1 else ""
            rows.append([_item(f"{leg.action}{ratio}"), _item(leg.right.name),
                         _item(strike_text(leg.strike), True), _item(leg.expiry.isoformat()),
                         _item(leg.trading_class or MISSING),
                         *(_item(points(p), True) for p in (leg.bid, leg.ask, leg.mid)),
                         _item(points(100.0 * leg.iv, 1), True), _item(points(leg.delta, 3), True)])
        return rows

    def _gate_row(self, gate: GateResult) -> list[QTableWidgetItem]:
        return [_item(gate.name), _item(gate.status.value, color=self._gate_colors[gate.status]),
                _item(gate_value_text(gate.value), True), _item(gate.threshold), _item(gate.detail)]


# --- the panel ---------------------------------------------------------------------------------


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
        table = QTableView()
        table.setObjectName("candidatesTable")
        table.setModel(self._model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        metrics = QFontMetrics(table.font())
        table.verticalHeader().setDefaultSectionSize(metrics.height() + 6)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        for section, column in enumerate(COLUMNS):
            width = max(metrics.horizontalAdvance(column.sample), metrics.horizontalAdvance(column.header))
            header.resizeSection(section, width + _CELL_PADDING)
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
        self._details.set_wide(event.size().width() >= _WIDE_DETAILS)
