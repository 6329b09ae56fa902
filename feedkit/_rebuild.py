"""Deciding what a build must do again, in one place.

In the order a build asks:

- :func:`scan_site` walks the content folder (names and ``stat`` only) and makes the
  build's input fingerprint (:func:`input_fingerprint`); :func:`last_build_if_current`
  answers whether the last build can be reused whole (nothing read, nothing written).
- :func:`feedkit._replan.replan` takes back the last build's plan of the feeds when
  only some posts' content changed: it reads those files as :func:`gather_posts` does,
  and asks nothing of the others.
- Else :func:`gather_posts` reads the posts: a file whose planned post (what planning
  the feeds needs of it, stored by the last build) still stands for it is not read;
  every other file is read, resolved (or taken from its resolved record, see
  :func:`post_key`) and matched to the ledger. A first build is the build in which
  every file changed. The ledger, the parse cache and the records are stored before
  any output is written.
- :func:`feed_signatures` and :func:`current_feeds` say which feeds must be written: a
  feed whose signature (its posts' parts, :func:`post_signature`, and the settings) is
  the last build's, with its files in place, is left alone; :func:`whole_posts` makes
  the planned posts of the feeds to write whole again.

Every key and signature holds the code's digest (:func:`code_digest`): output made by
other code is never taken for this code's. Only what a build with nothing to do needs
is imported at the top; the rest where it is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ._walk import ContentScan, SourceFile, scan_content, site_layout
from .diagnostics import Diagnostic, Diagnostics, Level
from .errors import FeedkitError

if TYPE_CHECKING:
    from ._git import GitDates
    from ._records import PlannedPost
    from .collect import Collected
    from .models import FeedSpec, LedgerEntry, Post, Source
    from .settings import Settings
    from .state import State

__all__ = [
    "RACY_NS",
    "Gathered",
    "LastBuild",
    "Scanned",
    "code_digest",
    "current_feeds",
    "digest_text",
    "falls_due",
    "feed_signature",
    "feed_signature_key",
    "feed_signatures",
    "forget_other_code",
    "gather_posts",
    "input_fingerprint",
    "last_build_if_current",
    "next_expiry",
    "post_key",
    "post_signature",
    "record_build",
    "scan_site",
    "settings_digest",
    "whole_posts",
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


# --- is the last build still current? ------------------------------------------------


class Scanned(NamedTuple):
    """A scan of the content folder, with what the build makes of it."""

    at_ns: int  # when the scan began
    scan: ContentScan
    found: Diagnostics  # what the walk found wrong
    fingerprint: str  # see input_fingerprint


def scan_site(settings: Settings, simulated_now: datetime | None = None) -> Scanned:
    """Walk the content folder and fingerprint the build's inputs; ``simulated_now`` is
    the clock of a build at another time than the real one, reused only at that clock."""
    at_ns = time.time_ns()
    scan = scan_content(
        settings.content.dir,
        found := Diagnostics(),
        exclude=(settings.feeds.output, settings.state.path.parent),
        layout=site_layout(settings.jekyll),
    )
    fingerprint = input_fingerprint(settings, scan.digest)
    if simulated_now is not None:
        fingerprint = digest_text(fingerprint, simulated_now.isoformat())
    return Scanned(at_ns, scan, found, fingerprint)


class LastBuild(NamedTuple):
    """The last build, as :func:`record_build` stored it, when it can be reused whole."""

    summary: dict[str, Any]  # the counts of its result (see record_build)
    next_scheduled: tuple[str, str, datetime] | None  # path, title, due
    diagnostics: tuple[Diagnostic, ...]
    outputs: tuple[str, ...]  # every file it wrote or kept, sorted


def last_build_if_current(
    state: State, settings: Settings, scanned: Scanned, now: datetime
) -> LastBuild | None:
    """Return the last build when nothing it depends on changed, else None.

    Nothing changed when the input fingerprint is the same, no file's mtime is too close
    to the last build to be trusted, no scheduled post became due, and every output file
    is still there with the size it was written with. Then there is nothing to read,
    parse or write.
    """
    meta = state.meta()
    if meta.get("fingerprint") != scanned.fingerprint:
        return None
    if scanned.scan.newest_mtime_ns >= int(meta.get("built_at_ns", "0")) - RACY_NS:
        return None
    if falls_due(meta, now):
        return None
    outputs = state.output_sizes()
    if not _sizes_match(settings.feeds.output, outputs):
        return None
    summary = json.loads(meta["summary"])
    diagnostics = tuple(
        Diagnostic(Level(level), code, message, path, line)
        for level, code, message, path, line in summary.pop("diagnostics")
    )
    upcoming = summary.pop("next_scheduled")
    return LastBuild(
        summary,
        None
        if upcoming is None
        else (upcoming[0], upcoming[1], datetime.fromisoformat(upcoming[2])),
        diagnostics,
        tuple(sorted(outputs)),
    )


def falls_due(meta: Mapping[str, str], now: datetime) -> bool:
    """Whether, by ``now``, a post the last build left out is due (its date has come), or
    one it published has expired (a Hugo page's ``expiryDate``): every post is then
    planned again (see :func:`next_expiry`)."""
    return any(
        when and datetime.fromisoformat(when) <= now
        for when in (meta.get("next_due"), meta.get("next_expiry"))
    )


def next_expiry(
    sources: Iterable[Source], settings: Settings, now: datetime, known: str | None = None
) -> datetime | None:
    """The first expiry date after ``now`` among ``sources`` (Hugo pages only), or
    ``known`` (that of the posts not read, as the last build stored it: ISO 8601, or
    empty) if sooner.

    A page that expires leaves the feeds, but nothing about its file changes: the build
    after that date must plan every post again, as after a scheduled post falls due.
    The date of a post that no longer expires may stay stored: that build then plans
    every post again for nothing, and stores the dates it finds.
    """
    if settings.hugo is None:
        return None
    from .hugo import expires_at

    stored = datetime.fromisoformat(known) if known else None
    dates = [stored] if stored is not None and stored > now else []
    for source in sources:
        expiry = expires_at(source.metadata, settings.hugo, tz=settings.site.zone, now=now)
        if expiry is not None and expiry > now:
            dates.append(expiry)
    return min(dates, default=None)


def _with_sizes(folder: Path, sizes: Mapping[str, int | None]) -> set[str]:
    """The files named in ``sizes`` (relative to ``folder``) that have that size."""
    try:
        # Relative to the folder's descriptor: no path to join and look up for each file.
        folder_fd = os.open(folder, os.O_RDONLY) if os.stat in os.supports_dir_fd else None
    except OSError:
        return set()
    present = set()
    try:
        for path, size in sizes.items():
            try:
                found = os.stat(
                    path if folder_fd is not None else os.path.join(folder, path),
                    dir_fd=folder_fd,
                )
            except OSError:
                continue
            if found.st_size == size:
                present.add(path)
    finally:
        if folder_fd is not None:
            os.close(folder_fd)
    return present


def _sizes_match(folder: Path, sizes: Mapping[str, int]) -> bool:
    """Whether every file named in ``sizes`` (relative to ``folder``) has that size."""
    present = _with_sizes(folder, sizes)
    # With nothing listed, the folder itself must still be there.
    return len(present) == len(sizes) and (bool(present) or folder.is_dir())


def record_build(
    state: State,
    summary: Mapping[str, Any],
    diagnostics: Iterable[Diagnostic],
    next_scheduled: tuple[str, str, datetime] | None,
    *,
    fingerprint: str,
    built_at_ns: int,
) -> None:
    """Store what :func:`last_build_if_current` gives back: the build's ``summary``
    (plain values), its diagnostics, its next scheduled post, its input fingerprint and
    when its scan began."""
    stored = {
        **summary,
        "next_scheduled": None
        if next_scheduled is None
        else [next_scheduled[0], next_scheduled[1], next_scheduled[2].isoformat()],
        "diagnostics": [[d.level.value, d.code, d.message, d.path, d.line] for d in diagnostics],
    }
    state.save_meta(
        {
            "fingerprint": fingerprint,
            "built_at_ns": str(built_at_ns),
            "next_due": "" if next_scheduled is None else next_scheduled[2].isoformat(),
            "summary": json.dumps(stored, ensure_ascii=False),
        }
    )


def forget_other_code(state: State) -> None:
    """Empty the state's caches when another feedkit wrote them (an upgrade, an edited
    copy): every key holds the code's digest, but the parse cache is keyed by the files
    alone, and a new parser must read them again (README, "Upgrading")."""
    code = code_digest()
    if state.meta_value("code") != code:
        state.forget_caches()
        state.save_meta({"code": code})


# --- reading the posts ---------------------------------------------------------------


class Gathered(NamedTuple):
    """The posts of a build, read, resolved and sorted out, once the ledger is updated."""

    posts_read: int
    posts_parsed: int
    published: list[Post]  # full posts, or planned posts (see gather_posts)
    drafts: int
    scheduled: list[Post]
    seq: dict[str, int]  # the publication number of every published post, by id
    next_seq: int
    parts: dict[str, str]  # each published post's part of the feed signatures, by id
    posts: list[Post]  # every post, published or not, but those whose URL or id is taken
    # What the stored plan of the feeds keeps (see feedkit._replan): what gathering said,
    # each file's size and time as its planned post holds them (-1 where it holds none),
    # and the key the planned posts are stored under.
    found: tuple[Diagnostic, ...] = ()
    git_said: tuple[Diagnostic, ...] = ()  # what reading git's history said, among found
    sizes: tuple[int, ...] = ()
    mtimes: tuple[int, ...] = ()
    planned_key: str = ""
    next_expiry: datetime | None = None  # see next_expiry


# The key of what ``feedkit dates`` works out (it stores nothing): no digest is this.
_SIMULATED = "simulated"

# More files changed than this many, or this share of the site, and a build reads every
# post: taking the others from their planned posts saves little then.
_FEW_CHANGED = 64
_FEW_CHANGED_SHARE = 50


def _few(files: Sequence[SourceFile]) -> int:
    """How many of ``files`` are few: as many changed files are read (and the others
    taken from their planned posts), and as many bodies are kept from that read for
    rendering. Past that, a build reads every file, and lets each body go once read:
    holding every body of a first build held the site's whole text (at 10,000 posts,
    peak RSS 209 MiB instead of 93-126, for the same CPU time: measured, #25), while
    reading it again when rendering comes from the page cache."""
    return max(_FEW_CHANGED, len(files) // _FEW_CHANGED_SHARE)


# More than 1 in this many posts failing stops the build (see _check_losses).
_FAILED_SHARE_DENOMINATOR = 2


def _settings_key(settings: Settings, now: datetime, *, simulated: bool) -> str:
    """The settings' part of the keys of what a build stores (:func:`settings_digest`);
    a build at another clock than the real one (``feedkit build --now``) adds that clock
    whole, so that a later build at the same clock takes what it stored (a benchmark,
    a test run again) and no build at the real clock ever does."""
    key = settings_digest(settings)
    return digest_text(key, "simulated at", now.isoformat()) if simulated else key


def _planned_key(settings: Settings, now: datetime, *, simulated: bool) -> str:
    """What every stored planned post depends on besides its own file: the settings (and
    a simulated clock, see :func:`_settings_key`), the day where dates may depend on it
    (as in :func:`post_key`), and git's HEAD where git dates are used."""
    clock = now.date().isoformat() if "timeline" in settings.dates.sources else ""
    head = ""
    if "git" in settings.dates.sources:
        from ._git import head_commit

        head = head_commit(settings.content.dir)
    return digest_text(_settings_key(settings, now, simulated=simulated), clock, head)


