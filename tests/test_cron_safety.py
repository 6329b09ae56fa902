"""Issue 22: what running feedkit unattended from cron must never do.

Each test reproduces one failure met on real sites: a config typo that emptied the live
feeds, stale category feeds, a site URL that crashed, ``--now`` leaking into the state,
a ping queue that never drained, and every cron run failing for old news.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from feedkit.cli import main

from .conftest import write_post

NOW = "2026-01-01T00:00:00+00:00"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def make_site(root: Path, extra: str = "", *, posts: int = 3) -> Path:
    """A small site with ``posts`` dated posts in one category, built at ``NOW``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "feedkit.toml").write_text(
        '[site]\nurl = "https://example.com"\ntitle = "Cron"\n' + extra, encoding="utf-8"
    )
    for n in range(posts):
        write_post(
            root / "content",
            f"2025-01-0{n + 1}-post-{n}.md",
            f"title: Post {n}\ndate: 2025-01-0{n + 1} 09:00:00 +00:00\ncategories: [news]",
        )
    return root


def entry_titles(path: Path) -> list[str]:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return [entry.title for entry in parsed.entries]


# 1. A bad site-wide permalink is a config error, found before anything is written.


@pytest.mark.parametrize("quiet", [[], ["-q"]])
def test_unknown_permalink_placeholder_in_feedkit_toml_is_a_config_error(
    tmp_path, runner, monkeypatch, quiet
):
    site = make_site(tmp_path / "site")
    monkeypatch.chdir(site)
    assert runner.invoke(main, ["build", "--now", NOW]).exit_code == 0
    before = {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file()}
    toml = site / "feedkit.toml"
    toml.write_text(toml.read_text() + 'permalink = "/:yeer/:title/"\n', encoding="utf-8")

    result = runner.invoke(main, ["build", "--now", NOW, *quiet])

    assert result.exit_code == 2, result.output
    assert "feedkit.toml: site.permalink" in result.stderr
    assert "':yeer'" in result.stderr
    after = {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file()}
    assert after == before
    assert entry_titles(site / "public" / "atom.xml") == ["Post 2", "Post 1", "Post 0"]


def test_unknown_permalink_placeholder_in_config_yml_is_a_config_error(
    tmp_path, runner, monkeypatch
):
    site = tmp_path / "jekyll"
    write_post(site / "_posts", "2025-01-01-a.md", "title: A")
    (site / "_config.yml").write_text(
        "url: https://example.com\npermalink: /:yeer/:title/\n", encoding="utf-8"
    )
    monkeypatch.chdir(site)
    result = runner.invoke(main, ["build", "-q", "--now", NOW])
    assert result.exit_code == 2, result.output
    assert "_config.yml: site.permalink" in result.stderr and "/:yeer/:title/" in result.stderr
    assert not (site / "_site").exists()


# 3. A site URL with a query or fragment is a config error, also for --json and links.


@pytest.mark.parametrize("url", ["https://example.com/blog?x=1", "https://example.com/#top"])
@pytest.mark.parametrize(
    "command", [["build", "--now", NOW], ["links"], ["dates"], ["ping", "--status"]]
)
def test_site_url_with_query_or_fragment_is_a_config_error(
    tmp_path, runner, monkeypatch, url, command
):
    site = make_site(tmp_path / "site")
    monkeypatch.chdir(site)
    result = runner.invoke(main, [*command, "--site-url", url])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "site.url" in result.stderr and url in result.stderr
    assert "Traceback" not in result.output
    assert not (site / "public").exists()


@pytest.mark.parametrize(
    "command", [["build", "--now", NOW], ["links"], ["dates"], ["ping", "--status"], ["check"]]
)
def test_json_commands_print_a_json_document_on_a_config_error(
    tmp_path, runner, monkeypatch, command
):
    site = make_site(tmp_path / "site", 'permalink = "/:nope/"\n')
    monkeypatch.chdir(site)
    result = runner.invoke(main, [*command, "--json"])
    assert result.exit_code == 2, result.output
    document = json.loads(result.stdout)
    assert document["error"]["exit_code"] == 2
    assert "site.permalink" in document["error"]["message"]


# 4. `build --now` never writes its clock into the state.


