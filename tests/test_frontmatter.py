"""Tests for feedkit._frontmatter: splitting, strict loading and recovery of bad titles."""

from __future__ import annotations

import contextlib
from datetime import date as _date
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedkit._frontmatter import (
    HAS_LIBYAML,
    HUGO_FORMATS,
    FrontMatterError,
    Recovery,
    has_front_matter,
    parse_front_matter,
)


def fails(text: str) -> FrontMatterError:
    with pytest.raises(FrontMatterError) as info:
        parse_front_matter(text)
    return info.value


# --- splitting ---------------------------------------------------------------------------


def test_libyaml_is_used_here() -> None:
    # The venv is built with libyaml; if this fails the app falls back (and warns).
    assert HAS_LIBYAML is True


def test_normal_front_matter() -> None:
    text = (
        "---\n"
        "title: Hello\n"
        "date: 2024-06-18 09:00:00 +09:00\n"
        "categories: [news, world]\n"
        "draft: false\n"
        "---\n"
        "Body line 1\n"
        "Body line 2\n"
    )
    fm = parse_front_matter(text)
    assert fm.metadata == {
        "title": "Hello",
        "date": datetime(2024, 6, 18, 9, 0, tzinfo=timezone(timedelta(hours=9))),
        "categories": ["news", "world"],
        "draft": False,
    }
    assert fm.body == "Body line 1\nBody line 2\n"
    assert fm.body_line == 7
    assert fm.recoveries == ()


def test_metadata_is_a_fresh_dict() -> None:
    text = "---\ntitle: a\n---\n"
    first = parse_front_matter(text)
    first.metadata["title"] = "changed"
    assert parse_front_matter(text).metadata == {"title": "a"}


@pytest.mark.parametrize("text", ["---\n---\n", "---\n---", "---\n# only a comment\n---\n"])
def test_empty_front_matter_is_an_empty_mapping(text: str) -> None:
    assert parse_front_matter(text).metadata == {}


def test_empty_front_matter_body() -> None:
    fm = parse_front_matter("---\n---\nBody")
    assert (fm.body, fm.body_line) == ("Body", 3)


def test_bom_is_stripped() -> None:
    fm = parse_front_matter("\ufeff---\ntitle: 제목\n---\n본문\n")
    assert fm.metadata == {"title": "제목"}
    assert fm.body == "본문\n"
    assert fm.body_line == 4


def test_crlf_line_ends() -> None:
    text = "---\r\ntitle: Hello\r\nauthor: Kim\r\n---\r\nBody\r\n"
    fm = parse_front_matter(text)
    assert fm.metadata == {"title": "Hello", "author": "Kim"}
    assert fm.body == "Body\r\n"
    assert fm.body_line == 5


def test_crlf_error_line_numbers() -> None:
    fm = parse_front_matter("---\r\ntitle: a\r\nauthor: b\r\ntitle: c\r\n---\r\n")
    assert [r.line for r in fm.recoveries] == [4]


def test_delimiters_may_have_trailing_whitespace() -> None:
    fm = parse_front_matter("---  \ntitle: a\n--- \t\nBody")
    assert fm.metadata == {"title": "a"}
    assert fm.body == "Body"


def test_dots_close_front_matter() -> None:
    fm = parse_front_matter("---\ntitle: a\n...\nBody")
    assert fm.metadata == {"title": "a"}
    assert (fm.body, fm.body_line) == ("Body", 4)


def test_body_keeps_later_delimiters() -> None:
    fm = parse_front_matter("---\ntitle: a\n---\none\n---\ntwo\n")
    assert fm.body == "one\n---\ntwo\n"


def test_no_closing_delimiter() -> None:
    error = fails("---\ntitle: a\nbody text\n")
    assert error.line == 1
    assert error.message == "no closing '---'"


def test_no_opening_delimiter() -> None:
    error = fails("title: a\n---\n")
    assert error.line == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\ntitle: a\n---\n", True),
        ("\ufeff---\n", True),
        ("---  \r\nx", True),
        ("---", False),
        ("----\n", False),
        ("-----BEGIN PGP\n", False),
        ("title: a\n", False),
        ("", False),
    ],
)
def test_has_front_matter(text: str, expected: bool) -> None:
    assert has_front_matter(text) is expected


