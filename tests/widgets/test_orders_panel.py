"""The Orders and fills panel: values shown, detail of the selected order, cancel and modify."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TypeVar

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QLabel, QPushButton, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from engine.model import OrderIntent, OrderStatus
from engine.model.desk import OrderView
from tests.widgets.desk_samples import at, order, order_view
from widgets.orders_panel import COLUMNS, OrdersPanel, status_colors

CLOSE_ID = "X-P-SPX-2015-01-15-2015-01-20"
W = TypeVar("W", bound=QWidget)


def column(header: str) -> int:
    """Return the index of a column by its title."""
    return next(i for i, c in enumerate(COLUMNS) if c.header == header)


def working_close(limit: float = -1.30) -> OrderView:
    """Return a working closing order of the sample position, created after the entry."""
    placed = replace(order(CLOSE_ID, OrderIntent.CLOSE), limit_price=limit,
                     created_at=at(date(2015, 1, 20), 10, 45))
    return replace(order_view(OrderStatus.WORKING), order=placed, reason="exit: PROFIT TARGET mark 3.20")


def book() -> tuple[OrderView, ...]:
    """Return the orders oldest first: the filled entry, then the working close."""
    return (order_view(OrderStatus.FILLED), working_close())


def texts(panel: OrdersPanel, row: int) -> dict[str, str]:
    """Return the texts of one row of the orders table by column title."""
    model = panel.table.model()
    return {c.header: model.data(model.index(row, i)) for i, c in enumerate(COLUMNS)}


def table_texts(table: QTableWidget) -> list[list[str]]:
    """Return the texts of a detail table, row by row."""
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def click_row(panel: OrdersPanel, row: int) -> None:
    """Select a row the way a click does, through the view's selection model."""
    index = panel.table.model().index(row, 0)
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    panel.table.selectionModel().setCurrentIndex(index, flags)


def widget(panel: OrdersPanel, kind: type[W], name: str) -> W:
    """Return one of the panel's widgets by object name."""
    found = panel.findChild(kind, name)
    assert found is not None, name
    return found


@pytest.fixture
def panel(qtbot: QtBot) -> OrdersPanel:
    shown = OrdersPanel()
    qtbot.addWidget(shown)
    shown.resize(1400, 600)
    shown.show()
    return shown


def test_shows_every_figure_newest_first(panel: OrdersPanel) -> None:
    panel.set_orders(book())
    assert texts(panel, 0)["Order id"] == CLOSE_ID
    assert texts(panel, 1) == {
        "Order id": "O-C-SPX-2015-01-15", "Intent": "open", "Created (ET)": "2015-01-16 10:30",
        "Legs": "-1 P1850 +1 P1800 Mar20", "Size": "2", "Limit": "6.00 cr", "Status": "filled",
        "Filled at": "6.25 cr", "Comm. $": "$5.16", "Reason": "entry: approved by the trader",
    }
    working = texts(panel, 0)
    assert (working["Intent"], working["Limit"], working["Status"]) == ("close", "1.30 db", "working")
    assert (working["Filled at"], working["Comm. $"]) == ("—", "—")
    model = panel.table.model()
    status = model.data(model.index(1, column("Status")), Qt.ItemDataRole.ForegroundRole)
    assert isinstance(status, QBrush)
    assert status.color() == status_colors()[OrderStatus.FILLED]
    assert widget(panel, QLabel, "ordersSummary").text() == "2 orders, 1 working"


def test_selected_order_shows_its_history_and_fills(panel: OrdersPanel) -> None:
    panel.set_orders(book())
    history = widget(panel, QTableWidget, "orderHistory")
    fills = widget(panel, QTableWidget, "orderFills")
    click_row(panel, 1)
    assert table_texts(history) == [
        ["2015-01-16 10:30:00", "created", "entry: approved"],
        ["2015-01-16 10:30:00", "working", "accepted"],
        ["2015-01-16 10:30:00", "filled", "filled"],
    ]
    assert table_texts(fills) == [
        ["O-C-SPX-2015-01-15-F1", "2015-01-16 10:30:00", "2", "6.25 cr", "22.30 / 16.05", "$5.16"],
    ]
    click_row(panel, 0)
    assert [row[1] for row in table_texts(history)] == ["created", "working"]
    assert fills.rowCount() == 0


