"""Running a build's work on every core: resolving the posts of a first build, and
rendering, serializing and writing the feeds that must be written.

The main process plans; worker processes take whole jobs (a share of the posts to
resolve, a post to render, a feed to render, serialize and write) and send back only
what the main process needs: the posts it plans the feeds with, the items the
subscription feeds share, and for each feed a worker wrote, the paths, digests and sizes
the state records. Writes stay atomic: a worker writes through
:func:`feedkit.publish.write_artifacts`, as the main process does.

Below the ``PARALLEL_*`` sizes, starting processes costs more than it saves, and the
work is done in the main process.
"""

from __future__ import annotations

import os
import pickle
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from .diagnostics import Diagnostic, Diagnostics

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future, ProcessPoolExecutor

    from ._git import GitDates
    from .liquid import LiquidSite
    from .models import Artifact, FeedSpec, Item, LedgerEntry, Post, Source
    from .publish import PublishResult
    from .settings import Settings
    from .timeline import TimelineEvent

__all__ = [
    "PARALLEL_FEEDS",
    "PARALLEL_PAGES",
    "PARALLEL_POSTS",
    "PARALLEL_RESOLVE",
    "START_METHOD",
    "MakeExtras",
    "OutputFiles",
    "Resolved",
    "map_ahead",
    "process_pool",
    "resolve_in_workers",
    "worker_count",
    "write_feeds",
]

_Job = TypeVar("_Job")
_Result = TypeVar("_Result")

# Fewer posts to resolve, archive pages, posts to render, or subscription feeds than
# these are not worth starting processes for.
PARALLEL_RESOLVE = 400
PARALLEL_PAGES = 16
PARALLEL_POSTS = 200
PARALLEL_FEEDS = 16


def worker_count() -> int:
    """How many worker processes a build starts (at most four)."""
    return min(os.cpu_count() or 1, 4)


# --- worker processes ----------------------------------------------------------------

# How worker processes start. Forked from the main process, a worker shares its whole
# heap copy-on-write, and every page that either side then touches (a reference count, a
# collection of the garbage collector) becomes a private copy: at 100,000 posts, the
# build's processes came to hold 984 MiB together, the main process's posts counted up
# to three times. A fork server is a small process that has imported what the workers
# run and forks each of them: they start with that, and the jobs bring the rest.
START_METHOD = "forkserver"
# What the fork server imports once for every worker it forks.
# (What each worker still imported was logged once with an audit hook on "import".)
_PRELOADED = [
    "concurrent.futures.process",
    "feedkit._parallel",
    "feedkit._rebuild",
    "feedkit._records",
    "feedkit.collect",
    "feedkit._frontmatter",
    "feedkit.jekyll",
    "feedkit.dates",
    "feedkit.render",
    "feedkit.liquid",  # what unpickles a Jekyll site's LiquidSite
    "feedkit.browser",
    "feedkit.generate",
    "feedkit.ical",
    "feedkit.publish",
    "feedkit.timeline",
    "feedkit._markdown",
    "feedkit._feedgen_ext",
    "feedgen.feed",
    "feedgen.ext.dc",
    "feedgen.ext.media",
    "lxml.html",
    "markdown_it_pyrs",
    "nh3",
    "yaml",
]


def process_pool(
    workers: int,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
    *,
    start_method: str | None = None,
) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, started by ``start_method`` (default
    :data:`START_METHOD`) where this system has it (else by its default), each set up by
    ``initializer(*initargs)``. Each worker ends as soon as the process that made the
    pool does, however that one ends (see :func:`_exit_with`)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = start_method or START_METHOD
    context = None
    if method in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            # Not "__main__", the default: a fork server that imported the script that
            # runs feedkit (its command, a user's own) would run it again.
            context.set_forkserver_preload(_PRELOADED)
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )


def _start_worker(
    main_pid: int, initializer: Callable[..., object] | None, initargs: tuple[Any, ...]
) -> None:
    _exit_with(main_pid)
    if initializer is not None:
        initializer(*initargs)


