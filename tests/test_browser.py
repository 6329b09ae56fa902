"""feeds.html, feed.xsl and the autodiscovery links, read the way a browser reads them: parsed
with lxml.html, transformed with libxslt, and rendered by a headless Chromium."""

from __future__ import annotations

import dataclasses
import functools
import html
import http.server
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
import pytest

from feedkit.browser import (
    FEEDS_PAGE_NAME,
    XSLT_FILE_NAME,
    FeedLink,
    add_stylesheet_pi,
    discovery_links,
    feed_links,
    render_feeds_page,
    site_feed_link,
    stylesheet_href,
    with_stylesheet,
    xslt_stylesheet,
)
from feedkit.check import check_output
from feedkit.generate import FEED_FILES, feed_url, plan_feeds
from feedkit.models import Artifact, Item, Post, PostDates, ResolvedDate, Source
from feedkit.permalinks import encode_url_path
from feedkit.pipeline import BuildResult
from feedkit.serve import make_server, serve_forever_in_thread
from feedkit.settings import Settings, load_settings

from .conftest import REPO_ROOT

SEOUL = ZoneInfo("Asia/Seoul")
BASE_TIME = datetime(2024, 6, 1, 12, 0, tzinfo=SEOUL)
HOSTILE = "<script>alert('x')</script> & \"quoted\" </title><b>bold</b> &amp;"
MEDIA_TYPES = {media for _, media in FEED_FILES.values()}
ARTIFACTS = REPO_ROOT / "artifacts"


def make_settings(**site: object) -> Settings:
    values: dict[str, object] = {"url": "https://example.com", "title": "Site"}
    values.update(site)
    return load_settings(None, {"site": values}, base_dir=Path("/nonexistent"))


def make_item(
    n: int,
    *,
    title: str | None = None,
    summary: str = "Summary text.",
    at: datetime | None = None,
    categories: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    url: str | None = None,
) -> Item:
    when = at or BASE_TIME + timedelta(minutes=n)
    source = Source(f"p{n}.md", f"/x/p{n}.md", {}, "Body.", 4, "markdown", 5, 0, "h")
    resolved = ResolvedDate(when, "front-matter:date")
    link = url or f"https://example.com/p{n}.html"
    post = Post(
        source,
        link,
        title or f"Post {n}",
        f"/p{n}.html",
        link,
        PostDates(resolved, resolved),
        None,
        categories,
        tags,
        None,
        None,
        None,
        False,
    )
    return Item(post, f"<p>{summary}</p>", f"<p>{summary}</p>", summary, None, None)


def parse(page: bytes) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(page)


def alternates(root: lxml.html.HtmlElement) -> list[tuple[str, str, str]]:
    return [
        (link.get("type"), link.get("title"), link.get("href"))
        for link in root.xpath("/html/head/link[@rel='alternate']")
    ]


# feeds.html ------------------------------------------------------------------------------


def test_hostile_titles_are_escaped_and_read_back_as_text():
    settings = make_settings(title=HOSTILE, description=HOSTILE)
    items = [make_item(1, title=HOSTILE, summary=HOSTILE, categories=(HOSTILE,))]
    specs = plan_feeds([item.post for item in items], settings)
    root = parse(render_feeds_page(settings, feed_links(specs, settings), items))

    assert root.xpath("//script") == [] and root.xpath("//b") == []
    assert HOSTILE in root.findtext("head/title")
    assert [a.text_content() for a in root.xpath("//ol[@class='entries']//h3/a")] == [HOSTILE]
    assert root.xpath("//ol[@class='entries']//p[not(@class)]")[0].text_content() == HOSTILE
    assert root.xpath("//details//h3")[0].text_content() == HOSTILE
    assert {title for _, title, _ in alternates(root)} == {
        f"{HOSTILE} (RSS)",
        f"{HOSTILE} (Atom)",
        f"{HOSTILE} (JSON Feed)",
    }
    assert root.xpath("//meta[@name='description']/@content") == [HOSTILE]