def _unchanged_posts(
    state: State,
    meta: Mapping[str, str],
    planned_key: str,
    files: Sequence[SourceFile],
    now: datetime,
    racy_after: int,
) -> tuple[dict[str, PlannedPost], dict[int, list[str]]]:
    """The planned posts that still stand for their files, by path, with the paths of
    each stored shard; nothing when the stored planned posts cannot be kept at all: not
    valid for these settings (and day, and git HEAD), unreadable, a file gone, a
    scheduled post fallen due, or too many files changed.
    """
    from ._records import PLANNED_SHARDS, planned_from_record

    if falls_due(meta, now):
        return {}, {}
    stored = state.planned()
    if len(stored) != PLANNED_SHARDS or any(key != planned_key for _, key, _ in stored):
        return {}, {}
    planned: dict[str, PlannedPost] = {}
    paths_by_shard: dict[int, list[str]] = {}
    for shard, _, record in stored:
        if (decoded := planned_from_record(record)) is None:
            return {}, {}
        planned.update(decoded)
        paths_by_shard[shard] = list(decoded)
    del stored
    stored_count, walked = len(planned), 0
    changed = 0
    for source_file in files:
        kept = planned.get(source_file.path)
        walked += kept is not None
        if (
            kept is None
            or kept.size != source_file.size
            or kept.mtime_ns != source_file.mtime_ns
            or source_file.mtime_ns >= racy_after
        ):
            planned.pop(source_file.path, None)
            changed += 1
    if walked != stored_count:
        return {}, {}  # a post is gone: its ledger entry, and others' matches, may change
    if changed > _few(files):
        return {}, {}
    return planned, paths_by_shard


