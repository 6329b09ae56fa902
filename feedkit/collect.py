"""Collect stage: find the posts under the content folder and read them.

:func:`discover_files` walks the folder (cheaply: names and ``stat`` only);
:func:`read_source` reads one file and its front matter into a :class:`Source`;
:func:`to_post` interprets the front matter, once the post's dates are known, into a
:class:`Post` with its permalink and id. Problems are reported to a ``Diagnostics``
naming the file (and line); a bad post is skipped and the run goes on.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from .diagnostics import Diagnostics, Level
from .models import Author, CachedSource, Post, PostDates, Source

if TYPE_CHECKING:
    from .settings import Settings

__all__ = [
    "HTML_EXTENSIONS",
    "MARKDOWN_EXTENSIONS",
    "Collected",
    "SourceFile",
    "collect_sources",
    "discover_files",
    "load_body",
    "read_source",
    "to_cache_record",
    "to_post",
]

MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown", ".mkdown", ".mkdn", ".mkd", ".txt"})
HTML_EXTENSIONS = frozenset({".html", ".htm"})
POST_FOLDERS = frozenset({"_posts", "_drafts"})
# Folders Jekyll leaves out by default (jekyll/lib/jekyll/configuration.rb "exclude").
DEFAULT_EXCLUDES = frozenset({"node_modules", "vendor", "gemfiles", "Gemfile", "Gemfile.lock"})
_BINARY_SNIFF = 8192
_FEW_BYTES = 4
_FRONT_MATTER_START = re.compile(rb"(?:\xef\xbb\xbf)?---[ \t]*\r?\n")
# Bodies longer than this (in characters) are cut: libxml2, which many feed readers use,
# refuses a text node over 10 MB, so one huge post would make the whole feed unreadable.
MAX_BODY_CHARS = 1 << 20
# XML 1.0 section 2.2 Char, negated (as render.strip_xml_illegal drops them).
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


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
    from .jekyll import collections_to_publish

    if not jekyll_config:
        return SiteLayout()
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


@dataclass(frozen=True)
class SourceFile:
    """A candidate post found by the walk, before it is read."""

    path: str  # relative to the content folder, "/"-separated
    abspath: str  # a string, not a Path: the walk of a large site makes thousands
    size: int
    mtime_ns: int
    is_draft_file: bool
    folder_categories: tuple[str, ...]
    collection: str = "posts"


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
    found: list[SourceFile] = []
    seen_dirs: set[str] = set()
    in_jekyll_mode = False

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
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            diagnostics.error(
                "unreadable", f"cannot list folder: {exc.strerror}", path=_rel(parts) or "."
            )
            return
        for entry in entries:
            name = entry.name
            child_parts = (*parts, name)
            real = entry.path
            # Only links need resolving (the walk's own paths are real): this keeps the
            # walk of a large site to one scandir per folder and one stat per post.
            if entry.is_symlink():
                target = _resolve(Path(real))
                if target is None:
                    diagnostics.warn(
                        "symlink-loop", "symbolic link loop; skipped", path=_rel(child_parts)
                    )
                    continue
                real = str(target)
                if not target.is_relative_to(root):
                    diagnostics.warn(
                        "symlink-outside",
                        "symbolic link leads outside the content folder; not followed",
                        path=_rel(child_parts),
                    )
                    continue
            if real in excluded:
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            relative = _rel(child_parts)
            excluded_here = layout.exclude and _matches_any(relative, layout.exclude)
            if excluded_here and not _matches_any(relative, layout.include):
                diagnostics.info("skipped", "excluded by _config.yml", path=relative)
                continue
            if is_dir:
                included = bool(layout.include) and _matches_any(relative, layout.include)
                if name in post_folders:
                    in_jekyll_mode = in_jekyll_mode or name == "_posts"
                elif (name.startswith((".", "_")) or name in DEFAULT_EXCLUDES) and not included:
                    diagnostics.info(
                        "skipped",
                        "folder skipped (name starts with '.' or '_')",
                        path=_rel(child_parts),
                    )
                    continue
                walk(real, child_parts)
                continue
            if _is_ignored_name(name):
                continue
            suffix = os.path.splitext(name)[1].lower()
            if suffix not in layout.markdown_extensions and suffix not in HTML_EXTENSIONS:
                continue
            try:
                stat = entry.stat()
            except OSError as exc:
                diagnostics.error(
                    "unreadable", f"cannot stat: {exc.strerror}", path=_rel(child_parts)
                )
                continue
            found.append(
                _source_file(
                    entry.path, child_parts, stat.st_size, stat.st_mtime_ns, layout.collections
                )
            )

    walk(root_text, ())
    if in_jekyll_mode:
        kept = [f for f in found if _post_folder(f.path, post_folders) is not None]
        for dropped in sorted({f.path for f in found} - {f.path for f in kept}):
            diagnostics.info(
                "skipped", "not under _posts/ or _drafts/ (a page, not a post)", path=dropped
            )
        found = kept
    return sorted(found, key=lambda f: f.path)


def _resolve(path: Path) -> Path | None:
    """Return the real path, or None for a symbolic link loop (a link to itself, say)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError before Python 3.13
        return None


