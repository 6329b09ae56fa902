"""The state database: schema and migrations, the ledger, the parse cache, the lock."""

from __future__ import annotations

import os
import pickle
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from feedkit._records import RecordError, StoredMetadata, dump_record, load_record
from feedkit.errors import LockTimeout, StateError
from feedkit.models import CachedSource, LedgerEntry
from feedkit.state import SCHEMA_VERSION, State, lock_state

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_new_database_is_wal_with_the_current_schema(tmp_path):
    path = tmp_path / "state.db"
    State(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"posts", "sources", "outputs", "pings"} <= tables


def test_newer_database_is_refused(tmp_path):
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StateError, match="newer than this feedkit"):
        State(path)


def test_a_file_that_is_not_a_database_is_a_state_error(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError):
        State(path)


def test_reading_only_neither_creates_nor_migrates_a_database(tmp_path):
    path = tmp_path / "state.db"
    with pytest.raises(StateError, match="cannot open"):
        State.read_only(path)
    assert not path.exists()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 1")
    with pytest.raises(StateError, match="schema version 1"):
        State.read_only(path)
    path.unlink()
    with State(path) as state:
        state.save_meta({"fingerprint": "f"})
    with State.read_only(path) as state:
        with state.snapshot():
            assert state.meta() == {"fingerprint": "f"}
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            state.save_meta({"fingerprint": "g"})


def test_ledger_round_trip_and_path_handover(tmp_path):
    with State(tmp_path / "state.db") as state:
        with state.transaction():
            state.save_ledger(
                [LedgerEntry("a", "a.md", "h1", T0), LedgerEntry("b", "b.md", "h2", T0)]
            )
        # b is deleted and a moves into b's old path, in one batch.
        with state.transaction():
            state.save_ledger(
                [
                    LedgerEntry("a", "b.md", "h1", T0),
                    LedgerEntry("b", "b.md", "h2", T0, deleted_at=T0),
                ]
            )
        entries = {e.id: e for e in state.ledger()}
    assert entries["a"].path == "b.md" and entries["a"].deleted_at is None
    assert entries["b"].deleted_at == T0


def test_a_ledger_subset_holds_what_matching_needs_found_by_index(tmp_path):
    gone = T0 + timedelta(days=1)
    entries = [
        LedgerEntry("live", "a.md", "h1", T0),
        LedgerEntry("gone-here", "a.md", "h0", T0, deleted_at=gone),  # a's path, earlier
        LedgerEntry("gone-same-text", "old.md", "h2", T0, deleted_at=gone),
        LedgerEntry("gone-other", "x.md", "h3", T0, deleted_at=gone),
        LedgerEntry("live-same-text", "b.md", "h2", T0),
        LedgerEntry("declared", "c.md", "h4", T0),
        *(LedgerEntry(f"n{n}", f"n{n}.md", f"k{n}", T0, deleted_at=gone) for n in range(50)),
    ]
    with State(tmp_path / "state.db") as state:
        with state.transaction():
            state.save_ledger(entries)
        statements: list[str] = []
        state._db.set_trace_callback(statements.append)
        subset = state.ledger_subset(paths=["a.md"], ids=["declared"], hashes=["h2"])
        state._db.set_trace_callback(None)
        # Live and deleted entries at the path, the id, and deleted ones with the hash; in
        # the order State.ledger gives them, which breaks ties when matching.
        order = [entry.id for entry in state.ledger()]
        assert [entry.id for entry in subset] == [
            entry_id
            for entry_id in order
            if entry_id in {"live", "gone-here", "gone-same-text", "declared"}
        ]
        assert state.ledger_subset(paths=[], ids=[], hashes=[]) == []
        (query,) = statements  # as run, with its values in it
        plan = [row[3] for row in state._db.execute(f"EXPLAIN QUERY PLAN {query}")]
    assert not [step for step in plan if step.startswith("SCAN posts")], plan
    assert any("posts_deleted_by_path" in step for step in plan), plan


