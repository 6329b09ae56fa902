"""What feedkit caches between builds, and how: every record the state database keeps
of a post, encoded here and nowhere else, in one scheme (:func:`dump_record`: plain
values, dates and datetimes in a tuple, pickled; read back by an unpickler that makes
nothing else).

- the parse cache: a source's front matter and what its parse found
  (:func:`source_record`, :func:`cached_source`; the front matter is decoded when first
  used, :class:`StoredMetadata`);
- resolved posts, so that an unchanged post is not resolved again (:func:`post_record`,
  :func:`post_from_record`);
- planned posts, what planning the feeds needs of each (:class:`PlannedPost`), so that
  a build that re-reads few files need not make every post;
- the feeds as the last build planned them (:class:`StoredPlan`, and each feed's posts
  as :class:`FeedMember` rows), so that a build in which only some posts' content
  changed need not plan every feed again (see :mod:`feedkit._replan`).

:mod:`feedkit.state` stores the bytes; a record that cannot be read is worked out again.
A build with nothing to do never imports this module.
"""

from __future__ import annotations

import functools
import io
import pickle
import zlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from ._rebuild import post_signature
from .diagnostics import Diagnostic, Level
from .errors import StateError
from .models import Author, CachedSource, Post, PostDates, ResolvedDate, Source

__all__ = [
    "EAGER_KEYS",
    "PLANNED_FORMAT",
    "PLANNED_SHARDS",
    "PLAN_FORMAT",
    "RECORD_FORMAT",
    "FeedMember",
    "PlannedPost",
    "RecordError",
    "ReusedPost",
    "StoredMetadata",
    "StoredPlan",
    "cached_source",
    "diagnostics_from_record",
    "diagnostics_record",
    "dump_record",
    "load_record",
    "members_from_record",
    "members_record",
    "plan_from_record",
    "plan_record",
    "planned_from_record",
    "planned_post",
    "planned_record",
    "planned_shard",
    "post_from_record",
    "post_record",
    "source_record",
]

# What a cached record may hold beyond plain values: the dates and times YAML gives.
_RECORD_GLOBALS = frozenset(
    ("datetime", name) for name in ("date", "datetime", "time", "timedelta", "timezone")
)


class _RecordUnpickler(pickle.Unpickler):
    """An unpickler that makes nothing but plain values and ``datetime`` objects: a state
    database copied from elsewhere must not be able to run code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _RECORD_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cached record")


def dump_record(value: Any) -> bytes:
    """Serialize a cached record: a tuple of plain values, dates and datetimes.

    Pickle, read back by :func:`load_record`, rather than JSON: decoding every cached
    post is most of what an incremental build of a large site costs, and pickle keeps
    YAML's dates without tagging them.
    """
    return pickle.dumps(value, protocol=5)


def load_record(data: bytes) -> Any:
    """Inverse of :func:`dump_record`. Raises :class:`RecordError` when ``data`` is not a
    record (a damaged row, or one of another format): the caller then works it out again."""
    try:
        return _RecordUnpickler(io.BytesIO(data)).load()
    except Exception as exc:  # a damaged pickle can raise almost anything
        raise RecordError(str(exc)) from exc


class RecordError(ValueError):
    """A cached record that cannot be read."""


def diagnostics_record(diagnostics: Iterable[Diagnostic]) -> tuple[tuple[Any, ...], ...]:
    """What a cached record keeps of the diagnostics a file gave (its path is the row's)."""
    return tuple((d.level.value, d.code, d.message, d.line) for d in diagnostics)


def diagnostics_from_record(record: Iterable[Any], path: str) -> tuple[Diagnostic, ...]:
    """Inverse of :func:`diagnostics_record`, for the file at ``path``."""
    return tuple(
        Diagnostic(Level(level), code, message, path, line) for level, code, message, line in record
    )


# The front-matter keys every run reads for every post (``id``, to match posts to the
# ledger): a cached record keeps them beside the rest, which is decoded only when used.
EAGER_KEYS = ("id",)
_NO_EAGER_KEYS: dict[str, Any] = {}  # shared by the records without one; never changed


class StoredMetadata(Mapping[str, Any]):
    """A post's front matter as the parse cache stored it, decoded when first used.

    A run reads the front matter of the few posts it resolves or renders again, and the
    ``id`` of every post (kept apart, see ``EAGER_KEYS``): decoding them all up front
    cost a large site more time and memory than anything else it kept.
    """

    __slots__ = ("_decoded", "_eager", "_stored")

    def __init__(self, stored: bytes, eager: Mapping[str, Any]) -> None:
        self._stored = stored
        # Most front matter has no eager key: one shared empty mapping, not a dict a post.
        self._eager = dict(eager) if eager else _NO_EAGER_KEYS
        self._decoded: dict[str, Any] | None = None

    def _front_matter(self) -> dict[str, Any]:
        if self._decoded is None:
            try:
                decoded = load_record(self._stored)
            except RecordError as exc:
                raise StateError(
                    f"a cached front matter cannot be read ({exc}); delete the state "
                    "database to read every post again"
                ) from exc
            if not isinstance(decoded, dict):
                raise StateError(
                    "a cached front matter is not a mapping; delete the state database"
                )
            self._decoded = decoded
        return self._decoded

    def __getitem__(self, key: str) -> Any:
        if key in EAGER_KEYS:
            return self._eager[key]
        return self._front_matter()[key]

    def get(self, key: str, default: Any = None) -> Any:
        """``self[key]``, or ``default``; a key that the stored record does not spell
        is not there, and is answered without decoding the record (the stored form is
        a pickle, which writes every string key as its UTF-8 bytes)."""
        if key in EAGER_KEYS:
            return self._eager.get(key, default)
        if self._decoded is None and key.encode("utf-8", "surrogatepass") not in self._stored:
            return default
        return self._front_matter().get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._front_matter())

    def __len__(self) -> int:
        return len(self._front_matter())

    @classmethod
    def of(cls, metadata: Mapping[str, Any]) -> StoredMetadata:
        """``metadata`` as the parse cache stores it, not decoded again until used."""
        eager = {key: metadata[key] for key in EAGER_KEYS if key in metadata}
        return cls(dump_record(dict(metadata)), eager)

    def __reduce__(self) -> tuple[Any, ...]:
        # To another process (the stdlib pickle, not load_record): as stored, to be
        # decoded there if it is used.
        return (StoredMetadata, (self._stored, self._eager))

    def __repr__(self) -> str:
        return repr(self._front_matter())


