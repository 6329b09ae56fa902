"""How the records sent to worker processes, and back, are pickled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from operator import attrgetter
from typing import Any, TypeVar

__all__ = ["pickled_by_fields"]

_Dataclass = TypeVar("_Dataclass", bound=type)


def pickled_by_fields(cls: _Dataclass) -> _Dataclass:
    """Pickle the dataclass ``cls`` as a call with its fields' values, in their order.

    Posts go to worker processes and back by the ten thousand. Pickled the default way,
    each instance is written with its fields' names, and reading its ``__dict__`` makes
    CPython 3.11 build and keep a dict for it (over 400 bytes for a post's six records,
    on every post a worker is sent); the copies a worker reads back have theirs too.
    """
    names = tuple(f.name for f in fields(cls))
    if len(names) < 2 or not all(f.init for f in fields(cls)):
        raise TypeError(f"{cls.__name__}: one field, or one that __init__ does not take")
    values: Callable[[Any], tuple[Any, ...]] = attrgetter(*names)

    def __reduce__(self: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment]
    return cls
