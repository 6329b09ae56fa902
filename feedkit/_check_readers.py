"""What ``feedkit check`` finds that makes readers go wrong though a feed parses (issue 21).

Each function reports through ``add(code, message, entry)``. The classes are those the W3C
Feed Validation Service warns about and feedparser or newsboat act on:

- ``duplicate-alternate``: two alternate links of one type and language (RFC 4287
  section 4.1.1); readers open whichever comes first, the image as well as the post.
- ``link-without-rel``: a link without ``rel`` (an alternate, RFC 4287 section 4.2.7.2)
  beside another alternate link, which is how an enclosure that lost its ``rel`` looks.
- ``namespace-prefix``: an Atom document writing Atom elements with a prefix.
- ``control-character``: a character XML 1.0 forbids in any string of a JSON Feed.
- ``markup-in-title``: a plain-text title holding HTML (an element or a reference).
- ``duplicate-author``: an RSS item with both ``author`` and ``dc:creator``.
- ``same-document-base``: an Atom ``xml:base`` that the element's own link or id resolves
  to, making them same-document references (RFC 3986 section 4.4).
- ``archive-incomplete``: an RFC 5005 archive document (``fh:archive``) without the
  ``current`` link back to the subscription feed, or one that also says ``fh:complete``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urldefrag, urljoin

from .render import has_title_markup

Add = Callable[[str, str, str | None], None]

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
DC_NS = "http://purl.org/dc/elements/1.1/"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_A = f"{{{ATOM_NS}}}"
_H = f"{{{HISTORY_NS}}}"
_IANA_RELATION = "http://www.iana.org/assignments/relation/"
# What XML 1.0 forbids; in JSON they can be escaped, and reach readers all the same.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check_atom_document(root: Any, add: Add) -> None:
    """Check an Atom ``<feed>``'s own links, title, prefixes and archive markers."""
    prefixed = sorted(
        {
            f"{element.prefix}:{element.tag[len(_A) :]}"
            for element in root.iter(f"{_A}*")
            if element.prefix is not None
        }
    )
    if prefixed:
        add(
            "namespace-prefix",
            f"Atom elements with a namespace prefix: {', '.join(prefixed)} "
            "(readers that match names rather than namespaces miss them)",
            None,
        )
    check_atom_links(root, add, None)
    _check_atom_title(root, add, None)
    links = [(_relation(link), link.get("href")) for link in root.findall(f"{_A}link")]
    _check_archive(root.find(f"{_H}archive"), root.find(f"{_H}complete"), links, add)


def check_atom_entry(entry: Any, add: Add, label: str) -> None:
    """Check one Atom ``<entry>``: its links, its title and its ``xml:base``."""
    check_atom_links(entry, add, label)
    _check_atom_title(entry, add, label)
    base = entry.get(XML_BASE)
    if base:
        resolved = urldefrag(entry.base or base)[0]  # lxml resolves it against its parents
        targets = [link.get("href") for link in entry.findall(f"{_A}link")]
        targets.append((entry.findtext(f"{_A}id") or "").strip())
        for target in targets:
            if target and urldefrag(urljoin(resolved, target))[0] == resolved:
                add(
                    "same-document-base",
                    f"xml:base {base!r} is the entry's own link or id: against it, they are "
                    "same-document references (RFC 3986 section 4.4)",
                    label,
                )
                break


def check_atom_links(parent: Any, add: Add, label: str | None) -> None:
    """Report repeated alternate links, and links without ``rel`` beside an alternate."""
    links = parent.findall(f"{_A}link")
    alternates = [link for link in links if _relation(link) == "alternate"]
    if len(alternates) < 2:
        return
    bare = [link.get("href") for link in alternates if link.get("rel") is None]
    if bare:
        add(
            "link-without-rel",
            f"{len(bare)} link(s) without rel beside another alternate link, first "
            f"{bare[0]!r}: a link without rel is an alternate, and readers may open it",
            label,
        )
    seen: dict[tuple[str, str], str | None] = {}
    for link in alternates:
        key = ((link.get("type") or "").lower(), (link.get("hreflang") or "").lower())
        if key in seen:
            add(
                "duplicate-alternate",
                f"two alternate links of type {key[0] or '(none)'!r} and language "
                f"{key[1] or '(none)'!r}: {seen[key]!r} and {link.get('href')!r} "
                "(RFC 4287 section 4.1.1 allows one)",
                label,
            )
            break
        seen[key] = link.get("href")


