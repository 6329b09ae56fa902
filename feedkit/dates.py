"""Dates stage: each post's published and updated instants, with where they came from.

Published comes from the first source, in the configured order, that gives one:
``front-matter`` (``date``, ``published``, ``pubDate``, ``created``), ``filename`` (Jekyll's
``YYYY-MM-DD-`` prefix), ``git`` (the commit that added the file), ``first-seen`` (the
first run that published it, from the state database), ``timeline`` (opt-in: the latest
fully written date of the post's timeline table, see :func:`timeline_date`) and
``mtime`` (with a warning: it is not stable across checkouts). Updated comes from front
matter (``last_modified_at``, ``updated``, ``modified``, ``lastmod``), else the last commit
that changed the file after adding it, else the moment feedkit detected that the content
changed, else the published instant; it is never earlier than published.

Everything here is pure: the file's history and "now" are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING

from ._datexpr import DateSpan, Precision, parse, parse_partial
from .diagnostics import Diagnostics
from .models import PostDates, ResolvedDate, Source
from .timeline import TimelineEvent

if TYPE_CHECKING:
    from ._git import GitDates
    from .models import LedgerEntry, Post
    from .settings import Settings

__all__ = [
    "PUBLISHED_KEYS",
    "UPDATED_KEYS",
    "DateFacts",
    "DateSpan",
    "Precision",
    "filename_parts",
    "front_matter_instant",
    "has_own_date",
    "parse",
    "path_stem",
    "resolve_dates",
    "resolve_post",
    "split_posts",
    "timeline_date",
]

PUBLISHED_KEYS = ("date", "published", "pubDate", "created")
UPDATED_KEYS = ("last_modified_at", "updated", "modified", "lastmod")
# Jekyll's Document::DATE_FILENAME_MATCHER: a year of 2 to 4 digits, month and day of 1
# or 2 (``2017-2-5-slug.md``), read by Ruby's Time.parse (a 2-digit year is 19xx from
# 69 on, else 20xx).
_JEKYLL_NAME = re.compile(r"^(\d{2,4})-(\d{1,2})-(\d{1,2})-(.+)$")


@dataclass(frozen=True)
class DateFacts:
    """What the edges know about a file's history (each may be unknown)."""

    mtime_at: datetime
    git_created_at: datetime | None = None
    git_modified_at: datetime | None = None
    first_seen_at: datetime | None = None
    changed_at: datetime | None = None  # when feedkit last detected a change to the content
    timeline_at: datetime | None = None  # see timeline_date(); only when opted in


def _whole_seconds(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def front_matter_instant(value: object, *, tz: tzinfo, now: datetime) -> datetime | None:
    """Return the instant a front-matter date value names, or None if it names none.

    YAML dates are midnight in ``tz``; naive datetimes are in ``tz``; strings are read
    with :func:`parse` (day precision or finer only: ``2024`` alone is not a date).
    """
    if isinstance(value, datetime):
        instant = value if value.tzinfo is not None else value.replace(tzinfo=tz)
        return _whole_seconds(instant)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=tz)
    if isinstance(value, str) and value.strip():
        span = parse(value, now, tz)
        if span is None or span.precision < Precision.DAY:
            return _leading_date_time(value, tz)
        return _whole_seconds(span.start)
    return None


# A date and time at the start of a value, and a zone right after the time.
_LEADING_DATE_TIME = re.compile(
    r"\s*(\d{4})-(\d{1,2})-(\d{1,2})[T ]+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"(?:\s*(Z|[+-]\d{2}(?::?\d{2})?)(?![\d:]))?"
)


def _leading_date_time(value: str, tz: tzinfo) -> datetime | None:
    """Read a date and time that open ``value`` and are followed by something else, as
    Ruby's ``Time.parse`` (which Jekyll uses) does: ``2023-01-29 18:30:22 2023 -0800``
    (a ``date`` command's output, edited) is 18:30:22 in ``tz``; the zone counts only
    right after the time."""
    match = _LEADING_DATE_TIME.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    zone_info: tzinfo = tz
    if zone == "Z":
        zone_info = UTC
    elif zone:
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        offset = timedelta(hours=hours, minutes=minutes)
        zone_info = timezone(offset if zone[0] == "+" else -offset)
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
            tzinfo=zone_info,
        )  # fmt: skip
    except ValueError:
        return None


