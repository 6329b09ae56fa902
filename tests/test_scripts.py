"""Tests of scripts/gen_corpus.py (the synthetic site) and scripts/bench.py --smoke."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import feedparser
import pytest
import yaml

from feedkit.diagnostics import Diagnostics, Level
from feedkit.pipeline import build
from feedkit.settings import load_settings

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
NOW = datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Seoul"))
POSTS = 30
DATED_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-[a-z0-9-]+\.md$")
HASHED_NAME = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first, as an import would: dataclasses look their module up.
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen_corpus() -> ModuleType:
    """The generator script, loaded by path (scripts/ is not a package)."""
    return _load("gen_corpus")


def _posts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".md", ".txt") and p.is_file())


def _front_matter(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return text[4 : text.index("\n---\n", 4)]


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_files(gen_corpus: ModuleType, tmp_path: Path) -> None:
    gen_corpus.generate_site(tmp_path / "a", POSTS, seed=7, bracket_titles=0.2)
    gen_corpus.generate_site(tmp_path / "b", POSTS, seed=7, bracket_titles=0.2)
    gen_corpus.generate_site(tmp_path / "c", POSTS, seed=8, bracket_titles=0.2)
    first = _snapshot(tmp_path / "a")
    assert first == _snapshot(tmp_path / "b")
    assert first != _snapshot(tmp_path / "c")


def test_site_is_shaped_like_the_bundled_content(gen_corpus: ModuleType, tmp_path: Path) -> None:
    gen_corpus.generate_site(tmp_path, POSTS)
    assert (tmp_path / "feedkit.toml").is_file()
    posts = _posts(tmp_path / "content")
    assert len(posts) == POSTS
    dated = [p for p in posts if DATED_NAME.match(p.name)]
    hashed = [p for p in posts if HASHED_NAME.match(p.name)]
    assert len(dated) + len(hashed) == POSTS
    assert POSTS * 0.3 <= len(dated) <= POSTS * 0.7

    metadata = [yaml.safe_load(_front_matter(p)) for p in posts]
    with_date = [m for m in metadata if "date" in m]
    assert POSTS * 0.3 <= len(with_date) <= POSTS * 0.7
    for meta in metadata:
        assert isinstance(meta["title"], str) and meta["title"]
        assert 1 <= len(meta["categories"]) <= 2
        assert meta["tags"] and meta["excerpt"] and meta["image"]

    texts = [p.read_text(encoding="utf-8") for p in posts]
    hangul = sum(bool(re.search("[가-힣]", m["title"])) for m in metadata)
    assert POSTS * 0.4 <= hangul <= POSTS * 0.9
    assert any("<th" in t and "<b>날짜</b>" in t for t in texts)
    assert any("| 날짜 | 내용 |" in t or "| Date | Event |" in t for t in texts)
    assert any(re.search(r">\d+-\d+일<|>\d{4}년 \d+월<|>\d+월 \d+일~\d+일<", t) for t in texts)
    sizes = [p.stat().st_size for p in posts]
    assert 3500 <= sum(sizes) / len(sizes) <= 6500


def test_jekyll_layout_has_no_date_keys(gen_corpus: ModuleType, tmp_path: Path) -> None:
    gen_corpus.generate_site(tmp_path, POSTS, jekyll=True)
    assert (tmp_path / "_config.yml").is_file()
    assert not (tmp_path / "feedkit.toml").exists()
    config = yaml.safe_load((tmp_path / "_config.yml").read_text(encoding="utf-8"))
    assert config["timezone"] == "Asia/Seoul" and config["lang"] == "ko"
    posts = _posts(tmp_path / "_posts")
    assert len(posts) == POSTS
    assert all(DATED_NAME.match(p.name) for p in posts)
    assert all("date" not in yaml.safe_load(_front_matter(p)) for p in posts)


def test_bracket_titles_are_invalid_yaml(gen_corpus: ModuleType, tmp_path: Path) -> None:
    gen_corpus.generate_site(tmp_path, POSTS, bracket_titles=0.5)
    posts = _posts(tmp_path / "content")
    bracketed = [p for p in posts if re.search(r"^title: \[", _front_matter(p), re.M)]
    assert len(bracketed) == POSTS // 2
    for path in bracketed:
        with pytest.raises(yaml.YAMLError):
            yaml.safe_load(_front_matter(path))


@pytest.mark.parametrize("jekyll", [False, True], ids=["feedkit", "jekyll"])
def test_feedkit_publishes_every_generated_post(
    gen_corpus: ModuleType, tmp_path: Path, jekyll: bool
) -> None:
    gen_corpus.generate_site(tmp_path, POSTS, jekyll=jekyll, bracket_titles=0.2)
    config = tmp_path / ("_config.yml" if jekyll else "feedkit.toml")
    diagnostics = Diagnostics()
    result = build(load_settings(config), now=NOW, diagnostics=diagnostics)
    assert diagnostics.at_least(Level.ERROR) == []
    assert result.posts_read == POSTS
    assert result.posts_skipped == 0
    assert result.posts_published == POSTS
    recovered = [d for d in diagnostics if d.code == "front-matter-recovered"]
    assert len(recovered) == round(POSTS * 0.2)


def test_bench_smoke_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "bench.py"), "--smoke", "--hugo-set", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| N | scenario |" in done.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) >= {"machine", "settings", "results", "failures"}
    assert data["failures"] == []
    assert {"nproc", "cpu", "python", "feedkit", "hugo"} <= set(data["machine"])
    (row,) = data["results"]
    assert row["posts"] == 200
    floors = row["floors"]
    assert {"stat_s", "read_s", "read_yaml_s", "libyaml"} <= set(floors)
    for floor in ("python_s", "import_click_s", "import_render_s", "libraries_s"):
        assert floors[floor] > 0
    assert floors["libraries_per_core_s"] == floors["libraries_s"] / floors["cores"]
    assert "| libraries, one core s |" in done.stdout
    for scenario in ("cold", "no-change", "edit-one", "new-post"):
        figures = row["feedkit"][scenario]
        assert figures["returncodes"] == [0]
        assert figures["median_s"] > 0 and figures["peak_mib"] > 0
    assert row["feedkit"]["report"]["posts_published"] == 200
    # --hugo-set: the same posts, with feedkit writing only the site feed, as Hugo does.
    hugo_set = row["feedkit_hugo_set"]
    for scenario in ("cold", "no-change", "edit-one", "new-post"):
        assert hugo_set[scenario]["returncodes"] == [0]
    assert hugo_set["report"]["posts_published"] == 200
    assert hugo_set["report"]["feeds"] == 1 < row["feedkit"]["report"]["feeds"]
    assert "cold (Hugo's output set)" in done.stdout


def test_floor_documents_render_sanitize_and_serialize_every_post(tmp_path: Path) -> None:
    """The libraries floor does the work it stands for: every post is parsed, rendered,
    sanitized and serialized once in each format."""
    bench = _load("bench")
    posts = []
    for number in range(21):  # two documents of each format: 20 posts, then 1
        path = tmp_path / f"post-{number:02d}.md"
        path.write_text(
            f"---\ntitle: 제목 {number}\n---\n**bold {number}** <script>alert(1)</script>\n",
            encoding="utf-8",
        )
        posts.append(path)
    page = tmp_path / "page.html"
    page.write_text("<p onclick='x()'>as it is</p>", encoding="utf-8")
    posts.append(page)

    documents = list(bench.floor_documents(posts))

    assert len(documents) == 6
    assert bench.libraries_pass(posts) == sum(len(document) for document in documents)
    found: dict[str, dict[str, str]] = {"rss": {}, "atom": {}, "json": {}}
    for kind, document in zip(["rss", "atom", "json"] * 2, documents, strict=True):
        if kind == "json":
            for item in json.loads(document)["items"]:
                found[kind][item["title"]] = item["content_html"]
            continue
        parsed = feedparser.parse(document)
        assert parsed.version.startswith(kind) and not parsed.bozo, parsed.version
        for entry in parsed.entries:
            # feedgen writes the content of an RSS item without a summary as its description.
            found[kind][entry.title] = entry.content[0].value if kind == "atom" else entry.summary
    expected = {f"제목 {number}": f"<strong>bold {number}</strong>" for number in range(21)}
    for kind, contents in found.items():
        assert list(contents) == [*expected, "page"], kind
        for title, bold in expected.items():
            assert bold in contents[title] and "<script" not in contents[title]
        assert contents["page"] == "<p>as it is</p>"  # HTML kept, its handler dropped
