"""Where Jekyll is installed: it builds our fixture site with jekyll-feed, and the post
URLs in its feed are the permalinks feedkit gives the same posts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from feedkit.diagnostics import Diagnostics
from feedkit.pipeline import build
from feedkit.settings import find_config, load_settings

from .conftest import REPO_ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("jekyll") is None,
        reason="Jekyll is not installed (Debian: apt-get install jekyll ruby-jekyll-feed)",
    ),
]
FIXTURE = REPO_ROOT / "tests" / "data" / "jekyll-site"
# Jekyll cannot read these two (it is what feedkit recovers): a title YAML rejects, and
# a UTF-16 file; they are left out of the comparison.
UNREADABLE_BY_JEKYLL = ("_posts/2024-06-18-putin-visit.md", "_posts/2024-10-09-hangul-day.md")


def test_jekyll_feed_urls_match_feedkit_permalinks(tmp_path: Path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site)
    for path in UNREADABLE_BY_JEKYLL:
        (site / path).unlink()
    with (site / "_config.yml").open("a", encoding="utf-8") as config:
        config.write("plugins: [jekyll-feed]\n")
    completed = subprocess.run(
        ["jekyll", "build", "--quiet"], cwd=site, capture_output=True, text=True, timeout=180
    )
    if completed.returncode != 0 or not (site / "_site" / "feed.xml").is_file():
        pytest.skip(f"jekyll build failed (jekyll-feed missing?): {completed.stderr[-300:]}")
    feed = (site / "_site" / "feed.xml").read_text("utf-8")
    jekyll_urls = set(
        re.findall(r'<entry>.*?<link href="([^"]+)" rel="alternate"', feed, flags=re.DOTALL)
    )
    shutil.rmtree(site / "_site")

    settings = load_settings(find_config(site))
    build(
        settings, now=datetime(2025, 1, 1, tzinfo=ZoneInfo("Asia/Seoul")), diagnostics=Diagnostics()
    )
    items = json.loads((site / "_site" / "feed.json").read_text("utf-8"))["items"]
    # jekyll-feed lists posts only; feedkit also publishes the output collection.
    feedkit_urls = {item["url"] for item in items if "/recipes/" not in item["url"]}
    assert jekyll_urls == feedkit_urls
    assert len(feedkit_urls) == 4
