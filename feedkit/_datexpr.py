"""Parse the dates people write into spans of time.

A small grammar of our own, built from named regular expressions, reads ISO 8601 / RFC 3339,
RFC 822 / 2822, dotted and slashed numeric dates, English month names, Korean (``2024년 6월
18일(화) 오후 3시``), ranges (``18-19일``, ``June 18-19``) and words relative to a reference
instant (``어제``, ``지난 18일``, ``3 days ago``). It reads only what it can read without
guessing: vague words (``중순``, ``mid-June``, ``TBD``) and impossible dates yield ``None``.

Parsing happens in two steps. The text is first read into *sides* (what it literally says,
with missing fields left empty), which depend on nothing but the text; then each side is
*resolved* against a reference instant, an optional context (fields inherited from an
earlier row of a table) and a zone. python-dateutil's ``relativedelta`` and the standard
library do the calendar arithmetic and validation.

Readings chosen where text could mean more than one thing:

- ``KST`` (and ``한국시간``) is a fixed +09:00 offset named KST, whatever the default zone.
- Two-digit years pivot as POSIX ``%y`` does: 69-99 are 19xx, 00-68 are 20xx.
- Dots run year.month.day (``6.18`` is June 18); ``a/b`` is month/day or day/month only
  where a number over 12 decides it (``6/7`` is None).
- Hours without a meridiem are on a 24-hour clock (``15:30``, ``15시``, ``0시``), except
  ``N시`` for N in 1-12, which is None unless a meridiem written elsewhere in a range covers
  it (``오후 3시~5시``). ``자정``, ``midnight``, ``밤 12시`` and ``밤 1시`` are None: they may
  belong to either of two days.
- ``지난 18일`` is the latest 18th on or before the reference day, ``오는 5일`` the first 5th
  after it; ``지난 6월`` is the latest June before the reference month, ``오는 7월`` the
  first July after it.
- In a range, fields the right end leaves out come from the left end (``18~19일``), and a
  year written only at the end applies to both (``June 18 - July 2, 2024``). An end that
  would fall before its start moves on by the field it inherited (``12월 30일~1월 2일``
  ends in January of the next year; ``22:00~02:00`` ends the next day).
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

__all__ = ["DateSpan", "PartialDate", "Precision", "parse", "parse_partial"]


class Precision(enum.IntEnum):
    """How finely a date was written, ordered from coarse to fine.

    An hour without minutes (``오후 3시``) is ``MINUTE`` precision with minute 0.
    """

    YEAR = 1
    MONTH = 2
    DAY = 3
    MINUTE = 4
    SECOND = 5


@dataclass(frozen=True)
class DateSpan:
    """The span of time a date expression covers.

    ``start`` and ``end`` are timezone-aware and ``start <= end``. Both are the *start of a
    unit* of ``precision``: ``start`` is the first unit covered and ``end`` the last one, so a
    single date has ``start == end``. ``2000년 7월`` is start = end = 2000-07-01 00:00 at
    ``MONTH``; ``18-19일`` is start 06-18 00:00, end 06-19 00:00 at ``DAY``. The exclusive end
    of the span is therefore ``end`` plus one unit of ``precision``.

    ``warnings`` holds human-readable notes about things the text said that the span cannot
    express, e.g. a weekday that does not match the date, or ``(현지시간)`` (a local time of an
    unnamed place, kept as wall time in the default zone).
    """

    start: datetime
    end: datetime
    precision: Precision
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartialDate:
    """The calendar fields a text gave explicitly, each ``None`` when it did not say.

    Hours are on a 24-hour clock (``오후 3시`` gives hour 15). Also used as the ``context``
    of :func:`parse`: fields to use for the missing coarse parts of a date before falling
    back to the reference instant.
    """

    year: int | None = None
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int | None = None
    second: int | None = None
    microsecond: int | None = None


_Y, _M, _D, _H, _MI, _S, _US = range(7)
_PRECISION_OF = (
    Precision.YEAR,
    Precision.MONTH,
    Precision.DAY,
    Precision.MINUTE,
    Precision.MINUTE,
    Precision.SECOND,
    Precision.SECOND,
)
_LIMITS = ((1, 9999), (1, 12), (1, 31), (0, 23), (0, 59), (0, 59), (0, 999_999))
# Longest month lengths (February in a leap year): enough to reject "6월 31일" without a year.
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_EMPTY: tuple[int | None, ...] = (None,) * 7
_KST = timezone(timedelta(hours=9), "KST")
_LOCAL_TIME = "local time of an unnamed place"
_MAX_LENGTH = 120  # far longer than any date expression; longer cells are prose

Values = tuple[int | None, ...]


class _Side(NamedTuple):
    """One endpoint as written: explicit fields plus how to anchor the missing ones.

    A NamedTuple rather than a dataclass because parsing copies it often (``_replace``).
    """

    values: Values = _EMPTY
    lead: int | None = None  # field of the first number written, names a bare number opposite
    tail: int | None = None  # bare number whose unit the other side of a range decides
    zone: tzinfo | None = None
    is_local: bool = False
    weekday: tuple[int, str] | None = None  # (Monday = 0, as written)
    shift: tuple[int, int] | None = None  # (field, amount) from the reference, e.g. 어제
    direction: int = 0  # -1 지난, +1 오는: the nearest match before or after the reference
    instant: datetime | None = None  # an absolute instant (epoch seconds)
    has_t: bool = False  # ISO "T" separator seen: a following "-hh:mm" is an offset
    meridiem: str | None = None  # 오전, 오후, ..., "am" or "pm", as written
    bare_hour: bool = False  # an hour of 12 or less with no meridiem ("5시" in "오후 3시~5시")
    korean_hour: bool = False  # written "N시", where a bare 1-12 may be morning or afternoon
    week: tuple[int, int] | None = None  # (weeks from the reference's, Monday = 0): 다음 주 월요일

    def is_empty(self) -> bool:
        return (
            self.values == _EMPTY and self.shift is None and self.tail is None and self.week is None
        )


_Expr = tuple[_Side, "_Side | None"]

# ---------------------------------------------------------------------------------------------
# Regular expressions, composed from named pieces. Text is normalised first (NFKC, lower case,
# single spaces), so the pieces only deal with ASCII digits, lower-case words and " ".

_N12 = "[0-9]{1,2}(?![0-9])"
_N4 = "[0-9]{4}(?![0-9])"
_MONTH_NAME = (
    "(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])\.?"
)
_ORDINAL = "(?:st|nd|rd|th)?(?![0-9a-z])"
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_KOREAN_DAYS = "월화수목금토일"
_ENGLISH_DAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY = (
    rf"(?:\((?P<k1>[{_KOREAN_DAYS}])(?:요일)?\)|(?P<k2>[{_KOREAN_DAYS}])요일"
    r"|(?P<p>\()?(?P<e>[a-z]{3,9})\.?(?(p)\))(?![a-z]))"
)

_ISO = rf"(?P<y>{_N4})-(?P<m>{_N12})(?:-(?P<d>{_N12}))?"
_ISO_BASIC = "(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})(?![0-9])"
_YMD_SLASH = rf"(?P<y>{_N4})/(?P<m>{_N12})(?:/(?P<d>{_N12}))?"
_YMD_DOT = rf"(?P<y>{_N4})\. ?(?P<m>{_N12})(?:\. ?(?P<d>{_N12}))?\.?"
_YMD_DOT_SHORT = rf"'(?P<y>[0-9]{{2}})\. ?(?P<m>{_N12})(?:\. ?(?P<d>{_N12}))?\.?"
# "24.06.18" / "24. 6. 18.": a two-digit year needs all three fields, written zero-padded
# or with the closing dot, so that a version number ("1.2.3") is not read as a date.
_YMD_DOT_YY = (
    r"(?P<y>[0-9]{2})\.(?:(?P<m>[0-9]{2})\.(?P<d>[0-9]{2})(?![0-9.])"
    rf"| (?P<m2>{_N12})\. (?P<d2>{_N12})\.)"
)
_DMY_DOT = rf"(?P<d>{_N12})\.(?P<m>{_N12})\.(?P<y>{_N4})"
_MD_DOT = rf"(?P<m>{_N12})\. ?(?P<d>{_N12})\.?"
_AB_SLASH = rf"(?P<a>{_N12})/(?P<b>{_N12})(?:/(?P<y>{_N4}))?"
_KOREAN = (
    rf"(?:'?(?P<y>[0-9]{{4}}|[0-9]{{2}}) ?년(?:도)? ?)?(?:(?P<m>{_N12}) ?월 ?)?"
    rf"(?:(?P<d>{_N12}) ?일(?!요))?"
)
_ENGLISH_MDY = rf"{_MONTH_NAME}(?: ?(?P<d>[0-9]{{1,2}}){_ORDINAL})?(?:,? (?P<y>{_N4}))?"
_ENGLISH_DMY = rf"(?P<d>[0-9]{{1,2}}){_ORDINAL} (?:of )?{_MONTH_NAME}(?:,? (?P<y>{_N4}))?"
_YEAR = rf"(?P<y>{_N4})"

_DAY_WORDS = {
    "오늘": 0, "금일": 0, "어제": -1, "어저께": -1, "작일": -1, "내일": 1, "명일": 1,
    "그제": -2, "그저께": -2, "모레": 2, "글피": 3, "today": 0, "yesterday": -1,
    "tomorrow": 1, "the day before yesterday": -2, "day before yesterday": -2,
    "the day after tomorrow": 2, "day after tomorrow": 2,
}  # fmt: skip
_MONTH_WORDS = {
    "지난달": -1, "지난 달": -1, "저번달": -1, "저번 달": -1, "이번달": 0, "이번 달": 0,
    "이달": 0, "금월": 0, "다음달": 1, "다음 달": 1, "내달": 1, "last month": -1,
    "this month": 0, "next month": 1,
}  # fmt: skip
_YEAR_WORDS = {
    "재작년": -2, "작년": -1, "지난해": -1, "지난 해": -1, "올해": 0, "금년": 0, "내년": 1,
    "명년": 1, "다음 해": 1, "다음해": 1, "내후년": 2, "last year": -1, "this year": 0,
    "next year": 1,
}  # fmt: skip
_NATIVE_DAYS = {
    "하루": 1, "이틀": 2, "사흘": 3, "나흘": 4, "닷새": 5, "엿새": 6, "이레": 7, "여드레": 8,
    "아흐레": 9, "열흘": 10, "일주일": 7,
}  # fmt: skip
_NATIVE_COUNTS = {"한": 1, "두": 2, "세": 3, "네": 4}
_ENGLISH_COUNTS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_KOREAN_UNITS = {"일": (_D, 1), "주": (_D, 7), "주일": (_D, 7), "개월": (_M, 1), "달": (_M, 1),
                 "년": (_Y, 1), "해": (_Y, 1), "시간": (_H, 1), "분": (_MI, 1)}  # fmt: skip
_ENGLISH_UNITS = {"day": (_D, 1), "week": (_D, 7), "month": (_M, 1), "year": (_Y, 1),
                  "hour": (_H, 1), "minute": (_MI, 1)}  # fmt: skip


def _alternatives(words: dict[str, int]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_REL_DAY = rf"(?P<w>{_alternatives(_DAY_WORDS)})"
_REL_COUNT = (
    r"(?:(?P<n>[0-9]{1,4}) ?(?P<u>주일|개월|시간|[일주달년해분])"
    rf"|(?P<nat>{_alternatives(_NATIVE_DAYS)})"
    rf"|(?P<kn>{_alternatives(_NATIVE_COUNTS)}) ?(?P<ku>달|주|해|시간)) ?(?P<dir>전|후|뒤)"
    rf"|(?P<en>[0-9]{{1,4}}|{_alternatives(_ENGLISH_COUNTS)}) "
    r"(?P<eu>day|week|month|year|hour|minute)s? ago"
    rf"|in (?P<in>[0-9]{{1,4}}|{_alternatives(_ENGLISH_COUNTS)}) "
    r"(?P<iu>day|week|month|year|hour|minute)s?(?![a-z])"
)
_REL_MONTH_YEAR = (
    rf"(?:(?P<mw>{_alternatives(_MONTH_WORDS)})|(?P<yw>{_alternatives(_YEAR_WORDS)}))"
    rf"(?: ?(?P<m>{_N12}) ?월)?(?: ?(?P<d>{_N12}) ?일(?!요))?"
)
_REL_WEEK = (
    r"(?P<wk>이번 ?주|금주|다음 ?주|차주|담주|지난 ?주|저번 ?주) ?"
    rf"(?P<wd>[{_KOREAN_DAYS}])요일"
)
_WEEK_WORDS = {"이번": 0, "금주": 0, "다음": 1, "차주": 1, "담주": 1, "지난": -1, "저번": -1}
_DIRECTION = (
    rf"(?:(?P<kdir>지난|오는|다가오는|돌아오는) ?(?:(?P<m>{_N12}) ?월)?"
    rf"(?: ?(?P<d>{_N12}) ?일(?!요))?|(?P<edir>last|next|this) {_MONTH_NAME}"
    rf"(?: ?(?P<ed>[0-9]{{1,2}}){_ORDINAL})?)"
)

_TIME = re.compile(
    r"(?:(?P<t>t)|,? ?(?:at )?)(?:(?P<mer>오전|오후|새벽|아침|낮|저녁|밤) ?)?(?:"
    rf"(?P<kh>{_N12}) ?시(?!간)(?: ?(?P<kmi>{_N12}) ?분| ?(?P<half>반))?(?: ?(?P<ks>{_N12}) ?초)?"
    rf"|(?P<h>{_N12}):(?P<mi>[0-9]{{2}}(?![0-9]))"
    r"(?::(?P<s>[0-9]{2}(?![0-9]))(?:[.,](?P<f>[0-9]{1,9})(?![0-9]))?)?"
    r"(?: ?(?P<ap>[ap])\.?m\.?(?![a-z]))?"
    rf"|(?P<h12>{_N12}) ?(?P<ap2>[ap])\.?m\.?(?![a-z])"
    r"|(?P<noon>정오|noon)(?![a-z]))"
)
# RFC 822 section 5.1 names the US zones; KST and JST are fixed +09:00 (no DST since 1988/1951).
_ZONE_NAMES: dict[str, tzinfo] = {
    "z": UTC, "ut": UTC, "utc": UTC, "gmt": UTC,
    "kst": _KST, "한국시간": _KST, "한국시각": _KST, "서울시간": _KST,
    "jst": timezone(timedelta(hours=9), "JST"),
    "est": timezone(timedelta(hours=-5), "EST"), "edt": timezone(timedelta(hours=-4), "EDT"),
    "cst": timezone(timedelta(hours=-6), "CST"), "cdt": timezone(timedelta(hours=-5), "CDT"),
    "mst": timezone(timedelta(hours=-7), "MST"), "mdt": timezone(timedelta(hours=-6), "MDT"),
    "pst": timezone(timedelta(hours=-8), "PST"), "pdt": timezone(timedelta(hours=-7), "PDT"),
}  # fmt: skip
# Generic US zone names follow daylight saving time; they are read only after a clock time.
_US_ZONES = {
    "et": "America/New_York", "ct": "America/Chicago", "mt": "America/Denver",
    "pt": "America/Los_Angeles", "akst": "America/Anchorage", "akdt": "America/Anchorage",
    "hst": "Pacific/Honolulu",
}  # fmt: skip
# Korean news names the zone of a local time by its place: "뉴욕 현지시간", "미국 동부시간".
_PLACE_ZONES = {
    "미국 동부": "America/New_York", "미 동부": "America/New_York", "동부": "America/New_York",
    "뉴욕": "America/New_York", "워싱턴": "America/New_York", "미국 서부": "America/Los_Angeles",
    "미 서부": "America/Los_Angeles", "서부": "America/Los_Angeles",
    "로스앤젤레스": "America/Los_Angeles", "샌프란시스코": "America/Los_Angeles",
    "미국 중부": "America/Chicago", "중부": "America/Chicago", "일본": "Asia/Tokyo",
    "도쿄": "Asia/Tokyo", "중국": "Asia/Shanghai", "베이징": "Asia/Shanghai",
    "영국": "Europe/London", "런던": "Europe/London", "프랑스": "Europe/Paris",
    "파리": "Europe/Paris", "독일": "Europe/Berlin", "베를린": "Europe/Berlin",
}  # fmt: skip
_PLACE = _alternatives({name: 0 for name in _PLACE_ZONES})
_ZONE = re.compile(
    r"(?P<sp> ?)(?:(?P<name>z|ut|utc|gmt|kst|jst|[ecmp][sd]t)(?![a-z])"
    r"(?:(?P<sign>[+-])(?P<oh>[0-9]{1,2})(?::?(?P<om>[0-9]{2}))?(?![0-9]))?"
    r"|(?P<sign2>[+-])(?P<oh2>[0-9]{2})(?P<colon>:?)(?P<om2>[0-9]{2})?(?![0-9])"
    r"|(?P<lp>\()?(?P<word>한국 ?시간|한국 ?시각|서울 ?시간|kst|utc|gmt)(?(lp)\))"
    rf"|(?P<pp>\()?(?P<place>{_PLACE}) ?(?:현지 ?)?시[간각](?(pp)\))"
    r"|(?P<us>et|ct|mt|pt|akst|akdt|hst)(?![a-z])"
    r"|(?P<local>\(현지 ?시[간각]\)|현지 ?시[간각]|\(local time\)|local time(?![a-z])))"
)
# A zone written before the date or time it qualifies: "한국시간 오전 11시 47분".
_ZONE_PREFIX = re.compile(
    r"(?:\(?(?P<word>한국 ?시[간각]|서울 ?시간|kst)\)?"
    rf"|\(?(?P<place>{_PLACE}) ?(?:현지 ?)?시[간각]\)?"
    r"|(?P<local>\(?현지 ?시[간각]\)?)) ?"
)
# Words after a date that keep it: particles (18일에, 18일부터) and approximations of a
# time (3시쯤). "부터"/"까지" on a single date still name that date; an approximate clock time
# is read as written, but "6월경" or "mid-June" stays vague (None).
_PARTICLE = re.compile(
    r" ?(?P<approx>쯤|경|께|무렵|즈음)?(?:에는|에도|에|부터|까지는|까지|의|에서)?"
    # A day count after a date, "6/12 (D3)", as timelines of a launch write it.
    r"(?: ?\((?:예정|잠정|추정|tentative|planned|estimated|approx\.?|tbc|d ?[+-]? ?[0-9]{1,3})\))?"
)
_WEEKDAY_SUFFIX = re.compile(rf" ?,? ?{_WEEKDAY}")
_WEEKDAY_PREFIX = re.compile(rf"{_WEEKDAY},? ?")
_TAIL = re.compile(
    "(?P<sp> ?)(?:(?P<mer>오전|오후|새벽|아침|낮|저녁|밤) ?)?(?P<n>[0-9]{1,4})(?![0-9])"
    "(?:,? (?P<y>[0-9]{4})(?![0-9]))?"
)
_SEP = re.compile(
    r" ?(?:~|-|·|부터|에서|(?:to|until|till|through|thru)(?![a-z])) ?"
)  # en/em dashes and wave dashes are mapped to "~" by _normalise
_RIGHT_END = _PARTICLE
_FROM = re.compile("from ")
_EPOCH = re.compile(r"[0-9]{9,11}(?:\.[0-9]{1,9})?")

_DASHES = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-",
        "\u2013": "~", "\u2014": "~", "\u2015": "~", "\u301c": "~", "\u223c": "~",
        "\u2018": "'", "\u2019": "'", "\u00b4": "'",
        # Weekdays in hanja, "6월 18일(火)"; NFKC turns "㈫" into "(火)" first.
        "月": "월", "火": "화", "水": "수", "木": "목", "金": "금", "土": "토", "日": "일",
        "年": "년",
        # Middle dots join days into a range, "18·19일"; all are read as U+00B7.
        "\u318d": "\u00b7", "\u119e": "\u00b7", "\u30fb": "\u00b7", "\u2027": "\u00b7",
        "\u2022": "\u00b7",
    }
)  # fmt: skip


def _normalise(text: str) -> str:
    if not text.isascii():
        # NFKC turns full-width digits and tildes (２０２４, ～) into ASCII.
        text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return " ".join(text.lower().split())


# ---------------------------------------------------------------------------------------------
# Reading sides.


def _year_of(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # POSIX strptime's %y pivot: 69-99 are 19xx, 00-68 are 20xx.
        year += 1900 if year >= 69 else 2000
    return year


def _is_valid(index: int, value: int) -> bool:
    low, high = _LIMITS[index]
    return low <= value <= high


def _with(values: Values, updates: dict[int, int]) -> Values | None:
    """Return ``values`` with ``updates`` set, or None on a conflict or out-of-range field."""
    new = list(values)
    for index, value in updates.items():
        if new[index] is not None or not _is_valid(index, value):
            return None
        new[index] = value
    month, day = new[_M], new[_D]
    if month is not None and day is not None and day > _MONTH_DAYS[month - 1]:
        return None
    return tuple(new)


def _side_of(
    updates: dict[int, int],
    lead: int | None,
    *,
    shift: tuple[int, int] | None = None,
    direction: int = 0,
) -> _Side | None:
    values = _with(_EMPTY, updates)
    if values is None:
        return None
    return _Side(values=values, lead=lead, shift=shift, direction=direction)


def _fields_match(m: re.Match[str]) -> _Side | None:
    """Build a side from the groups y, m or mon, d of a numeric or named-month date."""
    groups = m.groupdict()
    updates: dict[int, int] = {}
    starts: dict[int, int] = {}
    for name, index in (("y", _Y), ("m", _M), ("mon", _M), ("d", _D)):
        text = groups.get(name)
        if text is None:
            continue
        if name == "y":
            updates[index] = _year_of(text.lstrip("'"))
        elif name == "mon":
            updates[index] = _MONTHS[text[:3]]
        else:
            updates[index] = int(text)
        starts[index] = m.start(name)
    if not updates:
        return None
    return _side_of(updates, min(starts, key=starts.__getitem__))


def _short_year_match(m: re.Match[str]) -> _Side | None:
    updates = {_Y: _year_of(m["y"]), _M: int(m["m"])}
    if m["d"] is not None:
        updates[_D] = int(m["d"])
    return _side_of(updates, _Y)


def _slash_match(m: re.Match[str]) -> _Side | None:
    """Read a/b[/yyyy] as month/day or day/month only where the numbers decide it."""
    a, b = int(m["a"]), int(m["b"])
    if a > 12 >= b:
        updates, lead = {_D: a, _M: b}, _D
    elif b > 12 >= a or a == b:
        updates, lead = {_M: a, _D: b}, _M
    else:
        return None  # 6/7 is June 7 in Seoul and 6 July in London
    if m["y"] is not None:
        updates[_Y] = int(m["y"])
    return _side_of(updates, lead)


def _yy_dot_match(m: re.Match[str]) -> _Side | None:
    month, day = m["m"] or m["m2"], m["d"] or m["d2"]
    return _side_of({_Y: _year_of(m["y"]), _M: int(month), _D: int(day)}, _Y)


def _week_match(m: re.Match[str]) -> _Side | None:
    weeks = _WEEK_WORDS[m["wk"].replace(" ", "").removesuffix("주") or "금주"]
    return _Side(week=(weeks, _KOREAN_DAYS.index(m["wd"])), lead=_D)


def _day_word_match(m: re.Match[str]) -> _Side | None:
    return _Side(shift=(_D, _DAY_WORDS[m["w"]]))


def _count(text: str) -> int:
    return int(text) if text.isdigit() else _ENGLISH_COUNTS[text]


def _count_match(m: re.Match[str]) -> _Side | None:
    if m["u"] is not None:
        (unit, size), amount = _KOREAN_UNITS[m["u"]], int(m["n"])
    elif m["nat"] is not None:
        (unit, size), amount = (_D, 1), _NATIVE_DAYS[m["nat"]]
    elif m["kn"] is not None:
        (unit, size), amount = _KOREAN_UNITS[m["ku"]], _NATIVE_COUNTS[m["kn"]]
    elif m["en"] is not None:
        (unit, size), amount = _ENGLISH_UNITS[m["eu"]], -_count(m["en"])
    else:
        (unit, size), amount = _ENGLISH_UNITS[m["iu"]], _count(m["in"])
    if m["dir"] == "전":
        amount = -amount
    return _Side(shift=(unit, amount * size))


def _month_year_word_match(m: re.Match[str]) -> _Side | None:
    updates: dict[int, int] = {}
    if m["m"] is not None:
        if m["mw"] is not None:
            return None  # "지난달 7월" names the month twice
        updates[_M] = int(m["m"])
    if m["d"] is not None:
        updates[_D] = int(m["d"])
    month_word, year_word = m["mw"], m["yw"]
    shift = (_M, _MONTH_WORDS[month_word]) if month_word else (_Y, _YEAR_WORDS[year_word])
    return _side_of(updates, None, shift=shift)


def _direction_match(m: re.Match[str]) -> _Side | None:
    updates: dict[int, int] = {}
    if m["kdir"] is not None:
        direction = -1 if m["kdir"] == "지난" else 1
        if m["m"] is not None:
            updates[_M] = int(m["m"])
        if m["d"] is not None:
            updates[_D] = int(m["d"])
        if not updates:
            return None
    else:
        updates[_M] = _MONTHS[m["mon"][:3]]
        if m["ed"] is not None:
            updates[_D] = int(m["ed"])
        if m["edir"] == "this":
            return _side_of(updates, None, shift=(_Y, 0))
        direction = -1 if m["edir"] == "last" else 1
    return _side_of(updates, None, direction=direction)


_DIGIT_CORES = tuple(
    (re.compile(pattern), build)
    for pattern, build in (
        (_ISO, _fields_match),
        (_KOREAN, _fields_match),
        (_YMD_DOT, _fields_match),
        (_YMD_SLASH, _fields_match),
        (_YMD_DOT_YY, _yy_dot_match),
        (_ISO_BASIC, _fields_match),
        (_DMY_DOT, _fields_match),
        (_MD_DOT, _fields_match),
        (_AB_SLASH, _slash_match),
        (_ENGLISH_DMY, _fields_match),
        (_YEAR, _fields_match),
        (_REL_COUNT, _count_match),
    )
)
_QUOTE_CORES = tuple(
    (re.compile(pattern), build)
    for pattern, build in ((_KOREAN, _fields_match), (_YMD_DOT_SHORT, _short_year_match))
)
_WORD_CORES = tuple(
    (re.compile(pattern), build)
    for pattern, build in (
        (_ENGLISH_MDY, _fields_match),
        (_REL_DAY, _day_word_match),
        (_REL_WEEK, _week_match),
        (_REL_COUNT, _count_match),
        (_REL_MONTH_YEAR, _month_year_word_match),
        (_DIRECTION, _direction_match),
    )
)


def _weekday_of(m: re.Match[str]) -> tuple[int, str] | None:
    korean = m["k1"] or m["k2"]
    if korean is not None:
        return _KOREAN_DAYS.index(korean), m.group().strip(" ,")
    day = _ENGLISH_DAYS.get(m["e"])
    return None if day is None else (day, m.group().strip(" ,"))


def _hour_of(meridiem: str | None, hour: int) -> int | None:
    """Return the 24-hour hour for an hour and its meridiem, or None when they are ambiguous.

    Unmarked hours are on a 24-hour clock (15:30, 15시); _resolve_side rejects "3시".
    """
    if meridiem is None:
        return hour
    if meridiem in ("am", "pm"):
        return hour % 12 + (12 if meridiem == "pm" else 0) if 1 <= hour <= 12 else None
    if meridiem == "오전":
        return hour % 12 if hour <= 12 else None
    if meridiem == "오후":
        return hour % 12 + 12 if 1 <= hour <= 12 else None
    if meridiem == "새벽":
        return hour if hour <= 6 else None
    if meridiem == "아침":
        return hour if 5 <= hour <= 11 else None
    if meridiem == "낮":
        return hour if hour in (11, 12) else (hour + 12 if 1 <= hour <= 5 else None)
    if meridiem == "저녁":
        return hour + 12 if 5 <= hour <= 11 else None
    # 밤: "밤 12시" and "밤 1시" may belong to either calendar day, so only 6-11 pm are read.
    return hour + 12 if 6 <= hour <= 11 else None


def _time_step(s: str, pos: int, side: _Side) -> tuple[_Side, int] | None:
    if side.values[_H] is not None or (side.shift is not None and side.shift[0] != _D):
        return None
    m = _TIME.match(s, pos)
    if m is None:
        return None
    meridiem, minute, second, fraction = m["mer"], None, None, None
    am_pm = m["ap"] or m["ap2"]
    if am_pm is not None:
        if meridiem is not None:
            return None
        meridiem = am_pm + "m"
    if m["kh"] is not None:
        written = int(m["kh"])
        minute = 30 if m["half"] else (None if m["kmi"] is None else int(m["kmi"]))
        second = None if m["ks"] is None else int(m["ks"])
    elif m["h"] is not None or m["h12"] is not None:
        written = int(m["h"] or m["h12"])
        minute = int(m["mi"]) if m["mi"] else None
        second = None if m["s"] is None else int(m["s"])
        fraction = m["f"]
    else:
        if meridiem is not None:
            return None
        written, minute = 12, 0
    hour = _hour_of(meridiem, written)
    if hour is None:
        return None
    updates = {_H: hour}
    if minute is not None:
        updates[_MI] = minute
    if second is not None:
        updates[_S] = second
    if fraction is not None:
        updates[_US] = int(fraction[:6].ljust(6, "0"))
    values = _with(side.values, updates)
    if values is None:
        return None
    return side._replace(
        values=values,
        lead=side.lead if side.lead is not None else _H,
        has_t=m["t"] is not None,
        meridiem=meridiem,
        bare_hour=meridiem is None and m["noon"] is None and written <= 12,
        korean_hour=m["kh"] is not None,
    ), m.end()


def _zone_step(s: str, pos: int, side: _Side) -> tuple[_Side, int] | None:
    m = _ZONE.match(s, pos)
    if m is None:
        return None
    if m["local"] is not None:
        return side._replace(is_local=True), m.end()
    if m["place"] is not None:
        return side._replace(zone=_named_zone(_PLACE_ZONES[m["place"]])), m.end()
    if m["us"] is not None:
        if side.values[_H] is None:
            return None  # "June 18 et" is not a zone; "3:30 p.m. ET" is
        return side._replace(zone=_named_zone(_US_ZONES[m["us"]])), m.end()
    if m["name"] is not None or m["word"] is not None:
        zone = _ZONE_NAMES[(m["name"] or m["word"]).replace(" ", "")]
        sign, hours, minutes = m["sign"], m["oh"], m["om"]
        if sign is None:
            return side._replace(zone=zone), m.end()
    else:
        sign, hours, minutes = m["sign2"], m["oh2"], m["om2"]
        if sign == "-" and not (
            side.has_t
            or side.values[_S] is not None
            or (m["sp"] and not m["colon"] and minutes is not None)
        ):
            return None  # "10:00-12:00" is a range of times, not an offset of -12:00
        if side.values[_H] is None:
            return None  # a bare "-05" after a date is not an offset
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if offset >= timedelta(hours=24) or int(minutes or 0) > 59:
        return None
    return side._replace(zone=timezone(-offset if sign == "-" else offset)), m.end()


@lru_cache(maxsize=32)
def _named_zone(key: str) -> tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(key)


def _zone_prefix(s: str, pos: int) -> tuple[_Side, int] | None:
    """Read a zone written before what it qualifies ("한국시간 오전 11시", "현지시간 18일")."""
    m = _ZONE_PREFIX.match(s, pos)
    if m is None:
        return None
    if m["local"] is not None:
        return _Side(is_local=True), m.end()
    if m["place"] is not None:
        return _Side(zone=_named_zone(_PLACE_ZONES[m["place"]])), m.end()
    return _Side(zone=_ZONE_NAMES[m["word"].replace(" ", "")]), m.end()


_TIME_FIRST_JOIN = re.compile(",? (?:on )?")


def _time_first(s: str, pos: int) -> tuple[_Side, int] | None:
    """Read a clock time (and zone) written before its date: "3:30 PM EDT, June 18, 2024"."""
    if not s[pos : pos + 1].isdigit():
        return None
    timed = _time_step(s, pos, _Side())
    if timed is None or timed[0].korean_hour:
        return None
    side, end = timed
    zoned = _zone_step(s, end, side)
    if zoned is not None:
        side, end = zoned
    join = _TIME_FIRST_JOIN.match(s, end)
    return None if join is None else (side, join.end())


def _with_prefix(core: _Side, prefix: _Side) -> _Side | None:
    """Merge a zone or time read before a date into the date's side."""
    updates = {i: v for i, v in enumerate(prefix.values) if v is not None}
    values = _with(core.values, updates) if updates else core.values
    if values is None or (updates and (core.shift is not None and core.shift[0] != _D)):
        return None
    return core._replace(
        values=values,
        zone=prefix.zone if prefix.zone is not None else core.zone,
        is_local=prefix.is_local or core.is_local,
        meridiem=prefix.meridiem if updates else core.meridiem,
    )


