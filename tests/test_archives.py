"""RFC 5005 archived feeds: a reader that missed a week walks back and loses nothing."""

from __future__ import annotations

import json
import pickle
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import lxml.etree

from feedkit.diagnostics import Diagnostics
from feedkit.models import Post
from feedkit.pipeline import build
from feedkit.settings import load_settings

from .conftest import fork_workers, write_post

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2025, 1, 1, tzinfo=SEOUL)
HISTORY = "{http://purl.org/syndication/history/1.0}archive"


def make_site(root: Path, count: int) -> None:
    (root / "feedkit.toml").write_text(
        '[site]\nurl = "https://example.com"\ntitle = "Arch"\ntimezone = "Asia/Seoul"\n'
        "[feeds]\nlimit = 3\ncategories = false\ntags = false\n",
        encoding="utf-8",
    )
    for n in range(count):
        write_post(root / "content", f"p{n:02}.md", f"title: Post {n}\ndate: 2024-01-{n + 1:02}")


def _watch_writes(monkeypatch, log: Path) -> list[object]:
    """Log each file written, as ``pid path`` lines in ``log``, from whichever (forked)
    process writes it; return the list that collects, as the main process receives them,
    the first element of what the workers' jobs send back."""
    import os

    import feedkit._parallel
    import feedkit.publish

    real_write = feedkit.publish.write_artifacts

    def logged(output_dir, artifacts, **kwargs):
        artifacts = list(artifacts)
        with open(log, "a", encoding="utf-8") as out:  # one write a line: O_APPEND
            out.writelines(f"{os.getpid()} {artifact.path}\n" for artifact in artifacts)
        return real_write(output_dir, artifacts, **kwargs)

    monkeypatch.setattr(feedkit.publish, "write_artifacts", logged)
    sent_back: list[object] = []
    real_map_ahead = feedkit._parallel.map_ahead

    def watched(pool, function, jobs, **kwargs):
        for result in real_map_ahead(pool, function, jobs, **kwargs):
            sent_back.append(result[0])
            yield result

    monkeypatch.setattr(feedkit._parallel, "map_ahead", watched)
    return sent_back


def run(root: Path, now: datetime = NOW):
    return build(load_settings(root / "feedkit.toml"), now=now, diagnostics=Diagnostics())


def local(url: str, root: Path) -> Path:
    return root / "public" / url.removeprefix("https://example.com/")


def walk(root: Path, fmt: str) -> list[list[str]]:
    """Follow prev-archive links from the subscription feed; the ids of each document."""
    name = {"atom": "atom.xml", "rss": "rss.xml"}[fmt]
    documents = []
    url = f"https://example.com/{name}"
    while url:
        parsed = feedparser.parse(local(url, root).read_bytes())
        assert parsed.bozo == 0
        documents.append([entry.id for entry in parsed.entries])
        links = {link.rel: link.href for link in parsed.feed.get("links", [])}
        url = links.get("prev-archive")
    return documents


def published_files(folder: Path) -> dict[Path, bytes]:
    """Every file under ``folder``, by its path relative to it, with its bytes."""
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_walking_back_finds_every_post_once_per_archive(tmp_path):
    make_site(tmp_path, 10)
    run(tmp_path)
    for fmt in ("atom", "rss"):
        documents = walk(tmp_path, fmt)
        assert len(documents) == 1 + 3  # 10 posts: 3 full pages of 3, 1 post still open
        archived = [entry for document in documents[1:] for entry in document]
        assert len(archived) == len(set(archived)) == 9
        every = {entry for document in documents for entry in document}
        assert len(every) == 10


def test_archive_documents_are_marked_and_link_to_current(tmp_path):
    make_site(tmp_path, 7)
    run(tmp_path)
    root = lxml.etree.parse(str(tmp_path / "public/archive/1.xml")).getroot()
    assert root.find(HISTORY) is not None
    links = {
        link.get("rel"): link.get("href")
        for link in root.findall("{http://www.w3.org/2005/Atom}link")
    }
    assert links["current"] == "https://example.com/atom.xml"
    assert links["next-archive"] == "https://example.com/archive/2.xml"
    assert "prev-archive" not in links
    rss = lxml.etree.parse(str(tmp_path / "public/archive/rss/2.xml")).getroot()
    channel = rss.find("channel")
    assert channel.find(HISTORY) is not None
    assert channel.findtext("link") == "https://example.com/"


