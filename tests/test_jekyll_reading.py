"""Jekyll's reading rules (issue 23), without Jekyll: the reading-rules fixture site built
by feedkit and read back with feedparser; ids compatible with jekyll-feed, and ids in the
ledger kept; a ``_config.yml`` that PyYAML rejects in a key feedkit does not use.

tests/test_jekyll_diff.py proves the same site against Jekyll itself where it is installed.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from feedkit.diagnostics import Diagnostics
from feedkit.errors import ConfigError
from feedkit.pipeline import build
from feedkit.settings import find_config, load_settings

from .conftest import REPO_ROOT

FIXTURE = REPO_ROOT / "tests" / "data" / "jekyll-reading-site"
NOW = datetime(2025, 1, 1, tzinfo=UTC)
ROOT = "https://reading.example/blog/"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Diagnostics]:
    site = tmp_path_factory.mktemp("reading") / "site"
    shutil.copytree(FIXTURE, site)
    diagnostics = Diagnostics()
    settings = load_settings(find_config(site), diagnostics=diagnostics)
    build(settings, now=NOW, diagnostics=diagnostics)
    return site / "_site", diagnostics


@pytest.fixture(scope="module")
def entries(built: tuple[Path, Diagnostics]) -> dict[str, feedparser.FeedParserDict]:
    feed = feedparser.parse((built[0] / "atom.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    return {entry.title: entry for entry in feed.entries}


def test_a_post_without_title_is_titled_from_its_file_name(entries) -> None:
    assert entries["No Title Here"].link == ROOT + "news/2024/03/01/no-title-here/"


def test_a_post_without_front_matter_is_published_as_jekyll_publishes_it(entries) -> None:
    # Jekyll's post reader takes every dated file in _posts/, front matter or not (a
    # post of houbb.github.io, a public blog, was missing from feedkit's feeds).
    post = entries["No Front Matter"]
    assert post.link == ROOT + "news/2024/03/13/no-front-matter/"
    assert post.published == "2024-03-13T00:00:00+09:00"
    assert "Jekyll publishes every dated file" in post.content[0].value


def test_kramdown_attribute_lists_are_not_shown_as_text(entries) -> None:
    content = entries["Kramdown attribute lists"].content[0].value
    assert "the table of contents goes here" not in content
    assert "{:" not in content.replace("<code>{:toc} in code stays", "")
    assert "<code>{:toc} in code stays" in content
    assert 'href="https://example.com/source"' in content
    # The table of contents kramdown makes, the heading marked .no_toc left out (its
    # link is made absolute against the post, as every link in a feed is).
    toc = ROOT + "news/2024/03/14/kramdown-attributes/#first-part"
    assert f'<ul id="markdown-toc"><li><a href="{toc}"' in content
    assert "#second-part" not in content and '<h2 id="second-part">' in content


def test_a_repeated_key_keeps_its_last_value_with_a_warning(entries, built) -> None:
    post = entries["Last title wins"]
    assert [tag.term for tag in post.tags] == ["news"]
    warnings = [d for d in built[1] if d.code == "duplicate-key"]
    assert [(Path(str(d.path)).name, d.line) for d in warnings] == [
        ("2024-03-02-duplicate-keys.md", 4),
        ("2024-03-02-duplicate-keys.md", 5),
    ]


def test_an_unpadded_date_in_the_name_dates_the_post(entries) -> None:
    post = entries["Unpadded date"]
    assert post.published == "2017-02-05T00:00:00+09:00"
    assert post.link == ROOT + "news/2017/02/05/unpadded/"


def test_undated_files_in_posts_are_left_out_and_listed(entries, built) -> None:
    assert not {"Undated", "Undated in a folder"} & set(entries)
    skipped = {str(d.path) for d in built[1] if d.code == "skipped" and "no date" in d.message}
    assert skipped == {"_posts/undated.md", "_posts/notes/undated-in-folder.md"}


def test_markdown_ext_extensions_are_read_as_markdown(entries) -> None:
    assert "<em>Markdown</em>" in entries["An R Markdown post"].content[0].value
    assert "<code>text</code>" in entries["A text post"].content[0].value


def test_a_percent_escape_in_a_permalink_is_not_encoded_again(entries) -> None:
    assert entries["Encoded permalink"].link == ROOT + "news/v1.2/"


def test_a_date_followed_by_junk_keeps_its_time(entries) -> None:
    # Ruby's Time.parse: the time is read, the zone after the year is not (site zone).
    assert entries["A date with junk after the time"].published == "2023-01-29T18:30:22+09:00"


def test_a_relative_image_is_relative_to_the_site_and_lang_is_on_the_entry(built) -> None:
    atom = feedparser.parse((built[0] / "atom.xml").read_bytes())
    post = next(e for e in atom.entries if e.title == "A relative image")
    assert post.media_thumbnail[0]["url"] == ROOT + "img/cover.png"
    # feedparser reports an entry's xml:lang as the language of its text constructs.
    assert post.title_detail.language == "ko"
    rss = feedparser.parse((built[0] / "rss.xml").read_bytes())
    item = next(e for e in rss.entries if e.title == "A relative image")
    assert item.get("language") == "ko"


def test_ids_are_those_jekyll_feed_writes(entries) -> None:
    ids = {title: entry.id for title, entry in entries.items()}
    assert ids["Unpadded date"] == ROOT + "news/2017/02/05/unpadded"
    assert ids["Encoded permalink"] == ROOT + "news/encoded"  # the folder of the URL + slug
    assert ids["A front-matter slug"] == ROOT + "news/2024/03/09/Custom%20Slug"
    assert ids["한글 제목"] == ROOT + "news/2024/03/10/%ED%95%9C%EA%B8%80%20%EC%A0%9C%EB%AA%A9"
    assert ids["Trailing dots"] == ROOT + "news/2024/03/11/dots"
    assert ids["Own id"] == "tag:reading.example,2024:own-id"


def test_site_language_comes_from_locale(built) -> None:
    feed = feedparser.parse((built[0] / "atom.xml").read_bytes())
    assert feed.feed.language == "en-US"


def test_the_unreadable_config_key_is_a_warning_naming_file_and_line(built) -> None:
    (warning,) = [d for d in built[1] if d.code == "config-yaml"]
    assert Path(str(warning.path)).name == "_config.yml"
    assert warning.line == 15
    assert "jekyll-seo" in warning.message


def test_an_unreadable_key_that_feedkit_uses_still_fails(tmp_path: Path) -> None:
    config = tmp_path / "_config.yml"
    config.write_text("title: x\nurl: {{ site.url }}\n", "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.line == 2


def test_ids_already_in_the_ledger_never_change(tmp_path: Path) -> None:
    """A site published by an earlier feedkit (ids = URLs) keeps its ids after the
    upgrade; a post first seen afterwards gets jekyll-feed's id."""
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: t\nurl: https://old.example\n", "utf-8")
    post = "---\ntitle: {0}\ndate: 2024-01-0{1}\n---\nbody {0}\n"
    (site / "_posts" / "2024-01-01-old.md").write_text(post.format("old", 1), "utf-8")
    toml = site / "feedkit.toml"
    toml.write_text(
        '[site]\nurl = "https://old.example"\nids = "url"\n'
        '[content]\ndir = "."\n[feeds]\noutput = "_site"\n'
    )

    def ids() -> dict[str, str]:
        settings = load_settings(find_config(site))
        build(settings, now=NOW, diagnostics=Diagnostics())
        feed = feedparser.parse((site / "_site" / "atom.xml").read_bytes())
        return {entry.title: entry.id for entry in feed.entries}

    assert ids() == {"old": "https://old.example/2024/01/01/old.html"}
    toml.write_text(toml.read_text().replace('ids = "url"', ""))  # ids = "auto"
    (site / "_posts" / "2024-01-02-new.md").write_text(post.format("new", 2), "utf-8")
    assert ids() == {
        "old": "https://old.example/2024/01/01/old.html",
        "new": "https://old.example/2024/01/02/new",
    }


