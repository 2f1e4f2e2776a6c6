"""Circuit breaker panel: state, streak of max losses, loss limits, drawdown; manual halt and resume.

The panel is a view. It shows the BreakerView it is given and, when the trader asks for a manual
halt or a resume (with a reason), emits the request; the terminal confirms with the trader and
acts. A blank reason asks for one instead of emitting.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from engine.model.desk import BreakerView
from widgets.colors import BADGE_TEXT, fill, groove, muted_text, secondary_text, tone

MISSING = "—"
WARN_FROM = 0.8  # share of a loss limit past which its bar turns amber
_BAR_STEPS = 1000


def panel_style(palette: QPalette | None = None) -> str:
    """Return the panel's stylesheet in the colours of a palette (the application's by default)."""
    palette = palette or QApplication.palette()
    amber, red = tone("amber", palette).name(), tone("red", palette).name()
    return f"""
QLabel#breakerBadge {{ font-weight: bold; padding: 2px 10px; border-radius: 3px; color: {BADGE_TEXT};
                       background: {fill("grey").name()}; }}
QLabel#breakerBadge[state="armed"] {{ background: {fill("green").name()}; }}
QLabel#breakerBadge[state="tripped"], QLabel#breakerBadge[state="halted"] {{
    background: {fill("red").name()}; }}
QLabel#breakerCaption {{ color: {secondary_text(palette).name()}; }}
QLabel#breakerSection {{ color: {muted_text(palette).name()}; font-weight: bold; letter-spacing: 1px; }}
QLabel#breakerHint {{ color: {amber}; }}
QProgressBar#lossBar {{ background: {groove(palette).name()}; border: none; border-radius: 3px; }}
QProgressBar#lossBar::chunk {{ background: {fill("green").name()}; border-radius: 3px; }}
QProgressBar#lossBar[state="warn"]::chunk {{ background: {fill("amber").name()}; }}
QProgressBar#lossBar[state="breached"]::chunk {{ background: {fill("red").name()}; }}
QLabel#lossText[state="warn"] {{ color: {amber}; font-weight: bold; }}
QLabel#lossText[state="breached"] {{ color: {red}; font-weight: bold; }}
"""


HINT = "Type a reason first: it goes into the journal with the halt or resume."


def format_money(amount: float, signed: bool = False) -> str:
    """Return dollars with thousands separators and 2 decimals ("-$420.00"; "+$850.00" when signed)."""
    if not math.isfinite(amount):
        return MISSING
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}${abs(amount):,.2f}"


def loss_used(pnl: float, limit: float) -> float:
    """Return the share of a loss limit a P&L has used (0 for a profit; NaN without a limit)."""
    if not limit > 0 or not math.isfinite(pnl):
        return math.nan
    return max(0.0, -pnl) / limit


def loss_state(used: float) -> str:
    """Return "breached" at or past the limit, "warn" past 80 % of it, "ok" below, "none" unknown."""
    if not math.isfinite(used):
        return "none"
    if used >= 1.0:
        return "breached"
    return "warn" if used > WARN_FROM else "ok"


def badge_text(view: BreakerView) -> str:
    """Return the state badge: "ARMED", "TRIPPED until 2015-02-06", "HALTED"."""
    if view.state == "tripped" and view.tripped_until is not None:
        return f"TRIPPED until {view.tripped_until.isoformat()}"
    return view.state.upper()


def _label(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    return label


def _restyle(widget: QWidget, state: str) -> None:
    if widget.property("state") == state:
        return
    widget.setProperty("state", state)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class LossLimitRow:
    """One loss limit: caption, P&L, a bar of the loss used against the limit, and its text."""

    def __init__(self, caption: str) -> None:
        self.caption = _label(caption, "breakerCaption")
        self.pnl = _label(MISSING, "breakerPnl")
        self.pnl.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.bar = QProgressBar()
        self.bar.setObjectName("lossBar")
        self.bar.setRange(0, _BAR_STEPS)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.bar.setMinimumWidth(60)
        self.text = _label(MISSING, "lossText")

    def place(self, grid: QGridLayout, row: int) -> None:
        """Put the row on a grid: caption, P&L, bar, then the loss-used text."""
        grid.addWidget(self.caption, row, 0)
        grid.addWidget(self.pnl, row, 1)
        grid.addWidget(self.bar, row, 2)
        grid.addWidget(self.text, row + 1, 2)

    def show_pnl(self, pnl: float, limit: float) -> None:
        """Show a P&L and the share of its loss limit it used."""
        used = loss_used(pnl, limit)
        self.pnl.setText(format_money(pnl, signed=True))
        self.pnl.setStyleSheet(f"color: {tone('red').name()};" if pnl < 0 else "")
        self.bar.setValue(round(min(used, 1.0) * _BAR_STEPS) if math.isfinite(used) else 0)
        limit_text = format_money(limit) if limit > 0 else "no limit"
        self.text.setText(f"loss {format_money(max(0.0, -pnl))} / {limit_text}")
        state = loss_state(used)
        _restyle(self.bar, state)
        _restyle(self.text, state)

    @property
    def state(self) -> str:
        """Return the bar's state: "ok", "warn", "breached" or "none"."""
        return str(self.bar.property("state") or "none")


