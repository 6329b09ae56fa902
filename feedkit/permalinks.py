"""Jekyll 4.3 permalinks: slugs, URL templates, path escaping and URL joining.

Everything here is pure. The behaviour follows Jekyll's source:

- ``slugify`` is ``Jekyll::Utils.slugify`` (``lib/jekyll/utils.rb``).
- ``expand_permalink`` is ``Jekyll::URL`` (``lib/jekyll/url.rb``: ``generate_url_from_drop``
  and ``sanitize_url``) fed by ``Jekyll::Drops::UrlDrop`` (``lib/jekyll/drops/url_drop.rb``).
- ``NAMED_STYLES`` is ``Jekyll::Configuration#style_to_permalink``, as listed in
  https://jekyllrb.com/docs/permalinks/#built-in-formats.

Where we differ from Jekyll, it is on purpose and documented on the function.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType

__all__ = [
    "NAMED_STYLES",
    "SLUGIFY_MODES",
    "encode_url_path",
    "expand_permalink",
    "join_url",
    "slugify",
]

NAMED_STYLES: Mapping[str, str] = MappingProxyType(
    {
        "date": "/:categories/:year/:month/:day/:title:output_ext",
        "pretty": "/:categories/:year/:month/:day/:title/",
        "ordinal": "/:categories/:year/:y_day/:title:output_ext",
        "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
        "none": "/:categories/:title:output_ext",
    }
)

SLUGIFY_MODES: tuple[str, ...] = ("raw", "default", "pretty", "ascii", "latin", "none")

# Ruby's \s is ASCII-only, unlike Python's.
_RAW_RUN = re.compile(r"[ \t\r\n\f\v]+")
_ASCII_RUN = re.compile(r"[^A-Za-z0-9]+")
_EDGE_HYPHEN = re.compile(r"^-|-$", re.MULTILINE)
# The characters Jekyll's "pretty" mode keeps besides letters, marks and digits.
_PRETTY_EXTRA = frozenset("._~!$&'()+,;=@")

# RFC 3986 pchar minus ALPHA / DIGIT / "-._~" (which quote() never encodes), plus "/".
_PATH_SAFE = "/!$&'()*+,;=:@"
# A path made only of these needs no encoding (most values: digits, ASCII slugs).
_NOTHING_TO_ENCODE = re.compile(r"[A-Za-z0-9\-._~/!$&'()*+,;=:@]*")

# RFC 3986 section 3.1; a path with a scheme is already absolute.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")

# Jekyll's placeholder syntax (URL#generate_url_from_drop).
_PLACEHOLDER = re.compile(r":([a-z_]+)")

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# I18n's HashTransliterator::DEFAULT_APPROXIMATIONS (ruby-i18n, used by Jekyll's "latin"
# mode) covers U+00C0..U+017E (except U+00F7) and U+1E9E. Most entries are the letter
# without its accent, which NFKD gives us; these are the ones it does not.
_LATIN_SPECIAL: Mapping[str, str] = MappingProxyType(
    {
        "Æ": "AE",
        "æ": "ae",
        "Ð": "D",
        "ð": "d",
        "Ø": "O",
        "ø": "o",
        "Þ": "Th",
        "þ": "th",
        "ß": "ss",
        "ẞ": "SS",
        "×": "x",
        "Đ": "D",
        "đ": "d",
        "Ħ": "H",
        "ħ": "h",
        "ı": "i",
        "Ĳ": "IJ",
        "ĳ": "ij",
        "ĸ": "k",
        "Ŀ": "L",
        "ŀ": "l",
        "Ł": "L",
        "ł": "l",
        "ŉ": "'n",
        "Ŋ": "NG",
        "ŋ": "ng",
        "Œ": "OE",
        "œ": "oe",
        "Ŧ": "T",
        "ŧ": "t",
    }
)


def slugify(text: str, mode: str = "default", *, cased: bool = False) -> str:
    """Return *text* as a URL slug, the way Jekyll's ``Utils.slugify`` does.

    Modes (``SLUGIFY_MODES``):

    - ``"raw"``: runs of ASCII whitespace become ``-``.
    - ``"default"``: runs of anything but letters, marks and decimal digits (Unicode
      ``\\p{L}``, ``\\p{M}``, ``\\p{Nd}``) become ``-``; Hangul and other scripts are kept.
    - ``"pretty"``: as ``"default"`` but ``._~!$&'()+,;=@`` are kept too.
    - ``"ascii"``: runs of anything but ``A-Za-z0-9`` become ``-``.
    - ``"latin"``: accented Latin letters are transliterated as ruby-i18n does (``é`` to
      ``e``, ``ß`` to ``ss``), every other non-ASCII character becomes ``?``, then as
      ``"default"``. Hangul therefore vanishes in this mode.
    - ``"none"``: the text unchanged (only lowercased).

    After replacing, one ``-`` is removed at the start and end of each line (Ruby's
    ``^-|-$``), and the result is lowercased unless *cased* is true. The result may be
    empty (Jekyll warns about that; callers should too).

    Raises ``ValueError`` for an unknown mode. Jekyll silently treats unknown modes as
    ``"none"``; we refuse, so that a typo in the configuration is reported.
    """
    if mode not in SLUGIFY_MODES:
        raise ValueError(f"unknown slugify mode {mode!r}; expected one of {SLUGIFY_MODES}")
    if mode == "none":
        return text if cased else text.lower()
    if mode == "latin":
        text = _transliterate_latin(text)
    if mode == "raw":
        slug = _RAW_RUN.sub("-", text)
    elif mode == "ascii":
        slug = _ASCII_RUN.sub("-", text)
    else:
        slug = _replace_runs(text, keep_extra=_PRETTY_EXTRA if mode == "pretty" else frozenset())
    slug = _EDGE_HYPHEN.sub("", slug)
    return slug if cased else slug.lower()


def _is_word_char(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LM" or category == "Nd"


def _replace_runs(text: str, *, keep_extra: frozenset[str]) -> str:
    out: list[str] = []
    in_run = False
    for char in text:
        if _is_word_char(char) or char in keep_extra:
            out.append(char)
            in_run = False
        elif not in_run:
            out.append("-")
            in_run = True
    return "".join(out)


def _transliterate_latin(text: str) -> str:
    out: list[str] = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif char in _LATIN_SPECIAL:
            out.append(_LATIN_SPECIAL[char])
        elif "\u00c0" <= char <= "\u017e" and char != "\u00f7":
            base = unicodedata.normalize("NFKD", char)[0]
            out.append(base if base.isascii() else "?")
        else:
            out.append("?")
    return "".join(out)


def encode_url_path(path: str) -> str:
    """Percent-encode *path* for use in a URL, as Jekyll's ``URL.escape_path`` intends.

    ``/`` and the RFC 3986 ``pchar`` set (unreserved, sub-delims, ``:`` and ``@``) are
    kept; everything else is encoded as UTF-8 ``%XX`` with upper-case hex: a space becomes
    ``%20``, ``한`` becomes ``%ED%95%9C``, ``%`` becomes ``%25`` (so the function is not
    idempotent, as Jekyll's is not).

    Jekyll 4.3 delegates to ``Addressable::URI.encode``, which parses the string as a URI
    first and so leaves ``?`` and every ``#`` after the first unencoded; we encode them
    always, which is what its comment (the RFC 3986 ``segment`` grammar) says it means.
    Lone surrogates, which cannot be UTF-8, are encoded as ``%3F``.
    """
    if _NOTHING_TO_ENCODE.fullmatch(path):
        return path
    return urllib.parse.quote(path, safe=_PATH_SAFE, encoding="utf-8", errors="replace")


def expand_permalink(
    template: str,
    *,
    categories: Sequence[str],
    date: datetime,
    title: str,
    slug: str,
    output_ext: str = ".html",
    collection: str = "posts",
    name: str | None = None,
    path: str | None = None,
) -> str:
    """Return the URL path Jekyll gives a document, always starting with ``/``.

    *template* is a named style (``NAMED_STYLES``) or a pattern of literal text and
    placeholders. The arguments feed the placeholders as ``Jekyll::Drops::UrlDrop`` does:

    - *title* is the title part of the file name (``hello`` in ``2024-06-18-hello.md``);
      trailing periods are removed, as ``Document#populate_title`` does.
    - *slug* is the ``slug`` front matter, or ``""`` when there is none. Jekyll stores the
      file-name title as the slug when the front matter has none, so:
      ``:title`` is ``slugify(slug or title, "pretty", cased=True)`` (case is kept) and
      ``:slug`` is ``slugify(slug or title)`` (default mode, lowercased).
    - *name* is the file's base name without extension (``2024-06-18-hello``); ``:name``
      is ``slugify(name)``. When ``None``, *title* is used.
    - *path* is the document's path inside the collection directory without extension
      (``/2024-06-18-hello``), for ``:path``. When ``None``, ``"/" + name`` is used.
    - ``:categories`` is each category lowercased (not slugified: Jekyll keeps spaces and
      they become ``%20``), duplicates dropped, joined with ``/``. Empty ones vanish.
    - ``:slugified_categories`` is the same with each category ``slugify``-ed.
    - Date placeholders use *date*'s own wall time and offset (convert it to the site
      time zone first): ``:year :short_year :month :i_month :short_month (Jan)
      :long_month (January) :day :i_day :y_day :w_year :week :w_day :short_day (Mon)
      :long_day (Monday) :hour :minute :second``. Names are always English.
    - ``:output_ext`` is *output_ext*; ``:collection`` is *collection*.

    A placeholder followed by ``_`` (``:month_:day``) is read as Jekyll reads it. Each
    value is escaped with ``encode_url_path``. Jekyll leaves the template's literal text
    unescaped and relies on the ``absolute_url`` filter to encode it later; we encode it
    here with ``encode_url_path`` so the result is always a valid URL path.

    The result is then sanitized as Jekyll 4.3's ``URL#sanitize_url`` does: every ``..``
    becomes ``/``, every ``./`` is removed and runs of ``/`` are squeezed (so ``a..b``
    becomes ``a/b`` as in Jekyll). On top of that, NUL characters are dropped from every
    input and any remaining ``.`` segment is dropped, so the result never contains a
    ``.`` or ``..`` segment or a NUL, and cannot climb out of the site directory.
    A trailing ``/`` in the template is kept; ``index.html`` is not stripped (Jekyll's
    ``Document#url`` does not strip it either).

    Raises ``ValueError`` if the template names an unknown placeholder (Jekyll raises
    "The URL template doesn't have ... keys").
    """
    pattern = _drop_nul(NAMED_STYLES.get(template, template))
    values = _placeholder_values(
        categories=[_drop_nul(c) for c in categories],
        date=date,
        title=_drop_nul(title),
        slug=_drop_nul(slug),
        output_ext=_drop_nul(output_ext),
        collection=_drop_nul(collection),
        name=None if name is None else _drop_nul(name),
        path=None if path is None else _drop_nul(path),
    )
    return _sanitize(_fill(pattern, values))


def _drop_nul(text: str) -> str:
    return text.replace("\x00", "")


def _placeholder_values(
    *,
    categories: Sequence[str],
    date: datetime,
    title: str,
    slug: str,
    output_ext: str,
    collection: str,
    name: str | None,
    path: str | None,
) -> dict[str, Callable[[], str]]:
    # Lazy, so that a template only pays for (and can only fail on) what it uses.
    title = title.rstrip(".")
    slug_source = slug or title
    base_name = title if name is None else name
    iso_year, iso_week, iso_weekday = date.isocalendar()
    return {
        "year": lambda: f"{date.year:04d}",
        "short_year": lambda: f"{date.year % 100:02d}",
        "month": lambda: f"{date.month:02d}",
        "i_month": lambda: str(date.month),
        "short_month": lambda: _MONTHS[date.month - 1][:3],
        "long_month": lambda: _MONTHS[date.month - 1],
        "day": lambda: f"{date.day:02d}",
        "i_day": lambda: str(date.day),
        "y_day": lambda: f"{date.timetuple().tm_yday:03d}",
        "w_year": lambda: f"{iso_year:04d}",
        "week": lambda: f"{iso_week:02d}",
        "w_day": lambda: str(iso_weekday),
        "short_day": lambda: _WEEKDAYS[iso_weekday - 1][:3],
        "long_day": lambda: _WEEKDAYS[iso_weekday - 1],
        "hour": lambda: f"{date.hour:02d}",
        "minute": lambda: f"{date.minute:02d}",
        "second": lambda: f"{date.second:02d}",
        "title": lambda: slugify(slug_source, "pretty", cased=True),
        "slug": lambda: slugify(slug_source),
        "name": lambda: slugify(base_name),
        "path": lambda: ("/" + base_name) if path is None else path,
        "categories": lambda: _join_unique(c.lower() for c in categories),
        "slugified_categories": lambda: _join_unique(slugify(c) for c in categories),
        "output_ext": lambda: output_ext,
        "collection": lambda: collection,
    }


def _join_unique(parts: Iterable[str]) -> str:
    # dict keeps first-seen order, as Ruby's Set does.
    return "/".join(dict.fromkeys(parts))


def _fill(pattern: str, values: Mapping[str, Callable[[], str]]) -> str:
    out: list[str] = []
    for literal, placeholder in _template_parts(pattern):
        out.append(literal)
        if placeholder is None:
            continue
        key, suffix = placeholder, ""
        if key not in values and key.endswith("_") and key[:-1] in values:
            # Jekyll tries "month_" then "month" (one "_" only), keeping the "_" as text.
            key, suffix = key[:-1], "_"
        if key not in values:
            raise ValueError(f"unknown permalink placeholder ':{placeholder}' in {pattern!r}")
        out.append(encode_url_path(values[key]()) + suffix)
    return "".join(out)


@lru_cache(maxsize=64)
def _template_parts(pattern: str) -> tuple[tuple[str, str | None], ...]:
    """Split a permalink template into (literal text, encoded; the placeholder after it);
    the last part has no placeholder. Every post of a site shares a few templates."""
    parts: list[tuple[str, str | None]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(pattern):
        parts.append((_encode_literal(pattern[position : match.start()]), match.group(1)))
        position = match.end()
    parts.append((_encode_literal(pattern[position:]), None))
    return tuple(parts)


_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _encode_literal(text: str) -> str:
    """Encode a permalink template's literal text as Jekyll's URL ends up: Jekyll leaves
    it as written and ``absolute_url`` normalises it (Addressable), which keeps a valid
    ``%XX`` escape (upper-cased), decodes one of an unreserved character (``%2e`` is
    ``.``), and encodes the rest. So ``%2e`` is not encoded again into ``%252e``."""
    if "%" not in text:
        return encode_url_path(text)
    out: list[str] = []
    position = 0
    for match in _ESCAPE.finditer(text):
        out.append(encode_url_path(text[position : match.start()]))
        char = chr(int(match.group(1), 16))
        out.append(char if char in _UNRESERVED else "%" + match.group(1).upper())
        position = match.end()
    out.append(encode_url_path(text[position:]))
    return "".join(out)


def _sanitize(url: str) -> str:
    # Jekyll 4.3 URL#sanitize_url, step by step.
    result = ("/" + url).replace("..", "/").replace("./", "")
    result = re.sub(r"/{2,}", "/", result)
    # Then drop what is left of "." segments ("/a/." becomes "/a/").
    segments = result.split("/")
    kept = [segment for segment in segments if segment not in ("", ".", "..")]
    joined = "/" + "/".join(kept)
    if kept and segments[-1] in ("", "."):
        joined += "/"
    return joined


def join_url(base: str, path: str) -> str:
    """Return the absolute URL for *path* under *base*, with exactly one ``/`` between.

    *base* is the site ``url`` with the ``baseurl`` already appended, or either alone:
    ``join_url(join_url(url, baseurl), page_path)`` builds a full link. *path* must
    already be encoded (``expand_permalink`` output is); it is not re-encoded.

    - Trailing slashes on *base* and leading slashes on *path* are collapsed to one
      ``/``; a trailing slash on *path* is kept.
    - An empty *path* gives *base* without its trailing slash (Jekyll's ``absolute_url``
      of ``""``), or with ``/`` added when *base* has no path at all.
    - An absolute *path* (with a scheme, such as ``https://other.example/x``) is returned
      unchanged, as Jekyll's ``absolute_url`` filter does.

    Raises ``ValueError`` if *base* is not an absolute http(s) URL without query or
    fragment.
    """
    if _SCHEME.match(path):
        return path
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an absolute http(s) URL, got {base!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"a base URL cannot have a query or fragment, got {base!r}")
    left = base.rstrip("/")
    right = path.lstrip("/")
    if right:
        return f"{left}/{right}"
    if path:
        return f"{left}/"
    return left if urllib.parse.urlsplit(left).path else f"{left}/"
