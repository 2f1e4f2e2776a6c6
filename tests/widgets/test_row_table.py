"""The shared row table model: rows by id, reset only when the ids change, headers, alignment."""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from widgets.row_table import (
    ROW_ID_ROLE,
    Column,
    RowTableModel,
    row_table_view,
    select_row_id,
    selected_row,
    selected_row_id,
    size_columns,
)


@dataclass(frozen=True)
class Quote:
    """A small frozen row: an id, a text and a figure."""

    quote_id: str
    name: str
    price: float


COLUMNS: tuple[Column[Quote], ...] = (
    Column("Name", lambda q: q.name, "Put Credit Spread", "what is quoted", left=True),
    Column("Price", lambda q: f"{q.price:,.2f}", "9,999.99", "price in points"),
)
RED = QColor(200, 40, 40)


class QuoteModel(RowTableModel[Quote]):
    """A subclass that colours negative prices, as the panels add their own colours."""

    def __init__(self) -> None:
        super().__init__(COLUMNS, lambda q: q.quote_id)

    def cell_data(self, row: Quote, column: int, role: int) -> object:
        """Return red text for a negative price."""
        if role == Qt.ItemDataRole.ForegroundRole and column == 1 and row.price < 0:
            return QBrush(RED)
        return None


def quotes(*ids: str) -> tuple[Quote, ...]:
    return tuple(Quote(quote_id, f"name {quote_id}", 1.5) for quote_id in ids)


def test_rows_are_shown_in_the_order_given_and_found_by_id() -> None:
    model = QuoteModel()
    model.set_rows(quotes("B", "A", "C"))
    assert (model.rowCount(), model.columnCount()) == (3, 2)
    assert model.rows == quotes("B", "A", "C")
    assert model.row_at(1).quote_id == "A"
    assert (model.row_of("C"), model.row_of("missing")) == (2, None)
    assert model.data(model.index(0, 0)) == "name B"
    assert model.data(model.index(2, 1)) == "1.50"
    assert model.data(model.index(1, 1), ROW_ID_ROLE) == "A"
    assert model.rowCount(model.index(0, 0)) == 0  # a table: no children


def test_same_ids_repaint_the_cells_without_a_reset(qtbot: QtBot) -> None:
    model = QuoteModel()
    model.set_rows(quotes("A", "B"))
    repriced = tuple(replace(q, price=2.25) for q in model.rows)
    with qtbot.assertNotEmitted(model.modelReset), qtbot.waitSignal(model.dataChanged) as changed:
        model.set_rows(repriced)
    top_left, bottom_right = changed.args[:2]
    assert (top_left.row(), top_left.column(), bottom_right.row(), bottom_right.column()) == (0, 0, 1, 1)
    assert model.data(model.index(1, 1)) == "2.25"


def test_other_ids_or_order_reset_the_model(qtbot: QtBot) -> None:
    model = QuoteModel()
    model.set_rows(quotes("A", "B"))
    with qtbot.waitSignal(model.modelReset), qtbot.assertNotEmitted(model.dataChanged):
        model.set_rows(quotes("B", "A"))
    with qtbot.waitSignal(model.modelReset):
        model.set_rows(quotes("B", "A", "C"))
    with qtbot.waitSignal(model.modelReset):
        model.set_rows(())
    assert model.rowCount() == 0
    with qtbot.assertNotEmitted(model.modelReset), qtbot.assertNotEmitted(model.dataChanged):
        model.set_rows(())  # still nothing to show


def test_headers_carry_titles_and_tooltips() -> None:
    model = QuoteModel()
    horizontal = Qt.Orientation.Horizontal
    assert model.headerData(0, horizontal) == "Name"
    assert model.headerData(1, horizontal, Qt.ItemDataRole.ToolTipRole) == "price in points"
    assert model.headerData(2, horizontal) is None
    assert model.headerData(0, Qt.Orientation.Vertical) is None


def test_text_aligns_left_and_figures_right() -> None:
    model = QuoteModel()
    model.set_rows(quotes("A"))
    role, middle = Qt.ItemDataRole.TextAlignmentRole, Qt.AlignmentFlag.AlignVCenter
    assert model.data(model.index(0, 0), role) == int(Qt.AlignmentFlag.AlignLeft | middle)
    assert model.data(model.index(0, 1), role) == int(Qt.AlignmentFlag.AlignRight | middle)


def test_subclass_roles_come_from_cell_data() -> None:
    model = QuoteModel()
    model.set_rows((Quote("A", "up", 1.0), Quote("B", "down", -1.0)))
    foreground = Qt.ItemDataRole.ForegroundRole
    assert model.data(model.index(0, 1), foreground) is None
    brush = model.data(model.index(1, 1), foreground)
    assert isinstance(brush, QBrush)
    assert brush.color() == RED
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole) is None
    assert model.data(model.index(5, 0)) is None  # past the last row


def test_columns_are_sized_from_their_widest_text(qtbot: QtBot) -> None:
    table = QTableView()
    qtbot.addWidget(table)
    model = QuoteModel()
    table.setModel(model)
    metrics = QFontMetrics(table.font())
    size_columns(table.horizontalHeader(), metrics, ((c.header, c.sample) for c in COLUMNS), 10)
    assert table.columnWidth(0) == metrics.horizontalAdvance("Put Credit Spread") + 10
    assert table.columnWidth(1) == metrics.horizontalAdvance("9,999.99") + 10


def test_rows_are_selected_by_id_and_stay_selected_across_a_repaint(qtbot: QtBot) -> None:
    model = QuoteModel()
    table = row_table_view(model, "quotesTable", 10)
    qtbot.addWidget(table)
    model.set_rows(quotes("A", "B"))
    assert (selected_row_id(table, model), selected_row(table, model)) == (None, None)
    select_row_id(table, model, "B")
    assert selected_row_id(table, model) == "B"
    model.set_rows(tuple(replace(q, price=3.0) for q in model.rows))
    selected = selected_row(table, model)
    assert selected is not None
    assert (selected.quote_id, selected.price) == ("B", 3.0)
    select_row_id(table, model, "gone")
    assert selected_row_id(table, model) is None
