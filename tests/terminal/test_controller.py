"""The terminal feeding both panels: start-up, date changes, expiry changes, errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QToolButton
from pytestqt.qtbot import QtBot

from engine.data.history import MarketHistory, load_history
from engine.errors import InputError
from terminal.controller import TerminalController
from terminal.docks import default_docks
from terminal.kernels import WarmupOutcome, no_warmup
from terminal.main_window import MainWindow
from terminal.snapshots import DaySnapshot, EngineServices, load_engine_services
from tests.terminal.async_support import run_on_qt_loop
from widgets.chart_panel import DAY, session_time

FIRST, SECOND = date(2008, 10, 10), date(2008, 10, 14)


@pytest.fixture(scope="module")
def history() -> MarketHistory:
    return load_history()


@pytest.fixture(scope="module")
def services(history: MarketHistory) -> EngineServices:
    return load_engine_services(history)


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    main_window = MainWindow(default_docks(), None)
    qtbot.addWidget(main_window)
    main_window.show()
    return main_window


def make_controller(window: MainWindow, history: MarketHistory, services: EngineServices,
                    warm=no_warmup) -> TerminalController:
    return TerminalController(window, lambda: history, warm, lambda _: services)


def assert_panels_show(controller: TerminalController, history: MarketHistory, day: date) -> None:
    chart, chain = controller.chart_panel, controller.chain_panel
    assert chain.as_of() == day
    assert chart.last_x() == session_time(day)
    assert chart.plotted_x_max() <= session_time(day) + 0.5 * DAY  # nothing after the day
    assert chart.series.close[-1] == history.frame["spx_close"].iloc[history.position_of(day)]


def test_start_fills_both_panels(window: MainWindow, history: MarketHistory,
                                 services: EngineServices) -> None:
    controller = make_controller(window, history, services)

    async def scenario() -> date:
        try:
            return await controller.start(FIRST)
        finally:
            await controller.aclose()

    assert run_on_qt_loop(scenario()) == FIRST
    assert_panels_show(controller, history, FIRST)
    chain = controller.chain_panel
    assert chain.is_badge_visible()
    model = chain.model
    atm = model.index(model.atm_row, 0)
    assert model.data(atm, Qt.ItemDataRole.BackgroundRole) is not None
    assert chain.model.chain_slice.is_modelled
    assert 30 <= chain.model.chain_slice.dte <= 60
    assert window.source_text() == "data: bundled history, chains MODELLED"
    assert window.as_of == FIRST
    assert controller.chart_panel.series.has_indicators


def test_changing_the_date_moves_both_panels(qtbot: QtBot, window: MainWindow, history: MarketHistory,
                                             services: EngineServices) -> None:
    controller = make_controller(window, history, services)

    async def scenario() -> None:
        try:
            await controller.start(FIRST)
            window.request_date(SECOND)
            await controller.wait_idle()
            assert_panels_show(controller, history, SECOND)
            next_button = next(b for b in window.findChildren(QToolButton) if b.text() == "▶")
            qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
            await controller.wait_idle()
        finally:
            await controller.aclose()

    run_on_qt_loop(scenario())
    assert_panels_show(controller, history, date(2008, 10, 15))
    assert window.as_of == date(2008, 10, 15)


def test_picked_expiry_is_shown_and_kept_across_dates(window: MainWindow, history: MarketHistory,
                                                      services: EngineServices) -> None:
    controller = make_controller(window, history, services)
    box = controller.chain_panel.findChild(QComboBox, "expirySelector")

    async def scenario() -> None:
        try:
            await controller.start(FIRST)
            box.setCurrentIndex(box.count() - 1)  # the farthest expiry
            await controller.wait_idle()
            window.request_date(SECOND)
            await controller.wait_idle()
        finally:
            await controller.aclose()

    run_on_qt_loop(scenario())
    farthest = box.itemData(box.count() - 1)
    assert controller.chain_panel.model.chain_slice.expiry == farthest.expiry
    assert controller.chain_panel.as_of() == SECOND


def test_date_outside_the_history_is_an_input_error(window: MainWindow, history: MarketHistory,
                                                    services: EngineServices) -> None:
    controller = make_controller(window, history, services)

    async def scenario() -> None:
        try:
            await controller.start(date(1989, 6, 1))
        finally:
            await controller.aclose()

    with pytest.raises(InputError, match="1989-06-01"):
        run_on_qt_loop(scenario())


def test_failed_warm_up_still_shows_the_data(window: MainWindow, history: MarketHistory,
                                             services: EngineServices) -> None:
    async def failing() -> WarmupOutcome:
        return WarmupOutcome(False, 0.1, "warm-up failed (exit 1): boom")

    controller = make_controller(window, history, services, failing)

    async def scenario() -> None:
        try:
            await controller.start(FIRST)
        finally:
            await controller.aclose()

    run_on_qt_loop(scenario())
    assert controller.chain_panel.as_of() == FIRST
    assert "boom" in window.activity_text()


def test_rapid_requests_end_on_the_last_one(window: MainWindow, history: MarketHistory,
                                            services: EngineServices) -> None:
    controller = make_controller(window, history, services)
    shown: list[date] = []

    async def scenario() -> None:
        try:
            await controller.start(FIRST)
            original = controller._apply

            def recording(snapshot: DaySnapshot) -> None:  # count what reached the panels
                shown.append(snapshot.day)
                original(snapshot)

            controller._apply = recording
            for day in (date(2008, 10, 13), date(2008, 10, 14), date(2008, 10, 15), date(2008, 10, 16)):
                controller.request_date(day)
            await controller.wait_idle()
        finally:
            await controller.aclose()

    run_on_qt_loop(scenario())
    assert shown[-1] == date(2008, 10, 16)
    assert len(shown) <= 2  # the first request, then only the latest of the rest
    assert_panels_show(controller, history, date(2008, 10, 16))