# --- strictness --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("---\n- a\n- b\n---\n", 2),
        ("---\njust a sentence\n---\n", 2),
        ("---\n\n42\n---\n", 3),
    ],
)
def test_front_matter_must_be_a_mapping(text: str, line: int) -> None:
    error = fails(text)
    assert error.line == line
    assert "must be a mapping" in error.message


@pytest.mark.parametrize(
    ("yaml_text", "line", "message"),
    [
        # LS, NEL and a lone CR end a line for YAML, not for an editor or a reader of ours.
        ('title: "뉴스\u2028속보"\ntag: a\ntag: b', 4, "first defined on line 3"),
        ('title: "a\rb"\ny: 1\ny: 2', 4, "first defined on line 3"),
        ("ü: \x85\nü: \x85\nü: \x85\n0", 5, "could not find expected ':'"),
    ],
)
def test_lines_are_the_files_where_yaml_breaks_lines_elsewhere_too(
    yaml_text: str, line: int, message: str
) -> None:
    text = f"---\n{yaml_text}\n---\nbody\n"
    if "first defined" in message:  # a duplicate key: reported, not fatal
        (recovery,) = parse_front_matter(text).recoveries
        assert (recovery.line, message in recovery.message) == (line, True)
        return
    with pytest.raises(FrontMatterError) as caught:
        parse_front_matter(text)
    assert caught.value.line == line
    assert message in caught.value.message
    assert "(line" not in caught.value.message  # no context line past the front matter


# Jekyll (Ruby's YAML) keeps the last value of a repeated key and publishes the post;
# feedkit does the same and reports it (issue 23).
def test_duplicate_key_keeps_the_last_value_and_names_key_and_line() -> None:
    fm = parse_front_matter("---\ntitle: a\nauthor: b\ntitle: c\n---\n")
    assert fm.metadata == {"title": "c", "author": "b"}
    (recovery,) = fm.recoveries
    assert (recovery.line, recovery.key, recovery.code) == (4, "title", "duplicate-key")
    assert "'title'" in recovery.message
    assert "line 2" in recovery.message


def test_duplicate_key_in_nested_mapping() -> None:
    fm = parse_front_matter("---\nauthor:\n  name: a\n  name: b\n---\n")
    assert fm.metadata == {"author": {"name": "b"}}
    assert [(r.line, r.key) for r in fm.recoveries] == [(4, "name")]


def test_duplicate_key_in_flow_mapping() -> None:
    fm = parse_front_matter("---\nx: {a: 1, a: 2}\n---\n")
    assert fm.metadata == {"x": {"a": 2}}
    assert [r.line for r in fm.recoveries] == [2]


def test_duplicate_key_and_a_recovered_title_are_both_reported_in_line_order() -> None:
    fm = parse_front_matter("---\ntags: a\ntitle: [속보] 방북\ntags: b\n---\n")
    assert fm.metadata == {"title": "[속보] 방북", "tags": "b"}
    assert [(r.line, r.code) for r in fm.recoveries] == [
        (3, "front-matter-recovered"),
        (4, "duplicate-key"),
    ]


def test_merge_keys_may_be_overridden() -> None:
    fm = parse_front_matter("---\nbase: &b {a: 1, c: 3}\nx:\n  <<: *b\n  a: 2\n---\n")
    assert fm.metadata["x"] == {"a": 2, "c": 3}


def test_tab_indentation_is_an_error() -> None:
    error = fails("---\ntitle: a\nauthor:\n\tname: b\n---\n")
    assert error.line == 4
    assert "tab" in error.message


def test_tab_before_list_item_is_an_error() -> None:
    error = fails("---\ntags:\n  - a\n\t- b\n---\n")
    assert error.line == 4
    assert "tab" in error.message


def test_unclosed_quote_is_not_recovered() -> None:
    error = fails('---\ntitle: "unclosed\nauthor: me\ntags: [a]\n---\n')
    assert error.line == 2
    assert "quoted scalar" in error.message


def test_broken_quote_with_colon_is_not_recovered() -> None:
    error = fails('---\ntitle: "속보": 푸틴\n---\n')
    assert error.line == 2


