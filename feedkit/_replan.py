"""The plan of a build's feeds: made from every post, or taken back from the last build.

A build plans its feeds (:func:`feedkit.generate.plan_feeds`) from every published post.
At 10,000 posts, gathering and planning them all was most of what a build with one
edited post did: 0.14 of its 0.21 s after the imports, and 1.3 of 1.9 s at 100,000
(#25). So each build stores its plan (:func:`plan_from_posts`): each feed's posts as
:class:`~feedkit._records.FeedMember` rows (path, id, and part of the feed's signature),
and the rest as a :class:`~feedkit._records.StoredPlan`.

:func:`replan` takes it back when few files changed and each gives what it gave before,
at the same place in every feed: a post with the same id, URL, title, date, draft flag,
categories and tags (all that places a post in the feeds, and all that Liquid's
``site.posts`` shows of it), published then and now, matched to its own ledger entry,
and saying what it said before (or, for a file that is not a post, no post again).
Then every post is where it was in every feed, and only the changed posts' parts
differ: the feeds that hold them get new signatures, and the rest of the plan stands.
Anything else (a file added, removed or renamed; a date, title or category changed; a
scheduled post falling due; a new commit, where dates come from git; a clock ahead of
the real time, or behind the last build's) is planned from every post, as a first
build is. Both give the same feeds, state and report: ``tests/test_changed_only.py``
builds every step both ways.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from ._rebuild import (
    RACY_NS,
    _check_losses,
    _check_strict,
    _fresh_records,
    _FreshPost,
    _planned_key,
    _Read,
    _read_files,
    _resolve,
    _store_posts,
    digest_text,
    falls_due,
    feed_signature,
    feed_signature_key,
    feed_signatures,
    gather_posts,
    next_expiry,
    nothing_read,
    post_signature,
)
from .diagnostics import Diagnostic, Diagnostics, Level
from .errors import FeedkitError
from .models import FeedSpec

if TYPE_CHECKING:
    from ._git import GitDates
    from ._records import FeedMember, PlannedPost, StoredPlan
    from ._walk import SourceFile
    from .models import LedgerEntry, Post
    from .settings import Settings
    from .state import State

__all__ = ["FeedPlan", "plan_build", "plan_from_posts", "replan"]

# More changed files than this, and the build plans from every post.
_FEW_REPLANNED = 16


class FeedPlan(NamedTuple):
    """A build's feeds, with what it gathered to plan them."""

    # Every feed, those with no post left included, the site's first. A feed taken from
    # the stored plan holds its posts only once loaded (see ``with_posts``).
    specs: tuple[FeedSpec, ...]
    listed: list[FeedSpec]  # the feeds feeds.html lists: the site's, and those with posts
    signatures: dict[str, str]  # each feed's, by key
    known_feeds: dict[str, list[str | None]]  # every category and tag feed published
    empty_since: dict[str, str]  # since when each feed with no posts has had none
    posts_read: int
    posts_parsed: int
    published: int
    drafts: int
    scheduled: int
    next_scheduled: tuple[str, str, datetime] | None  # path, title, when it falls due
    next_expiry: datetime | None  # when a published page may expire (see next_expiry)
    published_posts: Callable[[], Sequence[Post]]  # every published post, in file order
    with_posts: Callable[[Collection[str]], tuple[FeedSpec, ...]]  # specs, those named loaded
    stored: StoredPlan  # what the next build may take back


def plan_build(
    settings: Settings,
    state: State,
    now: datetime,
    *,
    strict: bool,
    diagnostics: Diagnostics,
    files: Sequence[SourceFile],
    progress: Callable[[str, int, int], None] | None,
    recorded_at: datetime,
    meta: Mapping[str, str],
    stored_sizes: Mapping[str, int],
    stored_signatures: Mapping[str, str],
) -> FeedPlan:
    """Read the posts that changed, resolve them, update the ledger (stored then) and
    plan the feeds: from the last build's plan where :func:`replan` can, else from every
    post (:func:`plan_from_posts`), without reading again what it read. ``meta`` holds
    the last build's facts, of which ``stored_signatures`` its feeds' signatures."""
    taken = replan(
        settings,
        state,
        now,
        strict=strict,
        diagnostics=diagnostics,
        files=files,
        recorded_at=recorded_at,
        meta=meta,
        stored_signatures=stored_signatures,
    )
    if isinstance(taken, FeedPlan):
        return taken
    return plan_from_posts(
        settings,
        state,
        now,
        strict=strict,
        diagnostics=diagnostics,
        files=files,
        progress=progress,
        recorded_at=recorded_at,
        meta=meta,
        stored_sizes=stored_sizes,
        read=taken,
    )


