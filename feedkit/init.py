"""``feedkit init``: write a commented ``feedkit.toml`` that lists every key.

:func:`render_config` is pure: every section and key of :class:`~feedkit.settings.Settings`
with its documentation (the ``doc`` of the field's metadata) as a comment. Keys given by
the caller, or found in a Jekyll ``_config.yml``, are written as TOML; the others are
commented out with their defaults, ready to uncomment. :func:`write_config` writes the
file and never replaces one without ``force``; :func:`init_config` does both, after
checking the values the way ``feedkit build`` will.

There is no TOML writer among the dependencies; the few value types a key can hold
(strings, booleans, numbers, lists of strings, an author table) are formatted here.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

from .errors import ConfigError, FeedkitError
from .models import Author
from .settings import _SECTIONS, CONFIG_NAME, JEKYLL_CONFIG_NAME, _from_jekyll, load_settings

__all__ = ["init_config", "render_config", "write_config"]

# Shown commented out in place of defaults that are not worth showing ("" and None).
_EXAMPLES: Mapping[str, Any] = {
    "site.url": "https://example.com",
    "site.author": {"name": "Your Name", "email": "you@example.com"},
}
_REQUIRED = frozenset({"site.url"})
_AUTHOR_KEYS = ("name", "email", "uri")


def _toml_string(text: str) -> str:
    """Return ``text`` as a TOML basic string.

    JSON's escapes are a subset of TOML's (TOML 1.0, "String"), except that TOML also
    forbids a raw DEL (U+007F), which json.dumps leaves as it is.
    """
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_author(value: Author | Mapping[str, Any] | str) -> str:
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, Author):
        fields: dict[str, Any] = {"name": value.name, "email": value.email, "uri": value.uri}
    else:
        # Jekyll themes write the author's home page as "url"; feedkit calls it "uri".
        fields = {
            "name": value.get("name"),
            "email": value.get("email"),
            "uri": value.get("uri", value.get("url")),
        }
    pairs = [f"{key} = {_toml_value(fields[key])}" for key in _AUTHOR_KEYS if fields[key]]
    return "{ " + ", ".join(pairs) + " }"


def _toml_value(value: Any) -> str:
    """Format one value as TOML; raise ValueError for a type no key holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # Python's repr is a TOML float, inf and nan included
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, PurePath):
        return _toml_string(value.as_posix())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return "[" + ", ".join(_toml_string(v) for v in value) + "]"
    raise ValueError(f"cannot be written as TOML: {value!r}")


def _format_key(section: str, key: str, value: Any) -> str:
    if f"{section}.{key}" == "site.author":
        if isinstance(value, Author | Mapping | str):
            return _toml_author(value)
        raise ValueError("expected a name, or a table with a 'name' string")
    return _toml_value(value)


def _given_values(
    values: Mapping[str, Any], jekyll_config: Mapping[str, Any] | None
) -> dict[str, dict[str, Any]]:
    """Merge the Jekyll site's values under the caller's; drop None; check the keys."""
    merged: dict[str, dict[str, Any]] = {}
    layers = [_from_jekyll(jekyll_config) if jekyll_config is not None else {}, values]
    for layer in layers:
        for section, keys in layer.items():
            if section not in _SECTIONS:
                raise ConfigError(f"[{section}]: unknown section")
            if not isinstance(keys, Mapping):
                raise ConfigError(f"[{section}]: expected a table, got {keys!r}")
            declared = {f.name for f in dataclasses.fields(_SECTIONS[section])}
            for key, value in keys.items():
                if key not in declared:
                    raise ConfigError(f"{section}.{key}: unknown key")
                if value is not None:
                    merged.setdefault(section, {})[key] = value
    return merged


def render_config(
    values: Mapping[str, Any], *, jekyll_config: Mapping[str, Any] | None = None
) -> str:
    """Return the text of a commented ``feedkit.toml``.

    ``values`` maps section to key to value (``{"site": {"url": "https://example.com"}}``,
    the shape of :func:`~feedkit.settings.load_settings`' overrides); None means "not
    given". ``jekyll_config`` is a Jekyll ``_config.yml`` as a mapping: its ``title``,
    ``url``, ``baseurl``, ``description``, ``author``, ``timezone``, ``lang``,
    ``permalink``, ``future``, ``show_drafts`` and ``encoding`` are taken as
    ``feedkit build`` takes them, with the site itself as the content folder and
    ``_site`` as the output; ``values`` win over them.

    Every section and key of the settings appears, in declaration order, under its
    documentation. Given keys are written as TOML; the others are commented out
    (``# key = default``). Values are not validated here (see :func:`init_config`).

    Raises :class:`ConfigError` for an unknown section or key, or a value that no key
    could hold (a nested table, a date).
    """
    given = _given_values(values, jekyll_config)
    lines = [
        "# feedkit configuration, written by `feedkit init`.",
        "# Every key is listed under its meaning; a commented-out key shows its default.",
        '# Relative paths are relative to this file. See README.md, "Configuration".',
    ]
    if jekyll_config is not None:
        lines.append(f"# Values were taken from {JEKYLL_CONFIG_NAME}; this file now wins over it.")
    for section, cls in _SECTIONS.items():
        doc = (cls.__doc__ or "").split(":", 1)[-1].strip()
        lines.extend(["", f"# {doc[:1].upper()}{doc[1:]}", f"[{section}]"])
        for declared in dataclasses.fields(cls):
            name = f"{section}.{declared.name}"
            comment = declared.metadata.get("doc", "")
            if name in _REQUIRED:
                comment += " (required)"
            lines.extend(["", f"# {comment}"])
            if declared.name in given.get(section, {}):
                value = given[section][declared.name]
                try:
                    lines.append(f"{declared.name} = {_format_key(section, declared.name, value)}")
                except ValueError as exc:
                    raise ConfigError(f"{name}: {exc}") from exc
                continue
            default = _EXAMPLES.get(name, declared.default)
            if default is dataclasses.MISSING or default is None:
                continue  # pragma: no cover - every key without a default has an example
            lines.append(f"# {declared.name} = {_format_key(section, declared.name, default)}")
    return "\n".join(lines) + "\n"


def write_config(path: Path, text: str, *, force: bool) -> None:
    """Write ``text`` (UTF-8) to ``path``.

    Raises :class:`ConfigError` naming the file if it exists and ``force`` is false (the
    check and the creation are one step, so two runs cannot both write it), and
    :class:`FeedkitError` if it cannot be written.
    """
    try:
        with path.open("w" if force else "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError as exc:
        raise ConfigError("already exists (use --force to replace it)", path=path) from exc
    except OSError as exc:
        raise FeedkitError(f"cannot write: {exc.strerror or exc}", path=path) from exc


def init_config(directory: Path, values: Mapping[str, Any], *, force: bool = False) -> Path:
    """Write ``feedkit.toml`` in ``directory`` and return its path.

    A Jekyll ``_config.yml`` in ``directory`` supplies what it can (see
    :func:`render_config`); ``values`` win over it. The result is checked as
    ``feedkit build`` will read it before anything is written.

    Raises :class:`ConfigError` if a value is invalid (naming the key and the value), the
    ``_config.yml`` cannot be read, or the file exists and ``force`` is false.
    """
    jekyll_path = directory / JEKYLL_CONFIG_NAME
    jekyll = dict(load_settings(jekyll_path).jekyll) if jekyll_path.is_file() else None
    text = render_config(values, jekyll_config=jekyll)
    load_settings(None, tomllib.loads(text), base_dir=directory)
    target = directory / CONFIG_NAME
    write_config(target, text, force=force)
    return target
