"""Hugo shortcodes in a post's body, rendered to HTML a feed reader can show.

Hugo's built-in shortcodes that appear in posts are rendered as their templates
(gohugoio/hugo ``tpl/tplimpl/embedded/templates/_shortcodes/``) would, where a feed can
hold the result: ``figure`` (a ``<figure>``), ``highlight`` (a ``<pre><code>``),
``ref``/``relref`` (the page's URL), ``param`` (the page's or the site's param),
``details``. Embeds that Hugo fetches or frames (``youtube``, ``vimeo``, ``x``/``tweet``/
``twitter``, ``gist``, ``instagram``) become a link to the thing itself, with YouTube's
thumbnail: feed readers drop iframes and scripts, so a link is what reaches a reader.
``comment`` is removed, as Hugo removes it. Any other shortcode is the site's own
template, which feedkit cannot run: its tags are removed (a paired one keeps its inner
content) with a ``shortcode-unknown`` warning naming the file and line. An escaped
shortcode (``{{</* name */>}}``) is shown as written without the comment marks, as Hugo
shows it.

Pure: text in, text out; ``ref`` is resolved through the callable the caller gives.
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .diagnostics import Diagnostics

__all__ = ["ShortcodeContext", "expand_shortcodes", "has_shortcodes"]

# One shortcode tag: {{< name args >}}, {{% name args %}}, closing {{< /name >}},
# self-closing {{< name args />}}, or escaped {{</* ... */>}}.
_TAG = re.compile(
    r"\{\{(?P<open><|%)(?P<escaped>/\*)?\s*(?P<body>.*?)\s*(?P<escaped_end>\*/)?(?P<close>>|%)\}\}",
    re.DOTALL,
)
_BLOCK = frozenset({"figure", "highlight", "youtube", "vimeo", "x", "tweet", "twitter", "gist",
                    "instagram", "details"})  # fmt: skip
_PAIRED = frozenset({"highlight", "details", "comment"})


@dataclass(frozen=True)
class ShortcodeContext:
    """What shortcodes may read: the page's and site's params (keys lower-cased), the
    page's path, and a function giving the URL of a page ``ref`` names (or None)."""

    page_params: Mapping[str, Any]
    site_params: Mapping[str, Any]
    content_dir: str
    page_path: str
    resolve_ref: Callable[[str], str | None]


@dataclass(frozen=True)
class _Call:
    name: str
    positional: tuple[str, ...]
    named: Mapping[str, str]
    inner: str | None
    line: int

    def get(self, key: str | int, default: str = "") -> str:
        if isinstance(key, int):
            return self.positional[key] if key < len(self.positional) else default
        return self.named.get(key.lower(), default)


def has_shortcodes(text: str) -> bool:
    """Whether ``text`` may hold a shortcode (a cheap test before parsing)."""
    return "{{<" in text or "{{%" in text


