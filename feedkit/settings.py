"""Loading feedkit's configuration into one typed, frozen :class:`Settings`.

Only this module reads configuration files. ``feedkit.toml`` is looked up in the current
folder; where there is none, a Jekyll ``_config.yml`` or a Hugo configuration
(``hugo.toml``, ``config.yaml``…, or a ``config/_default/`` folder) supplies what it
can. Every key is declared once below (type, default, meaning); the loader reports every
problem at once, naming the key and the bad value, then fails with one :class:`ConfigError`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

if TYPE_CHECKING:
    from .diagnostics import Diagnostics
    from .hugo import HugoSite
    from .models import Author

__all__ = [
    "ContentSettings",
    "DateSettings",
    "FeedSettings",
    "Settings",
    "SiteSettings",
    "StateSettings",
    "WebSubSettings",
    "find_config",
    "load_settings",
]

CONFIG_NAME = "feedkit.toml"
JEKYLL_CONFIG_NAME = "_config.yml"
FORMATS = ("rss", "atom", "json")
ID_STYLES = ("auto", "jekyll-feed", "url")
DATE_SOURCES = ("front-matter", "filename", "git", "first-seen", "timeline", "mtime")


def _key(doc: str, default: Any = dataclasses.MISSING, **kwargs: Any) -> Any:
    """Declare a settings key with its documentation (shown by ``feedkit init``)."""
    if default is dataclasses.MISSING:
        return field(metadata={"doc": doc}, **kwargs)
    return field(default=default, metadata={"doc": doc}, **kwargs)


@dataclass(frozen=True)
class SiteSettings:
    """``[site]``: what the feeds say about the site."""

    url: str = _key("Absolute http(s) URL of the site, e.g. https://example.com", "")
    baseurl: str = _key("Path the site lives under, e.g. /blog (Jekyll's baseurl)", "")
    title: str = _key("Feed title", "")
    description: str = _key("Feed description (RSS requires one; the title is used if empty)", "")
    language: str = _key("Language tag of the site, e.g. ko or en-US", "")
    timezone: str = _key("IANA time zone for dates written without one", "UTC")
    author: Author | None = _key("Default author: a name, or {name, email, uri}", None)
    icon: str = _key("Small square icon (Atom icon, JSON Feed favicon), relative or absolute", "")
    logo: str = _key("Larger image (Atom logo, RSS image, JSON Feed icon)", "")
    permalink: str = _key("Jekyll permalink style or pattern for posts", "date")
    ids: str = _key(
        "Ids of posts first published from now on: jekyll-feed (as jekyll-feed makes them), "
        "url (the post's URL), or auto (jekyll-feed on a Jekyll site, else url)",
        "auto",
    )

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def root_url(self) -> str:
        """The site's URL with its baseurl and a trailing slash."""
        return self.url.rstrip("/") + self.baseurl.rstrip("/") + "/"


@dataclass(frozen=True)
class ContentSettings:
    """``[content]``: where the posts are and which of them are published."""

    dir: Path = _key("Folder holding the posts (relative to the config file)", Path("content"))
    drafts: bool = _key("Publish drafts (draft: true, published: false, _drafts/)", False)
    future: bool = _key("Publish posts dated in the future", False)
    encoding: str = _key("Encoding of the source files", "utf-8")


@dataclass(frozen=True)
class FeedSettings:
    """``[feeds]``: which feeds are written, and what they hold."""

    output: Path = _key("Output folder (relative to the config file)", Path("public"))
    limit: int = _key("Entries in each subscription feed, newest first", 20)
    full_content: bool = _key("Full content in entries (false: summary only)", True)
    formats: tuple[str, ...] = _key("Formats to write: rss, atom, json", FORMATS)
    categories: bool = _key("Write a feed per category under categories/<slug>/", True)
    tags: bool = _key("Write a feed per tag under tags/<slug>/", True)
    utc: bool = _key("Write every date in UTC instead of the post's own offset", False)
    sanitize: bool = _key("Remove scripts, frames and event handlers from content", True)
    archives: bool = _key("Write older entries to RFC 5005 archive pages under archive/", True)
    xslt: bool = _key("Write feed.xsl and point RSS and Atom feeds at it, for browsers", False)
    timeline: bool = _key("Timeline tables as JSON Feed _timeline data and in timeline.ics", True)


@dataclass(frozen=True)
class DateSettings:
    """``[dates]``: where each post's published date comes from, in order."""

    sources: tuple[str, ...] = _key(
        "Sources of the published date, tried in order",
        ("front-matter", "filename", "git", "first-seen", "mtime"),
    )