def _exit_with(pid: int) -> None:
    """End this process as soon as process ``pid`` has ended.

    A pool's workers otherwise outlive a main process that was killed (by a cron job's
    timeout, the OOM killer, ``kill``): each waits for its next job on a queue whose
    other end it holds itself, forever, keeping its memory, the output pipe the build's
    caller reads to its end, and a fork server that waits for them; and one that was
    writing a feed could replace, seconds later, what the next run wrote there. A
    thread waits on a descriptor of the main process (``pidfd_open``, Linux 5.3), which
    becomes readable when it exits, even before it is reaped; elsewhere it asks every
    second whether the process is there. (Not on Windows, where ``os.kill(pid, 0)``
    would send the main process a Ctrl-C.)"""
    import threading

    if os.name == "nt":
        return

    try:
        handle: int | None = os.pidfd_open(pid)
    except AttributeError:  # not Linux
        handle = None
    except OSError:  # gone already, or a kernel without pidfd_open
        handle = None
        if not _is_running(pid):
            os._exit(1)

    def wait_then_exit() -> None:
        if handle is not None:
            import select

            select.select([handle], [], [])
        else:
            import time

            while _is_running(pid):
                time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=wait_then_exit, name="feedkit-exit-with-main", daemon=True).start()


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, run by another user
        return True
    return True


# --- resolving posts -----------------------------------------------------------------


class Resolved(NamedTuple):
    """A post resolved in a worker process (None if it cannot be published), with the
    diagnostics its resolution gave and its part of the feed signatures."""

    post: Post | None
    found: list[Diagnostic]
    signature: str | None


def _resolve_chunk(
    job: tuple[list[tuple[Source, LedgerEntry | None, GitDates | None]], Settings, datetime],
) -> list[tuple[tuple[Any, ...] | None, list[Diagnostic], str | None]]:
    """Resolve a share of the posts (in a worker process), with the diagnostics and the
    signature part (see :class:`Resolved`) of each.

    Each post comes back as its fields but the first, its source: the main process holds
    the source already, and a second copy of every source would double what a large
    first build keeps in memory (and what it sends between processes).
    """
    from ._rebuild import post_signature
    from .dates import resolve_post
    from .models import Post

    chunk, settings, now = job
    fields = attrgetter(*(field.name for field in dataclass_fields(Post)[1:]))
    results: list[tuple[tuple[Any, ...] | None, list[Diagnostic], str | None]] = []
    for source, entry, git_dates in chunk:
        found = Diagnostics()
        post = resolve_post(source, entry, git_dates, settings=settings, now=now, diagnostics=found)
        if post is None:
            results.append((None, list(found), None))
        else:
            results.append((fields(post), list(found), post_signature(post)))
    return results


def resolve_in_workers(
    sources: Sequence[Source],
    matches: Mapping[str, LedgerEntry],
    history: Mapping[str, GitDates],
    settings: Settings,
    now: datetime,
) -> dict[str, Resolved] | None:
    """Resolve ``sources`` on every core (a first build resolves every post); by path,
    each post as :class:`Resolved`. None on one core."""
    workers = worker_count()
    if workers < 2:
        return None
    from .models import Post

    # A body goes to a worker only to be read for a timeline date: the post that comes
    # back holds the main process's source, body and all.
    needs_body = "timeline" in settings.dates.sources
    jobs = [
        (
            source if needs_body or source.body is None else replace(source, body=None),
            matches.get(source.path),
            history.get(source.path),
        )
        for source in sources
    ]
    size = 64
    chunks = [(jobs[start : start + size], settings, now) for start in range(0, len(jobs), size)]
    made: dict[str, Resolved] = {}
    with process_pool(workers) as pool:
        for start, results in zip(
            range(0, len(jobs), size), pool.map(_resolve_chunk, chunks), strict=True
        ):
            for source, (fields, found, signature) in zip(
                sources[start : start + size], results, strict=True
            ):
                post = None if fields is None else Post(source, *fields)
                made[source.path] = Resolved(post, found, signature)
    return made


# --- rendering and writing feeds -----------------------------------------------------

# What a worker process keeps for the whole build, set once per process by the pool's
# initializer: sent with every job, the Liquid site's URL maps (one entry per post)
# would be pickled again for every chunk of posts.
_worker_liquid: LiquidSite | None = None
# The folders the main process swept of a killed run's temporary files before the
# workers wrote in them: several workers write in archive/, and one that swept it would
# delete the temporary file another is about to rename.
_worker_swept: set[Path] = set()


def _set_up_worker(liquid: LiquidSite | None, swept: set[Path]) -> None:
    global _worker_liquid, _worker_swept
    _worker_liquid = liquid
    _worker_swept = swept


