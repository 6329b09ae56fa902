"""Score the timeline extractor on the labelled set of real tables (issue #24).

Usage::

    python scripts/score_timelines.py [--data tests/data/tables/tables.json] [--json] [--check]

Each table of the set (see ``tests/data/tables/README.md``) carries its source, the instant
its page was published, the zone of its dates, its kind as a person judged it (``timeline``,
``schedule``, ``ratings``, ``prices``, ``results``, ``statistics`` or ``other``) and the
events it should give: one per dated row, as start, end and precision. The script runs
:func:`feedkit.timeline.extract_timeline` on each table's HTML and counts, per kind:

- events right (an expected event with the same start, end and precision; each expected
  event is matched once), events wrong (given but not expected) and events missed;
- precision = right / given and recall = right / expected, over dated events;
- events of any sort (dated or not) given by a table not labelled ``timeline``.

With ``--check`` it exits 1 unless precision is at least 99%, recall at least 95% and no
table that is not a timeline gives an event. It only imports ``extract_timeline``, so it can
score an older checkout of feedkit too (run it with that checkout's Python).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "tables" / "tables.json"
PRECISION_TARGET = 0.99
RECALL_TARGET = 0.95

Key = tuple[str, str, str]  # start and end in UTC, precision


@dataclass
class Tally:
    """Counts for one kind of table."""

    tables: int = 0
    expected: int = 0
    given: int = 0
    right: int = 0
    tables_with_events: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.right / self.given if self.given else None

    @property
    def recall(self) -> float | None:
        return self.right / self.expected if self.expected else None


def _key(start: datetime | str, end: datetime | str, precision: str) -> Key:
    def utc(value: datetime | str) -> str:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(UTC).isoformat()

    return utc(start), utc(end), precision.lower()


def score(
    tables: Iterable[Mapping[str, Any]],
    extract: Callable[[str, datetime, Any], Sequence[Any]],
) -> dict[str, Tally]:
    """Return a tally per labelled kind (and ``"all"``) of ``extract`` run on ``tables``."""
    tallies: dict[str, Tally] = {}
    for table in tables:
        kind = table["kind"]
        tz = ZoneInfo(table["timezone"])
        events = extract(table["html"], datetime.fromisoformat(table["published"]), tz)
        given = Counter(
            _key(e.span.start, e.span.end, e.span.precision.name) for e in events if e.span
        )
        expected = Counter(_key(e["start"], e["end"], e["precision"]) for e in table["events"])
        right = sum((given & expected).values())
        for name in (kind, "all"):
            tally = tallies.setdefault(name, Tally())
            tally.tables += 1
            tally.expected += sum(expected.values())
            tally.given += sum(given.values())
            tally.right += right
            if kind != "timeline" and events:
                tally.tables_with_events += 1
            if right < max(sum(given.values()), sum(expected.values())):
                tally.misses.append(table["id"])
    return tallies


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def meets_targets(tallies: Mapping[str, Tally]) -> bool:
    """Tell whether precision, recall and the no-events-from-non-timelines rule all hold."""
    total = tallies["all"]
    others = sum(t.tables_with_events for name, t in tallies.items() if name != "all")
    return (
        (total.precision or 0.0) >= PRECISION_TARGET
        and (total.recall or 0.0) >= RECALL_TARGET
        and others == 0
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", action="store_true", help="print the tallies as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    from feedkit.timeline import extract_timeline

    tables = json.loads(args.data.read_text(encoding="utf-8"))
    tallies = score(tables, extract_timeline)
    order = ["timeline", "schedule", "ratings", "prices", "results", "statistics", "other", "all"]
    names = [n for n in order if n in tallies] + sorted(set(tallies) - set(order))
    if args.json:
        document = {
            name: {
                "tables": t.tables,
                "expected": t.expected,
                "given": t.given,
                "right": t.right,
                "precision": t.precision,
                "recall": t.recall,
                "tables_with_events": t.tables_with_events,
                "misses": t.misses,
            }
            for name, t in ((n, tallies[n]) for n in names)
        }
        print(json.dumps(document, indent=2))
    else:
        leak_title = "tables w/ events (not timelines)"
        print(f"{'kind':<11} {'tables':>6} {'expected':>8} {'given':>6} {'right':>6} "
              f"{'precision':>9} {'recall':>7} {leak_title:>33}")  # fmt: skip
        for name in names:
            t = tallies[name]
            leaks = "" if name in ("timeline", "all") else str(t.tables_with_events)
            if name == "all":
                leaks = str(sum(x.tables_with_events for n, x in tallies.items() if n != "all"))
            print(f"{name:<11} {t.tables:>6} {t.expected:>8} {t.given:>6} {t.right:>6} "
                  f"{_percent(t.precision):>9} {_percent(t.recall):>7} {leaks:>33}")  # fmt: skip
        misses = tallies["all"].misses
        if misses:
            print(f"tables not exactly right ({len(misses)}): {', '.join(misses)}")
    if args.check and not meets_targets(tallies):
        print("targets missed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