def _weekday_step(s: str, pos: int, side: _Side) -> tuple[_Side, int] | None:
    if side.weekday is not None:
        return None
    m = _WEEKDAY_SUFFIX.match(s, pos)
    weekday = None if m is None else _weekday_of(m)
    if m is None or weekday is None:
        return None
    return side._replace(weekday=weekday), m.end()


_STEPS = (_weekday_step, _time_step, _zone_step, _weekday_step)


def _suffixes(s: str, pos: int, side: _Side, step: int = 0) -> Iterator[tuple[_Side, int]]:
    """Yield the side extended by each combination of optional suffixes, longest first."""
    if step == len(_STEPS):
        yield side, pos
        return
    extended = _STEPS[step](s, pos, side)
    if extended is not None:
        yield from _suffixes(s, extended[1], extended[0], step + 1)
    yield from _suffixes(s, pos, side, step + 1)


def _cores(s: str, pos: int) -> Iterator[tuple[_Side, int]]:
    """Yield every date core that can start at ``pos``, then the empty core."""
    first = s[pos : pos + 1]
    cores = _DIGIT_CORES if first.isdigit() else _QUOTE_CORES if first == "'" else _WORD_CORES
    for pattern, build in cores:
        m = pattern.match(s, pos)
        if m is not None and m.end() > pos:
            core = build(m)
            if core is not None:
                yield core, m.end()
    yield _Side(), pos


