"""Faults: a build killed at any point, an output folder that cannot be written, a full
disk, a missing content folder. The published feeds are never half-written, and the next
normal run finishes the job (issue 7).

A build is killed deterministically by a small wrapper script, written to ``tmp_path``,
that counts the calls to ``os.fsync`` and ``os.replace`` (each published file makes one
of each) and sends itself SIGKILL at the N-th; feedkit itself knows nothing of it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner

import feedkit.publish
from feedkit.cli import main

NOW = "2026-01-01T09:00:00+09:00"
CONFIG = (
    '[site]\nurl = "https://example.com"\ntitle = "Faults"\ntimezone = "Asia/Seoul"\n'
    "[feeds]\nlimit = 10\ntags = false\n"
)
# Runs builds in forked children (feedkit is imported once), up to 8 at a time, each in
# its own site folder: argv[1] is a JSON list of
# [site folder, N]; each child counts its fsync/replace calls and SIGKILLs itself at the
# N-th (N = 0: never), writes the count to "calls" and its stderr to "stderr" in the
# folder. Prints the children's exit statuses (-9 for a kill) as a JSON list.
KILLER = textwrap.dedent(
    """
    import json, os, signal, sys

    from feedkit.cli import main

    # Import up front what a build imports lazily, so that each child starts warm.
    import feedgen.feed, feedkit.ical, feedkit.pipeline, feedkit.render, filelock
    feedkit.render.render_markdown("warm")

    def run(root, kill_at):
        os.chdir(root)
        err = os.open("stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(err, 2)
        calls = 0

        def counted(real):
            def call(*args, **kwargs):
                nonlocal calls
                calls += 1
                if calls == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
                return real(*args, **kwargs)
            return call

        os.fsync = counted(os.fsync)
        os.replace = counted(os.replace)
        try:
            main(["build", "--now", sys.argv[2], "-q"])
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        else:
            code = 0
        with open("calls", "w") as handle:
            handle.write(str(calls))
        sys.stderr.flush()
        os._exit(code)

    runs = json.loads(sys.argv[1])
    statuses, running = [None] * len(runs), {}
    for index, (root, kill_at) in enumerate(runs):
        if len(running) == 8:  # the builds wait on fsync more than on the CPU
            pid, status = os.wait()
            statuses[running.pop(pid)] = os.waitstatus_to_exitcode(status)
        pid = os.fork()
        if pid == 0:
            try:
                run(root, kill_at)
            finally:
                os._exit(70)
        running[pid] = index
    while running:
        pid, status = os.wait()
        statuses[running.pop(pid)] = os.waitstatus_to_exitcode(status)
    print(json.dumps(statuses))
    """
)


def _post(content: Path, number: int, *, edited: bool = False) -> None:
    category = ("politics", "economy", "world")[number % 3]
    title = f"Post {number}" + (" (edited)" if edited else "")
    body = f"Paragraph of post {number}.\n\n" + ("Edited text.\n" if edited else "")
    (content / f"post-{number:02d}.md").write_text(
        f"---\ntitle: {title}\ndate: 2025-03-{number:02d} 10:00\n"
        f"categories: [{category}]\n---\n{body}",
        encoding="utf-8",
    )


def _make_site(root: Path) -> Path:
    content = root / "content"
    content.mkdir(parents=True)
    (root / "feedkit.toml").write_text(CONFIG, encoding="utf-8")
    for number in range(1, 29):
        _post(content, number)
    return root


def _change_content(root: Path) -> None:
    content = root / "content"
    for number in (3, 17, 28):
        _post(content, number, edited=True)
    _post(content, 29)
    _post(content, 30)
    (content / "post-05.md").unlink()


def _feedkit(runs: list[tuple[Path, int]]) -> list[int]:
    """Build each site folder, killed at its N-th write (0: not killed); return the exit
    statuses (``-SIGKILL`` for a killed run)."""
    killer = runs[0][0].parent / "killer.py"
    killer.write_text(KILLER, encoding="utf-8")
    document = json.dumps([[str(root), kill_at] for root, kill_at in runs])
    done = subprocess.run(
        [sys.executable, str(killer), document, NOW],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    statuses: list[int] = json.loads(done.stdout)
    return statuses


def _stderr(root: Path) -> str:
    return (root / "stderr").read_text(encoding="utf-8")


def _published(out: Path) -> dict[str, bytes]:
    """The files a reader can see (temporary files start with '.')."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def _assert_readable(name: str, data: bytes) -> None:
    if name.endswith(".json"):
        json.loads(data)
    elif name.endswith(".xml"):
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, (name, parsed.get("bozo_exception"))
        assert parsed.entries, name


def _assert_state_sound(root: Path) -> None:
    database = root / ".feedkit" / "state.db"
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("SELECT COUNT(*) FROM posts").fetchone()[0] > 0
    finally:
        connection.close()


@pytest.fixture(scope="module")
def kill_setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A site built once (old feeds), its content then changed; the expected new feeds
    from a clean run over a copy; and the number of writes that run makes."""
    base = tmp_path_factory.mktemp("kill")
    before = _make_site(base / "before")
    assert _feedkit([(before, 0)]) == [0], _stderr(before)
    _change_content(before)
    reference = base / "reference"
    shutil.copytree(before, reference)
    assert _feedkit([(reference, 0)]) == [0], _stderr(reference)
    old, new = _published(before / "public"), _published(reference / "public")
    assert old != new and set(new) - set(old)  # files are changed and added
    for name, data in [*old.items(), *new.items()]:
        _assert_readable(name, data)
    writes = int((reference / "calls").read_text())
    return {"base": base, "before": before, "old": old, "new": new, "writes": writes}


def test_a_build_killed_at_any_write_leaves_whole_feeds(kill_setup):
    base, before = kill_setup["base"], kill_setup["before"]
    old, new = kill_setup["old"], kill_setup["new"]
    writes = kill_setup["writes"]
    # Every file written costs one fsync and one replace; a kill before each of them.
    assert writes >= 2 * len(set(new) - set(old))
    roots = []
    for point in range(1, writes + 1):
        root = base / f"killed-{point}"
        shutil.copytree(before, root)
        roots.append((root, point))
    assert _feedkit(roots) == [-signal.SIGKILL] * len(roots)
    for root, point in roots:
        out = root / "public"
        for name, data in _published(out).items():
            # Either the old version or the new one (both readable), never half of one.
            assert data in (old.get(name), new.get(name)), (point, name)
        assert set(old) <= set(_published(out)), point  # nothing published went missing
        _assert_state_sound(root)
    assert _feedkit([(root, 0) for root, _ in roots]) == [0] * len(roots)
    for root, point in roots:
        assert _published(root / "public") == new, point
        _assert_state_sound(root)


def test_the_next_run_removes_temporary_files_of_a_killed_run(kill_setup):
    base, before = kill_setup["base"], kill_setup["before"]
    root = base / "stale-temporary"
    shutil.copytree(before, root)
    assert _feedkit([(root, 1)]) == [-signal.SIGKILL]  # before the first fsync
    stale = list((root / "public").rglob(".*.tmp"))
    assert stale  # the killed run left its temporary file
    assert _feedkit([(root, 0)]) == [0]
    assert list((root / "public").rglob(".*.tmp")) == []


def test_temporary_files_of_a_killed_run_break_nothing(kill_setup):
    base, before = kill_setup["base"], kill_setup["before"]
    root = base / "temporary"
    shutil.copytree(before, root)
    assert _feedkit([(root, 1)]) == [-signal.SIGKILL]
    stale = list((root / "public").rglob(".*.tmp"))
    assert stale and all(path.name.startswith(".") for path in stale)
    assert _feedkit([(root, 0)]) == [0]
    assert _published(root / "public") == kill_setup["new"]


# --- write failures and a missing content folder, through the CLI ---------------------


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small site built once, with its content then changed; the cwd is the site."""
    root = tmp_path / "site"
    content = root / "content"
    content.mkdir(parents=True)
    (root / "feedkit.toml").write_text(CONFIG, encoding="utf-8")
    for number in range(1, 4):
        _post(content, number)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["build", "--now", NOW, "-q"])
    assert result.exit_code == 0, result.output
    _post(content, 2, edited=True)
    return root


