"""The IV smile panel: finite IVs of puts and calls near the money, spot and forward, MODELLED."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from engine.model import ChainSlice, DataSource
from terminal.theme import css_color, load_theme
from tests.widgets.qt_support import sample_slice
from widgets.chart_panel import chart_color
from widgets.colors import contrast, mix
from widgets.smile_panel import PLACEHOLDER, SmilePanel


@pytest.fixture
def panel(qtbot: QtBot) -> SmilePanel:
    widget = SmilePanel()
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.show()
    return widget


def with_gaps(chain: ChainSlice) -> ChainSlice:
    """Return the chain with some put and call IVs missing (NaN) and the puts' skew steeper."""
    puts_iv = chain.puts.iv + 0.002 * np.maximum(0.0, chain.spot - chain.strikes) / 10.0
    puts_iv[::4] = np.nan
    calls_iv = chain.calls.iv.copy()
    calls_iv[chain.strikes > 1000.0] = np.nan
    return replace(chain, puts=replace(chain.puts, iv=puts_iv), calls=replace(chain.calls, iv=calls_iv))


def test_draws_only_finite_ivs_within_a_quarter_of_spot(panel: SmilePanel) -> None:
    chain = with_gaps(sample_slice())  # strikes 500-1395, spot 899.22
    panel.set_slice(chain)
    near = np.abs(chain.strikes - chain.spot) <= 0.25 * chain.spot
    for side, quotes in (("puts", chain.puts), ("calls", chain.calls)):
        strikes, iv = panel.smile_data(side)
        expected = near & np.isfinite(quotes.iv)
        np.testing.assert_array_equal(strikes, chain.strikes[expected])
        np.testing.assert_allclose(iv, 100.0 * quotes.iv[expected])
        assert np.isfinite(iv).all()
        assert strikes.min() > 674.0
        assert strikes.max() < 1125.0
    assert panel.smile_data("calls")[0].max() == 1000.0
    assert len(panel.smile_data("puts")[0]) < near.sum()  # every fourth put IV was missing


def test_spot_and_forward_are_marked(panel: SmilePanel) -> None:
    chain = sample_slice()
    panel.set_slice(chain)
    assert panel.line_x() == (pytest.approx(899.22), pytest.approx(chain.forward))


def test_title_names_the_expiry_and_says_modelled(panel: SmilePanel) -> None:
    panel.set_slice(sample_slice(as_of=date(2015, 1, 15), expiry=date(2015, 3, 20), spot=1992.67,
                                 strikes=np.arange(1500.0, 2500.0, 25.0)))
    assert panel.title_text() == "IV smile 2015-03-20 (64 DTE) · MODELLED"
    panel.set_slice(sample_slice(source=DataSource.QUOTED))
    assert panel.title_text() == "IV smile 2008-11-21 (42 DTE)"
    assert "MODELLED" not in panel.title_text()


def test_none_shows_the_placeholder(panel: SmilePanel) -> None:
    panel.set_slice(sample_slice())
    assert not panel.is_placeholder_shown()
    panel.set_slice(None)
    assert panel.is_placeholder_shown()
    assert [label.text() for label in panel.findChildren(QLabel, "panelPlaceholder")] == [PLACEHOLDER]


@pytest.mark.parametrize("name", ["dark", "light"])
def test_spot_and_forward_labels_and_legend_sit_on_the_theme_fill(qtbot: QtBot, name: str) -> None:
    theme = load_theme(name)
    widget = SmilePanel(theme.chart)
    qtbot.addWidget(widget)
    widget.set_slice(sample_slice())
    plot = widget.findChild(pg.GraphicsLayoutWidget, "smileGraphics").ci.getItem(0, 0)
    assert plot.legend.brush().color() == chart_color(theme.chart.legend_fill)
    fill = chart_color(theme.chart.label_fill)
    opaque = QColor(fill.red(), fill.green(), fill.blue())
    box = mix(css_color(theme.chart_background), opaque, fill.alphaF())
    labels = [item.label for item in plot.items if isinstance(item, pg.InfiniteLine)]
    assert sorted(label.format for label in labels) == ["fwd 897.42", "spot 899.22"]
    for label in labels:
        assert label.fill.color() == fill
        assert contrast(label.color, box) >= 4.5, label.format