def _rel(parts: tuple[str, ...]) -> str:
    return "/".join(parts)


def _post_folder(path: str, folders: Set[str] = POST_FOLDERS) -> str | None:
    for part in PurePosixPath(path).parts[:-1]:
        if part in folders:
            return part
    return None


def _source_file(
    abspath: str,
    parts: tuple[str, ...],
    size: int,
    mtime_ns: int,
    collections: Mapping[str, str] | None = None,
) -> SourceFile:
    collections = collections or {}
    folder = None
    folder_index = -1
    for index, part in enumerate(parts[:-1]):
        if part in POST_FOLDERS or part in collections:
            folder, folder_index = part, index
            break
    is_collection = folder in collections
    # Jekyll takes categories from the folders above _posts, not above a collection.
    categories = tuple(parts[:folder_index]) if folder is not None and not is_collection else ()
    return SourceFile(
        path=_rel(parts),
        abspath=abspath,
        size=size,
        mtime_ns=mtime_ns,
        is_draft_file=folder == "_drafts",
        folder_categories=categories,
        collection=collections[folder] if is_collection and folder else "posts",
    )


def decode_source(data: bytes, *, encoding: str = "utf-8") -> str:
    """Decode a source file: UTF-8 (with or without BOM), UTF-16 with a BOM, or ``encoding``.

    Raises ``UnicodeDecodeError`` when the bytes are not in any of these.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode(encoding)


def decode_or_guess(data: bytes, *, encoding: str = "utf-8") -> tuple[str, str | None]:
    """Decode a source file as :func:`decode_source` does, else repair or guess.

    Bytes that are mostly UTF-8 (more valid multi-byte characters than invalid bytes)
    are decoded with each invalid byte replaced by U+FFFD: an editor slip, not another
    encoding. Other bytes are decoded in the encoding charset-normalizer detects (legacy
    Korean files are CP949/EUC-KR). Returns the text and, when it was repaired or
    guessed, a note saying how, for a warning. Raises ``UnicodeDecodeError`` when no
    encoding fits, ``LookupError`` when ``encoding`` is unknown.
    """
    try:
        return decode_source(data, encoding=encoding), None
    except UnicodeDecodeError as exc:
        failure = exc
    escaped = data.decode("utf-8", errors="surrogateescape")
    invalid = sum(1 for char in escaped if "\udc80" <= char <= "\udcff")
    multibyte = sum(1 for char in escaped if char >= "\x80") - invalid
    # A few stray bytes are too little for a detector to go on (it will name some
    # code page that happens to fit); a legacy file has an invalid byte in most words.
    if invalid < _FEW_BYTES or multibyte >= invalid:
        line = escaped[: _first_surrogate(escaped)].count("\n") + 1
        note = (
            f"{invalid} byte(s) that are not {encoding} replaced with U+FFFD (first on "
            f"line {line}); set content.encoding if the file is in another encoding"
        )
        return data.decode("utf-8", errors="replace"), note
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise failure
    detected = best.encoding
    return data.decode(detected), (
        f"not valid {encoding}; decoded as {detected} (detected); "
        "set content.encoding if that is wrong"
    )


def _first_surrogate(text: str) -> int:
    return next(i for i, char in enumerate(text) if "\udc80" <= char <= "\udcff")


def _read_bytes(source_file: SourceFile, diagnostics: Diagnostics) -> bytes | None:
    path = source_file.path
    try:
        data = Path(source_file.abspath).read_bytes()
    except FileNotFoundError:
        diagnostics.warn("vanished", "file disappeared while the build ran; skipped", path=path)
        return None
    except OSError as exc:
        diagnostics.error("unreadable", f"cannot read: {exc.strerror}; skipped", path=path)
        return None
    if _is_binary(data):
        diagnostics.warn("binary", "looks like a binary file, not text; skipped", path=path)
        return None
    return data


def _is_binary(data: bytes) -> bool:
    # A NUL in a file that opens with a front matter line is a stray control character
    # (dropped from the output), not a sign of a binary file.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _FRONT_MATTER_START.match(data):
        return False
    return b"\x00" in data[:_BINARY_SNIFF]


def _content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _decode(
    source_file: SourceFile, data: bytes, diagnostics: Diagnostics, encoding: str
) -> str | None:
    try:
        text, note = decode_or_guess(data, encoding=encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        diagnostics.error(
            "encoding", f"cannot decode as {encoding}: {exc}; skipped", path=source_file.path
        )
        return None
    if note is not None:
        diagnostics.warn("encoding", note, path=source_file.path)
    return text


def _limit_body(body: str, path: str, line: int, diagnostics: Diagnostics) -> str:
    """Return ``body`` cut to :data:`MAX_BODY_CHARS`, at a line end where there is one."""
    if len(body) <= MAX_BODY_CHARS:
        return body
    cut = body.rfind("\n", 0, MAX_BODY_CHARS)
    kept = body[: cut if cut > 0 else MAX_BODY_CHARS]
    diagnostics.warn(
        "body-too-long",
        f"body of {len(body):,} characters cut to its first {len(kept):,} "
        f"(the limit is {MAX_BODY_CHARS:,})",
        path=path,
        line=line + kept.count("\n"),
    )
    return kept


def _parse_source(
    source_file: SourceFile, data: bytes, diagnostics: Diagnostics, encoding: str
) -> tuple[Source | None, bool]:
    """Return the source (or None if it is not a post) and whether YAML was parsed."""
    # YAML is imported here: a build that reuses its cache parses nothing.
    from ._frontmatter import FrontMatterError, has_front_matter, parse_front_matter

    path = source_file.path
    text = _decode(source_file, data, diagnostics, encoding)
    if text is None:
        return None, False
    if not has_front_matter(text):
        diagnostics.info("skipped", "no front matter; not a post", path=path)
        return None, False
    try:
        front = parse_front_matter(text)
    except FrontMatterError as exc:
        diagnostics.error("front-matter", f"{exc.message}; skipped", path=path, line=exc.line)
        return None, True
    for recovery in front.recoveries:
        diagnostics.warn("front-matter-recovered", recovery.message, path=path, line=recovery.line)
    suffix = PurePosixPath(path).suffix.lower()
    source = Source(
        path=path,
        abspath=Path(source_file.abspath),
        metadata=front.metadata,
        body=_limit_body(front.body, path, front.body_line, diagnostics),
        body_line=front.body_line,
        markup="html" if suffix in HTML_EXTENSIONS else "markdown",
        size=source_file.size,
        mtime_ns=source_file.mtime_ns,
        content_hash=_content_hash(data),
        is_draft_file=source_file.is_draft_file,
        folder_categories=source_file.folder_categories,
        collection=source_file.collection,
    )
    return source, True


def read_source(
    source_file: SourceFile,
    diagnostics: Diagnostics,
    *,
    encoding: str = "utf-8",
) -> Source | None:
    """Read one candidate file; return its :class:`Source`, or None if it is not a post.

    A file without front matter is not a post (reported at info level); a file whose
    front matter cannot be read is reported as an error naming the line, and skipped.
    """
    data = _read_bytes(source_file, diagnostics)
    if data is None:
        return None
    return _parse_source(source_file, data, diagnostics, encoding)[0]


def _from_cache(cached: CachedSource, source_file: SourceFile, diagnostics: Diagnostics) -> Source:
    for note in cached.notes:
        diagnostics.add(note)
    return Source(
        path=cached.path,
        abspath=Path(source_file.abspath),
        metadata=cached.metadata,
        body=None,
        body_line=cached.body_line,
        markup=cached.markup,
        size=source_file.size,
        mtime_ns=source_file.mtime_ns,
        content_hash=cached.content_hash,
        is_draft_file=source_file.is_draft_file,
        folder_categories=source_file.folder_categories,
        notes=cached.notes,
        collection=source_file.collection,
    )


def to_cache_record(source: Source) -> CachedSource:
    """Return what the parse cache keeps of ``source`` (everything but the body)."""
    return CachedSource(
        path=source.path,
        size=source.size,
        mtime_ns=source.mtime_ns,
        content_hash=source.content_hash,
        metadata=source.metadata,
        body_line=source.body_line,
        markup=source.markup,
        is_draft_file=source.is_draft_file,
        folder_categories=source.folder_categories,
        notes=source.notes,
    )


@dataclass(frozen=True)
class Collected:
    """The sources found by :func:`collect_sources`, and what the parse cache must learn."""

    sources: tuple[Source, ...]
    parsed: int  # files whose front matter was parsed in this run
    refreshed: tuple[Source, ...]  # sources whose cache record is new or out of date
    removed: tuple[str, ...]  # cached paths that are no longer posts


def collect_sources(
    settings: Settings,
    diagnostics: Diagnostics,
    *,
    cache: Mapping[str, CachedSource] | None = None,
    files: Sequence[SourceFile] | None = None,
    racy_after_ns: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Collected:
    """Read every post under the configured content folder (see :func:`discover_files`).

    A file whose size and mtime match its ``cache`` record is not read at all, unless its
    mtime is at or after ``racy_after_ns`` (too close to the build that cached it to
    prove it unchanged); one whose bytes hash to the cached hash (a fresh checkout
    changes every mtime) is read but not parsed. Sources taken from the cache have no
    body yet (see :func:`load_body`). ``files`` saves the walk when the caller made it;
    ``progress`` is called as ``progress("read", done, total)`` while files are read.
    """
    cache = cache or {}
    if files is None:
        files = discover_files(
            settings.content.dir,
            diagnostics,
            exclude=(settings.feeds.output, settings.state.path.parent),
            layout=site_layout(settings.jekyll),
        )
    trusted_before = racy_after_ns if racy_after_ns is not None else 1 << 62
    encoding = settings.content.encoding
    sources: list[Source] = []
    refreshed: list[Source] = []
    parsed = 0
    for index, source_file in enumerate(files, 1):
        if progress is not None and index % 256 == 0:
            progress("read", index, len(files))
        cached = cache.get(source_file.path)
        stat_matches = (
            (cached.size, cached.mtime_ns) == (source_file.size, source_file.mtime_ns)
            if cached
            else False
        )
        if cached and stat_matches and source_file.mtime_ns < trusted_before:
            sources.append(_from_cache(cached, source_file, diagnostics))
            continue
        data = _read_bytes(source_file, diagnostics)
        if data is None:
            continue
        if cached and cached.content_hash == _content_hash(data):
            source = _from_cache(cached, source_file, diagnostics)
        else:
            found = Diagnostics()
            parsed_source, did_parse = _parse_source(source_file, data, found, encoding)
            diagnostics.extend(found)
            parsed += did_parse
            if parsed_source is None:
                continue
            # Kept with the cache record, so a later run that skips the parse (and
            # --strict) still hears about a recovered title or a guessed encoding.
            notes = tuple(found.at_least(Level.WARNING))
            # The body is let go: only the posts that end up in a feed need it, and
            # :func:`load_body` reads it again then (a large site's bodies are big).
            source = replace(parsed_source, notes=notes, body=None)
        sources.append(source)
        refreshed.append(source)
    if parsed:
        from ._frontmatter import HAS_LIBYAML

        if not HAS_LIBYAML:
            diagnostics.warn(
                "libyaml-missing",
                "PyYAML was built without libyaml: front matter parses about six times "
                "slower (reinstall PyYAML where libyaml is available)",
            )
    present = {source.path for source in sources}
    removed = tuple(path for path in cache if path not in present)
    return Collected(tuple(sources), parsed, tuple(refreshed), removed)


def load_body(source: Source, diagnostics: Diagnostics, *, encoding: str = "utf-8") -> Source:
    """Return ``source`` with its body, reading the file if the body is not loaded yet.

    If the file changed since it was collected, its current content is used.
    """
    if source.body is not None:
        return source
    data = _source_bytes(source)
    if data is not None and _content_hash(data) == source.content_hash:
        text, note = decode_or_guess(data, encoding=encoding)
        if note is not None:
            diagnostics.warn("encoding", note, path=source.path)
        body = "\n".join(text.split("\n")[source.body_line - 1 :])
        return replace(source, body=_limit_body(body, source.path, source.body_line, diagnostics))
    diagnostics.warn(
        "changed-during-build",
        "file changed while the build ran; its content as read now is used",
        path=source.path,
    )
    source_file = SourceFile(
        source.path,
        str(source.abspath),
        source.size,
        source.mtime_ns,
        source.is_draft_file,
        source.folder_categories,
    )
    reread = read_source(source_file, diagnostics, encoding=encoding)
    return replace(source, body=reread.body if reread and reread.body is not None else "")


def _source_bytes(source: Source) -> bytes | None:
    try:
        return source.abspath.read_bytes()
    except OSError:
        return None


# --- interpreting front matter ------------------------------------------------------


def _as_names(value: Any) -> tuple[str, ...]:
    """Jekyll accepts a list or a space-separated string for categories and tags."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (str(value),)
    if isinstance(value, (list, tuple)):
        names = []
        for element in value:
            if isinstance(element, (str, int, float)) and not isinstance(element, bool):
                text = str(element).strip()
                if text:
                    names.append(text)
        return tuple(names)
    return ()


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _report_ignored(metadata: Mapping[str, Any], source: Source, diagnostics: Diagnostics) -> None:
    """Warn about fields present with a type that :func:`to_post` cannot use (and ignores)."""
    checks: list[tuple[str, bool]] = []
    for key in ("categories", "category", "tags", "tag"):
        value = metadata.get(key)
        is_names = isinstance(value, list) and all(_is_scalar(v) for v in value)
        checks.append((key, value is None or _is_scalar(value) or is_names))
    author = metadata.get("author")
    checks.append(("author", author is None or _author(author) is not None))
    for key in ("image", "feature_image"):
        value = metadata.get(key)
        is_path = isinstance(value, Mapping) and isinstance(value.get("path"), str)
        checks.append((key, value is None or isinstance(value, str) or is_path))
    for key, is_usable in checks:
        if not is_usable:
            kind = type(metadata[key]).__name__
            diagnostics.warn("field-type", f"{key} is a {kind}; ignored", path=source.path)