def _rendered_post(
    job: tuple[Post, Settings, Mapping[str, int]],
) -> tuple[Item, tuple[TimelineEvent, ...], list[Diagnostic]]:
    """Render one post in a worker process: its item, its timeline events and the
    diagnostics it gave."""
    from .render import render_post

    post, settings, site_files = job
    found = Diagnostics()
    item, events = render_post(
        post, settings, site_files=site_files, diagnostics=found, liquid=_worker_liquid
    )
    return item, events, list(found)


# A feed for a worker: its spec, the settings, the site's file sizes, the items of its
# posts rendered already (packed), and the digests the state knows of its files.
_FeedJob = tuple["FeedSpec", "Settings", Mapping[str, int], Mapping[str, bytes], Mapping[str, str]]


def _feed_in_worker(job: _FeedJob) -> tuple[PublishResult, list[Diagnostic]]:
    """Render, serialize and write one feed (in a worker process): what was written, and
    the diagnostics its posts gave.

    The job holds the items of the feed's posts that were rendered already (for the
    subscription feeds), as :func:`_packed` gives them; the other posts are rendered
    here. Its last part holds the digests the state knows of the feed's files.
    """
    from .browser import with_stylesheet
    from .generate import generate_feed
    from .publish import write_artifacts
    from .render import render_post

    spec, settings, site_files, prerendered, known_digests = job
    found = Diagnostics()
    items = {
        post.id: _unpacked(post, data)
        if (data := prerendered.get(post.id)) is not None
        else render_post(
            post, settings, site_files=site_files, diagnostics=found, liquid=_worker_liquid
        )[0]
        for post in spec.posts
    }
    artifacts = list(generate_feed(spec, items, settings))
    if settings.feeds.xslt:
        artifacts = [with_stylesheet(artifact) for artifact in artifacts]
    result = write_artifacts(
        settings.feeds.output,
        artifacts,
        known_digests=known_digests,
        swept_folders=_worker_swept,
    )
    return result, list(found)


def _without_bodies(spec: FeedSpec, rendered: Mapping[str, bytes]) -> FeedSpec:
    """``spec`` without the bodies of the posts whose items are made (in ``rendered``):
    a worker is sent only the text it renders."""
    if not any(post.id in rendered and post.source.body is not None for post in spec.posts):
        return spec
    return replace(
        spec,
        posts=tuple(item_post(post) if post.id in rendered else post for post in spec.posts),
    )


