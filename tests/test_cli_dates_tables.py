"""`feedkit dates --tables FILE`: each table's verdict and why (issue #24).

Kept apart from tests/test_cli.py so that branches editing that file merge cleanly.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from feedkit.cli import main

POST = """---
title: 제주 여행
---
## 배편 시간표

| 출발 시간 | 도착 시간 | 소요 시간 | 요금 |
|---|---|---|---|
| 07:50 | 10:45 | 2시간 55분 | 45,000원 |
| 10:45 | 13:40 | 2시간 55분 | 45,000원 |

| 투숙객 평점 | 후기 내용 |
|---|---|
| 8.9 | 조용하고 깨끗함 |
| 7.8 | 역에서 가깝다 |

| 날짜 | 내용 |
|---|---|
| 6월 18일(火) | 출발 |
| 18·19일 | 여행 |
"""


def _run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    (tmp_path / "post.md").write_text(POST, encoding="utf-8")
    (tmp_path / "feedkit.toml").write_text('[site]\ntimezone = "Asia/Seoul"\n', encoding="utf-8")
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path) as cwd:
        for name in ("post.md", "feedkit.toml"):
            (Path(cwd) / name).write_text((tmp_path / name).read_text("utf-8"), "utf-8")
        result = runner.invoke(
            main, ["dates", "--tables", "post.md", "--now", "2024-06-17T09:00+09:00", *args]
        )
    return result.exit_code, result.stdout, result.stderr


def test_tables_json_gives_each_verdict_and_only_timeline_events(tmp_path: Path) -> None:
    code, out, _ = _run(tmp_path, "--json")
    assert code == 0
    tables = json.loads(out)
    assert [t["kind"] for t in tables] == ["schedule", "ratings", "timeline"]
    assert [len(t["events"]) for t in tables] == [0, 0, 2]
    assert all(t["reasons"] for t in tables)
    assert tables[2]["date_column"] == 0
    # Read in the config's zone, against --now.
    assert tables[2]["events"][1]["start"] == "2024-06-18T00:00:00+09:00"
    assert tables[2]["events"][1]["end"] == "2024-06-19T00:00:00+09:00"


def test_tables_text_says_why(tmp_path: Path) -> None:
    code, out, _ = _run(tmp_path)
    assert code == 0
    assert "table 1: schedule" in out and "'출발'" in out
    assert "table 2: ratings" in out and "평점" in out
    assert "table 3: timeline" in out and "2024-06-18T00:00:00+09:00  [day]  출발" in out
