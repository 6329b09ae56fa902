"""Reading Jekyll sites as Jekyll does: defaults, excerpts, collections."""

from __future__ import annotations

import pytest

from feedkit.jekyll import (
    Collection,
    apply_defaults,
    collections_to_publish,
    deep_merge,
    split_excerpt,
)

# The example of https://jekyllrb.com/docs/configuration/front-matter-defaults/
DEFAULTS = [
    {"scope": {"path": ""}, "values": {"layout": "default", "image": "/img/default.png"}},
    {"scope": {"path": "", "type": "posts"}, "values": {"layout": "post", "author": "Kim"}},
    {"scope": {"path": "news", "type": "posts"}, "values": {"image": "/img/news.png"}},
    {"scope": {"path": "_posts/2024"}, "values": {"tags": ["year-2024"]}},
    {"scope": {"path": "assets/**/*.md"}, "values": {"sitemap": False}},
    "not a mapping",
    {"scope": "nope", "values": {"ignored": True}},
]


@pytest.mark.parametrize(
    ("path", "kind", "expected"),
    [
        ("_posts/a.md", "posts", {"layout": "post", "image": "/img/default.png", "author": "Kim"}),
        (
            "news/_posts/a.md",
            "posts",
            {"layout": "post", "image": "/img/news.png", "author": "Kim"},
        ),
        ("about.md", "pages", {"layout": "default", "image": "/img/default.png"}),
        (
            "_posts/2024/a.md",
            "posts",
            {"layout": "post", "image": "/img/default.png", "author": "Kim", "tags": ["year-2024"]},
        ),
        (
            "assets/x/y.md",
            "pages",
            {"layout": "default", "image": "/img/default.png", "sitemap": False},
        ),
        (
            "newsletter/a.md",
            "posts",  # "news" is a folder prefix, not a string prefix
            {"layout": "post", "image": "/img/default.png", "author": "Kim"},
        ),
    ],
)
def test_defaults_by_scope(path, kind, expected):
    assert apply_defaults({}, path=path, kind=kind, defaults=DEFAULTS) == expected


def test_front_matter_wins_over_defaults():
    merged = apply_defaults(
        {"image": "/own.png", "title": "T"},
        path="news/_posts/a.md",
        kind="posts",
        defaults=DEFAULTS,
    )
    assert merged["image"] == "/own.png" and merged["author"] == "Kim"


def test_defaults_that_are_not_a_list_are_ignored():
    assert apply_defaults({"a": 1}, path="x.md", kind="posts", defaults={"scope": {}}) == {"a": 1}


def test_deep_merge_merges_nested_mappings():
    assert deep_merge({"image": {"path": "/a.png", "alt": "a"}}, {"image": {"path": "/b.png"}}) == {
        "image": {"path": "/b.png", "alt": "a"}
    }


@pytest.mark.parametrize(
    ("body", "separator", "expected"),
    [
        ("First para.\n\nSecond.", "\n\n", "First para."),
        ("\nLead <!--more--> rest", "<!--more-->", "Lead "),
        ("No separator here", "<!--more-->", None),
        ("anything", "", None),
    ],
)
def test_split_excerpt(body, separator, expected):
    assert split_excerpt(body, separator) == expected


def test_collections_with_output():
    config = {
        "collections": {
            "posts": {"output": True},
            "recipes": {"output": True, "permalink": "/:collection/:name/"},
            "staff": {"output": False},
            "notes": {"output": True},
        }
    }
    assert collections_to_publish(config) == (
        Collection("notes", None),
        Collection("recipes", "/:collection/:name/"),
    )
    assert collections_to_publish({"collections": ["a", "b"]}) == ()
    assert collections_to_publish({}) == ()
