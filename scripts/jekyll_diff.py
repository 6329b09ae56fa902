"""Build a Jekyll site with Jekyll 4 + jekyll-feed and with feedkit, and compare per post.

Usage::

    python scripts/jekyll_diff.py SITE [--feedkit CMD] [--jekyll CMD] [--json] [--keep DIR]

Jekyll builds a copy of SITE holding only what makes its posts (``_config.yml``, the
``_``-prefixed folders: ``_posts``, ``_drafts``, ``_includes``, ``_data``, collections)
with an extra config file (see :func:`jekyll_overrides`): no theme, no layouts, no
plugin but jekyll-feed, and every post in ``feed.xml``. A post Jekyll cannot render (a
Liquid tag of a plugin that is not installed, an include of a theme that is missing) is
taken out of its copy and the build retried; such posts are listed as ``jekyll-failed``
and not compared. feedkit builds another copy into a temporary folder, with a temporary
state, every post in its feeds.

Posts are matched by id, then by link, then by title and published instant, and each
pair compared on: ``link``, ``id``, ``published`` and ``updated`` (as instants),
``title`` (after the typographic changes jekyll-feed's ``smartify`` makes), ``categories``
(jekyll-feed writes categories and tags as Atom categories; so does feedkit), ``image``
(``media:thumbnail``), ``lang`` (the entry's ``xml:lang``) and the content as text (HTML
to text, whitespace folded, Rouge's line-number gutter left out). Content differences are
split into ``content-liquid`` (feedkit's text still holds ``{{``/``{%``: Liquid, not rendered),
``content-typography`` (the texts agree once kramdown's smart quotes, dashes, ellipses
and guillemets are undone), ``content-markdown`` (they agree once Markdown's punctuation
``* _ ` ~ #`` is ignored too) and ``content`` (anything else). ``missing`` is a post in
Jekyll's feed and not in feedkit's; ``extra`` the other way round.

The comparison is importable (:func:`compare_site`, :func:`compare_feeds`); the tests
run it on the fixture sites.
"""

from __future__ import annotations

import argparse
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
KINDS = (
    "missing",
    "extra",
    "link",
    "id",
    "published",
    "updated",
    "title",
    "categories",
    "image",
    "lang",
    "content",
    "content-liquid",
    "content-typography",
    "content-markdown",
)
# Folders a copy for Jekyll leaves out: output, plugins we cannot vouch for, layouts and
# styles (jekyll-feed's content is the post without its layout).
_SKIPPED_FOLDERS = {"_site", "_plugins", "_layouts", "_sass", ".git", "node_modules", "vendor"}
# Tags Liquid and Jekyll know; any other tag a site uses comes from a plugin and is
# stubbed (renders empty) so that Jekyll can build the rest.
_KNOWN_TAGS = {
    "assign", "capture", "case", "comment", "cycle", "decrement", "for", "if", "ifchanged",
    "include", "increment", "raw", "tablerow", "unless", "break", "continue", "echo",
    "liquid", "render", "highlight", "include_relative", "link", "post_url", "when", "else",
    "elsif", "in",
}  # fmt: skip
_TAG = re.compile(r"\{%-?\s*([A-Za-z_][\w-]*)")
_SYMBOL_VALUE = re.compile(r"^(\s*[\w-]+:[ \t]+)(:[^\s'\"#][^\n]*?)[ \t]*$", re.M)
_XML_ILLEGAL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BARE_AMPERSAND = re.compile(rb"&(?!#?\w+;)")
_URL_KEY = re.compile(r"""^url[ \t]*:[ \t]*["']?(https?://[^"'\s#]+)""", re.M)
_LOCAL_URL = "http://localhost:4000"
_LIQUID_FAILURE = re.compile(r"(?:Liquid Exception|Error).*?\bin (\S+?)(?:\s|$)", re.M)


@dataclass(frozen=True)
class Entry:
    """One post as a feed gives it, normalised for comparison."""

    id: str
    link: str
    title: str
    published: str  # ISO 8601 in UTC
    updated: str
    categories: tuple[str, ...]
    text: str
    image: str = ""  # media:thumbnail's URL
    lang: str = ""  # the entry's own xml:lang


