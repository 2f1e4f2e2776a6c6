"""Shared panel colours: status tones, captions, muted texts and cards legible on both themes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from terminal.theme import load_theme
from widgets.colors import (
    BADGE_TEXT,
    LEGIBLE,
    card_background,
    contrast,
    fill,
    groove,
    is_light,
    legible,
    mix,
    muted_text,
    secondary_text,
    tone,
)

TONES = ("green", "red", "amber", "blue", "orange", "grey")


def theme_palette(name: str) -> QPalette:
    return load_theme(name).palette()


@pytest.fixture
def light_app(qapp: QApplication) -> Iterator[QPalette]:
    """Give the application the light theme's palette for one test."""
    before = QPalette(qapp.palette())
    qapp.setPalette(theme_palette("light"))
    yield qapp.palette()
    qapp.setPalette(before)


def test_contrast_and_mix_follow_the_wcag_formula() -> None:
    assert contrast(QColor("#ffffff"), QColor("#000000")) == pytest.approx(21.0)
    assert contrast(QColor("#777777"), QColor("#777777")) == pytest.approx(1.0)
    assert mix(QColor("#000000"), QColor("#ffffff"), 0.5).name() in ("#7f7f7f", "#808080")
    assert mix(QColor("#123456"), QColor("#ffffff"), 0.0).name() == "#123456"


def test_legible_moves_a_colour_only_as_far_as_needed() -> None:
    white, black = QColor("#ffffff"), QColor("#000000")
    assert legible(QColor("#101010"), white, black).name() == "#101010"  # already legible: kept
    moved = legible(QColor("#eeeeee"), white, black)
    assert contrast(moved, white) >= LEGIBLE
    assert moved.name() != "#000000"  # not all the way


def test_the_themes_are_told_apart_by_their_window() -> None:
    assert not is_light(theme_palette("dark"))
    assert is_light(theme_palette("light"))


@pytest.mark.parametrize("name", ["dark", "light"])
@pytest.mark.parametrize("tone_name", TONES)
def test_status_tones_are_legible_on_window_and_base(name: str, tone_name: str) -> None:
    palette = theme_palette(name)
    color = tone(tone_name, palette)  # type: ignore[arg-type]
    for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
        assert contrast(color, palette.color(role)) >= LEGIBLE, (tone_name, role)


def test_dark_theme_keeps_its_bright_status_colours() -> None:
    dark = theme_palette("dark")
    assert [tone(t, dark).name() for t in ("green", "red", "amber")] == ["#3fb68b", "#ef5b5b", "#f0a020"]
    light = theme_palette("light")
    assert all(tone(t, light).lightnessF() < tone(t, dark).lightnessF()  # type: ignore[arg-type]
               for t in TONES[:5])


@pytest.mark.parametrize("name", ["dark", "light"])
def test_captions_and_muted_texts_are_legible(name: str) -> None:
    palette = theme_palette(name)
    window = palette.color(QPalette.ColorRole.Window)
    assert contrast(secondary_text(palette), window) >= LEGIBLE
    assert contrast(muted_text(palette), window) >= LEGIBLE
    assert contrast(muted_text(palette), palette.color(QPalette.ColorRole.Base)) >= LEGIBLE


@pytest.mark.parametrize("name", ["dark", "light"])
def test_cards_carry_the_window_text_and_grooves_show(name: str) -> None:
    palette = theme_palette(name)
    card = card_background(palette)
    assert contrast(card, palette.color(QPalette.ColorRole.WindowText)) >= 7.0
    assert contrast(groove(palette), card) > 1.1  # the empty bar is seen on the card


@pytest.mark.parametrize("tone_name", TONES)
def test_badge_text_is_legible_on_every_fill(tone_name: str) -> None:
    assert contrast(fill(tone_name), QColor(BADGE_TEXT)) >= LEGIBLE  # type: ignore[arg-type]


def test_without_a_palette_the_application_palette_decides(light_app: QPalette) -> None:
    assert is_light()
    assert tone("green") == tone("green", light_app)
    assert card_background() == light_app.color(QPalette.ColorRole.Base)