def test_build_now_in_the_future_leaves_no_first_seen_date_in_the_state(
    tmp_path, runner, monkeypatch
):
    site = make_site(tmp_path / "site", posts=1)
    write_post(site / "content", "undated.md", "title: Undated")  # first-seen is its date
    monkeypatch.chdir(site)

    simulated = runner.invoke(main, ["build", "--now", "2030-06-01T00:00:00+00:00"])
    assert simulated.exit_code == 0, simulated.output
    assert "Undated" in entry_titles(site / "public" / "atom.xml")
    with sqlite3.connect(site / ".feedkit" / "state.db") as db:
        seen = [
            datetime.fromisoformat(row[0]) for row in db.execute("SELECT first_seen_at FROM posts")
        ]
    assert seen and all(at.year < 2030 for at in seen)

    ordinary = runner.invoke(main, ["build"])  # the real clock, as cron runs it
    assert ordinary.exit_code == 0, ordinary.output
    assert "next scheduled" not in ordinary.stderr
    assert entry_titles(site / "public" / "atom.xml") == ["Undated", "Post 0"]
    parsed = feedparser.parse((site / "public" / "atom.xml").read_bytes())
    undated = parsed.entries[0]
    assert datetime.fromisoformat(undated.published).year < 2030


def test_build_now_in_the_past_is_not_reused_by_the_next_build(tmp_path, runner, monkeypatch):
    site = make_site(tmp_path / "site", posts=1)
    write_post(site / "content", "undated.md", "title: Undated")
    monkeypatch.chdir(site)
    assert runner.invoke(main, ["build", "--now", "2020-01-01T00:00:00+00:00"]).exit_code == 0
    parsed = feedparser.parse((site / "public" / "atom.xml").read_bytes())
    assert [e.published[:4] for e in parsed.entries] == ["2020"]  # Post 0 is not due yet

    ordinary = runner.invoke(main, ["build", "--json"])
    assert ordinary.exit_code == 0, ordinary.output
    assert json.loads(ordinary.stdout)["reused_last_build"] is False
    parsed = feedparser.parse((site / "public" / "atom.xml").read_bytes())
    by_title = {e.title: datetime.fromisoformat(e.published) for e in parsed.entries}
    assert set(by_title) == {"Undated", "Post 0"}
    assert by_title["Undated"].year > 2020  # first seen at the real time


# 6. Old news does not fail a cron run; new problems do; feeds never lose entries to errors.


def cron_run(runner: CliRunner, *extra: str):
    """One `feedkit build -q` as cron runs it: (exit code, lines printed)."""
    result = runner.invoke(main, ["build", "-q", *extra])
    return result.exit_code, result.output.splitlines()


def test_a_problem_already_reported_in_an_unchanged_file_fails_one_run_only(
    tmp_path, runner, monkeypatch
):
    site = make_site(tmp_path / "site", posts=4)
    broken = write_post(site / "content", "broken.md", "date: 2025-02-01")  # no title
    monkeypatch.chdir(site)

    first = cron_run(runner)
    assert first[0] == 1 and any("broken.md" in line for line in first[1])
    assert cron_run(runner) == (0, [])  # nothing changed: the same problem, old news
    write_post(site / "content", "2025-03-01-new.md", "title: New\ndate: 2025-03-01")
    assert cron_run(runner) == (0, [])  # a new post: a real build, still old news
    assert "New" in entry_titles(site / "public" / "atom.xml")

    verbose = runner.invoke(main, ["build", "-v"])
    assert verbose.exit_code == 0 and "broken.md" in verbose.stderr
    quiet_json = runner.invoke(main, ["build", "--json"])
    [problem] = [
        d for d in json.loads(quiet_json.stdout)["diagnostics"] if d["path"] == "broken.md"
    ]
    assert problem["reported_before"] is True
    strict = runner.invoke(main, ["build", "-q", "--strict"])
    assert strict.exit_code == 1 and "broken.md" in strict.stderr

    broken.write_text(broken.read_text() + "Edited, still no title.\n", encoding="utf-8")
    changed = cron_run(runner)  # the file changed: its problem is news again
    assert changed[0] == 1 and any("broken.md" in line for line in changed[1])
    assert cron_run(runner) == (0, [])

    write_post(site / "content", "other.md", "date: 2025-02-02")
    another = cron_run(runner)  # a new problem: reported alone, and fails the run
    assert another[0] == 1
    assert any("other.md" in line for line in another[1])
    assert not any("broken.md" in line for line in another[1])

    broken.write_text("---\ntitle: Fixed\ndate: 2025-02-01\n---\nBody.\n", encoding="utf-8")
    assert cron_run(runner) == (0, [])
    broken.write_text("---\ndate: 2025-02-01\n---\nBroken again.\n", encoding="utf-8")
    again = cron_run(runner)  # fixed, then broken again: news again
    assert again[0] == 1 and any("broken.md" in line for line in again[1])

    with sqlite3.connect(site / ".feedkit" / "state.db") as db:
        paths = {row[0] for row in db.execute("SELECT path FROM reported")}
    assert paths == {"broken.md", "other.md"}