def _from_keys(
    source: Source,
    keys: Sequence[str],
    *,
    tz: tzinfo,
    now: datetime,
    diagnostics: Diagnostics,
) -> ResolvedDate | None:
    metadata: Mapping[str, object] = source.metadata
    for key in keys:
        # `published: false` is Jekyll's flag for an unpublished post, not a date.
        if key not in metadata or metadata[key] in (None, "") or isinstance(metadata[key], bool):
            continue
        instant = front_matter_instant(metadata[key], tz=tz, now=now)
        if instant is None:
            diagnostics.warn(
                "date-invalid",
                f"front matter {key}: {metadata[key]!r} is not a date; ignored",
                path=source.path,
            )
            continue
        return ResolvedDate(instant, f"front-matter:{key}")
    return None


def path_stem(path: str) -> str:
    """Return the file name of ``path`` (relative, ``/``-separated, without empty or
    ``.`` segments, as the walk gives it) without its last suffix, as
    ``PurePosixPath(path).stem`` does (``.md`` has no suffix, ``a.`` none): without
    making a path object, for every post of every first build."""
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def filename_parts(path: str) -> tuple[tuple[int, int, int] | None, str]:
    """Split a Jekyll post name ``YYYY-MM-DD-title.ext`` into its date and title.

    Returns ``(None, stem)`` for names without a date prefix.
    """
    stem = path_stem(path)
    match = _JEKYLL_NAME.match(stem)
    if match is None:
        return None, stem
    year_text, month, day, title = match.groups()
    year = int(year_text)
    if len(year_text) == 2:
        year += 1900 if year >= 69 else 2000
    return (year, int(month), int(day)), title


def _filename_date(source: Source, tz: tzinfo) -> ResolvedDate | None:
    parts, _ = filename_parts(source.path)
    if parts is None:
        return None
    try:
        day = date(*parts)
    except ValueError:
        return None
    return ResolvedDate(datetime.combine(day, time(0, 0), tzinfo=tz), "filename")


def has_own_date(source: Source) -> bool:
    """Return True when the front matter or the file name dates ``source``."""
    metadata = source.metadata
    if any(metadata.get(key) not in (None, "") for key in PUBLISHED_KEYS):
        return True
    return filename_parts(source.path)[0] is not None


def timeline_date(events: Sequence[TimelineEvent], *, now: datetime) -> datetime | None:
    """Return the latest timeline event date that its cell spells out in full (year,
    month and day, nothing taken from other rows or the post) and that is not after
    ``now``: the last-resort published date of a post that has no other."""
    latest: datetime | None = None
    for event in events:
        span = event.span
        if span is None or span.precision < Precision.DAY or span.start > now:
            continue
        partial = parse_partial(event.date_text, span.start.tzinfo or now.tzinfo or UTC)
        if partial is None:
            continue
        start = partial[0]
        if None in (start.year, start.month, start.day):
            continue
        if latest is None or span.start > latest:
            latest = span.start
    return latest


def resolve_dates(
    source: Source,
    facts: DateFacts,
    *,
    sources: Sequence[str],
    tz: tzinfo,
    now: datetime,
    diagnostics: Diagnostics,
    published_keys: Sequence[str] = PUBLISHED_KEYS,
    updated_keys: Sequence[str] = UPDATED_KEYS,
) -> PostDates:
    """Return the published and updated instants of ``source`` with their sources.

    ``sources`` is the order to try for published (see the module docstring); ``mtime``
    is always the last resort. Each instant keeps the offset it was written with.
    ``published_keys`` and ``updated_keys`` are the front-matter keys read, in order (a
    Hugo site's come from its ``frontmatter`` configuration).
    """
    published: ResolvedDate | None = None
    for name in sources:
        if name == "front-matter":
            published = _from_keys(source, published_keys, tz=tz, now=now, diagnostics=diagnostics)
        elif name == "filename":
            published = _filename_date(source, tz)
        elif name == "git" and facts.git_created_at is not None:
            published = ResolvedDate(_whole_seconds(facts.git_created_at.astimezone(tz)), "git")
        elif name == "first-seen" and facts.first_seen_at is not None:
            published = ResolvedDate(
                _whole_seconds(facts.first_seen_at.astimezone(tz)), "first-seen"
            )
        elif name == "timeline" and facts.timeline_at is not None:
            published = ResolvedDate(_whole_seconds(facts.timeline_at), "timeline")
        elif name == "mtime":
            published = _mtime(source, facts, tz, diagnostics)
        if published is not None:
            break
    if published is None:
        published = _mtime(source, facts, tz, diagnostics)
    updated = _from_keys(source, updated_keys, tz=tz, now=now, diagnostics=diagnostics)
    git_edit = facts.git_modified_at
    # The commit that added the file is not an update; only a later commit is.
    if git_edit is not None and "git" in sources and git_edit != facts.git_created_at:
        updated = updated or ResolvedDate(_whole_seconds(git_edit.astimezone(tz)), "git")
    if updated is None and facts.changed_at is not None:
        updated = ResolvedDate(_whole_seconds(facts.changed_at.astimezone(tz)), "change-detected")
    if updated is None or updated.at < published.at:
        updated = ResolvedDate(published.at, published.source)
    return PostDates(published, updated)


