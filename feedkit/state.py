"""The state database: what feedkit remembers between runs, in one SQLite file.

Only this module touches SQLite. The database (WAL mode, ``PRAGMA user_version`` for the
schema, numbered migrations) holds these tables:

- ``posts``: the ledger of every post ever published: its stable id, current path,
  content hash, when feedkit first saw it, when a change to it was last detected, when
  it was deleted, and its publication number (``seq``, which fixes its archive page).
  Ids survive edits, renames and permalink changes.
- ``sources``: the parse cache: each source's size, mtime and hash with its parsed front
  matter, so an unchanged file is not parsed again.
- ``resolved``: each post as the last build resolved it (dates, URL, id), with the key
  of its inputs, so an unchanged post is not resolved again.
- ``planned``: what planning the feeds needs of every post, in shards, with the key of
  the settings they are valid for, so a build that re-reads few files need not make
  every post.
- ``plan``: the feeds as the last build planned them: a row for each feed, its posts
  (with the digest of its signature and their files), and under the key ``""`` the rest
  of the plan, valid for the planned posts it was stored with (see
  :mod:`feedkit._replan`). Storing planned posts forgets that row: the build that does
  stores it again once its feeds are written.
- ``outputs``: the digest and size of every file written, so unchanged feeds are not
  rewritten and a build with nothing to do can check its files are there.
- ``pings``: the WebSub ping queue.
- ``reported``: the problems the last build reported, each with the digest of the file
  it was found in, so that an unchanged problem is not news at the next run.
- ``meta``: facts about the last build, by key: ``code`` (the digest of the feedkit that
  wrote the caches), ``fingerprint`` (its inputs' digest), ``built_at_ns`` (when its scan
  began), ``next_due`` (when its next scheduled post falls due), ``next_expiry`` (when
  a page it published may expire, on a Hugo site), ``summary`` (its result,
  reported again when it is reused), ``feed_signatures`` (each feed's signature),
  ``subscription_feeds`` (every category and tag feed published) and ``empty_since``
  (since when each feed with no posts has had none).

The records of ``sources``, ``resolved``, ``planned`` and ``plan`` are encoded by
:mod:`feedkit._records`, the one home of what is cached and how.

A run that writes holds an exclusive lock on the database (:func:`lock_state`) for its
whole length. A build first checks, without the lock and on a read-only connection
(:meth:`State.read_only`), whether there is anything to do.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LockTimeout, StateError

# The models are imported by the methods that return them: a build with nothing to do
# opens the database but never reads a post.
if TYPE_CHECKING:
    from .models import CachedSource, LedgerEntry, QueuedPing

__all__ = ["SCHEMA_VERSION", "State", "lock_state"]

SCHEMA_VERSION = 10

# Each entry migrates the schema from version N-1 to N; never edit one that has shipped.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE posts (
            id TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            changed_at TEXT,
            deleted_at TEXT
        )""",
        "CREATE UNIQUE INDEX posts_by_path ON posts (path) WHERE deleted_at IS NULL",
        "CREATE INDEX posts_by_hash ON posts (content_hash)",
        """CREATE TABLE sources (
            path TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            record TEXT NOT NULL
        )""",
        """CREATE TABLE outputs (
            path TEXT PRIMARY KEY,
            digest TEXT NOT NULL
        )""",
        """CREATE TABLE pings (
            feed_url TEXT NOT NULL,
            hub TEXT NOT NULL,
            queued_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            PRIMARY KEY (feed_url, hub)
        )""",
    ),
    # Publication numbers fix each post's RFC 5005 archive page.
    2: (
        "ALTER TABLE posts ADD COLUMN seq INTEGER NOT NULL DEFAULT 0",
        """UPDATE posts SET seq = (
            SELECT COUNT(*) FROM posts AS earlier
            WHERE earlier.first_seen_at < posts.first_seen_at
               OR (earlier.first_seen_at = posts.first_seen_at AND earlier.id < posts.id)
        )""",
    ),
    # A ping a hub refused stays listed (status 'failed') until its feed changes again.
    3: (
        "ALTER TABLE pings ADD COLUMN status TEXT NOT NULL DEFAULT 'queued'",
        "ALTER TABLE pings ADD COLUMN last_attempt_at TEXT",
    ),
    # The record of the last build, so a run with nothing to do can stop early.
    4: (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "ALTER TABLE outputs ADD COLUMN size INTEGER NOT NULL DEFAULT -1",
    ),
    # Each post as the last build resolved it, valid while its inputs are the same.
    5: ("CREATE TABLE resolved (path TEXT PRIMARY KEY, key TEXT NOT NULL, record TEXT NOT NULL)",),
    # Cached records are pickles now (see dump_record), no longer JSON: start them afresh.
    6: ("DELETE FROM sources", "DELETE FROM resolved"),
    # What planning the feeds needs of each post, for builds that re-read few files.
    7: (
        "CREATE TABLE planned (shard INTEGER PRIMARY KEY, valid_for TEXT NOT NULL, "
        "record BLOB NOT NULL)",
    ),
    # Deleted posts by path: matching a few changed files reads only their tombstones.
    8: ("CREATE INDEX posts_deleted_by_path ON posts (path) WHERE deleted_at IS NOT NULL",),
    # The problems a build reported, with the file each was found in as it was then: a
    # problem reported before in an unchanged file does not fail a cron run again.
    9: (
        "CREATE TABLE reported (path TEXT NOT NULL, file_hash TEXT NOT NULL, "
        "problem TEXT NOT NULL, PRIMARY KEY (path, problem))",
    ),
    # The feeds as the last build planned them, for a build that changes few posts.
    10: ("CREATE TABLE plan (key TEXT PRIMARY KEY, digest TEXT NOT NULL, record BLOB NOT NULL)",),
}


