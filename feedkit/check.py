"""Checking a folder of published feeds, as ``feedkit check`` does.

:func:`check_output` finds every RSS 2.0, Atom 1.0 and JSON Feed file below a folder (the
output of ``feedkit build``), parses each once and returns the :class:`Problem` list:
malformed files, missing required elements, relative URLs, unparsable dates, repeated
ids, missing or wrong self and hub links, and what makes readers go wrong in a feed that
parses (:mod:`feedkit._check_readers`: duplicate alternate links, markup in titles, ...).
It reads files only; it never writes, fetches or prints.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import lxml.html
from lxml import etree

from . import _check_readers
from .errors import FeedkitError

__all__ = ["Problem", "check_output"]

ATOM_NS = "http://www.w3.org/2005/Atom"
XHTML_NS = "http://www.w3.org/1999/xhtml"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_A = f"{{{ATOM_NS}}}"

_FEED_NAMES = frozenset({"rss.xml", "atom.xml", "feed.json"})
_ARCHIVE_FOLDER = "archive"
# Both JSON Feed versions: https://www.jsonfeed.org/version/1.1/ keeps 1.0 feeds valid.
_JSON_FEED_VERSIONS = frozenset(
    {"https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1"}
)
_JSON_FEED_MARKER = b"jsonfeed.org/version"
# The first start tag of a file that may not parse, to tell a broken feed from other XML.
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")

# Attributes of feed elements holding one URL: atom:link@href, enclosure@url,
# source@url, media:*@url, atom:generator@uri, atom:content@src.
_FEED_URL_ATTRIBUTES = ("href", "url", "uri", "src")
# The same in HTML content; srcset is a list of "URL descriptor" candidates.
_CONTENT_URL_ATTRIBUTES = ("href", "src", "poster")
_CONTENT_HINT = re.compile(r"(?i)\b(?:href|src|srcset|poster)\s*=")
# A URL's scheme, which makes it absolute (RFC 3986, absolute-URI).
_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# RFC 4287 section 4.2.7.2: a bare relation name stands for this IANA registry IRI.
_IANA_RELATION = "http://www.iana.org/assignments/relation/"

# RFC 822 section 5 as RSS 2.0 uses it, with the 4-digit year RSS Best Practices asks for.
_RFC822 = re.compile(
    r"""^\s*(?:(?P<weekday>Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s*,\s*)?
    \d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{4}\s+
    \d{2}:\d{2}(?::\d{2})?\s+
    (?:[+-]\d{4}|UT|GMT|[ECMP][SD]T|[A-IK-Z])\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# RFC 3339 section 5.6 date-time; RFC 4287 section 3.3 wants "T" and "Z" upper-case.
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$"
)


@dataclass(frozen=True)
class Problem:
    """One problem found in a published feed file.

    ``path`` is relative to the checked folder (``"."`` for the folder itself); ``entry``
    names the item or entry (its id, else its title, else ``"item N"``) when the problem
    is inside one. ``code`` is stable and meant for matching; ``message`` is for people.
    """

    path: str
    entry: str | None
    code: str
    message: str

    def __str__(self) -> str:
        if self.entry is None:
            return f"{self.path}: {self.message} [{self.code}]"
        return f"{self.path}: {self.entry}: {self.message} [{self.code}]"

    def as_dict(self) -> dict[str, str | None]:
        """Return the problem as a JSON-ready mapping."""
        return {"path": self.path, "entry": self.entry, "code": self.code, "message": self.message}


