"""feedgen extensions (its documented extension mechanism) for what feedgen cannot say."""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension

XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


class XmlBaseExtension(BaseExtension):  # type: ignore[misc]
    """Feed-level part of the xml:base extension; it adds nothing to the feed itself."""


class XmlBaseEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Sets ``xml:base`` on an Atom entry (RFC 4287 section 2), so that readers resolve
    any relative reference left in the entry against the post's own URL."""

    def __init__(self) -> None:
        self._base: str | None = None

    def base(self, url: str | None = None) -> str | None:
        """Set (or get) the entry's base URL."""
        if url is not None:
            self._base = url
        return self._base

    def extend_atom(self, entry: Any) -> Any:
        """Put the base URL on the ``<entry>`` element."""
        if self._base:
            entry.set(XML_BASE, self._base)
        return entry

    def extend_rss(self, item: Any) -> Any:
        """RSS 2.0 has no xml:base; the URLs in content are absolute anyway."""
        return item
