"""A Jekyll site of our own (tests/data/jekyll-site) read as Jekyll reads it.

Expected URLs follow Jekyll's documentation: the "pretty" style is
/:categories/:year/:month/:day/:title/, categories come from the front matter and the
folders above _posts, and baseurl sits between the site URL and the path.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest

from feedkit.diagnostics import Diagnostics
from feedkit.pipeline import build
from feedkit.settings import find_config, load_settings

from .conftest import REPO_ROOT

FIXTURE = REPO_ROOT / "tests" / "data" / "jekyll-site"
NOW = datetime(2025, 1, 1, tzinfo=ZoneInfo("Asia/Seoul"))
ROOT = "https://news.example/ko"
EXPECTED_URLS = {
    "[속보] 푸틴 24년 만에 방북": f"{ROOT}/%EA%B5%AD%EC%A0%9C/2024/06/18/putin-visit/",
    "서울 폭우 특보": f"{ROOT}/2024/07/01/"
    "%EC%84%9C%EC%9A%B8-%ED%8F%AD%EC%9A%B0-%ED%8A%B9%EB%B3%B4/",
    "광복절 기념식 열려": f"{ROOT}/news/2024/08/15/liberation-day/",
    "한글날 행사": f"{ROOT}/2024/10/09/hangul-day/",
    "주간 브리핑: 10월 둘째 주": f"{ROOT}/2024/10/11/weekly/",
    "텍스트 확장자 글": f"{ROOT}/2024/11/01/plain-text-note/",  # markdown_ext has "text"
    "김치찌개 만드는 법": f"{ROOT}/recipes/kimchi-stew/",  # a collection with output: true
}


@pytest.fixture
def jekyll_site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture
def built(jekyll_site: Path):
    settings = load_settings(find_config(jekyll_site))
    diagnostics = Diagnostics()
    result = build(settings, now=NOW, diagnostics=diagnostics)
    return jekyll_site / "_site", result, diagnostics


def entries(out: Path) -> dict[str, dict]:
    document = json.loads((out / "feed.json").read_text("utf-8"))
    return {item["title"]: item for item in document["items"]}


def test_config_yml_is_read(built):
    out, _, _ = built
    document = json.loads((out / "feed.json").read_text("utf-8"))
    assert document["title"] == "한국 뉴스 아카이브"
    assert document["home_page_url"] == f"{ROOT}/"
    assert document["feed_url"] == f"{ROOT}/feed.json"
    assert document["language"] == "ko"
    assert document["authors"] == [{"name": "편집국"}]


def test_posts_and_their_permalinks_are_jekylls(built):
    out, result, _ = built
    found = entries(out)
    assert {title: item["url"] for title, item in found.items()} == EXPECTED_URLS
    assert result.drafts == 2  # _drafts/idea.md and published: false


def test_bracketed_title_is_recovered_with_a_warning(built):
    _, _, diagnostics = built
    (recovered,) = [d for d in diagnostics if d.code == "front-matter-recovered"]
    assert recovered.path == "_posts/2024-06-18-putin-visit.md" and recovered.line == 2


def test_excerpt_separator_and_last_modified_at(built):
    out, _, _ = built
    putin = entries(out)["[속보] 푸틴 24년 만에 방북"]
    assert putin["summary"] == "푸틴 대통령이 평양에 도착했다."
    assert putin["date_modified"] == "2024-06-19T08:00:00+09:00"
    assert putin["date_published"] == "2024-06-18T00:00:00+09:00"


def test_defaults_are_merged_under_front_matter(built):
    out, _, _ = built
    found = entries(out)
    assert found["서울 폭우 특보"]["image"] == f"{ROOT}/assets/img/default.jpg"
    assert found["광복절 기념식 열려"]["image"] == f"{ROOT}/assets/img/own.jpg"
    assert found["광복절 기념식 열려"]["tags"] == ["news", "breaking"]


def test_folder_categories_get_their_feed(built):
    out, _, _ = built
    parsed = feedparser.parse((out / "categories" / "news" / "atom.xml").read_bytes())
    assert [entry.title for entry in parsed.entries] == ["광복절 기념식 열려"]
    assert (out / "categories" / "국제" / "rss.xml").is_file()


def test_excluded_folders_and_collections_without_output_are_not_published(built):
    out, _, diagnostics = built
    titles = set(entries(out))
    assert "오래된 글" not in titles and "김 기자" not in titles
    assert ("info", "old") in {(d.level, d.path) for d in diagnostics}


def test_non_posts_are_ignored_without_noise(built):
    _, _, diagnostics = built
    noisy = {d.path for d in diagnostics if d.level != "info"}
    # Only the recovered title, and an image that is not in the fixture (issue 22).
    assert noisy == {
        "_posts/2024-06-18-putin-visit.md",
        "news/_posts/2024-08-15-liberation-day.markdown",
    }
    [image] = [d for d in diagnostics if d.code == "image-missing"]
    assert image.path.endswith("liberation-day.markdown") and image.line == 3
    assert not any(".DS_Store" in (d.path or "") or "~" in (d.path or "") for d in diagnostics)
