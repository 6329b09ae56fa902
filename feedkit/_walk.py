"""Finding the candidate post files under a content folder: names and ``stat`` only.

Kept apart from :mod:`feedkit.collect` because every build walks the whole folder,
including the builds that then find nothing to do; this module imports nothing that
reading, parsing or rendering needs.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from array import array
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from itertools import pairwise
from operator import attrgetter
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, NamedTuple

from .diagnostics import Diagnostics

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

__all__ = [
    "DEFAULT_EXCLUDES",
    "HTML_EXTENSIONS",
    "MARKDOWN_EXTENSIONS",
    "POST_FOLDERS",
    "ContentScan",
    "SiteLayout",
    "SourceFile",
    "discover_files",
    "scan_content",
    "site_layout",
]

MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown", ".mkdown", ".mkdn", ".mkd", ".txt"})
HTML_EXTENSIONS = frozenset({".html", ".htm"})
POST_FOLDERS = frozenset({"_posts", "_drafts"})
# Folders Jekyll leaves out by default (jekyll/lib/jekyll/configuration.rb "exclude").
DEFAULT_EXCLUDES = frozenset({"node_modules", "vendor", "gemfiles", "Gemfile", "Gemfile.lock"})


@dataclass(frozen=True)
class SiteLayout:
    """Which files of a site are posts: Jekyll's ``markdown_ext``, ``exclude``, ``include``
    and its collections with ``output: true`` (folder ``_<label>`` to label)."""

    markdown_extensions: frozenset[str] = MARKDOWN_EXTENSIONS
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    collections: Mapping[str, str] = field(default_factory=dict)


def site_layout(jekyll_config: Mapping[str, Any]) -> SiteLayout:
    """Return the layout a Jekyll ``_config.yml`` describes (the defaults without one)."""
    if not jekyll_config:
        return SiteLayout()
    from .jekyll import collections_to_publish

    extensions = MARKDOWN_EXTENSIONS
    markdown_ext = jekyll_config.get("markdown_ext")
    if isinstance(markdown_ext, str) and markdown_ext.strip():
        extensions = frozenset(
            "." + ext.strip().lower().lstrip(".") for ext in markdown_ext.split(",") if ext.strip()
        )

    def names(key: str) -> tuple[str, ...]:
        value = jekyll_config.get(key)
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list):
            return tuple(str(item) for item in value if isinstance(item, (str, int)))
        return ()

    collections = {f"_{c.label}": c.label for c in collections_to_publish(jekyll_config)}
    return SiteLayout(extensions, names("exclude"), names("include"), collections)


def _matches_any(path: str, patterns: Sequence[str]) -> bool:
    """Jekyll's EntryFilter: a pattern names a path, a folder above it, or a glob."""
    for pattern in patterns:
        pattern = pattern.strip().strip("/")
        if not pattern:
            continue
        if path == pattern or path.startswith(pattern + "/") or fnmatch.fnmatch(path, pattern):
            return True
    return False


class SourceFile(NamedTuple):
    """A candidate post found by the walk, before it is read.

    A named tuple rather than a dataclass: the walk of a large site makes one for every
    post on every run, including the runs that find nothing to do.
    """

    path: str  # relative to the content folder, "/"-separated
    abspath: str  # a string, not a Path, for the same reason
    size: int
    mtime_ns: int
    is_draft_file: bool
    folder_categories: tuple[str, ...]
    collection: str = "posts"


class _Folder(NamedTuple):
    """What every file directly in a walked folder shares."""

    prefix: str  # the folder's path relative to the content folder, with a trailing "/"
    is_draft_file: bool
    folder_categories: tuple[str, ...]
    collection: str


def _is_ignored_name(name: str) -> bool:
    return (
        name.startswith((".", "#", "~"))
        or name.endswith(("~", ".swp", ".swo", ".tmp", ".bak", ".orig"))
        or name in ("Thumbs.db", "desktop.ini")
    )


def discover_files(
    content_dir: Path,
    diagnostics: Diagnostics,
    *,
    exclude: Sequence[Path] = (),
    layout: SiteLayout | None = None,
) -> list[SourceFile]:
    """Return the candidate post files under ``content_dir``, sorted by path (see
    :func:`scan_content`)."""
    scan = scan_content(content_dir, diagnostics, exclude=exclude, layout=layout)
    return scan.source_files(diagnostics)


