"""Markdown to HTML, with emphasis next to CJK text as Jekyll's kramdown reads it.

Two markdown-it renderers with the same rules (CommonMark, raw HTML kept, pipe tables,
``~~strikethrough~~``):

- markdown-it.rs (through markdown-it-pyrs), for every text first: the fast path;
- markdown-it-py with a CJK-friendly delimiter rule, for the texts where markdown-it.rs
  left a ``*`` or ``~~`` run as literal text and the source has such a run touching a
  CJK character (and for the rare texts markdown-it.rs cannot take).

CommonMark's flanking rules (spec 6.2) let ``**`` close only when it is not preceded by
punctuation, or is followed by whitespace or punctuation; a Korean particle written right
after the closing delimiter (``**문서 주석(Documentation Comments)**을``) is a letter, so
the asterisks stay literal. kramdown (Jekyll's renderer) makes it bold, and Korean readers
see stray ``**`` otherwise (issue #23). The rule used here counts a CJK character beside
the run as CommonMark counts whitespace or punctuation there, for ``*`` and ``~`` only:
kramdown leaves ``_강조_입니다`` literal, as CommonMark does.
"""

from __future__ import annotations

import os
import re
import sys
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache, partial
from typing import Any

__all__ = ["apply_attribute_lists", "has_cjk_delimiter", "is_cjk", "render_markdown"]

# Hangul (jamo, compatibility jamo, syllables), kana, CJK ideographs and their
# extensions, CJK symbols and punctuation, full-width forms: (first, last) code points,
# in order. Looked up by bisection: as a regular expression's class, these 40,000 code
# points took 3 ms to compile, paid by every build that renders Markdown.
_CJK_RANGES = (
    (0x1100, 0x11FF),
    (0x3000, 0x303F),
    (0x3040, 0x30FF),
    (0x3130, 0x318F),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA960, 0xA97F),
    (0xAC00, 0xD7AF),
    (0xD7B0, 0xD7FF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
    (0x20000, 0x2FA1F),
)
_CJK_FIRSTS = [first for first, _ in _CJK_RANGES]


def is_cjk(char: str) -> bool:
    """Whether ``char`` (one character) is Hangul, kana, a CJK ideograph, CJK
    punctuation or a full-width form."""
    code = ord(char)
    index = bisect_right(_CJK_FIRSTS, code) - 1
    return index >= 0 and code <= _CJK_RANGES[index][1]


# A delimiter left as text in rendered HTML (once its tags are taken out).
_LITERAL_DELIMITER = re.compile(r"[*]|~~")
_TAG = re.compile(r"<[^>]*>")


def has_cjk_delimiter(text: str) -> bool:
    """Return True when ``text`` holds a ``*`` or ``~~`` run next to a CJK character: the
    only texts where the two rules can differ. (A single ``~`` is no delimiter, and Korean
    writes ranges with it: ``3~5일``.)"""
    # Delimiters first (str.find), then their neighbours: a regular expression tried at
    # every position of a Korean text costs about what rendering it does.
    for marker in ("*", "~~"):
        start = text.find(marker)
        while start >= 0:
            end = start + len(marker)
            while text.startswith(marker[0], end):
                end += 1
            if (start and is_cjk(text[start - 1])) or (end < len(text) and is_cjk(text[end])):
                return True
            start = text.find(marker, end)
    return False


@lru_cache(maxsize=1)
def _fast_renderer() -> Any:
    from markdown_it_pyrs import MarkdownIt

    return MarkdownIt("commonmark").enable("table").enable("strikethrough")


def _scan_delims_cjk(state: Any, start: int, can_split_word: bool) -> Any:
    """markdown-it-py's ``StateInline.scanDelims`` with a CJK character beside a ``*`` or
    ``~`` run counting as whitespace or punctuation does in the flanking tests."""
    from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
    from markdown_it.rules_inline.state_inline import Scanned

    src, maximum = state.src, state.posMax
    marker = src[start]
    last_char = src[start - 1] if start > 0 else " "
    pos = start
    while pos < maximum and src[pos] == marker:
        pos += 1
    next_char = src[pos] if pos < maximum else " "

    last_punct = isMdAsciiPunct(ord(last_char)) or isPunctChar(last_char)
    next_punct = isMdAsciiPunct(ord(next_char)) or isPunctChar(next_char)
    last_space = isWhiteSpace(ord(last_char))
    next_space = isWhiteSpace(ord(next_char))
    if marker != "_":
        last_cjk = is_cjk(last_char)
        next_cjk = is_cjk(next_char)
    else:
        last_cjk = next_cjk = False

    left_flanking = not next_space and (not next_punct or last_space or last_punct or last_cjk)
    right_flanking = not last_space and (not last_punct or next_space or next_punct or next_cjk)
    if can_split_word:
        can_open, can_close = left_flanking, right_flanking
    else:
        can_open = left_flanking and (not right_flanking or last_punct)
        can_close = right_flanking and (not left_flanking or next_punct)
    return Scanned(can_open, can_close, pos - start)


