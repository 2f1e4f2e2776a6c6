"""Connect dialog: where the terminal reaches Interactive Brokers (TWS or IB Gateway), and how it goes.

The dialog is a view. It shows the IB settings it is given, hands the trader's edited settings
back when Connect is pressed (``sig_connect``) and asks for a disconnect (``sig_disconnect``); the
terminal connects and reports back with ``set_state`` and ``add_message``. Pressing Connect does
not change the state by itself: the terminal says "connecting" once it has started.

Fields the dialog does not show (the timeout) keep the values of the settings it was given.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextBlockFormat, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.errors import InputError
from engine.model.connection import (
    LIVE_GATEWAY_PORT,
    LIVE_TWS_PORT,
    MAX_CLIENT_ID,
    PAPER_GATEWAY_PORT,
    PAPER_TWS_PORT,
    IbSettings,
    is_paper_account,
)
from widgets.colors import Tone, muted_text, tone

PORT_PRESETS: tuple[tuple[str, int], ...] = (
    ("TWS paper", PAPER_TWS_PORT),
    ("TWS live", LIVE_TWS_PORT),
    ("Gateway paper", PAPER_GATEWAY_PORT),
    ("Gateway live", LIVE_GATEWAY_PORT),
)
CUSTOM_PORT = "Custom"
MAX_PORT = 65535
MAX_MESSAGES = 500  # a reconnect loop can talk for hours: the oldest lines go first
MESSAGE_TIME_FORMAT = "%H:%M:%S"
MESSAGE_GAP = "  "
STATES = ("disconnected", "connecting", "connected", "reconnecting")
SEVERITIES = ("info", "warning", "error")
LIVE_WARNING = "⚠  Every order to a live account will ask for its own confirmation."
_STATE_TEXTS = {"disconnected": "Disconnected", "connecting": "Connecting…", "reconnecting": "Reconnecting…"}
_SEVERITY_TONES: dict[str, Tone] = {"warning": "amber", "error": "red"}


def port_preset_label(name: str, port: int) -> str:
    """Return the preset's text in the port selector, e.g. "TWS paper 7497"."""
    return f"{name} {port}"


def state_text(state: str, account: str = "", paper: bool | None = None) -> str:
    """Return the status line of a connection state, e.g. "Connected to DU1234567 (paper)"."""
    if state not in STATES:
        raise InputError("state", state, f"must be one of {', '.join(STATES)}")
    if state == "connected":
        if not account:
            return "Connected"
        kind = "" if paper is None else (" (paper)" if paper else " (LIVE)")
        return f"Connected to {account}{kind}"
    return _STATE_TEXTS[state]


def message_line(at: datetime, text: str) -> str:
    """Return one line of the message list as shown: the time, then the engine's sentence."""
    return f"{at.strftime(MESSAGE_TIME_FORMAT)}{MESSAGE_GAP}{text}"


def _state_color(state: str, paper: bool | None) -> QColor:
    # Paper is the safe, expected outcome (green); a live account stands out (orange, bold).
    if state == "connected":
        return tone("orange") if paper is False else tone("green")
    if state in ("connecting", "reconnecting"):
        return tone("amber")
    return muted_text()


def _color_style(color: QColor, bold: bool = False) -> str:
    return f"color: {color.name()};" + (" font-weight: bold;" if bold else "")


