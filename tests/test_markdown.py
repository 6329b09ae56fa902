"""Markdown: emphasis beside Korean, Chinese and Japanese text as Jekyll's kramdown makes it.

The oracle is kramdown itself (Debian's ruby-kramdown, which Jekyll uses, with its GFM
parser as Jekyll configures it) where it is installed; the expected fragments below are
what it gave for each case (kramdown 2.4.0).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedkit._markdown import (
    _cjk_renderer,
    _fast_renderer,
    apply_attribute_lists,
    has_cjk_delimiter,
    is_cjk,
    render_markdown,
)
from feedkit.render import html_to_text, kramdown_toc_levels

# Each case: the Markdown, and the emphasised texts kramdown makes of it (in order).
# The first is issue #23's; the others have the shapes of sentences found on public
# Korean blogs (a closing ** after a bracket or quote and before a particle, an opening
# ** after a Hangul letter and before a bracket, full-width brackets, links, code).
CASES = [
    ("**문서 주석(Documentation Comments)**을 쓴다.", ["문서 주석(Documentation Comments)"]),
    (
        "이분 그래프에서는 **쾨닉의 정리(Konig's Theorem)**을 이용한다.",
        ["쾨닉의 정리(Konig's Theorem)"],
    ),
    ("**오토인코더(Autoencoder)**는 입력을 압축한다.", ["오토인코더(Autoencoder)"]),
    ("규칙들을 **Normal Form(NF)**이라고 한다.", ["Normal Form(NF)"]),
    ("**LoRA(Low-Rank Adaptation)**와 비슷하다.", ["LoRA(Low-Rank Adaptation)"]),
    ('원칙은 **"중복이 있어도 유실은 없다"**는 것이다.', ['"중복이 있어도 유실은 없다"']),
    ('디스크 유형에서 **"표준 영구 디스크"**를 선택한다.', ['"표준 영구 디스크"']),
    ("**[문제 해결](/ko/faq)**을 참조하십시오.", ["문제 해결"]),
    ("**강조.**다음 문장.", ["강조."]),
    ("다음**(괄호)**에서.", ["(괄호)"]),
    ("이것은**강조**입니다.", ["강조"]),
    ("**`코드`**를 사용 *기울임(이탤릭)*은 좋다.", ["코드", "기울임(이탤릭)"]),
    ("*「重要」*です and **「重要」**です.", ["「重要」", "「重要」"]),
    (
        "MACD는 **단기 지수이동평균(EMA)**에서 **장기 지수이동평균(EMA)**을 뺀 값",
        [
            "단기 지수이동평균(EMA)",
            "장기 지수이동평균(EMA)",
        ],
    ),
    ("~~취소(선)~~을 지운다.", ["취소(선)"]),
]

# Left literal by kramdown as by CommonMark: no emphasis at all.
LITERAL = [
    "_강조_입니다 그리고 snake_case_word 그리고 한글_밑줄_사이.",
    "** 공백 ** 그리고 a * b * c.",
    "기간은 3~5일 그리고 7~9일이다.",
]

_EMPHASIS = re.compile(r"<(strong|em|s|del)>(.*?)</\1>")
_TAG = re.compile(r"<[^>]+>")


def _emphasised(html: str) -> list[str]:
    return [
        _TAG.sub("", match.group(2)).replace("&quot;", '"') for match in _EMPHASIS.finditer(html)
    ]


@pytest.mark.parametrize(("markdown", "expected"), CASES)
def test_emphasis_next_to_cjk_is_made_as_kramdown_makes_it(markdown, expected):
    html = render_markdown(markdown)
    assert _emphasised(html) == expected
    assert "**" not in html and "~~" not in html


@pytest.mark.parametrize("markdown", LITERAL)
def test_what_kramdown_leaves_literal_stays_literal(markdown):
    html = render_markdown(markdown)
    assert _emphasised(html) == []


def _kramdown(text: str) -> str:
    script = 'require "kramdown"; require "kramdown-parser-gfm"; ' + (
        'puts Kramdown::Document.new(STDIN.read, input: "GFM").to_html'
    )
    done = subprocess.run(
        ["ruby", "-e", script], input=text, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby (kramdown) is not installed")
def test_cases_agree_with_kramdown_itself():
    try:
        _kramdown("x")
    except subprocess.CalledProcessError:
        pytest.skip("kramdown or kramdown-parser-gfm is not installed")
    for markdown, _ in CASES:
        # kramdown turns straight quotes into curly ones; the emphasis is what is compared.
        expected = [
            t.replace("“", '"').replace("”", '"').replace("’", "'")
            for t in _emphasised(_kramdown(markdown))
        ]
        assert _emphasised(render_markdown(markdown)) == expected, markdown
    for markdown in LITERAL:
        assert _emphasised(_kramdown(markdown)) == []


@given(st.text(alphabet="ab *_~()가나다「」.,\n`", max_size=40))
def test_text_without_cjk_delimiters_renders_as_markdown_it_rs_does(text):
    # The CJK-aware path only ever differs where a delimiter touches CJK text.
    if not has_cjk_delimiter(text) and not re.search(r"\[[^\]]*`", text):
        assert render_markdown(text) == _fast_renderer().render(text)


@given(st.text(alphabet="ab *~()가나「」.", max_size=30))
def test_where_commonmark_leaves_a_delimiter_the_cjk_rule_decides(text):
    if re.search(r"\[[^\]]*`", text):
        return
    fast = _fast_renderer().render(text)
    left = re.search(r"[*]|~~", re.sub(r"<[^>]*>", "", fast))
    if has_cjk_delimiter(text) and left:
        assert render_markdown(text) == _cjk_renderer().render(text)
    else:
        assert render_markdown(text) == fast


def test_cjk_characters_are_those_of_the_cjk_blocks():
    # Every code point up to the end of the supplementary ideographic plane, against the
    # blocks written as a regular expression's class (as they were before is_cjk).
    blocks = re.compile(
        "[\u1100-\u11ff\u3000-\u303f\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf"
        "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff"
        "\uff00-\uffef\U00020000-\U0002fa1f]"
    )
    differ = [code for code in range(0x30000) if is_cjk(chr(code)) != bool(blocks.match(chr(code)))]
    assert differ == []
    assert is_cjk("가") and is_cjk("「") and is_cjk("Ａ") and not is_cjk("a")
    assert not is_cjk(chr(0x10FF)) and not is_cjk(chr(0x2FA20))


@given(st.text(alphabet="ab *_~()가나다「」.,\n`[]", max_size=40))
def test_cjk_path_never_fails(text):
    assert isinstance(render_markdown(text), str)


@pytest.mark.parametrize("markdown", ["[a`", "use [`foo to x\n\nnext", " \n「[_`"])
def test_text_that_makes_markdown_it_rs_panic_is_rendered(markdown, capfd):
    # markdown-it.rs 0.6 panics on these; feedkit renders them with markdown-it-py.
    with pytest.raises(BaseException, match="index out of bounds"):
        _fast_renderer().render(markdown)
    assert "panicked" in capfd.readouterr().err  # Rust's hook writes to descriptor 2
    assert "`" in html_to_text(render_markdown(markdown))
    # ... but not when feedkit renders: a `feedkit build -q` prints nothing (a post of
    # a public blog, houbb.github.io, made every first build print three lines).
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        # No heading: an empty table of contents, as kramdown makes it.
        (
            "text\n\n* any list\n{:toc}\n\nmore",
            '<p>text</p>\n<ul id="markdown-toc"></ul>\n<p>more</p>\n',
        ),
        ("para\n{: .note}\n", "<p>para</p>\n"),
        (
            '[x](https://a.example/){:target="_blank"} on',
            '<p><a href="https://a.example/">x</a> on</p>\n',
        ),
        ("## Head\n{:.no_toc}\n\ntext", "<h2>Head</h2>\n\n<p>text</p>\n"),
        ("## Head {#intro}\n", '<h2 id="intro">Head</h2>\n'),
        ("{: #intro .lead key='a}b'}\nafter", "<p>after</p>\n"),
    ],
)
def test_kramdown_attribute_lists_are_not_left_as_text(markdown, expected):
    assert apply_attribute_lists(render_markdown(markdown)) == expected


@pytest.mark.parametrize(
    "markdown",
    [
        "```\n{:toc}\n```\n",  # code keeps what it shows
        "a `{: .x}` b",
        "a {: mid-line} b",  # neither after an element nor a line of its own
        "no attribute lists here",
    ],
)
def test_what_is_not_an_attribute_list_stays(markdown):
    html = render_markdown(markdown)
    assert apply_attribute_lists(html) == html


def test_only_a_list_of_one_item_is_a_table_of_contents():
    dropped = apply_attribute_lists(render_markdown("* one\n* two\n{:toc}"))
    assert dropped == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"


def test_a_table_of_contents_is_made_as_kramdown_makes_it():
    markdown = (
        "# Title\n\n1. contents\n{:toc}\n\n## First part\n\n### Deep {#deep-one}\n\n"
        "## 참고 자료\n\n## Skipped\n{:.no_toc}\n\n## First part\n"
    )
    html = apply_attribute_lists(render_markdown(markdown), toc_levels=range(1, 4))
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    toc = root.find("ol")
    assert toc.get("id") == "markdown-toc"
    links = [(a.get("href"), a.text) for a in toc.iter("a")]
    # kramdown's ids: ASCII only, "section" when none is left, numbered when repeated.
    assert links == [
        ("#title", "Title"),
        ("#first-part", "First part"),
        ("#deep-one", "Deep"),
        ("#section", "참고 자료"),
        ("#first-part-1", "First part"),
    ]
    # Nested by level: the h3 under the first h2, the h2s under the h1.
    assert [a.text for a in toc.find("li").find("ol").find("li").iter("a")] == [
        "First part",
        "Deep",
    ]
    assert [h.get("id") for h in root.iter("h1", "h2", "h3")] == [
        "title", "first-part", "deep-one", "section", "skipped", "first-part-1",
    ]  # fmt: skip
    shallow = apply_attribute_lists(render_markdown(markdown), toc_levels=(2,))
    assert "#title" not in shallow and "#deep-one" not in shallow and "#first-part" in shallow


@pytest.mark.parametrize(
    ("value", "levels"),
    [
        (None, (1, 2, 3, 4, 5, 6)),
        ("1..3", (1, 2, 3)),
        ("2,3", (2, 3)),
        ([2, 4], (2, 4)),
        (2, (2,)),
        ("x", (1, 2, 3, 4, 5, 6)),
    ],
)
def test_toc_levels_read_as_jekyll_writes_them(value, levels):
    assert kramdown_toc_levels({"toc_levels": value}) == levels