def test_ids_setting_is_checked(tmp_path: Path) -> None:
    config = tmp_path / "feedkit.toml"
    config.write_text('[site]\nids = "guid"\n')
    with pytest.raises(ConfigError, match=r"site\.ids"):
        load_settings(config)


def test_a_config_author_without_a_name_is_ignored_with_a_warning(tmp_path: Path) -> None:
    # Themes ship "author:" as a mapping of social accounts; Jekyll builds such a site.
    config = tmp_path / "_config.yml"
    config.write_text("url: https://a.example\nauthor:\n  twitter: someone\n", "utf-8")
    diagnostics = Diagnostics()
    settings = load_settings(config, diagnostics=diagnostics)
    assert settings.site.author is None
    assert [d.code for d in diagnostics] == ["config-author"]


def test_an_id_drops_the_whitespace_at_the_end_of_a_file_name(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("url: https://a.example\npermalink: pretty\n", "utf-8")
    post = site / "_posts" / "2024-01-02-in app .md"
    post.write_text("---\ntitle: t\n---\nbody\n", "utf-8")
    build(load_settings(find_config(site)), now=NOW, diagnostics=Diagnostics())
    (entry,) = feedparser.parse((site / "_site" / "atom.xml").read_bytes()).entries
    assert entry.id == "https://a.example/2024/01/02/in%20app"


def test_a_guid_in_front_matter_is_the_id_and_survives_a_rename(tmp_path: Path) -> None:
    """Migrating from WordPress: the exported <guid> goes into the front matter."""
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("url: https://a.example\n", "utf-8")
    text = "---\ntitle: t\nguid: https://a.example/?p=12\n---\nbody\n"
    (site / "_posts" / "2024-01-02-first.md").write_text(text, "utf-8")

    def ids() -> list[str]:
        build(load_settings(find_config(site)), now=NOW, diagnostics=Diagnostics())
        feed = feedparser.parse((site / "_site" / "atom.xml").read_bytes())
        return [entry.id for entry in feed.entries]

    assert ids() == ["https://a.example/?p=12"]
    (site / "_posts" / "2024-01-02-first.md").rename(site / "_posts" / "2024-01-02-moved.md")
    assert ids() == ["https://a.example/?p=12"]


def test_a_post_folder_file_skipped_for_its_extension_is_listed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("url: https://a.example\n", "utf-8")
    (site / "_posts" / "2024-01-02-notes.rst").write_text("---\ntitle: t\n---\nx\n", "utf-8")
    (site / "_posts" / "2024-01-03-kept.md").write_text("---\ntitle: k\n---\nx\n", "utf-8")
    diagnostics = Diagnostics()
    build(load_settings(find_config(site)), now=NOW, diagnostics=diagnostics)
    skipped = [(str(d.path), d.message) for d in diagnostics if d.code == "skipped"]
    assert [path for path, _ in skipped] == ["_posts/2024-01-02-notes.rst"]
    assert "'.rst'" in skipped[0][1] and "markdown_ext" in skipped[0][1]
