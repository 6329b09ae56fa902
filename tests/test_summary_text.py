"""Plain-text summaries (JSON Feed ``summary``, feeds.html): inline markup joins words as
written, block elements are separated by one space (issue 22, item 7)."""

from __future__ import annotations

import json

import lxml.html
import pytest

from feedkit.render import html_to_text, render_markdown

from .conftest import write_post


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("서울에 **첫눈**이 내렸다", "서울에 첫눈이 내렸다"),
        (
            "서울에 *첫눈*이 [내렸다](https://example.com/)고 `한다`.",
            "서울에 첫눈이 내렸다고 한다.",
        ),
        ("grab the [Atom feed](x).", "grab the Atom feed."),
        ("an **em**phasis and a `code`d word", "an emphasis and a coded word"),
        ("First paragraph.\n\nSecond paragraph.", "First paragraph. Second paragraph."),
        ("# 제목\n본문", "제목 본문"),
        ("- 하나\n- 둘", "하나 둘"),
        ("line one  \nline two", "line one line two"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a b 1 2"),
    ],
)
def test_plain_text_joins_inline_elements_and_separates_blocks(markdown, expected):
    assert html_to_text(render_markdown(markdown)) == expected


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("<p>a&nbsp;b &amp; c &lt;d&gt;</p>", "a b & c <d>"),
        ('<p title="x > y">text</p>', "text"),
        ("<p>a<!-- hidden -->b</p>", "ab"),
        ("<p>one</p><p>two</p>", "one two"),
        ("no markup at all &amp; an entity", "no markup at all & an entity"),
        ("", ""),
    ],
)
def test_plain_text_of_html(fragment, expected):
    assert html_to_text(fragment) == expected


def test_plain_text_agrees_with_a_browser_like_reading_of_inline_markup():
    # An independent reading: lxml's text_content() joins all text with nothing added,
    # which is right for a fragment with no block elements.
    fragment = render_markdown("서울에 **첫눈**이 _오늘_ [내렸다](x)")
    inline = fragment.removeprefix("<p>").removesuffix("</p>\n")
    expected = lxml.html.fragment_fromstring(inline, create_parent="span").text_content()
    assert html_to_text(fragment) == expected


def test_json_feed_summary_and_feeds_page_keep_korean_words_whole(site, build_site):
    write_post(
        site / "content",
        "first-snow.md",
        "title: 첫눈\ndate: 2025-12-01 09:00:00 +09:00",
        "서울에 **첫눈**이 내렸다.\n\n두 번째 문단.\n",
    )
    build_site(site)
    document = json.loads((site / "public" / "feed.json").read_text("utf-8"))
    [item] = [i for i in document["items"] if i["title"] == "첫눈"]
    assert item["summary"] == "서울에 첫눈이 내렸다."
    page = lxml.html.fromstring((site / "public" / "feeds.html").read_bytes())
    assert "서울에 첫눈이 내렸다." in page.text_content()
