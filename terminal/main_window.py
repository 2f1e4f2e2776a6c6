"""The main window: docks from the registry, the date toolbar, the View and Broker menus, the status bar.

The window holds no market logic. The date control lets the trader pick a session of the
history (typed, previous/next session, Go) and emits ``sig_date_requested``; the terminal
loads that day and calls ``set_as_of`` once the panels show it. The Broker menu asks for a
connection to Interactive Brokers (``sig_broker_connect_requested``) or its end
(``sig_broker_disconnect_requested``); the terminal enables its entries (``set_broker_actions``).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QDockWidget,
    QLabel,
    QMainWindow,
    QPushButton,
    QToolBar,
    QToolButton,
    QWidget,
)

from terminal.docks import LAYOUT_VERSION, DockSpec, LayoutStore

DEFAULT_SIZE = (1600, 960)
CHAIN_SHARE = 0.55  # the chain table needs the wider half: 19 numeric columns
BOTTOM_SHARE = 0.36  # candidates/positions/orders/log and the risk figures along the bottom


def to_qdate(day: date) -> QDate:
    """Return a QDate of a date."""
    return QDate(day.year, day.month, day.day)


def from_qdate(value: QDate) -> date:
    """Return the date of a QDate."""
    return date(value.year(), value.month(), value.day())


class MainWindow(QMainWindow):
    """Dockable panels from a registry, with a date toolbar, View menu and status bar.

    Signals:
        sig_date_requested(object): the trader asked for a session (Go, previous or next);
            carries a ``datetime.date`` that is one of the sessions given to ``set_sessions``.
        sig_first_painted(float): the window painted for the first time; carries
            ``time.time()`` of that paint (used to measure start-up).
        sig_closed(): the window closed (after its layout was saved).
        sig_broker_connect_requested(): the trader chose Broker ▸ Connect to Interactive Brokers….
        sig_broker_disconnect_requested(): the trader chose Broker ▸ Disconnect.
    """

    sig_date_requested = Signal(object)
    sig_first_painted = Signal(float)
    sig_closed = Signal()
    sig_broker_connect_requested = Signal()
    sig_broker_disconnect_requested = Signal()

    def __init__(self, docks: Sequence[DockSpec], layout_store: LayoutStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("Optimus Terminal")
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AnimatedDocks)
        self._specs = tuple(docks)
        self._layout_store = layout_store
        self._docks: dict[str, QDockWidget] = {}
        self._sessions: list[date] = []
        self._as_of: date | None = None
        self._first_painted = False
        self._save_layout_on_close = layout_store is not None
        self.resize(*DEFAULT_SIZE)
        self._build_docks()
        self._build_toolbar()
        self._build_menus()
        self._build_status_bar()
        self.reset_layout()

    # --- construction ------------------------------------------------------------------------

    def _build_docks(self) -> None:
        for spec in self._specs:
            dock = QDockWidget(spec.title, self)
            dock.setObjectName(spec.name)  # saveState/restoreState key the layout on this
            dock.setWidget(spec.factory())
            if not spec.title_bar:
                dock.setTitleBarWidget(QWidget(dock))  # an empty bar: the panel names itself
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                             | QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            self._docks[spec.name] = dock

    def _build_toolbar(self) -> None:
        bar = QToolBar("Date", self)
        bar.setObjectName("dateToolbar")
        bar.setMovable(False)
        bar.addWidget(QLabel(" Session "))
        self._date_edit = QDateEdit()
        self._date_edit.setObjectName("dateEdit")
        self._date_edit.setDisplayFormat("yyyy-MM-dd")
        self._date_edit.setCalendarPopup(True)
        self._date_edit.setToolTip("session to show (the close of that day)")
        self._date_edit.setSpecialValueText("loading…")  # shown until the sessions are known
        self._date_edit.setDate(self._date_edit.minimumDate())
        self._previous = self._tool_button("◀", "previous session (Alt+Left)", "Alt+Left",
                                           lambda: self.step_session(-1))
        self._next = self._tool_button("▶", "next session (Alt+Right)", "Alt+Right",
                                       lambda: self.step_session(+1))
        self._go = QPushButton("Go")
        self._go.setObjectName("goButton")
        self._go.setToolTip("show the session in the date box (or the one before it)")
        self._go.clicked.connect(self._on_go)
        for widget in (self._previous, self._date_edit, self._next, self._go):
            bar.addWidget(widget)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self._set_date_controls_enabled(False)

    def _tool_button(self, text: str, tip: str, shortcut: str, slot: object) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setShortcut(QKeySequence(shortcut))
        button.clicked.connect(slot)
        return button

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self._view_menu = self.menuBar().addMenu("&View")
        self._view_menu.setObjectName("viewMenu")
        for spec in self._specs:
            self._view_menu.addAction(self._docks[spec.name].toggleViewAction())
        self._view_menu.addSeparator()
        reset = QAction("&Reset layout", self)
        reset.triggered.connect(self.reset_layout)
        self._view_menu.addAction(reset)
        self._build_broker_menu()

    def _build_broker_menu(self) -> None:
        broker_menu = self.menuBar().addMenu("&Broker")
        broker_menu.setObjectName("brokerMenu")
        self._connect_action = QAction("&Connect to Interactive Brokers…", self)
        self._connect_action.setObjectName("brokerConnectAction")
        self._connect_action.triggered.connect(self.sig_broker_connect_requested.emit)
        self._disconnect_action = QAction("&Disconnect", self)
        self._disconnect_action.setObjectName("brokerDisconnectAction")
        self._disconnect_action.triggered.connect(self.sig_broker_disconnect_requested.emit)
        for action in (self._connect_action, self._disconnect_action):
            action.setEnabled(False)  # until the terminal can connect (its desk is up)
            broker_menu.addAction(action)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self._activity_label = QLabel("starting…")
        self._activity_label.setObjectName("activityLabel")
        self._source_label = QLabel("data: —")
        self._source_label.setObjectName("sourceLabel")
        self._date_label = QLabel("as of —")
        self._date_label.setObjectName("dateLabel")
        self._broker_label = QLabel("")
        self._broker_label.setObjectName("brokerLabel")
        self._account_label = QLabel("")
        self._account_label.setObjectName("accountLabel")
        self._replay_label = QLabel("")
        self._replay_label.setObjectName("replayLabel")
        status.addWidget(self._activity_label, 1)
        for label in (self._broker_label, self._account_label, self._replay_label):
            status.addPermanentWidget(label)
        status.addPermanentWidget(self._source_label)
        status.addPermanentWidget(self._date_label)

    # --- docks and layout --------------------------------------------------------------------

    def dock_names(self) -> tuple[str, ...]:
        """Return the names of the registered docks, in registry order."""
        return tuple(spec.name for spec in self._specs)

    def dock(self, name: str) -> QDockWidget:
        """Return a dock by its registry name."""
        return self._docks[name]

    def panel(self, name: str) -> QWidget:
        """Return the panel inside a dock by its registry name."""
        widget = self._docks[name].widget()
        assert widget is not None
        return widget

    @property
    def view_menu_titles(self) -> tuple[str, ...]:
        """Return the dock titles listed in the View menu."""
        return tuple(a.text() for a in self._view_menu.actions() if a.isCheckable())

    def reset_layout(self) -> None:
        """Put every dock back in its default place, docked and visible, at the default split.

        Docks with `tab_with` share a tab group with that dock; two groups in the bottom area sit
        side by side (the order panels left, the risk figures right).
        """
        for spec in self._specs:
            dock = self._docks[spec.name]
            dock.setFloating(False)
            self.removeDockWidget(dock)
        leaders: dict[Qt.DockWidgetArea, QDockWidget] = {}
        for spec in (s for s in self._specs if not s.tab_with):  # the groups' places first
            dock = self._docks[spec.name]
            if spec.default_area in leaders:
                self.splitDockWidget(leaders[spec.default_area], dock, Qt.Orientation.Horizontal)
            else:
                self.addDockWidget(spec.default_area, dock)
                leaders[spec.default_area] = dock
            dock.show()
        for spec in (s for s in self._specs if s.tab_with):  # then the tabs that join them
            dock = self._docks[spec.name]
            self.tabifyDockWidget(self._docks[spec.tab_with], dock)
            dock.show()
        for spec in self._specs:
            if not spec.tab_with:
                self._docks[spec.name].raise_()  # the group's first tab in front
        self._split_default()

    def _split_default(self) -> None:
        leaders = [self._docks[s.name] for s in self._specs if not s.tab_with]
        by_area: dict[Qt.DockWidgetArea, list[QDockWidget]] = {}
        for dock in leaders:
            by_area.setdefault(self.dockWidgetArea(dock), []).append(dock)
        width, height = self.width(), self.height()
        left = by_area.get(Qt.DockWidgetArea.LeftDockWidgetArea, [])
        right = by_area.get(Qt.DockWidgetArea.RightDockWidgetArea, [])
        if left and right:
            self.resizeDocks([left[0], right[0]], [int(width * CHAIN_SHARE), int(width * (1 - CHAIN_SHARE))],
                             Qt.Orientation.Horizontal)
        bottom = by_area.get(Qt.DockWidgetArea.BottomDockWidgetArea, [])
        if bottom:
            self.resizeDocks(bottom[:1], [int(height * BOTTOM_SHARE)], Qt.Orientation.Vertical)
        if len(bottom) > 1:
            self.resizeDocks(bottom[:2], [int(width * 0.62), int(width * 0.38)], Qt.Orientation.Horizontal)
        top = by_area.get(Qt.DockWidgetArea.TopDockWidgetArea, [])
        if top:  # as tall as its controls need at this width, no taller
            panel = top[0].widget()
            assert panel is not None
            need = panel.heightForWidth(width) if panel.hasHeightForWidth() else panel.sizeHint().height()
            self.resizeDocks(top[:1], [max(need, panel.minimumSizeHint().height())], Qt.Orientation.Vertical)

    def restore_layout(self) -> bool:
        """Restore the saved geometry and dock layout; on any failure keep the default layout."""
        if self._layout_store is None:
            return False
        saved = self._layout_store.load()
        if saved.geometry is not None and not self.restoreGeometry(saved.geometry):
            self.resize(*DEFAULT_SIZE)
        if saved.state is not None and self.restoreState(saved.state, LAYOUT_VERSION):
            return True
        self.reset_layout()
        return False

    def set_layout_saving(self, enabled: bool) -> None:
        """Choose whether closing the window saves its layout (off for screenshots, benchmarks)."""
        self._save_layout_on_close = enabled and self._layout_store is not None

    def save_layout(self) -> None:
        """Write the geometry and dock layout to the layout store (if the window has one)."""
        if self._layout_store is not None:
            self._layout_store.save(self.saveGeometry(), self.saveState(LAYOUT_VERSION))

    # --- date control ------------------------------------------------------------------------

    def set_sessions(self, sessions: Sequence[date]) -> None:
        """Offer these sessions (ascending) in the date control and enable it."""
        self._sessions = list(sessions)
        if not self._sessions:
            self._set_date_controls_enabled(False)
            return
        self._date_edit.setSpecialValueText("")
        self._date_edit.setDateRange(to_qdate(self._sessions[0]), to_qdate(self._sessions[-1]))
        self._set_date_controls_enabled(True)

    def session_on_or_before(self, day: date) -> date | None:
        """Return the offered session on `day` or the last one before it (None if none)."""
        i = bisect.bisect_right(self._sessions, day) - 1
        return self._sessions[i] if i >= 0 else None

    def step_session(self, offset: int) -> None:
        """Request the session `offset` sessions from the one shown (clamped to the history)."""
        if not self._sessions or self._as_of is None:
            return
        i = bisect.bisect_left(self._sessions, self._as_of)
        target = self._sessions[max(0, min(len(self._sessions) - 1, i + offset))]
        if target != self._as_of:
            self.request_date(target)

    def request_date(self, day: date) -> None:
        """Ask the terminal to show a session (snapped to the session on or before `day`)."""
        session = self.session_on_or_before(day) or (self._sessions[0] if self._sessions else None)
        if session is None:
            return
        self._date_edit.setDate(to_qdate(session))
        self.sig_date_requested.emit(session)

    def _on_go(self) -> None:
        self.request_date(from_qdate(self._date_edit.date()))

    def set_as_of(self, day: date) -> None:
        """Show the session the panels now display (date box and status bar)."""
        self._as_of = day
        self._date_edit.setDate(to_qdate(day))
        self._date_label.setText(f"as of {day.isoformat()} close")
        self._previous.setEnabled(bool(self._sessions) and day > self._sessions[0])
        self._next.setEnabled(bool(self._sessions) and day < self._sessions[-1])

    @property
    def as_of(self) -> date | None:
        """Return the session the panels show."""
        return self._as_of

    def _set_date_controls_enabled(self, enabled: bool) -> None:
        for widget in (self._date_edit, self._previous, self._next, self._go):
            widget.setEnabled(enabled)

    # --- status bar --------------------------------------------------------------------------

    def set_data_source(self, text: str) -> None:
        """Show where the data comes from (e.g. ``bundled history, chains MODELLED``)."""
        self._source_label.setText(f"data: {text}")

    def set_session_status(self, broker: str, account: str, replay: str) -> None:
        """Show the broker connection, the account kind (PAPER / LIVE) and the replay time."""
        self._broker_label.setText(broker)
        self._account_label.setText(account)
        self._replay_label.setText(replay)

    def session_status(self) -> tuple[str, str, str]:
        """Return the broker, account and replay texts of the status bar."""
        return self._broker_label.text(), self._account_label.text(), self._replay_label.text()

    def set_date_text(self, text: str) -> None:
        """Show the time the panels stand at in the date field of the status bar (live mode)."""
        self._date_label.setText(text)

    def set_broker_actions(self, can_connect: bool, can_disconnect: bool) -> None:
        """Enable the Broker menu's entries."""
        self._connect_action.setEnabled(can_connect)
        self._disconnect_action.setEnabled(can_disconnect)

    def set_browsing(self, enabled: bool) -> None:
        """Show or hide the date toolbar (hidden in a replay: the replay clock sets the date)."""
        self.findChild(QToolBar, "dateToolbar").setVisible(enabled)

    def show_activity(self, text: str) -> None:
        """Show what the terminal is doing (warming up, loading, ready)."""
        self._activity_label.setText(text)

    def activity_text(self) -> str:
        """Return the activity line shown in the status bar."""
        return self._activity_label.text()

    def source_text(self) -> str:
        """Return the data-source line shown in the status bar."""
        return self._source_label.text()

    # --- events ------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint, and report the first paint once (start-up measurement)."""
        super().paintEvent(event)
        if not self._first_painted:
            self._first_painted = True
            self.sig_first_painted.emit(time.time())

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the layout (unless turned off), then close."""
        if self._save_layout_on_close:
            self.save_layout()
        super().closeEvent(event)
        self.sig_closed.emit()
