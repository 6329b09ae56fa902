"""Tests for feedkit.permalinks, with expected values taken from Jekyll's docs and tests.

Sources (jekyll/jekyll):
- docs/_docs/permalinks.md: placeholders and built-in styles (https://jekyllrb.com/docs/permalinks/).
- test/test_utils.rb: the ``Utils.slugify`` cases, ported below as they are.
- test/test_url.rb: URL generation from a document's ``url_placeholders``.
- features/permalinks.feature: whole-site results for the ``none`` and ``pretty`` styles.
- lib/jekyll/drops/url_drop.rb and lib/jekyll/url.rb for the rules the other cases check.
"""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedkit.permalinks import (
    NAMED_STYLES,
    encode_url_path,
    expand_permalink,
    join_url,
    slugify,
)

KST = timezone(timedelta(hours=9))
# 2024-06-18 is a Tuesday, day 170 of a leap year, ISO week 25.
JUNE_18 = datetime(2024, 6, 18, 9, 5, 7, tzinfo=KST)


def expand(template: str, **overrides: object) -> str:
    arguments: dict[str, object] = {
        "categories": [],
        "date": JUNE_18,
        "title": "hello-world",
        "slug": "",
    }
    arguments.update(overrides)
    return expand_permalink(template, **arguments)  # type: ignore[arg-type]


# --- slugify: jekyll test/test_utils.rb, "The `Utils.slugify` method" -----------------------


@pytest.mark.parametrize(
    ("text", "mode", "cased", "expected"),
    [
        ("Working with drafts", "default", False, "working-with-drafts"),
        ("Basic   Usage", "default", False, "basic-usage"),
        ("  Working with drafts   ", "default", False, "working-with-drafts"),
        ("So what is Jekyll, exactly?", "default", False, "so-what-is-jekyll-exactly"),
        ("كيف حالك؟", "default", False, "كيف-حالك"),
        ("Pre-releases", "default", False, "pre-releases"),
        ("The _config.yml file", "default", False, "the-config-yml-file"),
        ("Customizing Git - Git Hooks", "default", False, "customizing-git-git-hooks"),
        ("5時〜6時 三・一四", "default", False, "5時-6時-三-一四"),
        ("The _config.yml file?", "default", False, "the-config-yml-file"),
        ("The _config.yml file?", "pretty", False, "the-_config.yml-file"),
        ("The _config.yml file?", "ascii", False, "the-config-yml-file"),
        ("fürtive glance!!!!", "ascii", False, "f-rtive-glance"),
        ("The _config.yml file?", "raw", False, "the-_config.yml-file?"),
        ("The _config.yml file?", "none", False, "the _config.yml file?"),
        ("Working with drafts", "default", True, "Working-with-drafts"),
        ("Basic   Usage", "default", True, "Basic-Usage"),
        ("So what is Jekyll, exactly?", "default", True, "So-what-is-Jekyll-exactly"),
        ("The _config.yml file?", "pretty", True, "The-_config.yml-file"),
        ("The _config.yml file?", "raw", True, "The-_config.yml-file?"),
        ("The _config.yml file?", "none", True, "The _config.yml file?"),
    ],
)
def test_slugify_matches_jekyll_tests(text: str, mode: str, cased: bool, expected: str) -> None:
    assert slugify(text, mode, cased=cased) == expected


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        # Jekyll 4 keeps \p{M}\p{L}\p{Nd}: Hangul stays in default and pretty modes.
        ("[속보] 푸틴 방북 18일", "default", "속보-푸틴-방북-18일"),
        ("[속보] 푸틴 방북 18일", "pretty", "속보-푸틴-방북-18일"),
        ("올림픽: 금메달!", "pretty", "올림픽-금메달!"),
        ("푸틴 방북", "raw", "푸틴-방북"),
        # ascii and latin modes drop it.
        ("[속보] 푸틴 Visit", "ascii", "visit"),
        ("속보 Café Ærøskøbing", "latin", "cafe-aeroskobing"),
        ("Straße Łódź Œuvre", "latin", "strasse-lodz-oeuvre"),
        # A combining mark (\p{M}) is kept.
        ("e\u0301te\u0301", "default", "e\u0301te\u0301"),
        # Only one hyphen is trimmed at each end, as Ruby's gsub(/^-|-$/) does.
        ("--a--", "raw", "-a-"),
        ("", "default", ""),
        ("!!!", "default", ""),
    ],
)
def test_slugify_unicode(text: str, mode: str, expected: str) -> None:
    assert slugify(text, mode) == expected


