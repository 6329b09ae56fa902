"""Identity: which ledger entry each source continues, and how the ledger changes."""

from __future__ import annotations

from datetime import UTC, datetime

from feedkit.identity import match_sources, update_ledger
from feedkit.models import LedgerEntry, Post, PostDates, ResolvedDate, Source

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = datetime(2024, 2, 1, tzinfo=UTC)


def source(path: str, content_hash: str, **metadata: object) -> Source:
    return Source(path, f"/x/{path}", metadata, "", 4, "markdown", 1, 1, content_hash)


def post(src: Source, post_id: str) -> Post:
    date = ResolvedDate(T0, "front-matter:date")
    return Post(
        src,
        post_id,
        "t",
        "/p",
        "https://e/p",
        PostDates(date, date),
        None,
        (),
        (),
        None,
        None,
        None,
        False,
    )


def match(sources, ledger, former=None):
    found = match_sources(sources, ledger, former_paths=former or {})
    return {path: entry.id for path, entry in found.items()}


def test_same_path_continues_the_post_even_after_an_edit():
    ledger = [LedgerEntry("id-a", "a.md", "old", T0)]
    assert match([source("a.md", "new")], ledger) == {"a.md": "id-a"}


def test_front_matter_id_wins_over_the_path():
    ledger = [LedgerEntry("id-a", "a.md", "h", T0), LedgerEntry("mine", "z.md", "h2", T0)]
    assert match([source("a.md", "h", id="mine")], ledger) == {"a.md": "mine"}


def test_git_rename_history_follows_a_moved_and_edited_file():
    ledger = [LedgerEntry("id-a", "old/a.md", "h-old", T0)]
    found = match([source("new/a.md", "h-new")], ledger, {"new/a.md": ("old/a.md",)})
    assert found == {"new/a.md": "id-a"}


def test_content_hash_follows_a_file_moved_outside_git():
    ledger = [LedgerEntry("id-a", "a.md", "same", T0)]
    assert match([source("b.md", "same")], ledger) == {"b.md": "id-a"}


def test_content_hash_does_not_steal_a_post_whose_file_is_still_there():
    ledger = [LedgerEntry("id-a", "a.md", "same", T0)]
    assert match([source("a.md", "same"), source("copy.md", "same")], ledger) == {"a.md": "id-a"}


def test_re_added_file_revives_its_deleted_entry():
    ledger = [LedgerEntry("id-a", "a.md", "h", T0, deleted_at=T1)]
    assert match([source("a.md", "h2")], ledger) == {"a.md": "id-a"}


def test_update_ledger_records_new_edited_moved_and_deleted_posts():
    ledger = [
        LedgerEntry("kept", "k.md", "hk", T0),
        LedgerEntry("edited", "e.md", "old", T0),
        LedgerEntry("moved", "m.md", "hm", T0),
        LedgerEntry("gone", "g.md", "hg", T0),
    ]
    live = [
        post(source("k.md", "hk"), "kept"),
        post(source("e.md", "new"), "edited"),
        post(source("m2.md", "hm"), "moved"),
        post(source("n.md", "hn"), "fresh"),
    ]
    changed = {e.id: e for e in update_ledger(live, ledger, now=T1).changed}
    assert set(changed) == {"edited", "moved", "gone", "fresh"}
    assert changed["edited"].changed_at == T1 and changed["edited"].content_hash == "new"
    assert changed["moved"].path == "m2.md" and changed["moved"].changed_at is None
    assert changed["gone"].deleted_at == T1
    assert changed["fresh"].first_seen_at == T1
