"""Finding the candidate post files under a content folder: names and ``stat`` only.

Kept apart from :mod:`feedkit.collect` because every build walks the whole folder,
including the builds that then find nothing to do; this module imports nothing that
reading, parsing or rendering needs.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from .diagnostics import Diagnostics

__all__ = [
    "DEFAULT_EXCLUDES",
    "HTML_EXTENSIONS",
    "MARKDOWN_EXTENSIONS",
    "POST_FOLDERS",
    "SiteLayout",
    "SourceFile",
    "discover_files",
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
    """Return the candidate post files under ``content_dir``, sorted by path.

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
    found: list[SourceFile] = []
    seen_dirs: set[str] = set()
    in_jekyll_mode = False

    def take_posts(entries: list[os.DirEntry[str]], folder: _Folder) -> list[os.DirEntry[str]]:
        """Take the entries that are plainly posts: regular files with a post's extension,
        whose names no rule of the walk excludes; return the others. Most entries are
        posts, and each costs one stat: this loop runs for every post on every build."""
        left = []
        prefix, is_draft_file, categories, collection = folder
        append, new = found.append, tuple.__new__
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
            try:
                stat = entry.stat()
            except OSError:
                left.append(entry)  # the walk below tries again, and reports it
                continue
            # tuple.__new__ skips the named tuple's own __new__, a Python function.
            path, size, mtime_ns = prefix + name, stat.st_size, stat.st_mtime_ns
            append(
                new(
                    SourceFile,
                    (path, entry.path, size, mtime_ns, is_draft_file, categories, collection),
                )
            )
        return left

    def walk(directory: str, parts: tuple[str, ...]) -> None:
        """Walk ``directory``, a real path (no symbolic link in it), named ``parts``."""
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
        folder = _folder(parts, layout.collections)
        if fast_path:
            entries = take_posts(entries, folder)
        # What is left may give diagnostics: in name order, so that they come in one order.
        entries.sort(key=_by_name)
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
                walk(real, (*parts, name))
                continue
            dot = name.rfind(".")
            suffix = name[dot:].lower() if dot > 0 else ""
            if suffix not in extensions or _is_ignored_name(name):
                continue
            try:
                stat = entry.stat()
            except OSError as exc:
                diagnostics.error("unreadable", f"cannot stat: {exc.strerror}", path=relative)
                continue
            found.append(_source_file(relative, entry.path, stat, folder))

    walk(root_text, ())
    result = sorted(found, key=attrgetter("path"))
    # ``walk`` refers to itself, so ``found`` would live on in that cycle until the
    # collector ran (which the build command turns off): let the cycle hold nothing.
    found.clear()
    if in_jekyll_mode:
        kept = [f for f in result if _post_folder(f.path, post_folders) is not None]
        for dropped in sorted({f.path for f in result} - {f.path for f in kept}):
            diagnostics.info(
                "skipped", "not under _posts/ or _drafts/ (a page, not a post)", path=dropped
            )
        result = kept
    return result


def _source_file(path: str, abspath: str, stat: os.stat_result, folder: _Folder) -> SourceFile:
    return SourceFile(
        path,
        abspath,
        stat.st_size,
        stat.st_mtime_ns,
        folder.is_draft_file,
        folder.folder_categories,
        folder.collection,
    )


def _by_name(entry: os.DirEntry[str]) -> str:
    return entry.name


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