def nothing_read() -> _Read:
    """What :func:`gather_posts` has read before it reads anything."""
    return _Read({}, Diagnostics(), 0, [], [], set())


class _Read(NamedTuple):
    """The files read so far by :func:`gather_posts`, with what reading them said."""

    sources: dict[str, Source]  # by path, with Jekyll's defaults applied
    found: Diagnostics  # what reading them said
    parsed: int
    refreshed: list[Source]  # for the parse cache
    removed: list[str]
    tried: set[str]  # the paths of every file read, whether or not it gave a source


def _read_files(
    settings: Settings,
    state: State,
    files: Sequence[SourceFile],
    read: _Read,
    *,
    every_file: bool,
    keep_bodies: bool,
    racy_after: int,
    progress: Callable[[str, int, int], None] | None,
) -> _Read:
    """``read`` with ``files`` read too, each once (see
    :func:`feedkit.collect.collect_sources`); with ``every_file``, the whole parse cache
    is consulted, and what it holds of files that are no longer posts is forgotten."""
    from .collect import collect_sources, with_defaults

    cache = state.cached_sources(None if every_file else [f.path for f in files])
    collected: Collected = collect_sources(
        settings,
        read.found,
        cache=cache,
        files=files,
        racy_after_ns=racy_after,
        progress=progress,
        keep_bodies=keep_bodies,
    )
    del cache
    read.tried.update(source_file.path for source_file in files)
    for source in with_defaults(collected.sources, settings):
        read.sources[source.path] = source
    read.refreshed.extend(collected.refreshed)
    # Files read before, by a look at the changed ones only, are posts all the same.
    read.removed.extend(path for path in collected.removed if path not in read.sources)
    return read._replace(parsed=read.parsed + collected.parsed)


