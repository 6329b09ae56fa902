"""Running from cron: a sequence of builds over a changing site, with a clock that moves.

After every run the feed's ids, order and dates are checked against what a reader must
see; a run with no change must parse nothing and touch no file; ids never change.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest

from feedkit.diagnostics import Diagnostics, Level
from feedkit.pipeline import BuildResult, build
from feedkit.settings import load_settings
from feedkit.state import State

from .conftest import BUNDLED_NOW, REPO_ROOT, write_post

SEOUL = ZoneInfo("Asia/Seoul")
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=SEOUL)


class Site:
    """A small site on disk, built with an explicit clock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.content = root / "content"
        self.out = root / "public"
        (root / "feedkit.toml").write_text(
            '[site]\nurl = "https://example.com"\ntitle = "Cron"\ntimezone = "Asia/Seoul"\n'
            "[feeds]\ncategories = false\ntags = false\n",
            encoding="utf-8",
        )

    def build(self, now: datetime) -> BuildResult:
        settings = load_settings(self.root / "feedkit.toml")
        return build(settings, now=now, diagnostics=Diagnostics())

    def entries(self) -> list[tuple[str, str, datetime, datetime]]:
        parsed = feedparser.parse((self.out / "atom.xml").read_bytes())
        assert parsed.bozo == 0
        return [
            (e.id, e.title, datetime.fromisoformat(e.published), datetime.fromisoformat(e.updated))
            for e in parsed.entries
        ]

    def snapshot(self) -> dict[Path, tuple[bytes, int]]:
        return {
            p: (p.read_bytes(), p.stat().st_mtime_ns) for p in self.out.rglob("*") if p.is_file()
        }


def test_cron_sequence_keeps_ids_dates_and_untouched_files(tmp_path):
    site = Site(tmp_path)
    write_post(site.content, "alpha.md", "title: Alpha\ndate: 2025-02-01 10:00")
    write_post(site.content, "beta.md", "title: Beta")  # no date: first seen
    write_post(site.content, "gamma.md", "title: Gamma\ndate: 2025-03-01 14:00")  # due at 14:00
    ids: dict[str, str] = {}

    def run(hours: float, expected_titles: list[str], *, unchanged: bool = False) -> None:
        now = T0 + timedelta(hours=hours)
        before = site.snapshot()
        result = site.build(now)
        entries = site.entries()
        assert [title for _, title, _, _ in entries] == expected_titles, hours
        for entry_id, title, published, updated in entries:
            assert ids.setdefault(title, entry_id) == entry_id, f"id of {title} changed"
            assert updated >= published
        if unchanged:
            assert result.posts_parsed == 0
            assert result.files_written == ()
            assert site.snapshot() == before
        return None

    run(0, ["Beta", "Alpha"])
    beta_published = dict((t, p) for _, t, p, _ in site.entries())["Beta"]
    assert beta_published == T0  # first seen by this run
    for hour in (0.25, 0.5, 0.75, 1):
        run(hour, ["Beta", "Alpha"], unchanged=True)

    write_post(site.content, "delta.md", "title: Delta")
    run(2, ["Delta", "Beta", "Alpha"])
    run(2.25, ["Delta", "Beta", "Alpha"], unchanged=True)

    write_post(site.content, "beta.md", "title: Beta", "Edited body.\n")
    run(3, ["Delta", "Beta", "Alpha"])
    by_title = {t: (p, u) for _, t, p, u in site.entries()}
    assert by_title["Beta"] == (T0, T0 + timedelta(hours=3))  # published kept, updated = edit
    run(3.5, ["Delta", "Beta", "Alpha"], unchanged=True)

    run(5, ["Gamma", "Delta", "Beta", "Alpha"])  # the scheduled post became due at 14:00
    run(5.25, ["Gamma", "Delta", "Beta", "Alpha"], unchanged=True)

    (site.content / "beta.md").rename(site.content / "beta-renamed.md")
    run(6, ["Gamma", "Delta", "Beta", "Alpha"])
    assert dict((t, p) for _, t, p, _ in site.entries())["Beta"] == T0

    alpha = (site.content / "alpha.md").read_bytes()
    (site.content / "alpha.md").unlink()
    run(7, ["Gamma", "Delta", "Beta"])
    run(7.5, ["Gamma", "Delta", "Beta"], unchanged=True)
    (site.content / "alpha.md").write_bytes(alpha)
    run(8, ["Gamma", "Delta", "Beta", "Alpha"])

    write_post(site.content, "delta.md", "title: Delta\npermalink: /moved/delta/")
    run(9, ["Gamma", "Delta", "Beta", "Alpha"])
    delta = next(
        e
        for e in feedparser.parse((site.out / "atom.xml").read_bytes()).entries
        if e.title == "Delta"
    )
    assert delta.link == "https://example.com/moved/delta/"

    write_post(site.content, "draft.md", "title: Draft\ndraft: true")
    run(10, ["Gamma", "Delta", "Beta", "Alpha"])
    for hour in (10.5, 11, 11.5):
        run(hour, ["Gamma", "Delta", "Beta", "Alpha"], unchanged=True)
    assert len(ids) == 4