def _first_str(metadata: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _author(value: Any) -> Author | None:
    if isinstance(value, str) and value.strip():
        return Author(name=value.strip())
    if isinstance(value, Mapping) and isinstance(value.get("name"), str):
        email, uri = value.get("email"), value.get("uri", value.get("url"))
        return Author(
            name=value["name"],
            email=email if isinstance(email, str) else None,
            uri=uri if isinstance(uri, str) else None,
        )
    return None


def _image(metadata: Mapping[str, Any]) -> str | None:
    for key in ("image", "feature_image"):
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, Mapping):
            path = value.get("path")
            if isinstance(path, str) and path.strip():
                return path.strip()
    return None


def _title(source: Source, diagnostics: Diagnostics) -> str | None:
    title = _title_value(source, diagnostics)
    if title is not None and not _XML_ILLEGAL.sub("", title).strip():
        # Feeds drop these characters (XML 1.0 forbids them), which would leave an
        # entry with no title: RSS and Atom require one.
        diagnostics.error(
            "title-missing", "the title has no printable characters; skipped", path=source.path
        )
        return None
    return title


def _title_value(source: Source, diagnostics: Diagnostics) -> str | None:
    value = source.metadata.get("title")
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        diagnostics.warn(
            "field-type", f"title is a {type(value).__name__}; used as text", path=source.path
        )
        return str(value)
    if isinstance(value, list) and value and all(_is_scalar(v) for v in value):
        diagnostics.warn("field-type", "title is a list; its items were joined", path=source.path)
        return " ".join(str(v).strip() for v in value)
    if value is None:
        diagnostics.error(
            "title-missing", "no title in the front matter; skipped", path=source.path
        )
    else:
        diagnostics.error(
            "field-type", f"title is a {type(value).__name__}; skipped", path=source.path
        )
    return None


