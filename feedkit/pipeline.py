"""The build, from content folder to published feeds, as one top-to-bottom function.

:func:`build` runs the stages in order: scan the content folder and reuse the last build
when nothing changed (:mod:`feedkit._rebuild`); read and resolve the posts that changed
(collect, dates, identity) and plan the feeds (generate), or take back the last build's
plan where only some posts' content changed (both through :mod:`feedkit._replan`);
decide which feeds must be written; render, serialize and write them, on every
core when there are many (render, generate, publish, through :mod:`feedkit._parallel`);
record the build; queue and send the WebSub pings (pings, websub).
"""

from __future__ import annotations

import json
import sys
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ._rebuild import (
    Scanned,
    forget_other_code,
    last_build_if_current,
    record_build,
    scan_site,
)
from .diagnostics import Diagnostic, Diagnostics, Level
from .errors import FeedkitError, StateError
from .settings import Settings
from .state import State, lock_state

# The stages that read, parse, render and generate are imported where they are used: a
# build with nothing to do, or `feedkit --help`, should not pay for YAML, lxml, feedgen,
# nor even for the models of posts and feeds.
if TYPE_CHECKING:
    from types import FrameType

    import requests

    from ._walk import SourceFile
    from .models import Artifact, FeedSpec, Item, Post, ResolvedDate
    from .pings import PingSummary
    from .timeline import TimelineEvent

Progress = Callable[[str, int, int], None]

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