def test_control_characters_are_dropped():
    settings = make_settings()
    page = render_feeds_page(settings, [], [make_item(1, title="a\x00b\x0bc")])
    assert parse(page).xpath("//ol[@class='entries']//h3/a")[0].text_content() == "abc"


@pytest.mark.parametrize(
    ("language", "page_lang", "hangul", "ui_lang"),
    [
        ("ko", "ko", True, None),
        ("ko-KR", "ko-KR", True, None),
        ("en-US", "en-US", False, None),
        ("", "en", False, None),
        ("fr", "fr", False, "en"),
    ],
)
def test_explanation_follows_the_site_language(language, page_lang, hangul, ui_lang):
    settings = make_settings(language=language)
    root = parse(render_feeds_page(settings, [site_feed_link(settings)], [make_item(1)]))
    about = root.xpath("//section[@class='about']")[0]
    text = about.text_content()
    assert root.get("lang") == page_lang
    assert any("\uac00" <= char <= "\ud7a3" for char in text) is hangul
    assert about.get("lang") == ui_lang
    headings = [h.text_content() for h in root.xpath("//h2")]
    assert len(headings) == 3 and all(h.strip() for h in headings)


def test_bytes_depend_on_the_arguments_only():
    settings = make_settings(language="ko", timezone="Asia/Seoul")
    items = [make_item(n, categories=("국제",), tags=("a b",)) for n in range(5)]
    feeds = feed_links(plan_feeds([item.post for item in items], settings), settings)
    first = render_feeds_page(settings, feeds, items)
    assert render_feeds_page(settings, feeds, list(reversed(items))) == first
    assert render_feeds_page(settings, feeds, items + items[:2]) == first
    assert first.startswith(b"<!doctype html>\n") and first.endswith(b"</html>\n")
    first.decode("utf-8")


def test_every_feed_is_listed_with_absolute_urls_and_archives_are_not():
    settings = load_settings(
        None,
        {
            "site": {"url": "https://example.com", "baseurl": "/blog", "title": "Site"},
            "feeds": {"limit": 2},
        },
        base_dir=Path("/nonexistent"),
    )
    items = [make_item(n, categories=("국제", "Tech")[n % 2 :][:1], tags=("x",)) for n in range(6)]
    posts = [item.post for item in items]
    specs = plan_feeds(posts, settings, seq={p.id: n for n, p in enumerate(posts)}, next_seq=6)
    assert any(spec.kind == "archive" for spec in specs)
    root = parse(render_feeds_page(settings, feed_links(specs, settings), items))

    shown = root.xpath("//ul[@class='urls']//input/@value")
    expected = [
        feed_url(spec, fmt, settings)
        for spec in specs
        if spec.kind != "archive"
        for fmt in settings.feeds.formats
    ]
    assert shown == expected
    assert all(url.startswith("https://example.com/blog/") for url in shown)
    assert "https://example.com/blog/categories/%EA%B5%AD%EC%A0%9C/atom.xml" in shown
    assert all(i.get("readonly") is not None for i in root.xpath("//ul[@class='urls']//input"))
    assert root.xpath("//ul[@class='urls']//a/@href") == expected
    # The newest feeds.limit entries, newest first.
    titles = [a.text_content() for a in root.xpath("//ol[@class='entries']//h3/a")]
    assert titles == ["Post 5", "Post 4"]


def test_autodiscovery_links_name_the_site_feeds_only():
    settings = make_settings(baseurl="/blog")
    items = [make_item(1, categories=("c",))]
    feeds = feed_links(plan_feeds([item.post for item in items], settings), settings)
    root = parse(render_feeds_page(settings, feeds, items))
    assert alternates(root) == [
        ("application/rss+xml", "Site (RSS)", "https://example.com/blog/rss.xml"),
        ("application/atom+xml", "Site (Atom)", "https://example.com/blog/atom.xml"),
        ("application/feed+json", "Site (JSON Feed)", "https://example.com/blog/feed.json"),
    ]
    assert root.xpath("/html/head/meta[@charset='utf-8']")
    assert root.xpath("/html/head/meta[@name='viewport']")
    # No JavaScript and nothing fetched from elsewhere.
    assert root.xpath("//script | //img | //iframe | //link[@rel='stylesheet']") == []