def check_output(
    directory: Path, *, hubs: Sequence[str] = (), base_url: str | None = None
) -> list[Problem]:
    """Check every feed file below ``directory`` and return the problems found.

    Checked are ``rss.xml``, ``atom.xml`` and ``feed.json`` anywhere below the folder, every
    ``*.xml`` in an ``archive`` folder, and any other ``.xml`` whose root is ``<rss>`` or an
    Atom ``<feed>`` or ``.json`` with a JSON Feed ``version``. Folders whose names start
    with a dot are skipped. Each given hub must be advertised by every feed outside
    ``archive`` folders. With ``base_url`` (the URL the folder is served at), each self
    link must be ``base_url`` plus the file's relative path.

    The result is sorted by path, and within a file in the order found; it is empty when
    all is well. A folder with no feed gives one ``no-feeds`` problem. Raises
    :class:`FeedkitError` if ``directory`` is not a folder.
    """
    if not directory.is_dir():
        raise FeedkitError("not a folder", path=directory)
    problems: list[Problem] = []
    feeds = 0
    for path, certain in _candidates(directory):
        relative = path.relative_to(directory).as_posix()
        is_archive = _ARCHIVE_FOLDER in Path(relative).parts[:-1]
        self_url = None
        if base_url is not None:
            self_url = base_url.rstrip("/") + "/" + quote(relative, safe="/")
        report = _Report(relative)
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.add("unreadable", f"cannot read the file: {exc.strerror or exc}")
            problems.extend(report.problems)
            feeds += 1
            continue
        context = _Context(report, self_url, () if is_archive else tuple(hubs))
        if path.suffix == ".json":
            found = _check_json(data, context, certain=certain)
        else:
            found = _check_xml(data, context, certain=certain)
        if found:
            feeds += 1
            problems.extend(report.problems)
    if not feeds:
        problems.append(Problem(".", None, "no-feeds", "no RSS, Atom or JSON Feed file found"))
    return sorted(problems, key=lambda problem: problem.path)


def _candidates(directory: Path) -> Iterator[tuple[Path, bool]]:
    """Yield files that are or may be feeds; the flag says a feed is expected for sure."""
    for root, folders, files in os.walk(directory):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        in_archive = _ARCHIVE_FOLDER in Path(root).relative_to(directory).parts
        for name in sorted(files):
            if name in _FEED_NAMES or (in_archive and name.endswith(".xml")):
                yield Path(root) / name, True
            elif name.endswith((".xml", ".json")):
                yield Path(root) / name, False


class _Report:
    """The problems of one file, in the order found."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, entry: str | None = None) -> None:
        self.problems.append(Problem(self.path, entry, code, message))


@dataclass(frozen=True)
class _Context:
    """What a file's checks need besides the parsed document."""

    report: _Report
    self_url: str | None
    hubs: tuple[str, ...]

    def add(self, code: str, message: str, entry: str | None = None) -> None:
        self.report.add(code, message, entry)

    def check_url(self, value: str | None, what: str, entry: str | None) -> None:
        """Report ``value`` unless it is an absolute http(s) URL."""
        if value is not None and not _is_absolute_http(value):
            self.add(
                "relative-url", f"{what} is not an absolute http(s) URL: {_quoted(value)}", entry
            )

    def check_html(self, html: str | None, what: str, entry: str | None) -> None:
        """Report URLs in an HTML fragment that a reader could not resolve."""
        if not html or not _CONTENT_HINT.search(html):
            return
        try:
            fragment = lxml.html.fragment_fromstring(html, create_parent="div")
        except (etree.ParserError, ValueError, AssertionError):
            # lxml.html asserts that a document has one <body>, which some markup defeats.
            return
        self.check_content_urls(fragment.iter(etree.Element), what, entry)

    def check_content_urls(self, elements: Iterator[Any], what: str, entry: str | None) -> None:
        """Report relative URLs in the attributes of HTML or XHTML content elements."""
        for element in elements:
            tag = etree.QName(element).localname
            for attribute in _CONTENT_URL_ATTRIBUTES:
                value = element.get(attribute)
                if value is not None and not _is_content_url(value):
                    self.add(
                        "relative-url",
                        f"{what}: <{tag} {attribute}> is not absolute: {_quoted(value)}",
                        entry,
                    )
            srcset = element.get("srcset")
            if srcset is not None:
                for url in _srcset_urls(srcset):
                    if not _is_content_url(url):
                        self.add(
                            "relative-url",
                            f"{what}: <{tag} srcset> has a relative URL: {_quoted(url)}",
                            entry,
                        )

    def check_links(self, links: Sequence[tuple[str, str | None]], label: str) -> None:
        """Check the self link and the hub links among a feed's (rel, href) pairs."""
        self.check_self([href for rel, href in links if rel == "self" and href], label)
        self.check_hubs(
            [href for rel, href in links if rel == "hub" and href], f'{label} rel="hub"'
        )

    def check_self(self, selves: Sequence[str], label: str) -> None:
        """Report a missing self link, or one not at the file's own URL when that is known."""
        if not selves:
            self.add("no-self-link", f'no {label} rel="self" link to the feed\'s own URL')
        elif self.self_url is not None and not _is_same_url(selves[0], self.self_url):
            self.add(
                "self-link-mismatch",
                f"self link is {selves[0]!r}, expected {self.self_url!r}",
            )

    def check_hubs(self, advertised: Sequence[str], label: str) -> None:
        """Report each required hub that ``advertised`` lacks."""
        for hub in self.hubs:
            if not any(_is_same_url(href, hub) for href in advertised):
                self.add("no-hub-link", f"no {label} to the hub {hub}")


