"""The build, from content folder to published feeds, as one top-to-bottom function."""

from __future__ import annotations

import json
import os
import pickle
import time as _time
import zlib
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import datetime, tzinfo
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from ._incremental import RACY_NS, input_fingerprint
from ._walk import ContentScan, SourceFile, scan_content, site_layout
from .diagnostics import Diagnostic, Diagnostics, Level
from .errors import FeedkitError, StateError
from .settings import Settings
from .state import State, lock_state

# The stages that read, parse, render and generate are imported where they are used: a
# build with nothing to do, or `feedkit --help`, should not pay for YAML, lxml, feedgen,
# nor even for the models of posts and feeds.
if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

    import requests

    from ._git import GitDates
    from .collect import Collected
    from .liquid import LiquidSite
    from .models import (
        Artifact,
        FeedSpec,
        Item,
        LedgerEntry,
        Post,
        ResolvedDate,
        Source,
    )
    from .pings import PingSummary
    from .publish import PublishResult
    from .timeline import TimelineEvent

Progress = Callable[[str, int, int], None]
_Job = TypeVar("_Job")
_Result = TypeVar("_Result")

__all__ = [
    "BuildResult",
    "PostReport",
    "Progress",
    "ScheduledPost",
    "build",
    "explain_dates",
]


@dataclass(frozen=True)
class ScheduledPost:
    """The next post dated in the future, left out until it is due."""

    path: str
    title: str
    due_at: datetime


@dataclass(frozen=True)
class BuildResult:
    """What a build did, for the summary line and ``--json``."""

    posts_read: int
    posts_parsed: int
    posts_rendered: int
    posts_skipped: int
    posts_published: int
    drafts: int
    scheduled: int
    next_scheduled: ScheduledPost | None
    feeds: int
    files_written: tuple[str, ...]
    files_unchanged: tuple[str, ...]
    seconds: float
    diagnostics: Diagnostics = field(repr=False, compare=False, default_factory=Diagnostics)
    pings: PingSummary | None = None
    reused: bool = False  # nothing changed since the last build: nothing was read or written
    # The problems of ``diagnostics`` reported before, in files unchanged since: old news
    # (see feedkit._reported).
    known_problems: frozenset[Diagnostic] = field(
        repr=False, compare=False, default_factory=frozenset
    )

    @property
    def new_problems(self) -> list[Diagnostic]:
        """The warnings and errors not reported before (or whose file changed since)."""
        return [d for d in self.diagnostics.at_least(Level.WARNING) if d not in self.known_problems]

    @property
    def posts_skipped_newly(self) -> int:
        """How many of the skipped posts were skipped for a problem not reported before."""
        return len({d.path for d in self.new_problems if d.level == Level.ERROR and d.path})

    def as_dict(self) -> dict[str, object]:
        """Return the result as a JSON-ready mapping."""
        upcoming = self.next_scheduled
        return {
            "posts_read": self.posts_read,
            "posts_parsed": self.posts_parsed,
            "posts_rendered": self.posts_rendered,
            "posts_skipped": self.posts_skipped,
            "posts_published": self.posts_published,
            "drafts": self.drafts,
            "scheduled": self.scheduled,
            "next_scheduled": None
            if upcoming is None
            else {
                "path": upcoming.path,
                "title": upcoming.title,
                "due_at": upcoming.due_at.isoformat(),
            },
            "feeds": self.feeds,
            "files_written": list(self.files_written),
            "files_unchanged": list(self.files_unchanged),
            "seconds": round(self.seconds, 3),
            "reused_last_build": self.reused,
            "pings": None if self.pings is None else self.pings.as_dict(),
            "diagnostics": [
                {**d.as_dict(), "reported_before": d in self.known_problems}
                for d in self.diagnostics
            ],
        }


def _drop_duplicate_urls(posts: Iterable[Post], diagnostics: Diagnostics) -> list[Post]:
    kept: dict[str, Post] = {}
    ids: dict[str, Post] = {}
    for post in posts:
        clash = kept.get(post.permalink) or ids.get(post.id)
        if clash is not None:
            diagnostics.error(
                "duplicate-url",
                f"same permalink or id as {clash.source.path} ({post.url}); skipped",
                path=post.source.path,
            )
            continue
        kept[post.permalink] = post
        ids[post.id] = post
    return list(kept.values())


def _site_files(content_dir: Path, url_paths: Iterable[str]) -> dict[str, int]:
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


@dataclass(frozen=True)
class _PostContext:
    settings: Settings
    now: datetime
    history: Mapping[str, GitDates]
    diagnostics: Diagnostics


def _make_post(source: Source, entry: LedgerEntry | None, context: _PostContext) -> Post | None:
    """Resolve ``source``'s dates (with its ledger history) and interpret it as a post."""
    from .collect import load_body, to_post
    from .dates import DateFacts, has_own_date, resolve_dates, timeline_date
    from .render import render_item_html
    from .timeline import extract_timeline

    settings, now = context.settings, context.now
    tz = settings.site.zone
    git_dates = context.history.get(source.path)
    timeline_at = None
    if "timeline" in settings.dates.sources and not has_own_date(source):
        loaded = load_body(source, context.diagnostics, encoding=settings.content.encoding)
        content = render_item_html(loaded, sanitize=settings.feeds.sanitize)
        timeline_at = timeline_date(extract_timeline(content, now, tz), now=now)
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
        diagnostics=context.diagnostics,
        **keys,
    )
    post = to_post(source, dates, settings, context.diagnostics, now=now)
    if post is not None and entry is not None:
        post = replace(post, id=entry.id)
    return post


def _zone_of(post: Post) -> tzinfo:
    """The zone a post was written in: its date's own offset (a timeline row without a
    zone is local time where the post was written)."""
    zone = post.published_at.tzinfo
    assert zone is not None  # every datetime in the models is aware
    return zone


def _report_undated(post: Post, events: Iterable[TimelineEvent], diagnostics: Diagnostics) -> None:
    for event in events:
        if event.span is None:
            diagnostics.info(
                "timeline-undated",
                f"timeline row {event.row + 1} of table {event.table + 1}: "
                f"{event.date_text!r} is not a date; kept as an undated event",
                path=post.source.path,
            )
        else:
            for warning in event.span.warnings:
                diagnostics.warn("timeline-date", warning, path=post.source.path)


def build(
    settings: Settings,
    *,
    now: datetime,
    strict: bool = False,
    wait: float = 0.0,
    ping: bool = False,
    session_factory: Callable[[], requests.Session] | None = None,
    diagnostics: Diagnostics | None = None,
    progress: Progress | None = None,
    recorded_at: datetime | None = None,
) -> BuildResult:
    """Publish the feeds of the site described by ``settings`` into its output folder.

    ``now`` is the build's clock: posts dated after it are scheduled, not published.
    Bad posts are reported to ``diagnostics`` and skipped. With ``strict``, any warning
    stops the build before anything is written. A build that finds nothing changed since
    the last one returns that build's result without taking the lock of the state
    database; any other holds the lock for its whole length, waits up to ``wait``
    seconds for another build to finish, and if it did wait, looks at the content folder
    again. When hubs are configured, each subscription feed whose bytes changed is
    queued for a WebSub ping; with ``ping`` the queue is sent right after the files are
    written. ``progress``, if given, is called as ``progress(stage, done, total)``
    ("read" posts, "write" feeds); drawing anything is the caller's business.

    ``recorded_at`` is the real time, which the state records (when a post was first
    seen, changed or deleted, when a ping was queued); by default ``now``. A build whose
    ``now`` is not the real time (``feedkit build --now``) passes it: then nothing that
    build worked out with its own clock is kept for later builds to take as real
    (its posts' records, its planned posts, the record of the build itself).

    Raises :class:`FeedkitError` when the content folder is missing, when ``strict``
    finds a warning, or when an output file cannot be written; :class:`LockTimeout`
    when another build holds the lock and this one has something to write.
    """
    started = _time.perf_counter()
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    recorded_at = now if recorded_at is None else recorded_at
    if not settings.content.dir.is_dir():
        raise FeedkitError("content folder not found", path=settings.content.dir)
    scanned = _scan(settings, None if recorded_at == now else now)
    if not (ping and settings.websub.hubs):
        # Nothing to do means nothing to write: then there is no need to wait for the
        # lock (or to keep another run out).
        result = _reuse_unlocked(settings, scanned, now, diagnostics, started)
        if result is not None:
            _check_strict_reuse(result, strict)
            return result
    with lock_state(settings.state.path, wait=wait) as waited, State(settings.state.path) as state:
        if waited:  # the content may have changed while another run held the lock
            scanned = _scan(settings, None if recorded_at == now else now)
        _forget_other_code(state)
        # Checked again under the lock: a run we waited for may have just built this.
        result = _reuse_last_build(state, settings, scanned, now, diagnostics, started)
        if result is None:
            diagnostics.extend(scanned.found)
            result = _build_locked(
                settings,
                state,
                now,
                strict,
                diagnostics,
                started,
                # Not named here, so that _build_locked can let the list go.
                scanned.scan.source_files(diagnostics),
                progress,
                recorded_at,
            )
            _record_build(state, result, scanned.fingerprint, scanned.at_ns)
        else:
            _check_strict_reuse(result, strict)
        result = _with_known_problems(result, state, settings, save=True)
        if not settings.websub.hubs:
            return result
        from .pings import PingSummary, changed_feed_urls, deliver_pings

        changed = changed_feed_urls(result.files_written, settings)
        state.queue_pings(changed, settings.websub.hubs, now=recorded_at)
        if ping:
            summary = deliver_pings(
                state, settings, now=recorded_at, session_factory=session_factory
            )
        else:
            waiting = len(state.pings(status="queued"))
            summary = PingSummary(len(changed) * len(settings.websub.hubs), 0, 0, waiting)
        summary = replace(summary, queued_now=len(changed) * len(settings.websub.hubs))
        return replace(result, pings=summary, seconds=_time.perf_counter() - started)


