"""A build takes the posts of unchanged files as the last build planned them, and reads
only the files that changed; where only some posts' content changed, it takes back the
last build's plan of the feeds as well (feedkit._replan). Either way it must publish,
report and store exactly what the same build does when it takes every file as changed
(as a first build does).

Each step changes the site, then builds it from the same state in each way feedkit
can: as feedkit does; with the stored plan of the feeds deleted, so that the changed
files are gathered with the planned posts of the others; and with the planned posts
deleted too, so that every file counts as changed. Files are dated in the past so that
unchanged ones are really unchanged (not "racily clean", which would re-read them).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from feedkit import _rebuild, _replan, pipeline
from feedkit._records import (
    members_from_record,
    plan_from_record,
    planned_from_record,
    planned_shard,
)
from feedkit.diagnostics import Diagnostics
from feedkit.settings import find_config, load_settings

from .conftest import BUNDLED_NOW, REPO_ROOT, SEOUL, write_post

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
        plan: dict[str, object] = {}
        for key, digest, record in db.execute("SELECT key, digest, record FROM plan"):
            plan[key] = (
                digest,
                plan_from_record(record) if key == "" else members_from_record(record),
            )
    return {
        "ledger": ledger,
        "sources": sources,
        "resolved": resolved,
        "planned": planned,
        "plan": plan,
    }


# How a build gathered its posts and planned its feeds: from the stored plan, from the
# changed files and the planned posts of the others, or from every file.
_PLAN, _CHANGED, _EVERY = "plan", "changed files", "every file"


def _spy_on_unchanged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that each attempt at planning or gathering the posts adds to: from the
    stored plan, from the files that changed, or from every file."""
    taken: list[str] = []
    gather, replan = _rebuild._gather, _replan.replan

    def spy_gather(*args: object, **kwargs: object) -> object:
        taken.append(_CHANGED if kwargs["unchanged"] else _EVERY)
        return gather(*args, **kwargs)  # type: ignore[arg-type]

    def spy_replan(*args: object, **kwargs: object) -> object:
        plan = replan(*args, **kwargs)  # type: ignore[arg-type]
        if isinstance(plan, _replan.FeedPlan):
            taken.append(_PLAN)
        return plan

    monkeypatch.setattr(_rebuild, "_gather", spy_gather)
    monkeypatch.setattr(_replan, "replan", spy_replan)
    return taken


def _outputs(root: Path) -> dict[str, bytes]:
    public = root / "_site" if (root / "_config.yml").is_file() else root / "public"
    return {str(p.relative_to(public)): p.read_bytes() for p in public.rglob("*") if p.is_file()}


_Step = Callable[[Path], None]
_TAKE_AN_ID = "declare the id of a post that did not change"