def test_when_most_posts_fail_the_published_feeds_stay_and_the_run_fails(
    tmp_path, runner, monkeypatch
):
    site = make_site(tmp_path / "site", posts=3)
    monkeypatch.chdir(site)
    assert runner.invoke(main, ["build", "--now", NOW]).exit_code == 0
    before = {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file()}
    for post in (site / "content").glob("*.md"):  # a bad edit to every post
        post.write_text(post.read_text().replace("title:", "titel:"), encoding="utf-8")
    write_post(site / "content", "2025-02-01-fine.md", "title: Fine\ndate: 2025-02-01")

    for _ in range(2):  # every run fails loudly while it lasts
        result = runner.invoke(main, ["build", "-q", "--now", NOW])
        assert result.exit_code == 1, result.output
        assert "3 of 4 posts could not be published" in result.stderr
        assert "left as they were" in result.stderr
        after = {p: p.read_bytes() for p in (site / "public").rglob("*") if p.is_file()}
        assert after == before
    assert entry_titles(site / "public" / "atom.xml") == ["Post 2", "Post 1", "Post 0"]


def test_one_bad_post_among_many_is_left_out_and_the_others_published(
    tmp_path, runner, monkeypatch
):
    site = make_site(tmp_path / "site", posts=3)
    monkeypatch.chdir(site)
    post = site / "content" / "2025-01-02-post-1.md"
    post.write_text(post.read_text().replace("title:", "titel:"), encoding="utf-8")
    result = runner.invoke(main, ["build", "-q", "--now", NOW])
    assert result.exit_code == 1
    assert entry_titles(site / "public" / "atom.xml") == ["Post 2", "Post 0"]


# 2. A category or tag left with no posts: an empty, valid feed, and the hub told.

HUB = "https://hub.example/"


def test_a_category_left_without_posts_becomes_an_empty_feed_and_the_hub_is_told(
    tmp_path, runner, monkeypatch
):
    site = make_site(tmp_path / "site", f'[websub]\nhubs = ["{HUB}"]\n', posts=2)
    lone = write_post(
        site / "content",
        "2025-02-01-match.md",
        "title: Match\ndate: 2025-02-01 09:00:00 +00:00\ncategories: [sports]\ntags: [final]",
    )
    monkeypatch.chdir(site)
    assert runner.invoke(main, ["build", "--now", NOW]).exit_code == 0
    assert entry_titles(site / "public" / "categories" / "sports" / "atom.xml") == ["Match"]
    assert runner.invoke(main, ["ping", "--clear"]).exit_code == 0

    lone.unlink()
    result = runner.invoke(main, ["build", "--now", NOW, "--json"])
    assert result.exit_code == 0, result.output
    for folder in ("categories/sports", "tags/final"):
        for name in ("atom.xml", "rss.xml"):
            parsed = feedparser.parse((site / "public" / folder / name).read_bytes())
            assert not parsed.bozo and parsed.entries == []
            assert parsed.feed.title.endswith(folder.split("/")[1])
            assert HUB in [link.href for link in parsed.feed.get("links", []) if link.rel == "hub"]
        document = json.loads((site / "public" / folder / "feed.json").read_text("utf-8"))
        assert document["items"] == []
    atom = feedparser.parse((site / "public" / "categories/sports/atom.xml").read_bytes())
    assert atom.feed.updated_parsed.tm_year > 1970
    with sqlite3.connect(site / ".feedkit" / "state.db") as db:
        queued = {row[0] for row in db.execute("SELECT feed_url FROM pings")}
    assert "https://example.com/categories/sports/atom.xml" in queued
    assert "https://example.com/tags/final/feed.json" in queued
    page = (site / "public" / "feeds.html").read_text("utf-8")
    assert "categories/sports/" not in page and "categories/news/" in page

    # Stable: the next builds leave the empty feeds as they are (with their date).
    emptied = (site / "public" / "categories/sports/atom.xml").read_bytes()
    toml = site / "feedkit.toml"
    toml.write_text(toml.read_text().replace('title = "Cron"', 'title = "Cron!"'), "utf-8")
    assert runner.invoke(main, ["build", "--now", "2026-02-01T00:00:00Z"]).exit_code == 0
    again = feedparser.parse((site / "public" / "categories/sports/atom.xml").read_bytes())
    assert again.feed.updated == atom.feed.updated and again.entries == []
    assert emptied != (site / "public" / "categories/sports/atom.xml").read_bytes()  # title

    write_post(
        site / "content",
        "2025-03-01-rematch.md",
        "title: Rematch\ndate: 2025-03-01 09:00:00 +00:00\ncategories: [sports]",
    )
    assert runner.invoke(main, ["build", "--now", NOW]).exit_code == 0
    assert entry_titles(site / "public" / "categories" / "sports" / "atom.xml") == ["Rematch"]