class _FreshPost(NamedTuple):
    """A post resolved in this build, with what its record's key is made of."""

    source: Source
    git_dates: GitDates | None
    post: Post
    entry: LedgerEntry | None  # the ledger entry it was resolved with
    # The diagnostics its resolution gave: a tuple, as a Diagnostics with its list, set
    # and lock takes half a kilobyte, for every post of a first build.
    found: tuple[Diagnostic, ...]


def gather_posts(
    settings: Settings,
    state: State,
    now: datetime,
    *,
    strict: bool,
    diagnostics: Diagnostics,
    files: Sequence[SourceFile],
    progress: Callable[[str, int, int], None] | None = None,
    recorded_at: datetime | None = None,
    dry_run: bool = False,
    read: _Read | None = None,
) -> Gathered:
    """Read the posts that changed since the last build, take the others as their
    planned posts (:class:`~feedkit._records.PlannedPost`), update the ledger, and store
    what the next build needs; a first build is the build in which every file changed.

    A changed file that would change an unchanged post (take its id, or make it come in
    or go out) makes the build take every file as changed: the files read already are
    not read again. The planned posts that end up in a feed that must be written are
    made whole afterwards (see :func:`whole_posts`).

    With ``recorded_at`` (the real time, when ``now`` is not), the ledger records that
    time, and the posts' records and planned forms, worked out at ``now``, are stored
    under keys that only a build at that same ``now`` matches (see
    :func:`_settings_key`). At a clock ahead of ``recorded_at``, a post whose ledger
    entry this build changed was resolved with the entry it had, which the updated one
    (seen or changed at ``recorded_at``, before ``now``) would not give: its record is
    keyed with that entry, and its planned form is stored as changed, so that the next
    build resolves it with the entry the ledger now holds. At the real clock, or one
    behind it, the two give the same post (see :func:`_fresh_records`).

    With ``dry_run`` (``feedkit dates``), every file is read and nothing is stored, nor
    checked for what a build would refuse to publish. ``read`` holds the files read
    already in this build (by :func:`feedkit._replan.replan`): they are not read again.
    """
    simulated = dry_run or (recorded_at is not None and recorded_at != now)
    meta = state.meta()
    racy_after = int(meta.get("built_at_ns", "0")) - RACY_NS
    planned_key = _SIMULATED if dry_run else _planned_key(settings, now, simulated=simulated)
    unchanged: dict[str, PlannedPost] = {}
    paths_by_shard: dict[int, list[str]] = {}
    if not dry_run:
        unchanged, paths_by_shard = _unchanged_posts(
            state, meta, planned_key, files, now, racy_after
        )
    read = read or nothing_read()
    while True:
        to_read = [f for f in files if f.path not in unchanged and f.path not in read.tried]
        if to_read or not unchanged:
            read = _read_files(
                settings,
                state,
                to_read,
                read,
                every_file=not unchanged,
                keep_bodies=len(to_read) <= _few(files),
                racy_after=racy_after,
                progress=progress if not unchanged else None,
            )
        gathered = _gather(
            settings,
            state,
            now,
            recorded_at or now,
            strict=strict,
            diagnostics=diagnostics,
            files=files,
            read=read,
            unchanged=unchanged,
            paths_by_shard=paths_by_shard,
            planned_key=planned_key,
            simulated=simulated,
            dry_run=dry_run,
        )
        if gathered is not None:
            stored = meta.get("next_expiry") if unchanged else None
            expiry = next_expiry(read.sources.values(), settings, now, stored)
            return gathered._replace(next_expiry=expiry)
        unchanged, paths_by_shard = {}, {}  # every file changed


