"""Git dates: one git log for the tree, renames followed, shallow clones refused."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from feedkit._git import parse_git_log, read_git_history
from feedkit.diagnostics import Diagnostics

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str, date: str | None = None) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "content").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "content" / "a.md").write_text("---\ntitle: A\n---\none\n")
    (root / "content" / "뉴스 b.md").write_text("---\ntitle: B\n---\none\n")
    (root / "outside.md").write_text("x")
    git(root, "add", ".")
    git(root, "commit", "-qm", "add", date="2024-01-01T10:00:00+09:00")
    git(root, "mv", "content/a.md", "content/renamed.md")
    with (root / "content" / "뉴스 b.md").open("a") as handle:
        handle.write("two\n")
    git(root, "commit", "-qam", "rename and edit", date="2024-02-01T10:00:00+09:00")
    return root


def test_first_and_last_commit_follow_renames(repo):
    history = read_git_history(repo / "content", Diagnostics())
    assert set(history) == {"renamed.md", "뉴스 b.md"}
    assert history["renamed.md"].created_at == datetime.fromisoformat("2024-01-01T10:00:00+09:00")
    assert history["renamed.md"].modified_at == datetime.fromisoformat("2024-02-01T10:00:00+09:00")
    assert history["뉴스 b.md"].created_at.month == 1
    assert history["뉴스 b.md"].modified_at.month == 2


def test_outside_a_work_tree_there_is_no_history(tmp_path):
    assert read_git_history(tmp_path, Diagnostics()) == {}


def test_shallow_clone_is_reported_and_not_used(repo, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)],
        check=True,
        capture_output=True,
    )
    diagnostics = Diagnostics()
    assert read_git_history(clone / "content", diagnostics) == {}
    assert diagnostics.codes() == ["git-shallow"]


def test_deleted_and_re_added_file_is_a_new_file():
    log = (
        "\x1e2024-03-01T00:00:00+00:00\x00\nA\x00x.md\x00"
        "\x1e2024-02-01T00:00:00+00:00\x00\nD\x00x.md\x00"
        "\x1e2024-01-01T00:00:00+00:00\x00\nA\x00x.md\x00"
    )
    dates = parse_git_log(log)["x.md"]
    assert dates.created_at.month == 3 and dates.modified_at.month == 3