@dataclass(frozen=True)
class WebSubSettings:
    """``[websub]``: hubs to advertise in every feed and to ping when a feed changes."""

    hubs: tuple[str, ...] = _key("WebSub hub URLs (http or https)", ())
    budget: float = _key("Seconds a run may spend retrying pings before queueing them", 30.0)
    timeout: float = _key("Seconds to wait for one hub's answer", 10.0)


@dataclass(frozen=True)
class StateSettings:
    """``[state]``: where feedkit remembers what it published."""

    path: Path = _key("State database (relative to the config file)", Path(".feedkit/state.db"))


@dataclass(frozen=True)
class Settings:
    """The whole configuration of one run, built once by :func:`load_settings`."""

    site: SiteSettings = field(default_factory=SiteSettings)
    content: ContentSettings = field(default_factory=ContentSettings)
    feeds: FeedSettings = field(default_factory=FeedSettings)
    dates: DateSettings = field(default_factory=DateSettings)
    websub: WebSubSettings = field(default_factory=WebSubSettings)
    state: StateSettings = field(default_factory=StateSettings)
    config_path: Path | None = None
    jekyll: Mapping[str, Any] = field(default_factory=dict)
    hugo: HugoSite | None = None  # set when the site is a Hugo site (one language of it)


_SECTIONS: dict[str, type] = {
    "site": SiteSettings,
    "content": ContentSettings,
    "feeds": FeedSettings,
    "dates": DateSettings,
    "websub": WebSubSettings,
    "state": StateSettings,
}


def find_config(directory: Path) -> Path | None:
    """Return ``feedkit.toml``, else ``_config.yml``, else a Hugo configuration file
    (``hugo.toml`` … ``config.json``, in Hugo's order) or ``config/_default/`` folder in
    ``directory``, or None."""
    from ._hugo_config import CONFIG_NAMES

    for name in (CONFIG_NAME, JEKYLL_CONFIG_NAME, *CONFIG_NAMES):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    folder = directory / "config" / "_default"
    return folder if folder.is_dir() else None


def is_hugo_config(path: Path) -> bool:
    """Whether ``path`` is a Hugo configuration file or ``config/_default/`` folder."""
    from ._hugo_config import CONFIG_NAMES

    return path.name in CONFIG_NAMES or (path.name == "_default" and path.is_dir())


def hugo_languages(path: Path, diagnostics: Diagnostics | None = None) -> tuple[str, ...]:
    """The languages of the Hugo site configured at ``path``, the default first (a
    feed set is written for each)."""
    from .hugo import hugo_sites

    return tuple(site.language for site, _ in hugo_sites(_read_hugo_config(path)))


def load_settings(
    path: Path | None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    base_dir: Path | None = None,
    diagnostics: Diagnostics | None = None,
    language: str | None = None,
) -> Settings:
    """Build :class:`Settings` from a config file (or none) and command-line overrides.

    ``path`` is a ``feedkit.toml`` or a Jekyll ``_config.yml``; ``overrides`` maps section
    to key to value (``{"site": {"url": ...}}``) and wins over the file. Relative paths are
    resolved against the config file's folder, else ``base_dir`` (default: the current
    folder).

    A ``_config.yml`` that is not valid YAML for PyYAML (Ruby's YAML accepts more, such
    as an unquoted ``{{ … }}`` value) is read without the top-level keys whose part is
    invalid, when feedkit uses none of them; each is reported to ``diagnostics`` (a
    ``config-yaml`` warning naming the file and line; logged when ``diagnostics`` is None).

    A Hugo configuration gives the settings of one of the site's languages: ``language``,
    or the default one (see :func:`hugo_languages`).

    Raises :class:`ConfigError` listing every invalid or unknown key at once.
    """
    raw: dict[str, dict[str, Any]] = {}
    jekyll: dict[str, Any] = {}
    hugo = None
    origin = "command line"
    root = path.parent if path is not None else (base_dir or Path.cwd())
    if path is not None:
        origin = path.name
        if is_hugo_config(path):
            hugo, raw = _from_hugo(path, language)
            if path.name == "_default":
                root = path.parent.parent
                origin = "config/_default"
        elif path.name == JEKYLL_CONFIG_NAME or path.suffix in (".yml", ".yaml"):
            jekyll = _read_yaml_mapping(path, diagnostics)
            raw = _from_jekyll(jekyll)
            _drop_unusable_author(raw, path, diagnostics)
        else:
            raw = _read_toml(path)
            jekyll_path = path.parent / JEKYLL_CONFIG_NAME
            if jekyll_path.is_file():
                jekyll = _read_yaml_mapping(jekyll_path, diagnostics)
    for section, values in (overrides or {}).items():
        raw.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    problems: list[str] = []
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        values = raw.pop(name, {})
        if not isinstance(values, dict):
            problems.append(f"{origin}: [{name}]: expected a table, got {values!r}")
            continue
        sections[name] = _build_section(cls, name, values, origin, root, problems)
    for unknown in raw:
        problems.append(f"{origin}: [{unknown}]: unknown section{_suggest(unknown, _SECTIONS)}")
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return Settings(**sections, config_path=path, jekyll=jekyll, hugo=hugo)