def test_indentation_error_line() -> None:
    error = fails("---\ntitle: a\n  b: c\n---\n")
    assert error.line == 3


def test_invalid_date_value_has_its_line() -> None:
    error = fails("---\ntitle: a\ndate: 2024-13-45\n---\n")
    assert error.line == 3
    assert "month" in error.message


def test_control_character_has_its_line() -> None:
    error = fails("---\ntitle: a\nauthor: b\x01c\n---\n")
    assert error.line == 3
    assert "#x0001" in error.message


def test_unpaired_surrogate_is_an_error() -> None:
    error = fails("---\ntitle: a\udcff\n---\n")
    assert error.line == 2


def test_non_string_top_level_key() -> None:
    error = fails("---\ntitle: a\n2024: b\n---\n")
    assert error.line == 3
    assert "'2024'" in error.message


def test_two_documents_are_an_error() -> None:
    error = fails("---\ntitle: a\n--- b\n---\n")
    assert error.line == 3


# --- recovery ----------------------------------------------------------------------------


def test_bracketed_tag_title_is_recovered() -> None:
    fm = parse_front_matter("---\ntitle: [속보] 푸틴 방북 18일\ndate: 2024-06-18\n---\n본문\n")
    assert fm.metadata["title"] == "[속보] 푸틴 방북 18일"
    assert fm.recoveries == (
        Recovery(
            line=2,
            key="title",
            message="title: value starting with '[' read as a plain string",
        ),
    )
    assert fm.body == "본문\n"
    assert fm.body_line == 5


def test_bracketed_title_with_crlf_and_bom() -> None:
    fm = parse_front_matter("\ufeff---\r\nlayout: post\r\ntitle: [올림픽] 금메달\r\n---\r\nx")
    assert fm.metadata == {"layout": "post", "title": "[올림픽] 금메달"}
    assert [r.line for r in fm.recoveries] == [3]


def test_several_recoverable_lines() -> None:
    text = (
        "---\n"
        "title: [속보] 푸틴 방북\n"
        "categories: [news, world]\n"
        "subtitle: [단독] 평양 도착\n"
        "summary: 속보: 푸틴 도착\n"
        "author: Kim\n"
        "---\n"
    )
    fm = parse_front_matter(text)
    assert fm.metadata == {
        "title": "[속보] 푸틴 방북",
        "categories": ["news", "world"],
        "subtitle": "[단독] 평양 도착",
        "summary": "속보: 푸틴 도착",
        "author": "Kim",
    }
    assert [(r.line, r.key) for r in fm.recoveries] == [
        (2, "title"),
        (4, "subtitle"),
        (5, "summary"),
    ]


def test_value_with_colon_space_is_recovered() -> None:
    # YAML alone says "mapping values are not allowed here".
    fm = parse_front_matter("---\ntitle: 속보: 푸틴\n---\n")
    assert fm.metadata == {"title": "속보: 푸틴"}
    assert fm.recoveries[0].message == "title: value containing ': ' read as a plain string"


@pytest.mark.parametrize(
    "value",
    [
        "{단독} 기사",
        "*속보* 단독",
        "& 속보 단독",
        "!중요 공지",
        "%50 할인",
        "@user 님의 글",
        "`code` 설명",
        "[a, b] and more",
        "{x: 1} y",
    ],
)
def test_each_recoverable_start(value: str) -> None:
    fm = parse_front_matter(f"---\ntitle: {value}\n---\n")
    assert fm.metadata == {"title": value}
    assert fm.recoveries == (
        Recovery(
            line=2,
            key="title",
            message=f"title: value starting with {value[0]!r} read as a plain string",
        ),
    )


def test_recovered_value_with_quotes_and_backslashes() -> None:
    value = '[속보] "푸틴" \\ 방북'
    fm = parse_front_matter(f"---\ntitle: {value}\n---\n")
    assert fm.metadata == {"title": value}


