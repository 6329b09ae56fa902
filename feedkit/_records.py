"""Resolved posts as the state database keeps them, so that an unchanged post is not
resolved again: :func:`post_record` and :func:`post_from_record`.

Apart from :mod:`feedkit._incremental` because it needs the models, which a build with
nothing to do never imports; and its functions run once for every post of a site.
"""

from __future__ import annotations

import functools
from datetime import datetime, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo

from ._incremental import post_signature
from .diagnostics import Diagnostic, Diagnostics
from .models import Author, Post, PostDates, ResolvedDate, Source
from .state import (
    RecordError,
    diagnostics_from_record,
    diagnostics_record,
    dump_record,
    load_record,
)

__all__ = ["RECORD_FORMAT", "ReusedPost", "post_from_record", "post_record"]

RECORD_FORMAT = "resolved-post/4"  # change it whenever post_record changes


class ReusedPost(NamedTuple):
    """A post read back from its record."""

    post: Post
    signature: str  # its part of the signature of every feed that holds it
    diagnostics: tuple[Diagnostic, ...]  # what resolving it said, said again


def post_record(post: Post, found: Diagnostics) -> bytes:
    """Serialize a resolved post (everything but its source) with the diagnostics its
    resolution gave and its part of the feed signatures.

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
            post_signature(post),
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
    :func:`feedkit._incremental.post_signature`) and the diagnostics its resolution gave;
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