def _steps() -> list[tuple[str, _Step, str]]:
    """(what, change, how the build can gather and plan: _PLAN, _CHANGED or _EVERY)."""
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

    def edit_old_post(root: Path) -> None:
        # In the archive and its categories' feeds only.
        _edit(root / content / "2024-07-02-release-notes.html", "</p>", " (고침)</p>")

    def edit_body_and_excerpt(root: Path) -> None:
        _edit(root / content / "typhoon-report.md", "당부했다.", "당부했다. 다시 한 번.")
        _edit(root / content / "olympic-archery-gold.md", "**10연패**를", "**10연패**를 또")

    def touch(root: Path) -> None:
        # A new time and the same bytes (a checkout): read, and nothing changes.
        path = root / content / "typhoon-report.md"
        path.write_bytes(path.read_bytes())

    def delete_a_feed(root: Path) -> None:
        # Not the content: a file of the output, which the build writes again.
        edit_body(root)
        (root / "public" / "categories" / "날씨" / "atom.xml").unlink()

    return [
        ("edit a body", edit_body, _PLAN),
        ("edit an old post's body", edit_old_post, _PLAN),
        ("edit two posts", edit_body_and_excerpt, _PLAN),
        ("touch a post", touch, _PLAN),
        ("edit a body and delete a feed", delete_a_feed, _PLAN),
        ("change a title", retitle, _CHANGED),
        ("add a post", new_post, _CHANGED),
        ("make a post a draft", to_draft, _CHANGED),
        ("publish it again", from_draft, _CHANGED),
        ("add a post with a taken permalink", clash, _CHANGED),
        ("rename it, which removes a file", unclash, _EVERY),
        ("date a post in the future", to_future, _CHANGED),
        ("break a post's front matter", bad_yaml, _CHANGED),
        ("mend it", mend_yaml, _CHANGED),
        ("declare an id", declare_id, _PLAN),
        ("add a category", new_category, _CHANGED),
        ("move a post to another category", move_category, _CHANGED),
        ("date a post earlier, which moves it in every feed", move_in_order, _CHANGED),
        ("swap a tag", move_tag, _CHANGED),
        (_TAKE_AN_ID, take_an_id, _EVERY),
        ("remove a post", remove, _EVERY),
        # A deleted post's entry is found by its path, then by its content hash.
        ("put it back", restore, _CHANGED),
        ("remove it again", remove, _EVERY),
        ("put it back under another name", restore_renamed, _CHANGED),
        ("edit a body once more", edit_body, _PLAN),
    ]


# Every build at one clock that is not the real time (``feedkit build --now``, as
# scripts/bench.py runs it), behind or ahead of the time the ledger records.
_CLOCKS = {
    "real": None,
    "behind": BUNDLED_NOW - timedelta(minutes=30),
    "ahead": BUNDLED_NOW + timedelta(days=3),
}


# Settings the steps are built with: future posts left out or published; subscription
# feeds of two posts, so that an edited post is older than some feeds hold and most
# posts are in archive pages; no archive pages and no tag feeds.
_SETTINGS: dict[str, dict[str, dict[str, object]]] = {
    "past": {"content": {"future": False}},
    "future": {"content": {"future": True}},
    "small feeds": {"feeds": {"limit": 2}},
    "fewer feeds": {"feeds": {"archives": False, "tags": False}},
}


@pytest.mark.parametrize("clock", list(_CLOCKS))
@pytest.mark.parametrize("variant", list(_SETTINGS))
def test_reading_only_changed_files_gives_what_reading_all_gives(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variant: str, clock: str
) -> None:
    def build(root: Path, now: datetime) -> dict[str, object]:
        settings = load_settings(root / "feedkit.toml", _SETTINGS[variant])
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
    before = tmp_path / "before"
    for number, (what, change, way) in enumerate(_steps(), 1):
        now += timedelta(hours=1)
        change(site)
        _age(site, number)
        shutil.copytree(site, before, symlinks=True)

        taken.clear()
        summary = build(site, now)
        # A clock ahead of the real time takes no stored plan. At a clock ahead, the post
        # whose id is taken was edited the step before: it is read again (its entry
        # changed), so the build can take the other files.
        expected = _CHANGED if clock == "ahead" and way == _PLAN else way
        if clock == "ahead" and what == _TAKE_AN_ID:
            expected = _CHANGED
        assert taken[-1] == expected, what
        _assert_the_same_each_other_way(
            site, before, partial(build, site, now), summary, taken, what
        )


