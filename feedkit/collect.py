"""Collect stage: find the posts under the content folder and read them.

:func:`discover_files` walks the folder (cheaply: names and ``stat`` only);
:func:`read_source` reads one file and its front matter into a :class:`Source`;
:func:`to_post` interprets the front matter, once the post's dates are known, into a
:class:`Post` with its permalink and id. Problems are reported to a ``Diagnostics``
naming the file (and line); a bad post is skipped and the run goes on.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._walk import (
    HTML_EXTENSIONS,
    MARKDOWN_EXTENSIONS,
    SiteLayout,
    SourceFile,
    discover_files,
    site_layout,
)
from .diagnostics import Diagnostic, Diagnostics, Level
from .models import Author, CachedSource, Item, Post, PostDates, Source
from .render import strip_xml_illegal

if TYPE_CHECKING:
    from pathlib import Path

    from .hugo import HugoSite
    from .settings import Settings

__all__ = [
    "HTML_EXTENSIONS",
    "MARKDOWN_EXTENSIONS",
    "Collected",
    "SiteLayout",
    "SourceFile",
    "collect_sources",
    "discover_files",
    "load_body",
    "load_post_body",
    "read_source",
    "site_file_sizes",
    "site_layout",
    "to_cache_record",
    "to_post",
    "warn_missing_image",
    "with_defaults",
]


_BINARY_SNIFF = 8192
_FEW_BYTES = 4
_FRONT_MATTER_START = re.compile(rb"(?:\xef\xbb\xbf)?---[ \t]*\r?\n")
# Bodies longer than this (in characters) are cut: libxml2, which many feed readers use,
# refuses a text node over 10 MB, so one huge post would make the whole feed unreadable.
MAX_BODY_CHARS = 1 << 20


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
        with open(source_file.abspath, "rb") as file:
            data = file.read()
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
    source_file: SourceFile,
    data: bytes,
    diagnostics: Diagnostics,
    encoding: str,
    formats: Sequence[str] = ("yaml",),
    *,
    bare_posts: bool = False,
) -> tuple[Source | None, bool]:
    """Return the source (or None if it is not a post) and whether YAML was parsed.

    ``formats`` are the front-matter formats read (a Hugo site's are YAML, TOML and
    JSON, and its keys are lower-cased, as Hugo reads them). With ``bare_posts`` (a
    Jekyll site), a file in a ``_posts`` folder without front matter is a post, as
    Jekyll reads it (its post reader takes every dated file there; only pages and
    collections' documents need front matter).
    """
    # YAML is imported here: a build that reuses its cache parses nothing.
    from ._frontmatter import (
        FrontMatter,
        FrontMatterError,
        has_front_matter,
        parse_front_matter,
    )

    path = source_file.path
    text = _decode(source_file, data, diagnostics, encoding)
    if text is None:
        return None, False
    if not has_front_matter(text, formats=formats):
        if len(formats) == 1 and not (bare_posts and _in_posts_folder(path)):
            diagnostics.info("skipped", "no front matter; not a post", path=path)
            return None, False
        # Hugo publishes a content file without front matter as a page, Jekyll a post.
        front = FrontMatter({}, text, 1, ())
    else:
        try:
            front = parse_front_matter(text, formats=formats)
        except FrontMatterError as exc:
            diagnostics.error("front-matter", f"{exc.message}; skipped", path=path, line=exc.line)
            return None, True
    metadata = front.metadata
    if len(formats) > 1:
        from .hugo import lower_keys

        metadata = lower_keys(metadata)
    for recovery in front.recoveries:
        diagnostics.warn(recovery.code, recovery.message, path=path, line=recovery.line)
    suffix = os.path.splitext(path)[1].lower()
    source = Source(
        path=path,
        abspath=source_file.abspath,
        metadata=metadata,
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
    formats: Sequence[str] = ("yaml",),
    bare_posts: bool = False,
) -> Source | None:
    """Read one candidate file; return its :class:`Source`, or None if it is not a post.

    A file without front matter is not a post (reported at info level), but in a Jekyll
    site's ``_posts`` (``bare_posts``); a file whose front matter cannot be read is
    reported as an error naming the line, and skipped.
    """
    data = _read_bytes(source_file, diagnostics)
    if data is None:
        return None
    source, _ = _parse_source(
        source_file, data, diagnostics, encoding, formats, bare_posts=bare_posts
    )
    return source


def _from_cache(
    cached: CachedSource,
    source_file: SourceFile,
    diagnostics: Diagnostics,
    body: str | None = None,
) -> Source:
    for note in cached.notes:
        diagnostics.add(note)
    return Source(
        path=cached.path,
        abspath=source_file.abspath,
        metadata=cached.metadata,
        body=body,
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


# Fewer files to read than this are not worth starting worker processes for.
_PARALLEL_READS = 400


def _is_trusted(cached: CachedSource | None, source_file: SourceFile, trusted_before: int) -> bool:
    """Whether the parse cache's record can stand for the file without reading it."""
    return (
        cached is not None
        and cached.size == source_file.size
        and cached.mtime_ns == source_file.mtime_ns
        and source_file.mtime_ns < trusted_before
    )


@dataclass(frozen=True)
class _ReadOutcome:
    """What reading one file gave: its source (None if it is not a post), or the news
    that its bytes are those the cache holds; with the diagnostics of the read."""

    source: Source | None
    diagnostics: tuple[Diagnostic, ...]
    parsed: bool = False
    same_as_cached: bool = False
    body: str | None = None  # the body of a file whose bytes are those the cache holds


def _read_one(
    source_file: SourceFile,
    cached: tuple[str, int] | None,
    encoding: str,
    keep_body: bool,
    formats: Sequence[str] = ("yaml",),
    bare_posts: bool = False,
) -> _ReadOutcome:
    """Read one file; ``cached`` is the content hash and body line the parse cache holds
    for it, if any. With ``keep_body``, the body is kept: the file is not read again in
    this build."""
    found = Diagnostics()
    data = _read_bytes(source_file, found)
    if data is None:
        return _ReadOutcome(None, tuple(found))
    if cached is not None and cached[0] == _content_hash(data):
        # A fresh checkout changes every mtime: the bytes say whether to parse again.
        if not keep_body:
            return _ReadOutcome(None, tuple(found), same_as_cached=True)
        try:
            body = _body_of(data, cached[1], source_file.path, encoding, found)
        except (UnicodeDecodeError, LookupError):
            pass  # not in the encoding the settings now name: parsed again, and reported
        else:
            return _ReadOutcome(None, tuple(found), same_as_cached=True, body=body)
    source, did_parse = _parse_source(
        source_file, data, found, encoding, formats, bare_posts=bare_posts
    )
    if source is not None:
        # Kept with the cache record, so a later run that skips the parse (and
        # --strict) still hears about a recovered title or a guessed encoding.
        notes = tuple(found.at_least(Level.WARNING))
        source = replace(source, notes=notes, body=source.body if keep_body else None)
    return _ReadOutcome(source, tuple(found), parsed=did_parse)


def _body_of(
    data: bytes, body_line: int, path: str, encoding: str, diagnostics: Diagnostics
) -> str:
    """The body of a file's bytes whose front matter ends before ``body_line``. Raises
    what :func:`decode_or_guess` raises."""
    text, note = decode_or_guess(data, encoding=encoding)
    if note is not None:
        diagnostics.warn("encoding", note, path=path)
    body = "\n".join(text.split("\n")[body_line - 1 :])
    return _limit_body(body, path, body_line, diagnostics)


def _read_chunk(
    job: tuple[list[tuple[SourceFile, tuple[str, int] | None]], str, bool, Sequence[str], bool],
) -> list[_ReadOutcome]:
    """Read and parse a share of the files (in a worker process).

    Each front matter goes back as the parse cache stores it (a
    :class:`~feedkit._records.StoredMetadata`): the main process keeps every source of a
    large first build, and stores that record, while only the workers that resolve the
    posts read the front matter again.
    """
    from ._records import StoredMetadata

    chunk, encoding, keep_bodies, formats, bare_posts = job
    outcomes = []
    for source_file, cached in chunk:
        outcome = _read_one(source_file, cached, encoding, keep_bodies, formats, bare_posts)
        if outcome.source is not None:
            stored = StoredMetadata.of(outcome.source.metadata)
            outcome = replace(outcome, source=replace(outcome.source, metadata=stored))
        outcomes.append(outcome)
    return outcomes


def _read_in_workers(
    files: Sequence[SourceFile],
    cache: Mapping[str, CachedSource],
    encoding: str,
    keep_bodies: bool,
    progress: Callable[[str, int, int], None] | None,
    total: int,
    formats: Sequence[str] = ("yaml",),
    bare_posts: bool = False,
) -> dict[str, _ReadOutcome] | None:
    """Read and parse ``files`` on every core (a first build, or a fresh checkout, reads
    them all); None on a single core. ``progress`` hears of each share read."""
    from ._parallel import process_pool, worker_count

    workers = worker_count()
    if workers < 2:
        return None

    jobs = [(source_file, _cached_hash(cache, source_file.path)) for source_file in files]
    size = 64
    chunks = [
        (jobs[start : start + size], encoding, keep_bodies, formats, bare_posts)
        for start in range(0, len(jobs), size)
    ]
    outcomes: dict[str, _ReadOutcome] = {}
    with process_pool(workers) as pool:
        for chunk, results in zip(chunks, pool.map(_read_chunk, chunks), strict=True):
            for (source_file, _), outcome in zip(chunk[0], results, strict=True):
                outcomes[source_file.path] = outcome
            if progress is not None:
                progress("read", total - len(files) + len(outcomes), total)
    return outcomes


def _cached_hash(cache: Mapping[str, CachedSource], path: str) -> tuple[str, int] | None:
    cached = cache.get(path)
    return (cached.content_hash, cached.body_line) if cached else None


def _in_posts_folder(path: str) -> bool:
    """Whether ``path`` is under a ``_posts`` folder, at any depth (``news/_posts/``)."""
    return "_posts" in path.split("/")[:-1]


def _without_undated_posts(
    files: Sequence[SourceFile], diagnostics: Diagnostics
) -> Sequence[SourceFile]:
    """Leave out the files under ``_posts/`` whose names have no date: Jekyll reads only
    ``YYYY-MM-DD-title.ext`` there (``Document::DATE_FILENAME_MATCHER``, on the file's
    own name, whatever its folders are called), so such a file is not on the site."""
    from .dates import filename_parts

    kept = []
    for source_file in files:
        path = source_file.path
        if _in_posts_folder(path) and filename_parts(path)[0] is None:
            diagnostics.info(
                "skipped",
                "in _posts/ but its name has no date (YYYY-MM-DD-title): Jekyll does not "
                "publish it",
                path=path,
            )
            continue
        kept.append(source_file)
    return kept if len(kept) < len(files) else files


def _has_index_file(content_dir: Path, site: HugoSite, folder: str) -> bool:
    """Whether ``folder`` (from the content folder) holds a leaf bundle's index file."""
    from .hugo import is_index_name

    try:
        with os.scandir(content_dir / folder) as listing:
            return any(entry.is_file() and is_index_name(entry.name, site) for entry in listing)
    except OSError:
        return False


def collect_sources(
    settings: Settings,
    diagnostics: Diagnostics,
    *,
    cache: Mapping[str, CachedSource] | None = None,
    files: Sequence[SourceFile] | None = None,
    racy_after_ns: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    keep_bodies: bool = False,
) -> Collected:
    """Read every post under the configured content folder (see :func:`discover_files`).

    A file whose size and mtime match its ``cache`` record is not read at all, unless its
    mtime is at or after ``racy_after_ns`` (too close to the build that cached it to
    prove it unchanged); one whose bytes hash to the cached hash (a fresh checkout
    changes every mtime) is read but not parsed. With ``keep_bodies``, the sources of the
    files read keep their bodies (the files are not read again to render them); the
    others, and those taken from the cache, have none yet (see :func:`load_body`).
    ``files`` saves the walk when the caller made it;
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
    if settings.jekyll:
        files = _without_undated_posts(files, diagnostics)
    formats: Sequence[str] = ("yaml",)
    bare_posts = bool(settings.jekyll)
    if settings.hugo is not None:
        from ._frontmatter import HUGO_FORMATS
        from .hugo import page_files

        files = page_files(
            files,
            settings.hugo,
            diagnostics,
            is_bundle=partial(_has_index_file, settings.content.dir, settings.hugo),
        )
        formats = HUGO_FORMATS
    trusted_before = racy_after_ns if racy_after_ns is not None else 1 << 62
    encoding = settings.content.encoding
    sources: list[Source] = []
    refreshed: list[Source] = []
    parsed = 0
    to_read = [
        source_file
        for source_file in files
        if not _is_trusted(cache.get(source_file.path), source_file, trusted_before)
    ]
    read = None
    if len(to_read) >= _PARALLEL_READS:
        read = _read_in_workers(
            to_read, cache, encoding, keep_bodies, progress, len(files), formats, bare_posts
        )
    for index, source_file in enumerate(files, 1):
        if progress is not None and read is None and index % 256 == 0:
            progress("read", index, len(files))
        cached = cache.get(source_file.path)
        if _is_trusted(cached, source_file, trusted_before):
            assert cached is not None
            sources.append(_from_cache(cached, source_file, diagnostics))
            continue
        if read is not None:
            outcome = read[source_file.path]
        else:
            outcome = _read_one(
                source_file,
                _cached_hash(cache, source_file.path),
                encoding,
                keep_bodies,
                formats,
                bare_posts,
            )
        for diagnostic in outcome.diagnostics:
            diagnostics.add(diagnostic)
        parsed += outcome.parsed
        if outcome.same_as_cached:
            assert cached is not None
            source = _from_cache(cached, source_file, diagnostics, outcome.body)
        elif outcome.source is None:
            continue
        else:
            source = outcome.source
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


def load_body(
    source: Source,
    diagnostics: Diagnostics,
    *,
    encoding: str = "utf-8",
    formats: Sequence[str] = ("yaml",),
    bare_posts: bool = False,
) -> Source:
    """Return ``source`` with its body, reading the file if the body is not loaded yet.

    If the file changed since it was collected, its current content is used (its front
    matter read in one of ``formats``; ``bare_posts`` as for :func:`read_source`).
    """
    if source.body is not None:
        return source
    data = _source_bytes(source)
    if data is not None and _content_hash(data) == source.content_hash:
        body = _body_of(data, source.body_line, source.path, encoding, diagnostics)
        return replace(source, body=body)
    diagnostics.warn(
        "changed-during-build",
        "file changed while the build ran; its content as read now is used",
        path=source.path,
    )
    source_file = SourceFile(
        source.path,
        source.abspath,
        source.size,
        source.mtime_ns,
        source.is_draft_file,
        source.folder_categories,
    )
    reread = read_source(
        source_file, diagnostics, encoding=encoding, formats=formats, bare_posts=bare_posts
    )
    return replace(source, body=reread.body if reread and reread.body is not None else "")


def load_post_body(post: Post, settings: Settings, diagnostics: Diagnostics) -> Post:
    """``post`` with its body loaded (see :func:`load_body`) and, where an
    ``excerpt_separator`` is set (in the post or in ``_config.yml``) and there is no
    explicit excerpt, its excerpt cut there."""
    from .jekyll import split_excerpt

    if settings.hugo is not None:
        from ._frontmatter import HUGO_FORMATS
        from .hugo import with_hugo_body

        source = load_body(
            post.source, diagnostics, encoding=settings.content.encoding, formats=HUGO_FORMATS
        )
        return with_hugo_body(replace(post, source=source), settings, diagnostics)
    source = load_body(
        post.source,
        diagnostics,
        encoding=settings.content.encoding,
        bare_posts=bool(settings.jekyll),
    )
    post = replace(post, source=source)
    separator = source.metadata.get("excerpt_separator", settings.jekyll.get("excerpt_separator"))
    if post.excerpt is None and isinstance(separator, str) and source.body:
        head = split_excerpt(source.body, separator)
        if head and head.strip():
            post = replace(post, excerpt=head)
    return post


def with_defaults(sources: Sequence[Source], settings: Settings) -> Sequence[Source]:
    """``sources`` with ``_config.yml``'s front-matter ``defaults`` applied, if any (on a
    Hugo site, its ``cascade``)."""
    from .jekyll import apply_defaults

    if settings.hugo is not None:
        from .hugo import with_cascade

        site = settings.hugo
        if not site.cascades:
            return sources
        return tuple(
            replace(source, metadata=with_cascade(source.metadata, source.path, site))
            for source in sources
        )

    defaults = settings.jekyll.get("defaults")
    if not defaults:
        return sources
    return tuple(
        replace(
            source,
            metadata=apply_defaults(
                source.metadata,
                path=source.path,
                # The document type Jekyll's ``defaults`` scopes name.
                kind="drafts" if source.is_draft_file else source.collection,
                defaults=defaults,
            ),
        )
        for source in sources
    )


def site_file_sizes(content_dir: Path, url_paths: Iterable[str]) -> dict[str, int]:
    """Sizes of the files the site holds at the given image paths (for enclosure lengths).

    A path that leads outside the content folder, through ``..`` or a symbolic link,
    is not the site's file and has no size here.
    """
    from stat import S_ISLNK, S_ISREG
    from urllib.parse import unquote

    sizes: dict[str, int] = {}
    root = content_dir.resolve()
    # Posts share a few image folders: each is resolved once, and a file on its own only
    # when it is a link, which keeps this to one system call for most images.
    real_folders: dict[str, Path] = {}
    for url_path in dict.fromkeys(url_paths):
        folder, _, name = unquote(url_path).lstrip("/").rpartition("/")
        try:
            real_folder = real_folders.get(folder)
            if real_folder is None:
                real_folder = real_folders[folder] = (root / folder).resolve()
            candidate = real_folder / name
            status = os.lstat(candidate)
            if S_ISLNK(status.st_mode):
                candidate = candidate.resolve()
                status = os.stat(candidate)
        except (OSError, ValueError, RuntimeError):  # missing, a NUL, a link loop
            continue
        if S_ISREG(status.st_mode) and candidate.is_relative_to(root):
            sizes[url_path] = status.st_size
    return sizes


def warn_missing_image(
    post: Post, item: Item, settings: Settings, diagnostics: Diagnostics
) -> None:
    """Warn when a post's ``image:`` is a path in the site that holds no file: its
    enclosure then says ``length="0"``, and readers show a broken image."""
    image = post.image
    if not image or item.enclosure is None or item.enclosure.length:
        return
    if image.startswith("//") or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", image):  # RFC 3986
        return  # another site's file: not ours to check
    from urllib.parse import unquote

    path = unquote(image.split("#")[0].split("?")[0]).lstrip("/")
    if path and (settings.content.dir / path).is_file():
        return
    diagnostics.warn(
        "image-missing",
        f"image {image!r} is not a file of the site; its enclosure has no length",
        path=post.source.path,
        line=_front_matter_line(post.source.abspath, ("image", "feature_image")),
    )


def _front_matter_line(abspath: str, keys: Sequence[str]) -> int | None:
    """The line of the first of ``keys`` in a file's front matter (for a diagnostic)."""
    pattern = re.compile(r"^(?:{})\s*:".format("|".join(map(re.escape, keys))))
    try:
        with open(abspath, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, 1):
                if number > 1 and text.rstrip() == "---":
                    break
                if pattern.match(text):
                    return number
    except OSError:
        return None
    return None


