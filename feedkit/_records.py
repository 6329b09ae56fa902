"""Resolved posts as the state database keeps them, so that an unchanged post is not
resolved again: :func:`post_record` and :func:`post_from_record`; and planned posts,
what planning the feeds needs of each (:class:`PlannedPost`), so that a build that
re-reads few files need not make every post.

Apart from :mod:`feedkit._rebuild` because it needs the models, which a build with
nothing to do never imports; and its functions run once for every post of a site.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo

from ._rebuild import post_signature
from .diagnostics import Diagnostic
from .models import Author, Post, PostDates, ResolvedDate, Source
from .state import (
    RecordError,
    diagnostics_from_record,
    diagnostics_record,
    dump_record,
    load_record,
)

__all__ = [
    "PLANNED_FORMAT",
    "PLANNED_SHARDS",
    "RECORD_FORMAT",
    "PlannedPost",
    "ReusedPost",
    "planned_from_record",
    "planned_post",
    "planned_record",
    "planned_shard",
    "post_from_record",
    "post_record",
]

RECORD_FORMAT = "resolved-post/5"  # change it whenever post_record changes
PLANNED_FORMAT = "planned-post/2"  # change it whenever planned_record changes
# Planned posts are stored in this many records, each rewritten when one of its posts
# changes: a few small records to write, rather than one as large as the site.
PLANNED_SHARDS = 64


class ReusedPost(NamedTuple):
    """A post read back from its record."""

    post: Post
    signature: str  # its part of the signature of every feed that holds it
    diagnostics: tuple[Diagnostic, ...]  # what resolving it said, said again


def post_record(post: Post, found: Iterable[Diagnostic], signature: str | None = None) -> bytes:
    """Serialize a resolved post (everything but its source) with the diagnostics its
    resolution gave and its part of the feed signatures (``signature``, when the caller
    has made it already: see :func:`~feedkit._rebuild.post_signature`).

    A tuple of plain values: it decodes several times faster than the pickled objects.
    """
    author = post.author
    return dump_record(
        (
            RECORD_FORMAT,
            post.id,
            post.title,
            post.permalink,
            post.url,
            *_instant_record(post.dates.published),
            *_instant_record(post.dates.updated),
            post.excerpt,
            tuple(post.categories),
            tuple(post.tags),
            None if author is None else (author.name, author.email, author.uri),
            post.image,
            post.lang,
            post.is_draft,
            diagnostics_record(found),
            post_signature(post) if signature is None else signature,
        )
    )


def _instant_record(resolved: ResolvedDate) -> tuple[str, str, str | None]:
    # The zone's name is kept: a time zone, unlike a fixed offset, resolves later dates.
    return resolved.at.isoformat(), resolved.source, getattr(resolved.at.tzinfo, "key", None)


def _instant_from(text: str, source: str, zone: str | None) -> ResolvedDate:
    at = datetime.fromisoformat(text)
    return ResolvedDate(at.astimezone(_zone(zone)) if zone else at, source)


@functools.cache
def _zone(key: str) -> tzinfo:
    return ZoneInfo(key)


def post_from_record(source: Source, record: bytes) -> ReusedPost | None:
    """The post a record describes, with its part of the feed signatures (see
    :func:`feedkit._rebuild.post_signature`) and the diagnostics its resolution gave;
    None when the record cannot be read (then the post is resolved again)."""
    try:
        (
            record_format,
            post_id,
            title,
            permalink,
            url,
            published_at,
            published_source,
            published_zone,
            updated_at,
            updated_source,
            updated_zone,
            excerpt,
            categories,
            tags,
            author,
            image,
            lang,
            is_draft,
            notes,
            signature,
        ) = load_record(record)
        if record_format != RECORD_FORMAT:
            return None
        post = Post(
            source=source,
            id=post_id,
            title=title,
            permalink=permalink,
            url=url,
            dates=PostDates(
                _instant_from(published_at, published_source, published_zone),
                _instant_from(updated_at, updated_source, updated_zone),
            ),
            excerpt=excerpt,
            categories=categories,
            tags=tags,
            author=None if author is None else Author(*author),
            image=image,
            lang=lang,
            is_draft=is_draft,
        )
        found = diagnostics_from_record(notes, source.path)
    except (RecordError, TypeError, ValueError):
        return None
    return ReusedPost(post, signature, found)


class PlannedPost(NamedTuple):
    """What planning the feeds needs of one post, and what a build reports of it, without
    its body or fields: every unchanged post of a build that re-reads few files is one of
    these. It has the attributes of :class:`~feedkit.models.Post` that planning reads
    (``id``, ``url``, ``permalink``, ``title``, ``published_at``, ``is_draft``,
    ``categories``, ``tags`` and ``source.path``).
    """

    path: str
    size: int
    mtime_ns: int
    id: str
    url: str
    permalink: str
    title: str
    published_at: datetime
    is_draft: bool
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    part: str  # its part of the signature of every feed that holds it
    notes: tuple[Diagnostic, ...]  # what reading its file said, as a cached read says again
    said: tuple[Diagnostic, ...]  # what resolving it said
    published: bool  # whether the build that stored it published it
    seq: int  # its publication number in the ledger; -1 when not published

    @property
    def source(self) -> PlannedPost:
        """The post itself, which knows its source's ``path``."""
        return self


def planned_post(
    post: Post, part: str, said: Iterable[Diagnostic], *, published: bool, seq: int
) -> PlannedPost:
    """The planned form of a resolved ``post``."""
    source = post.source
    return PlannedPost(
        source.path,
        source.size,
        source.mtime_ns,
        post.id,
        post.url,
        post.permalink,
        post.title,
        post.published_at,
        post.is_draft,
        tuple(post.categories),
        tuple(post.tags),
        part,
        tuple(source.notes),
        tuple(said),
        published,
        seq,
    )


def planned_shard(path: str) -> int:
    """The shard whose record holds the planned post of the file at ``path``."""
    return zlib.crc32(path.encode("utf-8", "surrogatepass")) % PLANNED_SHARDS


def planned_record(posts: Iterable[PlannedPost]) -> bytes:
    """Serialize the planned posts of one shard as one record: read back on every build
    that re-reads few files, a few records decode many times faster than a row a post.
    """
    return dump_record(
        (
            PLANNED_FORMAT,
            [
                (
                    *post[:7],
                    post.published_at.isoformat(),
                    *post[8:12],
                    diagnostics_record(post.notes),
                    diagnostics_record(post.said),
                    post.published,
                    post.seq,
                )
                for post in posts
            ],
        )
    )


def planned_from_record(record: bytes) -> dict[str, PlannedPost] | None:
    """Inverse of :func:`planned_record`, by path; None when it cannot be read."""
    try:
        record_format, rows = load_record(record)
        if record_format != PLANNED_FORMAT:
            return None
        fromisoformat = datetime.fromisoformat
        planned = {}
        for row in rows:
            path = row[0]
            notes, said = row[12], row[13]
            planned[path] = PlannedPost._make(
                (
                    *row[:7],
                    fromisoformat(row[7]),
                    *row[8:12],
                    diagnostics_from_record(notes, path) if notes else (),
                    diagnostics_from_record(said, path) if said else (),
                    row[14],
                    row[15],
                )
            )
    except (RecordError, TypeError, ValueError, IndexError):
        return None
    return planned