class _Scanned(NamedTuple):
    """A scan of the content folder, with what the build makes of it."""

    at_ns: int  # when the scan began
    scan: ContentScan
    found: Diagnostics  # what the walk found wrong
    fingerprint: str  # see input_fingerprint


def _scan(settings: Settings, simulated_now: datetime | None = None) -> _Scanned:
    at_ns = _time.time_ns()
    scan = scan_content(
        settings.content.dir,
        found := Diagnostics(),
        exclude=(settings.feeds.output, settings.state.path.parent),
        layout=site_layout(settings.jekyll),
    )
    fingerprint = input_fingerprint(settings, scan.digest)
    if simulated_now is not None:
        # A build at another clock than the real one is reused only at that clock.
        from ._incremental import digest_text

        fingerprint = digest_text(fingerprint, simulated_now.isoformat())
    return _Scanned(at_ns, scan, found, fingerprint)


def _reuse_unlocked(
    settings: Settings,
    scanned: _Scanned,
    now: datetime,
    diagnostics: Diagnostics,
    started: float,
) -> BuildResult | None:
    """:func:`_reuse_last_build` on a read-only connection, without the lock; None also
    when the state database cannot be read so (the build then takes the lock and opens
    it as usual, which reports what is wrong)."""
    # What the last build said is reported only if it is reused here: if the look fails
    # half-way, the build under the lock decides what to report.
    replayed = Diagnostics()
    waiting = 0
    try:
        with State.read_only(settings.state.path) as state, state.snapshot():
            result = _reuse_last_build(state, settings, scanned, now, replayed, started)
            if result is not None:
                result = _with_known_problems(result, state, settings, save=False)
            if result is not None and settings.websub.hubs:
                waiting = len(state.pings(status="queued"))
    except StateError:
        return None
    if result is None:
        return None
    diagnostics.extend(replayed)
    result = replace(result, diagnostics=diagnostics)
    if not settings.websub.hubs:
        return result
    from .pings import PingSummary

    return replace(result, pings=PingSummary(0, 0, 0, waiting))


def _forget_other_code(state: State) -> None:
    """Empty the state's caches when another feedkit wrote them (an upgrade, an edited
    copy): every key holds the code's digest, but the parse cache is keyed by the files
    alone, and a new parser must read them again (README, "Upgrading")."""
    from ._incremental import code_digest

    code = code_digest()
    if state.meta_value("code") != code:
        state.forget_caches()
        state.save_meta({"code": code})


def _with_known_problems(
    result: BuildResult, state: State, settings: Settings, *, save: bool
) -> BuildResult:
    """``result`` with the problems it reports that were reported before, for the same
    file bytes (old news under cron); with ``save``, its problems become the reported
    ones, and those no longer found are forgotten."""
    from ._reported import known_problems, problem_rows

    rows = problem_rows(result.diagnostics, settings.content.dir)
    known = known_problems(rows, state.reported_problems())
    if save:
        state.save_reported_problems(rows.values())
    return replace(result, known_problems=known)


def _check_strict_reuse(result: BuildResult, strict: bool) -> None:
    """Raise if ``strict`` and the reused build's diagnostics hold a warning."""
    if strict and result.diagnostics.at_least(Level.WARNING):
        count = len(result.diagnostics.at_least(Level.WARNING))
        raise FeedkitError(f"--strict: {count} problem(s) found; nothing was written")


def _reuse_last_build(
    state: State,
    settings: Settings,
    scanned: _Scanned,
    now: datetime,
    diagnostics: Diagnostics,
    started: float,
) -> BuildResult | None:
    """Return the last build's result when nothing it depends on changed, else None.

    Nothing changed when the input fingerprint is the same, no file's mtime is too close
    to the last build to be trusted, no scheduled post became due, and every output file
    is still there with the size it was written with. Then there is nothing to read,
    parse or write; the last build's diagnostics are reported again.
    """
    meta = state.meta()
    if meta.get("fingerprint") != scanned.fingerprint:
        return None
    if scanned.scan.newest_mtime_ns >= int(meta.get("built_at_ns", "0")) - RACY_NS:
        return None
    due = meta.get("next_due")
    if due and datetime.fromisoformat(due) <= now:
        return None
    outputs = state.output_sizes()
    if not _sizes_match(settings.feeds.output, outputs):
        return None

    summary = json.loads(meta["summary"])
    for level, code, message, path, line in summary.pop("diagnostics"):
        diagnostics.add(Diagnostic(Level(level), code, message, path, line))
    upcoming = summary.pop("next_scheduled")
    return BuildResult(
        **summary,
        posts_parsed=0,
        posts_rendered=0,
        next_scheduled=None
        if upcoming is None
        else ScheduledPost(upcoming[0], upcoming[1], datetime.fromisoformat(upcoming[2])),
        files_written=(),
        files_unchanged=tuple(sorted(outputs)),
        seconds=_time.perf_counter() - started,
        diagnostics=diagnostics,
        reused=True,
    )


def _sizes_match(folder: Path, sizes: Mapping[str, int]) -> bool:
    """Whether every file named in ``sizes`` (relative to ``folder``) has that size."""
    try:
        # Relative to the folder's descriptor: no path to join and look up for each file.
        folder_fd = os.open(folder, os.O_RDONLY) if os.stat in os.supports_dir_fd else None
    except OSError:
        return False
    try:
        for path, size in sizes.items():
            if folder_fd is None:
                path = os.path.join(folder, path)
            if os.stat(path, dir_fd=folder_fd).st_size != size:
                return False
    except OSError:
        return False
    finally:
        if folder_fd is not None:
            os.close(folder_fd)
    return True


def _record_build(state: State, result: BuildResult, fingerprint: str, built_at_ns: int) -> None:

    upcoming = result.next_scheduled
    summary = {
        "posts_read": result.posts_read,
        "posts_skipped": result.posts_skipped,
        "posts_published": result.posts_published,
        "drafts": result.drafts,
        "scheduled": result.scheduled,
        "feeds": result.feeds,
        "next_scheduled": None
        if upcoming is None
        else [upcoming.path, upcoming.title, upcoming.due_at.isoformat()],
        "diagnostics": [
            [d.level.value, d.code, d.message, d.path, d.line] for d in result.diagnostics
        ],
    }
    state.save_meta(
        {
            "fingerprint": fingerprint,
            "built_at_ns": str(built_at_ns),
            "next_due": "" if upcoming is None else upcoming.due_at.isoformat(),
            "summary": json.dumps(summary, ensure_ascii=False),
        }
    )


def _jekyll_type(source: Source) -> str:
    """The document type Jekyll's ``defaults`` scopes name."""
    return "drafts" if source.is_draft_file else source.collection


def _with_defaults(sources: Sequence[Source], settings: Settings) -> Sequence[Source]:
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
                source.metadata, path=source.path, kind=_jekyll_type(source), defaults=defaults
            ),
        )
        for source in sources
    )