def _source_bytes(source: Source) -> bytes | None:
    try:
        with open(source.abspath, "rb") as file:
            return file.read()
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


def titleize_slug(slug: str) -> str:
    """Return the title Jekyll gives a post without one: the file name's title part,
    each ``-``-separated word capitalized (``Jekyll::Utils.titleize_slug``)."""
    # Ruby's split drops trailing empty fields; capitalize lowercases the rest of a word.
    words = slug.rstrip(".").split("-")
    while words and not words[-1]:
        words.pop()
    return " ".join(word[:1].upper() + word[1:].lower() for word in words)


def _site_image(image: str | None, *, is_jekyll: bool) -> str | None:
    """On a Jekyll site, a relative front-matter image is relative to the site, not to
    the post: jekyll-feed passes it through ``absolute_url`` (``img/a.png`` is
    ``/img/a.png``). Made site-absolute here, the render stage puts the site's URL and
    baseurl in front of it."""
    if not is_jekyll or image is None or "://" in image or image.startswith(("/", "data:")):
        return image
    return "/" + image


def default_id(
    settings: Settings, *, url: str, permalink: str, slug: Any, title: str, source: Source
) -> str:
    """Return the id of a post that has no ``id`` or ``guid`` in its front matter.

    ``site.ids = "url"`` (and ``"auto"`` outside a Jekyll site): the post's URL.
    ``"jekyll-feed"`` (and ``"auto"`` on a Jekyll site): the id jekyll-feed writes,
    ``{{ post.id | absolute_url }}``, where Jekyll's ``Document#id`` is the URL's folder
    joined with the front matter's ``slug``, else the file name's title part (a post at
    ``/2024/01/02/hello.html`` or ``/2024/01/02/hello/`` is ``…/2024/01/02/hello``), so
    that a site switching from jekyll-feed shows its readers nothing new. Ids already in
    the ledger never change whatever this gives (see :mod:`feedkit.identity`).
    """
    from .dates import path_stem
    from .permalinks import encode_url_path, join_url

    style = settings.site.ids
    if style == "url" or (style == "auto" and not settings.jekyll):
        return url
    if slug is None or slug is False or slug == "":
        name = title.rstrip(".") if source.collection == "posts" else path_stem(source.path)
    else:
        name = _ruby_to_s(slug)
    folder = permalink.rstrip("/").rpartition("/")[0] or "/"
    # File.join squeezes the "/" between the two; Addressable's normalize (in
    # absolute_url) then encodes what a URL path cannot hold.
    # absolute_url's URI parser drops whitespace at the ends (a name "a b .md").
    name = name.strip(" \t\r\n\f\v\0")
    path = folder.rstrip("/") + "/" + encode_url_path(name).lstrip("/")
    return join_url(settings.site.root_url, path)