def plan_from_posts(
    settings: Settings,
    state: State,
    now: datetime,
    *,
    strict: bool,
    diagnostics: Diagnostics,
    files: Sequence[SourceFile],
    progress: Callable[[str, int, int], None] | None,
    recorded_at: datetime,
    meta: Mapping[str, str],
    stored_sizes: Mapping[str, int],
    read: _Read | None = None,
) -> FeedPlan:
    """Gather the posts (:func:`feedkit._rebuild.gather_posts`) and plan the feeds from
    every published one, with those that lost their last post; store each feed's posts
    for the next build. ``read`` holds the files :func:`replan` read already."""
    from ._records import StoredPlan
    from .generate import plan_feeds, with_emptied_feeds

    gathered = gather_posts(
        settings,
        state,
        now,
        strict=strict,
        diagnostics=diagnostics,
        files=files,
        progress=progress,
        recorded_at=recorded_at,
        read=read,
    )
    published, scheduled = gathered.published, gathered.scheduled
    next_post = min(scheduled, key=lambda p: (p.published_at, p.id), default=None)
    specs = plan_feeds(published, settings, seq=gathered.seq, next_seq=gathered.next_seq)
    specs, known_feeds, empty_since = with_emptied_feeds(
        specs, settings, meta, recorded_at, stored_sizes
    )
    signature_key = feed_signature_key(settings)  # read once: on a Jekyll site, its includes
    signatures = feed_signatures(specs, signature_key, gathered.parts)
    digests = _store_members(state, specs, signatures, gathered.parts)
    stored = StoredPlan(
        valid_for=gathered.planned_key,
        signature_key=signature_key,
        planned_at=now.isoformat(),
        paths=tuple([source_file.path for source_file in files]),
        sizes=gathered.sizes,
        mtimes=gathered.mtimes,
        feeds=tuple((*_spec_row(spec), digests[spec.key]) for spec in specs),
        found=tuple(_found_row(diagnostic) for diagnostic in gathered.found),
        git_said=tuple(_found_row(diagnostic) for diagnostic in gathered.git_said),
        published=len(published),
        drafts=gathered.drafts,
        scheduled=len(scheduled),
        next_scheduled=None
        if next_post is None
        else (next_post.source.path, next_post.title, next_post.published_at.isoformat()),
    )
    return FeedPlan(
        specs=specs,
        listed=[spec for spec in specs if spec.posts or spec.kind == "site"],
        signatures=signatures,
        known_feeds=known_feeds,
        empty_since=empty_since,
        posts_read=gathered.posts_read,
        posts_parsed=gathered.posts_parsed,
        published=len(published),
        drafts=gathered.drafts,
        scheduled=len(scheduled),
        next_scheduled=None
        if next_post is None
        else (next_post.source.path, next_post.title, next_post.published_at),
        next_expiry=gathered.next_expiry,
        published_posts=lambda: published,
        with_posts=lambda keys: specs,
        stored=stored,
    )