def test_an_empty_site_feed_is_dated_once_and_not_1970(tmp_path, runner, monkeypatch):
    site = make_site(tmp_path / "site", posts=0)
    (site / "content").mkdir()
    monkeypatch.chdir(site)
    assert runner.invoke(main, ["build", "--now", NOW]).exit_code == 0
    first = feedparser.parse((site / "public" / "atom.xml").read_bytes())
    assert not first.bozo and first.entries == []
    assert first.feed.updated_parsed.tm_year > 1970
    toml = site / "feedkit.toml"
    toml.write_text(toml.read_text().replace('title = "Cron"', 'title = "Other"'), "utf-8")
    assert runner.invoke(main, ["build", "--now", "2027-01-01T00:00:00Z"]).exit_code == 0
    second = feedparser.parse((site / "public" / "atom.xml").read_bytes())
    assert second.feed.title == "Other" and second.feed.updated == first.feed.updated


# 5. A ping queue that drains: unconfigured hubs dropped, old pings given up, --drop/--clear.

DOWN_HUB = "http://127.0.0.1:9/"  # the discard port: nothing listens


def queued(site: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(site / ".feedkit" / "state.db") as db:
        return set(db.execute("SELECT feed_url, hub FROM pings"))


def test_pings_for_a_hub_no_longer_configured_are_dropped_and_said_so(
    tmp_path, runner, monkeypatch
):
    site = make_site(tmp_path / "site", posts=1)
    monkeypatch.chdir(site)
    assert runner.invoke(main, ["build", "--now", NOW, "--hub", DOWN_HUB]).exit_code == 0
    assert {hub for _, hub in queued(site)} == {DOWN_HUB}

    result = runner.invoke(main, ["ping"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "dropped" in result.stderr and "no longer configured" in result.stderr
    assert queued(site) == set()
    assert runner.invoke(main, ["ping"]).exit_code == 0


def test_pings_queued_for_over_a_week_are_given_up_once_with_a_report(
    tmp_path, runner, monkeypatch
):
    from feedkit.settings import load_settings
    from feedkit.state import State

    site = make_site(tmp_path / "site", f'[websub]\nhubs = ["{DOWN_HUB}"]\n', posts=1)
    monkeypatch.chdir(site)
    assert runner.invoke(main, ["build", "--now", NOW]).exit_code == 0
    settings = load_settings(site / "feedkit.toml")
    with State(settings.state.path) as state:
        state.drop_pings(queued(site))
        state.queue_pings(
            ["https://example.com/atom.xml"], [DOWN_HUB], now=datetime(2020, 1, 1, tzinfo=UTC)
        )

    result = runner.invoke(main, ["ping", "--json"])
    assert result.exit_code == 1
    [given_up] = json.loads(result.stdout)["given_up"]
    assert given_up["feed_url"] == "https://example.com/atom.xml"
    assert queued(site) == set()
    assert runner.invoke(main, ["ping"]).exit_code == 0  # reported once, then gone


def test_ping_drop_and_clear_empty_the_queue(tmp_path, runner, monkeypatch):
    other = "http://127.0.0.1:7/"
    site = make_site(tmp_path / "site", f'[websub]\nhubs = ["{DOWN_HUB}", "{other}"]\n', posts=1)
    monkeypatch.chdir(site)
    assert runner.invoke(main, ["build", "--now", NOW]).exit_code == 0
    assert {hub for _, hub in queued(site)} == {DOWN_HUB, other}
    per_hub = len(queued(site)) // 2  # the site's and its category's feeds
    dropped = runner.invoke(main, ["ping", "--drop", DOWN_HUB])
    assert dropped.exit_code == 0 and f"{per_hub} pings removed" in dropped.stderr
    assert {hub for _, hub in queued(site)} == {other}
    cleared = runner.invoke(main, ["ping", "--clear", "--json"])
    assert cleared.exit_code == 0 and json.loads(cleared.stdout) == {"removed": per_hub}
    assert queued(site) == set()


def test_ping_status_and_dry_run_print_human_text_to_stderr_and_json_to_stdout(
    tmp_path, runner, monkeypatch
):
    site = make_site(tmp_path / "site", f'[websub]\nhubs = ["{DOWN_HUB}"]\n', posts=1)
    monkeypatch.chdir(site)
    assert runner.invoke(main, ["build", "--now", NOW]).exit_code == 0
    for option in ("--status", "--dry-run"):
        human = runner.invoke(main, ["ping", option])
        assert human.exit_code == 0, human.output
        assert human.stdout == ""
        assert "https://example.com/atom.xml" in human.stderr
        as_json = runner.invoke(main, ["ping", option, "--json"])
        assert as_json.exit_code == 0
        assert "https://example.com/atom.xml" in as_json.stdout
        json.loads(as_json.stdout)


# 8. The code is part of every cache key: a changed feedkit rebuilds what it changes.


def _feedkit_from(package_parent: Path, site: Path, *args: str) -> dict:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "feedkit", "build", "--now", NOW, "--json", *args],
        cwd=site,
        env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_changed_copy_of_feedkit_rebuilds_every_feed_it_changes(tmp_path):
    import shutil

    from .conftest import REPO_ROOT

    site = make_site(tmp_path / "site", posts=3)
    for post in (site / "content").iterdir():  # older than the racy window of a build
        os.utime(post, (post.stat().st_mtime - 3600,) * 2)
    first = _feedkit_from(REPO_ROOT, site)
    atom_files = sorted(p for p in first["files_written"] if p.endswith("atom.xml"))
    assert len(atom_files) >= 2  # the site's and its category's

    copy = tmp_path / "copy"
    shutil.copytree(
        REPO_ROOT / "feedkit", copy / "feedkit", ignore=shutil.ignore_patterns("__pycache__")
    )
    same = _feedkit_from(copy, site)  # the same code, elsewhere: nothing to do
    assert same["reused_last_build"] is True and same["files_written"] == []

    generate = copy / "feedkit" / "generate.py"
    text = generate.read_text("utf-8")
    assert 'GENERATOR_URI = "https://pypi.org/project/feedkit/"' in text
    generate.write_text(
        text.replace("https://pypi.org/project/feedkit/", "https://example.org/feedkit-fork/"),
        "utf-8",
    )
    changed = _feedkit_from(copy, site)
    assert changed["reused_last_build"] is False
    assert changed["posts_parsed"] == changed["posts_read"]  # the parse cache was let go
    for name in atom_files:
        assert name in changed["files_written"]
        parsed = feedparser.parse((site / "public" / name).read_bytes())
        assert parsed.feed.generator_detail.href == "https://example.org/feedkit-fork/"

    back = _feedkit_from(REPO_ROOT, site)  # and back again
    assert set(atom_files) <= set(back["files_written"])


def test_the_code_digest_is_part_of_the_build_fingerprint(tmp_path, monkeypatch):
    from feedkit import _rebuild
    from feedkit.diagnostics import Diagnostics
    from feedkit.pipeline import build
    from feedkit.settings import load_settings

    site = make_site(tmp_path / "site", posts=3)
    for post in (site / "content").iterdir():  # older than the racy window of a build
        os.utime(post, (post.stat().st_mtime - 3600,) * 2)
    settings = load_settings(site / "feedkit.toml")
    now = datetime.fromisoformat(NOW)
    build(settings, now=now, diagnostics=Diagnostics())
    assert build(settings, now=now, diagnostics=Diagnostics()).reused
    monkeypatch.setattr(_rebuild, "code_digest", lambda: "another feedkit")
    rebuilt = build(settings, now=now, diagnostics=Diagnostics())
    assert not rebuilt.reused and rebuilt.posts_parsed == rebuilt.posts_read == 3


# 9. The smaller ones.


@pytest.mark.parametrize(
    ("image", "warned"),
    [
        ("img/missing.jpg", True),
        ("/img/missing.jpg", True),
        ("/img/there.jpg", False),
        ("https://cdn.example/x.jpg", False),
    ],
)
def test_an_image_that_points_at_nothing_warns_with_file_and_line(
    tmp_path, runner, monkeypatch, image, warned
):
    site = make_site(tmp_path / "site", posts=0)
    (site / "content" / "img").mkdir(parents=True)
    (site / "content" / "img" / "there.jpg").write_bytes(b"\xff\xd8" + b"0" * 100)
    write_post(
        site / "content",
        "2025-01-01-pic.md",
        f"title: Pic\ndate: 2025-01-01\nimage: {image}\ncategories: [x]",
    )
    monkeypatch.chdir(site)
    result = runner.invoke(main, ["build", "--now", NOW])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "[image-missing]" in line]
    if warned:
        assert warnings == [
            f"2025-01-01-pic.md:4: warning: image {image!r} is not a file of the site; "
            "its enclosure has no length [image-missing]"
        ]
    else:
        assert warnings == []


def test_serve_with_no_output_folder_suggests_a_build(tmp_path, runner, monkeypatch):
    site = make_site(tmp_path / "site", posts=1)
    monkeypatch.chdir(site)
    result = runner.invoke(main, ["serve", "--port", "0"])
    assert result.exit_code == 1
    assert "run `feedkit build` first" in result.stderr
    assert "No such file" not in result.stderr


def test_dates_of_one_file_prints_the_warnings_of_that_file_only(tmp_path, runner, monkeypatch):
    site = make_site(tmp_path / "site", posts=1)
    write_post(site / "content", "bad.md", "date: 2025-01-05")  # no title: an error
    odd = write_post(site / "content", "odd.md", "title: [Odd\ndate: 2025-01-06")
    monkeypatch.chdir(site)
    whole = runner.invoke(main, ["dates"])
    assert "bad.md" in whole.stderr and "odd.md" in whole.stderr
    one = runner.invoke(main, ["dates", str(odd)])
    assert one.exit_code == 0, one.output
    assert "odd.md" in one.stdout and "odd.md" in one.stderr  # its own recovered title
    assert "bad.md" not in one.stderr
    as_json = runner.invoke(main, ["dates", "content/2025-01-01-post-0.md", "--json"])
    assert [report["path"] for report in json.loads(as_json.stdout)] == ["2025-01-01-post-0.md"]
    assert as_json.stderr == ""


def test_the_readme_quickstart_commands_use_environments_of_their_own():
    import re

    from .conftest import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text("utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quickstart, re.DOTALL)
    assert len(commands) == 2
    made = [re.findall(r"python3 -m venv (\S+)", command) for command in commands]
    assert all(len(folders) == 1 for folders in made)
    assert made[0] != made[1]
    for command, [folder] in zip(commands, made, strict=True):
        used = set(re.findall(r"(\.venv[\w-]*)/bin/", command))
        assert used == {folder}


def test_a_category_emptied_under_a_state_from_before_is_emptied_too(tmp_path, runner, monkeypatch):
    site = make_site(tmp_path / "site", posts=1)
    lone = write_post(
        site / "content",
        "2025-02-01-match.md",
        "title: Match\ndate: 2025-02-01 09:00:00 +00:00\ncategories: [스포츠]",
    )
    monkeypatch.chdir(site)
    assert runner.invoke(main, ["build", "--now", NOW]).exit_code == 0
    with sqlite3.connect(site / ".feedkit" / "state.db") as db:  # as feedkit before kept it
        db.execute("DELETE FROM meta WHERE key = 'subscription_feeds'")
    lone.unlink()
    assert runner.invoke(main, ["build", "--now", NOW]).exit_code == 0
    parsed = feedparser.parse((site / "public" / "categories/스포츠/atom.xml").read_bytes())
    assert not parsed.bozo and parsed.entries == []
    assert parsed.feed.title == "Cron · 스포츠"


@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_a_build_started_with_stdout_or_stderr_closed_publishes_and_exits_0(site, closed):
    # A job started with `>&-` or `2>&-`: Python then has None for that stream.
    import shlex
    import subprocess
    import sys

    descriptor = {"stdout": 1, "stderr": 2}[closed]
    command = shlex.join([sys.executable, "-m", "feedkit", "build", "--now", NOW])
    done = subprocess.run(
        ["sh", "-c", f"exec {command} {descriptor}>&-"],
        cwd=site,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (site / "public" / "atom.xml").is_file()
    if closed == "stdout":
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith("feedkit: ")  # the summary, and nothing after it
        assert done.stderr.count("\n") == 1
