"""What feedkit reads of a Hugo site the way Hugo reads it (pure functions).

- :class:`HugoSite`: the parts of a Hugo configuration that decide which pages are
  posts and where they live, for one language (made in :mod:`feedkit._hugo_config`,
  re-exported here with :func:`hugo_sites` and :func:`hugo_sections`).
- :func:`page_files`: the content files Hugo publishes as regular pages (not
  ``_index.md``, not the other files of a leaf bundle, only this language's).
- :func:`to_hugo_post`: a page's permalink (``url``, the section's ``permalinks``
  pattern with Hugo's tokens, or its path), dates, draft and expiry as Hugo decides them.
- :func:`with_hugo_body`: built-in shortcodes rendered (:mod:`feedkit._shortcodes`) and
  the summary cut at ``<!--more-->``.

Hugo's rules are cited from its source (gohugoio/hugo): ``resources/page/permalinks.go``
(tokens), ``resources/page/pagemeta/page_frontmatter.go`` (dates), ``common/paths``
(``Sanitize``: how a name becomes a URL segment) and the embedded ``rss.xml`` (its
``<guid>`` and ``<link>`` are the page's permalink, its ``<pubDate>`` the PublishDate).
"""

from __future__ import annotations

import os
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._hugo_config import (
    CONFIG_NAMES,
    HugoSite,
    cascade_entries,
    hugo_date_keys,
    hugo_sections,
    hugo_sites,
    lower_keys,
)

if TYPE_CHECKING:
    from ._walk import SourceFile
    from .diagnostics import Diagnostics
    from .models import Post, PostDates, Source
    from .settings import Settings

__all__ = [
    "CONFIG_NAMES",
    "HugoSite",
    "auto_summary",
    "cascade_entries",
    "expires_at",
    "hugo_date_keys",
    "hugo_sections",
    "hugo_sites",
    "hugo_summary",
    "is_expired",
    "is_index_name",
    "lower_keys",
    "page_files",
    "page_language",
    "summary_words",
    "to_hugo_post",
    "urlize",
    "with_cascade",
    "with_hugo_body",
]

_MORE = "<!--more-->"


# --- which files are pages ----------------------------------------------------------


def page_language(path: str, site: HugoSite) -> str:
    """The language of a content file: ``post.ko.md`` is Korean where ``ko`` is one of
    the site's languages; any other file is in the default language."""
    name = path.rpartition("/")[2]
    parts = name.split(".")
    if len(parts) >= 3 and parts[-2].lower() in site.languages:
        return parts[-2].lower()
    return site.languages[0]


def _translation_base(name: str, site: HugoSite) -> str:
    """``index`` for ``index.ko.md``: the name without extension or language."""
    stem = name.rpartition(".")[0] if "." in name else name
    base, dot, code = stem.rpartition(".")
    if dot and code.lower() in site.languages:
        return base
    return stem


def is_index_name(name: str, site: HugoSite) -> bool:
    """Whether a file named ``name`` makes its folder a leaf bundle (``index.md``,
    ``index.ko.md``, ``index.html``)."""
    return _translation_base(name, site) == "index"


def page_files(
    files: Sequence[SourceFile],
    site: HugoSite,
    diagnostics: Diagnostics,
    *,
    is_bundle: Callable[[str], bool] | None = None,
) -> list[SourceFile]:
    """The files among ``files`` that Hugo publishes as regular pages of this language.

    A branch bundle's ``_index.md`` is a list page, not a post. A folder holding an
    ``index.md`` is a leaf bundle: its other files, Markdown included, are the page's
    resources. With languages told by file name, only this language's files are kept.
    ``is_bundle(folder)`` says whether a folder (from the content folder) holds an index
    file, for when ``files`` are only some of the site's (a build of changed files); by
    default the index files among ``files`` tell.
    """
    bundles = {
        source_file.path.rpartition("/")[0]
        for source_file in files
        if is_index_name(source_file.path.rpartition("/")[2], site)
    }
    known: dict[str, bool] = dict.fromkeys(bundles, True)

    def in_bundle(folder: str) -> bool:
        while folder:
            if folder not in known:
                known[folder] = is_bundle is not None and is_bundle(folder)
            if known[folder]:
                return True
            folder = folder.rpartition("/")[0]
        return False

    kept = []
    for source_file in files:
        folder, _, name = source_file.path.rpartition("/")
        base = _translation_base(name, site)
        if base == "_index":
            diagnostics.info(
                "skipped", "a section's list page (_index), not a post", path=source_file.path
            )
            continue
        if base != "index" and in_bundle(folder):
            diagnostics.info(
                "skipped", "a resource of a leaf bundle (index.md beside it)", path=source_file.path
            )
            continue
        if site.by_filename and page_language(source_file.path, site) != site.language:
            continue
        kept.append(source_file)
    return kept