def _collection_permalink(settings: Settings, label: str) -> str | None:
    from .jekyll import collections_to_publish

    for collection in collections_to_publish(settings.jekyll):
        if collection.label == label:
            return collection.permalink
    return None


def is_draft(source: Source) -> bool:
    """Return True for drafts: ``draft: true``, ``published: false`` or under ``_drafts/``."""
    metadata = source.metadata
    return (
        source.is_draft_file or metadata.get("draft") is True or metadata.get("published") is False
    )


def to_post(
    source: Source, dates: PostDates, settings: Settings, diagnostics: Diagnostics
) -> Post | None:
    """Interpret ``source``'s front matter into a :class:`Post`, or None if it has no title.

    The permalink is the front matter's ``permalink`` or the site's pattern (Jekyll
    tokens and named styles); the id is the front matter's ``id`` or the post's URL.
    """
    from .dates import filename_parts
    from .permalinks import expand_permalink, join_url

    metadata = source.metadata
    title = _title(source, diagnostics)
    if title is None:
        return None
    _report_ignored(metadata, source, diagnostics)
    categories = _as_names(metadata.get("categories", metadata.get("category")))
    categories = tuple(dict.fromkeys(source.folder_categories + categories))
    tags = tuple(dict.fromkeys(_as_names(metadata.get("tags", metadata.get("tag")))))
    _, name_title = filename_parts(source.path)
    slug_value = metadata.get("slug")
    slug = slug_value.strip() if isinstance(slug_value, str) else ""
    template = _first_str(metadata, "permalink") or settings.site.permalink
    collection_path = None
    if source.collection != "posts":
        # A Jekyll collection's documents: its own permalink, else Jekyll's default.
        template = (
            _first_str(metadata, "permalink")
            or _collection_permalink(settings, source.collection)
            or "/:collection/:path:output_ext"
        )
        inside = source.path.split(f"_{source.collection}/", 1)[-1]
        collection_path = "/" + os.path.splitext(inside)[0]
    output_ext = ".html"
    published_local = dates.published.at.astimezone(settings.site.zone)
    try:
        permalink = expand_permalink(
            template,
            categories=categories,
            date=published_local,
            title=name_title,
            slug=slug,
            output_ext=output_ext,
            collection=source.collection,
            name=PurePosixPath(source.path).stem,
            path=collection_path,
        )
    except ValueError as exc:
        diagnostics.error("permalink", f"permalink {template!r}: {exc}; skipped", path=source.path)
        return None
    url = join_url(settings.site.root_url, permalink)
    if ".." in template.split("/"):
        # Resolved by expand_permalink, so the URL stays inside the site; say so.
        diagnostics.warn(
            "permalink",
            f"permalink {template!r} has '..' segments; published at {url}",
            path=source.path,
        )
    post_id = _first_str(metadata, "id") or url
    return Post(
        source=source,
        id=post_id,
        title=title,
        permalink=permalink,
        url=url,
        dates=dates,
        excerpt=_first_str(metadata, "excerpt", "description", "summary"),
        categories=categories,
        tags=tags,
        author=_author(metadata.get("author")) or settings.site.author,
        image=_image(metadata),
        lang=_first_str(metadata, "lang", "language"),
        is_draft=is_draft(source),
    )
