"""Dates stage: each post's published and updated instants and where they came from."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from feedkit.dates import (
    DateFacts,
    front_matter_instant,
    path_stem,
    resolve_dates,
    timeline_date,
)
from feedkit.diagnostics import Diagnostics
from feedkit.models import Source
from feedkit.timeline import extract_timeline

from .conftest import SEED_NAME, write_post

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=SEOUL)
MTIME = datetime(2024, 12, 31, 8, 0, tzinfo=SEOUL)
ALL = ("front-matter", "filename", "git", "first-seen", "mtime")


def source(path: str = "post.md", **metadata: object) -> Source:
    return Source(path, path, metadata, "", 3, "markdown", 1, 1, "h")


def resolve(src: Source, facts: DateFacts | None = None, sources=ALL):
    diagnostics = Diagnostics()
    dates = resolve_dates(
        src,
        facts or DateFacts(mtime_at=MTIME),
        sources=sources,
        tz=SEOUL,
        now=NOW,
        diagnostics=diagnostics,
    )
    return dates, diagnostics


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2024, 6, 18), datetime(2024, 6, 18, tzinfo=SEOUL)),
        (datetime(2024, 6, 18, 9, 30), datetime(2024, 6, 18, 9, 30, tzinfo=SEOUL)),
        (
            datetime(2024, 6, 18, 9, 30, 5, 999, tzinfo=UTC),
            datetime(2024, 6, 18, 9, 30, 5, tzinfo=UTC),
        ),
        ("2024-06-18 09:30:00 +0200", datetime.fromisoformat("2024-06-18T09:30:00+02:00")),
        ("2024년 6월 18일 오후 3시", datetime(2024, 6, 18, 15, tzinfo=SEOUL)),
        ("June 18, 2024", datetime(2024, 6, 18, tzinfo=SEOUL)),
        ("2024", None),  # a year is not a publication date
        ("soon", None),
        (["2024-06-18"], None),
        (None, None),
    ],
)
def test_front_matter_values(value, expected):
    assert front_matter_instant(value, tz=SEOUL, now=NOW) == expected


def test_front_matter_date_wins_and_keeps_its_offset():
    dates, diagnostics = resolve(source("2024-01-01-x.md", date="2024-06-18T09:00:00+02:00"))
    assert dates.published.source == "front-matter:date"
    assert dates.published.at.utcoffset() == timedelta(hours=2)
    assert dates.updated == dates.published
    assert len(diagnostics) == 0


@pytest.mark.parametrize("key", ["published", "pubDate", "created"])
def test_other_published_keys(key):
    dates, _ = resolve(source(**{key: date(2024, 3, 1)}))
    assert dates.published.source == f"front-matter:{key}"


@pytest.mark.parametrize("key", ["last_modified_at", "updated", "modified", "lastmod"])
def test_updated_keys(key):
    dates, _ = resolve(source(date=date(2024, 3, 1), **{key: date(2024, 4, 1)}))
    assert dates.updated.source == f"front-matter:{key}"
    assert dates.updated.at == datetime(2024, 4, 1, tzinfo=SEOUL)


def test_updated_is_never_before_published():
    dates, _ = resolve(source(date=date(2024, 3, 1), updated=date(2023, 1, 1)))
    assert dates.updated == dates.published


def test_invalid_front_matter_date_warns_and_falls_through():
    dates, diagnostics = resolve(source("2024-02-03-x.md", date="2024-13-45"))
    assert dates.published.source == "filename"
    assert "date-invalid" in diagnostics.codes()


def test_filename_then_git_then_first_seen_then_mtime():
    git = DateFacts(
        mtime_at=MTIME,
        git_created_at=datetime(2024, 5, 5, tzinfo=UTC),
        git_modified_at=datetime(2024, 6, 6, tzinfo=UTC),
        first_seen_at=datetime(2024, 7, 7, tzinfo=SEOUL),
    )
    assert resolve(source("2024-02-03-x.md"), git)[0].published.source == "filename"
    dates, _ = resolve(source("x.md"), git)
    assert dates.published.source == "git" and dates.updated.source == "git"
    assert dates.published.at.tzinfo == SEOUL  # shown in the site's zone
    seen = DateFacts(mtime_at=MTIME, first_seen_at=datetime(2024, 7, 7, tzinfo=SEOUL))
    assert resolve(source("x.md"), seen)[0].published.source == "first-seen"
    dates, diagnostics = resolve(source("x.md"))
    assert dates.published.source == "mtime" and dates.published.at == MTIME
    assert "date-from-mtime" in diagnostics.codes()


def test_the_commit_that_added_a_file_is_not_an_update():
    added = datetime(2024, 5, 5, tzinfo=UTC)
    dates, _ = resolve(
        source("x.md"), DateFacts(mtime_at=MTIME, git_created_at=added, git_modified_at=added)
    )
    assert dates.updated.source == "git" and dates.updated.at == dates.published.at


def test_detected_change_is_the_updated_date_when_nothing_else_gives_one():
    facts = DateFacts(mtime_at=MTIME, first_seen_at=NOW - timedelta(days=3), changed_at=NOW)
    dates, _ = resolve(source("x.md"), facts)
    assert dates.published.source == "first-seen"
    assert dates.updated.source == "change-detected" and dates.updated.at == NOW


def test_configured_order_is_followed():
    facts = DateFacts(mtime_at=MTIME, git_created_at=datetime(2024, 5, 5, tzinfo=UTC))
    dates, _ = resolve(
        source("2024-02-03-x.md", date=date(2020, 1, 1)), facts, sources=("git", "front-matter")
    )
    assert dates.published.source == "git"


SEED_TABLE = """<table><thead><tr><th>날짜</th><th>내용</th></tr></thead><tbody>
<tr><td>2024년 6월 18일</td><td>full</td></tr><tr><td>19일</td><td>partial</td></tr>
<tr><td>2030년 1월 1일</td><td>future</td></tr></tbody></table>"""


def test_timeline_date_takes_the_latest_fully_written_date_not_after_now():
    events = extract_timeline(SEED_TABLE, NOW, SEOUL)
    assert timeline_date(events, now=NOW) == datetime(2024, 6, 18, tzinfo=SEOUL)


def test_timeline_as_an_opted_in_date_source(tmp_path, build_site):
    root = tmp_path / "site"
    (root / "feedkit.toml").parent.mkdir()
    (root / "feedkit.toml").write_text(
        '[site]\nurl = "https://example.com"\ntimezone = "Asia/Seoul"\n'
        '[dates]\nsources = ["front-matter", "filename", "timeline", "first-seen"]\n',
        encoding="utf-8",
    )
    write_post(root / "content", "story.html", "title: Story", SEED_TABLE)
    build_site(root, now=NOW)
    item = json.loads((root / "public/feed.json").read_text("utf-8"))["items"][0]
    assert item["date_published"] == "2024-06-18T00:00:00+09:00"


def test_seed_post_timeline_in_json_feed_and_calendar(site, build_site):
    # The seed has no date of its own: a first build on 2024-06-17 publishes it then.
    published = datetime(2024, 6, 17, 9, 0, tzinfo=SEOUL)
    for other in (site / "content").glob("*.md"):
        other.unlink()
    (site / "content" / "2024-07-02-release-notes.html").unlink()
    build_site(site, now=published)
    (item,) = json.loads((site / "public/feed.json").read_text("utf-8"))["items"]
    assert item["date_published"] == "2024-06-17T09:00:00+09:00"
    events = item["_timeline"]["events"]
    assert [(e["start"], e["end"], e["precision"]) for e in events] == [
        ("2024-06-18T00:00:00+09:00", "2024-06-19T00:00:00+09:00", "day"),
        ("2000-07-01T00:00:00+09:00", "2000-07-01T00:00:00+09:00", "month"),
    ]
    calendar = Calendar.from_ical((site / "public/timeline.ics").read_bytes())
    (vevent,) = calendar.walk("VEVENT")  # the month-precision row is not a calendar event
    assert vevent.decoded("dtstart") == date(2024, 6, 18)
    assert vevent.decoded("dtend") == date(2024, 6, 20)  # exclusive end of an all-day span
    assert str(vevent["summary"]) == "러시아 대통령 푸틴 방북"
    assert str(vevent["url"]) == item["url"]
    assert SEED_NAME in {p.name for p in (site / "content").iterdir()}


def test_calendar_uids_are_stable_and_timed_events_are_in_utc(site, build_site):
    build_site(site)
    first = (site / "public/timeline.ics").read_bytes()
    calendar = Calendar.from_ical(first)
    events = calendar.walk("VEVENT")
    uids = [str(e["uid"]) for e in events]
    assert len(uids) == len(set(uids)) >= 6
    final = next(e for e in events if str(e["summary"]) == "결승전")
    # 11 p.m. in Paris, where the post was written (+02:00), is 21:00 UTC.
    assert final.decoded("dtstart") == datetime(2024, 7, 28, 21, 0, tzinfo=UTC)
    post = site / "content" / "typhoon-report.md"
    post.write_text(post.read_text("utf-8") + "\n", "utf-8")
    build_site(site, now=datetime(2026, 1, 2, tzinfo=SEOUL))
    again = Calendar.from_ical((site / "public/timeline.ics").read_bytes())
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == uids


def test_feedkit_dates_explains_every_bundled_post(site, monkeypatch):
    from click.testing import CliRunner

    from feedkit.cli import main

    monkeypatch.chdir(site)
    result = CliRunner().invoke(main, ["dates", "--json", "--now", "2026-01-01T00:00:00Z"])
    assert result.exit_code == 0, result.output
    reports = {r["path"]: r for r in json.loads(result.stdout)}
    assert len(reports) == 8
    for report in reports.values():
        assert report["published"]["source"] and report["updated"]["source"]
    assert reports["welcome-to-feedkit.md"]["published"] == {
        "at": "2024-05-01T09:00:00+09:00",
        "source": "front-matter:date",
    }
    assert reports["2024-06-20-putin-visit-timeline.md"]["published"]["source"] == "filename"
    assert reports[SEED_NAME]["published"]["source"] == "first-seen"
    assert reports["scheduled-election-preview.md"]["status"] == "scheduled"
    assert reports["draft-interview.md"]["status"] == "draft"
    assert len(reports["olympic-archery-gold.md"]["timeline"]["events"]) == 2
    assert not (site / ".feedkit").exists()  # explaining writes nothing


@pytest.mark.parametrize(
    "path",
    ["2024-06-18-hello.md", "a/b/c.html", "a/.md", "a/b.", "a/b.tar.md", "a/b", "a/..x", ".."],
)
def test_path_stem_is_the_stem_of_the_path(path):
    """A post's path as the walk gives it: no empty or "." segment, which a path
    object would drop."""
    assert path_stem(path) == PurePosixPath(path).stem


@given(
    st.lists(
        st.text(alphabet="ab.-_한", min_size=1, max_size=6).filter(lambda part: part != "."),
        min_size=1,
        max_size=3,
    )
)
def test_path_stem_is_the_stem_of_any_relative_path(parts):
    path = "/".join(parts)
    assert path_stem(path) == PurePosixPath(path).stem
