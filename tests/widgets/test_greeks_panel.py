"""The Portfolio Greeks panel: figures with units, limits beside them, the split by underlying."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QLabel
from pytestqt.qtbot import QtBot

from engine.model.desk import GreekFigures, LimitGauge
from terminal.theme import load_theme
from tests.widgets.desk_samples import greeks_view
from widgets.colors import card_background, contrast, is_light
from widgets.greeks_panel import GreeksPanel


@pytest.fixture
def panel(qtbot: QtBot) -> GreeksPanel:
    widget = GreeksPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    return widget


def table_rows(panel: GreeksPanel) -> list[tuple[str, ...]]:
    table = panel.table
    return [tuple(table.item(row, column).text() for column in range(table.columnCount()))
            for row in range(table.rowCount())]


def test_shows_each_figure_with_its_unit(panel: GreeksPanel) -> None:
    panel.set_greeks(greeks_view())
    shown = {key: panel.figure_text(key) for key in ("delta", "beta_weighted_delta", "gamma", "theta",
                                                      "vega", "heat")}
    assert shown == {"delta": "10.00", "beta_weighted_delta": "10.00", "gamma": "-0.06", "theta": "16.00",
                     "vega": "-80.00", "heat": "1.9"}
    units = [label.text() for label in panel.findChildren(QLabel, "greekUnit")]
    assert units == ["$/pt", "$/pt", "$/pt²", "$/day", "$/vol pt", "%"]


def test_shows_each_limit_beside_its_figure_or_no_limit(panel: GreeksPanel) -> None:
    panel.set_greeks(greeks_view())
    assert panel.limit_text("delta").startswith("10 / 2,500 $/pt")
    assert panel.limit_text("delta").endswith("(0.4\u00a0%)")
    assert panel.limit_text("gamma").startswith("0.06 / 50 $/pt²")
    assert panel.limit_text("vega").startswith("80 / 5,000 $/vol pt")
    assert panel.limit_text("heat").startswith("1.9 / 6 %")
    assert panel.limit_text("theta") == "no limit"
    assert panel.limit_text("beta_weighted_delta") == "no limit"
    assert panel.gauge_state("theta") == "none"


def test_gauges_turn_amber_past_80_percent_and_red_beyond_the_limit(panel: GreeksPanel) -> None:
    panel.set_greeks(greeks_view())
    assert panel.gauge_state("delta") == "ok"
    assert panel.gauge_fill("delta") == pytest.approx(10.0 / 2500.0, abs=0.001)
    panel.set_greeks(greeks_view(delta=-2100.0))
    assert panel.gauge_state("delta") == "warn"
    assert panel.gauge_fill("delta") == pytest.approx(0.84, abs=0.001)
    panel.set_greeks(greeks_view(delta=2600.0))
    assert panel.gauge_state("delta") == "breached"
    assert panel.gauge_fill("delta") == 1.0
    assert panel.figure_text("delta") == "2,600.00"
    assert panel.gauge_state("vega") == "ok"


def test_a_limit_on_a_figure_without_a_card_gets_its_own(panel: GreeksPanel) -> None:
    view = greeks_view()
    panel.set_greeks(replace(view, limits=(*view.limits, LimitGauge("Daily theta", 120.0, 100.0, "$/day"))))
    assert panel.figure_text("daily_theta") == "120.00"
    assert panel.gauge_state("Daily theta") == "breached"


def test_table_splits_the_greeks_by_underlying_and_keeps_the_selection(panel: GreeksPanel) -> None:
    panel.set_greeks(greeks_view())
    assert table_rows(panel) == [("SPX", "10.00", "-0.06", "16.00", "-80.00")]
    split = (("SPX", GreekFigures(10.0, -0.06, 16.0, -80.0)), ("RUT", GreekFigures(-1234.5, 0.5, -3.0, 40.0)))
    panel.set_greeks(replace(greeks_view(), per_underlying=split))
    assert table_rows(panel)[1] == ("RUT", "-1,234.50", "0.50", "-3.00", "40.00")
    panel.table.selectionModel().select(panel.table.model().index(1, 0),
                                        panel.table.selectionModel().SelectionFlag.ClearAndSelect
                                        | panel.table.selectionModel().SelectionFlag.Rows)
    panel.set_greeks(replace(greeks_view(delta=20.0), per_underlying=split[::-1]))
    selected = panel.table.selectionModel().selectedRows()
    assert [index.row() for index in selected] == [0]
    assert table_rows(panel)[0][0] == "RUT"


def test_an_unchanged_view_is_not_shown_again(panel: GreeksPanel) -> None:
    panel.set_greeks(greeks_view())
    label = next(label for label in panel.findChildren(QLabel, "greekValue") if label.text() == "-80.00")
    label.setText("untouched")
    panel.set_greeks(greeks_view())  # equal, not the same object
    assert label.text() == "untouched"
    panel.set_greeks(greeks_view(delta=11.0))
    assert label.text() == "-80.00"


@pytest.fixture(params=["dark", "light"])
def themed_panel(request: pytest.FixtureRequest, qapp: QApplication, qtbot: QtBot) -> Iterator[GreeksPanel]:
    """Return a panel built under a theme's palette (the application's palette restored after)."""
    before = QPalette(qapp.palette())
    qapp.setPalette(load_theme(request.param).palette())
    widget = GreeksPanel()
    qtbot.addWidget(widget)
    widget.resize(700, 420)
    widget.show()
    widget.set_greeks(greeks_view(delta=2200.0))  # 88 % of the delta limit: the warning colour shows
    QApplication.processEvents()
    yield widget
    qapp.setPalette(before)


def strongest_contrast(image: QImage, area: QRect, background: QColor) -> float:
    """Return the highest contrast of a pixel in `area` against `background`."""
    return max(contrast(image.pixelColor(x, y), background)
               for x in range(area.left(), area.right() + 1, 2) for y in range(area.top(), area.bottom() + 1))


def test_card_figures_stand_out_from_the_card_on_both_themes(themed_panel: GreeksPanel) -> None:
    card = next(c for c in themed_panel.findChildren(QFrame, "greekCard") if c.figure.key == "delta")
    image = card.grab().toImage()
    background = image.pixelColor(card.width() - 8, card.title.geometry().center().y())  # right of the title
    assert contrast(background, card_background()) < 1.05  # the card has the palette's card fill
    for label in (card.title, card.value, card.unit, card.limit):
        # 4.5:1 in colour; antialiased glyphs of small text reach a little less in pixels.
        assert strongest_contrast(image, label.geometry(), background) >= 4.2, label.objectName()


def test_light_cards_are_light(themed_panel: GreeksPanel) -> None:
    card = themed_panel.findChildren(QFrame, "greekCard")[0]
    background = card.grab().toImage().pixelColor(card.width() - 8, card.title.geometry().center().y())
    assert (background.lightnessF() > 0.9) == is_light()
