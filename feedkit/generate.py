"""Generate stage: choose each feed's entries and write RSS 2.0, Atom 1.0 and JSON Feed 1.1.

RSS and Atom are built with feedgen, with its quirks kept out of the output: the RSS
channel ``<link>`` stays the site's URL, feed-level dates come from the newest entry (never
the clock), entries are appended in order. JSON Feed is written with the json module.
Everything here is pure: the same posts and settings give the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any
from urllib.parse import urlsplit

from . import __version__
from .models import Artifact, Author, FeedSpec, Item, Post
from .permalinks import encode_url_path, slugify
from .render import absolute_url, strip_xml_illegal, title_text
from .settings import Settings

__all__ = [
    "ARCHIVE_FILES",
    "FEED_FILES",
    "archive_page_of",
    "feed_keys_of",
    "feed_path",
    "feed_url",
    "generate_feed",
    "order_posts",
    "plan_archives",
    "plan_feeds",
    "with_emptied_feeds",
]

FEED_FILES: Mapping[str, tuple[str, str]] = {
    "rss": ("rss.xml", "application/rss+xml"),
    "atom": ("atom.xml", "application/atom+xml"),
    "json": ("feed.json", "application/feed+json"),
}
# RFC 5005 archive documents; {n} is the page number, oldest first.
ARCHIVE_FILES: Mapping[str, str] = {
    "rss": "archive/rss/{n}.xml",
    "atom": "archive/{n}.xml",
    "json": "archive/{n}.json",
}
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR_URI = "https://pypi.org/project/feedkit/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def order_posts(posts: Iterable[Post]) -> list[Post]:
    """Return ``posts`` newest first; ties are broken by id so the order never flickers."""
    by_id = sorted(posts, key=attrgetter("id"))
    # By timestamp: comparing aware datetimes asks both for their offsets every time.
    return sorted(by_id, key=lambda post: post.published_at.timestamp(), reverse=True)


@lru_cache(maxsize=65536)
def _category_slug(name: str) -> str:
    slug = slugify(name, "default")
    if not slug:
        import hashlib

        slug = "c-" + hashlib.blake2b(name.encode("utf-8"), digest_size=4).hexdigest()
    # A folder name may hold 255 bytes; Hangul takes 3 bytes a character in UTF-8.
    return slug.encode("utf-8")[:200].decode("utf-8", "ignore").rstrip("-")


def plan_archives(
    posts: Sequence[Post], seq: Mapping[str, int], *, next_seq: int, page_size: int
) -> tuple[list[tuple[int, list[Post]]], list[Post]]:
    """Split ``posts`` into archive pages by the order they were first published.

    Page ``n`` (from 1) holds the posts numbered ``(n-1)*page_size`` to
    ``n*page_size - 1`` in ``seq``; it is written once every number in its range has
    been given out (``next_seq`` is the next number to give), and then only changes when
    one of its posts does, so a reader can walk back and lose nothing (RFC 5005 §4).
    Returns the complete pages (oldest first) and the posts of the open page.
    """
    complete = next_seq // page_size  # the pages numbered up to this one are complete
    pages: dict[int, list[Post]] = {}
    open_posts: list[Post] = []
    for post in posts:
        page = archive_page_of(seq[post.id], page_size)
        if page <= complete:
            pages.setdefault(page, []).append(post)
        else:
            open_posts.append(post)
    return sorted(pages.items()), open_posts


def archive_page_of(seq: int, page_size: int) -> int:
    """The number (from 1) of the archive page that holds the post numbered ``seq``."""
    return seq // page_size + 1


def plan_feeds(
    posts: Sequence[Post],
    settings: Settings,
    *,
    seq: Mapping[str, int] | None = None,
    next_seq: int = 0,
) -> tuple[FeedSpec, ...]:
    """Return the feeds to write: site-wide, per category, per tag, then archive pages.

    Each subscription feed holds its newest ``feeds.limit`` posts. Category and tag
    folders use slugs that keep Hangul and other letters; two names with the same slug
    share one feed. With ``seq`` (each post's publication number, from the ledger) and
    ``feeds.archives``, older posts also go to archive pages (:func:`plan_archives`), and
    the site feed holds, besides its newest posts, any post not yet in a complete page.
    """
    ordered = order_posts(posts)
    limit = settings.feeds.limit
    site_title = settings.site.title or settings.site.url
    site_posts = ordered[:limit]
    archive_specs: list[FeedSpec] = []
    newest_page = None
    if seq is not None and settings.feeds.archives:
        pages, open_posts = plan_archives(ordered, seq, next_seq=next_seq, page_size=limit)
        in_site = {post.id for post in site_posts}
        site_posts = order_posts([*site_posts, *(p for p in open_posts if p.id not in in_site)])
        numbers = [number for number, _ in pages]
        for index, (number, page_posts) in enumerate(pages):
            archive_specs.append(
                FeedSpec(
                    key=f"archive:{number}",
                    kind="archive",
                    name=None,
                    directory="archive/",
                    url_path="archive/",
                    title=f"{site_title} ({number})",
                    posts=tuple(page_posts),  # taken from ``ordered``, so in order
                    archive_page=number,
                    prev_archive=numbers[index - 1] if index > 0 else None,
                    next_archive=numbers[index + 1] if index + 1 < len(numbers) else None,
                )
            )
        newest_page = numbers[-1] if numbers else None
    specs = [
        FeedSpec(
            "site", "site", None, "", "", site_title, tuple(site_posts), prev_archive=newest_page
        )
    ]
    groups = [
        ("category", "categories", settings.feeds.categories, attrgetter("categories")),
        ("tag", "tags", settings.feeds.tags, attrgetter("tags")),
    ]
    for kind, folder, enabled, names_of in groups:
        if not enabled:
            continue
        # Run for every post of the site on every build that plans: kept lean.
        members: dict[str, list[Post]] = {}
        display: dict[str, str] = {}
        slugs: dict[str, str] = {}
        for post in ordered:
            for name in names_of(post):
                slug = slugs.get(name)
                if slug is None:
                    slug = slugs[name] = _category_slug(name)
                    display.setdefault(slug, name)
                bucket = members.get(slug)
                if bucket is None:
                    members[slug] = [post]
                elif len(bucket) < limit and bucket[-1] is not post:
                    bucket.append(post)  # a post with two names of one slug is in once
        for slug in sorted(members):
            directory = f"{folder}/{slug}/"
            specs.append(
                FeedSpec(
                    key=f"{kind}:{slug}",
                    kind=kind,
                    name=display[slug],
                    directory=directory,
                    url_path=encode_url_path(directory),
                    title=f"{site_title} · {display[slug]}",
                    posts=tuple(members[slug]),
                )
            )
    return (*specs, *archive_specs)


def feed_keys_of(post: Post, settings: Settings, seq: int) -> set[str]:
    """The keys of every feed :func:`plan_feeds` may put ``post`` in, ``seq`` being its
    publication number: the site's, its categories' and tags', its archive page's."""
    keys = {"site"}
    if settings.feeds.categories:
        keys.update(f"category:{_category_slug(name)}" for name in post.categories)
    if settings.feeds.tags:
        keys.update(f"tag:{_category_slug(name)}" for name in post.tags)
    if settings.feeds.archives:
        keys.add(f"archive:{archive_page_of(seq, settings.feeds.limit)}")
    return keys


def feed_path(spec: FeedSpec, fmt: str) -> str:
    """Return where ``spec``'s file in format ``fmt`` goes inside the output folder."""
    if spec.archive_page is not None:
        return ARCHIVE_FILES[fmt].format(n=spec.archive_page)
    return spec.directory + FEED_FILES[fmt][0]


def feed_url(spec: FeedSpec, fmt: str, settings: Settings) -> str:
    """Return the absolute URL of ``spec``'s feed in format ``fmt`` (rss, atom or json)."""
    return settings.site.root_url + encode_url_path(feed_path(spec, fmt))


def _archive_url(page: int, fmt: str, settings: Settings) -> str:
    return settings.site.root_url + ARCHIVE_FILES[fmt].format(n=page)


def _site_url(fmt: str, settings: Settings) -> str:
    return settings.site.root_url + FEED_FILES[fmt][0]


@dataclass(frozen=True)
class _FeedContext:
    spec: FeedSpec
    items: tuple[Item, ...]
    settings: Settings
    updated_at: datetime
    author: Author

    def when(self, value: datetime) -> datetime:
        return value.astimezone(UTC) if self.settings.feeds.utc else value


def generate_feed(
    spec: FeedSpec,
    items: Mapping[str, Item],
    settings: Settings,
    *,
    empty_updated_at: datetime | None = None,
) -> tuple[Artifact, ...]:
    """Return the files of one feed, one per configured format.

    ``items`` maps post ids to rendered items and must hold every post of ``spec``.
    A feed is dated by its newest entry; ``empty_updated_at`` dates a feed with none
    (Atom requires a date, RFC 4287 section 4.1.1), which the caller keeps stable.
    """
    chosen = tuple(items[post.id] for post in spec.posts)
    newest = max((item.post.updated_at for item in chosen), default=empty_updated_at or _EPOCH)
    author = settings.site.author or Author(
        name=settings.site.title or urlsplit(settings.site.url).netloc or "feedkit"
    )
    context = _FeedContext(spec, chosen, settings, newest, author)
    artifacts = []
    entries = None  # feedgen's entries, made once for RSS and Atom: they cost the most
    for fmt in settings.feeds.formats:
        if fmt == "json":
            data = _json_bytes(context)
        else:
            generator = _feedgen(context, fmt, entries)
            entries = generator.entry()
            if fmt == "rss":
                data = _hex_escape_titles(generator.rss_str(pretty=True))
            else:
                data = generator.atom_str(pretty=True)
        artifacts.append(Artifact(feed_path(spec, fmt), data, FEED_FILES[fmt][1], spec.key))
    return tuple(artifacts)


# An RSS <title> holding a "<" that lxml wrote as "&lt;" (a title is text, so ``List<T>``).
_RSS_TITLE_WITH_LT = re.compile(rb"<title>[^<]*&lt;[^<]*</title>")


def _hex_escape_titles(data: bytes) -> bytes:
    """Write each "<" of an RSS title as ``&#x3C;``, not ``&lt;``: the same character, but
    the RSS Best Practices Profile's sign that the title is text and not escaped HTML
    (some RSS readers render titles as HTML; the W3C validator warns CharacterData)."""
    if b"&lt;" not in data:
        return data
    return _RSS_TITLE_WITH_LT.sub(lambda match: match.group().replace(b"&lt;", b"&#x3C;"), data)


def _feedgen(context: _FeedContext, fmt: str, entries: Sequence[Any] | None = None) -> Any:
    """A feedgen generator for ``fmt`` ("rss" or "atom"), with ``entries`` if given (those
    of the generator of the other format: an entry holds what both formats write), else
    with an entry made for each item."""
    from feedgen.ext.dc import DcEntryExtension, DcExtension
    from feedgen.ext.media import MediaEntryExtension, MediaExtension
    from feedgen.feed import FeedGenerator

    from ._feedgen_ext import FeedkitEntryExtension, FeedkitExtension

    settings, spec = context.settings, context.spec
    site = settings.site
    self_url, self_type = feed_url(spec, fmt, settings), FEED_FILES[fmt][1]
    generator = FeedGenerator()
    # What load_extension("dc") and ("media") register, without the import of a
    # "<name>_entry" module that does not exist, which it tries (and fails) every time.
    generator.register_extension("dc", DcExtension, DcEntryExtension, atom=False, rss=True)
    generator.register_extension("media", MediaExtension, MediaEntryExtension)
    generator.register_extension("feedkit", FeedkitExtension, FeedkitEntryExtension)
    extension = generator.feedkit
    if spec.archive_page is not None:
        extension.archive()
        extension.link(_site_url(fmt, settings), "current", self_type)
    if spec.archive_page is None:
        # WebSub section 4: every subscription feed names its hubs (and its self URL).
        for hub in settings.websub.hubs:
            extension.link(hub, "hub")
    for rel, page in (("prev-archive", spec.prev_archive), ("next-archive", spec.next_archive)):
        if page is not None:
            extension.link(_archive_url(page, fmt, settings), rel, self_type)
    generator.id(self_url)
    generator.title(title_text(spec.title))
    generator.description(strip_xml_illegal(site.description or spec.title))
    generator.subtitle(strip_xml_illegal(site.description or spec.title))
    # feedgen makes the RSS channel <link> the last link added: add the site's URL last.
    generator.link(href=self_url, rel="self", type=self_type)
    generator.link(href=site.root_url, rel="alternate", type="text/html")
    generator.author(_author_dict(context.author))
    if site.language:
        generator.language(site.language)
    if site.icon:
        generator.icon(absolute_url(site.icon, site.root_url))
    if site.logo:
        generator.logo(absolute_url(site.logo, site.root_url))
    generator.generator("feedkit", __version__, GENERATOR_URI)
    generator.updated(context.when(context.updated_at))
    if entries is not None:
        for entry in entries:
            generator.add_entry(entry, order="append")
        return generator
    for item in context.items:
        _add_entry(generator, item, context)
    return generator


def _author_dict(author: Author) -> dict[str, str]:
    fields = {"name": author.name, "email": author.email, "uri": author.uri}
    return {key: strip_xml_illegal(value) for key, value in fields.items() if value}


def _add_entry(generator: Any, item: Item, context: _FeedContext) -> None:
    post = item.post
    entry = generator.add_entry(order="append")
    entry.id(post.id)
    entry.guid(post.id, permalink=post.id == post.url)
    entry.title(title_text(post.title))
    entry.link(href=post.url, rel="alternate", type="text/html")
    entry.published(context.when(post.published_at))
    entry.updated(context.when(post.updated_at))
    if item.summary_html:
        entry.summary(item.summary_html, type="html")
    if context.settings.feeds.full_content and item.content_html:
        entry.content(item.content_html, type="html")
    for name in dict.fromkeys(post.categories + post.tags):
        entry.category(term=strip_xml_illegal(name))
    author = post.author or context.author
    if post.author is not None:
        entry.author(_author_dict(post.author))
    # RSS: <author> (which feedgen writes only with an email: RSS 2.0 makes it an email
    # address) or dc:creator, never both: they say the same thing, and the W3C validator
    # warns DuplicateItemSemantics.
    if post.author is None or not post.author.email:
        entry.dc.dc_creator(strip_xml_illegal(author.name))
    if item.enclosure is not None:
        enclosure = item.enclosure
        entry.enclosure(enclosure.url, str(enclosure.length), enclosure.media_type)
    if item.image_url:
        entry.media.thumbnail(url=item.image_url, group=None)
    entry.feedkit.links(entry.link())
    entry.feedkit.base(post.url)
    if post.lang and post.lang.strip():
        # Atom: xml:lang on the entry; RSS 2.0 has no per-item language but Dublin Core's.
        entry.feedkit.lang(strip_xml_illegal(post.lang.strip()))
        entry.dc.dc_language(strip_xml_illegal(post.lang.strip()))


def _json_author(author: Author) -> dict[str, str]:
    result = {"name": strip_xml_illegal(author.name)}
    if author.uri:
        result["url"] = author.uri
    return result


def _json_bytes(context: _FeedContext) -> bytes:
    """Serialize a JSON Feed 1.1 document (https://jsonfeed.org/version/1.1)."""
    settings, spec = context.settings, context.spec
    site = settings.site
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": title_text(spec.title),
        "home_page_url": site.root_url,
        "feed_url": feed_url(spec, "json", settings),
    }
    if site.description:
        document["description"] = site.description
    if site.logo:
        document["icon"] = absolute_url(site.logo, site.root_url)
    if site.icon:
        document["favicon"] = absolute_url(site.icon, site.root_url)
    document["authors"] = [_json_author(context.author)]
    if site.language:
        document["language"] = site.language
    if spec.archive_page is None and settings.websub.hubs:
        document["hubs"] = [{"type": "WebSub", "url": hub} for hub in settings.websub.hubs]
    document["items"] = [_json_item(item, context) for item in context.items]
    # JSON Feed pages older items through next_url; it has no "current" or "previous".
    older = spec.prev_archive
    if older is not None:
        document["next_url"] = _archive_url(older, "json", settings)
    # Compact: the indented form goes through json's pure-Python encoder, ten times slower.
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
    # Of what XML forbids (and readers choke on), json escapes C0 controls as \u00XX, \b
    # or \f and leaves lone surrogates and U+FFFE/U+FFFF as they are. Any field may hold
    # them (a tag, an author's URL, an extension's key), so a hit cleans every string of
    # the document; looking costs a fraction of cleaning (a whole feed, on every build).
    if any(marker in text for marker in _JSON_MARKERS) and _JSON_ILLEGAL.search(text):
        return _clean_json_bytes(document)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return _clean_json_bytes(document)


