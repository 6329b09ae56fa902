"""The W3C Feed Validation Service's own code on every feed we write (issue 21).

The validator (https://github.com/w3c/feedvalidator, not ours to ship) is found through
``FEEDKIT_FEEDVALIDATOR``, the path of its ``src`` folder; ``.ci/run`` sets it when a copy
is on the machine, and these tests skip where it is not. Each file is validated with its
real URL as base, as the online service does when given that URL, and the events go
through the service's "AA" filter: 0 errors and 0 warnings are required, but for the few
the data itself causes, allowed below by name with the reason.

The validator reads RSS and Atom, not JSON Feed: the ``feed.json`` files are checked
against the JSON Feed 1.1 schema instead, and for characters XML forbids in any string.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from feedkit.diagnostics import Diagnostics
from feedkit.pipeline import build
from feedkit.settings import find_config, load_settings

from .conftest import REPO_ROOT, require_schemas
from .test_bad_input import CASES, _make_site

pytestmark = pytest.mark.slow

VALIDATOR_SRC = os.environ.get("FEEDKIT_FEEDVALIDATOR", "")
JEKYLL_FIXTURE = REPO_ROOT / "tests" / "data" / "jekyll-site"
JEKYLL_NOW = datetime(2025, 1, 1, tzinfo=ZoneInfo("Asia/Seoul"))
HUGO_FIXTURE = REPO_ROOT / "tests" / "data" / "hugo-site"
# What XML 1.0 forbids, which must not reach a reader through JSON either.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Warnings the data causes, by (site, file) and validator event name, with the reason.
ALLOWED: dict[tuple[str, str], dict[str, str]] = {
    ("bundled, one archive page", "archive/1.xml"): {
        # RFC 5005 section 4: an archive document links prev-archive only when there is
        # an earlier archive, and next-archive only when there is a later one; the only
        # page has neither. The validator's cure, fh:complete, would be false (section 2:
        # a client then takes this page as the whole feed and drops the newer entries).
        "ArchiveIncomplete": "the only archive page has no neighbour to link to",
    },
    # "*": any file of the site.
    ("bad input", "*"): {
        # U+FFFD stands where invalid-utf8.md has bytes that are not UTF-8, and where
        # noncharacters.md writes &#1; (HTML turns a reference to what XML forbids into
        # U+FFFD): the validator warns that a feed holding U+FFFD may be mis-decoded.
        "BadCharacters": "the posts hold undecodable bytes and references to U+0001",
        # type-date-list.md and date-year-10000.md have no usable date: both take the
        # build's clock, so two entries share one updated time.
        "DuplicateUpdated": "two posts without a usable date are dated the same second",
    },
}


def _validator() -> Any:
    """The validator's package, imported from ``FEEDKIT_FEEDVALIDATOR``, or a skip."""
    if not VALIDATOR_SRC or not (Path(VALIDATOR_SRC) / "feedvalidator" / "__init__.py").is_file():
        pytest.skip("FEEDKIT_FEEDVALIDATOR does not name the W3C feedvalidator's src folder")
    if VALIDATOR_SRC not in sys.path:
        sys.path.insert(0, VALIDATOR_SRC)
    return pytest.importorskip("feedvalidator")