class BreakerPanel(QWidget):
    """Circuit-breaker state, streak, daily and weekly loss limits, drawdown; manual halt / resume.

    Signals:
        sig_halt_requested(str): the trader asked to halt new entries; carries the reason typed
            (stripped, never blank). Only while the breaker is not already halted by hand.
        sig_resume_requested(str): the trader asked to lift a manual halt; carries the reason.
    """

    sig_halt_requested = Signal(str)
    sig_resume_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(panel_style())
        self._view: BreakerView | None = None
        self._badge = _label(MISSING, "breakerBadge")
        self._status = _label("", "breakerStatus")
        self._status.setWordWrap(True)
        self._streak = _label("", "breakerStreak")
        self._recent = _label("", "breakerRecent")
        self._daily = LossLimitRow("daily P&L")
        self._weekly = LossLimitRow("weekly P&L")
        self._drawdown = _label("", "breakerDrawdown")
        self._scale = _label("", "breakerScale")
        self._reason = QLineEdit()
        self._reason.setObjectName("breakerReason")
        self._reason.setPlaceholderText("reason (required)")
        self._reason.setMaximumWidth(520)
        self._reason.textChanged.connect(self._on_reason_edited)
        self._halt = QPushButton("Halt entries…")
        self._halt.setObjectName("haltButton")
        self._halt.clicked.connect(self._on_halt_clicked)
        self._resume = QPushButton("Resume…")
        self._resume.setObjectName("resumeButton")
        self._resume.clicked.connect(self._on_resume_clicked)
        self._hint = _label(HINT, "breakerHint")
        self._hint.setWordWrap(True)
        self._hint.hide()
        self._set_buttons(None)
        self._placeholder = _label("waiting for the breaker…", "panelPlaceholder")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self._placeholder)
        self._stack.addWidget(self._make_content())

    # --- construction ------------------------------------------------------------------------

    def _make_content(self) -> QWidget:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        state_line = QHBoxLayout()
        state_line.addWidget(self._badge, 0, Qt.AlignmentFlag.AlignTop)
        state_line.addWidget(self._status, 1)
        layout.addLayout(state_line)
        layout.addWidget(self._streak)
        layout.addWidget(self._recent)
        layout.addSpacing(4)
        layout.addWidget(_label("LOSS LIMITS", "breakerSection"))
        limits = QWidget()
        limits.setLayout(self._make_limits_grid())
        limits.setMaximumWidth(720)  # wide docks: bars of a readable length, the rest is space
        layout.addWidget(limits)
        layout.addSpacing(4)
        layout.addWidget(_label("DRAWDOWN", "breakerSection"))
        drawdown_line = QHBoxLayout()
        drawdown_line.setSpacing(16)
        drawdown_line.addWidget(self._drawdown)
        drawdown_line.addWidget(self._scale)
        drawdown_line.addStretch(1)
        layout.addLayout(drawdown_line)
        layout.addSpacing(8)
        layout.addWidget(_label("MANUAL HALT", "breakerSection"))
        layout.addLayout(self._make_controls())
        layout.addWidget(self._hint)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        return scroll

    def _make_limits_grid(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        grid.setColumnStretch(2, 1)
        pnl_width = self.fontMetrics().horizontalAdvance("+$999,999.99") + 4
        grid.setColumnMinimumWidth(1, pnl_width)
        self._daily.place(grid, 0)
        self._weekly.place(grid, 2)
        return grid

    def _make_controls(self) -> QHBoxLayout:
        controls = QHBoxLayout()
        controls.setSpacing(6)
        controls.addWidget(self._reason, 1)
        controls.addWidget(self._halt)
        controls.addWidget(self._resume)
        controls.addStretch(0)
        return controls

    # --- what the terminal calls ---------------------------------------------------------------

    @property
    def halt_button(self) -> QPushButton:
        """Return the "Halt entries…" button."""
        return self._halt

    @property
    def resume_button(self) -> QPushButton:
        """Return the "Resume…" button."""
        return self._resume

    @property
    def reason_edit(self) -> QLineEdit:
        """Return the reason field."""
        return self._reason

    def set_breaker(self, view: BreakerView) -> None:
        """Show the breaker's state and limits; do nothing when they did not change."""
        if view == self._view:
            return
        if self._view is not None and view.state != self._view.state:
            self._reason.clear()  # the halt or resume went through: the reason is spent
        self._view = view
        self._badge.setText(badge_text(view))
        _restyle(self._badge, view.state)
        self._status.setText(view.status_text)
        self._show_streak(view)
        self._recent.setText(f"recent outcomes: {view.recent or MISSING}")
        self._daily.show_pnl(view.pnl_today, view.daily_loss_limit)
        self._weekly.show_pnl(view.pnl_week, view.weekly_loss_limit)
        drawdown = f"{view.drawdown_pct:.1f} %" if math.isfinite(view.drawdown_pct) else MISSING
        self._drawdown.setText(f"drawdown {drawdown}")
        self._scale.setText(f"risk scale x{view.risk_scale:.2f}" if math.isfinite(view.risk_scale)
                            else f"risk scale {MISSING}")
        self._set_buttons(view)
        self._stack.setCurrentIndex(1)

    def badge_text(self) -> str:
        """Return the state badge shown."""
        return self._badge.text()

    def texts(self) -> dict[str, str]:
        """Return what the panel shows, by part (status, streak, recent, daily, weekly, drawdown, scale)."""
        return {"status": self._status.text(), "streak": self._streak.text(), "recent": self._recent.text(),
                "daily": f"{self._daily.pnl.text()} {self._daily.text.text()}",
                "weekly": f"{self._weekly.pnl.text()} {self._weekly.text.text()}",
                "drawdown": self._drawdown.text(), "scale": self._scale.text()}

    def loss_state(self, which: str) -> str:
        """Return the state of the "daily" or "weekly" loss bar: "ok", "warn", "breached" or "none"."""
        return (self._daily if which == "daily" else self._weekly).state

    def is_hint_visible(self) -> bool:
        """Return whether the "type a reason" hint shows."""
        return not self._hint.isHidden()

    # --- internals ---------------------------------------------------------------------------

    def _show_streak(self, view: BreakerView) -> None:
        losses, trip_after = view.consecutive_max_losses, view.trip_after
        self._streak.setText(f"consecutive max losses {losses} / {trip_after}")
        near = losses == trip_after - 1 and losses > 0
        color = tone("red").name() if losses >= trip_after else (tone("amber").name() if near else "")
        self._streak.setStyleSheet(f"color: {color}; font-weight: bold;" if color else "")

    def _set_buttons(self, view: BreakerView | None) -> None:
        self._halt.setEnabled(view is not None and view.state != "halted")
        self._resume.setEnabled(view is not None and view.state == "halted")

    def _typed_reason(self) -> str | None:
        reason = self._reason.text().strip()
        if not reason:
            self._hint.show()
            self._reason.setFocus()
            return None
        return reason

    def _on_reason_edited(self, text: str) -> None:
        if text.strip():
            self._hint.hide()

    def _on_halt_clicked(self) -> None:
        reason = self._typed_reason()
        if reason is not None:
            self.sig_halt_requested.emit(reason)

    def _on_resume_clicked(self) -> None:
        reason = self._typed_reason()
        if reason is not None:
            self.sig_resume_requested.emit(reason)