def _gather(
    settings: Settings,
    state: State,
    now: datetime,
    recorded_at: datetime,
    *,
    strict: bool,
    diagnostics: Diagnostics,
    files: Sequence[SourceFile],
    read: _Read,
    unchanged: dict[str, PlannedPost],
    paths_by_shard: dict[int, list[str]],
    planned_key: str,
    simulated: bool,
    dry_run: bool,
) -> Gathered | None:
    """:func:`gather_posts` with the files of ``unchanged`` taken as unchanged and every
    other file read (``read``); None, before anything is reported or stored, when a
    changed file changes an unchanged post."""
    from ._git import read_git_history
    from ._records import planned_post
    from .dates import split_posts
    from .identity import drop_duplicate_urls, match_sources, update_ledger

    every_file = not unchanged
    # A clock ahead of the time the ledger records: see _fresh_records.
    ahead = recorded_at < now
    changed_paths = [f.path for f in files if f.path not in unchanged]
    sources = [read.sources[path] for path in changed_paths if path in read.sources]
    said_reading = Diagnostics()
    history: Mapping[str, GitDates] = (
        read_git_history(settings.content.dir, said_reading)
        if "git" in settings.dates.sources
        else {}
    )
    former_paths = {path: dates.former_paths for path, dates in history.items()}
    current_paths = {*unchanged, *(source.path for source in sources)}
    if every_file:
        known = state.ledger()
    else:
        declared = {
            declared_id
            for source in sources
            if isinstance(declared_id := source.metadata.get("id"), str)
        }
        known = state.ledger_subset(
            # A changed file that is no longer a post loses its entry: found by its path.
            paths=set(changed_paths).union(
                *(former_paths.get(source.path, ()) for source in sources)
            ),
            ids=declared,
            hashes={source.content_hash for source in sources},
        )
    unchanged_ids = {post.id for post in unchanged.values()}
    matches = match_sources(sources, known, former_paths=former_paths, current_paths=current_paths)
    if any(entry.id in unchanged_ids for entry in matches.values()):
        return None  # a changed file takes over another post's identity
    by_id = {entry.id: entry for entry in known}
    claimed = {entry.id for entry in matches.values()}

    resolved = _resolve(
        sources, matches, history, settings, state, now, simulated=simulated, dry_run=dry_run
    )
    fresh: list[_FreshPost] = []
    made: dict[str, tuple[Post | None, tuple[Diagnostic, ...], str | None]] = {}
    resolved_with: dict[str, LedgerEntry | None] = {}
    for source in sources:
        post, found, part, is_fresh = resolved[source.path]
        entry = matches.get(source.path)
        if post is not None and source.path not in matches:
            # A new file whose id (its URL, say) names a post that is gone: the same post.
            if post.id not in by_id and not every_file:
                by_id.update((e.id, e) for e in state.ledger_subset(paths=(), ids=(post.id,)))
            former = by_id.get(post.id)
            if former and former.id not in claimed and former.path not in current_paths:
                from .dates import resolve_post

                claimed.add(former.id)
                again = Diagnostics()
                post = resolve_post(
                    source,
                    former,
                    history.get(source.path),
                    settings=settings,
                    now=now,
                    diagnostics=again,
                )
                found, part, is_fresh, entry = (*found, *again), None, True, former
        if post is not None:
            if post.id in unchanged_ids:
                return None  # the same id as a post that did not change
            if is_fresh:
                fresh.append(_FreshPost(source, history.get(source.path), post, entry, found))
        made[source.path] = (post, found, part)
        resolved_with[source.path] = entry

    # What reading said, in the order of the files (an unchanged file's as its planned
    # post keeps it), then what resolving each post said.
    found_now = Diagnostics()
    by_path: dict[str | None, list[Diagnostic]] = {}
    for diagnostic in read.found:
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    for source_file in files:
        path = source_file.path
        kept = unchanged.get(path)
        for diagnostic in kept.notes if kept is not None else by_path.pop(path, ()):
            found_now.add(diagnostic)
    for leftover in by_path.values():
        for diagnostic in leftover:
            found_now.add(diagnostic)
    found_now.extend(said_reading)
    every_post: list[Post] = []
    sizes: list[int] = []
    mtimes: list[int] = []
    for source_file in files:
        path = source_file.path
        kept = unchanged.get(path)
        if kept is not None:
            for diagnostic in kept.said:
                found_now.add(diagnostic)
            every_post.append(kept)  # type: ignore[arg-type]  # a planned post plans as a post
            sizes.append(kept.size)
            mtimes.append(kept.mtime_ns)
            continue
        post = None
        if path in made:
            post, said, _ = made[path]
            for diagnostic in said:
                found_now.add(diagnostic)
            if post is not None:
                every_post.append(post)
        sizes.append(-1 if post is None else post.source.size)
        mtimes.append(-1 if post is None else post.source.mtime_ns)
    posts = drop_duplicate_urls(every_post, found_now, drafts_left_out=not settings.content.drafts)
    published, drafts, scheduled = split_posts(posts, settings, now, found_now)
    published_paths = {post.source.path for post in published}
    if any(post.published != (path in published_paths) for path, post in unchanged.items()):
        return None  # an unchanged post comes in or goes out: its ledger entry changes
    diagnostics.extend(found_now)
    if dry_run:
        return Gathered(len(sources), read.parsed, published, drafts, scheduled, {}, 0, {}, posts)
    _check_strict(strict, diagnostics)
    _check_losses(
        diagnostics,
        files,
        has_published=any(entry.deleted_at is None for entry in known)
        if every_file
        else any(post.published for post in unchanged.values()),
    )

    fresh_published = [post for post in published if post.source.path not in unchanged]
    own_entries = [entry for entry in known if entry.id not in unchanged_ids]
    last_seq = state.max_seq()
    ledger_update = update_ledger(
        fresh_published, own_entries, now=recorded_at, next_seq=last_seq + 1
    )
    entries = {entry.id: entry for entry in known}
    entries.update({entry.id: entry for entry in ledger_update.changed})
    seq = {post.id: post.seq for post in unchanged.values() if post.published}
    seq.update({post.id: entries[post.id].seq for post in fresh_published})
    next_seq = max((entry.seq for entry in ledger_update.changed), default=last_seq) + 1
    next_seq = max(next_seq, last_seq + 1)

    parts_by_path = {
        path: part if part is not None else post_signature(post)
        for path, (post, _, part) in made.items()
        if post is not None
    }
    parts = {
        post.id: kept.part
        if (kept := unchanged.get(post.source.path)) is not None
        else parts_by_path[post.source.path]
        for post in published
    }

    def planned_shards() -> Iterator[tuple[int, bytes]]:
        # One shard's planned posts at a time, let go once stored: made all at once,
        # they were 20 MiB of a first build's peak at 100,000 posts.
        from ._records import PLANNED_SHARDS, planned_record, planned_shard

        shards: dict[int, list[str]] = {}
        if every_file:
            shards = {shard: [] for shard in range(PLANNED_SHARDS)}
        for path in changed_paths:
            shard = planned_shard(path)
            if shard not in shards:
                shards[shard] = list(paths_by_shard.get(shard, ()))
            shards[shard].append(path)
        for shard, paths in shards.items():
            planned = []
            for path in dict.fromkeys(paths):
                if path in unchanged:
                    planned.append(unchanged[path])
                    continue
                post = made.get(path, (None,))[0]
                if post is None:
                    continue  # gone, or no longer a post
                is_published = path in published_paths
                kept = planned_post(
                    post,
                    parts_by_path[path],
                    made[path][1],
                    published=is_published,
                    seq=entries[post.id].seq if is_published else -1,
                )
                if ahead and resolved_with[path] is not entries.get(post.id):
                    # Resolved with the entry it had: stored with a time no file has,
                    # it is read again by the next build, which still knows its path.
                    kept = kept._replace(mtime_ns=-1)
                    mtimes[file_index[path]] = -1
                planned.append(kept)
            yield shard, planned_record(planned)

    # Where each file's time is in ``mtimes``, for the planned posts stored as changed.
    file_index = {f.path: index for index, f in enumerate(files)} if ahead else {}
    records = _fresh_records(
        fresh, entries, settings, now, parts_by_path, simulated=simulated, ahead=ahead
    )
    _store_posts(
        state,
        ledger_update.changed,
        read,
        records,
        planned_shards(),
        valid_for=planned_key,
        replace_all=every_file,
    )
    return Gathered(
        posts_read=len(unchanged) + len(sources),
        posts_parsed=read.parsed,
        published=published,
        drafts=drafts,
        scheduled=scheduled,
        seq=seq,
        next_seq=next_seq,
        parts=parts,
        posts=posts,
        found=tuple(found_now),
        git_said=tuple(said_reading),
        sizes=tuple(sizes),
        mtimes=tuple(mtimes),
        planned_key=planned_key,
    )


