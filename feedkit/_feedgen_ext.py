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

    def _extend(self, parent: Any, *, before_entries: str, link_tag: str) -> None:
        position = len(parent)
        for index, child in enumerate(parent):
            if child.tag == before_entries:
                position = index
                break
        # SubElement, not Element: a detached element declares its namespace itself and
        # keeps that declaration when moved, which gives <ns0:link xmlns:ns0="...">
        # (the validator's AvoidNamespacePrefix); made in place, it uses the document's.
        elements = [etree.SubElement(parent, link_tag, attributes) for attributes in self._links]
        if self._is_archive:
            elements.insert(0, etree.SubElement(parent, f"{{{HISTORY_NS}}}archive"))
        for offset, element in enumerate(elements):
            parent.insert(position + offset, element)

    def extend_atom(self, feed: Any) -> Any:
        """Add the links and marker to an Atom ``<feed>``, before its entries."""
        # feedgen 1.0.0 builds Atom documents from elements in no namespace under a
        # literal xmlns="http://www.w3.org/2005/Atom" attribute: ours are made the same
        # way, so that they serialize as plain <link> in the default namespace.
        self._extend(feed, before_entries="entry", link_tag="link")
        return feed

    def extend_rss(self, rss: Any) -> Any:
        """Add the links and marker to an RSS ``<channel>``, before its items."""
        self._extend(rss.find("channel"), before_entries="item", link_tag=f"{{{ATOM_NS}}}link")
        return rss


class FeedkitEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Writes an Atom entry's links whole, and ``xml:base`` on its ``content`` and
    ``summary`` (RFC 4287 section 2), so that readers resolve any relative reference left
    in them against the post's own URL.

    The base goes on the text constructs, not on ``<entry>``: on the entry it would make
    the entry's own ``link`` and ``id`` same-document references (RFC 3986 section 4.4),
    which the W3C validator flags (``SameDocumentReference``).
    """

    def __init__(self) -> None:
        self._base: str | None = None
        self._links: list[dict[str, str]] = []
        self._lang: str | None = None

    def lang(self, tag: str | None = None) -> str | None:
        """Set (or get) the entry's language, written as ``xml:lang`` on ``<entry>`` (as
        jekyll-feed writes a post's ``lang``)."""
        if tag is not None:
            self._lang = tag
        return self._lang

    def base(self, url: str | None = None) -> str | None:
        """Set (or get) the base URL of the entry's content and summary."""
        if url is not None:
            self._base = url
        return self._base

    def links(self, links: list[dict[str, str]]) -> None:
        """Keep the entry's links (``FeedEntry.link()``) to write them whole in Atom."""
        self._links = [dict(link) for link in links]

    def extend_atom(self, entry: Any) -> Any:
        """Rewrite the entry's ``<link>`` elements, and put the base URL on its content."""
        written = entry.findall("link")  # feedgen's Atom elements have no namespace
        if written and self._links:
            # feedgen 1.0.0's FeedEntry.atom_entry() reuses its loop variable for the new
            # element ("link = xml_elem('link', ...)" inside "for link in links"), so every
            # "link.get('rel')" after it reads the element and finds nothing: each link
            # loses rel, type, hreflang, title and length. An entry with an image then has
            # two alternate links (RFC 4287 4.1.1 allows one per type and hreflang) and
            # readers open the image. Write them again from the data feedgen holds.
            position = list(entry).index(written[0])
            for element in written:
                entry.remove(element)
            for offset, link in enumerate(self._links):
                element = etree.SubElement(entry, "link", _link_attributes(link))
                entry.insert(position + offset, element)
        if self._base:
            for name in ("content", "summary"):
                element = entry.find(name)
                if element is not None:
                    element.set(XML_BASE, self._base)
        if self._lang:
            entry.set(XML_LANG, self._lang)
        return entry

    def extend_rss(self, item: Any) -> Any:
        """RSS 2.0 has no xml:base; the URLs in content are absolute anyway."""
        return item


def _link_attributes(link: dict[str, str]) -> dict[str, str]:
    attributes = {"href": link["href"]}
    for key in ("rel", "type", "hreflang", "title", "length"):
        value = link.get(key)
        # A length of 0 is feedgen's "unknown" (RSS requires the attribute); Atom's is
        # optional and advisory (RFC 4287 4.2.7.6), so an unknown one is left out.
        if value and not (key == "length" and value in ("0", "None")):
            attributes[key] = str(value)
    return attributes