# --- XML: RSS 2.0 and Atom 1.0 --------------------------------------------------------


def _check_xml(data: bytes, context: _Context, *, certain: bool) -> bool:
    """Check an XML file; return False if it turned out not to be a feed at all."""
    # No DTD, entity or network access: a feed is data, and readers will not resolve them.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        if not certain and not _looks_like_xml_feed(data):
            return False
        line = f"line {exc.lineno}: " if exc.lineno else ""
        context.add("xml-malformed", f"not well-formed XML: {line}{exc.msg}")
        return True
    if root.tag == "rss":
        _check_rss(root, context)
    elif root.tag == f"{_A}feed":
        _check_atom(root, context)
    elif certain:
        context.add(
            "unknown-format",
            f"root element is <{root.tag}>, expected RSS 2.0 <rss> or Atom 1.0 <feed>",
        )
    else:
        return False
    return True


def _looks_like_xml_feed(data: bytes) -> bool:
    match = _FIRST_TAG.search(data[:4096])
    return match is not None and match.group(2) in (b"rss", b"feed")


def _children(element: Any) -> Iterator[Any]:
    return (child for child in element if isinstance(child.tag, str))


def _text(element: Any | None) -> str | None:
    if element is None:
        return None
    return (element.text or "").strip()


def _label(identifier: str | None, title: str | None, index: int) -> str:
    return identifier or title or f"item {index}"


def _check_rss(root: Any, context: _Context) -> None:
    if root.get("version") != "2.0":
        context.add("bad-version", f"<rss version> is {root.get('version')!r}, expected '2.0'")
    channel = root.find("channel")
    if channel is None:
        context.add("missing-element", "<rss> has no <channel>")
        return
    for name in ("title", "link", "description"):
        if channel.find(name) is None:
            context.add("missing-element", f"<channel> has no <{name}>")
    links = [(_relation(link), link.get("href")) for link in channel.findall(f"{_A}link")]
    context.check_links(links, "<atom:link>")
    _check_readers.check_rss_channel(channel, context.add)
    items = []
    for child in _children(channel):
        if child.tag == "item":
            items.append(child)
        else:
            for element in child.iter(etree.Element):
                _check_rss_element(element, context, None)
    seen: dict[str, int] = {}
    for index, item in enumerate(items, 1):
        guid = item.find("guid")
        label = _label(_text(guid), _text(item.find("title")), index)
        if item.find("title") is None and item.find("description") is None:
            context.add("missing-element", "<item> has neither <title> nor <description>", label)
        if guid is None:
            context.add("missing-element", "<item> has no <guid>", label)
        else:
            _check_unique(_text(guid) or "", index, seen, context, label)
        for element in item.iter(etree.Element):
            _check_rss_element(element, context, label)
        _check_readers.check_rss_item(item, context.add, label)


def _check_rss_element(element: Any, context: _Context, entry: str | None) -> None:
    """Check one element of an RSS channel or item (not its descendants)."""
    tag = element.tag
    if tag.startswith("{"):
        if tag == f"{{{CONTENT_NS}}}encoded":
            context.check_html(element.text, "<content:encoded>", entry)
        elif tag.startswith(f"{{{XHTML_NS}}}"):
            context.check_content_urls(iter((element,)), "XHTML content", entry)
            return
    elif tag in ("link", "comments", "docs", "url"):
        context.check_url(_text(element), f"<{tag}>", entry)
    elif tag == "guid":
        # RSS 2.0: isPermaLink defaults to true, so a bare guid claims to be a URL.
        if element.get("isPermaLink", "true").strip().lower() == "true":
            context.check_url(_text(element), '<guid> (isPermaLink="true")', entry)
    elif tag in ("pubDate", "lastBuildDate"):
        _check_rfc822(_text(element) or "", f"<{tag}>", context, entry)
    elif tag == "description" and entry is not None:
        context.check_html(element.text, "<description>", entry)
    _check_url_attributes(element, context, entry)


