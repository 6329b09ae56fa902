"""Timeline tables: which tables count, how rows become events, and robustness."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedkit._datexpr import Precision
from feedkit.timeline import TableKind, TimelineEvent, extract_timeline, judge_tables

SEOUL = ZoneInfo("Asia/Seoul")
PUBLISHED_AT = datetime(2024, 6, 17, 9, 0, tzinfo=SEOUL)
SEED_POST = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "seed-posts"
    / "000_5bc091069e92d6b7.txt"
)
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL)


def _summary(events: tuple[TimelineEvent, ...]) -> list[tuple[object, ...]]:
    """Each event as (start, end, precision name, text), or (None, date_text, text)."""
    return [
        (e.span.start, e.span.end, e.span.precision.name, e.text)
        if e.span is not None
        else (None, e.date_text, e.text)
        for e in events
    ]


def _extract(html: str) -> tuple[TimelineEvent, ...]:
    return extract_timeline(html, PUBLISHED_AT, SEOUL)


def test_seed_post() -> None:
    if not SEED_POST.is_file():
        pytest.skip(f"seed post not found at {SEED_POST} (it lives in ../shared/ beside the repo)")
    body = _FRONT_MATTER.sub("", SEED_POST.read_text(encoding="utf-8"), count=1)
    events = extract_timeline(body, datetime(2024, 6, 17, tzinfo=SEOUL), SEOUL)
    assert _summary(events) == [
        (_at("2024-06-18"), _at("2024-06-19"), "DAY", "러시아 대통령 푸틴 방북"),
        (_at("2000-07-01"), _at("2000-07-01"), "MONTH", "이전 방북"),
    ]
    assert [(e.date_text, e.table, e.row) for e in events] == [
        ("18-19일", 0, 0),
        ("2000년 7월", 0, 1),
    ]


def test_rendered_markdown_table() -> None:
    # What markdown-it renders for a GFM table with a 일시 column.
    html = """<p>일정은 다음과 같다.</p>
<table>
<thead>
<tr>
<th>일시</th>
<th>내용</th>
<th>장소</th>
</tr>
</thead>
<tbody>
<tr>
<td>6월 18일(화) 오후 3시</td>
<td>정상 회담</td>
<td>평양</td>
</tr>
<tr>
<td>19일</td>
<td><strong>귀국</strong></td>
<td></td>
</tr>
</tbody>
</table>
"""
    assert _summary(_extract(html)) == [
        (_at("2024-06-18T15:00"), _at("2024-06-18T15:00"), "MINUTE", "정상 회담 — 평양"),
        (_at("2024-06-19"), _at("2024-06-19"), "DAY", "귀국"),
    ]


def test_rows_inherit_year_and_month_from_earlier_rows() -> None:
    html = """<table>
<tr><th>일자</th><th>사건</th></tr>
<tr><td>2023년 3월 5일</td><td>착공</td></tr>
<tr><td>4월 2일</td><td>중간 점검</td></tr>
<tr><td>10일</td><td>보완</td></tr>
<tr><td>15:00</td><td>발표</td></tr>
<tr><td>2000년</td><td>구상</td></tr>
<tr><td>7월</td><td>기획</td></tr>
</table>"""
    assert _summary(_extract(html)) == [
        (_at("2023-03-05"), _at("2023-03-05"), "DAY", "착공"),
        (_at("2023-04-02"), _at("2023-04-02"), "DAY", "중간 점검"),
        (_at("2023-04-10"), _at("2023-04-10"), "DAY", "보완"),
        (_at("2023-04-10T15:00"), _at("2023-04-10T15:00"), "MINUTE", "발표"),
        (_at("2000-01-01"), _at("2000-01-01"), "YEAR", "구상"),
        (_at("2000-07-01"), _at("2000-07-01"), "MONTH", "기획"),
    ]


def test_range_rows_pass_on_their_end() -> None:
    html = """<table><tr><th>기간</th><th>내용</th></tr>
