"""Split YAML front matter from a source text and load it, strictly but forgivingly.

Strict: tabs used as indentation, non-mapping front matter and any YAML error are
reported with the 1-based line number in the file. A key repeated in a mapping keeps its
last value, as Jekyll (Ruby's YAML) does, and is reported as a ``Recovery``.

Forgiving: Korean news titles often start with a bracketed tag (``title: [속보] 푸틴
방북``), which YAML reads as a flow sequence followed by junk, so Jekyll and Hugo reject
the whole file. When loading fails, a top-level ``key: value`` line whose unquoted value
starts with one of ``[ { * & ! % @`` or a backtick, or contains ``": "``, and which
fails to load on its own, is re-read as a plain string. Each such line is reported as a
``Recovery``.
Values that are valid YAML (``categories: [a, b]``) are never touched, and neither are
values that start with a quote: a broken quoted scalar is reported, not guessed at.

Hugo sites also write front matter in TOML (between ``+++`` lines) and JSON (an object
whose first and last lines are ``{`` and ``}``). Each format is a python-frontmatter
handler (``detect``, ``split``, ``load``), and :func:`parse_front_matter` picks one with
python-frontmatter's ``detect_format``; the YAML handler is ours, a subclass of its
``YAMLHandler`` keeping Jekyll's delimiters and the strict loader above. TOML and JSON
errors name the file line too.

The module is pure: it takes text and returns data.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import yaml
from frontmatter import detect_format
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "HAS_LIBYAML",
    "HUGO_FORMATS",
    "YAML_ONLY",
    "FrontMatter",
    "FrontMatterError",
    "Recovery",
    "has_front_matter",
    "parse_front_matter",
]

#: True when PyYAML was built with libyaml. Without it, loading falls back to the much
#: slower pure-Python parser (same results, slightly different error wording); the app
#: should warn.
HAS_LIBYAML: bool = hasattr(yaml, "CSafeLoader")

_BaseLoader: Any = yaml.CSafeLoader if HAS_LIBYAML else yaml.SafeLoader

_BOM = "\ufeff"
_OPEN = "---"
_CLOSE = ("---", "...")
# Jekyll matches delimiters with \s*, which is ASCII whitespace in Ruby.
_LINE_SPACE = " \t\r\f\v"
# Front matter starts on file line 2: YAML line 0 is file line 2.
_FIRST_LINE = 2
# YAML ends a line at these too (a CR alone, NEL, LS, PS), where a file's lines, as its
# author's editor and our messages count them, end only at "\n".
_OTHER_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")
_YAML_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

# The characters that cannot start a YAML plain scalar and that people type at the start
# of a title anyway.
_RECOVERABLE_STARTS = "[{*&!%@`"
# A top-level "key: value" line whose key is a plain scalar. The key ends at the first
# ": " as YAML's own scanner decides.
_TOP_LEVEL_PAIR = re.compile(
    r"(?P<key>[^\s#'\"?:,\[\]{}&*!|>%@`-][^\t]*?)[ \t]*:[ \t]+(?P<value>\S.*?)[ \t\r]*\Z"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
# A comment starts at " #" in a plain scalar; kept out of the recovered value as YAML
# would keep it out of a valid plain scalar.
_COMMENT = re.compile(r"[ \t]+#.*\Z")


@dataclass(frozen=True)
class Recovery:
    """One front-matter line that YAML rejected and that was re-read as a plain string."""

    line: int
    key: str
    message: str
    code: str = "front-matter-recovered"  # the diagnostic code to report it under


@dataclass(frozen=True)
class FrontMatter:
    """Front matter split from its body.

    ``metadata`` is a fresh dict (empty for ``---`` followed directly by ``---``).
    ``body`` is the text after the closing delimiter line, unchanged (line ends
    included). ``body_line`` is the 1-based file line where the body starts.
    ``recoveries`` lists the lines re-read as strings, in file order.
    """

    metadata: dict[str, object]
    body: str
    body_line: int
    recoveries: tuple[Recovery, ...]


class FrontMatterError(ValueError):
    """The front matter could not be read; ``line`` is the 1-based file line, if known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _StrictLoader(_BaseLoader):  # type: ignore[misc]
    """libyaml's safe loader, noting duplicate keys and reporting bad values by line.

    The constructor is Python even with libyaml, so overriding it costs little.
    ``source`` is the YAML text, for the file lines of messages (:func:`_file_line`).
    """

    source = ""
    duplicates: list[Recovery]

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            self._check_duplicates(node)
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result

    def _check_duplicates(self, node: MappingNode) -> None:
        # Keyed by type too: 1, 1.0 and true are equal in Python but distinct in YAML.
        seen: dict[tuple[type, Any], int] = {}  # the YAML line of each key
        for key_node, _ in node.value:
            tag = key_node.tag
            if tag == "tag:yaml.org,2002:merge":
                # "<<" merges are meant to be overridden by explicit keys.
                continue
            if tag == "tag:yaml.org,2002:str" and isinstance(key_node, ScalarNode):
                key = key_node.value  # what constructing it would give, at no cost
            else:
                key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get((type(key), key))
            except TypeError:
                continue  # unhashable; SafeConstructor reports it
            if first is not None:
                # The constructor assigns in order, so the last value stays, as in
                # Ruby's YAML (Jekyll publishes such a post with the last value).
                first_line = _file_line(self.source, first)
                self.duplicates.append(
                    Recovery(
                        _file_line(self.source, key_node.start_mark.line),
                        str(key),
                        f"duplicate key {key!r} (first defined on line {first_line}); "
                        "the last value is used, as Jekyll does",
                        code="duplicate-key",
                    )
                )
            seen[(type(key), key)] = key_node.start_mark.line

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            # e.g. "date: 2024-13-45" or a 5000-digit int: SafeConstructor lets the
            # Python error through without a position.
            raise ConstructorError(
                None, None, f"cannot read this value: {exc}", node.start_mark
            ) from exc