def _sides(s: str, pos: int, *, is_left: bool) -> Iterator[tuple[_Side, int]]:
    """Yield each way to read one endpoint starting at ``pos``, with where it stops."""
    starts: list[tuple[tuple[int, str] | None, int]] = [(None, pos)]
    m = _WEEKDAY_PREFIX.match(s, pos)
    weekday = None if m is None else _weekday_of(m)
    if m is not None and weekday is not None:
        starts.insert(0, (weekday, m.end()))
    prefix: _Side | None = None
    found = _zone_prefix(s, pos)
    if found is None:
        found = _time_first(s, pos)
    if found is not None:
        prefix = found[0]
        starts = [(None, found[1])]
    for weekday, start in starts:
        for core, end in _cores(s, start):
            core = core if weekday is None else core._replace(weekday=weekday)
            if prefix is not None:
                merged = _with_prefix(core, prefix)
                if merged is None:
                    continue
                core = merged
            for side, stop in _suffixes(s, end, core):
                if not side.is_empty():
                    yield side, stop
                tail = _tail(s, stop, side, is_left=is_left)
                if tail is not None:
                    yield tail


def _tail(s: str, pos: int, side: _Side, *, is_left: bool) -> tuple[_Side, int] | None:
    """Read a bare number whose unit comes from the other side of a range ("18-19일")."""
    m = _TAIL.match(s, pos)
    if m is None or (pos > 0 and not m["sp"] and s[pos - 1].isdigit()):
        return None
    if side.shift is not None or side.direction or side.zone is not None or side.week:
        return None
    if is_left:
        if m["y"] is not None or not _SEP.match(s, m.end()):
            return None
        return side._replace(tail=int(m["n"]), meridiem=m["mer"]), m.end()
    if not side.is_empty() or side.weekday is not None or m["mer"] is not None:
        return None  # a right side is all bare number ("June 18-19") or none of it
    values = _EMPTY if m["y"] is None else _with(_EMPTY, {_Y: int(m["y"])})
    if values is None:
        return None
    return _Side(values=values, tail=int(m["n"])), m.end()