def test_entry_dates_are_shown_in_the_site_zone():
    settings = make_settings(timezone="Asia/Seoul")
    at = datetime(2024, 6, 30, 20, 30, tzinfo=UTC)
    root = parse(render_feeds_page(settings, [], [make_item(1, at=at)]))
    time_element = root.xpath("//ol[@class='entries']//time")[0]
    assert datetime.fromisoformat(time_element.get("datetime")) == at
    assert time_element.get("datetime").endswith("+09:00")
    assert time_element.text == "2024-07-01 05:30"


def test_empty_site_still_explains_and_lists_its_feed():
    settings = make_settings()
    root = parse(render_feeds_page(settings, [site_feed_link(settings)], []))
    assert root.xpath("//ol[@class='entries']") == []
    assert root.xpath("//ul[@class='urls']//input/@value") == [
        "https://example.com/rss.xml",
        "https://example.com/atom.xml",
        "https://example.com/feed.json",
    ]


# feedkit links ---------------------------------------------------------------------------


def test_discovery_links_from_settings_alone():
    settings = load_settings(
        None,
        {
            "site": {"url": "https://example.com/", "baseurl": "blog/", "title": 'A "B" & C'},
            "feeds": {"formats": ["atom", "json"]},
        },
        base_dir=Path("/nonexistent"),
    )
    text = discovery_links(settings)
    lines = text.split("\n")
    assert len(lines) == 2
    links = [lxml.html.fragment_fromstring(line) for line in lines]
    assert [(link.tag, link.get("rel")) for link in links] == [("link", "alternate")] * 2
    assert [(link.get("type"), link.get("title"), link.get("href")) for link in links] == [
        ("application/atom+xml", 'A "B" & C (Atom)', "https://example.com/blog/atom.xml"),
        ("application/feed+json", 'A "B" & C (JSON Feed)', "https://example.com/blog/feed.json"),
    ]


def test_discovery_links_match_the_planned_site_feed():
    settings = make_settings()
    specs = plan_feeds([make_item(1, categories=("c",)).post], settings)
    assert discovery_links(settings, feed_links(specs, settings)) == discovery_links(settings)


# XSLT ------------------------------------------------------------------------------------

FEED = b"<?xml version='1.0' encoding='UTF-8'?>\n<rss version=\"2.0\"><channel/></rss>\n"


def stylesheet_pis(data: bytes) -> list[lxml.etree._ProcessingInstruction]:
    root = lxml.etree.fromstring(data)
    found = []
    node = root.getprevious()
    while node is not None:
        found.insert(0, node)
        node = node.getprevious()
    return [n for n in found if isinstance(n, lxml.etree._ProcessingInstruction)]


def test_stylesheet_pi_follows_the_declaration():
    data = add_stylesheet_pi(FEED, "../feed.xsl")
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet ")
    (pi,) = stylesheet_pis(data)
    assert (pi.target, pi.get("type"), pi.get("href")) == (
        "xml-stylesheet",
        "text/xsl",
        "../feed.xsl",
    )
    assert add_stylesheet_pi(data, "../feed.xsl") == data
    assert data.replace(b'<?xml-stylesheet type="text/xsl" href="../feed.xsl"?>\n', b"") == FEED


@pytest.mark.parametrize(
    "document",
    [b'<rss version="2.0"/>', b"\xef\xbb\xbf<rss/>", b'\xef\xbb\xbf<?xml version="1.0"?><rss/>'],
)
def test_stylesheet_pi_without_or_after_a_bom(document):
    data = add_stylesheet_pi(document, "feed.xsl")
    (pi,) = stylesheet_pis(data)
    assert pi.get("href") == "feed.xsl"


