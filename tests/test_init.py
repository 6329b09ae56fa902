"""feedkit init: the commented feedkit.toml lists every key and loads back, with
load_settings, to exactly the values it was given (from flags or a Jekyll _config.yml)."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from feedkit.errors import ConfigError
from feedkit.init import init_config, render_config, write_config
from feedkit.settings import _SECTIONS, Settings, load_settings

FLAGS: dict[str, dict[str, Any]] = {
    "site": {
        "url": "https://example.com/",
        "title": 'A "quoted" \\ 제목\twith\ttabs',
        "language": "ko",
        "timezone": "Asia/Seoul",
        "author": None,
    },
    "content": {"dir": "posts"},
    "feeds": {"output": "_site", "limit": 7, "utc": True, "formats": ["atom", "json"]},
}
JEKYLL: dict[str, Any] = {
    "title": '블로그 "Jekyll"',
    "url": "https://blog.example.org",
    "baseurl": "/blog",
    "description": "Line one\nline two",
    "author": {
        "name": "홍길동",
        "email": "hong@example.org",
        "url": "https://hong.example",
        "x": 1,
    },
    "timezone": "Asia/Seoul",
    "lang": "ko-KR",
    "permalink": "/:categories/:title/",
    "future": True,
    "show_drafts": False,
    "encoding": "utf-8",
    "plugins": ["jekyll-feed"],
}
KEY_LINE = re.compile(r"^# (\w+) = ", re.MULTILINE)


def comparable(settings: Settings) -> dict[str, Any]:
    """Every configured value, without where it was read from."""
    return {name: dataclasses.asdict(getattr(settings, name)) for name in _SECTIONS}


def load_text(folder: Path, text: str) -> Settings:
    path = folder / "feedkit.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


def test_given_values_load_back_to_the_same_settings(tmp_path):
    text = render_config(FLAGS, jekyll_config=None)
    expected = load_settings(None, FLAGS, base_dir=tmp_path)
    assert comparable(load_text(tmp_path, text)) == comparable(expected)
    assert tomllib.loads(text)["site"]["title"] == FLAGS["site"]["title"]
    assert "author" not in tomllib.loads(text)["site"]


def test_every_section_and_key_is_listed_under_its_documentation():
    text = render_config({}, jekyll_config=None)
    assert set(tomllib.loads(text)) == set(_SECTIONS)
    lines = text.splitlines()
    for section, cls in _SECTIONS.items():
        start = lines.index(f"[{section}]")
        following = lines[start + 1 :]
        end = next((i for i, line in enumerate(following) if line.startswith("[")), None)
        body = following[:end]
        for declared in dataclasses.fields(cls):
            (at,) = [i for i, line in enumerate(body) if line.startswith(f"# {declared.name} = ")]
            assert body[at - 1].startswith(f"# {declared.metadata['doc']}")


def test_uncommented_defaults_are_the_defaults(tmp_path):
    text = render_config({}, jekyll_config=None)
    uncommented = KEY_LINE.sub(r"\1 = ", text)
    assert uncommented.count("\n# url = ") == 0
    settings = load_text(tmp_path, uncommented)
    examples = tomllib.loads(uncommented)["site"]
    expected = load_settings(
        None,
        {"site": {"url": examples["url"], "author": examples["author"]}},
        base_dir=tmp_path,
    )
    assert comparable(settings) == comparable(expected)
    # With nothing uncommented, the file is the defaults and has no site URL yet.
    assert comparable(load_text(tmp_path, text)) == comparable(
        load_settings(None, {}, base_dir=tmp_path)
    )


@pytest.mark.parametrize("author", [JEKYLL["author"], "홍길동", None])
def test_jekyll_config_gives_what_feedkit_build_would_read(tmp_path, author):
    jekyll = {**JEKYLL, "author": author}
    config_yml = tmp_path / "_config.yml"
    config_yml.write_text(yaml.safe_dump(jekyll, allow_unicode=True), encoding="utf-8")
    from_jekyll = load_settings(config_yml)
    text = render_config({}, jekyll_config=from_jekyll.jekyll)
    from_toml = load_text(tmp_path, text)
    assert comparable(from_toml) == comparable(from_jekyll)
    assert from_toml.jekyll == from_jekyll.jekyll
    assert from_toml.content.dir == tmp_path.resolve()
    assert from_toml.feeds.output == (tmp_path / "_site").resolve()


def test_flags_win_over_the_jekyll_config(tmp_path):
    text = render_config({"site": {"title": "Flag title", "url": None}}, jekyll_config=JEKYLL)
    settings = load_text(tmp_path, text)
    assert settings.site.title == "Flag title"
    assert settings.site.url == "https://blog.example.org"


@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_any_text_round_trips(text):
    document = tomllib.loads(render_config({"site": {"title": text}}, jekyll_config=None))
    assert document["site"]["title"] == text


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"site": {"colour": "red"}}, "site.colour: unknown key"),
        ({"sites": {}}, "[sites]: unknown section"),
        ({"site": {"title": {"nested": 1}}}, "site.title: cannot be written as TOML"),
        ({"site": {"author": ["a", "b"]}}, "site.author: expected a name"),
    ],
)
def test_values_no_key_can_hold_are_errors(values, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        render_config(values, jekyll_config=None)


def test_write_config_never_replaces_a_file_without_force(tmp_path):
    target = tmp_path / "feedkit.toml"
    write_config(target, "a = 1\n", force=False)
    with pytest.raises(ConfigError) as caught:
        write_config(target, "a = 2\n", force=False)
    assert str(target) in caught.value.message and "--force" in caught.value.message
    assert target.read_text("utf-8") == "a = 1\n"
    write_config(target, "a = 3\n", force=True)
    assert target.read_text("utf-8") == "a = 3\n"


def test_init_config_reads_the_jekyll_site_beside_it(tmp_path):
    (tmp_path / "_config.yml").write_text(
        yaml.safe_dump(JEKYLL, allow_unicode=True), encoding="utf-8"
    )
    path = init_config(tmp_path, {"site": {"language": "en"}})
    assert path == tmp_path / "feedkit.toml"
    settings = load_settings(path)
    assert (settings.site.url, settings.site.language) == ("https://blog.example.org", "en")
    assert settings.site.author is not None and settings.site.author.uri == "https://hong.example"
    with pytest.raises(ConfigError, match="already exists"):
        init_config(tmp_path, {})
    init_config(tmp_path, {}, force=True)
    assert load_settings(path).site.language == "ko-KR"


def test_init_config_checks_values_before_writing(tmp_path):
    with pytest.raises(ConfigError) as caught:
        init_config(tmp_path, {"site": {"url": "example.org", "timezone": "Mars/Olympus"}})
    assert "site.url" in caught.value.message and "'example.org'" in caught.value.message
    assert "site.timezone" in caught.value.message
    assert not (tmp_path / "feedkit.toml").exists()
