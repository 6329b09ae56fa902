"""End to end: build the bundled site and read every output back with real consumers."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import jsonschema
import lxml.etree
import lxml.html
import pytest

from feedkit.pipeline import BuildResult

from .conftest import BUNDLED_NOW, SEOUL, fork_workers, require_schemas

ATOM = "{http://www.w3.org/2005/Atom}"
PUBLISHED_TITLES = {
    "푸틴 북한 방문 18일 행보 이틀간 공식 방문 예정",
    "푸틴 대통령 방북 일정 정리",
    "Welcome to the feedkit sample site",
    "[속보] 양궁 여자 단체전 10연패 달성",
    "Release notes for June",
    "태풍 북상, 남부지방 내일 새벽 영향권",
}


def feed_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.name in ("rss.xml", "atom.xml", "feed.json"))


@pytest.fixture
def built(site: Path, build_site: Callable[..., BuildResult]) -> tuple[Path, BuildResult]:
    result = build_site(site)
    return site / "public", result


def test_build_publishes_every_post_but_drafts_and_scheduled(built):
    out, result = built
    assert result.posts_read == 8  # about.md has no front matter
    assert result.posts_published == 6
    assert result.drafts == 1
    assert result.scheduled == 1
    assert result.next_scheduled is not None
    assert result.next_scheduled.path == "scheduled-election-preview.md"
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse((out / name).read_bytes())
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert {entry.title for entry in parsed.entries} == PUBLISHED_TITLES


def test_every_feed_parses_cleanly_with_complete_entries(built):
    out, _ = built
    files = feed_files(out)
    assert len(files) >= 3 * 5  # site feed plus several category and tag feeds
    for path in files:
        if path.suffix == ".json":
            document = json.loads(path.read_text("utf-8"))
            entries = document["items"]
            for item in entries:
                assert item["id"] and item["title"] and item["url"] and item["date_published"]
            continue
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert parsed.entries, path
        for entry in parsed.entries:
            assert entry.id and entry.title and entry.link, path
            assert entry.get("published_parsed") or entry.get("updated_parsed"), path


def _urls_in(fragment: str) -> list[str]:
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    urls = []
    for element in root.iter():
        for attribute in ("href", "src", "poster", "data"):
            if element.get(attribute):
                urls.append(element.get(attribute))
        if element.get("srcset"):
            urls.extend(part.split()[0] for part in element.get("srcset").split(","))
    return urls


def test_no_relative_url_is_left_in_any_content(built):
    out, _ = built
    checked = 0
    for path in feed_files(out):
        if path.suffix == ".json":
            items = json.loads(path.read_text("utf-8"))["items"]
            fragments = [i.get("content_html", "") for i in items]
        else:
            parsed = feedparser.parse(
                path.read_bytes(), sanitize_html=False, resolve_relative_uris=False
            )
            fragments = [c.value for e in parsed.entries for c in e.get("content", [])]
            fragments += [e.get("summary", "") for e in parsed.entries]
        for fragment in fragments:
            if not fragment.strip():
                continue
            for url in _urls_in(fragment):
                checked += 1
                assert urlsplit(url).scheme in ("https", "mailto"), (path, url)
    assert checked > 10


def test_seed_image_becomes_absolute_with_enclosure_length(built):
    out, _ = built
    parsed = feedparser.parse((out / "rss.xml").read_bytes())
    seed = next(e for e in parsed.entries if e.title.startswith("푸틴 북한"))
    assert "https://example.com/assets/img/newsdao_breakingnews.jpg" in seed.content[0].value
    enclosure = seed.enclosures[0]
    assert enclosure.href == "https://example.com/assets/img/newsdao_breakingnews.jpg"
    size = (Path(out).parent / "content/assets/img/newsdao_breakingnews.jpg").stat().st_size
    assert int(enclosure.length) == size
    assert enclosure.type == "image/jpeg"


def test_atom_files_match_the_rfc_4287_grammar(built):
    schemas = require_schemas()
    grammar = lxml.etree.RelaxNG(lxml.etree.parse(str(schemas / "atom.rng")))
    atom_files = [p for p in feed_files(built[0]) if p.name == "atom.xml"]
    assert len(atom_files) >= 5
    for path in atom_files:
        document = lxml.etree.parse(str(path))
        assert grammar.validate(document), (path, grammar.error_log)
        feed = document.getroot()
        feed_has_author = feed.find(f"{ATOM}author") is not None
        for entry in feed.iter(f"{ATOM}entry"):
            # The two rules of RFC 4287 that RELAX NG cannot express (see schemas/README.md).
            assert feed_has_author or entry.find(f"{ATOM}author") is not None
            if entry.find(f"{ATOM}content") is None:
                assert entry.find(f"{ATOM}link[@rel='alternate']") is not None


def test_json_feeds_match_the_json_feed_1_1_schema(built):
    schemas = require_schemas()
    schema = json.loads((schemas / "jsonfeed-1.1.schema.json").read_text("utf-8"))
    json_files = [p for p in feed_files(built[0]) if p.suffix == ".json"]
    assert len(json_files) >= 5
    for path in json_files:
        jsonschema.validate(json.loads(path.read_text("utf-8")), schema)


def test_rss_structure(built):
    out, _ = built
    root = lxml.etree.parse(str(out / "rss.xml")).getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("link") == "https://example.com/"
    assert channel.findtext("title") == "feedkit 예제 뉴스"
    assert channel.findtext("description")
    assert channel.findtext("language") == "ko"
    self_links = channel.findall(f"{ATOM}link[@rel='self']")
    assert [link.get("href") for link in self_links] == ["https://example.com/rss.xml"]
    items = channel.findall("item")
    assert len(items) == 6
    for item in items:
        assert item.findtext("guid") and item.findtext("pubDate") and item.findtext("link")
        assert item.findtext("description")
        assert item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    # Newest first; the feed's own date is the newest entry's, never the build's clock.
    dates = [parsedate_to_datetime(item.findtext("pubDate")) for item in items]
    assert dates == sorted(dates, reverse=True)
    assert channel.findtext("lastBuildDate").endswith("+0900")


def test_dates_keep_the_posts_own_offset(built):
    out, _ = built
    parsed = feedparser.parse((out / "atom.xml").read_bytes())
    raw = (out / "atom.xml").read_text("utf-8")
    assert "2024-05-01T09:00:00+09:00" in raw  # welcome post, written with +0900
    assert "2024-07-28T23:40:00+02:00" in raw  # olympic post, written in Paris time
    assert len(parsed.entries) == 6


def test_category_feeds_keep_korean_slugs_and_encode_urls(built):
    out, _ = built
    korean = out / "categories" / "국제" / "rss.xml"
    assert korean.is_file()
    parsed = feedparser.parse(korean.read_bytes())
    assert [e.title for e in parsed.entries] == ["푸틴 대통령 방북 일정 정리"]
    self_href = next(link.href for link in parsed.feed.links if link.rel == "self")
    assert self_href == "https://example.com/categories/%EA%B5%AD%EC%A0%9C/rss.xml"
    assert (out / "tags" / "올림픽" / "atom.xml").is_file()


def test_second_build_changes_no_byte_and_no_mtime(site, built, build_site):
    out, first = built
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    second = build_site(site)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    assert second.files_written == ()
    assert len(second.files_unchanged) == len(first.files_written)
    assert after == before


def test_edit_rewrites_only_the_feeds_that_hold_the_post(site, built, build_site):
    out, _ = built
    post = site / "content" / "typhoon-report.md"
    post.write_text(post.read_text("utf-8").replace("초속 25m", "초속 30m"), "utf-8")
    result = build_site(site)
    changed = {Path(p).parent.as_posix() for p in result.files_written}
    assert changed == {".", "categories/날씨", "tags/태풍", "tags/예보"}
    assert "초속 30m" in (out / "rss.xml").read_text("utf-8")


def test_output_files_are_world_readable(built):
    out, _ = built
    for path in feed_files(out):
        assert os.stat(path).st_mode & 0o044 == 0o044


def _count_reads(monkeypatch, content: Path, log: Path) -> None:
    """Log every opening of a file under ``content`` to ``log``, one line each (appended:
    forked worker processes log there too)."""
    import builtins

    real_open = builtins.open
    folder = str(content.resolve())

    def counting_open(file, *args, **kwargs):
        name = os.fspath(file) if isinstance(file, (str, os.PathLike)) else ""
        if isinstance(name, str) and os.path.abspath(name).startswith(folder + os.sep):
            with real_open(log, "a", encoding="utf-8") as out:  # one write a line: O_APPEND
                out.write(os.path.relpath(os.path.abspath(name), folder) + "\n")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)


def _reads(log: Path) -> list[str]:
    reads = log.read_text("utf-8").splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return reads


@pytest.mark.parametrize("in_workers", [False, True])
def test_each_source_file_is_read_once_per_build(
    site, build_site, monkeypatch, tmp_path, in_workers
):
    """A first build of a small site reads every post file once (its body kept from
    that read for rendering); a build after an edit reads the edited file, and the
    unchanged posts its feeds render again, once each; so does a build after a fresh
    checkout (every mtime new, the same bytes). (A build that reads many files lets each
    body go and reads it again to render it: see feedkit._rebuild._few.)"""
    import feedkit._parallel
    import feedkit.collect

    if in_workers:
        fork_workers(monkeypatch, "worker processes see the counting wrapper only when forked")
        monkeypatch.setattr(feedkit.collect, "_PARALLEL_READS", 1)
        for name in ("PARALLEL_RESOLVE", "PARALLEL_POSTS", "PARALLEL_PAGES", "PARALLEL_FEEDS"):
            monkeypatch.setattr(feedkit._parallel, name, 1)
    content = site / "content"
    posts = sorted(  # the candidate files: all but the images
        str(path.relative_to(content))
        for path in content.rglob("*")
        if path.is_file() and path.parent.name != "img"
    )
    old = datetime(2025, 1, 1, tzinfo=SEOUL).timestamp()
    for path in content.rglob("*"):
        os.utime(path, (old, old))
    log = tmp_path / "reads.log"
    _count_reads(monkeypatch, content, log)

    first = build_site(site)
    reads = _reads(log)
    assert first.posts_rendered == first.posts_published > 0
    assert sorted(reads) == posts  # every post file, each once

    edited = content / "typhoon-report.md"
    edited.write_text(edited.read_text("utf-8").replace("초속 25m", "초속 30m"), "utf-8")
    _reads(log)
    second = build_site(site, now=BUNDLED_NOW + timedelta(hours=1))
    reads = _reads(log)
    assert second.posts_parsed == 1 and second.files_written
    assert "typhoon-report.md" in reads
    assert sorted(reads) == sorted(set(reads))

    for path in content.rglob("*"):  # a fresh checkout: every file's time changes
        os.utime(path, (old + 60, old + 60))
    shutil.rmtree(site / "public")  # and every feed is written again
    third = build_site(site, now=BUNDLED_NOW + timedelta(hours=2))
    reads = _reads(log)
    assert third.posts_rendered == third.posts_published
    assert sorted(reads) == posts