def _from_hugo(path: Path, language: str | None) -> tuple[HugoSite, dict[str, dict[str, Any]]]:
    from .hugo import hugo_sites

    sites = hugo_sites(_read_hugo_config(path))
    root = path.parent.parent if path.name == "_default" else path.parent
    for site, raw in sites:
        if language is None or site.language == language:
            content = root / raw["content"]["dir"]
            cascades = site.cascades + _read_cascades(content, site)
            return dataclasses.replace(site, cascades=cascades), raw
    known = ", ".join(site.language for site, _ in sites)
    raise ConfigError(f"no language {language!r} in this Hugo site (it has {known})", path=path)


def _read_cascades(content: Path, site: HugoSite) -> tuple[Any, ...]:
    """The ``cascade`` of the ``_index`` files of the content folder and of its
    top-level sections (where sites put them; deeper ones are not read, which keeps the
    settings cheap to load for a build with nothing to do)."""
    from ._frontmatter import HUGO_FORMATS, FrontMatterError, parse_front_matter
    from .hugo import cascade_entries, lower_keys, page_language

    found: list[Any] = []
    folders = [("", content)]
    try:
        with os.scandir(content) as listing:
            folders += [(e.name, Path(e.path)) for e in listing if e.is_dir()]
    except OSError:
        return ()
    for section, folder in folders:
        for name in ("_index.md", f"_index.{site.language}.md", "_index.html"):
            index = folder / name
            if not index.is_file():
                continue
            if site.by_filename and page_language(name, site) != site.language:
                continue
            try:
                text = index.read_text(encoding="utf-8-sig")
                metadata = lower_keys(parse_front_matter(text, formats=HUGO_FORMATS).metadata)
            except (OSError, UnicodeDecodeError, FrontMatterError):
                continue  # reported when the build reads it
            found += cascade_entries(section, metadata.get("cascade"))
    return tuple(found)


def _read_hugo_config(path: Path) -> dict[str, Any]:
    """The merged Hugo configuration at ``path``, keys lower-cased.

    A ``config/_default/`` folder holds ``hugo.*`` (or ``config.*``) and one file per
    root key (``params.toml``, ``languages.yaml``…); ``config/production/`` is merged over
    it, as ``hugo`` builds for production by default.
    """
    from .hugo import lower_keys

    if not path.is_dir():
        config: dict[str, Any] = lower_keys(_read_config_file(path))
        return config
    merged: dict[str, Any] = {}
    for folder in (path, path.parent / "production"):
        if not folder.is_dir():
            continue
        for file in sorted(folder.iterdir()):
            stem, suffix = file.stem.lower(), file.suffix.lower()
            if suffix not in (".toml", ".yaml", ".yml", ".json") or not file.is_file():
                continue
            data = lower_keys(_read_config_file(file))
            if stem in ("hugo", "config"):
                merged = _deep_merge(merged, data)
            elif "." not in stem:  # menus.en.toml and the like are not read
                merged = _deep_merge(merged, {stem: data})
    return merged


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    from .jekyll import deep_merge

    return deep_merge(base, override)


