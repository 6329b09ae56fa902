"""A real feed reader: newsboat fetches the feeds from `feedkit serve` and stores them."""

from __future__ import annotations

import calendar
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote

import feedparser
import pytest

from feedkit.serve import make_server, serve_forever_in_thread

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("newsboat") is None, reason="newsboat is not installed"),
]

FEEDS = [
    "rss.xml",
    "atom.xml",
    "categories/%EA%B5%AD%EC%A0%9C/rss.xml",
    "tags/%ED%83%9C%ED%92%8D/atom.xml",
]


def newsboat_items(feed_url: str, home: Path) -> list[tuple[str, str, int]]:
    """Reload one feed in newsboat (its cache keeps an item once per guid, across feeds,
    so each feed gets a cache of its own) and return the stored (title, url, pubDate)."""
    home.mkdir()
    (home / "urls").write_text(feed_url + "\n", encoding="utf-8")
    (home / "config").write_text("download-timeout 10\n", encoding="utf-8")
    completed = subprocess.run(
        [
            "newsboat",
            "-u",
            str(home / "urls"),
            "-c",
            str(home / "cache.db"),
            "-C",
            str(home / "config"),
            "-x",
            "reload",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"HOME": str(home), "LANG": "C.UTF-8"},
    )
    assert completed.returncode == 0, completed.stderr
    with sqlite3.connect(home / "cache.db") as db:
        return db.execute(
            "SELECT title, url, pubDate FROM rss_item WHERE feedurl = ?", (feed_url,)
        ).fetchall()


def test_newsboat_stores_every_entry_with_title_link_and_date(site, build_site, tmp_path):
    build_site(site)
    server = make_server(site / "public", port=0)
    serve_forever_in_thread(server)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    document = json.loads((site / "public" / "feed.json").read_text("utf-8"))
    posts = {(item["title"], item["url"]) for item in document["items"]}
    assert any("image" in item for item in document["items"])
    try:
        for index, path in enumerate(FEEDS):
            stored = newsboat_items(f"{base}/{path}", tmp_path / f"reader{index}")
            expected = feedparser.parse((site / "public" / unquote(path)).read_bytes())
            want = {
                (entry.title, entry.link, calendar.timegm(entry.published_parsed))
                for entry in expected.entries
            }
            assert len(want) > 0
            assert set(stored) == want, path
            # The article newsboat opens is the post, never its image (issue 21): the
            # URLs the JSON Feed (written without feedgen) gives each post.
            assert {(title, url) for title, url, _ in stored} <= posts, path
    finally:
        server.shutdown()
        server.server_close()