def _resolve(
    sources: Sequence[Source],
    matches: Mapping[str, LedgerEntry],
    history: Mapping[str, GitDates],
    settings: Settings,
    state: State,
    now: datetime,
    *,
    simulated: bool,
    dry_run: bool,
) -> dict[str, tuple[Post | None, tuple[Diagnostic, ...], str | None, bool]]:
    """Each source's post (None if it cannot be published), what resolving it said, its
    part of the feed signatures if known, and whether it was resolved now (else taken
    from its record, whose key says its inputs are the same)."""
    from ._parallel import PARALLEL_RESOLVE, resolve_in_workers
    from ._records import post_from_record
    from .dates import resolve_post

    resolved: dict[str, tuple[Post | None, tuple[Diagnostic, ...], str | None, bool]] = {}
    if not dry_run:
        settings_key = _settings_key(settings, now, simulated=simulated)
        paths = [source.path for source in sources]
        keys = state.resolved_keys(paths)
        reusable = {
            source.path: source
            for source in sources
            if source.path in keys
            and keys[source.path]
            == post_key(
                source,
                matches.get(source.path),
                history.get(source.path),
                settings_key,
                settings,
                now,
            )
        }
        del keys
        if reusable:
            # Records are read one row at a time and only kept as posts.
            for path, record in state.resolved_records(reusable):
                reused = post_from_record(reusable[path], record)
                if reused is not None:
                    resolved[path] = (reused.post, reused.diagnostics, reused.signature, False)
    pending = [source for source in sources if source.path not in resolved]
    in_workers = None
    if len(pending) >= PARALLEL_RESOLVE:
        in_workers = resolve_in_workers(pending, matches, history, settings, now)
    for source in pending:
        if in_workers is not None:
            post, said, part = in_workers[source.path]
            resolved[source.path] = (post, tuple(said), part, True)
            continue
        found = Diagnostics()
        post = resolve_post(
            source,
            matches.get(source.path),
            history.get(source.path),
            settings=settings,
            now=now,
            diagnostics=found,
        )
        resolved[source.path] = (post, tuple(found), None, True)
    return resolved


