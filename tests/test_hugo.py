"""A Hugo site read as Hugo reads it (feedkit.hugo, feedkit._shortcodes, the Hugo parts of
feedkit.settings), end to end on tests/data/hugo-site.

The expected links, guids, pubDates and titles are those Hugo 0.168's own RSS
(``hugo`` on the same fixture, ``public/index.xml`` and ``public/ko/index.xml``) gives;
scripts/hugo_diff.py compares the two builds in full where Hugo is installed.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from feedkit._shortcodes import _TAG, ShortcodeContext, expand_shortcodes
from feedkit.cli import main
from feedkit.diagnostics import Diagnostics
from feedkit.errors import ConfigError
from feedkit.hugo import hugo_permalink, hugo_sites, lower_keys, sanitize, urlize, with_cascade
from feedkit.models import Source
from feedkit.settings import find_config, hugo_languages, load_settings

from .conftest import REPO_ROOT

FIXTURE = REPO_ROOT / "tests" / "data" / "hugo-site"
NOW = "2025-01-01T00:00:00+09:00"
BASE = "https://example.org/blog/"

# (guid = link, pubDate, title) of each item, newest first, as Hugo 0.168 writes them.
HUGO_EN = [
    (BASE + "2024/04/a-leaf-bundle/", "Tue, 02 Apr 2024 00:00:00 +0900", "A leaf bundle"),
    (
        BASE + "2024/03/yaml-front-matter-with-a-colon/",
        "Fri, 01 Mar 2024 09:30:00 +0900",
        "YAML: front matter with a colon",
    ),
    (BASE + "2024/02/custom-slug/", "Sun, 11 Feb 2024 10:00:00 +0900", "TOML post with a slug"),
    (BASE + "2024/01/json-front-matter/", "Sat, 20 Jan 2024 07:15:00 +0000", "JSON front matter"),
    (BASE + "notes/plain-note/", "Sun, 05 Nov 2023 18:00:00 -0500", "A note in another section"),
]
HUGO_KO = [
    (
        BASE + "ko/2024/05/%EB%91%90%EB%B2%88%EC%A7%B8/",
        "Thu, 02 May 2024 10:00:00 +0900",
        "두 번째 글",
    ),
    (
        BASE + "ko/2024/05/%EC%86%8D%EB%B3%B4-%EC%B2%AB-%ED%95%9C%EA%B5%AD%EC%96%B4-%EA%B8%80/",
        "Wed, 01 May 2024 09:00:00 +0900",
        "[속보] 첫 한국어 글",
    ),
]


@pytest.fixture
def hugo_site(tmp_path: Path) -> Path:
    root = tmp_path / "hugo-site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("public", ".feedkit"))
    return root


@pytest.fixture
def built(hugo_site: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.chdir(hugo_site)
    result = CliRunner().invoke(main, ["build", "-v", "--now", NOW])
    assert result.exit_code == 0, result.output
    return hugo_site / "public", result.stderr


def _items(path: Path) -> list[tuple[str, str, str]]:
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.bozo_exception
    return [(entry.id, entry.published, entry.title) for entry in feed.entries]


def test_rss_items_are_hugos_guid_pubdate_and_title(built):
    out, _ = built
    assert _items(out / "rss.xml") == HUGO_EN
    assert _items(out / "ko" / "rss.xml") == HUGO_KO
    for path in (out / "rss.xml", out / "ko" / "rss.xml"):
        for entry in feedparser.parse(path.read_bytes()).entries:
            assert entry.link == entry.id  # Hugo's <guid> is the permalink


def test_atom_and_json_carry_the_same_ids(built):
    out, _ = built
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    assert [entry.id for entry in atom.entries] == [guid for guid, _, _ in HUGO_EN]
    document = json.loads((out / "ko" / "feed.json").read_text("utf-8"))
    assert [item["id"] for item in document["items"]] == [guid for guid, _, _ in HUGO_KO]
    assert document["language"] == "ko-KR"
    assert document["title"] == "픽스처 블로그"


def test_lists_drafts_future_expired_and_bundle_resources_are_not_posts(built):
    out, stderr = built
    titles = {title for _, _, title in _items(out / "rss.xml")}
    assert not titles & {"Home", "Posts", "A draft", "From the future", "Expired"}
    assert "A page resource of the bundle, not a post" not in titles
    assert "posts/expired-post.md: info: its expiryDate has passed" in stderr
    assert "posts/_index.md: info: a section's list page" in stderr


def test_no_raw_shortcode_reaches_a_reader(built):
    out, stderr = built
    contents = []
    for path in (out / "feed.json", out / "ko" / "feed.json"):
        contents += [item["content_html"] for item in json.loads(path.read_text())["items"]]
    assert len(contents) == 7
    assert not any("{{<" in html or "{{%" in html for html in contents)
    text = "\n".join(contents)
    # ref/relref: the target pages' permalinks.
    assert f'<a href="{BASE}2024/02/custom-slug/">link to the TOML post</a>' in text
    assert f'<a href="{BASE}2024/04/a-leaf-bundle/">relref to the bundle</a>' in text
    # figure: the bundle's image, made absolute under the page's URL.
    assert f'<img src="{BASE}2024/04/a-leaf-bundle/photo.png" alt="A red square">' in text
    assert "<figcaption><p>The <em>bundle's</em> photo</p></figcaption>" in text
    assert '<code class="language-go">func main() { fmt.Println("&lt;hi&gt;") }' in text
    assert "The site's tagline: Written for tests." in text
    assert "https://www.youtube.com/watch?v=dQw4w9WgXcQ" in text
    assert "<strong>inner content</strong> stays" in text  # the site's own shortcode
    assert "posts/toml-post.md:13: warning: shortcode 'notice'" in stderr


def test_more_divider_cuts_the_summary(built):
    out, _ = built
    items = {item["id"]: item for item in json.loads((out / "feed.json").read_text())["items"]}
    yaml_post = items[BASE + "2024/03/yaml-front-matter-with-a-colon/"]
    assert yaml_post["summary"] == "The first paragraph of the YAML post."
    assert "<!--more-->" not in yaml_post["content_html"]
    toml_post = items[BASE + "2024/02/custom-slug/"]
    assert toml_post["summary"] == "The summary from front matter."


def test_build_drafts_and_expired_follow_the_config(hugo_site, monkeypatch):
    config = hugo_site / "hugo.toml"
    text = config.read_text("utf-8")
    config.write_text(text.replace('timeZone = "Asia/Seoul"', 'timeZone = "Asia/Seoul"\n'
                      "buildDrafts = true\nbuildExpired = true"), "utf-8")  # fmt: skip
    monkeypatch.chdir(hugo_site)
    result = CliRunner().invoke(main, ["build", "--now", NOW])
    assert result.exit_code == 0, result.output
    titles = {title for _, _, title in _items(hugo_site / "public" / "rss.xml")}
    assert {"A draft", "Expired"} <= titles
    assert "From the future" not in titles


def test_a_post_expires_when_the_clock_passes_its_expiry_date(hugo_site, monkeypatch):
    monkeypatch.chdir(hugo_site)
    runner = CliRunner()
    assert runner.invoke(main, ["build", "--now", "2023-03-01T00:00:00Z"]).exit_code == 0
    assert "Expired" in {t for _, _, t in _items(hugo_site / "public" / "rss.xml")}
    assert runner.invoke(main, ["build", "--now", "2023-07-01T00:00:00Z"]).exit_code == 0
    assert "Expired" not in {t for _, _, t in _items(hugo_site / "public" / "rss.xml")}


# --- configuration ----------------------------------------------------------------------


def test_the_hugo_config_is_found_and_read(hugo_site):
    path = find_config(hugo_site)
    assert path == hugo_site / "hugo.toml"
    assert hugo_languages(path) == ("en", "ko")
    settings = load_settings(path)
    assert settings.site.url == "https://example.org"
    assert settings.site.baseurl == "/blog"
    assert settings.site.title == "Fixture Blog"
    assert settings.site.language == "en-us"
    assert settings.site.timezone == "Asia/Seoul"
    assert settings.site.author is not None
    assert (settings.site.author.name, settings.site.author.email) == (
        "Fixture Author",
        "author@example.org",
    )
    assert settings.content.dir == (hugo_site / "content" / "en").resolve()
    assert settings.feeds.output == (hugo_site / "public").resolve()
    korean = load_settings(path, language="ko")
    assert korean.site.root_url == BASE + "ko/"
    assert korean.feeds.output == (hugo_site / "public" / "ko").resolve()
    assert korean.state.path != settings.state.path
    with pytest.raises(ConfigError, match="no language 'fr'"):
        load_settings(path, language="fr")


def test_a_config_folder_is_merged_with_production_over_default(tmp_path):
    default = tmp_path / "config" / "_default"
    default.mkdir(parents=True)
    (default / "hugo.yaml").write_text("baseURL: https://a.example/\ntitle: Default\n")
    (default / "params.toml").write_text('description = "From params.toml"\n')
    (default / "permalinks.json").write_text('{"page": {"Posts": "/p/:slug/"}}')
    production = tmp_path / "config" / "production"
    production.mkdir()
    (production / "hugo.toml").write_text('baseURL = "https://b.example/"\n')
    path = find_config(tmp_path)
    assert path == default
    settings = load_settings(path)
    assert settings.site.url == "https://b.example"
    assert settings.site.title == "Default"
    assert settings.site.description == "From params.toml"
    assert settings.hugo is not None and settings.hugo.permalinks == {"posts": "/p/:slug/"}
    assert settings.state.path == (tmp_path / ".feedkit" / "state.db").resolve()


def test_frontmatter_date_config_is_expanded():
    ((site, raw),) = hugo_sites(
        lower_keys({"frontMatter": {"publishDate": [":filename", ":default"], "lastmod": "x"}})
    )
    assert site.dates["publishdate"] == (":filename", "publishdate", "pubdate", "published", "date")
    assert site.dates["lastmod"] == ("x",)
    assert raw["dates"]["sources"] == ["filename", "front-matter", "first-seen"]


def test_a_bad_config_file_names_the_file_and_line(tmp_path):
    (tmp_path / "hugo.json").write_text('{\n  "baseURL": "https://a.example/",\n  oops\n}')
    with pytest.raises(ConfigError) as info:
        load_settings(find_config(tmp_path))
    assert info.value.line == 3
    assert "hugo.json" in str(info.value)


# --- URLs as Hugo makes them -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello World! 안녕", "hello-world-안녕"),
        ("YAML: front matter with a colon", "yaml-front-matter-with-a-colon"),
        ("  lead and   runs  ", "lead-and-runs"),
        ("a - b", "a-b"),
        ("100% sure", "100-sure"),
        ("%E2%9C%93 kept", "%e2%9c%93-kept"),  # lower-cased whole, as Hugo does
        ("C++ & C#", "c-c#"),
        ("Hash #h", "hash-#h"),
        ("Œuvre—em dash", "œuvreem-dash"),
        ('quotes "q" and a:b (x) [y] ! ? = , ; $', "quotes-q-and-ab-x-y"),
    ],
)
def test_urlize_is_hugos(text, expected):
    assert urlize(text) == expected


def test_disable_path_to_lower_keeps_case():
    assert urlize("Mixed Case", lower=False) == "Mixed-Case"
    assert sanitize("Mixed Case") == "Mixed-Case"


# --- shortcodes ---------------------------------------------------------------------------


def _expand(text: str, diagnostics: Diagnostics | None = None, *, line: int = 5) -> str:
    context = ShortcodeContext(
        page_params={"mood": "sunny", "nested": {"key": "deep"}},
        site_params={"tagline": "site-wide"},
        content_dir="/nonexistent",
        page_path="posts/a.md",
        resolve_ref=lambda target: "https://example.org/found/" if target == "found" else None,
    )
    return expand_shortcodes(
        text,
        context=context,
        path="posts/a.md",
        line=line,
        diagnostics=Diagnostics() if diagnostics is None else diagnostics,
    )


def test_embeds_become_links():
    assert "https://x.com/SanDiegoZoo/status/1453110110599868418" in _expand(
        '{{< x user="SanDiegoZoo" id="1453110110599868418" >}}'
    )
    assert "https://x.com/i/web/status/877500564405444608" in _expand(
        "{{< tweet 877500564405444608 >}}"
    )
    assert "https://gist.github.com/spf13/7896402#file-img-html" in _expand(
        '{{< gist spf13 7896402 "img.html" >}}'
    )
    assert 'href="https://vimeo.com/55073825"' in _expand('{{< vimeo id="55073825" >}}')
    assert "https://www.instagram.com/p/BWNjjyYFxVx/" in _expand("{{< instagram BWNjjyYFxVx >}}")


def test_params_come_from_the_page_then_the_site():
    assert _expand("{{< param mood >}} {{< param nested.key >}} {{% param tagline %}}") == (
        "sunny deep site-wide"
    )
    found = Diagnostics()
    assert _expand("[{{< param missing >}}]", found) == "[]"
    assert [d.code for d in found] == ["shortcode-param"]


def test_an_unknown_shortcode_is_removed_with_a_warning_naming_the_line():
    found = Diagnostics()
    text = 'one\ntwo {{< chart data="x" >}}\n{{% box %}}kept *inner*{{% /box %}}\n'
    assert _expand(text, found, line=7) == "one\ntwo \nkept *inner*\n"
    assert [(d.code, d.path, d.line) for d in found] == [
        ("shortcode-unknown", "posts/a.md", 8),
        ("shortcode-unknown", "posts/a.md", 9),
    ]
    assert "'chart'" in next(iter(found)).message


def test_an_escaped_shortcode_is_shown_as_written():
    assert _expand('Write {{</* figure src="x" */>}} to show one.') == (
        'Write {{< figure src="x" >}} to show one.'
    )


def test_ref_to_a_missing_page_warns():
    found = Diagnostics()
    assert _expand('[a]({{< ref "found" >}}) [b]({{< relref "gone" >}})', found) == (
        "[a](https://example.org/found/) [b](#)"
    )
    assert [d.code for d in found] == ["shortcode-ref"]


def test_comment_and_details():
    assert _expand("a{{< comment >}}hidden{{< /comment >}}b") == "ab"
    details = _expand('{{< details summary="More" >}}\nInside\n{{< /details >}}')
    assert "<details><summary>More</summary>" in details and "Inside" in details


def test_no_shortcode_is_a_no_op():
    text = "Plain {{ not a shortcode }} and { braces }."
    assert _expand(text) is text


def _page(path: str, **metadata: object) -> Source:
    return Source(path, "/x/" + path, lower_keys(metadata), None, 1, "markdown", 0, 0, "")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/x/Y Z", "/x/Y%20Z/"),  # case kept, a folder (checked with hugo 0.168)
        ("/x/page.html", "/x/page.html"),
        ("rel/path/", "/rel/path/"),
    ],
)
def test_a_front_matter_url_is_kept_as_hugo_keeps_it(url, expected):
    ((site, _),) = hugo_sites({})
    page = _page("posts/a.md", url=url)
    assert hugo_permalink(page, site, title="A", date=datetime(2024, 1, 2, tzinfo=UTC)) == expected


def test_default_paths_and_section_patterns():
    ((site, _),) = hugo_sites(lower_keys({"permalinks": {"posts": "/:sections/:year/:filename/"}}))
    date = datetime(2024, 1, 2, tzinfo=UTC)
    assert hugo_permalink(_page("Notes/My Note.md"), site, title="T", date=date) == (
        "/notes/my-note/"
    )
    # Spaces in a file's path are hyphens, each one (hugo 0.168 on the same names).
    assert hugo_permalink(_page("my notes/a  b .md"), site, title="T", date=date) == (
        "/my-notes/a--b-/"
    )
    assert hugo_permalink(_page("Notes/b/index.md", slug="S Lug"), site, title="T", date=date) == (
        "/notes/s-lug/"
    )
    assert hugo_permalink(_page("posts/bundle/index.md"), site, title="T", date=date) == (
        "/posts/2024/bundle/"
    )
    with pytest.raises(ValueError, match=":nope"):
        ((bad, _),) = hugo_sites({"permalinks": {"posts": "/:nope/"}})
        hugo_permalink(_page("posts/a.md"), bad, title="T", date=date)


def test_cascade_from_config_and_index_files(hugo_site, monkeypatch):
    (hugo_site / "content" / "en" / "notes" / "_index.md").write_text(
        "---\ntitle: Notes\ncascade:\n  - target:\n      environment: production\n"
        "      path: /notes/**\n    build:\n      list: never\n---\n"
    )
    posts_index = hugo_site / "content" / "en" / "posts" / "_index.md"
    posts_index.write_text('+++\ntitle = "Posts"\n[cascade]\n  tags = ["cascaded"]\n+++\n')
    monkeypatch.chdir(hugo_site)
    result = CliRunner().invoke(main, ["build", "--now", NOW])
    assert result.exit_code == 0, result.output
    feed = feedparser.parse((hugo_site / "public" / "rss.xml").read_bytes())
    titles = [entry.title for entry in feed.entries]
    assert "A note in another section" not in titles  # in no list, as in Hugo
    tags = {entry.title: {t.term for t in entry.get("tags", [])} for entry in feed.entries}
    assert tags["A leaf bundle"] == {"cascaded"}  # no tags of its own: the cascade's
    assert tags["JSON front matter"] == {"json"}  # its own win


def test_a_cascade_for_another_environment_is_not_applied():
    ((site, _),) = hugo_sites(
        lower_keys({"cascade": [{"_target": {"environment": "development"}, "draft": True}]})
    )
    assert with_cascade({"title": "a"}, "posts/a.md", site) == {"title": "a"}
    ((site, _),) = hugo_sites(
        lower_keys({"cascade": {"target": {"path": "/posts/*"}, "draft": True}})
    )
    assert with_cascade({}, "posts/a.md", site) == {"draft": True}
    assert with_cascade({}, "posts/b/index.md", site) == {"draft": True}
    assert with_cascade({}, "posts/deep/b/c.md", site) == {}


def test_auto_summary_ends_at_the_paragraph_that_reaches_summary_length():
    from feedkit.hugo import auto_summary

    html = "<p>one two three</p>\n<h2>Head word</h2>\n<p>four five</p>\n<p>six</p>"
    assert auto_summary(html, 3) == "<p>one two three</p>"
    # The heading's words count, as Hugo counts all text up to each </p>.
    assert auto_summary(html, 6) == "<p>one two three</p>\n<h2>Head word</h2>\n<p>four five</p>"
    assert auto_summary(html, 50) == html
    assert auto_summary("<p>한국어 문장</p><p>둘</p>", 3, is_cjk=True) == "<p>한국어 문장</p>"


def test_the_summary_length_of_the_config_shapes_the_summary(built):
    out, _ = built
    items = {item["id"]: item for item in json.loads((out / "feed.json").read_text())["items"]}
    # summaryLength = 20: the bundle's first paragraph (8 words) and its figure's caption.
    bundle = items[BASE + "2024/04/a-leaf-bundle/"]
    assert bundle["summary"] == "A leaf bundle: its image sits beside it. The bundle's photo"


def test_languages_told_by_file_name(tmp_path, monkeypatch):
    (tmp_path / "hugo.yaml").write_text(
        "baseURL: https://e.org/\ntitle: T\nservices:\n  rss:\n    limit: 5\n"
        "languages:\n  en: {weight: 1}\n  ko: {weight: 2, title: 한국어}\n"
    )
    posts = tmp_path / "content" / "posts"
    (posts / "b").mkdir(parents=True)
    (posts / "a.md").write_text("---\ntitle: A\ndate: 2024-01-01\n---\nEnglish\n")
    (posts / "a.ko.md").write_text("---\ntitle: 가\ndate: 2024-01-01\n---\n한국어\n")
    (posts / "b" / "index.ko.md").write_text("---\ntitle: 나\ndate: 2024-01-02\n---\n번들\n")
    (posts / "b" / "index.md").write_text("---\ntitle: B\ndate: 2024-01-02\n---\nBundle\n")
    path = find_config(tmp_path)
    assert load_settings(path).feeds.limit == 5
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--now", NOW])
    assert result.exit_code == 0, result.output
    assert _items(tmp_path / "public" / "rss.xml") == [
        ("https://e.org/posts/b/", "Tue, 02 Jan 2024 00:00:00 +0000", "B"),
        ("https://e.org/posts/a/", "Mon, 01 Jan 2024 00:00:00 +0000", "A"),
    ]
    assert _items(tmp_path / "public" / "ko" / "rss.xml") == [
        ("https://e.org/ko/posts/b/", "Tue, 02 Jan 2024 00:00:00 +0000", "나"),
        ("https://e.org/ko/posts/a/", "Mon, 01 Jan 2024 00:00:00 +0000", "가"),
    ]


def test_shortcodes_inside_a_paired_one_are_rendered():
    found = Diagnostics()
    text = '{{< box >}}\nSee {{< param mood >}} {{< figure src="a.png" >}}\n{{< /box >}}'
    out = _expand(text, found)
    assert "{{" not in out
    assert "See sunny" in out and '<figure><img src="a.png"></figure>' in out
    assert [d.code for d in found] == ["shortcode-unknown"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "{{< ",
                "{{% ",
                " >}}",
                " %}}",
                "/",
                "figure",
                "x",
                "note",
                'src="a b"',
                "`r`",
                "=",
                "\n",
                "text ",
                "{{</* ",
                " */>}}",
                '"',
                "{{",
                "}}",
            ]
        ),
        max_size=20,
    ).map("".join)
)
def test_shortcode_expansion_raises_nothing_and_leaves_no_shortcode(text):
    out = _expand(text)
    # No whole tag is left, unless an escaped one was written out as text.
    if "/*" not in text:
        assert _TAG.search(out) is None, out


def test_a_build_of_changed_files_still_knows_the_bundles(hugo_site, monkeypatch):
    """A later build reads only the changed files: a changed resource of a leaf bundle
    (its index.md unchanged, so not among them) must still not become a post."""
    monkeypatch.chdir(hugo_site)
    runner = CliRunner()
    assert runner.invoke(main, ["build", "--now", NOW]).exit_code == 0
    bundle = hugo_site / "content" / "en" / "posts" / "bundle-post"
    with (bundle / "notes.md").open("a") as handle:
        handle.write("Edited.\n")
    with (hugo_site / "content" / "en" / "posts" / "yaml-post.md").open("a") as handle:
        handle.write("Edited.\n")
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert "(1 parsed)" in result.stderr  # the changed-files path, not a full rebuild
    assert [title for _, _, title in _items(hugo_site / "public" / "rss.xml")] == [
        title for _, _, title in HUGO_EN
    ]


def test_a_toml_post_changed_during_the_build_keeps_its_body(tmp_path):
    from feedkit._frontmatter import HUGO_FORMATS
    from feedkit.collect import load_body

    page = tmp_path / "a.md"
    page.write_text('+++\ntitle = "A"\n+++\nNew body\n')
    stale = Source("a.md", str(page), {"title": "A"}, None, 4, "markdown", 1, 1, "old-hash")
    found = Diagnostics()
    assert load_body(stale, found, formats=HUGO_FORMATS).body == "New body\n"
    assert [d.code for d in found] == ["changed-during-build"]


def test_url_of_another_language_and_a_page_without_front_matter(tmp_path, monkeypatch):
    (tmp_path / "hugo.yaml").write_text(
        "baseURL: https://e.org/\ntitle: T\nlanguages:\n  en: {weight: 1}\n  ko: {weight: 2}\n"
    )
    posts = tmp_path / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "u.ko.md").write_text("---\ntitle: U\ndate: 2024-03-01\nurl: /custom/u/\n---\nx\n")
    (posts / "plain.md").write_text("No front matter here.\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--now", NOW])
    assert result.exit_code == 0, result.output
    # As hugo 0.168 gives them: a url is from the site's root, whatever the language;
    # a file without front matter is a page (untitled in Hugo: named for its file here).
    assert [link for link, _, _ in _items(tmp_path / "public" / "ko" / "rss.xml")] == [
        "https://e.org/custom/u/"
    ]
    assert [(link, title) for link, _, title in _items(tmp_path / "public" / "rss.xml")] == [
        ("https://e.org/posts/plain/", "plain")
    ]


def test_json_output_of_a_multilingual_build_is_one_document(hugo_site, monkeypatch):
    monkeypatch.chdir(hugo_site)
    result = CliRunner().invoke(main, ["build", "--json", "--now", NOW])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert sorted(document["languages"]) == ["en", "ko"]
    assert document["languages"]["en"]["posts_published"] == len(HUGO_EN)
    assert document["languages"]["ko"]["posts_published"] == len(HUGO_KO)


def test_out_puts_each_language_in_its_folder(hugo_site, tmp_path, monkeypatch):
    monkeypatch.chdir(hugo_site)
    out = tmp_path / "elsewhere"
    result = CliRunner().invoke(main, ["build", "--out", str(out), "--now", NOW])
    assert result.exit_code == 0, result.output
    assert _items(out / "rss.xml") == HUGO_EN
    assert _items(out / "ko" / "rss.xml") == HUGO_KO


def test_a_filename_date_config_gives_the_date_and_the_slug(tmp_path):
    from feedkit.hugo import filename_slug

    ((site, raw),) = hugo_sites(lower_keys({"frontmatter": {"date": [":filename", ":default"]}}))
    page = _page("posts/2018-02-22-My Page.md", title="T")
    assert filename_slug(page, site) == "My Page"
    assert hugo_permalink(page, site, title="T", date=datetime(2018, 2, 22, tzinfo=UTC)) == (
        "/posts/my-page/"
    )
    assert filename_slug(_page("posts/2018-02-22-a.md", slug="own"), site) == "a"  # unused
    assert (
        hugo_permalink(
            _page("posts/2018-02-22-a.md", slug="own"), site, title="T", date=datetime.now(UTC)
        )
        == "/posts/own/"
    )
    ((default, _),) = hugo_sites({})
    assert filename_slug(page, default) is None  # Hugo's default chains have no :filename
    ((_, raw),) = hugo_sites(
        lower_keys({"frontmatter": {"publishDate": [":filename", ":default"]}})
    )
    assert raw["dates"]["sources"] == ["filename", "front-matter", "first-seen"]


def test_an_untitled_page_is_where_hugo_puts_it(tmp_path, monkeypatch):
    (tmp_path / "hugo.toml").write_text(
        'baseURL = "https://e.org/"\ntitle = "T"\n[permalinks]\npost = "/p/:slug/"\n'
    )
    (tmp_path / "content" / "post").mkdir(parents=True)
    (tmp_path / "content" / "post" / "Some Name.md").write_text("Text without front matter.\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--now", NOW])
    assert result.exit_code == 0, result.output
    # hugo 0.168: ":slug" of a page without slug or title is empty, so /p/; the feed
    # needs a title, which the file's name gives.
    assert [(link, title) for link, _, title in _items(tmp_path / "public" / "rss.xml")] == [
        ("https://e.org/p/", "Some Name")
    ]


def test_an_automatic_summary_cut_inside_a_blockquote_is_well_formed() -> None:
    # Seen on a public Korean Hugo blog: the paragraph that reaches summaryLength ends
    # inside a <blockquote>, and the W3C validator flagged the cut summary as invalid HTML.
    from dataclasses import replace

    from html5lib import HTMLParser

    from feedkit.hugo import auto_summary
    from feedkit.render import render_item

    from .test_generate import make_post

    words = " ".join(["낱말"] * 80)
    body = f"> {words}\n>\n> 둘째 문단\n\n셋째 문단\n"
    post = make_post(1)
    post = replace(post, source=replace(post.source, body=body))
    item = render_item(post, summary=lambda html: auto_summary(html, 70))
    assert "둘째" not in item.summary_html  # cut after the first paragraph
    assert item.summary_html.count("<blockquote>") == item.summary_html.count("</blockquote>")
    HTMLParser(strict=True).parseFragment(item.summary_html)  # raises on an open element
