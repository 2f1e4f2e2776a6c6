"""Replay panel: the dataset, the range, play/pause, step, next signal, speed and the replay time.

A view: it shows an ``engine.model.desk.ReplayView`` (``set_replay``) and emits what the trader
asks for; the terminal runs the replay and hands the next view back. Its controls flow onto as
many lines as the dock's width needs: one line across a wide window, several in a narrow dock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QWidget,
)

from engine.model.desk import ReplayView

# Speeds offered, in the trader's words: simulated seconds per wall second.
SPEEDS: tuple[tuple[str, float], ...] = (
    ("1x", 1.0), ("1 min/s", 60.0), ("1 h/s", 3600.0), ("1 day/s", 86400.0), ("1 week/s", 604800.0),
    ("Max", math.inf),
)
NEW_YORK = ZoneInfo("America/New_York")
MARKET_TIME = "%Y-%m-%d %H:%M ET"
NOT_STARTED = "not started"
END_OF_RANGE = "end of range"


def speed_label(speed: float) -> str:
    """Return the label of a speed ("1 h/s", "Max"), or "<n>x" for one the selector does not offer."""
    for label, offered in SPEEDS:
        if offered == speed:
            return label
    return f"{speed:,.0f}x"


def replay_time_text(now: datetime | None) -> str:
    """Return the replay clock as the trader reads it: "2015-01-15 16:00 ET" or "not started"."""
    if now is None:
        return NOT_STARTED
    return _market_time(now).strftime(MARKET_TIME)


def _market_time(moment: datetime) -> datetime:
    # A naive moment is already market time (the views carry New York times).
    return moment if moment.tzinfo is None else moment.astimezone(NEW_YORK)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class _FlowLayout(QLayout):
    """Lay widgets out left to right, wrapping onto new lines; an expanding one fills its line.

    Its minimum height follows the width it was given, so a dock holding it grows a line
    instead of clipping when it narrows.
    """

    def __init__(self, parent: QWidget, spacing: int = 10, line_spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap, self._line_gap = spacing, line_spacing
        self._wanted_height = 0

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), place=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        height = self._arrange(rect, place=True)
        if height != self._wanted_height:
            self._wanted_height = height
            QTimer.singleShot(0, self, self.invalidate)  # the parent reads the new minimum next pass

    def sizeHint(self) -> QSize:
        """Return one line holding everything."""
        hints = [item.sizeHint() for item in self._items if not item.isEmpty()]
        width = sum(hint.width() for hint in hints) + self._gap * max(0, len(hints) - 1)
        height = max((hint.height() for hint in hints), default=0)
        return QSize(width, height) + self._margin_size()

    def minimumSize(self) -> QSize:
        """Return the widest item by the height the current width needs."""
        widest = max((item.minimumSize().width() for item in self._items), default=0)
        width = self.geometry().width()
        height = self.heightForWidth(width) if width > 0 else self.sizeHint().height()
        return QSize(widest + self._margin_size().width(), height)

    def _margin_size(self) -> QSize:
        margins = self.contentsMargins()
        return QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, place: bool) -> int:
        """Place the items (or only measure); return the height they take."""
        area = rect.marginsRemoved(self.contentsMargins())
        y = area.y()
        for line in self._lines(area.width()):
            line_height = max(hint.height() for _, _, hint in line)
            x = area.x()
            for item, width, hint in line:
                if place:  # centred on the line: labels beside buttons share their middle
                    top = y + (line_height - hint.height()) // 2
                    item.setGeometry(QRect(QPoint(x, top), QSize(width, hint.height())))
                x += width + self._gap
            y += line_height + self._line_gap
        return max(0, y - self._line_gap) - rect.y() + self.contentsMargins().bottom()

    def _lines(self, room: int) -> list[list[tuple[QLayoutItem, int, QSize]]]:
        """Return the visible items by line, each with the width it gets and its size hint."""
        lines: list[list[tuple[QLayoutItem, int, QSize]]] = [[]]
        used = 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            expands = bool(item.expandingDirections() & Qt.Orientation.Horizontal)
            width = max(item.minimumSize().width(), room - used) if expands else hint.width()
            if lines[-1] and used + width > room:
                lines.append([])
                used = 0
                width = room if expands else width
            lines[-1].append((item, width, hint))
            used += width + self._gap
        return [line for line in lines if line]

def _cluster(*widgets: QWidget) -> QWidget:
    """Return widgets kept together on one line of the flow."""
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(4)
    for widget in widgets:
        row.addWidget(widget)
    return holder


class ReplayPanel(QWidget):
    """Replay controls: play/pause, step, next signal, speed, replay time, range, dataset, progress.

    Everything is disabled until the first view. While the replay plays, Step, Next signal and
    the range are disabled; at the end of the range, play, step and next signal are.

    Signals:
        sig_play_requested(): the trader asked to play at the chosen speed.
        sig_pause_requested(): the trader asked to pause.
        sig_step_requested(): the trader asked for one session (run to the next close).
        sig_next_signal_requested(): the trader asked to play until a close gives an entry signal.
        sig_speed_chosen(float): the trader picked a speed; carries simulated seconds per wall
            second (``math.inf``: as fast as it goes). Not emitted when ``set_replay`` shows one.
        sig_range_chosen(object, object): the trader applied a range; carries its first and last
            ``datetime.date`` (first <= last).
    """

    sig_play_requested = Signal()
    sig_pause_requested = Signal()
    sig_step_requested = Signal()
    sig_next_signal_requested = Signal()
    sig_speed_chosen = Signal(float)
    sig_range_chosen = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view: ReplayView | None = None
        media = self.style().standardIcon
        self._play = self._button("Play", "replayPlay", "", self.toggle_play)  # text, icon: the view
        self._step = self._button("Step", "replayStep", "run to the next close (one session)", self.step)
        self._step.setIcon(media(QStyle.StandardPixmap.SP_MediaSkipForward))
        self._next = self._button("Next signal", "replayNextSignal",
                                  "play until a close gives an entry signal", self.next_signal)
        self._next.setIcon(media(QStyle.StandardPixmap.SP_MediaSeekForward))
        self._speed = self._speed_box()
        self._time, self._state = self._time_label(), QLabel()
        self._state.setObjectName("replayState")
        self._first = self._date_edit("replayFrom", "first session of the range")
        self._last = self._date_edit("replayTo", "last session of the range")
        self._apply = self._button("Apply range", "replayApply", "replay this range of sessions",
                                   self._on_apply)
        self._dataset = QLabel("no replay")
        self._dataset.setObjectName("replayDataset")
        self._progress = self._progress_bar()
        self._lay_out()
        self._reserve_widths()
        # Never taller than its lines: a dock across the window shrinks back when it widens.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._show_play_button(playing=False)
        self._enable()

    # --- construction ------------------------------------------------------------------------

    def _button(self, text: str, name: str, tip: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _speed_box(self) -> QComboBox:
        box = QComboBox()
        box.setObjectName("replaySpeed")
        box.setToolTip("simulated time per wall-clock second")
        for label, speed in SPEEDS:
            box.addItem(label, speed)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        box.activated.connect(self._on_speed_activated)  # activated: the trader's choice only
        return box

    def _time_label(self) -> QLabel:
        label = QLabel(NOT_STARTED)
        label.setObjectName("replayTime")
        label.setToolTip("replay clock (market time)")
        big = QFont(label.font())
        big.setBold(True)
        big.setPointSizeF(big.pointSizeF() * 1.35)
        label.setFont(big)
        return label

    def _date_edit(self, name: str, tip: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setObjectName(name)
        edit.setToolTip(tip)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setCalendarPopup(True)
        edit.dateChanged.connect(self._enable)
        return edit

    def _progress_bar(self) -> QProgressBar:
        bar = QProgressBar()
        bar.setObjectName("replayProgress")
        bar.setTextVisible(False)
        bar.setFixedHeight(6)
        bar.setMinimumWidth(80)
        bar.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        bar.setRange(0, 1)
        bar.setValue(0)
        return bar

    def _reserve_widths(self) -> None:
        """Size the texts that change with the state for their widest, so lines never reflow."""
        metrics = self._state.fontMetrics()
        self._state.setMinimumWidth(max(metrics.horizontalAdvance(text)
                                        for text in ("playing", "paused", "ready", END_OF_RANGE)))
        self._time.setMinimumWidth(self._time.fontMetrics().horizontalAdvance("2015-01-15 16:00 ET"))
        widths = []
        for playing in (True, False):
            self._show_play_button(playing)
            widths.append(self._play.sizeHint().width())
        self._play.setMinimumWidth(max(widths))

    def _lay_out(self) -> None:
        flow = _FlowLayout(self)
        flow.setContentsMargins(6, 4, 6, 4)
        for widget in (_cluster(self._play, self._step, self._next),
                       _cluster(QLabel("speed"), self._speed),
                       _cluster(self._time, self._state), self._dataset,
                       _cluster(QLabel("from"), self._first, QLabel("to"), self._last), self._apply):
            flow.addWidget(widget)
        flow.addWidget(self._progress)  # expanding: it fills the rest of the last line

    # --- the view -----------------------------------------------------------------------------

    def set_replay(self, view: ReplayView) -> None:
        """Show where the replay stands; the range edits keep the trader's dates until the range changes."""
        if view == self._view:
            return
        previous, self._view = self._view, view
        self._dataset.setText(view.dataset)
        self._dataset.setToolTip(f"dataset: {view.dataset}")
        if previous is None or (previous.first, previous.last) != (view.first, view.last):
            self._first.setDate(_qdate(view.first))
            self._last.setDate(_qdate(view.last))
        self._time.setText(replay_time_text(view.now))
        self._state.setText(self.state_text())
        self._show_play_button(view.playing)
        self._select_speed(view.speed)
        self._show_progress(view)
        self._enable()

    def state_text(self) -> str:
        """Return what the replay is doing: "playing", "paused", "ready" (not started), "end of range"."""
        view = self._view
        if view is None:
            return ""
        if view.finished:
            return END_OF_RANGE
        if view.playing:
            return "playing"
        return "paused" if view.now is not None else "ready"

    def _show_play_button(self, playing: bool) -> None:
        pixmap = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self._play.setIcon(self.style().standardIcon(pixmap))
        self._play.setText("Pause" if playing else "Play")
        self._play.setToolTip("pause the replay" if playing else "play the replay at the chosen speed")

    def _select_speed(self, speed: float) -> None:
        index = self._speed.findData(speed)
        if index < 0:  # a speed the selector does not offer: show it without adding it
            self._speed.setPlaceholderText(speed_label(speed))
        self._speed.setCurrentIndex(index)

    def _show_progress(self, view: ReplayView) -> None:
        total = max(1, (view.last - view.first).days)
        done = total if view.finished else 0
        if view.now is not None and not view.finished:
            done = (_market_time(view.now).date() - view.first).days
        self._progress.setRange(0, total)
        self._progress.setValue(max(0, min(total, done)))
        share = 100.0 * self._progress.value() / total
        self._progress.setToolTip(f"{share:.1f} % of {view.first.isoformat()} to {view.last.isoformat()}")

    def _enable(self) -> None:
        view = self._view
        ready = view is not None and not view.finished
        idle = view is not None and not view.playing
        self._play.setEnabled(ready)
        self._step.setEnabled(ready and idle)
        self._next.setEnabled(ready and idle)
        self._speed.setEnabled(view is not None)
        for edit in (self._first, self._last):
            edit.setEnabled(idle)
        self._apply.setEnabled(idle and self._first.date() <= self._last.date())

    # --- the trader's requests ----------------------------------------------------------------

    def toggle_play(self) -> None:
        """Ask to play, or to pause while playing; nothing while Play is disabled."""
        if self._view is None or not self._play.isEnabled():
            return
        if self._view.playing:
            self.sig_pause_requested.emit()
        else:
            self.sig_play_requested.emit()

    def step(self) -> None:
        """Ask for one session; nothing while Step is disabled (playing, finished)."""
        if self._step.isEnabled():
            self.sig_step_requested.emit()

    def next_signal(self) -> None:
        """Ask to play until the next signal; nothing while it is disabled (playing, finished)."""
        if self._next.isEnabled():
            self.sig_next_signal_requested.emit()

    def _on_speed_activated(self, index: int) -> None:
        self.sig_speed_chosen.emit(float(self._speed.itemData(index)))

    def _on_apply(self) -> None:
        first, last = _date(self._first.date()), _date(self._last.date())
        if first <= last:
            self.sig_range_chosen.emit(first, last)

    # --- what the panel shows (for tests and the window) ---------------------------------------

    @property
    def play_button(self) -> QPushButton:
        """Return the Play/Pause button."""
        return self._play

    @property
    def step_button(self) -> QPushButton:
        """Return the Step button."""
        return self._step

    @property
    def next_signal_button(self) -> QPushButton:
        """Return the Next signal button."""
        return self._next

    @property
    def speed_box(self) -> QComboBox:
        """Return the speed selector."""
        return self._speed

    @property
    def range_edits(self) -> tuple[QDateEdit, QDateEdit]:
        """Return the "from" and "to" date edits."""
        return self._first, self._last

    @property
    def apply_button(self) -> QPushButton:
        """Return the Apply range button."""
        return self._apply

    @property
    def progress_bar(self) -> QProgressBar:
        """Return the bar of the replay's progress through its range."""
        return self._progress

    def texts(self) -> dict[str, str]:
        """Return the shown texts: dataset, time, state, speed."""
        return {"dataset": self._dataset.text(), "time": self._time.text(), "state": self._state.text(),
                "speed": self._speed.currentText() or self._speed.placeholderText()}
