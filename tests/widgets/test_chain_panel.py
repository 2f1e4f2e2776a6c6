"""The option-chain panel and its table model."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QComboBox, QLabel
from pytestqt.qtbot import QtBot

from engine.model import DataSource, Right
from tests.widgets.qt_support import expiration, sample_slice
from widgets.chain_panel import ChainPanel, expiration_label
from widgets.chain_table_model import (
    COLUMNS,
    HIGHLIGHT_ROLE,
    MISSING,
    STRIKE_COLUMN,
    STRIKES_EACH_SIDE,
    VALUE_ROLE,
    ChainColors,
    ChainTableModel,
)


def column(side: str, field: str) -> int:
    """Return the index of a column by side ("call", "put", "strike") and field."""
    return next(i for i, c in enumerate(COLUMNS) if c.side.value == side and c.field == field)


@pytest.fixture
def panel(qtbot: QtBot) -> ChainPanel:
    widget = ChainPanel(ChainTableModel())
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    return widget


def test_columns_are_calls_strike_puts() -> None:
    headers = [c.header for c in COLUMNS]
    assert headers[STRIKE_COLUMN] == "STRIKE"
    assert headers[:STRIKE_COLUMN] == ["OI", "IV %", "Δ", "Γ", "Θ", "Vega", "Bid", "Ask", "Mid"]
    assert headers[STRIKE_COLUMN + 1:] == ["Bid", "Ask", "Mid", "IV %", "Δ", "Γ", "Θ", "Vega", "OI"]


def test_model_shows_strikes_around_the_money(qtmodeltester) -> None:
    chain = sample_slice()
    model = ChainTableModel()
    model.set_slice(chain)
    qtmodeltester.check(model)
    assert model.rowCount() == 2 * STRIKES_EACH_SIDE + 1
    assert model.strike_at(model.atm_row) == chain.strikes[chain.atm_index]
    assert model.data(model.index(model.atm_row, STRIKE_COLUMN)) == f"{chain.strikes[chain.atm_index]:,.0f}"


def test_cells_are_right_aligned_with_fixed_decimals_and_dash_for_nan() -> None:
    chain = sample_slice()
    model = ChainTableModel()
    model.set_slice(chain)
    row = model.atm_row
    delta = model.data(model.index(row, column("call", "delta")))
    iv = model.data(model.index(row, column("put", "iv")))
    bid = model.data(model.index(row, column("call", "bid")))
    assert len(delta.split(".")[1]) == 3
    assert len(bid.split(".")[1]) == 2
    assert float(iv) == pytest.approx(chain.puts.iv[chain.atm_index] * 100.0, abs=0.05)
    assert model.data(model.index(row, column("call", "open_interest"))) == MISSING
    assert math.isnan(model.data(model.index(row, column("call", "open_interest")), VALUE_ROLE))
    alignment = model.data(model.index(row, column("call", "theta")), Qt.ItemDataRole.TextAlignmentRole)
    assert alignment & Qt.AlignmentFlag.AlignRight


def test_atm_row_is_highlighted_and_in_the_money_cells_shaded() -> None:
    chain = sample_slice()
    model = ChainTableModel()
    model.set_slice(chain)
    background = Qt.ItemDataRole.BackgroundRole
    atm = model.data(model.index(model.atm_row, column("call", "bid")), background)
    assert isinstance(atm, QBrush)
    above, below = model.atm_row - 3, model.atm_row + 3  # strikes below / above spot
    call_itm = model.data(model.index(above, column("call", "mid")), background)
    call_otm = model.data(model.index(below, column("call", "mid")), background)
    put_itm = model.data(model.index(below, column("put", "mid")), background)
    assert call_itm is not None
    assert put_itm is not None
    assert call_otm is None
    assert call_itm.color() != atm.color()


def test_same_strikes_update_in_place_without_reset(qtbot: QtBot, panel: ChainPanel) -> None:
    chain = sample_slice()
    panel.show_slice(chain)
    widths = [panel.table.columnWidth(i) for i in range(len(COLUMNS))]
    moved = replace(chain, spot=chain.spot + 1.0)
    with qtbot.assertNotEmitted(panel.model.modelReset), qtbot.waitSignal(panel.model.dataChanged):
        panel.show_slice(moved)
    assert [panel.table.columnWidth(i) for i in range(len(COLUMNS))] == widths
    assert panel.model.chain_slice is moved


def test_modelled_badge_shows_only_for_modelled_chains(panel: ChainPanel) -> None:
    panel.show_slice(sample_slice())
    assert panel.is_badge_visible()
    panel.show_slice(sample_slice(source=DataSource.QUOTED))
    assert not panel.is_badge_visible()


def test_shown_chain_is_centred_on_the_money(qtbot: QtBot, panel: ChainPanel) -> None:
    panel.show_slice(sample_slice())
    table = panel.table

    def atm_in_view() -> None:
        first = table.rowAt(0)
        last = table.rowAt(table.viewport().height() - 1)
        assert first > 0
        assert first <= panel.model.atm_row <= last

    qtbot.waitUntil(atm_in_view, timeout=2000)
    assert panel.as_of() == date(2008, 10, 10)


def test_expiry_selector_labels_and_signal(qtbot: QtBot, panel: ChainPanel) -> None:
    nov, dec = expiration(date(2008, 11, 21)), expiration(date(2008, 12, 19))
    weekly = expiration(date(2008, 10, 17), "weekly-fri")
    with qtbot.assertNotEmitted(panel.sig_expiry_selected):
        panel.set_expirations([weekly, nov, dec], date(2008, 10, 10), nov)
    assert panel.selected_expiration() == nov
    assert expiration_label(nov, date(2008, 10, 10)) == "2008-11-21  42 DTE  SPX AM monthly"
    assert expiration_label(weekly, date(2008, 10, 10)) == "2008-10-17  7 DTE  SPXW PM weekly fri"
    box = panel.findChild(QComboBox, "expirySelector")
    with qtbot.waitSignal(panel.sig_expiry_selected) as blocker:
        box.setCurrentIndex(2)
    assert blocker.args == [dec]


def test_placeholder_then_chain(panel: ChainPanel) -> None:
    panel.show_placeholder("warming up pricing kernels…")
    assert panel.as_of() is None
    panel.show_slice(sample_slice(strikes=np.arange(850.0, 950.0, 5.0)))
    assert panel.model.rowCount() == 20  # fewer strikes than the window: all of them


def row_of(panel: ChainPanel, strike: float) -> int:
    """Return the table row showing a strike."""
    return next(r for r in range(panel.model.rowCount()) if panel.model.strike_at(r) == strike)


def strike_cell(panel: ChainPanel, strike: float, role: int) -> object:
    """Return the data of a strike's cell in the strike column."""
    return panel.model.data(panel.model.index(row_of(panel, strike), STRIKE_COLUMN), role)