def _refuse_in_a_worker() -> None:
    """Raise :class:`RuntimeError` if this process is a worker importing the script that
    started it, which is calling :func:`build` again at its top level.

    A worker started from a fork server imports the main script, as ``__mp_main__``, so
    that what it defines can be sent to it; a script with no ``if __name__ ==
    "__main__":`` guard would build the site again there, and the build would fail with
    a broken pool and another build's lock, saying nothing of the cause. A worker of the
    caller's own pool that builds from a function is not refused: only the top level of
    a script being run as ``__mp_main__`` is."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__mp_main__":
            raise RuntimeError(
                "feedkit.build() was called while a worker process imported the script "
                "that runs it: put the script's own code under 'if __name__ == \"__main__\":'"
            )
        frame = frame.f_back


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

    A script that calls it keeps its own code under ``if __name__ == "__main__":``: each
    worker process imports the script again (see :func:`_refuse_in_a_worker`).

    Raises :class:`FeedkitError` when the content folder is missing, when ``strict``
    finds a warning, or when an output file cannot be written; :class:`LockTimeout`
    when another build holds the lock and this one has something to write.
    """
    _refuse_in_a_worker()
    started = _time.perf_counter()
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    recorded_at = now if recorded_at is None else recorded_at
    simulated_now = None if recorded_at == now else now
    if not settings.content.dir.is_dir():
        raise FeedkitError("content folder not found", path=settings.content.dir)
    scanned = scan_site(settings, simulated_now)
    if not (ping and settings.websub.hubs):
        # Nothing to do means nothing to write: then there is no need to wait for the
        # lock (or to keep another run out).
        result = _reuse_unlocked(settings, scanned, now, diagnostics, started)
        if result is not None:
            _check_strict_reuse(result, strict)
            return result
    with lock_state(settings.state.path, wait=wait) as waited, State(settings.state.path) as state:
        if waited:  # the content may have changed while another run held the lock
            scanned = scan_site(settings, simulated_now)
        forget_other_code(state)
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
            _record_build(state, result, scanned)
        else:
            _check_strict_reuse(result, strict)
        result = _with_known_problems(result, state, settings, save=True)
        if not settings.websub.hubs:
            return result
        return _queue_pings(result, state, settings, ping, recorded_at, session_factory, started)


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
    """The stages of a build that has something to do, under the lock."""
    from ._liquid_inputs import is_jekyll_site
    from ._parallel import OutputFiles, write_feeds
    from ._rebuild import current_feeds, whole_posts
    from ._replan import plan_build
    from .collect import site_file_sizes
    from .generate import feed_path

    # 1. Read the posts that changed, resolve them, update the ledger (stored now), and
    # plan the feeds: from the last build's plan when the changed posts stay where they
    # were in every feed, else from every post, with the feeds that lost their last one.
    meta = state.meta()
    stored_sizes, stored_digests = state.output_sizes(), state.output_digests()
    stored_signatures: dict[str, str] = json.loads(meta.get("feed_signatures", "{}"))
    plan = plan_build(
        settings,
        state,
        now,
        strict=strict,
        diagnostics=diagnostics,
        files=files,
        progress=progress,
        recorded_at=recorded_at or now,
        meta=meta,
        stored_sizes=stored_sizes,
        stored_signatures=stored_signatures,
    )
    specs, listed = plan.specs, plan.listed

    # 2. Decide which documents need writing: a feed whose entries and settings are what
    # they were at the last build, and whose files are still there, is left alone
    # without rendering any of its posts.
    signatures = dict(plan.signatures)
    signatures[_SITE_EXTRAS] = _digest(
        signatures["site"], *(f"{spec.key}\0{spec.title}" for spec in listed)
    )
    paths = {spec.key: [feed_path(spec, fmt) for fmt in settings.feeds.formats] for spec in specs}
    paths[_SITE_EXTRAS] = _extras_paths(settings)
    current = current_feeds(
        signatures,
        stored_signatures,
        paths,
        stored_sizes,
        settings.feeds.output,
    )
    extras_needed = _SITE_EXTRAS not in current
    wanted = {spec.key for spec in specs if spec.key not in current}
    if extras_needed:
        wanted.add("site")
    specs = whole_posts(plan.with_posts({*wanted, "site"}), wanted, state, settings, files, now)
    fresh_specs = [spec for spec in specs if spec.key not in current]
    site_posts = specs[0].posts

    # 3. Render, serialize and write them.
    needed = {post.id: post for spec in fresh_specs for post in spec.posts}
    if extras_needed:
        needed.update({post.id: post for post in site_posts})
    site_files = site_file_sizes(
        settings.content.dir,
        [post.image for post in needed.values() if post.image and post.image.startswith("/")],
    )
    del needed
    liquid = None
    if is_jekyll_site(settings) and (wanted or extras_needed):
        from .liquid import load_liquid_site  # its Liquid library, for Jekyll sites only

        liquid = load_liquid_site(
            settings, plan.published_posts(), now=now, diagnostics=diagnostics
        )
    output = OutputFiles(settings.feeds.output, stored_digests)
    rendered = write_feeds(
        fresh_specs,
        site_ids=[post.id for post in site_posts],
        extra_posts=site_posts if extras_needed else (),
        settings=settings,
        site_files=site_files,
        liquid=liquid,
        empty_since=plan.empty_since,
        files=output,
        make_extras=(
            lambda item_of, timelines: _site_extras(
                settings, site_posts, listed, item_of, timelines
            )
        )
        if extras_needed
        else None,
        diagnostics=diagnostics,
        progress=progress,
    )
    result = output.result()

    # 4. Record what was written and kept, and the plan for the next build.
    from ._records import plan_record

    kept = [path for key in current for path in paths[key]]
    state.save_outputs(
        {**{path: stored_digests[path] for path in kept}, **result.digests},
        {**{path: stored_sizes[path] for path in kept}, **result.sizes},
    )
    state.save_meta(
        {
            "feed_signatures": json.dumps(signatures, sort_keys=True),
            "subscription_feeds": json.dumps(plan.known_feeds, sort_keys=True, ensure_ascii=False),
            "empty_since": json.dumps(plan.empty_since, sort_keys=True),
            "next_expiry": "" if plan.next_expiry is None else plan.next_expiry.isoformat(),
        },
        plan=(plan.stored.valid_for, plan_record(plan.stored)),
    )
    skipped = {d.path for d in diagnostics.at_least(Level.ERROR) if d.path is not None}
    upcoming = plan.next_scheduled
    return BuildResult(
        posts_read=plan.posts_read,
        posts_parsed=plan.posts_parsed,
        posts_rendered=rendered,
        posts_skipped=len(skipped),
        posts_published=plan.published,
        drafts=plan.drafts,
        scheduled=plan.scheduled,
        next_scheduled=None if upcoming is None else ScheduledPost(*upcoming),
        feeds=len(specs),
        files_written=result.written,
        files_unchanged=(*result.unchanged, *sorted(kept)),
        seconds=_time.perf_counter() - started,
        diagnostics=diagnostics,
    )


_SITE_EXTRAS = "site-extras"  # feeds.html, timeline.ics and feed.xsl, which follow the site feed
TIMELINE_FILE_NAME = "timeline.ics"


def _digest(*parts: str) -> str:
    from ._rebuild import digest_text

    return digest_text(*parts)


def _extras_paths(settings: Settings) -> list[str]:
    from .browser import FEEDS_PAGE_NAME, XSLT_FILE_NAME

    paths = [FEEDS_PAGE_NAME]
    if settings.feeds.timeline:
        paths.append(TIMELINE_FILE_NAME)
    if settings.feeds.xslt:
        paths.append(XSLT_FILE_NAME)
    return paths