def _with_cjk_delims(rule: Any, state: Any, silent: bool) -> Any:
    # The state is made for one inline run: shadowing its method touches nothing else.
    state.scanDelims = partial(_scan_delims_cjk, state)
    return rule(state, silent)


@lru_cache(maxsize=1)
def _cjk_renderer() -> Any:
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import emphasis, strikethrough

    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    md.inline.ruler.at("emphasis", partial(_with_cjk_delims, emphasis.tokenize))
    md.inline.ruler.at("strikethrough", partial(_with_cjk_delims, strikethrough.tokenize))
    return md


@contextmanager
def _stderr_dropped() -> Iterator[None]:
    """Send what is written to file descriptor 2 to ``/dev/null`` for the length of the
    block. Rust's panic hook writes its message there itself, past Python's
    ``sys.stderr``: a panic that is caught and recovered from would still print three
    lines (a backtrace under ``RUST_BACKTRACE``) on a ``feedkit build -q``, which cron
    mails. The build writes nothing there while a text renders; a line another thread
    wrote in those microseconds (the access log of ``feedkit serve --watch``) would be
    lost with it."""
    if sys.stderr is not None:
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # descriptor 2 closed (``2>&-``): there is nothing to print to
        yield
        return
    try:
        os.dup2(_null_descriptor(os.getpid()), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@lru_cache(maxsize=1)
def _null_descriptor(pid: int) -> int:
    # By process: a worker has its own (the pid keeps a forked one from taking its
    # parent's from the cache, though the two would do the same).
    return os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)


def _fast_render(text: str) -> str | None:
    """markdown-it.rs's HTML of ``text``, or None where it cannot take the text."""
    try:
        if "`" not in text:
            html_text: str = _fast_renderer().render(text)
        else:
            # Each panic met so far is a code span's (code_pair.rs): only a text with
            # a backtick pays the four system calls that keep the hook's message out.
            with _stderr_dropped():
                html_text = _fast_renderer().render(text)
    except BaseException as exc:
        # markdown-it.rs 0.6 panics on an unclosed code span after a bracket ("[a`"),
        # and pyo3 raises the panic as a BaseException: the other renderer, which
        # follows the same rules, takes such a text.
        if type(exc).__name__ != "PanicException":
            raise
        return None
    return html_text


def render_markdown(text: str) -> str:
    """Return the HTML of Markdown ``text``: CommonMark with pipe tables and
    strikethrough, raw HTML kept, and ``*``/``~~`` emphasis next to CJK text opened and
    closed as kramdown does (see the module's docstring).

    A text is rendered with the CJK rule only when it has a delimiter run beside a CJK
    character that CommonMark leaves as literal text: where CommonMark paired every run,
    its reading stands (the two can pair runs differently in contrived texts such as
    ``**(*가**``, and the fast renderer's reading is kept there).
    """
    fast_html = _fast_render(text)
    if fast_html is not None and (
        not has_cjk_delimiter(text) or _LITERAL_DELIMITER.search(_TAG.sub("", fast_html)) is None
    ):
        return fast_html
    html_text: str = _cjk_renderer().render(text)
    return html_text