def scan_content(
    content_dir: Path,
    diagnostics: Diagnostics,
    *,
    exclude: Sequence[Path] = (),
    layout: SiteLayout | None = None,
) -> ContentScan:
    """Find and stat the candidate post files under ``content_dir``; the scan's
    :meth:`~ContentScan.source_files` are the posts to read.

    Folders whose names start with ``.`` or ``_`` are skipped, except ``_posts`` and
    ``_drafts``. When the folder holds a ``_posts`` folder (a Jekyll site), only files
    under ``_posts``/``_drafts`` are posts, and the folders above ``_posts`` are the
    post's categories, as in Jekyll. Symbolic links are followed only when they point
    inside ``content_dir``. Paths in ``exclude`` (the output folder, say) are skipped.
    ``layout`` adds what a Jekyll ``_config.yml`` says: its ``exclude`` and ``include``
    lists, its ``markdown_ext`` and its output collections (``_<label>/`` folders).
    """
    layout = layout or SiteLayout()
    post_folders = POST_FOLDERS | set(layout.collections)
    root = content_dir.resolve()
    root_text = str(root)
    excluded = {str(p.resolve()) for p in exclude}
    extensions = layout.markdown_extensions | HTML_EXTENSIONS
    # Without Jekyll's exclude lists and with no output or state folder named like a post,
    # a post file can be taken without the checks folders and links need.
    fast_path = not layout.exclude and not any(
        os.path.splitext(path)[1].lower() in extensions for path in excluded
    )
    seen_dirs: set[str] = set()
    in_jekyll_mode = False

    def take_posts(
        entries: list[os.DirEntry[str]], folder: _Folder, taken: _Taken
    ) -> list[os.DirEntry[str]]:
        """Take the entries that are plainly posts: regular files with a post's extension,
        whose names no rule of the walk excludes; return the others. Most entries are
        posts: this loop runs for every post on every build."""
        left = []
        prefix = folder.prefix
        taken.start(folder)
        add_path, add_abspath = taken.paths.append, taken.abspaths.append
        for entry in entries:
            name = entry.name
            dot = name.rfind(".")
            if (
                dot <= 0
                or name[dot:].lower() not in extensions
                or name[0] in ".#~"
                or entry.is_symlink()
                or entry.is_dir()
            ):
                left.append(entry)
                continue
            add_path(prefix + name)
            add_abspath(entry.path)
        return left

    def walk(directory: str, parts: tuple[str, ...], taken: _Taken) -> None:
        """Walk ``directory``, a real path (no symbolic link in it), named ``parts``,
        adding its files to ``taken``."""
        nonlocal in_jekyll_mode
        if directory in seen_dirs:
            diagnostics.warn(
                "symlink-loop", "folder visited twice (symlink loop?); skipped", path=_rel(parts)
            )
            return
        seen_dirs.add(directory)
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError as exc:
            diagnostics.error(
                "unreadable", f"cannot list folder: {exc.strerror}", path=_rel(parts) or "."
            )
            return
        # In name order: the files are then taken (and diagnostics given) in an order
        # that does not depend on the file system's.
        entries.sort(key=attrgetter("name"))
        folder = _folder(parts, layout.collections)
        in_post_folder = any(p in POST_FOLDERS or p in layout.collections for p in parts)
        if fast_path:
            entries = take_posts(entries, folder, taken)
        for entry in entries:
            name = entry.name
            real = entry.path
            # Only links need resolving (the walk's own paths are real): this keeps the
            # walk of a large site to one scandir per folder and one stat per post.
            if entry.is_symlink():
                target = _resolve(Path(real))
                if target is None:
                    diagnostics.warn(
                        "symlink-loop", "symbolic link loop; skipped", path=folder.prefix + name
                    )
                    continue
                real = str(target)
                if not target.is_relative_to(root):
                    diagnostics.warn(
                        "symlink-outside",
                        "symbolic link leads outside the content folder; not followed",
                        path=folder.prefix + name,
                    )
                    continue
            if real in excluded:
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            relative = folder.prefix + name
            if (
                layout.exclude
                and _matches_any(relative, layout.exclude)
                and not _matches_any(relative, layout.include)
            ):
                diagnostics.info("skipped", "excluded by _config.yml", path=relative)
                continue
            if is_dir:
                included = bool(layout.include) and _matches_any(relative, layout.include)
                if name in post_folders:
                    in_jekyll_mode = in_jekyll_mode or name == "_posts"
                elif (name.startswith((".", "_")) or name in DEFAULT_EXCLUDES) and not included:
                    diagnostics.info(
                        "skipped", "folder skipped (name starts with '.' or '_')", path=relative
                    )
                    continue
                walk(real, (*parts, name), taken)
                continue
            dot = name.rfind(".")
            suffix = name[dot:].lower() if dot > 0 else ""
            if suffix not in extensions or _is_ignored_name(name):
                if in_post_folder and not _is_ignored_name(name):
                    # Listed under -v: a post in .Rmd or .text whose extension is not
                    # in markdown_ext would otherwise vanish without a word.
                    diagnostics.info(
                        "skipped",
                        f"extension {suffix or '(none)'!r} is not Markdown (markdown_ext in "
                        "_config.yml) or HTML",
                        path=relative,
                    )
                continue
            taken.start(folder)
            taken.paths.append(relative)
            taken.abspaths.append(entry.path)
        taken.stats.send(taken.abspaths)

    # ``taken`` is passed down rather than closed over: ``walk`` refers to itself, and the
    # cycle would keep it alive until the collector ran (which the build command turns off).
    taken = _Taken()
    try:
        walk(root_text, (), taken)
        return ContentScan(taken, post_folders if in_jekyll_mode else None)
    finally:
        taken.stats.close()