def _check_url_attributes(element: Any, context: _Context, entry: str | None) -> None:
    for attribute in _FEED_URL_ATTRIBUTES:
        value = element.get(attribute)
        if value is not None:
            tag = etree.QName(element).localname
            context.check_url(value, f"<{tag} {attribute}>", entry)


def _relation(link: Any) -> str:
    rel = (link.get("rel") or "alternate").strip()
    return rel.removeprefix(_IANA_RELATION)


def _check_atom(root: Any, context: _Context) -> None:
    for name in ("id", "title", "updated"):
        if root.find(f"{_A}{name}") is None:
            context.add("missing-element", f"<feed> has no <{name}>")
    links = [(_relation(link), link.get("href")) for link in root.findall(f"{_A}link")]
    context.check_links(links, "<link>")
    _check_readers.check_atom_document(root, context.add)
    has_feed_author = root.find(f"{_A}author") is not None
    entries = []
    for child in _children(root):
        if child.tag == f"{_A}entry":
            entries.append(child)
        else:
            _check_atom_tree(child, context, None)
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries, 1):
        identifier = _text(entry.find(f"{_A}id"))
        label = _label(identifier, _text(entry.find(f"{_A}title")), index)
        for name in ("id", "title", "updated"):
            if entry.find(f"{_A}{name}") is None:
                context.add("missing-element", f"<entry> has no <{name}>", label)
        # RFC 4287 section 4.1.1: author on the feed, or on every entry (or its source).
        if (
            not has_feed_author
            and entry.find(f"{_A}author") is None
            and entry.find(f"{_A}source/{_A}author") is None
        ):
            context.add("missing-element", "<entry> has no <author> and <feed> has none", label)
        # RFC 4287 section 4.1.2: with no content, an alternate link is required.
        if entry.find(f"{_A}content") is None and not any(
            _relation(link) == "alternate" for link in entry.findall(f"{_A}link")
        ):
            context.add(
                "missing-element", '<entry> has no <content> and no rel="alternate" link', label
            )
        if identifier is not None:
            _check_unique(identifier, index, seen, context, label)
        _check_atom_tree(entry, context, label)
        _check_readers.check_atom_entry(entry, context.add, label)


def _check_atom_tree(top: Any, context: _Context, entry: str | None) -> None:
    """Check an Atom element and its descendants; XHTML content is checked as HTML."""
    for element in top.iter(etree.Element):
        tag = element.tag
        if tag.startswith(f"{{{XHTML_NS}}}"):
            context.check_content_urls(iter((element,)), "XHTML content", entry)
            continue
        _check_url_attributes(element, context, entry)
        if not tag.startswith(_A):
            continue
        name = tag[len(_A) :]
        if name == "id":
            value = _text(element) or ""
            # RFC 4287 section 4.2.6: any absolute IRI (tag:, urn:), not only http(s).
            if not _URI_SCHEME.match(value):
                context.add("relative-url", f"<id> is not an absolute IRI: {value!r}", entry)
        elif name in ("icon", "logo", "uri"):
            context.check_url(_text(element), f"<{name}>", entry)
        elif name in ("updated", "published"):
            _check_rfc3339(_text(element) or "", f"<{name}>", context, entry)
        elif name in ("content", "summary") and element.get("type") == "html":
            context.check_html(element.text, f"<{name}>", entry)
        elif name == "link" and element.get("href") is None:
            context.add("missing-element", "<link> has no href", entry)


def _check_unique(
    identifier: str, index: int, seen: dict[str, int], context: _Context, label: str
) -> None:
    first = seen.setdefault(identifier, index)
    if first != index:
        context.add("duplicate-id", f"entry {index} repeats the id of entry {first}", label)


# --- JSON Feed 1.1 ----------------------------------------------------------------------


