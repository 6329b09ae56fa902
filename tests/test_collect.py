"""Collect stage: which files are posts, and how front matter becomes a post."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import feedkit._walk
from feedkit._walk import SiteLayout, scan_content
from feedkit.collect import discover_files, read_source, to_post
from feedkit.dates import DateFacts, resolve_dates
from feedkit.diagnostics import Diagnostics, Level
from feedkit.settings import load_settings

from .conftest import write_post

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2025, 1, 1, tzinfo=SEOUL)


def paths(found) -> list[str]:
    return [f.path for f in found]


def test_plain_folder_skips_hidden_and_underscore_folders(tmp_path):
    write_post(tmp_path, "a.md", "title: A")
    write_post(tmp_path, "sub/b.markdown", "title: B")
    write_post(tmp_path, "c.html", "title: C")
    write_post(tmp_path, "d.txt", "title: D")
    write_post(tmp_path, "_includes/x.md", "title: X")
    write_post(tmp_path, ".git/y.md", "title: Y")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / ".DS_Store").write_bytes(b"\x00")
    (tmp_path / "a.md~").write_text("backup")
    diagnostics = Diagnostics()
    assert paths(discover_files(tmp_path, diagnostics)) == [
        "a.md",
        "c.html",
        "d.txt",
        "sub/b.markdown",
    ]
    assert "_includes" in {d.path for d in diagnostics}


def test_jekyll_site_only_reads_posts_and_drafts(tmp_path):
    write_post(tmp_path, "about.md", "title: About")
    write_post(tmp_path, "_posts/2024-01-02-hello.md", "title: Hello")
    write_post(tmp_path, "_posts/2024/2024-02-03-deep.md", "title: Deep")
    write_post(tmp_path, "news/_posts/2024-03-04-cat.md", "title: Cat")
    write_post(tmp_path, "_drafts/idea.md", "title: Idea")
    found = discover_files(tmp_path, Diagnostics())
    assert paths(found) == [
        "_drafts/idea.md",
        "_posts/2024-01-02-hello.md",
        "_posts/2024/2024-02-03-deep.md",
        "news/_posts/2024-03-04-cat.md",
    ]
    by_path = {f.path: f for f in found}
    assert by_path["news/_posts/2024-03-04-cat.md"].folder_categories == ("news",)
    assert by_path["_drafts/idea.md"].is_draft_file


def test_output_folder_inside_content_is_not_read(tmp_path):
    write_post(tmp_path, "a.md", "title: A")
    write_post(tmp_path, "public/copy.md", "title: Copy")
    assert paths(discover_files(tmp_path, Diagnostics(), exclude=[tmp_path / "public"])) == ["a.md"]


def test_symlink_outside_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write_post(outside, "secret.md", "title: Secret")
    content = tmp_path / "content"
    write_post(content, "a.md", "title: A")
    (content / "link.md").symlink_to(outside / "secret.md")
    (content / "loop").symlink_to(content)
    diagnostics = Diagnostics()
    assert paths(discover_files(content, diagnostics)) == ["a.md"]
    assert "symlink-outside" in diagnostics.codes()


def test_a_link_to_nothing_is_reported_and_the_walk_goes_on(tmp_path):
    write_post(tmp_path, "a.md", "title: A")
    (tmp_path / "gone.md").symlink_to(tmp_path / "deleted.md")
    diagnostics = Diagnostics()
    assert paths(discover_files(tmp_path, diagnostics)) == ["a.md"]
    (problem,) = diagnostics.at_least(Level.ERROR)
    assert (problem.code, problem.path) == ("unreadable", "gone.md")
    assert problem.message == "cannot stat: No such file or directory"


@pytest.mark.parametrize("exclude", [(), ("old",)])
def test_a_folder_with_no_posts_gives_none_on_either_walk(tmp_path, exclude):
    """Jekyll's exclude list turns the walk's fast path off; both find nothing here."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "notes.json").write_text("{}")
    layout = SiteLayout(exclude=exclude)
    assert discover_files(tmp_path, Diagnostics(), layout=layout) == []
    write_post(tmp_path, "sub/a.md", "title: A")
    write_post(tmp_path, "old/b.md", "title: B")
    found = paths(discover_files(tmp_path, Diagnostics(), layout=layout))
    assert found == (["sub/a.md"] if exclude else ["old/b.md", "sub/a.md"])


def _same_files(folder: Path, names: list[str]) -> None:
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"---\ntitle: {name}\n---\n", encoding="utf-8")
        os.utime(folder / name, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))


