"""What feedkit reads of a Hugo site the way Hugo reads it (pure functions).

- :class:`HugoSite`: the parts of a Hugo configuration (``hugo.toml``, ``config.yaml``,
  ``config/_default/``…) that decide which pages are posts and where they live, for one
  language. :mod:`feedkit.settings` reads the files; :func:`hugo_sections` translates the
  rest into feedkit's own settings, as :mod:`feedkit.jekyll` does for ``_config.yml``.
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
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

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
    "hugo_date_keys",
    "hugo_sections",
    "hugo_summary",
    "is_expired",
    "lower_keys",
    "page_files",
    "page_language",
    "summary_words",
    "to_hugo_post",
    "urlize",
    "with_cascade",
    "with_hugo_body",
]

#: The files that make a folder a Hugo site, in Hugo's order of preference; a
#: ``config/_default/`` folder also does.
CONFIG_NAMES = (
    "hugo.toml",
    "hugo.yaml",
    "hugo.yml",
    "hugo.json",
    "config.toml",
    "config.yaml",
    "config.yml",
    "config.json",
)

# Front-matter date keys and their aliases (page_frontmatter.go, dateFieldAliases).
_ALIASES = {
    "date": ("date",),
    "publishdate": ("publishdate", "pubdate", "published"),
    "lastmod": ("lastmod", "modified"),
    "expirydate": ("expirydate", "unpublishdate"),
}
# newDefaultFrontmatterConfig.
_DEFAULT_DATES = {
    "date": ("date", "publishdate", "lastmod"),
    "publishdate": ("publishdate", "date"),
    "lastmod": (":git", "lastmod", "date", "publishdate"),
    "expirydate": ("expirydate",),
}
_MORE = "<!--more-->"


@dataclass(frozen=True)
class HugoSite:
    """One language of a Hugo site, as its configuration describes it.

    ``config`` is the merged configuration with every key lower-cased (Hugo's keys are
    case-insensitive). ``language`` is the language this build publishes; ``languages``
    lists them all, the default first; ``by_filename`` says whether the language is told
    by file names (``post.ko.md``) in a shared content folder rather than by a folder of
    its own. ``dates`` maps each of Hugo's four dates to the keys it is read from.
    """

    config: Mapping[str, Any] = field(default_factory=dict)
    language: str = "en"
    languages: tuple[str, ...] = ("en",)
    by_filename: bool = True
    permalinks: Mapping[str, str] = field(default_factory=dict)
    dates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    build_expired: bool = False
    ugly_urls: bool = False
    lower_paths: bool = True
    language_prefix: str = ""  # "ko/" for a language published under /ko/
    # ``cascade`` of the configuration and of the ``_index`` files: (the section's path
    # from the content folder, "" for all, the values, the ``target`` they apply to).
    cascades: tuple[tuple[str, Mapping[str, Any], Mapping[str, Any]], ...] = ()

    @property
    def params(self) -> Mapping[str, Any]:
        """The site's ``params`` (keys lower-cased)."""
        params = self.config.get("params")
        return params if isinstance(params, Mapping) else {}