class _Taken:
    """The files a walk took, in the order it took them, folder after folder, and their
    stats (:class:`_Stats`: on a large site, made as the walk goes on)."""

    def __init__(self) -> None:
        self.paths: list[str] = []  # relative to the content folder
        self.abspaths: list[str] = []
        self.folders: list[_Folder] = []  # the folder of each run of files,
        self.starts: list[int] = []  # and the index of the run's first file
        self.stats = _Stats()

    def start(self, folder: _Folder) -> None:
        """Note that the files taken next are in ``folder``."""
        if not self.folders or self.folders[-1] is not folder:
            self.folders.append(folder)
            self.starts.append(len(self.paths))


class ContentScan:
    """What a walk of the content folder found: every candidate file's path, size and
    mtime, with a digest of them all. A build with nothing to do needs only the digest;
    :meth:`source_files` makes the files to read."""

    def __init__(self, taken: _Taken, post_folders: Set[str] | None) -> None:
        """Stat the files ``taken``; with ``post_folders`` (a Jekyll site), only the
        files in those folders are posts."""
        self._taken = taken
        self._post_folders = post_folders
        self._sizes, self._mtimes, self._failures = taken.stats.finish(taken.abspaths)
        digest = hashlib.blake2b(digest_size=16)
        # The walk takes files in an order that depends only on their names and folders.
        digest.update("\0".join(taken.paths).encode(errors="surrogateescape"))
        digest.update(self._sizes.tobytes())
        digest.update(self._mtimes.tobytes())
        self.digest = digest.hexdigest()  # the same files give the same digest
        self.newest_mtime_ns = max(self._mtimes, default=0)

    def source_files(self, diagnostics: Diagnostics) -> list[SourceFile]:
        """Return the candidate posts, sorted by path. Report the files that could not
        be stat'ed, and, on a Jekyll site, the pages outside its post folders."""
        taken, sizes, mtimes = self._taken, self._sizes, self._mtimes
        paths, abspaths = taken.paths, taken.abspaths
        found: list[SourceFile] = []
        append = found.append
        bounds = pairwise([*taken.starts, len(paths)])
        for folder, (start, end) in zip(taken.folders, bounds, strict=True):
            _, is_draft_file, categories, collection = folder
            for path, abspath, size, mtime_ns in zip(
                paths[start:end],
                abspaths[start:end],
                sizes[start:end],
                mtimes[start:end],
                strict=True,
            ):
                append(
                    SourceFile(path, abspath, size, mtime_ns, is_draft_file, categories, collection)
                )
        if self._failures:
            for index, why in sorted(self._failures.items()):
                diagnostics.error("unreadable", f"cannot stat: {why}", path=paths[index])
            unstated = {paths[index] for index in self._failures}
            found = [source_file for source_file in found if source_file.path not in unstated]
        found.sort(key=attrgetter("path"))
        if self._post_folders is None:
            return found
        kept = [f for f in found if _post_folder(f.path, self._post_folders) is not None]
        for dropped in sorted({f.path for f in found} - {f.path for f in kept}):
            diagnostics.info(
                "skipped", "not under _posts/ or _drafts/ (a page, not a post)", path=dropped
            )
        return kept


# From this many files on, the files a walk takes after them are stat'ed by a second
# process while the walk goes on: a stat is a system call (about 5 us here), and starting
# the process costs about 40 ms.
PARALLEL_STAT_FILES = 20_000
# How many files the second process is given at once. When the main process has stat'ed
# its own files, it takes back the chunks the other has not started, from the last.
_STAT_CHUNK = 4_096

_StatResult = tuple["array[int]", "array[int]", dict[int, str]]