def test_the_scan_digest_depends_on_the_files_not_on_the_order_they_are_listed(
    tmp_path, monkeypatch
):
    names = ["b.md", "a.md", "sub/z.md", "sub/c.html", "sub-x.md", "_posts/2024-01-01-p.md"]
    _same_files(tmp_path, names)
    listed = scan_content(tmp_path, Diagnostics())
    assert listed.newest_mtime_ns == 1_700_000_000_000_000_000
    real_scandir = os.scandir

    @contextlib.contextmanager
    def scandir_backwards(path: str) -> Iterator[list[os.DirEntry[str]]]:
        with real_scandir(path) as listing:
            yield sorted(listing, key=lambda entry: entry.name, reverse=True)

    monkeypatch.setattr(os, "scandir", scandir_backwards)
    backwards = scan_content(tmp_path, Diagnostics())
    assert backwards.digest == listed.digest
    assert backwards.source_files(Diagnostics()) == listed.source_files(Diagnostics())
    os.utime(tmp_path / "sub/z.md", ns=(0, 1_700_000_000_000_000_001))
    assert scan_content(tmp_path, Diagnostics()).digest != listed.digest
    (tmp_path / "sub/z.md").rename(tmp_path / "sub/y.md")
    assert scan_content(tmp_path, Diagnostics()).digest != listed.digest


def _stat_as_one_walk(paths: list[str]) -> Any:
    """Stat ``paths`` as a walk that took them all in one folder would."""
    stats = feedkit._walk._Stats()
    stats.send(paths)
    return stats.finish(paths)


