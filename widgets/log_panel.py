"""Log panel: the structured log, newest at the bottom, filterable by kind and by text.

The panel is a view. The terminal hands it the whole tuple of recent log lines up to ten times a
second; the panel appends only what is new (it rebuilds only when the old lines are no longer
the start of the new ones) and keeps the newest MAX_LINES. A list model holds the lines, a
filter proxy picks what shows, and a one-column table draws them: each row is as tall as its
entry has lines, set once when the row appears, so an append never measures the other rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QAction, QBrush, QColor, QFontDatabase, QFontMetrics, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.model.desk import LogLine
from widgets.colors import Tone, secondary_text, tone

MAX_LINES = 5000
ALL_KINDS = "All kinds"
KIND_ROLE = Qt.ItemDataRole.UserRole + 1  # the entry's kind ("TRADE OPENED", ...)
LINES_ROLE = Qt.ItemDataRole.UserRole + 2  # how many text lines the entry has
TIME_FORMAT = "%Y-%m-%d %H:%M"
_ROW_PADDING = 4
_KIND_TONES: dict[str, Tone] = {
    "TRADE OPENED": "green", "TRADE CLOSED": "blue", "RISK VETO": "red", "BREAKER": "red",
    "EXIT SIGNAL": "amber", "WARMUP": "amber", "BROKER": "amber",  # the IB link: warnings, drops, reconnects
}
_QUIET_KINDS = ("DAILY SUMMARY", "DAILY DASHBOARD")  # shown in the caption colour


def kind_colors(palette: QPalette | None = None) -> dict[str, QColor]:
    """Return the text colour of each coloured log kind, in the palette's dark or light variant."""
    colors = {kind: tone(name, palette) for kind, name in _KIND_TONES.items()}
    colors.update({kind: secondary_text(palette) for kind in _QUIET_KINDS})
    return colors


AnyIndex = QModelIndex | QPersistentModelIndex


def entry_text(line: LogLine) -> str:
    """Return an entry as shown: its time, then its text; further lines indented under the text."""
    prefix = f"{line.at:{TIME_FORMAT}}  "
    return prefix + line.text.replace("\n", "\n" + " " * len(prefix))


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One log line as the model keeps it: the line, its shown text, lower-cased text, line count."""

    line: LogLine
    shown: str
    lowered: str
    line_count: int
    widest: int  # characters in its longest line

    @classmethod
    def of(cls, line: LogLine) -> LogEntry:
        """Return the entry of a log line."""
        shown = entry_text(line)
        parts = shown.split("\n")
        return cls(line, shown, shown.lower(), len(parts), max(len(part) for part in parts))


class LogListModel(QAbstractListModel):
    """The newest MAX_LINES log entries, oldest first; appends insert rows, never reset."""

    def __init__(self, max_lines: int = MAX_LINES, palette: QPalette | None = None) -> None:
        super().__init__()
        self._entries: list[LogEntry] = []
        self._kind_brushes = {kind: QBrush(color) for kind, color in kind_colors(palette).items()}
        self._max_lines = max_lines
        self.widest = 0  # characters in the longest line seen, to size the column

    def rowCount(self, parent: AnyIndex | None = None) -> int:
        """Return the number of entries kept."""
        return 0 if parent is not None and parent.isValid() else len(self._entries)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return the shown text, colour, alignment, kind or line count of an entry."""
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.shown
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._kind_brushes.get(entry.line.kind)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        if role == KIND_ROLE:
            return entry.line.kind
        if role == LINES_ROLE:
            return entry.line_count
        return None

    def entry(self, row: int) -> LogEntry:
        """Return the entry of a row."""
        return self._entries[row]

    def append(self, lines: Sequence[LogLine]) -> None:
        """Add lines at the end, dropping the oldest beyond the cap."""
        if not lines:
            return
        if len(lines) >= self._max_lines:
            self.replace(lines)
            return
        overflow = len(self._entries) + len(lines) - self._max_lines
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self._entries[:overflow]
            self.endRemoveRows()
        entries = self._entries_of(lines)
        first = len(self._entries)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        self._entries.extend(entries)
        self.endInsertRows()

    def replace(self, lines: Sequence[LogLine]) -> None:
        """Show these lines (the newest MAX_LINES of them) instead of the ones kept."""
        self.beginResetModel()
        self._entries = self._entries_of(lines[-self._max_lines:])
        self.endResetModel()

    def _entries_of(self, lines: Iterable[LogLine]) -> list[LogEntry]:
        entries = [LogEntry.of(line) for line in lines]
        self.widest = max([self.widest, *(entry.widest for entry in entries)])
        return entries


