"""Colours the panels share, legible on the dark and on the light theme.

The application palette (set by the theme before any panel is built) decides: status texts
(green, red, amber, ...) come in a bright variant for a dark window and a deeper one for a light
window; captions, muted texts, card fills and bar grooves are derived from the palette roles.
Panels read these when they are built (pass the palette, or None for QApplication.palette()).
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

Tone = Literal["green", "red", "amber", "blue", "orange", "grey"]

# Status texts on a dark window (the original colours) and on a light one (>= 4.5:1 on white).
_DARK_TONES: dict[str, str] = {"green": "#3fb68b", "red": "#ef5b5b", "amber": "#f0a020", "blue": "#5fa8ff",
                               "orange": "#ff7a33"}
_LIGHT_TONES: dict[str, str] = {"green": "#0f7a52", "red": "#c0392b", "amber": "#8a6100", "blue": "#0b5cc9",
                                "orange": "#b93d0a"}
# Bright fills (badges, bar chunks): dark text (BADGE_TEXT) sits on them in either theme.
_FILLS: dict[str, str] = {"green": "#3fb68b", "red": "#ef5b5b", "amber": "#f0a020", "blue": "#5fa8ff",
                          "orange": "#ff7a33", "grey": "#8d95a3"}
BADGE_TEXT = "#101114"
LEGIBLE = 4.5  # the contrast ratio a text keeps against its background (WCAG AA)


def _palette(palette: QPalette | None) -> QPalette:
    return palette if palette is not None else QApplication.palette()


def is_light(palette: QPalette | None = None) -> bool:
    """Return True when the palette's window is light (the light theme)."""
    return _palette(palette).color(QPalette.ColorRole.Window).lightnessF() > 0.5


def luminance(color: QColor) -> float:
    """Return the relative luminance of a colour (WCAG: 0 black to 1 white)."""
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(color.redF()) + 0.7152 * linear(color.greenF()) + 0.0722 * linear(color.blueF())


def contrast(first: QColor, second: QColor) -> float:
    """Return the WCAG contrast ratio of two opaque colours (1 to 21)."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def mix(first: QColor, second: QColor, share: float) -> QColor:
    """Return `first` moved `share` (0 to 1) of the way towards `second`, opaque."""
    def channel(a: float, b: float) -> float:
        return a + (b - a) * share

    return QColor.fromRgbF(channel(first.redF(), second.redF()), channel(first.greenF(), second.greenF()),
                           channel(first.blueF(), second.blueF()))


def legible(color: QColor, background: QColor, towards: QColor) -> QColor:
    """Return `color`, moved towards `towards` just enough to stand out from `background`."""
    for step in range(11):
        candidate = mix(color, towards, step / 10)
        if contrast(candidate, background) >= LEGIBLE:
            return candidate
    return QColor(towards)


def tone(name: Tone, palette: QPalette | None = None) -> QColor:
    """Return a status text colour ("green", "red", ...) legible on the palette's window and base."""
    if name == "grey":
        return muted_text(palette)
    return QColor((_LIGHT_TONES if is_light(palette) else _DARK_TONES)[name])


def fill(name: Tone) -> QColor:
    """Return the bright fill of a status (badges, bar chunks); BADGE_TEXT is legible on it."""
    return QColor(_FILLS[name])


def secondary_text(palette: QPalette | None = None) -> QColor:
    """Return the colour of captions and titles: window text a quarter of the way to the window."""
    palette = _palette(palette)
    text, window = palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window)
    return mix(text, window, 0.25)


def muted_text(palette: QPalette | None = None) -> QColor:
    """Return the colour of units, section titles and idle states: the placeholder text, kept legible."""
    palette = _palette(palette)
    window = palette.color(QPalette.ColorRole.Window)
    base = palette.color(QPalette.ColorRole.Base)
    # Legible on the window and on the base (tables): checked against the one nearer to it.
    placeholder = palette.color(QPalette.ColorRole.PlaceholderText)
    nearer = min((window, base), key=lambda background: contrast(placeholder, background))
    return legible(placeholder, nearer, palette.color(QPalette.ColorRole.WindowText))


def card_background(palette: QPalette | None = None) -> QColor:
    """Return the fill of a card raised on the window: the base when light, a lighter window when dark."""
    palette = _palette(palette)
    if is_light(palette):
        return palette.color(QPalette.ColorRole.Base)
    return mix(palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.WindowText), 0.03)


def card_border(palette: QPalette | None = None) -> QColor:
    """Return the border of a card (the palette's mid colour)."""
    return _palette(palette).color(QPalette.ColorRole.Mid)


def groove(palette: QPalette | None = None) -> QColor:
    """Return the empty part of a progress bar: between the window and the mid colour."""
    palette = _palette(palette)
    return mix(palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.Mid), 0.7)
