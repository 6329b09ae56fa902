"""feedkit.check: the bundled site's output passes; each kind of breakage is reported once,
with its code, the file's relative path and the entry it is in."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.etree
import pytest

from feedkit.check import Problem, check_output
from feedkit.errors import FeedkitError
from feedkit.pipeline import BuildResult

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
HUB = "https://hub.example.org/"


@pytest.fixture
def published(site: Path, build_site: Callable[..., BuildResult]) -> Path:
    """The output folder of the bundled site, built at the test clock."""
    build_site(site)
    return site / "public"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty folder to copy (and break) published files into."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def copy_feed(published: Path, relative: str, out: Path) -> Path:
    target = out / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(published / relative, target)
    return target


def found(problems: list[Problem]) -> list[tuple[str, str | None, str]]:
    return [(problem.path, problem.entry, problem.code) for problem in problems]


def edit_xml(path: Path, change: Callable[[Any], None]) -> None:
    tree = lxml.etree.parse(str(path))
    change(tree.getroot())
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def test_bundled_output_has_no_problems(published):
    started = time.perf_counter()
    problems = check_output(published, base_url="https://example.com/")
    elapsed = time.perf_counter() - started
    assert problems == []
    assert elapsed < 5


def test_bundled_output_needs_each_hub_on_every_feed(published):
    problems = check_output(published, hubs=[HUB])
    feeds = sorted(
        path.relative_to(published).as_posix()
        for path in published.rglob("*")
        if path.name in ("rss.xml", "atom.xml", "feed.json")
    )
    assert found(problems) == [(path, None, "no-hub-link") for path in feeds]
    assert all(HUB in problem.message for problem in problems)


def test_malformed_xml(published, out):
    path = copy_feed(published, "rss.xml", out)
    path.write_bytes(path.read_bytes().replace(b"</channel>", b""))
    problems = check_output(out)
    assert found(problems) == [("rss.xml", None, "xml-malformed")]
    assert "line " in problems[0].message


def test_missing_channel_description(published, out):
    path = copy_feed(published, "categories/news/rss.xml", out)

    def drop_description(root: Any) -> None:
        channel = root.find("channel")
        channel.remove(channel.find("description"))

    edit_xml(path, drop_description)
    problems = check_output(out)
    assert found(problems) == [("categories/news/rss.xml", None, "missing-element")]
    assert "<description>" in problems[0].message


def test_relative_link_in_rss_content(published, out):
    path = copy_feed(published, "rss.xml", out)
    guids = []

    def add_relative_link(root: Any) -> None:
        item = root.find("channel/item")
        guids.append(item.findtext("guid"))
        encoded = item.find(f"{CONTENT}encoded")
        encoded.text += (
            '<p><a href="/about/">About</a> <a href="mailto:a@example.com">m</a> '
            # Absolute in any scheme (a public blog's ftp: links were reported).
            '<a href="ftp://ftp.example.com/2016%C4%EA/">f</a> <a href="magnet:?xt=1">g</a></p>'
        )

    edit_xml(path, add_relative_link)
    problems = check_output(out)
    assert found(problems) == [("rss.xml", guids[0], "relative-url")]
    assert "'/about/'" in problems[0].message


def test_relative_srcset_in_atom_content(published, out):
    path = copy_feed(published, "atom.xml", out)
    ids = []

    def add_relative_image(root: Any) -> None:
        entry = root.findall(f"{ATOM}entry")[1]
        ids.append(entry.findtext(f"{ATOM}id"))
        content = entry.find(f"{ATOM}content")
        content.text += (
            '<img src="https://example.com/a.png" '
            'srcset="https://example.com/a.png 1x, b@2x.png 2x" alt="">'
        )

    edit_xml(path, add_relative_image)
    problems = check_output(out)
    assert found(problems) == [("atom.xml", ids[0], "relative-url")]
    assert "'b@2x.png'" in problems[0].message


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01",  # ISO 8601, not RFC 822
        "Thu, 01 Jan 26 09:00:00 +0900",  # 2-digit year
        "Thu, 01 Jan 2026 09:00:00",  # no zone
        "Fri, 01 Jan 2026 09:00:00 +0900",  # 2026-01-01 is a Thursday
        "Thu, 31 Feb 2026 09:00:00 +0900",  # no such day
    ],
)
def test_unparsable_pub_date(published, out, value):
    path = copy_feed(published, "rss.xml", out)
    guids = []

    def set_date(root: Any) -> None:
        item = root.findall("channel/item")[2]
        guids.append(item.findtext("guid"))
        item.find("pubDate").text = value

    edit_xml(path, set_date)
    problems = check_output(out)
    assert found(problems) == [("rss.xml", guids[0], "bad-date")]
    assert "<pubDate>" in problems[0].message


def test_atom_date_without_zone(published, out):
    path = copy_feed(published, "atom.xml", out)

    def set_date(root: Any) -> None:
        root.find(f"{ATOM}updated").text = "2026-01-01T09:00:00"

    edit_xml(path, set_date)
    assert found(check_output(out)) == [("atom.xml", None, "bad-date")]


def test_duplicate_guid(published, out):
    path = copy_feed(published, "rss.xml", out)
    guids = []

    def repeat_guid(root: Any) -> None:
        first, second = root.findall("channel/item")[:2]
        guids.append(first.findtext("guid"))
        second.find("guid").text = first.findtext("guid")

    edit_xml(path, repeat_guid)
    problems = check_output(out)
    assert found(problems) == [("rss.xml", guids[0], "duplicate-id")]
    assert "entry 2 repeats the id of entry 1" in problems[0].message


def test_missing_rss_self_link(published, out):
    path = copy_feed(published, "tags/feeds/rss.xml", out)

    def drop_self(root: Any) -> None:
        channel = root.find("channel")
        for link in channel.findall(f"{ATOM}link[@rel='self']"):
            channel.remove(link)

    edit_xml(path, drop_self)
    assert found(check_output(out)) == [("tags/feeds/rss.xml", None, "no-self-link")]


def test_missing_atom_self_link(published, out):
    path = copy_feed(published, "atom.xml", out)
    edit_xml(path, lambda root: root.remove(root.find(f"{ATOM}link[@rel='self']")))
    assert found(check_output(out)) == [("atom.xml", None, "no-self-link")]


def test_self_link_pointing_elsewhere(published, out):
    copy_feed(published, "categories/news/atom.xml", out)
    moved = copy_feed(published, "categories/news/feed.json", out)
    moved.rename(out / "categories/news/other.json")
    problems = check_output(out, base_url="https://example.com")
    assert found(problems) == [("categories/news/other.json", None, "self-link-mismatch")]
    assert "https://example.com/categories/news/other.json" in problems[0].message


def test_self_link_checked_against_base_url_with_non_ascii_path(published, out):
    for path in published.rglob("*.xml"):
        if "categories" in path.parts and not path.parent.name.isascii():
            copy_feed(published, path.relative_to(published).as_posix(), out)
            break
    else:
        pytest.skip("no category with a non-ASCII slug")
    assert check_output(out, base_url="https://example.com/") == []
    assert found(check_output(out, base_url="https://example.com/mirror/"))[0][2] == (
        "self-link-mismatch"
    )


def test_hub_link_present_satisfies_hubs(published, out):
    atom = copy_feed(published, "atom.xml", out)
    feed = copy_feed(published, "feed.json", out)
    copy_feed(published, "rss.xml", out)

    def add_atom_hub(root: Any) -> None:
        lxml.etree.SubElement(root, f"{ATOM}link", rel="hub", href=HUB)

    def add_json_hub(document: dict[str, Any]) -> None:
        document["hubs"] = [{"type": "WebSub", "url": HUB}]

    edit_xml(atom, add_atom_hub)
    edit_json(feed, add_json_hub)
    problems = check_output(out, hubs=[HUB])
    assert found(problems) == [("rss.xml", None, "no-hub-link")]


def test_json_feed_without_version(published, out):
    path = copy_feed(published, "feed.json", out)
    edit_json(path, lambda document: document.pop("version"))
    problems = check_output(out)
    assert found(problems) == [("feed.json", None, "json-missing-field")]
    assert "'version'" in problems[0].message


def test_json_item_without_id(published, out):
    path = copy_feed(published, "feed.json", out)
    titles = []

    def drop_id(document: dict[str, Any]) -> None:
        item = document["items"][1]
        titles.append(item["title"])
        del item["id"]

    edit_json(path, drop_id)
    problems = check_output(out)
    assert found(problems) == [("feed.json", titles[0], "json-missing-field")]
    assert "'id'" in problems[0].message


def test_json_item_relative_content_url(published, out):
    path = copy_feed(published, "feed.json", out)
    ids = []

    def add_relative_link(document: dict[str, Any]) -> None:
        item = document["items"][0]
        ids.append(item["id"])
        item["content_html"] += (
            '<video poster="poster.jpg" src="https://example.com/v.mp4"></video>'
        )

    edit_json(path, add_relative_link)
    assert found(check_output(out)) == [("feed.json", ids[0], "relative-url")]


def test_json_item_content_that_lxml_cannot_take_apart_is_skipped(published, out):
    # A whole document whose parse has no single <body> makes lxml.html assert; the
    # check goes on to the next item and file.
    path = copy_feed(published, "feed.json", out)
    ids = []

    def break_content(document: dict[str, Any]) -> None:
        document["items"][0]["content_html"] = (
            "<html></table><html><script>x</script><td rowspan=2><!-- c --><html>text<body>"
            "</td><thead><script>x</script></tr>날짜</tr></td><thead><th><tr><body></th>"
            '<thead></th><td></thead><body><br><img src="a.png"><table><tr><td>x</td></tr>'
        )
        item = document["items"][1]
        ids.append(item["id"])
        item["content_html"] += '<img src="relative.png">'

    edit_json(path, break_content)
    assert found(check_output(out)) == [("feed.json", ids[0], "relative-url")]


def test_invalid_json(published, out):
    path = copy_feed(published, "tags/feeds/feed.json", out)
    path.write_text(path.read_text(encoding="utf-8")[:-10], encoding="utf-8")
    problems = check_output(out)
    assert found(problems) == [("tags/feeds/feed.json", None, "json-malformed")]


def test_json_not_utf8(published, out):
    path = copy_feed(published, "feed.json", out)
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    assert found(check_output(out)) == [("feed.json", None, "json-malformed")]


def test_folder_with_no_feeds(tmp_path):
    (tmp_path / "index.html").write_text("<p>hi</p>", encoding="utf-8")
    (tmp_path / "sitemap.xml").write_text("<urlset/>", encoding="utf-8")
    (tmp_path / "data.json").write_text('{"version": 3}', encoding="utf-8")
    problems = check_output(tmp_path)
    assert found(problems) == [(".", None, "no-feeds")]


def test_other_feeds_found_by_content_and_archive_folder(published, out):
    shutil.copy(published / "rss.xml", out / "news.xml")
    shutil.copy(published / "feed.json", out / "news.json")
    (out / "archive").mkdir()
    (out / "archive" / "2024.xml").write_text("<feed>", encoding="utf-8")
    (out / "broken-sitemap.xml").write_text("<urlset>", encoding="utf-8")
    problems = check_output(out, base_url="https://example.com/")
    assert found(problems) == [
        ("archive/2024.xml", None, "xml-malformed"),
        ("news.json", None, "self-link-mismatch"),
        ("news.xml", None, "self-link-mismatch"),
    ]


def test_well_known_name_with_other_root(out):
    (out / "rss.xml").write_text("<html/>", encoding="utf-8")
    assert found(check_output(out)) == [("rss.xml", None, "unknown-format")]


def test_problem_text():
    problem = Problem("rss.xml", "urn:x", "bad-date", "<pubDate> is wrong")
    assert str(problem) == "rss.xml: urn:x: <pubDate> is wrong [bad-date]"
    assert str(Problem("rss.xml", None, "no-self-link", "m")) == "rss.xml: m [no-self-link]"
    assert problem.as_dict()["code"] == "bad-date"


def test_not_a_folder(tmp_path):
    with pytest.raises(FeedkitError):
        check_output(tmp_path / "missing")


# What makes readers go wrong in a feed that parses (issue 21), in small files of our own.

_ATOM_HEAD = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:fh="http://purl.org/syndication/history/1.0">
  <id>https://example.com/atom.xml</id>
  <title>Site</title>
  <updated>2024-01-01T00:00:00Z</updated>
  <author><name>A</name></author>
  <link href="https://example.com/atom.xml" rel="self"/>
"""
_ENTRY = """  <entry>
    <id>https://example.com/p/</id>
    <title>{title}</title>
    <updated>2024-01-01T00:00:00Z</updated>
    {links}
  </entry>
"""
_POST = '<link href="https://example.com/p/" rel="alternate" type="text/html"/>'
_IMAGE = '<link href="https://example.com/i.jpg" rel="enclosure" type="image/jpeg" length="9"/>'


