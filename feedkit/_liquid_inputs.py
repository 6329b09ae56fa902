"""What every post's Liquid may read beyond the post, on a Jekyll site: the files under
``_includes/`` and ``_data/``, and their digest.

Apart from :mod:`feedkit.liquid` because the build's input fingerprint needs the digest on
every run, including the runs that then find nothing to do and never render a post: this
module imports nothing but the standard library.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .settings import Settings

__all__ = [
    "inputs_digest",
    "is_jekyll_site",
    "liquid_inputs_digest",
    "read_inputs",
    "site_folders",
]

_DATA_SUFFIXES = (".yml", ".yaml", ".json")


def _read_tree(folder: Path, suffixes: tuple[str, ...] | None = None) -> dict[str, str]:
    """The text of every file under ``folder`` by its POSIX path there (none if absent)."""
    files: dict[str, str] = {}
    if not folder.is_dir():
        return files
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            if suffixes is not None and not name.endswith(suffixes):
                continue
            path = Path(root) / name
            try:
                files[path.relative_to(folder).as_posix()] = path.read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # said as a missing include when a post asks for it
    return files


def is_jekyll_site(settings: Settings) -> bool:
    """Return True for a Jekyll site (a ``_config.yml`` in the site's folder), whose posts
    Jekyll renders with Liquid; a plain folder of posts gets no Liquid."""
    return bool(settings.jekyll) or (settings.content.dir / "_config.yml").is_file()


def site_folders(settings: Settings) -> tuple[Path, Path]:
    """The site's ``_includes`` and ``_data`` folders (``includes_dir``, ``data_dir``)."""
    config = settings.jekyll
    includes_dir, data_dir = config.get("includes_dir"), config.get("data_dir")
    return (
        settings.content.dir / (includes_dir if isinstance(includes_dir, str) else "_includes"),
        settings.content.dir / (data_dir if isinstance(data_dir, str) else "_data"),
    )


def read_inputs(settings: Settings) -> tuple[dict[str, str], dict[str, str]]:
    """The text of each file under ``_includes/`` and of each YAML or JSON file under
    ``_data/``, by its POSIX path there."""
    includes_folder, data_folder = site_folders(settings)
    return _read_tree(includes_folder), _read_tree(data_folder, _DATA_SUFFIXES)


def inputs_digest(includes: Mapping[str, str], data: Mapping[str, str]) -> str:
    """A digest of what :func:`read_inputs` read."""
    from ._rebuild import digest_text

    return digest_text(
        *(f"include\0{name}\0{text}" for name, text in sorted(includes.items())),
        *(f"data\0{name}\0{text}" for name, text in sorted(data.items())),
    )


def liquid_inputs_digest(settings: Settings) -> str:
    """A digest of the files every post's Liquid may read (``_includes/``, ``_data/``),
    by content; '' for a site that is not a Jekyll site. Part of the build's input
    fingerprint and of every feed's signature, so that editing an include re-renders
    the posts."""
    if not is_jekyll_site(settings):
        return ""
    return inputs_digest(*read_inputs(settings))