def _with_body(post: Post, settings: Settings, diagnostics: Diagnostics) -> Post:
    """``post`` with its body loaded and, where an ``excerpt_separator`` is set (in the
    post or in ``_config.yml``) and there is no explicit excerpt, its excerpt cut there."""
    from .collect import load_body
    from .jekyll import split_excerpt

    if settings.hugo is not None:
        from ._frontmatter import HUGO_FORMATS
        from .hugo import with_hugo_body

        source = load_body(
            post.source, diagnostics, encoding=settings.content.encoding, formats=HUGO_FORMATS
        )
        return with_hugo_body(replace(post, source=source), settings, diagnostics)
    source = load_body(post.source, diagnostics, encoding=settings.content.encoding)
    post = replace(post, source=source)
    separator = source.metadata.get("excerpt_separator", settings.jekyll.get("excerpt_separator"))
    if post.excerpt is None and isinstance(separator, str) and source.body:
        head = split_excerpt(source.body, separator)
        if head and head.strip():
            post = replace(post, excerpt=head)
    return post


# Fewer posts to resolve than this are not worth starting worker processes for.
_PARALLEL_RESOLVE = 400


class _Made(NamedTuple):
    """A post resolved in a worker process (None if it cannot be published), with the
    diagnostics its resolution gave and its part of the feed signatures."""

    post: Post | None
    found: list[Diagnostic]
    signature: str | None


def _resolve_chunk(
    job: tuple[list[tuple[Source, LedgerEntry | None, GitDates | None]], Settings, datetime],
) -> list[tuple[tuple[Any, ...] | None, list[Diagnostic], str | None]]:
    """Resolve a share of the posts (in a worker process), with the diagnostics and the
    signature part (see :class:`_Made`) of each.

    Each post comes back as its fields but the first, its source: the main process holds
    the source already, and a second copy of every source would double what a large
    first build keeps in memory (and what it sends between processes).
    """
    from ._incremental import post_signature
    from .models import Post

    chunk, settings, now = job
    fields = attrgetter(*(field.name for field in dataclass_fields(Post)[1:]))
    results: list[tuple[tuple[Any, ...] | None, list[Diagnostic], str | None]] = []
    for source, entry, git_dates in chunk:
        found = Diagnostics()
        history = {source.path: git_dates} if git_dates is not None else {}
        post = _make_post(source, entry, _PostContext(settings, now, history, found))
        if post is None:
            results.append((None, list(found), None))
        else:
            results.append((fields(post), list(found), post_signature(post)))
    return results


def _make_posts_in_workers(
    sources: Sequence[Source],
    matches: Mapping[str, LedgerEntry],
    history: Mapping[str, GitDates],
    settings: Settings,
    now: datetime,
) -> dict[str, _Made] | None:
    """Resolve ``sources`` on every core (a first build resolves every post); by path,
    each post as :class:`_Made`. None on one core."""
    workers = min(os.cpu_count() or 1, 4)
    if workers < 2:
        return None
    from concurrent.futures import ProcessPoolExecutor

    from .models import Post

    jobs = [(source, matches.get(source.path), history.get(source.path)) for source in sources]
    size = 64
    chunks = [(jobs[start : start + size], settings, now) for start in range(0, len(jobs), size)]
    made: dict[str, _Made] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for chunk, results in zip(chunks, pool.map(_resolve_chunk, chunks), strict=True):
            for (source, _, _), (fields, found, signature) in zip(chunk[0], results, strict=True):
                post = None if fields is None else Post(source, *fields)
                made[source.path] = _Made(post, found, signature)
    return made


class _Resolution(NamedTuple):
    """What resolving one post said, and its part of the feed signatures if known."""

    said: tuple[Diagnostic, ...]
    part: str | None


class _FreshPost(NamedTuple):
    """A post resolved in this build, with what its record's key is made of."""

    source: Source
    git_dates: GitDates | None
    post: Post
    # The diagnostics its resolution gave: a tuple, as a Diagnostics with its list, set
    # and lock takes half a kilobyte, for every post of a first build.
    found: tuple[Diagnostic, ...]


def _fresh_records(
    fresh: Iterable[_FreshPost],
    ledger: Mapping[str, LedgerEntry],
    settings: Settings,
    now: datetime,
    signatures: Mapping[str, str],
) -> Iterator[tuple[str, str, bytes]]:
    """The ``(path, key, record)`` rows of the posts resolved in this build, made one at
    a time as the state database stores them. ``signatures`` holds each post's part of
    the feed signatures, by path, as the caller made it for the planned posts.

    Each key is made with the post's ledger entry as this build leaves it, which is the
    entry the next build matches the file to: keyed with the entry it was resolved with
    (none, for a post seen for the first time), every record of a first build would be
    stale at the second. Resolving with the updated entry gives the same post: a new
    entry is first seen ``now``, and an entry whose content changed was changed ``now``,
    which are the dates the post was resolved with.
    """
    from ._incremental import post_key, settings_digest
    from ._records import post_record

    settings_key = settings_digest(settings)
    return (
        (
            item.source.path,
            post_key(
                item.source, ledger.get(item.post.id), item.git_dates, settings_key, settings, now
            ),
            post_record(item.post, item.found, signatures[item.source.path]),
        )
        for item in fresh
    )


def _read_posts(
    settings: Settings,
    *,
    ledger: list[LedgerEntry],
    state: State | None,
    now: datetime,
    diagnostics: Diagnostics,
    files: Sequence[SourceFile] | None = None,
    racy_after_ns: int | None = None,
    fresh: list[_FreshPost] | None = None,
    resolutions: dict[str, _Resolution] | None = None,
    progress: Progress | None = None,
    reuse_records: bool = True,
) -> tuple[Collected, list[Post]]:
    """Collect the sources and turn them into posts with their ledger ids and dates.

    ``state`` (None for none) gives the parse cache and the records of resolved posts:
    a post whose inputs (content, settings, ledger entry, git dates) are those of its
    record is taken from it rather than resolved again. The posts resolved now are
    appended to ``fresh``, for the caller to store their records once the ledger is
    updated (see :func:`_fresh_records`); what resolving each post said, with its part
    of the feed signatures where its record held it, is put in ``resolutions`` by path.
    Many posts to read or
    resolve (a first build) are spread over the cores. Posts that share a permalink or an
    id are all returned (see :func:`_drop_duplicate_urls`).
    """
    from ._git import read_git_history
    from ._incremental import post_key, settings_digest
    from ._records import ReusedPost, post_from_record
    from .collect import collect_sources
    from .identity import match_sources

    # Each cache is let go as soon as it has served: a large site's are big.
    cache = state.cached_sources() if state is not None else {}
    collected = collect_sources(
        settings,
        diagnostics,
        cache=cache,
        files=files,
        racy_after_ns=racy_after_ns,
        progress=progress,
    )
    del cache
    sources = _with_defaults(collected.sources, settings)
    history: Mapping[str, GitDates] = (
        read_git_history(settings.content.dir, diagnostics)
        if "git" in settings.dates.sources
        else {}
    )
    matches = match_sources(
        sources, ledger, former_paths={path: dates.former_paths for path, dates in history.items()}
    )
    by_id = {entry.id: entry for entry in ledger}
    current_paths = {source.path for source in sources}
    claimed = {entry.id for entry in matches.values()}
    context = _PostContext(settings, now, history, diagnostics)
    settings_key = settings_digest(settings)
    # A build at another clock than the real one resolves every post at its own clock.
    keys = state.resolved_keys() if state is not None and reuse_records else {}
    reusable = {
        source.path: source
        for source in sources
        if source.path in keys
        and keys[source.path]
        == post_key(
            source, matches.get(source.path), history.get(source.path), settings_key, settings, now
        )
    }
    del keys
    # Records are read one row at a time and only kept as posts.
    reused: dict[str, ReusedPost] = {}
    if reusable and state is not None:
        for path, record in state.resolved_records():
            source = reusable.get(path)
            if source is not None and (decoded := post_from_record(source, record)) is not None:
                reused[path] = decoded
    del reusable
    pending = [source for source in sources if source.path not in reused]
    made = None
    if len(pending) >= _PARALLEL_RESOLVE:
        made = _make_posts_in_workers(pending, matches, history, settings, now)
    posts: list[Post] = []
    for source in sources:
        entry = matches.get(source.path)
        if source.path in reused:
            kept, part, said = reused[source.path]
            for diagnostic in said:
                diagnostics.add(diagnostic)
            posts.append(kept)
            if resolutions is not None:
                resolutions[source.path] = _Resolution(said, part)
            continue
        found = Diagnostics()
        post: Post | None
        signature = None
        if made is not None and source.path in made:
            post, diagnostics_found, signature = made[source.path]
            for diagnostic in diagnostics_found:
                found.add(diagnostic)
        else:
            post = _make_post(source, entry, replace(context, diagnostics=found))
        diagnostics.extend(found)
        if post is not None and source.path not in matches:
            # A new file whose id (its URL, say) names a post that is gone: the same post.
            former = by_id.get(post.id)
            if former and former.id not in claimed and former.path not in current_paths:
                claimed.add(former.id)
                post, signature = _make_post(source, former, context), None
        if post is not None:
            posts.append(post)
            if fresh is not None:
                fresh.append(_FreshPost(source, history.get(source.path), post, tuple(found)))
            if resolutions is not None:
                resolutions[source.path] = _Resolution(tuple(found), signature)
    return collected, posts


