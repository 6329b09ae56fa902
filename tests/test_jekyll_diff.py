"""Where Jekyll is installed: every fixture Jekyll site under tests/data (``jekyll-*`` with a
``_config.yml``) is built with Jekyll + jekyll-feed and with feedkit by
``scripts/jekyll_diff.py``, and their feeds agree post by post, except for the
differences listed below by name, each with its reason (also listed in README)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from .conftest import REPO_ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("jekyll") is None,
        reason="Jekyll is not installed (Debian: apt-get install jekyll ruby-jekyll-feed)",
    ),
]

SITES = sorted(path.parent for path in (REPO_ROOT / "tests" / "data").glob("jekyll-*/_config.yml"))

# (site, kind, a part of the post's link) -> why the difference is intended.
INTENDED: dict[tuple[str, str, str], str] = {
    ("jekyll-site", "missing", "putin-visit"): (
        "the title '[속보] …' is not valid YAML: Jekyll loses the front matter (and the "
        "date, category and title with it); feedkit recovers the title and warns"
    ),
    ("jekyll-site", "extra", "putin-visit"): "the same post, as feedkit publishes it",
    ("jekyll-site", "extra", "hangul-day"): (
        "a UTF-16 file: Jekyll skips it (not valid UTF-8); feedkit decodes it"
    ),
    ("jekyll-site", "extra", "/recipes/"): (
        "a document of an output collection: feedkit publishes it, jekyll-feed lists posts only"
    ),
    ("jekyll-liquid-site", "content-typography", "korean-emphasis"): (
        "kramdown's smart quotes (Konig’s): feedkit keeps the quotes as written (README, "
        "Liquid: not supported)"
    ),
    ("jekyll-liquid-site", "content-typography", "variables-and-filters"): (
        "kramdown's smart quotes around jsonify's output: feedkit keeps straight quotes"
    ),
    ("jekyll-reading-site", "id", "own-id"): (
        "a front-matter id: feedkit uses it (migrations from Hugo or WordPress keep their "
        "ids); jekyll-feed ignores it (Document#id is a method, not the front matter)"
    ),
}


def _load_script():  # type: ignore[no-untyped-def]
    path = REPO_ROOT / "scripts" / "jekyll_diff.py"
    spec = importlib.util.spec_from_file_location("jekyll_diff", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["jekyll_diff"] = module
    spec.loader.exec_module(module)
    return module


jekyll_diff = _load_script()


def _is_intended(site: str, difference) -> bool:  # type: ignore[no-untyped-def]
    return any(
        site == s and difference.kind == kind and part in difference.key
        for (s, kind, part) in INTENDED
    )


@pytest.mark.parametrize("site", SITES, ids=[site.name for site in SITES])
def test_feedkit_agrees_with_jekyll_feed_post_by_post(site: Path, tmp_path: Path) -> None:
    result = jekyll_diff.compare_site(
        site, feedkit=(sys.executable, "-m", "feedkit"), keep=tmp_path / "work"
    )
    assert result.posts_jekyll >= 4
    unexpected = [d for d in result.differences if not _is_intended(site.name, d)]
    assert unexpected == [], jekyll_diff.format_table(result)
    # Each intended difference is still there: when one goes away, take it off the list.
    for s, kind, part in INTENDED:
        if s == site.name:
            assert any(d.kind == kind and part in d.key for d in result.differences), (
                s,
                kind,
                part,
            )


def test_the_reading_fixture_covers_what_it_claims(tmp_path: Path) -> None:
    """The reading-rules site is only a proof if Jekyll really read it as we claim:
    titles from names, the last of repeated keys, the unpadded date, no undated file."""
    site = REPO_ROOT / "tests" / "data" / "jekyll-reading-site"
    feed, failed, log = jekyll_diff.build_with_jekyll(site, tmp_path)
    assert feed is not None, log
    assert failed == []
    entries = {entry.title: entry for entry in jekyll_diff.read_atom(feed)}
    assert "No Title Here" in entries
    assert "Last title wins" in entries
    assert entries["Last title wins"].categories == ("news",)
    assert entries["Unpadded date"].published.startswith("2017-02-04T15:00:00")
    assert not {"Undated", "Undated in a folder"} & set(entries)
    assert entries["A date with junk after the time"].published == "2023-01-29T09:30:22+00:00"
    assert entries["Encoded permalink"].link == "https://reading.example/blog/news/v1.2/"
    assert entries["A relative image"].image == "https://reading.example/blog/img/cover.png"
    assert entries["A relative image"].lang == "ko"
    assert {"An R Markdown post", "A text post"} <= set(entries)


def test_compare_feeds_pairs_posts_and_names_each_kind() -> None:
    entry = jekyll_diff.Entry
    common = {"published": "2024-01-01T00:00:00+00:00", "updated": "", "categories": ()}
    jekyll = [
        entry(id="https://s/a", link="https://s/a/", title="A", text="one two", **common),
        entry(id="https://s/b", link="https://s/b/", title="B", text="**bold** x", **common),
        entry(id="https://s/c", link="https://s/c/", title="C", text="x", **common),
    ]
    feedkit = [
        entry(id="https://s/a/", link="https://s/a/", title="A", text="one two", **common),
        entry(id="https://s/b", link="https://s/b/", title="B", text="bold x", **common),
        entry(id="https://s/d", link="https://s/d/", title="D", text="{{ x }}", **common),
    ]
    found = {(d.kind, d.key) for d in jekyll_diff.compare_feeds(jekyll, feedkit)}
    assert found == {
        ("id", "https://s/a/"),
        ("content-markdown", "https://s/b/"),
        ("missing", "https://s/c/"),
        ("extra", "https://s/d/"),
    }


def test_html_to_text_folds_whitespace_and_drops_the_rouge_gutter() -> None:
    html = (
        '<p>Hello&nbsp;<b>world</b></p><table><tr><td class="rouge-gutter gl"><pre>1\n2'
        '</pre></td><td class="rouge-code"><pre>x = 1</pre></td></tr></table>'
    )
    assert jekyll_diff.html_to_text(html) == "Hello world x = 1"
    assert jekyll_diff.normalise_title("“Quoted” – dash…") == '"Quoted" - dash...'
