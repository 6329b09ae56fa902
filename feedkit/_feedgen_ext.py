"""feedgen extensions (its documented extension mechanism) for what feedgen cannot say.

feedgen writes only the ``self`` link into RSS and makes the RSS channel ``<link>`` the
last link added, so links such as ``hub`` and ``prev-archive`` are added here instead of
through ``FeedGenerator.link``.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class FeedkitExtension(BaseExtension):  # type: ignore[misc]
    """Extra ``atom:link`` elements and the RFC 5005 archive marker for a feed."""

    def __init__(self) -> None:
        self._links: list[dict[str, str]] = []
        self._is_archive = False

    def extend_ns(self) -> dict[str, str]:
        """Declare the feed-history namespace when it is used."""
        return {"fh": HISTORY_NS} if self._is_archive else {}

    def link(self, href: str, rel: str, media_type: str | None = None) -> None:
        """Add an ``atom:link`` (``hub``, ``prev-archive``, ``current``, ...)."""
        attributes = {"href": href, "rel": rel}
        if media_type:
            attributes["type"] = media_type
        self._links.append(attributes)

    def archive(self) -> None:
        """Mark the document as an archive document (RFC 5005 section 4, ``fh:archive``)."""
        self._is_archive = True

    def _extend(self, parent: Any, *, before_entries: str) -> None:
        position = len(parent)
        for index, child in enumerate(parent):
            if child.tag == before_entries:
                position = index
                break
        elements = [etree.Element(f"{{{ATOM_NS}}}link", attributes) for attributes in self._links]
        if self._is_archive:
            elements.insert(0, etree.Element(f"{{{HISTORY_NS}}}archive"))
        for offset, element in enumerate(elements):
            parent.insert(position + offset, element)

    def extend_atom(self, feed: Any) -> Any:
        """Add the links and marker to an Atom ``<feed>``, before its entries."""
        self._extend(feed, before_entries=f"{{{ATOM_NS}}}entry")
        return feed

    def extend_rss(self, rss: Any) -> Any:
        """Add the links and marker to an RSS ``<channel>``, before its items."""
        self._extend(rss.find("channel"), before_entries="item")
        return rss


class FeedkitEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Sets ``xml:base`` on an Atom entry (RFC 4287 section 2), so that readers resolve
    any relative reference left in the entry against the post's own URL."""

    def __init__(self) -> None:
        self._base: str | None = None
        self._lang: str | None = None

    def lang(self, tag: str | None = None) -> str | None:
        """Set (or get) the entry's language, written as ``xml:lang`` on ``<entry>`` (as
        jekyll-feed writes a post's ``lang``)."""
        if tag is not None:
            self._lang = tag
        return self._lang

    def base(self, url: str | None = None) -> str | None:
        """Set (or get) the entry's base URL."""
        if url is not None:
            self._base = url
        return self._base

    def extend_atom(self, entry: Any) -> Any:
        """Put the base URL on the ``<entry>`` element."""
        if self._base:
            entry.set(XML_BASE, self._base)
        if self._lang:
            entry.set(XML_LANG, self._lang)
        return entry

    def extend_rss(self, item: Any) -> Any:
        """RSS 2.0 has no xml:base; the URLs in content are absolute anyway."""
        return item
