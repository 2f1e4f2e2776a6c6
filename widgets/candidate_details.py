"""The candidate's detail pane (legs, figures, exit levels, full gate report) and its formatting.

Part of the Candidates panel (widgets.candidates_panel), which shows it under its table.
"""

from __future__ import annotations

import html
import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.model import CandidateStatus, CheckStatus, GateResult, Structure
from engine.model.desk import CandidateView
from widgets.colors import muted_text, tone

MISSING = "—"
_CELL_PADDING = 14
WIDE_DETAILS = 1180  # from this width on, the gate report sits beside the figures


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
        items = (self._gates.item(row, 0) for row in range(self._gates.rowCount()))
        return [item.text() for item in items if item is not None]

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
