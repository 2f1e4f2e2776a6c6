"""Row tables: a read-only Qt table model over a tuple of frozen rows, one column per Column.

The candidates, positions and orders panels each show a tuple of frozen view rows. What they
share lives here: the columns (title, widest text, tooltip, cell text, alignment), the row
lookups by id and the update rule that keeps the trader's selection across updates (a reset only
when the ids or their order change, else a repaint of the cells). Each panel's model subclasses
``RowTableModel`` and adds only its own colours, fonts and tooltips in ``cell_data``. The view
helpers below build the read-only table (columns sized once from sample text) and select by id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

Row = TypeVar("Row")
AnyIndex = QModelIndex | QPersistentModelIndex
ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the id of a cell's row, on every cell


# No slots: Python 3.11's frozen slotted dataclasses break when called through an alias such as
# Column[PositionView](...) (typing sets __orig_class__ on the instance).
@dataclass(frozen=True)
class Column(Generic[Row]):
    """One column of a row table: its title, how a row prints in it, its widest text, its tooltip."""

    header: str
    text: Callable[[Row], str]
    sample: str  # the widest text it usually prints; sizes the column once
    tooltip: str
    left: bool = False  # text columns align left, figures right

    @property
    def alignment(self) -> int:
        """Return the cell alignment: left for text, right for figures, vertically centred."""
        horizontal = Qt.AlignmentFlag.AlignLeft if self.left else Qt.AlignmentFlag.AlignRight
        return int(horizontal | Qt.AlignmentFlag.AlignVCenter)


class RowTableModel(QAbstractTableModel, Generic[Row]):
    """Read-only table of frozen rows in the order given, one row per line, described by columns.

    ``set_rows`` resets the model only when the rows' ids (in order) change; otherwise it emits
    ``dataChanged`` so views keep their selection, scroll position and column widths. Every cell
    answers ``ROW_ID_ROLE`` with its row's id. Subclasses add colours, fonts and tooltips by
    overriding ``cell_data``.
    """

    def __init__(self, columns: tuple[Column[Row], ...], row_id: Callable[[Row], str]) -> None:
        super().__init__()
        self._columns = columns
        self._row_id = row_id
        self._rows: tuple[Row, ...] = ()

    @property
    def columns(self) -> tuple[Column[Row], ...]:
        """Return the columns shown."""
        return self._columns

    @property
    def rows(self) -> tuple[Row, ...]:
        """Return the rows shown, in the order shown."""
        return self._rows

    def set_rows(self, rows: tuple[Row, ...]) -> None:
        """Show other rows: a reset when their ids (in order) differ, else a repaint of the cells."""
        if [self._row_id(r) for r in rows] != [self._row_id(r) for r in self._rows]:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
            return
        self._rows = rows
        if rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self._columns) - 1))

    def row_at(self, row: int) -> Row:
        """Return the row shown on a line."""
        return self._rows[row]

    def id_at(self, row: int) -> str:
        """Return the id of the row shown on a line."""
        return self._row_id(self._rows[row])

    def row_of(self, row_id: str) -> int | None:
        """Return the line showing the row with this id, or None when it is not shown."""
        return next((i for i, r in enumerate(self._rows) if self._row_id(r) == row_id), None)

    def rowCount(self, parent: AnyIndex | None = None) -> int:
        """Return the number of rows shown."""
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex | None = None) -> int:
        """Return the number of columns."""
        return 0 if parent is not None and parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return column titles and their tooltips."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section].header
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._columns[section].tooltip
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return a cell's text, alignment or row id; other roles from ``cell_data``."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._columns[column].text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._columns[column].alignment
        if role == ROW_ID_ROLE:
            return self._row_id(row)
        return self.cell_data(row, column, role)

    def cell_data(self, row: Row, column: int, role: int) -> object:
        """Return a cell's data for the other roles (colours, fonts, tooltips); None here."""
        return None


# --- the views -----------------------------------------------------------------------------------


def size_columns(header: QHeaderView, metrics: QFontMetrics, columns: Iterable[tuple[str, str]],
                 padding: int) -> None:
    """Size each column once to the wider of its (title, widest text), plus padding."""
    for section, (title, sample) in enumerate(columns):
        width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title))
        header.resizeSection(section, width + padding)


def prepare_table(table: QTableView, name: str, columns: Iterable[tuple[str, str]], padding: int,
                  stretch_last: bool = True) -> None:
    """Make a table read-only and compact, its columns sized once from (title, widest text)."""
    table.setObjectName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    metrics = QFontMetrics(table.font())
    table.verticalHeader().setDefaultSectionSize(metrics.height() + 6)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(stretch_last)
    header.setHighlightSections(False)
    size_columns(header, metrics, columns, padding)


def row_table_view(model: RowTableModel[Row], name: str, padding: int,
                   stretch_last: bool = True) -> QTableView:
    """Return a read-only table of the model, one whole row selected at a time, columns sized once."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    prepare_table(table, name, ((column.header, column.sample) for column in model.columns), padding,
                  stretch_last)
    return table


def select_row_id(table: QTableView, model: RowTableModel[Row], row_id: str) -> None:
    """Select the row with this id and scroll to it; clear the selection when it is not shown."""
    row = model.row_of(row_id)
    selection = table.selectionModel()
    if row is None:
        selection.clearSelection()
        return
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    selection.setCurrentIndex(model.index(row, 0), flags)
    table.scrollTo(model.index(row, 0))


def selected_row(table: QTableView, model: RowTableModel[Row]) -> Row | None:
    """Return the selected row, or None."""
    selected = table.selectionModel().selectedRows()
    return model.row_at(selected[0].row()) if selected else None


def selected_row_id(table: QTableView, model: RowTableModel[Row]) -> str | None:
    """Return the id of the selected row, or None."""
    selected = table.selectionModel().selectedRows()
    return model.id_at(selected[0].row()) if selected else None