@dataclass(frozen=True)
class Difference:
    """One way one post differs between Jekyll's feed and feedkit's."""

    kind: str
    key: str  # the post's link in Jekyll's feed (feedkit's for ``extra``)
    jekyll: str = ""
    feedkit: str = ""


@dataclass
class SiteComparison:
    """The result of comparing one site."""

    site: str
    posts_jekyll: int = 0
    posts_feedkit: int = 0
    jekyll_failed: list[str] = field(default_factory=list)
    jekyll_feed_well_formed: bool = True
    feedkit_feed_well_formed: bool = True
    differences: list[Difference] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The number of differences of each kind (kinds with none left out)."""
        return dict(Counter(d.kind for d in self.differences))

    def as_dict(self) -> dict[str, object]:
        """The comparison as JSON-ready data."""
        data = asdict(self)
        data["counts"] = self.counts()
        return data


# --- text normalisation ---------------------------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        # Rouge's line-number gutter (kramdown's ``line_numbers``) is decoration.
        if tag in ("script", "style") or (tag == "td" and "rouge-gutter" in classes):
            self._skip += 1
        elif tag in ("p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "td") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Return the text of ``html``, whitespace folded, NFC-normalised."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = unicodedata.normalize("NFC", "".join(parser.parts))
    return " ".join(text.split())


_SMART = str.maketrans(
    {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\xa0": " "}
)


def normalise_title(title: str) -> str:
    """Undo what jekyll-feed's ``smartify`` does to a title, fold whitespace."""
    text = unicodedata.normalize("NFC", title).translate(_SMART).replace("---", "-")
    return " ".join(text.replace("--", "-").split())


def _instant(text: str) -> str:
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return text.strip()
    if moment.tzinfo is None:
        return moment.isoformat()
    return moment.astimezone(datetime.fromisoformat("2000-01-01T00:00:00+00:00").tzinfo).isoformat()


# --- reading Atom -----------------------------------------------------------------------


def is_well_formed(path: Path) -> bool:
    """Whether the XML file at ``path`` parses without recovery."""
    from lxml import etree

    try:
        etree.parse(str(path), etree.XMLParser(huge_tree=True))
    except etree.XMLSyntaxError:
        return False
    return True


def read_atom(path: Path) -> list[Entry]:
    """Return the entries of the Atom feed at ``path``."""
    from lxml import etree

    # jekyll-feed writes content as it is, so a control character makes its feed
    # malformed XML; read what can be read, as feed readers do.
    parser = etree.XMLParser(recover=True, huge_tree=True)
    # jekyll-feed does not escape a link's "&" (``href="{{ post.url | absolute_url }}"``)
    # and keeps control characters XML forbids: mend both, as lenient readers do.
    data = _BARE_AMPERSAND.sub(b"&amp;", _XML_ILLEGAL.sub(b"", path.read_bytes()))
    root = etree.fromstring(data, parser)
    entries = []
    for node in root.iter(f"{ATOM}entry"):
        link = ""
        for candidate in node.findall(f"{ATOM}link"):
            if candidate.get("rel", "alternate") == "alternate":
                link = candidate.get("href", "")
                break
        content = node.find(f"{ATOM}content")
        entries.append(
            Entry(
                id=(node.findtext(f"{ATOM}id") or "").strip(),
                link=link,
                title=normalise_title(html_to_text(node.findtext(f"{ATOM}title") or "")),
                published=_instant(node.findtext(f"{ATOM}published") or ""),
                updated=_instant(node.findtext(f"{ATOM}updated") or ""),
                categories=tuple(
                    sorted({c.get("term", "") for c in node.findall(f"{ATOM}category")})
                ),
                text=html_to_text(content.text or "") if content is not None else "",
                image=_thumbnail(node),
                lang=node.get(XML_LANG, ""),
            )
        )
    return entries