def test_failed_transaction_writes_nothing(tmp_path):
    with State(tmp_path / "state.db") as state:
        with pytest.raises(RuntimeError), state.transaction():
            state.save_ledger([LedgerEntry("a", "a.md", "h1", T0)])
            raise RuntimeError("killed halfway")
        assert state.ledger() == []


def test_records_keep_yaml_dates():
    metadata = {
        "date": datetime(2024, 6, 18, 9, 30, tzinfo=UTC),
        "offset": datetime(2024, 6, 18, 9, 30, tzinfo=timezone(timedelta(hours=9))),
        "day": date(2024, 6, 18),
        "tags": ["a", 1, None],
        "nested": {"x": [1.5, True], "set": {1, 2}, "raw": b"\x00"},
        "title": "제목",
    }
    assert load_record(dump_record((metadata, 3))) == (metadata, 3)


class _Payload:
    def __reduce__(self):  # what a hostile state database could hold
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("data", [pickle.dumps(_Payload()), b"", b"not a pickle", b"\x80\x05N"[:2]])
def test_a_record_that_is_not_plain_data_is_refused(data):
    with pytest.raises(RecordError):
        load_record(data)


def test_unreadable_cached_records_are_left_out(tmp_path):
    record = CachedSource("a.md", 10, 123, "h", {"title": "A"}, 4, "markdown", False, ())
    with State(tmp_path / "state.db") as state:
        with state.transaction():
            state.save_sources([record], removed=[])
            state._db.execute(
                "INSERT INTO sources VALUES ('b.md', 1, 2, 'h', ?)", (pickle.dumps(_Payload()),)
            )
        assert state.cached_sources() == {"a.md": record}


def test_parse_cache_round_trip(tmp_path):
    record = CachedSource(
        "a.md",
        10,
        123,
        "h",
        {"title": "A", "date": date(2024, 1, 2)},
        4,
        "markdown",
        False,
        ("news",),
    )
    with State(tmp_path / "state.db") as state:
        with state.transaction():
            state.save_sources([record], removed=[])
        assert state.cached_sources() == {"a.md": record}
        with state.transaction():
            state.save_sources([], removed=["a.md"])
        assert state.cached_sources() == {}


def test_resolved_records_of_removed_paths_are_forgotten(tmp_path):
    with State(tmp_path / "state.db") as state:
        with state.transaction():
            rows = [("a.md", "key-a", b"A"), ("b.md", "key-b", b"B"), ("c.md", "key-c", b"C")]
            state.save_resolved_posts(iter(rows), removed=[])
        with state.transaction():
            state.save_resolved_posts(iter([("b.md", "key-b2", b"B2")]), removed=["a.md", "x.md"])
        assert state.resolved_keys() == {"b.md": "key-b2", "c.md": "key-c"}
        assert dict(state.resolved_records()) == {"b.md": b"B2", "c.md": b"C"}


def test_second_lock_times_out_and_is_freed_when_the_holder_dies(tmp_path):
    path = tmp_path / "state.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from feedkit.state import lock_state\n"
            f"with lock_state(Path({str(path)!r})):\n"
            "    print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(LockTimeout) as caught, lock_state(path, wait=0.3):
            pass
        assert time.monotonic() - started >= 0.3
        assert caught.value.exit_code == 75
    finally:
        holder.kill()  # SIGKILL: no cleanup runs in the holder
        holder.wait()
    with lock_state(path, wait=0):
        pass


