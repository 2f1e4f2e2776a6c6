"""JSON for the engine's value types: what the journal and the paper broker store.

`dumps(value)` writes any frozen dataclass of engine.model (nested dataclasses, tuples, enums,
dates, tz-aware datetimes, floats) as canonical JSON: keys sorted, no spaces, floats by `repr`
(shortest round-trip form), datetimes in UTC. `loads(text, cls)` reads it back into `cls`,
guided by the dataclass's type hints, equal to the value written (floats bit-identical).

Canonical output matters: the same value always gives the same text, so two runs of the same
replay give byte-identical journals and reports.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import math
import types
import typing
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from engine.errors import InputError

T = TypeVar("T")


def _plain(value: Any) -> Any:
    """Return `value` as JSON-ready plain data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InputError("datetime", value.isoformat(), "must be timezone-aware to be stored")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}  # JSON has no NaN / inf
    return value


def dumps(value: Any) -> str:
    """Return the canonical JSON text of a value (module doc)."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), allow_nan=False)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(kind: Any, data: Any) -> Any:
    """Return `data` converted to the type `kind`."""
    if data is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(kind) if option is not type(None)]
        return _build(_union_member(options, data), data)
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], item) for item in data)
        return tuple(_build(arg, item) for arg, item in zip(args, data, strict=True))
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        return kind(**{name: _build(hints[name], item) for name, item in data.items()})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    if kind is datetime:
        return datetime.fromisoformat(data)
    if kind is date:
        return date.fromisoformat(data)
    if kind is float:
        return float(data["__float__"]) if isinstance(data, dict) else float(data)
    return data


def _union_member(options: list[Any], data: Any) -> Any:
    """Return the member of a union the JSON value belongs to (a string to str, a number to float)."""
    for option in options:
        if option is str and isinstance(data, str):
            return option
        special_float = isinstance(data, dict) and "__float__" in data
        if option in (float, int) and (isinstance(data, (int, float)) or special_float):
            return option
    return options[0]


def loads(text: str, cls: type[T]) -> T:
    """Read a value of dataclass `cls` from the JSON `dumps` wrote.

    Frozen dataclasses are immutable, so one decoded value can be handed out for every read of
    the same text: the desk view re-reads the journal ten times a second and would otherwise
    decode the same candidates, orders and positions again each time.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is not None and params.frozen:
        return _cached_loads(text, cls)  # type: ignore[no-any-return]
    result: T = _build(cls, json.loads(text))
    return result


@functools.lru_cache(maxsize=8192)
def _cached_loads(text: str, cls: type[Any]) -> Any:
    return _build(cls, json.loads(text))