def test_json_feed_pages_through_next_url(tmp_path):
    make_site(tmp_path, 7)
    run(tmp_path)
    seen, url = [], "https://example.com/feed.json"
    while url:
        document = json.loads(local(url, tmp_path).read_text("utf-8"))
        seen.extend(item["id"] for item in document["items"])
        url = document.get("next_url")
    assert len(set(seen)) == 7


def test_full_archive_pages_do_not_change_when_posts_are_added(tmp_path):
    make_site(tmp_path, 6)
    run(tmp_path)
    page = (tmp_path / "public/archive/1.xml").read_bytes()
    write_post(tmp_path / "content", "new.md", "title: New\ndate: 2024-02-01")
    result = run(tmp_path, NOW + timedelta(hours=1))
    assert "archive/1.xml" in result.files_unchanged
    assert (tmp_path / "public/archive/1.xml").read_bytes() == page


def test_archive_pages_rendered_in_worker_processes_equal_those_rendered_here(
    tmp_path, monkeypatch
):
    import feedkit._parallel

    outputs = {}
    for mode in ("parallel", "sequential"):
        root = tmp_path / mode
        root.mkdir()
        make_site(root, 0)
        (root / "feedkit.toml").write_text(
            (root / "feedkit.toml").read_text().replace("limit = 3", "limit = 2"), "utf-8"
        )
        for n in range(40):
            day = 1 + n % 28
            write_post(
                root / "content",
                f"p{n:02}.md",
                f"title: Post {n}\ndate: 2024-{1 + n // 28:02}-{day:02}",
                # A dated row too: a table with no date at all is no timeline (#24).
                "| 날짜 | 내용 |\n| --- | --- |\n| 2024-01-01 | 시작 |\n| 미정 | 추후 공지 |\n",
            )
        if mode == "sequential":
            monkeypatch.setattr(feedkit._parallel, "PARALLEL_PAGES", 10**9)
        result = run(root)
        assert result.posts_rendered == 40
        # A row whose date does not parse is reported from whichever process rendered it.
        assert sum(d.code == "timeline-undated" for d in result.diagnostics) == 40
        outputs[mode] = published_files(root / "public")
    assert len([p for p in outputs["parallel"] if p.parts[0] == "archive"]) == 3 * 20
    assert outputs["parallel"] == outputs["sequential"]


def test_subscription_posts_rendered_in_worker_processes_equal_those_rendered_here(
    site, build_site, monkeypatch, tmp_path
):
    import shutil

    import feedkit._parallel

    other = tmp_path / "other"
    shutil.copytree(site, other)
    # Every build renders its posts, and serializes its subscription feeds, in workers.
    monkeypatch.setattr(feedkit._parallel, "PARALLEL_POSTS", 1)
    monkeypatch.setattr(feedkit._parallel, "PARALLEL_FEEDS", 1)
    # With the stylesheet, which a worker adds to what it serializes.
    parallel = build_site(site, feeds={"xslt": True})
    monkeypatch.setattr(feedkit._parallel, "PARALLEL_POSTS", 10**9)
    sequential = build_site(other, feeds={"xslt": True})
    assert parallel.posts_rendered == sequential.posts_rendered == 6

    assert published_files(site / "public") == published_files(other / "public")
    assert sorted(map(str, parallel.diagnostics)) == sorted(map(str, sequential.diagnostics))


