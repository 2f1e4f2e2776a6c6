"""The dark theme: palette, stylesheet, chart and table colours."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QPalette

from terminal.theme import DEFAULT_THEME, css_color, load_theme, theme_directory


def test_dark_theme_is_the_default_and_dark() -> None:
    theme = load_theme()
    assert theme.name == DEFAULT_THEME == "dark"
    palette = theme.palette()
    assert palette.color(QPalette.ColorRole.Window).lightnessF() < 0.2
    assert palette.color(QPalette.ColorRole.WindowText).lightnessF() > 0.7
    assert "#modelledBadge" in theme.stylesheet
    assert theme.chain_colors().atm_row.alpha() < 255


def test_css_colours_read_alpha_last() -> None:
    color = css_color("#11223344")
    assert (color.red(), color.green(), color.blue(), color.alpha()) == (0x11, 0x22, 0x33, 0x44)
    with pytest.raises(ValueError, match="#12345"):
        css_color("#12345")


def test_a_theme_file_missing_a_key_is_named(tmp_path: Path) -> None:
    text = (theme_directory() / "dark.toml").read_text().replace('window = "#1b1e24"\n', "")
    (tmp_path / "broken.toml").write_text(text)
    (tmp_path / "dark.qss").write_text("")
    with pytest.raises(ValueError, match=r"broken.toml \[palette\]: missing key 'window'"):
        load_theme("broken", tmp_path)


def test_unknown_theme_is_named() -> None:
    with pytest.raises(ValueError, match="'sepia'"):
        load_theme("sepia")