# Fewer archive pages, posts to render, or subscription feeds than these are not worth
# starting processes for.
_PARALLEL_PAGES = 16
_PARALLEL_POSTS = 200
_PARALLEL_FEEDS = 16


# The Liquid site of the build a worker process renders for, set once per process by
# the pool's initializer: sent with every job, its URL maps (one entry per post) would
# be pickled again for every chunk of posts.
_worker_liquid: LiquidSite | None = None


def _set_worker_liquid(liquid: LiquidSite | None) -> None:
    global _worker_liquid
    _worker_liquid = liquid


def _rendered_post(
    job: tuple[Post, Settings, Mapping[str, int]],
) -> tuple[bytes, tuple[TimelineEvent, ...], list[Diagnostic]]:
    """Render one post in a worker process: its item as :func:`_item_bytes` gives it,
    its timeline events and the diagnostics it gave."""
    post, settings, site_files = job
    found = Diagnostics()
    item, events = _render_post(post, settings, site_files, found, _worker_liquid)
    return _item_bytes(item), events, list(found)


def _item_bytes(item: Item) -> bytes:
    """``item`` pickled without its post (its first field), and compressed: how the main
    process holds the items rendered for the subscription feeds until the jobs that send
    them. As objects, their Korean text takes more room, and more again once pickled for
    a job, as pickling keeps a UTF-8 copy in each string it writes; their HTML compresses
    several times over at zlib's fastest level (about a millisecond for 100 KB).
    :func:`_item_from` reads it back."""
    parts = {field.name: getattr(item, field.name) for field in dataclass_fields(item)[1:]}
    return zlib.compress(pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _item_from(post: Post, data: bytes) -> Item:
    """The item of ``post`` from what :func:`_item_bytes` made of it."""
    from .models import Item

    return Item(post=post, **pickle.loads(zlib.decompress(data)))


def _render_post(
    post: Post,
    settings: Settings,
    site_files: Mapping[str, int],
    diagnostics: Diagnostics,
    liquid: LiquidSite | None = None,
) -> tuple[Item, tuple[TimelineEvent, ...]]:
    """Render one post for its feeds, with its timeline events (as the JSON extension);
    ``liquid`` is the site's Liquid context on a Jekyll site."""
    from .ical import TIMELINE_EXTENSION, timeline_extension
    from .render import render_item
    from .timeline import extract_timeline

    loaded = _with_body(post, settings, diagnostics)
    summary = None
    if settings.hugo is not None:
        from .hugo import hugo_summary

        summary = hugo_summary(loaded, settings.hugo)
    item = render_item(
        loaded,
        sanitize=settings.feeds.sanitize,
        site_files=site_files,
        site_root=settings.site.root_url,
        liquid=liquid,
        diagnostics=diagnostics,
        summary=summary,
    )
    _warn_missing_image(post, item, settings, diagnostics)
    # The item keeps the post as it was given, without its source text: feeds do not
    # need it, and an item kept for several feeds would keep the text as long.
    item = replace(item, post=post)
    events: tuple[TimelineEvent, ...] = ()
    if settings.feeds.timeline:
        events = extract_timeline(item.content_html, post.published_at, _zone_of(post))
        _report_undated(post, events, diagnostics)
        extension = timeline_extension(events)
        if extension is not None:
            item = replace(item, extensions={TIMELINE_EXTENSION: extension})
    return item, events


def _warn_missing_image(
    post: Post, item: Item, settings: Settings, diagnostics: Diagnostics
) -> None:
    """Warn when a post's ``image:`` is a path in the site that holds no file: its
    enclosure then says ``length="0"``, and readers show a broken image."""
    import re

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
    import re

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


def _feed_in_worker(
    job: tuple[FeedSpec, Settings, Mapping[str, int], Mapping[str, bytes]],
) -> tuple[list[Artifact], list[Diagnostic]]:
    """Render and serialize one feed (run in a worker process): its files, and the
    diagnostics its posts gave.

    The job's last part holds the items of the feed's posts that were rendered already
    (for the subscription feeds), as :func:`_item_bytes` gives them; the other posts are
    rendered here.
    """
    from .browser import with_stylesheet
    from .generate import generate_feed

    spec, settings, site_files, prerendered = job
    found = Diagnostics()
    items = {
        post.id: _item_from(post, data)
        if (data := prerendered.get(post.id)) is not None
        else _render_post(post, settings, site_files, found, _worker_liquid)[0]
        for post in spec.posts
    }
    artifacts = list(generate_feed(spec, items, settings))
    if settings.feeds.xslt:
        artifacts = [with_stylesheet(artifact) for artifact in artifacts]
    return artifacts, list(found)


def _map_ahead(
    pool: Executor, function: Callable[[_Job], _Result], jobs: Iterable[_Job], *, ahead: int
) -> Iterator[_Result]:
    """Yield ``function(job)`` for each of ``jobs``, in order, run in ``pool`` with at most
    ``ahead`` jobs given to it and not yet taken back: unlike ``pool.map``, which takes
    every job at once, results that come faster than they are taken cannot pile up."""
    waiting: deque[Future[_Result]] = deque()
    try:
        for job in jobs:
            if len(waiting) >= ahead:
                yield waiting.popleft().result()
            waiting.append(pool.submit(function, job))
        while waiting:
            yield waiting.popleft().result()
    finally:
        for future in waiting:
            future.cancel()


class _PublishedFiles:
    """Writes artifacts and adds up what was written and kept.

    Artifacts wait in memory until there are enough of them (or :meth:`result` is asked
    for), then are written together: flushing many files to disk at once costs about
    what flushing one does (see :func:`feedkit.publish.write_atomic_many`).
    """

    def __init__(self, output_dir: Path, known_digests: Mapping[str, str]) -> None:
        self._output_dir = output_dir
        self._known = known_digests
        self._results: list[PublishResult] = []
        self._swept: set[Path] = set()
        self._waiting: list[Artifact] = []
        self._waiting_bytes = 0

    def write(self, artifacts: list[Artifact]) -> None:
        """Write ``artifacts``, now or with the next ones."""
        self._waiting.extend(artifacts)
        self._waiting_bytes += sum(len(artifact.data) for artifact in artifacts)
        if len(self._waiting) >= _WAITING_FILES or self._waiting_bytes >= _WAITING_BYTES:
            self._write_waiting()

    def _write_waiting(self) -> None:
        from .publish import write_artifacts

        if self._waiting:
            self._results.append(
                write_artifacts(
                    self._output_dir,
                    self._waiting,
                    known_digests=self._known,
                    swept_folders=self._swept,
                )
            )
        self._waiting, self._waiting_bytes = [], 0

    def result(self) -> PublishResult:
        """Write the artifacts still waiting; return what was written and kept."""
        from .publish import PublishResult

        self._write_waiting()
        return PublishResult(
            written=tuple(path for r in self._results for path in r.written),
            unchanged=tuple(path for r in self._results for path in r.unchanged),
            digests={k: v for r in self._results for k, v in r.digests.items()},
            sizes={k: v for r in self._results for k, v in r.sizes.items()},
        )


# How many files, or bytes, _PublishedFiles lets wait before it writes them.
_WAITING_FILES = 32
_WAITING_BYTES = 4 << 20

_SITE_EXTRAS = "site-extras"  # feeds.html, timeline.ics and feed.xsl, which follow the site feed
TIMELINE_FILE_NAME = "timeline.ics"


def _whole_posts(
    specs: Sequence[FeedSpec],
    keys: Collection[str],
    state: State,
    settings: Settings,
    files: Sequence[SourceFile],
    now: datetime,
) -> tuple[FeedSpec, ...]:
    """``specs`` with the planned posts of the feeds named by ``keys`` made whole, from
    the parse cache and their resolved records (see :func:`_gather_changed`)."""
    from ._records import PlannedPost, post_from_record
    from .collect import collect_sources

    planned = {
        post.source.path: post
        for spec in specs
        if spec.key in keys
        for post in spec.posts
        if isinstance(post, PlannedPost)
    }
    if not planned:
        return tuple(specs)
    # Every file here is unchanged since its post was planned: the parse cache holds it.
    collected = collect_sources(
        settings,
        Diagnostics(),  # said already, as each planned post's notes
        cache=state.cached_sources(planned),
        files=[source_file for source_file in files if source_file.path in planned],
    )
    sources = {source.path: source for source in _with_defaults(collected.sources, settings)}
    whole: dict[str, Post] = {}
    for path, record in state.resolved_records(planned):
        source = sources.get(path)
        if source is not None and (reused := post_from_record(source, record)) is not None:
            whole[path] = reused.post
    missing = [path for path in planned if path not in whole and path in sources]
    if missing:  # a record that cannot be read: resolved again, as _read_posts would
        entries = {
            entry.id: entry
            for entry in state.ledger_subset(paths=(), ids=[planned[p].id for p in missing])
        }
        history: Mapping[str, GitDates] = {}
        if "git" in settings.dates.sources:
            from ._git import read_git_history

            history = read_git_history(settings.content.dir, Diagnostics())
        context = _PostContext(settings, now, history, Diagnostics())
        for path in missing:
            post = _make_post(sources[path], entries.get(planned[path].id), context)
            if post is not None:
                whole[path] = post
    if len(whole) != len(planned):
        lost = sorted(set(planned) - set(whole))[0]
        with state.transaction():
            state.save_planned((), valid_for="", replace_all=True)  # the next reads all
        raise FeedkitError("the state database does not hold this post; build again", path=lost)
    return tuple(
        replace(spec, posts=tuple(whole.get(post.source.path, post) for post in spec.posts))
        if spec.key in keys
        else spec
        for spec in specs
    )


class _Gathered(NamedTuple):
    """The posts of a build, read, resolved and sorted out, once the ledger is updated."""

    posts_read: int
    posts_parsed: int
    published: list[Post]  # full posts, or planned posts (see _gather_changed)
    drafts: int
    scheduled: list[Post]
    seq: dict[str, int]  # the publication number of every published post, by id
    next_seq: int
    parts: dict[str, str]  # each published post's part of the feed signatures, by id


def _split_posts(
    posts: Iterable[Post], settings: Settings, now: datetime, diagnostics: Diagnostics
) -> tuple[list[Post], int, list[Post]]:
    """Sort posts into those published now, the number of drafts, and those scheduled."""
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


def _check_strict(strict: bool, diagnostics: Diagnostics) -> None:
    if strict and diagnostics.at_least(Level.WARNING):
        count = len(diagnostics.at_least(Level.WARNING))
        raise FeedkitError(f"--strict: {count} problem(s) found; nothing was written")


def _check_losses(
    diagnostics: Diagnostics, files: Sequence[SourceFile], *, has_published: bool
) -> None:
    """Raise, before anything is stored or written, when most posts failed and posts
    were published before (``has_published``: there are entries to lose).

    The rule (README, "Running from cron"): a build never replaces a published feed by
    one that lost entries because of errors. Most posts failing means something
    site-wide is wrong (a bad default in _config.yml, an encoding, a disk): publishing
    what is left would empty the live feeds, and the hubs would pass that on. One bad
    post among many is left out as before, and reported.
    """
    if not has_published:
        return
    paths = {source_file.path for source_file in files}
    failed = {d.path for d in diagnostics.at_least(Level.ERROR) if d.path in paths}
    if failed and len(failed) * _FAILED_SHARE_DENOMINATOR > len(paths):
        from .errors import SourceError

        raise SourceError(
            f"{len(failed)} of {len(paths)} posts could not be published (see above); "
            "the published feeds were left as they were"
        )


# More than 1 in this many posts failing stops the build (see _check_losses).
_FAILED_SHARE_DENOMINATOR = 2


def _planned_key(settings: Settings, now: datetime) -> str:
    """What every stored planned post depends on besides its own file: the settings, the
    day where dates may depend on it (as in :func:`~feedkit._incremental.post_key`), and
    git's HEAD where git dates are used."""
    from ._incremental import digest_text, settings_digest

    clock = now.date().isoformat() if "timeline" in settings.dates.sources else ""
    head = ""
    if "git" in settings.dates.sources:
        from ._git import head_commit

        head = head_commit(settings.content.dir)
    return digest_text(settings_digest(settings), clock, head)


def _store_posts(
    state: State,
    ledger_changes: Iterable[LedgerEntry],
    collected: Collected,
    resolved: Iterable[tuple[str, str, bytes]],
    planned: Iterable[tuple[int, bytes]],
    *,
    valid_for: str,
    replace_all: bool,
) -> None:
    """Store, in one transaction, what reading the posts decided: the ledger's changes,
    the parse cache, the records of the posts resolved now and the planned posts (of
    some shards, or with ``replace_all`` of all), each consumed as it is stored. Done
    before any file is written: a run killed after this point is finished by the next
    one with the same ids and dates.
    """
    from .collect import to_cache_record

    with state.transaction():
        state.save_ledger(ledger_changes)
        state.save_sources(
            (to_cache_record(source) for source in collected.refreshed),
            removed=collected.removed,
        )
        state.save_resolved_posts(resolved, removed=collected.removed)
        state.save_planned(planned, valid_for=valid_for, replace_all=replace_all)


def _gather_all(
    settings: Settings,
    state: State,
    now: datetime,
    strict: bool,
    diagnostics: Diagnostics,
    files: Sequence[SourceFile],
    progress: Progress | None,
    recorded_at: datetime | None = None,
) -> _Gathered:
    """Read every post (from the caches where they hold), update the ledger, and store
    every post's planned form for the builds after this one.

    With ``recorded_at`` (the real time, when ``now`` is not), the ledger records that
    time, and the posts' records and planned forms, worked out at ``now``, are stored
    under keys no later build matches."""
    from ._incremental import post_signature
    from ._records import (
        PLANNED_SHARDS,
        PlannedPost,
        planned_post,
        planned_record,
        planned_shard,
    )
    from .identity import update_ledger

    ledger = state.ledger()
    simulated = recorded_at is not None and recorded_at != now
    fresh: list[_FreshPost] = []
    resolutions: dict[str, _Resolution] = {}
    collected, every_post = _read_posts(
        settings,
        ledger=ledger,
        state=state,
        now=now,
        diagnostics=diagnostics,
        files=files,
        racy_after_ns=int(state.meta().get("built_at_ns", "0")) - RACY_NS,
        fresh=fresh,
        resolutions=resolutions,
        progress=progress,
        reuse_records=not simulated,
    )
    published, drafts, scheduled = _split_posts(
        _drop_duplicate_urls(every_post, diagnostics), settings, now, diagnostics
    )
    _check_strict(strict, diagnostics)
    _check_losses(
        diagnostics, files, has_published=any(entry.deleted_at is None for entry in ledger)
    )

    ledger_update = update_ledger(published, ledger, now=recorded_at or now)
    entries = {entry.id: entry for entry in ledger}
    entries.update({entry.id: entry for entry in ledger_update.changed})
    published_paths = {post.source.path for post in published}

    parts: dict[str, str] = {}  # each published post's part of the feed signatures, by id
    parts_by_path: dict[str, str] = {}  # every post's, for the records of fresh posts
    shards: dict[int, list[Post]] = {shard: [] for shard in range(PLANNED_SHARDS)}
    for post in every_post:
        path = post.source.path
        part = resolutions[path].part
        if part is None:
            part = post_signature(post)
        parts_by_path[path] = part
        if path in published_paths:
            parts[post.id] = part
        shards[planned_shard(path)].append(post)

    def planned_records() -> Iterator[tuple[int, bytes]]:
        # One shard's planned posts at a time, let go once stored: made all at once,
        # they were 20 MiB of a first build's peak at 100,000 posts.
        for shard in range(PLANNED_SHARDS):
            planned: list[PlannedPost] = []
            for post in shards.pop(shard):
                path = post.source.path
                is_published = path in published_paths
                number = entries[post.id].seq if is_published else -1
                said = resolutions[path].said
                part = parts_by_path[path]
                planned.append(planned_post(post, part, said, published=is_published, seq=number))
            yield shard, planned_record(planned)

    records = _fresh_records(fresh, entries, settings, now, parts_by_path)
    if simulated:
        records = ((path, _SIMULATED, record) for path, _, record in records)
    _store_posts(
        state,
        ledger_update.changed,
        collected,
        records,
        planned_records(),
        valid_for=_SIMULATED if simulated else _planned_key(settings, now),
        replace_all=True,
    )
    seq = {entry_id: entry.seq for entry_id, entry in entries.items()}
    return _Gathered(
        posts_read=len(collected.sources),
        posts_parsed=collected.parsed,
        published=published,
        drafts=drafts,
        scheduled=scheduled,
        seq=seq,
        next_seq=max(seq.values(), default=-1) + 1,
        parts=parts,
    )


# The key of what a build at another clock than the real one stores: no digest is this.
_SIMULATED = "simulated"

# A build re-reads at most this many files, or this share of the site, through
# _gather_changed; more than that, and reading every post is as quick.
_FEW_CHANGED = 64
_FEW_CHANGED_SHARE = 50


def _gather_changed(
    settings: Settings,
    state: State,
    now: datetime,
    strict: bool,
    diagnostics: Diagnostics,
    files: Sequence[SourceFile],
) -> _Gathered | None:
    """Read only the files that changed since the last build, taking every other post
    as its planned form (:class:`~feedkit._records.PlannedPost`); None, before anything
    is reported or stored, when this build is not one it can do exactly as
    :func:`_gather_all` would.

    It can when the stored planned posts are valid for these settings (and day, and git
    HEAD), no file is gone, no scheduled post fell due, few files changed, and what the
    changed files now say leaves every other post as it was: its id, and whether it is
    published. The planned posts that end up in a feed that must be written are made
    whole afterwards (see :func:`_whole_posts`).
    """
    from ._git import read_git_history
    from ._incremental import post_signature
    from ._records import (
        PLANNED_SHARDS,
        PlannedPost,
        planned_from_record,
        planned_post,
        planned_record,
        planned_shard,
    )
    from .collect import collect_sources
    from .identity import match_sources, update_ledger

    meta = state.meta()
    due = meta.get("next_due")
    if due and datetime.fromisoformat(due) <= now:
        return None
    stored = state.planned()
    planned_key = _planned_key(settings, now)
    if len(stored) != PLANNED_SHARDS or any(key != planned_key for _, key, _ in stored):
        return None
    planned: dict[str, PlannedPost] = {}
    paths_by_shard: dict[int, list[str]] = {}
    for shard, _, record in stored:
        if (decoded := planned_from_record(record)) is None:
            return None
        planned.update(decoded)
        paths_by_shard[shard] = list(decoded)
    del stored
    racy_after = int(meta.get("built_at_ns", "0")) - RACY_NS
    walked = {source_file.path for source_file in files}
    if any(path not in walked for path in planned):
        return None  # a post is gone: its ledger entry, and others' matches, may change
    changed_files = []
    for source_file in files:
        kept = planned.get(source_file.path)
        if (
            kept is None
            or kept.size != source_file.size
            or kept.mtime_ns != source_file.mtime_ns
            or source_file.mtime_ns >= racy_after
        ):
            changed_files.append(source_file)
    if len(changed_files) > max(_FEW_CHANGED, len(files) // _FEW_CHANGED_SHARE):
        return None
    changed_paths = {source_file.path for source_file in changed_files}
    unchanged_ids = {post.id for path, post in planned.items() if path not in changed_paths}
    unchanged = len(planned) - len(changed_paths & planned.keys())

    read = Diagnostics()
    collected = collect_sources(
        settings,
        read,
        cache=state.cached_sources(changed_paths),
        files=changed_files,
        racy_after_ns=racy_after,
    )
    sources = _with_defaults(collected.sources, settings)
    history: Mapping[str, GitDates] = (
        read_git_history(settings.content.dir, read) if "git" in settings.dates.sources else {}
    )
    former_paths = {
        source.path: history[source.path].former_paths
        for source in sources
        if source.path in history
    }
    declared = {
        declared_id
        for source in sources
        if isinstance(declared_id := source.metadata.get("id"), str)
    }
    known = state.ledger_subset(
        paths=changed_paths.union(*former_paths.values()),
        ids=declared,
        hashes={source.content_hash for source in sources},
    )
    matches = match_sources(sources, known, former_paths=former_paths, current_paths=walked)
    if any(entry.id in unchanged_ids for entry in matches.values()):
        return None  # a changed file takes over another post's identity

    by_id = {entry.id: entry for entry in known}
    claimed = {entry.id for entry in matches.values()}
    context = _PostContext(settings, now, history, read)
    fresh: list[_FreshPost] = []
    made: dict[str, tuple[Post | None, tuple[Diagnostic, ...]]] = {}
    for source in sources:
        found = Diagnostics()
        post = _make_post(source, matches.get(source.path), replace(context, diagnostics=found))
        if post is not None and source.path not in matches:
            if post.id not in by_id:
                by_id.update((e.id, e) for e in state.ledger_subset(paths=(), ids=(post.id,)))
            former = by_id.get(post.id)
            if former and former.id not in claimed and former.path not in walked:
                claimed.add(former.id)
                post = _make_post(source, former, replace(context, diagnostics=found))
        if post is not None:
            if post.id in unchanged_ids:
                return None  # the same id as a post that did not change
            fresh.append(_FreshPost(source, history.get(source.path), post, tuple(found)))
        made[source.path] = (post, tuple(found))

    # Every post in the order of the files, with what reading and resolving each said,
    # as _gather_all reports them: first what reading said, then what resolving said.
    read_by_path: dict[str | None, list[Diagnostic]] = {}
    for diagnostic in read:
        read_by_path.setdefault(diagnostic.path, []).append(diagnostic)
    found_now = Diagnostics()
    every_post: list[Post] = []
    for source_file in files:
        path = source_file.path
        if path in changed_paths:
            for diagnostic in read_by_path.pop(path, ()):
                found_now.add(diagnostic)
        else:
            for diagnostic in planned[path].notes:
                found_now.add(diagnostic)
    for leftover in read_by_path.values():
        for diagnostic in leftover:
            found_now.add(diagnostic)
    for source_file in files:
        path = source_file.path
        if path not in changed_paths:
            kept = planned[path]
            for diagnostic in kept.said:
                found_now.add(diagnostic)
            every_post.append(kept)  # type: ignore[arg-type]  # a planned post plans as a post
        elif path in made:
            post, said = made[path]
            for diagnostic in said:
                found_now.add(diagnostic)
            if post is not None:
                every_post.append(post)
    published, drafts, scheduled = _split_posts(
        _drop_duplicate_urls(every_post, found_now), settings, now, found_now
    )
    published_paths = {post.source.path for post in published}
    if any(
        post.published != (path in published_paths)
        for path, post in planned.items()
        if path not in changed_paths
    ):
        return None  # an unchanged post comes in or goes out: its ledger entry changes
    diagnostics.extend(found_now)
    _check_strict(strict, diagnostics)
    _check_losses(
        diagnostics, files, has_published=any(post.published for post in planned.values())
    )

    fresh_published = [post for post in published if not isinstance(post, PlannedPost)]
    own_entries = [entry for entry in known if entry.id not in unchanged_ids]
    ledger_update = update_ledger(
        fresh_published, own_entries, now=now, next_seq=state.max_seq() + 1
    )
    entries = {entry.id: entry for entry in known}
    entries.update({entry.id: entry for entry in ledger_update.changed})
    seq = {post.id: post.seq for post in planned.values() if post.published}
    seq.update({post.id: entries[post.id].seq for post in fresh_published})
    gone = {path for path in changed_paths if made.get(path, (None,))[0] is None}
    parts_by_path = {item.source.path: post_signature(item.post) for item in fresh}
    for item in fresh:
        path = item.source.path
        is_published = path in published_paths
        planned[path] = planned_post(
            item.post,
            parts_by_path[path],
            made[path][1],
            published=is_published,
            seq=entries[item.post.id].seq if is_published else -1,
        )
    parts = {post.id: planned[post.source.path].part for post in published}
    shards: dict[int, dict[str, None]] = {}
    for path in changed_paths:
        shard = planned_shard(path)
        if shard not in shards:
            shards[shard] = dict.fromkeys(paths_by_shard[shard])
        shards[shard][path] = None
    _store_posts(
        state,
        ledger_update.changed,
        collected,
        _fresh_records(fresh, entries, settings, now, parts_by_path),
        (
            (
                shard,
                planned_record(
                    planned[path] for path in paths if path in planned and path not in gone
                ),
            )
            for shard, paths in shards.items()
        ),
        valid_for=planned_key,
        replace_all=False,
    )
    return _Gathered(
        posts_read=unchanged + len(sources),
        posts_parsed=collected.parsed,
        published=published,
        drafts=drafts,
        scheduled=scheduled,
        seq=seq,
        next_seq=state.max_seq() + 1,
        parts=parts,
    )


def _with_emptied_feeds(
    specs: Sequence[FeedSpec],
    settings: Settings,
    meta: Mapping[str, str],
    at: datetime,
    outputs: Iterable[str] = (),
) -> tuple[tuple[FeedSpec, ...], dict[str, list[str | None]], dict[str, str]]:
    """``specs`` with an empty feed for each category or tag feed published before that
    has no post left, with what the state keeps for the next build: every category and
    tag feed published (key: kind, name, folder, title), and since when each feed with
    no posts has had none (its stable date, from ``at`` the first time).

    A subscriber to such a feed is better served by a valid feed with no entries than
    by a 404 for ever: readers report a missing feed as broken, and it cannot come back
    if a post takes the category again (README, "Feeds that lose their last post").
    ``outputs`` (the files the last build left) also name the feeds of a state written
    before feedkit kept their names: those are known by their folder's name.
    """
    import re

    from .generate import FEED_FILES
    from .models import FeedSpec
    from .permalinks import encode_url_path

    known: dict[str, list[str | None]] = json.loads(meta.get("subscription_feeds", "{}"))
    if "subscription_feeds" not in meta:
        names = "|".join(re.escape(name) for name, _ in FEED_FILES.values())
        pattern = re.compile(rf"(categories|tags)/([^/]+)/(?:{names})")
        site_title = settings.site.title or settings.site.url
        for path in outputs:
            if (match := pattern.fullmatch(path)) is not None:
                folder, slug = match.groups()
                kind = "category" if folder == "categories" else "tag"
                known.setdefault(
                    f"{kind}:{slug}", [kind, slug, f"{folder}/{slug}/", f"{site_title} · {slug}"]
                )
    stored_since: dict[str, str] = json.loads(meta.get("empty_since", "{}"))
    enabled = {"category": settings.feeds.categories, "tag": settings.feeds.tags}
    current = {spec.key for spec in specs}
    emptied = [
        FeedSpec(key, kind, name, directory, encode_url_path(directory), title, ())
        for key, (kind, name, directory, title) in sorted(known.items())
        if key not in current
        and kind is not None
        and enabled.get(kind)
        and directory
        and title is not None
    ]
    subscriptions = [spec for spec in specs if spec.archive_page is None]
    archives = [spec for spec in specs if spec.archive_page is not None]
    known.update(
        {
            spec.key: [spec.kind, spec.name, spec.directory, spec.title]
            for spec in subscriptions
            if spec.kind in enabled
        }
    )
    every = (*subscriptions, *emptied, *archives)
    since = {
        spec.key: stored_since.get(spec.key, at.isoformat()) for spec in every if not spec.posts
    }
    return every, known, since


def _build_locked(
    settings: Settings,
    state: State,
    now: datetime,
    strict: bool,
    diagnostics: Diagnostics,
    started: float,
    files: Sequence[SourceFile],
    progress: Progress | None = None,
    recorded_at: datetime | None = None,
) -> BuildResult:
    from ._incremental import digest_text, feed_signature, has_size, settings_digest
    from .browser import (
        FEEDS_PAGE_MEDIA_TYPE,
        FEEDS_PAGE_NAME,
        XSLT_FILE_NAME,
        XSLT_MEDIA_TYPE,
        feed_links,
        render_feeds_page,
        with_stylesheet,
        xslt_stylesheet,
    )
    from .generate import feed_path, generate_feed, plan_feeds
    from .ical import timeline_calendar
    from .liquid import is_jekyll_site, liquid_inputs_digest, load_liquid_site
    from .models import Artifact

    simulated = recorded_at is not None and recorded_at != now
    gathered = (
        None if simulated else _gather_changed(settings, state, now, strict, diagnostics, files)
    )
    if gathered is None:
        gathered = _gather_all(
            settings, state, now, strict, diagnostics, files, progress, recorded_at
        )
        # Every post is whole: only planned posts send _whole_posts back to the files.
        # Let go, the list is 12 MiB of a first build at 100,000 posts.
        files = ()
    published, scheduled, post_parts = gathered.published, gathered.scheduled, gathered.parts
    next_post = min(scheduled, key=lambda p: (p.published_at, p.id), default=None)
    specs = plan_feeds(published, settings, seq=gathered.seq, next_seq=gathered.next_seq)
    meta = state.meta()
    stored_sizes, stored_digests = state.output_sizes(), state.output_digests()
    specs, known_feeds, empty_since = _with_emptied_feeds(
        specs, settings, meta, recorded_at or now, stored_sizes
    )
    # feeds.html lists the feeds that have posts (and the site's, always).
    listed = [spec for spec in specs if spec.posts or spec.kind == "site"]

    # Decide which documents need writing: a feed whose entries and settings are what
    # they were at the last build, and whose files are still there, is left alone
    # without rendering any of its posts.
    stored_signatures: dict[str, str] = json.loads(meta.get("feed_signatures", "{}"))
    settings_key = settings_digest(settings)
    if is_jekyll_site(settings):
        # What Liquid reads beyond each post (_includes/, _data/) shapes every item.
        settings_key = digest_text(settings_key, liquid_inputs_digest(settings))
    signatures = {spec.key: feed_signature(spec, settings_key, post_parts) for spec in specs}
    # Each post's publication number and part of the signatures have served: at 100,000
    # posts they are about 20 MiB, which the feeds written next need not wait beside.
    del post_parts
    gathered = gathered._replace(seq={}, parts={})
    signatures[_SITE_EXTRAS] = digest_text(
        signatures["site"], *(f"{spec.key}\0{spec.title}" for spec in listed)
    )
    paths = {spec.key: [feed_path(spec, fmt) for fmt in settings.feeds.formats] for spec in specs}
    paths[_SITE_EXTRAS] = [FEEDS_PAGE_NAME]
    if settings.feeds.timeline:
        paths[_SITE_EXTRAS].append(TIMELINE_FILE_NAME)
    if settings.feeds.xslt:
        paths[_SITE_EXTRAS].append(XSLT_FILE_NAME)

    output_dir = os.fspath(settings.feeds.output)

    def is_current(key: str) -> bool:
        if stored_signatures.get(key) != signatures[key]:
            return False
        return all(
            has_size(os.path.join(output_dir, path), stored_sizes.get(path)) for path in paths[key]
        )

    current = {key for key in signatures if is_current(key)}
    extras_needed = _SITE_EXTRAS not in current
    wanted = {spec.key for spec in specs if spec.key not in current}
    if extras_needed:
        wanted.add("site")
    specs = _whole_posts(specs, wanted, state, settings, files, now)
    fresh_specs = [spec for spec in specs if spec.key not in current]
    needed = {post.id: post for spec in fresh_specs for post in spec.posts}
    if extras_needed:
        needed.update({post.id: post for post in specs[0].posts})
    image_paths = [
        post.image for post in needed.values() if post.image and post.image.startswith("/")
    ]
    del needed
    site_files = _site_files(settings.content.dir, image_paths)
    liquid = None
    if is_jekyll_site(settings) and (wanted or extras_needed):
        liquid = load_liquid_site(settings, published, now=now, diagnostics=diagnostics)
    site_ids = {post.id for post in specs[0].posts}
    timelines: dict[str, tuple[TimelineEvent, ...]] = {}
    rendered: set[str] = set()

    def render(post: Post) -> Item:
        item, events = _render_post(post, settings, site_files, diagnostics, liquid)
        rendered.add(post.id)
        if post.id in site_ids:
            timelines[post.id] = events
        return item

    def made_item(post: Post) -> Item:
        """``post``'s item, rendered in a worker (and waiting) or rendered here."""
        data = waiting.get(post.id)
        return render(post) if data is None else _item_from(post, data)

    def item_of(post: Post) -> Item:
        """``post``'s item, kept for the other subscription feeds that hold it."""
        item = items.get(post.id)
        if item is None:
            item = items[post.id] = made_item(post)
        return item

    published_files = _PublishedFiles(settings.feeds.output, stored_digests)

    written_feeds = 0

    def publish(batch: list[Artifact]) -> None:
        nonlocal written_feeds
        written_feeds += 1
        if progress is not None:
            progress("write", written_feeds, len(fresh_specs))
        published_files.write(batch)

    def write(batch: list[Artifact]) -> None:
        if settings.feeds.xslt:
            # Browsers that still apply XSLT show RSS and Atom as a page; readers ignore it.
            batch = [with_stylesheet(artifact) for artifact in batch]
        publish(batch)

    # Subscription feeds share their newest posts, so their items are kept for each
    # other; an archive page's posts are in no other page, so they are rendered, written
    # and let go one page at a time, which bounds memory on a large first build.
    items: dict[str, Item] = {}
    waiting: dict[str, bytes] = {}  # the items rendered in workers, as _item_bytes gives
    workers = min(os.cpu_count() or 1, 4)
    subscription_specs = [spec for spec in fresh_specs if spec.archive_page is None]
    archive_specs = [spec for spec in fresh_specs if spec.archive_page is not None]
    subscription_posts = {post.id: post for spec in subscription_specs for post in spec.posts}
    if extras_needed:
        subscription_posts.update({post.id: post for post in specs[0].posts})

    parallel_posts = workers > 1 and len(subscription_posts) >= _PARALLEL_POSTS
    parallel_pages = workers > 1 and len(archive_specs) >= _PARALLEL_PAGES
    # Serialized in workers only from posts rendered there: they are all in ``waiting``.
    parallel_feeds = parallel_posts and len(subscription_specs) >= _PARALLEL_FEEDS
    with ExitStack() as stack:
        pool = None
        if parallel_posts or parallel_pages:
            from concurrent.futures import ProcessPoolExecutor

            pool = stack.enter_context(
                ProcessPoolExecutor(
                    max_workers=workers, initializer=_set_worker_liquid, initargs=(liquid,)
                )
            )
        if pool is not None and parallel_posts:
            posts_list = list(subscription_posts.values())
            jobs = ((post, settings, site_files) for post in posts_list)
            for post, (data, events, found) in zip(
                posts_list, pool.map(_rendered_post, jobs, chunksize=32), strict=True
            ):
                for diagnostic in found:
                    diagnostics.add(diagnostic)
                waiting[post.id] = data
                rendered.add(post.id)
                if post.id in site_ids:
                    timelines[post.id] = events
        if pool is not None and (parallel_pages or parallel_feeds):
            # A first build renders every post for its archive pages: spread them over the
            # cores. Each page is rendered (but for the posts rendered for the subscription
            # feeds already) and serialized in a worker; files are written here. The
            # subscription feeds follow them into the same workers, so that both cores
            # stay busy to the end, and are written after the pages they link to.
            sent = [
                *(archive_specs if parallel_pages else ()),
                # A feed with no posts is written here, with its date.
                *(spec for spec in subscription_specs if parallel_feeds and spec.posts),
            ]
            feed_jobs = (
                (
                    spec,
                    settings,
                    site_files,
                    {post.id: waiting[post.id] for post in spec.posts if post.id in waiting},
                )
                for spec in sent
            )
            feeds = _map_ahead(pool, _feed_in_worker, feed_jobs, ahead=4 * workers)
            for spec, (artifacts, found) in zip(sent, feeds, strict=True):
                for diagnostic in found:
                    diagnostics.add(diagnostic)
                # The main process's own ids: the worker's copies would stay, 10,000
                # strings at 10,000 posts.
                rendered.update(post.id for post in spec.posts)
                publish(artifacts)  # the worker added the stylesheet
    for spec in subscription_specs:
        if parallel_feeds and spec.posts:
            continue  # written by a worker
        items_of_spec = {post.id: item_of(post) for post in spec.posts}
        empty_at = datetime.fromisoformat(empty_since[spec.key]) if not spec.posts else None
        write(list(generate_feed(spec, items_of_spec, settings, empty_updated_at=empty_at)))
    if extras_needed:
        extras = []
        if settings.feeds.xslt:
            extras.append(Artifact(XSLT_FILE_NAME, xslt_stylesheet(), XSLT_MEDIA_TYPE))
        latest = [item_of(post) for post in specs[0].posts]
        page = render_feeds_page(settings, feed_links(listed, settings), latest)
        extras.append(Artifact(FEEDS_PAGE_NAME, page, FEEDS_PAGE_MEDIA_TYPE))
        if settings.feeds.timeline:
            calendar = timeline_calendar(
                ((post, timelines[post.id]) for post in specs[0].posts),
                name=settings.site.title or settings.site.url,
            )
            extras.append(Artifact(TIMELINE_FILE_NAME, calendar, "text/calendar"))
        published_files.write(extras)
    if not parallel_pages:  # one core, or too few pages to start processes for
        for spec in archive_specs:
            page_items = {post.id: items.get(post.id) or made_item(post) for post in spec.posts}
            write(list(generate_feed(spec, page_items, settings)))
    result = published_files.result()
    kept = [path for key in current for path in paths[key]]
    state.save_outputs(
        {**{path: stored_digests[path] for path in kept}, **result.digests},
        {**{path: stored_sizes[path] for path in kept}, **result.sizes},
    )
    state.save_meta(
        {
            "feed_signatures": json.dumps(signatures, sort_keys=True),
            "subscription_feeds": json.dumps(known_feeds, sort_keys=True, ensure_ascii=False),
            "empty_since": json.dumps(empty_since, sort_keys=True),
        }
    )
    result = replace(result, unchanged=(*result.unchanged, *sorted(kept)))

    skipped = {d.path for d in diagnostics.at_least(Level.ERROR) if d.path is not None}
    return BuildResult(
        posts_read=gathered.posts_read,
        posts_parsed=gathered.posts_parsed,
        posts_rendered=len(rendered),
        posts_skipped=len(skipped),
        posts_published=len(published),
        drafts=gathered.drafts,
        scheduled=len(scheduled),
        next_scheduled=None
        if next_post is None
        else ScheduledPost(next_post.source.path, next_post.title, next_post.published_at),
        feeds=len(specs),
        files_written=result.written,
        files_unchanged=result.unchanged,
        seconds=_time.perf_counter() - started,
        diagnostics=diagnostics,
    )


@dataclass(frozen=True)
class PostReport:
    """A post's dates with their sources, and its timeline (for ``feedkit dates``)."""

    path: str
    title: str
    url: str
    status: str  # "published", "draft" or "scheduled"
    published: ResolvedDate
    updated: ResolvedDate
    timeline: tuple[TimelineEvent, ...]

    def as_dict(self) -> dict[str, object]:
        """Return the report as a JSON-ready mapping."""
        from .ical import timeline_extension

        return {
            "path": self.path,
            "title": self.title,
            "url": self.url,
            "status": self.status,
            "published": {"at": self.published.at.isoformat(), "source": self.published.source},
            "updated": {"at": self.updated.at.isoformat(), "source": self.updated.source},
            "timeline": timeline_extension(self.timeline) or {"events": []},
        }


def explain_dates(
    settings: Settings,
    *,
    now: datetime,
    paths: Sequence[Path] = (),
    diagnostics: Diagnostics | None = None,
) -> list[PostReport]:
    """Return each post's published and updated instants with their sources, and its
    timeline events, as the next build would see them; nothing is written.

    ``paths`` (files or folders) limits the report, and the diagnostics, to the posts
    under them (and to what concerns no file).
    """
    from .render import render_item
    from .timeline import extract_timeline

    asked_for = diagnostics if diagnostics is not None else Diagnostics()
    diagnostics = Diagnostics()  # every post's; those of the posts asked for are passed on
    wanted = [path.resolve() for path in paths]

    def is_wanted(location: Path) -> bool:
        return not wanted or any(location == w or location.is_relative_to(w) for w in wanted)

    if not settings.content.dir.is_dir():
        raise FeedkitError("content folder not found", path=settings.content.dir)
    if settings.state.path.is_file():
        with State(settings.state.path) as state:
            _, posts = _read_posts(
                settings, ledger=state.ledger(), state=state, now=now, diagnostics=diagnostics
            )
    else:
        _, posts = _read_posts(settings, ledger=[], state=None, now=now, diagnostics=diagnostics)
    posts = _drop_duplicate_urls(posts, diagnostics)
    reports = []
    for post in sorted(posts, key=lambda p: p.source.path):
        if not is_wanted(Path(post.source.abspath).resolve()):
            continue
        loaded = _with_body(post, settings, diagnostics)
        item = render_item(
            loaded, sanitize=settings.feeds.sanitize, site_root=settings.site.root_url
        )
        events = extract_timeline(item.content_html, post.published_at, _zone_of(post))
        if post.is_draft:
            status = "draft"
        elif post.published_at > now:
            status = "scheduled"
        else:
            status = "published"
        reports.append(
            PostReport(
                post.source.path,
                post.title,
                post.url,
                status,
                post.dates.published,
                post.dates.updated,
                events,
            )
        )
    content_dir = settings.content.dir.resolve()
    for diagnostic in diagnostics:
        if diagnostic.path is None or is_wanted(content_dir / diagnostic.path):
            asked_for.add(diagnostic)
    return reports