def _check_json(data: bytes, context: _Context, *, certain: bool) -> bool:
    """Check a JSON file; return False if it turned out not to be a JSON Feed."""
    if not certain and _JSON_FEED_MARKER not in data:
        return False
    try:
        # JSON Feed 1.1 and RFC 8259 section 8.1: UTF-8, with no byte order mark.
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        context.add("json-malformed", f"not UTF-8: byte {exc.start}: {exc.reason}")
        return True
    except json.JSONDecodeError as exc:
        context.add("json-malformed", f"not valid JSON: line {exc.lineno}: {exc.msg}")
        return True
    if not certain and not (
        isinstance(document, dict) and document.get("version") in _JSON_FEED_VERSIONS
    ):
        return False
    _check_json_feed(document, context)
    return True


def _check_json_feed(document: Any, context: _Context) -> None:
    if not isinstance(document, dict):
        context.add("json-wrong-type", "the top level is not an object")
        return
    version = document.get("version")
    if version is None:
        context.add("json-missing-field", "no 'version'")
    elif version not in _JSON_FEED_VERSIONS:
        context.add("bad-version", f"'version' is {version!r}, not a JSON Feed version URL")
    if "title" not in document:
        context.add("json-missing-field", "no 'title'")
    _check_readers.check_json_document(document, context.add)
    feed_url = _json_string(document, "feed_url", context, None)
    _json_url(document, "home_page_url", context, None)
    for key in ("icon", "favicon", "next_url"):
        _json_url(document, key, context, None)
    _check_json_authors(document, context, None)
    if feed_url is None:
        context.add("no-self-link", "no 'feed_url' with the feed's own URL")
    else:
        context.check_url(feed_url, "'feed_url'", None)
        context.check_self([feed_url], "'feed_url'")
    _check_json_hubs(document.get("hubs"), context)
    items = document.get("items")
    if items is None:
        context.add("json-missing-field", "no 'items'")
    elif not isinstance(items, list):
        context.add("json-wrong-type", "'items' is not an array")
    else:
        seen: dict[str, int] = {}
        for index, item in enumerate(items, 1):
            _check_json_item(item, index, seen, context)


def _check_json_item(item: Any, index: int, seen: dict[str, int], context: _Context) -> None:
    if not isinstance(item, dict):
        context.add("json-wrong-type", f"item {index} is not an object", f"item {index}")
        return
    identifier = item.get("id")
    title = item.get("title")
    label = _label(
        str(identifier) if isinstance(identifier, str | int) and identifier != "" else None,
        title if isinstance(title, str) else None,
        index,
    )
    if identifier is None:
        context.add("json-missing-field", "item has no 'id'", label)
    elif not isinstance(identifier, str):
        # JSON Feed 1.1: readers coerce other ids to strings, but publishers send strings.
        context.add("json-wrong-type", "'id' is not a string", label)
        _check_unique(str(identifier), index, seen, context, label)
    else:
        _check_unique(identifier, index, seen, context, label)
    if "content_html" not in item and "content_text" not in item:
        context.add(
            "json-missing-field", "item has neither 'content_html' nor 'content_text'", label
        )
    _check_readers.check_json_item(item, index, context.add, label)
    for key in ("url", "external_url", "image", "banner_image"):
        _json_url(item, key, context, label)
    for key in ("date_published", "date_modified"):
        value = _json_string(item, key, context, label)
        if value is not None:
            _check_rfc3339(value, f"'{key}'", context, label, upper_case=False)
    context.check_html(_json_string(item, "content_html", context, label), "'content_html'", label)
    _check_json_authors(item, context, label)
    attachments = item.get("attachments")
    if isinstance(attachments, list):
        for attachment in attachments:
            if isinstance(attachment, dict):
                _json_url(attachment, "url", context, label, where="attachment 'url'")


def _check_json_authors(owner: dict[str, Any], context: _Context, entry: str | None) -> None:
    authors = owner.get("authors")
    # JSON Feed 1.0's single "author" is deprecated in 1.1 but still allowed.
    people = [*authors] if isinstance(authors, list) else []
    if isinstance(owner.get("author"), dict):
        people.append(owner["author"])
    for person in people:
        if isinstance(person, dict):
            _json_url(person, "url", context, entry, where="author 'url'")
            _json_url(person, "avatar", context, entry, where="author 'avatar'")