def _mtime(source: Source, facts: DateFacts, tz: tzinfo, diagnostics: Diagnostics) -> ResolvedDate:
    diagnostics.warn(
        "date-from-mtime",
        "no date in front matter, file name or history; using the file's modification "
        "time, which changes with every checkout",
        path=source.path,
    )
    return ResolvedDate(_whole_seconds(facts.mtime_at.astimezone(tz)), "mtime")


def resolve_post(
    source: Source,
    entry: LedgerEntry | None,
    git_dates: GitDates | None,
    *,
    settings: Settings,
    now: datetime,
    diagnostics: Diagnostics,
) -> Post | None:
    """Resolve ``source``'s dates (with its ledger ``entry`` and git history) and
    interpret it as a post (see :func:`feedkit.collect.to_post`); None when it cannot be
    published. A post with an entry keeps the entry's id."""
    from dataclasses import replace

    from .collect import to_post

    tz = settings.site.zone
    timeline_at = None
    if "timeline" in settings.dates.sources and not has_own_date(source):
        timeline_at = _timeline_date_of(source, settings, now, diagnostics)
    changed_at = first_seen_at = None
    if entry is not None:
        changed_at = now if entry.content_hash != source.content_hash else entry.changed_at
        # The ledger holds real time; a build at an earlier clock (build --now) sees what
        # was seen or changed after it as seen or changed at its own "now".
        first_seen_at = min(entry.first_seen_at, now)
        if changed_at is not None and changed_at > now:
            changed_at = now
    facts = DateFacts(
        mtime_at=datetime.fromtimestamp(source.mtime_ns / 1e9, tz),
        git_created_at=git_dates.created_at if git_dates else None,
        git_modified_at=git_dates.modified_at if git_dates else None,
        first_seen_at=first_seen_at or now,
        changed_at=changed_at,
        timeline_at=timeline_at,
    )
    keys: dict[str, tuple[str, ...]] = {}
    if settings.hugo is not None:
        from .hugo import hugo_date_keys

        keys = hugo_date_keys(settings.hugo)
    dates = resolve_dates(
        source,
        facts,
        sources=settings.dates.sources,
        tz=tz,
        now=now,
        diagnostics=diagnostics,
        **keys,
    )
    post = to_post(source, dates, settings, diagnostics, now=now)
    if post is not None and entry is not None:
        post = replace(post, id=entry.id)
    return post


def _timeline_date_of(
    source: Source, settings: Settings, now: datetime, diagnostics: Diagnostics
) -> datetime | None:
    """The timeline date of an undated post (see :func:`timeline_date`): its body is
    rendered only when it may hold a table."""
    from ._frontmatter import HUGO_FORMATS
    from .collect import load_body
    from .render import render_item_html
    from .timeline import extract_timeline, may_have_table

    formats = HUGO_FORMATS if settings.hugo is not None else ("yaml",)
    loaded = load_body(source, diagnostics, encoding=settings.content.encoding, formats=formats)
    if not may_have_table(loaded.body or "", markup=loaded.markup):
        return None
    content = render_item_html(loaded, sanitize=settings.feeds.sanitize)
    return timeline_date(extract_timeline(content, now, settings.site.zone), now=now)


def split_posts(
    posts: Iterable[Post], settings: Settings, now: datetime, diagnostics: Diagnostics
) -> tuple[list[Post], int, list[Post]]:
    """Sort posts into those published at ``now``, the number of drafts left out, and
    those scheduled for later."""
    published: list[Post] = []
    drafts = 0
    scheduled: list[Post] = []
    for post in posts:
        if post.is_draft and not settings.content.drafts:
            drafts += 1
            diagnostics.info("draft", "draft; left out (use --drafts)", path=post.source.path)
        elif post.published_at > now and not settings.content.future:
            scheduled.append(post)
        else:
            published.append(post)
    return published, drafts, scheduled