def _parse_args(text: str) -> tuple[str, tuple[str, ...], dict[str, str]] | None:
    # Hugo's arguments: "quoted", `raw`, or bare words; name=value for named ones.
    lexer = shlex.shlex(text.replace("`", '"'), posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        words = list(lexer)
    except ValueError:
        return None
    if not words:
        return None
    name, *args = words
    positional: list[str] = []
    named: dict[str, str] = {}
    for arg in args:
        key, eq, value = arg.partition("=")
        if eq and re.fullmatch(r"[A-Za-z_][\w-]*", key):
            named[key.lower()] = value
        else:
            positional.append(arg)
    return name, tuple(positional), named


def expand_shortcodes(
    text: str, *, context: ShortcodeContext, path: str, line: int, diagnostics: Diagnostics
) -> str:
    """Return ``text`` with every shortcode rendered or removed (see the module
    docstring). ``line`` is the file line where ``text`` starts, for warnings."""
    if not has_shortcodes(text):
        return text
    out: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        if match.start() < position:
            continue  # inside a paired shortcode already consumed
        out.append(text[position : match.start()])
        position = match.end()
        if match.group("escaped"):
            out.append(
                "{{"
                + match.group("open")
                + " "
                + match.group("body")
                + " "
                + match.group("close")
                + "}}"
            )
            continue
        body = match.group("body")
        tag_line = line + text.count("\n", 0, match.start())
        if body.startswith("/"):
            # A closing tag without its opening: drop it.
            diagnostics.warn(
                "shortcode-unknown",
                f"closing shortcode {{{{< {body} >}}}} without its opening; removed",
                path=path,
                line=tag_line,
            )
            continue
        self_closing = body.endswith("/")
        parsed = _parse_args(body.rstrip("/").strip())
        if parsed is None:
            diagnostics.warn(
                "shortcode-unknown",
                f"shortcode {match.group(0)[:60]!r} cannot be read; removed",
                path=path,
                line=tag_line,
            )
            continue
        name, positional, named = parsed
        inner = None
        if not self_closing:
            closing = re.compile(r"\{\{(<|%)\s*/" + re.escape(name) + r"\s*(>|%)\}\}")
            found = closing.search(text, position)
            # Paired when a closing tag follows and no other opening of the same name
            # comes first (Hugo knows from the template whether .Inner is used).
            if found and (
                name in _PAIRED or not _opens_before(text, position, found.start(), name)
            ):
                inner = text[position : found.start()]
                position = found.end()
        if inner is not None and name.lower() != "highlight":
            # Shortcodes inside a paired one are rendered first, as Hugo renders .Inner.
            inner = expand_shortcodes(
                inner, context=context, path=path, line=tag_line, diagnostics=diagnostics
            )
        call = _Call(name.lower(), positional, named, inner, tag_line)
        rendered = _render(call, context, path, diagnostics)
        if call.name in _BLOCK and match.group("open") == "<":
            rendered = f"\n\n{rendered}\n\n"
        out.append(rendered)
    out.append(text[position:])
    return "".join(out)


def _opens_before(text: str, start: int, end: int, name: str) -> bool:
    opening = re.compile(r"\{\{(<|%)\s*" + re.escape(name) + r"\b")
    return opening.search(text, start, end) is not None


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _render(call: _Call, context: ShortcodeContext, path: str, diagnostics: Diagnostics) -> str:
    name = call.name
    if name == "figure":
        return _figure(call)
    if name == "highlight":
        code = (call.inner or "").strip("\r\n")
        language = call.get(0)
        css = f' class="language-{_attr(language)}"' if language else ""
        return f"<pre><code{css}>{html.escape(code, quote=False)}</code></pre>"
    if name in ("ref", "relref"):
        target = call.get(0) or call.get("path")
        url = context.resolve_ref(target)
        if url is None:
            diagnostics.warn(
                "shortcode-ref",
                f"{name} {target!r}: no such page; the link points nowhere",
                path=path,
                line=call.line,
            )
            return "#"
        anchor = target.partition("#")[2]
        return url + (f"#{anchor}" if anchor else "")
    if name == "param":
        return _param(call, context, path, diagnostics)
    if name == "youtube":
        video = call.get("id") or call.get(0)
        if video:
            title = call.get("title") or "YouTube video"
            watch = f"https://www.youtube.com/watch?v={_attr(video)}"
            thumb = f"https://i.ytimg.com/vi/{_attr(video)}/hqdefault.jpg"
            return f'<p><a href="{watch}"><img src="{thumb}" alt="{_attr(title)}"></a></p>'
    elif name == "vimeo":
        video = call.get("id") or call.get(0)
        if video:
            title = call.get("title") or "Vimeo video"
            return f'<p><a href="https://vimeo.com/{_attr(video)}">{html.escape(title)}</a></p>'
    elif name in ("x", "tweet", "twitter"):
        user, status = call.get("user"), call.get("id") or call.get(0)
        if status:
            url = f"https://x.com/{user or 'i/web'}/status/{status}"
            return f'<blockquote><p><a href="{_attr(url)}">{_attr(url)}</a></p></blockquote>'
    elif name == "gist":
        user, gist = call.get(0) or call.get("user"), call.get(1) or call.get("id")
        if user and gist:
            url = f"https://gist.github.com/{user}/{gist}"
            file = call.get(2) or call.get("file")
            if file:
                url += "#file-" + re.sub(r"[^\w-]", "-", file.lower())
            return f'<p><a href="{_attr(url)}">{_attr(url)}</a></p>'
    elif name == "instagram":
        post = call.get("id") or call.get(0)
        if post:
            url = f"https://www.instagram.com/p/{post}/"
            return f'<p><a href="{_attr(url)}">{_attr(url)}</a></p>'
    elif name == "details":
        summary = call.get("summary") or "Details"
        opened = " open" if call.get("open") in ("true", "1") else ""
        inner = call.inner or ""
        return (
            f"<details{opened}><summary>{html.escape(summary)}</summary>\n\n{inner}\n\n</details>"
        )
    elif name == "comment":
        return ""
    else:
        kept = "; its inner content is kept" if call.inner else ""
        diagnostics.warn(
            "shortcode-unknown",
            f"shortcode {name!r} is the site's own template, which feedkit cannot run; "
            f"removed{kept}",
            path=path,
            line=call.line,
        )
        return call.inner or ""
    diagnostics.warn(
        "shortcode-unknown",
        f"shortcode {name!r} without the id it needs; removed",
        path=path,
        line=call.line,
    )
    return ""


def _figure(call: _Call) -> str:
    src = call.get("src") or call.get(0)
    alt = call.get("alt") or _plain(call.get("caption"))
    attrs = [f'src="{_attr(src)}"']
    if alt:
        attrs.append(f'alt="{_attr(alt)}"')
    for key in ("width", "height", "loading"):
        if call.get(key):
            attrs.append(f'{key}="{_attr(call.get(key))}"')
    image = f"<img {' '.join(attrs)}>"
    if call.get("link"):
        image = f'<a href="{_attr(call.get("link"))}">{image}</a>'
    caption = ""
    title, text, attr = call.get("title"), call.get("caption"), call.get("attr")
    if title or text or attr:
        parts = []
        if title:
            parts.append(f"<h4>{html.escape(title)}</h4>")
        if text or attr:
            credit = _markdownify(attr)
            if attr and call.get("attrlink"):
                credit = f'<a href="{_attr(call.get("attrlink"))}">{credit}</a>'
            parts.append(f"<p>{_markdownify(text)}{credit}</p>")
        caption = f"<figcaption>{''.join(parts)}</figcaption>"
    css = f' class="{_attr(call.get("class"))}"' if call.get("class") else ""
    return f"<figure{css}>{image}{caption}</figure>"


def _markdownify(text: str) -> str:
    """Hugo's ``markdownify`` of a one-line argument: inline Markdown, no paragraph."""
    if not text:
        return ""
    from ._markdown import render_markdown

    rendered = render_markdown(text).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return rendered


def _plain(text: str) -> str:
    return re.sub(r"<[^>]*>|[*_`]", "", text)


def _param(call: _Call, context: ShortcodeContext, path: str, diagnostics: Diagnostics) -> str:
    key = call.get(0)
    for params in (
        context.page_params,
        context.page_params.get("params") or {},
        context.site_params,
    ):
        value: Any = params
        for part in key.lower().split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is not None and not isinstance(value, (Mapping, list)):
            return html.escape(str(value).lower() if isinstance(value, bool) else str(value))
    diagnostics.warn(
        "shortcode-param", f"param {key!r} not found; removed", path=path, line=call.line
    )
    return ""