# --- URLs ---------------------------------------------------------------------------


def _is_allowed(text: str, index: int, char: str) -> bool:
    if char == " ":
        return False
    category = unicodedata.category(char)
    # "+" is not kept by Hugo 0.168 ("C++ 상속" gives "c-상속", checked with hugo itself),
    # though later versions of common/paths list it.
    if category[0] in "LM" or category == "Nd" or char in "./\\_#~-@":
        return True
    return char == "%" and bool(re.fullmatch(r"[0-9a-fA-F]{2}", text[index + 1 : index + 3]))


def sanitize(text: str) -> str:
    """Hugo's ``paths.Sanitize``: letters, digits, marks and ``./\\_#~-@`` kept, a run
    of spaces after some kept text becomes one ``-``, anything else is dropped."""
    out: list[str] = []
    prepend_hyphen = was_hyphen = False
    for index, char in enumerate(text):
        if _is_allowed(text, index, char):
            was_hyphen = char == "-"
            if prepend_hyphen:
                if not was_hyphen:
                    out.append("-")
                prepend_hyphen = False
            out.append(char)
        elif out and not was_hyphen and char.isspace():
            prepend_hyphen = True
    return "".join(out)


def urlize(text: str, *, lower: bool = True) -> str:
    """Hugo's ``URLize`` without its escaping: :func:`sanitize`, lower-cased unless the
    site sets ``disablePathToLower``."""
    cleaned = sanitize(text)
    return cleaned.lower() if lower else cleaned


def _escape(path: str) -> str:
    """Percent-encode a URL path as Go's ``url.URL.String`` does (Hugo's permalinks)."""
    return urllib.parse.quote(path, safe="/:@!$&'()*+,;=-._~")


def _section(path: str) -> str:
    return path.split("/", 1)[0] if "/" in path else ""


_TOKEN = re.compile(r":([a-z]+(?:\[[^\]]*\])?)")


def _expand(pattern: str, *, values: Mapping[str, str], date: datetime) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if name == "year":
            return f"{date.year}"
        if name == "month":
            return f"{date.month:02d}"
        if name == "monthname":
            return date.strftime("%B")
        if name == "day":
            return f"{date.day:02d}"
        if name == "weekday":
            return str((date.weekday() + 1) % 7)
        if name == "weekdayname":
            return date.strftime("%A")
        if name == "yearday":
            return str(date.timetuple().tm_yday)
        raise ValueError(f"unknown permalink token :{name}")

    return _TOKEN.sub(value, pattern)


_NAME_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ _-]?(\d{2})-(\d{2})-(\d{2}))?")


def filename_slug(source: Source, site: HugoSite) -> str | None:
    """The slug Hugo takes from a dated file name (``2018-02-22-my-page.md`` gives
    ``my-page``) when one of its date chains reaches ``:filename`` before a front-matter
    date (``newDateFilenameHandler``); None otherwise."""
    folder, _, name = source.path.rpartition("/")
    base = _translation_base(name, site)
    if base == "index":
        base = folder.rpartition("/")[2]
    match = _NAME_DATE.match(base)
    if match is None:
        return None
    for chain in site.dates.values():
        for key in chain:
            if key == ":filename":
                return base[match.end() :].strip(" -_")
            value = source.metadata.get(key)
            if key == ":filemodtime" or (value not in (None, "") and not key.startswith(":")):
                break
    return None