def _finest(values: Values) -> int | None:
    for i in range(6, -1, -1):
        if values[i] is not None:
            return i
    return None


def _coarsest(values: Values) -> int | None:
    for i in range(7):
        if values[i] is not None:
            return i
    return None


def _place_tail(side: _Side, unit: int | None, other: _Side) -> _Side | None:
    """Give a side's bare number the unit the other side names."""
    if unit is None or unit > _H or side.tail is None:
        return None
    finest = _finest(side.values)
    if finest is not None and unit <= finest:
        return None
    value: int | None = side.tail
    bare_hour = False
    other_year = other.values[_Y]
    if unit == _Y and side.tail < 100 and other_year is not None:
        # "2023-24": a two-digit end year continues the century of the start.
        value = side.tail + other_year // 100 * 100
        if value < other_year:
            value += 100
    elif unit == _H:
        value = _hour_of(side.meridiem, side.tail)
        bare_hour = side.meridiem is None and side.tail <= 12
    elif side.meridiem is not None:
        return None
    values = None if value is None else _with(side.values, {unit: value})
    if values is None:
        return None
    lead = side.lead if side.lead is not None else unit
    return side._replace(
        values=values,
        tail=None,
        lead=lead,
        bare_hour=bare_hour,
        korean_hour=unit == _H and other.korean_hour,
    )


