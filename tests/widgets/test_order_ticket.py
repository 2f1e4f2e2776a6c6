"""The order ticket: what it shows, Send only when allowed, Enter/Escape, exactly one answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QTableWidget
from pytestqt.qtbot import QtBot

from engine.model import ComboLeg, Right
from engine.model.desk import OrderTicket
from tests.widgets import desk_samples
from widgets.order_ticket import OrderTicketDialog, combo_name, ticket_title

EXPIRY = date(2015, 3, 20)


def make_dialog(qtbot: QtBot, ticket: OrderTicket) -> OrderTicketDialog:
    """Return an opened ticket dialog, registered so the test closes and deletes it."""
    dialog = OrderTicketDialog(ticket)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def label(dialog: OrderTicketDialog, name: str) -> str:
    return dialog.findChild(QLabel, name).text()


def send_button(dialog: OrderTicketDialog) -> QPushButton:
    return dialog.findChild(QPushButton, "sendButton")


def test_ticket_shows_the_order_as_it_will_be_sent(qtbot: QtBot) -> None:
    ticket = desk_samples.ticket()
    dialog = make_dialog(qtbot, ticket)
    assert dialog.ticket is ticket
    assert label(dialog, "ticketTitle") == "Open SPX put credit spread"
    legs = dialog.findChild(QTableWidget, "ticketLegs")
    assert legs.rowCount() == 2
    assert [legs.item(0, c).text() for c in range(6)] == ["SELL", "1 x 2", "PUT", "1850", "2015-03-20", "SPX"]
    assert legs.item(1, 0).text() == "BUY"
    assert label(dialog, "ticketContracts") == "2"
    assert label(dialog, "ticketLimit") == "5.50 credit per unit"
    assert label(dialog, "ticketMid") == "6.60 credit / 5.50 credit"
    assert label(dialog, "ticketMaxLoss") == "$8,680.00"
    assert label(dialog, "ticketCommissions") == "$5.16"
    assert label(dialog, "ticketWhen") == ticket.when
    assert label(dialog, "ticketVerdict") == "approved: every limit within bounds"
    assert dialog.findChild(QLabel, "modelledBadge").isVisible()
    assert send_button(dialog).isEnabled()
    assert send_button(dialog).isDefault()


def test_vetoed_ticket_names_the_limit_and_cannot_be_sent(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, desk_samples.ticket(vetoed=True))
    verdict = label(dialog, "ticketVerdict")
    assert verdict.startswith("VETOED by portfolio heat")
    assert "6.40" in verdict
    assert "6.00" in verdict
    assert "heat 6.40 % would pass 6.00 %" in verdict
    assert "color: #ef5b5b" in dialog.findChild(QLabel, "ticketVerdict").styleSheet()
    assert not send_button(dialog).isEnabled()
    with qtbot.assertNotEmitted(dialog.sig_ticket_confirmed):
        qtbot.mouseClick(send_button(dialog), Qt.MouseButton.LeftButton)
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.isVisible()


def test_send_emits_the_ticket_and_closes(qtbot: QtBot) -> None:
    ticket = desk_samples.ticket()
    dialog = make_dialog(qtbot, ticket)
    with qtbot.waitSignal(dialog.sig_ticket_confirmed, timeout=1000) as blocker, \
            qtbot.assertNotEmitted(dialog.sig_ticket_cancelled):
        qtbot.mouseClick(send_button(dialog), Qt.MouseButton.LeftButton)
        dialog.close()  # a later close is no cancel: the ticket was answered
    assert blocker.args == [ticket]
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not dialog.isVisible()


def test_enter_sends(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, desk_samples.ticket())
    with qtbot.waitSignal(dialog.sig_ticket_confirmed, timeout=1000):
        qtbot.keyClick(dialog, Qt.Key.Key_Return)


@pytest.mark.parametrize("how", ["button", "escape", "close"])
def test_cancel_emits_cancelled_once(qtbot: QtBot, how: str) -> None:
    ticket = desk_samples.ticket()
    dialog = make_dialog(qtbot, ticket)
    cancelled: list[OrderTicket] = []
    dialog.sig_ticket_cancelled.connect(cancelled.append)
    with qtbot.assertNotEmitted(dialog.sig_ticket_confirmed):
        if how == "button":
            qtbot.mouseClick(dialog.findChild(QPushButton, "cancelButton"), Qt.MouseButton.LeftButton)
        elif how == "escape":
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        else:
            dialog.close()
        dialog.close()
    assert cancelled == [ticket]
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert not dialog.isVisible()


def test_closing_ticket_says_debit_and_skips_the_risk_check(qtbot: QtBot) -> None:
    closing = replace(desk_samples.ticket(), action="close", subject_id="P-SPX-2015-01-15",
                      limit_price=-4.70, mid_price=-4.70, natural_price=-5.30, max_loss_dollars=None,
                      verdict=None, modelled=False)
    dialog = make_dialog(qtbot, closing)
    assert label(dialog, "ticketTitle") == "Close position P-SPX-2015-01-15"
    assert label(dialog, "ticketLimit") == "4.70 debit per unit"
    assert label(dialog, "ticketMid") == "4.70 debit / 5.30 debit"
    assert label(dialog, "ticketMaxLoss") == "—"
    assert label(dialog, "ticketVerdict").startswith("not checked")
    assert not dialog.findChild(QLabel, "modelledBadge").isVisible()
    assert send_button(dialog).isEnabled()
    assert ticket_title(replace(closing, action="roll")) == "Roll position P-SPX-2015-01-15"


def test_combo_names() -> None:
    def leg(right: Right, strike: float, ratio: int, expiry: date = EXPIRY) -> ComboLeg:
        return ComboLeg(right, strike, expiry, ratio, "SPX")

    assert combo_name((leg(Right.CALL, 2100, -1), leg(Right.CALL, 2150, 1))) == "call credit spread"
    assert combo_name((leg(Right.PUT, 1800, -1), leg(Right.PUT, 1850, 1))) == "put debit spread"
    condor = (leg(Right.PUT, 1800, 1), leg(Right.PUT, 1850, -1), leg(Right.CALL, 2100, -1),
              leg(Right.CALL, 2150, 1))
    assert combo_name(condor) == "iron condor"
    assert combo_name((leg(Right.PUT, 1850, -1), leg(Right.PUT, 1850, 1, date(2015, 4, 17)))) == "calendar"


def test_live_account_ticket_waits_for_its_own_confirmation(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QCheckBox

    dialog = make_dialog(qtbot, replace(desk_samples.ticket(), live_account="U7654321", modelled=False))
    assert "LIVE ACCOUNT U7654321" in label(dialog, "ticketLiveBanner")
    confirm = dialog.findChild(QCheckBox, "ticketLiveConfirm")
    assert confirm.isVisible()
    assert not send_button(dialog).isEnabled()
    with qtbot.assertNotEmitted(dialog.sig_ticket_confirmed):
        qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter does not send an unconfirmed live order
    confirm.setChecked(True)
    assert send_button(dialog).isEnabled()
    with qtbot.waitSignal(dialog.sig_ticket_confirmed):
        send_button(dialog).click()


def test_paper_ticket_has_no_live_confirmation(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, desk_samples.ticket())
    assert dialog.findChild(QLabel, "ticketLiveBanner") is None