def hugo_permalink(source: Source, site: HugoSite, *, title: str, date: datetime) -> str:
    """The URL path (encoded, from the language's root, starting with ``/``) Hugo gives
    the page in ``source``. Raises ValueError for an unknown permalink token."""
    metadata = source.metadata
    url = metadata.get("url")
    if isinstance(url, str) and url.strip():
        # A page's own url is kept as written (case too), under the site's root; one
        # without an extension is a folder, as Hugo writes the page to its index.html.
        path = url.strip()
        if not path.startswith("/"):
            path = "/" + path
        if not path.endswith("/") and "." not in path.rpartition("/")[2]:
            path += "/"
        return _escape(path)
    folder, _, name = source.path.rpartition("/")
    base = _translation_base(name, site)
    lower = site.lower_paths
    slug = metadata.get("slug")
    if slug is None:
        slug = filename_slug(source, site)
    slug_text = urlize(str(slug), lower=lower) if isinstance(slug, (str, int)) and str(slug) else ""
    # A file's path is normalised before it is urlized: each space is a hyphen
    # ("tutorial .md" is at "tutorial-/", as hugo 0.168 puts it).
    name = (folder.rpartition("/")[2] if base == "index" else base).replace(" ", "-")
    filename = urlize(name, lower=lower)
    section = _section(source.path if base != "index" else folder + "/x")
    pattern = site.permalinks.get(section) if section else None
    if pattern is not None:
        values = {
            "section": section,
            "sections": folder if base != "index" else folder.rpartition("/")[0] or section,
            "sectionslug": urlize(section, lower=lower),
            "sectionslugs": urlize(folder, lower=lower),
            "title": urlize(title, lower=lower),
            "slug": slug_text or urlize(title, lower=lower),
            "slugorfilename": slug_text or filename,
            "filename": filename,
            "contentbasename": filename,
            "slugorcontentbasename": slug_text or filename,
        }
        path = _expand(pattern, values=values, date=date)
    else:
        parent = folder.rpartition("/")[0] if base == "index" else folder
        path = "/".join(
            p for p in (urlize(parent.replace(" ", "-"), lower=lower), slug_text or filename) if p
        )
        path = "/" + path + "/"
    if site.ugly_urls and path.endswith("/") and path != "/":
        path = path.rstrip("/") + ".html"
    if not path.startswith("/"):
        path = "/" + path
    return _escape(re.sub(r"/{2,}", "/", path))


# --- posts --------------------------------------------------------------------------


def is_expired(metadata: Mapping[str, Any], site: HugoSite, *, tz: Any, now: datetime) -> bool:
    """Whether the page's expiry date (``expiryDate``, ``unpublishDate``) has passed."""
    expiry = expires_at(metadata, site, tz=tz, now=now)
    return expiry is not None and expiry <= now


def expires_at(
    metadata: Mapping[str, Any], site: HugoSite, *, tz: Any, now: datetime
) -> datetime | None:
    """When the page's expiry date (``expiryDate``, ``unpublishDate``) is, if it has one
    that Hugo heeds (not with ``buildExpired``)."""
    from .dates import front_matter_instant

    if site.build_expired:
        return None
    for key in site.dates["expirydate"]:
        value = metadata.get(key)
        if value not in (None, ""):
            return front_matter_instant(value, tz=tz, now=now)
    return None


def _page_date(
    metadata: Mapping[str, Any], site: HugoSite, tz: Any, now: datetime
) -> datetime | None:
    """Hugo's ``.Date`` (``date``, else ``publishDate``, else ``lastmod``), which its
    permalink tokens use."""
    from .dates import front_matter_instant

    for key in site.dates["date"]:
        if key.startswith(":"):
            continue
        value = metadata.get(key)
        if value not in (None, "") and not isinstance(value, bool):
            instant = front_matter_instant(value, tz=tz, now=now)
            if instant is not None:
                return instant
    return None


def to_hugo_post(
    source: Source,
    dates: PostDates,
    settings: Settings,
    diagnostics: Diagnostics,
    *,
    now: datetime | None = None,
) -> Post | None:
    """Interpret a Hugo page as a :class:`Post`, or None when Hugo would not publish it
    (expired) or it cannot be (no title at all).

    The id is the permalink, as Hugo's RSS ``<guid>`` is; ``aliases`` (old URLs) are not
    ids, since Hugo's feed never gave them.
    """
    from .collect import _as_names, _author, _first_str, _image, _report_ignored
    from .models import Post
    from .permalinks import join_url

    site = settings.hugo
    assert site is not None
    metadata = source.metadata
    tz = settings.site.zone
    if now is not None and is_expired(metadata, site, tz=tz, now=now):
        diagnostics.info(
            "expired", "its expiryDate has passed; left out, as Hugo does", path=source.path
        )
        return None
    if not _is_listed(metadata):
        diagnostics.info(
            "skipped",
            "build.list is never (or headless): in no list, so in no feed",
            path=source.path,
        )
        return None
    title = _hugo_title(source, site, diagnostics)
    if title is None:
        return None
    _report_ignored(metadata, source, diagnostics)
    date = _page_date(metadata, site, tz, now or dates.published.at) or dates.published.at
    try:
        # Hugo's :title and :slug tokens use its own title, empty without one (the feed
        # title made from the file name is feedkit's).
        own_title = metadata.get("title")
        url_title = title if own_title not in (None, "") else ""
        permalink = hugo_permalink(source, site, title=url_title, date=date.astimezone(tz))
    except ValueError as exc:
        diagnostics.error("permalink", f"{exc}; skipped", path=source.path)
        return None
    root = settings.site.root_url
    own_url = metadata.get("url")
    if isinstance(own_url, str) and own_url.strip() and site.language_prefix:
        # A page's own url is from the site's root, not its language's (checked with
        # hugo 0.168: url "/custom/u/" of a Korean page is at /custom/u/, not /ko/...).
        root = root.removesuffix(site.language_prefix)
    url = join_url(root, permalink)
    categories = _terms(metadata.get("categories"), _as_names)
    tags = _terms(metadata.get("tags"), _as_names)
    language = _first_str(metadata, "lang", "language") or settings.site.language or None
    return Post(
        source=source,
        id=_first_str(metadata, "id", "guid") or url,
        title=title,
        permalink=permalink,
        url=url,
        dates=dates,
        excerpt=_first_str(metadata, "summary"),
        categories=categories,
        tags=tags,
        author=_author(metadata.get("author")) or settings.site.author,
        image=_hugo_image(metadata, _image(metadata)),
        lang=language,
        is_draft=metadata.get("draft") is True,
    )


