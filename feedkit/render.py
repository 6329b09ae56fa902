"""Render stage: turn a post's body into HTML that is safe to put in a feed.

Markdown goes through markdown-it (CommonMark, raw HTML kept, pipe tables, emphasis
beside CJK text as kramdown makes it: :mod:`feedkit._markdown`); HTML
bodies are kept as written. Either way the HTML is then parsed with a real HTML5 parser
(html5ever, through nh3), which repairs broken markup the way browsers do, removes what
feed readers must not run (unless the site trusts its HTML), and gets every relative URL
made absolute against the post's own URL. Characters that XML 1.0 forbids are dropped.

Everything here is pure: strings in, strings out.
"""

from __future__ import annotations

import html
import mimetypes
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import nh3

from .diagnostics import Diagnostics
from .models import Enclosure, Item, Post, Source

if TYPE_CHECKING:
    from datetime import tzinfo

    from .liquid import LiquidSite
    from .settings import Settings
    from .timeline import TimelineEvent

__all__ = [
    "absolute_url",
    "clean_html",
    "first_paragraph",
    "has_title_markup",
    "html_to_text",
    "render_item",
    "render_item_html",
    "render_markdown",
    "render_post",
    "strip_xml_illegal",
    "title_text",
    "zone_of",
]

# XML 1.0 section 2.2:
# Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
# Spelled as the characters it excludes: the negated class takes ~10 ms to compile.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Attributes whose value is one URL, and srcset whose value is a list of "URL descriptor".
_URL_ATTRIBUTES = frozenset(
    {"href", "src", "poster", "data", "cite", "action", "longdesc", "background", "formaction"}
)
# Of those, the ones whose resource a reader fetches to show the element.
_FETCHED_ATTRIBUTES = frozenset({"src", "poster", "data", "background"})
_SRCSET_ATTRIBUTES = frozenset({"srcset"})
_SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp", "data", "magnet"})
_SAFE_TAGS = frozenset(nh3.ALLOWED_TAGS) | {
    "audio",
    "video",
    "source",
    "track",
    "picture",
    "section",
    "main",
    "figure",
    "figcaption",
}
_UNSAFE_TAGS = frozenset({"script", "iframe", "object", "embed", "style", "form", "input"})
_SAFE_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"title", "lang", "dir", "id", "class", "style", "align", "width", "height"},
    "a": {"href", "hreflang", "rel", "name"},
    "img": {"src", "srcset", "sizes", "alt", "loading"},
    "source": {"src", "srcset", "type", "media", "sizes"},
    "video": {"src", "poster", "controls", "loop", "muted", "preload"},
    "audio": {"src", "controls", "loop", "muted", "preload"},
    "track": {"src", "kind", "srclang", "label"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "col": {"span"},
    "colgroup": {"span"},
}
_SAFE_STYLE_PROPERTIES = frozenset(
    {
        "text-align",
        "vertical-align",
        "width",
        "height",
        "color",
        "background-color",
        "font-weight",
        "font-style",
        "text-decoration",
        "white-space",
    }
)


def render_markdown(text: str) -> str:
    """Return the HTML of Markdown ``text``: CommonMark with pipe tables and strikethrough,
    raw HTML kept, and emphasis next to Korean, Chinese or Japanese text made as Jekyll's
    kramdown makes it (see :mod:`feedkit._markdown`)."""
    from ._markdown import render_markdown as render

    return render(text)


def strip_xml_illegal(text: str) -> str:
    """Return ``text`` without the characters XML 1.0 forbids (NUL, most C0 controls,
    lone surrogates, U+FFFE/U+FFFF), which would make a whole feed unreadable."""
    return _XML_ILLEGAL.sub("", text)