def check_rss_channel(channel: Any, add: Add) -> None:
    """Check an RSS ``<channel>``'s title and archive markers."""
    _check_plain_title(channel.findtext("title"), "<title>", add, None)
    links = [(_relation(link), link.get("href")) for link in channel.findall(f"{_A}link")]
    _check_archive(channel.find(f"{_H}archive"), channel.find(f"{_H}complete"), links, add)


def check_rss_item(item: Any, add: Add, label: str) -> None:
    """Check one RSS ``<item>``: its title, and ``author`` beside ``dc:creator``."""
    _check_plain_title(item.findtext("title"), "<title>", add, label)
    if item.find("author") is not None and item.find(f"{{{DC_NS}}}creator") is not None:
        add(
            "duplicate-author",
            "<author> and <dc:creator> both name the author; RSS 2.0 <author> is an email "
            "address: keep one",
            label,
        )


def check_json_document(document: dict[str, Any], add: Add) -> None:
    """Check a JSON Feed's title, and its strings (but its items') for forbidden characters."""
    for key, value in document.items():
        if key != "items":
            _check_json_strings({key: value}, "", add, None)
    _check_plain_title(document.get("title"), "'title'", add, None)


def check_json_item(item: dict[str, Any], index: int, add: Add, label: str) -> None:
    """Check a JSON Feed item's title, and every string in it for forbidden characters."""
    _check_json_strings(item, f"/items/{index - 1}", add, label)
    _check_plain_title(item.get("title"), "'title'", add, label)


def _check_json_strings(value: Any, pointer: str, add: Add, entry: str | None) -> None:
    if isinstance(value, str):
        match = _ILLEGAL.search(value)
        if match:
            add(
                "control-character",
                f"{pointer or '/'} holds U+{ord(match.group()):04X}, which XML forbids and "
                "readers show as garbage or reject",
                entry,
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            _check_json_strings(key, f"{pointer}/{escaped} (the key)", add, entry)
            _check_json_strings(item, f"{pointer}/{escaped}", add, entry)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_strings(item, f"{pointer}/{index}", add, entry)


def _check_atom_title(parent: Any, add: Add, label: str | None) -> None:
    title = parent.find(f"{_A}title")
    if title is not None and (title.get("type") or "text") == "text":
        _check_plain_title(title.text, "<title>", add, label)


def _check_plain_title(text: Any, what: str, add: Add, label: str | None) -> None:
    if isinstance(text, str) and has_title_markup(text):
        add(
            "markup-in-title",
            f"{what} is plain text but holds HTML: {text[:80]!r} (readers show the tags, "
            "or guess it is HTML)",
            label,
        )


def _check_archive(
    archive: Any, complete: Any, links: list[tuple[str, str | None]], add: Add
) -> None:
    if archive is None:
        return
    if complete is not None:
        add(
            "archive-incomplete",
            "an archive document (fh:archive) also says fh:complete: RFC 5005 clients "
            "would drop every entry not in it",
            None,
        )
    if not any(rel == "current" and href for rel, href in links):
        add(
            "archive-incomplete",
            'an archive document (fh:archive) has no rel="current" link to the '
            "subscription feed (RFC 5005 section 4)",
            None,
        )


def _relation(link: Any) -> str:
    rel = (link.get("rel") or "alternate").strip()
    return rel.removeprefix(_IANA_RELATION)
