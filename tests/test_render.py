"""Render stage: Markdown, repair, sanitizing, absolute URLs, XML-safe text."""

from __future__ import annotations

import lxml.etree
import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedkit.render import (
    absolute_url,
    clean_html,
    first_paragraph,
    html_to_text,
    render_markdown,
    strip_xml_illegal,
)

BASE = "https://example.com/news/2024/06/17/post.html"


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ('<a href="/about/">a</a>', 'href="https://example.com/about/"'),
        ('<a href="../x.html">a</a>', 'href="https://example.com/news/2024/06/x.html"'),
        ('<a href="#top">a</a>', 'href="https://example.com/news/2024/06/17/post.html#top"'),
        ('<img src="img/a.png">', 'src="https://example.com/news/2024/06/17/img/a.png"'),
        (
            '<img srcset="/a.jpg 1x, b.jpg 2x">',
            'srcset="https://example.com/a.jpg 1x, https://example.com/news/2024/06/17/b.jpg 2x"',
        ),
        ('<video poster="/p.jpg" src="/v.mp4"></video>', 'poster="https://example.com/p.jpg"'),
        ('<a href="https://other.org/x">a</a>', 'href="https://other.org/x"'),
        ('<a href="mailto:a@example.com">m</a>', 'href="mailto:a@example.com"'),
        ('<blockquote cite="/source">q</blockquote>', 'cite="https://example.com/source"'),
    ],
)
def test_relative_urls_become_absolute(fragment, expected):
    assert expected in clean_html(fragment, BASE)


@pytest.mark.parametrize("sanitize", [True, False])
def test_an_empty_reference_is_written_out_as_the_post(sanitize):
    """An empty href names the document it is in: in a feed, the post (houbb.github.io's
    ``[]()`` links made the W3C validator warn ContainsRelRef in 8 of 40 feeds). An
    empty src would fetch the post as an image: it goes."""
    fragment = '<p><a href="">x</a> <a href=" ">y</a> <q cite="">z</q> <img src="" alt="i"></p>'
    cleaned = clean_html(fragment, BASE, sanitize=sanitize)
    assert cleaned.count(f'href="{BASE}"') == 2 and f'cite="{BASE}"' in cleaned
    assert '<img alt="i">' in cleaned
    # With no base to resolve against, nothing is made up.
    assert 'href=""' in clean_html('<a href="">x</a>', "", sanitize=sanitize)


def test_each_fragment_resolves_against_its_own_base():
    # The cleaner is built once and reused: the base must still be the call's own.
    first = clean_html('<a href="x.html">a</a>', "https://a.example/one/")
    second = clean_html('<a href="x.html">a</a>', "https://b.example/two/")
    trusted = clean_html('<a href="x.html">a</a>', "https://c.example/", sanitize=False)
    assert 'href="https://a.example/one/x.html"' in first
    assert 'href="https://b.example/two/x.html"' in second
    assert 'href="https://c.example/x.html"' in trusted
    assert clean_html('<a href="x.html">a</a>', "") == '<a href="x.html">a</a>'


def test_threads_cleaning_at_once_keep_their_own_base():
    from concurrent.futures import ThreadPoolExecutor

    bases = [f"https://site{i}.example/p/" for i in range(8)]
    fragment = "".join(f'<img src="i{i}.png">' for i in range(200))

    def clean(base):
        return base, clean_html(fragment, base)

    with ThreadPoolExecutor(max_workers=8) as pool:
        for base, cleaned in pool.map(clean, bases * 4):
            assert cleaned.count(f'src="{base}i') == 200


def test_broken_seed_markup_is_repaired_like_a_browser_would():
    broken = "<p>intro<ul><li>item</li></p></p><table><tr><td>18-19일</td></tr></table>"
    cleaned = clean_html(broken, BASE)
    # Well-formed once wrapped: an XML parser accepts the repaired fragment.
    lxml.etree.fromstring(f"<div>{cleaned}</div>".replace("&nbsp;", "&#160;"))
    assert "<li>item</li>" in cleaned and "<td>18-19일</td>" in cleaned


def test_entities_survive():
    cleaned = clean_html("<p>a&nbsp;b &amp; c &lt;d&gt;</p>", BASE)
    assert cleaned == "<p>a&nbsp;b &amp; c &lt;d&gt;</p>"
    assert html_to_text(cleaned) == "a b & c <d>"


@pytest.mark.parametrize(
    ("hostile", "forbidden"),
    [
        ("<script>alert(1)</script><p>x</p>", "alert"),
        ('<iframe src="https://evil.example/"></iframe>', "iframe"),
        ('<object data="x.swf"></object>', "object"),
        ('<embed src="x.swf">', "embed"),
        ('<p onclick="steal()">x</p>', "steal"),
        ('<a href="javascript:steal()">x</a>', "javascript"),
        ('<img src="x.png" onerror="steal()">', "steal"),
        ("<style>body{display:none}</style><p>x</p>", "display"),
    ],
)
def test_sanitizing_removes_active_content(hostile, forbidden):
    assert forbidden not in clean_html(hostile, BASE)


