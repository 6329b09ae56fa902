"""Tests of scripts/gen_corpus.py (the synthetic site) and scripts/bench.py --smoke."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import dateutil.parser
import feedparser
import pytest
import yaml

from feedkit.diagnostics import Diagnostics, Level
from feedkit.pipeline import build
from feedkit.settings import load_settings

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
KST = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 1, 1, tzinfo=KST)
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
    for floor in ("python_s", "import_click_s", "import_render_s", "import_build_s", "libraries_s"):
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
    # The target rows (#25): each size gives its five, each with a floor measured in this
    # run where the row has one; no target is defined at 200 posts.
    targets = data["targets"]
    assert [t["row"] for t in targets] == [
        "first build (s)",
        "first build ÷ Hugo's (×)",
        "peak memory, all processes (MiB PSS)",
        "no change (s)",
        "one edited post (s)",
    ]
    assert {t["status"] for t in targets} == {"n/a"}
    assert "| target row | N | measured | floor |" in done.stdout
    first, _, memory, unchanged, edited = targets
    write = row["feedkit"]["write_floor"]
    assert write["files"] >= row["feedkit"]["report"]["feeds"]  # one file per feed at least
    assert write["bytes"] > 0 and write["write_s"] > 0
    assert first["floor"] == pytest.approx(floors["libraries_per_core_s"] + write["write_s"])
    # feedkit does the libraries' work and writes the same bytes the same way, and more.
    assert 0 < first["floor"] < first["measured"] == row["feedkit"]["cold"]["median_s"]
    assert 0 < unchanged["floor"] == floors["import_cli_s"] + floors["stat_s"]
    assert 0 < edited["floor"] == floors["import_render_s"]
    assert f"feedkit modules such a build loads {floors['import_build_s']:.3f} s" in edited["note"]
    # The peak of the sampled cold build: main process plus its workers (2 cores: 1 + 2).
    sampled = row["feedkit"]["memory"]
    assert sampled["ok"] and sampled["samples"] > 0
    if sampled["peak_pss_mib"] is not None:
        assert memory["measured"] == sampled["peak_pss_mib"] > 0
        assert sampled["peak_rss_mib"] >= sampled["peak_pss_mib"]


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


HAS_SMAPS = Path("/proc/self/smaps_rollup").is_file()

# Three children, each holding 60 MB (touched, so resident) at the same time for a second.
THREE_AT_ONCE = """
import os, time
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        block = bytearray(60 * 2**20)
        for offset in range(0, len(block), 4096):
            block[offset] = 1
        time.sleep(1.0)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
"""


@pytest.mark.skipif(not HAS_SMAPS, reason="needs /proc/PID/smaps_rollup (Linux)")
def test_measure_tree_adds_up_processes_running_together(tmp_path: Path) -> None:
    """The tree's peak is the sum over processes alive together, which the largest single
    process's peak (ru_maxrss, what measure() reports) cannot show."""
    bench = _load("bench")
    command = [sys.executable, "-c", THREE_AT_ONCE]

    tree = bench.measure_tree(command, tmp_path)
    single = bench.measure(command, tmp_path)

    assert tree.returncode == 0 and single.returncode == 0
    assert tree.peak_processes == 4
    assert tree.peak_pss_mib >= 3 * 60
    assert tree.peak_rss_mib >= tree.peak_pss_mib
    assert 60 <= single.peak_mib < 2 * 60


def test_write_floor_rewrites_the_same_bytes_elsewhere(tmp_path: Path) -> None:
    bench = _load("bench")
    output = tmp_path / "public"
    (output / "feeds").mkdir(parents=True)
    (output / "feed.xml").write_bytes(b"<rss/>" * 100)
    (output / "feeds" / "a.json").write_bytes(b"{}")
    before = _snapshot(output)
    scratch = tmp_path / "scratch"

    figures = bench.measure_write_floor(output, scratch, 2)

    assert figures["files"] == 2 and figures["bytes"] == 602
    assert figures["write_s"] > 0
    assert not scratch.exists()
    assert _snapshot(output) == before


def _figures(seconds: float, *, ok: bool = True) -> dict[str, object]:
    return {"ok": ok, "median_s": seconds}


