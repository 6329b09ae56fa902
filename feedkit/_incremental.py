"""Knowing what did not change: fingerprints, signatures and cached records of a build.

The pipeline uses these to skip work: a build whose inputs are those of the last one
reuses it whole; a feed whose signature is unchanged keeps its files; a post whose
inputs are unchanged is taken from its resolved record. Pure functions: no I/O but
``has_size``'s ``stat``.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, Diagnostics, Level

# Only what a build with nothing to do needs is imported here (``input_fingerprint``).
if TYPE_CHECKING:
    from ._git import GitDates
    from ._walk import SourceFile
    from .models import FeedSpec, LedgerEntry, Post, ResolvedDate, Source
    from .settings import Settings

__all__ = [
    "RACY_NS",
    "RECORD_FORMAT",
    "digest_text",
    "feed_signature",
    "has_size",
    "input_fingerprint",
    "post_from_record",
    "post_key",
    "post_record",
    "settings_digest",
]


def input_fingerprint(settings: Settings, files: Sequence[SourceFile]) -> str:
    """A digest of everything a build's output depends on, but the clock: feedkit's
    version, the settings, each candidate file's path, size and mtime, and git's HEAD."""
    from . import __version__

    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{__version__}\n{settings!r}\n".encode())
    if "git" in settings.dates.sources:
        from ._git import head_commit

        digest.update(head_commit(settings.content.dir).encode())
    # Three updates for the whole list rather than one a file: a large site has many.
    digest.update("\0".join(source_file.path for source_file in files).encode())
    digest.update(array("q", [source_file.size for source_file in files]).tobytes())
    digest.update(array("q", [source_file.mtime_ns for source_file in files]).tobytes())
    return digest.hexdigest()


# A file modified within this long of a build's start may share its mtime with the
# version that build read ("racily clean", as git calls it): its bytes must be checked.
RACY_NS = 2_000_000_000


RECORD_FORMAT = "resolved-post/2"  # change it whenever post_record changes


def post_key(
    source: Source,
    entry: LedgerEntry | None,
    git_dates: GitDates | None,
    settings_key: str,
    settings: Settings,
    now: datetime,
) -> str:
    """What a resolved post depends on (its dates may depend on the clock only through
    the timeline source and relative words, so the day is part of the key then)."""
    ledger = (
        None
        if entry is None
        else (entry.id, entry.first_seen_at, entry.changed_at, entry.content_hash)
    )
    clock = now.date().isoformat() if "timeline" in settings.dates.sources else ""
    mtime = source.mtime_ns if "mtime" in settings.dates.sources else 0
    return digest_text(
        settings_key,
        source.content_hash,
        source.path,
        repr(ledger),
        repr(git_dates),
        clock,
        str(mtime),
    )


def post_record(post: Post, found: Diagnostics) -> str:
    """Serialize a resolved post (everything but its source) with its diagnostics."""
    author = post.author
    return json.dumps(
        {
            "id": post.id,
            "title": post.title,
            "permalink": post.permalink,
            "url": post.url,
            "published": _instant_record(post.dates.published),
            "updated": _instant_record(post.dates.updated),
            "excerpt": post.excerpt,
            "categories": list(post.categories),
            "tags": list(post.tags),
            "author": None if author is None else [author.name, author.email, author.uri],
            "image": post.image,
            "lang": post.lang,
            "is_draft": post.is_draft,
            "diagnostics": [[d.level.value, d.code, d.message, d.line] for d in found],
        },
        ensure_ascii=False,
    )


def _instant_record(resolved: ResolvedDate) -> list[str | None]:
    # The zone's name is kept: a time zone, unlike a fixed offset, resolves later dates.
    zone = getattr(resolved.at.tzinfo, "key", None)
    return [resolved.at.isoformat(), resolved.source, zone]


def _instant_from(record: list[str | None]) -> ResolvedDate:
    from zoneinfo import ZoneInfo

    from .models import ResolvedDate

    text, source, zone = record
    assert text is not None and source is not None
    at = datetime.fromisoformat(text)
    return ResolvedDate(at.astimezone(ZoneInfo(zone)) if zone else at, source)


def post_from_record(source: Source, text: str, diagnostics: Diagnostics) -> Post | None:
    """The post a record describes, or None when the record cannot be read (then the post
    is resolved again)."""
    try:
        return _decode_post(source, text, diagnostics)
    except (KeyError, TypeError, ValueError):
        return None


def _decode_post(source: Source, text: str, diagnostics: Diagnostics) -> Post:
    from .models import Author, Post, PostDates

    data = json.loads(text)
    for level, code, message, line in data["diagnostics"]:
        diagnostics.add(Diagnostic(Level(level), code, message, source.path, line))
    author = data["author"]
    return Post(
        source=source,
        id=data["id"],
        title=data["title"],
        permalink=data["permalink"],
        url=data["url"],
        dates=PostDates(_instant_from(data["published"]), _instant_from(data["updated"])),
        excerpt=data["excerpt"],
        categories=tuple(data["categories"]),
        tags=tuple(data["tags"]),
        author=None if author is None else Author(*author),
        image=data["image"],
        lang=data["lang"],
        is_draft=data["is_draft"],
    )


def digest_text(*parts: str) -> str:
    """A short digest of ``parts``, each ended by a NUL so that no two lists collide."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def settings_digest(settings: Settings) -> str:
    """A digest of feedkit's version and every setting."""
    from . import __version__

    return digest_text(__version__, repr(settings))


def feed_signature(spec: FeedSpec, settings_key: str) -> str:
    """A digest of everything one feed's files are made of: the settings, the feed's place
    and links, and for each post its identity, dates, fields and content hash."""
    parts = [
        settings_key,
        repr(
            (
                spec.key,
                spec.title,
                spec.directory,
                spec.archive_page,
                spec.prev_archive,
                spec.next_archive,
            )
        ),
    ]
    for post in spec.posts:
        parts.append(
            repr(
                (
                    post.id,
                    post.url,
                    post.title,
                    post.dates,
                    post.excerpt,
                    post.categories,
                    post.tags,
                    post.author,
                    post.image,
                    post.lang,
                    post.source.content_hash,
                    post.source.markup,
                )
            )
        )
    return digest_text(*parts)


def has_size(path: Path, size: int | None) -> bool:
    """Return True when ``path`` exists with ``size`` bytes."""
    try:
        return size is not None and path.stat().st_size == size
    except OSError:
        return False