def _ledger_entry(row: tuple[Any, ...]) -> LedgerEntry:
    from .models import LedgerEntry

    return LedgerEntry(
        id=row[0],
        path=row[1],
        content_hash=row[2],
        first_seen_at=datetime.fromisoformat(row[3]),
        changed_at=_instant(row[4]),
        deleted_at=_instant(row[5]),
        seq=row[6],
    )


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@contextmanager
def lock_state(path: Path, *, wait: float = 0.0) -> Iterator[bool]:
    """Hold the exclusive lock of the state database at ``path`` for the block; the block
    is given whether another run held it first (and this one waited for it).

    Waits up to ``wait`` seconds for another run to finish, then raises
    :class:`LockTimeout`. The lock is an OS file lock (flock), which the kernel releases
    when its process dies, so a killed run never blocks the next one.
    """
    from filelock import FileLock, Timeout

    lock_path = path.with_name(path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateError(
            f"cannot create the state folder: {exc.strerror}", path=lock_path.parent
        ) from exc
    lock = FileLock(str(lock_path))
    waited = False
    try:
        try:
            lock.acquire(blocking=False)
        except Timeout:
            waited = True
            lock.acquire(timeout=wait)
    except Timeout as exc:
        raise LockTimeout(
            f"another feedkit run holds the lock (waited {wait:g} s; use --wait to wait longer)",
            path=lock_path,
        ) from exc
    try:
        yield waited
    finally:
        lock.release()


class State:
    """An open state database. Use as a context manager, or call :meth:`close`.

    Raises :class:`StateError` when the file cannot be opened, is not a feedkit state
    database, or was written by a newer feedkit.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.Error as exc:
            raise StateError(f"cannot open the state database: {exc}", path=path) from exc
        except OSError as exc:
            raise StateError(f"cannot open the state database: {exc.strerror}", path=path) from exc

    @classmethod
    def read_only(cls, path: Path) -> State:
        """Open the database at ``path`` for reading only, without creating or migrating
        it. Raises :class:`StateError` when there is none, or its schema is not this
        feedkit's."""
        state = cls.__new__(cls)
        state.path = path
        try:
            # A short timeout: a reader that would wait can as well take the lock instead.
            state._db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=1
            )
        except sqlite3.Error as exc:
            raise StateError(f"cannot open the state database: {exc}", path=path) from exc
        try:
            version = state._db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            state.close()
            raise StateError(f"cannot open the state database: {exc}", path=path) from exc
        if version != SCHEMA_VERSION:
            state.close()
            raise StateError(
                f"the state database has schema version {version}, not {SCHEMA_VERSION}",
                path=path,
            )
        return state

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StateError(
                f"the state database has schema version {version}, newer than this feedkit "
                f"understands ({SCHEMA_VERSION}); upgrade feedkit",
                path=self.path,
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in _MIGRATIONS[target]:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {target}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in one transaction: all of its writes land, or none does."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StateError(f"cannot start a transaction: {exc}", path=self.path) from exc
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StateError(f"cannot commit: {exc}", path=self.path) from exc

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Read in one transaction: the block sees the database as one build left it.

        Raises :class:`StateError` when SQLite fails in the block.
        """
        try:
            self._db.execute("BEGIN")
        except sqlite3.Error as exc:
            raise StateError(f"cannot start a transaction: {exc}", path=self.path) from exc
        try:
            yield
        except sqlite3.Error as exc:
            raise StateError(f"cannot read the state database: {exc}", path=self.path) from exc
        finally:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    # --- the ledger -------------------------------------------------------------

    def ledger(self) -> list[LedgerEntry]:
        """Return every post the database knows, live or deleted, in the table's order."""
        rows = self._db.execute(
            "SELECT id, path, content_hash, first_seen_at, changed_at, deleted_at, seq "
            "FROM posts ORDER BY rowid"
        )
        return [_ledger_entry(row) for row in rows]

    def save_ledger(self, entries: Iterable[LedgerEntry]) -> None:
        """Insert or replace ledger entries (call inside :meth:`transaction`).

        Deleted entries are written first, so that a path they free can be taken by a
        live entry of the same batch.
        """
        entries = sorted(entries, key=lambda entry: entry.deleted_at is None)
        self._db.executemany(
            "INSERT OR REPLACE INTO posts "
            "(id, path, content_hash, first_seen_at, changed_at, deleted_at, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    entry.id,
                    entry.path,
                    entry.content_hash,
                    entry.first_seen_at.isoformat(),
                    entry.changed_at.isoformat() if entry.changed_at else None,
                    entry.deleted_at.isoformat() if entry.deleted_at else None,
                    entry.seq,
                )
                for entry in entries
            ],
        )

    # --- the parse cache --------------------------------------------------------

    def cached_sources(self, paths: Collection[str] | None = None) -> dict[str, CachedSource]:
        """Return the parse cache (of ``paths`` only, if given), keyed by source path (a
        record that cannot be read is left out: its file is parsed again). Each front
        matter is a :class:`~feedkit._records.StoredMetadata`, decoded when first used."""
        from ._records import cached_source

        query = "SELECT path, size, mtime_ns, content_hash, record FROM sources"
        result = {}
        for row in self._select(query, "path", paths):
            source = cached_source(*row)
            if source is not None:
                result[source.path] = source
        return result

    def save_sources(self, sources: Iterable[CachedSource], *, removed: Iterable[str]) -> None:
        """Store parsed records and forget removed paths (call inside a transaction).

        ``sources`` is consumed as the rows are written: a first build of a large site
        stores a record for every post, and need not hold them all at once.
        """
        from ._records import source_record

        self._db.executemany("DELETE FROM sources WHERE path = ?", [(p,) for p in removed])
        rows = (
            (source.path, source.size, source.mtime_ns, source.content_hash, source_record(source))
            for source in sources
        )
        self._db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?)", rows)

    # --- the WebSub ping queue -------------------------------------------------

    def queue_pings(self, feed_urls: Iterable[str], hubs: Iterable[str], *, now: datetime) -> None:
        """Queue a ping of every hub for every feed; a feed already queued for a hub is
        queued once (its ping tells the hub to fetch the latest version anyway)."""
        rows = [(url, hub, now.isoformat()) for url in feed_urls for hub in hubs]
        with self.transaction():
            self._db.executemany(
                "INSERT INTO pings (feed_url, hub, queued_at) VALUES (?, ?, ?) "
                "ON CONFLICT (feed_url, hub) DO UPDATE SET status = 'queued', "
                "queued_at = CASE WHEN pings.status = 'queued' THEN pings.queued_at "
                "ELSE excluded.queued_at END",
                rows,
            )

    def pings(self, *, status: str | None = None) -> list[QueuedPing]:
        """Return the ping queue (oldest first), or only the pings with ``status``."""
        from .models import QueuedPing

        query = (
            "SELECT feed_url, hub, queued_at, attempts, last_error, status, last_attempt_at "
            "FROM pings"
        )
        arguments: tuple[str, ...] = ()
        if status is not None:
            query += " WHERE status = ?"
            arguments = (status,)
        rows = self._db.execute(query + " ORDER BY queued_at, feed_url, hub", arguments)
        return [
            QueuedPing(
                row[0],
                row[1],
                datetime.fromisoformat(row[2]),
                row[3],
                row[4],
                row[5],
                _instant(row[6]),
            )
            for row in rows
        ]

    def drop_pings(self, pings: Iterable[tuple[str, str]]) -> None:
        """Remove the pings ``(feed_url, hub)`` from the queue, whatever their status."""
        with self.transaction():
            self._db.executemany("DELETE FROM pings WHERE feed_url = ? AND hub = ?", list(pings))

    def record_pings(
        self, outcomes: Iterable[tuple[str, str, str, int, str | None]], *, now: datetime
    ) -> None:
        """Record ping outcomes ``(feed_url, hub, outcome, attempts, error)``: a delivered
        ping leaves the queue; others keep their place with the attempt count and error."""
        outcomes = list(outcomes)
        with self.transaction():
            for feed_url, hub, outcome, attempts, error in outcomes:
                if outcome == "delivered":
                    self._db.execute(
                        "DELETE FROM pings WHERE feed_url = ? AND hub = ?", (feed_url, hub)
                    )
                    continue
                self._db.execute(
                    "UPDATE pings SET attempts = attempts + ?, last_error = ?, status = ?, "
                    "last_attempt_at = ? WHERE feed_url = ? AND hub = ?",
                    (attempts, error, outcome, now.isoformat(), feed_url, hub),
                )

    # --- written outputs --------------------------------------------------------

    def output_digests(self) -> dict[str, str]:
        """Return the digest of every file written, keyed by its path in the output."""
        return dict(self._db.execute("SELECT path, digest FROM outputs"))

    def output_sizes(self) -> dict[str, int]:
        """Return the size of every file the last build wrote or kept, by output path."""
        return dict(self._db.execute("SELECT path, size FROM outputs"))

    def save_outputs(self, digests: Mapping[str, str], sizes: Mapping[str, int]) -> None:
        """Record the files of this build (and only those) with their digests and sizes.

        Only the rows that changed are written: a build that rewrites a few files of
        thousands then adds a few pages to the write-ahead log, not the whole table,
        which closing the database copied back (#25)."""
        with self.transaction():
            stored = {
                path: (digest, size)
                for path, digest, size in self._db.execute("SELECT path, digest, size FROM outputs")
            }
            self._db.executemany(
                "DELETE FROM outputs WHERE path = ?",
                [(path,) for path in stored if path not in digests],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO outputs (path, digest, size) VALUES (?, ?, ?)",
                [
                    (path, value, sizes[path])
                    for path, value in digests.items()
                    if stored.get(path) != (value, sizes[path])
                ],
            )

    # --- resolved posts ------------------------------------------------------------

    def resolved_keys(self, paths: Collection[str] | None = None) -> dict[str, str]:
        """Return, by source path, the key of each resolved post's record (of ``paths``
        only, if given)."""
        return dict(self._select("SELECT path, key FROM resolved", "path", paths))

    def resolved_records(self, paths: Collection[str] | None = None) -> Iterator[tuple[str, bytes]]:
        """Yield the ``(path, record)`` row of every resolved post (of ``paths`` only, if
        given), one at a time."""
        yield from self._select("SELECT path, record FROM resolved", "path", paths)

    def save_resolved_posts(
        self, records: Iterable[tuple[str, str, bytes]], *, removed: Collection[str]
    ) -> None:
        """Store ``(path, key, record)`` rows, and forget the posts at the ``removed``
        paths, those :meth:`save_sources` forgets (call inside a transaction).
        ``records`` is consumed as the rows are written.

        Forgetting by path is found by the primary key: looking for records whose file
        left the parse cache would read the whole table (0.085 s at 100,000 posts with
        the database in the page cache, more from disk) on every build."""
        self._db.executemany("DELETE FROM resolved WHERE path = ?", [(p,) for p in removed])
        self._db.executemany("INSERT OR REPLACE INTO resolved VALUES (?, ?, ?)", records)

    # --- planned posts -------------------------------------------------------------

    def planned(self) -> list[tuple[int, str, bytes]]:
        """Return the stored planned posts as ``(shard, valid_for, record)`` rows: each
        record holds the posts of one shard of the site (see
        :func:`feedkit._records.planned_record`), valid for the key ``valid_for``."""
        return list(self._db.execute("SELECT shard, valid_for, record FROM planned"))

    def save_planned(
        self, records: Iterable[tuple[int, bytes]], *, valid_for: str, replace_all: bool = False
    ) -> None:
        """Store the planned posts of the given ``(shard, record)`` pairs (call inside a
        transaction), consuming them one at a time; with ``replace_all``, forget every
        other shard. Storing no shard at all with ``replace_all`` makes the next build
        read every post."""
        if replace_all:
            self._db.execute("DELETE FROM planned")
        self._db.executemany(
            "INSERT OR REPLACE INTO planned VALUES (?, ?, ?)",
            ((shard, valid_for, record) for shard, record in records),
        )

    def planned_shards(self, shards: Collection[int]) -> list[tuple[int, str, bytes]]:
        """The ``(shard, valid_for, record)`` rows of the given ``shards`` only."""
        return list(self._select("SELECT shard, valid_for, record FROM planned", "shard", shards))

    # --- the plan of the feeds -----------------------------------------------------

    def plan(self) -> tuple[str, bytes] | None:
        """The stored plan of the feeds, without each feed's posts, as ``(valid_for,
        record)`` (see :func:`feedkit._records.plan_record`); None when there is none."""
        row = self._db.execute("SELECT digest, record FROM plan WHERE key = ''").fetchone()
        return None if row is None else (row[0], row[1])

    def plan_digests(self) -> dict[str, str]:
        """Each stored feed's digest (of its signature and its posts' files), by key."""
        return dict(self._db.execute("SELECT key, digest FROM plan WHERE key != ''"))

    def plan_members(self, keys: Collection[str]) -> dict[str, tuple[str, bytes]]:
        """The stored posts of the feeds ``keys``, as ``(digest, record)`` by key."""
        rows = self._select("SELECT key, digest, record FROM plan", "key", keys)
        return {key: (digest, record) for key, digest, record in rows if key}

    def save_plan_members(
        self, rows: Iterable[tuple[str, str, bytes]], *, removed: Collection[str] = ()
    ) -> None:
        """Store each feed's posts as ``(key, digest, record)`` rows, and forget the feeds
        ``removed``."""
        with self.transaction():
            self._db.executemany("DELETE FROM plan WHERE key = ?", [(key,) for key in removed])
            self._db.executemany("INSERT OR REPLACE INTO plan VALUES (?, ?, ?)", rows)

    def ledger_subset(
        self, *, paths: Collection[str], ids: Collection[str], hashes: Collection[str] = ()
    ) -> list[LedgerEntry]:
        """Return the ledger entries at ``paths`` (live or deleted), those with ``ids``, and
        the deleted ones whose content hash is one of ``hashes``: all that matching a few
        changed files to known posts needs (see :func:`feedkit.identity.match_sources`).

        Each part is found by an index, so the cost does not grow with the ledger, nor
        with the posts deleted over the years. Entries come in the table's order, as
        :meth:`ledger` gives them, so that ties in matching are broken the same way.
        """
        columns = "rowid, id, path, content_hash, first_seen_at, changed_at, deleted_at, seq"
        among = "IN (SELECT value FROM json_each(?))"
        query = (
            f"SELECT {columns} FROM posts WHERE deleted_at IS NULL AND path {among} "
            f"UNION SELECT {columns} FROM posts WHERE deleted_at IS NOT NULL AND path {among} "
            f"UNION SELECT {columns} FROM posts WHERE id {among} "
            f"UNION SELECT {columns} FROM posts "
            f"WHERE deleted_at IS NOT NULL AND content_hash {among} "
            "ORDER BY 1"
        )
        path_list = json.dumps(list(paths))
        rows = self._db.execute(
            query, (path_list, path_list, json.dumps(list(ids)), json.dumps(list(hashes)))
        )
        return [_ledger_entry(row[1:]) for row in rows]

    def max_seq(self) -> int:
        """Return the highest publication number given out so far (-1 for none)."""
        value = self._db.execute("SELECT MAX(seq) FROM posts").fetchone()[0]
        return -1 if value is None else int(value)

    def _select(
        self, query: str, column: str, values: Collection[Any] | None
    ) -> Iterable[tuple[Any, ...]]:
        """Run ``query``, limited to rows whose ``column`` is one of ``values`` if given."""
        if values is None:
            return self._db.execute(query)
        limited = f"{query} WHERE {column} IN (SELECT value FROM json_each(?))"
        return self._db.execute(limited, (json.dumps(list(values)),))

    def forget_caches(self) -> None:
        """Empty what other code worked out and this code must not take as its own: the
        parse cache, the resolved and the planned posts, and the plan of the feeds. The
        ledger (ids, dates), the outputs, the ping queue and the problems reported stay."""
        with self.transaction():
            for table in ("sources", "resolved", "planned", "plan"):
                self._db.execute(f"DELETE FROM {table}")

    # --- problems reported -------------------------------------------------------

    def reported_problems(self) -> set[tuple[str, str, str]]:
        """Return the problems reported by the last build that wrote the state, as
        ``(path, file_hash, problem)`` (see :meth:`save_reported_problems`)."""
        return set(self._db.execute("SELECT path, file_hash, problem FROM reported"))

    def save_reported_problems(self, problems: Iterable[tuple[str, str, str]]) -> None:
        """Replace the reported problems with ``problems``, ``(path, file_hash, problem)``:
        the path a problem was found in ("" for none), the digest of that file's bytes
        then, and a digest of the problem itself. A problem no longer found is forgotten,
        so that it is news again if it comes back."""
        with self.transaction():
            self._db.execute("DELETE FROM reported")
            self._db.executemany(
                "INSERT OR REPLACE INTO reported (path, file_hash, problem) VALUES (?, ?, ?)",
                list(problems),
            )

    # --- the record of the last build --------------------------------------------

    def meta(self) -> dict[str, str]:
        """Return the stored facts about the last build (see :meth:`save_meta`)."""
        return dict(self._db.execute("SELECT key, value FROM meta"))

    def meta_value(self, key: str) -> str | None:
        """Return one stored fact about the last build (see :meth:`save_meta`), or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def save_meta(
        self, values: Mapping[str, str], *, plan: tuple[str, bytes] | None = None
    ) -> None:
        """Store facts about this build (its input fingerprint, its summary, ...), and
        with them, when given, the plan of its feeds as ``(valid_for, record)`` (see
        :meth:`plan`): the feeds' signatures it is checked against are facts too."""
        with self.transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(values.items())
            )
            if plan is not None:
                self._db.execute("INSERT OR REPLACE INTO plan VALUES ('', ?, ?)", plan)
