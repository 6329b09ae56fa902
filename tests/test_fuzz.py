"""Hostile content through the whole pipeline (issue 7): random titles, bodies, names and
URLs are written as posts, built, and every output is read back by real consumers. Each
example builds a tiny site, so the example counts are kept modest."""

from __future__ import annotations

import json
import re
import socket
import tempfile
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feedkit.diagnostics import Diagnostics
from feedkit.errors import ConfigError
from feedkit.pipeline import build
from feedkit.settings import load_settings

from .conftest import BUNDLED_NOW

NOW = datetime(2026, 1, 1, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))
CONFIG = '[site]\nurl = "https://example.com/blog"\ntitle = "Fuzz"\ntimezone = "Asia/Seoul"\n'
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Names that try to leave the output folder or upset a file system.
_NASTY_NAMES = st.sampled_from(
    ["../../etc", "/abs", "..", ".", "a/../../b", "\x00", "a\x00b", "x" * 300, "한글" * 40,
     "CON", "nul.txt", "%2e%2e", "~", "-", " ", "\u202e", "\ufeff", "a/b", "\\..\\x"]
)  # fmt: skip
_NAMES = st.one_of(_NASTY_NAMES, st.text(max_size=40))
HOSTILE_FRAGMENTS = (
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//x.example/x.js></SCRIPT>",
    "<iframe src=https://x.example></iframe>",
    "<object data=x.swf></object>",
    "<embed src=x.swf>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)><circle/></svg>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<form action="javascript:alert(1)"><input onfocus=alert(1) autofocus></form>',
    '<p style="background:url(javascript:alert(1))" onmouseover=alert(1)>p</p>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<base href="javascript:/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<<script>script>alert(1)<</script>/script>",
    '<video poster="javascript:alert(1)" src=v.mp4></video>',
    '<img srcset="javascript:alert(1) 1x, x.png 2x">',
    "<!--<script>-->alert(1)",
    "]]>",
    "<![CDATA[ <script>alert(1)</script> ]]>",
    "&amp; &lt; &#0; &#xD800; &#x1F600; &bogus;",
    "<div>" * 50,
    "</p></div></li>",
)
_HOSTILE = st.sampled_from(HOSTILE_FRAGMENTS)
_MARKDOWN = st.sampled_from(["# H\n", "- a\n- b\n", "> q\n", "`c`", "**b**", "[l](/x)", "\n\n"])
_BODY = st.lists(st.one_of(_HOSTILE, _MARKDOWN, st.text(max_size=30)), max_size=8).map("".join)
_URLS = st.one_of(
    st.sampled_from(
        ["/img/a.png", "img/b.jpg", "https://cdn.example/c.gif", "javascript:alert(1)",
         "data:text/html,<script>x</script>", "//evil.example/x", "../../../../etc/passwd",
         "http://[::1", "http://%00/", " ", "mailto:a@b", "a\x00b.png", "https://例え.テスト/x"]
    ),
    st.text(max_size=30),
)  # fmt: skip
_PERMALINKS = st.one_of(
    st.sampled_from(["/../../x/", "/a/../../../b.html", "//evil.example/", "/%00/", "/:title/"]),
    st.text(max_size=30),
)
_POST = st.fixed_dictionaries(
    {
        "title": st.one_of(st.text(max_size=60), _HOSTILE, _NASTY_NAMES),
        "body": _BODY,
        "categories": st.lists(_NAMES, max_size=3),
        "tags": st.lists(_NAMES, max_size=3),
        "image": _URLS,
        "permalink": st.one_of(st.none(), _PERMALINKS),
        "html": st.booleans(),
    }
)


def _write_site(root: Path, posts: list[dict[str, Any]]) -> Path:
    content = root / "content"
    content.mkdir(parents=True)
    (root / "feedkit.toml").write_text(CONFIG, encoding="utf-8")
    for index, post in enumerate(posts):
        front: dict[str, Any] = {
            "title": post["title"],
            "date": f"2025-01-{index + 1:02d} 10:00",
            "categories": post["categories"],
            "tags": post["tags"],
            "image": post["image"],
        }
        if post["permalink"] is not None:
            front["permalink"] = post["permalink"]
        text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + post["body"]
        suffix = ".html" if post["html"] else ".md"
        (content / f"post-{index}{suffix}").write_text(text, encoding="utf-8")
    return root


