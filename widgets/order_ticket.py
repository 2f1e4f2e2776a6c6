"""Order ticket: the confirmation shown before any order leaves, exactly as it will be sent.

The dialog is a view. It shows an OrderTicket and says, through signals, whether the trader
sent or cancelled it; the terminal does the sending.

Lifetime: the dialog does not delete itself when closed (WA_DeleteOnClose stays off). The
terminal owns it: it keeps a reference while the ticket is open, shows it with ``open()``
(window-modal, never ``exec()``), and calls ``deleteLater()`` once ``finished`` is emitted.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.model import ComboLeg, Right, RiskVerdict
from engine.model.desk import OrderTicket

MISSING = "—"
_GREEN, _RED = "#3fb68b", "#ef5b5b"
_LEG_HEADERS = ("Action", "Quantity", "Right", "Strike", "Expiry", "Class")
_LEG_SAMPLES = ("SELL", "2 x 999", "CALL", "9,999.5", "2015-03-20", "SPXW")
_CELL_PADDING = 16


def _money(dollars: float | None) -> str:
    if dollars is None or not math.isfinite(dollars):
        return MISSING
    return f"-${-dollars:,.2f}" if dollars < 0 else f"${dollars:,.2f}"


def _number(value: float | None) -> str:
    return f"{value:,.2f}" if value is not None and math.isfinite(value) else MISSING


def net_price_text(price: float) -> str:
    """Return a net price per unit in words: ``5.50 credit`` (positive) or ``1.30 debit``."""
    if not math.isfinite(price):
        return MISSING
    return f"{abs(price):,.2f} {'credit' if price >= 0 else 'debit'}"


def _strike(strike: float) -> str:
    return f"{strike:.0f}" if strike == round(strike) else f"{strike:.1f}"


def combo_name(legs: tuple[ComboLeg, ...]) -> str:
    """Return what the legs make in words: ``put credit spread``, ``iron condor``, ``calendar``..."""
    rights = {leg.right for leg in legs}
    if len({leg.expiry for leg in legs}) > 1:
        return "calendar"
    if len(legs) == 4 and len(rights) == 2:
        return "iron condor"
    if len(legs) == 2 and len(rights) == 1:
        right = next(iter(rights))
        sold = next((leg.strike for leg in legs if leg.ratio < 0), math.nan)
        bought = next((leg.strike for leg in legs if leg.ratio > 0), math.nan)
        credit = sold > bought if right is Right.PUT else sold < bought
        return f"{right.name.lower()} {'credit' if credit else 'debit'} spread"
    if len({leg.strike for leg in legs}) == 3 and len(rights) == 1:
        return "butterfly"
    return f"{len(legs)}-leg combo"


def ticket_title(ticket: OrderTicket) -> str:
    """Return the ticket's title: ``Open SPX put credit spread``, ``Close position P-...``."""
    if ticket.action == "open":
        return f"Open {ticket.underlying} {combo_name(ticket.legs)}"
    return f"{ticket.action.capitalize()} position {ticket.subject_id}"


def verdict_text(verdict: RiskVerdict | None) -> str:
    """Return the risk manager's verdict in words (None: a closing order, not checked)."""
    if verdict is None:
        return "not checked: this order only reduces risk"
    if verdict.approved:
        return f"approved: {verdict.detail}" if verdict.detail else "approved"
    text = (f"VETOED by {verdict.limit}: {_number(verdict.value)} "
            f"against a limit of {_number(verdict.threshold)}")
    return f"{text} — {verdict.detail}" if verdict.detail else text


def _legs_table(ticket: OrderTicket) -> QTableWidget:
    table = QTableWidget(len(ticket.legs), len(_LEG_HEADERS))
    table.setObjectName("ticketLegs")
    table.setHorizontalHeaderLabels(list(_LEG_HEADERS))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.verticalHeader().hide()
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
    table.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
    metrics = QFontMetrics(table.font())
    table.verticalHeader().setDefaultSectionSize(metrics.height() + 6)
    for section, (title, sample) in enumerate(zip(_LEG_HEADERS, _LEG_SAMPLES, strict=True)):
        width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title))
        table.horizontalHeader().resizeSection(section, width + _CELL_PADDING)
    table.horizontalHeader().setStretchLastSection(True)
    for row, leg in enumerate(ticket.legs):
        for column, item in enumerate(_leg_items(leg, ticket.contracts)):
            table.setItem(row, column, item)
    return table


def _leg_items(leg: ComboLeg, contracts: int) -> list[QTableWidgetItem]:
    texts = (leg.action, f"{abs(leg.ratio)} x {contracts}", leg.right.name, _strike(leg.strike),
             leg.expiry.isoformat(), leg.trading_class or MISSING)
    items = []
    for column, text in enumerate(texts):
        item = QTableWidgetItem(text)
        horizontal = Qt.AlignmentFlag.AlignRight if column in (1, 3) else Qt.AlignmentFlag.AlignLeft
        item.setTextAlignment(horizontal | Qt.AlignmentFlag.AlignVCenter)
        items.append(item)
    items[0].setForeground(QColor(_GREEN if leg.ratio > 0 else _RED))
    return items