def replan(
    settings: Settings,
    state: State,
    now: datetime,
    *,
    strict: bool,
    diagnostics: Diagnostics,
    files: Sequence[SourceFile],
    recorded_at: datetime,
    meta: Mapping[str, str],
    stored_signatures: Mapping[str, str],
) -> FeedPlan | _Read:
    """The last build's plan with the few files that changed since read again, when
    each gives what it gave before at the same place in every feed (see the module's
    docstring). Else, before anything is reported or stored, what it read (maybe
    nothing), for :func:`plan_from_posts` to go on from: the feeds must be planned
    from every post."""
    from ._liquid_inputs import is_jekyll_site
    from ._records import plan_from_record
    from .generate import feed_keys_of
    from .identity import update_ledger

    read = nothing_read()
    if recorded_at < now:
        return read
    if "subscription_feeds" not in meta or "empty_since" not in meta:
        return read
    if falls_due(meta, now):
        return read
    row = state.plan()
    simulated = recorded_at != now
    planned_key = _planned_key(settings, now, simulated=simulated)
    if row is None or row[0] != planned_key:
        return read
    plan = plan_from_record(row[1])
    if (
        plan is None
        or plan.valid_for != planned_key
        or datetime.fromisoformat(plan.planned_at) > now
        or plan.signature_key != feed_signature_key(settings)
        or plan.paths != tuple([source_file.path for source_file in files])
    ):
        return read
    digests = {feed[0]: feed[-1] for feed in plan.feeds}
    if state.plan_digests() != digests:
        return read  # the feeds' rows are not those the plan was stored with

    # The files that changed, and those that hold no planned post: read again.
    racy_after = int(meta.get("built_at_ns", "0")) - RACY_NS
    changed: list[SourceFile] = []
    at: dict[str, int] = {}  # where each changed file is in the plan's lists
    was_post: set[str] = set()  # the changed files that held a planned post
    for number, (source_file, size, mtime) in enumerate(
        zip(files, plan.sizes, plan.mtimes, strict=True)
    ):
        if source_file.mtime_ns != mtime or source_file.size != size or mtime >= racy_after:
            changed.append(source_file)
            at[source_file.path] = number
            if mtime != -1:
                was_post.add(source_file.path)
            if len(changed) > _FEW_REPLANNED:
                return read
    before = _planned_posts(state, at, planned_key)
    if before is None or not was_post <= before[0].keys():
        return read
    planned, paths_by_shard = before

    read = _read_files(
        settings,
        state,
        changed,
        read,
        every_file=False,
        keep_bodies=True,
        racy_after=racy_after,
        progress=None,
    )
    made = _read_again(settings, state, now, plan, changed, planned, read, simulated=simulated)
    if made is None:
        return read
    posts, known, said, parts, fresh = made
    changed_ids = {post.id for post in posts.values()}
    # Each post continues its own entry (see _read_again): none is given a new number.
    update = update_ledger(list(posts.values()), known, now=recorded_at, next_seq=0)
    entries = {entry.id: entry for entry in known}
    entries.update({entry.id: entry for entry in update.changed})
    if any(entry.id not in changed_ids for entry in update.changed) or any(
        entries[post.id].seq != planned[path].seq or entries[post.id].deleted_at is not None
        for path, post in posts.items()
    ):
        return read

    # Where the changed posts are, and what those feeds' signatures become.
    signature_key = plan.signature_key
    if any(feed[0] not in stored_signatures for feed in plan.feeds):
        return read
    holding: set[str] = set()
    for post in posts.values():
        holding |= feed_keys_of(post, settings, planned[post.source.path].seq)
    specs = {feed[0]: _spec_of(feed) for feed in plan.feeds}
    loaded = _load_members(state, holding & specs.keys())
    if loaded is None:
        return read
    new_parts = {post.id: parts[path] for path, post in posts.items()}
    signatures = {feed[0]: stored_signatures[feed[0]] for feed in plan.feeds}
    touched: list[FeedSpec] = []
    for key, members in loaded.items():
        if not any(member.id in new_parts for member in members):
            continue  # an older post than the feed holds
        members = tuple(
            member._replace(part=new_parts[member.id]) if member.id in new_parts else member
            for member in members
        )
        spec = specs[key] = _holding(specs[key], members)
        signatures[key] = feed_signature(
            spec, signature_key, {member.id: member.part for member in members}
        )
        touched.append(spec)

    # A Jekyll site's Liquid lists every published post (site.posts, post_url): as
    # planned, they show what they showed, the changed ones included.
    published_posts: list[PlannedPost] = []
    if is_jekyll_site(settings):
        every = _planned_posts(state, plan.paths, planned_key)
        if every is None:
            return read
        published_posts = [
            held for path in plan.paths if (held := every[0].get(path)) and held.published
        ]

    # Taken back: what gathering said is what it said before; store what changed.
    found = Diagnostics()
    for path, level, code, message, line in plan.found:
        found.add(Diagnostic(Level(level), code, message, path, line))
    diagnostics.extend(found)
    _check_strict(strict, diagnostics)
    _check_losses(diagnostics, files, has_published=plan.published > 0)
    _store_posts(
        state,
        update.changed,
        read,
        _fresh_records(
            fresh,
            entries,
            settings,
            now,
            {path: parts[path] for path in posts},
            simulated=simulated,
            ahead=False,
        ),
        _changed_shards(changed, planned, paths_by_shard, posts, parts, said),
        valid_for=planned_key,
        replace_all=False,
    )
    touched_parts = {member.id: member.part for spec in touched for member in spec.posts}  # type: ignore[attr-defined]
    digests.update(_store_members(state, touched, signatures, touched_parts, stored=digests))

    sizes, mtimes = list(plan.sizes), list(plan.mtimes)
    for path, number in at.items():
        changed_post = posts.get(path)
        sizes[number] = -1 if changed_post is None else changed_post.source.size
        mtimes[number] = -1 if changed_post is None else changed_post.source.mtime_ns
    stored = plan._replace(
        planned_at=now.isoformat(),
        sizes=tuple(sizes),
        mtimes=tuple(mtimes),
        feeds=tuple((*feed[:-1], digests[feed[0]]) for feed in plan.feeds),
    )
    all_specs = tuple(specs.values())
    upcoming = plan.next_scheduled
    kept = len(plan.mtimes) - plan.mtimes.count(-1) - len(was_post)
    return FeedPlan(
        specs=all_specs,
        listed=[
            spec
            for spec, feed in zip(all_specs, plan.feeds, strict=True)
            if feed[9] or spec.kind == "site"
        ],
        signatures=signatures,
        known_feeds=json.loads(meta["subscription_feeds"]),
        empty_since=json.loads(meta["empty_since"]),
        posts_read=kept + len(read.sources),
        posts_parsed=read.parsed,
        published=plan.published,
        drafts=plan.drafts,
        scheduled=plan.scheduled,
        next_scheduled=None
        if upcoming is None
        else (upcoming[0], upcoming[1], datetime.fromisoformat(upcoming[2])),
        next_expiry=next_expiry(read.sources.values(), settings, now, meta.get("next_expiry")),
        # Planned posts stand for posts where Liquid reads them (see load_liquid_site).
        published_posts=lambda: published_posts,  # type: ignore[arg-type, return-value]
        with_posts=lambda keys: _with_members(state, all_specs, keys, posts),
        stored=stored,
    )


