"""Importing the package compiles nothing; the warm-up compiles (or loads) every kernel."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine.pricing import warm_kernels
from engine.pricing.cache import cache_dir, ensure_fresh_cache, sources_fingerprint
from engine.pricing.warmup import main

_NO_SIGNATURES = """
import engine.pricing
from engine.pricing import iv, iv_core, kernels, probability, special
from numba.core.dispatcher import Dispatcher
compiled = [
    f"{module.__name__}.{name}"
    for module in (special, kernels, iv, iv_core, probability)
    for name, value in vars(module).items()
    if isinstance(value, Dispatcher) and value.signatures
]
assert not compiled, compiled
print("lazy")
"""


def test_import_compiles_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _NO_SIGNATURES], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "lazy"


def test_warm_kernels_reports_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    assert warm_kernels() >= 0.0
    assert main([]) == 0
    assert "pricing kernels ready in" in capsys.readouterr().out
    assert cache_dir().is_dir()


def test_cache_fingerprint_tracks_the_sources() -> None:
    ensure_fresh_cache()
    stamp = cache_dir() / "pricing-sources.sha1"
    assert stamp.read_text() == sources_fingerprint()
    assert ensure_fresh_cache() is False  # unchanged sources: the cache is kept
