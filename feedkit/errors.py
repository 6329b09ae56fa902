"""Exceptions raised by feedkit.

Every error a user can act on is a :class:`FeedkitError`, a ``click.ClickException``
so that the CLI shows it as ``Error: path:line: message`` with no translation layer::

    FeedkitError                exit 1: a failure the user must fix
    ├── ConfigError             exit 2: feedkit.toml or _config.yml is wrong
    ├── SourceError             a source file could not be read or parsed
    ├── StateError              the state database could not be used
    ├── PublishError            an output file could not be written
    ├── LockTimeout             exit 75: another run holds the lock
    └── HubUnavailable          exit 75: a WebSub hub could not be reached

Foreign exceptions (``OSError``, ``sqlite3.Error``, ``requests.RequestException``) are
caught where they arise and re-raised as one of these ``from`` the original.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

__all__ = [
    "ConfigError",
    "FeedkitError",
    "HubUnavailable",
    "LockTimeout",
    "PublishError",
    "SourceError",
    "StateError",
]


class FeedkitError(click.ClickException):
    """Base of every error feedkit raises on purpose; shown as ``path:line: message``."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.detail = message
        super().__init__(self._located(message))

    def _located(self, message: str) -> str:
        if self.path is None:
            return message
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {message}"


class ConfigError(FeedkitError):
    """The configuration (feedkit.toml, _config.yml or a flag) is invalid."""

    exit_code = 2


class SourceError(FeedkitError):
    """A source file could not be read or parsed."""


class StateError(FeedkitError):
    """The state database could not be opened, migrated or written."""


class PublishError(FeedkitError):
    """An output file could not be written; the previously published file is untouched."""


class LockTimeout(FeedkitError):
    """Another feedkit run holds the lock on the same state; worth retrying later."""

    exit_code = os.EX_TEMPFAIL if hasattr(os, "EX_TEMPFAIL") else 75


class HubUnavailable(FeedkitError):
    """A WebSub hub could not be reached or answered 429/5xx; worth retrying later."""

    exit_code = os.EX_TEMPFAIL if hasattr(os, "EX_TEMPFAIL") else 75
