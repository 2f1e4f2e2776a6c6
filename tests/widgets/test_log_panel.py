"""The Log panel: entries with their time, kind and text filters, cheap appends, the 5000 cap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from engine.model.desk import LogLine
from tests.widgets.desk_samples import SIGNAL_DAY, at, log_lines
from widgets.log_panel import ALL_KINDS, MAX_LINES, LogPanel


@pytest.fixture
def panel(qtbot: QtBot) -> LogPanel:
    widget = LogPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    return widget


def numbered(count: int, start: int = 0) -> tuple[LogLine, ...]:
    """Return `count` three-line ENTRY EVAL / ORDER entries numbered from `start`, a minute apart."""
    kinds = ("ENTRY EVAL", "ORDER")
    return tuple(LogLine(at(SIGNAL_DAY) + timedelta(minutes=n), kinds[n % 2],
                         f"[{kinds[n % 2]}] entry {n}\n  Regime: PASS\n  IV Rank: PASS")
                 for n in range(start, start + count))


class ModelEvents:
    """Record what a model told its views: inserts, removals, resets."""

    def __init__(self, model: QAbstractItemModel) -> None:
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.resets = 0
        model.rowsInserted.connect(lambda _parent, first, last: self.inserted.append((first, last)))
        model.rowsRemoved.connect(lambda _parent, first, last: self.removed.append((first, last)))
        model.modelReset.connect(self._on_reset)
        model.layoutChanged.connect(self._on_reset)

    def _on_reset(self) -> None:
        self.resets += 1


def select_kind(panel: LogPanel, kind: str) -> None:
    combo = panel.kind_filter
    index = combo.findText(kind)
    assert index >= 0, f"{kind} not offered"
    combo.setCurrentIndex(index)


def test_shows_each_entry_whole_after_its_time(panel: LogPanel) -> None:
    panel.set_lines(log_lines())
    texts = panel.visible_texts()
    assert len(texts) == 5
    assert texts[0] == "2015-01-15 16:00  [ENTRY EVAL] 2015-01-15 SPX\n                    Regime: PASS"
    assert texts[1] == "2015-01-16 10:30  [TRADE OPENED] 2015-01-16 SPX Put Credit Spread 1850/1800"
    assert texts[3] == "2015-01-23 16:00  [TRADE CLOSED] 2015-01-23 SPX PROFIT TARGET P&L +$610.00"
    assert panel.table.rowHeight(0) > panel.table.rowHeight(1)  # the two-line entry is taller


def test_kind_filter_offers_the_kinds_seen(panel: LogPanel) -> None:
    panel.set_lines(log_lines())
    assert panel.kind_filter.itemText(0) == ALL_KINDS
    assert panel.kinds() == ["DAILY SUMMARY", "ENTRY EVAL", "RISK VETO", "TRADE CLOSED", "TRADE OPENED"]


def test_filters_by_kind(panel: LogPanel) -> None:
    panel.set_lines(log_lines())
    select_kind(panel, "TRADE CLOSED")
    closed = "2015-01-23 16:00  [TRADE CLOSED] 2015-01-23 SPX PROFIT TARGET P&L +$610.00"
    assert panel.visible_texts() == [closed]
    select_kind(panel, ALL_KINDS)
    assert len(panel.visible_texts()) == 5


def test_filters_by_text_in_any_case(panel: LogPanel, qtbot: QtBot) -> None:
    panel.set_lines(log_lines())
    qtbot.keyClicks(panel.text_filter, "spx PUT")
    assert [text[18:32] for text in panel.visible_texts()] == ["[TRADE OPENED]"]
    panel.text_filter.clear()
    qtbot.keyClicks(panel.text_filter, "2015-01-16")
    assert len(panel.visible_texts()) == 2
    select_kind(panel, "DAILY SUMMARY")
    assert panel.visible_texts() == ["2015-01-16 16:00  [DAILY SUMMARY] 2015-01-16"]


def test_new_lines_are_appended_not_rebuilt(panel: LogPanel) -> None:
    first = numbered(5)
    panel.set_lines(first)
    events = ModelEvents(panel.model)
    panel.set_lines(first + numbered(2, 5))
    assert events.inserted == [(5, 6)]
    assert events.resets == 0
    texts = panel.visible_texts()
    assert len(texts) == 7
    assert len(set(texts)) == 7
    assert "entry 6" in texts[-1]
    panel.set_lines(first + numbered(2, 5))  # the same lines again, in a new tuple
    assert events.inserted == [(5, 6)]
    assert len(panel.visible_texts()) == 7


def test_lines_that_are_not_a_continuation_rebuild_the_log(panel: LogPanel) -> None:
    panel.set_lines(numbered(5))
    events = ModelEvents(panel.model)
    panel.set_lines(log_lines())
    assert events.resets == 1
    assert len(panel.visible_texts()) == 5
    assert "[ENTRY EVAL] 2015-01-15 SPX" in panel.visible_texts()[0]


def test_a_window_of_recent_lines_that_moved_on_is_appended(panel: LogPanel) -> None:
    lines = numbered(10)
    panel.set_lines(lines)
    events = ModelEvents(panel.model)
    panel.set_lines(lines[3:] + numbered(2, 10))  # the engine dropped its three oldest
    assert events.resets == 0
    assert events.inserted == [(10, 11)]
    assert "entry 11" in panel.visible_texts()[-1]


def test_appends_to_a_full_log_drop_the_oldest_and_touch_only_the_new_rows(panel: LogPanel) -> None:
    lines = numbered(MAX_LINES)
    panel.set_lines(lines)
    assert panel.model.rowCount() == MAX_LINES
    model_events, shown_events = ModelEvents(panel.model), ModelEvents(panel.proxy)
    panel.set_lines(lines + numbered(10, MAX_LINES))
    assert panel.model.rowCount() == MAX_LINES
    assert model_events.removed == [(0, 9)]
    assert model_events.inserted == [(MAX_LINES - 10, MAX_LINES - 1)]
    assert model_events.resets == shown_events.resets == 0
    assert shown_events.inserted == [(MAX_LINES - 10, MAX_LINES - 1)]
    texts = panel.visible_texts()
    assert len(texts) == MAX_LINES
    assert "] entry 10\n" in texts[0]
    assert "] entry 5009\n" in texts[-1]


def test_a_long_log_keeps_only_the_newest_lines(panel: LogPanel) -> None:
    panel.set_lines(numbered(MAX_LINES + 7))
    texts = panel.visible_texts()
    assert len(texts) == MAX_LINES
    assert "] entry 7\n" in texts[0]


def test_appended_lines_pass_the_filters_too(panel: LogPanel, qtbot: QtBot) -> None:
    lines = numbered(4)
    panel.set_lines(lines)
    select_kind(panel, "ORDER")
    qtbot.keyClicks(panel.text_filter, "entry 5")
    assert panel.visible_texts() == []
    panel.set_lines(lines + numbered(4, 4) + (LogLine(at(SIGNAL_DAY), "BREAKER", "[BREAKER] entry 5"),))
    assert [text.split("\n")[0] for text in panel.visible_texts()] == ["2015-01-15 16:05  [ORDER] entry 5"]
    assert "BREAKER" in panel.kinds()
    assert panel.kind_filter.currentText() == "ORDER"  # a new kind does not change the choice


def test_follows_the_newest_line_unless_the_trader_scrolled_up(panel: LogPanel) -> None:
    lines = numbered(200)
    panel.set_lines(lines)
    QApplication.processEvents()
    scroll = panel.table.verticalScrollBar()
    assert scroll.maximum() > 0
    assert scroll.value() == scroll.maximum()
    lines += numbered(5, 200)
    panel.set_lines(lines)
    QApplication.processEvents()
    assert scroll.value() == scroll.maximum()
    scroll.setValue(0)  # the trader scrolls up to read
    assert not panel.is_following()
    panel.set_lines(lines + numbered(5, 205))
    QApplication.processEvents()
    assert scroll.value() == 0
    scroll.setValue(scroll.maximum())
    assert panel.is_following()


def test_copies_the_selected_entries(panel: LogPanel) -> None:
    panel.set_lines(log_lines())
    select_kind(panel, "TRADE OPENED")
    panel.table.selectRow(0)
    panel.copy_selection()
    expected = "2015-01-16 10:30  [TRADE OPENED] 2015-01-16 SPX Put Credit Spread 1850/1800"
    assert QApplication.clipboard().text() == expected


def test_a_rebuilt_log_sizes_every_row_for_its_own_entry(panel: LogPanel) -> None:
    panel.set_lines(numbered(3))  # three-line entries: tall rows
    tall = panel.table.rowHeight(0)
    one_line = (LogLine(at(SIGNAL_DAY), "BROKER", "[IB] Connected to TWS"),)
    panel.set_lines(one_line)  # not a continuation: the log is rebuilt
    assert panel.table.rowHeight(0) < tall  # the old entry's height did not stay on row 0
    panel.set_lines(numbered(3))
    assert panel.table.rowHeight(0) == tall
