"""The configuration of a Hugo site as Hugo reads it (pure functions).

:mod:`feedkit.settings` reads the files (``hugo.toml``, ``config/_default/``…) and gives
the merged mapping to :func:`hugo_sites`, which returns, for each language, a
:class:`HugoSite` (what decides which pages are posts and where they live) and the
feedkit settings the configuration implies (:func:`hugo_sections`, the counterpart of
``settings._from_jekyll``). Date keys follow ``resources/page/pagemeta/
page_frontmatter.go`` of gohugoio/hugo.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CONFIG_NAMES",
    "HugoSite",
    "cascade_entries",
    "hugo_date_keys",
    "hugo_sections",
    "hugo_sites",
    "lower_keys",
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
    # In the order of Hugo's PublishDate chain: [":filename", ":default"] prefers the
    # file name's date to the front matter's.
    tokens = {":filename": "filename", ":git": "git", ":filemodtime": "mtime"}
    sources = list(dict.fromkeys(tokens.get(key, "front-matter") for key in dates["publishdate"]))
    # Hugo gives an undated page the zero date; feedkit needs a real one and takes the
    # first build that saw the page, which stays put.
    sources.append("first-seen")
    state = {"path": f".feedkit/state-{language}.db"} if prefix else {}
    sections = {"site": site, "content": content, "feeds": feeds, "dates": {"sources": sources}}
    if state:
        sections["state"] = state
    return sections


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