#: The front-matter formats of a Jekyll site (and of a plain folder of posts).
YAML_ONLY: tuple[str, ...] = ("yaml",)
#: The formats Hugo reads: YAML, TOML and JSON.
HUGO_FORMATS: tuple[str, ...] = ("yaml", "toml", "json")


class StrictYAMLHandler(YAMLHandler):
    """YAML front matter as Jekyll delimits it, loaded by the strict loader above.

    python-frontmatter's own ``YAMLHandler`` takes any run of three or more dashes as a
    delimiter (``----``) and no ``...`` close, and its ``\\s*$`` swallows a blank line
    after a delimiter, which would shift every line number we report; Jekyll's rules
    (``Document::YAML_FRONT_MATTER_REGEXP``) are kept here.
    """

    FM_BOUNDARY = re.compile(r"^(?:---|\.\.\.)[ \t\r\f\v]*$", re.MULTILINE)

    def detect(self, text: str) -> bool:
        """As Jekyll's ``Utils.has_yaml_header?``: a ``---`` line, then a line break."""
        first, newline, _ = text.partition("\n")
        return bool(newline) and first.rstrip(_LINE_SPACE) == _OPEN

    def split(self, text: str) -> tuple[str, str]:
        """Return the YAML text and the body; raise FrontMatterError without a close."""
        yaml_lines, body, _ = self._split_lines(text)
        return "\n".join(yaml_lines), body

    def load(self, fm: str, **kwargs: object) -> dict[str, object]:
        """Load YAML front matter strictly, re-reading recoverable lines as strings."""
        return _load_with_recovery(fm.split("\n"))[0]

    def read(self, text: str) -> FrontMatter:
        """Split and load ``text`` (which :meth:`detect` accepted)."""
        yaml_lines, body, body_line = self._split_lines(text)
        for index, line in enumerate(yaml_lines):
            if _SURROGATE.search(line):
                # libyaml cannot even encode these; the file was not valid UTF-8.
                raise FrontMatterError(
                    "invalid character: an unpaired surrogate (the file is not valid UTF-8)",
                    line=index + _FIRST_LINE,
                )
        metadata, recoveries = _load_with_recovery(yaml_lines)
        return FrontMatter(metadata, body, body_line, recoveries)

    @staticmethod
    def _split_lines(text: str) -> tuple[list[str], str, int]:
        lines = text.split("\n")
        close = next(
            (i for i in range(1, len(lines)) if lines[i].rstrip(_LINE_SPACE) in _CLOSE), None
        )
        if close is None:
            raise FrontMatterError("no closing '---'", line=1)
        return lines[1:close], "\n".join(lines[close + 1 :]), close + 2