def test_a_first_build_in_workers_renders_each_post_once(tmp_path, monkeypatch):
    """Posts rendered for the subscription feeds are handed to the archive pages that
    hold them, not rendered again there; the files equal those of a build in one process."""
    import os

    import feedkit._parallel
    import feedkit.render

    fork_workers(monkeypatch, "worker processes see the counting wrapper only when forked")
    outputs = {}
    for mode in ("parallel", "sequential"):
        root = tmp_path / mode
        root.mkdir()
        make_site(root, 0)
        toml = (root / "feedkit.toml").read_text()
        (root / "feedkit.toml").write_text(
            toml.replace("limit = 3", "limit = 2").replace("tags = false", "tags = true"), "utf-8"
        )
        for n in range(40):
            tags = ["odd" if n % 2 else "even", f"t{n % 7}"]
            write_post(
                root / "content",
                f"p{n:02}.md",
                f"title: Post {n}\ndate: 2024-{1 + n // 28:02}-{1 + n % 28:02}\ntags: {tags}",
            )
        log = tmp_path / f"{mode}.log"
        render_post = feedkit.render.render_post

        def counted(post, *args, _log=log, _render_post=render_post, **kwargs):
            with open(_log, "a", encoding="utf-8") as file:  # one write per line: O_APPEND
                file.write(f"{os.getpid()} {post.id}\n")
            return _render_post(post, *args, **kwargs)

        monkeypatch.setattr(feedkit.render, "render_post", counted)
        feed_in_worker = feedkit._parallel._feed_in_worker

        def checked(job, _feed_in_worker=feed_in_worker):
            spec, _, _, rendered, _ = job
            for post in spec.posts:
                if post.id in rendered:  # sent without a copy of the post the spec holds
                    parts = pickle.loads(zlib.decompress(rendered[post.id]))
                    assert not [part for part in parts.values() if isinstance(part, Post)]
                    assert post.source.body is None  # a feed needs no source text
            return _feed_in_worker(job)

        # Sent to the pool by name, which finds ``checked`` in the forked workers too.
        checked.__module__, checked.__qualname__ = "feedkit._parallel", "_feed_in_worker"
        monkeypatch.setattr(feedkit._parallel, "_feed_in_worker", checked)
        parallel = mode == "parallel"
        monkeypatch.setattr(feedkit._parallel, "PARALLEL_POSTS", 1 if parallel else 10**9)
        monkeypatch.setattr(feedkit._parallel, "PARALLEL_PAGES", 1 if parallel else 10**9)
        result = run(root)
        lines = log.read_text("utf-8").splitlines()
        ids = [line.split(" ", 1)[1] for line in lines]
        assert result.posts_rendered == 40
        assert sorted(ids) == sorted(set(ids)) and len(ids) == 40
        if parallel:
            assert {line.split(" ", 1)[0] for line in lines} - {str(os.getpid())}
        outputs[mode] = published_files(root / "public")
    assert len([p for p in outputs["parallel"] if p.parts[0] == "tags"]) == 9 * 3
    assert outputs["parallel"] == outputs["sequential"]


def test_workers_write_the_subscription_feeds_after_every_archive_page(tmp_path, monkeypatch):
    """With enough posts, the subscription feeds too are written by workers, which send
    back what the state records, not the documents; none is written before the last
    archive page it could link to. The temporary files a killed run left beside them
    are swept once, before any worker writes there."""
    import os

    import feedkit._parallel
    import feedkit.publish

    fork_workers(monkeypatch, "worker processes see the logging wrapper only when forked")
    make_site(tmp_path, 0)
    toml = (tmp_path / "feedkit.toml").read_text("utf-8")
    (tmp_path / "feedkit.toml").write_text(toml.replace("categories = false", ""), "utf-8")
    for n in range(28):  # limit 3: 9 full archive pages
        category = ["red", "blue"][n % 2]
        write_post(
            tmp_path / "content",
            f"p{n:02}.md",
            f"title: Post {n}\ndate: 2024-01-{n + 1:02}\ncategories: [{category}]",
        )
    stale = [
        tmp_path / "public" / ".atom.xml.abcd1234.tmp",
        tmp_path / "public" / "categories" / "red" / ".rss.xml.abcd1234.tmp",
    ]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half a feed")
    log = tmp_path / "writes.log"
    sent_back = _watch_writes(monkeypatch, log)
    for name in ("PARALLEL_POSTS", "PARALLEL_PAGES", "PARALLEL_FEEDS"):
        monkeypatch.setattr(feedkit._parallel, name, 1)
    result = run(tmp_path)
    order = [line.split(" ", 1) for line in log.read_text("utf-8").splitlines()]
    here = str(os.getpid())
    subscription = ["atom.xml", "categories/red/rss.xml", "categories/blue/feed.json"]
    assert set(subscription) <= set(result.files_written)
    written_at = {path: n for n, (_, path) in enumerate(order)}
    assert {pid for pid, path in order if path in subscription} - {here}
    assert here not in {pid for pid, path in order if path in subscription}
    last_page = max(n for n, (_, path) in enumerate(order) if path.startswith("archive/"))
    assert min(written_at[path] for path in subscription) > last_page
    assert sent_back and all(isinstance(r, feedkit.publish.PublishResult) for r in sent_back)
    assert not any(path.exists() for path in stale)
    # The state records each file the workers wrote.
    rebuilt = run(tmp_path)
    assert rebuilt.files_written == () and set(subscription) <= set(rebuilt.files_unchanged)