def test_slugify_unknown_mode_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown slugify mode"):
        slugify("x", "prety")


# --- named styles: docs/_docs/permalinks.md, "Built-in formats" ---------------------------


def test_named_styles_are_jekylls() -> None:
    assert dict(NAMED_STYLES) == {
        "date": "/:categories/:year/:month/:day/:title:output_ext",
        "pretty": "/:categories/:year/:month/:day/:title/",
        "ordinal": "/:categories/:year/:y_day/:title:output_ext",
        "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
        "none": "/:categories/:title:output_ext",
    }


# features/permalinks.feature: a post titled "Pretty Permalink Schema" dated 3/27/2009
# is written to _site/2009/03/27/pretty-permalink-schema/index.html with "pretty", and
# "None Permalink Schema" to _site/none-permalink-schema.html with "none".
MARCH_27 = datetime(2009, 3, 27, tzinfo=UTC)  # a Friday, day 086, ISO week 13


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("date", "/2009/03/27/pretty-permalink-schema.html"),
        ("pretty", "/2009/03/27/pretty-permalink-schema/"),
        ("ordinal", "/2009/086/pretty-permalink-schema.html"),
        ("weekdate", "/2009/W13/Fri/pretty-permalink-schema.html"),
        ("none", "/pretty-permalink-schema.html"),
    ],
)
def test_named_styles_without_categories(style: str, expected: str) -> None:
    assert expand(style, date=MARCH_27, title="pretty-permalink-schema") == expected


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("date", "/news/world/2024/06/18/hello-world.html"),
        ("pretty", "/news/world/2024/06/18/hello-world/"),
        ("ordinal", "/news/world/2024/170/hello-world.html"),
        ("weekdate", "/news/world/2024/W25/Tue/hello-world.html"),
        ("none", "/news/world/hello-world.html"),
    ],
)
def test_named_styles_with_categories(style: str, expected: str) -> None:
    assert expand(style, categories=["news", "world"]) == expected


# --- placeholders: docs/_docs/permalinks.md, "Placeholders"; lib/jekyll/drops/url_drop.rb ----


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (":year", "2024"),
        (":short_year", "24"),
        (":month", "06"),
        (":i_month", "6"),
        (":short_month", "Jun"),
        (":long_month", "June"),
        (":day", "18"),
        (":i_day", "18"),
        (":y_day", "170"),
        (":w_year", "2024"),
        (":week", "25"),
        (":w_day", "2"),
        (":short_day", "Tue"),
        (":long_day", "Tuesday"),
        (":hour", "09"),
        (":minute", "05"),
        (":second", "07"),
        (":output_ext", ".html"),
        (":collection", "posts"),
    ],
)
def test_each_placeholder(token: str, expected: str) -> None:
    assert expand("/" + token) == "/" + expected


def test_date_placeholders_without_padding() -> None:
    date = datetime(2024, 1, 5, 3, 4, 5, tzinfo=KST)
    assert expand("/:i_month/:i_day/:month/:day/:y_day", date=date) == "/1/5/01/05/005"


def test_iso_week_year_differs_at_new_year() -> None:
    # 2021-01-01 is a Friday in ISO week 53 of 2020.
    date = datetime(2021, 1, 1, tzinfo=UTC)
    assert expand("/:year/:w_year/W:week/:w_day/:long_day", date=date) == (
        "/2021/2020/W53/5/Friday"
    )


def test_date_uses_its_own_wall_time() -> None:
    # 23:30 UTC on the 17th is the 18th in Seoul; the caller converts first.
    utc = datetime(2024, 6, 17, 23, 30, tzinfo=UTC)
    assert expand("/:day/:hour", date=utc) == "/17/23"
    assert expand("/:day/:hour", date=utc.astimezone(KST)) == "/18/08"


