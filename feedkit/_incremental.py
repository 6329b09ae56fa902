"""Knowing what did not change: fingerprints, signatures and cached records of a build.

The pipeline uses these to skip work: a build whose inputs are those of the last one
reuses it whole; a feed whose signature is unchanged keeps its files; a post whose
inputs (its key) are unchanged is taken from its resolved record (see
:mod:`feedkit._records`). Pure functions: no I/O but ``has_size``'s ``stat``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

# Only what a build with nothing to do needs is imported here (``input_fingerprint``).
if TYPE_CHECKING:
    from ._git import GitDates
    from .models import FeedSpec, LedgerEntry, Post, Source
    from .settings import Settings

__all__ = [
    "RACY_NS",
    "code_digest",
    "digest_text",
    "feed_signature",
    "has_size",
    "input_fingerprint",
    "post_key",
    "post_signature",
    "settings_digest",
]


def input_fingerprint(settings: Settings, scan_digest: str) -> str:
    """A digest of everything a build's output depends on, but the clock: feedkit's
    version and code (:func:`code_digest`), the settings, git's HEAD and ``scan_digest``,
    the digest of each candidate file's path, size and mtime
    (:attr:`feedkit._walk.ContentScan.digest`), and on a Jekyll site the contents of
    ``_includes/`` and ``_data/``."""
    from . import __version__

    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{__version__}\n{code_digest()}\n{_settings_text(settings)}\n".encode())
    if "git" in settings.dates.sources:
        from ._git import head_commit

        digest.update(head_commit(settings.content.dir).encode())
    digest.update(scan_digest.encode())
    from ._liquid_inputs import liquid_inputs_digest

    # _includes/ and _data/ are no candidate files, but a post's Liquid reads them.
    digest.update(liquid_inputs_digest(settings).encode())
    return digest.hexdigest()


# A file modified within this long of a build's start may share its mtime with the
# version that build read ("racily clean", as git calls it): its bytes must be checked.
RACY_NS = 2_000_000_000


def _may_expire(source: Source) -> bool:
    return "expirydate" in source.metadata or "unpublishdate" in source.metadata


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
    # Instants as text: an entry read back from the database has a fixed offset where the
    # build that made it had a time zone, and the two must give the same key.
    ledger = (
        None
        if entry is None
        else (
            entry.id,
            entry.first_seen_at.isoformat(),
            entry.changed_at and entry.changed_at.isoformat(),
            entry.content_hash,
        )
    )
    clock = now.date().isoformat() if "timeline" in settings.dates.sources else ""
    if settings.hugo is not None and _may_expire(source):
        # A Hugo page leaves the feeds once its expiryDate passes.
        clock = now.isoformat()
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


def digest_text(*parts: str) -> str:
    """A short digest of ``parts``, each ended by a NUL so that no two lists collide."""
    text = "\0".join(parts) + "\0"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def settings_digest(settings: Settings) -> str:
    """A digest of feedkit's version, its code (:func:`code_digest`) and every setting."""
    from . import __version__

    return digest_text(__version__, code_digest(), _settings_text(settings))


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of feedkit's own files (its modules and data), by relative path and bytes.

    Part of every cache key and signature: output made by other code is never taken for
    this code's, so upgrading feedkit, or editing a copy of it, rebuilds what it changes
    (a version number alone did not change with every change of the code). The bytes,
    not the files' times: a reinstall of the same release rebuilds nothing. About 1 ms for
    the package's 0.5 MB, once a process.
    """
    root = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=16)
    found: list[tuple[str, str]] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in names:
            if not name.endswith((".pyc", ".pyo")):
                path = os.path.join(folder, name)
                found.append((os.path.relpath(path, root).replace(os.sep, "/"), path))
    for relative, path in sorted(found):
        with open(path, "rb") as handle:
            data = handle.read()
        digest.update(f"{relative}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _settings_text(settings: Settings) -> str:
    """The settings as the digests take them: all but how the config file's path was
    spelled (``feedkit.toml`` from the site's folder, its absolute path from cron), which
    changes nothing a build makes; every path the settings hold is absolute already."""
    return repr(replace(settings, config_path=None))


def feed_signature(spec: FeedSpec, settings_key: str, memo: dict[str, str] | None = None) -> str:
    """A digest of everything one feed's files are made of: the settings, the feed's place
    and links, and for each post its identity, dates, fields and content hash.

    ``memo`` keeps each post's part by id across the feeds of one build: a post is in
    several feeds (the site's, its categories', its tags', an archive page).
    """
    memo = {} if memo is None else memo
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
        part = memo.get(post.id)
        if part is None:
            part = memo[post.id] = post_signature(post)
        parts.append(part)
    return digest_text(*parts)


def post_signature(post: Post) -> str:
    """One post's part of the signature of every feed that holds it (a digest: it is
    stored for every post of the site)."""
    published, updated = post.dates.published, post.dates.updated
    text = repr(
        (
            post.id,
            post.url,
            post.title,
            published.at.isoformat(),
            str(published.at.tzinfo),
            published.source,
            updated.at.isoformat(),
            str(updated.at.tzinfo),
            updated.source,
            post.excerpt,
            post.categories,
            post.tags,
            None if post.author is None else (post.author.name, post.author.email, post.author.uri),
            post.image,
            post.lang,
            post.source.content_hash,
            post.source.markup,
        )
    )
    return digest_text(text)


def has_size(path: str | Path, size: int | None) -> bool:
    """Return True when ``path`` exists with ``size`` bytes."""
    try:
        return size is not None and os.stat(path).st_size == size
    except OSError:
        return False
