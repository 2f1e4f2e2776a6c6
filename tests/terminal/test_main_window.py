"""The main window: the dock registry, the saved layout and its fallbacks, the date control."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QDate, QSettings, Qt
from PySide6.QtWidgets import QDateEdit, QLabel, QPushButton
from pytestqt.qtbot import QtBot

from terminal.docks import CHAIN, CHART, LAYOUT_VERSION, LayoutStore, config_directory, default_docks
from terminal.main_window import MainWindow
from widgets.chain_panel import ChainPanel
from widgets.chart_panel import ChartPanel

LEFT, RIGHT, BOTTOM = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                       Qt.DockWidgetArea.BottomDockWidgetArea)
SESSIONS = [date(2008, 10, 8), date(2008, 10, 9), date(2008, 10, 10), date(2008, 10, 13)]


def open_window(qtbot: QtBot, store: LayoutStore | None = None, restore: bool = False) -> MainWindow:
    window = MainWindow(default_docks(), store)
    qtbot.addWidget(window)
    if restore:
        window.restore_layout()
    window.show()
    qtbot.waitExposed(window)
    return window


def test_config_directory_follows_the_environment(isolated_config: Path) -> None:
    assert config_directory() == isolated_config
    assert LayoutStore().path == isolated_config / "layout.ini"


def test_window_opens_with_every_registered_dock(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    registry = default_docks()
    assert window.dock_names() == tuple(spec.name for spec in registry)
    assert set(window.dock_names()) >= {CHAIN, CHART, "candidates", "positions", "orders", "greeks", "regime",
                                        "breaker", "equity", "risk_graph", "smile", "log", "replay"}
    for spec in registry:
        dock = window.dock(spec.name)
        assert dock.objectName() == spec.name
        assert not dock.isFloating()
        assert window.dockWidgetArea(dock) == spec.default_area
        if spec.tab_with:  # a tab of its group: behind the group's first dock until picked
            assert dock in window.tabifiedDockWidgets(window.dock(spec.tab_with))
        else:
            assert dock.isVisible()
    assert isinstance(window.panel(CHAIN), ChainPanel)
    assert isinstance(window.panel(CHART), ChartPanel)
    assert window.view_menu_titles == tuple(spec.title for spec in registry)


def test_first_paint_is_reported_once(qtbot: QtBot) -> None:
    window = MainWindow(default_docks(), None)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.sig_first_painted) as blocker:
        window.show()
    assert blocker.args[0] > 0
    with qtbot.assertNotEmitted(window.sig_first_painted):
        window.update()
        qtbot.wait(20)


def test_layout_round_trip(qtbot: QtBot, isolated_config: Path) -> None:
    window = open_window(qtbot, LayoutStore())
    window.addDockWidget(BOTTOM, window.dock(CHART))
    window.dock(CHAIN).hide()
    window.close()  # saves
    assert (isolated_config / "layout.ini").exists()

    again = open_window(qtbot, LayoutStore(), restore=True)
    assert again.dockWidgetArea(again.dock(CHART)) == BOTTOM
    assert not again.dock(CHAIN).isVisible()


@pytest.mark.parametrize("state", [b"garbage, not a Qt state", "old-version"])
def test_unreadable_or_old_layout_falls_back_to_default(qtbot: QtBot, state: object) -> None:
    store = LayoutStore()
    if state == "old-version":
        old = open_window(qtbot)
        old.addDockWidget(BOTTOM, old.dock(CHART))
        store.save(old.saveGeometry(), old.saveState(LAYOUT_VERSION - 1))
    else:
        store.save(QByteArray(b"junk"), QByteArray(state))
    window = MainWindow(default_docks(), store)
    qtbot.addWidget(window)
    assert window.restore_layout() is False
    window.show()
    assert window.dockWidgetArea(window.dock(CHAIN)) == LEFT
    assert window.dockWidgetArea(window.dock(CHART)) == RIGHT
    assert window.dock(CHART).isVisible()


def test_layout_file_with_wrong_types_is_ignored(qtbot: QtBot) -> None:
    store = LayoutStore()
    store.directory.mkdir(parents=True)
    settings = QSettings(str(store.path), QSettings.Format.IniFormat)
    settings.setValue("window/state", "not bytes")
    settings.sync()
    window = MainWindow(default_docks(), store)
    qtbot.addWidget(window)
    assert window.restore_layout() is False


def test_screenshot_windows_do_not_save(qtbot: QtBot, isolated_config: Path) -> None:
    window = open_window(qtbot, LayoutStore())
    window.set_layout_saving(False)
    window.close()
    assert not (isolated_config / "layout.ini").exists()


def test_date_control_offers_only_history_sessions(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    window.set_sessions(SESSIONS)
    window.set_as_of(date(2008, 10, 10))
    with qtbot.waitSignal(window.sig_date_requested) as blocker:
        window.step_session(+1)
    assert blocker.args == [date(2008, 10, 13)]
    with qtbot.waitSignal(window.sig_date_requested) as blocker:
        window.step_session(-1)
    assert blocker.args == [date(2008, 10, 9)]
    with qtbot.waitSignal(window.sig_date_requested) as blocker:
        window.request_date(date(2008, 10, 12))  # a Sunday: the Friday before
    assert blocker.args == [date(2008, 10, 10)]
    window.set_as_of(date(2008, 10, 13))
    with qtbot.assertNotEmitted(window.sig_date_requested):
        window.step_session(+1)  # the last session: nowhere to go


def test_go_button_requests_the_typed_date(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    window.set_sessions(SESSIONS)
    window.set_as_of(date(2008, 10, 13))
    assert window.findChild(QLabel, "dateLabel").text() == "as of 2008-10-13 close"
    window.findChild(QDateEdit, "dateEdit").setDate(QDate(2008, 10, 9))
    with qtbot.waitSignal(window.sig_date_requested) as blocker:
        qtbot.mouseClick(window.findChild(QPushButton, "goButton"), Qt.MouseButton.LeftButton)
    assert blocker.args == [date(2008, 10, 9)]
