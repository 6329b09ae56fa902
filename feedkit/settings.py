"""Loading feedkit's configuration into one typed, frozen :class:`Settings`.

Only this module reads configuration files. ``feedkit.toml`` is looked up in the current
folder; where there is none, a Jekyll ``_config.yml`` supplies what it can. Every key is
declared once below (type, default, meaning); the loader reports every problem at once,
naming the key and the bad value, then fails with one :class:`ConfigError`.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

if TYPE_CHECKING:
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


_SECTIONS: dict[str, type] = {
    "site": SiteSettings,
    "content": ContentSettings,
    "feeds": FeedSettings,
    "dates": DateSettings,
    "websub": WebSubSettings,
    "state": StateSettings,
}


def find_config(directory: Path) -> Path | None:
    """Return ``feedkit.toml`` or else ``_config.yml`` in ``directory``, or None."""
    for name in (CONFIG_NAME, JEKYLL_CONFIG_NAME):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def load_settings(
    path: Path | None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    base_dir: Path | None = None,
) -> Settings:
    """Build :class:`Settings` from a config file (or none) and command-line overrides.

    ``path`` is a ``feedkit.toml`` or a Jekyll ``_config.yml``; ``overrides`` maps section
    to key to value (``{"site": {"url": ...}}``) and wins over the file. Relative paths are
    resolved against the config file's folder, else ``base_dir`` (default: the current
    folder).

    Raises :class:`ConfigError` listing every invalid or unknown key at once.
    """
    raw: dict[str, dict[str, Any]] = {}
    jekyll: dict[str, Any] = {}
    origin = "command line"
    if path is not None:
        origin = path.name
        if path.name == JEKYLL_CONFIG_NAME or path.suffix in (".yml", ".yaml"):
            jekyll = _read_yaml_mapping(path)
            raw = _from_jekyll(jekyll)
        else:
            raw = _read_toml(path)
            jekyll_path = path.parent / JEKYLL_CONFIG_NAME
            if jekyll_path.is_file():
                jekyll = _read_yaml_mapping(jekyll_path)
    for section, values in (overrides or {}).items():
        raw.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    root = path.parent if path is not None else (base_dir or Path.cwd())
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
    return Settings(**sections, config_path=path, jekyll=jekyll)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from exc


def _read_yaml_mapping(path: Path) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=loader)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(f"not valid YAML: {exc}", path=path, line=line) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping at the top level", path=path)
    return data


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