def _assert_the_same_each_other_way(
    site: Path,
    before: Path,
    build: Callable[[], object],
    summary: object,
    taken: list[str],
    what: str,
) -> None:
    """Build ``before`` (a copy of ``site`` as it was before the build that gave
    ``summary``, which ``taken`` says how it planned) in ``site``'s place (settings hold
    its paths), in each way that comes after the one that build took: without the stored
    plan, then with every file taken as changed and resolved again. Each must give the
    same summary, files and state; then ``site`` is as the first build left it."""
    ways = (_PLAN, _CHANGED, _EVERY)
    outputs, state = _outputs(site), _state(site)
    after = before.with_name(before.name + "-after")
    shutil.move(site, after)
    for other in ways[ways.index(taken[-1]) + 1 :]:
        shutil.copytree(before, site, symlinks=True)
        with sqlite3.connect(site / ".feedkit" / "state.db") as db:
            db.execute("DELETE FROM plan")
            if other == _EVERY:
                db.execute("DELETE FROM planned")
                db.execute("DELETE FROM resolved")
        taken.clear()
        assert build() == summary, (what, other)
        assert taken[-1] == other, (what, other)
        assert _outputs(site) == outputs, (what, other)
        assert _state(site) == state, (what, other)
        shutil.rmtree(site)
    shutil.rmtree(before)
    shutil.move(after, site)  # go on from the build as feedkit made it


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
        db.execute(
            "UPDATE planned SET record = ? WHERE shard = ?",
            (b"not a pickle", planned_shard("typhoon-report.md")),
        )
    _edit(site / "content" / "typhoon-report.md", "당부했다.", "당부했다!")
    _age(site, 1)
    taken = _spy_on_unchanged(monkeypatch)
    result = build_site(site)
    assert taken == [_EVERY]
    assert result.posts_read == 8 and "tags/태풍/atom.xml" in result.files_written
    with sqlite3.connect(site / ".feedkit" / "state.db") as db:
        records = [record for (record,) in db.execute("SELECT record FROM planned")]
    assert all(planned_from_record(record) is not None for record in records)


@pytest.mark.parametrize("damaged", ["plan", "feed"])
def test_a_stored_plan_that_cannot_be_read_makes_the_build_plan_from_the_posts(
    site: Path, tmp_path: Path, build_site, monkeypatch: pytest.MonkeyPatch, damaged: str
) -> None:
    _age(site, 0)
    build_site(site)
    _edit(site / "content" / "typhoon-report.md", "당부했다.", "당부했다!")
    _age(site, 1)
    intact = tmp_path / "intact"
    shutil.copytree(site, intact, symlinks=True)
    with sqlite3.connect(site / ".feedkit" / "state.db") as db:
        key = "" if damaged == "plan" else "tag:태풍"
        assert db.execute("UPDATE plan SET record = ? WHERE key = ?", (b"x", key)).rowcount == 1
    taken = _spy_on_unchanged(monkeypatch)
    result = build_site(site)
    assert taken == [_CHANGED]
    assert "tags/태풍/atom.xml" in result.files_written
    outputs, state = _outputs(site), _state(site)
    shutil.rmtree(site)
    shutil.move(intact, site)  # the same build of the same folder, its plan intact
    assert build_site(site).files_written == result.files_written
    assert taken == [_CHANGED, _PLAN]
    assert _outputs(site) == outputs
    assert _state(site) == state  # the plan is stored whole again


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


# Sites made by other generators, each with changes: (file, text, new text, how built).
_GENERATED_SITES = {
    "jekyll-liquid-site": [
        # A post whose Liquid lists other posts (site.posts) and links to them (post_url).
        (
            "_posts/2024-01-04-links-and-code.md",
            "Read [the first post]",
            "Now read [the first post]",
            _PLAN,
        ),
        ("_posts/2024-01-05-no-liquid.md", "\n---\n", "\n---\nEdited.\n", _PLAN),
        # What Liquid reads beyond the posts shapes every item: every feed is planned.
        ("_includes/note.html", "</aside>", " (edited)</aside>", _CHANGED),
        ("_posts/2024-01-04-links-and-code.md", "Now read", "Then read", _PLAN),
    ],
    "hugo-site": [
        (
            "content/en/posts/yaml-post.md",
            "The first paragraph of the YAML post.",
            "The first paragraph of the YAML post, edited.",
            _PLAN,
        ),
        ("content/en/posts/yaml-post.md", "lastmod: 2024-03-05", "lastmod: 2024-03-06", _PLAN),
        ("content/en/posts/yaml-post.md", "tags: [hugo, yaml]", "tags: [hugo]", _CHANGED),
    ],
}