def test_short_and_long_strikes_are_highlighted_until_set_again(panel: ChainPanel) -> None:
    chain = sample_slice()
    panel.show_slice(chain)
    panel.set_highlights([850.0, 950.0], (800.0,))
    colors = ChainColors.from_palette(panel.palette())
    background = Qt.ItemDataRole.BackgroundRole
    assert strike_cell(panel, 850.0, HIGHLIGHT_ROLE) == "short"
    assert strike_cell(panel, 950.0, HIGHLIGHT_ROLE) == "short"
    assert strike_cell(panel, 800.0, HIGHLIGHT_ROLE) == "long"
    assert strike_cell(panel, 855.0, HIGHLIGHT_ROLE) is None
    assert strike_cell(panel, 850.0, background).color() == colors.short_strike
    assert strike_cell(panel, 800.0, background).color() == colors.long_strike
    assert strike_cell(panel, 855.0, background).color() == colors.strike
    assert "short strike" in strike_cell(panel, 850.0, Qt.ItemDataRole.ToolTipRole)
    panel.show_slice(replace(chain, spot=chain.spot + 2.0))  # an update keeps them
    assert strike_cell(panel, 850.0, HIGHLIGHT_ROLE) == "short"
    panel.set_highlights([], [])
    assert strike_cell(panel, 850.0, HIGHLIGHT_ROLE) is None
    assert strike_cell(panel, 800.0, background).color() == colors.strike