def validate(data: bytes, url: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Return the validator's errors and warnings ("AA") for one file served at ``url``:
    (kind, event name, params) triples; a crash of the validator fails the test."""
    feedvalidator = _validator()
    from feedvalidator import compatibility
    from feedvalidator.logging import Error, ValidationFailure

    try:
        events = feedvalidator.validateStream(io.BytesIO(data), firstOccurrenceOnly=1, base=url)[
            "loggedEvents"
        ]
    except ValidationFailure as failure:
        events = [failure.event]
    return [
        ("error" if isinstance(event, Error) else "warning", type(event).__name__, event.params)
        for event in compatibility.AA(events)
    ]


def feed_files(out: Path) -> Iterator[tuple[str, Path]]:
    """The RSS and Atom files of a build: (path relative to the output, file)."""
    for path in sorted(out.rglob("*.xml")):
        yield path.relative_to(out).as_posix(), path


def _bundled(limit: int | None) -> Callable[[Path, Any], tuple[Path, str]]:
    def make(tmp_path: Path, site_fixture: Path) -> tuple[Path, str]:
        settings = load_settings(
            site_fixture / "feedkit.toml", {"feeds": {"limit": limit}} if limit else None
        )
        build(
            settings,
            now=datetime(2026, 1, 1, 9, tzinfo=ZoneInfo("Asia/Seoul")),
            diagnostics=Diagnostics(),
        )
        return site_fixture / "public", settings.site.root_url

    return make


def _jekyll(tmp_path: Path, site_fixture: Path) -> tuple[Path, str]:
    root = tmp_path / "jekyll-site"
    shutil.copytree(JEKYLL_FIXTURE, root)
    settings = load_settings(find_config(root))
    build(settings, now=JEKYLL_NOW, diagnostics=Diagnostics())
    return root / "_site", settings.site.root_url


def _bad_input(tmp_path: Path, site_fixture: Path) -> tuple[Path, str]:
    # Without huge.md: its 10 MB feed is over the validator's own limit (5 MB).
    root = _make_site(tmp_path / "bad", tuple(c for c in CASES if c.file != "huge.md"))
    settings = load_settings(root / "feedkit.toml")
    build(
        settings,
        now=datetime(2026, 1, 1, 9, tzinfo=ZoneInfo("Asia/Seoul")),
        diagnostics=Diagnostics(),
    )
    return root / "public", settings.site.root_url


def _hugo(tmp_path: Path, site_fixture: Path) -> tuple[Path, str]:
    # Both languages: the Korean feeds are under public/ko/, at .../blog/ko/.
    from feedkit.settings import hugo_languages

    root = tmp_path / "hugo-site"
    shutil.copytree(HUGO_FIXTURE, root)
    path = find_config(root)
    assert path is not None
    for language in hugo_languages(path):
        settings = load_settings(path, language=language)
        build(settings, now=JEKYLL_NOW, diagnostics=Diagnostics())
    return root / "public", load_settings(path).site.root_url


SITES: dict[str, Callable[[Path, Any], tuple[Path, str]]] = {
    "hugo-site": _hugo,
    "bundled": _bundled(None),
    # Three posts a page: two archive pages (prev-archive and next-archive between them).
    "bundled, two archive pages": _bundled(3),
    "bundled, one archive page": _bundled(4),
    "jekyll-site": _jekyll,
    "bad input": _bad_input,
}


@pytest.fixture(params=sorted(SITES))
def built_site(request, tmp_path: Path, site: Path) -> tuple[str, Path, str]:
    name = request.param
    out, root_url = SITES[name](tmp_path, site)
    return name, out, root_url


def test_every_rss_and_atom_file_passes_the_w3c_validator(built_site):
    _validator()
    name, out, root_url = built_site
    from feedkit.permalinks import encode_url_path

    files = list(feed_files(out))
    assert len(files) >= 4
    if "archive" in name:
        assert any(relative.startswith("archive/") for relative, _ in files)
    found = {}
    for relative, path in files:
        url = root_url + encode_url_path(relative)
        allowed = ALLOWED.get((name, relative), {}) | ALLOWED.get((name, "*"), {})
        events = [event for event in validate(path.read_bytes(), url) if event[1] not in allowed]
        if events:
            found[relative] = events
    assert found == {}


def test_the_allowed_warnings_are_still_needed(site, tmp_path):
    """Each allowance is for a warning the validator still gives: none is left stale."""
    _validator()
    from feedkit.permalinks import encode_url_path

    for index, ((name, relative), allowed) in enumerate(ALLOWED.items()):
        out, root_url = SITES[name](tmp_path / str(index), site)
        given: set[str] = set()
        for path_name, path in feed_files(out):
            if relative in ("*", path_name):
                url = root_url + encode_url_path(path_name)
                given |= {event for _, event, _ in validate(path.read_bytes(), url)}
        assert set(allowed) <= given, (name, relative)


def test_the_validator_sees_what_issue_21_fixed(tmp_path):
    """The oracle itself: a feed written as before issue 21 gets the errors and warnings
    the fixes are for (a validator that passes everything would prove nothing)."""
    _validator()
    before = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:fh="http://purl.org/syndication/history/1.0">
  <id>https://example.com/archive/1.xml</id><title>T</title>
  <updated>2024-01-01T00:00:00+00:00</updated><author><name>A</name></author>
  <link href="https://example.com/archive/1.xml" rel="self"/>
  <fh:archive/>
  <ns0:link xmlns:ns0="http://www.w3.org/2005/Atom" href="https://example.com/atom.xml"
    rel="current"/>
  <entry xml:base="https://example.com/p/">
    <id>https://example.com/p/</id><title>a &lt;b&gt;b&lt;/b&gt;</title>
    <updated>2024-01-01T00:00:00+00:00</updated>
    <link href="https://example.com/p/"/><link href="https://example.com/i.jpg"/>
  </entry>
</feed>
"""
    names = {name for _, name, _ in validate(before.encode(), "https://example.com/archive/1.xml")}
    assert {
        "DuplicateAtomLink",
        "AvoidNamespacePrefix",
        "SameDocumentReference",
        "ContainsUndeclaredHTML",
        "ArchiveIncomplete",
    } <= names


def test_every_json_feed_matches_the_schema_and_has_no_forbidden_character(built_site):
    schema = json.loads((require_schemas() / "jsonfeed-1.1.schema.json").read_text("utf-8"))
    _, out, _ = built_site
    files = sorted(out.rglob("*.json"))
    assert files
    for path in files:
        document = json.loads(path.read_text("utf-8"))
        jsonschema.validate(document, schema)
        assert not any(_ILLEGAL.search(text) for text in _strings(document)), path


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