def test_progress_counts_every_feed_written_in_workers_too(tmp_path, monkeypatch):
    import feedkit._parallel

    make_site(tmp_path, 28)  # limit 3: 9 full archive pages
    monkeypatch.setattr(feedkit._parallel, "PARALLEL_PAGES", 1)
    calls = []
    result = build(
        load_settings(tmp_path / "feedkit.toml"),
        now=NOW,
        diagnostics=Diagnostics(),
        progress=lambda *call: calls.append(call),
    )
    writes = [call for call in calls if call[0] == "write"]
    assert result.feeds == 1 + 9  # the site feed and every archive page
    assert [done for _, done, _ in writes] == list(range(1, 11))
    assert {total for _, _, total in writes} == {10}


def test_posts_read_and_resolved_in_worker_processes_equal_those_done_here(
    site, build_site, monkeypatch, tmp_path
):
    """A first build reads, parses and resolves a large site on every core: its files,
    its diagnostics (in order) and the state it leaves must not depend on that."""
    import shutil
    import sqlite3

    import feedkit._parallel
    import feedkit.collect

    other = tmp_path / "other"
    shutil.copytree(site, other)
    monkeypatch.setattr(feedkit.collect, "_PARALLEL_READS", 1)
    monkeypatch.setattr(feedkit._parallel, "PARALLEL_RESOLVE", 1)
    parallel = build_site(site)
    monkeypatch.setattr(feedkit.collect, "_PARALLEL_READS", 10**9)
    monkeypatch.setattr(feedkit._parallel, "PARALLEL_RESOLVE", 10**9)
    sequential = build_site(other)
    assert parallel.posts_parsed == sequential.posts_parsed == 8

    def files(root):
        return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    def ledger(root):
        with sqlite3.connect(root / ".feedkit" / "state.db") as db:
            return db.execute(
                "SELECT id, path, content_hash, seq FROM posts ORDER BY id"
            ).fetchall()

    assert files(site / "public") == files(other / "public")
    assert list(map(str, parallel.diagnostics)) == [
        str(d).replace(str(other), str(site)) for d in sequential.diagnostics
    ]
    assert ledger(site) == ledger(other)


def test_workers_write_the_archive_pages_they_render_and_send_back_no_document(
    tmp_path, monkeypatch
):
    """Archive pages (most of what a first build writes) are written by the worker that
    renders them, which sends back what the state records of them, not their bytes;
    with few posts, the subscription feeds are written here, after every page they link
    to. A killed run's temporary files in archive/ are swept before any worker writes
    there."""
    import os

    import feedkit._parallel
    import feedkit.publish

    fork_workers(monkeypatch, "worker processes see the logging wrapper only when forked")
    make_site(tmp_path, 28)  # limit 3: 9 full archive pages
    (tmp_path / "public" / "archive").mkdir(parents=True)
    stale = tmp_path / "public" / "archive" / ".2.xml.abcd1234.tmp"  # a killed run's
    stale.write_bytes(b"half a page")
    log = tmp_path / "writes.log"
    sent_back = _watch_writes(monkeypatch, log)
    monkeypatch.setattr(feedkit._parallel, "PARALLEL_PAGES", 1)
    result = run(tmp_path)
    writers = {}
    for line in log.read_text("utf-8").splitlines():
        pid, path = line.split(" ", 1)
        writers[path] = pid
    here = str(os.getpid())
    pages = sorted(path for path in writers if path.startswith("archive/"))
    assert len(pages) == 9 * 3 and set(pages) <= set(result.files_written)
    # The first page is written here (which sweeps archive/); the others in workers.
    assert {writers[path] for path in pages if path.split("/")[-1].startswith("1.")} == {here}
    assert {writers[path] for path in pages if not path.split("/")[-1].startswith("1.")} - {here}
    assert here not in {writers[p] for p in pages if not p.split("/")[-1].startswith("1.")}
    assert writers["atom.xml"] == here
    assert not stale.exists()
    assert sent_back and all(isinstance(r, feedkit.publish.PublishResult) for r in sent_back)
