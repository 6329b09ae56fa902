"""Bad input: every case is named (code, level, file, line), nothing else is lost, and
every feed written is still valid (issue 7).

The corpus is ``tests/data/bad/`` (one file per case) plus the cases that would be
megabytes, binary or file-system tricks, which are made at test time. :data:`CASES` is the
table of each case with its expected outcome; the file-system cases follow it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest
from click.testing import CliRunner
from lxml import etree

import feedkit._rebuild
import feedkit.collect
import feedkit.pipeline
from feedkit.cli import main
from feedkit.diagnostics import Diagnostics, Level
from feedkit.errors import ConfigError, FeedkitError
from feedkit.pipeline import BuildResult, build
from feedkit.settings import load_settings

CORPUS = Path(__file__).parent / "data" / "bad"
NOW = datetime(2026, 1, 1, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))
ANY_LINE = -1  # the diagnostic has a line, whichever it is
CONFIG = (
    '[site]\nurl = "https://example.com"\ntitle = "Bad input"\ntimezone = "Asia/Seoul"\n'
    "[feeds]\nlimit = 100\n"
)
# What XML 1.0 forbids, and what must not reach a reader through JSON either.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

PUBLISHED = "published"  # as written, or repaired (with a warning saying how)
SKIPPED = "skipped"  # an error names the file; the other posts are published
NOT_A_POST = "not a post"  # left out, reported at info level (shown with -v)


def _big_post(root: Path) -> None:
    paragraph = "A paragraph of a very long post, repeated many times over. " * 4 + "\n\n"
    text = "---\ntitle: Ten megabytes\ndate: 2025-02-01\n---\n" + paragraph * 42_000
    (root / "huge.md").write_text(text, encoding="utf-8")


def _long_line(root: Path) -> None:
    text = "---\ntitle: One long line\ndate: 2025-02-02\n---\n" + "x" * 1_000_000 + "\n"
    (root / "long-line.md").write_text(text, encoding="utf-8")


def _deep_html(root: Path) -> None:
    body = "<div>" * 10_000 + "deep <b>inside</b>" + "</div>" * 10_000
    text = f"---\ntitle: Ten thousand levels\ndate: 2025-02-03\n---\n{body}\n"
    (root / "deep.html").write_text(text, encoding="utf-8")


def _deep_markdown(root: Path) -> None:
    body = ">" * 10_000 + " quoted\n\n" + "[" * 10_000 + "x" + "]" * 10_000 + "\n"
    text = f"---\ntitle: Deep Markdown\ndate: 2025-02-03\n---\n{body}"
    (root / "deep-markdown.md").write_text(text, encoding="utf-8")


def _binary(root: Path) -> None:
    (root / "binary.md").write_bytes(bytes(range(256)) * 64)


@dataclass(frozen=True)
class Case:
    """One bad input and what feedkit must do with it."""

    file: str
    outcome: str
    # (level, code, line) of every diagnostic naming the file; line None: no line.
    diagnostics: tuple[tuple[str, str, int | None], ...] = ()
    title: str | None = None  # the title readers see, when published
    make: Callable[[Path], None] | None = None  # for cases made at test time

    def __str__(self) -> str:
        return self.file


def _warn(code: str, line: int | None = None) -> tuple[str, str, int | None]:
    return ("warning", code, line)


def _error(code: str, line: int | None = None) -> tuple[str, str, int | None]:
    return ("error", code, line)


CASES: tuple[Case, ...] = (
    Case("good.md", PUBLISHED, title="A good post"),
    # Invalid YAML: an error with the line, the post skipped.
    Case("yaml-tab.md", SKIPPED, (_error("front-matter", 5),)),
    Case("yaml-unclosed-quote.md", SKIPPED, (_error("front-matter", 2),)),
    # A repeated key keeps its last value, as Jekyll does (issue 23).
    Case("yaml-duplicate-key.md", PUBLISHED, (_warn("duplicate-key", 4),), "Second"),
    Case("yaml-surrogate-escape.md", SKIPPED, (_error("front-matter", 2),)),
    Case("nul-in-front-matter.md", SKIPPED, (_error("front-matter", 2),)),
    Case("not-a-mapping.md", SKIPPED, (_error("front-matter", 2),)),
    Case("scalar-front-matter.md", SKIPPED, (_error("front-matter", 2),)),
    Case("no-closing.md", SKIPPED, (_error("front-matter", 1),)),
    Case(
        "recovered-title.md", PUBLISHED, (_warn("front-matter-recovered", 2),), "[속보] 푸틴 방북"
    ),
    # Not posts at all.
    Case("empty.md", NOT_A_POST, (("info", "skipped", None),)),
    Case("binary.md", SKIPPED, (_warn("binary"),), make=_binary),
    # Encodings.
    Case("bom.md", PUBLISHED, title="With BOM"),
    Case("crlf.md", PUBLISHED, title="CRLF lines"),
    Case("utf16.md", PUBLISHED, title="UTF-16 제목"),
    Case("utf16be.md", PUBLISHED, title="UTF-16BE 제목"),
    Case("cp949.md", PUBLISHED, (_warn("encoding"),), "똠방각하 경제 뉴스"),
    Case("euc-kr.md", PUBLISHED, (_warn("encoding"),), "서울 날씨 소식"),
    Case("invalid-utf8.md", PUBLISHED, (_warn("encoding"),), "깨진 바이트 제목"),
    # Characters XML forbids, and markup in the title.
    Case("control-chars.md", PUBLISHED, title="Control \x7f characters"),
    # In the fields the feeds take as they are: tags, categories, author, image, language.
    Case(
        "control-chars-everywhere.md",
        PUBLISHED,
        (_warn("image-missing", 7),),
        "Control characters in every field",
    ),
    # A title's markup is what its page shows as HTML: the feeds carry the text (issue 21).
    Case("hostile-title.md", PUBLISHED, title="]]> & co"),
    Case("title-generics.md", PUBLISHED, title="List<String>과 Map<K, V> 정리: a < b"),
    # U+FFFE and U+FFFF in fields the feeds take as they are (tags), and references.
    Case("noncharacters.md", PUBLISHED, title="Noncharacters  here"),
    # Dates.
    Case("date-zero.md", SKIPPED, (_error("front-matter", 3),)),
    Case("date-year-10000.md", PUBLISHED, (_warn("date-invalid"),), "Year ten thousand"),
    # Permalinks.
    Case("permalink-dotdot.md", PUBLISHED, (_warn("permalink"),), "Dot dot"),
    Case("same-permalink-1.md", PUBLISHED, title="Same permalink one"),
    Case("same-permalink-2.md", SKIPPED, (_error("duplicate-url"),)),
    # Front matter fields of the wrong type.
    Case("type-title-list.md", PUBLISHED, (_warn("field-type"),), "Breaking 2025"),
    Case("type-title-mapping.md", SKIPPED, (_error("field-type"),)),
    Case("type-categories-number.md", PUBLISHED, title="Categories number"),
    Case("type-tags-mapping.md", PUBLISHED, (_warn("field-type"),), "Tags mapping"),
    Case("type-date-list.md", PUBLISHED, (_warn("date-invalid"),), "Date list"),
    Case("type-image-number.md", PUBLISHED, (_warn("field-type"),), "Image number"),
    Case("type-author-list.md", PUBLISHED, (_warn("field-type"),), "Author list"),
    # No file can be named with a NUL: the image points at nothing (issue 22).
    Case("image-nul.md", PUBLISHED, (_warn("image-missing", 4),), "Image with a NUL"),
    # Size and depth.
    Case("huge.md", PUBLISHED, (_warn("body-too-long", ANY_LINE),), "Ten megabytes", _big_post),
    Case("long-line.md", PUBLISHED, title="One long line", make=_long_line),
    Case("deep.html", PUBLISHED, title="Ten thousand levels", make=_deep_html),
    Case("deep-markdown.md", PUBLISHED, title="Deep Markdown", make=_deep_markdown),
)


def _make_site(root: Path, cases: tuple[Case, ...]) -> Path:
    content = root / "content"
    content.mkdir(parents=True)
    (root / "feedkit.toml").write_text(CONFIG, encoding="utf-8")
    for case in cases:
        if case.make is not None:
            case.make(content)
        else:
            shutil.copyfile(CORPUS / case.file, content / case.file)
    return root


def _build(root: Path, **options: Any) -> tuple[BuildResult, Diagnostics]:
    diagnostics = Diagnostics()
    result = build(
        load_settings(root / "feedkit.toml"), now=NOW, diagnostics=diagnostics, **options
    )
    return result, diagnostics


def _walk_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.items() for part in item for s in _walk_strings(part)]
    if isinstance(value, list):
        return [s for item in value for s in _walk_strings(item)]
    return []


def assert_feeds_valid(out: Path) -> dict[str, Any]:
    """Check every file under ``out`` as a reader would; return the site's JSON Feed.

    XML: lxml with libxml2's default limits (no huge_tree) and feedparser with bozo 0.
    JSON: json.loads. No character XML forbids anywhere, not even escaped in JSON.
    """
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert files, "nothing was written"
    entries: dict[str, int] = {}
    for path in files:
        data = path.read_bytes()
        assert path.resolve().is_relative_to(out.resolve())
        if path.suffix == ".xml":
            etree.fromstring(data, etree.XMLParser(resolve_entities=False))
            parsed = feedparser.parse(data)
            assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
            entries[str(path.relative_to(out))] = len(parsed.entries)
            assert not _CONTROL.search(data.decode("utf-8")), path
        elif path.suffix == ".json":
            document = json.loads(data)
            assert not any(_CONTROL.search(s) for s in _walk_strings(document)), path
        elif not path.name.startswith("."):
            assert b"\x00" not in data, path
    site_feed: dict[str, Any] = json.loads((out / "feed.json").read_bytes())
    assert entries["rss.xml"] == entries["atom.xml"] == len(site_feed["items"])
    return site_feed


def _located(diagnostics: Diagnostics, file: str) -> set[tuple[str, str, int | None]]:
    return {(d.level.value, d.code, d.line) for d in diagnostics if d.path == file}


def _assert_case(case: Case, diagnostics: Diagnostics, site_feed: dict[str, Any]) -> None:
    got = _located(diagnostics, case.file)
    expected = set(case.diagnostics)
    if any(line == ANY_LINE for _, _, line in expected):
        got = {(level, code, ANY_LINE if line else line) for level, code, line in got}
    assert got == expected, case.file
    titles = [item["title"] for item in site_feed["items"]]
    if case.outcome == PUBLISHED:
        assert case.title in titles, case.file
    else:
        assert case.title is None
    for level, _code, _line in case.diagnostics:
        # Every message says what was done with the file.
        message = next(d.message for d in diagnostics if d.path == case.file)
        assert message, case.file
        if level == "error":
            assert "skipped" in message or "same permalink" in message


def _has_error(case: Case) -> bool:
    return any(level == "error" for level, _, _ in case.diagnostics)


def test_every_corpus_file_is_in_the_table():
    on_disk = {p.name for p in CORPUS.iterdir() if p.name != ".gitattributes"}
    committed = {case.file for case in CASES if case.make is None}
    assert on_disk == committed
    assert len({case.file for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [c for c in CASES if c.file != "good.md"], ids=str)
def test_one_bad_post_does_not_take_down_the_feeds(tmp_path, case):
    cases = (CASES[0], case)
    if case.file == "same-permalink-2.md":
        cases = (*cases, next(c for c in CASES if c.file == "same-permalink-1.md"))
    root = _make_site(tmp_path, cases)
    started = time.perf_counter()
    result, diagnostics = _build(root)
    assert time.perf_counter() - started < 10
    site_feed = assert_feeds_valid(root / "public")
    _assert_case(case, diagnostics, site_feed)
    _assert_case(CASES[0], diagnostics, site_feed)
    # Skipped for an error counts (and makes the CLI exit 1); a binary file is a warning.
    assert result.posts_skipped == _has_error(case)
    if case.outcome == SKIPPED:
        (problem,) = [d for d in diagnostics.at_least(Level.WARNING) if d.path == case.file]
        assert str(problem).startswith(case.file)


def test_the_whole_corpus_in_one_build(tmp_path):
    root = _make_site(tmp_path, CASES)
    started = time.perf_counter()
    result, diagnostics = _build(root)
    seconds = time.perf_counter() - started
    site_feed = assert_feeds_valid(root / "public")
    for case in CASES:
        _assert_case(case, diagnostics, site_feed)
    published = [case for case in CASES if case.outcome == PUBLISHED]
    assert result.posts_published == len(published)
    assert result.posts_skipped == sum(_has_error(case) for case in CASES)
    assert seconds < 15, f"the corpus took {seconds:.1f} s"


def test_repairs_are_visible_in_the_feed(tmp_path):
    names = ("control-chars.md", "hostile-title.md", "invalid-utf8.md", "cp949.md", "huge.md")
    root = _make_site(tmp_path, tuple(c for c in CASES if c.file in names))
    _build(root)
    items = {item["title"]: item for item in assert_feeds_valid(root / "public")["items"]}
    # NUL and other controls are dropped from the body, not turned into U+FFFD.
    assert items["Control \x7f characters"]["content_html"] == "<p>Body with  controls.</p>\n"
    assert "\ufffd" in items["깨진 바이트 제목"]["content_html"]  # the bad bytes, marked
    assert "주식 시장이" in items["똠방각하 경제 뉴스"]["content_html"]
    huge = items["Ten megabytes"]["content_html"]
    assert 1_000_000 < len(huge) < 2_000_000
    # The title is plain text: its markup gives the text a browser shows, no script.
    atom = feedparser.parse((root / "public" / "atom.xml").read_bytes())
    hostile = "]]> & co"
    assert hostile in [entry.title for entry in atom.entries]
    assert "alert(2)" not in items[hostile]["content_html"]


def test_a_cached_legacy_encoded_post_is_read_again(tmp_path):
    """A second run takes the front matter from the parse cache and reads only the body:
    it must decode the file the same way, and say so again."""
    root = _make_site(tmp_path, tuple(c for c in CASES if c.file in ("good.md", "cp949.md")))
    _build(root)
    (root / "public" / "feed.json").unlink()  # forces the feeds to be written again
    result, _ = _build(root)
    assert result.posts_parsed == 0
    items = assert_feeds_valid(root / "public")["items"]
    assert (
        "주식 시장이"
        in next(i for i in items if i["title"] == "똠방각하 경제 뉴스")["content_html"]
    )


def test_configured_encoding_wins_over_detection(tmp_path):
    root = _make_site(tmp_path, tuple(c for c in CASES if c.file in ("good.md", "euc-kr.md")))
    with (root / "feedkit.toml").open("a", encoding="utf-8") as config:
        config.write('[content]\nencoding = "euc-kr"\n')
    _, diagnostics = _build(root)
    assert _located(diagnostics, "euc-kr.md") == set()
    titles = [item["title"] for item in assert_feeds_valid(root / "public")["items"]]
    assert "서울 날씨 소식" in titles


# --- the file system -----------------------------------------------------------------


def _good_site(tmp_path: Path) -> Path:
    return _make_site(tmp_path, (CASES[0],))


def _titles(root: Path) -> list[str]:
    return [item["title"] for item in assert_feeds_valid(root / "public")["items"]]


def test_symlink_loop_is_reported_once_and_skipped(tmp_path):
    root = _good_site(tmp_path)
    loop = root / "content" / "loop"
    loop.mkdir()
    (loop / "back").symlink_to(root / "content", target_is_directory=True)
    (loop / "self").symlink_to(loop / "self")  # a link to itself: ELOOP on stat
    (loop / "self.md").symlink_to(loop / "self.md")
    result, diagnostics = _build(root)
    assert _located(diagnostics, "loop/back") == {("warning", "symlink-loop", None)}
    assert _located(diagnostics, "loop/self") == {("warning", "symlink-loop", None)}
    assert _located(diagnostics, "loop/self.md") == {("warning", "symlink-loop", None)}
    assert result.posts_published == 1 and _titles(root) == ["A good post"]
    assert not diagnostics.at_least(Level.ERROR)


def test_symlink_outside_the_content_folder_is_not_followed(tmp_path):
    root = _good_site(tmp_path)
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\ndate: 2025-01-01\n---\nNot for the feed.\n")
    (root / "content" / "secret.md").symlink_to(secret)
    (tmp_path / "elsewhere").mkdir()
    (root / "content" / "elsewhere").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    _, diagnostics = _build(root)
    assert _located(diagnostics, "secret.md") == {("warning", "symlink-outside", None)}
    assert _located(diagnostics, "elsewhere") == {("warning", "symlink-outside", None)}
    assert _titles(root) == ["A good post"]


def test_unreadable_file_is_reported_and_skipped(tmp_path, monkeypatch):
    # Tests (and CI) may run as root, for whom permissions do not apply: inject the error.
    root = _good_site(tmp_path)
    shutil.copyfile(CORPUS / "bom.md", root / "content" / "locked.md")

    def opened(path: str, *args: Any) -> Any:
        if os.path.basename(path) == "locked.md":
            raise PermissionError(13, "Permission denied", path)
        return open(path, *args)

    monkeypatch.setattr(feedkit.collect, "open", opened, raising=False)
    result, diagnostics = _build(root)
    assert _located(diagnostics, "locked.md") == {("error", "unreadable", None)}
    (problem,) = [d for d in diagnostics if d.path == "locked.md"]
    assert "Permission denied" in problem.message and "skipped" in problem.message
    assert result.posts_skipped == 1 and _titles(root) == ["A good post"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_by_its_mode(tmp_path):
    root = _good_site(tmp_path)
    locked = root / "content" / "locked.md"
    shutil.copyfile(CORPUS / "bom.md", locked)
    locked.chmod(0)
    try:
        _, diagnostics = _build(root)
    finally:
        locked.chmod(0o644)
    assert _located(diagnostics, "locked.md") == {("error", "unreadable", None)}
    assert _titles(root) == ["A good post"]


def test_file_deleted_while_the_build_runs(tmp_path, monkeypatch):
    root = _good_site(tmp_path)
    doomed = root / "content" / "doomed.md"
    shutil.copyfile(CORPUS / "crlf.md", doomed)
    real_scan = feedkit._rebuild.scan_content

    def discover_then_delete(*args: Any, **kwargs: Any) -> Any:
        found = real_scan(*args, **kwargs)
        doomed.unlink()  # between the walk and the read
        return found

    monkeypatch.setattr(feedkit._rebuild, "scan_content", discover_then_delete)
    result, diagnostics = _build(root)
    assert _located(diagnostics, "doomed.md") == {("warning", "vanished", None)}
    assert result.posts_published == 1 and _titles(root) == ["A good post"]


def test_file_deleted_before_its_body_is_read(tmp_path, monkeypatch):
    """The second run takes the post from the parse cache; the file is gone by the time
    its body is needed, after the walk found it."""
    root = _make_site(tmp_path, tuple(c for c in CASES if c.file in ("good.md", "crlf.md")))
    for path in (root / "content").iterdir():  # old enough for the cache to vouch for
        os.utime(path, (1_700_000_000, 1_700_000_000))
    _build(root)
    (root / "public" / "feed.json").unlink()
    real_load_body = feedkit.collect.load_body
    calls: list[str] = []

    def load_body(source: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(source.path)
        Path(source.abspath).unlink(missing_ok=True)
        return real_load_body(source, *args, **kwargs)

    monkeypatch.setattr(feedkit.collect, "load_body", load_body)
    _, diagnostics = _build(root)
    assert "crlf.md" in calls
    assert ("warning", "changed-during-build", None) in _located(diagnostics, "crlf.md")
    assert_feeds_valid(root / "public")


# --- configuration and --strict ------------------------------------------------------


def test_config_of_the_wrong_types_names_every_key(tmp_path, monkeypatch):
    root = _good_site(tmp_path)
    (root / "feedkit.toml").write_text('[site]\nurl = 5\n[feeds]\nlimit = "x"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(root / "feedkit.toml")
    assert "site.url" in str(caught.value) and "feeds.limit" in str(caught.value)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["build", "--now", NOW.isoformat()])
    assert result.exit_code == 2
    assert "site.url" in result.stderr and "feeds.limit" in result.stderr
    assert "'x'" in result.stderr
    assert not (root / "public").exists()


@pytest.mark.parametrize("url", ["ftp://example.com", "example.com", "javascript:alert(1)", "/"])
def test_site_url_must_be_http(tmp_path, url):
    root = _good_site(tmp_path)
    (root / "feedkit.toml").write_text(f'[site]\nurl = "{url}"\n')
    with pytest.raises(ConfigError, match=r"site\.url"):
        load_settings(root / "feedkit.toml")


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_strict_turns_a_warning_into_a_failure_and_writes_nothing(tmp_path):
    root = _make_site(tmp_path, tuple(c for c in CASES if c.file in ("good.md", "bom.md")))
    _build(root)
    before = _snapshot(root / "public")
    shutil.copyfile(CORPUS / "recovered-title.md", root / "content" / "recovered-title.md")
    (root / "content" / "bom.md").write_text("---\ntitle: Edited\ndate: 2025-01-09\n---\nNew.\n")
    with pytest.raises(FeedkitError, match="--strict"):
        _build(root, strict=True)
    assert _snapshot(root / "public") == before
    # Without --strict the same content is published, with the warning.
    _, diagnostics = _build(root)
    assert "front-matter-recovered" in diagnostics.codes()
    assert "[속보] 푸틴 방북" in _titles(root)


def test_strict_on_a_fresh_output_folder_creates_nothing(tmp_path):
    root = _make_site(tmp_path, tuple(c for c in CASES if c.file in ("good.md", "cp949.md")))
    with pytest.raises(FeedkitError):
        _build(root, strict=True)
    assert not (root / "public").exists()


def test_strict_sees_warnings_of_cached_posts(tmp_path):
    root = _make_site(tmp_path, tuple(c for c in CASES if c.file in ("good.md",)))
    shutil.copyfile(CORPUS / "recovered-title.md", root / "content" / "recovered-title.md")
    _build(root)
    with pytest.raises(FeedkitError, match="--strict"):
        _build(root, strict=True)