def _target_matches(target: Mapping[str, Any], path: str, site: HugoSite) -> bool:
    import fnmatch

    environment = target.get("environment")
    if isinstance(environment, str) and not fnmatch.fnmatch("production", environment):
        return False  # hugo builds for production
    kind = target.get("kind")
    if isinstance(kind, str) and not fnmatch.fnmatch("page", kind.lower()):
        return False
    lang = target.get("lang")
    if isinstance(lang, str) and not fnmatch.fnmatch(site.language, lang):
        return False
    pattern = target.get("path")
    if isinstance(pattern, str) and pattern:
        logical = "/" + path.rsplit(".", 1)[0].removesuffix("/index")
        if not re.fullmatch(_glob_regex(pattern), logical, re.IGNORECASE):
            return False
    return True


def _glob_regex(pattern: str) -> str:
    """A Hugo path glob (``/posts/**``, ``/docs/*``) as a regular expression."""
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    wildcards = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return "".join(wildcards.get(part, re.escape(part)) for part in parts)


def with_cascade(metadata: Mapping[str, Any], path: str, site: HugoSite) -> Mapping[str, Any]:
    """``metadata`` with the ``cascade`` values of its sections under it (the nearer
    section's first; the page's own front matter always wins), as Hugo merges them."""
    matching = [
        (section, values)
        for section, values, target in site.cascades
        if (not section or path.startswith(section + "/")) and _target_matches(target, path, site)
    ]
    if not matching:
        return metadata
    from .jekyll import deep_merge

    merged: dict[str, Any] = {}
    for _, values in sorted(matching, key=lambda pair: len(pair[0])):
        merged = deep_merge(merged, values)
    return deep_merge(merged, metadata)


def _terms(value: Any, as_names: Callable[[Any], tuple[str, ...]]) -> tuple[str, ...]:
    """A taxonomy's terms: a string is one term in Hugo (Jekyll splits it at spaces)."""
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    return tuple(dict.fromkeys(as_names(value)))


def _is_listed(metadata: Mapping[str, Any]) -> bool:
    """Whether Hugo lists the page (in ``.Site.RegularPages``, so in its RSS): not with
    ``build: {list: never}`` (``_build`` before Hugo 0.65), nor a ``headless`` bundle."""
    if metadata.get("headless") is True:
        return False
    for key in ("build", "_build"):
        options = metadata.get(key)
        if isinstance(options, Mapping):
            listing = options.get("list")
            if listing is False or listing == "never":
                return False
    return True


def _hugo_image(metadata: Mapping[str, Any], image: str | None) -> str | None:
    if image is not None:
        return image
    images = metadata.get("images")
    if isinstance(images, list) and images and isinstance(images[0], str):
        return images[0]
    return None


def _hugo_title(source: Source, site: HugoSite, diagnostics: Diagnostics) -> str | None:
    from .collect import _title

    if source.metadata.get("title") not in (None, ""):
        return _title(source, diagnostics)
    # Hugo publishes a page without a title with an empty one; feeds need a title, so
    # the file's name stands in (a bundle's folder name).
    folder, _, name = source.path.rpartition("/")
    base = _translation_base(name, site)
    title = folder.rpartition("/")[2] if base == "index" else base
    diagnostics.info(
        "title-from-name", f"no title; titled {title!r} from the file name", path=source.path
    )
    return title or None