class _Made(NamedTuple):
    posts: dict[str, Post]  # the changed files' posts, by path
    known: list[LedgerEntry]  # the ledger entries matching the changed files needs
    said: dict[str, tuple[Diagnostic, ...]]  # what resolving each post said, by path
    parts: dict[str, str]  # each post's part of the feed signatures, by path
    fresh: list[_FreshPost]  # the posts resolved now (not taken from their records)


def _read_again(
    settings: Settings,
    state: State,
    now: datetime,
    plan: StoredPlan,
    changed: Sequence[SourceFile],
    planned: Mapping[str, PlannedPost],
    read: _Read,
    *,
    simulated: bool,
) -> _Made | None:
    """The posts of the ``changed`` files, read, matched to the ledger and resolved as
    :func:`feedkit._rebuild.gather_posts` does; None unless each gives what it gave
    before at the same place in every feed, and says what it said."""
    from ._git import read_git_history
    from ._records import diagnostics_record
    from .identity import match_sources

    changed_paths = {source_file.path for source_file in changed}
    said_reading = Diagnostics()
    history: Mapping[str, GitDates] = (
        read_git_history(settings.content.dir, said_reading)
        if "git" in settings.dates.sources
        else {}
    )
    if tuple(_found_row(diagnostic) for diagnostic in said_reading) != plan.git_said:
        return None
    former_paths = {path: dates.former_paths for path, dates in history.items()}
    notes: dict[str | None, list[Diagnostic]] = {}
    for diagnostic in read.found:
        notes.setdefault(diagnostic.path, []).append(diagnostic)
    if not notes.keys() <= changed_paths:
        return None  # something said of another file, or of none
    said_before: dict[str | None, list[tuple[Any, ...]]] = {}
    for path, *row in plan.found:
        if path in changed_paths:
            said_before.setdefault(path, []).append(tuple(row))
    sources = [read.sources[f.path] for f in changed if f.path in read.sources]
    known = state.ledger_subset(
        paths=changed_paths.union(*(former_paths.get(source.path, ()) for source in sources)),
        ids={
            declared for source in sources if isinstance(declared := source.metadata.get("id"), str)
        },
        hashes={source.content_hash for source in sources},
    )
    before_ids = {planned[path].id for path in changed_paths if path in planned}
    if any(entry.deleted_at is None and entry.id not in before_ids for entry in known):
        return None  # a changed file would take another post's id
    current_paths = {
        path
        for path, mtime in zip(plan.paths, plan.mtimes, strict=True)
        if mtime != -1 and path not in changed_paths
    }
    current_paths.update(source.path for source in sources)
    matches = match_sources(sources, known, former_paths=former_paths, current_paths=current_paths)
    resolved = _resolve(
        sources, matches, history, settings, state, now, simulated=simulated, dry_run=False
    )
    posts: dict[str, Post] = {}
    said: dict[str, tuple[Diagnostic, ...]] = {}
    parts: dict[str, str] = {}
    fresh: list[_FreshPost] = []
    for source_file in changed:
        path = source_file.path
        post, found, part, is_fresh = resolved.get(path, (None, (), None, False))
        before = planned.get(path)
        entry = matches.get(path)
        if (post is None) != (before is None):
            return None  # a post comes or goes
        if list(diagnostics_record((*notes.get(path, ()), *found))) != said_before.get(path, []):
            return None
        if post is None or before is None:
            if entry is not None:
                return None
            continue
        if (
            not before.published
            or entry is None
            or entry.id != before.id
            or _placing(post) != _placing(before)
        ):
            return None
        posts[path] = post
        said[path] = found
        parts[path] = part if part is not None else post_signature(post)
        if is_fresh:
            fresh.append(_FreshPost(read.sources[path], history.get(path), post, entry, found))
    return _Made(posts, known, said, parts, fresh)


