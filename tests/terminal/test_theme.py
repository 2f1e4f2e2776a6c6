"""The dark and light themes: palette, stylesheet, chart and table colours."""

from __future__ import annotations

import re
import tomllib
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


def _toml_keys(name: str) -> dict[str, set[str]]:
    """Return the keys of a theme file by table ("" for the top level)."""
    data = tomllib.loads((theme_directory() / f"{name}.toml").read_text(encoding="utf-8"))
    keys = {"": set(data)}
    keys.update({table: set(values) for table, values in data.items() if isinstance(values, dict)})
    return keys


def _contrast(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two opaque colours (1 to 21)."""
    def luminance(text: str) -> float:
        color = css_color(text)
        channels = [c / 255.0 for c in (color.red(), color.green(), color.blue())]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_light_theme_loads_and_is_light() -> None:
    theme = load_theme("light")
    assert theme.name == "light"
    palette = theme.palette()
    assert palette.color(QPalette.ColorRole.Window).lightnessF() > 0.8
    assert palette.color(QPalette.ColorRole.WindowText).lightnessF() < 0.3
    assert "#modelledBadge" in theme.stylesheet
    assert theme.stylesheet != load_theme("dark").stylesheet
    assert theme.chain_colors().atm_row.alpha() < 255
    assert theme.chart.close != load_theme("dark").chart.close


def test_light_theme_has_exactly_the_keys_of_dark() -> None:
    light, dark = _toml_keys("light"), _toml_keys("dark")
    assert set(light) == set(dark)
    for table, keys in dark.items():
        assert light[table] == keys, f"table [{table}] differs: {sorted(light[table] ^ keys)}"


def test_light_stylesheet_styles_the_same_selectors_as_dark() -> None:
    def selectors(name: str) -> set[str]:
        text = (theme_directory() / f"{name}.qss").read_text(encoding="utf-8")
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
        return {selector.strip() for selector in re.findall(r"([^{}]+)\{", text)}

    assert selectors("light") == selectors("dark")


@pytest.mark.parametrize("name", ["dark", "light"])
@pytest.mark.parametrize(("background", "foreground"), [
    ("window", "window_text"), ("base", "text"), ("alternate_base", "text"), ("button", "button_text"),
    ("highlight", "highlighted_text"), ("tool_tip_base", "tool_tip_text"),
])
def test_theme_text_stands_out_from_its_background(name: str, background: str, foreground: str) -> None:
    colors = load_theme(name).palette_colors
    assert _contrast(colors[background], colors[foreground]) >= 4.5


@pytest.mark.parametrize("name", ["dark", "light"])
def test_chart_lines_stand_out_from_the_chart_background(name: str) -> None:
    theme = load_theme(name)
    for line in ("close", "payoff"):
        assert _contrast(theme.chart_background, getattr(theme.chart, line)) >= 4.5, line
    assert _contrast(theme.chart_background, theme.chart_foreground) >= 4.5
    chain = theme.chain
    assert _contrast(chain["strike"], chain["strike_text"]) >= 4.5