class _Elements(HTMLParser):
    """Every start tag with its attributes (values unescaped), however deep."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


_UNSAFE_ELEMENTS = {"script", "iframe", "object", "embed", "frame", "frameset", "base", "meta"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "cite", "background"}
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20]")  # browsers drop these before the scheme


def assert_safe_html(fragment: str) -> None:
    """No element or attribute that runs code, checked on the parsed HTML."""
    parser = _Elements()
    parser.feed(fragment)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag not in _UNSAFE_ELEMENTS, (tag, fragment)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, fragment)
            values = [value or ""]
            if name == "srcset":
                values = [part.strip().split(" ")[0] for part in (value or "").split(",")]
            if name in _URL_ATTRIBUTES or name == "srcset":
                for url in values:
                    scheme = _IGNORED_IN_URLS.sub("", url).lower()
                    assert not scheme.startswith(("javascript:", "vbscript:")), (tag, fragment)
            if name == "style":
                assert "javascript:" not in (value or "").lower(), fragment


def _read_outputs(out: Path) -> list[str]:
    """Check every output as a reader would; return every HTML fragment in the feeds."""
    fragments: list[str] = []
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert path.resolve().is_relative_to(out.resolve()), path
        data = path.read_bytes()
        if path.suffix == ".xml":
            etree.fromstring(data)
            parsed = feedparser.parse(data, sanitize_html=False)
            assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
            for entry in parsed.entries:
                fragments.extend(content.value for content in entry.get("content", []))
                fragments.append(entry.get("summary", ""))
        elif path.suffix == ".json":
            document = json.loads(data)
            for item in document["items"]:
                # JSON Feed's "summary" is plain text (what the author wrote, as text:
                # an escaped "\<script>" is the words "<script>"), so it is no fragment.
                fragments.append(item.get("content_html", ""))
                for url in (item["url"], item.get("image"), item.get("external_url")):
                    if url:
                        assert url.startswith(("https://", "http://")), url
    return fragments


@FUZZ
@given(posts=st.lists(_POST, min_size=1, max_size=4))
def test_hostile_posts_give_valid_feeds_inside_the_output_folder(posts):
    with tempfile.TemporaryDirectory() as folder:
        root = _write_site(Path(folder), posts)
        result = build(load_settings(root / "feedkit.toml"), now=NOW, diagnostics=Diagnostics())
        out = root / "public"
        for written in result.files_written:
            assert (out / written).resolve().is_relative_to(out.resolve())
        for fragment in _read_outputs(out):
            assert_safe_html(fragment)
        # Nothing was written outside the site's folder.
        assert {p.name for p in Path(folder).iterdir()} <= {"content", "public", "feedkit.toml",
                                                            ".feedkit"}  # fmt: skip


@FUZZ
@given(fragments=st.lists(_HOSTILE, min_size=1, max_size=6), html=st.booleans())
def test_sanitizer_leaves_no_script_in_any_feed(fragments, html):
    body = "\n".join(["<p>kept</p>", *fragments])
    post = {"title": "t", "body": body, "categories": [], "tags": [],
            "image": "/i.png", "permalink": None, "html": html}  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        root = _write_site(Path(folder), [post])
        build(load_settings(root / "feedkit.toml"), now=NOW, diagnostics=Diagnostics())
        fragments_out = _read_outputs(root / "public")
        assert any("kept" in fragment for fragment in fragments_out)
        for fragment in fragments_out:
            assert_safe_html(fragment)


@pytest.mark.parametrize("fragment", HOSTILE_FRAGMENTS)
def test_each_hostile_fragment_is_sanitized(tmp_path, fragment):
    post = {"title": "t", "body": fragment, "categories": [], "tags": [], "image": "",
            "permalink": None, "html": True}  # fmt: skip
    root = _write_site(tmp_path, [post])
    build(load_settings(root / "feedkit.toml"), now=NOW, diagnostics=Diagnostics())
    for out_fragment in _read_outputs(root / "public"):
        assert_safe_html(out_fragment)


_TOML_CHARS = st.characters(exclude_categories=["Cs", "Cc"])  # what a TOML string can hold


@settings(max_examples=100, deadline=None)
@given(url=st.one_of(st.text(_TOML_CHARS, max_size=40), st.integers(), st.sampled_from(
    ["ftp://example.com", "javascript:alert(1)", "example.com", "//example.com", "file:///etc",
     "https://", "http://example.com", "https://example.com/blog/"])))  # fmt: skip
def test_site_url_is_http_or_a_config_error(url):
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "feedkit.toml"
        config.write_text(
            f"[site]\nurl = {json.dumps(url, ensure_ascii=False)}\n", encoding="utf-8"
        )
        try:
            loaded = load_settings(config)
        except ConfigError as error:
            assert "site.url" in str(error)
            return
        assert loaded.site.url.startswith(("http://", "https://"))
        assert "//" in loaded.site.url and len(loaded.site.url.split("/")[2]) > 0


def test_a_build_makes_no_network_request(site, monkeypatch):
    """feedkit makes no network request except the WebSub pings (none are configured)."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network use: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    result = build(load_settings(site / "feedkit.toml"), now=BUNDLED_NOW, diagnostics=Diagnostics())
    assert result.posts_published > 0 and result.files_written


def test_a_long_hangul_tag_does_not_fail_the_build(tmp_path):
    post = {"title": "t", "body": "b", "categories": [], "tags": ["한글" * 80], "image": "",
            "permalink": None, "html": False}  # fmt: skip
    root = _write_site(tmp_path, [post])
    build(load_settings(root / "feedkit.toml"), now=NOW, diagnostics=Diagnostics())
    _read_outputs(root / "public")
