"""Deciding which post in the ledger each source is, so ids never change.

Readers show a post twice when its id changes: after an edit, a rename or a permalink
change. This module decides, without touching the database, which ledger entry each
source continues, and how the ledger changes after a build. It returns intents; the
pipeline has :mod:`feedkit.state` apply them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from .diagnostics import Diagnostics
from .models import LedgerEntry, Post, Source

__all__ = ["LedgerUpdate", "drop_duplicate_urls", "match_sources", "update_ledger"]


def match_sources(
    sources: Sequence[Source],
    ledger: Iterable[LedgerEntry],
    *,
    former_paths: Mapping[str, Sequence[str]],
    current_paths: Collection[str] | None = None,
) -> dict[str, LedgerEntry]:
    """Return, for each source path that continues a known post, that post's entry.

    Tried in order, each entry matched at most once: the front matter's ``id`` (else its
    ``guid``); the same
    path (live entries first, then deleted ones, so a re-added file keeps its identity);
    a path git says the file had before a rename; the same content hash, for an entry
    whose file is gone (a rename outside git, or a permalink change with a move).
    ``current_paths`` names every file of the site when ``sources`` are only some of them.
    """
    entries = list(ledger)
    by_id = {entry.id: entry for entry in entries}
    by_path: dict[str, LedgerEntry] = {}
    for entry in sorted(entries, key=lambda e: (e.deleted_at is None, e.first_seen_at)):
        by_path[entry.path] = entry  # a live entry wins over deleted ones with the path
    if current_paths is None:
        current_paths = {source.path for source in sources}
    matched: dict[str, LedgerEntry] = {}
    taken: set[str] = set()

    def claim(source: Source, entry: LedgerEntry | None) -> bool:
        if entry is None or entry.id in taken or source.path in matched:
            return False
        matched[source.path] = entry
        taken.add(entry.id)
        return True

    for source in sources:
        declared = next(
            (
                value
                for value in (source.metadata.get("id"), source.metadata.get("guid"))
                if isinstance(value, str) and value.strip()
            ),
            None,
        )
        if declared is not None:
            claim(source, by_id.get(declared))
    for source in sources:
        claim(source, by_path.get(source.path))
    for source in sources:
        for former in former_paths.get(source.path, ()):
            if former not in current_paths and claim(source, by_path.get(former)):
                break
    orphans: dict[str, list[LedgerEntry]] = {}
    for entry in sorted(entries, key=lambda e: e.first_seen_at):
        if entry.id not in taken and entry.path not in current_paths:
            orphans.setdefault(entry.content_hash, []).append(entry)
    for source in sources:
        if source.path in matched:
            continue
        for entry in orphans.get(source.content_hash, []):
            if claim(source, entry):
                break
    return matched


@dataclass(frozen=True)
class LedgerUpdate:
    """The ledger entries a build changes: new, edited, moved, revived or deleted."""

    changed: tuple[LedgerEntry, ...]


def update_ledger(
    published: Sequence[Post],
    ledger: Iterable[LedgerEntry],
    *,
    now: datetime,
    next_seq: int | None = None,
) -> LedgerUpdate:
    """Return the ledger entries that change once ``published`` are the live posts.

    Each post's id must already be its ledger id where it has one. A post seen for the
    first time gets an entry first seen ``now`` and the next publication number (in
    date order within one run); one whose content hash changed gets ``changed_at = now``;
    an entry with no live post left is marked deleted at ``now``. ``next_seq`` is the next
    publication number when ``ledger`` is only part of the ledger.
    """
    entries = {entry.id: entry for entry in ledger}
    if next_seq is None:
        next_seq = max((entry.seq for entry in entries.values()), default=-1) + 1
    changed: list[LedgerEntry] = []
    live_ids = set()
    for post in sorted(published, key=lambda p: (p.published_at, p.id)):
        live_ids.add(post.id)
        source = post.source
        entry = entries.get(post.id)
        if entry is None:
            changed.append(
                LedgerEntry(post.id, source.path, source.content_hash, now, seq=next_seq)
            )
            next_seq += 1
            continue
        if (
            entry.path == source.path
            and entry.content_hash == source.content_hash
            and entry.deleted_at is None
        ):
            continue  # most posts, on most runs: checked without making a new entry
        updated = replace(entry, path=source.path, deleted_at=None)
        if entry.content_hash != source.content_hash:
            updated = replace(updated, content_hash=source.content_hash, changed_at=now)
        changed.append(updated)
    for entry in entries.values():
        if entry.id not in live_ids and entry.deleted_at is None:
            changed.append(replace(entry, deleted_at=now))
    return LedgerUpdate(tuple(changed))


def drop_duplicate_urls(
    posts: Iterable[Post], diagnostics: Diagnostics, *, drafts_left_out: bool = False
) -> list[Post]:
    """``posts`` without those whose permalink or id an earlier one has (reported as
    errors): two entries with one id, or two posts at one URL, cannot both be published.

    With ``drafts_left_out``, a draft claims no URL: it is not published, so a live post
    at its URL is (as Hugo and Jekyll publish it), whichever file comes first.
    """
    kept: dict[str, Post] = {}
    ids: dict[str, Post] = {}
    left_out: list[Post] = []
    for post in posts:
        if drafts_left_out and post.is_draft:
            left_out.append(post)
            continue
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
    return [*kept.values(), *left_out]
