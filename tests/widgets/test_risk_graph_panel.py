"""The risk graph panel: three P&L curves, marks, MODELLED, the "P&L at" date, placeholder."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDateEdit, QDateTimeEdit, QLabel
from pytestqt.qtbot import QtBot

from terminal.theme import css_color, load_theme
from tests.widgets.desk_samples import risk_graph
from widgets.chart_panel import chart_color
from widgets.colors import contrast, mix
from widgets.risk_graph_panel import PLACEHOLDER, RiskGraphPanel


@pytest.fixture
def panel(qtbot: QtBot) -> RiskGraphPanel:
    widget = RiskGraphPanel()
    qtbot.addWidget(widget)
    widget.resize(700, 450)
    widget.show()
    return widget


def date_edit(panel: RiskGraphPanel) -> QDateEdit:
    """Return the "P&L at" date edit."""
    edit = panel.findChild(QDateEdit, "pnlDate")
    assert edit is not None
    return edit


def test_draws_payoff_today_and_at_date_over_the_prices(panel: RiskGraphPanel) -> None:
    graph = risk_graph()
    panel.set_graph(graph)
    assert not panel.is_placeholder_shown()
    for name, values in (("at expiry", graph.at_expiry), ("today", graph.today), ("at date", graph.at_date)):
        xs, ys = panel.curve_data(name)
        np.testing.assert_array_equal(xs, graph.prices)
        np.testing.assert_array_equal(ys, values)
    assert panel.curve_data("at expiry")[1].max() == pytest.approx(1320.0)  # 2 x 6.60 x 100
    assert panel.legend_labels() == ["at expiry", "today 2015-01-15", "at 2015-02-20"]


def test_spot_breakeven_and_short_strike_are_marked(panel: RiskGraphPanel) -> None:
    panel.set_graph(risk_graph())
    assert sorted(panel.mark_labels()) == ["BE 1,843.40", "short 1,850", "spot 1,992.67"]


def test_title_says_modelled_only_when_modelled(panel: RiskGraphPanel) -> None:
    graph = risk_graph()
    panel.set_graph(graph)
    assert panel.title_text() == f"MODELLED {graph.title}"
    panel.set_graph(replace(graph, modelled=False))
    assert panel.title_text() == graph.title


def test_date_edit_shows_the_chosen_date_within_a_year(panel: RiskGraphPanel) -> None:
    panel.set_graph(risk_graph())
    edit = date_edit(panel)
    assert edit.date() == QDate(2015, 2, 20)
    assert edit.minimumDate() == QDate(2015, 1, 15)
    assert edit.maximumDate() == QDate(2016, 1, 15)


def test_a_new_graph_date_is_not_a_choice_of_the_trader(qtbot: QtBot, panel: RiskGraphPanel) -> None:
    panel.set_graph(risk_graph())
    with qtbot.assertNotEmitted(panel.sig_date_chosen, wait=500):
        panel.set_graph(replace(risk_graph(), chosen_date=date(2015, 3, 2)))
    assert date_edit(panel).date() == QDate(2015, 3, 2)


def test_trader_changing_the_date_emits_it(qtbot: QtBot, panel: RiskGraphPanel) -> None:
    panel.set_graph(risk_graph())
    edit = date_edit(panel)
    edit.setFocus()
    edit.setCurrentSection(QDateTimeEdit.Section.DaySection)
    with qtbot.waitSignal(panel.sig_date_chosen, timeout=1000) as blocker:
        qtbot.keyClick(edit, Qt.Key.Key_Up)
    assert blocker.args == [date(2015, 2, 21)]


def test_an_update_while_the_trader_picks_does_not_undo_it(qtbot: QtBot, panel: RiskGraphPanel) -> None:
    graph = risk_graph()
    panel.set_graph(graph)
    edit = date_edit(panel)
    edit.setFocus()
    edit.setCurrentSection(QDateTimeEdit.Section.DaySection)
    with qtbot.waitSignal(panel.sig_date_chosen, timeout=1000) as blocker:
        qtbot.keyClick(edit, Qt.Key.Key_Up)
        panel.set_graph(replace(graph, spot=graph.spot + 1.0))  # the next tick, still at the old date
    assert blocker.args == [date(2015, 2, 21)]
    assert edit.date() == QDate(2015, 2, 21)
    panel.set_graph(replace(graph, chosen_date=date(2015, 2, 21)))
    assert edit.date() == QDate(2015, 2, 21)


def test_typing_a_date_emits_it(qtbot: QtBot, panel: RiskGraphPanel) -> None:
    panel.set_graph(risk_graph())
    edit = date_edit(panel)
    edit.setFocus()
    edit.setSelectedSection(QDateTimeEdit.Section.DaySection)
    with qtbot.waitSignal(panel.sig_date_chosen, timeout=1000) as blocker:
        qtbot.keyClicks(edit, "27")
    assert blocker.args == [date(2015, 2, 27)]


def test_stepping_through_dates_asks_once_for_the_last(qtbot: QtBot, panel: RiskGraphPanel) -> None:
    panel.set_graph(risk_graph())
    edit = date_edit(panel)
    edit.setFocus()
    edit.setCurrentSection(QDateTimeEdit.Section.DaySection)
    chosen: list[object] = []
    panel.sig_date_chosen.connect(chosen.append)
    for _ in range(3):
        qtbot.keyClick(edit, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: chosen == [date(2015, 2, 23)], timeout=1000)
    qtbot.wait(400)
    assert chosen == [date(2015, 2, 23)]  # not the 21st and 22nd on the way


def test_none_shows_the_placeholder(panel: RiskGraphPanel) -> None:
    panel.set_graph(risk_graph())
    panel.set_graph(None)
    assert panel.is_placeholder_shown()
    assert panel.graph is None
    texts = [label.text() for label in panel.findChildren(QLabel, "panelPlaceholder")]
    assert texts == [PLACEHOLDER] == ["Select a candidate or a position to see its risk graph"]


def over(top: QColor, bottom: QColor) -> QColor:
    """Return a translucent colour painted over an opaque one."""
    return mix(bottom, QColor(top.red(), top.green(), top.blue()), top.alphaF())


@pytest.mark.parametrize("name", ["dark", "light"])
def test_mark_labels_and_legend_sit_on_the_theme_fill(qtbot: QtBot, name: str) -> None:
    theme = load_theme(name)
    widget = RiskGraphPanel(theme.chart)
    qtbot.addWidget(widget)
    widget.set_graph(risk_graph())
    plot = widget.findChild(pg.GraphicsLayoutWidget, "riskGraphics").ci.getItem(0, 0)
    assert plot.legend.brush().color() == chart_color(theme.chart.legend_fill)
    lines = [item for item in plot.items if isinstance(item, pg.InfiniteLine)]
    labels = [line.label for line in lines if hasattr(line, "label")]  # the zero line has none
    assert sorted(label.format for label in labels) == sorted(widget.mark_labels())
    box = over(chart_color(theme.chart.label_fill), css_color(theme.chart_background))
    for label in labels:  # spot, short strike and breakeven: their text legible on their box
        assert label.fill.color() == chart_color(theme.chart.label_fill)
        assert contrast(label.color, box) >= 4.5, label.format