@pytest.mark.parametrize("name", list(_GENERATED_SITES))
def test_a_jekyll_or_hugo_site_takes_back_its_plan_as_it_would_plan_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    site = tmp_path / name
    shutil.copytree(REPO_ROOT / "tests" / "data" / name, site)
    now = datetime(2025, 1, 1, tzinfo=SEOUL)

    def build() -> dict[str, object]:
        summary = pipeline.build(
            load_settings(find_config(site)), now=now, diagnostics=Diagnostics()
        ).as_dict()
        summary.pop("seconds")
        return summary

    taken = _spy_on_unchanged(monkeypatch)
    _age(site, 0)
    build()
    for number, (path, old, new, way) in enumerate(_GENERATED_SITES[name], 1):
        now += timedelta(hours=1)
        _edit(site / path, old, new)
        _age(site, number)
        before = tmp_path / "before"
        shutil.copytree(site, before, symlinks=True)
        taken.clear()
        summary = build()
        assert taken[-1] == way, path
        assert summary["files_written"], path
        _assert_the_same_each_other_way(site, before, build, summary, taken, path)


def test_a_scheduled_post_falling_due_is_published_though_the_edit_changes_no_feed(
    site: Path, build_site, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_post(
        site / "content",
        "2025-12-31-soon.md",
        f"title: 곧 나올 글\ndate: {(BUNDLED_NOW + timedelta(minutes=30)).isoformat()}",
    )
    _age(site, 0)
    first = build_site(site)
    assert first.scheduled >= 1
    _edit(site / "content" / "typhoon-report.md", "당부했다.", "당부했다!")
    _age(site, 1)
    taken = _spy_on_unchanged(monkeypatch)
    later = build_site(site, now=BUNDLED_NOW + timedelta(hours=1))
    assert taken == [_EVERY]  # a post fell due: neither the plan nor the planned posts hold
    assert later.scheduled == first.scheduled - 1
    assert later.posts_published == first.posts_published + 1
    assert "곧 나올 글" in (site / "public" / "feed.json").read_text("utf-8")


def test_a_clock_behind_the_last_builds_plans_from_the_posts(
    site: Path, build_site, monkeypatch: pytest.MonkeyPatch
) -> None:
    _age(site, 0)
    build_site(site)
    _edit(site / "content" / "typhoon-report.md", "당부했다.", "당부했다!")
    _age(site, 1)
    taken = _spy_on_unchanged(monkeypatch)
    # Posts published by the last build may be scheduled at this one's clock.
    earlier = build_site(site, now=BUNDLED_NOW - timedelta(days=400))
    assert _PLAN not in taken and earlier.scheduled > 0


@pytest.mark.parametrize("edit", [False, True])
def test_a_hugo_page_leaves_the_feeds_once_it_expires_though_no_file_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: bool
) -> None:
    site = tmp_path / "hugo-site"
    shutil.copytree(REPO_ROOT / "tests" / "data" / "hugo-site", site)
    expires = datetime(2025, 6, 1, 12, tzinfo=SEOUL)
    write_post(
        site / "content" / "en" / "posts",
        "expiring.md",
        f"title: Expiring soon\ndate: 2025-01-01\nexpiryDate: {expires.isoformat()}",
    )
    _age(site, 0)

    def build(now: datetime) -> tuple[int, bool]:
        result = pipeline.build(
            load_settings(find_config(site)), now=now, diagnostics=Diagnostics()
        )
        feeds = (path.read_text("utf-8") for path in (site / "public").rglob("*.json"))
        return result.posts_published, any("Expiring soon" in feed for feed in feeds)

    published, listed = build(expires - timedelta(days=1))
    assert listed
    assert build(expires - timedelta(hours=1)) == (published, True)
    if edit:
        _edit(site / "content" / "en" / "posts" / "yaml-post.md", "The first", "The very first")
        _age(site, 1)
    taken = _spy_on_unchanged(monkeypatch)
    assert build(expires + timedelta(hours=1)) == (published - 1, False)
    assert taken == [_EVERY]
