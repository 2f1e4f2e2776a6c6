"""Themes: a Qt palette, a stylesheet and chart/table colours, read from resources/theme/.

A theme is one TOML file (palette roles, chart colours, chain shading) plus the QSS file it
names. Dark is the default; a light theme is another pair of files with the same keys.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from widgets.chain_table_model import ChainColors
from widgets.chart_panel import ChartStyle

DEFAULT_THEME = "dark"

_ROLES: dict[str, QPalette.ColorRole] = {
    "window": QPalette.ColorRole.Window,
    "window_text": QPalette.ColorRole.WindowText,
    "base": QPalette.ColorRole.Base,
    "alternate_base": QPalette.ColorRole.AlternateBase,
    "text": QPalette.ColorRole.Text,
    "button": QPalette.ColorRole.Button,
    "button_text": QPalette.ColorRole.ButtonText,
    "bright_text": QPalette.ColorRole.BrightText,
    "highlight": QPalette.ColorRole.Highlight,
    "highlighted_text": QPalette.ColorRole.HighlightedText,
    "tool_tip_base": QPalette.ColorRole.ToolTipBase,
    "tool_tip_text": QPalette.ColorRole.ToolTipText,
    "placeholder_text": QPalette.ColorRole.PlaceholderText,
    "link": QPalette.ColorRole.Link,
    "mid": QPalette.ColorRole.Mid,
    "dark": QPalette.ColorRole.Dark,
    "light": QPalette.ColorRole.Light,
}
_DISABLED_ROLES = (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText)


def theme_directory() -> Path:
    """Return the folder holding the theme files shipped with the package."""
    return Path(str(resources.files("resources") / "theme"))


def css_color(text: str) -> QColor:
    """Return a QColor from CSS hex (#rrggbb or #rrggbbaa; Qt itself reads #aarrggbb)."""
    digits = text.lstrip("#")
    if len(digits) not in (6, 8) or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise ValueError(f"colour {text!r} must be #rrggbb or #rrggbbaa")
    alpha = int(digits[6:8], 16) if len(digits) == 8 else 255
    return QColor(int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), alpha)


@dataclass(frozen=True, slots=True)
class Theme:
    """One theme as loaded: palette roles, stylesheet text, chart style and chain shading."""

    name: str
    palette_colors: dict[str, str]
    disabled_text: str
    stylesheet: str
    chart_background: str
    chart_foreground: str
    chart: ChartStyle
    chain: dict[str, str]

    def palette(self) -> QPalette:
        """Return the Qt palette of the theme."""
        palette = QPalette()
        for key, role in _ROLES.items():
            palette.setColor(role, css_color(self.palette_colors[key]))
        for role in _DISABLED_ROLES:
            palette.setColor(QPalette.ColorGroup.Disabled, role, css_color(self.disabled_text))
        return palette

    def chain_colors(self) -> ChainColors:
        """Return the shading of the chain table."""
        keys = ("atm_row", "itm", "strike", "strike_text")
        optional = ("short_strike", "long_strike", "highlight_text")  # defaults in ChainColors
        extra = {key: css_color(self.chain[key]) for key in optional if key in self.chain}
        return ChainColors(*(css_color(self.chain[key]) for key in keys), **extra)


def _require(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ValueError(f"theme file {where}: missing key {key!r}")
    return table[key]


def load_theme(name: str = DEFAULT_THEME, directory: Path | None = None) -> Theme:
    """Read a theme by name; raise ValueError naming the file and the missing or bad key."""
    folder = directory or theme_directory()
    path = folder / f"{name}.toml"
    if not path.exists():
        raise ValueError(f"theme {name!r} not found ({path} does not exist)")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    palette = _require(data, "palette", str(path))
    chart = dict(_require(data, "chart", str(path)))
    chart_keys = {spec.name for spec in fields(ChartStyle)}
    unknown = set(chart) - chart_keys - {"background", "foreground"}
    if unknown:
        raise ValueError(f"theme file {path}: unknown chart keys {sorted(unknown)}")
    return Theme(
        name=_require(data, "name", str(path)),
        palette_colors={key: _require(palette, key, f"{path} [palette]") for key in _ROLES},
        disabled_text=_require(palette, "disabled_text", f"{path} [palette]"),
        stylesheet=(folder / _require(data, "stylesheet", str(path))).read_text(encoding="utf-8"),
        chart_background=chart.pop("background", "#000000"),
        chart_foreground=chart.pop("foreground", "#cccccc"),
        chart=ChartStyle(**chart),
        chain=dict(_require(data, "chain", str(path))),
    )


def apply_theme(app: QApplication, theme: Theme) -> None:
    """Style the application: Fusion, the palette, the stylesheet, pyqtgraph's colours.

    Call before any plot is created: pyqtgraph reads its background/foreground at creation.
    """
    app.setStyle("Fusion")  # the one style that follows the palette on every platform
    app.setPalette(theme.palette())
    app.setStyleSheet(theme.stylesheet)
    pg.setConfigOptions(background=css_color(theme.chart_background),
                        foreground=css_color(theme.chart_foreground), antialias=True)
