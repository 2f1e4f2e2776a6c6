"""The IB connect dialog: the settings it shows and hands back, its states and its message list."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette, QTextFragment
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from engine.errors import InputError
from engine.model.connection import IbSettings
from widgets.colors import muted_text, tone
from widgets.connect_dialog import MAX_MESSAGES, ConnectDialog

W = TypeVar("W", bound=QWidget)
NEW_YORK = ZoneInfo("America/New_York")
GIVEN = IbSettings(host="10.0.0.5", port=4002, client_id=42, read_only=True, allow_live=False, timeout_s=3.0)


def child(dialog: ConnectDialog, kind: type[W], name: str) -> W:
    """Return one of the dialog's widgets by object name."""
    found = dialog.findChild(kind, name)
    assert found is not None, name
    return found


def text_color(label: QLabel) -> QColor:
    """Return the colour a label's text is drawn in (its style sheet applied)."""
    label.ensurePolished()
    return label.palette().color(QPalette.ColorRole.WindowText)


def message_lines(dialog: ConnectDialog) -> list[tuple[str, QColor, QColor]]:
    """Return each line of the message list with the colours of its time and of its text."""
    default = dialog.palette().color(QPalette.ColorRole.Text)

    def color(fragment: QTextFragment) -> QColor:
        brush = fragment.charFormat().foreground()
        return brush.color() if brush.style() != Qt.BrushStyle.NoBrush else default

    block = child(dialog, QTextEdit, "connect_messages").document().firstBlock()
    lines = []
    while block.isValid():
        fragments = []
        it = block.begin()
        while not it.atEnd():
            fragments.append(it.fragment())
            it += 1
        lines.append((block.text(), color(fragments[0]), color(fragments[-1])))
        block = block.next()
    return lines