<tr><td>2023년 6월 30일~7월 2일</td><td>a</td></tr>
<tr><td>5일</td><td>b</td></tr></table>"""
    assert _summary(_extract(html)) == [
        (_at("2023-06-30"), _at("2023-07-02"), "DAY", "a"),
        (_at("2023-07-05"), _at("2023-07-05"), "DAY", "b"),
    ]


def test_relative_words_resolve_against_published_at_not_earlier_rows() -> None:
    html = """<table><tr><th>날짜</th><th>내용</th></tr>
<tr><td>2000년 7월 1일</td><td>a</td></tr>
<tr><td>어제</td><td>b</td></tr>
<tr><td>지난 18일</td><td>c</td></tr></table>"""
    assert _summary(_extract(html)) == [
        (_at("2000-07-01"), _at("2000-07-01"), "DAY", "a"),
        (_at("2024-06-16"), _at("2024-06-16"), "DAY", "b"),
        (_at("2024-05-18"), _at("2024-05-18"), "DAY", "c"),
    ]


def test_english_table() -> None:
    html = """<table>
<thead><tr><th>Event</th><th><b> DATE </b></th></tr></thead>
<tbody>
<tr><td>Launch</td><td>June 18, 2024</td></tr>
<tr><td>Review</td><td>July 2</td></tr>
<tr><td>Wrap-up</td><td>TBD</td></tr>
</tbody></table>"""
    assert _summary(_extract(html)) == [
        (_at("2024-06-18"), _at("2024-06-18"), "DAY", "Launch"),
        (_at("2024-07-02"), _at("2024-07-02"), "DAY", "Review"),
        (None, "TBD", "Wrap-up"),
    ]


@pytest.mark.parametrize(
    "header",
    ["날짜", "일 시", "Date", "WHEN", "Time", "Year", "Period", "연도", "일시(KST)", "date:"],
)
def test_date_header_words(header: str) -> None:
    html = (
        f"<table><tr><th>{header}</th><th>x</th></tr><tr><td>2024-06-18</td><td>a</td></tr></table>"
    )
    assert _summary(_extract(html)) == [(_at("2024-06-18"), _at("2024-06-18"), "DAY", "a")]


def test_first_row_of_plain_cells_naming_a_date_column_is_a_header() -> None:
    html = """<table><tr><td><b>날짜</b></td><td>내용</td></tr>
<tr><td>6월 18일</td><td>방북</td></tr></table>"""
    events = _extract(html)
    assert _summary(events) == [(_at("2024-06-18"), _at("2024-06-18"), "DAY", "방북")]
    assert events[0].row == 0


def test_headerless_table_detected_by_its_first_column() -> None:
    html = """<table>
<tr><td>2024-06-18</td><td>a</td></tr>
<tr><td>2024-06-19</td><td>b</td></tr>
<tr><td>later</td><td>c</td></tr>
</table>"""
    assert _summary(_extract(html)) == [
        (_at("2024-06-18"), _at("2024-06-18"), "DAY", "a"),
        (_at("2024-06-19"), _at("2024-06-19"), "DAY", "b"),
        (None, "later", "c"),
    ]


def test_non_timeline_tables_are_ignored_but_counted() -> None:
    html = """<table><tr><th>이름</th><th>나이</th></tr><tr><td>홍길동</td><td>30</td></tr></table>
<table><tr><td>a</td><td>2024-06-18</td></tr><tr><td>b</td><td>2024-06-19</td></tr></table>
<table><tr><td>2024-06-18</td><td>x</td></tr><tr><td>y</td><td>z</td></tr></table>
<table><tr><th>날짜</th><th>내용</th></tr><tr><td>18일</td><td>방북</td></tr></table>"""
    events = _extract(html)
    # Since #24 any column may hold the dates of a table without a header (table 1).
    assert [(e.table, e.row, e.text) for e in events] == [(1, 0, "a"), (1, 1, "b"), (3, 0, "방북")]


def test_unparsable_date_cell_is_an_undated_event() -> None:
    html = """<table><tr><th>일정</th><th>내용</th></tr>