def _clean_json_bytes(document: dict[str, Any]) -> bytes:
    text = json.dumps(_clean_strings(document), ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


# A control character XML forbids, as json.dumps writes it (a false hit, such as an
# escaped backslash before "b", only costs a clean), or U+FFFE or U+FFFF. The substring
# tests go first: on the bundled site's feed.json (20 kB, three times over) they take
# 49 us where the regex takes 248 us.
_JSON_MARKERS = ("\\u00", "\\b", "\\f", "\ufffe", "\uffff")
_JSON_ILLEGAL = re.compile(r"\\(?:u00(?:0[0-8bcef]|1[0-9a-f])|[bf])|[\ufffe\uffff]")


def _clean_strings(value: Any) -> Any:
    """``value`` (JSON data) with :func:`strip_xml_illegal` applied to every string in it."""
    if isinstance(value, str):
        return strip_xml_illegal(value)
    if isinstance(value, dict):
        return {strip_xml_illegal(key): _clean_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean_strings(item) for item in value]
    return value


def _json_item(item: Item, context: _FeedContext) -> dict[str, Any]:
    post = item.post
    entry: dict[str, Any] = {"id": post.id, "url": post.url, "title": title_text(post.title)}
    if context.settings.feeds.full_content and item.content_html:
        entry["content_html"] = item.content_html
    else:
        entry["content_html"] = item.summary_html or ""
    if item.summary_text:
        entry["summary"] = item.summary_text
    if item.image_url:
        entry["image"] = item.image_url
    entry["date_published"] = _rfc3339(context.when(post.published_at))
    entry["date_modified"] = _rfc3339(context.when(post.updated_at))
    if post.author is not None:
        entry["authors"] = [_json_author(post.author)]
    tags = list(dict.fromkeys(post.categories + post.tags))
    if tags:
        entry["tags"] = tags
    if post.lang:
        entry["language"] = post.lang
    if item.enclosure is not None:
        attachment: dict[str, Any] = {
            "url": item.enclosure.url,
            "mime_type": item.enclosure.media_type,
        }
        if item.enclosure.length:
            attachment["size_in_bytes"] = item.enclosure.length
        entry["attachments"] = [attachment]
    for key, value in item.extensions.items():
        entry[key] = value
    return entry


def _rfc3339(value: datetime) -> str:
    return value.isoformat()


def with_emptied_feeds(
    specs: Sequence[FeedSpec],
    settings: Settings,
    meta: Mapping[str, str],
    at: datetime,
    outputs: Iterable[str] = (),
) -> tuple[tuple[FeedSpec, ...], dict[str, list[str | None]], dict[str, str]]:
    """``specs`` with an empty feed for each category or tag feed published before that
    has no post left, with what the state keeps for the next build: every category and
    tag feed published (key: kind, name, folder, title), and since when each feed with
    no posts has had none (its stable date, from ``at`` the first time).

    A subscriber to such a feed is better served by a valid feed with no entries than
    by a 404 for ever: readers report a missing feed as broken, and it cannot come back
    if a post takes the category again (README, "Feeds that lose their last post").
    ``outputs`` (the files the last build left) also name the feeds of a state written
    before feedkit kept their names: those are known by their folder's name.
    """
    known: dict[str, list[str | None]] = json.loads(meta.get("subscription_feeds", "{}"))
    if "subscription_feeds" not in meta:
        names = "|".join(re.escape(name) for name, _ in FEED_FILES.values())
        pattern = re.compile(rf"(categories|tags)/([^/]+)/(?:{names})")
        site_title = settings.site.title or settings.site.url
        for path in outputs:
            if (match := pattern.fullmatch(path)) is not None:
                folder, slug = match.groups()
                kind = "category" if folder == "categories" else "tag"
                known.setdefault(
                    f"{kind}:{slug}", [kind, slug, f"{folder}/{slug}/", f"{site_title} · {slug}"]
                )
    stored_since: dict[str, str] = json.loads(meta.get("empty_since", "{}"))
    enabled = {"category": settings.feeds.categories, "tag": settings.feeds.tags}
    current = {spec.key for spec in specs}
    emptied = [
        FeedSpec(key, kind, name, directory, encode_url_path(directory), title, ())
        for key, (kind, name, directory, title) in sorted(known.items())
        if key not in current
        and kind is not None
        and enabled.get(kind)
        and directory
        and title is not None
    ]
    subscriptions = [spec for spec in specs if spec.archive_page is None]
    archives = [spec for spec in specs if spec.archive_page is not None]
    known.update(
        {
            spec.key: [spec.kind, spec.name, spec.directory, spec.title]
            for spec in subscriptions
            if spec.kind in enabled
        }
    )
    every = (*subscriptions, *emptied, *archives)
    since = {
        spec.key: stored_since.get(spec.key, at.isoformat()) for spec in every if not spec.posts
    }
    return every, known, since
