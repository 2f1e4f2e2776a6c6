"""The terminal's live mode against a FakeTws on loopback, with ib_async as the real client.

Broker ▸ Connect… opens the connect dialog; the trader types the fake's port and presses Connect;
the status bar then names the link (``IB · paper · DU1234567 · connected``), the replay's desk is
replaced by a live one, and what TWS says reaches the dialog, the log panel and the status bar as
readable sentences. With the fake scripted with the 2015-01-16 close (tests/fake_tws/model_world.py)
and the live clock parked at 15:59:50 that day, the chain panel shows the fake's SPX quotes and the
runner's 16:00 close step proposes the strategy's candidate in the candidates panel.
"""

from __future__ import annotations

import asyncio
import math
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import SIGNAL, Qt
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QLabel, QPushButton, QSpinBox, QTextEdit
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from engine.clock import MARKET_TZ
from engine.data.history import MarketHistory, load_history
from engine.model import DataSource
from engine.model.connection import IbSettings
from engine.model.desk import ConnectionView
from terminal import docks
from terminal.cli import _window_options, build_parser, main
from terminal.desk_bridge import DeskBridge, live_status
from terminal.live_mode import LiveMode, LiveOptions
from terminal.live_setup import LiveTime, history_before, log_text, parse_as_of
from terminal.main_window import MainWindow
from terminal.replay_setup import ReplayPlan, open_terminal_replay
from tests.fake_tws.model_world import INDEX_IDS, script_model_day
from tests.fake_tws.protocol import Incoming
from tests.fake_tws.server import PAPER_ACCOUNT, FakeTws
from tests.terminal.async_support import run_on_qt_loop
from tests.waiting import until
from widgets.chain_table_model import COLUMNS
from widgets.connect_dialog import ConnectDialog

pytestmark = pytest.mark.timeout(120)

SIGNAL_DAY = date(2015, 1, 16)
BEFORE_CLOSE = datetime(2015, 1, 16, 15, 59, 50, tzinfo=MARKET_TZ)
CANDIDATE = "C-SPX-2015-01-16"
CONNECTED = f"IB · paper · {PAPER_ACCOUNT} · connected"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def history() -> MarketHistory:
    """Return the bundled history (loaded once)."""
    return load_history()


@pytest.fixture
def window(qtbot: QtBot, isolated_config: Path) -> MainWindow:
    """Return the terminal's main window, shown (no saved layout: the test's directories)."""
    main = MainWindow(docks.default_docks())
    qtbot.addWidget(main)
    main.resize(1366, 768)
    main.show()
    return main


def live_mode(window: MainWindow, history: MarketHistory, tmp_path: Path,
              replay: DeskBridge | None = None, as_of: datetime = BEFORE_CLOSE) -> LiveMode:
    """Return live mode on the window: the clock parked at `as_of`, journals under `tmp_path`."""
    options = LiveOptions(IbSettings(timeout_s=5.0), as_of, tmp_path / "live", backoff_s=(0.05, 0.1))
    return LiveMode(window, history, replay, None, options)


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an async scenario on the qasync loop, as the terminal runs."""
    run_on_qt_loop(scenario())




def script_index(tws: FakeTws) -> None:
    """List SPX and the VIX family with last prices: enough for today's bar (no options: an empty chain)."""
    for (symbol, con_id), level in zip(INDEX_IDS.items(), (2019.42, 20.95, 19.4, 21.8), strict=True):
        tws.add_index(symbol, con_id)
        tws.set_quote(con_id, None, None, last=level)


def free_port() -> int:
    """Return a loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def open_dialog_from_menu(window: MainWindow) -> ConnectDialog:
    """Choose Broker ▸ Connect to Interactive Brokers… and return the dialog it shows."""
    action = window.findChild(QAction, "brokerConnectAction")
    assert action is not None
    assert action.isEnabled()
    action.trigger()
    dialog = window.findChild(ConnectDialog, "connectDialog")
    assert dialog is not None
    assert dialog.isVisible()
    assert not dialog.isModal()  # a modal dialog's nested loop would re-enter asyncio
    return dialog


def type_port_and_connect(qtbot: QtBot, dialog: ConnectDialog, port: int) -> None:
    """Type the port into the dialog as the trader would and press Connect."""
    spin = dialog.findChild(QSpinBox, "connect_port")
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), str(port))
    assert spin.value() == port
    qtbot.mouseClick(dialog.findChild(QPushButton, "connect_button"), Qt.MouseButton.LeftButton)


def dialog_text(dialog: ConnectDialog) -> str:
    """Return the dialog's message list as plain text."""
    return dialog.findChild(QTextEdit, "connect_messages").toPlainText()


