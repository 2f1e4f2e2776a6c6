"""The ``optimus`` command line: arguments, errors, and a real off-screen screenshot."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from terminal.cli import build_parser, main, parse_size

ROOT = Path(__file__).resolve().parents[2]


def optimus(*arguments: str, config: Path, timeout: float = 600.0) -> subprocess.CompletedProcess[str]:
    """Run ``python -m terminal`` off screen with its config in `config`."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OPTIMUS_CONFIG_DIR=str(config))
    return subprocess.run([sys.executable, "-m", "terminal", *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_bare_command_and_window_options_parse_beside_subcommands() -> None:
    parser = build_parser()
    bare = parser.parse_args([])
    assert bare.command is None
    assert bare.screenshot is None
    shot = parser.parse_args(["--screenshot", "out.png", "--date", "2008-10-10", "--size", "800x600"])
    assert shot.command is None
    assert shot.screenshot == Path("out.png")
    assert shot.size == (800, 600)
    assert parser.parse_args(["warmup"]).command == "warmup"


def test_size_must_be_width_x_height() -> None:
    assert parse_size("1280x800") == (1280, 800)
    for bad in ("1280", "10x10", "axb"):
        with pytest.raises(argparse.ArgumentTypeError, match=bad):
            parse_size(bad)


def test_malformed_date_exits_non_zero_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--date", "2008-13-45"])
    assert exit_info.value.code != 0
    assert "2008-13-45" in capsys.readouterr().err


def test_unwritable_screenshot_exits_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing-folder" / "out.png"
    with pytest.raises(SystemExit) as exit_info:
        main(["--screenshot", str(target)])
    assert exit_info.value.code != 0
    assert "missing-folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--screenshot", str(tmp_path)])  # a directory


def test_window_options_do_not_go_with_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--date", "2008-10-10", "warmup"])
    assert exit_info.value.code == 2
    assert "warmup" in capsys.readouterr().err


def test_date_outside_the_history_exits_non_zero_naming_it(tmp_path: Path) -> None:
    done = optimus("--screenshot", str(tmp_path / "x.png"), "--date", "1989-06-01", config=tmp_path)
    assert done.returncode != 0
    assert "1989-06-01" in done.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.slow
def test_screenshot_writes_a_png_of_the_requested_size(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    done = optimus("--screenshot", str(target), "--date", "2008-10-10", "--size", "1280x800",
                   config=tmp_path / "config")
    assert done.returncode == 0, done.stderr
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1280, 800)
    colours = {image.pixel(x, y) for x in range(0, 1280, 16) for y in range(0, 800, 16)}
    assert len(colours) > 40  # a real window: text, table shading, chart lines; not blank
    assert not (tmp_path / "config" / "layout.ini").exists()  # screenshots never save a layout


def test_a_replay_range_that_does_not_hold_the_parking_day_is_refused(tmp_path: Path) -> None:
    done = optimus("--screenshot", str(tmp_path / "x.png"), "--date", "2015-01-13", "--from", "2015-02-02",
                   config=tmp_path)
    assert done.returncode == 2
    assert "--date" in done.stderr
    assert "2015-02-02" in done.stderr  # the range it must lie in
    assert not (tmp_path / "x.png").exists()


def test_malformed_replay_dates_exit_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--from", "2015-02-30"])
    assert exit_info.value.code == 2
    assert "--from" in capsys.readouterr().err


@pytest.mark.slow
def test_screenshot_of_a_replay_with_approvals_shows_open_positions(tmp_path: Path) -> None:
    target = tmp_path / "positions.png"
    done = optimus("--screenshot", str(target), "--date", "2015-02-04", "--approve-all", "--size", "1366x768",
                   "--theme", "light", config=tmp_path / "config")
    assert done.returncode == 0, done.stderr
    assert QImage(str(target)).width() == 1366
    assert not list(tmp_path.rglob("*.sqlite"))  # the screenshot's journal was temporary