def _with_meridiem(side: _Side, meridiem: str) -> tuple[_Side, int] | None:
    """Return the side with its bare hour read under ``meridiem``, and that hour."""
    hour = side.values[_H]
    hour = None if hour is None else _hour_of(meridiem, hour)
    if hour is None:
        return None
    values = (*side.values[:_H], hour, *side.values[_MI:])
    return side._replace(values=values, meridiem=meridiem, bare_hour=False), hour


def _share_meridiem(left: _Side, right: _Side) -> tuple[_Side, _Side]:
    """Let a meridiem written once cover both times of a day: "오후 3시~5시", "3-5 pm".

    Only where the right end names no date and the times stay in order, so "10-2 pm"
    keeps 10 in the morning.
    """
    start, end = left.values[_H], right.values[_H]
    if start is None or end is None or right.values[:_H] != (None, None, None):
        return left, right
    if left.meridiem is not None and right.bare_hour:
        moved = _with_meridiem(right, left.meridiem)
        if moved is not None and moved[1] >= start:
            return left, moved[0]
    if right.meridiem is not None and left.bare_hour:
        moved = _with_meridiem(left, right.meridiem)
        if moved is not None and moved[1] <= end:
            return moved[0], right
    return left, right


def _pair(left: _Side, right: _Side) -> _Expr | None:
    if left.tail is not None and right.tail is not None:
        return None
    if left.tail is not None:
        placed = _place_tail(left, right.lead, right)
        if placed is None:
            return None
        left = placed
    if right.tail is not None:
        placed = _place_tail(right, _finest(left.values), left)
        if placed is None:
            return None
        right = placed
    return _share_meridiem(left, right)


