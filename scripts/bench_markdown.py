"""Time feedkit's Markdown rendering against markdown-it-pyrs alone, on a corpus.

Usage::

    python scripts/gen_corpus.py /tmp/corpus --posts 2000 --jekyll
    python scripts/bench_markdown.py /tmp/corpus [--repeat 3]

Every ``.md``/``.markdown``/``.txt`` file under the folder is read, its front matter cut
off, and its body rendered (whether the corpus marks it as HTML or Markdown: the point is
the renderer's cost per byte) by:

- ``markdown-it-pyrs``: markdown-it.rs alone (feedkit before issue #23);
- ``feedkit``: :func:`feedkit.render.render_markdown` (markdown-it.rs, then markdown-it-py
  with the CJK-friendly delimiter rule for the texts where markdown-it.rs left a ``*`` or
  ``~~`` literal and the source has one beside CJK text);
- ``markdown-it-py+cjk``: the CJK-aware renderer for every text (the cost on a site where
  every post needs it).

It prints the best of ``--repeat`` runs for each, in milliseconds per post, the number of
texts rendered again with the CJK rule, and how many outputs differ from
markdown-it-pyrs'. The folder may be a real site's (its ``_posts``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from feedkit import _markdown


def _bodies(folder: Path) -> list[str]:
    bodies = []
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".md", ".markdown", ".txt") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if text.startswith("---"):
            _, _, rest = text[3:].partition("\n---")
            text = rest.partition("\n")[2]
        bodies.append(text)
    return bodies


def _best(render: object, bodies: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for body in bodies:
            render(body)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bodies = _bodies(args.folder)
    cjk = _markdown._cjk_renderer()
    candidates = {
        "markdown-it-pyrs": _markdown._fast_render,
        "feedkit": _markdown.render_markdown,
        "markdown-it-py+cjk": cjk.render,
    }
    print(f"{len(bodies)} texts, {sum(map(len, bodies)) / 1e6:.1f} MB")
    beside = [body for body in bodies if _markdown.has_cjk_delimiter(body)]
    again = sum(
        1
        for body in beside
        if (html := _markdown._fast_render(body)) is None
        or _markdown._LITERAL_DELIMITER.search(_markdown._TAG.sub("", html))
    )
    print(
        f"texts with * or ~~ beside CJK text: {len(beside)}; rendered again with the rule: {again}"
    )
    for name, render in candidates.items():
        seconds = _best(render, bodies, args.repeat)
        print(f"{name:20} {seconds:7.2f} s  {1000 * seconds / len(bodies):7.3f} ms/post")
    differ = sum(
        1 for body in bodies if _markdown.render_markdown(body) != _markdown._fast_render(body)
    )
    print(f"outputs that differ from markdown-it-pyrs: {differ}")


if __name__ == "__main__":
    main()
