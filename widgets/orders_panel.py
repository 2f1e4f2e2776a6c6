"""Orders and fills panel: every order with its state history, fills and commissions.

The panel is a view. It shows the OrderView rows it is given (``set_orders``) newest first and
tells the terminal when the trader wants a working order cancelled or its limit modified.
Prices follow engine.model's convention: net per unit, + credit / - debit; they print as
"6.00 cr" / "1.30 db".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedLayout,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.model import ComboLeg, Fill, OrderStatus
from engine.model.desk import OrderView
from widgets.colors import muted_text, secondary_text, tone
from widgets.row_table import (
    ROW_ID_ROLE,
    Column,
    RowTableModel,
    prepare_table,
    row_table_view,
    select_row_id,
    selected_row,
    selected_row_id,
)

MISSING = "—"
NEW_YORK = ZoneInfo("America/New_York")
ORDER_ID_ROLE = ROW_ID_ROLE  # the order id of a row, on every cell
LIMIT_RANGE = (-500.0, 500.0)
LIMIT_STEP = 0.05
_CELL_PADDING = 12



def status_colors(palette: QPalette | None = None) -> dict[OrderStatus, QColor]:
    """Return the text colour of each order status, in the palette's dark or light variant."""
    muted = muted_text(palette)
    return {OrderStatus.CREATED: secondary_text(palette), OrderStatus.WORKING: tone("blue", palette),
            OrderStatus.FILLED: tone("green", palette), OrderStatus.CANCELLED: muted,
            OrderStatus.EXPIRED: muted, OrderStatus.REJECTED: tone("red", palette)}


# --- how figures print ---------------------------------------------------------------------------


def net_price(value: float) -> str:
    """Return a net combo price: "6.00 cr" for a credit, "1.30 db" for a debit; "—" for NaN."""
    if not math.isfinite(value):
        return MISSING
    return f"{abs(value):,.2f} {'db' if round(value, 2) < 0 else 'cr'}"


def money(value: float) -> str:
    """Return dollars with thousands separators and cents ("$1,234.56"); "—" for NaN."""
    if not math.isfinite(value):
        return MISSING
    return f"{'-' if round(value, 2) < 0 else ''}${abs(value):,.2f}"


def eastern(moment: datetime, seconds: bool = False) -> str:
    """Return a moment as New York wall time, "2015-01-16 10:30"."""
    local = moment.astimezone(NEW_YORK) if moment.tzinfo is not None else moment
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _strike(strike: float) -> str:
    return f"{strike:.0f}" if strike == round(strike) else f"{strike:.1f}"


def legs_text(legs: tuple[ComboLeg, ...]) -> str:
    """Return the legs of a combo, e.g. "-1 P1850 +1 P1800 Mar20" (expiry per leg when they differ)."""
    expiries = {leg.expiry for leg in legs}
    one_expiry = len(expiries) == 1

    def leg_text(leg: ComboLeg) -> str:
        right = "P" if leg.right.value < 0 else "C"
        when = "" if one_expiry else f" {leg.expiry:%b%d}"
        return f"{leg.ratio:+d} {right}{_strike(leg.strike)}{when}"

    text = " ".join(leg_text(leg) for leg in legs)
    return f"{text} {next(iter(expiries)):%b%d}" if one_expiry else text


def average_fill_price(fills: tuple[Fill, ...]) -> float:
    """Return the contract-weighted net price of the fills (NaN without fills)."""
    contracts = sum(fill.contracts for fill in fills)
    if contracts <= 0:
        return math.nan
    return sum(fill.price * fill.contracts for fill in fills) / contracts


def _commissions_text(row: OrderView) -> str:
    return money(row.commissions) if row.fills else MISSING


# --- the table -----------------------------------------------------------------------------------


OrderColumn = Column[OrderView]

COLUMNS: tuple[OrderColumn, ...] = (
    OrderColumn("Order id", lambda r: r.order_id, "O-C-SPX-2015-01-15",
                "our order id (the broker's reference)", True),
    OrderColumn("Intent", lambda r: r.order.intent.value, "close", "open, close or roll", True),
    OrderColumn("Created (ET)", lambda r: eastern(r.order.created_at), "2015-01-16 10:30",
                "when the order was created, New York time", True),
    OrderColumn("Legs", lambda r: legs_text(r.order.legs), "-1 P1850 +1 P1800 Mar20",
                "signed ratio per unit, right and strike of each leg, expiry", True),
    OrderColumn("Size", lambda r: str(r.order.contracts), "999", "contracts"),
    OrderColumn("Limit", lambda r: net_price(r.order.limit_price), "999.99 db",
                "limit: the worst net price per unit accepted (cr credit, db debit)"),
    OrderColumn("Status", lambda r: r.status.value, "cancelled", "where the order stands", True),
    OrderColumn("Filled at", lambda r: net_price(average_fill_price(r.fills)), "999.99 db",
                "net price per unit of its fills (contract-weighted)"),
    OrderColumn("Comm. $", _commissions_text, "$9,999.99", "commissions and fees of its fills"),
    OrderColumn("Reason", lambda r: r.reason, "entry: approved by the trader", "why it was sent", True),
)
STATUS_COLUMN = 6
LONG_TEXT_COLUMNS = (0, 3, 9)  # order id, legs, reason: elided in the cell