def test_fresh_checkout_with_new_mtimes_parses_nothing(site, build_site):
    build_site(site)
    for path in (site / "content").rglob("*"):
        os.utime(path, (time.time() + 100, time.time() + 100))
    result = build_site(site)
    assert result.posts_parsed == 0
    assert result.files_written == ()


@pytest.mark.parametrize("forgotten", [("sources", "planned"), ("sources",)])
def test_output_without_the_parse_cache_is_identical(site, build_site, forgotten):
    build_site(site)
    post = site / "content" / "typhoon-report.md"
    post.write_text(post.read_text("utf-8") + "\n추가 문단.\n", "utf-8")
    build_site(site)
    incremental = {p.relative_to(site): p.read_bytes() for p in (site / "public").rglob("*.*")}
    with sqlite3.connect(site / ".feedkit" / "state.db") as db:
        for table in forgotten:
            db.execute(f"DELETE FROM {table}")
        db.execute("DELETE FROM outputs")
    shutil.rmtree(site / "public")
    result = build_site(site)
    if "planned" in forgotten:
        assert result.posts_parsed == 8
    else:  # planned posts are made whole from the files the parse cache no longer holds
        assert result.posts_rendered == 6
    cold = {p.relative_to(site): p.read_bytes() for p in (site / "public").rglob("*.*")}
    assert cold == incremental


def test_future_post_is_named_in_the_summary_until_due(site, build_site):
    early = build_site(site)
    assert early.next_scheduled.path == "scheduled-election-preview.md"
    due = early.next_scheduled.due_at
    later = build_site(site, now=due + timedelta(minutes=1))
    assert later.next_scheduled is None
    titles = [e.title for e in feedparser.parse((site / "public/rss.xml").read_bytes()).entries]
    assert titles[0] == "Election night preview (scheduled)"


def test_two_builds_at_once_one_waits_or_exits_75(site):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "feedkit.cli", "build", "--now", "2026-01-01T00:00:00Z"]
    # Hold the lock from a third process so that both builds really overlap it.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from pathlib import Path; from feedkit.state import lock_state\n"
            f"with lock_state(Path({str(site / '.feedkit/state.db')!r})):\n"
            "    print('locked', flush=True); time.sleep(1.5)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert holder.stdout.readline().strip() == "locked"
    impatient = subprocess.run(command, cwd=site, env=env, capture_output=True, text=True)
    patient = subprocess.run(
        [*command, "--wait", "30"], cwd=site, env=env, capture_output=True, text=True
    )
    holder.wait()
    assert impatient.returncode == 75, impatient.stderr
    assert "another feedkit run holds the lock" in impatient.stderr
    assert patient.returncode == 0, patient.stderr
    assert feedparser.parse((site / "public" / "atom.xml").read_bytes()).bozo == 0


