"""A build takes the posts of unchanged files as the last build planned them, and reads
only the files that changed: it must publish, report and store exactly what the same
build does when it takes every file as changed (as a first build does).

Each step changes the site, then builds it twice from the same state: once as feedkit
does, once with the stored planned posts deleted, so that every file counts as changed.
Files are dated in the past so that unchanged ones are really unchanged (not "racily
clean", which would re-read them).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from feedkit import _rebuild, pipeline
from feedkit._records import planned_from_record
from feedkit.diagnostics import Diagnostics
from feedkit.settings import load_settings

from .conftest import BUNDLED_NOW, SEOUL, write_post

_OLD = datetime(2025, 1, 1, tzinfo=SEOUL).timestamp()


def _age(root: Path, step: int) -> None:
    """Date every content file in the past; a file written in this step gets its own
    second, so that a change of size or time shows (as it does between cron runs)."""
    for path in (root / "content").rglob("*"):
        if path.is_file():
            stamp = _OLD + step if path.stat().st_mtime > _OLD + 10_000 else path.stat().st_mtime
            os.utime(path, (stamp, stamp))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


def _state(root: Path) -> dict[str, object]:
    with sqlite3.connect(root / ".feedkit" / "state.db") as db:
        ledger = db.execute("SELECT * FROM posts ORDER BY id").fetchall()
        sources = db.execute("SELECT path, content_hash FROM sources ORDER BY path").fetchall()
        resolved = db.execute("SELECT path, key FROM resolved ORDER BY path").fetchall()
        planned: dict[str, object] = {}
        for (record,) in db.execute("SELECT record FROM planned"):
            decoded = planned_from_record(record)
            assert decoded is not None
            planned.update(decoded)
    return {"ledger": ledger, "sources": sources, "resolved": resolved, "planned": planned}


def _spy_on_unchanged(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """A list that each attempt at gathering the posts adds to: whether it took some
    files as unchanged."""
    taken: list[bool] = []
    gather = _rebuild._gather

    def spy(*args: object, **kwargs: object) -> object:
        taken.append(bool(kwargs["unchanged"]))
        return gather(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_rebuild, "_gather", spy)
    return taken


def _outputs(root: Path) -> dict[str, bytes]:
    public = root / "public"
    return {str(p.relative_to(public)): p.read_bytes() for p in public.rglob("*") if p.is_file()}


_Step = Callable[[Path], None]
_TAKE_AN_ID = "declare the id of a post that did not change"


def _steps() -> list[tuple[str, _Step, bool]]:
    """(what, change, whether the changed-files path can do it)."""
    content = Path("content")

    def edit_body(root: Path) -> None:
        _edit(root / content / "typhoon-report.md", "당부했다.", "당부했다. 피해에 대비하라.")

    def retitle(root: Path) -> None:
        _edit(root / content / "olympic-archery-gold.md", "10연패 달성", "10연패 달성 (종합)")

    def new_post(root: Path) -> None:
        write_post(
            root / content,
            "2025-12-30-new-bridge.md",
            "title: 새 다리 개통\ncategories: [교통]\ntags: [다리, 예보]",
            "한강에 새 다리가 **개통**했다.\n",
        )

    def to_draft(root: Path) -> None:
        _edit(
            root / content / "typhoon-report.md",
            "categories: [날씨]",
            "draft: true\ncategories: [날씨]",
        )

    def from_draft(root: Path) -> None:
        _edit(root / content / "typhoon-report.md", "draft: true\n", "")

    def clash(root: Path) -> None:
        write_post(
            root / content,
            "2025-12-30-new-bridge.html",
            "title: 같은 주소의 다른 글",
            "<p>주소가 겹친다.</p>\n",
        )

    def unclash(root: Path) -> None:
        (root / content / "2025-12-30-new-bridge.html").rename(
            root / content / "2025-12-31-other-bridge.html"
        )

    def to_future(root: Path) -> None:
        _edit(
            root / content / "2025-12-30-new-bridge.md",
            "title: 새 다리",
            "date: 2027-01-01\ntitle: 새 다리",
        )

    def bad_yaml(root: Path) -> None:
        _edit(root / content / "olympic-archery-gold.md", "lang: ko", "lang: [ko")

    def mend_yaml(root: Path) -> None:
        _edit(root / content / "olympic-archery-gold.md", "lang: [ko", "lang: ko")

    def declare_id(root: Path) -> None:
        _edit(root / content / "welcome-to-feedkit.md", "---\n", "---\nid: urn:feedkit:welcome\n")

    def take_an_id(root: Path) -> None:
        with sqlite3.connect(root / ".feedkit" / "state.db") as db:
            (taken_id,) = db.execute(
                "SELECT id FROM posts WHERE path = 'typhoon-report.md'"
            ).fetchone()
        # Named to come after the post whose id it takes, so that it is the one dropped as
        # a duplicate, while by reading every file the other post loses its ledger entry.
        write_post(
            root / content, "zz-late.md", f"id: {taken_id}\ntitle: 늦은 글\ndate: 2024-01-01"
        )

    removed: dict[str, bytes] = {}

    def remove(root: Path) -> None:
        path = root / content / "2024-07-02-release-notes.html"
        removed["text"] = path.read_bytes()
        path.unlink()

    def restore(root: Path) -> None:
        (root / content / "2024-07-02-release-notes.html").write_bytes(removed["text"])

    def restore_renamed(root: Path) -> None:
        (root / content / "2024-07-03-notes-again.html").write_bytes(removed["text"])

    def new_category(root: Path) -> None:
        _edit(
            root / content / "typhoon-report.md", "categories: [날씨]", "categories: [날씨, 재난]"
        )

    def move_category(root: Path) -> None:
        # The post leaves the only category it was in: that feed is emptied.
        _edit(root / content / "olympic-archery-gold.md", "  - 스포츠", "  - 날씨")

    def move_in_order(root: Path) -> None:
        _edit(root / content / "typhoon-report.md", "date: 2024-08-19 17:05", "date: 2024-05-01")

    def move_tag(root: Path) -> None:
        _edit(root / content / "typhoon-report.md", "tags: [태풍, 예보]", "tags: [예보, 호우]")

    return [
        ("edit a body", edit_body, True),
        ("change a title", retitle, True),
        ("add a post", new_post, True),
        ("make a post a draft", to_draft, True),
        ("publish it again", from_draft, True),
        ("add a post with a taken permalink", clash, True),
        ("rename it, which removes a file", unclash, False),
        ("date a post in the future", to_future, True),
        ("break a post's front matter", bad_yaml, True),
        ("mend it", mend_yaml, True),
        ("declare an id", declare_id, True),
        ("add a category", new_category, True),
        ("move a post to another category", move_category, True),
        ("date a post earlier, which moves it in every feed", move_in_order, True),
        ("swap a tag", move_tag, True),
        (_TAKE_AN_ID, take_an_id, False),
        ("remove a post", remove, False),
        # A deleted post's entry is found by its path, then by its content hash.
        ("put it back", restore, True),
        ("remove it again", remove, False),
        ("put it back under another name", restore_renamed, True),
    ]


# Every build at one clock that is not the real time (``feedkit build --now``, as
# scripts/bench.py runs it), behind or ahead of the time the ledger records.
_CLOCKS = {
    "real": None,
    "behind": BUNDLED_NOW - timedelta(minutes=30),
    "ahead": BUNDLED_NOW + timedelta(days=3),
}


@pytest.mark.parametrize("clock", list(_CLOCKS))
@pytest.mark.parametrize("future", [False, True])
def test_reading_only_changed_files_gives_what_reading_all_gives(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, future: bool, clock: str
) -> None:
    def build(root: Path, now: datetime) -> dict[str, object]:
        settings = load_settings(root / "feedkit.toml", {"content": {"future": future}})
        found = Diagnostics()
        simulated = _CLOCKS[clock]
        result = pipeline.build(
            settings,
            now=simulated or now,
            diagnostics=found,
            recorded_at=now if simulated else None,
        )
        summary = result.as_dict()
        summary.pop("seconds")
        return summary

    taken = _spy_on_unchanged(monkeypatch)

    # Posts whose reading and whose resolving say something, said again on every build.
    write_post(site / "content", "2024-05-05-odd-date.md", "title: 날짜가 이상한 글\ndate: 언젠가")
    write_post(site / "content", "bracket-title.md", "title: [속보] 괄호 제목\ndate: 2024-05-06")
    _age(site, 0)
    now = BUNDLED_NOW
    first = build(site, now)
    codes = {diagnostic["code"] for diagnostic in first["diagnostics"]}  # type: ignore[union-attr]
    assert {"date-invalid", "front-matter-recovered"} <= codes
    before, after = tmp_path / "before", tmp_path / "after"
    for number, (what, change, changed_only) in enumerate(_steps(), 1):
        now += timedelta(hours=1)
        change(site)
        _age(site, number)
        shutil.copytree(site, before, symlinks=True)

        taken.clear()
        summary = build(site, now)
        # At a clock ahead, the post whose id is taken was edited the step before: it is
        # read again (its entry changed), so the build can take the other files.
        if not (clock == "ahead" and what == _TAKE_AN_ID):
            assert taken[-1] == changed_only, what
        outputs, state = _outputs(site), _state(site)
        shutil.move(site, after)

        # The same build of the same folder (settings hold its paths), with every file
        # taken as changed and resolved again.
        shutil.move(before, site)
        with sqlite3.connect(site / ".feedkit" / "state.db") as db:
            db.execute("DELETE FROM planned")
            db.execute("DELETE FROM resolved")
        assert build(site, now) == summary, what
        assert _outputs(site) == outputs, what
        assert _state(site) == state, what
        shutil.rmtree(site)
        shutil.move(after, site)  # go on from the changed-files build


def test_a_build_after_a_changed_files_build_changes_nothing(site: Path, build_site) -> None:
    _age(site, 0)
    build_site(site)
    _edit(site / "content" / "typhoon-report.md", "당부했다.", "당부했다!")
    _age(site, 1)
    edited = build_site(site)
    assert edited.files_written and edited.posts_parsed == 1
    again = build_site(site)
    assert again.reused and not again.files_written


def test_planned_posts_that_cannot_be_read_make_the_build_read_every_post(
    site: Path, build_site, monkeypatch: pytest.MonkeyPatch
) -> None:
    _age(site, 0)
    build_site(site)
    with sqlite3.connect(site / ".feedkit" / "state.db") as db:
        db.execute("UPDATE planned SET record = ? WHERE shard = 0", (b"not a pickle",))
    _edit(site / "content" / "typhoon-report.md", "당부했다.", "당부했다!")
    _age(site, 1)
    taken = _spy_on_unchanged(monkeypatch)
    result = build_site(site)
    assert taken == [False]  # every file taken as changed
    assert result.posts_read == 8 and "tags/태풍/atom.xml" in result.files_written
    with sqlite3.connect(site / ".feedkit" / "state.db") as db:
        records = [record for (record,) in db.execute("SELECT record FROM planned")]
    assert all(planned_from_record(record) is not None for record in records)


def test_a_record_missing_when_a_planned_post_is_made_whole_is_resolved_again(
    site: Path, tmp_path: Path, build_site
) -> None:
    _age(site, 0)
    build_site(site)
    reference = tmp_path / "reference"  # the same site with its records
    shutil.copytree(site, reference, symlinks=True)
    with sqlite3.connect(site / ".feedkit" / "state.db") as db:
        db.execute("DELETE FROM resolved")
    for root in (site, reference):
        with sqlite3.connect(root / ".feedkit" / "state.db") as db:
            db.execute("DELETE FROM outputs")  # every feed is written again
        shutil.rmtree(root / "public")
        _edit(root / "content" / "typhoon-report.md", "당부했다.", "당부했다!")
        _age(root, 1)
    result = build_site(site)
    assert result.posts_parsed == 1 and result.posts_rendered == result.posts_published
    build_site(reference)
    assert _outputs(site) == _outputs(reference)


def test_an_edit_to_a_post_whose_id_a_skipped_duplicate_shares_is_published(
    site: Path, build_site
) -> None:
    for name in ("a-first.md", "b-second.md"):  # the second is skipped: the same id
        write_post(site / "content", name, "id: urn:x:same\ntitle: 같은 id\ndate: 2025-12-01")
    _age(site, 0)
    first = build_site(site)
    assert "duplicate-url" in first.diagnostics.codes()
    _edit(site / "content" / "a-first.md", "Body text.", "고친 본문.")
    _age(site, 1)
    build_site(site)
    assert "고친 본문." in (site / "public" / "feed.json").read_text("utf-8")


def test_a_draft_at_a_live_posts_url_does_not_hide_it(site: Path, build_site) -> None:
    # Found on a public Hugo site: a 2018 draft and a 2019 post at one URL, the draft's
    # file first. Neither was published; Hugo (and Jekyll) publish the live one.
    for name, extra in (("a-draft.md", "draft: true\n"), ("b-live.md", "")):
        write_post(
            site / "content",
            name,
            f"title: {name}\npermalink: /same/\n{extra}date: 2025-12-01",
        )
    _age(site, 0)
    result = build_site(site)
    assert "duplicate-url" not in result.diagnostics.codes()
    feed = (site / "public" / "feed.json").read_text("utf-8")
    assert "b-live.md" in feed and "a-draft.md" not in feed