# All that places a post in the feeds, and that Liquid's ``site.posts`` shows of it: what
# a planned post keeps of a post but its signature's part, diagnostics and number.
_placing = attrgetter(
    "id", "url", "permalink", "title", "published_at", "is_draft", "categories", "tags"
)


def _planned_posts(
    state: State, paths: Collection[str], planned_key: str
) -> tuple[dict[str, PlannedPost], dict[int, list[str]]] | None:
    """The planned posts of the shards that hold ``paths``, by path, with the paths of
    each of those shards; None when one cannot be read or is not valid."""
    from ._records import planned_from_record, planned_shard

    shards = {planned_shard(path) for path in paths}
    planned: dict[str, PlannedPost] = {}
    paths_by_shard: dict[int, list[str]] = {}
    for shard, valid_for, record in state.planned_shards(shards):
        decoded = planned_from_record(record) if valid_for == planned_key else None
        if decoded is None:
            return None
        planned.update(decoded)
        paths_by_shard[shard] = list(decoded)
    if paths_by_shard.keys() != shards:
        return None
    return planned, paths_by_shard


def _changed_shards(
    changed: Sequence[SourceFile],
    planned: Mapping[str, PlannedPost],
    paths_by_shard: Mapping[int, list[str]],
    posts: Mapping[str, Post],
    parts: Mapping[str, str],
    said: Mapping[str, tuple[Diagnostic, ...]],
) -> Iterable[tuple[int, bytes]]:
    """The records of the shards that hold the ``changed`` files, their posts replaced
    by the ones they give now (as :func:`feedkit._rebuild.gather_posts` stores them)."""
    from ._records import planned_post, planned_record, planned_shard

    shards = {planned_shard(source_file.path) for source_file in changed}
    for shard in shards:
        kept = []
        for path in paths_by_shard[shard]:
            post = posts.get(path)
            if post is None:
                kept.append(planned[path])
                continue
            seq = planned[path].seq
            kept.append(planned_post(post, parts[path], said[path], published=True, seq=seq))
        yield shard, planned_record(kept)