<tr><td>미정</td><td>답방</td></tr>
<tr><td></td><td>추가 협의</td></tr>
<tr><td></td><td></td></tr>
<tr><td>6월 중순</td><td>실무 회담</td></tr>
<tr><td>6월 18일</td><td>방북</td></tr></table>"""
    events = _extract(html)
    assert _summary(events) == [
        (None, "미정", "답방"),
        (None, "", "추가 협의"),
        (None, "6월 중순", "실무 회담"),
        (_at("2024-06-18"), _at("2024-06-18"), "DAY", "방북"),
    ]
    assert [e.row for e in events] == [0, 1, 3, 4]


def test_a_date_column_without_any_date_gives_no_events() -> None:
    html = """<table><tr><th>일정</th><th>내용</th></tr>
<tr><td>미정</td><td>답방</td></tr><tr><td>6월 중순</td><td>실무 회담</td></tr></table>"""
    assert _extract(html) == ()


def test_rowspan_and_colspan() -> None:
    html = """<table>
<tr><th>Date</th><th colspan="2">What</th></tr>
<tr><td rowspan="2">2024-06-18</td><td>10:00</td><td>a</td></tr>
<tr><td>12:00</td><td>b</td></tr>
<tr><td colspan="2">2024-06-19</td><td>c</td></tr>
</table>"""
    assert _summary(_extract(html)) == [
        (_at("2024-06-18"), _at("2024-06-18"), "DAY", "10:00 — a"),
        (_at("2024-06-18"), _at("2024-06-18"), "DAY", "12:00 — b"),
        # A cell spanning the date column is not repeated as the event's text (#24).
        (_at("2024-06-19"), _at("2024-06-19"), "DAY", "c"),
    ]


def test_cell_text_is_normalised() -> None:
    html = """<table><tr><th>날짜</th><th>내용</th></tr>
<tr><td> 6월<br>18일 </td><td><p>첫째</p><p>둘째\n\t 셋째</p></td></tr></table>"""
    events = _extract(html)
    assert [(e.date_text, e.text) for e in events] == [("6월 18일", "첫째 둘째 셋째")]
    assert events[0].span is not None and events[0].span.precision == Precision.DAY


def test_a_block_in_a_cell_starts_a_word() -> None:
    """Text before a block element is its own line in a browser, as text after it is."""
    html = """<table><tr><th>날짜</th><th>내용</th></tr>
<tr><td>6월 18일</td><td>회담<p>개최</p>예정<div>발표</div></td></tr></table>"""
    assert [e.text for e in _extract(html)] == ["회담 개최 예정 발표"]


def test_broken_and_nested_html() -> None:
    html = """<p>intro<div><table><tr><th>날짜<th>내용
