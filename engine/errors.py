"""Errors the engine raises for bad input: each one says what was wrong and where."""

from __future__ import annotations


class OptimusError(Exception):
    """Base class of every error the terminal raises on purpose."""


class InputError(OptimusError, ValueError):
    """A value given to the engine is outside what it accepts.

    The message names the field, the value and the allowed range, e.g.
    ``spot=-5.0 at index 3: must be > 0``.
    """

    def __init__(self, field: str, value: object, allowed: str, where: str = "") -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.where = where
        location = f" at {where}" if where else ""
        super().__init__(f"{field}={value!r}{location}: {allowed}")


class DataFileError(OptimusError):
    """A data file is missing or malformed.

    Carries the file, and where known the line (1-based, header is line 1) and the column,
    so a user can open the file and find the problem.
    """

    def __init__(
        self,
        path: str,
        problem: str,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.path = path
        self.problem = problem
        self.line = line
        self.column = column
        self.value = value
        parts = [path]
        if line is not None:
            parts.append(f"line {line}")
        if column is not None:
            parts.append(f"column {column}")
        detail = problem if value is None else f"{problem} (value {value!r})"
        super().__init__(f"{', '.join(parts)}: {detail}")
