"""Reading each file's first and last commit dates from git, in one ``git log`` call."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .diagnostics import Diagnostics

__all__ = ["GitDates", "head_commit", "parse_git_log", "read_git_history"]

_RECORD = "\x1e"


@dataclass(frozen=True)
class GitDates:
    """The author dates of the commit that added a file and of the last one that changed it."""

    created_at: datetime
    modified_at: datetime
    former_paths: tuple[str, ...] = ()


def parse_git_log(output: str) -> dict[str, GitDates]:
    """Parse ``git log --format=%x1e%aI --name-status -M -z`` output (newest first).

    Files are keyed by their current path; a renamed file keeps the date of the commit
    that first added it under its old name.
    """
    created: dict[str, datetime] = {}
    modified: dict[str, datetime] = {}
    current_name: dict[str, str] = {}  # a path in an older commit -> its current path
    for record in output.split(_RECORD):
        fields = record.split("\x00")
        if not fields[0].strip():
            continue
        try:
            when = datetime.fromisoformat(fields[0].strip())
        except ValueError:
            continue
        tokens = iter(field.strip("\n") for field in fields[1:])
        for status in tokens:
            if not status:
                continue
            if status[0] in "RC":
                old, new = next(tokens, ""), next(tokens, "")
                now_called = current_name.get(new, new)
                modified.setdefault(now_called, when)
                created[now_called] = when
                if status[0] == "R":
                    current_name[old] = now_called
                continue
            path = next(tokens, "")
            now_called = current_name.get(path, path)
            if status[0] == "D":
                # An older file of the same name that was deleted is another file.
                current_name[path] = "\x00deleted"
                continue
            modified.setdefault(now_called, when)
            created[now_called] = when
    former: dict[str, list[str]] = {}
    for old, new in current_name.items():
        if old != new and not new.startswith("\x00"):
            former.setdefault(new, []).append(old)
    return {
        path: GitDates(created[path], modified[path], tuple(former.get(path, ())))
        for path in created
        if not path.startswith("\x00")
    }


def _may_be_in_work_tree(folder: Path) -> bool:
    """False when no folder from ``folder`` up holds a ``.git`` and ``GIT_DIR`` is unset:
    then git has nothing to say, and a build need not start it to hear that."""
    if os.environ.get("GIT_DIR"):
        return True
    start = folder.absolute()
    return any(os.path.lexists(os.path.join(parent, ".git")) for parent in (start, *start.parents))


def head_commit(folder: Path) -> str:
    """Return the commit checked out in the work tree holding ``folder``, or ''."""
    if not _may_be_in_work_tree(folder):
        return ""
    # Imported here: every build asks for HEAD, and most sites outside git need neither.
    import shutil
    import subprocess

    git = shutil.which("git")
    if git is None:
        return ""
    completed = subprocess.run(
        [git, "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() if completed.returncode == 0 else ""


def read_git_history(folder: Path, diagnostics: Diagnostics) -> dict[str, GitDates]:
    """Return the git dates of every committed file under ``folder``, keyed by path
    relative to it; empty when ``folder`` is not in a git work tree or git is missing.

    A shallow clone (as CI checks out by default) is reported and its dates are not used:
    they would stamp every post with the day of the clone.
    """
    if not _may_be_in_work_tree(folder):
        return {}
    import shutil
    import subprocess

    git = shutil.which("git")
    if git is None:
        return {}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [git, "-C", str(folder), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            check=False,
        )

    probe = run("rev-parse", "--is-inside-work-tree", "--is-shallow-repository")
    if probe.returncode != 0:
        return {}
    inside, shallow = [*probe.stdout.split(), "", ""][:2]
    if inside != "true":
        return {}
    if shallow == "true":
        diagnostics.warn(
            "git-shallow",
            "the git clone is shallow; commit dates are not used (fetch the full "
            "history, e.g. actions/checkout with fetch-depth: 0)",
            path=str(folder),
        )
        return {}
    log = run("log", "--format=%x1e%aI", "--name-status", "-M", "-z", "--relative", "--", ".")
    if log.returncode != 0:
        diagnostics.warn("git-failed", f"git log failed: {log.stderr.strip()}", path=str(folder))
        return {}
    return parse_git_log(log.stdout)