def _is_closing(closing: re.Match[str] | None, side: _Side, length: int) -> bool:
    """Tell whether the particles matched end the text, approximating only a clock time."""
    if closing is None or closing.end() != length:
        return False
    return closing["approx"] is None or side.values[_H] is not None


def _read(text: str) -> _Expr | None:
    """Read ``text`` into one side or two (a range), or None if it is not a date expression."""
    # Checked before normalising, which costs time in proportion to the length.
    return None if len(text) > 4 * _MAX_LENGTH else _read_short(text)


# Table cells repeat across posts ("미정", "2024년"), and reading does not depend on the
# reference, so the result of reading (immutable tuples) is cached.
@lru_cache(maxsize=4096)
def _read_short(text: str) -> _Expr | None:
    s = _normalise(text)
    if not s or len(s) > _MAX_LENGTH:
        return None
    if _EPOCH.fullmatch(s):
        return _Side(instant=datetime.fromtimestamp(float(s), UTC)), None
    m = _FROM.match(s)
    pos = 0 if m is None else m.end()
    for left, stop in _sides(s, pos, is_left=True):
        closing = _PARTICLE.match(s, stop)
        if _is_closing(closing, left, len(s)):
            if m is None and left.tail is None:
                return left, None
            if stop == len(s):
                continue
        sep = _SEP.match(s, stop)
        if sep is None:
            continue
        for right, end in _sides(s, sep.end(), is_left=False):
            closing = _RIGHT_END.match(s, end)
            if _is_closing(closing, right, len(s)):
                pair = _pair(left, right)
                if pair is not None:
                    return pair
    return None