def test_cached_front_matter_is_decoded_when_used_and_its_id_without_decoding(tmp_path):
    metadata = {"title": "A", "id": "urn:a", "date": date(2024, 1, 2), "tags": ["x"]}
    record = CachedSource("a.md", 10, 123, "h", metadata, 4, "markdown", False, ())
    with State(tmp_path / "state.db") as state:
        with state.transaction():
            state.save_sources([record], removed=[])
        cached = state.cached_sources()["a.md"].metadata
        assert isinstance(cached, StoredMetadata)
        assert cached == metadata and dict(cached) == metadata
        assert cached.get("id") == "urn:a" and "id" in cached and cached["tags"] == ["x"]
        # Stored again as it was read, without being decoded and encoded again.
        with state.transaction():
            state.save_sources([state.cached_sources()["a.md"]], removed=[])
        assert state.cached_sources()["a.md"].metadata == metadata
        # A damaged front matter still gives its id (kept apart), and says what to do
        # when anything it spells is asked of it.
        damaged = StoredMetadata(b"not a pickle, but it spells title", {"id": "urn:a"})
        assert damaged.get("id") == "urn:a"
        with pytest.raises(StateError, match="delete the state database"):
            damaged.get("title")
        # A key the stored record does not spell is answered without decoding it (which
        # would have raised here): rendering asks every post for its excerpt_separator.
        assert damaged.get("excerpt_separator") is None
        assert damaged.get("excerpt_separator", "<!--more-->") == "<!--more-->"
        assert cached.get("excerpt_separator") is None and cached.get("date") == date(2024, 1, 2)
        assert StoredMetadata.of({"제목": "가"}).get("제목") == "가"
        # To a worker process it goes as stored, to be decoded there when used; a front
        # matter read in a worker comes back the same way.
        sent = pickle.loads(pickle.dumps(cached))
        assert type(sent) is StoredMetadata and sent == metadata
        made = StoredMetadata.of(metadata)
        assert made == metadata and made.get("id") == "urn:a"
        assert pickle.loads(pickle.dumps(made)) == metadata
        assert StoredMetadata.of({"title": "B"}).get("id") is None


def test_the_docstring_names_every_table_and_every_meta_key_a_build_writes(site, build_site):
    """What the state holds is documented where it is kept: the tables SQLite lists and
    the meta keys a real build (and a build it reuses) leaves."""
    import re

    import feedkit.state

    build_site(site)
    build_site(site)
    with sqlite3.connect(site / ".feedkit" / "state.db") as db:
        tables = {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        keys = {key for (key,) in db.execute("SELECT key FROM meta")}
    doc = feedkit.state.__doc__ or ""
    listed = set(re.findall(r"^- ``(\w+)``:", doc, re.MULTILINE))
    assert tables == listed
    meta = doc[doc.index("- ``meta``") :]
    meta = meta[: meta.index("\n\n")]
    assert keys == set(re.findall(r"``(\w+)``\s+\(", meta))


def test_saved_outputs_are_exactly_the_last_builds_and_unchanged_rows_stay_put(tmp_path):
    path = tmp_path / "state.db"
    with State(path) as state:
        state.save_outputs(
            {"rss.xml": "d1", "atom.xml": "d2", "archive/1.xml": "d3"},
            {"rss.xml": 10, "atom.xml": 20, "archive/1.xml": 30},
        )
    with State(path) as state:
        # One file rewritten, one resized with the same digest, one gone, one new.
        state.save_outputs(
            {"rss.xml": "d1-new", "atom.xml": "d2", "feed.json": "d4"},
            {"rss.xml": 11, "atom.xml": 21, "feed.json": 40},
        )
        assert state.output_digests() == {"rss.xml": "d1-new", "atom.xml": "d2", "feed.json": "d4"}
        assert state.output_sizes() == {"rss.xml": 11, "atom.xml": 21, "feed.json": 40}
    with sqlite3.connect(path) as db:
        rowids = dict(db.execute("SELECT path, rowid FROM outputs"))
    with State(path) as state:
        state.save_outputs({"atom.xml": "d2"}, {"atom.xml": 21})
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT path, digest, size, rowid FROM outputs").fetchall()
    assert [row[:3] for row in rows] == [("atom.xml", "d2", 21)]
    # Not written again when nothing about it changed (the row keeps its place).
    assert rows[0][3] == rowids["atom.xml"]