def tick(qtbot: QtBot, box: QCheckBox) -> None:
    """Click a check box on its indicator (its middle may be empty space in a wide form column)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))


def at(hour: int, minute: int, second: int) -> datetime:
    """Return a time of 2024-03-08 in New York."""
    return datetime(2024, 3, 8, hour, minute, second, tzinfo=NEW_YORK)


@pytest.fixture
def dialog(qtbot: QtBot) -> ConnectDialog:
    widget = ConnectDialog(GIVEN)
    qtbot.addWidget(widget)  # closed and deleted when the test ends
    widget.show()
    return widget


def test_shows_the_given_settings(dialog: ConnectDialog) -> None:
    assert child(dialog, QLineEdit, "connect_host").text() == "10.0.0.5"
    assert child(dialog, QSpinBox, "connect_port").value() == 4002
    assert child(dialog, QComboBox, "connect_port_preset").currentText() == "Gateway paper 4002"
    assert child(dialog, QSpinBox, "connect_client_id").value() == 42
    assert child(dialog, QCheckBox, "connect_read_only").isChecked()
    assert not child(dialog, QCheckBox, "connect_allow_live").isChecked()
    assert child(dialog, QLabel, "connect_state").text() == "Disconnected"
    assert dialog.settings() == GIVEN


def test_the_port_presets_offer_tws_and_gateway(qtbot: QtBot) -> None:
    dialog = ConnectDialog(IbSettings())
    qtbot.addWidget(dialog)
    presets = child(dialog, QComboBox, "connect_port_preset")
    labels = [presets.itemText(i) for i in range(presets.count())]
    assert labels == ["TWS paper 7497", "TWS live 7496", "Gateway paper 4002", "Gateway live 4001", "Custom"]
    assert presets.currentText() == "TWS paper 7497"  # the engine's default port


def test_a_preset_sets_the_port_and_a_typed_port_picks_its_preset(dialog: ConnectDialog) -> None:
    presets = child(dialog, QComboBox, "connect_port_preset")
    port = child(dialog, QSpinBox, "connect_port")
    presets.setCurrentIndex(presets.findText("TWS live 7496"))
    assert port.value() == 7496
    port.setValue(4001)
    assert presets.currentText() == "Gateway live 4001"
    port.setValue(7500)
    assert presets.currentText() == "Custom"
    presets.setCurrentIndex(presets.findText("TWS paper 7497"))
    assert port.value() == 7497
    presets.setCurrentIndex(presets.findText("Custom"))
    assert port.value() == 7497  # Custom leaves the port to the trader


def test_connect_emits_the_typed_settings(qtbot: QtBot, dialog: ConnectDialog) -> None:
    host = child(dialog, QLineEdit, "connect_host")
    host.selectAll()
    qtbot.keyClicks(host, " gateway.local ")
    port = child(dialog, QSpinBox, "connect_port")
    port.selectAll()
    qtbot.keyClicks(port, "7496")
    client_id = child(dialog, QSpinBox, "connect_client_id")
    client_id.selectAll()
    qtbot.keyClicks(client_id, "2147483647")
    tick(qtbot, child(dialog, QCheckBox, "connect_read_only"))
    tick(qtbot, child(dialog, QCheckBox, "connect_allow_live"))
    with qtbot.waitSignal(dialog.sig_connect, timeout=1000) as connected:
        qtbot.mouseClick(child(dialog, QPushButton, "connect_button"), Qt.MouseButton.LeftButton)
    expected = IbSettings(host="gateway.local", port=7496, client_id=2**31 - 1, read_only=False,
                          allow_live=True, timeout_s=3.0)  # the timeout is not shown: kept as given
    assert connected.args == [expected]
    assert type(connected.args[0]) is IbSettings
    assert child(dialog, QComboBox, "connect_port_preset").currentText() == "TWS live 7496"


def test_enter_in_a_field_connects(qtbot: QtBot, dialog: ConnectDialog) -> None:
    with qtbot.waitSignal(dialog.sig_connect, timeout=1000) as connected:
        qtbot.keyClick(child(dialog, QLineEdit, "connect_host"), Qt.Key.Key_Return)
    assert connected.args == [GIVEN]


def test_an_empty_host_is_reported_in_red_and_nothing_is_emitted(qtbot: QtBot, dialog: ConnectDialog) -> None:
    host = child(dialog, QLineEdit, "connect_host")
    host.setText("   ")
    with pytest.raises(InputError, match="host"):
        dialog.settings()
    with qtbot.assertNotEmitted(dialog.sig_connect):
        qtbot.mouseClick(child(dialog, QPushButton, "connect_button"), Qt.MouseButton.LeftButton)
    state = child(dialog, QLabel, "connect_state")
    assert state.text() == "Cannot connect: host must name a host, e.g. 127.0.0.1"
    assert text_color(state) == tone("red")
    assert dialog.isVisible()
    dialog.set_state("connecting")  # the next state replaces the error
    assert state.text() == "Connecting…"
    assert text_color(state) != tone("red")


def test_set_state_enables_what_each_state_allows(qtbot: QtBot, dialog: ConnectDialog) -> None:
    connect = child(dialog, QPushButton, "connect_button")
    disconnect = child(dialog, QPushButton, "disconnect_button")
    fields = [child(dialog, QLineEdit, "connect_host"), child(dialog, QSpinBox, "connect_port"),
              child(dialog, QSpinBox, "connect_client_id"), child(dialog, QCheckBox, "connect_read_only"),
              child(dialog, QCheckBox, "connect_allow_live")]
    state = child(dialog, QLabel, "connect_state")
    expected = {  # state: (Connect, Disconnect, fields) enabled
        "disconnected": (True, False, True),
        "connecting": (False, False, True),
        "connected": (False, True, False),
        "reconnecting": (False, False, True),
    }
    for name, (can_connect, can_disconnect, can_edit) in expected.items():
        dialog.set_state(name, "DU1234567", True)
        assert (connect.isEnabled(), disconnect.isEnabled()) == (can_connect, can_disconnect), name
        assert [field.isEnabled() for field in fields] == [can_edit] * len(fields), name
        assert dialog.state() == name
    dialog.set_state("connected", "DU1234567", True)
    assert state.text() == "Connected to DU1234567 (paper)"
    with qtbot.waitSignal(dialog.sig_disconnect, timeout=1000):
        qtbot.mouseClick(disconnect, Qt.MouseButton.LeftButton)
    with qtbot.assertNotEmitted(dialog.sig_connect):
        connect.click()  # disabled: a click does nothing


def test_the_state_line_names_the_account_and_its_kind(dialog: ConnectDialog) -> None:
    state = child(dialog, QLabel, "connect_state")
    dialog.set_state("connecting")
    assert state.text() == "Connecting…"
    dialog.set_state("connected", "DU1234567", paper=True)
    assert (state.text(), text_color(state)) == ("Connected to DU1234567 (paper)", tone("green"))
    dialog.set_state("connected", "U123", paper=False)
    assert (state.text(), text_color(state)) == ("Connected to U123 (LIVE)", tone("orange"))
    dialog.set_state("connected", "DU7654321")  # the kind not given: the account id tells
    assert state.text() == "Connected to DU7654321 (paper)"
    dialog.set_state("connected", "U7654321")
    assert state.text() == "Connected to U7654321 (LIVE)"
    dialog.set_state("connected")
    assert state.text() == "Connected"
    dialog.set_state("reconnecting")
    assert state.text() == "Reconnecting…"
    dialog.set_state("disconnected", "U123", paper=False)  # an account is named only while connected
    assert state.text() == "Disconnected"
    with pytest.raises(InputError, match="state='online'"):
        dialog.set_state("online")


def test_messages_show_time_and_text_newest_last_coloured_by_severity(dialog: ConnectDialog) -> None:
    dialog.add_message(at(9, 30, 5), "Connecting to 127.0.0.1:7497 as client 17.", "info")
    dialog.add_message(at(9, 30, 6), "Market data farm connection is broken: usfarm.", "warning")
    dialog.add_message(at(9, 30, 15), "TWS did not answer within 10 seconds.", "error")
    lines = message_lines(dialog)
    assert [text for text, _, _ in lines] == ["09:30:05  Connecting to 127.0.0.1:7497 as client 17.",
                                           "09:30:06  Market data farm connection is broken: usfarm.",
                                           "09:30:15  TWS did not answer within 10 seconds."]
    info, warning, error = (text_color for _, _, text_color in lines)
    assert error == tone("red")
    assert warning == tone("amber")
    assert info == dialog.palette().color(QPalette.ColorRole.Text)
    assert {time_color.name() for _, time_color, _ in lines} == {muted_text().name()}
    assert child(dialog, QTextEdit, "connect_messages").isReadOnly()
    with pytest.raises(InputError, match="severity"):
        dialog.add_message(at(9, 31, 0), "?", "fatal")


def test_the_message_list_keeps_the_newest_lines(dialog: ConnectDialog) -> None:
    for second in range(MAX_MESSAGES + 5):
        dialog.add_message(at(10, second // 60, second % 60), f"message {second}", "info")
    texts = [text for text, _, _ in message_lines(dialog)]
    assert len(texts) == MAX_MESSAGES
    assert texts[0] == "10:00:05  message 5"
    assert texts[-1] == f"10:08:24  message {MAX_MESSAGES + 4}"


def test_the_live_warning_shows_only_while_live_is_allowed(qtbot: QtBot, dialog: ConnectDialog) -> None:
    warning = child(dialog, QLabel, "connect_live_warning")
    allow_live = child(dialog, QCheckBox, "connect_allow_live")
    assert not warning.isVisible()
    tick(qtbot, allow_live)
    assert warning.isVisible()
    assert "every order to a live account will ask for its own confirmation" in warning.text().lower()
    assert text_color(warning) == tone("amber")
    tick(qtbot, allow_live)
    assert not warning.isVisible()


def test_given_live_trading_shows_the_warning_at_once(qtbot: QtBot) -> None:
    dialog = ConnectDialog(IbSettings(allow_live=True))
    qtbot.addWidget(dialog)
    dialog.show()
    assert child(dialog, QLabel, "connect_live_warning").isVisible()


def test_close_hides_without_connecting_or_disconnecting(qtbot: QtBot, dialog: ConnectDialog) -> None:
    with qtbot.assertNotEmitted(dialog.sig_connect), qtbot.assertNotEmitted(dialog.sig_disconnect):
        qtbot.mouseClick(child(dialog, QPushButton, "close_button"), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
