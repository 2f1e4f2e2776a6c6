"""Table model of one option-chain expiry: calls | strike | puts, strikes around the money.

The model reads a ChainSlice (columnar numpy arrays) directly; it never copies the chain into
per-option Python objects. Cells are formatted on demand with fixed decimals per column, NaN
shows as an em dash, and the background role marks the at-the-money row, in-the-money cells and
the short/long strikes of candidates and positions (on the strike cell).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from engine.model import ChainSlice, Right

MISSING = "—"
STRIKES_EACH_SIDE = 30
VALUE_ROLE = Qt.ItemDataRole.UserRole + 1  # the raw float behind a cell (NaN when missing)
ATM_ROLE = Qt.ItemDataRole.UserRole + 2  # True on the at-the-money row
HIGHLIGHT_ROLE = Qt.ItemDataRole.UserRole + 3  # "short", "long" or None: a strike traded or proposed
_SAME_STRIKE = 1e-6  # strikes closer than this are the same strike

StrikeHighlight = Literal["short", "long"]

AnyIndex = QModelIndex | QPersistentModelIndex
_STRIKE_ROLES = (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole,
                 Qt.ItemDataRole.ToolTipRole)


class Side(Enum):
    """Which half of the table a column belongs to."""

    CALL = "call"
    PUT = "put"
    STRIKE = "strike"


@dataclass(frozen=True, slots=True)
class ChainColumn:
    """One column of the chain table: which array it shows and how to print it."""

    side: Side
    field: str  # attribute of SideQuotes, or "strike"
    header: str
    decimals: int
    scale: float = 1.0  # IV is stored as a decimal and shown in percent
    tooltip: str = ""

    def format(self, value: float) -> str:
        """Return the cell text: fixed decimals, thousands separators, em dash for NaN."""
        if not math.isfinite(value):
            return MISSING
        return f"{value * self.scale:,.{self.decimals}f}"


def _side_columns(side: Side) -> dict[str, ChainColumn]:
    word = "call" if side is Side.CALL else "put"
    return {
        "open_interest": ChainColumn(side, "open_interest", "OI", 0, tooltip=f"{word} open interest"),
        "iv": ChainColumn(side, "iv", "IV %", 1, 100.0, f"{word} implied volatility, percent"),
        "delta": ChainColumn(side, "delta", "Δ", 3, tooltip=f"{word} delta"),
        "gamma": ChainColumn(side, "gamma", "Γ", 4, tooltip=f"{word} gamma per point"),
        "theta": ChainColumn(side, "theta", "Θ", 2, tooltip=f"{word} theta per calendar day"),
        "vega": ChainColumn(side, "vega", "Vega", 2, tooltip=f"{word} vega per vol point"),
        "bid": ChainColumn(side, "bid", "Bid", 2, tooltip=f"{word} bid"),
        "ask": ChainColumn(side, "ask", "Ask", 2, tooltip=f"{word} ask"),
        "mid": ChainColumn(side, "mid", "Mid", 2, tooltip=f"{word} mid"),
    }


_CALLS = _side_columns(Side.CALL)
_PUTS = _side_columns(Side.PUT)
_CALL_ORDER = ("open_interest", "iv", "delta", "gamma", "theta", "vega", "bid", "ask", "mid")
_PUT_ORDER = ("bid", "ask", "mid", "iv", "delta", "gamma", "theta", "vega", "open_interest")

COLUMNS: tuple[ChainColumn, ...] = (
    *(_CALLS[name] for name in _CALL_ORDER),
    ChainColumn(Side.STRIKE, "strike", "STRIKE", 0, tooltip="strike"),
    *(_PUTS[name] for name in _PUT_ORDER),
)
STRIKE_COLUMN = len(_CALL_ORDER)


@dataclass(frozen=True, slots=True)
class ChainColors:
    """Shading of the chain table; build it from a theme, or let it follow the palette."""

    atm_row: QColor
    itm: QColor
    strike: QColor
    strike_text: QColor
    # Strike cells of the short and long legs of candidates and positions (optional theme keys).
    short_strike: QColor = field(default_factory=lambda: QColor(240, 160, 32))
    long_strike: QColor = field(default_factory=lambda: QColor(43, 179, 166))
    highlight_text: QColor = field(default_factory=lambda: QColor(16, 17, 20))

    @classmethod
    def from_palette(cls, palette: QPalette) -> ChainColors:
        """Return shading derived from a palette, so a theme change needs no extra colours."""
        atm = QColor(palette.color(QPalette.ColorRole.Highlight))
        atm.setAlpha(100)
        itm = QColor(palette.color(QPalette.ColorRole.Text))
        itm.setAlpha(14)
        return cls(atm, itm, palette.color(QPalette.ColorRole.Button),
                   palette.color(QPalette.ColorRole.ButtonText))


def strike_window(chain_slice: ChainSlice, each_side: int = STRIKES_EACH_SIDE) -> tuple[int, int]:
    """Return the [first, stop) strike indices shown: `each_side` strikes around the ATM one."""
    atm = chain_slice.atm_index
    first = max(0, atm - each_side)
    stop = min(len(chain_slice.strikes), atm + each_side + 1)
    return first, stop


class ChainTableModel(QAbstractTableModel):
    """Read-only table of one ChainSlice: calls | STRIKE | puts around the money.

    Set a new snapshot with ``set_slice``; when the shown strikes are the same as before only
    ``dataChanged`` is emitted, so views keep their scroll position and column widths.
    """

    def __init__(self, colors: ChainColors | None = None,
                 strikes_each_side: int = STRIKES_EACH_SIDE) -> None:
        super().__init__()
        self._slice: ChainSlice | None = None
        self._first = 0
        self._rows = 0
        self._each_side = strikes_each_side
        palette = QApplication.palette()
        self._colors = colors or ChainColors.from_palette(palette)
        self._brushes = self._make_brushes(self._colors)
        self._bold = QFont()
        self._bold.setBold(True)
        self._short_strikes: tuple[float, ...] = ()
        self._long_strikes: tuple[float, ...] = ()

    @staticmethod
    def _make_brushes(colors: ChainColors) -> dict[str, QBrush]:
        return {"atm": QBrush(colors.atm_row), "itm": QBrush(colors.itm),
                "strike": QBrush(colors.strike), "strike_text": QBrush(colors.strike_text),
                "short": QBrush(colors.short_strike), "long": QBrush(colors.long_strike),
                "highlight_text": QBrush(colors.highlight_text)}

    # --- the snapshot ------------------------------------------------------------------------

    @property
    def chain_slice(self) -> ChainSlice | None:
        """Return the slice shown, or None before the first one."""
        return self._slice

    @property
    def atm_row(self) -> int | None:
        """Return the table row of the at-the-money strike, or None when empty."""
        if self._slice is None or self._rows == 0:
            return None
        return self._slice.atm_index - self._first

    def set_slice(self, chain_slice: ChainSlice | None) -> None:
        """Show another snapshot; reset the rows only when the shown strikes change."""
        first, stop = strike_window(chain_slice, self._each_side) if chain_slice else (0, 0)
        if self._slice is not None and chain_slice is not None and self._same_rows(chain_slice, first, stop):
            self._slice = chain_slice
            if self._rows:
                last = self.index(self._rows - 1, len(COLUMNS) - 1)
                self.dataChanged.emit(self.index(0, 0), last)
            return
        self.beginResetModel()
        self._slice, self._first, self._rows = chain_slice, first, stop - first
        self.endResetModel()

    def _same_rows(self, chain_slice: ChainSlice, first: int, stop: int) -> bool:
        assert self._slice is not None
        old = self._slice.strikes[self._first:self._first + self._rows]
        return bool(stop - first == self._rows and np.array_equal(old, chain_slice.strikes[first:stop]))

    def set_colors(self, colors: ChainColors) -> None:
        """Use other shading (a theme change) and repaint."""
        self._colors = colors
        self._brushes = self._make_brushes(colors)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(self._rows - 1, len(COLUMNS) - 1))

    def set_highlights(self, short_strikes: Iterable[float], long_strikes: Iterable[float]) -> None:
        """Mark the strike cells of these short and long strikes until set again (across snapshots)."""
        short, long = tuple(sorted(map(float, short_strikes))), tuple(sorted(map(float, long_strikes)))
        if (short, long) == (self._short_strikes, self._long_strikes):
            return
        self._short_strikes, self._long_strikes = short, long
        if self._rows:
            self.dataChanged.emit(self.index(0, STRIKE_COLUMN), self.index(self._rows - 1, STRIKE_COLUMN))

    def highlight(self, row: int) -> StrikeHighlight | None:
        """Return "short" or "long" when the strike of a row is one of the highlighted ones."""
        strike = self.strike_at(row)
        if any(abs(strike - short) < _SAME_STRIKE for short in self._short_strikes):
            return "short"
        if any(abs(strike - long) < _SAME_STRIKE for long in self._long_strikes):
            return "long"
        return None

    @staticmethod
    def right_of(column: int) -> Right:
        """Return the option side a column belongs to (the strike column counts as the put side)."""
        return Right.CALL if COLUMNS[column].side is Side.CALL else Right.PUT

    def strike_at(self, row: int) -> float:
        """Return the strike shown on a row."""
        if self._slice is None or not 0 <= row < self._rows:
            raise IndexError(f"row {row} is not in the chain table ({self._rows} rows)")
        return float(self._slice.strikes[self._first + row])

    # --- Qt model interface ------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex | None = None) -> int:
        """Return the number of strikes shown."""
        return 0 if parent is not None and parent.isValid() else self._rows

    def columnCount(self, parent: AnyIndex | None = None) -> int:
        """Return the number of columns: 9 call fields, the strike, 9 put fields."""
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return column titles and tooltips."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        column = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def value(self, row: int, column: int) -> float:
        """Return the raw number in a cell (NaN when missing)."""
        assert self._slice is not None
        spec = COLUMNS[column]
        strike_index = self._first + row
        if spec.side is Side.STRIKE:
            return float(self._slice.strikes[strike_index])
        quotes = self._slice.calls if spec.side is Side.CALL else self._slice.puts
        return float(getattr(quotes, spec.field)[strike_index])

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return a cell's text, alignment, shading or raw value."""
        if self._slice is None or not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            centred = column == STRIKE_COLUMN
            horizontal = Qt.AlignmentFlag.AlignHCenter if centred else Qt.AlignmentFlag.AlignRight
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if column == STRIKE_COLUMN and role in _STRIKE_ROLES:
            return self._strike_cell(row, role)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._background(row, column)
        if role == VALUE_ROLE:
            return self.value(row, column)
        if role == ATM_ROLE:
            return row == self.atm_row
        if role == HIGHLIGHT_ROLE:
            return self.highlight(row)
        return None

    def _strike_cell(self, row: int, role: int) -> object:
        if role == Qt.ItemDataRole.FontRole:
            return self._bold
        highlight = self.highlight(row)
        if role == HIGHLIGHT_ROLE:
            return highlight
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{highlight} strike of a candidate or position" if highlight else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._brushes["highlight_text" if highlight else "strike_text"]
        return self._brushes[highlight] if highlight else self._background(row, STRIKE_COLUMN)

    def _text(self, row: int, column: int) -> str:
        spec = COLUMNS[column]
        value = self.value(row, column)
        if spec.side is Side.STRIKE and math.isfinite(value) and value != round(value):
            return f"{value:,.1f}"  # half-point strikes (XSP, old SPX) keep their decimal
        return spec.format(value)

    def _background(self, row: int, column: int) -> QBrush | None:
        if row == self.atm_row:
            return self._brushes["atm"]
        side = COLUMNS[column].side
        if side is Side.STRIKE:
            return self._brushes["strike"]
        return self._brushes["itm"] if self.is_in_the_money(row, side) else None

    def is_in_the_money(self, row: int, side: Side) -> bool:
        """Return True when the option of that side on that row is in the money.

        Moneyness is against the forward, the reference of the ATM row too, so the shading
        changes sides exactly at the highlighted row (SPX options are European: the forward,
        not spot, is what they are worth against).
        """
        assert self._slice is not None
        strike = float(self._slice.strikes[self._first + row])
        if side is Side.CALL:
            return strike < self._slice.forward
        if side is Side.PUT:
            return strike > self._slice.forward
        return False