def test_title_keeps_case_and_slug_lowercases() -> None:
    # url_drop.rb: title is slugify(slug, mode: "pretty", cased: true),
    # slug is slugify(slug) in the default mode.
    assert expand("/:title/:slug", title="Hello World") == "/Hello-World/hello-world"


def test_slug_front_matter_overrides_file_name_title() -> None:
    assert expand("/:title/:slug", title="file-name", slug="My Slug!") == "/My-Slug!/my-slug"


def test_file_name_title_loses_trailing_periods() -> None:
    # document.rb populate_title: slug.gsub!(/\.*\z/, "").
    assert expand("/:title/", title="version-1.0.") == "/version-1.0/"


def test_name_is_the_slugified_basename() -> None:
    assert expand("/:name", title="hello", name="2024-06-18-Hello World") == (
        "/2024-06-18-hello-world"
    )
    assert expand("/:name", title="Hello World") == "/hello-world"


def test_jekyll_escape_fixture() -> None:
    # test/test_url.rb: "_methods/escape-+ #%20[].md" with
    # "/methods/:title/:name:output_ext" gives "/methods/escape-+-20/escape-20.html".
    name = "escape-+ #%20[]"
    url = expand("/methods/:title/:name:output_ext", title=name, name=name, collection="methods")
    assert url == "/methods/escape-+-20/escape-20.html"


def test_placeholder_followed_by_underscore() -> None:
    # test/test_url.rb: "/methods/:name-:slug_:collection_:title" for
    # "_methods/configuration.md" gives
    # "/methods/configuration-configuration_methods_configuration".
    url = expand(
        "/methods/:name-:slug_:collection_:title",
        title="configuration",
        name="configuration",
        collection="methods",
    )
    assert url == "/methods/configuration-configuration_methods_configuration"
    assert expand("/:month_:day") == "/06_18"


def test_path_placeholder() -> None:
    assert expand("/:collection/:path/", name="2024-06-18-hello") == ("/posts/2024-06-18-hello/")
    assert expand("/:path:output_ext", path="/2024/a b") == "/2024/a%20b.html"


@pytest.mark.parametrize("template", ["/:headline/", "/:yeara", "/:month__:day"])
def test_unknown_placeholder_is_an_error(template: str) -> None:
    # url.rb raises "The URL template doesn't have ... keys"; it tries the name and the
    # name minus one trailing "_" only.
    with pytest.raises(ValueError, match="unknown permalink placeholder"):
        expand(template)


# --- categories: url_drop.rb `categories` downcases, does not slugify ---------------------


def test_categories_are_lowercased_joined_and_deduplicated() -> None:
    assert expand("/:categories/", categories=["News", "World", "news"]) == "/news/world/"


def test_categories_with_spaces_are_escaped_not_slugified() -> None:
    # jekyll/jekyll#5813: spaces in categories end up as %20 in URLs.
    assert expand("/:categories/", categories=["Hot Topic"]) == "/hot%20topic/"
    assert expand("/:slugified_categories/", categories=["Hot Topic"]) == "/hot-topic/"


def test_empty_categories_leave_no_double_slash() -> None:
    assert expand("/:categories/:title/", categories=[]) == "/hello-world/"
    assert expand("/:categories/:title/", categories=["", "a", ""]) == "/a/hello-world/"


def test_hangul_categories_and_title() -> None:
    url = expand("pretty", categories=["속보", "국제 뉴스"], title="푸틴 방북 18일")
    assert url == (
        "/%EC%86%8D%EB%B3%B4/%EA%B5%AD%EC%A0%9C%20%EB%89%B4%EC%8A%A4"
        "/2024/06/18/%ED%91%B8%ED%8B%B4-%EB%B0%A9%EB%B6%81-18%EC%9D%BC/"
    )
    decoded = urllib.parse.unquote(url)
    assert decoded == "/속보/국제 뉴스/2024/06/18/푸틴-방북-18일/"


def test_hangul_slugified_categories() -> None:
    url = expand("/:slugified_categories/", categories=["국제 뉴스"])
    assert urllib.parse.unquote(url) == "/국제-뉴스/"


# --- shape of the result: lib/jekyll/url.rb sanitize_url ---------------------------------


def test_result_starts_with_a_slash() -> None:
    assert expand(":year/:title") == "/2024/hello-world"