class LogFilter(QSortFilterProxyModel):
    """Show the entries of one kind (or all) whose shown text holds a text, any case."""

    def __init__(self, source: LogListModel) -> None:
        super().__init__()
        self._source = source
        self._kind: str | None = None
        self._needle = ""
        self.setSourceModel(source)

    def set_filter(self, kind: str | None, text: str) -> None:
        """Show only `kind` (None: every kind) and entries containing `text` (case-insensitive)."""
        needle = text.strip().lower()
        if (kind, needle) == (self._kind, self._needle):
            return
        self.beginFilterChange()
        self._kind, self._needle = kind, needle
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        """Return whether an entry passes the kind and text filters."""
        entry = self._source.entry(source_row)
        if self._kind is not None and entry.line.kind != self._kind:
            return False
        return self._needle in entry.lowered


class LogPanel(QWidget):
    """The structured log with a kind filter and a text filter; follows the newest line.

    It follows the bottom unless the trader scrolled up, and copies the selected entries with the
    copy shortcut.

    Signals: none (the panel only shows).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = LogListModel()
        self._proxy = LogFilter(self._model)
        self._received = 0  # length of the last tuple handed over
        self._last: LogLine | None = None  # its last line
        self._lines: tuple[LogLine, ...] | None = None
        self._follow = True
        self._kinds = QComboBox()
        self._kinds.setObjectName("logKindFilter")
        self._kinds.addItem(ALL_KINDS, None)
        self._kinds.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._kinds.currentIndexChanged.connect(self._on_filter_changed)
        self._text = QLineEdit()
        self._text.setObjectName("logTextFilter")
        self._text.setPlaceholderText("filter text")
        self._text.setClearButtonEnabled(True)
        self._text.textChanged.connect(self._on_filter_changed)
        self._count = QLabel()
        self._count.setObjectName("logCount")
        self._table = self._make_table()
        self._layout_panel()
        self._connect_model()
        self._show_count()

    # --- construction ------------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("logTable")
        table.setModel(self._proxy)
        table.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setTextElideMode(Qt.TextElideMode.ElideNone)
        table.setWordWrap(False)
        table.setShowGrid(False)
        table.setAlternatingRowColors(True)
        table.horizontalHeader().hide()
        table.verticalHeader().hide()
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        metrics = QFontMetrics(table.font())
        self._line_height = metrics.lineSpacing()
        self._char_width = metrics.horizontalAdvance("M")
        table.verticalHeader().setMinimumSectionSize(1)
        table.verticalHeader().setDefaultSectionSize(self._line_height + _ROW_PADDING)
        table.viewport().installEventFilter(self)
        copy = QAction("Copy", table)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_selection)
        table.addAction(copy)
        return table

    def _layout_panel(self) -> None:
        filters = QHBoxLayout()
        filters.setSpacing(6)
        filters.addWidget(self._kinds)
        filters.addWidget(self._text, 1)
        filters.addWidget(self._count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(filters)
        layout.addWidget(self._table, 1)

    def _connect_model(self) -> None:
        self._proxy.rowsInserted.connect(self._on_rows_inserted)
        self._proxy.modelReset.connect(self._on_rows_reset)
        self._proxy.layoutChanged.connect(self._on_rows_reset)
        self._proxy.rowsRemoved.connect(self._show_count)
        scroll = self._table.verticalScrollBar()
        scroll.rangeChanged.connect(self._on_scroll_range_changed)
        scroll.valueChanged.connect(self._on_scrolled)

    # --- what the terminal calls ---------------------------------------------------------------

    @property
    def model(self) -> LogListModel:
        """Return the model of every entry kept (before filtering)."""
        return self._model

    @property
    def proxy(self) -> LogFilter:
        """Return the filter model: the entries shown."""
        return self._proxy

    @property
    def table(self) -> QTableView:
        """Return the view of the entries."""
        return self._table

    @property
    def kind_filter(self) -> QComboBox:
        """Return the kind selector."""
        return self._kinds

    @property
    def text_filter(self) -> QLineEdit:
        """Return the text filter field."""
        return self._text

    def set_lines(self, lines: tuple[LogLine, ...]) -> None:
        """Show the recent log: append what is new, rebuild only when the old lines changed."""
        if lines is self._lines:
            return
        new = self._new_lines(lines)
        self._lines, self._received = lines, len(lines)
        self._last = lines[-1] if lines else None
        if new is None:
            self._add_kinds(lines)
            self._model.replace(lines)
        elif new:
            self._add_kinds(new)
            self._model.append(new)
        self._fit_column()

    def visible_texts(self) -> list[str]:
        """Return the entries shown (after the filters), oldest first, as displayed."""
        proxy = self._proxy
        return [proxy.data(proxy.index(row, 0)) for row in range(proxy.rowCount())]

    def kinds(self) -> list[str]:
        """Return the kinds the kind filter offers (after "All kinds")."""
        return [self._kinds.itemText(index) for index in range(1, self._kinds.count())]

    def is_following(self) -> bool:
        """Return whether the view sticks to the newest entry."""
        return self._follow

    def copy_selection(self) -> None:
        """Put the selected entries' text on the clipboard, one after the other."""
        rows = sorted(index.row() for index in self._table.selectionModel().selectedRows())
        texts = [self._proxy.data(self._proxy.index(row, 0)) for row in rows]
        if texts:
            QApplication.clipboard().setText("\n".join(texts))

    # --- internals ---------------------------------------------------------------------------

    def _new_lines(self, lines: tuple[LogLine, ...]) -> tuple[LogLine, ...] | None:
        """Return the lines after those already shown, or None when the shown ones are not in `lines`."""
        last, received = self._last, self._received
        if last is None:
            return None if lines else ()
        if len(lines) >= received and lines[received - 1] == last:
            return lines[received:]
        for index in range(len(lines) - 1, -1, -1):  # the engine's window of recent lines moved on
            if lines[index] == last:
                return lines[index + 1:]
        return None

    def _add_kinds(self, lines: Iterable[LogLine]) -> None:
        known = set(self.kinds())
        for kind in sorted({line.kind for line in lines} - known):
            names = self.kinds()
            position = 1 + sum(1 for name in names if name < kind)
            self._kinds.insertItem(position, kind, kind)  # keeps the current choice

    def _on_filter_changed(self) -> None:
        self._proxy.set_filter(self._kinds.currentData(), self._text.text())

    def _on_rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        self._size_rows(range(first, last + 1))
        self._show_count()

    def _on_rows_reset(self) -> None:
        self._size_rows(range(self._proxy.rowCount()))
        self._show_count()

    def _size_rows(self, rows: range) -> None:
        proxy, table = self._proxy, self._table
        for row in rows:
            # Every row is sized, single-line ones too: after a reset the header keeps the heights
            # of the rows that were there before (a tall entry's height would stay on its row).
            line_count = proxy.data(proxy.index(row, 0), LINES_ROLE) or 1
            table.setRowHeight(row, line_count * self._line_height + _ROW_PADDING)

    def _fit_column(self) -> None:
        width = max(self._model.widest * self._char_width + 16, self._table.viewport().width())
        if width != self._table.columnWidth(0):
            self._table.setColumnWidth(0, width)

    def _show_count(self) -> None:
        shown, kept = self._proxy.rowCount(), self._model.rowCount()
        self._count.setText(f"{kept:,} lines" if shown == kept else f"{shown:,} of {kept:,} lines")

    def _on_scroll_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self._table.verticalScrollBar().setValue(maximum)

    def _on_scrolled(self, value: int) -> None:
        self._follow = value >= self._table.verticalScrollBar().maximum() - 2

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keep the entries' column at least as wide as the view when the view's width changes."""
        if watched is self._table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_column()
        return super().eventFilter(watched, event)