def test_trusted_html_keeps_scripts_but_still_absolutizes():
    cleaned = clean_html(
        '<script src="/a.js"></script><iframe src="/f"></iframe>', BASE, sanitize=False
    )
    assert '<script src="https://example.com/a.js">' in cleaned
    assert '<iframe src="https://example.com/f">' in cleaned


def test_xml_illegal_characters_are_dropped():
    text = "ok\x00\x01\x08\x0b\x0c\ud800\ufffe\uffff done\t\n"
    assert strip_xml_illegal(text) == "ok done\t\n"
    assert clean_html("<p>a\x00b\x1fc</p>", BASE) == "<p>abc</p>"


def test_markdown_keeps_raw_html_and_renders_pipe_tables():
    html = render_markdown("| 날짜 | 내용 |\n| --- | --- |\n| 18일 | 방문 |\n\n<div>raw</div>\n")
    assert "<table>" in html and "<td>18일</td>" in html and "<div>raw</div>" in html


def test_first_paragraph_skips_empty_ones():
    assert first_paragraph("<p>&nbsp;</p><p><b>Lead</b> text</p><p>more</p>") == (
        "<p><b>Lead</b> text</p>"
    )
    assert first_paragraph("<ul><li>x</li></ul>") == ""


def test_absolute_url_leaves_absolute_alone():
    assert absolute_url("https://a.example/x", BASE) == "https://a.example/x"
    assert absolute_url(" /x ", BASE) == "https://example.com/x"


@given(st.text())
def test_clean_html_output_is_always_xml_safe(text):
    cleaned = clean_html(text, BASE)
    assert strip_xml_illegal(cleaned) == cleaned
    # Wrapped and with HTML's named entities made numeric, the output is well-formed XML.
    lxml.etree.fromstring(f"<div>{cleaned}</div>".replace("&nbsp;", "&#160;").encode())


def test_a_post_without_a_table_pays_nothing_for_its_timeline(tmp_path, monkeypatch):
    """The timeline extractor (which parses the HTML) sees only posts with a table:
    Markdown pipe tables and HTML tables are still found; so is an undated post's
    timeline date, while an undated post without a table is not rendered for one."""
    import json
    import shutil

    import feedkit.render
    import feedkit.timeline
    from feedkit.diagnostics import Diagnostics
    from feedkit.pipeline import build
    from feedkit.settings import load_settings

    from .conftest import BUNDLED_NOW, REPO_ROOT, write_post

    shutil.copy(REPO_ROOT / "feedkit.toml", tmp_path / "feedkit.toml")
    content = tmp_path / "content"
    rows = "| 날짜 | 내용 |\n| --- | --- |\n| 2024-03-01 | 착공 |\n| 2024-09-01 | 준공 |\n"
    html_rows = (
        "<table><tr><th>날짜</th><th>내용</th></tr><tr><td>2024-03-02</td><td>착공</td></tr>"
        "<tr><td>2024-09-02</td><td>준공</td></tr></table>\n"
    )
    write_post(content, "plain.md", "title: 표 없는 글\ndate: 2024-10-01", "그냥 글이다. a|b\n")
    write_post(content, "pipes.md", "title: 파이프 표\ndate: 2024-10-02", rows)
    write_post(content, "html.html", "title: HTML 표\ndate: 2024-10-03", html_rows)
    write_post(content, "undated-plain.md", "title: 날짜 없는 글", "표가 없다.\n")
    write_post(content, "undated-table.md", "title: 날짜 없는 표", rows)
    extracted: list[str] = []
    real_extract = feedkit.timeline.extract_timeline

    def extract(html, *args, **kwargs):
        extracted.append(html)
        return real_extract(html, *args, **kwargs)

    rendered_for_dates: list[str] = []
    real_render_html = feedkit.render.render_item_html

    def render_html(source, *args, **kwargs):
        rendered_for_dates.append(source.path)
        return real_render_html(source, *args, **kwargs)

    monkeypatch.setattr(feedkit.timeline, "extract_timeline", extract)
    monkeypatch.setattr(feedkit.render, "render_item_html", render_html)
    settings = load_settings(
        tmp_path / "feedkit.toml",
        {"dates": {"sources": ["front-matter", "timeline", "first-seen"]}},
    )
    build(settings, now=BUNDLED_NOW, diagnostics=Diagnostics())

    assert extracted and all("<table" in html for html in extracted)
    assert rendered_for_dates == ["undated-table.md"]
    items = json.loads((tmp_path / "public" / "feed.json").read_text("utf-8"))["items"]
    events = {item["title"]: item.get("_timeline", {}).get("events", []) for item in items}
    assert [e["date_text"] for e in events["파이프 표"]] == ["2024-03-01", "2024-09-01"]
    assert [e["date_text"] for e in events["HTML 표"]] == ["2024-03-02", "2024-09-02"]
    assert events["표 없는 글"] == []
    dated = {item["title"]: item["date_published"] for item in items}
    assert dated["날짜 없는 표"].startswith("2024-09-01")  # its timeline's latest full date