def test_cancel_and_modify_emit_for_a_working_order(qtbot: QtBot, panel: OrdersPanel) -> None:
    panel.set_orders(book())
    panel.select_order(CLOSE_ID)
    limit = widget(panel, QDoubleSpinBox, "newLimit")
    assert limit.value() == pytest.approx(-1.30)
    with qtbot.waitSignal(panel.sig_cancel_requested, timeout=1000) as cancel:
        qtbot.mouseClick(widget(panel, QPushButton, "cancelOrderButton"), Qt.MouseButton.LeftButton)
    assert cancel.args == [CLOSE_ID]
    limit.selectAll()
    qtbot.keyClicks(limit, "-1.45")
    assert widget(panel, QLabel, "limitSide").text() == "db"
    with qtbot.waitSignal(panel.sig_modify_requested, timeout=1000) as modify:
        qtbot.mouseClick(widget(panel, QPushButton, "modifyLimitButton"), Qt.MouseButton.LeftButton)
    assert modify.args[0] == CLOSE_ID
    assert modify.args[1] == pytest.approx(-1.45)


def test_actions_are_disabled_for_a_filled_order(qtbot: QtBot, panel: OrdersPanel) -> None:
    panel.set_orders(book())
    panel.select_order("O-C-SPX-2015-01-15")
    cancel = widget(panel, QPushButton, "cancelOrderButton")
    modify = widget(panel, QPushButton, "modifyLimitButton")
    assert not cancel.isEnabled()
    assert not modify.isEnabled()
    assert not widget(panel, QDoubleSpinBox, "newLimit").isEnabled()
    with qtbot.assertNotEmitted(panel.sig_cancel_requested), \
            qtbot.assertNotEmitted(panel.sig_modify_requested):
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(modify, Qt.MouseButton.LeftButton)
    panel.select_order(CLOSE_ID)
    assert cancel.isEnabled()
    assert modify.isEnabled()


def test_typed_limit_and_selection_survive_refreshes(panel: OrdersPanel) -> None:
    panel.set_orders(book())
    panel.select_order(CLOSE_ID)
    limit = widget(panel, QDoubleSpinBox, "newLimit")
    limit.setValue(-1.50)
    newer = replace(order_view(OrderStatus.CANCELLED), order=order("O-C-SPX-2015-01-22"))
    panel.set_orders((*book(), newer))
    assert panel.selected_order_id() == CLOSE_ID
    assert texts(panel, 0)["Order id"] == "O-C-SPX-2015-01-22"
    assert limit.value() == pytest.approx(-1.50)
    still_working = replace(working_close(), reason="exit: PROFIT TARGET mark 3.10")  # same order, new data
    panel.set_orders((order_view(), still_working, newer))
    assert texts(panel, 1)["Reason"] == "exit: PROFIT TARGET mark 3.10"
    assert limit.value() == pytest.approx(-1.50)
    filled = replace(working_close(), status=OrderStatus.FILLED, events=order_view(OrderStatus.FILLED).events)
    panel.set_orders((order_view(), filled, newer))
    assert panel.selected_order_id() == CLOSE_ID
    assert not widget(panel, QPushButton, "cancelOrderButton").isEnabled()
    assert table_texts(widget(panel, QTableWidget, "orderHistory"))[-1][1] == "filled"


def test_working_only_filter(qtbot: QtBot, panel: OrdersPanel) -> None:
    panel.set_orders(book())
    panel.select_order("O-C-SPX-2015-01-15")
    qtbot.mouseClick(widget(panel, QCheckBox, "workingOnly"), Qt.MouseButton.LeftButton)
    assert panel.table.model().rowCount() == 1
    assert texts(panel, 0)["Order id"] == CLOSE_ID
    assert panel.selected_order_id() is None
    panel.set_orders((order_view(),))
    placeholder = widget(panel, QLabel, "panelPlaceholder")
    assert placeholder.isVisible()
    assert placeholder.text() == "No working orders"
    qtbot.mouseClick(widget(panel, QCheckBox, "workingOnly"), Qt.MouseButton.LeftButton)
    assert panel.table.model().rowCount() == 1
    assert texts(panel, 0)["Status"] == "filled"
