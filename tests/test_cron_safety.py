"""Issue 22: what running feedkit unattended from cron must never do.

Each test reproduces one failure met on real sites: a config typo that emptied the live
feeds, stale category feeds, a site URL that crashed, ``--now`` leaking into the state,
a ping queue that never drained, and every cron run failing for old news.
"""

from __future__ import annotations

import json
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


@pytest.mark.parametrize("command", [["build", "--now", NOW], ["links"], ["dates"]])
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
