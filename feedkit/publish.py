"""Publish stage: write output files atomically, and leave unchanged files untouched.

Each file is written to a temporary file in its own folder, flushed to disk, then renamed
over the old one (``os.replace``), so a poller never sees half a feed and a killed run
leaves the previously published file whole. A file whose bytes did not change is not
touched at all, so its mtime (and the Last-Modified a web server derives from it) holds.

Why every file is flushed (fsync) before its rename (#25). Two failures differ:

- *The run is killed* (cron's timeout, the OOM killer, a reboot that stops processes
  first). The rename alone makes this safe: the page cache outlives the process, and a
  reader sees the old file or the new one. fsync plays no part: a killed process loses
  nothing the kernel already holds (``tests/test_faults.py`` kills a build at each fsync
  and each rename).
- *Power is lost, or the kernel crashes*. Then what reaches the disk decides. Without an
  fsync, the rename (metadata, journaled) can be committed before the new file's data
  is written (delayed allocation), and the name then points at a zero-length file. File
  systems guard the "replace via rename" pattern differently:

  * ext4 (default ``auto_da_alloc``, ``data=ordered``): a rename over an existing file
    forces the new file's blocks to be allocated so that its data is written before the
    journal commit holding the rename: old or new, never empty. Not so when mounted
    ``noauto_da_alloc`` or ``data=writeback``.
  * btrfs: since Linux 2.6.30 a rename over an existing file starts the new file's
    writeback before the rename commits (Chris Mason's "add extra flushing for renames
    and truncates"); a heuristic, not a documented guarantee.
  * XFS: no such heuristic for renames (only for truncate-then-rewrite); the on-disk size
    is set when the data is written, so the renamed file can come back empty.
  * On all three, a *new* name (no file replaced) gets no protection: after power loss
    it may be empty or short.

  For a feed published from cron, the failure to avoid is a subscription feed that
  readers already poll coming back empty (or short) after a power cut: readers then see
  an empty or broken feed until the next run, and some drop the subscription. An fsync
  of each file before its rename rules that out on every file system, and makes a write
  error that delayed allocation would only meet at writeback (EIO, or ENOSPC where space
  is not reserved at write time) fail this run, before the state records the file as
  published.

What it costs, measured with ``scripts/bench_fsync.py`` on this machine (ext4, Linux 6.18,
2 shared cores), median of 3 runs:

=================================  ==========  ====  ===========  ===============
files written                      fsync each  none  syncfs once  fsync dirs once
=================================  ==========  ====  ===========  ===============
first build, 10,000 posts (1)      0.69        0.37  0.46         0.45
the same, each replacing a file    1.04        0.80  0.72         0.83
10,000 files of 20 KiB             3.80        2.68  2.95         2.90
the same, each replacing a file    4.59        5.17  4.52         4.36
=================================  ==========  ====  ===========  ===============

(1) the 2,195 files (272 MiB) a first build of ``bench.py``'s 10,000-post site writes
(``bench_fsync.py --from``); seconds.

So the fsyncs cost 0.3 s of a first build at 10,000 posts (8.5 s: 4 %), and little or
nothing where every file written replaces one (a rebuild: 0.24 s more for all 2,195
files, 0.6 s less for 10,000 small ones): ext4's rename heuristic then flushes the data
anyway, one file at a time, where the fsyncs here go out together from threads. An
fsync of only the files that replace one costs what no fsync does on a first build
(0.47 s) and, one file after another, 1.53 s on the rebuild. The alternatives save that
0.3 s once per site (a first build) and give up the guarantee: one ``syncfs`` or
directory fsync at the end protects nothing written before a crash in the middle of the
run, and fsyncing only the files that replace one leaves new files (an archive page
that just started, linked from the fsynced subscription feed) empty after a power cut
until the next run rewrites them (their recorded size no longer matches). The writes
stay as they are; ``bench.py``'s write floor uses the same scheme.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from .errors import PublishError
from .models import Artifact

# The names write_atomic gives its temporary files: "." + name + "." + 8 random chars + ".tmp".
_STALE_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")

__all__ = [
    "PublishResult",
    "digest",
    "remove_stale_temporaries",
    "safe_output_path",
    "write_artifacts",
    "write_atomic",
    "write_atomic_many",
]


@dataclass(frozen=True)
class PublishResult:
    """Paths (inside the output folder) that were written, and those left as they were."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    digests: Mapping[str, str] = field(default_factory=dict)
    sizes: Mapping[str, int] = field(default_factory=dict)


def safe_output_path(output_dir: Path, relative: str) -> Path:
    """Return ``output_dir / relative``, refusing any path that would leave the folder.

    Raises :class:`PublishError` for absolute paths, ``..`` segments, NUL characters or
    names longer than the file system allows.
    """
    pure = PurePosixPath(relative)
    if (
        "\x00" in relative
        or pure.is_absolute()
        or not pure.parts
        or any(part in ("..", ".", "") for part in pure.parts)
        or any(len(part.encode("utf-8")) > 255 for part in pure.parts)
    ):
        raise PublishError(f"refusing to write outside the output folder: {relative!r}")
    return output_dir.joinpath(*pure.parts)