<tr><td>18일<td><b>회담<i>개최</table></p></p></div>
<table><tr><th>날짜</th><th>내용</th></tr><tr><td>19일</td><td>
<table><tr><th>Date</th></tr><tr><td>June 1</td></tr></table></td></tr></table>"""
    assert [(e.table, e.date_text, e.text) for e in _extract(html)] == [
        (0, "18일", "회담개최"),
        (1, "19일", "Date June 1"),
        (2, "June 1", ""),
    ]


@pytest.mark.parametrize(
    "html",
    [
        "",
        "no tables here",
        "<p>날짜 2024-06-18</p>",
        "<table>",
        "<table></table>",
        "<table><tr></tr></table>",
        "<TABLE><tr><td>",
        "<table>\x00\x01</table>",
        "<?xml version='1.0' encoding='utf-8'?><table><tr><td>1</td></tr></table>",
        "<div>" * 5000 + "<table><tr><th>날짜</th></tr><tr><td>18일</td></tr></table>",
        "<table>" * 300 + "<tr><td>2024-06-18</td></tr>",
        '<table><tr><td rowspan="99999999" colspan="-3">2024-06-18</td></tr></table>',
        # A whole document whose parse has no <body>: lxml.html's fragment parser asserts.
        "<html></table><html><script>x</script><td rowspan=2><!-- c --><html>text<body></td>"
        "<thead><script>x</script></tr>날짜</tr></td><thead><th><tr><body></th><thead></th>"
        "2000년 7월2000년 7월<td></thead><body><br><table><tr><td>Date</td><td>x</td></tr>"
        "<td rowspan=2>",
    ],
)
def test_hostile_html_never_raises(html: str) -> None:
    events = _extract(html)
    assert isinstance(events, tuple)
    assert all(isinstance(e, TimelineEvent) for e in events)


def test_body_without_a_table_is_not_parsed() -> None:
    assert _extract("<p>" + "x" * 100_000 + "</p>") == ()


_HTML_PIECES = st.sampled_from(
    [
        "<table>", "</table>", "<thead>", "</thead>", "<tbody>", "<tr>", "</tr>", "<td>",
        "</td>", "<th>", "</th>", "<b>", "</p>", "<p>", '<td rowspan="3">', '<th colspan="2">',
        "날짜", "Date", "18-19일", "2000년 7월", "June 18-19", "미정", "x", " ", "\n", "&nbsp;",
    ]
)  # fmt: skip


@settings(max_examples=200)
@given(st.lists(_HTML_PIECES, max_size=40).map("".join))
def test_extract_timeline_never_raises_on_table_soup(html: str) -> None:
    for event in _extract(html):
        assert event.span is None or event.span.start <= event.span.end


@given(st.text(max_size=200))
def test_extract_timeline_never_raises_on_text(text: str) -> None:
    assert isinstance(_extract("<table>" + text), tuple)
    assert isinstance(_extract(text), tuple)


# Issue 24: tables judged as a whole. The first four are the issue's own reports.
FERRY = """<h2>배편 시간표</h2><table><thead><tr><th>출발 시간</th><th>도착 시간</th>
<th>소요 시간</th><th>선박명</th><th>요금</th></tr></thead><tbody>
<tr><td>07:50</td><td>10:45</td><td>2시간 55분</td><td>씨스타5호</td><td>45,000원</td></tr>
<tr><td>10:45</td><td>13:40</td><td>2시간 55분</td><td>씨스타3호</td><td>45,000원</td></tr>
</tbody></table>"""
HOTEL = """<table><tr><th>투숙객 평점</th><th>특징</th><th>후기 내용</th></tr>
<tr><td>8.9</td><td>바다 전망</td><td>조용하고 깨끗함</td></tr>
<tr><td>7.8</td><td>가성비</td><td>역에서 가깝다</td></tr>
<tr><td>9.2</td><td>조식</td><td>조식이 훌륭함</td></tr></table>"""
STATS = """<table><tr><td>2018</td><td>1531</td></tr><tr><td>2019</td><td>1610</td></tr>
<tr><td>2020</td><td>1288</td></tr></table>"""
HEADER_AS_TD = """<table><tr><td>투숙객 평점</td><td>후기</td></tr>
<tr><td>8.9</td><td>좋음</td></tr><tr><td>7.8</td><td>보통</td></tr></table>"""


@pytest.mark.parametrize(
    ("html", "kind"),
    [
        (FERRY, TableKind.SCHEDULE),
        (HOTEL, TableKind.RATINGS),
        (STATS, TableKind.STATISTICS),
        (HEADER_AS_TD, TableKind.RATINGS),
        # A day's programme: bare clock times under a "시간" header are not dates.
        (
            "<table><tr><th>시간</th><th>내용</th></tr><tr><td>09:00</td><td>등록</td></tr>"
            "<tr><td>10:00</td><td>개회</td></tr></table>",
            TableKind.SCHEDULE,
        ),
        # Standings: whole header cells 승/패.
        (
            "<table><tr><th>날짜</th><th>팀</th><th>승</th><th>패</th></tr>"
            "<tr><td>6월 18일</td><td>LG</td><td>40</td><td>30</td></tr>"
            "<tr><td>6월 19일</td><td>KT</td><td>38</td><td>33</td></tr></table>",
            TableKind.RESULTS,
        ),
        # A price list with a date column is still a price list.
        (
            "<table><tr><th>날짜</th><th>품목</th><th>가격</th></tr>"
            "<tr><td>6월 18일</td><td>사과</td><td>3,000원</td></tr>"
            "<tr><td>6월 19일</td><td>배</td><td>4,000원</td></tr></table>",
            TableKind.PRICES,
        ),
        # Years beside a text column are a history, not a statistics series.
        (
            "<table><tr><th>연도</th><th>사건</th></tr><tr><td>2002년</td><td>책 출간</td></tr>"
            "<tr><td>2003년</td><td>1.0 출시</td></tr></table>",
            TableKind.TIMELINE,
        ),
        ("<table><tr><th>이름</th><th>나이</th></tr><tr><td>홍길동</td><td>30</td></tr></table>",
         TableKind.NONE),
    ],
)  # fmt: skip
def test_tables_are_judged_as_a_whole(html: str, kind: TableKind) -> None:
    ((verdict, events),) = judge_tables(html, PUBLISHED_AT, SEOUL)
    assert verdict.kind is kind, verdict.reasons
    assert verdict.reasons
    assert (events != ()) is (kind is TableKind.TIMELINE)


def test_the_issue_reports_give_no_events() -> None:
    assert _extract(FERRY + HOTEL + STATS + HEADER_AS_TD) == ()


def test_verdict_names_the_date_column_and_header_rows() -> None:
    html = """<table><tr><td>#</td><td>일시</td><td>내용</td></tr>