def _snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(out)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in out.rglob("*")
        if p.is_file()
    }


def test_read_only_output_folder(built, monkeypatch):
    # Root ignores file modes: inject the error the kernel would give anyone else.
    before = _snapshot(built / "public")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(feedkit.publish.tempfile, "mkstemp", refuse)
    result = CliRunner().invoke(main, ["build", "--now", NOW])
    assert result.exit_code == 1
    assert "Permission denied" in result.stderr and "public" in result.stderr
    assert result.stdout == ""
    assert _snapshot(built / "public") == before


def test_disk_full(built, monkeypatch):
    before = _snapshot(built / "public")

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(feedkit.publish.os, "fsync", full)
    result = CliRunner().invoke(main, ["build", "--now", NOW])
    assert result.exit_code == 1
    assert os.strerror(errno.ENOSPC) in result.stderr
    assert _snapshot(built / "public") == before  # and no temporary file left behind
    monkeypatch.undo()
    monkeypatch.chdir(built)
    again = CliRunner().invoke(main, ["build", "--now", NOW, "-q"])
    assert again.exit_code == 0, again.output
    assert _snapshot(built / "public") != before


def test_missing_content_folder(built):
    before = _snapshot(built / "public")
    shutil.rmtree(built / "content")
    result = CliRunner().invoke(main, ["build", "--now", NOW])
    assert result.exit_code == 1
    assert "content folder not found" in result.stderr and "content" in result.stderr
    assert "Traceback" not in result.output
    assert _snapshot(built / "public") == before


