"""The build, from content folder to published feeds, as one top-to-bottom function."""

from __future__ import annotations

import time as _time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .collect import collect_sources, is_draft, to_post
from ._git import read_git_history
from .dates import DateFacts, resolve_dates
from .diagnostics import Diagnostics, Level
from .errors import FeedkitError
from .generate import generate_feed, plan_feeds
from .models import Artifact, Item, Post
from .publish import write_artifacts
from .render import render_item
from .settings import Settings

__all__ = ["BuildResult", "ScheduledPost", "build"]


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

    def as_dict(self) -> dict[str, object]:
        """Return the result as a JSON-ready mapping."""
        upcoming = self.next_scheduled
        return {
            "posts_read": self.posts_read,
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
            "diagnostics": [d.as_dict() for d in self.diagnostics],
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


def _site_files(content_dir: Path, items_paths: Iterable[str]) -> dict[str, int]:
    """Sizes of files the site holds at the given URL paths (for enclosure lengths)."""
    from urllib.parse import unquote

    sizes: dict[str, int] = {}
    root = content_dir.resolve()
    for url_path in items_paths:
        candidate = (root / unquote(url_path).lstrip("/")).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            sizes[url_path] = candidate.stat().st_size
    return sizes


def build(
    settings: Settings,
    *,
    now: datetime,
    strict: bool = False,
    diagnostics: Diagnostics | None = None,
) -> BuildResult:
    """Publish the feeds of the site described by ``settings`` into its output folder.

    ``now`` is the build's clock: posts dated after it are scheduled, not published.
    Bad posts are reported to ``diagnostics`` and skipped. With ``strict``, any warning
    stops the build before anything is written.

    Raises :class:`FeedkitError` when the content folder is missing, when ``strict``
    finds a warning, or when an output file cannot be written.
    """
    started = _time.perf_counter()
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    content_dir = settings.content.dir
    if not content_dir.is_dir():
        raise FeedkitError("content folder not found", path=content_dir)
    tz = settings.site.zone

    sources = collect_sources(settings, diagnostics)
    history = read_git_history(content_dir, diagnostics) if "git" in settings.dates.sources else {}
    posts: list[Post] = []
    for source in sources:
        git_dates = history.get(source.path)
        facts = DateFacts(
            mtime_at=datetime.fromtimestamp(source.mtime_ns / 1e9, tz),
            git_created_at=git_dates.created_at if git_dates else None,
            git_modified_at=git_dates.modified_at if git_dates else None,
        )
        dates = resolve_dates(
            source,
            facts,
            sources=settings.dates.sources,
            tz=tz,
            now=now,
            diagnostics=diagnostics,
        )
        post = to_post(source, dates, settings, diagnostics)
        if post is not None:
            posts.append(post)
    posts = _drop_duplicate_urls(posts, diagnostics)

    published: list[Post] = []
    drafts = 0
    scheduled: list[Post] = []
    for post in posts:
        if is_draft(post.source) and not settings.content.drafts:
            drafts += 1
            diagnostics.info("draft", "draft; left out (use --drafts)", path=post.source.path)
        elif post.published_at > now and not settings.content.future:
            scheduled.append(post)
        else:
            published.append(post)
    next_post = min(scheduled, key=lambda p: (p.published_at, p.id), default=None)

    if strict and diagnostics.at_least(Level.WARNING):
        count = len(diagnostics.at_least(Level.WARNING))
        raise FeedkitError(f"--strict: {count} problem(s) found; nothing was written")

    specs = plan_feeds(published, settings)
    needed = {post.id: post for spec in specs for post in spec.posts}
    image_paths = [
        post.image for post in needed.values() if post.image and post.image.startswith("/")
    ]
    site_files = _site_files(content_dir, image_paths)
    items: dict[str, Item] = {
        post_id: render_item(post, sanitize=settings.feeds.sanitize, site_files=site_files)
        for post_id, post in needed.items()
    }
    artifacts: list[Artifact] = []
    for spec in specs:
        artifacts.extend(generate_feed(spec, items, settings))
    result = write_artifacts(settings.feeds.output, artifacts)

    skipped = {d.path for d in diagnostics.at_least(Level.ERROR) if d.path is not None}
    return BuildResult(
        posts_read=len(sources),
        posts_skipped=len(skipped),
        posts_published=len(published),
        drafts=drafts,
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
