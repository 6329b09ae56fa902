"""Publish stage: atomic writes that never leave half a file, and untouched unchanged files."""

from __future__ import annotations

import os

import pytest

from feedkit.errors import PublishError
from feedkit.models import Artifact
from feedkit.publish import safe_output_path, write_artifacts, write_atomic


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