def log_texts(window: MainWindow) -> list[str]:
    """Return the log panel's lines as shown."""
    return window.panel(docks.LOG).visible_texts()


# --- pure parts ----------------------------------------------------------------------------------


def test_as_of_is_new_york_time_when_naive_and_the_live_time_runs_on_from_it() -> None:
    moment = parse_as_of("2015-01-16T15:59:30")
    assert moment == datetime(2015, 1, 16, 15, 59, 30, tzinfo=MARKET_TZ)
    assert parse_as_of("2015-01-16T20:59:30+00:00") == moment
    start, later = (datetime(2026, 1, 1, 9, 0, second, tzinfo=MARKET_TZ) for second in (0, 25))
    walls = iter([start, later])
    time = LiveTime(moment, wall=lambda: next(walls))
    assert time.now() == datetime(2015, 1, 16, 15, 59, 55, tzinfo=MARKET_TZ)


def test_history_before_a_live_day_ends_at_the_previous_session(history: MarketHistory) -> None:
    assert history_before(history, SIGNAL_DAY).last_date == date(2015, 1, 15)
    assert history_before(history, date(2015, 1, 20)).last_date == date(2015, 1, 16)  # MLK day between
    beyond = history.last_date.replace(year=history.last_date.year + 2)
    assert history_before(history, beyond).last_date == history.last_date


def test_live_status_names_broker_kind_account_state_and_the_live_clock() -> None:
    view = ConnectionView("IB", "paper", True, "DU1234567 · delayed data")
    broker, account, clock = live_status(view, BEFORE_CLOSE)
    assert broker == "IB · paper · DU1234567 · delayed data · connected"
    assert account == "account: PAPER"
    assert clock == "live: 2015-01-16 15:59:50 ET"
    live = live_status(ConnectionView("IB", "live", False, "U7654321"), None)
    assert live == ("IB · LIVE · U7654321 · disconnected", "account: LIVE", "live: —")


def test_only_warnings_errors_and_the_links_own_notes_are_logged() -> None:
    from engine.brokers.ib.connection import TimedMessage
    from engine.brokers.ib.errors import BrokerMessage, Severity, describe_ib_message

    at = BEFORE_CLOSE
    assert log_text(TimedMessage(at, describe_ib_message(2104, "Market data farm connection is OK"))) is None
    error = log_text(TimedMessage(at, describe_ib_message(354, "not subscribed", 7)))
    assert error == "[IB ERROR] No market data permission for this contract: subscribe in Account " \
                    "Management, or use delayed data (IB 354)"
    own = BrokerMessage(0, Severity.INFO, "Connected to TWS")
    assert log_text(TimedMessage(at, own)) == "[IB] Connected to TWS"


# --- the dialog and the status bar -------------------------------------------------------------


def test_connect_from_the_menu_shows_the_paper_account_and_replaces_the_replay(
        qtbot: QtBot, window: MainWindow, history: MarketHistory, tmp_path: Path) -> None:
    plan = ReplayPlan(date(2015, 1, 2), date(2015, 1, 30), date(2015, 1, 13), tmp_path / "replay.sqlite")
    replay = DeskBridge(window, open_terminal_replay(history, plan), plan.first, plan.last, "replay",
                        ConnectionView("paper", "paper", True))
    replay.refresh()
    replay.flush()
    assert window.session_status()[0] == "broker: paper connected"
    live = live_mode(window, history, tmp_path, replay)

    async def scenario() -> None:
        async with FakeTws() as tws:
            script_index(tws)
            try:
                dialog = open_dialog_from_menu(window)
                type_port_and_connect(qtbot, dialog, tws.port)
                await until(lambda: live.bridge is not None and live.bridge.live, "the live desk")
                await until(lambda: window.session_status()[0] == CONNECTED, "the status bar")
                assert dialog.state() == "connected"
                assert live.live.connection.loop is asyncio.get_running_loop()  # ib_async on the qasync loop
                assert dialog.findChild(QLabel, "connect_state").text() == "Connected to DU1234567 (paper)"
                assert window.session_status()[1] == "account: PAPER"
                assert window.session_status()[2].startswith("live: 2015-01-16 15:5")
                assert f"Connected to TWS at 127.0.0.1:{tws.port}" in dialog_text(dialog)
                await until(lambda: any(f"[IB] Connected to TWS at 127.0.0.1:{tws.port}" in line
                                        for line in log_texts(window)), "the connection in the log")
                # the replay is gone: its menu, its controls, its journal
                titles = [action.text() for action in window.menuBar().actions()]
                assert "&Replay" not in titles
                assert titles.count("&Trade") == 1
                assert not window.dock(docks.REPLAY).isVisible()
                assert live.replay is None
                assert not isValid(replay)  # stopped and deleted, its intents unwired:
                assert window.panel(docks.REPLAY).receivers(SIGNAL("sig_play_requested()")) == 0
                candidates = window.panel(docks.CANDIDATES)
                assert candidates.receivers(SIGNAL("sig_approve_requested(PyObject)")) == 1  # the live desk
                assert window.findChild(QAction, "brokerDisconnectAction").isEnabled()
                assert not window.findChild(QAction, "brokerConnectAction").isEnabled()
                assert (tmp_path / "live").is_dir()
                # Disconnect: the link closes, the status bar says so
                window.findChild(QAction, "brokerDisconnectAction").trigger()
                await until(lambda: window.session_status()[0].endswith("· disconnected"), "disconnected")
                assert dialog.state() == "disconnected"
                await until(lambda: tws.client_count == 0, "the fake to see the client go")
            finally:
                await live.aclose()

    run(scenario)