def _fresh_records(
    fresh: Iterable[_FreshPost],
    ledger: Mapping[str, LedgerEntry],
    settings: Settings,
    now: datetime,
    signatures: Mapping[str, str],
    *,
    simulated: bool,
    ahead: bool,
) -> Iterator[tuple[str, str, bytes]]:
    """The ``(path, key, record)`` rows of the posts resolved in this build, made one at
    a time as the state database stores them. ``signatures`` holds each post's part of
    the feed signatures, by path; ``simulated`` salts the keys with the clock (see
    :func:`_settings_key`).

    Each key is made with the post's ledger entry as this build leaves it, which is the
    entry the next build matches the file to: keyed with the entry it was resolved with
    (none, for a post seen for the first time), every record of a first build would be
    stale at the second. Resolving with the updated entry gives the same post: a new
    entry is first seen at the time the ledger records, and an entry whose content
    changed was changed then; :func:`feedkit.dates.resolve_post` takes either time as
    ``now`` when it is not before ``now``, which are the dates the post was resolved
    with. With ``ahead`` (a clock ahead of the time the ledger records, ``--now`` in the
    future), it would not: each key is made with the entry the post was resolved with.
    """
    from ._records import post_record

    settings_key = _settings_key(settings, now, simulated=simulated)
    return (
        (
            item.source.path,
            post_key(
                item.source,
                item.entry if ahead else ledger.get(item.post.id),
                item.git_dates,
                settings_key,
                settings,
                now,
            ),
            post_record(item.post, item.found, signatures[item.source.path]),
        )
        for item in fresh
    )


