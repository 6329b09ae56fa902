"""feedkit: publish RSS 2.0, Atom 1.0 and JSON Feed from a folder of posts.

The Python API mirrors the CLI: :func:`load_settings` builds a :class:`Settings`,
:func:`build` publishes the feeds and returns a :class:`BuildResult`. Heavy modules are
imported on first use, so that ``feedkit --version`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "BuildResult",
    "DateSpan",
    "Diagnostics",
    "FeedkitError",
    "Precision",
    "Problem",
    "Settings",
    "__version__",
    "build",
    "check_output",
    "load_settings",
    "parse_date",
]

_LAZY = {
    "BuildResult": ("pipeline", "BuildResult"),
    "build": ("pipeline", "build"),
    "Settings": ("settings", "Settings"),
    "load_settings": ("settings", "load_settings"),
    "Diagnostics": ("diagnostics", "Diagnostics"),
    "FeedkitError": ("errors", "FeedkitError"),
    "DateSpan": ("dates", "DateSpan"),
    "Precision": ("dates", "Precision"),
    "parse_date": ("dates", "parse"),
    "check_output": ("check", "check_output"),
    "Problem": ("check", "Problem"),
}

if TYPE_CHECKING:
    from .check import Problem, check_output
    from .dates import DateSpan, Precision
    from .dates import parse as parse_date
    from .diagnostics import Diagnostics
    from .errors import FeedkitError
    from .pipeline import BuildResult, build
    from .settings import Settings, load_settings


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'feedkit' has no attribute {name!r}")
    from importlib import import_module

    module_name, attribute = _LAZY[name]
    value = getattr(import_module(f".{module_name}", __name__), attribute)
    globals()[name] = value
    return value