def test_recovered_value_drops_a_comment_as_yaml_would() -> None:
    fm = parse_front_matter("---\ntitle: [속보] 푸틴 # from the wire\n---\n")
    assert fm.metadata == {"title": "[속보] 푸틴"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("categories: [a, b]", ["a", "b"]),
        ("tags: {x: 1}", {"x": 1}),
        ("tags: []", []),
        ("title: &anchor value", "value"),
        ("url: https://example.org/a", "https://example.org/a"),
    ],
)
def test_valid_yaml_is_untouched(line: str, expected: object) -> None:
    fm = parse_front_matter(f"---\n{line}\n---\n")
    assert list(fm.metadata.values()) == [expected]
    assert fm.recoveries == ()


def test_valid_flow_list_is_untouched_when_another_line_is_recovered() -> None:
    fm = parse_front_matter("---\ntags: [a, b]\ntitle: [속보] 푸틴\n---\n")
    assert fm.metadata == {"tags": ["a", "b"], "title": "[속보] 푸틴"}
    assert [r.line for r in fm.recoveries] == [3]


def test_multiline_flow_list_is_untouched() -> None:
    fm = parse_front_matter("---\ntags: [a,\n  b]\ntitle: x\n---\n")
    assert fm.metadata == {"tags": ["a", "b"], "title": "x"}


def test_alias_to_a_defined_anchor_is_untouched() -> None:
    fm = parse_front_matter("---\nbase: &b x\ntitle: *b\n---\n")
    assert fm.metadata == {"base": "x", "title": "x"}
    assert fm.recoveries == ()


def test_indented_lines_are_not_recovered() -> None:
    error = fails("---\nauthor:\n  name: [속보] 푸틴\n---\n")
    assert error.line == 3


def test_recovery_then_unrecoverable_error_reports_the_latter() -> None:
    error = fails('---\ntitle: [속보] 푸틴\nauthor: "unclosed\n---\n')
    assert error.line == 3


def test_recovery_is_deterministic() -> None:
    text = "---\ntitle: [속보] a\nsummary: b: c\n---\n"
    assert parse_front_matter(text) == parse_front_matter(text)


# --- properties --------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    [
        "title: [속보] 푸틴",
        "title: 속보: 푸틴",
        "tags: [a, b]",
        "x: {a: 1}",
        'title: "unclosed',
        "title: 'a'",
        "  nested: 1",
        "\tx: 1",
        "- item",
        "key:",
        "  - a",
        "a: &x 1",
        "b: *x",
        "c: *missing",
        "<<: *x",
        "date: 2024-13-45",
        "n: 1" + "0" * 5000,
        "[[[[[[",
        "? complex",
        "%YAML 1.1",
        "--- x",
        "...",
        "title: !tag x",
        "a: |",
        "  block",
        "ü: \x85",
        "",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_raises_only_front_matter_error(rest: str) -> None:
    try:
        fm = parse_front_matter("---\n" + rest)
    except FrontMatterError as error:
        assert error.line is None or error.line >= 1
    else:
        assert isinstance(fm.metadata, dict)
        assert all(isinstance(key, str) for key in fm.metadata)


@settings(max_examples=300, deadline=None)
@given(st.lists(_FRAGMENTS | st.text(max_size=20), max_size=12))
def test_yaml_like_lines_raise_only_front_matter_error(lines: list[str]) -> None:
    text = "---\n" + "\n".join(lines) + "\n---\nbody\n"
    try:
        fm = parse_front_matter(text)
    except FrontMatterError as error:
        assert error.line is None or 1 <= error.line <= text.count("\n") + 1
    else:
        # A generated "line" may hold line breaks: count the lines of the YAML.
        last_line = "\n".join(lines).count("\n") + 2
        for recovery in fm.recoveries:
            assert 2 <= recovery.line <= last_line
            if recovery.code == "front-matter-recovered":  # not a (maybe nested) duplicate
                assert isinstance(fm.metadata[recovery.key], str)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    # libyaml stops at 1000 levels; indented lines are never recovered.
    nested = "[" * 5000 + "]" * 5000
    error = fails(f"---\nx:\n  y: {nested}\n---\n")
    assert error.line == 3


def test_deep_nesting_on_a_top_level_line_is_read_as_a_string() -> None:
    nested = "[" * 5000 + "]" * 5000
    fm = parse_front_matter(f"---\nx: {nested}\n---\n")
    assert fm.metadata == {"x": nested}


