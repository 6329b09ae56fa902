"""Frozen records passed between the stages of the pipeline.

collect → :class:`Source`; dates → :class:`PostDates`; collect.to_post → :class:`Post`;
render → :class:`Item`; generate → :class:`Artifact`. Collections are tuples and every
datetime is timezone-aware, keeping the offset the post was written in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .diagnostics import Diagnostic

__all__ = [
    "Artifact",
    "Author",
    "CachedSource",
    "Enclosure",
    "FeedSpec",
    "Item",
    "LedgerEntry",
    "Post",
    "PostDates",
    "QueuedPing",
    "ResolvedDate",
    "Source",
]


@dataclass(frozen=True)
class Author:
    """A person credited in a feed (RFC 4287 section 3.2)."""

    name: str
    email: str | None = None
    uri: str | None = None


@dataclass(frozen=True)
class LedgerEntry:
    """One post's identity and history. ``path`` is where it was last seen; a deleted post
    keeps it (so that re-adding the file revives the same identity). ``seq`` numbers
    posts in the order they were first published; it fixes each post's archive page."""

    id: str
    path: str
    content_hash: str
    first_seen_at: datetime
    changed_at: datetime | None = None
    deleted_at: datetime | None = None
    seq: int = 0


@dataclass(frozen=True)
class CachedSource:
    """A source's parsed record, valid while its size and mtime (or hash) are unchanged."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str
    metadata: Mapping[str, object]
    body_line: int
    markup: str
    is_draft_file: bool
    folder_categories: tuple[str, ...]
    notes: tuple[Diagnostic, ...] = ()  # warnings of the parse, reported again on a hit


@dataclass(frozen=True)
class Source:
    """A post file as read from the content folder, before any interpretation.

    ``path`` is relative to the content folder, with ``/`` separators; ``metadata`` is the
    front matter (after Jekyll ``defaults`` are merged under it) and must not be mutated.
    ``body`` is None when the record came from the parse cache and the body has not been
    needed yet (see :func:`feedkit.collect.load_body`). ``abspath`` is a string: a
    ``Path`` made again from a pickle keeps a list of its parts, about 500 bytes more for
    each of the posts a first build holds.
    """

    path: str
    abspath: str
    metadata: Mapping[str, object]
    body: str | None
    body_line: int
    markup: str  # "markdown" or "html"
    size: int
    mtime_ns: int
    content_hash: str
    is_draft_file: bool = False
    folder_categories: tuple[str, ...] = ()
    notes: tuple[Diagnostic, ...] = ()  # warnings about the file itself, from its parse
    collection: str = "posts"  # a Jekyll collection's label for documents outside _posts


@dataclass(frozen=True)
class ResolvedDate:
    """An instant with the place it came from (``front-matter:date``, ``filename``, ...)."""

    at: datetime
    source: str


@dataclass(frozen=True)
class PostDates:
    """The published and updated instants of one post; ``updated.at >= published.at``."""

    published: ResolvedDate
    updated: ResolvedDate


@dataclass(frozen=True)
class Post:
    """A post ready to render: its identity, URL, dates and descriptive fields."""

    source: Source
    id: str
    title: str
    permalink: str  # the URL path, percent-encoded, starting with "/"
    url: str  # absolute
    dates: PostDates
    excerpt: str | None  # the front matter's own summary, or None to use the first paragraph
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    author: Author | None
    image: str | None  # as written: relative or absolute
    lang: str | None
    is_draft: bool

    @property
    def published_at(self) -> datetime:
        """The instant the post was published."""
        return self.dates.published.at

    @property
    def updated_at(self) -> datetime:
        """The instant the post was last updated."""
        return self.dates.updated.at


@dataclass(frozen=True)
class Enclosure:
    """A file attached to an entry (RSS ``enclosure``, Atom ``link rel="enclosure"``)."""

    url: str
    length: int
    media_type: str


@dataclass(frozen=True)
class Item:
    """A post rendered for feeds: absolute URLs, repaired and XML-safe HTML."""

    post: Post
    content_html: str
    summary_html: str
    summary_text: str
    image_url: str | None
    enclosure: Enclosure | None
    extensions: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedSpec:
    """One feed document set: a subscription feed (site, category, tag) or an archive page.

    ``directory`` is where its files go inside the output folder (``""`` for the site,
    ``categories/<slug>/`` otherwise); ``url_path`` is the same, percent-encoded.
    ``archive_page`` is set on archive documents (RFC 5005); ``prev_archive`` and
    ``next_archive`` name the neighbouring archive pages, if any.
    """

    key: str
    kind: str  # "site", "category", "tag" or "archive"
    name: str | None
    directory: str
    url_path: str
    title: str
    posts: tuple[Post, ...]
    archive_page: int | None = None
    prev_archive: int | None = None
    next_archive: int | None = None


@dataclass(frozen=True)
class Artifact:
    """One output file: its path inside the output folder and its exact bytes."""

    path: str
    data: bytes
    media_type: str
    feed_key: str | None = None


@dataclass(frozen=True)
class QueuedPing:
    """A WebSub ping waiting in the state database, with why it is still there."""

    feed_url: str
    hub: str
    queued_at: datetime
    attempts: int
    last_error: str | None
    status: str  # "queued" (to send) or "failed" (refused by the hub)
    last_attempt_at: datetime | None