class OrdersTableModel(RowTableModel[OrderView]):
    """Read-only table of OrderView rows in the order given (the panel puts the newest first).

    ``set_rows`` resets the rows only when the orders (ids, in order) change; otherwise it emits
    ``dataChanged`` so views keep their selection.
    """

    def __init__(self, palette: QPalette | None = None) -> None:
        super().__init__(COLUMNS, lambda row: row.order_id)
        self._status_colors = status_colors(palette)
        self._status_brushes = {status: QBrush(color) for status, color in self._status_colors.items()}

    def status_color(self, status: OrderStatus) -> QColor | None:
        """Return the text colour of an order status."""
        return self._status_colors.get(status)

    def order_at(self, row: int) -> OrderView:
        """Return the order shown on a row."""
        return self.row_at(row)

    def cell_data(self, row: OrderView, column: int, role: int) -> object:
        """Return the status cell's colour, or the whole of a long text as its tooltip."""
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS_COLUMN:
            return self._status_brushes.get(row.status)
        if role == Qt.ItemDataRole.ToolTipRole and column in LONG_TEXT_COLUMNS:
            return COLUMNS[column].text(row)  # long texts: the whole of them
        return None


# --- detail tables -------------------------------------------------------------------------------

HISTORY_HEADERS = ("Time (ET)", "Status", "Detail")
FILL_HEADERS = ("Fill", "Time (ET)", "Contracts", "Net price", "Leg prices", "Commission")
HISTORY_SAMPLES = ("2015-01-16 10:30:00", "cancelled", "accepted")
FILL_SAMPLES = ("O-C-SPX-2015-01-15-F1", "2015-01-16 10:30:00", "999", "999.99 db",
                "999.99 / 999.99", "$9,999.99")


def _prepare_table(table: QTableView, name: str, columns: Iterable[tuple[str, str]]) -> None:
    """Make a table read-only and compact, its columns sized once from (title, widest text)."""
    prepare_table(table, name, columns, _CELL_PADDING)
    # Closing orders' ids are long ("X-P-SPX-2015-01-15-2015-02-20"): keep both ends in view
    # (the whole id is in the tooltip).
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)