def test_a_run_that_waited_for_the_lock_builds_what_is_there_then(site):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    release = site / "release"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from pathlib import Path; from feedkit.state import lock_state\n"
            f"with lock_state(Path({str(site / '.feedkit/state.db')!r})):\n"
            "    print('locked', flush=True)\n"
            f"    while not Path({str(release)!r}).exists(): time.sleep(0.05)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        command = [sys.executable, "-m", "feedkit.cli", "build", "--now", "2026-01-01T00:00:00Z"]
        patient = subprocess.Popen(
            [*command, "--wait", "60"],
            cwd=site,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)  # it has scanned the folder by now, and waits for the lock
        write_post(site / "content", "late.md", "title: Written while it waited\ndate: 2025-12-31")
        release.touch()
        assert patient.wait(timeout=60) == 0, patient.stderr.read()
    finally:
        release.touch()
        holder.wait()
    titles = [e.title for e in feedparser.parse((site / "public/rss.xml").read_bytes()).entries]
    assert "Written while it waited" in titles


def test_a_run_with_nothing_to_do_does_not_wait_for_the_lock(site):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "feedkit.cli", "build", "--now", "2026-01-01T00:00:00Z"]
    _age(site / "content", 3600)
    assert subprocess.run(command, cwd=site, env=env, capture_output=True).returncode == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from pathlib import Path; from feedkit.state import lock_state\n"
            f"with lock_state(Path({str(site / '.feedkit/state.db')!r})):\n"
            "    print('locked', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        idle = subprocess.run([*command, "--json"], cwd=site, env=env, capture_output=True)
        assert idle.returncode == 0, idle.stderr
        assert json.loads(idle.stdout)["files_written"] == []
        post = site / "content" / "typhoon-report.md"
        post.write_text(post.read_text("utf-8") + "\nMore.\n", "utf-8")
        busy = subprocess.run(command, cwd=site, env=env, capture_output=True, text=True)
        assert busy.returncode == 75, busy.stderr
    finally:
        holder.kill()
        holder.wait()
    assert "More." not in (site / "public" / "rss.xml").read_text("utf-8")


@pytest.mark.parametrize("missing", ["state", "output"])
def test_losing_state_or_output_is_recovered(site, build_site, missing):
    build_site(site)
    first = {p.relative_to(site): p.read_bytes() for p in (site / "public").rglob("*.*")}
    shutil.rmtree(site / (".feedkit" if missing == "state" else "public"))
    build_site(site)
    again = {p.relative_to(site): p.read_bytes() for p in (site / "public").rglob("*.*")}
    # Without its state the seed post (no date of its own) is first seen again: only
    # the feeds that hold it may differ. Without the output, everything is rewritten.
    changed = {path for path in first if first[path] != again.get(path)}
    if missing == "output":
        assert changed == set()
    else:
        assert changed <= {p for p in first if "news" in str(p) or p.parent.name == "public"}


def test_aggregator_polls_get_304_until_a_rebuild_brings_the_new_entry(site, build_site):
    import requests

    from feedkit.serve import make_server, serve_forever_in_thread

    build_site(site)
    server = make_server(site / "public", port=0)
    serve_forever_in_thread(server)
    url = f"http://127.0.0.1:{server.server_address[1]}/atom.xml"
    try:
        first = requests.get(url, timeout=5)
        assert first.status_code == 200
        assert first.headers["Content-Type"].startswith("application/atom+xml")
        validators = {"If-None-Match": first.headers["ETag"]}
        second = requests.get(url, headers=validators, timeout=5)
        assert second.status_code == 304 and second.content == b""
        write_post(site / "content", "breaking.md", "title: 속보 새 글\ndate: 2025-12-31 10:00")
        build_site(site)
        third = requests.get(url, headers=validators, timeout=5)
        assert third.status_code == 200
        titles = [entry.title for entry in feedparser.parse(third.content).entries]
        assert "속보 새 글" in titles
    finally:
        server.shutdown()
        server.server_close()