# An HTML element (open or close tag) or a character reference: what makes a title markup.
_TITLE_MARKUP = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)\b[^<>]*>|&(#[0-9]+|#[xX][0-9a-fA-F]+|\w+);")


def has_title_markup(title: str) -> bool:
    """Return True if ``title`` holds an HTML element (``<b>``, ``</em>``) or a character
    reference (``&amp;``), which is what :func:`title_text` turns into text."""
    matches = _TITLE_MARKUP.findall(title)
    if not matches:
        return False
    from lxml.html.defs import tags

    return any(reference or name.lower() in tags for name, reference in matches)


@lru_cache(maxsize=4096)
def title_text(title: str) -> str:
    """Return ``title`` as the plain text a reader should show, without XML-illegal characters.

    Titles are plain text in all three formats (Atom ``type="text"``, RSS, JSON Feed), but
    a Jekyll page shows its title as HTML, and jekyll-feed strips that markup from feed
    titles (``strip_html``). A title with an HTML element or a character reference is
    therefore read as HTML and becomes the text a browser shows (``<b>co</b>`` gives ``co``;
    script and style content goes). Anything else is kept as written, so ``a < b`` and
    ``C++ <vector>`` (not an HTML element) stay as they are, and so is a title that would
    leave no text (``<p>``).
    """
    title = strip_xml_illegal(title)
    if not has_title_markup(title):
        return title
    import lxml.html

    fragment = lxml.html.fragment_fromstring(title, create_parent="div")
    for element in fragment.xpath(".//script|.//style|.//template"):
        element.drop_tree()
    text = " ".join(fragment.text_content().split())
    # A title that is all markup (``<p>``) would become empty, and every format needs one.
    return strip_xml_illegal(text) or title


def absolute_url(value: str, base_url: str) -> str:
    """Return ``value`` resolved against ``base_url``; absolute URLs come back unchanged.

    A value that is not a URL at all (``http://[::1``, an unclosed IPv6 host) gives ''.
    """
    value = value.strip()
    if not value:
        return value
    try:
        return urljoin(base_url, value)
    except ValueError:
        return ""


def _absolute_srcset(value: str, base_url: str, *, sanitize: bool) -> str:
    candidates = []
    for candidate in value.split(","):
        parts = candidate.strip().split(None, 1)
        if not parts:
            continue
        parts[0] = absolute_url(parts[0], base_url)
        if parts[0] and not (sanitize and not _is_safe_url(parts[0])):
            candidates.append(" ".join(parts))
    return ", ".join(candidates)


def _is_safe_url(url: str) -> bool:
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return False
    return scheme in _SAFE_SCHEMES or scheme == ""


# The URL that relative URLs resolve against, for the fragment being cleaned now: the
# cleaners are built once (building one costs as much as cleaning a post), so their
# attribute filter cannot close over a post's URL.
_BASE_URL: ContextVar[str] = ContextVar("feedkit_base_url", default="")


def _rewrite_attribute(tag: str, attribute: str, value: str, *, sanitize: bool) -> str | None:
    base_url = _BASE_URL.get()
    if attribute in _URL_ATTRIBUTES:
        if base_url and not value.strip():
            # An empty reference names the document it is in (RFC 3986 §5.2.2), which a
            # feed is not: for a link, the post, written out (the W3C validator warns of
            # the relative one, ContainsRelRef); what a reader would fetch (an image's
            # empty src fetches nothing) goes, rather than fetch the post as an image.
            return None if attribute in _FETCHED_ATTRIBUTES else base_url
        url = absolute_url(value, base_url)
        if (sanitize and not _is_safe_url(url)) or (value.strip() and not url):
            return None
        return url
    if attribute in _SRCSET_ATTRIBUTES:
        return _absolute_srcset(value, base_url, sanitize=sanitize)
    if sanitize and attribute.startswith("on"):
        return None
    return value


@lru_cache(maxsize=2)
def _cleaner(sanitize: bool) -> nh3.Cleaner:
    if sanitize:
        return nh3.Cleaner(
            tags=set(_SAFE_TAGS - _UNSAFE_TAGS),
            clean_content_tags={"script", "style"},
            attributes=_SAFE_ATTRIBUTES,
            generic_attribute_prefixes={"data-"},
            attribute_filter=partial(_rewrite_attribute, sanitize=True),
            link_rel=None,
            filter_style_properties=set(_SAFE_STYLE_PROPERTIES),
        )
    return nh3.Cleaner(
        tags=set(_SAFE_TAGS | _UNSAFE_TAGS | {"iframe", "object", "param"}),
        clean_content_tags=set(),
        attributes={"*": _ALL_ATTRIBUTES},
        generic_attribute_prefixes={"data-", "aria-", "on"},
        attribute_filter=partial(_rewrite_attribute, sanitize=False),
        link_rel=None,
        strip_comments=False,
    )


def clean_html(fragment: str, base_url: str, *, sanitize: bool = True) -> str:
    """Repair, sanitize and absolutize an HTML fragment for a feed.

    The fragment is parsed as a browser would (HTML5 tree building: stray ``</p>``, a
    list inside a paragraph), every URL in ``href``, ``src``, ``srcset``, ``poster``,
    ``data`` and the like is resolved against ``base_url``, and XML-illegal characters
    are dropped. With ``sanitize`` (the default), ``script``, ``iframe``, ``object``,
    ``embed``, ``on*`` handlers and ``javascript:`` URLs are removed; without it, the
    markup is only repaired (for sites that trust their own HTML).
    """
    return _clean(strip_xml_illegal(fragment), base_url, sanitize=sanitize)


def _clean(fragment: str, base_url: str, *, sanitize: bool) -> str:
    """:func:`clean_html` of a fragment made from text that :func:`strip_xml_illegal`
    has been through already, and so holds no lone surrogate, which nh3 cannot take:
    Markdown rendered from such text, or the text itself. Scanning a whole post once
    more for what it cannot hold costs about a twentieth of rendering it."""
    token = _BASE_URL.set(base_url)
    try:
        cleaned = _cleaner(sanitize).clean(fragment)
    finally:
        _BASE_URL.reset(token)
    # Character references (&#1;) may still spell characters XML forbids.
    return strip_xml_illegal(cleaned)


_ALL_ATTRIBUTES = set().union(*_SAFE_ATTRIBUTES.values()) | {
    "allow",
    "allowfullscreen",
    "frameborder",
    "type",
    "name",
    "value",
    "sandbox",
}

_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


# Elements that break a line of text where a browser shows them: one space stands for the
# break in plain text. Every other element is inline, and its text runs on with no space
# added: "서울에 <strong>첫눈</strong>이" is "서울에 첫눈이", "the <a>Atom feed</a>." is
# "the Atom feed." (issue 22).
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
# Elements whose text is no text a reader sees.
_HIDDEN_TAGS = frozenset(("script", "style", "template", "noscript"))


def html_to_text(fragment: str) -> str:
    """Return the text of an HTML fragment as one line (for plain summaries): inline
    elements joined as written, block elements separated by one space, whitespace folded.

    Parsed with lxml's HTML parser, not by a pattern: entities, comments and attributes
    holding ``>`` are what a browser makes of them.
    """
    if "<" not in fragment:
        return _SPACE.sub(" ", html.unescape(fragment)).strip()
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()
    parts: list[str] = []

    def walk(element: Any) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        block = tag.lower() in _BLOCK_TAGS
        if block:
            parts.append(" ")
        if tag and tag.lower() not in _HIDDEN_TAGS and element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append(" ")

    walk(root)
    return _SPACE.sub(" ", "".join(parts)).strip()


def first_paragraph(fragment: str) -> str:
    """Return the first ``<p>`` of cleaned HTML that holds text (with its markup), or ''."""
    for match in _PARAGRAPH.finditer(fragment):
        if html_to_text(match.group(1)):
            return match.group(0)
    return ""


# The types of the files an enclosure usually is, so that they do not depend on the
# host: Python 3.11's own table lacks .webp, .m4a and .ogg, and slim containers have no
# /etc/mime.types to add them (an enclosure would say application/octet-stream there).
_MEDIA_TYPES = {
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".gif": "image/gif",
    ".heic": "image/heic",
    ".ico": "image/vnd.microsoft.icon",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".jxl": "image/jxl",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".webp": "image/webp",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".oga": "audio/ogg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",  # RFC 7845: an Ogg Opus file is audio/ogg
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".pdf": "application/pdf",
}


def _guess_media_type(url: str) -> str:
    path = urlsplit(url).path
    known = _MEDIA_TYPES.get(posixpath.splitext(path)[1].lower())
    if known is not None:
        return known
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


def render_item_html(post_source: Source, *, sanitize: bool = True) -> str:
    """Return a loaded source's body as cleaned HTML with URLs left as written (no base).

    For reading the body (timeline tables) before the post's URL is known.
    """
    body = strip_xml_illegal(post_source.body or "")
    raw_html = render_markdown(body) if post_source.markup == "markdown" else body
    return _clean(raw_html, "", sanitize=sanitize)


def kramdown_toc_levels(options: object) -> Sequence[int]:
    """The heading levels a table of contents lists, from a Jekyll site's ``kramdown``
    options (``toc_levels``: ``1..3``, ``2,3``, a list, a number; by default all six,
    as Jekyll sets it)."""
    value = options.get("toc_levels") if isinstance(options, Mapping) else None
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        return tuple(value)
    if isinstance(value, str):
        text = value.strip()
        first, dots, last = text.partition("..")
        try:
            if dots:
                return tuple(range(int(first), int(last) + 1))
            return tuple(int(part) for part in text.split(","))
        except ValueError:
            pass
    return tuple(range(1, 7))


def _with_liquid_rendered(
    post: Post,
    body: str,
    excerpt: str | None,
    liquid: LiquidSite,
    diagnostics: Diagnostics | None,
) -> tuple[str, str | None]:
    """``body`` and ``excerpt`` with their Liquid rendered as Jekyll renders it, where they
    hold any and the post does not turn Liquid off. :mod:`feedkit.liquid` is imported here,
    where a LiquidSite exists already: a build of a site without Liquid never imports it."""
    from .liquid import has_liquid, is_liquid_enabled, page_variables, render_liquid

    if not (has_liquid(body) or has_liquid(excerpt)) or not is_liquid_enabled(post.source.metadata):
        return body, excerpt
    found = Diagnostics() if diagnostics is None else diagnostics
    page = page_variables(post)
    path, line = post.source.path, post.source.body_line
    body = render_liquid(body, site=liquid, page=page, path=path, line=line, diagnostics=found)
    if excerpt:
        # The excerpt cut at excerpt_separator starts where the body does.
        excerpt = render_liquid(
            excerpt, site=liquid, page=page, path=path, line=line, diagnostics=found
        )
    return body, excerpt


def render_item(
    post: Post,
    *,
    sanitize: bool = True,
    site_files: Mapping[str, int] | None = None,
    site_root: str | None = None,
    liquid: LiquidSite | None = None,
    diagnostics: Diagnostics | None = None,
    summary: Callable[[str], str] | None = None,
) -> Item:
    """Render ``post`` for feeds.

    ``site_files`` maps image paths as written in front matter (``/assets/img/x.jpg``) to
    the size of the file the site holds there, so that the image's enclosure can carry
    its real length; ``site_root`` is the site's URL with its baseurl, against which a
    front-matter image path starting with ``/`` is resolved. With ``liquid`` (a Jekyll
    site), the body and excerpt go through Liquid first, as Jekyll renders them, unless
    the front matter says ``render_with_liquid: false``; Liquid's warnings go to
    ``diagnostics``. ``summary`` makes the summary of a post without an excerpt from its
    content HTML (a Hugo site's automatic summary); by default it is the first paragraph.
    """
    body = post.source.body or ""
    excerpt = post.excerpt
    if liquid is not None:
        body, excerpt = _with_liquid_rendered(post, body, excerpt, liquid, diagnostics)
    # Dropped before Markdown, which would turn a NUL into U+FFFD (CommonMark 2.3).
    body = strip_xml_illegal(body)
    from ._markdown import apply_attribute_lists

    is_markdown = post.source.markup == "markdown"
    raw_html = render_markdown(body) if is_markdown else body
    # A Jekyll site's Markdown is kramdown's, which reads attribute lists ({:toc}).
    toc_levels = None if liquid is None else kramdown_toc_levels(liquid.site.get("kramdown"))
    if toc_levels is not None and is_markdown:
        raw_html = apply_attribute_lists(raw_html, toc_levels=toc_levels)
    content_html = _clean(raw_html, post.url, sanitize=sanitize)
    if excerpt:
        excerpt_html = render_markdown(strip_xml_illegal(excerpt))
        if toc_levels is not None:
            excerpt_html = apply_attribute_lists(excerpt_html, toc_levels=toc_levels)
        summary_html = _clean(excerpt_html, post.url, sanitize=True)
    elif summary is not None:
        summary_html = summary(content_html)
        if summary_html != content_html:
            # Cut at a paragraph's end, it may leave elements open (a <blockquote>):
            # repaired as the content was, so that the summary is well-formed HTML.
            summary_html = _clean(summary_html, post.url, sanitize=sanitize)
    else:
        summary_html = first_paragraph(content_html)
    summary_text = html_to_text(summary_html)
    image_url = enclosure = None
    if post.image:
        image = strip_xml_illegal(post.image)
        # A front-matter image path is relative to the site (Jekyll's absolute_url filter,
        # which jekyll-feed applies, puts baseurl in front), unlike links in the content.
        if site_root and image.startswith("/") and not image.startswith("//"):
            image_url = site_root + image.lstrip("/")
        else:
            image_url = absolute_url(image, post.url)
        if _is_safe_url(image_url) and urlsplit(image_url).scheme in ("http", "https"):
            length = (site_files or {}).get(post.image, 0)
            enclosure = Enclosure(image_url, length, _guess_media_type(image_url))
        else:
            image_url = None
    return Item(
        post=post,
        content_html=content_html,
        summary_html=summary_html,
        summary_text=summary_text,
        image_url=image_url,
        enclosure=enclosure,
    )


def render_post(
    post: Post,
    settings: Settings,
    *,
    site_files: Mapping[str, int],
    diagnostics: Diagnostics,
    liquid: LiquidSite | None = None,
) -> tuple[Item, tuple[TimelineEvent, ...]]:
    """Render one post for its feeds, with its timeline events (also set on the item as
    its JSON Feed extension when there are any); ``liquid`` is the site's Liquid context
    on a Jekyll site.

    The post's body is the one read in this build when it was (each file is read once
    a build); a post taken from the parse cache has none, and its file is read here. The
    item keeps the post without its body: feeds do not need it, and an item kept for
    several feeds would keep the text as long.
    """
    from dataclasses import replace

    from .collect import load_post_body, warn_missing_image
    from .ical import TIMELINE_EXTENSION, timeline_extension
    from .timeline import extract_timeline, has_table

    loaded = load_post_body(post, settings, diagnostics)
    summary = None
    if settings.hugo is not None:
        from .hugo import hugo_summary

        summary = hugo_summary(loaded, settings.hugo)
    item = render_item(
        loaded,
        sanitize=settings.feeds.sanitize,
        site_files=site_files,
        site_root=settings.site.root_url,
        liquid=liquid,
        diagnostics=diagnostics,
        summary=summary,
    )
    if post.source.body is not None:
        post = replace(post, source=replace(post.source, body=None))
    item = replace(item, post=post)
    warn_missing_image(post, item, settings, diagnostics)
    events: tuple[TimelineEvent, ...] = ()
    # Most posts have no table: they pay nothing for the timeline (#25).
    if settings.feeds.timeline and has_table(item.content_html):
        events = extract_timeline(item.content_html, post.published_at, zone_of(post))
        _report_undated(post, events, diagnostics)
        extension = timeline_extension(events)
        if extension is not None:
            item = replace(item, extensions={TIMELINE_EXTENSION: extension})
    return item, events


def zone_of(post: Post) -> tzinfo:
    """The zone a post was written in: its date's own offset (a timeline row without a
    zone is local time where the post was written)."""
    zone = post.published_at.tzinfo
    assert zone is not None  # every datetime in the models is aware
    return zone


def _report_undated(post: Post, events: Iterable[TimelineEvent], diagnostics: Diagnostics) -> None:
    for event in events:
        if event.span is None:
            diagnostics.info(
                "timeline-undated",
                f"timeline row {event.row + 1} of table {event.table + 1}: "
                f"{event.date_text!r} is not a date; kept as an undated event",
                path=post.source.path,
            )
        else:
            for warning in event.span.warnings:
                diagnostics.warn("timeline-date", warning, path=post.source.path)
