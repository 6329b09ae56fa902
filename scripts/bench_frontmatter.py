"""Time front-matter parsing of N synthetic posts (the hot path of a first build).

Usage: python scripts/bench_frontmatter.py [N] [--format yaml|toml|json]

Prints the median of 5 runs of ``feedkit._frontmatter.parse_front_matter`` over N post
texts (split and load, no file reads), in seconds. Issue 25 counts YAML at 0.65 s per
10,000 posts inside a whole build.
"""

from __future__ import annotations

import argparse
import statistics
import time

from feedkit._frontmatter import parse_front_matter


def post_text(index: int, fmt: str) -> str:
    body = f"본문 {index}번째 글입니다.\n\n두 번째 문단.\n"
    if fmt == "toml":
        return (
            "+++\n"
            f'title = "[속보] 글 {index}"\n'
            f"date = 2024-06-18T09:{index % 60:02d}:00+09:00\n"
            'tags = ["뉴스", "world"]\n'
            "draft = false\n"
            "+++\n" + body
        )
    if fmt == "json":
        return (
            "{\n"
            f'  "title": "[속보] 글 {index}",\n'
            f'  "date": "2024-06-18T09:{index % 60:02d}:00+09:00",\n'
            '  "tags": ["뉴스", "world"],\n'
            '  "draft": false\n'
            "}\n" + body
        )
    return (
        "---\n"
        f'title: "[속보] 글 {index}"\n'
        f"date: 2024-06-18 09:{index % 60:02d}:00 +09:00\n"
        "tags: [뉴스, world]\n"
        "draft: false\n"
        "---\n" + body
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10_000)
    parser.add_argument("--format", default="yaml", choices=("yaml", "toml", "json"))
    args = parser.parse_args()
    texts = [post_text(i, args.format) for i in range(args.n)]
    kwargs = {} if args.format == "yaml" else {"formats": ("yaml", "toml", "json")}
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for text in texts:
            parse_front_matter(text, **kwargs)
        runs.append(time.perf_counter() - started)
    print(
        f"{args.n} posts, {args.format}: median {statistics.median(runs):.3f} s "
        f"(runs: {', '.join(f'{r:.3f}' for r in runs)})"
    )


if __name__ == "__main__":
    main()