def _ruby_to_s(value: Any) -> str:
    if value is True or value is False:
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return str(value)


def _title(source: Source, diagnostics: Diagnostics, *, is_jekyll: bool = False) -> str | None:
    title = _title_value(source, diagnostics, is_jekyll=is_jekyll)
    if title is not None and not strip_xml_illegal(title).strip():
        # Feeds drop these characters (XML 1.0 forbids them), which would leave an
        # entry with no title: RSS and Atom require one.
        diagnostics.error(
            "title-missing", "the title has no printable characters; skipped", path=source.path
        )
        return None
    return title


def _title_value(
    source: Source, diagnostics: Diagnostics, *, is_jekyll: bool = False
) -> str | None:
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
    if value is None and is_jekyll:
        # Jekyll's Document#populate_title; the post keeps its place in the feed.
        from .dates import filename_parts

        title = titleize_slug(filename_parts(source.path)[1])
        if title.strip():
            diagnostics.info(
                "title-from-name",
                f"no title; titled {title!r} from the file name, as Jekyll does",
                path=source.path,
            )
            return title
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
    from .jekyll import collections_to_publish, posts_permalink

    if label == "posts":
        return posts_permalink(settings.jekyll)
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
    source: Source,
    dates: PostDates,
    settings: Settings,
    diagnostics: Diagnostics,
    *,
    now: datetime | None = None,
) -> Post | None:
    """Interpret ``source``'s front matter into a :class:`Post`, or None if it has no title.

    The permalink is the front matter's ``permalink`` or the site's pattern (Jekyll
    tokens and named styles); the id is the front matter's ``id`` or the post's URL. On
    a Hugo site, Hugo's rules decide (:func:`feedkit.hugo.to_hugo_post`; ``now`` tells
    whether the page has expired).
    """
    if settings.hugo is not None:
        from .hugo import to_hugo_post

        return to_hugo_post(source, dates, settings, diagnostics, now=now)
    from .dates import filename_parts, path_stem
    from .permalinks import expand_permalink, join_url

    metadata = source.metadata
    is_jekyll = bool(settings.jekyll)
    title = _title(source, diagnostics, is_jekyll=is_jekyll)
    if title is None:
        return None
    _report_ignored(metadata, source, diagnostics)
    categories = _as_names(metadata.get("categories", metadata.get("category")))
    categories = tuple(dict.fromkeys(source.folder_categories + categories))
    tags = tuple(dict.fromkeys(_as_names(metadata.get("tags", metadata.get("tag")))))
    _, name_title = filename_parts(source.path)
    slug_value = metadata.get("slug")
    slug = slug_value.strip() if isinstance(slug_value, str) else ""
    template = (
        _first_str(metadata, "permalink")
        or _collection_permalink(settings, "posts")
        or settings.site.permalink
    )
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
            name=path_stem(source.path),
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
    post_id = _first_str(metadata, "id", "guid") or default_id(
        settings, url=url, permalink=permalink, slug=slug_value, title=name_title, source=source
    )
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
        image=_site_image(_image(metadata), is_jekyll=is_jekyll),
        lang=_first_str(metadata, "lang", "language"),
        is_draft=is_draft(source),
    )
