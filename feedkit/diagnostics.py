"""Collecting non-fatal problems (warnings) during a run.

Stages never print: they report to a :class:`Diagnostics` passed in by the caller, and
the CLI shows the collected messages at the end (or puts them in ``--json`` output).
Each message has a stable ``code`` that tests and users can match on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = ["Diagnostic", "Diagnostics", "Level"]


class Level(StrEnum):
    """How serious a diagnostic is. ``INFO`` is shown only with ``-v``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Diagnostic:
    """One reported problem, located in a file (and line) where there is one."""

    level: Level
    code: str
    message: str
    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.path is None:
            return f"{self.level.value}: {self.message} [{self.code}]"
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.level.value}: {self.message} [{self.code}]"

    def as_dict(self) -> dict[str, object]:
        """Return the diagnostic as a JSON-ready mapping."""
        return {
            "level": self.level.value,
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "line": self.line,
        }


class Diagnostics:
    """An ordered, thread-safe collector of diagnostics; identical repeats are kept once."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []
        self._seen: set[Diagnostic] = set()
        self._lock = threading.Lock()

    def add(self, diagnostic: Diagnostic) -> None:
        """Record ``diagnostic`` unless the very same one was recorded already."""
        with self._lock:
            if diagnostic not in self._seen:
                self._seen.add(diagnostic)
                self._items.append(diagnostic)

    def _report(
        self, level: Level, code: str, message: str, path: str | Path | None, line: int | None
    ) -> None:
        self.add(Diagnostic(level, code, message, str(path) if path is not None else None, line))

    def info(
        self, code: str, message: str, *, path: str | Path | None = None, line: int | None = None
    ) -> None:
        """Record detail shown only in verbose mode (e.g. why a file was skipped)."""
        self._report(Level.INFO, code, message, path, line)

    def warn(
        self, code: str, message: str, *, path: str | Path | None = None, line: int | None = None
    ) -> None:
        """Record a problem that feedkit worked around; ``--strict`` makes it fatal."""
        self._report(Level.WARNING, code, message, path, line)

    def error(
        self, code: str, message: str, *, path: str | Path | None = None, line: int | None = None
    ) -> None:
        """Record a problem that made feedkit skip an input (the run goes on)."""
        self._report(Level.ERROR, code, message, path, line)

    def extend(self, other: Diagnostics) -> None:
        """Add every diagnostic of ``other``, in order."""
        for diagnostic in other:
            self.add(diagnostic)

    def __iter__(self) -> Iterator[Diagnostic]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def at_least(self, level: Level) -> list[Diagnostic]:
        """Return the diagnostics of ``level`` or worse, in the order they were reported."""
        order = [Level.INFO, Level.WARNING, Level.ERROR]
        floor = order.index(level)
        return [d for d in self if order.index(d.level) >= floor]

    def codes(self) -> list[str]:
        """Return the codes of all diagnostics, in order (handy in tests)."""
        return [d.code for d in self]