def _age(folder: Path, seconds: float) -> None:
    """Move every file's mtime into the past, beyond the window where it is not trusted."""
    stamp = time.time() - seconds
    for path in folder.rglob("*"):
        os.utime(path, (stamp, stamp))


def test_the_config_file_named_another_way_is_the_same_build(site, monkeypatch):
    """Cron often names the config by its absolute path; by hand, feedkit runs in the
    site's folder. Neither way of naming the same file makes the other rebuild."""
    _age(site / "content", 3600)
    monkeypatch.chdir(site)
    first = build(load_settings(Path("feedkit.toml")), now=BUNDLED_NOW, diagnostics=Diagnostics())
    again = build(load_settings(site / "feedkit.toml"), now=BUNDLED_NOW, diagnostics=Diagnostics())
    assert first.files_written and again.reused and again.posts_rendered == 0
    # A file touched but not changed: the build reads again, and finds every feed as it
    # was (their signatures hold the settings), so it renders and writes nothing.
    touched = next((site / "content").rglob("*.md"))
    os.utime(touched, (time.time() - 1800, time.time() - 1800))
    later = build(load_settings(site / "feedkit.toml"), now=BUNDLED_NOW, diagnostics=Diagnostics())
    assert not later.reused and later.posts_rendered == 0 and later.files_written == ()


def test_a_run_with_nothing_to_do_reuses_the_last_build(site, build_site):
    _age(site / "content", 3600)
    first = build_site(site)
    again = build_site(site)
    assert again.reused and not first.reused
    assert again.files_written == () and again.posts_parsed == 0
    assert again.posts_published == first.posts_published
    assert again.next_scheduled == first.next_scheduled
    assert sorted(again.files_unchanged) == sorted(first.files_written)


@pytest.mark.parametrize("failing", ["meta", "pings"])
def test_a_state_database_unreadable_without_the_lock_is_read_with_it(
    site, build_site, monkeypatch, failing
):
    hubs = {"websub": {"hubs": ["http://127.0.0.1:9/hub"]}}  # queued, never pinged here
    _age(site / "content", 3600)
    first = build_site(site, **hubs)
    real_read = getattr(State, failing)
    calls = []

    def failing_once(state: State, *args: Any, **kwargs: Any) -> Any:
        calls.append(state)
        if len(calls) == 1:  # the read-only look, before the lock
            raise sqlite3.OperationalError("disk I/O error")
        return real_read(state, *args, **kwargs)

    monkeypatch.setattr(State, failing, failing_once)
    again = build_site(site, **hubs)
    assert again.reused and len(calls) == 2
    assert again.pings.still_queued == first.pings.still_queued > 0
    # The last build's diagnostics are reported as they were.
    assert first.diagnostics.at_least(Level.INFO)
    assert list(again.diagnostics) == list(first.diagnostics)


@pytest.mark.parametrize(
    "change", ["edit", "touch-recent", "output-deleted", "output-edited", "config", "due"]
)
def test_the_last_build_is_not_reused_when_something_changed(site, build_site, change):
    _age(site / "content", 3600)
    first = build_site(site)
    now = None
    if change == "edit":
        post = site / "content" / "typhoon-report.md"
        post.write_text(post.read_text("utf-8") + "\n더 많은 소식.\n", "utf-8")
        _age(site / "content", 3600)  # even with an old mtime, the size differs
    elif change == "touch-recent":
        post = site / "content" / "typhoon-report.md"
        data = post.read_bytes()
        post.write_bytes(data.replace("초속 25m".encode(), "초속 26m".encode()))  # same size
    elif change == "output-deleted":
        (site / "public" / "categories" / "국제" / "rss.xml").unlink()
    elif change == "output-edited":
        with (site / "public" / "categories" / "국제" / "atom.xml").open("ab") as output:
            output.write(b"<!-- changed by hand -->")
    elif change == "config":
        config = site / "feedkit.toml"
        config.write_text(config.read_text("utf-8").replace("limit = 20", "limit = 5"), "utf-8")
    elif change == "due":
        now = first.next_scheduled.due_at
    again = build_site(site) if now is None else build_site(site, now=now)
    assert not again.reused
    if change == "touch-recent":
        assert "초속 26m" in (site / "public" / "rss.xml").read_text("utf-8")
    if change == "output-deleted":
        assert (site / "public" / "categories" / "국제" / "rss.xml").is_file()
    if change == "output-edited":
        assert b"by hand" not in (site / "public" / "categories" / "국제" / "atom.xml").read_bytes()