def test_trailing_slash_is_kept_and_index_html_is_not_stripped() -> None:
    assert expand("/:title/") == "/hello-world/"
    assert expand("/:title/index.html") == "/hello-world/index.html"
    assert expand("/:title") == "/hello-world"


def test_output_ext_is_used() -> None:
    assert expand("date", output_ext=".xml") == "/2024/06/18/hello-world.xml"


def test_literal_template_text_is_encoded() -> None:
    assert expand("/뉴스 a/:title/") == "/%EB%89%B4%EC%8A%A4%20a/hello-world/"


def test_multiple_slashes_are_squeezed() -> None:
    assert expand("//:year///:title//") == "/2024/hello-world/"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"categories": ["../../etc"]}, "/etc/hello-world/"),
        ({"categories": ["..", "."]}, "/hello-world/"),
        ({"title": ".."}, "/"),
        ({"slug": "../../passwd"}, "/-/-passwd/"),
        ({"categories": ["a/./b"]}, "/a/b/hello-world/"),
        ({"title": "a\x00b"}, "/ab/"),
    ],
)
def test_dot_segments_and_nul_are_dropped(overrides: dict[str, object], expected: str) -> None:
    template = "/:categories/:title/" if "categories" in overrides else "/:title/"
    assert expand(template, **overrides) == expected


def test_dot_segments_in_template_are_dropped() -> None:
    assert expand("/../:year/./../:title/..") == "/2024/hello-world/"
    assert expand("/:title/.") == "/hello-world/"


def test_double_dot_inside_a_segment_becomes_a_slash_as_in_jekyll() -> None:
    # sanitize_url: "/#{str}".gsub("..", "/") applies inside segments too.
    assert expand("/:title/", slug="a..b") == "/a/b/"


# --- encode_url_path: lib/jekyll/url.rb escape_path --------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a b", "/a%20b"),  # the example in escape_path's comment
        ("/2024/06/18/hello-world/", "/2024/06/18/hello-world/"),
        ("한글", "%ED%95%9C%EA%B8%80"),
        ("/속보/푸틴 방북", "/%EC%86%8D%EB%B3%B4/%ED%91%B8%ED%8B%B4%20%EB%B0%A9%EB%B6%81"),
        ("!$&'()*+,;=:@-._~", "!$&'()*+,;=:@-._~"),
        ("a?b#c#d", "a%3Fb%23c%23d"),
        ("[x]{y}", "%5Bx%5D%7By%7D"),
        ("100%", "100%25"),
        ('a"b<c>\\d^e|f`', "a%22b%3Cc%3E%5Cd%5Ee%7Cf%60"),
        ("tab\there", "tab%09here"),
        ("", ""),
    ],
)
def test_encode_url_path(path: str, expected: str) -> None:
    assert encode_url_path(path) == expected


def test_encode_url_path_round_trips() -> None:
    path = "/속보/a b/100%/?#"
    assert urllib.parse.unquote(encode_url_path(path)) == path


# --- join_url ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("https://example.org", "/2024/a/", "https://example.org/2024/a/"),
        ("https://example.org/", "/2024/a/", "https://example.org/2024/a/"),
        ("https://example.org//", "//2024/a.html", "https://example.org/2024/a.html"),
        ("https://example.org", "2024/a.html", "https://example.org/2024/a.html"),
        ("https://example.org/blog", "/2024/a/", "https://example.org/blog/2024/a/"),
        ("https://example.org/blog/", "/2024/a/", "https://example.org/blog/2024/a/"),
        ("https://example.org/blog/", "feed.xml", "https://example.org/blog/feed.xml"),
        ("https://example.org", "", "https://example.org/"),
        ("https://example.org/", "", "https://example.org/"),
        ("https://example.org", "/", "https://example.org/"),
        ("https://example.org/blog/", "", "https://example.org/blog"),
        ("https://example.org/blog", "/", "https://example.org/blog/"),
        ("http://localhost:4000", "/a", "http://localhost:4000/a"),
        ("https://example.org", "https://cdn.example/x", "https://cdn.example/x"),
    ],
)
def test_join_url(base: str, path: str, expected: str) -> None:
    assert join_url(base, path) == expected