def _site_extras(
    settings: Settings,
    site_posts: Sequence[Post],
    listed: Sequence[FeedSpec],
    item_of: Callable[[Post], Item],
    timelines: Mapping[str, tuple[TimelineEvent, ...]],
) -> list[Artifact]:
    """The files beside the site feed: ``feed.xsl``, ``feeds.html`` (the ``listed`` feeds
    and the newest posts) and ``timeline.ics``."""
    from .browser import (
        FEEDS_PAGE_MEDIA_TYPE,
        FEEDS_PAGE_NAME,
        XSLT_FILE_NAME,
        XSLT_MEDIA_TYPE,
        feed_links,
        render_feeds_page,
        xslt_stylesheet,
    )
    from .ical import timeline_calendar
    from .models import Artifact

    extras = []
    if settings.feeds.xslt:
        extras.append(Artifact(XSLT_FILE_NAME, xslt_stylesheet(), XSLT_MEDIA_TYPE))
    latest = [item_of(post) for post in site_posts]
    page = render_feeds_page(settings, feed_links(listed, settings), latest)
    extras.append(Artifact(FEEDS_PAGE_NAME, page, FEEDS_PAGE_MEDIA_TYPE))
    if settings.feeds.timeline:
        calendar = timeline_calendar(
            ((post, timelines[post.id]) for post in site_posts),
            name=settings.site.title or settings.site.url,
        )
        extras.append(Artifact(TIMELINE_FILE_NAME, calendar, "text/calendar"))
    return extras


def _reuse_unlocked(
    settings: Settings,
    scanned: Scanned,
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


def _reuse_last_build(
    state: State,
    settings: Settings,
    scanned: Scanned,
    now: datetime,
    diagnostics: Diagnostics,
    started: float,
) -> BuildResult | None:
    """The last build's result when nothing it depends on changed (see
    :func:`feedkit._rebuild.last_build_if_current`), its diagnostics reported again."""
    last = last_build_if_current(state, settings, scanned, now)
    if last is None:
        return None
    for diagnostic in last.diagnostics:
        diagnostics.add(diagnostic)
    upcoming = last.next_scheduled
    return BuildResult(
        **last.summary,
        posts_parsed=0,
        posts_rendered=0,
        next_scheduled=None if upcoming is None else ScheduledPost(*upcoming),
        files_written=(),
        files_unchanged=last.outputs,
        seconds=_time.perf_counter() - started,
        diagnostics=diagnostics,
        reused=True,
    )


def _record_build(state: State, result: BuildResult, scanned: Scanned) -> None:
    upcoming = result.next_scheduled
    record_build(
        state,
        {
            "posts_read": result.posts_read,
            "posts_skipped": result.posts_skipped,
            "posts_published": result.posts_published,
            "drafts": result.drafts,
            "scheduled": result.scheduled,
            "feeds": result.feeds,
        },
        result.diagnostics,
        None if upcoming is None else (upcoming.path, upcoming.title, upcoming.due_at),
        fingerprint=scanned.fingerprint,
        built_at_ns=scanned.at_ns,
    )


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


def _queue_pings(
    result: BuildResult,
    state: State,
    settings: Settings,
    ping: bool,
    recorded_at: datetime,
    session_factory: Callable[[], requests.Session] | None,
    started: float,
) -> BuildResult:
    """Queue a ping of every hub for each subscription feed this build changed; with
    ``ping``, send the queue now."""
    from .pings import PingSummary, changed_feed_urls, deliver_pings

    changed = changed_feed_urls(result.files_written, settings)
    state.queue_pings(changed, settings.websub.hubs, now=recorded_at)
    if ping:
        summary = deliver_pings(state, settings, now=recorded_at, session_factory=session_factory)
    else:
        waiting = len(state.pings(status="queued"))
        summary = PingSummary(len(changed) * len(settings.websub.hubs), 0, 0, waiting)
    summary = replace(summary, queued_now=len(changed) * len(settings.websub.hubs))
    return replace(result, pings=summary, seconds=_time.perf_counter() - started)


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
    from ._rebuild import gather_posts
    from ._walk import scan_content, site_layout
    from .collect import load_post_body
    from .render import render_item, zone_of
    from .timeline import extract_timeline

    asked_for = diagnostics if diagnostics is not None else Diagnostics()
    diagnostics = Diagnostics()  # every post's; those of the posts asked for are passed on
    wanted = [path.resolve() for path in paths]

    def is_wanted(location: Path) -> bool:
        return not wanted or any(location == w or location.is_relative_to(w) for w in wanted)

    if not settings.content.dir.is_dir():
        raise FeedkitError("content folder not found", path=settings.content.dir)
    files = scan_content(
        settings.content.dir,
        diagnostics,
        exclude=(settings.feeds.output, settings.state.path.parent),
        layout=site_layout(settings.jekyll),
    ).source_files(diagnostics)
    # Nothing is stored: without a state database, one in memory stands for an empty one.
    stored = settings.state.path if settings.state.path.is_file() else Path(":memory:")
    with State(stored) as state:
        posts = gather_posts(
            settings, state, now, strict=False, diagnostics=diagnostics, files=files, dry_run=True
        ).posts
    reports = []
    for post in sorted(posts, key=lambda p: p.source.path):
        if not is_wanted(Path(post.source.abspath).resolve()):
            continue
        loaded = load_post_body(post, settings, diagnostics)
        item = render_item(
            loaded, sanitize=settings.feeds.sanitize, site_root=settings.site.root_url
        )
        events = extract_timeline(item.content_html, post.published_at, zone_of(post))
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