def test_target_rows_judge_each_row_against_its_floor() -> None:
    bench = _load("bench")
    floors = {
        "libraries_s": 4.0,
        "cores": 2,
        "libraries_per_core_s": 2.0,
        "stat_s": 0.01,
        "import_cli_s": 0.04,
        "import_render_s": 0.1,
    }
    result = {
        "posts": 10_000,
        "floors": floors,
        "feedkit": {
            "cold": _figures(3.0),  # floor 2.0 + 0.5 = 2.5; 1.25 × 2.5 = 3.125
            "no-change": _figures(0.11),  # limit 0.04 + 0.01 + 0.05 = 0.10
            "edit-one": _figures(0.2),  # limit 0.1 + 0.15 = 0.25
            "write_floor": {"write_s": 0.5, "bytes": 2**20, "files": 10},
            "memory": {"peak_pss_mib": 250.0, "peak_rss_mib": 400.0, "peak_processes": 3},
        },
        "hugo": {"cold": _figures(2.0), "memory": {"ok": True, "peak_pss_mib": 300.0}},
    }
    jekyll = {"posts": 7500, "jekyll": _figures(50.0), "feedkit": _figures(2.5)}

    rows = {row["row"]: row for row in bench.target_rows([result], jekyll)}

    first = rows["first build (s)"]
    assert (first["floor"], first["target"], first["status"]) == (2.5, 3.125, "pass")
    hugo = rows["first build ÷ Hugo's (×)"]
    assert (hugo["measured"], hugo["floor"], hugo["status"]) == (1.5, 1.25, "pass")
    memory = rows["peak memory, all processes (MiB PSS)"]
    assert (memory["measured"], memory["target"], memory["status"]) == (250.0, 200.0, "miss")
    assert "Hugo 300 MiB" in memory["note"]
    result["hugo"]["memory"] = {"ok": False, "peak_pss_mib": 6000.0}  # e.g. killed
    again = {row["row"]: row for row in bench.target_rows([result], None)}
    assert "Hugo failed, after reaching 6000 MiB" in again[memory["row"]]["note"]
    unchanged = rows["no change (s)"]
    assert unchanged["floor"] == pytest.approx(0.05) and unchanged["status"] == "miss"
    assert rows["one edited post (s)"]["status"] == "pass"
    speedup = rows["Jekyll's first build ÷ feedkit's (×)"]
    assert (speedup["measured"], speedup["status"]) == (20.0, "miss")

    # At 100,000 posts only the first-build, Hugo and memory rows have targets; a failed
    # build has no measured value and is not judged.
    result["posts"] = 100_000
    result["feedkit"]["cold"] = _figures(3.0, ok=False)
    rows = {row["row"]: row for row in bench.target_rows([result], None)}
    assert rows["first build (s)"]["status"] == "n/a"
    assert rows["first build ÷ Hugo's (×)"]["measured"] is None
    assert rows["peak memory, all processes (MiB PSS)"]["status"] == "pass"  # ≤ 600
    assert rows["no change (s)"]["target"] is None


def test_seed_kind_posts_are_korean_html(gen_corpus: ModuleType, tmp_path: Path) -> None:
    gen_corpus.generate_site(tmp_path, POSTS, jekyll=True, korean_share=1.0, markdown_share=0.0)
    for path in _posts(tmp_path / "_posts"):
        title = yaml.safe_load(_front_matter(path))["title"]
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
        assert re.search(r"[가-힣]", title), title
        assert body.lstrip().startswith("<"), path.name
    with pytest.raises(ValueError, match="korean_share"):
        gen_corpus.generate_site(tmp_path / "x", 1, korean_share=1.5)


@pytest.mark.skipif(_load("bench").find_hugo() is None, reason="hugo is not installed")
def test_hugo_whole_site_lists_every_post_in_its_feeds(
    gen_corpus: ModuleType, tmp_path: Path
) -> None:
    """The Hugo site bench.py compares with: every post, dated as feedkit dates it, in
    the site feed with its whole content, and a feed for every category and tag."""
    bench = _load("bench")
    gen_corpus.generate_site(tmp_path / "site", POSTS)
    hugo = bench.find_hugo()
    failures: list[str] = []

    figures = bench.bench_hugo(hugo, tmp_path / "site", tmp_path, 1, failures)

    assert failures == []
    assert figures["rss_items"] == POSTS
    assert figures["memory"]["ok"] and figures["files_written"] > 4
    hugo_dir = tmp_path / "site-hugo"
    subprocess.run([hugo, "--quiet"], cwd=hugo_dir, check=True)
    site_feed = feedparser.parse((hugo_dir / "public" / "index.xml").read_bytes())
    assert not site_feed.bozo and len(site_feed.entries) == POSTS
    by_link = {entry.link.rstrip("/").rsplit("/", 1)[1]: entry for entry in site_feed.entries}
    dated = 0
    for path in _posts(tmp_path / "site" / "content"):
        # Hugo's :filename date takes the date off the page's slug.
        entry = by_link.get(path.stem) or by_link[path.stem[11:]]
        assert "<p" in entry.summary  # the whole content, not Hugo's plain-text summary
        value = yaml.safe_load(_front_matter(path)).get("date")
        if isinstance(value, str):  # the forms Hugo reads differently, or not at all
            written = dateutil.parser.parse(value, default=datetime(2000, 1, 1, tzinfo=KST))
            hugo_date = dateutil.parser.parse(entry.published)
            assert hugo_date == written, (path.name, value, entry.published)
            dated += 1
    assert dated > 0
    categories = [p for p in (hugo_dir / "public" / "categories").rglob("index.xml")]
    assert len(categories) > 2


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("jekyll") is None, reason="jekyll is not installed")
def test_bench_jekyll_builds_the_same_site_with_both(tmp_path: Path) -> None:
    bench = _load("bench")
    failures: list[str] = []

    figures = bench.bench_jekyll(shutil.which("jekyll"), tmp_path, 20, 1, 1, failures)

    assert failures == []
    assert figures["jekyll"]["ok"] and figures["feedkit"]["ok"]
    assert figures["jekyll"]["median_s"] > 0 and figures["feedkit"]["median_s"] > 0
    site = tmp_path / "jekyll-v1-n20-s1"
    assert "jekyll-feed" in (site / "_config.yml").read_text(encoding="utf-8")
    assert not (site / "_site").exists()  # each build started clean and left none
