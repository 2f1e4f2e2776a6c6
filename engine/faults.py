"""Failpoints: named places where a test may kill the process, to prove crash safety.

`crash_point(name)` does nothing unless the environment variable OPTIMUS_CRASH_AT is
``<name>:<n>``: then the n-th time the process passes that point it dies at once with
``os._exit(137)`` (no cleanup, no flush: what SIGKILL does). Only the kill-and-restart tests set
it; the check costs one dictionary lookup.
"""

from __future__ import annotations

import os

ENV = "OPTIMUS_CRASH_AT"
KILLED_EXIT_CODE = 137
_passes: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die here when OPTIMUS_CRASH_AT names this point and its count is reached (module doc)."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    point, _, count = wanted.partition(":")
    if point != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] >= int(count or "1"):
        os._exit(KILLED_EXIT_CODE)