<tr><td>1</td><td>2024-06-18 10:00</td><td>a</td></tr>
<tr><td>2</td><td>2024-06-19 11:00</td><td>b</td></tr></table>"""
    ((verdict, events),) = judge_tables(html, PUBLISHED_AT, SEOUL)
    assert (verdict.kind, verdict.date_column, verdict.header_rows) == (TableKind.TIMELINE, 1, 1)
    assert [e.text for e in events] == ["1 — a", "2 — b"]
    assert verdict.as_dict()["kind"] == "timeline"


def test_schedule_cue_in_the_heading_with_clock_times() -> None:
    html = """<h3>셔틀버스 시간표</h3><table><tr><th>일자</th><th>시각</th></tr>
<tr><td>6월 18일</td><td>09:00</td></tr><tr><td>6월 19일</td><td>10:00</td></tr></table>"""
    ((verdict, events),) = judge_tables(html, PUBLISHED_AT, SEOUL)
    assert verdict.kind is TableKind.SCHEDULE and events == ()


def test_a_table_of_dates_and_times_stays_a_timeline() -> None:
    html = """<table><tr><th>날짜</th><th>시간</th><th>내용</th></tr>
<tr><td>6월 18일</td><td>10:00</td><td>방북</td></tr>
<tr><td>6월 19일</td><td>14:00</td><td>정상회담</td></tr></table>"""
    ((verdict, events),) = judge_tables(html, PUBLISHED_AT, SEOUL)
    assert verdict.kind is TableKind.TIMELINE
    assert [e.date_text for e in events] == ["6월 18일", "6월 19일"]


def test_second_precision_and_timetables_in_json_feed_and_calendar(site, build_site) -> None:
    """End to end (#24): an ISO time with seconds is ``second`` in ``_timeline`` and an
    exact UTC instant in timeline.ics; a ferry timetable of the same post gives nothing."""
    import json
    import shutil

    from icalendar import Calendar

    from .conftest import write_post

    shutil.rmtree(site / "content")
    body = (
        FERRY
        + """
<table><tr><th>일시</th><th>내용</th></tr>
<tr><td>2024-06-18T10:11:12+09:00</td><td>발사</td></tr>
<tr><td>6월 19일(水)</td><td>궤도 진입</td></tr></table>
"""
    )
    write_post(site / "content", "2024-06-17-launch.html", 'title: "발사"\ndate: 2024-06-17', body)
    build_site(site, now=datetime(2024, 6, 17, 12, 0, tzinfo=SEOUL))
    (item,) = json.loads((site / "public/feed.json").read_text("utf-8"))["items"]
    events = item["_timeline"]["events"]
    assert [(e["date_text"], e["precision"]) for e in events] == [
        ("2024-06-18T10:11:12+09:00", "second"),
        ("6월 19일(水)", "day"),
    ]
    calendar = Calendar.from_ical((site / "public/timeline.ics").read_bytes())
    starts = sorted(str(e.decoded("dtstart")) for e in calendar.walk("VEVENT"))
    assert starts == ["2024-06-18 01:11:12+00:00", "2024-06-19"]


_TAIL_CASES = [
    # The table closed at body level: the rest is prose, parsed or not.
    "<h2>일정</h2><table><tr><th>날짜</th><th>내용</th></tr><tr><td>3월 2일</td><td>개막</td>"
    "</tr></table><p>after</p><h3>시간표</h3>",
    # An open heading around the table takes in the text after it: its context changes.
    "<h2>Dates<table><tr><th>Date</th><th>Time</th></tr><tr><td>May 2</td><td>10:45</td></tr>"
    "<tr><td>May 3</td><td>11:00</td></tr></table> timetable</h2>",
    # An outer table left open: its later rows come after the last </table>.
    "<table><tr><th>날짜</th><th>내용</th></tr><tr><td>3월 2일</td><td><table><tr><td>x</td>"
    "</tr></table></td></tr><tr><td>3월 5일</td><td>폐막</td></tr>",
    # The last </table> inside an attribute of a cell of a table never closed.
    '<table><tr><th>Date</th><th>Event</th></tr><tr><td>May 2</td><td><a title="</table>">'
    "Launch</a> day</td></tr><tr><td>May 9</td><td>Final</td></tr>",
    # Inside a comment, and in a wrapper <div> that stays open.
    "<div><table><tr><th>Date</th><th>Event</th></tr><tr><td>2024-05-02</td><td>A</td></tr>"
    "</table><!-- </table> --> text <p>more</div>",
]


@pytest.mark.parametrize("html", _TAIL_CASES)
def test_a_post_read_up_to_its_last_table_is_judged_as_if_read_whole(
    html: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import feedkit.timeline as timeline

    partial = judge_tables(html, PUBLISHED_AT, SEOUL)
    monkeypatch.setattr(timeline, "_end_of_tables", lambda html: None)  # the oracle: all of it
    assert partial == judge_tables(html, PUBLISHED_AT, SEOUL)
    assert partial  # every case holds a table


def test_binary_codes_read_as_year_one_do_not_crash_the_build() -> None:
    # A QR-code mode table (seen on a public Jekyll blog): "0001" reads as the year 1, and
    # stepping back from it overflowed datetime, which raised out of a whole build.
    codes = [("ECI", "0111"), ("Numeric", "0001"), ("Alphanumeric", "0010"), ("Kanji", "1000")]
    rows = "".join(f"<tr><td>{mode}</td><td>{code}</td></tr>" for mode, code in codes)
    html = f"<table><thead><tr><th>Mode</th><th>Indicator</th></tr></thead>{rows}</table>"
    published = datetime(2017, 8, 25, tzinfo=UTC)
    assert extract_timeline(html, published, UTC) == ()


def test_a_column_of_zero_led_codes_is_not_a_timeline() -> None:
    # Without 0001 (which overflowed, above), the same table gave events in the years 111,
    # 10, 100 and 1000: four false events in a subscriber's calendar.
    codes = [("ECI", "0111"), ("Alphanumeric", "0010"), ("Byte", "0100"), ("Kanji", "1000")]
    rows = "".join(f"<tr><td>{mode}</td><td>{code}</td></tr>" for mode, code in codes)
    html = f"<table><thead><tr><th>Mode</th><th>Indicator</th></tr></thead>{rows}</table>"
    published = datetime(2017, 8, 25, tzinfo=UTC)
    ((verdict, events),) = judge_tables(html, published, UTC)
    assert verdict.kind is not TableKind.TIMELINE
    assert events == ()
