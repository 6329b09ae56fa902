"""Settings: feedkit.toml, the Jekyll _config.yml fallback, overrides and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedkit.errors import ConfigError
from feedkit.models import Author
from feedkit.settings import find_config, load_settings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_config_file(tmp_path):
    settings = load_settings(None, base_dir=tmp_path)
    assert settings.content.dir == tmp_path / "content"
    assert settings.feeds.output == tmp_path / "public"
    assert settings.feeds.limit == 20 and settings.feeds.formats == ("rss", "atom", "json")
    assert settings.site.timezone == "UTC"


def test_toml_values_are_normalised(tmp_path):
    config = write(
        tmp_path / "feedkit.toml",
        """
        [site]
        url = "https://example.com/"
        baseurl = "blog/"
        author = { name = "Kim", email = "kim@example.com" }
        timezone = "Asia/Seoul"
        [content]
        dir = "posts"
        [feeds]
        limit = 5
        formats = ["atom", "json"]
        """.replace("        ", ""),
    )
    settings = load_settings(config)
    assert settings.site.url == "https://example.com"
    assert settings.site.baseurl == "/blog"
    assert settings.site.root_url == "https://example.com/blog/"
    assert settings.site.author == Author("Kim", "kim@example.com")
    assert settings.content.dir == tmp_path / "posts"
    assert settings.feeds.limit == 5 and settings.feeds.formats == ("atom", "json")


def test_every_problem_is_reported_at_once(tmp_path):
    config = write(
        tmp_path / "feedkit.toml",
        '[site]\nurl = "example.org"\ntimezone = "Mars/Olympus"\ntitel = "x"\n'
        '[feeds]\nlimit = "20"\nformats = ["rss", "gopher"]\n[extra]\nx = 1\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value.message)
    assert "site.url: expected an absolute http(s) URL, got 'example.org'" in message
    assert "site.timezone: expected an IANA time zone" in message
    assert "site.titel: unknown key (did you mean 'title'?)" in message
    assert "feeds.limit: expected a whole number of at least 1, got '20'" in message
    assert "feeds.formats: expected a non-empty list of rss, atom, json" in message
    assert "[extra]: unknown section" in message
    assert caught.value.exit_code == 2


def test_invalid_toml_names_the_file(tmp_path):
    config = write(tmp_path / "feedkit.toml", "[site\n")
    with pytest.raises(ConfigError, match=r"feedkit.toml: not valid TOML"):
        load_settings(config)


def test_overrides_win_over_the_file(tmp_path):
    config = write(tmp_path / "feedkit.toml", '[site]\nurl = "https://a.example"\n')
    settings = load_settings(config, {"site": {"url": "https://b.example"}, "feeds": {"limit": 3}})
    assert settings.site.url == "https://b.example" and settings.feeds.limit == 3


def test_jekyll_config_is_used_when_there_is_no_feedkit_toml(tmp_path):
    write(
        tmp_path / "_config.yml",
        "title: 내 블로그\nurl: https://blog.example\nbaseurl: /ko\ndescription: 소식\n"
        "author:\n  name: 홍길동\n  email: hong@example.com\ntimezone: Asia/Seoul\nlang: ko\n"
        "permalink: pretty\nfuture: true\nplugins: [jekyll-feed]\n",
    )
    assert find_config(tmp_path) == tmp_path / "_config.yml"
    settings = load_settings(find_config(tmp_path))
    assert settings.site.title == "내 블로그"
    assert settings.site.root_url == "https://blog.example/ko/"
    assert settings.site.author == Author("홍길동", "hong@example.com")
    assert settings.site.language == "ko" and settings.site.permalink == "pretty"
    assert settings.content.future is True
    assert settings.content.dir == tmp_path
    assert settings.jekyll["plugins"] == ["jekyll-feed"]


def test_feedkit_toml_wins_over_jekyll_config(tmp_path):
    write(tmp_path / "_config.yml", "title: Jekyll\n")
    write(tmp_path / "feedkit.toml", '[site]\ntitle = "feedkit"\n')
    assert find_config(tmp_path) == tmp_path / "feedkit.toml"
    settings = load_settings(find_config(tmp_path))
    assert settings.site.title == "feedkit"
    assert settings.jekyll["title"] == "Jekyll"