# A kramdown attribute list: ``{:`` then classes, ids, ``key="value"`` pairs or names,
# quoted values holding any character but their quote, then ``}``.
_ATTRIBUTE_LIST = r"""\{:(?:[^{}"']|"[^"]*"|'[^']*')*\}"""
_SPAN_ATTRIBUTES = re.compile(rf"^{_ATTRIBUTE_LIST}")
_BLOCK_ATTRIBUTES = re.compile(rf"(?m)^[ \t]*{_ATTRIBUTE_LIST}[ \t]*(?:\n|$)")
_ONLY_ATTRIBUTES = re.compile(rf"\s*(?:{_ATTRIBUTE_LIST}\s*)+")
_TOC_MARKER = re.compile(r"\{:\s*toc\s*\}\s*$")
_NO_TOC = re.compile(r"(?:^|[\s{:])\.no_toc(?=[\s}])")
_ID_IN_LIST = re.compile(r"(?:^|[\s{:])#([A-Za-z][\w-]*)(?=[\s}])")
# kramdown's header id, written after an ATX header's text: ``## Intro {#intro}``.
_HEADER_ID = re.compile(r"\s*\{#([A-Za-z][\w:.-]*)\}\s*$")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def apply_attribute_lists(html: str, *, toc_levels: Sequence[int] = range(1, 7)) -> str:
    """Return rendered Markdown ``html`` with the kramdown attribute lists that
    CommonMark leaves as text read as Jekyll's kramdown reads them.

    - A one-item list marked ``{:toc}`` becomes the table of contents kramdown makes: a
      list of the headings of ``toc_levels`` (kramdown's ``toc_levels``), nested by
      level, each linking to its heading, but those marked ``{:.no_toc}``; the headings
      get kramdown's ids (its ``auto_ids``: ASCII letters, digits and hyphens, else
      ``section``, numbered when repeated) unless they have one (``{#id}``).
    - ``{#id}`` after a heading's text is its id.
    - Other lists, ``{: .note}`` on the line after a block and ``{:target="_blank"}``
      right after a link, go: they are classes and targets, which a feed's sanitizer
      drops anyway.

    Code (``pre``, ``code``) is left as written.
    """
    if "{:" not in html and "{#" not in html:
        return html
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):  # nothing lxml can read: left as it is
        return html
    no_toc: set[Any] = set()
    for heading in root.iter(*_HEADINGS):
        text = heading.text if len(heading) == 0 else heading[-1].tail
        found = _HEADER_ID.search(text or "")
        if found is not None:
            stripped = (text or "")[: found.start()]
            if len(heading) == 0:
                heading.text = stripped
            else:
                heading[-1].tail = stripped
            heading.set("id", found.group(1))
        following = heading.getnext()
        if following is not None and following.tag == "p" and len(following) == 0:
            lists = following.text or ""
            if _ONLY_ATTRIBUTES.fullmatch(lists):
                if _NO_TOC.search(lists):
                    no_toc.add(heading)
                named = _ID_IN_LIST.search(lists)
                if named is not None:
                    heading.set("id", named.group(1))
    markers = []
    for item in root.iter("li"):
        listing = item.getparent()
        if (
            listing is not None
            and listing.tag in ("ul", "ol")
            and len(listing) == 1
            and _TOC_MARKER.search(item.text_content())
        ):
            markers.append(listing)
    if markers:
        contents = _table_of_contents(root, no_toc, toc_levels)
        for listing in markers:
            _replace(listing, contents(listing.tag))
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # a comment keeps what it says
            continue
        if element.tag in ("pre", "code") or any(
            ancestor.tag in ("pre", "code") for ancestor in element.iterancestors()
        ):
            continue
        if element.text and "{:" in element.text:
            element.text = _BLOCK_ATTRIBUTES.sub("", element.text).rstrip("\n") or None
        if element is not root and element.tail and "{:" in element.tail:
            tail = _SPAN_ATTRIBUTES.sub("", element.tail)
            element.tail = _BLOCK_ATTRIBUTES.sub("", tail) or None
        if element.tag == "p" and len(element) == 0 and not (element.text or "").strip():
            _replace(element, None)
    parts = [root.text or ""]
    parts += [lxml.html.tostring(child, encoding="unicode") for child in root]
    return "".join(parts)


def _table_of_contents(
    root: Any, no_toc: set[Any], toc_levels: Sequence[int]
) -> Callable[[str], Any]:
    """Give each heading of ``root`` kramdown's id, and return what makes the table of
    contents as a list of the given tag (kramdown's ``generate_toc_tree``)."""
    from lxml.html import Element

    used: dict[str, int] = {}
    entries = []
    for heading in root.iter(*_HEADINGS):
        text = " ".join(heading.text_content().split())
        if heading.get("id") is None:
            heading.set("id", _kramdown_id(text, used))
        level = int(heading.tag[1])
        if level in toc_levels and heading not in no_toc:
            entries.append((level, heading.get("id"), text))

    def make(tag: str) -> Any:
        top = Element(tag, id="markdown-toc")
        stack: list[tuple[int, Any]] = []  # (level, its <li>)
        for level, anchor, text in entries:
            item = Element("li")
            link = Element("a", href=f"#{anchor}", id=f"markdown-toc-{anchor}")
            link.text = text
            item.append(link)
            while stack and stack[-1][0] >= level:
                stack.pop()
            if stack:
                parent = stack[-1][1]
                nested = parent.find(tag)
                if nested is None:
                    nested = Element(tag)
                    parent.append(nested)
                nested.append(item)
            else:
                top.append(item)
            stack.append((level, item))
        return top

    return make


def _kramdown_id(text: str, used: dict[str, int]) -> str:
    """kramdown's ``generate_id``: leading characters up to the first ASCII letter go,
    then all but ASCII letters, digits, spaces and hyphens; spaces become hyphens;
    lowercase; ``section`` when nothing is left; ``-1``, ``-2`` on a repeat."""
    made = re.sub(r"^[^a-zA-Z]+", "", text)
    made = re.sub(r"[^a-zA-Z0-9 -]", "", made).replace(" ", "-").lower() or "section"
    if made in used:
        used[made] += 1
        return f"{made}-{used[made]}"
    used[made] = 0
    return made


def _replace(element: Any, replacement: Any) -> None:
    """Put ``replacement`` (or nothing) in ``element``'s place, keeping the text that
    follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if replacement is not None:
        replacement.tail = element.tail
        parent.replace(element, replacement)
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