# --- TOML and JSON (Hugo sites) ----------------------------------------------------------


def test_toml_front_matter() -> None:
    text = (
        "+++\n"
        'title = "[속보] TOML"\n'
        "date = 2024-06-18T09:00:00+09:00\n"
        "day = 2024-06-19\n"
        'tags = ["a", "b"]\n'
        "+++\n"
        "Body\n"
    )
    fm = parse_front_matter(text, formats=HUGO_FORMATS)
    assert fm.metadata == {
        "title": "[속보] TOML",
        "date": datetime(2024, 6, 18, 9, 0, tzinfo=timezone(timedelta(hours=9))),
        "day": _date(2024, 6, 19),
        "tags": ["a", "b"],
    }
    assert fm.body == "Body\n"
    assert fm.body_line == 7


def test_json_front_matter_with_crlf() -> None:
    text = '{\r\n  "title": "J",\r\n  "nested": {"a": 1}\r\n}\r\nBody\r\n'
    fm = parse_front_matter(text, formats=HUGO_FORMATS)
    assert fm.metadata == {"title": "J", "nested": {"a": 1}}
    assert fm.body == "Body\r\n"
    assert fm.body_line == 5


def test_a_blank_line_after_the_delimiter_keeps_lines_right() -> None:
    fm = parse_front_matter('+++\n\ntitle = "a"\n+++\n\nBody', formats=HUGO_FORMATS)
    assert fm.body_line == 5
    assert fm.body == "\nBody"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('+++\ntitle = "a"\ndate = \n+++\n', 3, "not valid TOML"),
        ('+++\ntitle = "a"\ntitle = "b"\n+++\n', 3, "not valid TOML"),
        ('+++\ntitle = "a"\n', 1, "no closing '+++'"),
        ('{\n  "title": "a",\n  "x": nope\n}\n', 3, "not valid JSON"),
        ('{\n  "title": "a",\n}\n', 3, "not valid JSON"),
        ('{\n  "title": "a"\n', 1, "no closing"),
    ],
)
def test_bad_toml_and_json_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(FrontMatterError) as info:
        parse_front_matter(text, formats=HUGO_FORMATS)
    assert info.value.line == line
    assert words in info.value.message


def test_toml_and_json_are_not_front_matter_on_a_jekyll_site() -> None:
    assert has_front_matter('+++\ntitle = "a"\n+++\n') is False
    assert has_front_matter('{\n"a": 1\n}\n') is False
    assert has_front_matter('+++\ntitle = "a"\n+++\n', formats=HUGO_FORMATS) is True
    assert has_front_matter('\ufeff{\n"a": 1\n}\n', formats=HUGO_FORMATS) is True
    assert has_front_matter("{{< shortcode >}}\n", formats=HUGO_FORMATS) is False
    assert fails('+++\ntitle = "a"\n+++\n').line == 1


def test_yaml_reads_the_same_through_the_hugo_formats() -> None:
    text = "---\ntitle: [속보] 푸틴\n---\nBody\n"
    assert parse_front_matter(text, formats=HUGO_FORMATS) == parse_front_matter(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_toml_and_json_raise_only_front_matter_errors(body: str) -> None:
    for text in (f"+++\n{body}\n+++\n", "{\n" + body + "\n}\n"):
        with contextlib.suppress(FrontMatterError):
            parse_front_matter(text, formats=HUGO_FORMATS)


def test_hugo_skips_blank_lines_before_the_front_matter() -> None:
    text = "\n  \n---\ntitle: [속보] a\ndraft: true\n---\nBody\n"
    fm = parse_front_matter(text, formats=HUGO_FORMATS)
    assert fm.metadata == {"title": "[속보] a", "draft": True}
    assert (fm.body, fm.body_line) == ("Body\n", 7)
    assert [r.line for r in fm.recoveries] == [4]
    with pytest.raises(FrontMatterError) as info:
        parse_front_matter("\n+++\ntitle = \n+++\n", formats=HUGO_FORMATS)
    assert info.value.line == 3
    assert has_front_matter(text) is False  # Jekyll's rule: the first line