def write_atomic(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically (temporary file, fsync, rename).

    Raises :class:`PublishError` on any OS error; ``target`` is then left as it was.
    """
    write_atomic_many([(target, data)])


def write_atomic_many(files: Sequence[tuple[Path, bytes]]) -> None:
    """Replace each ``target`` with its ``data`` atomically, as :func:`write_atomic` does.

    Every file is written to its temporary file first, then they are all flushed to disk
    together, then renamed over their targets in order: a file system commits flushes
    that come together at once, where one flush after each file waits for each commit.
    Raises :class:`PublishError` for the first file that cannot be written: the files
    renamed before it are complete, the others are left as they were, and no temporary
    file is left behind.
    """
    written: list[_Temporary] = []
    renamed = 0
    try:
        try:
            for target, data in files:
                written.append(_write_temporary(target, data))
            _flush(written)
        finally:
            _close(written)  # before the renames: Windows renames no open file
        for temporary in written:
            try:
                # mkstemp creates files readable by the owner only; a published feed is public.
                os.chmod(temporary.name, 0o644)
                os.replace(temporary.name, temporary.target)
            except OSError as exc:
                raise _cannot_write(temporary.target, exc) from exc
            renamed += 1
    finally:
        for temporary in written[renamed:]:
            Path(temporary.name).unlink(missing_ok=True)


class _Temporary(NamedTuple):
    target: Path
    descriptor: int
    name: str


def _write_temporary(target: Path, data: bytes) -> _Temporary:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise _cannot_write(target, exc) from exc
    temporary = _Temporary(target, descriptor, name)
    try:
        with open(descriptor, "wb", closefd=False) as handle:
            handle.write(data)
    except OSError as exc:
        os.close(descriptor)
        Path(name).unlink(missing_ok=True)
        raise _cannot_write(target, exc) from exc
    return temporary


# From this many files on, their fsyncs are issued from threads, all at once (an fsync
# waits for the disk and holds no lock of Python's).
_PARALLEL_FLUSHES = 4


def _flush(temporaries: Sequence[_Temporary]) -> None:
    def flush(temporary: _Temporary) -> None:
        try:
            os.fsync(temporary.descriptor)
        except OSError as exc:
            raise _cannot_write(temporary.target, exc) from exc

    if len(temporaries) < _PARALLEL_FLUSHES:
        for temporary in temporaries:
            flush(temporary)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(len(temporaries), 16)) as pool:
        for _ in pool.map(flush, temporaries):
            pass


def _close(temporaries: Sequence[_Temporary]) -> None:
    """Close every temporary file; raise for the first that could not be closed."""
    failure = None
    for temporary in temporaries:
        try:
            os.close(temporary.descriptor)
        except OSError as exc:
            failure = failure or _cannot_write(temporary.target, exc)
    if failure is not None:
        raise failure


def _cannot_write(target: Path, exc: OSError) -> PublishError:
    return PublishError(f"cannot write: {exc.strerror or exc}", path=target)


def _has_same_bytes(target: Path, data: bytes) -> bool:
    try:
        if target.stat().st_size != len(data):
            return False
        return target.read_bytes() == data
    except OSError:
        return False


def digest(data: bytes) -> str:
    """Return the digest feedkit records for an output file's bytes.

    SHA-256 (cut to 128 bits), which CPUs compute in hardware: 2.6 times as fast as
    BLAKE2b here, for the hundreds of megabytes a large site's first build writes. A
    digest recorded by an older version only costs a comparison of the file's bytes.
    """
    return hashlib.sha256(data).hexdigest()[:32]


def write_artifacts(
    output_dir: Path,
    artifacts: Iterable[Artifact],
    *,
    known_digests: Mapping[str, str] | None = None,
    swept_folders: set[Path] | None = None,
) -> PublishResult:
    """Write every artifact under ``output_dir``, skipping those whose bytes are unchanged.

    ``known_digests`` (from the state database) lets an unchanged file be recognised
    without reading it back, as long as it is still there with the same size. Each
    folder written to is first swept of the temporary files a killed run left; a caller
    writing in batches passes the same ``swept_folders`` set so each is swept once.

    Raises :class:`PublishError` on the first file that cannot be written; the files
    before it are complete or left as they were (see :func:`write_atomic_many`), and no
    file is ever left half-written.
    """
    known = known_digests or {}
    artifacts = list(artifacts)
    remove_stale_temporaries(
        output_dir,
        [artifact.path for artifact in artifacts],
        swept_folders if swept_folders is not None else set(),
    )
    changed: list[tuple[Path, bytes]] = []
    written: list[str] = []
    unchanged: list[str] = []
    digests: dict[str, str] = {}
    sizes: dict[str, int] = {}
    for artifact in artifacts:
        target = safe_output_path(output_dir, artifact.path)
        new_digest = digest(artifact.data)
        digests[artifact.path] = new_digest
        sizes[artifact.path] = len(artifact.data)
        known_unchanged = known.get(artifact.path) == new_digest and _has_size(
            target, len(artifact.data)
        )
        if known_unchanged or _has_same_bytes(target, artifact.data):
            unchanged.append(artifact.path)
        else:
            changed.append((target, artifact.data))
            written.append(artifact.path)
    # A few at a time: each holds a file descriptor until the files are renamed.
    for start in range(0, len(changed), _FILES_AT_ONCE):
        write_atomic_many(changed[start : start + _FILES_AT_ONCE])
    return PublishResult(tuple(written), tuple(unchanged), digests, sizes)


_FILES_AT_ONCE = 128


def remove_stale_temporaries(output_dir: Path, paths: Iterable[str], swept: set[Path]) -> None:
    """Delete the temporary files (``.<name>.<random>.tmp``, see :func:`write_atomic`) a
    killed run left in the folders of ``paths`` (relative to ``output_dir``) not yet in
    ``swept``, and add them.

    The caller holds the state lock, so no other run is writing them.
    """
    for path in paths:
        folder = safe_output_path(output_dir, path).parent
        if folder in swept:
            continue
        swept.add(folder)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if _STALE_TEMPORARY.match(entry.name):
                Path(entry.path).unlink(missing_ok=True)


def _has_size(target: Path, size: int) -> bool:
    try:
        return target.stat().st_size == size
    except OSError:
        return False