def test_a_pushed_354_reaches_the_dialog_the_log_panel_and_the_status_bar_readably(
        qtbot: QtBot, window: MainWindow, history: MarketHistory, tmp_path: Path) -> None:
    live = live_mode(window, history, tmp_path)
    sentence = ("No market data permission for this contract: subscribe in Account Management, "
                "or use delayed data (IB 354)")

    async def scenario() -> None:
        async with FakeTws() as tws:
            script_index(tws)
            try:
                assert await live.connect_broker(IbSettings(port=tws.port, timeout_s=5.0))
                dialog = live.dialog
                request = int(tws.requests(Incoming.REQ_MKT_DATA)[0][2])
                tws.send_error(354, "Requested market data is not subscribed.", request)
                await until(lambda: sentence in dialog_text(dialog), "the sentence in the dialog")
                await until(lambda: any(sentence in line for line in log_texts(window)), "the log panel")
                line = next(line for line in log_texts(window) if sentence in line)
                assert line.startswith("2015-01-16 15:5")  # the live clock's time, not the wall's
                assert "[IB ERROR]" in line
                assert f"IB: {sentence}" in window.activity_text()
                # the feed asks for delayed data: the status bar says so
                delayed = f"IB · paper · {PAPER_ACCOUNT} · delayed data · connected"
                await until(lambda: window.session_status()[0] == delayed, "delayed data in the status bar")
            finally:
                await live.aclose()

    run(scenario)


def test_a_wrong_port_leaves_the_dialog_saying_why_and_nothing_else_changes(
        qtbot: QtBot, window: MainWindow, history: MarketHistory, tmp_path: Path) -> None:
    live = live_mode(window, history, tmp_path)
    window.set_session_status("broker: paper connected", "account: PAPER", "replay: 2015-01-13 16:00 ET")

    async def scenario() -> None:
        try:
            dialog = open_dialog_from_menu(window)
            port = free_port()
            type_port_and_connect(qtbot, dialog, port)
            await until(lambda: "Could not reach TWS" in dialog_text(dialog), "the failure in the dialog")
            await until(lambda: dialog.state() == "disconnected" and live.link is None, "the state back")
            assert f"Could not reach TWS at 127.0.0.1:{port} (client 17)" in dialog_text(dialog)
            assert dialog.findChild(QPushButton, "connect_button").isEnabled()  # try again
            assert live.live is None
            assert live.bridge is None
            assert window.session_status() == ("broker: paper connected", "account: PAPER",
                                               "replay: 2015-01-13 16:00 ET")
            assert window.findChild(QAction, "brokerConnectAction").isEnabled()
            assert not (tmp_path / "live").exists()  # no journal was opened
        finally:
            await live.aclose()

    run(scenario)


def test_a_failed_connect_at_start_opens_the_dialog_saying_why(
        qtbot: QtBot, window: MainWindow, history: MarketHistory, tmp_path: Path) -> None:
    """``optimus --ib HOST:PORT`` with nothing listening there: the dialog opens and says why."""
    live = live_mode(window, history, tmp_path)
    port = free_port()

    async def scenario() -> None:
        try:
            assert not live.dialog.isVisible()
            live.request_connect(IbSettings(port=port, client_id=3, timeout_s=5.0), ask_on_failure=True)
            await until(live.dialog.isVisible, "the dialog")
            assert f"Could not reach TWS at 127.0.0.1:{port} (client 3)" in dialog_text(live.dialog)
            assert live.last_error.startswith(f"Could not reach TWS at 127.0.0.1:{port}")
            assert live.dialog.state() == "disconnected"
        finally:
            await live.aclose()

    run(scenario)


