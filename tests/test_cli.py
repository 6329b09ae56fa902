"""The CLI: exit codes, stdout and stderr kept apart, options reaching the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedkit import __version__
from feedkit.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def in_site(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(site)
    return site


def test_version(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_build_in_the_site_folder_with_no_arguments(runner, in_site):
    result = runner.invoke(main, ["build", "--now", "2026-01-01T00:00:00+09:00"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    summary = result.stderr.splitlines()[-1]
    assert summary.startswith("feedkit: 8 posts read (8 parsed), 0 skipped, 6 published")
    assert "next scheduled: scheduled-election-preview.md" in summary
    assert (in_site / "public" / "atom.xml").is_file()


def test_json_summary_goes_to_stdout(runner, in_site):
    result = runner.invoke(main, ["build", "--json", "--now", "2026-01-01T00:00:00Z"])
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["posts_published"] == 6
    assert summary["next_scheduled"]["path"] == "scheduled-election-preview.md"
    assert "rss.xml" in summary["files_written"]


def test_future_flag_publishes_scheduled_posts(runner, in_site):
    result = runner.invoke(main, ["build", "--future", "--json", "--now", "2026-01-01T00:00:00Z"])
    assert json.loads(result.stdout)["posts_published"] == 7


def test_flags_override_the_config(runner, in_site, tmp_path):
    out = tmp_path / "elsewhere"
    result = runner.invoke(
        main,
        [
            "build",
            "--out",
            str(out),
            "--limit",
            "2",
            "--site-url",
            "https://news.example",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    feed = json.loads((out / "feed.json").read_text("utf-8"))
    assert len(feed["items"]) == 2
    assert feed["feed_url"] == "https://news.example/feed.json"


def test_quiet_prints_nothing(runner, in_site):
    result = runner.invoke(main, ["build", "-q", "--now", "2026-01-01T00:00:00Z"])
    assert result.exit_code == 0 and result.output == ""


def test_verbose_lists_skipped_files(runner, in_site):
    result = runner.invoke(main, ["build", "-v", "--now", "2026-01-01T00:00:00Z"])
    assert "about.md: info: no front matter; not a post [skipped]" in result.stderr


def test_config_error_exits_2_naming_the_key(runner, in_site):
    (in_site / "feedkit.toml").write_text('[site]\nurl = "nope"\n', encoding="utf-8")
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 2
    assert "site.url: expected an absolute http(s) URL, got 'nope'" in result.stderr


def test_missing_site_url_is_a_config_error(runner, tmp_path, monkeypatch):
    (tmp_path / "content").mkdir()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 2 and "site.url is not set" in result.stderr


def test_bad_post_exits_1_but_publishes_the_rest(runner, in_site):
    (in_site / "content" / "broken.md").write_text('---\ntitle: "unclosed\n---\nx\n', "utf-8")
    result = runner.invoke(main, ["build", "--json", "--now", "2026-01-01T00:00:00Z"])
    assert result.exit_code == 1
    assert "broken.md:2: error:" in result.stderr
    assert json.loads(result.stdout)["posts_published"] == 6


def test_missing_content_folder_exits_1(runner, in_site):
    result = runner.invoke(main, ["build", "no-such-folder"])
    assert result.exit_code == 1 and "content folder not found" in result.stderr


def test_bad_now_is_a_usage_error(runner, in_site):
    result = runner.invoke(main, ["build", "--now", "yesterday-ish"])
    assert result.exit_code == 2