def _spec_row(spec: FeedSpec) -> tuple[Any, ...]:
    """A feed as the stored plan keeps it, without its posts (but their number)."""
    return (
        spec.key,
        spec.kind,
        spec.name,
        spec.directory,
        spec.url_path,
        spec.title,
        spec.archive_page,
        spec.prev_archive,
        spec.next_archive,
        len(spec.posts),
    )


def _spec_of(row: Sequence[Any]) -> FeedSpec:
    """Inverse of :func:`_spec_row`, with no post loaded."""
    key, kind, name, directory, url_path, title, page, prev_page, next_page = row[:9]
    return FeedSpec(key, kind, name, directory, url_path, title, (), page, prev_page, next_page)


def _found_row(diagnostic: Diagnostic) -> tuple[Any, ...]:
    """A diagnostic as the stored plan keeps it: its path, then what
    :func:`~feedkit._records.diagnostics_record` keeps."""
    from ._records import diagnostics_record

    return (diagnostic.path, *diagnostics_record((diagnostic,))[0])


def _member_digest(signature: str, spec: FeedSpec) -> str:
    return digest_text(signature, *(post.source.path for post in spec.posts))


def _store_members(
    state: State,
    specs: Iterable[FeedSpec],
    signatures: Mapping[str, str],
    parts: Mapping[str, str],
    *,
    stored: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Store the posts of ``specs`` whose row is not what it is, ``stored`` being the
    digests of the rows (by default, every row's, and the feeds not in ``specs`` are
    forgotten); return each one's digest, by key."""
    from ._records import FeedMember, members_record

    every_feed = stored is None
    known = state.plan_digests() if stored is None else stored
    specs = list(specs)
    keys = {spec.key for spec in specs}
    digests: dict[str, str] = {}

    def rows() -> Iterator[tuple[str, str, bytes]]:
        # Made as they are stored: at 100,000 posts a first build's are 10 MB or so.
        for spec in specs:
            digest = digests[spec.key] = _member_digest(signatures[spec.key], spec)
            if known.get(spec.key) != digest:
                members = (FeedMember(p.source.path, p.id, parts[p.id]) for p in spec.posts)
                yield spec.key, digest, members_record(members)

    removed = [key for key in known if key not in keys] if every_feed else []
    state.save_plan_members(rows(), removed=removed)
    return digests


def _load_members(state: State, keys: Collection[str]) -> dict[str, tuple[FeedMember, ...]] | None:
    """The stored posts of the feeds ``keys``, by key; None when one cannot be read."""
    from ._records import members_from_record

    loaded = {}
    for key, (_, record) in state.plan_members(keys).items():
        members = members_from_record(record)
        if members is None:
            return None
        loaded[key] = members
    return loaded if loaded.keys() == set(keys) else None


def _holding(spec: FeedSpec, members: tuple[FeedMember, ...]) -> FeedSpec:
    """``spec`` with its posts as the stored plan keeps them (made whole, where they are
    written, by :func:`feedkit._rebuild.whole_posts`)."""
    return replace(spec, posts=members)  # type: ignore[arg-type]  # they stand for posts


def _lost_plan(state: State, what: str) -> FeedkitError:
    """Forget the stored plan (the next build plans from every post) and say why."""
    with state.transaction():
        state.save_planned((), valid_for="")  # forgets the plan, keeps the planned posts
    return FeedkitError(f"the state database does not hold {what}; build again")


def _with_members(
    state: State, specs: Sequence[FeedSpec], keys: Collection[str], posts: Mapping[str, Post]
) -> tuple[FeedSpec, ...]:
    """``specs`` with the posts of the feeds ``keys`` loaded, where they are not, and
    the changed ``posts`` (by path) in place of what stands for them: read in this
    build, they are rendered from that read."""
    wanted = {spec.key for spec in specs if spec.key in keys and not spec.posts}
    loaded = _load_members(state, wanted) if wanted else {}
    if loaded is None:
        raise _lost_plan(state, "the plan of the feeds")
    with_posts = []
    for spec in specs:
        members: Sequence[Any] = loaded.get(spec.key, spec.posts)
        if spec.key in keys and any(member.source.path in posts for member in members):
            members = tuple(posts.get(member.source.path, member) for member in members)
        with_posts.append(spec if members is spec.posts else replace(spec, posts=tuple(members)))
    return tuple(with_posts)