def test_stylesheet_href_is_escaped():
    href = 'a"b?>&<c.xsl'
    (pi,) = stylesheet_pis(add_stylesheet_pi(FEED, href))
    # lxml leaves the pseudo-attribute's character references as written.
    assert html.unescape(pi.get("href")) == href


def test_stylesheet_href_is_relative_to_the_feed():
    assert stylesheet_href("rss.xml") == "feed.xsl"
    assert stylesheet_href("categories/국제/atom.xml") == "../../feed.xsl"
    assert stylesheet_href("archive/rss/3.xml") == "../../feed.xsl"


def test_with_stylesheet_touches_rss_and_atom_only():
    json_feed = Artifact("feed.json", b"{}", "application/feed+json", "site")
    assert with_stylesheet(json_feed) is json_feed
    atom = with_stylesheet(Artifact("tags/x/atom.xml", FEED, "application/atom+xml", "tag:x"))
    assert stylesheet_pis(atom.data)[0].get("href") == "../../feed.xsl"


def test_stylesheet_is_xslt_1():
    tree = lxml.etree.fromstring(xslt_stylesheet())
    assert tree.get("version") == "1.0"
    lxml.etree.XSLT(tree)


@pytest.fixture
def published(site: Path, build_site: Callable[..., BuildResult]) -> Path:
    """The bundled site built into site/public."""
    build_site(site)
    return site / "public"


def add_xslt(output: Path) -> None:
    """Do to a built output what a build with feeds.xslt = true does."""
    for path in sorted(output.rglob("*.xml")):
        relative = path.relative_to(output).as_posix()
        media = "application/rss+xml" if "rss" in relative else "application/atom+xml"
        artifact = with_stylesheet(Artifact(relative, path.read_bytes(), media))
        path.write_bytes(artifact.data)
    (output / XSLT_FILE_NAME).write_bytes(xslt_stylesheet())


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml", "categories/국제/rss.xml"])
def test_stylesheet_renders_every_entry_of_a_built_feed(published, name):
    add_xslt(published)
    path = published / name
    document = lxml.etree.parse(str(path))
    (pi,) = stylesheet_pis(path.read_bytes())
    xsl = (path.parent / pi.get("href")).resolve()
    assert xsl == (published / XSLT_FILE_NAME).resolve()
    result = lxml.etree.XSLT(lxml.etree.parse(str(xsl)))(document)
    page = lxml.html.document_fromstring(str(result))

    atom = "{http://www.w3.org/2005/Atom}"
    if document.getroot().tag == "rss":
        expected = [(i.findtext("title"), i.findtext("link")) for i in document.iter("item")]
    else:
        # feedgen leaves out rel="alternate", the default (RFC 4287 section 4.2.7.2).
        expected = [
            (e.findtext(f"{atom}title"), e.find(f"{atom}link").get("href"))
            for e in document.iter(f"{atom}entry")
        ]
    shown = [(a.text_content().strip(), a.get("href")) for a in page.xpath("//ol//h3/a")]
    assert shown == expected and expected
    assert page.get("lang") == "ko"
    assert page.xpath("//input/@value") == ["https://example.com/" + encode_url_path(name)]
    assert all(t.text_content().strip() for t in page.xpath("//ol//p[@class='meta']"))


def test_output_with_stylesheets_still_passes_check(published):
    add_xslt(published)
    assert check_output(published, base_url="https://example.com/") == []


# The bundled site in a real browser ------------------------------------------------------