class _Stats:
    """Stats the files of a walk, as :func:`_stat_paths` does: the first
    ``PARALLEL_STAT_FILES`` here once the walk is over, those after them in a second
    process, a chunk at a time as the walk takes them (:meth:`send`). The walk of a large
    site and the stats of its files then take about as long as the stats alone did."""

    def __init__(self) -> None:
        self._pool: Executor | None = None
        self._chunks: list[tuple[int, int, Future[_StatResult]]] = []
        self._sent = PARALLEL_STAT_FILES  # the files before this index stay here
        self._parallel = (os.cpu_count() or 1) > 1

    def send(self, paths: Sequence[str]) -> None:
        """Give the second process the whole chunks of ``paths`` (every file taken so far)
        that it has not been given yet, starting it if need be."""
        while self._parallel and len(paths) - self._sent >= _STAT_CHUNK:
            start, end = self._sent, self._sent + _STAT_CHUNK
            try:
                if self._pool is None:
                    from ._parallel import process_pool

                    # Forked: it needs nothing but os, and starts in milliseconds.
                    self._pool = process_pool(1, start_method="fork")
                future = self._pool.submit(_stat_paths, paths[start:end])
            except (OSError, RuntimeError):  # no process could be started
                self._parallel = False
                return
            self._chunks.append((start, end, future))
            self._sent = end

    def finish(self, paths: Sequence[str]) -> _StatResult:
        """Return the sizes and mtimes (ns) of the files at ``paths`` (the same list that
        was sent), and why each that could not be stat'ed could not (by index; its size
        and mtime are then 0)."""
        try:
            # Beside the first files: the last ones, too few to send, and the chunks the
            # second process has not started. It goes on with the others meanwhile.
            own_end = self._chunks[0][0] if self._chunks else len(paths)
            parts = {0: _stat_paths(paths[:own_end])}
            tail = self._chunks[-1][1] if self._chunks else len(paths)
            if tail < len(paths):
                parts[tail] = _stat_paths(paths[tail:])
            for start, end, future in reversed(self._chunks):
                if future.cancel():
                    parts[start] = _stat_paths(paths[start:end])
            for start, end, future in self._chunks:
                if start not in parts:
                    try:
                        parts[start] = future.result()
                    except (OSError, RuntimeError):  # the process died (BrokenProcessPool)
                        parts[start] = _stat_paths(paths[start:end])
        finally:
            self.close()
        sizes: array[int] = array("q")
        mtimes: array[int] = array("q")
        failures: dict[int, str] = {}
        for start in sorted(parts):
            part_sizes, part_mtimes, part_failures = parts[start]
            sizes.extend(part_sizes)
            mtimes.extend(part_mtimes)
            failures.update((start + index, why) for index, why in part_failures.items())
        return sizes, mtimes, failures

    def close(self) -> None:
        """Stop the second process, if one was started (once the walk is over, or if
        it failed)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _stat_paths(paths: Sequence[str]) -> tuple[array[int], array[int], dict[int, str]]:
    sizes: array[int] = array("q")
    mtimes: array[int] = array("q")
    failures: dict[int, str] = {}
    add_size, add_mtime, stat = sizes.append, mtimes.append, os.stat
    for index, path in enumerate(paths):
        try:
            result = stat(path)
        except OSError as exc:
            failures[index] = exc.strerror or str(exc)
            add_size(0)
            add_mtime(0)
            continue
        add_size(result.st_size)
        add_mtime(result.st_mtime_ns)
    return sizes, mtimes, failures


def _resolve(path: Path) -> Path | None:
    """Return the real path, or None for a symbolic link loop (a link to itself, say)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError before Python 3.13
        return None


def _rel(parts: tuple[str, ...]) -> str:
    return "/".join(parts)


def _post_folder(path: str, folders: Set[str] = POST_FOLDERS) -> str | None:
    """The post folder (``_posts``, ``_drafts`` or a collection's) that ``path`` is in."""
    for part in PurePosixPath(path).parts[:-1]:
        if part in folders:
            return part
    return None


def _folder(parts: tuple[str, ...], collections: Mapping[str, str]) -> _Folder:
    """What the files in the folder named ``parts`` share: whether they are drafts, the
    categories Jekyll takes from the folders above ``_posts``, and their collection."""
    prefix = "".join(part + "/" for part in parts)
    for index, part in enumerate(parts):
        if part in collections:
            return _Folder(prefix, part == "_drafts", (), collections[part])
        if part in POST_FOLDERS:
            return _Folder(prefix, part == "_drafts", tuple(parts[:index]), "posts")
    return _Folder(prefix, False, (), "posts")