def _detail_table(name: str, headers: tuple[str, ...], samples: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    _prepare_table(table, name, zip(headers, samples, strict=True))
    return table


def _fill_rows(table: QTableWidget, rows: list[tuple[str, ...]], colors: list[QColor | None]) -> None:
    table.setRowCount(len(rows))
    for row, (texts, color) in enumerate(zip(rows, colors, strict=True)):
        for column, text in enumerate(texts):
            item = QTableWidgetItem(text)
            if color is not None and column == 1:
                item.setForeground(QBrush(color))
            table.setItem(row, column, item)


def history_rows(order: OrderView) -> list[tuple[str, ...]]:
    """Return the state history of an order as (time ET, status, detail) texts."""
    return [(eastern(event.at, seconds=True), event.status.value, event.detail) for event in order.events]


def fill_rows(order: OrderView) -> list[tuple[str, ...]]:
    """Return the fills of an order as (fill id, time ET, contracts, net price, leg prices, commission)."""
    return [(fill.fill_id, eastern(fill.at, seconds=True), str(fill.contracts), net_price(fill.price),
             " / ".join(f"{price:,.2f}" for price in fill.leg_prices), money(fill.commission))
            for fill in order.fills]


# --- the panel -----------------------------------------------------------------------------------


class OrdersPanel(QWidget):
    """Every order, newest first, with the state history and fills of the selected one.

    Signals:
        sig_cancel_requested(str): the trader asked to cancel the selected working order (its id).
        sig_modify_requested(str, float): the trader asked to change the selected working order's
            limit (order id, new limit: net per unit, + credit / - debit).
    """

    sig_cancel_requested = Signal(str)
    sig_modify_requested = Signal(str, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._orders: tuple[OrderView, ...] | None = None  # as given, oldest first
        self._shown_order: OrderView | None = None  # the selected order as its detail shows it
        self._model = OrdersTableModel()
        self._table = self._make_table()
        self._history = _detail_table("orderHistory", HISTORY_HEADERS, HISTORY_SAMPLES)
        self._fills = _detail_table("orderFills", FILL_HEADERS, FILL_SAMPLES)
        self._make_header()
        self._make_actions()
        self._stack = QStackedLayout()
        self._stack.addWidget(self._placeholder)
        self._stack.addWidget(self._table)
        self._lay_out()
        self._table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._refresh()

    # --- construction ------------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        table = row_table_view(self._model, "ordersTable", _CELL_PADDING)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # long ids: both ends in view
        return table

    def _make_header(self) -> None:
        self._working_only = QCheckBox("Working only")
        self._working_only.setObjectName("workingOnly")
        self._working_only.setToolTip("show only the orders that can still be cancelled or modified")
        self._working_only.toggled.connect(self._refresh)
        self._summary = QLabel()
        self._summary.setObjectName("ordersSummary")
        self._placeholder = QLabel("No orders")
        self._placeholder.setObjectName("panelPlaceholder")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def _make_actions(self) -> None:
        self._cancel_button = QPushButton("Cancel")
        self._cancel_button.setObjectName("cancelOrderButton")
        self._cancel_button.setToolTip("cancel the selected working order")
        self._cancel_button.clicked.connect(self._on_cancel_clicked)
        self._limit_box = QDoubleSpinBox()
        self._limit_box.setObjectName("newLimit")
        self._limit_box.setRange(*LIMIT_RANGE)
        self._limit_box.setSingleStep(LIMIT_STEP)
        self._limit_box.setDecimals(2)
        self._limit_box.setToolTip("new limit, net per unit in points: + credit, − debit")
        self._limit_box.valueChanged.connect(self._show_limit_side)
        self._limit_side = QLabel("cr")
        self._limit_side.setObjectName("limitSide")
        self._modify_button = QPushButton("Modify limit")
        self._modify_button.setObjectName("modifyLimitButton")
        self._modify_button.setToolTip("send the new limit for the selected working order")
        self._modify_button.clicked.connect(self._on_modify_clicked)

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self._summary, 1)
        top.addWidget(self._working_only)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addLayout(self._stack)
        upper_layout.addLayout(self._actions_row())
        details = QSplitter(Qt.Orientation.Horizontal)
        details.addWidget(self._titled("State history", self._history))
        details.addWidget(self._titled("Fills", self._fills))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setObjectName("ordersSplitter")
        splitter.addWidget(upper)
        splitter.addWidget(details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

    def _actions_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(self._cancel_button)
        row.addSpacing(12)
        row.addWidget(QLabel("Limit"))
        row.addWidget(self._limit_box)
        row.addWidget(self._limit_side)
        row.addWidget(self._modify_button)
        row.addStretch(1)
        return row

    @staticmethod
    def _titled(title: str, table: QTableWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        label = QLabel(title)
        label.setObjectName("chainSideLabel")  # the theme's small caption style
        layout.addWidget(label)
        layout.addWidget(table, 1)
        return box

    # --- what the terminal calls ---------------------------------------------------------------

    @property
    def table(self) -> QTableView:
        """Return the orders table view (for tests and the terminal)."""
        return self._table

    def set_orders(self, rows: tuple[OrderView, ...]) -> None:
        """Show every order (given oldest first; shown newest first); keep the selection by id."""
        if rows == self._orders:
            return
        self._orders = rows
        self._refresh()

    def select_order(self, order_id: str) -> None:
        """Select an order by id; clear the selection when it is not shown."""
        select_row_id(self._table, self._model, order_id)

    def selected_order_id(self) -> str | None:
        """Return the id of the selected order, or None."""
        return selected_row_id(self._table, self._model)

    # --- internals ---------------------------------------------------------------------------

    def _refresh(self) -> None:
        kept = self.selected_order_id()
        orders = self._orders or ()
        working_only = self._working_only.isChecked()
        shown = tuple(o for o in reversed(orders) if o.working or not working_only)
        self._model.set_rows(shown)
        self._stack.setCurrentIndex(1 if shown else 0)
        self._placeholder.setText("No working orders" if working_only and orders else "No orders")
        working = sum(1 for o in orders if o.working)
        self._summary.setText(f"{len(orders)} orders, {working} working" if orders else "")
        if kept and kept != self.selected_order_id():
            self.select_order(kept)
        self._on_selection_changed()

    def _selected(self) -> OrderView | None:
        return selected_row(self._table, self._model)

    def _on_selection_changed(self) -> None:
        order = self._selected()
        working = order is not None and order.working
        for widget in (self._cancel_button, self._limit_box, self._modify_button):
            widget.setEnabled(working)
        if order == self._shown_order:
            return
        previous, self._shown_order = self._shown_order, order
        if order is not None and (previous is None or previous.order_id != order.order_id
                                  or previous.order.limit_price != order.order.limit_price):
            self._limit_box.setValue(order.order.limit_price)  # a new order, or its limit moved
        self._show_detail(order)

    def _show_detail(self, order: OrderView | None) -> None:
        events = order.events if order else ()
        _fill_rows(self._history, history_rows(order) if order else [],
                   [self._model.status_color(e.status) for e in events])
        fills = fill_rows(order) if order else []
        _fill_rows(self._fills, fills, [None] * len(fills))

    def _show_limit_side(self, value: float) -> None:
        self._limit_side.setText("db" if round(value, 2) < 0 else "cr")

    def _on_cancel_clicked(self) -> None:
        order = self._selected()
        if order is not None and order.working:
            self.sig_cancel_requested.emit(order.order_id)

    def _on_modify_clicked(self) -> None:
        order = self._selected()
        if order is not None and order.working:
            self.sig_modify_requested.emit(order.order_id, round(self._limit_box.value(), 2))