def lower_keys(value: Any) -> Any:
    """Return ``value`` with the keys of every mapping in it lower-cased, as Hugo reads
    its configuration and a page's params."""
    if isinstance(value, Mapping):
        return {str(key).lower(): lower_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [lower_keys(item) for item in value]
    return value


def _date_keys(config: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Hugo's ``frontmatter`` configuration, with ``:default`` and aliases expanded."""
    configured = config.get("frontmatter")
    result = {}
    for name, default in _DEFAULT_DATES.items():
        keys: Sequence[Any] = default
        if isinstance(configured, Mapping) and name in configured:
            value = configured[name]
            keys = [value] if isinstance(value, str) else value if isinstance(value, list) else ()
        expanded: list[str] = []
        for key in keys:
            key = str(key).lower()
            if key == ":default":
                expanded.extend(default)
            else:
                expanded.append(key)
        with_aliases: list[str] = []
        for key in expanded:
            with_aliases.extend(_ALIASES.get(key, (key,)))
        result[name] = tuple(dict.fromkeys(with_aliases))
    return result


def hugo_date_keys(site: HugoSite) -> dict[str, tuple[str, ...]]:
    """The front-matter keys of the published date (Hugo's PublishDate, which its RSS
    gives as ``pubDate``) and of the updated date (its Lastmod), for
    :func:`feedkit.dates.resolve_dates`."""
    return {
        "published_keys": tuple(k for k in site.dates["publishdate"] if not k.startswith(":")),
        "updated_keys": tuple(k for k in site.dates["lastmod"] if not k.startswith(":")),
    }


def _languages(config: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The configured languages, default first, then by weight and name."""
    default = str(config.get("defaultcontentlanguage") or "en").lower()
    languages = config.get("languages")
    if not isinstance(languages, Mapping) or not languages:
        return [(default, {})]
    entries: list[tuple[str, Mapping[str, Any]]] = [
        (str(name).lower(), value if isinstance(value, Mapping) else {})
        for name, value in languages.items()
        if not (isinstance(value, Mapping) and value.get("disabled") is True)
    ]
    entries.sort(key=lambda e: (e[0] != default, _weight(e[1]), e[0]))
    return entries or [(default, {})]


def _weight(language: Mapping[str, Any]) -> int:
    weight = language.get("weight")
    return weight if isinstance(weight, int) and not isinstance(weight, bool) else 0


def hugo_sites(config: Mapping[str, Any]) -> list[tuple[HugoSite, dict[str, dict[str, Any]]]]:
    """Return, for each language of the site (the default first), its :class:`HugoSite`
    and the feedkit settings it implies (``{"site": {...}, "content": {...}, ...}``)."""
    languages = _languages(config)
    default = languages[0][0]
    names = tuple(name for name, _ in languages)
    base_content = str(config.get("contentdir") or "content")
    in_subdir = config.get("defaultcontentlanguageinsubdir") is True
    result = []
    for name, language in languages:
        merged = dict(config)
        for key, value in language.items():
            if key == "params" and isinstance(value, Mapping):
                merged["params"] = {**merged.get("params", {}), **value}
            elif key not in ("contentdir", "weight", "disabled"):
                merged[key] = value
        content_dir = language.get("contentdir")
        by_filename = not isinstance(content_dir, str)
        prefix = "" if name == default and not in_subdir else f"{name}/"
        if len(names) == 1:
            prefix = ""
        permalinks = _permalinks(merged.get("permalinks"))
        site = HugoSite(
            config=merged,
            language=name,
            languages=names,
            by_filename=by_filename,
            permalinks=permalinks,
            dates=_date_keys(merged),
            build_expired=merged.get("buildexpired") is True,
            ugly_urls=merged.get("uglyurls") is True,
            lower_paths=merged.get("disablepathtolower") is not True,
            language_prefix=prefix,
            cascades=tuple(cascade_entries("", merged.get("cascade"))),
        )
        result.append((site, hugo_sections(merged, content_dir or base_content, name, prefix)))
    return result


def _permalinks(value: Any) -> dict[str, str]:
    """Section → pattern, from the old form (``posts = "…"``) or the new one
    (``[permalinks.page] posts = "…"``)."""
    if not isinstance(value, Mapping):
        return {}
    pages = value.get("page")
    if isinstance(pages, Mapping):
        value = pages
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


def hugo_sections(
    config: Mapping[str, Any], content_dir: str, language: str, prefix: str
) -> dict[str, dict[str, Any]]:
    """Translate the keys of a Hugo configuration that feedkit understands into its own
    settings sections (the counterpart of ``settings._from_jekyll``)."""
    site: dict[str, Any] = {}
    base_url = config.get("baseurl")
    if isinstance(base_url, str) and base_url.strip():
        parts = urllib.parse.urlsplit(base_url.strip())
        if parts.scheme and parts.netloc:
            site["url"] = f"{parts.scheme}://{parts.netloc}"
            path = parts.path.strip("/")
            site["baseurl"] = "/" + "/".join(p for p in (path, prefix.strip("/")) if p)
        else:
            site["url"] = base_url.strip()  # reported by the loader as not absolute
    title = config.get("title")
    if isinstance(title, str) and title:
        site["title"] = title
    params = config.get("params") if isinstance(config.get("params"), Mapping) else {}
    assert isinstance(params, Mapping)
    description = params.get("description")
    if isinstance(description, str) and description.strip():
        site["description"] = description.strip()
    # site.Language.Locale: languageCode (locale since Hugo 0.158), else the language's key.
    code = config.get("locale") or config.get("languagecode")
    site["language"] = code if isinstance(code, str) and code.strip() else language
    zone = config.get("timezone")
    if isinstance(zone, str) and zone.strip():
        site["timezone"] = zone.strip()
    author = params.get("author", config.get("author"))
    if isinstance(author, str) and author.strip():
        site["author"] = author.strip()
    elif isinstance(author, Mapping) and isinstance(author.get("name"), str):
        site["author"] = {
            k: v for k, v in author.items() if k in ("name", "email") and isinstance(v, str)
        }
    content: dict[str, Any] = {"dir": content_dir}
    for hugo_key, key in (("buildfuture", "future"), ("builddrafts", "drafts")):
        if isinstance(config.get(hugo_key), bool):
            content[key] = config[hugo_key]
    publish_dir = config.get("publishdir")
    output = publish_dir if isinstance(publish_dir, str) and publish_dir else "public"
    feeds: dict[str, Any] = {"output": f"{output}/{prefix}".rstrip("/")}
    services = config.get("services")
    rss = services.get("rss") if isinstance(services, Mapping) else None
    limit = rss.get("limit") if isinstance(rss, Mapping) else config.get("rsslimit")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        feeds["limit"] = limit  # Hugo's default, -1, is every page: feedkit archives them
    taxonomies = config.get("taxonomies")
    if isinstance(taxonomies, Mapping):
        plural = {str(v) for v in taxonomies.values()}
        feeds["categories"] = "categories" in plural
        feeds["tags"] = "tags" in plural
    dates = _date_keys(config)
    sources = ["front-matter"]
    for token, source in ((":filename", "filename"), (":git", "git"), (":filemodtime", "mtime")):
        if token in dates["publishdate"]:
            sources.append(source)
    # Hugo gives an undated page the zero date; feedkit needs a real one and takes the
    # first build that saw the page, which stays put.
    sources.append("first-seen")
    state = {"path": f".feedkit/state-{language}.db"} if prefix else {}
    sections = {"site": site, "content": content, "feeds": feeds, "dates": {"sources": sources}}
    if state:
        sections["state"] = state
    return sections


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


def page_files(
    files: Sequence[SourceFile], site: HugoSite, diagnostics: Diagnostics
) -> list[SourceFile]:
    """The files among ``files`` that Hugo publishes as regular pages of this language.

    A branch bundle's ``_index.md`` is a list page, not a post. A folder holding an
    ``index.md`` is a leaf bundle: its other files, Markdown included, are the page's
    resources. With languages told by file name, only this language's files are kept.
    """
    bundles = {
        source_file.path.rpartition("/")[0]
        for source_file in files
        if _translation_base(source_file.path.rpartition("/")[2], site) == "index"
    }
    kept = []
    for source_file in files:
        folder, _, name = source_file.path.rpartition("/")
        base = _translation_base(name, site)
        if base == "_index":
            diagnostics.info(
                "skipped", "a section's list page (_index), not a post", path=source_file.path
            )
            continue
        if base != "index" and _in_bundle(folder, bundles):
            diagnostics.info(
                "skipped", "a resource of a leaf bundle (index.md beside it)", path=source_file.path
            )
            continue
        if site.by_filename and page_language(source_file.path, site) != site.language:
            continue
        kept.append(source_file)
    return kept


def _in_bundle(folder: str, bundles: set[str]) -> bool:
    while True:
        if folder in bundles:
            return True
        if not folder:
            return False
        folder = folder.rpartition("/")[0]


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
    from .dates import front_matter_instant

    if site.build_expired:
        return False
    for key in site.dates["expirydate"]:
        value = metadata.get(key)
        if value not in (None, ""):
            instant = front_matter_instant(value, tz=tz, now=now)
            return instant is not None and instant <= now
    return False


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
        permalink = hugo_permalink(source, site, title=title, date=date.astimezone(tz))
    except ValueError as exc:
        diagnostics.error("permalink", f"{exc}; skipped", path=source.path)
        return None
    url = join_url(settings.site.root_url, permalink)
    categories = tuple(dict.fromkeys(_as_names(metadata.get("categories"))))
    tags = tuple(dict.fromkeys(_as_names(metadata.get("tags"))))
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


def cascade_entries(
    section: str, cascade: Any
) -> list[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """The entries of one ``cascade`` (a mapping, or a list of them, each with an optional
    ``target``/``_target``), as :attr:`HugoSite.cascades` holds them."""
    entries = cascade if isinstance(cascade, list) else [cascade]
    result: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        target = entry.get("target", entry.get("_target")) or {}
        values = {k: v for k, v in entry.items() if k not in ("target", "_target")}
        result.append((section, values, target if isinstance(target, Mapping) else {}))
    return result


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