def _thumbnail(node: Any) -> str:
    thumbnail = node.find(f"{MEDIA}thumbnail")
    if thumbnail is None:
        group = node.find(f"{MEDIA}group")
        thumbnail = group.find(f"{MEDIA}thumbnail") if group is not None else None
    return thumbnail.get("url", "") if thumbnail is not None else ""


# --- comparing --------------------------------------------------------------------------

_MARKDOWN_PUNCTUATION = re.compile(r"[*_`~#\s]")
# kramdown's typographic conversions (smart quotes, dashes, ellipsis, guillemets), undone.
_TYPOGRAPHY = str.maketrans(
    {
        "‘": "'", "’": "'", "“": '"', "”": '"', "–": "--", "—": "---", "…": "...",
        "«": "<<", "»": ">>",
    }
)  # fmt: skip


def _content_kind(jekyll: str, feedkit: str) -> str | None:
    if jekyll == feedkit:
        return None
    if ("{{" in feedkit or "{%" in feedkit) and feedkit.count("{%") + feedkit.count(
        "{{"
    ) > jekyll.count("{%") + jekyll.count("{{"):
        return "content-liquid"
    if jekyll.translate(_TYPOGRAPHY) == feedkit.translate(_TYPOGRAPHY):
        return "content-typography"
    strip = _MARKDOWN_PUNCTUATION.sub
    if strip("", jekyll.translate(_TYPOGRAPHY)) == strip("", feedkit.translate(_TYPOGRAPHY)):
        return "content-markdown"
    return "content"


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_difference(a: str, b: str) -> tuple[str, str]:
    """The two texts from a little before where they first differ."""
    index = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    if index is None:
        index = min(len(a), len(b))
    start = max(0, index - 40)
    return _short(a[start:]), _short(b[start:])


def compare_feeds(jekyll: Sequence[Entry], feedkit: Sequence[Entry]) -> list[Difference]:
    """Pair the posts of two feeds and list every difference (see the module docstring)."""
    unmatched = list(feedkit)
    pairs: list[tuple[Entry, Entry | None]] = []

    def take(predicate) -> Entry | None:  # type: ignore[no-untyped-def]
        for index, candidate in enumerate(unmatched):
            if predicate(candidate):
                return unmatched.pop(index)
        return None

    pending = list(jekyll)
    for match in (
        lambda j: lambda f: f.id == j.id,
        lambda j: lambda f: f.link == j.link,
        lambda j: lambda f: (f.title, f.published) == (j.title, j.published),
    ):
        still = []
        for entry in pending:
            found = take(match(entry))
            if found is None:
                still.append(entry)
            else:
                pairs.append((entry, found))
        pending = still
    pairs.extend((entry, None) for entry in pending)

    differences: list[Difference] = []
    for j, f in pairs:
        if f is None:
            differences.append(Difference("missing", j.link, j.title, ""))
            continue
        for kind in ("link", "id", "published", "updated", "title", "image", "lang"):
            if getattr(j, kind) != getattr(f, kind):
                differences.append(Difference(kind, j.link, getattr(j, kind), getattr(f, kind)))
        if set(j.categories) != set(f.categories):
            differences.append(
                Difference("categories", j.link, " ".join(j.categories), " ".join(f.categories))
            )
        kind = _content_kind(j.text, f.text)
        if kind is not None:
            differences.append(Difference(kind, j.link, *_first_difference(j.text, f.text)))
    for f in unmatched:
        differences.append(Difference("extra", f.link, "", f.title))
    return differences


# --- building ---------------------------------------------------------------------------


