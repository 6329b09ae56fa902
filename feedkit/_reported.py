"""Telling new problems from old news, for runs under cron (issue 22).

A build reports every problem it finds. Under cron, a problem that was reported before,
in a file that has not changed since, is not news: it does not fail the run again and
is not printed again unless asked (``build -v``). A new problem, or one in a file that
changed, is. The state database keeps what was reported (:meth:`State.reported_problems`);
this module decides, from the problems of this build and the bytes of their files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Set
from pathlib import Path

from .diagnostics import Diagnostic, Level

__all__ = ["ProblemRow", "known_problems", "problem_rows"]

ProblemRow = tuple[str, str, str]  # (path or "", digest of the file's bytes, problem digest)


def _problem_digest(diagnostic: Diagnostic) -> str:
    text = "\0".join(
        (diagnostic.level.value, diagnostic.code, diagnostic.message, str(diagnostic.line))
    )
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _file_digest(path: Path) -> str:
    """The digest of a file's bytes; "" for no readable file. Its bytes, not its mtime:
    a fresh checkout or a copy touches every file and changes none of them."""
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    except (OSError, ValueError):
        return ""


def problem_rows(
    diagnostics: Iterable[Diagnostic], content_dir: Path
) -> dict[Diagnostic, ProblemRow]:
    """Each warning or error of ``diagnostics`` with the row that records it: its path
    (relative to ``content_dir``, as diagnostics name them), the digest of that file as it
    is now, and a digest of the problem. Infos are not problems."""
    digests: dict[str, str] = {}
    rows: dict[Diagnostic, ProblemRow] = {}
    for diagnostic in diagnostics:
        if diagnostic.level == Level.INFO:
            continue
        path = diagnostic.path or ""
        if path not in digests:
            digests[path] = _file_digest(content_dir / path) if path else ""
        rows[diagnostic] = (path, digests[path], _problem_digest(diagnostic))
    return rows


def known_problems(
    rows: dict[Diagnostic, ProblemRow], reported: Set[ProblemRow]
) -> frozenset[Diagnostic]:
    """The problems of ``rows`` reported before (in ``reported``) for the same file
    bytes: old news."""
    return frozenset(diagnostic for diagnostic, row in rows.items() if row in reported)