def atom(
    *, head: str = "", title: str = "Post", links: str = _POST + _IMAGE, base: str = ""
) -> str:
    entry = _ENTRY.format(title=title, links=links)
    if base:
        entry = entry.replace("<entry>", f'<entry xml:base="{base}">')
    return _ATOM_HEAD + head + entry + "</feed>\n"


def rss(item: str, *, channel: str = "", title: str = "Site") -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:atom="http://www.w3.org/2005/Atom" xmlns:fh="http://purl.org/syndication/history/1.0">
<channel><title>{title}</title><link>https://example.com/</link><description>d</description>
<atom:link href="https://example.com/rss.xml" rel="self"/>{channel}
<item><title>Post</title><link>https://example.com/p/</link>
<guid>https://example.com/p/</guid>{item}</item>
</channel></rss>
"""


def check_file(out: Path, name: str, text: str) -> list[tuple[str | None, str]]:
    path = out / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return [(problem.entry, problem.code) for problem in check_output(out)]


def test_a_well_formed_atom_entry_with_an_image_has_no_problem(out):
    assert check_file(out, "atom.xml", atom()) == []


def test_links_without_rel_as_feedgen_1_0_0_wrote_them(out):
    links = '<link href="https://example.com/p/"/><link href="https://example.com/i.jpg"/>'
    assert check_file(out, "atom.xml", atom(links=links)) == [
        ("https://example.com/p/", "link-without-rel"),
        ("https://example.com/p/", "duplicate-alternate"),
    ]


def test_a_link_without_rel_beside_a_typed_alternate(out):
    # Not the same type, so not a duplicate by RFC 4287; but readers may open either.
    links = _POST + '<link href="https://example.com/i.jpg"/>'
    assert check_file(out, "atom.xml", atom(links=links)) == [
        ("https://example.com/p/", "link-without-rel")
    ]


def test_two_alternates_of_one_type(out):
    links = _POST + '<link href="https://example.com/q/" rel="alternate" type="text/html"/>'
    assert check_file(out, "atom.xml", atom(links=links)) == [
        ("https://example.com/p/", "duplicate-alternate")
    ]


def test_two_alternates_in_two_languages_are_fine(out):
    links = (
        '<link href="https://example.com/p/" rel="alternate" type="text/html" hreflang="ko"/>'
        '<link href="https://example.com/en/p/" rel="alternate" type="text/html" hreflang="en"/>'
    )
    assert check_file(out, "atom.xml", atom(links=links)) == []


def test_namespace_prefixed_atom_elements(out):
    head = (
        '<ns0:link xmlns:ns0="http://www.w3.org/2005/Atom" href="https://example.com/" '
        'rel="current"/>\n'
    )
    assert check_file(out, "atom.xml", atom(head=head)) == [(None, "namespace-prefix")]


def test_an_xml_base_that_is_the_entry_link(out):
    found_ = check_file(out, "atom.xml", atom(base="https://example.com/p/"))
    assert found_ == [("https://example.com/p/", "same-document-base")]
    # A base elsewhere (the site root) leaves the link a reference to another document.
    assert check_file(out, "atom.xml", atom(base="https://example.com/")) == []


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("a &lt;b&gt;bold&lt;/b&gt; title", "markup-in-title"),
        ("Tom &amp;amp; Jerry", "markup-in-title"),  # a reference, in the text
        ("a &lt; b and C++ &lt;vector&gt;", None),  # text, not HTML
    ],
)
def test_markup_in_titles(out, title, code):
    expected_atom = [("https://example.com/p/", code)] if code else []
    assert check_file(out, "atom.xml", atom(title=title)) == expected_atom
    (out / "atom.xml").unlink()
    expected_rss = [("https://example.com/p/", code)] if code else []
    assert (
        check_file(out, "rss.xml", rss("", channel="").replace("<title>Post", f"<title>{title}"))
        == expected_rss
    )


def test_markup_in_an_atom_html_title_is_declared(out):
    head_title = 'title type="html">a &lt;b&gt;bold&lt;/b&gt; title</title'
    text = atom().replace("<title>Post</title", "<" + head_title)
    assert check_file(out, "atom.xml", text) == []


def test_rss_item_with_author_and_dc_creator(out):
    item = "<author>a@example.com (A)</author><dc:creator>A</dc:creator>"
    assert check_file(out, "rss.xml", rss(item)) == [("https://example.com/p/", "duplicate-author")]
    (out / "rss.xml").unlink()
    assert check_file(out, "rss.xml", rss("<dc:creator>A</dc:creator>")) == []


def test_archive_without_current_link(out):
    head = "<fh:archive/>\n"
    assert check_file(out, "archive/1.xml", atom(head=head)) == [(None, "archive-incomplete")]
    current = '<link href="https://example.com/atom.xml" rel="current"/>\n'
    assert check_file(out, "archive/1.xml", atom(head=head + current)) == []
    channel = "<fh:archive/>"
    (out / "archive" / "1.xml").unlink()
    assert check_file(out, "archive/rss/1.xml", rss("", channel=channel)) == [
        (None, "archive-incomplete")
    ]


def test_archive_that_says_complete(out):
    head = '<fh:archive/><fh:complete/><link href="https://example.com/atom.xml" rel="current"/>'
    assert check_file(out, "archive/1.xml", atom(head=head)) == [(None, "archive-incomplete")]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tags", ["ta\x00g"]),
        ("title", "a\x1bb"),
        ("authors", [{"name": "A\x01"}]),
        ("url", "https://example.com/p\x0c/"),
        ("_extension", {"ke\x08y": 1}),
        ("summary", "lone \ud800 surrogate"),
    ],
)
def test_control_characters_in_any_json_field(out, field, value):
    item = {"id": "https://example.com/p/", "url": "https://example.com/p/", "content_html": ""}
    item[field] = value
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Site",
        "feed_url": "https://example.com/feed.json",
        "items": [item],
    }
    text = json.dumps(document)  # escaped, as json writes them: still what readers get
    assert check_file(out, "feed.json", text) == [("https://example.com/p/", "control-character")]


def test_control_characters_in_the_json_feed_itself(out):
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Si\x00te",
        "feed_url": "https://example.com/feed.json",
        "items": [],
    }
    assert check_file(out, "feed.json", json.dumps(document)) == [(None, "control-character")]


def test_markup_in_a_json_title(out):
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Site",
        "feed_url": "https://example.com/feed.json",
        "items": [
            {"id": "1", "url": "https://example.com/p/", "title": "<em>x</em>", "content_html": ""}
        ],
    }
    assert check_file(out, "feed.json", json.dumps(document)) == [("1", "markup-in-title")]


def test_the_bundled_archives_have_no_problem(site, build_site):
    build_site(site, feeds={"limit": 3})
    assert (site / "public" / "archive" / "2.xml").is_file()
    assert check_output(site / "public", base_url="https://example.com/") == []
