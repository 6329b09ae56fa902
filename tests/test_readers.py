"""What readers do with our feeds (issue 21): feedparser's ``entry.link`` is the post, in
every format and every feed of the bundled site, and a post's image is an enclosure with
its type and length, not a second link readers could open instead of the post."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import lxml.etree
import pytest

from .conftest import REPO_ROOT

ATOM = "{http://www.w3.org/2005/Atom}"
IMAGE = "https://example.com/assets/img/newsdao_breakingnews.jpg"
IMAGE_FILE = REPO_ROOT / "content" / "assets" / "img" / "newsdao_breakingnews.jpg"


@pytest.fixture
def out(site: Path, build_site) -> Path:
    # Three posts a page, so that archive pages are written and read too.
    build_site(site, feeds={"limit": 3})
    return site / "public"


def post_urls(out: Path) -> dict[str, str]:
    """Each post's id and URL, from every JSON Feed (written with the json module)."""
    urls = {}
    for path in out.rglob("*.json"):
        for item in json.loads(path.read_text("utf-8"))["items"]:
            urls[item["id"]] = item["url"]
    return urls


def test_feedparser_gives_the_post_url_as_the_link_of_every_entry(out):
    urls = post_urls(out)
    assert len(urls) >= 6
    files = sorted(out.rglob("*.xml"))
    assert any(path.parent.name == "archive" for path in files)
    entries = 0
    for path in files:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, path
        for entry in parsed.entries:
            assert entry.link == urls[entry.id], (path, entry.id)
            entries += 1
    for path in out.rglob("*.json"):
        for item in json.loads(path.read_text("utf-8"))["items"]:
            assert item["url"] == urls[item["id"]] and item["url"] != item.get("image")
    assert entries > 20


def test_the_image_is_an_enclosure_with_type_and_length(out):
    size = IMAGE_FILE.stat().st_size
    with_image: dict[str, set[str]] = {"atom": set(), "rss2": set()}
    for path in sorted(out.rglob("*.xml")):
        parsed = feedparser.parse(path.read_bytes())
        for entry in parsed.entries:
            if not entry.get("enclosures"):
                continue
            with_image[parsed.version[:4]].add(entry.id)
            assert [(e.href, e.type, int(e.length)) for e in entry.enclosures] == [
                (IMAGE, "image/jpeg", size)
            ], path
            assert entry.link != IMAGE
    # feedparser's versions "atom10" and "rss20": the two posts with an image, in each.
    assert {key: len(ids) for key, ids in with_image.items()} == {"atom": 2, "rss2": 2}
    attachments = {
        item["id"]: item["attachments"]
        for path in out.rglob("*.json")
        for item in json.loads(path.read_text("utf-8"))["items"]
        if "attachments" in item
    }
    assert (
        list(attachments.values())
        == [[{"url": IMAGE, "mime_type": "image/jpeg", "size_in_bytes": size}]] * 2
    )


def test_each_atom_entry_has_one_alternate_link_and_the_image_as_enclosure(out):
    """What feedgen 1.0.0 drops (see feedkit/_feedgen_ext.py): without the workaround,
    both links lose rel, type and length, and are two alternates."""
    for path in [out / "atom.xml", *sorted((out / "archive").glob("*.xml"))]:
        for entry in lxml.etree.parse(str(path)).getroot().iter(f"{ATOM}entry"):
            links = [dict(link.attrib) for link in entry.findall(f"{ATOM}link")]
            alternates = [link for link in links if link.get("rel", "alternate") == "alternate"]
            assert alternates == [
                {"href": entry.findtext(f"{ATOM}id"), "rel": "alternate", "type": "text/html"}
            ]
            enclosures = [link for link in links if link.get("rel") == "enclosure"]
            assert enclosures in (
                [],
                [
                    {
                        "href": IMAGE,
                        "rel": "enclosure",
                        "type": "image/jpeg",
                        "length": str(IMAGE_FILE.stat().st_size),
                    }
                ],
            )
            assert len(links) == len(alternates) + len(enclosures)


def test_feedgen_still_drops_entry_link_attributes():
    """The bug the workaround is for, in feedgen itself: when this fails, feedgen has
    fixed it, and FeedkitEntryExtension's rewriting of entry links can go."""
    from feedgen.feed import FeedGenerator
    from feedgen.version import version

    if version != (1, 0, 0):
        pytest.skip(f"the workaround was written for feedgen 1.0.0, this is {version}")
    generator = FeedGenerator()
    generator.id("https://example.com/atom.xml")
    generator.title("t")
    entry = generator.add_entry()
    entry.id("https://example.com/p")
    entry.title("p")
    entry.updated("2024-01-01T00:00:00Z")
    entry.link(href="https://example.com/p", rel="alternate", type="text/html")
    entry.enclosure("https://example.com/i.jpg", "10", "image/jpeg")
    assert [dict(link.attrib) for link in entry.atom_entry().findall("link")] == [
        {"href": "https://example.com/p"},
        {"href": "https://example.com/i.jpg"},
    ]
