"""Measure what flushing each published file to disk costs, beside the alternatives (#25).

Usage::

    python scripts/bench_fsync.py [--files 10000] [--kib 20] [--from OUTPUT_DIR] [--runs 3]
                                  [--dir DIR] [--json OUT.json]

Writes ``--files`` files of ``--kib`` KiB each (about what a first build of a 10,000-post
site writes: 196 MB) into a fresh folder under ``--dir`` (default: the current folder, so
that the file system is the one the output goes to), 100 files a folder, in batches of
:data:`feedkit.publish._FILES_AT_ONCE` as :func:`feedkit.publish.write_artifacts` does,
each file as a temporary file renamed over its target. With ``--from``, the files are
those under OUTPUT_DIR (a build's output: the same names, folders and bytes) instead.
Then writes them all again with
other bytes, so that every rename replaces an existing file (a rebuild). Each way of
making the writes durable is timed for both, as the median of ``--runs``:

``fsync-each``
    :func:`feedkit.publish.write_atomic_many` itself: every temporary file fsynced
    (from threads, all of a batch at once) before the renames.
``none``
    the same writes and renames with no fsync at all.
``syncfs-end``
    no fsync per file, one ``syncfs(2)`` of the file system after the last rename.
``fsync-dirs-end``
    no fsync per file, one fsync of each folder after the last rename.
``fsync-replacing``
    fsync only of the files that replace an existing file (those a polling reader already
    knows): none in a first build, all in the rebuild here.

Before each run, ``os.sync()`` flushes what earlier runs left dirty, so that no run pays
for another's writes. The time is wall time of the writes alone (the bytes are made
beforehand).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from feedkit import publish

__all__ = ["main"]

FILES_PER_FOLDER = 100
Files = list[tuple[Path, bytes]]


def _syncfs(folder: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        if libc.syncfs(descriptor) != 0:
            raise OSError(ctypes.get_errno(), "syncfs failed")
    finally:
        os.close(descriptor)


def _write_plain(files: Files, *, flush: Callable[[Path], bool]) -> None:
    """feedkit's scheme (temporary file, chmod, rename) with an fsync only of the files
    ``flush`` chooses, in the batches write_artifacts uses."""
    batch = publish._FILES_AT_ONCE
    for start in range(0, len(files), batch):
        for target, data in files[start : start + batch]:
            target.parent.mkdir(parents=True, exist_ok=True)
            descriptor, name = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
            )
            try:
                os.write(descriptor, data)
                if flush(target):
                    os.fsync(descriptor)
            finally:
                os.close(descriptor)
            os.chmod(name, 0o644)
            os.replace(name, target)


def _fsync_each(files: Files, root: Path) -> None:
    batch = publish._FILES_AT_ONCE
    for start in range(0, len(files), batch):
        publish.write_atomic_many(files[start : start + batch])


def _none(files: Files, root: Path) -> None:
    _write_plain(files, flush=lambda target: False)


def _syncfs_end(files: Files, root: Path) -> None:
    _write_plain(files, flush=lambda target: False)
    _syncfs(root)


def _fsync_dirs_end(files: Files, root: Path) -> None:
    _write_plain(files, flush=lambda target: False)
    for folder in sorted({target.parent for target, _ in files} | {root}):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _fsync_replacing(files: Files, root: Path) -> None:
    _write_plain(files, flush=lambda target: target.exists())


WAYS: dict[str, Callable[[Files, Path], None]] = {
    "fsync-each": _fsync_each,
    "none": _none,
    "syncfs-end": _syncfs_end,
    "fsync-dirs-end": _fsync_dirs_end,
    "fsync-replacing": _fsync_replacing,
}


def _files(root: Path, count: int, size: int, fill: int) -> Files:
    block = bytes([fill]) * size
    return [
        (root / f"{number // FILES_PER_FOLDER:04d}" / f"{number:06d}.xml", block)
        for number in range(count)
    ]


def _copied(source: Path) -> Callable[[Path, int, int, int], Files]:
    """What :func:`_files` makes, from the files under ``source``; the rewrite changes the
    last byte of each, so that every rename replaces a file with other bytes."""
    originals = [
        (path.relative_to(source), path.read_bytes())
        for path in sorted(source.rglob("*"))
        if path.is_file()
    ]

    def files(root: Path, count: int, size: int, fill: int) -> Files:
        return [(root / relative, data[:-1] + bytes([fill])) for relative, data in originals]

    return files


def measure(
    base: Path,
    count: int,
    size: int,
    runs: int,
    make: Callable[[Path, int, int, int], Files] = _files,
) -> dict[str, dict[str, float]]:
    """Return, for each way, the median seconds of a first write and of a rewrite."""
    results: dict[str, dict[str, list[float]]] = {
        way: {"first_s": [], "rewrite_s": []} for way in WAYS
    }
    for _ in range(runs):
        for way, write in WAYS.items():
            root = Path(tempfile.mkdtemp(prefix="bench-fsync-", dir=base))
            try:
                for phase, fill in (("first_s", 0x61), ("rewrite_s", 0x62)):
                    files = make(root, count, size, fill)
                    os.sync()
                    started = time.perf_counter()
                    write(files, root)
                    results[way][phase].append(time.perf_counter() - started)
            finally:
                shutil.rmtree(root)
            print(
                f"bench_fsync: {way}: first {results[way]['first_s'][-1]:.3f} s, "
                f"rewrite {results[way]['rewrite_s'][-1]:.3f} s",
                file=sys.stderr,
                flush=True,
            )
    return {
        way: {phase: statistics.median(times) for phase, times in phases.items()}
        for way, phases in results.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the measurement; print a Markdown table (and write JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--kib", type=int, default=20, help="size of each file")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path.cwd(), help="where to write")
    parser.add_argument(
        "--from", dest="source", type=Path, metavar="OUTPUT_DIR", help="write these files"
    )
    parser.add_argument("--json", type=Path, metavar="OUT.json")
    args = parser.parse_args(argv)
    if args.files < 1 or args.kib < 0 or args.runs < 1:
        parser.error("--files and --runs must be at least 1, --kib at least 0")
    make: Callable[[Path, int, int, int], Files] = _files
    described = f"{args.files} files of {args.kib} KiB"
    if args.source is not None:
        make = _copied(args.source)
        copied = make(args.dir, 0, 0, 0)
        described = (
            f"the {len(copied)} files of {args.source} "
            f"({sum(len(data) for _, data in copied) / 2**20:.0f} MiB)"
        )
    figures = measure(args.dir, args.files, args.kib * 1024, args.runs, make)
    lines = [
        f"{described}, median of {args.runs} runs",
        "",
        "| way | first write s | rewrite (every rename replaces) s |",
        "| --- | ---: | ---: |",
    ]
    lines += [
        f"| {way} | {times['first_s']:.3f} | {times['rewrite_s']:.3f} |"
        for way, times in figures.items()
    ]
    print("\n".join(lines))
    if args.json:
        document = {"files": described, "runs": args.runs, "ways": figures}
        args.json.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
