"""Generate stage: feed selection and order, and feedgen's quirks kept out of the output."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import lxml.etree
import pytest

from feedkit.generate import generate_feed, order_posts, plan_feeds
from feedkit.models import Author, Post, PostDates, ResolvedDate, Source
from feedkit.render import render_item
from feedkit.settings import load_settings

SEOUL = ZoneInfo("Asia/Seoul")
BASE_TIME = datetime(2024, 6, 1, 12, 0, tzinfo=SEOUL)
SETTINGS = load_settings(
    None,
    {
        "site": {"url": "https://example.com", "title": "Site", "timezone": "Asia/Seoul"},
        "feeds": {"limit": 3},
    },
    base_dir=Path("/nonexistent"),
)


def make_post(
    n: int,
    *,
    minutes: int | None = None,
    title: str | None = None,
    categories: tuple[str, ...] = (),
) -> Post:
    at = BASE_TIME + timedelta(minutes=n if minutes is None else minutes)
    source = Source(
        f"p{n}.md", f"/x/p{n}.md", {}, "Body **bold**.", 4, "markdown", 10, 0, "h", False, ()
    )
    resolved = ResolvedDate(at, "front-matter:date")
    url = f"https://example.com/p{n}.html"
    return Post(
        source,
        url,
        title or f"Post {n}",
        f"/p{n}.html",
        url,
        PostDates(resolved, resolved),
        None,
        categories,
        (),
        None,
        None,
        None,
        False,
    )


def build(posts: list[Post]) -> dict[str, bytes]:
    specs = plan_feeds(posts, SETTINGS)
    items = {p.id: render_item(p) for spec in specs for p in spec.posts}
    return {a.path: a.data for spec in specs for a in generate_feed(spec, items, SETTINGS)}


def test_order_is_newest_first_and_ties_break_by_id():
    posts = [make_post(1, minutes=5), make_post(2, minutes=5), make_post(3, minutes=9)]
    assert [p.id for p in order_posts(posts)] == [
        "https://example.com/p3.html",
        "https://example.com/p1.html",
        "https://example.com/p2.html",
    ]
    assert order_posts(reversed(posts)) == order_posts(posts)


def test_limit_and_per_category_feeds():
    posts = [make_post(n, categories=("A",) if n % 2 else ("B", "b")) for n in range(8)]
    specs = plan_feeds(posts, SETTINGS)
    assert [s.key for s in specs] == ["site", "category:a", "category:b"]
    assert [len(s.posts) for s in specs] == [3, 3, 3]
    assert specs[0].posts[0].title == "Post 7"
    # "B" and "b" share a slug: one feed, and no post twice in it.
    assert len({p.id for p in specs[2].posts}) == 3


def test_rss_channel_link_is_the_site_and_dates_come_from_the_newest_entry():
    files = build([make_post(1), make_post(2)])
    channel = lxml.etree.fromstring(files["rss.xml"]).find("channel")
    assert channel.findtext("link") == "https://example.com/"
    assert channel.findtext("lastBuildDate") == "Sat, 01 Jun 2024 12:02:00 +0900"
    atom = lxml.etree.fromstring(files["atom.xml"])
    assert atom.findtext("{http://www.w3.org/2005/Atom}updated") == "2024-06-01T12:02:00+09:00"
    titles = [i.findtext("title") for i in channel.findall("item")]
    assert titles == ["Post 2", "Post 1"]  # appended in order, not reversed by feedgen


def test_output_is_byte_identical_for_the_same_input():
    posts = [make_post(n) for n in range(5)]
    assert build(posts) == build(list(reversed(posts)))


def test_hostile_titles_are_escaped_not_injected():
    # Markup in a title is read as the HTML the post's page shows (as jekyll-feed does):
    # every format carries the text, not the tags, and no script.
    title = "<script>alert(1)</script> ]]> & \x00 \x1f <b>끝</b>"
    files = build([make_post(1, title=title)])
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(files[name])
        assert parsed.bozo == 0
        assert parsed.entries[0].title == "]]> & 끝"
    item = json.loads(files["feed.json"])["items"][0]
    assert item["title"] == "]]> & 끝"


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("a < b and c > d", "a < b and c > d"),  # not markup: kept as written
        ("C++ <vector> tips", "C++ <vector> tips"),  # not an HTML element
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("<em>속보</em>  푸틴", "속보 푸틴"),
        ("<P>", "<P>"),  # all markup: kept, a title cannot be empty
    ],
)
def test_titles_are_plain_text_in_every_format(title, shown):
    files = build([make_post(1, title=title)])
    for name in ("rss.xml", "atom.xml"):
        assert feedparser.parse(files[name]).entries[0].title == shown
    assert json.loads(files["feed.json"])["items"][0]["title"] == shown


@pytest.mark.parametrize("bad", ["\x00\x01\x08\x0b\x0c\x1b", "\ufffe\uffff", "\ud800"])
def test_no_field_of_any_format_carries_a_character_xml_forbids(bad):
    """Tags, categories, the author, the image and the language reach the feeds as they
    are; JSON would carry a U+0000 escaped, and readers would get it all the same."""
    post = dataclasses.replace(
        make_post(1, title=f"Title{bad}"),
        categories=(f"cat{bad}",),
        tags=(f"tag{bad}", "x\x1fy"),
        author=Author(name=f"Au{bad}thor", email=None, uri=f"https://example.com/a{bad}/"),
        image=f"/img/a{bad}.jpg",
        lang=f"ko{bad}",
    )
    files = build([post])
    forbidden = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
    for path, data in files.items():
        text = data.decode("utf-8")
        assert not forbidden.search(text), path
        if path.endswith(".json"):
            assert not re.search(r"\\u00[01]|\\[bf]", text), path  # escaped in JSON
            item = json.loads(text)["items"][0]
            assert item["tags"] == ["cat", "tag", "xy"] and item["authors"][0]["name"] == "Author"
        else:
            assert feedparser.parse(data).bozo == 0, path


def test_empty_site_still_writes_valid_feeds():
    files = build([])
    assert feedparser.parse(files["rss.xml"]).bozo == 0
    assert feedparser.parse(files["atom.xml"]).bozo == 0
    assert json.loads(files["feed.json"])["items"] == []


def test_utc_setting_flattens_offsets():
    settings = dataclasses.replace(SETTINGS, feeds=dataclasses.replace(SETTINGS.feeds, utc=True))
    (spec,) = plan_feeds([make_post(1)], settings)
    items = {p.id: render_item(p) for p in spec.posts}
    atom = next(a for a in generate_feed(spec, items, settings) if a.path == "atom.xml")
    assert b"2024-06-01T03:01:00+00:00" in atom.data


def test_enclosure_types_do_not_depend_on_the_hosts_mime_table(monkeypatch):
    import mimetypes

    def with_image(image: str) -> Post:
        return dataclasses.replace(make_post(1), image=image)

    root = "https://example.com/"
    on_this_host = render_item(with_image("/img/voice.wav"), site_root=root).enclosure
    assert on_this_host is not None and on_this_host.media_type.startswith("audio/")
    # A slim container: no /etc/mime.types, and Python 3.11's own table lacks .webp.
    monkeypatch.setattr(mimetypes, "guess_type", lambda *args, **kwargs: (None, None))
    expected = {
        "/img/photo.webp": "image/webp",
        "/img/PHOTO.JPG": "image/jpeg",
        "/img/a.svg?v=2": "image/svg+xml",
        "/podcast/1.m4a": "audio/mp4",
        "/img/photo.xyz": "application/octet-stream",
    }
    for image, media_type in expected.items():
        enclosure = render_item(with_image(image), site_root=root).enclosure
        assert enclosure is not None and enclosure.media_type == media_type, image