# ---------------------------------------------------------------------------------------------
# Resolving sides against a reference.


def _shifted(ref: datetime, unit: int, amount: int) -> datetime:
    if unit == _Y:
        return ref + relativedelta(years=amount)
    if unit == _M:
        return ref + relativedelta(months=amount)
    if unit == _D:
        return ref + relativedelta(days=amount)
    # Hours and minutes count elapsed time, so they are added to the absolute instant.
    delta = timedelta(hours=amount) if unit == _H else timedelta(minutes=amount)
    return (ref.astimezone(UTC) + delta).astimezone(ref.tzinfo)


def _fields(dt: datetime) -> tuple[int, ...]:
    return (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond)


def _build(values: Values, zone: tzinfo) -> datetime | None:
    y, m, d, h, mi, s, us = values
    try:
        return datetime(y or 0, m or 1, d or 1, h or 0, mi or 0, s or 0, us or 0, tzinfo=zone)
    except (ValueError, OverflowError):
        return None


def _direct(values: Values, ref: datetime, direction: int) -> Values | None:
    """Fill the year (and month) of "지난 18일" / "오는 7월" with the nearest match."""
    coarsest = _coarsest(values)
    if coarsest not in (_M, _D):
        return None
    month = values[_M]
    y, m = ref.year, ref.month if month is None else month
    wanted = coarsest + 1
    reference = _fields(ref)[:wanted]
    for _ in range(100):
        filled = (y, m, *values[_D:])
        if _build(filled, UTC) is not None:
            key = filled[:wanted]
            # "지난 18일" may be today; "지난 6월" said in June means last year's.
            if direction > 0:
                found = key > reference
            else:
                found = key < reference or (key == reference and coarsest == _D)
            if found:
                return filled
        if coarsest == _D:
            y, m = divmod(y * 12 + m - 1 + direction, 12)
            m += 1
        else:
            y += direction
        if not 1 <= y <= 9999:
            return None
    return None


def _values_of(partial: PartialDate) -> Values:
    return (
        partial.year,
        partial.month,
        partial.day,
        partial.hour,
        partial.minute,
        partial.second,
        partial.microsecond,
    )


# How many leading fields a resolved datetime of each precision has meaningfully.
_FIELD_COUNT = {
    Precision.YEAR: 1,
    Precision.MONTH: 2,
    Precision.DAY: 3,
    Precision.MINUTE: 5,
    Precision.SECOND: 7,
}


def _fill(side: _Side, ref: datetime, context: PartialDate | None) -> Values | None:
    """Return the side's fields with the coarse ones it lacks taken from context, then ref."""
    values = side.values
    if side.week is not None:
        weeks, weekday = side.week
        day = ref + timedelta(days=7 * weeks + weekday - ref.weekday())
        return _with(values, {_Y: day.year, _M: day.month, _D: day.day})
    if side.shift is not None:
        unit, amount = side.shift
        try:
            base = _fields(_shifted(ref, unit, amount))
        except (ValueError, OverflowError):
            return None
        return _with(values, {i: base[i] for i in range(unit + 1)})
    if side.direction:
        return _direct(values, ref, side.direction)
    coarsest = _coarsest(values)
    if coarsest is None:
        return None
    given = _fields(ref)
    inherited = _EMPTY if context is None else _values_of(context)
    filled = list(values)
    for i in range(min(coarsest, _H)):
        filled[i] = given[i] if inherited[i] is None else inherited[i]
    return tuple(filled)


def _resolve_side(
    side: _Side, ref: datetime, tz: tzinfo, context: PartialDate | None
) -> tuple[datetime, Precision, list[str]] | None:
    zone = side.zone or tz
    if side.instant is not None:
        return side.instant.astimezone(zone), Precision.SECOND, []
    try:
        values = _fill(side, ref.astimezone(zone), context)
    except (ValueError, OverflowError):
        return None
    finest = None if values is None else _finest(values)
    if values is None or finest is None or None in values[: finest + 1]:
        return None  # a gap, as in "2024년 6월 오후 3시", leaves the day unsaid
    if side.korean_hour and side.bare_hour and values[_H] != 0:
        return None  # "3시" is as often 15:00 as 03:00; "15시" and "오후 3시" are not
    start = _build(values, zone)
    if start is None:
        return None
    warnings = []
    if side.weekday is not None:
        if finest < _D:
            return None  # "6월 (화)": a weekday names a day, not a month
        weekday, written = side.weekday
        if start.weekday() != weekday:
            warnings.append(
                f"weekday {written} does not match {start.date().isoformat()}, "
                f"a {_WEEKDAY_NAMES[start.weekday()]}"
            )
    if side.is_local:
        warnings.append(f"{_LOCAL_TIME}; read as wall time in {tz}")
    return start, _PRECISION_OF[finest], warnings


def _inherit(side: _Side, source: Values) -> tuple[_Side, int | None]:
    """Fill the date fields ``side`` left out from ``source`` (the other end of a range).

    Only fields coarser than the finest one written are filled: "19일" takes a year and a
    month, "12:00" a whole date. Returns the new side and the finest field inherited, if any.
    """
    if side.shift is not None or side.direction or side.instant is not None or side.week:
        return side, None
    finest = _finest(side.values)
    if finest is None:
        return side, None
    values = list(side.values)
    inherited = None
    for i in range(min(finest + 1, _H)):
        if values[i] is None and source[i] is not None:
            values[i] = source[i]
            inherited = i
    return side._replace(values=tuple(values)), inherited


