"""Timeline tables: the dated rows of tables in a post's rendered HTML.

A table is a timeline when its header names a date column (``날짜``, ``일시``, ``Date``, ...)
or, lacking such a header, when most cells of its first column read as dates. Each body row
becomes a :class:`TimelineEvent`; a date cell that leaves out its year or month takes them
from the nearest earlier row that has them, else from the post's publication instant (a
cell giving only a time also takes the day of the nearest dated row). Words relative to a
date (``어제``, ``지난 18일``) are anchored to the publication instant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

# lxml ships no type information; its elements are Any to mypy.
from lxml import etree  # type: ignore[import-untyped]

from ._datexpr import DateSpan, PartialDate, Precision, parse

__all__ = ["TimelineEvent", "extract_timeline"]

_DATE_HEADERS = frozenset(
    {
        "날짜", "일자", "일시", "일정", "기간", "시기", "연도", "년도", "시간", "연월일",
        "date", "dates", "when", "time", "year", "period",
    }
)  # fmt: skip

_TABLE = re.compile("<table", re.IGNORECASE)
_PARENTHETICAL = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_HEADER_PUNCTUATION = " :*.#"
_SPAN_LIMIT = 64  # larger colspan/rowspan values are typos or attacks, not layouts
# Elements whose boundaries separate words, though their text is joined without a space.
_BLOCKS = ("br", "p", "div", "li", "ul", "ol", "table", "tr", "td", "th", "h1", "h2", "h3")
_TEXT_SEPARATOR = " — "
# libxml2's HTML parser as lxml.html uses it, without lxml.html's element classes: their
# lookup runs Python code for every element, which cost more than the parse itself.
_HTML_PARSER = etree.HTMLParser(recover=True, no_network=True)
_FULL_DOCUMENT = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)
_STRING_VALUE = etree.XPath("string()", smart_strings=False)
# Compiled once: a path given to .xpath() as a string is compiled again at every call.
_TABLE_ROWS = etree.XPath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
_ROW_CELLS = etree.XPath("./td | ./th")


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
    zone of dates written without one. Tolerates broken HTML and never raises: markup that
    lxml cannot parse yields no events. Rows whose cells are all empty are skipped.
    """
    if not isinstance(html, str) or not _TABLE.search(html):
        return ()
    try:
        root = _document(html)
        if root is None:
            return ()
        tables = list(root.iter("table"))
        # Only the text of table cells is read: blocks outside tables need no spacing.
        for table in tables:
            if next(table.iterancestors("table"), None) is None:  # nested ones are inside
                for element in table.iter(*_BLOCKS):
                    # A block starts and ends a line: "a<p>b</p>c" reads "a b c".
                    element.text = " " + (element.text or "")
                    element.tail = " " + (element.tail or "")
        return tuple(
            event
            for index, table in enumerate(tables)
            for event in _table_events(_grid(table), index, published_at, tz)
        )
    except (etree.LxmlError, ValueError, RecursionError):
        return ()


def _table_events(
    rows: list[list[_Cell]], index: int, published_at: datetime, tz: tzinfo
) -> list[TimelineEvent]:
    found = _find_date_column(rows, published_at, tz)
    if found is None:
        return []
    body, column = found
    events = []
    known = PartialDate()
    for number, row in enumerate(body):
        date_text = row[column].text if column < len(row) else ""
        others = [cell.text for i, cell in enumerate(row) if i != column and cell.text]
        if not date_text and not others:
            continue
        span = parse(date_text, published_at, tz, context=known) if date_text else None
        if span is not None:
            known = _remember(known, span)
        events.append(TimelineEvent(span, _TEXT_SEPARATOR.join(others), date_text, index, number))
    return events


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


def _find_date_column(
    rows: list[list[_Cell]], published_at: datetime, tz: tzinfo
) -> tuple[list[list[_Cell]], int] | None:
    """Return the body rows and the index of the date column, or None if not a timeline."""
    header_count = _header_count(rows)
    for header in rows[:header_count]:
        for i, cell in enumerate(header):
            if _is_date_header(cell.text):
                return rows[header_count:], i
    if header_count == 0 and rows and _is_word_header(rows[0], published_at, tz):
        column = next(i for i, cell in enumerate(rows[0]) if _is_date_header(cell.text))
        return rows[1:], column
    # No header names a date: a table whose first column is mostly dates is a timeline.
    body = rows[header_count:]
    dated = sum(1 for row in body if row and parse(row[0].text, published_at, tz) is not None)
    if body and dated * 2 > len(body):
        return body, 0
    return None


def _header_count(rows: list[list[_Cell]]) -> int:
    """Count the leading header rows: <thead> rows (see _grid) or one first row of <th>."""
    count = 0
    for row in rows:
        if not row or not all(cell.is_header for cell in row):
            break
        count += 1
    return min(count, 1) if count == len(rows) else count


def _is_word_header(row: Sequence[_Cell], published_at: datetime, tz: tzinfo) -> bool:
    """Tell whether a first row of <td> cells is a header: it names a date column, no dates."""
    has_date_word = any(_is_date_header(cell.text) for cell in row)
    return has_date_word and all(parse(cell.text, published_at, tz) is None for cell in row)


def _is_date_header(text: str) -> bool:
    """Return whether a header cell's text names a date column (``날짜``, ``Date (KST)``)."""
    name = _PARENTHETICAL.sub("", text).lower()
    name = "".join(name.split()).strip(_HEADER_PUNCTUATION)
    return name in _DATE_HEADERS or any(
        part.strip(_HEADER_PUNCTUATION) in _DATE_HEADERS for part in re.split("[/·,]", name)
    )


def _document(html: str) -> etree._Element | None:
    """Parse ``html`` as lxml.html's fragment_fromstring does: a fragment is put in a
    document's body; None for a document that holds nothing."""
    if not _FULL_DOCUMENT.match(html):
        html = f"<html><body>{html}</body></html>"
    return etree.fromstring(html, _HTML_PARSER)


def _span_of(cell: etree._Element, name: str) -> int:
    try:
        return max(1, min(int(cell.get(name, "1")), _SPAN_LIMIT))
    except ValueError:
        return 1


def _grid(table: etree._Element) -> list[list[_Cell]]:
    """Return the table's rows as cells, expanding colspan and rowspan.

    Cells of <thead> rows count as header cells even when written as <td>; rows of nested
    tables belong to those tables.
    """
    rows = _TABLE_ROWS(table)
    grid: list[list[_Cell]] = []
    carried: dict[int, tuple[_Cell, int]] = {}  # column -> (cell, rows still to cover)
    for tr in rows:
        in_head = tr.getparent().tag == "thead"
        row: list[_Cell] = []
        cells = iter(_ROW_CELLS(tr))
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
            cell = _Cell(_text_of(element), in_head or element.tag == "th")
            rowspan = _span_of(element, "rowspan")
            for _ in range(_span_of(element, "colspan")):
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


def _text_of(element: etree._Element) -> str:
    return " ".join(_STRING_VALUE(element).split())