def test_setting_highlights_repaints_only_the_strike_column(qtbot: QtBot, panel: ChainPanel) -> None:
    panel.show_slice(sample_slice())
    with qtbot.waitSignal(panel.model.dataChanged) as blocker:
        panel.set_highlights([850.0], [800.0])
    top_left, bottom_right = blocker.args[:2]
    assert top_left.column() == bottom_right.column() == STRIKE_COLUMN
    with qtbot.assertNotEmitted(panel.model.dataChanged):
        panel.set_highlights([850.0], [800.0])


def double_click(qtbot: QtBot, panel: ChainPanel, strike: float, column_index: int) -> list[object]:
    """Double-click a cell of the table and return what sig_strike_clicked carried."""
    index = panel.model.index(row_of(panel, strike), column_index)
    panel.table.scrollTo(index)
    centre = panel.table.visualRect(index).center()
    with qtbot.waitSignal(panel.sig_strike_clicked, timeout=1000) as blocker:
        # A real double-click: a click, then the double-click event on the same cell.
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    return blocker.args


def test_double_click_on_a_side_asks_for_a_spread_on_that_strike(qtbot: QtBot, panel: ChainPanel) -> None:
    panel.show_slice(sample_slice())
    index = panel.model.index(row_of(panel, 850.0), column("put", "bid"))
    panel.table.scrollTo(index)
    with qtbot.assertNotEmitted(panel.sig_strike_clicked):  # a single click only selects
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton,
                         pos=panel.table.visualRect(index).center())
    assert panel.table.selectionModel().isRowSelected(index.row())
    assert double_click(qtbot, panel, 850.0, column("put", "bid")) == [Right.PUT, 850.0]
    assert double_click(qtbot, panel, 905.0, column("call", "delta")) == [Right.CALL, 905.0]
    assert double_click(qtbot, panel, 880.0, STRIKE_COLUMN) == [Right.PUT, 880.0]


def test_summary_wraps_instead_of_clipping_when_narrow(qtbot: QtBot, panel: ChainPanel) -> None:
    panel.resize(460, 300)
    panel.show_slice(sample_slice())
    summary = panel.findChild(QLabel, "chainSummary")
    assert panel.summary_text().endswith("as of 2008-10-10 16:00 ET")

    def fits() -> None:
        assert summary.height() >= summary.heightForWidth(summary.width())
        assert summary.heightForWidth(summary.width()) > summary.fontMetrics().height()  # wrapped

    qtbot.waitUntil(fits, timeout=2000)


def test_atm_iv_comes_from_the_one_side_a_quoted_chain_streams(panel: ChainPanel) -> None:
    chain = sample_slice()
    atm = chain.atm_index
    both = 50.0 * (chain.calls.iv[atm] + chain.puts.iv[atm])
    panel.show_slice(chain)
    assert f"ATM IV {both:.1f} %" in panel.summary_text()
    calls_unquoted = replace(chain.calls, iv=np.full(len(chain.strikes), np.nan))
    panel.show_slice(replace(chain, calls=calls_unquoted, source=DataSource.QUOTED))
    assert f"ATM IV {100.0 * chain.puts.iv[atm]:.1f} %" in panel.summary_text()
    nothing = replace(chain.puts, iv=np.full(len(chain.strikes), np.nan))
    panel.show_slice(replace(chain, calls=calls_unquoted, puts=nothing, source=DataSource.QUOTED))
    assert "ATM IV —" in panel.summary_text()