def test_a_dropped_link_reconnects_by_itself_and_a_new_connect_after_disconnect_takes_the_desk(
        qtbot: QtBot, window: MainWindow, history: MarketHistory, tmp_path: Path) -> None:
    live = live_mode(window, history, tmp_path)

    async def scenario() -> None:
        async with FakeTws() as tws:
            script_index(tws)
            try:
                assert await live.connect_broker(IbSettings(port=tws.port, timeout_s=5.0))
                first = live.live
                tws.drop_connections()
                await until(lambda: any("Reconnected to TWS" in line for line in log_texts(window)),
                            "the reconnect in the log")
                assert any("[IB ERROR] Lost the connection to TWS" in line for line in log_texts(window))
                await until(lambda: window.session_status()[0] == CONNECTED, "the status bar back")
                assert live.live is first  # the same session: the link came back under it
                # Disconnect, then Connect again from the dialog: a new session takes the desk
                window.findChild(QAction, "brokerDisconnectAction").trigger()
                await until(lambda: live.dialog.state() == "disconnected", "disconnected")
                dialog = open_dialog_from_menu(window)
                type_port_and_connect(qtbot, dialog, tws.port)
                await until(lambda: live.live is not first and window.session_status()[0] == CONNECTED,
                            "the second session")
                titles = [action.text() for action in window.menuBar().actions()]
                assert titles.count("&Trade") == 1
                approvals = SIGNAL("sig_approve_requested(PyObject)")
                assert window.panel(docks.CANDIDATES).receivers(approvals) == 1  # one desk wired
                await until(lambda: tws.client_count == 1, "only the new link at the fake")
            finally:
                await live.aclose()

    run(scenario)


# --- the modelled world: chain and candidate --------------------------------------------------------


def test_the_chain_shows_the_fakes_quotes_and_the_close_proposes_the_candidate(
        qtbot: QtBot, window: MainWindow, history: MarketHistory, tmp_path: Path) -> None:
    live = live_mode(window, history, tmp_path, as_of=BEFORE_CLOSE)

    async def scenario() -> None:
        async with FakeTws() as tws:
            world = script_model_day(tws, history, SIGNAL_DAY)
            try:
                assert await live.connect_broker(IbSettings(port=tws.port, timeout_s=5.0)), live.last_error
                shown = await live.wait_chain()
                chain_panel = window.panel(docks.CHAIN)
                assert chain_panel.model.chain_slice is shown
                assert shown.source is DataSource.QUOTED
                assert not chain_panel.is_badge_visible()  # not MODELLED: quoted
                assert window.dock(docks.CHAIN).windowTitle() == "Option chain · IB quoted"
                assert "chains QUOTED" in window.source_text()
                target = live.live.feed.targets[0]
                assert chain_panel.shown_expiry() == target.expiry
                scripted = world.slices[target]
                _assert_cells_equal_the_fakes(chain_panel, shown, scripted)
                await until(lambda: any(v.candidate.candidate_id == CANDIDATE
                                        for v in window.panel(docks.CANDIDATES).model.views),
                            "the candidate of the 16:00 close", patience=40.0)
                assert live.live.session.cursor() == datetime(2015, 1, 16, 16, 0, tzinfo=MARKET_TZ)
                # the streamed chains are recorded into the live journal's store as they come
                store = live.live.journal.store
                await until(lambda: len(store.chain_times("SPX", DataSource.RECORDED)) >= 1, "a recording")
            finally:
                await live.aclose()

    run(scenario)


def _assert_cells_equal_the_fakes(panel: Any, shown: Any, scripted: Any) -> None:
    """Check the bid/ask cells of the streamed strikes show the fake's quotes, put side and call side."""
    model = panel.model
    columns = {(column.side.value, column.field): i for i, column in enumerate(COLUMNS)}
    checked = 0
    for row in range(model.rowCount()):
        strike = model.strike_at(row)
        k = list(scripted.strikes).index(strike)
        for side, quotes, scripted_side in (("put", shown.puts, scripted.puts),
                                            ("call", shown.calls, scripted.calls)):
            j = list(shown.strikes).index(strike)
            if not math.isfinite(float(quotes.bid[j])):
                continue  # the other side of a streamed strike (only the out-of-the-money one streams)
            for field in ("bid", "ask"):
                expected = float(getattr(scripted_side, field)[k])
                assert float(getattr(quotes, field)[j]) == expected
                cell = model.index(row, columns[(side, field)])
                assert model.data(cell) == f"{expected:,.2f}"
            checked += 1
    assert checked >= 10