# Builds a site with every stage in worker processes (argv[1]: the site folder, argv[2]:
# how they start), then waits for SIGKILL.
IN_WORKERS = textwrap.dedent(
    """
    import os, sys

    import feedkit._parallel, feedkit.collect
    from feedkit.cli import main

    if __name__ == "__main__":
        feedkit._parallel.START_METHOD = sys.argv[2]
        feedkit.collect._PARALLEL_READS = 1
        for name in ("PARALLEL_RESOLVE", "PARALLEL_POSTS", "PARALLEL_PAGES", "PARALLEL_FEEDS"):
            setattr(feedkit._parallel, name, 1)
        os.chdir(sys.argv[1])
        main(["build", "--now", sys.argv[3], "-q"])
    """
)


def _session(sid: int) -> set[int]:
    """The processes of session ``sid`` (Linux's /proc)."""
    members = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            members.add(int(stat.parent.name))
    return members


@pytest.mark.parametrize("start_method", ["fork", "forkserver"])
def test_workers_end_with_a_killed_build(tmp_path, start_method):
    """A build killed while its workers run (a cron job's timeout, the OOM killer) leaves
    none of them behind: they would wait for jobs forever, holding memory and the output
    pipe its caller reads to the end, and could still write a feed."""
    import multiprocessing
    import time

    if not Path("/proc/self/stat").is_file():
        pytest.skip("needs /proc to list a session's processes")
    if start_method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {start_method} here")
    _make_site(tmp_path)
    (tmp_path / "feedkit.toml").write_text(CONFIG.replace("limit = 10", "limit = 1"), "utf-8")
    script = tmp_path / "in_workers.py"
    script.write_text(IN_WORKERS, encoding="utf-8")
    build = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path), start_method, NOW],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its session holds it and every process it starts
    )
    # Killed once workers are writing archive pages (a first one is there).
    archive = tmp_path / "public" / "archive"
    deadline = time.monotonic() + 60
    while build.poll() is None and time.monotonic() < deadline:
        if archive.is_dir() and any(archive.iterdir()):
            break
        time.sleep(0.002)
    try:
        assert build.poll() is None, "the build ended before it was killed"
        assert _session(build.pid) - {build.pid}, "no worker was seen"
        build.kill()
        build.wait()
        deadline = time.monotonic() + 10
        while _session(build.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _session(build.pid) == set()
    finally:
        for pid in _session(build.pid):
            os.kill(pid, signal.SIGKILL)


def test_a_script_without_a_main_guard_is_told_why_its_build_failed(tmp_path):
    """A worker started from the fork server imports the script that runs the build; one
    that builds at its top level says what to do, not only that the pool broke."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("workers are forked here, and import no script")
    _make_site(tmp_path)
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from datetime import datetime
            from pathlib import Path

            import feedkit._parallel
            from feedkit import build
            from feedkit.settings import load_settings

            feedkit._parallel.PARALLEL_PAGES = 1
            build(
                load_settings(Path({str(tmp_path)!r}) / "feedkit.toml"),
                now=datetime.fromisoformat({NOW!r}),
            )
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "put the script's own code under 'if __name__ == \"__main__\":'" in done.stderr
