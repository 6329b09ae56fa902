"""The labelled set of real tables (tests/data/tables/) scored by scripts/score_timelines.py.

Targets of issue #24: precision of dated events at least 99%, recall at least 95%, and not
one event (dated or not) from a table labelled as anything but a timeline.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from feedkit.timeline import extract_timeline

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"timeline", "schedule", "ratings", "prices", "results", "statistics", "other"}


def _load_scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "score_timelines", ROOT / "scripts" / "score_timelines.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("score_timelines", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tables() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        (ROOT / "tests" / "data" / "tables" / "tables.json").read_text(encoding="utf-8")
    )
    return data


def test_the_set_is_as_large_and_varied_as_the_issue_asks(tables: list[dict[str, Any]]) -> None:
    assert len(tables) >= 300
    kinds = {t["kind"] for t in tables}
    assert kinds <= KINDS
    assert sum(1 for t in tables if t["kind"] != "timeline") >= 100
    assert {"schedule", "ratings", "prices", "results", "statistics"} <= kinds
    assert len({t["id"] for t in tables}) == len(tables)
    assert {t["lang"] for t in tables} >= {"ko", "en"}
    for table in tables:
        assert table["source"]["repository"] and table["source"]["path"], table["id"]
        assert len(table["source"]["commit"]) == 40, table["id"]
        assert "<table" in table["html"], table["id"]
        assert (table["kind"] == "timeline") or not table["events"], table["id"]


def test_the_extractor_meets_the_targets(tables: list[dict[str, Any]]) -> None:
    scorer = _load_scorer()
    tallies = scorer.score(tables, extract_timeline)
    total = tallies["all"]
    assert total.expected > 1000
    assert total.precision >= 0.99, (total.precision, total.misses)
    assert total.recall >= 0.95, (total.recall, total.misses)
    leaks = {name: t.tables_with_events for name, t in tallies.items() if name != "all"}
    assert sum(leaks.values()) == 0, leaks
    assert scorer.meets_targets(tallies)


def test_the_scorer_counts_what_it_is_given() -> None:
    """The scorer itself: a wrong event lowers precision, a missed one recall, and any
    event from a table that is not a timeline is counted."""
    scorer = _load_scorer()
    table = {
        "id": "t",
        "kind": "timeline",
        "timezone": "Asia/Seoul",
        "published": "2024-06-17T09:00:00+09:00",
        "html": "<table><tr><th>날짜</th><th>내용</th></tr>"
        "<tr><td>2024-06-18</td><td>a</td></tr><tr><td>2024-06-20</td><td>b</td></tr></table>",
        "events": [
            {"start": "2024-06-18T00:00:00+09:00", "end": "2024-06-18T00:00:00+09:00",
             "precision": "day"},
            {"start": "2024-06-19T00:00:00+09:00", "end": "2024-06-19T00:00:00+09:00",
             "precision": "day"},
        ],
    }  # fmt: skip
    schedule = {**table, "id": "s", "kind": "schedule", "events": []}
    tallies = scorer.score([table, schedule], extract_timeline)
    assert (tallies["timeline"].right, tallies["timeline"].given) == (1, 2)
    assert tallies["timeline"].recall == 0.5
    assert tallies["schedule"].tables_with_events == 1
    assert not scorer.meets_targets(tallies)