def feeds_page_of(output: Path, settings: Settings) -> Path:
    """``feeds.html`` of a built output; made here from the built feeds until the pipeline
    writes it (the page is then what a build wrote)."""
    page = output / FEEDS_PAGE_NAME
    if page.is_file():
        return page
    feeds: list[FeedLink] = []
    for path in sorted(output.rglob("feed.json")):
        folder = path.parent.relative_to(output).as_posix()
        if folder.startswith("archive"):
            continue
        document = json.loads(path.read_text("utf-8"))
        kind = {"categories": "category", "tags": "tag"}.get(folder.split("/")[0], "site")
        base = document["feed_url"].rsplit("/", 1)[0] + "/"
        urls = {fmt: base + FEED_FILES[fmt][0] for fmt in settings.feeds.formats}
        name = None if kind == "site" else document["title"].rsplit(" · ", 1)[-1]
        feeds.append(FeedLink(document["title"], kind, urls, name))
    feeds.sort(key=lambda feed: ["site", "category", "tag"].index(feed.kind))
    site = json.loads((output / "feed.json").read_text("utf-8"))
    items = []
    for n, entry in enumerate(site["items"]):
        item = make_item(
            n,
            title=entry["title"],
            summary=entry.get("summary", ""),
            at=datetime.fromisoformat(entry["date_published"]),
            url=entry["url"],
        )
        items.append(dataclasses.replace(item, post=dataclasses.replace(item.post, id=entry["id"])))
    page.write_bytes(render_feeds_page(settings, feeds, items))
    return page


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("chromium is not on PATH (apt-get install chromium; CI installs it)")


@pytest.fixture
def served(published: Path) -> Iterator[str]:
    """The built bundled site on 127.0.0.1; yields its base URL."""
    server = make_server(published, host="127.0.0.1", port=0)
    serve_forever_in_thread(server)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, timeout=90, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return result


@pytest.mark.slow
def test_feeds_page_in_chromium(published, served, site_settings, tmp_path):
    browser = find_chromium()
    feeds_page_of(published, site_settings)
    url = served + FEEDS_PAGE_NAME
    started = time.monotonic()

    dom = chromium(browser, tmp_path / "profile", "--dump-dom", url).stdout
    root = lxml.html.document_fromstring(dom)
    site = json.loads((published / "feed.json").read_text("utf-8"))
    titles = [entry["title"] for entry in site["items"]]
    assert any(not title.isascii() for title in titles)
    assert [a.text_content() for a in root.xpath("//ol[@class='entries']//h3/a")] == titles
    assert [href for _, _, href in alternates(root)] == [
        "https://example.com/rss.xml",
        "https://example.com/atom.xml",
        "https://example.com/feed.json",
    ]
    assert root.get("lang") == "ko"

    ARTIFACTS.mkdir(exist_ok=True)
    for name, size in (("feeds.png", "1200,1600"), ("feeds-narrow.png", "390,1600")):
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        chromium(
            browser, tmp_path / "profile", f"--screenshot={shot}", f"--window-size={size}", url
        )
        assert shot.read_bytes().startswith(b"\x89PNG")
    assert time.monotonic() - started < 120


@pytest.fixture
def served_as_xml(published: Path) -> Iterator[str]:
    """The built site from a plain static server, which sends ``.xml`` as an XML type (as
    GitHub Pages sends ``application/xml``); yields its base URL. Chromium shows
    ``application/atom+xml`` and ``application/rss+xml`` as text and applies no XSLT."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(published))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serve_forever_in_thread(server)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_feed_stylesheet_in_chromium(published, served_as_xml, tmp_path):
    browser = find_chromium()
    add_xslt(published)
    served = served_as_xml
    dom = chromium(browser, tmp_path / "profile", "--dump-dom", served + "atom.xml").stdout
    root = lxml.html.document_fromstring(dom)
    if not root.xpath("//ol[@class='entries']"):
        pytest.skip("this Chromium does not apply XSLT stylesheets to feeds")
    document = lxml.etree.parse(str(published / "atom.xml"))
    titles = [t.text for t in document.iter("{http://www.w3.org/2005/Atom}title")][1:]
    assert any(not title.isascii() for title in titles)
    assert [a.text_content().strip() for a in root.xpath("//ol//h3/a")] == titles
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "feed-xslt.png"
    shot.unlink(missing_ok=True)
    chromium(
        browser,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1200,1600",
        served + "atom.xml",
    )