def with_hugo_body(post: Post, settings: Settings, diagnostics: Diagnostics) -> Post:
    """``post`` (with its body loaded) with Hugo's shortcodes rendered in its body and
    summary, and its summary cut at ``<!--more-->`` when the body has one (which wins
    over the ``summary`` front matter, as in Hugo)."""
    from ._shortcodes import ShortcodeContext, expand_shortcodes

    site = settings.hugo
    assert site is not None
    source = post.source
    body = source.body or ""
    context = ShortcodeContext(
        page_params=source.metadata,
        site_params=site.params,
        content_dir=os.fspath(settings.content.dir),
        page_path=source.path,
        resolve_ref=lambda target: _ref_url(target, source.path, settings),
    )
    body = expand_shortcodes(
        body, context=context, path=source.path, line=source.body_line, diagnostics=diagnostics
    )
    excerpt = post.excerpt
    head, found, _ = body.partition(_MORE)
    if found and head.strip():
        excerpt = head
    elif excerpt:
        excerpt = expand_shortcodes(
            excerpt, context=context, path=source.path, line=1, diagnostics=diagnostics
        )
    if found:
        body = body.replace(_MORE, "", 1)
    return replace(post, source=replace(source, body=body), excerpt=excerpt)


_HTML_TOKEN = re.compile(r"^</?[A-Za-z][^>]*>?$|^[A-Za-z-]+=\S*>?$")


def auto_summary(content_html: str, words: int, *, is_cjk: bool = False) -> str:
    """Hugo's automatic summary (``ExtractSummaryFromHTML``): the content up to the end
    of the first paragraph (``</p>``) at which ``words`` words have been counted, else
    the whole content. Words are runs between spaces, HTML tags not counted; on a CJK
    page each character of a word counts."""
    if words <= 0:
        return content_html
    count = 0
    position = 0
    while True:
        closing = content_html.find("</p>", position)
        if closing == -1:
            return content_html
        for word in content_html[position:closing].split():
            if _HTML_TOKEN.match(word):
                continue
            if is_cjk:
                text = re.sub(r"<[^>]*>", "", word)
                count += 1 if text.isascii() else len(text)
            else:
                count += 1
            if count >= words:
                return content_html[: closing + 4]
        position = closing + 4


def hugo_summary(post: Post, site: HugoSite) -> Callable[[str], str]:
    """The summary maker :func:`feedkit.render.render_item` takes for ``post``: Hugo's
    automatic summary of ``summaryLength`` words (``isCJKLanguage`` in the front matter
    counts characters)."""
    from functools import partial

    is_cjk = post.source.metadata.get("iscjklanguage") is True
    return partial(auto_summary, words=summary_words(site), is_cjk=is_cjk)


def summary_words(site: HugoSite) -> int:
    """``summaryLength`` (70 words by default)."""
    value = site.config.get("summarylength")
    return value if isinstance(value, int) and not isinstance(value, bool) else 70


def _ref_url(target: str, page_path: str, settings: Settings) -> str | None:
    """The permalink of the page ``ref``/``relref`` names (a path from the content
    folder, or relative to the page's folder, with or without its extension, or a bundle's
    folder), read from the file itself; None when there is no such page."""
    from ._frontmatter import HUGO_FORMATS, FrontMatterError, parse_front_matter
    from .models import Source
    from .permalinks import join_url

    site = settings.hugo
    assert site is not None
    target = target.split("#", 1)[0].strip()
    if not target:
        return None
    root = settings.content.dir
    folder = page_path.rpartition("/")[0]
    bases = (
        [target.lstrip("/")]
        if target.startswith("/")
        else [f"{folder}/{target}".lstrip("/"), target]
    )
    for base in bases:
        base = os.path.normpath(base).replace(os.sep, "/")
        for candidate in (base, f"{base}.md", f"{base}/index.md", f"{base}/_index.md"):
            abspath = root / candidate
            if not abspath.is_file() or candidate.startswith(".."):
                continue
            try:
                text = abspath.read_text(encoding="utf-8-sig")
                metadata = lower_keys(parse_front_matter(text, formats=HUGO_FORMATS).metadata)
            except (OSError, UnicodeDecodeError, FrontMatterError):
                return None
            if candidate.endswith("_index.md"):
                section = candidate.rpartition("/")[0]
                return join_url(settings.site.root_url, _escape(f"/{urlize(section)}/"))
            tz = settings.site.zone
            now = datetime.now(tz)
            date = _page_date(metadata, site, tz, now) or now
            source = Source(candidate, str(abspath), metadata, None, 1, "markdown", 0, 0, "")
            title = str(metadata.get("title") or "")
            try:
                path = hugo_permalink(source, site, title=title, date=date.astimezone(tz))
            except ValueError:
                return None
            return join_url(settings.site.root_url, path)
    return None