class ConnectDialog(QDialog):
    """Edit the IB connection (host, port, client id, read-only, live trading) and watch it connect.

    Signals:
        sig_connect(object): the trader pressed Connect; carries the ``IbSettings`` built from
            the fields (never emitted when they are invalid: the status line says why).
        sig_disconnect(): the trader pressed Disconnect (only possible while connected).
    """

    sig_connect = Signal(object)
    sig_disconnect = Signal()

    def __init__(self, settings: IbSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._given = settings
        self._state = "disconnected"
        self.setObjectName("connectDialog")
        self.setWindowTitle("Connect to Interactive Brokers")
        self._make_fields(settings)
        self._make_status()
        self._make_buttons()
        self._lay_out()  # before anything is shown or hidden: an unparented widget would be a window
        self._show_live_warning(settings.allow_live)
        self._follow_port(self._port.value())
        self.set_state("disconnected")

    # --- construction ------------------------------------------------------------------------

    def _make_fields(self, settings: IbSettings) -> None:
        self._host = QLineEdit(settings.host)
        self._host.setObjectName("connect_host")
        self._host.setPlaceholderText("host name or IP address, e.g. 127.0.0.1")
        self._host.setToolTip("the machine TWS or IB Gateway runs on")
        self._port = QSpinBox()
        self._port.setObjectName("connect_port")
        self._port.setRange(1, MAX_PORT)
        self._port.setValue(settings.port)
        self._port.setToolTip("TWS: Configure ▸ API ▸ Settings ▸ Socket port")
        self._port_preset = self._make_port_presets()
        self._client_id = QSpinBox()
        self._client_id.setObjectName("connect_client_id")
        self._client_id.setRange(0, MAX_CLIENT_ID)
        self._client_id.setValue(settings.client_id)
        # The port and the client id boxes share one width, so the form's column lines up.
        self._port.setMinimumWidth(self._client_id.sizeHint().width())
        self._client_id.setToolTip("unique per API connection to the same TWS; 0 also receives orders "
                                   "placed by hand in TWS")
        self._make_options(settings)

    def _make_options(self, settings: IbSettings) -> None:
        self._read_only = QCheckBox("Read-only API")
        self._read_only.setObjectName("connect_read_only")
        self._read_only.setChecked(settings.read_only)
        self._read_only.setToolTip("market data and the account only: no order can be sent")
        self._allow_live = QCheckBox("Allow trading a live account")
        self._allow_live.setObjectName("connect_allow_live")
        self._allow_live.setChecked(settings.allow_live)
        self._allow_live.setToolTip("without it, a live (non-paper) account is shown but never traded")
        self._live_warning = QLabel(LIVE_WARNING)
        self._live_warning.setObjectName("connect_live_warning")
        self._live_warning.setWordWrap(True)
        self._allow_live.toggled.connect(self._show_live_warning)

    def _make_port_presets(self) -> QComboBox:
        box = QComboBox()
        box.setObjectName("connect_port_preset")
        for name, port in PORT_PRESETS:
            box.addItem(port_preset_label(name, port), port)
        box.addItem(CUSTOM_PORT, None)
        box.setToolTip("the usual ports; typing a port picks its preset")
        box.currentIndexChanged.connect(self._on_preset_chosen)
        self._port.valueChanged.connect(self._follow_port)
        return box

    def _make_status(self) -> None:
        self._status = QLabel()
        self._status.setObjectName("connect_state")
        self._status.setWordWrap(True)
        self._status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._messages = QTextEdit()
        self._messages.setObjectName("connect_messages")
        self._messages.setReadOnly(True)
        self._messages.setAcceptRichText(False)
        # A QTextEdit rather than a QPlainTextEdit: only its layout draws the hanging indent.
        self._messages.document().setMaximumBlockCount(MAX_MESSAGES)
        self._messages.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self._messages.setPlaceholderText("messages from TWS / IB Gateway appear here")
        self._messages.setMinimumHeight(140)

    def _make_buttons(self) -> None:
        self._connect = QPushButton("Connect")
        self._connect.setObjectName("connect_button")
        self._disconnect = QPushButton("Disconnect")
        self._disconnect.setObjectName("disconnect_button")
        self._close = QPushButton("Close")
        self._close.setObjectName("close_button")
        for button in (self._connect, self._disconnect, self._close):
            button.setAutoDefault(False)  # Enter means Connect, whichever field has the focus
        self._connect.setDefault(True)
        self._connect.clicked.connect(self._on_connect_clicked)
        self._disconnect.clicked.connect(self.sig_disconnect.emit)
        self._close.clicked.connect(self.reject)

    def _lay_out(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self._connect)
        buttons.addWidget(self._disconnect)
        buttons.addStretch(1)
        buttons.addWidget(self._close)
        layout = QVBoxLayout(self)
        layout.addLayout(self._form())
        layout.addSpacing(6)
        layout.addWidget(self._status)
        layout.addWidget(self._messages, 1)
        layout.addLayout(buttons)
        self.setMinimumWidth(480)

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Host", self._host)
        port_row = QHBoxLayout()
        port_row.addWidget(self._port)
        port_row.addWidget(self._port_preset, 1)
        form.addRow("Port", port_row)
        client_row = QHBoxLayout()
        client_row.addWidget(self._client_id)
        client_row.addStretch(1)
        form.addRow("Client id", client_row)
        for option in (self._read_only, self._allow_live, self._live_warning):
            form.addRow("", option)
        return form

    # --- what the terminal and tests use -------------------------------------------------------

    def settings(self) -> IbSettings:
        """Return the IbSettings the fields describe; raise InputError when they are invalid.

        Fields the dialog does not show (the timeout) keep the values of the settings it was given.
        """
        # replace() runs IbSettings' own checks, and keeps any field the dialog does not show.
        return replace(self._given, host=self._host.text().strip(), port=self._port.value(),
                       client_id=self._client_id.value(), read_only=self._read_only.isChecked(),
                       allow_live=self._allow_live.isChecked())

    def state(self) -> str:
        """Return the connection state last set ("disconnected", "connecting", ...)."""
        return self._state

    def set_state(self, state: str, account: str = "", paper: bool | None = None) -> None:
        """Show the connection's state; Connect only when idle, fields locked while connected.

        `account` and `paper` (IB's account id and whether it is a paper account) name what is
        connected; they are shown only in the "connected" state. Without `paper` the account id
        tells (paper ids start with "DU").
        """
        if paper is None and account:
            paper = is_paper_account(account)
        text = state_text(state, account, paper)
        self._state = state
        self._status.setText(text)
        self._status.setStyleSheet(_color_style(_state_color(state, paper), bold=state == "connected"))
        self._connect.setEnabled(state == "disconnected")
        self._disconnect.setEnabled(state == "connected")
        for field in self._fields():
            field.setEnabled(state != "connected")

    def add_message(self, at: datetime, text: str, severity: str) -> None:
        """Append one of the connection's messages (newest last), coloured by its severity."""
        if severity not in SEVERITIES:
            raise InputError("severity", severity, f"must be one of {', '.join(SEVERITIES)}")
        scrollbar = self._messages.verticalScrollBar()
        at_bottom = scrollbar.value() >= scrollbar.maximum()
        color = tone(_SEVERITY_TONES[severity]) if severity in _SEVERITY_TONES else None
        self._append_line(f"{at.strftime(MESSAGE_TIME_FORMAT)}{MESSAGE_GAP}", text, color)
        if at_bottom:  # follow new lines unless the trader scrolled up to read an older one
            scrollbar.setValue(scrollbar.maximum())

    # --- internals ---------------------------------------------------------------------------

    def _fields(self) -> tuple[QWidget, ...]:
        return (self._host, self._port, self._port_preset, self._client_id, self._read_only, self._allow_live)

    def _on_connect_clicked(self) -> None:
        if self._state != "disconnected":
            return  # a queued click after the state changed: one connection at a time
        try:
            settings = self.settings()
        except InputError as error:
            self._show_error(f"Cannot connect: {error.field.replace('_', ' ')} {error.allowed}")
            if error.field == "host":
                self._host.setFocus()
            return
        self.sig_connect.emit(settings)

    def _show_error(self, text: str) -> None:
        self._status.setText(text)
        self._status.setStyleSheet(_color_style(tone("red"), bold=True))

    def _on_preset_chosen(self, index: int) -> None:
        port = self._port_preset.itemData(index)
        if isinstance(port, int):
            self._port.setValue(port)

    def _follow_port(self, port: int) -> None:
        # Typing a port picks its preset; any other port shows Custom (which leaves the port alone).
        index = self._port_preset.findData(port)
        self._port_preset.setCurrentIndex(index if index >= 0 else self._port_preset.count() - 1)

    def _append_line(self, time_text: str, text: str, color: QColor | None) -> None:
        cursor = QTextCursor(self._messages.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        block_format = self._hanging_indent(time_text)
        if self._messages.document().isEmpty():
            cursor.setBlockFormat(block_format)
        else:
            cursor.insertBlock(block_format)
        time_format, text_format = QTextCharFormat(), QTextCharFormat()
        time_format.setForeground(muted_text())
        if color is not None:  # info keeps the text colour of the theme
            text_format.setForeground(color)
        cursor.insertText(time_text, time_format)
        cursor.insertText(text, text_format)

    def _hanging_indent(self, time_text: str) -> QTextBlockFormat:
        # A wrapped message continues under its text, not under its time.
        indent = self._messages.fontMetrics().horizontalAdvance(time_text)
        block_format = QTextBlockFormat()
        block_format.setLeftMargin(indent)
        block_format.setTextIndent(-indent)
        return block_format

    def _show_live_warning(self, allowed: bool) -> None:
        self._live_warning.setStyleSheet(_color_style(tone("amber")))
        self._live_warning.setVisible(allowed)