def test_a_live_account_asks_each_ticket_for_its_own_confirmation(
        qtbot: QtBot, window: MainWindow, history: MarketHistory, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QCheckBox

    from engine.model import CandidateStatus, Order, OrderIntent
    from engine.model.desk import CandidateEdit
    from widgets.order_ticket import OrderTicketDialog

    live = live_mode(window, history, tmp_path, as_of=BEFORE_CLOSE)

    async def scenario() -> None:
        async with FakeTws(account="U7654321") as tws:
            script_model_day(tws, history, SIGNAL_DAY)
            try:
                settings = IbSettings(port=tws.port, timeout_s=5.0, allow_live=True)
                assert await live.connect_broker(settings), live.last_error
                session = live.live.session
                assert session.options.exit_mode == "manual"  # exits wait for the trader's ticket
                assert window.session_status()[1] == "account: LIVE"
                await until(lambda: session.journal.candidate(CANDIDATE) is not None, "the candidate",
                            patience=40.0)
                bridge = live.bridge
                bridge.request_approval(CandidateEdit(CANDIDATE))
                ticket = bridge.dialog
                assert isinstance(ticket, OrderTicketDialog)
                assert ticket.ticket.live_account == "U7654321"
                send = ticket.findChild(QPushButton, "sendButton")
                assert not send.isEnabled()  # not before this order's own confirmation
                ticket.findChild(QCheckBox, "ticketLiveConfirm").setChecked(True)
                send.click()
                await until(lambda: session.journal.candidate(CANDIDATE).status is CandidateStatus.APPROVED,
                            "the approval")
                confirmations = live.live.confirmations
                assert confirmations is not None
                order = Order("O-" + CANDIDATE, "SPX", OrderIntent.OPEN, (), 1, 1.0, BEFORE_CLOSE,
                              BEFORE_CLOSE, "P-SPX-2015-01-16")  # the entry the morning step will send
                assert confirmations(order)  # the confirmed position's next order may leave, once
                assert not confirmations(order)
            finally:
                await live.aclose()

    run(scenario)


# --- the command line -------------------------------------------------------------------------------


def test_ib_options_parse_into_connection_settings_and_bad_ones_exit_naming_them(
        capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    arguments = parser.parse_args(["--ib", "127.0.0.1:4002", "--client-id", "5", "--read-only",
                                   "--as-of", "2015-01-16T15:59:30"])
    options = _window_options(parser, arguments)
    assert options.ib == IbSettings("127.0.0.1", 4002, 5, read_only=True)
    assert options.as_of == datetime(2015, 1, 16, 15, 59, 30, tzinfo=MARKET_TZ)
    plain = _window_options(parser, parser.parse_args(["--ib", "localhost:7497"]))
    assert plain.ib == IbSettings("localhost")
    assert _window_options(parser, parser.parse_args([])).ib is None
    for bad, named in ((["--ib", "127.0.0.1"], "127.0.0.1"), (["--ib", "127.0.0.1:99999"], "99999"),
                       (["--ib", "h:7497", "--client-id", "-1"], "-1"), (["--as-of", "16:00"], "16:00"),
                       (["--read-only"], "--ib")):
        with pytest.raises(SystemExit) as exit_info:
            main(bad)
        assert exit_info.value.code == 2
        assert named in capsys.readouterr().err


def test_optimus_ib_screenshot_against_the_served_model_day(tmp_path: Path) -> None:
    """``serve_model_day`` and ``optimus --ib ... --screenshot`` as a trader (or the docs) runs them."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OPTIMUS_CONFIG_DIR=str(tmp_path / "config"),
               OPTIMUS_DATA_DIR=str(tmp_path / "data"))
    server = subprocess.Popen([sys.executable, "-m", "tests.fake_tws.serve_model_day", "--port", "0",
                               "--day", "2015-01-16"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        first = server.stdout.readline().split()
        assert first[:1] == ["SERVING"], first
        picture = tmp_path / "ib.png"
        done = subprocess.run([sys.executable, "-m", "terminal", "--ib", f"127.0.0.1:{first[1]}", "--as-of",
                               "2015-01-16T15:59:30", "--size", "1366x768", "--screenshot", str(picture)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        image = QImage(str(picture))
        assert (image.width(), image.height()) == (1366, 768)
        assert not (tmp_path / "data" / "live").exists()  # a screenshot leaves no journal behind
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode == 0  # SIGTERM stops it cleanly
