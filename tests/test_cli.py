"""The CLI: exit codes, stdout and stderr kept apart, options reaching the API."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
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


def test_python_dash_m_feedkit_is_the_command(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "feedkit", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: feedkit [OPTIONS] COMMAND")
    assert "build" in done.stdout


# A command added to feedkit's group for the tests of run(): it registers an exit
# handler (as multiprocessing does once a build starts workers), writes more than a
# pipe's buffer, and ends as its argument says.
_PROBE = """
import atexit, sys, click, feedkit.cli as cli

@cli.main.command("probe")
@click.argument("how")
def probe(how):
    atexit.register(print, "exit handler ran")
    click.echo("x" * 200_000)
    click.echo("to stderr", err=True)
    if how == "exit-3":
        sys.exit(3)
    if how == "raise":
        raise RuntimeError("boom")

sys.argv = ["feedkit", "probe", *sys.argv[1:]]
cli.run()
"""


@pytest.mark.parametrize(
    ("how", "status"), [("ok", 0), ("exit-3", 3), ("raise", 1), ("--bad-option", 2)]
)
def test_run_exits_with_the_commands_status_after_its_output_and_exit_handlers(
    tmp_path, how, status
):
    import subprocess
    import sys

    # Buffered, as standard output is under cron: with PYTHONUNBUFFERED nothing is held.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, how],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert done.returncode == status, done.stderr
    if how == "--bad-option":
        assert "No such option '--bad-option'" in done.stderr
        return
    # Everything written before the exit reached the pipes, then the handler's line.
    assert done.stdout == "x" * 200_000 + "\nexit handler ran\n"
    assert done.stderr.startswith("to stderr\n")
    if how == "raise":
        assert "RuntimeError: boom" in done.stderr


def test_what_the_script_imports_before_run_registers_no_exit_handler(tmp_path):
    # run() ends the process from its own exit handler, the last to run: one registered
    # before it would be skipped.
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import atexit, feedkit.cli; print(atexit._ncallbacks())"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert done.stdout.strip() == "0"


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


class FakeTerminal:
    """A stream that says it is a terminal, recording what is written to it."""

    def __init__(self, is_terminal: bool) -> None:
        self.text = ""
        self.is_terminal = is_terminal

    def isatty(self) -> bool:
        return self.is_terminal

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_progress_is_drawn_on_a_terminal_only_after_the_delay():
    from feedkit.cli import _ProgressLine

    terminal = FakeTerminal(True)
    with _ProgressLine(enabled=True, stream=terminal, delay=0) as progress:
        progress("read", 512, 1024)
        assert "reading posts" in terminal.text and "512/1024" in terminal.text
    assert terminal.text.endswith("\r\x1b[K")  # the line is cleared for the summary
    slow = FakeTerminal(True)
    with _ProgressLine(enabled=True, stream=slow, delay=60) as progress:
        progress("write", 1, 2)
    assert slow.text == ""


def test_no_progress_under_cron_or_with_q():
    from feedkit.cli import _ProgressLine

    for terminal, enabled in ((FakeTerminal(False), True), (FakeTerminal(True), False)):
        with _ProgressLine(enabled=enabled, stream=terminal, delay=0) as progress:
            progress("read", 1, 2)
        assert terminal.text == ""


def test_build_reports_progress_through_the_api(site):
    from feedkit.diagnostics import Diagnostics
    from feedkit.pipeline import build
    from feedkit.settings import load_settings

    calls = []
    build(
        load_settings(site / "feedkit.toml"),
        now=datetime(2026, 1, 1, tzinfo=UTC),
        diagnostics=Diagnostics(),
        progress=lambda *call: calls.append(call),
    )
    stages = {stage for stage, _, _ in calls}
    assert stages == {"write"}  # 8 posts: fewer than one "read" report (every 256 files)
    assert calls[-1][1] == calls[-1][2]
