"""Roll dialog: pick the later expiry, the short strike and the limit of a position's roll.

The dialog is a view. It is built from the RollOptions the engine offers for one position and
hands the trader's choice back as a RollRequest (``sig_roll_chosen``); the terminal previews and
sends the order. It is not modal to the application: the terminal shows it with ``open()``.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.model import Expiration
from engine.model.desk import RollOptions, RollRequest

LIMIT_RANGE = (-500.0, 500.0)
LIMIT_STEP = 0.05


def strike_text(strike: float) -> str:
    """Return a strike as traders write it: "1850", or "1852.5" for a half-point strike."""
    return f"{strike:.0f}" if strike == round(strike) else f"{strike:.1f}"


def roll_expiry_label(expiration: Expiration, today: date) -> str:
    """Return the selector text of a target expiry, e.g. "2015-04-17  (92 DTE)  SPX AM monthly"."""
    dte = (expiration.expiry - today).days
    kind = expiration.kind.replace("-", " ")
    return (f"{expiration.expiry.isoformat()}  ({dte} DTE)  "
            f"{expiration.trading_class} {expiration.settlement.value} {kind}")


def nearest_index(values: tuple[float, ...], target: float) -> int:
    """Return the index of the value nearest `target` (-1 when there are none)."""
    if not values:
        return -1
    return min(range(len(values)), key=lambda i: abs(values[i] - target))


class RollDialog(QDialog):
    """Choose where to roll one position: target expiry, short strike (same width) and limit.

    Signals:
        sig_roll_chosen(object): the trader pressed Preview…; carries the
            ``engine.model.desk.RollRequest`` (limit_price None: at the natural price).
        sig_roll_cancelled(): the trader cancelled (Cancel, Escape or the window's close).
    """

    sig_roll_chosen = Signal(object)
    sig_roll_cancelled = Signal()

    def __init__(self, options: RollOptions, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._options = options
        self._today = today
        self.setWindowTitle(f"Roll {options.position_id}")
        self.setObjectName("rollDialog")
        self._expiry_box = self._make_expiry_box()
        self._strike_box = self._make_strike_box()
        self._long_strike = QLabel()
        self._long_strike.setObjectName("longStrike")
        self._long_strike.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._limit_box, self._natural_box = self._make_limit()
        self._preview_button = QPushButton("Preview…")
        self._preview_button.setObjectName("previewButton")
        self._preview_button.setDefault(True)
        self._preview_button.setEnabled(bool(options.expirations))
        self._preview_button.clicked.connect(self._on_preview_clicked)
        self._cancel_button = QPushButton("Cancel")
        self._cancel_button.setObjectName("cancelButton")
        self._cancel_button.clicked.connect(self.reject)
        self._strike_box.currentIndexChanged.connect(self._show_long_strike)
        self._lay_out()
        self._show_long_strike()

    # --- construction ------------------------------------------------------------------------

    def _make_expiry_box(self) -> QComboBox:
        box = QComboBox()
        box.setObjectName("rollExpiry")
        for expiration in self._options.expirations:
            box.addItem(roll_expiry_label(expiration, self._today), expiration.expiry)
        default = [e.expiry for e in self._options.expirations]
        if self._options.default_expiry in default:
            box.setCurrentIndex(default.index(self._options.default_expiry))
        return box

    def _make_strike_box(self) -> QComboBox:
        box = QComboBox()
        box.setObjectName("rollShortStrike")
        strikes = self._options.strikes or (self._options.current_short_strike,)
        for strike in strikes:
            box.addItem(strike_text(strike), strike)
        box.setCurrentIndex(nearest_index(strikes, self._options.current_short_strike))
        return box

    def _make_limit(self) -> tuple[QDoubleSpinBox, QCheckBox]:
        limit = QDoubleSpinBox()
        limit.setObjectName("rollLimit")
        limit.setRange(*LIMIT_RANGE)
        limit.setSingleStep(LIMIT_STEP)
        limit.setDecimals(2)
        limit.setToolTip("net price of the roll per unit, points: + credit received, − debit paid")
        natural = QCheckBox("natural (market)")
        natural.setObjectName("rollNatural")
        natural.setToolTip("no limit of your own: priced at the natural (bid/ask) when previewed")
        natural.setChecked(True)
        limit.setEnabled(False)
        natural.toggled.connect(lambda checked: limit.setEnabled(not checked))
        return limit, natural

    def _lay_out(self) -> None:
        options = self._options
        form = QFormLayout()
        form.addRow("Position", QLabel(options.position_id))
        current_dte = (options.current_expiry - self._today).days
        form.addRow("Current expiry", QLabel(f"{options.current_expiry.isoformat()}  ({current_dte} DTE)"))
        long = options.current_short_strike + options.long_side_offset
        form.addRow("Current strikes", QLabel(f"short {strike_text(options.current_short_strike)} / long "
                                              f"{strike_text(long)}   width {strike_text(options.width)}"))
        form.addRow("Roll to expiry", self._expiry_box)
        form.addRow("Short strike", self._strike_box)
        form.addRow("Long strike", self._long_strike)
        limit_row = QHBoxLayout()
        limit_row.addWidget(self._limit_box, 1)
        limit_row.addWidget(self._natural_box)
        form.addRow("Limit (+cr / −db)", limit_row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self._preview_button)
        buttons.addWidget(self._cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)

    # --- what the terminal and tests read ------------------------------------------------------

    @property
    def options(self) -> RollOptions:
        """Return what the dialog offers."""
        return self._options

    def request(self) -> RollRequest | None:
        """Return the roll as currently chosen (None when no later expiry is offered)."""
        expiry = self._expiry_box.currentData()
        if not isinstance(expiry, date):
            return None
        limit = None if self._natural_box.isChecked() else round(self._limit_box.value(), 2)
        return RollRequest(self._options.position_id, expiry, float(self._strike_box.currentData()), limit)

    def long_strike_text(self) -> str:
        """Return the long strike shown (the short strike moved by the spread's width, to its long side)."""
        return self._long_strike.text()

    def reject(self) -> None:
        """Close the dialog and tell the terminal the trader cancelled."""
        self.sig_roll_cancelled.emit()
        super().reject()

    # --- internals ---------------------------------------------------------------------------

    def _show_long_strike(self) -> None:
        short, offset = float(self._strike_box.currentData()), self._options.long_side_offset
        sign = "−" if offset < 0 else "+"
        self._long_strike.setText(f"{strike_text(short + offset)}  "
                                  f"(short {sign} {strike_text(abs(offset))} width)")

    def _on_preview_clicked(self) -> None:
        request = self.request()
        if request is None:
            return
        self.sig_roll_chosen.emit(request)
        self.accept()