def test_an_edit_renders_only_the_posts_of_the_feeds_that_hold_it(tmp_path):
    site = Site(tmp_path)
    (tmp_path / "feedkit.toml").write_text(
        '[site]\nurl = "https://example.com"\ntitle = "Many"\ntimezone = "Asia/Seoul"\n'
        "[feeds]\nlimit = 3\ntags = false\n",
        encoding="utf-8",
    )
    for n in range(12):
        write_post(
            site.content,
            f"p{n:02}.md",
            f"title: Post {n}\ndate: 2024-01-{n + 1:02}\ncategories: [c{n % 3}]",
        )
    first = site.build(T0)
    assert first.posts_rendered == 12
    write_post(
        site.content,
        "p00.md",
        "title: Post 0\ndate: 2024-01-01\ncategories: [c0]",
        "Edited body.\n",
    )
    edited = site.build(T0 + timedelta(hours=1))
    # p00 is in no subscription feed (each holds the newest 3), only in archive page 1.
    assert set(edited.files_written) == {"archive/1.xml", "archive/rss/1.xml", "archive/1.json"}
    assert edited.posts_rendered == 3
    assert "Edited body." in (site.out / "archive" / "1.xml").read_text("utf-8")


def test_resolved_posts_from_the_cache_equal_freshly_resolved_ones(site, build_site):
    import sqlite3 as sqlite

    build_site(site)
    post = site / "content" / "typhoon-report.md"
    post.write_text(post.read_text("utf-8") + "\n", "utf-8")
    second = build_site(site, now=BUNDLED_NOW + timedelta(hours=1))
    # Only the edited post's feeds change: the other posts, taken from the cache of
    # resolved posts, sign their feeds exactly as when they were resolved.
    assert {Path(p).parent.as_posix() for p in second.files_written} <= {
        ".",
        "categories/날씨",
        "tags/태풍",
        "tags/예보",
        "archive",
    }
    assert "categories/국제/rss.xml" in second.files_unchanged
    with sqlite.connect(site / ".feedkit" / "state.db") as db:
        assert db.execute("SELECT COUNT(*) FROM resolved").fetchone()[0] == 8


def test_the_build_after_a_first_build_resolves_only_the_edited_post(site, build_site, monkeypatch):
    """A first build's records are keyed by the ledger entries it created, so the next
    build finds every unchanged post in the cache (it used to resolve them all again)."""
    import feedkit.dates

    build_site(site)
    post = site / "content" / "typhoon-report.md"
    post.write_text(post.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    resolved: list[str] = []
    real_resolve_post = feedkit.dates.resolve_post

    def resolve_post(source, *args, **kwargs):  # a spy: the real function does the work
        resolved.append(source.path)
        return real_resolve_post(source, *args, **kwargs)

    monkeypatch.setattr(feedkit.dates, "resolve_post", resolve_post)
    second = build_site(site, now=BUNDLED_NOW + timedelta(hours=1))
    assert resolved == ["typhoon-report.md"]
    assert second.posts_parsed == 1
    monkeypatch.undo()
    shutil.rmtree(site / ".feedkit")
    shutil.rmtree(site / "public")
    from_scratch = build_site(site, now=BUNDLED_NOW + timedelta(hours=1))
    assert from_scratch.posts_published == second.posts_published