def _bump(side: _Side, unit: int, step: int) -> _Side | None:
    """Move a side one ``unit`` forwards or backwards ("30일~2일": the 2nd of the next month)."""
    y, m, d = side.values[:3]
    if y is None:
        return None
    if unit == _Y:
        y += step
    elif unit == _M and m is not None:
        y, m = divmod(y * 12 + m - 1 + step, 12)
        m += 1
    elif unit == _D and m is not None and d is not None:
        try:
            moved = date(y, m, d) + timedelta(days=step)
        except (ValueError, OverflowError):
            return None
        y, m, d = moved.year, moved.month, moved.day
    else:
        return None
    return side._replace(values=(y, m, d, *side.values[3:]))


_UNIT = {
    Precision.YEAR: relativedelta(years=1),
    Precision.MONTH: relativedelta(months=1),
    Precision.DAY: relativedelta(days=1),
    Precision.MINUTE: relativedelta(minutes=1),
    Precision.SECOND: relativedelta(seconds=1),
}


def _last_unit(start: datetime, coarse: Precision, fine: Precision) -> datetime:
    """Return the start of the last ``fine`` unit inside the ``coarse`` unit at ``start``."""
    return start + _UNIT[coarse] - _UNIT[fine]


def _resolve_range(
    left: _Side, right: _Side, ref: datetime, tz: tzinfo, context: PartialDate | None
) -> DateSpan | None:
    # An offset or "(현지시간)" written once covers both ends: "10:00~12:00 KST".
    if left.zone is None and not left.is_local:
        left = left._replace(zone=right.zone, is_local=right.is_local)
    if right.zone is None and not right.is_local:
        right = right._replace(zone=left.zone, is_local=left.is_local)
    left, left_inherited = _inherit(left, right.values)
    for attempt in range(2):
        resolved_left = _resolve_side(left, ref, tz, context)
        if resolved_left is None:
            return None
        start, left_precision, left_warnings = resolved_left
        count = _FIELD_COUNT[left_precision]
        source: Values = (*_fields(start)[:count], *_EMPTY[count:])
        inheriting_right, right_inherited = _inherit(right, source)
        resolved_right = _resolve_side(inheriting_right, ref, tz, context)
        if resolved_right is None:
            return None
        end, right_precision, right_warnings = resolved_right
        if end >= start or attempt:
            break
        # A range runs forwards, so an end before the start moves the field that was not
        # written: "12월 30일~1월 2일" ends next year, "18일 ~ 7월 2일" starts in June.
        if left_inherited is not None:
            filled = tuple(
                found if given is None and i < count else given
                for i, (given, found) in enumerate(zip(left.values, _fields(start), strict=True))
            )
            moved = _bump(left._replace(values=filled), left_inherited, -1)
        elif right_inherited is not None:
            moved = _bump(inheriting_right, right_inherited, 1)
            right = right if moved is None else moved
        else:
            return None
        if moved is None:
            return None
        if left_inherited is not None:
            left = moved
    precision = max(left_precision, right_precision)
    try:
        if right_precision < precision:
            end = _last_unit(end, right_precision, precision)
    except (ValueError, OverflowError):
        return None
    if end < start:
        return None
    warnings = tuple(dict.fromkeys(left_warnings + right_warnings))
    return DateSpan(start, end, precision, warnings)


def _resolve(
    expr: _Expr, ref: datetime, tz: tzinfo, context: PartialDate | None
) -> DateSpan | None:
    left, right = expr
    if right is not None:
        return _resolve_range(left, right, ref, tz, context)
    resolved = _resolve_side(left, ref, tz, context)
    if resolved is None:
        return None
    start, precision, warnings = resolved
    return DateSpan(start, start, precision, tuple(warnings))


# ---------------------------------------------------------------------------------------------
# Public entry points.


def _from_epoch(value: float, tz: tzinfo) -> DateSpan | None:
    if not math.isfinite(value) or not 1e8 <= value < 1e11:
        return None
    try:
        start = datetime.fromtimestamp(value, tz)
    except (ValueError, OverflowError, OSError):
        return None
    return DateSpan(start, start, Precision.SECOND)


def parse(
    text: str | date | datetime | int | float,
    ref: datetime,
    tz: tzinfo,
    *,
    context: PartialDate | None = None,
) -> DateSpan | None:
    """Return the span of time ``text`` names, or None if it names none unambiguously.

    ``ref`` is the reference instant: it fills a missing year, month or day (taken as they
    are at ``ref``, without guessing a "nearest" date) and anchors relative words (``어제``,
    ``지난 18일``, ``3 days ago``). ``tz`` is the zone of values that carry none; an explicit
    offset or zone name in the text (``+0900``, ``Z``, ``KST`` = fixed +09:00) is kept as
    written. ``context`` supplies missing coarse fields before ``ref`` does (timeline rows
    inherit the year and month of earlier rows); relative words ignore it.

    Accepts YAML's own values too: a ``date`` is ``DAY`` precision at midnight in ``tz``, a
    naive ``datetime`` is read in ``tz``; ints are read as their digits (``2024`` is a year,
    ten digits are epoch seconds), floats only as epoch seconds. Never raises; the result is
    always timezone-aware.
    """
    if ref.tzinfo is None:
        ref = ref.replace(tzinfo=tz)
    if isinstance(text, datetime):
        start = text if text.tzinfo is not None else text.replace(tzinfo=tz)
        fine = start.second or start.microsecond
        return DateSpan(start, start, Precision.SECOND if fine else Precision.MINUTE)
    if isinstance(text, date):
        start = datetime(text.year, text.month, text.day, tzinfo=tz)
        return DateSpan(start, start, Precision.DAY)
    if isinstance(text, bool):
        return None
    if isinstance(text, float):
        return _from_epoch(text, tz)
    if isinstance(text, int):
        text = str(text)
    if not isinstance(text, str):
        return None
    expr = _read(text)
    return None if expr is None else _resolve(expr, ref, tz, context)


def parse_partial(text: str, tz: tzinfo) -> tuple[PartialDate, PartialDate | None] | None:
    """Return the fields ``text`` itself gives, for its start and (for a range) its end.

    Nothing is filled from a reference: ``18일`` gives only ``day=18``. A bare number in a
    range takes the unit of the other end (``18-19일`` gives day 18 and day 19). Words relative
    to a reference (``어제``, ``지난달``) give no fields beyond those written next to them;
    epoch seconds give every field, read in ``tz``. Returns None where :func:`parse` would
    fail to read the text (it may still fail to resolve a partial, e.g. ``2월 29일``).
    """
    if not isinstance(text, str):
        return None
    expr = _read(text)
    if expr is None:
        return None
    return _partial_of(expr[0], tz), None if expr[1] is None else _partial_of(expr[1], tz)


def _partial_of(side: _Side, tz: tzinfo) -> PartialDate:
    values = side.values if side.instant is None else _fields(side.instant.astimezone(tz))
    return PartialDate(*values)
