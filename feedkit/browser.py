"""What a person sees who opens a feed in a browser: ``feeds.html``, ``feed.xsl`` and the
autodiscovery ``<link>`` tags.

* :func:`render_feeds_page` writes ``feeds.html``: the site's feeds with their addresses to
  copy into a reader, a short explanation of feeds (in Korean when ``site.language`` is
  ``ko``, else in English) and the latest posts. It is static HTML with inline CSS: no
  JavaScript and no external resources, so it works from any host and in any reader's
  built-in browser.
* :func:`xslt_stylesheet` and :func:`add_stylesheet_pi` make RSS and Atom files readable
  in the browsers that still apply XSLT (``feeds.xslt``); the feeds stay byte-for-byte the
  same XML for readers, with one processing instruction more.
* :func:`discovery_links` returns the ``<link rel="alternate">`` tags for a site's ``<head>``
  (HTML Living Standard, "Link type alternate"), for ``feedkit links``.

Everything here is pure: the same settings, feeds and items give the same bytes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from .generate import FEED_FILES, feed_url, order_posts
from .models import Artifact, FeedSpec, Item
from .render import strip_xml_illegal
from .settings import Settings

__all__ = [
    "FEEDS_PAGE_MEDIA_TYPE",
    "FEEDS_PAGE_NAME",
    "XSLT_FILE_NAME",
    "XSLT_MEDIA_TYPE",
    "FeedLink",
    "add_stylesheet_pi",
    "discovery_links",
    "feed_links",
    "render_feeds_page",
    "site_feed_link",
    "stylesheet_href",
    "with_stylesheet",
    "xslt_stylesheet",
]

FEEDS_PAGE_NAME = "feeds.html"
FEEDS_PAGE_MEDIA_TYPE = "text/html"
XSLT_FILE_NAME = "feed.xsl"
# Chromium and Firefox apply a stylesheet only when it is served as XML; feedkit serve
# sends .xsl as text/xsl.
XSLT_MEDIA_TYPE = "text/xsl"
FORMAT_LABELS: Mapping[str, str] = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
_XML_FEED_TYPES = (FEED_FILES["rss"][1], FEED_FILES["atom"][1])
_SUMMARY_CHARS = 280

# A system font stack that has Hangul on every platform: Apple SD Gothic Neo (macOS, iOS),
# Noto Sans KR / Noto Sans CJK (Android, Linux), Malgun Gothic (Windows).
_FONTS = (
    'system-ui, -apple-system, "Segoe UI", "Apple SD Gothic Neo", "Noto Sans KR", '
    '"Noto Sans CJK KR", "Malgun Gothic", sans-serif'
)
# No "<", ">" or "&": the same rules go verbatim into feed.xsl (XML) and feeds.html.
STYLE = f"""
:root {{ color-scheme: light dark; --muted: #5f6368; --line: #d0d4d9; --accent: #0b57d0; }}
@media (prefers-color-scheme: dark) {{
  :root {{ --muted: #a8adb3; --line: #3c4043; --accent: #8ab4f8; }}
}}
* {{ box-sizing: border-box; }}
body {{ font-family: {_FONTS}; line-height: 1.6; margin: 0 auto; max-width: 46rem;
  padding: 1.5rem 1rem 3rem; word-break: keep-all; overflow-wrap: anywhere; }}
a {{ color: var(--accent); }}
h1 {{ font-size: 1.7rem; line-height: 1.3; margin: 0.2rem 0 0.5rem; }}
h2 {{ font-size: 1.25rem; margin: 2rem 0 0.75rem; padding-bottom: 0.3rem;
  border-bottom: 1px solid var(--line); }}
h3 {{ font-size: 1.05rem; margin: 1.1rem 0 0.3rem; }}
.site, .meta, .note, footer {{ color: var(--muted); font-size: 0.9rem; }}
.about {{ border: 1px solid var(--line); border-radius: 0.5rem; padding: 0.25rem 1rem; }}
.about h2 {{ margin-top: 0.75rem; }}
.urls {{ list-style: none; margin: 0; padding: 0; }}
.urls li {{ display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 0.75rem;
  margin: 0.35rem 0; }}
.urls a {{ flex: 0 0 6rem; font-weight: 600; }}
.urls input {{ flex: 1 1 18rem; min-width: 0; font: 0.9rem ui-monospace, SFMono-Regular,
  Menlo, Consolas, monospace; padding: 0.35rem 0.5rem; border: 1px solid var(--line);
  border-radius: 0.35rem; background: transparent; color: inherit; }}
details {{ margin: 1rem 0; }}
summary {{ cursor: pointer; font-weight: 600; }}
.entries {{ list-style: none; margin: 0; padding: 0; }}
.entries li {{ margin: 0 0 1.25rem; }}
.entries h3 {{ margin: 0; }}
.entries p {{ margin: 0.2rem 0; }}
footer {{ margin-top: 3rem; }}
""".strip()


@dataclass(frozen=True)
class FeedLink:
    """One subscription feed as a person sees it: a title and an absolute URL per format.

    ``kind`` is ``site``, ``category`` or ``tag``; ``name`` is the category or tag as
    written (None for the site feed); ``urls`` maps ``rss``, ``atom`` and ``json`` to
    absolute URLs, in the order of ``feeds.formats``.
    """

    title: str
    kind: str
    urls: Mapping[str, str]
    name: str | None = None


def site_feed_link(settings: Settings) -> FeedLink:
    """Return the site-wide feed of ``settings``, from the settings alone (no build).

    Its URLs are ``site.root_url`` plus ``rss.xml``, ``atom.xml`` and ``feed.json``, for the
    formats in ``feeds.formats``; its title is ``site.title``, else ``site.url``.
    """
    urls = {fmt: settings.site.root_url + FEED_FILES[fmt][0] for fmt in settings.feeds.formats}
    return FeedLink(settings.site.title or settings.site.url, "site", urls)


def feed_links(specs: Iterable[FeedSpec], settings: Settings) -> tuple[FeedLink, ...]:
    """Return the subscription feeds among ``specs`` (site, categories, tags) in order.

    Archive pages are left out: nobody subscribes to them (RFC 5005 section 4).
    """
    return tuple(
        FeedLink(
            spec.title,
            spec.kind,
            {fmt: feed_url(spec, fmt, settings) for fmt in settings.feeds.formats},
            spec.name,
        )
        for spec in specs
        if spec.kind != "archive"
    )


def _clean(text: str) -> str:
    return html.escape(strip_xml_illegal(text), quote=True)


def _alternate_tags(feed: FeedLink) -> list[str]:
    return [
        f'<link rel="alternate" type="{FEED_FILES[fmt][1]}" '
        f'title="{_clean(f"{feed.title} ({FORMAT_LABELS[fmt]})")}" href="{_clean(url)}">'
        for fmt, url in feed.urls.items()
    ]


def discovery_links(settings: Settings, feeds: Sequence[FeedLink] | None = None) -> str:
    """Return the autodiscovery ``<link rel="alternate">`` tags of the site-wide feeds.

    One tag per format (RSS, Atom, JSON Feed, as in ``feeds.formats``), one per line, no
    trailing newline, to paste into the ``<head>`` of the site's pages. ``feeds`` defaults
    to :func:`site_feed_link`; only its ``site`` entries are used.
    """
    chosen = [feed for feed in feeds or (site_feed_link(settings),) if feed.kind == "site"]
    return "\n".join(tag for feed in chosen for tag in _alternate_tags(feed))


# The page's own words, in the two languages it speaks.
_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Follow {site}",
        "lead": "Subscribe to {site} in a feed reader and get every new post as it comes out.",
        "what": "What is a feed?",
        "what_text": (
            "A feed is a list of a site's newest posts, published at a fixed address. A feed "
            "reader app checks that address for you and shows new posts as they appear, so "
            "you can follow many sites in one place without visiting each of them. No "
            "account or email address is needed."
        ),
        "how": "How to subscribe",
        "step1": (
            "Open your feed reader (for example Feedly, Inoreader, NetNewsWire, "
            "Thunderbird or Feeder)."
        ),
        "step2": "Copy one of the addresses below and add it as a new subscription.",
        "step3": "New posts will appear in your reader as they are published.",
        "formats": (
            "{formats} hold the same posts, and most readers accept any of them. "
            "If unsure, use the {first} address."
        ),
        "site": "All posts",
        "category": "Categories",
        "tag": "Tags",
        "address": "{format} address of {feed}",
        "latest": "Latest posts",
        "empty": "No posts yet.",
        "home": "Home page",
        "footer": "This page lists the feeds of {site}. It was written by feedkit.",
        "and": " and ",
    },
    "ko": {
        "title": "{site} 구독하기",
        "lead": "피드 리더로 구독하면 {site}의 새 글이 올라올 때마다 받아 볼 수 있습니다.",
        "what": "피드란?",
        "what_text": (
            "피드는 사이트의 새 글 목록을 정해진 주소에 게시한 것입니다. 피드 리더 앱이 "
            "그 주소를 대신 확인해 새 글을 보여 주므로, 여러 사이트를 일일이 방문하지 "
            "않고 한곳에서 받아 볼 수 있습니다. 가입하거나 이메일 주소를 남길 필요는 "
            "없습니다."
        ),
        "how": "구독하는 방법",
        "step1": "피드 리더를 엽니다(예: Feedly, Inoreader, NetNewsWire, Thunderbird, Feeder).",
        "step2": "아래 주소 중 하나를 복사해 새 구독으로 추가합니다.",
        "step3": "새 글이 올라오면 리더에 나타납니다.",
        "formats": (
            "{formats} 형식은 같은 글을 담고 있으며, 대부분의 리더는 어느 형식이든 읽습니다. "
            "잘 모르겠다면 {first} 주소를 쓰세요."
        ),
        "site": "전체 글",
        "category": "분류",
        "tag": "태그",
        "address": "{feed} {format} 주소",
        "latest": "최근 글",
        "empty": "아직 글이 없습니다.",
        "home": "홈페이지",
        "footer": "{site}의 피드 목록입니다. feedkit이 만들었습니다.",
        "and": ", ",
    },
}


def _ui_language(settings: Settings) -> str:
    return "ko" if settings.site.language.lower().startswith("ko") else "en"


def _primary(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def _format_list(formats: Sequence[str], words: Mapping[str, str]) -> str:
    labels = [FORMAT_LABELS[fmt] for fmt in formats]
    if len(labels) <= 2:
        return words["and"].join(labels)
    if words["and"] == ", ":
        return ", ".join(labels)
    return ", ".join(labels[:-1]) + "," + words["and"] + labels[-1]


def _feed_block(feed: FeedLink, heading: str, words: Mapping[str, str]) -> list[str]:
    lines = [f"<h3>{_clean(heading)}</h3>", '<ul class="urls">']
    for fmt, url in feed.urls.items():
        label = FORMAT_LABELS[fmt]
        aria = words["address"].format(format=label, feed=heading)
        lines.append(
            f'<li><a href="{_clean(url)}" type="{FEED_FILES[fmt][1]}">{label}</a> '
            f'<input type="url" readonly value="{_clean(url)}" aria-label="{_clean(aria)}"></li>'
        )
    lines.append("</ul>")
    return lines


def _summary(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= _SUMMARY_CHARS:
        return text
    return text[:_SUMMARY_CHARS].rstrip() + "…"


def _entry(item: Item, settings: Settings) -> list[str]:
    post = item.post
    local = post.published_at.astimezone(settings.site.zone)
    lang = f' lang="{_clean(post.lang)}"' if post.lang else ""
    lines = [
        f"<li{lang}>",
        f'<h3><a href="{_clean(post.url)}">{_clean(post.title)}</a></h3>',
        f'<p class="meta"><time datetime="{local.isoformat()}">{_show_date(local)}</time></p>',
    ]
    if item.summary_text:
        lines.append(f"<p>{_clean(_summary(item.summary_text))}</p>")
    lines.append("</li>")
    return lines


def _show_date(local: datetime) -> str:
    return local.strftime("%Y-%m-%d %H:%M")


def render_feeds_page(
    settings: Settings, feeds: Sequence[FeedLink], items: Iterable[Item]
) -> bytes:
    """Return ``feeds.html``: the feeds to subscribe to and the latest posts, as UTF-8 HTML.

    ``feeds`` are listed in the order given (the site feed, then each category and tag
    feed, as :func:`feed_links` returns them); the ``site`` ones also get autodiscovery
    ``<link>`` tags in ``<head>``. ``items`` are shown newest first (ties by id), at most
    ``feeds.limit`` of them, dated in ``site.timezone``. The explanation is in Korean when
    ``site.language`` starts with ``ko``, else in English. Every piece of text is escaped
    and stripped of characters XML forbids; no clock is read, so the bytes depend on the
    arguments only.
    """
    site = settings.site
    ui = _ui_language(settings)
    words = _TEXT[ui]
    page_lang = site.language or ui
    # The UI words are marked with their own language when the site's differs, so that
    # screen readers and hyphenation treat them right.
    ui_lang = "" if _primary(page_lang) == ui else f' lang="{ui}"'
    site_name = site.title or site.url
    title = words["title"].format(site=site_name)
    formats = list(settings.feeds.formats)
    by_id = {item.post.id: item for item in items}
    latest = [by_id[post.id] for post in order_posts(i.post for i in by_id.values())]
    latest = latest[: settings.feeds.limit]

    head = [
        "<!doctype html>",
        f'<html lang="{_clean(page_lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_clean(title)}</title>",
        '<meta name="generator" content="feedkit">',
    ]
    if site.description:
        head.append(f'<meta name="description" content="{_clean(site.description)}">')
    head.append(f'<link rel="home" href="{_clean(site.root_url)}">')
    head.extend(tag for feed in feeds if feed.kind == "site" for tag in _alternate_tags(feed))
    head.extend([f"<style>\n{STYLE}\n</style>", "</head>"])

    body = [
        "<body>",
        "<header>",
        f'<p class="site"><a href="{_clean(site.root_url)}">{_clean(site_name)}</a></p>',
        f"<h1{ui_lang}>{_clean(title)}</h1>",
    ]
    if site.description:
        body.append(f"<p>{_clean(site.description)}</p>")
    body.extend(
        [
            f"<p{ui_lang}>{_clean(words['lead'].format(site=site_name))}</p>",
            "</header>",
            "<main>",
            f'<section class="about"{ui_lang}>',
            f"<h2>{words['what']}</h2>",
            f"<p>{words['what_text']}</p>",
            "</section>",
            '<section class="feeds">',
            f'<h2 id="subscribe"{ui_lang}>{words["how"]}</h2>',
            f"<ol{ui_lang}>",
            *(f"<li>{words[step]}</li>" for step in ("step1", "step2", "step3")),
            "</ol>",
        ]
    )
    if len(formats) > 1:
        note = words["formats"].format(
            formats=_format_list(formats, words), first=FORMAT_LABELS[formats[0]]
        )
        body.append(f'<p class="note"{ui_lang}>{_clean(note)}</p>')
    for feed in feeds:
        if feed.kind == "site":
            body.extend(_feed_block(feed, words["site"], words))
    for kind in ("category", "tag"):
        group = [feed for feed in feeds if feed.kind == kind]
        if not group:
            continue
        body.append(f"<details><summary{ui_lang}>{words[kind]} ({len(group)})</summary>")
        for feed in group:
            body.extend(_feed_block(feed, feed.name or feed.title, words))
        body.append("</details>")
    body.extend(["</section>", "<section>", f"<h2{ui_lang}>{words['latest']}</h2>"])
    if latest:
        body.append('<ol class="entries">')
        for item in latest:
            body.extend(_entry(item, settings))
        body.append("</ol>")
    else:
        body.append(f"<p{ui_lang}>{words['empty']}</p>")
    body.extend(
        [
            "</section>",
            "</main>",
            f"<footer{ui_lang}>",
            f"<p>{_clean(words['footer'].format(site=site_name))} "
            f'<a href="{_clean(site.root_url)}">{words["home"]}</a></p>',
            "</footer>",
            "</body>",
            "</html>",
        ]
    )
    return ("\n".join(head + body) + "\n").encode("utf-8")


def xslt_stylesheet() -> bytes:
    """Return ``feed.xsl``: an XSLT 1.0 stylesheet that shows an RSS 2.0 or Atom 1.0 feed
    as a page (title, the feed's address, each entry's linked title and date).

    It is in Korean when the feed's language (``<language>``, ``xml:lang``) starts with
    ``ko``, else in English, and uses the same CSS as ``feeds.html``. Entry content is not
    shown: it is escaped HTML, and ``disable-output-escaping`` is not portable.
    """
    from importlib import resources  # only when feed.xsl is written

    template = resources.files("feedkit").joinpath("data", XSLT_FILE_NAME).read_bytes()
    return template.replace(b"/* feedkit:style */", STYLE.encode("utf-8"))


def stylesheet_href(path: str) -> str:
    """Return the href of ``feed.xsl`` as seen from the output file at ``path``.

    Relative (``feed.xsl``, ``../../feed.xsl``) so that it works at any host and base URL,
    and stays same-origin, which browsers require of XSLT stylesheets.
    """
    return "../" * path.count("/") + XSLT_FILE_NAME


_XML_DECLARATION = re.compile(rb"\A(?:\xef\xbb\xbf)?<\?xml[ \t\r\n][^?]*\?>")


def add_stylesheet_pi(xml: bytes, href: str) -> bytes:
    """Return ``xml`` with ``<?xml-stylesheet type="text/xsl" href="..."?>`` in its prolog.

    The instruction goes right after the XML declaration (or first, after any byte order
    mark, when there is none), where the xml-stylesheet recommendation puts it; ``href``
    is escaped as a pseudo-attribute. The rest of the bytes is unchanged. A document that
    already holds the same instruction is returned as it is.
    """
    escaped = html.escape(href, quote=True).encode("utf-8")
    instruction = b'<?xml-stylesheet type="text/xsl" href="' + escaped + b'"?>'
    if instruction in xml:
        return xml
    match = _XML_DECLARATION.match(xml)
    if match is not None:
        return xml[: match.end()] + b"\n" + instruction + xml[match.end() :]
    bom = b"\xef\xbb\xbf" if xml.startswith(b"\xef\xbb\xbf") else b""
    return bom + instruction + b"\n" + xml[len(bom) :]


def with_stylesheet(artifact: Artifact) -> Artifact:
    """Return ``artifact`` with the ``feed.xsl`` instruction if it is an RSS or Atom file,
    else unchanged. ``feed.xsl`` is expected at the root of the output folder."""
    if artifact.media_type not in _XML_FEED_TYPES:
        return artifact
    href = stylesheet_href(artifact.path)
    return replace(artifact, data=add_stylesheet_pi(artifact.data, href))
