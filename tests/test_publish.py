"""Publish stage: atomic writes that never leave half a file, and untouched unchanged files."""

from __future__ import annotations

import os

import pytest

from feedkit.errors import PublishError
from feedkit.models import Artifact
from feedkit.publish import safe_output_path, write_artifacts, write_atomic, write_atomic_many


def artifact(path: str, data: bytes) -> Artifact:
    return Artifact(path, data, "application/atom+xml")


def test_writes_files_and_folders(tmp_path):
    result = write_artifacts(tmp_path, [artifact("a.xml", b"1"), artifact("c/국제/b.xml", b"2")])
    assert result.written == ("a.xml", "c/국제/b.xml")
    assert (tmp_path / "c" / "국제" / "b.xml").read_bytes() == b"2"


def test_unchanged_file_keeps_its_mtime(tmp_path):
    write_artifacts(tmp_path, [artifact("a.xml", b"same")])
    target = tmp_path / "a.xml"
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    result = write_artifacts(tmp_path, [artifact("a.xml", b"same")])
    assert result.unchanged == ("a.xml",) and result.written == ()
    assert target.stat().st_mtime_ns == 1_000_000_000


def test_a_digest_recorded_otherwise_only_costs_a_comparison(tmp_path):
    """A digest the state holds from an older version (another hash) does not get an
    unchanged file rewritten: its bytes are compared instead; a changed file is written."""
    write_artifacts(tmp_path, [artifact("a.xml", b"same"), artifact("b.xml", b"old")])
    for name in ("a.xml", "b.xml"):
        os.utime(tmp_path / name, ns=(1_000_000_000, 1_000_000_000))
    older = {"a.xml": "0" * 32, "b.xml": "0" * 32}
    result = write_artifacts(
        tmp_path, [artifact("a.xml", b"same"), artifact("b.xml", b"new")], known_digests=older
    )
    assert result.unchanged == ("a.xml",) and result.written == ("b.xml",)
    assert (tmp_path / "a.xml").stat().st_mtime_ns == 1_000_000_000
    assert result.digests["a.xml"] != older["a.xml"] and len(result.digests["a.xml"]) == 32


@pytest.mark.parametrize(
    "bad", ["../escape.xml", "/etc/passwd", "a/../../b.xml", "a\x00b.xml", "x" * 300 + ".xml", ""]
)
def test_paths_outside_the_output_folder_are_refused(tmp_path, bad):
    with pytest.raises(PublishError):
        safe_output_path(tmp_path, bad)


def test_failed_replace_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "feed.xml"
    target.write_bytes(b"old")

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(PublishError, match="No space left"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["feed.xml"]


def test_unwritable_folder_is_a_publish_error(tmp_path, monkeypatch):
    import tempfile

    target = tmp_path / "feed.xml"
    target.write_bytes(b"old")

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # Root ignores folder modes, so the refusal of a read-only folder is injected.
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(PublishError, match="Permission denied"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"


def _old_files(folder, count: int) -> list:
    targets = [folder / f"sub{n % 3}" / f"feed{n}.xml" for n in range(count)]
    for target in targets:
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(b"old " + target.name.encode())
    return targets


def _temporaries(folder) -> list[str]:
    return [p.name for p in folder.rglob("*.tmp")]


def test_many_files_are_flushed_together_and_all_replaced(tmp_path, monkeypatch):
    targets = _old_files(tmp_path, 10)
    flushed = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (flushed.append(fd), real_fsync(fd))[1])
    write_atomic_many([(target, b"new " + target.name.encode()) for target in targets])
    assert [t.read_bytes() for t in targets] == [b"new " + t.name.encode() for t in targets]
    assert {t.stat().st_mode & 0o777 for t in targets} == {0o644}
    assert len(set(flushed)) == 10 and _temporaries(tmp_path) == []


@pytest.mark.parametrize("failing", ["create", "flush", "close", "rename"])
def test_a_file_that_cannot_be_written_stops_the_others_cleanly(tmp_path, monkeypatch, failing):
    import tempfile

    targets = _old_files(tmp_path, 6)
    calls = []

    def third_fails(real):
        def call(*args, **kwargs):
            calls.append(args)
            if len(calls) == 3:
                raise OSError(28, "No space left on device")
            return real(*args, **kwargs)

        return call

    if failing == "create":
        monkeypatch.setattr(tempfile, "mkstemp", third_fails(tempfile.mkstemp))
    elif failing == "flush":
        monkeypatch.setattr(os, "fsync", third_fails(os.fsync))
    elif failing == "close":
        real_close = os.close

        def close_then_fail(descriptor: int) -> None:
            real_close(descriptor)
            third_fails(lambda *args: None)(descriptor)

        monkeypatch.setattr(os, "close", close_then_fail)
    else:
        monkeypatch.setattr(os, "replace", third_fails(os.replace))
    with pytest.raises(PublishError, match="No space left") as caught:
        write_atomic_many([(target, b"new") for target in targets])
    contents = [target.read_bytes() for target in targets]
    if failing == "rename":
        # Renamed in order: the first two are complete, the rest as they were.
        assert contents[:2] == [b"new", b"new"] and caught.value.path == str(targets[2])
        assert contents[2:] == [b"old " + t.name.encode() for t in targets[2:]]
    else:
        assert contents == [b"old " + t.name.encode() for t in targets]
    if failing in ("create", "close"):
        assert caught.value.path == str(targets[2])
    assert _temporaries(tmp_path) == []
