"""Timeline tables: the dated rows of tables in a post's rendered HTML.

Each table is judged as a whole before any cell becomes an event (:func:`judge_tables`
returns a :class:`TableVerdict`: kind, date column, reasons). Only a ``timeline`` gives
events, and never from its header rows. The rules, in order (issue #24):

1. **Header rows** are the leading ``<thead>``/all-``<th>`` rows, or a first row of ``<td>``
   whose cells are column names (a known header word, and no date in the date column).
2. **The date column** is the first column whose header names a date (``날짜``, ``일시``,
   ``Date``, ``When``, ...), else the first column most of whose body cells read as dates.
   A column whose cells are bare clock times (``10:45``), bare decimals (``8.9``) or
   durations is never a date column, whatever its header says; nor, without a date header,
   is a column of bare numbers.
3. **The kind**, first match wins:
   - ``schedule``: a header names departures, arrivals, durations, fares or a timetable
     (``출발``, ``도착``, ``소요``, ``운항``, ``Departure``, ``Arrival``, ``Duration``), or a column
     holds bare clock times (a day's programme or a timetable), or the caption or heading
     above the table says ``시간표``/``timetable`` and a column holds clock times;
   - ``results``: a header names wins, losses, points or goals (``승``, ``패``, ``승점``, ``W``,
     ``Pts``), or a column holds games between two sides (``KIA 5:6 롯데``, ``LG vs KT``), or a
     result column holds scores (``3-1``);
   - ``ratings``: a header names a score (``평점``, ``별점``, ``Rating``, ``Score``), or a column
     holds bare decimals (``8.9``) and no header names the date column (beside a named date
     column, decimals are versions: ``날짜 | 버전 1.0``);
   - ``prices``: a header names a price (``가격``, ``요금``, ``Price``, ``Cost``);
   - ``statistics``: every column but the date column (and a column of weekdays) holds
     numbers (``2018 | 1,531``, ``2020.1.3 | 금 | 20 | 40``): a series of measures, not events;
   - ``timeline``: a date column where more than half the body rows read as dates (under a
     header naming dates, one is enough: ``미정`` and ``중순`` may stand beside them);
   - ``none``: no date column.

In a timeline, each body row becomes a :class:`TimelineEvent`; a date cell that leaves out
its year or month takes them from the nearest earlier row that has them, else from the
post's publication instant (a cell giving only a time also takes the day of the nearest
dated row); rows in date order that cross New Year without writing it move on a year. Words
relative to a date (``어제``, ``지난 18일``) are anchored to the publication instant.
Only the date column gives the event's date: other date columns (an end date, a second
milestone) are part of its text.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

from lxml import etree

from ._datexpr import DateSpan, PartialDate, Precision, parse, parse_partial

__all__ = [
    "TableKind",
    "TableVerdict",
    "TimelineEvent",
    "extract_timeline",
    "has_table",
    "judge_tables",
    "may_have_table",
]

_DATE_HEADERS = frozenset(
    {
        "날짜", "일자", "일시", "일정", "기간", "시기", "시점", "연도", "년도", "시간", "연월일",
        "date", "dates", "when", "time", "year", "period", "day",
    }
)  # fmt: skip
# Header words of the kinds of table that are not timelines (matched inside a header cell).
_SCHEDULE_WORDS = (
    "출발", "도착", "소요", "운항", "배차", "첫차", "막차", "출항", "입항", "편명", "선박",
    "시간표", "노선", "departure", "depart", "arrival", "arrive", "duration", "timetable",
    "platform", "fare",
)  # fmt: skip
_RATING_WORDS = ("평점", "별점", "점수", "만족도", "rating", "score", "stars")
_PRICE_WORDS = (
    "가격", "요금", "비용", "금액", "입장료", "판매가", "정가", "단가", "price", "cost", "fee",
)  # fmt: skip
# Whole header cells of a standings or results table.
_RESULT_CELLS = frozenset(
    {
        "승", "패", "무", "승점", "득점", "실점", "득실", "득실차", "승률", "게임차", "w", "l", "d",
        "pts", "gf", "ga", "gd", "won", "lost", "drawn", "wins", "losses", "상대팀", "opponent",
    }
)  # fmt: skip
_RESULT_WORDS = ("스코어", "score", "결과", "result")
_TIMETABLE_CONTEXT = (
    "시간표",
    "timetable",
    "운항 시간",
    "운항시간",
    "배편",
    "schedule of departures",
)

_TABLE = re.compile("<table", re.IGNORECASE)
_PARENTHETICAL = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_HEADER_PUNCTUATION = " :*.#"
_SPAN_LIMIT = 64  # larger colspan/rowspan values are typos or attacks, not layouts
# Elements whose boundaries separate words, though their text is joined without a space.
_BLOCKS = ("br", "p", "div", "li", "ul", "ol", "table", "tr", "td", "th", "h1", "h2", "h3")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_TEXT_SEPARATOR = " — "
# libxml2's HTML parser as lxml.html uses it, without lxml.html's element classes: their
# lookup runs Python code for every element, which cost more than the parse itself.
_HTML_PARSER = etree.HTMLParser(recover=True, no_network=True)
_FULL_DOCUMENT = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)
_STRING_VALUE = etree.XPath("string()", smart_strings=False)
# Characters lxml refuses in an element's text (a superset: C0 and C1 controls, surrogates,
# non-characters); a post holding one takes the slow, exact path of _check_texts.
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_TABLE_TAG = re.compile("</?table", re.IGNORECASE)
_ROW_GROUPS = ("thead", "tbody", "tfoot")
_CELL_TAGS = ("td", "th")

# Shapes of cells that look like dates to the parser but are not (rule 2 of the docstring).
_DECIMAL = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}")
_DURATION = re.compile(
    r"(?:약 ?|about |~)?[0-9]+(?:\.[0-9]+)? ?(?:시간|분|초|h|hrs?|hours?|m|mins?|minutes?|s|secs?"
    r"|seconds?|days?|weeks?|months?|개월|주)(?: ?[0-9]+ ?(?:분|m|mins?|minutes?))?(?: 소요)?"
)
_MONEY = re.compile(
    r"(?:[$€£¥₩] ?[0-9][0-9,.]*[kmb]?|[0-9][0-9,.]*(?: ?만)? ?(?:원|달러|엔|usd|krw|eur|jpy))"
    r"(?: ?[~-] ?.*)?"
)
_NUMBER = re.compile(
    r"(?:약 ?)?[+\-−]?[0-9][0-9,]*(?:\.[0-9]+)? ?"
    r"(?:%|%p|명|개|건|회|위|점|배|kg|km|ms|mb|gb|[kmb])?"
)
_WEEKDAY_CELL = re.compile(
    r"\(?(?:[월화수목금토일](?:요일)?|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)\)?"
)
# A game between two sides, played or to come: "KIA 5:6 롯데", "KT vs KIA 경기취소".
_MATCH = re.compile(r"[^\d\s][^\d]*? (?:[0-9]{1,3} ?[:\-] ?[0-9]{1,3}|vs\.?) [^\d\s].*")
_EPOCH_LIKE = re.compile(r"[0-9]{9,11}(?:\.[0-9]+)?")
# "0111", "0010": codes (a QR code's mode indicators), never a year written so.
_ZERO_LED_CODE = re.compile(r"0[0-9]{3}")
_VERSION_HEADERS = ("버전", "version", "ver", "release", "릴리스", "릴리즈")
_SCORE = re.compile(r"[0-9]{1,3} ?[-:–] ?[0-9]{1,3}")


class TableKind(enum.Enum):
    """What a table is, as :func:`judge_tables` reads it; only ``TIMELINE`` gives events."""

    TIMELINE = "timeline"
    SCHEDULE = "schedule"
    RATINGS = "ratings"
    PRICES = "prices"
    RESULTS = "results"
    STATISTICS = "statistics"
    NONE = "none"


@dataclass(frozen=True)
class TableVerdict:
    """How a table was judged: its kind, its date column (0-based, or None), the number of
    header rows, and the reasons, in words a user can check against the table."""

    table: int
    kind: TableKind
    date_column: int | None
    header_rows: int
    rows: int
    reasons: tuple[str, ...]

    @property
    def is_timeline(self) -> bool:
        return self.kind is TableKind.TIMELINE

    def as_dict(self) -> dict[str, object]:
        """Return the verdict as JSON-ready data."""
        return {
            "table": self.table,
            "kind": self.kind.value,
            "date_column": self.date_column,
            "header_rows": self.header_rows,
            "rows": self.rows,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class TimelineEvent:
    """One body row of a timeline table.

    ``span`` is None when the date cell did not parse (the row is kept as an undated event);
    ``text`` is the row's other non-empty cells joined with " — ", whitespace normalised;
    ``date_text`` is the date cell's text; ``table`` and ``row`` are 0-based indexes of the
    table among all tables of the post and of the row among that table's body rows.
    """

    span: DateSpan | None
    text: str
    date_text: str
    table: int
    row: int


@dataclass(frozen=True)
class _Cell:
    text: str
    is_header: bool


def extract_timeline(html: str, published_at: datetime, tz: tzinfo) -> tuple[TimelineEvent, ...]:
    """Return the events of every timeline table in ``html``, in document order.

    ``published_at`` anchors dates without a year or month and relative words; ``tz`` is the
    zone of dates written without one. Tables judged other than timelines give nothing (see
    the module docstring). Tolerates broken HTML and never raises: markup that lxml cannot
    parse yields no events. Rows whose cells are all empty are skipped.
    """
    return tuple(event for _, events in _read_tables(html, published_at, tz) for event in events)


def has_table(html: str) -> bool:
    """Whether rendered ``html`` holds a table: the cheap test that spares every post
    without one the parse of its HTML (#24, #25)."""
    return _TABLE.search(html) is not None


def may_have_table(text: str, *, markup: str) -> bool:
    """Whether a post's body, not rendered yet, can render to a table: an HTML
    ``<table>``, or in Markdown a line with a pipe (a pipe table's delimiter row has one)."""
    return _TABLE.search(text) is not None or (markup == "markdown" and "|" in text)


def judge_tables(
    html: str, published_at: datetime, tz: tzinfo
) -> tuple[tuple[TableVerdict, tuple[TimelineEvent, ...]], ...]:
    """Return each table's verdict with the events it gives (none unless a timeline).

    Same inputs and guarantees as :func:`extract_timeline`; nested tables are judged on
    their own.
    """
    return _read_tables(html, published_at, tz)


def _read_tables(
    html: str, published_at: datetime, tz: tzinfo
) -> tuple[tuple[TableVerdict, tuple[TimelineEvent, ...]], ...]:
    # The cheap test first: most posts have no table and must not pay for parsing (#24).
    if not isinstance(html, str):
        return ()
    first = _TABLE.search(html)
    if first is None:
        return ()
    # Only text from the first table on can hold what _check_texts looks for.
    exact_texts = _NOT_XML_TEXT.search(html, first.start()) is not None
    try:
        root = _document(html, whole=exact_texts)
        if root is None:
            return ()
        tables = []
        contexts = []
        heading = ""
        last_heading = None  # read only if a table follows it: most headings have none
        for element in root.iter("table", *_HEADINGS):
            if element.tag == "table":
                if last_heading is not None:
                    heading = _text_of(last_heading)
                    last_heading = None
                caption = element.find("caption")
                caption_text = "" if caption is None else _text_of(caption)
                tables.append(element)
                contexts.append(f"{heading} {caption_text}".strip())
            else:
                last_heading = element
        if exact_texts:
            _check_texts(tables)
        results = []
        for index, (table, context) in enumerate(zip(tables, contexts, strict=True)):
            rows = _grid(table)
            verdict = _judge(rows, index, context, published_at, tz)
            events = _table_events(rows, verdict, published_at, tz) if verdict.is_timeline else []
            results.append((verdict, tuple(events)))
        return tuple(results)
    except (etree.LxmlError, ValueError, OverflowError, RecursionError):
        return ()


def _table_events(
    rows: list[list[_Cell]], verdict: TableVerdict, published_at: datetime, tz: tzinfo
) -> list[TimelineEvent]:
    column = verdict.date_column
    assert column is not None
    events = []
    known = PartialDate()
    previous: datetime | None = None
    for number, row in enumerate(rows[verdict.header_rows :]):
        date_cell = row[column] if column < len(row) else None
        date_text = "" if date_cell is None else date_cell.text
        # A cell spanning the date column (a colspan title row) is not repeated as text.
        others = []
        for i, cell in enumerate(row):
            if i != column and cell.text and cell is not date_cell and cell not in others:
                others.append(cell)
        if not date_text and not others:
            continue
        span = parse(date_text, published_at, tz, context=known) if date_text else None
        if span is not None and previous is not None and span.end < previous - _ROLLOVER:
            span = _next_year(date_text, span, known, published_at, tz)
        if span is not None:
            known = _remember(known, span)
            previous = span.start
        text = _TEXT_SEPARATOR.join(cell.text for cell in others)
        events.append(TimelineEvent(span, text, date_text, verdict.table, number))
    return events


# Rows in date order that cross New Year without writing the year ("December 2", then
# "January 31") move on a year; a step back of more than this is read as that crossing.
_ROLLOVER = timedelta(days=60)


def _next_year(
    text: str, span: DateSpan, known: PartialDate, published_at: datetime, tz: tzinfo
) -> DateSpan:
    """Return ``span`` a year later when its cell left the year out, else ``span``."""
    written = parse_partial(text, tz)
    if written is None or written[0].year is not None or known.year is None:
        return span
    later = parse(text, published_at, tz, context=replace(known, year=known.year + 1))
    return span if later is None else later


def _remember(known: PartialDate, span: DateSpan) -> PartialDate:
    """Return the fields later rows inherit, given this row's span.

    The year and month are those of the nearest dated row that has them; a day (for cells
    that give only a time) is only that of the nearest dated row, as a day means nothing in
    another month.
    """
    end = span.end
    return PartialDate(
        year=end.year,
        month=end.month if span.precision >= Precision.MONTH else known.month,
        day=end.day if span.precision >= Precision.DAY else None,
    )


def _shape(text: str, tz: tzinfo) -> str:
    """Return the shape of a cell: empty, clock, decimal, duration, money, score, year,
    month, date, number or text."""
    text = text.lower()  # a cell's text, whitespace normalised already (see _grid)
    if not text:
        return "empty"
    if _WEEKDAY_CELL.fullmatch(text):
        return "weekday"
    if _EPOCH_LIKE.fullmatch(text) or _ZERO_LED_CODE.fullmatch(text):
        return "number"  # a hash or an id far more often than epoch seconds in a table
    if _DECIMAL.fullmatch(text):
        return "decimal"
    if _DURATION.fullmatch(text):
        return "duration"
    if _MONEY.fullmatch(text):
        return "money"
    if _MATCH.fullmatch(text):
        return "match"
    partial = parse_partial(text, tz)
    if partial is not None:
        start = partial[0]
        if start.year is None and start.month is None and start.day is None:
            if start.hour is not None:
                return "clock"
            return "date"  # a relative word: 어제, 다음 주 월요일
        if start.day is None:
            if start.month is None:
                return "year" if re.fullmatch(r"[0-9]{4}(?: ?년(?:도)?)?", text) else "date"
            return "month"
        return "date"
    if _SCORE.fullmatch(text):
        return "score"
    if _NUMBER.fullmatch(text):
        return "number"
    return "text"


def _word_pattern(words: Sequence[str]) -> re.Pattern[str]:
    """Compile header words into one pattern; English words match whole (plural allowed)."""
    parts = [
        rf"(?<![a-z]){re.escape(w)}(?:s|es)?(?![a-z])" if w.isascii() else re.escape(w)
        for w in words
    ]
    return re.compile("|".join(parts))


def _names_word(name: str, pattern: re.Pattern[str]) -> str | None:
    """Return the header word ``pattern`` finds in a header name, as matched."""
    m = pattern.search(name)
    return None if m is None else m.group()


_SCHEDULE_PATTERN = _word_pattern(_SCHEDULE_WORDS)
_RATING_PATTERN = _word_pattern(_RATING_WORDS)
_PRICE_PATTERN = _word_pattern(_PRICE_WORDS)


def _header_name(text: str) -> str:
    name = _PARENTHETICAL.sub("", text).lower()
    return "".join(name.split()).strip(_HEADER_PUNCTUATION)


def _judge(
    rows: list[list[_Cell]], index: int, context: str, published_at: datetime, tz: tzinfo
) -> TableVerdict:
    """Judge a table as a whole: see the rules in the module docstring."""
    header_count = _header_count(rows)
    width = max((len(row) for row in rows), default=0)
    headers = [""] * width
    for row in rows[:header_count]:
        for i, cell in enumerate(row):
            headers[i] = f"{headers[i]} {cell.text}".strip()
    if header_count == 0 and rows and _is_word_header(rows[0], published_at, tz):
        header_count = 1
        headers = [cell.text for cell in rows[0]] + [""] * (width - len(rows[0]))
    body = rows[header_count:]
    # A text's shape is taken once per table: spanned cells and repeated words recur.
    known: dict[str, str] = {}
    shapes = _column_shapes(body, width, known, tz)
    date_column, reasons = _date_column(headers, shapes, body, published_at, tz)
    # A first row of <td> naming the columns (or a title row) is a header, not an event.
    if (
        date_column is not None
        and header_count == 0
        and body
        and date_column < len(body[0])
        and parse(body[0][date_column].text, published_at, tz) is None
        and all(parse(cell.text, published_at, tz) is None for cell in body[0])
    ):
        header_count = 1
        headers = [cell.text for cell in body[0]] + [""] * (width - len(body[0]))
        body = body[1:]
        shapes = _column_shapes(body, width, known, tz)
        reasons.append("the first row names the columns: read as a header")
    names = [_header_name(h) for h in headers]
    kind, why = _kind(names, shapes, date_column, body, context)
    reasons.append(why)
    return TableVerdict(
        index, kind, date_column,
        header_count, len(body), tuple(reasons),
    )  # fmt: skip


def _column_shapes(
    body: list[list[_Cell]], width: int, known: dict[str, str], tz: tzinfo
) -> list[Counter[str]]:
    """Count the shapes of each column's cells (a missing cell is empty), taking the shape
    of a text already seen from ``known`` and adding those it takes."""
    columns: list[Counter[str]] = []
    for i in range(width):
        column: Counter[str] = Counter()
        for row in body:
            if i < len(row):
                text = row[i].text
                shape = known.get(text)
                if shape is None:
                    shape = known[text] = _shape(text, tz)
            else:
                shape = "empty"
            column[shape] += 1
        columns.append(column)
    return columns


def _is_date_header(text: str) -> bool:
    """Return whether a header cell's text names a date column (``날짜``, ``Date (KST)``)."""
    name = _header_name(text)
    if not name:
        return False
    parts = [part.strip(_HEADER_PUNCTUATION) for part in re.split("[/·,]", name)]
    return any(
        part in _DATE_HEADERS
        or part.endswith(
            ("일자", "일시", "날짜", "date", "dates", "연도", "년도", "시기", "기간", "일정")
        )
        or part.startswith("date")
        or (part.endswith("일") and 3 <= len(part) <= 5 and not part.endswith(("요일", "매일")))
        for part in [*parts, name]
    )


_NOT_DATES = ("clock", "decimal", "duration", "money", "score", "number")


def _is_dates(shapes: Counter[str], *, named: bool) -> bool:
    """Tell whether a column's cells are dates: more dates than anything else that is not."""
    filled = sum(n for shape, n in shapes.items() if shape != "empty")
    dated = shapes["date"] + shapes["month"] + shapes["year"]
    if named:
        # Under a date header, words such as 미정 or 중순 may stand beside the dates.
        return dated > 0 and sum(shapes[s] for s in _NOT_DATES) * 2 <= filled
    return dated * 2 > filled and not (shapes["year"] == dated and filled < 2)


def _date_column(
    headers: list[str],
    shapes: list[Counter[str]],
    body: list[list[_Cell]],
    published_at: datetime,
    tz: tzinfo,
) -> tuple[int | None, list[str]]:
    reasons: list[str] = []
    for i, header in enumerate(headers):
        if _is_date_header(header):
            if _is_dates(shapes[i], named=True):
                reasons.append(f"column {i + 1} ({header!r}) is named as dates and holds dates")
                return i, reasons
            common = max(
                (s for s in shapes[i] if s != "empty"), key=shapes[i].__getitem__, default="empty"
            )
            reasons.append(
                f"column {i + 1} ({header!r}) is named as dates but holds {common} cells"
            )
    for i, column in enumerate(shapes):
        if _is_dates(column, named=False):
            reasons.append(f"column {i + 1} holds dates")
            return i, reasons
    return None, reasons


def _kind(
    names: list[str],
    shapes: list[Counter[str]],
    date_column: int | None,
    body: list[list[_Cell]],
    context: str,
) -> tuple[TableKind, str]:
    filled = [sum(c.values()) - c["empty"] for c in shapes]  # counted once a column

    def majority(i: int, shape: str) -> bool:
        return filled[i] > 0 and shapes[i][shape] * 2 > filled[i]

    has_days = date_column is not None and shapes[date_column]["date"] > 0
    for name in names:
        word = _names_word(name, _SCHEDULE_PATTERN)
        if word is not None:
            return TableKind.SCHEDULE, f"a header names a timetable's column ({word!r})"
    clock = next((i for i in range(len(shapes)) if majority(i, "clock")), None)
    if clock is not None and not has_days:
        return TableKind.SCHEDULE, f"column {clock + 1} holds bare clock times"
    lowered = context.lower()
    cue = next((w for w in _TIMETABLE_CONTEXT if w in lowered), None)
    if cue is not None and clock is not None:
        return TableKind.SCHEDULE, f"the heading or caption says {cue!r}"
    if any(name in _RESULT_CELLS for name in names):
        word = next(name for name in names if name in _RESULT_CELLS)
        return TableKind.RESULTS, f"a header names a result ({word!r})"
    match = next((i for i in range(len(shapes)) if majority(i, "match")), None)
    if match is not None:
        return TableKind.RESULTS, f"column {match + 1} holds games between two sides"
    scores = any(majority(i, "score") for i in range(len(shapes)))
    if scores and any(w in name for name in names for w in _RESULT_WORDS):
        return TableKind.RESULTS, "a result column holds scores"
    for name in names:
        word = _names_word(name, _RATING_PATTERN)
        if word is not None:
            return TableKind.RATINGS, f"a header names a rating ({word!r})"
    named = date_column is not None and _is_date_header(names[date_column])
    decimal = next(
        (
            i
            for i in range(len(shapes))
            if i != date_column
            and majority(i, "decimal")
            and not any(w in names[i] for w in _VERSION_HEADERS)
        ),
        None,
    )
    # Beside a named date column, decimals are versions or measures ("1.0", "2.1"), not scores.
    if decimal is not None and not named:
        return TableKind.RATINGS, f"column {decimal + 1} holds bare decimals (scores, not dates)"
    for name in names:
        word = _names_word(name, _PRICE_PATTERN)
        if word is not None:
            return TableKind.PRICES, f"a header names a price ({word!r})"
    if date_column is None:
        return TableKind.NONE, "no column holds dates"
    column = shapes[date_column]
    # Beside the date column, a four-digit number ("1531") is a count, not a year; a column
    # of weekdays only repeats the dates.
    numeric = ("number", "money", "decimal", "year", "empty")
    others = [
        c
        for i, c in enumerate(shapes)
        if i != date_column and any(n for s, n in c.items() if s not in ("empty", "weekday"))
    ]
    if (
        others
        and all(sum(n for s, n in c.items() if s in numeric) * 2 > sum(c.values()) for c in others)
        and any(c["number"] + c["money"] + c["decimal"] + c["year"] for c in others)
    ):
        return TableKind.STATISTICS, "dates beside numbers only: a statistics series"
    # Read off the shapes already taken: a date, a month or a year the parser could read.
    dated = column["date"] + column["month"] + column["year"]
    if dated == 0 or (not named and dated * 2 <= len(body)):
        return TableKind.NONE, f"only {dated} of {len(body)} rows read as dates"
    return TableKind.TIMELINE, f"{dated} of {len(body)} rows read as dates"


def _is_word_header(row: Sequence[_Cell], published_at: datetime, tz: tzinfo) -> bool:
    """Tell whether a first row of <td> cells is a header: it names a date column, no dates."""
    has_date_word = any(_is_date_header(cell.text) for cell in row)
    return has_date_word and all(parse(cell.text, published_at, tz) is None for cell in row)


def _header_count(rows: list[list[_Cell]]) -> int:
    """Count the leading header rows: <thead> rows (see _grid) or one first row of <th>."""
    count = 0
    for row in rows:
        if not row or not all(cell.is_header for cell in row):
            break
        count += 1
    return min(count, 1) if count == len(rows) else count


def _document(html: str, *, whole: bool = False) -> etree._Element | None:
    """Parse ``html`` as lxml.html's fragment_fromstring does: a fragment is put in a
    document's body; None for a document that holds nothing.

    Most of a post is prose after its last table, so a fragment is first parsed only up to
    the end of its last table (see :func:`_end_of_tables`); that tree is kept when it shows
    that what follows could not have changed it (:func:`_is_closed_at_end`). ``whole`` reads
    it all (the last table's tail is then part of the tree).
    """
    if _FULL_DOCUMENT.match(html):
        return etree.fromstring(html, _HTML_PARSER)
    end = None if whole else _end_of_tables(html)
    if end is not None:
        root = etree.fromstring(f"<html><body>{html[:end]}</body></html>", _HTML_PARSER)
        if root is not None and _is_closed_at_end(root):
            return root
    return etree.fromstring(f"<html><body>{html}</body></html>", _HTML_PARSER)


def _end_of_tables(html: str) -> int | None:
    """Return the index just past a fragment's last ``</table>``, or None to read it whole:
    when a table tag (in any case) comes later, or when that ``</table>`` may be inside a
    tag's quoted attribute rather than markup (a quote since the last ``<`` before it)."""
    start = html.rfind("</table")
    if start < 0:
        return None
    end = html.find(">", start)
    if end < 0 or _TABLE_TAG.search(html, end):
        return None
    before = html[html.rfind("<", 0, start) : start]
    if ">" not in before or '"' in before or "'" in before:
        return None
    return end + 1


def _is_closed_at_end(root: etree._Element) -> bool:
    """Tell whether a document parsed up to a ``</table>`` ends with that table closed, with
    no table and no heading still open around it.

    libxml2 builds the tree as it reads and never moves a node once it is closed: what
    follows the cut is then only added after that table, into elements that hold neither a
    table nor a heading (a table's context is the heading before it). The elements still
    open at the cut are the last-child chain down to that table: the parent of each is the
    one before it.
    """
    node = root
    while len(node):
        node = node[-1]
        if node.tag in _HEADINGS:
            return False  # an open heading would take in the text after the table
        if node.tag == "table":
            # Closed by the final </table> only if no other table is open inside it.
            return not any(element.tag == "table" for element in _last_children(node))
    return False


def _last_children(element: etree._Element) -> Iterator[etree._Element]:
    while len(element):
        element = element[-1]
        yield element


def _span_of(value: str | None) -> int:
    if value is None:
        return 1
    try:
        return max(1, min(int(value), _SPAN_LIMIT))
    except ValueError:
        return 1


def _table_rows(table: etree._Element) -> Iterator[etree._Element]:
    """Yield the table's own rows in document order: ``./tr | ./thead/tr | ./tbody/tr |
    ./tfoot/tr`` (rows of nested tables belong to those tables)."""
    for child in table:
        tag = child.tag
        if tag == "tr":
            yield child
        elif tag in _ROW_GROUPS:
            for row in child:
                if row.tag == "tr":
                    yield row


def _grid(table: etree._Element) -> list[list[_Cell]]:
    """Return the table's rows as cells, expanding colspan and rowspan.

    Cells of <thead> rows count as header cells even when written as <td>; rows of nested
    tables belong to those tables.
    """
    grid: list[list[_Cell]] = []
    carried: dict[int, tuple[_Cell, int]] = {}  # column -> (cell, rows still to cover)
    for tr in _table_rows(table):
        parent = tr.getparent()
        in_head = parent is not None and parent.tag == "thead"
        row: list[_Cell] = []
        cells = (child for child in tr if child.tag in _CELL_TAGS)
        while True:
            column = len(row)
            if column in carried:
                cell, remaining = carried.pop(column)
                row.append(cell)
                if remaining > 1:
                    carried[column] = (cell, remaining - 1)
                continue
            element = next(cells, None)
            if element is None:
                break
            cell = _Cell(_cell_text(element), in_head or element.tag == "th")
            rowspan = _span_of(element.get("rowspan"))
            for _ in range(_span_of(element.get("colspan"))):
                if rowspan > 1:
                    carried[len(row)] = (cell, rowspan - 1)
                row.append(cell)
        while carried and max(carried) >= len(row):
            # A cell spanning down into a row that ends early still fills its column.
            column = min(c for c in carried if c >= len(row))
            while len(row) < column:
                row.append(_Cell("", False))
            cell, remaining = carried.pop(column)
            row.append(cell)
            if remaining > 1:
                carried[column] = (cell, remaining - 1)
        grid.append(row)
    return grid


def _check_texts(tables: list[etree._Element]) -> None:
    """Raise ValueError, as setting the text of an element does, if a block in a table has
    text that XML cannot hold (a control character): such a post gives no events (the
    spaces that :func:`_cell_text` adds to blocks used to be added to every table first)."""
    for table in tables:
        if next(table.iterancestors("table"), None) is None:  # nested ones are inside
            for element in table.iter(*_BLOCKS):
                element.text = " " + (element.text or "")
                element.tail = " " + (element.tail or "")


def _cell_text(cell: etree._Element) -> str:
    """Return a cell's text, whitespace normalised, a block's boundaries read as spaces."""
    if len(cell) == 0:  # no child: the common cell, its text is all there is
        return " ".join((cell.text or "").split())
    for element in cell.iter(*_BLOCKS):
        # A block starts and ends a line: "a<p>b</p>c" reads "a b c". Spaces added twice (a
        # nested table's cell read again) vanish as whitespace is normalised.
        element.text = " " + (element.text or "")
        element.tail = " " + (element.tail or "")
    return _text_of(cell)


def _text_of(element: etree._Element) -> str:
    value = _STRING_VALUE(element)
    # string() always gives a str (a plain one: smart_strings is off); lxml-stubs type every
    # XPath result as the union of what XPath can return.
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())
