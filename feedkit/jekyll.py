"""What feedkit reads of a Jekyll site the way Jekyll reads it (pure functions).

- :func:`apply_defaults`: the ``defaults`` of ``_config.yml``, merged under a document's
  own front matter (``Jekyll::FrontmatterDefaults``).
- :func:`split_excerpt`: the part of a body before ``excerpt_separator``
  (``Jekyll::Excerpt``).
- :func:`collections_to_publish`: the collections with ``output: true`` and their
  permalinks.
- :func:`posts_permalink`: ``collections: posts: permalink:``, which wins over
  ``permalink`` for posts.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Collection",
    "apply_defaults",
    "collections_to_publish",
    "deep_merge",
    "posts_permalink",
    "split_excerpt",
]


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated with ``override``, merging nested mappings as Jekyll's
    ``Utils.deep_merge_hashes`` does."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _scope_matches_path(scope_path: str, path: str) -> bool:
    scope_path = scope_path.strip("/")
    if not scope_path:
        return True
    if "*" in scope_path:
        return fnmatch.fnmatchcase(path, scope_path) or fnmatch.fnmatchcase(
            path, scope_path.rstrip("/") + "/*"
        )
    return path == scope_path or path.startswith(scope_path + "/")


def apply_defaults(
    metadata: Mapping[str, Any], *, path: str, kind: str, defaults: Any
) -> dict[str, Any]:
    """Return ``metadata`` with the matching ``defaults`` merged under it.

    ``path`` is the document's path from the site's root; ``kind`` is its type (``posts``,
    ``drafts``, ``pages`` or a collection's label). As in Jekyll, a scope matches when its
    ``path`` is empty, a prefix of the document's folder or a glob matching it, and its
    ``type`` is absent or equal; the more specific scope (longer path, then one with a
    type) wins, and the front matter wins over every default. Malformed entries are
    ignored, as Jekyll ignores them.
    """
    if not isinstance(defaults, Sequence) or isinstance(defaults, str):
        return dict(metadata)
    matching: list[tuple[tuple[int, int, int], Mapping[str, Any]]] = []
    for index, entry in enumerate(defaults):
        if not isinstance(entry, Mapping):
            continue
        scope, values = entry.get("scope") or {}, entry.get("values")
        if not isinstance(scope, Mapping) or not isinstance(values, Mapping):
            continue
        scope_path = scope.get("path", "")
        scope_type = scope.get("type")
        if not isinstance(scope_path, str) or not _scope_matches_path(scope_path, path):
            continue
        if scope_type is not None and scope_type != kind:
            continue
        depth = len([part for part in scope_path.strip("/").split("/") if part])
        matching.append(((depth, scope_type is not None, index), values))
    merged: dict[str, Any] = {}
    for _, values in sorted(matching, key=lambda pair: pair[0]):
        merged = deep_merge(merged, values)
    return deep_merge(merged, metadata)


def split_excerpt(body: str, separator: str) -> str | None:
    """Return the part of ``body`` before ``separator``, or None when it is not there."""
    if not separator:
        return None
    head, found, _ = body.lstrip("\r\n").partition(separator)
    return head if found else None


@dataclass(frozen=True)
class Collection:
    """A Jekyll collection whose documents are published (``output: true``)."""

    label: str
    permalink: str | None


def collections_to_publish(config: Mapping[str, Any]) -> tuple[Collection, ...]:
    """Return the collections of ``_config.yml`` with ``output: true``, besides posts."""
    collections = config.get("collections")
    if isinstance(collections, Sequence) and not isinstance(collections, str):
        # The list form declares collections without metadata; they are not output.
        return ()
    if not isinstance(collections, Mapping):
        return ()
    result = []
    for label, metadata in collections.items():
        if label == "posts" or not isinstance(label, str) or not isinstance(metadata, Mapping):
            continue
        if metadata.get("output") is True:
            permalink = metadata.get("permalink")
            result.append(Collection(label, permalink if isinstance(permalink, str) else None))
    return tuple(sorted(result, key=lambda c: c.label))


def posts_permalink(config: Mapping[str, Any]) -> str | None:
    """Return ``collections: posts: permalink:`` of ``_config.yml``, or None.

    Jekyll makes the site's ``permalink`` the posts collection's only when the collection
    has none of its own (``Configuration#add_default_collections``), so this one wins
    (jekyll's own site publishes its news at ``/news/:year/:month/:day/:title/``).
    """
    collections = config.get("collections")
    if not isinstance(collections, Mapping):
        return None
    posts = collections.get("posts")
    if not isinstance(posts, Mapping):
        return None
    permalink = posts.get("permalink")
    return permalink if isinstance(permalink, str) and permalink.strip() else None