def _stored_front_matter(metadata: Mapping[str, Any]) -> bytes:
    if isinstance(metadata, StoredMetadata):
        return metadata._stored
    return dump_record(dict(metadata))


def source_record(source: CachedSource) -> bytes:
    """Serialize what the parse cache keeps of a source (its row holds the path, size,
    mtime and content hash)."""
    return dump_record(
        (
            _stored_front_matter(source.metadata),
            {key: source.metadata[key] for key in EAGER_KEYS if key in source.metadata},
            source.body_line,
            source.markup,
            source.is_draft_file,
            tuple(source.folder_categories),
            diagnostics_record(source.notes),
        )
    )


def cached_source(
    path: str, size: int, mtime_ns: int, content_hash: str, record: bytes
) -> CachedSource | None:
    """Inverse of :func:`source_record`, with the row's other columns; None when the
    record cannot be read (then the file is parsed again)."""
    try:
        stored, eager, body_line, markup, is_draft_file, categories, notes = load_record(record)
        metadata = StoredMetadata(stored, eager)
    except (RecordError, TypeError, ValueError):
        return None
    return CachedSource(
        path=path,
        size=size,
        mtime_ns=mtime_ns,
        content_hash=content_hash,
        metadata=metadata,
        body_line=body_line,
        markup=markup,
        is_draft_file=is_draft_file,
        folder_categories=categories,
        notes=diagnostics_from_record(notes, path),
    )


RECORD_FORMAT = "resolved-post/5"  # change it whenever post_record changes
PLANNED_FORMAT = "planned-post/2"  # change it whenever planned_record changes
PLAN_FORMAT = "feed-plan/1"  # change it whenever plan_record or members_record changes
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


class FeedMember(NamedTuple):
    """One post of a feed as the stored plan keeps it: what deciding whether the feed
    must be written needs (its id and part of the feed's signature), and the file that
    makes it whole again (:func:`feedkit._rebuild.whole_posts`)."""

    path: str
    id: str
    part: str

    @property
    def source(self) -> FeedMember:
        """The member itself, which knows its source's ``path``."""
        return self


class StoredPlan(NamedTuple):
    """The feeds as a build planned them, with what it gathered to plan them, for the
    next build to take back when only some posts' content changed (see
    :mod:`feedkit._replan`). Each feed's posts are stored apart, as
    :func:`members_record` rows."""

    valid_for: str  # the key of the planned posts it was made with
    signature_key: str  # the settings' part of every feed's signature
    planned_at: str  # the clock of the build that planned it (ISO 8601)
    paths: tuple[str, ...]  # every file planned from, in the order of the walk
    sizes: tuple[int, ...]
    mtimes: tuple[int, ...]  # -1 for a file that holds no planned post: read again
    # Each feed without its posts, in the build's order: (key, kind, name, directory,
    # url_path, title, archive_page, prev_archive, next_archive, number of posts, and
    # the digest of its row of posts).
    feeds: tuple[tuple[Any, ...], ...]
    # What gathering the posts said, in order: (path, level, code, message, line); and
    # of that, what reading git's history said.
    found: tuple[tuple[Any, ...], ...]
    git_said: tuple[tuple[Any, ...], ...]
    published: int
    drafts: int
    scheduled: int
    next_scheduled: tuple[str, str, str] | None  # path, title, when it falls due (ISO 8601)


def plan_record(plan: StoredPlan) -> bytes:
    """Serialize a :class:`StoredPlan`; :func:`plan_from_record` reads it back."""
    return dump_record((PLAN_FORMAT, tuple(plan)))


def plan_from_record(record: bytes) -> StoredPlan | None:
    """Inverse of :func:`plan_record`; None when it cannot be read."""
    try:
        record_format, fields = load_record(record)
        if record_format != PLAN_FORMAT:
            return None
        return StoredPlan._make(fields)
    except (RecordError, TypeError, ValueError):
        return None


def members_record(members: Iterable[FeedMember]) -> bytes:
    """Serialize one feed's posts, in order, as the stored plan keeps them."""
    return dump_record((PLAN_FORMAT, [tuple(member) for member in members]))


def members_from_record(record: bytes) -> tuple[FeedMember, ...] | None:
    """Inverse of :func:`members_record`; None when it cannot be read."""
    try:
        record_format, rows = load_record(record)
        if record_format != PLAN_FORMAT:
            return None
        return tuple(FeedMember._make(row) for row in rows)
    except (RecordError, TypeError, ValueError):
        return None
