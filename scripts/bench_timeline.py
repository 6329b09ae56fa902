"""Time the timeline stage alone on a generated corpus (issue #24).

Usage::

    python scripts/gen_corpus.py /tmp/corpus --posts 10000 --seed 24
    python scripts/bench_timeline.py /tmp/corpus [--repeat 3] [--json]

Every post under ``CORPUS/content`` (or ``CORPUS/_posts``) is rendered once, as a build
renders it (Markdown through feedkit's renderer, HTML as it is); then
:func:`feedkit.timeline.extract_timeline` runs over every rendered body, and the best of
``--repeat`` runs is reported: for all posts, for the posts with a ``<table`` and for those
without. Only ``extract_timeline`` and ``render_markdown`` are imported, so an older
checkout of feedkit can be timed the same way (run this file with its Python).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.DOTALL)
SEOUL = ZoneInfo("Asia/Seoul")
PUBLISHED_AT = datetime(2024, 6, 17, 9, 0, tzinfo=SEOUL)


def _bodies(corpus: Path, render_markdown: Callable[[str], str]) -> list[str]:
    folder = corpus / "content" if (corpus / "content").is_dir() else corpus / "_posts"
    bodies = []
    posts = (p for p in folder.rglob("*") if p.suffix in (".md", ".markdown", ".txt", ".html"))
    for path in sorted(posts):
        text = _FRONT_MATTER.sub("", path.read_text(encoding="utf-8"), count=1)
        is_html = path.suffix in (".html", ".htm") or text.lstrip().startswith("<")
        bodies.append(text if is_html else render_markdown(text))
    return bodies


def _best(bodies: Sequence[str], extract: Callable[..., object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for body in bodies:
            extract(body, PUBLISHED_AT, SEOUL)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from feedkit.render import render_markdown
    from feedkit.timeline import extract_timeline

    bodies = _bodies(args.corpus, render_markdown)
    with_table = [b for b in bodies if "<table" in b.lower()]
    without = [b for b in bodies if "<table" not in b.lower()]
    events = sum(len(extract_timeline(b, PUBLISHED_AT, SEOUL)) for b in bodies)  # type: ignore[arg-type]
    result = {
        "posts": len(bodies),
        "posts_with_table": len(with_table),
        "events": events,
        "all_s": _best(bodies, extract_timeline, args.repeat),
        "with_table_s": _best(with_table, extract_timeline, args.repeat),
        "without_table_s": _best(without, extract_timeline, args.repeat),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        per = result["without_table_s"] / max(1, len(without)) * 1e6
        print(
            f"{result['posts']} posts ({result['posts_with_table']} with a table), "
            f"{events} events: timeline stage {result['all_s']:.3f} s; "
            f"with a table {result['with_table_s']:.3f} s, "
            f"without {result['without_table_s']:.4f} s ({per:.1f} µs a post)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
