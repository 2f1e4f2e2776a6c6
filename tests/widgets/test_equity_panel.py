"""The equity panel: equity curve and drawdown of the session, title figures, placeholder."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from engine.model.desk import EquityCurve
from tests.widgets.desk_samples import equity_curve
from widgets.chart_axes import format_money
from widgets.equity_panel import EquityPanel


@pytest.fixture
def panel(qtbot: QtBot) -> EquityPanel:
    widget = EquityPanel()
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.show()
    return widget


def test_plots_the_equity_and_drawdown_of_each_close(panel: EquityPanel) -> None:
    curve = equity_curve()
    panel.set_curve(curve)
    assert not panel.is_placeholder_shown()
    xs, equity = panel.equity_data()
    np.testing.assert_array_equal(xs, curve.times)
    np.testing.assert_array_equal(equity, curve.equity)
    xs, drawdown = panel.drawdown_data()
    np.testing.assert_array_equal(xs, curve.times)
    np.testing.assert_array_equal(drawdown, curve.drawdown_pct)
    assert drawdown.min() < -0.5


def test_title_shows_last_equity_return_and_max_drawdown(panel: EquityPanel) -> None:
    curve = equity_curve()
    panel.set_curve(curve)
    title = panel.title_text()
    assert "$502,360.00" in title  # 500,000 + 40 x 59, the dip long gone
    total_return = 100.0 * (curve.equity[-1] / 500_000.0 - 1.0)
    assert f"return {total_return:+.1f} %" in title
    assert f"max drawdown {curve.drawdown_pct.min():.1f} %" in title
    assert "max drawdown -0.5 %" in title


def test_no_closes_shows_the_placeholder(panel: EquityPanel) -> None:
    empty = np.array([], dtype=np.float64)
    panel.set_curve(EquityCurve(empty, empty, empty, 500_000.0))
    assert panel.is_placeholder_shown()
    texts = [label.text() for label in panel.findChildren(QLabel, "panelPlaceholder")]
    assert texts == ["No closes yet"]
    panel.set_curve(equity_curve(5))
    assert not panel.is_placeholder_shown()
    assert len(panel.equity_data()[0]) == 5


def test_an_unchanged_curve_is_not_redrawn(qtbot: QtBot, panel: EquityPanel) -> None:
    panel.set_curve(equity_curve())
    curve_item = panel._equity_curve  # the drawn item: setData emits sigPlotChanged
    with qtbot.assertNotEmitted(curve_item.sigPlotChanged):
        panel.set_curve(equity_curve())  # equal values, another object
    with qtbot.waitSignal(curve_item.sigPlotChanged, timeout=1000):
        panel.set_curve(equity_curve(61))
    assert len(panel.equity_data()[0]) == 61


def test_money_has_thousands_separators_and_a_dash_for_nan() -> None:
    assert format_money(1234567.891) == "$1,234,567.89"
    assert format_money(-8680.0, 0) == "-$8,680"
    assert format_money(float("nan")) == "—"
