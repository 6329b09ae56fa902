"""Jekyll's Liquid filters (``relative_url``, ``date_to_xmlschema``, ``where``, ...), for
:mod:`feedkit.liquid`. Each takes the value and arguments Liquid gives it; those marked
in ``WITH_ENVIRONMENT`` also get the environment, which holds the site
(``environment.feedkit_site``, a :class:`~feedkit.liquid.LiquidSite`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from .liquid import LiquidSite

__all__ = ["FILTERS", "WITH_ENVIRONMENT", "RubyTime", "relative_url", "ruby_time", "site_of"]


class RubyTime(datetime):
    """A datetime that prints as Ruby's ``Time#to_s`` (``2024-01-02 09:30:00 +0900``),
    as ``{{ page.date }}`` does in Jekyll."""

    def __str__(self) -> str:
        return self.strftime("%Y-%m-%d %H:%M:%S %z")


def ruby_time(value: datetime) -> RubyTime:
    return RubyTime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
        value.tzinfo,
    )


def site_of(env: Any) -> LiquidSite:
    site: LiquidSite = env.feedkit_site
    return site


def _to_datetime(value: Any, env: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        text = value.strip()
        if text in ("now", "today"):
            now: datetime = site_of(env).site["time"]
            return now
        from dateutil import parser as date_parser

        try:
            parsed = date_parser.parse(text)
        except (ValueError, OverflowError):
            return None
        if parsed.tzinfo is None:
            # Jekyll reads a date without offset in the site's time zone.
            zone = site_of(env).site["time"].tzinfo
            parsed = parsed.replace(tzinfo=zone)
        return parsed
    return None


def _strftime(value: Any, fmt: Any = None, *, environment: Any) -> Any:
    """Liquid's ``date`` filter (Ruby's strftime, which glibc's largely is)."""
    when = _to_datetime(value, environment)
    if when is None or not fmt:
        return value
    try:
        return when.strftime(str(fmt))
    except ValueError:
        return value


def _date_to_xmlschema(value: Any, *, environment: Any) -> Any:
    when = _to_datetime(value, environment)
    if when is None:
        return value
    if when.tzinfo is None:
        return when.strftime("%Y-%m-%dT%H:%M:%S")
    return when.isoformat(timespec="seconds")


def _date_to_rfc822(value: Any, *, environment: Any) -> Any:
    when = _to_datetime(value, environment)
    return value if when is None else when.strftime("%a, %d %b %Y %H:%M:%S %z").rstrip()


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def _date_string(value: Any, month: str, kind: Any, style: Any, environment: Any) -> Any:
    when = _to_datetime(value, environment)
    if when is None:
        return value
    if kind == "ordinal":
        if style == "US":
            return when.strftime(f"{month} ") + _ordinal(when.day) + when.strftime(", %Y")
        return _ordinal(when.day) + when.strftime(f" {month} %Y")
    return when.strftime(f"%d {month} %Y")


def _date_to_string(value: Any, kind: Any = None, style: Any = None, *, environment: Any) -> Any:
    return _date_string(value, "%b", kind, style, environment)


def _date_to_long_string(
    value: Any, kind: Any = None, style: Any = None, *, environment: Any
) -> Any:
    return _date_string(value, "%B", kind, style, environment)


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def relative_url(value: Any, *, environment: Any) -> str:
    """Jekyll's ``relative_url``: baseurl, then the path with a leading slash
    (``"/"`` -> ``/lab/``, ``""`` -> ``/lab``), percent-encoded; URLs with a scheme as
    they are. Unlike a browser, Jekyll joins ``//host/x`` as a path too."""
    if value is None:
        return ""
    text = str(value)
    if _SCHEME.match(text):
        return text
    baseurl = str(site_of(environment).site.get("baseurl") or "").strip("/")
    base = "/" + baseurl if baseurl else ""
    path = text if not text or text.startswith("/") else "/" + text
    return quote(base + path, safe="/%:@&=+$,;~!*'()?#[]")