def _store_posts(
    state: State,
    ledger_changes: Iterable[LedgerEntry],
    read: _Read,
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
            (to_cache_record(source) for source in read.refreshed), removed=read.removed
        )
        state.save_resolved_posts(resolved, removed=read.removed)
        state.save_planned(planned, valid_for=valid_for, replace_all=replace_all)


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
    failed = {d.path for d in diagnostics.at_least(Level.ERROR) if d.path is not None}
    if not failed:
        return  # most builds: no set of every path to make
    paths = {source_file.path for source_file in files}
    failed &= paths
    if failed and len(failed) * _FAILED_SHARE_DENOMINATOR > len(paths):
        from .errors import SourceError

        raise SourceError(
            f"{len(failed)} of {len(paths)} posts could not be published (see above); "
            "the published feeds were left as they were"
        )


# --- which feeds to write ------------------------------------------------------------


def feed_signatures(
    specs: Sequence[FeedSpec], settings_key: str, parts: dict[str, str]
) -> dict[str, str]:
    """Each feed's signature, by key (see :func:`feed_signature`), with the settings' part
    ``settings_key`` (:func:`feed_signature_key`); ``parts`` holds the posts' parts by id
    (and takes those it lacks)."""
    return {spec.key: feed_signature(spec, settings_key, parts) for spec in specs}


def feed_signature_key(settings: Settings) -> str:
    """The settings' part of every feed's signature (see :func:`feed_signature`)."""
    from ._liquid_inputs import liquid_inputs_digest

    settings_key = settings_digest(settings)
    if settings.jekyll:  # a Jekyll site (is_jekyll_site holds whenever this does)
        # What Liquid reads beyond each post (_includes/, _data/) shapes every item.
        settings_key = digest_text(settings_key, liquid_inputs_digest(settings))
    return settings_key


def current_feeds(
    signatures: Mapping[str, str],
    stored_signatures: Mapping[str, str],
    paths: Mapping[str, Sequence[str]],
    stored_sizes: Mapping[str, int],
    output_dir: Path,
) -> set[str]:
    """The keys of the feeds whose signature is the last build's and whose files (their
    ``paths``) are still there with the sizes they were written with: left alone."""
    same = {key for key, signature in signatures.items() if stored_signatures.get(key) == signature}
    expected = {path: stored_sizes.get(path) for key in same for path in paths[key]}
    present = _with_sizes(output_dir, expected)
    return {key for key in same if all(path in present for path in paths[key])}


def whole_posts(
    specs: Sequence[FeedSpec],
    keys: Collection[str],
    state: State,
    settings: Settings,
    files: Sequence[SourceFile],
    now: datetime,
) -> tuple[FeedSpec, ...]:
    """``specs`` with the planned posts of the feeds named by ``keys`` made whole, from
    the parse cache and their resolved records (see :func:`gather_posts`); a feed taken
    from the stored plan holds its posts as :class:`~feedkit._records.FeedMember`, made
    whole the same way."""
    from ._records import FeedMember, PlannedPost, post_from_record
    from .collect import collect_sources, with_defaults

    planned: dict[str, PlannedPost | FeedMember] = {
        post.source.path: post  # type: ignore[misc]  # what stands for a post in a plan
        for spec in specs
        if spec.key in keys
        for post in spec.posts
        if isinstance(post, (PlannedPost, FeedMember))
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
    sources = {source.path: source for source in with_defaults(collected.sources, settings)}
    whole: dict[str, Post] = {}
    for path, record in state.resolved_records(planned):
        source = sources.get(path)
        if source is not None and (reused := post_from_record(source, record)) is not None:
            whole[path] = reused.post
    missing = [path for path in planned if path not in whole and path in sources]
    if missing:  # a record that cannot be read: resolved again, as gather_posts would
        from .dates import resolve_post

        entries = {
            entry.id: entry
            for entry in state.ledger_subset(paths=(), ids=[planned[p].id for p in missing])
        }
        history: Mapping[str, GitDates] = {}
        if "git" in settings.dates.sources:
            from ._git import read_git_history

            history = read_git_history(settings.content.dir, Diagnostics())
        for path in missing:
            post = resolve_post(
                sources[path],
                entries.get(planned[path].id),
                history.get(path),
                settings=settings,
                now=now,
                diagnostics=Diagnostics(),
            )
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
