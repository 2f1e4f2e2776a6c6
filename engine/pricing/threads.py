"""Run small batches on one numba thread.

The array kernels are ``parallel=True`` for big batches (a 1M-option sweep, a 10k chain through
the ``*_into`` entry points). A chain slice or a spread prices a few hundred options per call,
and there the fork/join of the thread pool costs more than the work; on shared cores it is far
worse (a worker descheduled at the barrier stalls the call for a scheduler tick: a modelled
slice measured ~5 ms on one thread against up to ~150 ms on two under load). The checked entry
points therefore drop to one thread below SERIAL_BELOW options. numba's thread count is
thread-local, so other threads are unaffected.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import numba
import numpy as np

SERIAL_BELOW = 8192
Params = ParamSpec("Params")
Result = TypeVar("Result")


def _batch_size(values: tuple[object, ...]) -> int:
    return max((int(np.size(v)) for v in values if isinstance(v, np.ndarray)), default=1)


def serial_when_small(function: Callable[Params, Result]) -> Callable[Params, Result]:
    """Wrap a checked entry point so batches under SERIAL_BELOW run on the calling thread only."""

    @functools.wraps(function)
    def wrapper(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        previous = numba.get_num_threads()
        if previous == 1 or _batch_size(args + tuple(kwargs.values())) >= SERIAL_BELOW:
            return function(*args, **kwargs)
        numba.set_num_threads(1)
        try:
            return function(*args, **kwargs)
        finally:
            numba.set_num_threads(previous)

    return wrapper
