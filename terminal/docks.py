"""The dock registry and the saved window layout.

Every panel is declared once here, as a DockSpec: its fixed name (also the dock's objectName,
which is what QMainWindow.saveState keys the layout on), its title, a factory that builds the
panel, and its default area. The layout is saved with ``saveState(LAYOUT_VERSION)`` next to the
window geometry in the user's config directory; a layout written by another version, or one
that cannot be read, is ignored and the default layout is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QWidget

from widgets.chain_panel import ChainPanel
from widgets.chain_table_model import ChainColors, ChainTableModel
from widgets.chart_panel import ChartPanel, ChartStyle

APP_NAME = "optimus-terminal"
CONFIG_DIR_ENV = "OPTIMUS_CONFIG_DIR"
# Bump when docks are added, removed or renamed: an old saved layout then falls back cleanly.
LAYOUT_VERSION = 1

CHAIN = "chain"
CHART = "chart"


@dataclass(frozen=True, slots=True)
class DockSpec:
    """One dockable panel: fixed name (objectName), title, panel factory, default area."""

    name: str
    title: str
    factory: Callable[[], QWidget]
    default_area: Qt.DockWidgetArea


def default_docks(chain_colors: ChainColors | None = None,
                  chart_style: ChartStyle | None = None) -> tuple[DockSpec, ...]:
    """Return the registry of the terminal's docks, in the order the View menu lists them."""
    return (
        DockSpec(CHAIN, "Option chain", lambda: ChainPanel(ChainTableModel(chain_colors)),
                 Qt.DockWidgetArea.LeftDockWidgetArea),
        DockSpec(CHART, "Chart", lambda: ChartPanel(chart_style),
                 Qt.DockWidgetArea.RightDockWidgetArea),
    )


def config_directory() -> Path:
    """Return where the terminal keeps its settings: $OPTIMUS_CONFIG_DIR or the user config dir."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True, slots=True)
class SavedLayout:
    """Window geometry and dock state as saved (either may be missing)."""

    geometry: QByteArray | None
    state: QByteArray | None


class LayoutStore:
    """Read and write the window layout in ``layout.ini`` under a config directory."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or config_directory()
        self.path = self.directory / "layout.ini"

    def _settings(self) -> QSettings:
        return QSettings(str(self.path), QSettings.Format.IniFormat)

    def load(self) -> SavedLayout:
        """Return the saved layout; missing or unreadable entries come back as None."""
        if not self.path.exists():
            return SavedLayout(None, None)
        settings = self._settings()
        return SavedLayout(self._bytes(settings.value("window/geometry")),
                           self._bytes(settings.value("window/state")))

    @staticmethod
    def _bytes(value: object) -> QByteArray | None:
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        if isinstance(value, bytes) and value:
            return QByteArray(value)
        return None  # anything else (a string, a number) is garbage: use the default

    def save(self, geometry: QByteArray, state: QByteArray) -> None:
        """Write the layout; the directory is created when missing."""
        self.directory.mkdir(parents=True, exist_ok=True)
        settings = self._settings()
        settings.setValue("window/geometry", geometry)
        settings.setValue("window/state", state)
        settings.setValue("window/layout_version", LAYOUT_VERSION)
        settings.sync()