def _check_json_hubs(hubs: Any, context: _Context) -> None:
    advertised = []
    if isinstance(hubs, list):
        for hub in hubs:
            if not isinstance(hub, dict):
                continue
            url = hub.get("url")
            if isinstance(url, str):
                context.check_url(url, "hub 'url'", None)
                if str(hub.get("type", "")).lower() == "websub":
                    advertised.append(url)
    elif hubs is not None:
        context.add("json-wrong-type", "'hubs' is not an array")
    context.check_hubs(advertised, "'hubs' entry of type \"WebSub\"")


def _json_string(
    owner: dict[str, Any], key: str, context: _Context, entry: str | None
) -> str | None:
    value = owner.get(key)
    if value is None or isinstance(value, str):
        return value
    context.add("json-wrong-type", f"'{key}' is not a string", entry)
    return None


def _json_url(
    owner: dict[str, Any],
    key: str,
    context: _Context,
    entry: str | None,
    *,
    where: str | None = None,
) -> None:
    value = _json_string(owner, key, context, entry)
    context.check_url(value, where or f"'{key}'", entry)


# --- URLs and dates ---------------------------------------------------------------------


def _is_absolute_http(value: str) -> bool:
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _is_content_url(value: str) -> bool:
    """Whether a URL in content is absolute: any scheme but http(s) makes it so (RFC
    3986's absolute-URI: ``ftp:``, ``magnet:``, ``mailto:``); http(s) needs a host."""
    match = _URI_SCHEME.match(value.strip())
    if match and match.group(0)[:-1].lower() not in ("http", "https"):
        return True
    return _is_absolute_http(value)


def _srcset_urls(value: str) -> list[str]:
    """Return the URLs of an HTML srcset (URLs may contain commas, descriptors may not)."""
    urls = []
    position, end = 0, len(value)
    while position < end:
        while position < end and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < end and not value[position].isspace():
            position += 1
        url = value[start:position]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            comma = value.find(",", position)
            position = end if comma == -1 else comma + 1
        if url:
            urls.append(url)
    return urls


def _is_same_url(left: str, right: str) -> bool:
    return _normalized_url(left) == _normalized_url(right)


def _normalized_url(value: str) -> tuple[str, str, str, str]:
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return (value, "", "", "")
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    # Percent-encoded or not, NFC or NFD (macOS file names): the same path to a reader.
    path = unicodedata.normalize("NFC", unquote(parts.path or "/"))
    return (scheme, host, path, parts.query)


def _quoted(value: str) -> str:
    shown = value if len(value) <= 80 else value[:77] + "..."
    return repr(shown)


def _check_rfc822(text: str, what: str, context: _Context, entry: str | None) -> None:
    problem = _rfc822_problem(text)
    if problem:
        context.add("bad-date", f"{what} {problem}: {text!r}", entry)


def _rfc822_problem(text: str) -> str | None:
    match = _RFC822.match(text)
    if match is None:
        return (
            "is not an RFC 822 date with a 4-digit year and a zone "
            "(like 'Thu, 01 Jan 2026 09:00:00 +0900')"
        )
    try:
        parsed = parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError):
        return "is not a real date"
    weekday = match.group("weekday")
    if weekday and _WEEKDAYS.index(weekday.lower()) != parsed.weekday():
        return f"names the wrong day of the week ({_WEEKDAYS[parsed.weekday()].title()})"
    return None


def _check_rfc3339(
    text: str, what: str, context: _Context, entry: str | None, *, upper_case: bool = True
) -> None:
    parsed = _parse_rfc3339(text if upper_case else text.upper())
    if parsed is None:
        context.add(
            "bad-date",
            f"{what} is not an RFC 3339 date-time with a zone "
            f"(like '2026-01-01T09:00:00+09:00'): {text!r}",
            entry,
        )


def _parse_rfc3339(text: str) -> datetime | None:
    match = _RFC3339.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(group) for group in match.groups()[:6])
    try:
        zone = UTC
        if match.group(7) != "Z":
            hours, minutes = int(match.group(9)), int(match.group(10))
            if minutes > 59:
                return None
            offset = timedelta(hours=hours, minutes=minutes)
            zone = timezone(-offset if match.group(8) == "-" else offset)
        # RFC 3339 section 5.7 allows a leap second, 60.
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=zone)
    except ValueError:
        return None