def _read_yaml(path: Path) -> Mapping[str, object]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text("utf-8-sig"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def copy_for_jekyll(site: Path, dest: Path) -> None:
    """Copy what makes ``site``'s posts into ``dest`` (see the module docstring)."""
    dest.mkdir(parents=True, exist_ok=True)
    if (site / "_config.yml").is_file():
        _copy_yaml(site / "_config.yml", dest / "_config.yml")
    for dirpath, dirnames, filenames in os.walk(site):
        rel = Path(dirpath).relative_to(site)
        dirnames[:] = [d for d in dirnames if d not in _SKIPPED_FOLDERS]
        if not any(part.startswith("_") for part in rel.parts):
            continue
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for filename in filenames:
            if not (Path(dirpath) / filename).exists():
                continue  # a broken symbolic link
            if filename.endswith((".yml", ".yaml")):
                _copy_yaml(Path(dirpath) / filename, dest / rel / filename)
            else:
                shutil.copy2(Path(dirpath) / filename, dest / rel / filename)


def _copy_yaml(source: Path, dest: Path) -> None:
    """Copy a YAML file, quoting the values Jekyll 4.3 cannot load: Psych's safe_load
    refuses symbols, and reads any plain value starting with ``:`` as one (``style:
    :compressed`` from the Jekyll 3 days, ``meta: :PLATFORM ...`` in a theme's locales)."""
    text = source.read_text("utf-8", errors="replace")

    def quote(match: re.Match[str]) -> str:
        return match.group(1) + "'" + match.group(2).replace("'", "''") + "'"

    dest.write_text(_SYMBOL_VALUE.sub(quote, text), "utf-8")


def _plugin_tags(root: Path) -> tuple[set[str], set[str]]:
    """The Liquid tags (and block tags) the posts and includes use that Jekyll lacks."""
    tags: set[str] = set()
    for dirpath, _, filenames in os.walk(root):
        for filename in filenames:
            try:
                text = (Path(dirpath) / filename).read_text("utf-8", errors="replace")
            except OSError:
                continue
            tags.update(_TAG.findall(text))
    unknown = {t for t in tags if not t.startswith("end") and t not in _KNOWN_TAGS}
    blocks = {t for t in unknown if f"end{t}" in tags}
    return unknown - blocks, blocks


def jekyll_overrides(work: Path, root: Path) -> Path:
    """Write the extra Jekyll config (and stub plugins) for building ``root``; return it."""
    plugins = work / "plugins"
    layouts = work / "layouts"
    plugins.mkdir(parents=True, exist_ok=True)
    layouts.mkdir(parents=True, exist_ok=True)
    simple, blocks = _plugin_tags(root)
    stubs = ["# Tags of plugins that are not installed: they render empty."]
    for name in sorted(simple):
        stubs.append(
            f"Liquid::Template.register_tag({name!r}, Class.new(Liquid::Tag) "
            "{ def render(_c) = '' })"
        )
    for name in sorted(blocks):
        stubs.append(
            f"Liquid::Template.register_tag({name!r}, Class.new(Liquid::Block) "
            "{ def render(_c) = '' })"
        )
    (plugins / "stubs.rb").write_text("\n".join(stubs) + "\n", "utf-8")
    extra = work / "extra.yml"
    extra.write_text(
        json.dumps(
            {
                "theme": False,
                "remote_theme": False,
                "plugins": ["jekyll-feed"],
                "gems": [],
                "whitelist": [],
                "plugins_dir": str(plugins),
                "layouts_dir": str(layouts),
                "incremental": False,
                "feed": {"posts_limit": 10_000_000, "excerpt_only": False},
            }
        ),
        "utf-8",
    )
    return extra


def build_with_jekyll(
    site: Path,
    work: Path,
    *,
    jekyll: Sequence[str] = ("jekyll",),
    retries: int = 40,
    drop: Sequence[str] = (),
) -> tuple[Path | None, list[str], str]:
    """Build a copy of ``site`` with Jekyll, without the files ``drop`` names; return
    (feed.xml or None, the posts taken out because Jekyll failed on them, log)."""
    root = work / "jekyll-src"
    copy_for_jekyll(site, root)
    for path in drop:
        (root / path).unlink(missing_ok=True)
    extra = jekyll_overrides(work, root)
    dest = work / "jekyll-out"
    config = _read_yaml(root / "_config.yml")
    feed = config.get("feed")
    feed_path = feed.get("path") if isinstance(feed, dict) else None
    failed: list[str] = []
    log = ""
    for _ in range(retries):
        completed = subprocess.run(
            [
                *jekyll,
                "build",
                "--source",
                str(root),
                "--destination",
                str(dest),
                "--config",
                f"{root / '_config.yml'},{extra}",
            ],
            capture_output=True,
            text=True,
            timeout=3600,
            env={**os.environ, "JEKYLL_ENV": "production", "LANG": "C.UTF-8"},
        )
        log = completed.stdout + completed.stderr
        output = dest / (feed_path if isinstance(feed_path, str) else "feed.xml").lstrip("/")
        if completed.returncode == 0 and output.is_file():
            return output, failed, log
        culprit = _failing_post(log, root)
        if culprit is None:
            return None, failed, log
        failed.append(str(culprit.relative_to(root)))
        culprit.unlink()
    return None, failed, log


def _failing_post(log: str, root: Path) -> Path | None:
    for match in _LIQUID_FAILURE.finditer(log):
        candidate = Path(match.group(1).rstrip(".:,"))
        if not candidate.is_absolute():
            candidate = root / candidate
        if candidate.is_file() and root in candidate.parents:
            return candidate
    return None


def build_with_feedkit(
    site: Path, work: Path, *, feedkit: Sequence[str] = ("feedkit",), drop: Sequence[str] = ()
) -> tuple[Path | None, str]:
    """Build a copy of ``site`` with feedkit (fresh state), without the files ``drop``
    names (relative to ``site``); return (atom.xml or None, log)."""
    root = work / "feedkit-src"
    shutil.copytree(
        site, root, ignore=shutil.ignore_patterns(".git", "_site", ".feedkit", "node_modules")
    )
    for path in drop:
        (root / path).unlink(missing_ok=True)
    out = work / "feedkit-out"
    completed = subprocess.run(
        [
            *feedkit,
            "build",
            str(root),
            "--config",
            str(root / "_config.yml"),
            "--out",
            str(out),
            "--limit",
            "10000000",
            "--site-url",
            _site_url(root),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=root,
    )
    atom = out / "atom.xml"
    return (atom if atom.is_file() else None), completed.stdout + completed.stderr


def _site_url(root: Path) -> str:
    """The site's ``url``, or the one Jekyll uses when it has none (``jekyll build``
    leaves ``site.url`` empty, so jekyll-feed's links are paths; see :func:`_absolutise`).
    Read with a pattern: PyYAML may refuse a config that Ruby's YAML reads."""
    try:
        text = (root / "_config.yml").read_text("utf-8", errors="replace")
    except OSError:
        text = ""
    match = _URL_KEY.search(text)
    return match.group(1).rstrip("/") if match else _LOCAL_URL


def _absolutise(entries: Iterable[Entry], base: str) -> list[Entry]:
    from dataclasses import replace

    result = []
    for entry in entries:
        result.append(
            replace(
                entry,
                id=base + entry.id if entry.id.startswith("/") else entry.id,
                link=base + entry.link if entry.link.startswith("/") else entry.link,
            )
        )
    return result


def compare_site(
    site: Path,
    *,
    feedkit: Sequence[str] = ("feedkit",),
    jekyll: Sequence[str] = ("jekyll",),
    keep: Path | None = None,
    reuse_jekyll: bool = False,
    drop: Sequence[str] = (),
) -> SiteComparison:
    """Build ``site`` with both and compare their feeds; raise RuntimeError if one fails.

    ``drop`` names files (relative to ``site``) left out of both builds.
    """
    site = site.resolve()
    result = SiteComparison(site=site.name)
    with tempfile.TemporaryDirectory(prefix="jekyll-diff-") as tmp:
        work = keep or Path(tmp)
        record = work / "jekyll.json"
        if keep is not None and reuse_jekyll and record.is_file():
            saved = json.loads(record.read_text("utf-8"))
            jekyll_feed, failed, jekyll_log = Path(saved["feed"]), saved["failed"], ""
        else:
            if keep is not None and keep.exists():
                shutil.rmtree(keep)
            jekyll_feed, failed, jekyll_log = build_with_jekyll(
                site, work, jekyll=jekyll, drop=drop
            )
            if jekyll_feed is not None:
                record.write_text(json.dumps({"feed": str(jekyll_feed), "failed": failed}))
        shutil.rmtree(work / "feedkit-src", ignore_errors=True)
        shutil.rmtree(work / "feedkit-out", ignore_errors=True)
        result.jekyll_failed = failed
        if jekyll_feed is None:
            raise RuntimeError(f"jekyll build failed:\n{jekyll_log[-2000:]}")
        atom, feedkit_log = build_with_feedkit(site, work, feedkit=feedkit, drop=drop)
        if atom is None:
            raise RuntimeError(f"feedkit build failed:\n{feedkit_log[-2000:]}")
        jekyll_entries = read_atom(jekyll_feed)
        result.jekyll_feed_well_formed = is_well_formed(jekyll_feed)
        result.feedkit_feed_well_formed = is_well_formed(atom)
        if _site_url(site) == _LOCAL_URL:
            jekyll_entries = _absolutise(jekyll_entries, _LOCAL_URL)
        failed_names = {Path(p).name for p in failed}
        feedkit_entries = read_atom(atom)
        if failed_names:
            # Leave out of feedkit's side the posts Jekyll could not build.
            feedkit_entries = [
                e for e in feedkit_entries if not _from_failed(e, failed_names, jekyll_entries)
            ]
        result.posts_jekyll = len(jekyll_entries)
        result.posts_feedkit = len(feedkit_entries)
        result.differences = compare_feeds(jekyll_entries, feedkit_entries)
        if failed_names:
            result.differences = [
                d
                for d in result.differences
                if not (d.kind == "extra" and _slug_in(d.key, failed_names))
            ]
    return result


def _slug_in(link: str, names: set[str]) -> bool:
    tail = link.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html")
    return any(tail and tail in name for name in names)


def _from_failed(entry: Entry, names: set[str], jekyll: Sequence[Entry]) -> bool:
    return entry.link not in {e.link for e in jekyll} and _slug_in(entry.link, names)


def format_table(result: SiteComparison, *, examples: int = 3) -> str:
    """Human-readable summary: counts by kind, with a few examples of each."""
    lines = [
        f"{result.site}: {result.posts_jekyll} posts in Jekyll's feed, "
        f"{result.posts_feedkit} in feedkit's"
    ]
    if result.jekyll_failed:
        lines.append(f"  not built by Jekyll (left out): {len(result.jekyll_failed)}")
    for name, ok in (
        ("Jekyll's", result.jekyll_feed_well_formed),
        ("feedkit's", result.feedkit_feed_well_formed),
    ):
        if not ok:
            lines.append(f"  {name} feed is not well-formed XML (read with recovery)")
    counts = result.counts()
    lines.append(f"  {'kind':<18} count")
    for kind in KINDS:
        if kind in counts:
            lines.append(f"  {kind:<18} {counts[kind]}")
            for d in [d for d in result.differences if d.kind == kind][:examples]:
                lines.append(f"      {d.key}")
                lines.append(f"        jekyll:  {_short(d.jekyll, 120)}")
                lines.append(f"        feedkit: {_short(d.feedkit, 120)}")
    if not counts:
        lines.append("  (no differences)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--feedkit", default="feedkit", help="feedkit command (default: feedkit)")
    parser.add_argument("--jekyll", default="jekyll", help="jekyll command (default: jekyll)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--keep", type=Path, help="keep the builds in this folder")
    parser.add_argument(
        "--reuse-jekyll",
        action="store_true",
        help="with --keep: reuse the Jekyll build kept there by an earlier run",
    )
    parser.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="PATH",
        help="leave this file (relative to SITE) out of both builds (repeatable)",
    )
    parser.add_argument("--examples", type=int, default=3, help="examples shown per kind")
    args = parser.parse_args(argv)
    try:
        result = compare_site(
            args.site,
            feedkit=shlex.split(args.feedkit),
            jekyll=shlex.split(args.jekyll),
            keep=args.keep,
            reuse_jekyll=args.reuse_jekyll,
            drop=args.drop,
        )
    except RuntimeError as exc:
        print(f"{args.site}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_table(result, examples=args.examples))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
