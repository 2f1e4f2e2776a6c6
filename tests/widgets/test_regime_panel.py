"""The Regime and gates panel: regime, inputs, diagnosis checks, the ten gates, signal, warm-up."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from engine.model import Regime
from tests.widgets.desk_samples import gates, regime_view
from widgets.colors import Tone, tone
from widgets.regime_panel import STATUS, VALUE, RegimePanel


@pytest.fixture
def panel(qtbot: QtBot) -> RegimePanel:
    widget = RegimePanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    return widget


def status_color(panel: RegimePanel, row: int) -> str:
    brush = panel.gates_table.item(row, STATUS).data(Qt.ItemDataRole.ForegroundRole)
    return brush.color().name()


def test_shows_the_regime_its_day_signal_and_inputs(panel: RegimePanel) -> None:
    panel.set_regime(regime_view())
    assert panel.regime_text() == "Elevated Vol"
    assert panel.day_text() == "as of 2015-01-15"
    assert panel.signal_text() == "SIGNAL"
    assert panel.warmup_text() == ""
    assert panel.input_texts() == [("VIX", "20.95"), ("VIX / VIX3M", "0.91"),
                                   ("trend", "close above EMA 200"), ("IV rank", "34.2"),
                                   ("breadth", "no data")]


def test_gates_table_has_ten_rows_with_their_statuses_and_values(panel: RegimePanel) -> None:
    panel.set_regime(regime_view())
    table = panel.gates_table
    assert table.rowCount() == 10
    rows = [table.row_texts(row) for row in range(table.rowCount())]
    assert [row[STATUS] for row in rows] == ["PASS"] * 7 + ["DISABLED", "PASS", "NO DATA"]
    assert [row[VALUE] for row in rows] == ["Elevated Vol", "34.20", "0.91", "2,021.30", "2 bars ago",
                                            "1,992.67", "41.30", "—", "0", "—"]
    assert rows[1] == ("IV Rank", "PASS", "34.20", ">= 30", "VIX percentile over 252 bars")
    assert status_color(panel, 0) == tone("green").name()
    assert status_color(panel, 7) == tone("grey").name()
    assert status_color(panel, 9) == tone("amber").name()


def test_diagnosis_checks_show_in_their_own_table(panel: RegimePanel) -> None:
    panel.set_regime(regime_view())
    table = panel.diagnosis_table
    assert table.rowCount() == 3
    assert [table.row_texts(row)[0] for row in range(3)] == ["Regime", "IV Rank", "Term Structure"]


def test_a_failing_gate_shows_fail_in_red_and_no_signal_with_the_reason(panel: RegimePanel) -> None:
    panel.set_regime(regime_view())
    panel.gates_table.selectRow(2)
    panel.set_regime(replace(regime_view(), gates=gates(passing=False), signal=False,
                             reason="IV Rank 34.2 < 40"))
    assert panel.gates_table.row_texts(1)[STATUS] == "FAIL"
    assert status_color(panel, 1) == tone("red").name()
    assert panel.signal_text() == "no signal: IV Rank 34.2 < 40"
    assert panel.gates_table.selected_name() == "Term Structure"  # the trader's selection stays


def test_warm_up_shows_the_bars_remaining(panel: RegimePanel) -> None:
    panel.set_regime(replace(regime_view(), warmup_bars_remaining=37, signal=False, reason="warm-up"))
    assert panel.warmup_text() == "WARMUP: 37 bars remaining, no trading"
    panel.set_regime(regime_view())
    assert panel.warmup_text() == ""


@pytest.mark.parametrize(("regime", "tone_name"), [
    (Regime.BULLISH_CALM, "green"), (Regime.ELEVATED_VOL, "amber"), (Regime.HIGH_VOL, "orange"),
    (Regime.CRISIS, "red"), (Regime.BEAR_TREND, "red"), (None, "grey")])
def test_regime_is_coloured_by_its_danger(panel: RegimePanel, regime: Regime | None, tone_name: Tone) -> None:
    color = tone(tone_name).name()
    panel.set_regime(replace(regime_view(), regime=regime))
    assert panel.regime_text() == (regime.value if regime is not None else "—")
    label = panel.findChild(QLabel, "regimeName")
    assert f"color: {color};" in label.styleSheet()


def test_changed_inputs_replace_the_old_ones(panel: RegimePanel) -> None:
    panel.set_regime(regime_view())
    panel.set_regime(replace(regime_view(), inputs=(("VIX", "31.10"),), day=None))
    assert panel.input_texts() == [("VIX", "31.10")]
    assert panel.day_text() == ""