class _DelimitedHandler(BaseHandler):
    """A handler whose front matter sits between two delimiter lines, read in one go by
    :meth:`read` with the file line of any error."""

    FORMAT = ""

    def read(self, text: str) -> FrontMatter:
        """Split and load ``text`` (which :meth:`detect` accepted)."""
        try:
            front, content = self.split(text)
        except ValueError:  # python-frontmatter's split unpacks three parts
            raise FrontMatterError(f"no closing {self.END_DELIMITER!r}", line=1) from None
        # ``front`` holds the rest of the opening line, every line up to the closing
        # delimiter, and a line break: its line N is the file's line N.
        body_line = front.count("\n") + 2
        body = content[1:] if content.startswith("\n") else content
        return FrontMatter(self.load(front), body, body_line, ())


class TOMLHandler(_DelimitedHandler):
    """TOML front matter between ``+++`` lines, as Hugo writes it.

    python-frontmatter's ``TOMLHandler`` (1.1 as 1.3) exists only when the ``toml``
    package is installed, which feedkit does not require: a TOML 0.5 parser whose last
    release was in 2020, while Hugo reads TOML 1.0. The standard library's ``tomllib``
    (TOML 1.0, Python 3.11) loads it here, so no extra package is needed.
    """

    FORMAT = "TOML"
    FM_BOUNDARY = re.compile(r"^\+\+\+[ \t]*\r?$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> dict[str, object]:
        """Load TOML; raise FrontMatterError with the file line of a syntax error."""
        try:
            return tomllib.loads(fm)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            # Python 3.11's error has no line attribute, only the text "(at line N, ...)".
            match = re.search(r"\(at line (\d+), column \d+\)$", message)
            line = int(match.group(1)) if match else None
            problem = message[: match.start()].strip() if match else message
            raise FrontMatterError(f"not valid TOML: {problem}", line=line) from None


class StrictJSONHandler(_DelimitedHandler, JSONHandler):
    """JSON front matter, an object whose first line is ``{`` and last line ``}``.

    python-frontmatter's ``JSONHandler`` splits and loads it; its boundary is widened to
    the trailing spaces and carriage returns that its ``^(?:{|})$`` misses in a file
    saved with CRLF line ends.
    """

    FORMAT = "JSON"
    FM_BOUNDARY = re.compile(r"^[{}][ \t]*\r?$", re.MULTILINE)

    def split(self, text: str) -> tuple[str, str]:
        """Return ``{`` + the object's lines + ``}``, and the body."""
        _, front, content = self.FM_BOUNDARY.split(text, 2)
        return "{" + front + "}", content

    def load(self, fm: str, **kwargs: object) -> dict[str, object]:
        """Load the object; raise FrontMatterError with the file line of an error."""
        try:
            data = json.loads(fm)
        except json.JSONDecodeError as exc:
            raise FrontMatterError(f"not valid JSON: {exc.msg}", line=exc.lineno) from None
        except RecursionError:
            raise FrontMatterError("front matter is nested too deeply", line=None) from None
        if not isinstance(data, dict):  # pragma: no cover - the text starts with "{"
            raise FrontMatterError("front matter must be a JSON object", line=1)
        return data


_HANDLERS: dict[str, BaseHandler] = {
    "yaml": StrictYAMLHandler(),
    "toml": TOMLHandler(),
    "json": StrictJSONHandler(),
}


def _handlers(formats: Sequence[str]) -> list[BaseHandler]:
    return [_HANDLERS[name] for name in formats]


def has_front_matter(text: str, *, formats: Sequence[str] = YAML_ONLY) -> bool:
    """Return whether *text* starts with front matter in one of ``formats`` (after an
    optional BOM).

    YAML, as Jekyll's ``Utils.has_yaml_header?``: a ``---`` line, which may be followed
    by whitespace and must end with a line break. TOML: a ``+++`` line. JSON: a ``{``
    line.
    """
    text = _skip_blank_lines(text.removeprefix(_BOM), formats)[0]
    return detect_format(text, _handlers(formats)) is not None


# Lines holding only whitespace, at the start of a file.
_BLANK_LINES = re.compile(r"(?:[ \t\r]*\n)+")


def _skip_blank_lines(text: str, formats: Sequence[str]) -> tuple[str, int]:
    """``text`` without the blank lines before its front matter, and how many there
    were: Hugo's parser skips them (a post opening with an empty line keeps its front
    matter, and its ``draft: true``); Jekyll's does not."""
    if formats == YAML_ONLY:
        return text, 0
    match = _BLANK_LINES.match(text)
    if match is None:
        return text, 0
    return text[match.end() :], match.group(0).count("\n")


def parse_front_matter(text: str, *, formats: Sequence[str] = YAML_ONLY) -> FrontMatter:
    """Split *text* into front matter and body and load the front matter.

    *text* must start with front matter in one of ``formats`` (a UTF-8 BOM is skipped;
    CRLF is fine). YAML starts with a ``---`` line and ends at the next line that is
    ``---`` or ``...`` with optional trailing whitespace; TOML is between ``+++`` lines;
    JSON is an object from a ``{`` line to a ``}`` line. Lines are counted by ``\\n``.

    Returns a ``FrontMatter`` whose ``metadata`` is the loaded mapping with string keys.
    Raises ``FrontMatterError`` (with the 1-based file line) when there is no opening or
    closing delimiter, the front matter is invalid (YAML: and not recoverable, see the
    module docstring), a YAML key is repeated in a mapping, tabs are used for YAML
    indentation, YAML front matter is not a mapping, or a top-level key is not a string.
    """
    text, skipped = _skip_blank_lines(text.removeprefix(_BOM), formats)
    handler = detect_format(text, _handlers(formats))
    if handler is None:
        if formats == YAML_ONLY:
            raise FrontMatterError("no front matter: the first line is not '---'", line=1)
        raise FrontMatterError("no front matter: the first line is not '---', '+++' or '{'", line=1)
    assert isinstance(handler, (StrictYAMLHandler, _DelimitedHandler))
    if not skipped:
        return handler.read(text)
    try:
        front = handler.read(text)
    except FrontMatterError as exc:
        line = None if exc.line is None else exc.line + skipped
        raise FrontMatterError(exc.message, line=line) from None
    return FrontMatter(
        front.metadata,
        front.body,
        front.body_line + skipped,
        tuple(replace(r, line=r.line + skipped) for r in front.recoveries),
    )


def _load_with_recovery(
    yaml_lines: list[str],
) -> tuple[dict[str, object], tuple[Recovery, ...]]:
    lines = list(yaml_lines)
    recoveries: list[Recovery] = []
    recovered: set[int] = set()
    # Each round fixes one more line, so this bounds the work.
    for _ in range(len(lines) + 1):
        source = "\n".join(lines)
        try:
            metadata, duplicates = _load_mapping(source)
            return metadata, tuple(sorted((*recoveries, *duplicates), key=lambda r: r.line))
        except yaml.MarkedYAMLError as exc:
            index = _recoverable_line(lines, exc, recovered)
            if index is None:
                raise _error_from_yaml(exc, lines) from None
            recovery, lines[index] = _recover(lines[index], index)
            recovered.add(index)
            recoveries.append(recovery)
        except yaml.YAMLError as exc:
            raise _error_from_yaml(exc, lines) from None
        except RecursionError:
            raise FrontMatterError("front matter is nested too deeply", line=None) from None
    raise AssertionError("unreachable: every round recovers a new line or raises")


def _load_mapping(source: str) -> tuple[dict[str, object], list[Recovery]]:
    loader = _StrictLoader(source)
    loader.source = source
    loader.duplicates = []
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, []
        if not isinstance(node, MappingNode):
            kind = "a list" if isinstance(node, SequenceNode) else "a single value"
            raise FrontMatterError(
                f"front matter must be a mapping of keys to values, not {kind}",
                line=_file_line(source, node.start_mark.line),
            )
        _check_top_level_keys(node, source)
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return dict(data), loader.duplicates


def _check_top_level_keys(node: MappingNode, source: str) -> None:
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        if not (isinstance(key_node, ScalarNode) and key_node.tag == "tag:yaml.org,2002:str"):
            raise FrontMatterError(
                f"front matter key {_node_text(key_node)!r} is not a string; quote it",
                line=_file_line(source, key_node.start_mark.line),
            )


def _node_text(node: Node) -> str:
    if isinstance(node, ScalarNode):
        return str(node.value)
    return "<a list>" if isinstance(node, SequenceNode) else "<a mapping>"


def _recoverable_line(
    lines: list[str], exc: yaml.MarkedYAMLError, recovered: set[int]
) -> int | None:
    """Return the index of the line to re-read as a string, or None to give up.

    That is the last candidate line at or before the error: YAML reports the first
    problem in stream order, so a line that fails on its own and precedes the error is
    the cause. Lines that are valid on their own are left alone.
    """
    if exc.problem_mark is None:
        return None
    error_line = _line_index("\n".join(lines), exc.problem_mark.line)
    for index in range(min(error_line, len(lines) - 1), -1, -1):
        if index in recovered or _recoverable_value(lines[index]) is None:
            continue
        if _loads_alone(lines[index]):
            continue
        return index
    return None


def _recoverable_value(line: str) -> str | None:
    match = _TOP_LEVEL_PAIR.match(line)
    if match is None:
        return None
    value = _COMMENT.sub("", match.group("value"))
    if value[:1] in "'\"":
        # The author tried to quote it; a broken quote is reported, never guessed at.
        return None
    if value[:1] in _RECOVERABLE_STARTS or ": " in value:
        return value
    return None


def _loads_alone(line: str) -> bool:
    try:
        _load_mapping(line)
    except (yaml.YAMLError, FrontMatterError, RecursionError):
        return False
    return True


def _recover(line: str, index: int) -> tuple[Recovery, str]:
    match = _TOP_LEVEL_PAIR.match(line)
    value = _recoverable_value(line)
    assert match is not None and value is not None  # checked by _recoverable_line
    key = match.group("key").rstrip(" \t")
    if value[:1] in _RECOVERABLE_STARTS:
        reason = f"value starting with {value[0]!r}"
    else:
        reason = "value containing ': '"
    recovery = Recovery(
        line=index + _FIRST_LINE,
        key=key,
        message=f"{key}: {reason} read as a plain string",
    )
    return recovery, f"{key}: {_double_quoted(value)}"


def _double_quoted(value: str) -> str:
    """Return *value* as a YAML double-quoted scalar on one line."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif code < 0x20 or 0x7F <= code <= 0x9F or char in "\u2028\u2029\ufeff":
            # Raw, these are line breaks or unprintable to YAML.
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _error_from_yaml(exc: yaml.YAMLError, lines: list[str]) -> FrontMatterError:
    if isinstance(exc, yaml.reader.ReaderError):
        return _error_from_reader(exc, lines)
    if not isinstance(exc, yaml.MarkedYAMLError):
        return FrontMatterError(str(exc))
    problem = exc.problem or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    if exc.context_mark is not None and "end of stream" in problem:
        # "found unexpected end of stream" points past the end; where the unclosed
        # thing started is what the author needs.
        mark = exc.context_mark
    if mark is None:
        return FrontMatterError(problem)
    source = "\n".join(lines)
    index = _line_index(source, mark.line)
    line = index + _FIRST_LINE
    if index < len(lines) and ("tab" in problem or lines[index].lstrip(" ").startswith("\t")):
        return FrontMatterError(
            "tab character used for indentation; YAML allows only spaces", line=line
        )
    if not exc.context:
        return FrontMatterError(problem, line=line)
    context_line = None if exc.context_mark is None else _file_line(source, exc.context_mark.line)
    if context_line is None or context_line == line:
        return FrontMatterError(f"{exc.context}: {problem}", line=line)
    return FrontMatterError(f"{exc.context} (line {context_line}): {problem}", line=line)


def _line_index(source: str, yaml_line: int) -> int:
    """Return the index, in ``source.split("\n")``, of the line where YAML's line
    ``yaml_line`` (from 0) starts: YAML counts more line breaks than "\n"."""
    if yaml_line <= 0 or not _OTHER_BREAKS.search(source):
        return max(yaml_line, 0)  # the usual case: the same lines
    for number, match in enumerate(_YAML_BREAKS.finditer(source), 1):
        if number == yaml_line:
            return source.count("\n", 0, match.end())
    return source.count("\n")


def _file_line(source: str, yaml_line: int) -> int:
    """Return the 1-based file line of YAML's line ``yaml_line`` of the front matter."""
    return _line_index(source, yaml_line) + _FIRST_LINE


def _error_from_reader(exc: yaml.reader.ReaderError, lines: list[str]) -> FrontMatterError:
    line = "\n".join(lines)[: exc.position].count("\n") + _FIRST_LINE
    character = exc.character
    # libyaml gives the code point as an int, the pure-Python reader as a str.
    code = ord(character) if isinstance(character, str) else int(character)
    return FrontMatterError(f"unacceptable character #x{code:04x}: {exc.reason}", line=line)