def _read_config_file(path: Path) -> dict[str, Any]:
    import json

    suffix = path.suffix.lower()
    if suffix == ".toml":
        return _read_toml(path)
    if suffix in (".yaml", ".yml"):
        return _read_yaml_mapping(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from exc
    if not isinstance(data, dict):
        raise ConfigError("expected an object at the top level", path=path)
    return data


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from exc


# The keys of _config.yml that feedkit reads (here, and through Settings.jekyll): one of
# these that cannot be read stops the build, since a guess could publish wrong URLs.
JEKYLL_KEYS_USED = frozenset(
    {
        "url", "baseurl", "title", "description", "author", "timezone", "lang", "language",
        "locale", "permalink", "future", "show_drafts", "encoding", "markdown_ext", "exclude",
        "include", "defaults", "collections", "excerpt_separator",
    }
)  # fmt: skip
# A line opening a top-level key: "key:", 'key':, key: (not a comment or list item).
_TOP_LEVEL_KEY = re.compile(
    r"""(?:"([^"]*)"|'([^']*)'|([^\s#:'"-][^:#]*?|-[^\s:#][^:#]*?))\s*:(?:\s|$)"""
)


def _read_yaml_mapping(path: Path, diagnostics: Diagnostics | None = None) -> dict[str, Any]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from exc
    try:
        data = _load_yaml(text)
    except yaml.YAMLError as exc:
        data = _load_yaml_without_bad_keys(text, exc, path, diagnostics)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping at the top level", path=path)
    return data


def _load_yaml(text: str) -> Any:
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _yaml_error_line(exc: Exception) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def _load_yaml_without_bad_keys(
    text: str, first: Exception, path: Path, diagnostics: Diagnostics | None
) -> Any:
    """Load ``text`` leaving out each top-level key whose block PyYAML rejects.

    Jekyll reads ``_config.yml`` with Ruby's YAML, which accepts things PyYAML does not
    (a plain value starting with ``{{``, as a plugin's Liquid template); feedkit needs few
    keys, so a bad block under another key is blanked (keeping line numbers) and reported.
    Raises :class:`ConfigError` as before when the bad block is a key feedkit uses, or
    when the error is outside any top-level key.
    """
    import yaml

    lines = text.split("\n")
    starts = [
        (index, next(g for g in match.groups() if g is not None).strip())
        for index, line in enumerate(lines)
        if (match := _TOP_LEVEL_KEY.match(line)) and line[:1] not in (" ", "\t")
    ]
    skipped: list[tuple[str, int, str]] = []
    exc: Exception = first
    for _ in range(len(starts) + 1):
        line = _yaml_error_line(exc)
        block = None
        if line is not None:
            block = next(
                ((i, key) for i, key in reversed(starts) if i <= line - 1),
                None,
            )
        if block is None or block[1] in JEKYLL_KEYS_USED or block[1] in {k for k, _, _ in skipped}:
            raise ConfigError(f"not valid YAML: {exc}", path=path, line=line) from exc
        start, key = block
        end = next((i for i, _ in starts if i > start), len(lines))
        lines[start:end] = [""] * (end - start)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        skipped.append((key, start + 1, problem))
        try:
            data = _load_yaml("\n".join(lines))
            break
        except yaml.YAMLError as again:
            exc = again
    else:  # pragma: no cover - each round blanks a new block or raises
        raise ConfigError(f"not valid YAML: {exc}", path=path)
    for key, line_number, problem in skipped:
        message = (
            f"not valid YAML for feedkit ({problem}) in {key!r}, a key feedkit does not use; "
            "ignored (quote the value to silence this)"
        )
        if diagnostics is not None:
            diagnostics.warn("config-yaml", message, path=str(path), line=line_number)
        else:
            import logging

            logging.getLogger(__name__).warning("%s:%d: %s", path, line_number, message)
    return data


def _drop_unusable_author(
    raw: dict[str, dict[str, Any]], path: Path, diagnostics: Diagnostics | None
) -> None:
    """Leave out a ``_config.yml`` ``author`` feedkit cannot use (a mapping of social
    accounts with no ``name``, as some themes have), with a warning: Jekyll builds such a
    site, so feedkit must too; posts then have no default author."""
    author = raw.get("site", {}).get("author")
    if author is None:
        return
    try:
        _coerce_author(author)
    except ValueError as exc:
        del raw["site"]["author"]
        message = f"author: {exc}; ignored (posts without an author have none)"
        if diagnostics is not None:
            diagnostics.warn("config-author", message, path=str(path))
        else:
            import logging

            logging.getLogger(__name__).warning("%s: %s", path, message)


def _from_jekyll(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Translate the keys of a Jekyll ``_config.yml`` that feedkit understands."""
    site: dict[str, Any] = {}
    for jekyll_key, key in (
        ("url", "url"),
        ("baseurl", "baseurl"),
        ("title", "title"),
        ("description", "description"),
        ("author", "author"),
        ("timezone", "timezone"),
        ("lang", "language"),
        ("permalink", "permalink"),
    ):
        value = config.get(jekyll_key)
        if value not in (None, ""):
            site[key] = value
    if "language" not in site:
        # jekyll-feed reads site.lang; themes use locale (minimal-mistakes: "ko-KR") or
        # language.
        for jekyll_key in ("language", "locale"):
            value = config.get(jekyll_key)
            if isinstance(value, str) and value.strip():
                site["language"] = value.strip().replace("_", "-")
                break
    content: dict[str, Any] = {"dir": "."}
    for jekyll_key, key in (("future", "future"), ("show_drafts", "drafts")):
        if isinstance(config.get(jekyll_key), bool):
            content[key] = config[jekyll_key]
    if isinstance(config.get("encoding"), str):
        content["encoding"] = config["encoding"]
    feeds: dict[str, Any] = {"output": "_site"}
    return {"site": site, "content": content, "feeds": feeds}


def _build_section(
    cls: type,
    section: str,
    values: dict[str, Any],
    origin: str,
    root: Path,
    problems: list[str],
) -> Any:
    declared = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in declared:
            problems.append(f"{origin}: {section}.{key}: unknown key{_suggest(key, declared)}")
            continue
        try:
            kwargs[key] = _coerce(section, key, declared[key].default, value, root)
        except ValueError as exc:
            problems.append(f"{origin}: {section}.{key}: {exc}, got {value!r}")
    for name, declared_field in declared.items():
        if isinstance(declared_field.default, Path) and name not in kwargs:
            kwargs[name] = (root / declared_field.default).resolve()
    return cls(**kwargs)


def _suggest(name: str, known: Iterable[str]) -> str:
    import difflib

    matches = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def _coerce(section: str, key: str, default: Any, value: Any, root: Path) -> Any:
    """Check ``value`` against the declared key and normalise it; raise ValueError."""
    name = f"{section}.{key}"
    if name == "site.author":
        return _coerce_author(value)
    if name == "site.url":
        return _coerce_site_url(value)
    if name == "site.permalink":
        return _coerce_permalink(value)
    if name == "site.baseurl":
        text = _expect_str(value).strip("/")
        return f"/{text}" if text else ""
    if name == "site.timezone":
        try:
            ZoneInfo(_expect_str(value))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone name such as Asia/Seoul") from exc
        return value
    if name == "site.ids":
        if value not in ID_STYLES:
            raise ValueError(f"expected one of {', '.join(ID_STYLES)}")
        return value
    if name == "websub.hubs":
        return tuple(dict.fromkeys(_coerce_http_url(hub) for hub in _expect_str_list(value)))
    if name in ("websub.budget", "websub.timeout"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError("expected a number of seconds above 0")
        return float(value)
    if name == "feeds.formats":
        return _choices(value, FORMATS)
    if name == "dates.sources":
        return _choices(value, DATE_SOURCES)
    if name == "feeds.limit":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("expected a whole number of at least 1")
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if isinstance(default, Path):
        return (root / _expect_str(value)).resolve()
    if isinstance(default, str):
        return _expect_str(value)
    raise ValueError("unsupported value")  # pragma: no cover - every key is handled above


def _choices(value: Any, allowed: Sequence[str]) -> tuple[str, ...]:
    """A non-empty list of names from ``allowed``, in order, each once."""
    names = _expect_str_list(value)
    if not names or any(name not in allowed for name in names):
        raise ValueError(f"expected a non-empty list of {', '.join(allowed)}")
    return tuple(dict.fromkeys(names))


def _expect_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _expect_str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return list(value)


def _coerce_http_url(value: Any) -> str:
    text = _expect_str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an absolute http(s) URL")
    return text


def _coerce_site_url(value: Any) -> str:
    """The site's URL: every feed and post URL is joined onto it, which a query or a
    fragment would make wrong (``https://example.com/?a=b/atom.xml``)."""
    text = _coerce_http_url(value)
    parts = urlsplit(text)
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError("expected a URL without a query or fragment (put the path in baseurl)")
    return text.rstrip("/")


def _coerce_permalink(value: Any) -> str:
    """A permalink style or pattern, checked once here: an unknown placeholder would
    otherwise fail every post of the site (issue 22)."""
    from datetime import UTC, datetime

    from .permalinks import expand_permalink

    text = _expect_str(value)
    try:
        expand_permalink(
            text, categories=("c",), date=datetime(2000, 1, 1, tzinfo=UTC), title="t", slug=""
        )
    except ValueError as exc:
        raise ValueError(str(exc)) from exc
    return text


def _coerce_author(value: Any) -> Author | None:
    from .models import Author

    if value is None or value == "":
        return None
    if isinstance(value, str):
        return Author(name=value)
    if isinstance(value, Mapping):
        name, email, uri = value.get("name"), value.get("email"), value.get("uri", value.get("url"))
        if not isinstance(name, str) or not name:
            raise ValueError("expected a name, or a table with a 'name' string")
        for extra in (email, uri):
            if extra is not None and not isinstance(extra, str):
                raise ValueError("expected 'email' and 'uri' to be strings")
        return Author(name=name, email=email, uri=uri)
    raise ValueError("expected a name, or a table with a 'name' string")