def _packed(item: Item) -> bytes:
    """``item`` without its post, pickled and compressed at zlib's fastest level: how the
    main process holds the items rendered for the subscription feeds until the jobs that
    take them. Not a cache (nothing is kept past the build): memory. At 10,000 posts
    (30 categories, 200 tags: 4,000 posts or so in subscription feeds), the build's peak
    RSS was 108-110 MiB with them packed against 130 MiB holding the items (two runs
    each, interleaved, #25): a tenth of the 200 MiB target. :func:`_unpacked` reads it
    back."""
    parts = {field.name: getattr(item, field.name) for field in dataclass_fields(item)[1:]}
    return zlib.compress(pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _unpacked(post: Post, data: bytes) -> Item:
    """The item of ``post`` from what :func:`_packed` made of it."""
    from .models import Item

    return Item(post=post, **pickle.loads(zlib.decompress(data)))


def item_post(post: Post) -> Post:
    """``post`` as an item keeps it: without its body (see
    :func:`feedkit.render.render_post`)."""
    if post.source.body is None:
        return post
    return replace(post, source=replace(post.source, body=None))


def map_ahead(
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


class OutputFiles:
    """Writes artifacts and adds up what was written and kept, here or in workers.

    Artifacts wait in memory until there are enough of them (or :meth:`result` is asked
    for), then are written together: flushing many files to disk at once costs about
    what flushing one does (see :func:`feedkit.publish.write_atomic_many`).
    """

    def __init__(self, output_dir: Path, known_digests: Mapping[str, str]) -> None:
        self._output_dir = output_dir
        self.known = known_digests
        self._results: list[PublishResult] = []
        self.swept: set[Path] = set()
        self._waiting: list[Artifact] = []
        self._waiting_bytes = 0

    def write(self, artifacts: list[Artifact]) -> None:
        """Write ``artifacts``, now or with the next ones."""
        self._waiting.extend(artifacts)
        self._waiting_bytes += sum(len(artifact.data) for artifact in artifacts)
        if len(self._waiting) >= _WAITING_FILES or self._waiting_bytes >= _WAITING_BYTES:
            self.flush()

    def add(self, result: PublishResult) -> None:
        """Count what a worker wrote."""
        self._results.append(result)

    def flush(self) -> None:
        """Write the artifacts waiting."""
        from .publish import write_artifacts

        if self._waiting:
            self._results.append(
                write_artifacts(
                    self._output_dir,
                    self._waiting,
                    known_digests=self.known,
                    swept_folders=self.swept,
                )
            )
        self._waiting, self._waiting_bytes = [], 0

    def result(self) -> PublishResult:
        """Write the artifacts still waiting; return what was written and kept."""
        from .publish import PublishResult

        self.flush()
        return PublishResult(
            written=tuple(path for r in self._results for path in r.written),
            unchanged=tuple(path for r in self._results for path in r.unchanged),
            digests={k: v for r in self._results for k, v in r.digests.items()},
            sizes={k: v for r in self._results for k, v in r.sizes.items()},
        )


# How many files, or bytes, OutputFiles lets wait before it writes them.
_WAITING_FILES = 32
_WAITING_BYTES = 4 << 20


# Makes the site's extras (feeds.html, ...) from a function that gives a post's item
# and the timeline events of the site feed's posts, by id.
MakeExtras = Callable[
    [Callable[["Post"], "Item"], Mapping[str, "tuple[TimelineEvent, ...]"]], "list[Artifact]"
]


def write_feeds(
    fresh_specs: Sequence[FeedSpec],
    *,
    site_ids: Iterable[str],
    extra_posts: Sequence[Post],
    settings: Settings,
    site_files: Mapping[str, int],
    liquid: LiquidSite | None,
    empty_since: Mapping[str, str],
    files: OutputFiles,
    make_extras: MakeExtras | None,
    diagnostics: Diagnostics,
    progress: Callable[[str, int, int], None] | None,
) -> int:
    """Render, serialize and write the feeds ``fresh_specs`` into ``files``, on every
    core when there are enough of them, and the site's extras that ``make_extras`` makes
    (from the items of ``extra_posts``, the site feed's posts, and their timelines) when
    given; return how many posts were rendered.

    Subscription feeds share their newest posts, so their items are kept for each other;
    an archive page's posts are in no other page, so they are rendered, written and let
    go one page at a time, which bounds memory on a large first build.
    """
    from .browser import with_stylesheet
    from .generate import generate_feed
    from .render import render_post

    site_ids = set(site_ids)
    timelines: dict[str, tuple[TimelineEvent, ...]] = {}
    rendered: set[str] = set()
    items: dict[str, Item] = {}
    waiting: dict[str, bytes] = {}  # the items rendered in workers, packed
    written_feeds = 0

    def render(post: Post) -> Item:
        item, events = render_post(
            post, settings, site_files=site_files, diagnostics=diagnostics, liquid=liquid
        )
        rendered.add(post.id)
        if post.id in site_ids:
            timelines[post.id] = events
        return item

    def made_item(post: Post) -> Item:
        """``post``'s item, rendered in a worker (and waiting) or rendered here."""
        data = waiting.get(post.id)
        return render(post) if data is None else _unpacked(post, data)

    def item_of(post: Post) -> Item:
        """``post``'s item, kept for the other subscription feeds that hold it."""
        item = items.get(post.id)
        if item is None:
            item = items[post.id] = made_item(post)
        return item

    def counted() -> None:
        nonlocal written_feeds
        written_feeds += 1
        if progress is not None:
            progress("write", written_feeds, len(fresh_specs))

    def write(batch: list[Artifact]) -> None:
        if settings.feeds.xslt:
            # Browsers that still apply XSLT show RSS and Atom as a page; readers ignore it.
            batch = [with_stylesheet(artifact) for artifact in batch]
        counted()
        files.write(batch)

    workers = worker_count()
    subscription_specs = [spec for spec in fresh_specs if spec.archive_page is None]
    archive_specs = [spec for spec in fresh_specs if spec.archive_page is not None]
    subscription_posts = {post.id: post for spec in subscription_specs for post in spec.posts}
    subscription_posts.update({post.id: post for post in extra_posts})

    parallel_posts = workers > 1 and len(subscription_posts) >= PARALLEL_POSTS
    parallel_pages = workers > 1 and len(archive_specs) >= PARALLEL_PAGES
    # Serialized in workers only from posts rendered there: they are all in ``waiting``.
    parallel_feeds = parallel_posts and len(subscription_specs) >= PARALLEL_FEEDS
    swept: set[Path] = set()
    if parallel_pages or parallel_feeds:
        from .generate import feed_path
        from .publish import remove_stale_temporaries, safe_output_path

        if parallel_pages:
            # The folders of every archive page (archive/, archive/rss/): the first page
            # is written here before any other is sent, which sweeps them of what a
            # killed run left; the workers that write the others beside each other
            # must not.
            swept = {
                safe_output_path(settings.feeds.output, feed_path(archive_specs[0], fmt)).parent
                for fmt in settings.feeds.formats
            }
        if parallel_feeds:
            # The subscription feeds' folders are swept here, before any worker writes in
            # them: two feeds may share one (the output folder holds the site feed and
            # more), and a worker that swept it would delete another's temporary file.
            remove_stale_temporaries(
                settings.feeds.output,
                (
                    feed_path(spec, fmt)
                    for spec in subscription_specs
                    for fmt in settings.feeds.formats
                ),
                files.swept,
            )
            swept |= files.swept
    with ExitStack() as stack:
        pool = None
        if parallel_posts or parallel_pages:
            pool = stack.enter_context(
                process_pool(workers, initializer=_set_up_worker, initargs=(liquid, swept))
            )
        if pool is not None and parallel_posts:
            posts_list = list(subscription_posts.values())
            jobs = ((post, settings, site_files) for post in posts_list)
            for post, (item, events, found) in zip(
                posts_list, pool.map(_rendered_post, jobs, chunksize=32), strict=True
            ):
                for diagnostic in found:
                    diagnostics.add(diagnostic)
                waiting[post.id] = _packed(item)
                rendered.add(post.id)
                if post.id in site_ids:
                    timelines[post.id] = events
        if pool is not None and (parallel_pages or parallel_feeds):
            # A first build renders every post for its archive pages: spread them over the
            # cores. Each page is rendered (but for the posts rendered for the subscription
            # feeds already), serialized and written in a worker, which sends back only
            # what the state records of its files. The subscription feeds follow, written
            # in the workers too once every page they link to is written.
            from .generate import feed_path

            if parallel_pages:
                page = archive_specs.pop(0)
                write(list(generate_feed(page, {p.id: made_item(p) for p in page.posts}, settings)))
                files.flush()

            def feed_jobs(specs: Sequence[FeedSpec]) -> Iterator[_FeedJob]:
                for spec in specs:
                    yield (
                        _without_bodies(spec, waiting),
                        settings,
                        site_files,
                        {post.id: waiting[post.id] for post in spec.posts if post.id in waiting},
                        {
                            path: files.known[path]
                            for fmt in settings.feeds.formats
                            if (path := feed_path(spec, fmt)) in files.known
                        },
                    )

            for sent in (
                archive_specs if parallel_pages else [],
                # A feed with no posts is written here, with its date.
                [spec for spec in subscription_specs if parallel_feeds and spec.posts],
            ):
                # map_ahead yields each result in order, the last page's before any
                # subscription feed is sent: no feed links to a page not yet written.
                results = map_ahead(pool, _feed_in_worker, feed_jobs(sent), ahead=4 * workers)
                for spec, (result, found) in zip(sent, results, strict=True):
                    for diagnostic in found:
                        diagnostics.add(diagnostic)
                    # The main process's own ids: the worker's copies would stay, 10,000
                    # strings at 10,000 posts.
                    rendered.update(post.id for post in spec.posts)
                    counted()
                    files.add(result)
    for spec in subscription_specs:
        if parallel_feeds and spec.posts:
            continue  # written by a worker
        items_of_spec = {post.id: item_of(post) for post in spec.posts}
        empty_at = datetime.fromisoformat(empty_since[spec.key]) if not spec.posts else None
        write(list(generate_feed(spec, items_of_spec, settings, empty_updated_at=empty_at)))
    if make_extras is not None:
        files.write(make_extras(item_of, timelines))
    if not parallel_pages:  # one core, or too few pages to start processes for
        for spec in archive_specs:
            page_items = {post.id: items.get(post.id) or made_item(post) for post in spec.posts}
            write(list(generate_feed(spec, page_items, settings)))
    return len(rendered)
