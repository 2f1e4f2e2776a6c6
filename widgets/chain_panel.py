"""Option-chain panel: one expiry at a time, calls | strike | puts around the money.

The panel is a view. It shows the ChainSlice it is given and tells the terminal, through
``sig_expiry_selected``, which expiry the trader picked; the terminal then loads that slice and
hands it back with ``show_slice``. The strikes of candidates and positions in the shown expiry
are highlighted (``set_highlights``); a double-click on a strike asks for a manual spread.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStackedLayout,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.model import ChainSlice, Expiration
from widgets.chain_table_model import COLUMNS, MISSING, ChainTableModel

# Widest text each kind of column prints; sizes the columns once, never on an update.
# Prices near the money rarely pass 999.99; a wider one still shows, a little cramped.
_SAMPLE_TEXT = {
    "open_interest": "99,999", "iv": "100.0", "delta": "-0.000", "gamma": "0.0000",
    "theta": "-99.99", "vega": "99.99", "bid": "999.99", "ask": "999.99", "mid": "999.99",
    "strike": "9,999",
}
_CELL_PADDING = 8


def expiration_label(expiration: Expiration, as_of: date) -> str:
    """Return the selector text of an expiry, e.g. ``2008-11-21  42 DTE  SPX AM monthly``."""
    dte = (expiration.expiry - as_of).days
    kind = expiration.kind.replace("-", " ")
    return (f"{expiration.expiry.isoformat()}  {dte} DTE  "
            f"{expiration.trading_class} {expiration.settlement.value} {kind}")


def _placeholder_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("panelPlaceholder")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


class ChainPanel(QWidget):
    """Option chain of one expiry with its expiry selector, a summary line and the table.

    Signals:
        sig_expiry_selected(object): the trader picked another expiry in the selector; carries
            the ``engine.model.Expiration``. Not emitted when the terminal fills the selector.
        sig_strike_clicked(object, float): the trader double-clicked a cell to start a manual
            spread; carries the ``engine.model.Right`` of the side clicked (the strike column
            counts as the put side) and the strike of the row.
    """

    sig_expiry_selected = Signal(object)
    sig_strike_clicked = Signal(object, float)

    def __init__(self, model: ChainTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._as_of: date | None = None
        self._shown_key: tuple[date, date] | None = None  # (as-of, expiry) last centred on
        self._expiry_box = QComboBox()
        self._expiry_box.setObjectName("expirySelector")
        self._expiry_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._expiry_box.setToolTip("expiration shown in the chain")
        self._expiry_box.currentIndexChanged.connect(self._on_expiry_index_changed)
        self._summary = QLabel()
        self._summary.setObjectName("chainSummary")
        self._summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The summary gives way before the expiry selector does: it wraps between its figures.
        self._summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._summary.setWordWrap(True)
        self._badge = QLabel("MODELLED")
        self._badge.setObjectName("modelledBadge")
        self._badge.setToolTip("These quotes were modelled from the index, VIX and SKEW history; "
                               "no real quote went into them.")
        self._table = self._make_table(model)
        self._placeholder = _placeholder_label("waiting for the chain…")
        self._stack = QStackedLayout()
        self._stack.addWidget(self._placeholder)
        self._stack.addWidget(self._make_content())
        self.setLayout(self._stack)

    # --- construction ------------------------------------------------------------------------

    def _make_table(self, model: ChainTableModel) -> QTableView:
        table = QTableView()
        table.setObjectName("chainTable")
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.doubleClicked.connect(self._on_cell_double_clicked)
        metrics = QFontMetrics(table.font())
        bold = QFont(table.font())
        bold.setBold(True)
        table.verticalHeader().setDefaultSectionSize(metrics.height() + 6)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        for section, column in enumerate(COLUMNS):
            # The strike column is bold; measure it so.
            cell = QFontMetrics(bold) if column.field == "strike" else metrics
            sample = _SAMPLE_TEXT[column.field]
            width = max(cell.horizontalAdvance(sample), metrics.horizontalAdvance(column.header))
            header.resizeSection(section, width + _CELL_PADDING)
        return table

    def _make_content(self) -> QWidget:
        top = QHBoxLayout()
        top.addWidget(QLabel("Expiry"))
        top.addWidget(self._expiry_box)
        top.addSpacing(8)
        # Before the summary (never the part that gives way), its own height when the summary wraps.
        top.addWidget(self._badge, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addSpacing(8)
        top.addWidget(self._summary, 1)
        sides = QHBoxLayout()
        for text, alignment in (("CALLS", Qt.AlignmentFlag.AlignLeft),
                                ("PUTS", Qt.AlignmentFlag.AlignRight)):
            label = QLabel(text)
            label.setObjectName("chainSideLabel")
            sides.addWidget(label, 1, alignment)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(sides)
        layout.addWidget(self._table, 1)
        return content

    # --- what the terminal calls ---------------------------------------------------------------

    @property
    def model(self) -> ChainTableModel:
        """Return the table model the panel shows."""
        return self._model

    @property
    def table(self) -> QTableView:
        """Return the table view (for tests and for the terminal's highlighting later)."""
        return self._table

    def as_of(self) -> date | None:
        """Return the session date of the chain shown, or None before the first one."""
        chain_slice = self._model.chain_slice
        return chain_slice.as_of.date() if chain_slice is not None else None

    def is_badge_visible(self) -> bool:
        """Return whether the MODELLED badge shows (the chain is modelled, not quoted)."""
        return not self._badge.isHidden()

    def show_placeholder(self, text: str) -> None:
        """Show a message in place of the chain (warming up, loading, an error)."""
        self._placeholder.setText(text)
        self._stack.setCurrentIndex(0)

    def set_expirations(self, expirations: Sequence[Expiration], as_of: date,
                        selected: Expiration | None) -> None:
        """Fill the expiry selector with the expirations listed on `as_of`; select one."""
        self._as_of = as_of
        self._expiry_box.blockSignals(True)
        try:
            self._expiry_box.clear()
            for expiration in expirations:
                self._expiry_box.addItem(expiration_label(expiration, as_of), expiration)
            if selected is not None and selected in expirations:
                self._expiry_box.setCurrentIndex(list(expirations).index(selected))
        finally:
            self._expiry_box.blockSignals(False)

    def selected_expiration(self) -> Expiration | None:
        """Return the expiry chosen in the selector."""
        data = self._expiry_box.currentData()
        return data if isinstance(data, Expiration) else None

    def show_slice(self, chain_slice: ChainSlice) -> None:
        """Show a chain snapshot; centre on the money when the date or expiry changed."""
        self._model.set_slice(chain_slice)
        self._summary.setText(self._summary_text(chain_slice))
        self._badge.setVisible(chain_slice.is_modelled)
        self._stack.setCurrentIndex(1)
        key = (chain_slice.as_of.date(), chain_slice.expiry)
        if key != self._shown_key:
            self._shown_key = key
            self.center_on_atm()
            # Again once the view has laid out the new rows (its scroll range is updated late).
            QTimer.singleShot(0, self, self.center_on_atm)

    def shown_expiry(self) -> date | None:
        """Return the expiry of the slice shown (None before the first)."""
        return None if self._shown_key is None else self._shown_key[1]

    def set_highlights(self, short_strikes: Iterable[float], long_strikes: Iterable[float]) -> None:
        """Highlight the short and long strikes of candidates and positions in the shown expiry.

        They stay highlighted across ``show_slice`` updates until set again.
        """
        self._model.set_highlights(short_strikes, long_strikes)

    def center_on_atm(self) -> None:
        """Scroll the table so the at-the-money strike is in the middle."""
        row = self._model.atm_row
        if row is None:
            return
        # Vertical only: scrollTo() would also scroll sideways to the strike column.
        row_height = self._table.verticalHeader().defaultSectionSize()
        viewport = self._table.viewport().height()
        self._table.verticalScrollBar().setValue(max(0, row * row_height - (viewport - row_height) // 2))

    # --- internals ---------------------------------------------------------------------------

    @staticmethod
    def _summary_text(chain_slice: ChainSlice) -> str:
        atm = chain_slice.atm_index
        # Both sides when both are quoted; a quoted (IB) chain streams only the out-of-the-money side
        # of each strike, so the one side there is stands for the at-the-money IV.
        sides = [float(side.iv[atm]) for side in (chain_slice.calls, chain_slice.puts)]
        known = [iv for iv in sides if math.isfinite(iv)]
        atm_iv = 100.0 * sum(known) / len(known) if known else math.nan
        iv_text = f"{atm_iv:.1f} %" if math.isfinite(atm_iv) else MISSING
        figures = (f"{chain_slice.underlying}  spot {chain_slice.spot:,.2f}",
                   f"fwd {chain_slice.forward:,.2f}", f"DTE {chain_slice.dte}", f"ATM IV {iv_text}",
                   f"as of {chain_slice.as_of:%Y-%m-%d %H:%M} ET")
        # A narrow panel wraps the line between figures, never inside one.
        return "   ".join(figure.replace(" ", "\u00a0") for figure in figures)

    def summary_text(self) -> str:
        """Return the summary line above the table (spot, forward, DTE, ATM IV, as-of time)."""
        return self._summary.text().replace("\u00a0", " ")

    def _on_cell_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.sig_strike_clicked.emit(self._model.right_of(index.column()),
                                         self._model.strike_at(index.row()))

    def _on_expiry_index_changed(self, index: int) -> None:
        expiration = self._expiry_box.itemData(index)
        if isinstance(expiration, Expiration):
            self.sig_expiry_selected.emit(expiration)