def _absolute_url(value: Any, *, environment: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if _SCHEME.match(text):
        return text
    url = str(site_of(environment).site.get("url") or "").rstrip("/")
    # Addressable's normalize, which Jekyll applies, gives an empty path as "/".
    return url + (relative_url(text, environment=environment) or "/")


def _xml_escape(value: Any) -> str:
    return "" if value is None else html.escape(str(value), quote=True).replace("&#x27;", "&#39;")


def _cgi_escape(value: Any) -> str:
    return quote_plus(str(value), safe="~")


def _uri_escape(value: Any) -> str:
    return quote(str(value), safe="!#$&'()*+,/:;=?@[]~%")


def _markdownify(value: Any) -> str:
    from ._markdown import render_markdown

    return render_markdown("" if value is None else str(value))


def _to_json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return str(value if isinstance(value, RubyTime) else ruby_time(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json_value(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _jsonify(value: Any) -> str:
    return json.dumps(_to_json_value(value), ensure_ascii=False, separators=(",", ":"))


_SLUG_PATTERNS = {
    "raw": re.compile(r"\s+"),
    "default": re.compile(r"[^\w]+|_+"),
    "pretty": re.compile(r"[^\w._~!$&'()+,;=@]+|_+"),
    "ascii": re.compile(r"[^a-zA-Z0-9]+"),
}


def _slugify(value: Any, mode: Any = "default") -> str:
    text = "" if value is None else str(value)
    mode = mode if isinstance(mode, str) else "default"
    if mode == "none" or mode not in (*_SLUG_PATTERNS, "latin"):
        return text
    if mode == "latin":
        import unicodedata

        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        mode = "default"
    slug = _SLUG_PATTERNS[mode].sub("-", text).strip("-")
    return slug.lower()


_CJK_CHAR = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _number_of_words(value: Any, mode: Any = None) -> int:
    text = "" if value is None else str(value)
    if mode == "cjk":
        return len(_CJK_CHAR.findall(text)) + len(_CJK_CHAR.sub(" ", text).split())
    if mode == "auto" and _CJK_CHAR.search(text):
        return len(_CJK_CHAR.findall(text)) + len(_CJK_CHAR.sub(" ", text).split())
    return len(text.split())


def _property(item: Any, name: Any) -> Any:
    if isinstance(item, Mapping):
        return item.get(str(name))
    return None


def _where(value: Any, prop: Any, target: Any = None) -> Any:
    if not isinstance(value, (list, tuple)):
        value = list(value.values()) if isinstance(value, Mapping) else []
    wanted = "" if target is None else str(target)
    found = []
    for item in value:
        got = _property(item, prop)
        if isinstance(got, (list, tuple)):
            if wanted in [str(x) for x in got]:
                found.append(item)
        elif ("" if got is None else str(got)) == wanted:
            found.append(item)
    return found


def _sort(value: Any, prop: Any = None, nils: Any = "first") -> Any:
    if not isinstance(value, (list, tuple)):
        return value
    if prop is None:
        try:
            return sorted(value)
        except TypeError:
            return sorted(value, key=str)
    present = [item for item in value if _property(item, prop) is not None]
    missing = [item for item in value if _property(item, prop) is None]
    try:
        ordered = sorted(present, key=lambda item: _property(item, prop))
    except TypeError:
        ordered = sorted(present, key=lambda item: str(_property(item, prop)))
    return ordered + missing if nils == "last" else missing + ordered


def _group_by(value: Any, prop: Any) -> list[dict[str, Any]]:
    groups: dict[str, list[Any]] = {}
    for item in value if isinstance(value, (list, tuple)) else []:
        got = _property(item, prop)
        groups.setdefault("" if got is None else str(got), []).append(item)
    return [{"name": k, "items": v, "size": len(v)} for k, v in groups.items()]


def _array_to_sentence_string(value: Any, connector: Any = "and") -> str:
    items = [str(x) for x in value] if isinstance(value, (list, tuple)) else [str(value)]
    if len(items) < 2:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} {connector} {items[1]}"
    return ", ".join(items[:-1]) + f", {connector} {items[-1]}"


def _normalize_whitespace(value: Any) -> str:
    return re.sub(r"\s+", " ", "" if value is None else str(value)).strip()


def _to_integer(value: Any) -> Any:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0 if value in (None, "", False) else value


def _push(value: Any, item: Any) -> list[Any]:
    return [*value, item] if isinstance(value, (list, tuple)) else [item]


def _pop(value: Any, count: Any = 1) -> list[Any]:
    items = list(value) if isinstance(value, (list, tuple)) else []
    return items[: max(0, len(items) - int(count))]


def _shift(value: Any, count: Any = 1) -> list[Any]:
    items = list(value) if isinstance(value, (list, tuple)) else []
    return items[int(count) :]


def _unshift(value: Any, item: Any) -> list[Any]:
    return [item, *value] if isinstance(value, (list, tuple)) else [item]


def _find(value: Any, prop: Any, target: Any = None) -> Any:
    found = _where(value, prop, target)
    return found[0] if found else None


def _inspect(value: Any) -> str:
    return _jsonify(value)


def _smartify(value: Any) -> str:
    # kramdown's SmartyPants quotes are not reproduced (see README, "Liquid").
    return "" if value is None else str(value)


FILTERS: dict[str, Any] = {
    "relative_url": relative_url,
    "absolute_url": _absolute_url,
    "date": _strftime,
    "date_to_xmlschema": _date_to_xmlschema,
    "date_to_rfc822": _date_to_rfc822,
    "date_to_string": _date_to_string,
    "date_to_long_string": _date_to_long_string,
    "xml_escape": _xml_escape,
    "cgi_escape": _cgi_escape,
    "uri_escape": _uri_escape,
    "markdownify": _markdownify,
    "jsonify": _jsonify,
    "slugify": _slugify,
    "number_of_words": _number_of_words,
    "where": _where,
    "sort": _sort,
    "group_by": _group_by,
    "array_to_sentence_string": _array_to_sentence_string,
    "normalize_whitespace": _normalize_whitespace,
    "to_integer": _to_integer,
    "push": _push,
    "pop": _pop,
    "shift": _shift,
    "unshift": _unshift,
    "find": _find,
    "inspect": _inspect,
    "smartify": _smartify,
}
WITH_ENVIRONMENT = frozenset(
    {
        "relative_url",
        "absolute_url",
        "date",
        "date_to_xmlschema",
        "date_to_rfc822",
        "date_to_string",
        "date_to_long_string",
    }
)
