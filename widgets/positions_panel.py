"""Positions panel: open positions valued at the latest mark, their exit levels, close and roll.

The panel is a view. It shows the PositionView rows it is given (``set_positions``) and tells
the terminal what the trader asked for (close, roll, close all, exits automatic or manual)
through its signals; it never acts on a position itself.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedLayout,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.model import Structure, StructureKind
from engine.model.desk import PositionView
from widgets.colors import tone
from widgets.row_table import (
    ROW_ID_ROLE,
    Column,
    RowTableModel,
    row_table_view,
    select_row_id,
    selected_row,
    selected_row_id,
)

MISSING = "—"
POSITION_ID_ROLE = ROW_ID_ROLE  # the position id of a row, on every cell
EXIT_SIGNAL_COLOR = QColor(240, 160, 32, 64)  # amber, translucent: the text stays legible
_CELL_PADDING = 12


def profit_color(palette: QPalette | None = None) -> QColor:
    """Return the text colour of a profit (green, the palette's dark or light variant)."""
    return tone("green", palette)


def loss_color(palette: QPalette | None = None) -> QColor:
    """Return the text colour of a loss (red, the palette's dark or light variant)."""
    return tone("red", palette)


_SHORT_NAMES = {
    StructureKind.PUT_CREDIT_SPREAD: "PCS",
    StructureKind.CALL_CREDIT_SPREAD: "CCS",
    StructureKind.IRON_CONDOR: "IC",
    StructureKind.BROKEN_WING_BUTTERFLY: "BWB",
    StructureKind.CALENDAR: "CAL",
}


# --- how figures print ---------------------------------------------------------------------------


def money(value: float, signed: bool = False) -> str:
    """Return dollars with thousands separators and cents ("-$1,234.56"); "—" for NaN."""
    if not math.isfinite(value):
        return MISSING
    cents = round(value, 2)
    sign = "-" if cents < 0 else ("+" if signed and cents > 0 else "")
    return f"{sign}${abs(cents):,.2f}"


def points(value: float) -> str:
    """Return a price in index points with 2 decimals; "—" for NaN."""
    return f"{value:,.2f}" if math.isfinite(value) else MISSING


def percent(value: float) -> str:
    """Return a percentage with 1 decimal ("24.8%"); "—" for NaN."""
    return f"{value:.1f}%" if math.isfinite(value) else MISSING


def strike_text(strike: float) -> str:
    """Return a strike as traders write it: "1850", or "1852.5" for a half-point strike."""
    return f"{strike:.0f}" if strike == round(strike) else f"{strike:.1f}"


def structure_text(structure: Structure) -> str:
    """Return the short form of a structure, e.g. "PCS 1850/1800 Mar20"."""
    name = _SHORT_NAMES.get(structure.kind, structure.kind.value)
    strikes = "/".join(strike_text(leg.strike) for leg in structure.legs)
    expiries = "/".join(dict.fromkeys(f"{leg.expiry:%b%d}" for leg in structure.legs))
    return f"{name} {strikes} {expiries}"


def legs_text(structure: Structure, contracts: int) -> str:
    """Return the legs one per line, e.g. "SELL 2 SPX 2015-03-20 1850 P"."""
    lines = []
    for leg in structure.legs:
        right = "P" if leg.right.value < 0 else "C"
        option_class = leg.trading_class or structure.underlying
        lines.append(f"{leg.action} {abs(leg.quantity) * contracts} {option_class} "
                     f"{leg.expiry.isoformat()} {strike_text(leg.strike)} {right}")
    return "\n".join(lines)


def _distance_text(row: PositionView) -> str:
    if not math.isfinite(row.distance_points):
        return MISSING
    return f"{points(row.distance_points)} ({percent(row.distance_pct)})"


def _exits_text(row: PositionView) -> str:
    return "closing…" if row.closing_order_id else row.exit_mode


# --- the table -----------------------------------------------------------------------------------


PositionColumn = Column[PositionView]

COLUMNS: tuple[PositionColumn, ...] = (
    PositionColumn("Position", lambda r: r.position_id, "P-SPX-2015-01-15", "position id", True),
    PositionColumn("Structure", lambda r: structure_text(r.position.structure), "PCS 1850/1800 Mar20",
                   "structure, strikes (short first) and expiry", True),
    PositionColumn("Size", lambda r: str(r.position.contracts), "999", "contracts"),
    PositionColumn("Entry", lambda r: points(r.position.entry_credit), "99.99",
                   "entry credit per unit, points"),
    PositionColumn("Mark", lambda r: points(r.mark_debit), "99.99", "debit to close at mid, points"),
    PositionColumn("P&L $", lambda r: money(r.pnl_dollars, signed=True), "-$99,999.99",
                   "open P&L at mid, before closing commissions"),
    PositionColumn("P&L % max", lambda r: percent(r.pnl_pct_of_max_profit), "-999.9%",
                   "open P&L as a percentage of the maximum profit (the entry credit)"),
    PositionColumn("DTE", lambda r: str(r.dte), "999", "calendar days to expiry"),
    PositionColumn("Δ $", lambda r: money(r.greeks.delta), "-$9,999.99", "delta, $ per index point"),
    PositionColumn("Θ $/day", lambda r: money(r.greeks.theta), "-$9,999.99", "theta, $ per calendar day"),
    PositionColumn("V $/pt", lambda r: money(r.greeks.vega), "-$9,999.99", "vega, $ per vol point"),
    PositionColumn("Target", lambda r: points(r.position.exit_plan.profit_target_debit), "99.99",
                   "profit target: close at this debit, points"),
    PositionColumn("Stop", lambda r: points(r.position.exit_plan.stop_loss_debit), "99.99",
                   "stop loss: close at this debit, points"),
    PositionColumn("Time stop", lambda r: r.position.exit_plan.time_stop.isoformat(), "2015-02-27",
                   "time stop: close on this date"),
    PositionColumn("To short", _distance_text, "-999.99 (-99.9%)",
                   "distance of the underlying from the short strike, points (% of the underlying); "
                   "+ out of the money"),
    PositionColumn("Exits", _exits_text, "closing…", "exits automatic (auto) or manual", True),
)
PNL_COLUMNS = (5, 6)
MARK_COLUMN = 4
STRUCTURE_COLUMN = 1
EXITS_COLUMN = 15


class PositionsTableModel(RowTableModel[PositionView]):
    """Read-only table of PositionView rows, one position per row.

    ``set_rows`` resets the rows only when the positions (ids, in order) change; otherwise it
    emits ``dataChanged`` so views keep their selection and scroll position.
    """

    def __init__(self, palette: QPalette | None = None) -> None:
        super().__init__(COLUMNS, lambda row: row.position_id)
        self._signal_brush = QBrush(EXIT_SIGNAL_COLOR)
        self._pnl_brushes = (QBrush(profit_color(palette)), QBrush(loss_color(palette)))

    def position_at(self, row: int) -> PositionView:
        """Return the position shown on a row."""
        return self.row_at(row)

    def cell_data(self, row: PositionView, column: int, role: int) -> object:
        """Return a cell's P&L colour, exit-signal background or tooltip."""
        if role == Qt.ItemDataRole.ForegroundRole and column in PNL_COLUMNS:
            return self._pnl_brush(row.pnl_dollars)
        if role == Qt.ItemDataRole.BackgroundRole and row.exit_signal:
            return self._signal_brush
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        return None

    def _pnl_brush(self, pnl: float) -> QBrush | None:
        if not math.isfinite(pnl) or round(pnl, 2) == 0:
            return None
        return self._pnl_brushes[0] if pnl > 0 else self._pnl_brushes[1]

    @staticmethod
    def _tooltip(row: PositionView, column: int) -> str | None:
        lines = [f"EXIT SIGNAL: {row.exit_signal}"] if row.exit_signal else []
        if column == STRUCTURE_COLUMN:
            lines.append(legs_text(row.position.structure, row.position.contracts))
        elif column == MARK_COLUMN:
            lines.append(f"natural {points(row.natural_debit)}" + ("  (MODELLED)" if row.modelled else ""))
        elif column == EXITS_COLUMN and row.closing_order_id:
            lines.append(f"closing order {row.closing_order_id} is working")
        return "\n".join(lines) or None


# --- the panel -----------------------------------------------------------------------------------


def _placeholder_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("panelPlaceholder")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


def totals_text(rows: tuple[PositionView, ...]) -> str:
    """Return the book's line: total open P&L and total $ Greeks of the positions shown."""
    quoted = [r.pnl_dollars for r in rows if math.isfinite(r.pnl_dollars)]
    pnl = money(sum(quoted), signed=True) if quoted else MISSING
    unquoted = len(rows) - len(quoted)
    note = f" ({unquoted} unquoted)" if unquoted and quoted else ""
    delta, theta, vega = (sum(getattr(r.greeks, name) for r in rows) for name in ("delta", "theta", "vega"))
    count = f"{len(rows)} position{'s' if len(rows) != 1 else ''}"
    return f"{count}   P&L {pnl}{note}   Δ {money(delta)}   Θ {money(theta)}/day   V {money(vega)}"


class PositionsPanel(QWidget):
    """Open positions with their mark, P&L, Greeks and exit levels; close, roll, exit mode.

    Signals:
        sig_position_selected(str): the selected position changed; carries its id ("" when
            the selection was cleared, e.g. the position closed).
        sig_close_requested(str): the trader asked to close the selected position (its id).
        sig_roll_requested(str): the trader asked to roll the selected position (its id).
        sig_close_all_requested(): the trader asked to close every position that can close.
        sig_exit_mode_changed(str, str): the trader set the selected position's exits to
            "auto" or "manual" (position id, mode). Not emitted when the panel shows new data.
    """

    sig_position_selected = Signal(str)
    sig_close_requested = Signal(str)
    sig_roll_requested = Signal(str)
    sig_close_all_requested = Signal()
    sig_exit_mode_changed = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[PositionView, ...] = ()
        self._selected_id = ""  # last id announced with sig_position_selected
        self._model = PositionsTableModel()
        self._table = self._make_table()
        self._make_labels()
        self._make_actions()
        self._stack = QStackedLayout()
        self._stack.addWidget(self._placeholder)
        self._stack.addWidget(self._table)
        self._lay_out()
        self._table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._show_rows(())

    # --- construction ------------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        return row_table_view(self._model, "positionsTable", _CELL_PADDING)

    def _make_labels(self) -> None:
        self._totals = QLabel()
        self._totals.setObjectName("positionsTotals")
        self._totals.setWordWrap(True)  # a narrow dock wraps the line rather than clip it
        self._totals.setToolTip("totals of the open positions: P&L at mid; Δ $ per point, "
                                "Θ $ per calendar day, V (vega) $ per vol point")
        self._badge = QLabel("MODELLED")
        self._badge.setObjectName("modelledBadge")
        self._badge.setToolTip("Marks and Greeks come from modelled chains; no real quote went into them.")
        self._badge.hide()
        self._signal_line = QLabel()
        self._signal_line.setObjectName("exitSignalLine")
        self._signal_line.setWordWrap(True)
        self._signal_line.setStyleSheet(f"color: {tone('amber').name()}; font-weight: bold;")  # as the row
        self._signal_line.hide()
        self._placeholder = _placeholder_label("No open positions")

    def _make_actions(self) -> None:
        self._close_button = QPushButton("Close…")
        self._close_button.setObjectName("closeButton")
        self._close_button.setToolTip("close the selected position (a confirmation shows the order first)")
        self._close_button.clicked.connect(self._on_close_clicked)
        self._roll_button = QPushButton("Roll…")
        self._roll_button.setObjectName("rollButton")
        self._roll_button.setToolTip("roll the selected position to a later expiry")
        self._roll_button.clicked.connect(self._on_roll_clicked)
        self._close_all_button = QPushButton("Close all…")
        self._close_all_button.setObjectName("closeAllButton")
        self._close_all_button.setToolTip("close every open position (a confirmation shows the orders first)")
        self._close_all_button.clicked.connect(self.sig_close_all_requested.emit)
        self._exits_box = QCheckBox("Exits automatic")
        self._exits_box.setObjectName("exitsAutomatic")
        self._exits_box.setToolTip("checked: the engine closes the selected position at its exit levels; "
                                   "unchecked: it only signals and you close it")
        # clicked (not toggled): only the trader's click, never setChecked from new data.
        self._exits_box.clicked.connect(self._on_exits_clicked)

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self._badge)
        top.addWidget(self._totals, 1)
        actions = QHBoxLayout()
        actions.addWidget(self._close_button)
        actions.addWidget(self._roll_button)
        actions.addSpacing(12)
        actions.addWidget(self._exits_box)
        actions.addStretch(1)
        actions.addWidget(self._close_all_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(self._stack, 1)
        layout.addWidget(self._signal_line)
        layout.addLayout(actions)

    # --- what the terminal calls ---------------------------------------------------------------

    @property
    def model(self) -> PositionsTableModel:
        """Return the table model (for tests and the terminal)."""
        return self._model

    @property
    def table(self) -> QTableView:
        """Return the table view (for tests)."""
        return self._table

    def set_positions(self, rows: tuple[PositionView, ...]) -> None:
        """Show the open positions; keep the selected one selected (by id)."""
        if rows == self._rows:
            return
        self._show_rows(rows)

    def select_position(self, position_id: str) -> None:
        """Select a position by id; clear the selection when it is not shown."""
        select_row_id(self._table, self._model, position_id)

    def selected_position_id(self) -> str | None:
        """Return the id of the selected position, or None."""
        return selected_row_id(self._table, self._model)

    def is_badge_visible(self) -> bool:
        """Return whether the MODELLED badge shows."""
        return not self._badge.isHidden()

    def exit_signal_text(self) -> str:
        """Return the exit-signal line under the table ("" when no exit is pending)."""
        return self._signal_line.text() if not self._signal_line.isHidden() else ""

    # --- internals ---------------------------------------------------------------------------

    def _show_rows(self, rows: tuple[PositionView, ...]) -> None:
        kept = self.selected_position_id()
        self._rows = rows
        self._model.set_rows(rows)
        self._stack.setCurrentIndex(1 if rows else 0)
        self._totals.setText(totals_text(rows) if rows else "")
        self._badge.setVisible(any(r.modelled for r in rows))
        signals = [f"EXIT SIGNAL {r.position_id}: {r.exit_signal} — close it or set exits automatic"
                   for r in rows if r.exit_signal]
        self._signal_line.setText("\n".join(signals))
        self._signal_line.setVisible(bool(signals))
        if kept and kept != self.selected_position_id():
            self.select_position(kept)
        self._on_selection_changed()

    def _selected_row(self) -> PositionView | None:
        return selected_row(self._table, self._model)

    def _on_selection_changed(self) -> None:
        selected = self._selected_row()
        can_close = selected is not None and not selected.closing_order_id
        self._close_button.setEnabled(can_close)
        self._roll_button.setEnabled(can_close)
        self._close_all_button.setEnabled(any(not r.closing_order_id for r in self._rows))
        self._exits_box.setEnabled(selected is not None)
        self._exits_box.setChecked(selected is not None and selected.exit_mode == "auto")
        position_id = selected.position_id if selected else ""
        if position_id != self._selected_id:
            self._selected_id = position_id
            self.sig_position_selected.emit(position_id)

    def _on_close_clicked(self) -> None:
        position_id = self.selected_position_id()
        if position_id:
            self.sig_close_requested.emit(position_id)

    def _on_roll_clicked(self) -> None:
        position_id = self.selected_position_id()
        if position_id:
            self.sig_roll_requested.emit(position_id)

    def _on_exits_clicked(self, checked: bool) -> None:
        position_id = self.selected_position_id()
        if position_id:
            self.sig_exit_mode_changed.emit(position_id, "auto" if checked else "manual")