def test_a_large_site_is_stat_ed_by_two_processes_with_the_same_result(tmp_path, monkeypatch):
    names = [f"{folder}/{n:03}.md" for folder in ("a", "b", "c") for n in range(40)]
    _same_files(tmp_path, names)
    for number, name in enumerate(names[3:]):  # each its own time: the order shows
        os.utime(tmp_path / name, ns=(0, 1_600_000_000_000_000_000 + number))
    alone = scan_content(tmp_path, Diagnostics())
    # Past the first 2 files, chunks of 16 go to the second process as the walk takes
    # them; the main process takes back the chunks that process has not started.
    monkeypatch.setattr(feedkit._walk, "PARALLEL_STAT_FILES", 2)
    monkeypatch.setattr(feedkit._walk, "_STAT_CHUNK", 16)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    pools = []

    class CountedPool(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", CountedPool)
    together = scan_content(tmp_path, Diagnostics())
    assert together.digest == alone.digest
    assert together.source_files(Diagnostics()) == alone.source_files(Diagnostics())
    assert len(pools) == 1
    # Every chunk stat'ed by the second process (none taken back), in order all the same.
    monkeypatch.setattr(concurrent.futures.Future, "cancel", lambda self: False)
    by_the_other = scan_content(tmp_path, Diagnostics())
    assert by_the_other.digest == alone.digest and len(pools) == 2
    assert by_the_other.source_files(Diagnostics()) == alone.source_files(Diagnostics())
    # A file that cannot be stat'ed in a chunk of the other process is named by its index.
    listed = [str(tmp_path / name) for name in names[:40]]
    listed[37] = str(tmp_path / "gone.md")
    sizes, mtimes, failures = _stat_as_one_walk(listed)
    assert failures == {37: "No such file or directory"} and sizes[37] == mtimes[37] == 0
    assert list(mtimes[3:37]) == [1_600_000_000_000_000_000 + n for n in range(34)]
    paths_to_stat = [str(tmp_path / name) for name in names[:3]] + [str(tmp_path / "gone.md")]
    sizes, mtimes, failures = _stat_as_one_walk(paths_to_stat)
    assert list(sizes) == [24, 24, 24, 0] and failures == {3: "No such file or directory"}
    assert list(mtimes) == [1_700_000_000_000_000_000] * 3 + [0]


def read(tmp_path: Path, name: str, diagnostics: Diagnostics):
    found = {f.path: f for f in discover_files(tmp_path, diagnostics)}
    return read_source(found[name], diagnostics)


def test_file_without_front_matter_is_not_a_post(tmp_path):
    (tmp_path / "notes.md").write_text("# Just notes\n")
    diagnostics = Diagnostics()
    assert read(tmp_path, "notes.md", diagnostics) is None
    assert [d.level for d in diagnostics] == [Level.INFO]


def test_bad_yaml_is_reported_with_file_and_line(tmp_path):
    (tmp_path / "bad.md").write_text('---\ntitle: ok\ndate: "unclosed\n---\nbody\n')
    diagnostics = Diagnostics()
    assert read(tmp_path, "bad.md", diagnostics) is None
    (problem,) = diagnostics.at_least(Level.ERROR)
    assert problem.path == "bad.md" and problem.line is not None and problem.line >= 3
    assert str(problem).startswith(f"bad.md:{problem.line}: error:")


def test_binary_file_named_md_is_skipped(tmp_path):
    (tmp_path / "x.md").write_bytes(b"---\x00\x01\x02binary")
    diagnostics = Diagnostics()
    assert read(tmp_path, "x.md", diagnostics) is None
    assert diagnostics.codes() == ["binary"]


def test_bom_crlf_and_utf16_sources(tmp_path):
    (tmp_path / "bom.md").write_bytes("\ufeff---\r\ntitle: 봄\r\n---\r\n본문\r\n".encode())
    (tmp_path / "utf16.md").write_bytes("---\ntitle: 여름\n---\n본문\n".encode("utf-16"))
    diagnostics = Diagnostics()
    assert read(tmp_path, "bom.md", diagnostics).metadata["title"] == "봄"
    assert read(tmp_path, "utf16.md", diagnostics).metadata["title"] == "여름"


def make_post(tmp_path: Path, name: str, front_matter: str, **site: object):
    write_post(tmp_path / "content", name, front_matter)
    overrides = {"site": {"url": "https://example.com", "timezone": "Asia/Seoul", **site}}
    settings = load_settings(None, overrides, base_dir=tmp_path)
    diagnostics = Diagnostics()
    source = read(tmp_path / "content", name, diagnostics)
    facts = DateFacts(mtime_at=NOW)
    dates = resolve_dates(
        source, facts, sources=settings.dates.sources, tz=SEOUL, now=NOW, diagnostics=diagnostics
    )
    return to_post(source, dates, settings, diagnostics), diagnostics


def test_post_fields_from_front_matter(tmp_path):
    post, _ = make_post(
        tmp_path,
        "2024-06-18-방북-일정.md",
        "title: 방북\ncategories: News 국제\ntags: [러시아, 북한]\nexcerpt: 요약\n"
        "author: 김기자\nimage:\n  path: /img/a.jpg\nlang: ko",
    )
    assert post.title == "방북"
    assert post.categories == ("News", "국제") and post.tags == ("러시아", "북한")
    assert post.excerpt == "요약" and post.author.name == "김기자"
    assert post.image == "/img/a.jpg" and post.lang == "ko"
    assert post.dates.published.source == "filename"
    assert post.published_at == datetime(2024, 6, 18, tzinfo=SEOUL)
    # Jekyll's "date" style; Hangul kept in the slug and percent-encoded in the URL.
    assert post.permalink == (
        "/news/%EA%B5%AD%EC%A0%9C/2024/06/18/%EB%B0%A9%EB%B6%81-%EC%9D%BC%EC%A0%95.html"
    )
    assert post.url == "https://example.com" + post.permalink
    assert post.id == post.url


def test_front_matter_permalink_and_id_win(tmp_path):
    post, _ = make_post(tmp_path, "x.md", "title: X\npermalink: /custom/path/\nid: urn:uuid:1")
    assert post.permalink == "/custom/path/"
    assert post.id == "urn:uuid:1"


def test_post_without_title_is_skipped_with_a_message(tmp_path):
    post, diagnostics = make_post(tmp_path, "x.md", "date: 2024-01-01")
    assert post is None
    assert "title-missing" in diagnostics.codes()


def test_title_of_wrong_type_is_repaired_or_skipped(tmp_path):
    post, diagnostics = make_post(tmp_path, "n.md", "title: 2024\ndate: 2024-01-01")
    assert post.title == "2024" and "field-type" in diagnostics.codes()
    post, diagnostics = make_post(tmp_path, "m.md", "title: {a: 1}\ndate: 2024-01-01")
    assert post is None and "field-type" in diagnostics.codes()


def test_categories_that_are_a_number(tmp_path):
    post, _ = make_post(tmp_path, "n.md", "title: N\ncategories: 2024\ndate: 2024-01-01")
    assert post.categories == ("2024",)


def test_a_missing_libyaml_is_reported(tmp_path, monkeypatch):
    import feedkit._frontmatter

    monkeypatch.setattr(feedkit._frontmatter, "HAS_LIBYAML", False)
    write_post(tmp_path / "content", "a.md", "title: A\ndate: 2024-01-01")
    overrides = {"site": {"url": "https://example.com"}}
    settings = load_settings(None, overrides, base_dir=tmp_path)
    diagnostics = Diagnostics()
    from feedkit.collect import collect_sources

    collected = collect_sources(settings, diagnostics)
    assert collected.parsed == 1 and "libyaml-missing" in diagnostics.codes()


def test_reading_in_worker_processes_gives_what_one_process_gives(tmp_path, monkeypatch):
    """A first build of a large site reads and parses on every core; the sources, the
    diagnostics (in file order) and the parse count must not depend on it."""
    import feedkit.collect
    from feedkit._records import StoredMetadata
    from feedkit.collect import collect_sources

    content = tmp_path / "content"
    for number in range(12):
        write_post(content, f"2024-01-{number + 1:02d}-post-{number}.md", f"title: Post {number}")
    write_post(content, "bad.md", "title: Bad\ntags: x\n  nested: y: z")
    write_post(content, "no-title.md", "date: 2024-01-01")
    (content / "plain.md").write_text("no front matter\n", encoding="utf-8")
    (content / "binary.md").write_bytes(b"\x00\x01\x02")
    settings = load_settings(None, {"site": {"url": "https://example.com"}}, base_dir=tmp_path)

    def collect(threshold: int) -> tuple[object, list[tuple[str, str, str | None]]]:
        monkeypatch.setattr(feedkit.collect, "_PARALLEL_READS", threshold)
        diagnostics = Diagnostics()
        collected = collect_sources(settings, diagnostics)
        return collected, [(d.code, d.message, d.path) for d in diagnostics]

    in_workers, found_in_workers = collect(1)
    in_one, found_in_one = collect(10**9)
    assert in_workers == in_one
    # What came from the workers keeps its front matter as the parse cache stores it.
    assert all(isinstance(s.metadata, StoredMetadata) for s in in_workers.sources)
    assert all(type(s.metadata) is dict for s in in_one.sources)
    assert found_in_workers == found_in_one
    assert in_one.parsed == 14 and len(in_one.sources) == 13  # 12, and the one without title
    assert {"binary", "front-matter", "skipped"} <= {code for code, _, _ in found_in_one}


def test_site_files_are_sized_only_inside_the_content_folder(tmp_path):
    from feedkit.collect import site_file_sizes

    content, outside = tmp_path / "content", tmp_path / "outside"
    (content / "img").mkdir(parents=True)
    outside.mkdir()
    (content / "img" / "a.jpg").write_bytes(b"x" * 7)
    (content / "img" / "사진.png").write_bytes(b"x" * 11)
    (outside / "secret.jpg").write_bytes(b"x" * 13)
    (content / "img" / "linked.jpg").symlink_to(content / "img" / "a.jpg")
    (content / "img" / "escape.jpg").symlink_to(outside / "secret.jpg")
    (content / "shortcut").symlink_to(outside, target_is_directory=True)
    paths = [
        "/img/a.jpg",
        "/img/a.jpg",  # posts share images
        "/img/%EC%82%AC%EC%A7%84.png",
        "/img/linked.jpg",
        "/img/escape.jpg",
        "/shortcut/secret.jpg",
        "/img/../../outside/secret.jpg",
        "/img/missing.jpg",
        "/img",
        "/img/\x00.jpg",
    ]
    assert site_file_sizes(content, paths) == {
        "/img/a.jpg": 7,
        "/img/%EC%82%AC%EC%A7%84.png": 11,
        "/img/linked.jpg": 7,
    }


@pytest.mark.parametrize("in_workers", [False, True])
def test_bodies_are_kept_from_the_read_only_when_asked(tmp_path, monkeypatch, in_workers):
    """A build that reads few files keeps each body from that read (the file is not read
    again to render it); one that reads many lets them go, and reads each again to
    render it, rather than hold the site's whole text."""
    import feedkit.collect
    from feedkit.collect import collect_sources, load_body

    content = tmp_path / "content"
    for number in range(3):
        write_post(content, f"p{number}.md", f"title: Post {number}", f"본문 {number}\n")
    settings = load_settings(None, {"site": {"url": "https://example.com"}}, base_dir=tmp_path)
    if in_workers:
        monkeypatch.setattr(feedkit.collect, "_PARALLEL_READS", 1)
        monkeypatch.setattr(os, "cpu_count", lambda: 2)
    kept = collect_sources(settings, Diagnostics(), keep_bodies=True).sources
    assert [source.body for source in kept] == ["본문 0\n", "본문 1\n", "본문 2\n"]
    let_go = collect_sources(settings, Diagnostics()).sources
    assert [source.body for source in let_go] == [None, None, None]
    assert [load_body(source, Diagnostics()) for source in let_go] == list(kept)