@pytest.mark.parametrize(
    ("url", "baseurl"),
    [
        ("https://example.org", "/blog"),
        ("https://example.org/", "/blog/"),
        ("https://example.org", "blog"),
        ("https://example.org/", "blog/"),
    ],
)
def test_join_url_with_baseurl(url: str, baseurl: str) -> None:
    link = join_url(join_url(url, baseurl), "/2024/06/18/a/")
    assert link == "https://example.org/blog/2024/06/18/a/"


def test_join_url_with_empty_baseurl() -> None:
    assert join_url(join_url("https://example.org", ""), "/a/") == "https://example.org/a/"


@pytest.mark.parametrize(
    "base", ["example.org", "/blog", "ftp://example.org", "https://", "https://x.org/?a=1"]
)
def test_join_url_needs_an_absolute_http_base(base: str) -> None:
    with pytest.raises(ValueError):
        join_url(base, "/a")


def test_join_url_with_expanded_permalink() -> None:
    path = expand("pretty", categories=["속보"], title="푸틴 방북")
    link = join_url("https://news.example.kr/ko/", path)
    assert link == (
        "https://news.example.kr/ko/%EC%86%8D%EB%B3%B4/2024/06/18/"
        "%ED%91%B8%ED%8B%B4-%EB%B0%A9%EB%B6%81/"
    )


# --- properties --------------------------------------------------------------------------

_TOKENS = [
    ":year",
    ":month",
    ":i_month",
    ":day",
    ":i_day",
    ":short_year",
    ":hour",
    ":minute",
    ":second",
    ":y_day",
    ":week",
    ":w_year",
    ":w_day",
    ":short_day",
    ":long_day",
    ":short_month",
    ":long_month",
    ":title",
    ":slug",
    ":name",
    ":categories",
    ":slugified_categories",
    ":output_ext",
    ":collection",
    ":path",
]
# Literal template text that cannot run into a placeholder name: no ":", "_" or a-z
# (":yeara" is an unknown placeholder, as in Jekyll; tested separately).
_LITERALS = st.text(
    alphabet=st.characters(blacklist_characters=":_abcdefghijklmnopqrstuvwxyz"), max_size=8
) | st.sampled_from(["/", "..", "../", "/./", ".", "\x00", "%2E%2E", "한글 ", ":1", "/_/"])
_TEMPLATES = st.lists(st.sampled_from(_TOKENS) | _LITERALS, max_size=10).map(
    "".join
) | st.sampled_from(sorted(NAMED_STYLES))
_VALUES = st.text() | st.sampled_from(["..", ".", "../..", "a/../b", "\x00", "%00", "./"])
_DATES = st.datetimes(timezones=st.sampled_from([UTC, KST, timezone(timedelta(hours=-11))]))


@settings(max_examples=500, deadline=None)
@given(
    template=_TEMPLATES,
    categories=st.lists(_VALUES, max_size=4),
    date=_DATES,
    title=_VALUES,
    slug=_VALUES,
    name=st.none() | _VALUES,
    path=st.none() | _VALUES,
)
def test_expand_permalink_never_raises_or_escapes(
    template: str,
    categories: list[str],
    date: datetime,
    title: str,
    slug: str,
    name: str | None,
    path: str | None,
) -> None:
    url = expand_permalink(
        template,
        categories=categories,
        date=date,
        title=title,
        slug=slug,
        name=name,
        path=path,
    )
    assert url.startswith("/")
    assert "\x00" not in url
    assert "//" not in url
    for segments in (url.split("/"), urllib.parse.unquote(url).split("/")):
        assert ".." not in segments
        assert "." not in segments
    assert url.isascii()


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from(["raw", "default", "pretty", "ascii", "latin", "none"]))
def test_slugify_never_raises(text: str, mode: str) -> None:
    slug = slugify(text, mode)
    if mode in ("default", "latin"):
        assert not slug.startswith("-") and not slug.endswith("-")
        assert "--" not in slug


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_encode_url_path_is_ascii_and_decodes_back(path: str) -> None:
    encoded = encode_url_path(path)
    assert encoded.isascii()
    assert " " not in encoded
    surrogate_free = "".join("?" if "\ud800" <= c <= "\udfff" else c for c in path)
    assert urllib.parse.unquote(encoded) == surrogate_free