def _value(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _figures_form(ticket: OrderTicket) -> QFormLayout:
    form = QFormLayout()
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
    form.addRow("Contracts", _value(f"{ticket.contracts}", "ticketContracts"))
    limit = _value(f"{net_price_text(ticket.limit_price)} per unit", "ticketLimit")
    limit.setStyleSheet("font-weight: bold")
    form.addRow("Limit", limit)
    form.addRow("Mid / natural", _value(f"{net_price_text(ticket.mid_price)} / "
                                        f"{net_price_text(ticket.natural_price)}", "ticketMid"))
    form.addRow("Max loss", _value(_money(ticket.max_loss_dollars), "ticketMaxLoss"))
    form.addRow("Commissions (est.)", _value(_money(ticket.commission_estimate), "ticketCommissions"))
    when = _value(ticket.when, "ticketWhen")
    when.setWordWrap(True)
    form.addRow("Goes out", when)
    form.addRow("Risk check", _verdict_label(ticket.verdict))
    return form


def _verdict_label(verdict: RiskVerdict | None) -> QLabel:
    label = _value(verdict_text(verdict), "ticketVerdict")
    label.setWordWrap(True)
    if verdict is not None:
        color = _GREEN if verdict.approved else _RED
        weight = "" if verdict.approved else "font-weight: bold;"
        label.setStyleSheet(f"color: {color}; {weight}")
    return label


class OrderTicketDialog(QDialog):
    """The confirmation of one order: legs, size, limit, cost, risk verdict; Send or Cancel.

    Enter sends (when the risk manager allowed it), Escape or closing the window cancels.
    Each ticket ends with exactly one of the two signals.

    Signals:
        sig_ticket_confirmed(object): the trader pressed Send; carries the ``OrderTicket``. The
            dialog then accepts (closes).
        sig_ticket_cancelled(object): the trader cancelled (button, Escape or closing the
            window); carries the ``OrderTicket``.
    """

    sig_ticket_confirmed = Signal(object)
    sig_ticket_cancelled = Signal(object)

    def __init__(self, ticket: OrderTicket, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ticket = ticket
        self._answered = False
        self.setObjectName("orderTicket")
        self.setWindowTitle(f"Order ticket: {ticket_title(ticket)}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self._send = QPushButton("Send order")
        self._send.setObjectName("sendButton")
        self._send.setEnabled(ticket.can_send)
        self._send.setToolTip("send the order as shown" if ticket.can_send
                              else "the risk manager vetoed this order: it cannot be sent")
        self._cancel = QPushButton("Cancel")
        self._cancel.setObjectName("cancelButton")
        for button in (self._send, self._cancel):
            button.setAutoDefault(False)  # Enter means Send, whichever button has the focus
        self._send.setDefault(True)
        self._send.clicked.connect(self._on_send)
        self._cancel.clicked.connect(self.reject)
        self._live = QCheckBox(f"I confirm this order for the LIVE account {ticket.live_account}")
        self._live.setObjectName("ticketLiveConfirm")
        self._live.toggled.connect(self._on_live_toggled)
        if ticket.live_account:  # real money: Send waits for this order's own confirmation
            self._send.setEnabled(False)
        self._build(ticket)
        (self._send if ticket.can_send else self._cancel).setFocus()

    @property
    def ticket(self) -> OrderTicket:
        """Return the ticket shown."""
        return self._ticket

    def _build(self, ticket: OrderTicket) -> None:
        title = QLabel(ticket_title(ticket))
        title.setObjectName("ticketTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        title.setFont(font)
        heading = QHBoxLayout()
        heading.addWidget(title, 1)
        badge = QLabel("MODELLED")
        badge.setObjectName("modelledBadge")
        badge.setToolTip("The prices come from the modelled chain, not from real quotes.")
        badge.setVisible(ticket.modelled)
        heading.addWidget(badge, 0, Qt.AlignmentFlag.AlignVCenter)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self._cancel)
        buttons.addWidget(self._send)
        layout = QVBoxLayout(self)
        layout.addLayout(heading)
        layout.addWidget(_legs_table(ticket))
        layout.addLayout(_figures_form(ticket))
        if ticket.live_account:
            banner = QLabel(f"LIVE ACCOUNT {ticket.live_account}: this order trades real money.")
            banner.setObjectName("ticketLiveBanner")
            banner.setStyleSheet(f"color: {_RED}; font-weight: bold;")
            layout.addWidget(banner)
            layout.addWidget(self._live)
        layout.addLayout(buttons)
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)

    def _on_live_toggled(self, confirmed: bool) -> None:
        self._send.setEnabled(self._ticket.can_send and confirmed)

    def _on_send(self) -> None:
        if not self._ticket.can_send or self._answered:
            return
        if self._ticket.live_account and not self._live.isChecked():
            return
        self._answered = True
        self.sig_ticket_confirmed.emit(self._ticket)
        self.accept()

    def reject(self) -> None:
        """Cancel the ticket (Cancel, Escape, closing the window) and close."""
        if not self._answered:
            self._answered = True
            self.sig_ticket_cancelled.emit(self._ticket)
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Treat closing the window as Cancel."""
        if not self._answered:
            self._answered = True
            self.sig_ticket_cancelled.emit(self._ticket)
        super().closeEvent(event)
