"""Liquid in a Jekyll site's posts, rendered as Jekyll renders it (issue #23).

Jekyll runs every post through Liquid before Markdown: ``{{ site.title }}``,
``{% include note.html text="..." %}``, ``{% post_url 2024-01-02-hello %}`` and the like
become text there, and must become the same text in the feeds. The engine is
python-liquid (2.x); this module gives it Jekyll's variables (``site``, ``page``), its
filters (``relative_url``, ``date_to_xmlschema``, ``where``, ...) and its tags
(``include``, ``include_relative``, ``post_url``, ``link``, ``highlight``).

- :func:`load_liquid_site` reads what Liquid may use of the whole site, once per build:
  ``_includes/``, ``_data/``, and the URL of every post (an edge: it reads files).
- :func:`render_liquid` renders one post's text. It never raises: a missing include or
  post renders empty with a warning (``liquid-include-missing``, ``liquid-post-missing``),
  and a text Liquid cannot parse or render is kept as written with a warning
  (``liquid-syntax``, ``liquid-error``), each naming the file and line.

Only ``include_relative`` reads a file while rendering (a file beside the post).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from liquid import Environment
    from liquid.context import RenderContext
    from liquid.stream import TokenStream
    from liquid.token import Token

    from .diagnostics import Diagnostics
    from .models import Post
    from .settings import Settings

from ._liquid_filters import FILTERS, WITH_ENVIRONMENT, relative_url, ruby_time, site_of
from ._liquid_inputs import (
    inputs_digest,
    is_jekyll_site,
    liquid_inputs_digest,
    read_inputs,
    site_folders,
)

__all__ = [
    "LiquidSite",
    "has_liquid",
    "is_jekyll_site",
    "is_liquid_enabled",
    "liquid_inputs_digest",
    "load_liquid_site",
    "page_variables",
    "render_liquid",
]

# Bounds on what one post's Liquid may cost: a loop over (1..100000000) or an include
# that includes itself ends with a warning instead of holding the build.
_LOOP_LIMIT = 1_000_000
_OUTPUT_LIMIT = 16 << 20


@dataclass(frozen=True)
class LiquidSite:
    """What Liquid in a post may read of the rest of the site (one per build).

    ``site`` holds the ``site.*`` variables (``_config.yml``, ``url``, ``baseurl``,
    ``time``, ``data``, ``posts``); ``includes`` the text of each file under
    ``_includes/`` by its path there; ``post_urls`` each post's URL path (``page.url``,
    without baseurl) by the names ``post_url`` takes (``2024-01-02-hello``,
    ``sub/2024-01-02-hello``); ``link_urls`` the same by the path ``link`` takes
    (``_posts/2024-01-02-hello.md``). ``source_dir`` is the site's folder, for
    ``include_relative``. ``digest`` covers ``includes`` and ``site['data']``, the files
    a post's output depends on beyond its own (see :func:`load_liquid_site`).
    """

    site: Mapping[str, Any]
    includes: Mapping[str, str] = field(default_factory=dict)
    post_urls: Mapping[str, str] = field(default_factory=dict)
    link_urls: Mapping[str, str] = field(default_factory=dict)
    source_dir: str = ""
    digest: str = ""


def has_liquid(text: str | None) -> bool:
    """Return True when ``text`` holds a Liquid tag or output (``{%`` or ``{{``)."""
    return bool(text) and ("{{" in text or "{%" in text)  # type: ignore[operator]


def is_liquid_enabled(metadata: Mapping[str, object]) -> bool:
    """Return False when front matter turns Liquid off (``render_with_liquid: false``)."""
    return metadata.get("render_with_liquid") is not False


def _load_data(folder: Path, texts: Mapping[str, str], diagnostics: Diagnostics) -> dict[str, Any]:
    """``site.data``: each YAML or JSON file under ``_data/`` (``texts``), nested by folder."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data: dict[str, Any] = {}
    for relative, text in texts.items():
        try:
            value = (
                json.loads(text) if relative.endswith(".json") else yaml.load(text, Loader=loader)
            )
        except (ValueError, yaml.YAMLError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            diagnostics.warn("liquid-data", f"cannot read: {message}", path=folder / relative)
            continue
        *parents, name = relative.split("/")
        target = data
        for parent in parents:
            child = target.get(parent)
            if not isinstance(child, dict):
                child = target[parent] = {}
            target = child
        target[os.path.splitext(name)[0]] = value
    return data


def _post_names(path: str) -> list[str]:
    """The names ``{% post_url %}`` finds the post at ``path`` by: its file name without
    extension, and with the folders between ``_posts/`` and it."""
    stem = os.path.splitext(path)[0]
    inside = stem.split("_posts/", 1)[1] if "_posts/" in stem else os.path.basename(stem)
    return list(dict.fromkeys((os.path.basename(stem), inside)))


def load_liquid_site(
    settings: Settings,
    posts: Iterable[Post],
    *,
    now: datetime,
    diagnostics: Diagnostics,
) -> LiquidSite:
    """Read what Liquid in posts may use of the site: ``_includes/`` and ``_data/`` (as
    ``_config.yml``'s ``includes_dir`` and ``data_dir`` name them), and each of
    ``posts``' URL (full posts or planned ones: ``source.path``, ``permalink``, ``title``,
    ``published_at``, ``id``, ``categories`` and ``tags`` are read).

    The digest covers ``_includes/`` and ``_data/`` (their contents) and the
    configuration: a change there re-renders every post. Posts' URLs are not in it: a new
    post would re-render the whole site (see README, "Liquid").
    """
    config = settings.jekyll
    includes, data_texts = read_inputs(settings)
    data = _load_data(site_folders(settings)[1], data_texts, diagnostics)
    post_urls: dict[str, str] = {}
    link_urls: dict[str, str] = {}
    listed: list[dict[str, Any]] = []
    for post in posts:
        path = post.source.path
        for name in _post_names(path):
            post_urls.setdefault(name, post.permalink)
        link_urls[path] = post.permalink
        listed.append(
            {
                "title": post.title,
                "url": post.permalink,
                "date": ruby_time(post.published_at),
                "id": _jekyll_id(post.permalink),
                "path": path,
                "categories": list(post.categories),
                "tags": list(post.tags),
            }
        )
    listed.sort(key=lambda drop: drop["date"], reverse=True)
    site = {
        **{key: value for key, value in config.items() if isinstance(key, str)},
        "url": settings.site.url.rstrip("/"),
        "baseurl": settings.site.baseurl.rstrip("/"),
        "title": settings.site.title or config.get("title", ""),
        "time": ruby_time(now.astimezone(settings.site.zone)),
        "data": data,
        "posts": listed,
    }
    return LiquidSite(
        site=site,
        includes=includes,
        post_urls=post_urls,
        link_urls=link_urls,
        source_dir=os.fspath(settings.content.dir),
        digest=inputs_digest(includes, data_texts),
    )


def _jekyll_id(permalink: str) -> str:
    """A post's ``page.id``: its URL without ``.html`` or trailing slash."""
    path = permalink[: -len(".html")] if permalink.endswith(".html") else permalink
    return path.rstrip("/") or "/"


def page_variables(post: Post) -> dict[str, Any]:
    """The ``page.*`` variables of ``post`` as Jekyll sets them for a post: its front
    matter, with ``title``, ``url`` (without baseurl), ``date``, ``id``, ``path``,
    ``slug``, ``categories``, ``tags`` and ``collection`` filled in."""
    from .dates import filename_parts

    _, name_title = filename_parts(post.source.path)
    page = {k: v for k, v in post.source.metadata.items() if isinstance(k, str)}
    page.update(
        title=post.title,
        url=post.permalink,
        date=ruby_time(post.published_at),
        id=_jekyll_id(post.permalink),
        path=post.source.path,
        relative_path=post.source.path,
        slug=name_title,
        categories=list(post.categories),
        tags=list(post.tags),
        collection=post.source.collection,
        ext=os.path.splitext(post.source.path)[1],
    )
    return page


# --- what a render reports -------------------------------------------------------


@dataclass
class _Report:
    """Where the text being rendered came from, and the warnings its tags gave."""

    text: str
    path: str
    line: int  # the line of the file the text starts on
    page_dir: str  # the post's folder, from the site's root
    warnings: list[tuple[str, str, str, int | None]] = field(default_factory=list)

    def locate(self, token: Token | None) -> tuple[str, int | None]:
        """The file and line ``token`` is at: the post's, or the include's it is in."""
        if token is None or token.start_index < 0:  # no token, or the end of the text
            return self.path, None
        line = token.source.count("\n", 0, max(token.start_index, 0)) + 1
        if token.source == self.text:
            return self.path, self.line + line - 1
        return self.path, None

    def warn(self, code: str, message: str, token: Token | None) -> None:
        path, line = self.locate(token)
        self.warnings.append((code, message, path, line))


_REPORT: ContextVar[_Report | None] = ContextVar("feedkit_liquid_report", default=None)


def _warn(code: str, message: str, token: Token | None) -> None:
    report = _REPORT.get()
    if report is not None:
        report.warn(code, message, token)


# --- tags --------------------------------------------------------------------------

# Jekyll's include parameters: key=value, the value quoted or a variable (Jekyll 4's
# Jekyll::Tags::IncludeTag::VALID_SYNTAX).
_PARAMETER = re.compile(
    r"""([\w-]+)\s*=\s*(?:"([^"\\]*(?:\\.[^"\\]*)*)"|'([^'\\]*(?:\\.[^'\\]*)*)'|([\w.\[\]'"-]+))"""
)


def _markup_of(stream: TokenStream) -> tuple[Token, str]:
    """Eat a tag's name; return its token and its markup (what follows the name)."""
    from liquid.token import TOKEN_EXPRESSION, TOKEN_TAG

    token = stream.eat(TOKEN_TAG)
    markup = stream.current.value if stream.current.kind == TOKEN_EXPRESSION else ""
    return token, markup.strip()


def _interpolate(markup: str, context: RenderContext) -> str:
    """``markup`` with its ``{{ ... }}`` rendered (Jekyll lets tag names use them)."""
    if "{{" not in markup:
        return markup
    buffer = context.get_buffer()
    # In the tag's own context, so that variables assigned before it count.
    context.env.from_string(markup).render_with_context(context, buffer, partial=True)
    return buffer.getvalue().strip()


def _lookup(context: RenderContext, path: str) -> Any:
    """The value of a variable path (``page.title``, ``include.items[0]``) in ``context``."""
    if re.fullmatch(r"-?\d+", path):
        return int(path)
    if re.fullmatch(r"-?\d+\.\d+", path):
        return float(path)
    if path in ("true", "false", "nil", "null"):
        return {"true": True, "false": False}.get(path)
    parts: list[object] = []
    for match in re.finditer(r"\[(\d+)\]|\[[\"']([^\"']*)[\"']\]|([^.\[\]]+)", path):
        index, quoted, name = match.groups()
        parts.append(int(index) if index is not None else quoted if quoted is not None else name)
    if not parts:
        return None
    value = context.get(parts, token=None, default=None)
    from liquid.undefined import Undefined

    return None if isinstance(value, Undefined) else value


# Liquid's own words that only make sense inside a block: alone, a syntax error.
_LIQUID_KEYWORDS = frozenset(
    {
        "else",
        "elsif",
        "when",
        "break",
        "continue",
        "endif",
        "endunless",
        "endfor",
        "endcase",
        "endcapture",
        "endcomment",
        "endraw",
        "endtablerow",
        "endhighlight",
        "endifchanged",
    }
)


def _render_nodes() -> dict[str, Any]:
    """The tag classes (defined here so that python-liquid is imported only when a site
    has Liquid to render)."""
    from liquid import ast
    from liquid.exceptions import LiquidError, LiquidSyntaxError
    from liquid.parser import get_parser
    from liquid.tag import Tag
    from liquid.token import TOKEN_EXPRESSION, TOKEN_ILLEGAL, TOKEN_TAG

    class _MarkupNode(ast.Node):
        __slots__ = ("markup",)

        def __init__(self, token: Token, markup: str) -> None:
            super().__init__(token)
            self.markup = markup
            self.blank = False

        def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
            text = self.text(context)
            buffer.write(text)
            return len(text)

        async def render_to_output_async(self, context: RenderContext, buffer: TextIO) -> int:
            return self.render_to_output(context, buffer)

        def text(self, context: RenderContext) -> str:
            return ""

    class IncludeNode(_MarkupNode):
        """``{% include name.html key=value ... %}`` from ``_includes/``."""

        def text(self, context: RenderContext) -> str:
            site = site_of(context.env)
            markup = self.markup
            name_part, _, _ = markup.partition(" ")
            if name_part.startswith("{{"):
                end = markup.find("}}")
                name_part, markup = markup[: end + 2], markup[end + 2 :]
            else:
                markup = markup[len(name_part) :]
            name = _interpolate(name_part, context)
            source = self.source(site, name, context)
            if source is None:
                return ""
            params: dict[str, Any] = {}
            for key, double, single, variable in _PARAMETER.findall(markup):
                if variable:
                    params[key] = _lookup(context, variable)
                else:
                    params[key] = (double or single).replace('\\"', '"').replace("\\'", "'")
            template = _parse_include(context.env, name, source)
            buffer = context.get_buffer()
            with context.extend({"include": params}, template=template):
                template.render_with_context(context, buffer, partial=True)
            return buffer.getvalue()

        def source(self, site: LiquidSite, name: str, context: RenderContext) -> str | None:
            text = site.includes.get(name.strip().lstrip("/"))
            if text is None or ".." in name.split("/"):
                _warn(
                    "liquid-include-missing",
                    f"{{% include {name} %}}: no such file in _includes/; rendered empty",
                    self.token,
                )
                return None
            return text

    class IncludeRelativeNode(IncludeNode):
        """``{% include_relative file.md %}``: a file beside the post."""

        def source(self, site: LiquidSite, name: str, context: RenderContext) -> str | None:
            report = _REPORT.get()
            folder = report.page_dir if report is not None else ""
            relative = os.path.normpath(os.path.join(folder, name.strip()))
            path = os.path.join(site.source_dir, relative)
            try:
                if not site.source_dir or relative.startswith("..") or os.path.isabs(relative):
                    raise OSError("outside the site")
                with open(path, encoding="utf-8") as file:
                    return file.read()
            except (OSError, UnicodeDecodeError):
                _warn(
                    "liquid-include-missing",
                    f"{{% include_relative {name} %}}: cannot read {relative}; rendered empty",
                    self.token,
                )
                return None

    class PostUrlNode(_MarkupNode):
        """``{% post_url 2024-01-02-hello %}``: the post's URL, with baseurl."""

        def text(self, context: RenderContext) -> str:
            site = site_of(context.env)
            name = _interpolate(self.markup, context).strip().strip("/")
            url = site.post_urls.get(name) or site.post_urls.get(os.path.basename(name))
            if url is None:
                _warn(
                    "liquid-post-missing",
                    f"{{% post_url {name} %}}: no such post; rendered empty",
                    self.token,
                )
                return ""
            return relative_url(url, environment=context.env)

    class LinkNode(_MarkupNode):
        """``{% link _posts/2024-01-02-hello.md %}``: that file's URL, with baseurl."""

        def text(self, context: RenderContext) -> str:
            site = site_of(context.env)
            path = _interpolate(self.markup, context).strip().lstrip("/")
            url = site.link_urls.get(path)
            if url is None:
                url = _page_url(site, path)
            if url is None:
                _warn(
                    "liquid-post-missing",
                    f"{{% link {path} %}}: no such post or page; rendered empty",
                    self.token,
                )
                return ""
            return relative_url(url, environment=context.env)

    class HighlightNode(ast.Node):
        """``{% highlight ruby [linenos] %}...{% endhighlight %}`` as Jekyll wraps
        Rouge's output, without the colouring spans."""

        __slots__ = ("block", "language", "linenos")

        def __init__(self, token: Token, markup: str, block: Any) -> None:
            super().__init__(token)
            words = markup.split()
            self.language = (words[0] if words else "plaintext").lower()
            self.linenos = any(w == "linenos" or w.startswith("linenos=") for w in words[1:])
            self.block = block
            self.blank = False

        def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
            inner = context.get_buffer()
            self.block.render(context, inner)
            code = html.escape(inner.getvalue().strip("\r\n"), quote=False)
            if self.linenos:
                count = code.count("\n") + 1
                gutter = "".join(f"{n}\n" for n in range(1, count + 1))
                code = (
                    '<table class="rouge-table"><tbody><tr><td class="gutter gl">'
                    f'<pre class="lineno">{gutter}</pre></td><td class="code"><pre>{code}\n'
                    "</pre></td></tr></tbody></table>"
                )
            text = (
                f'<figure class="highlight"><pre><code class="language-{self.language}" '
                f'data-lang="{self.language}">{code}</code></pre></figure>'
            )
            # One line, so that Markdown keeps it one HTML block even where the code
            # has blank lines (kramdown reads the element whole; markdown-it would end
            # the block at the first blank line).
            text = text.replace("\r\n", "&#10;").replace("\n", "&#10;")
            buffer.write(text)
            return len(text)

        async def render_to_output_async(self, context: RenderContext, buffer: TextIO) -> int:
            return self.render_to_output(context, buffer)

    def simple_tag(tag_name: str, node_class: type[_MarkupNode]) -> type[Tag]:
        class _Tag(Tag):
            name = tag_name
            block = False

            def parse(self, stream: TokenStream) -> ast.Node:
                token, markup = _markup_of(stream)
                return node_class(token, markup)

        return _Tag

    class HighlightTag(Tag):
        name = "highlight"
        end = "endhighlight"

        def parse(self, stream: TokenStream) -> ast.Node:
            token, markup = _markup_of(stream)
            next(stream)
            block = get_parser(self.env).parse_block(stream, ("endhighlight",))
            stream.expect(TOKEN_TAG, value="endhighlight")
            return HighlightNode(token, markup, block)

    class UnknownTag(Tag):
        """A tag no one registered: a plugin's (``{% gist %}``, ``{% seo %}``) renders
        empty with a warning, and the rest of the post is rendered; a misplaced Liquid
        keyword (``{% endif %}`` alone) stays a syntax error."""

        name = TOKEN_ILLEGAL
        block = False

        def parse(self, stream: TokenStream) -> ast.Node:
            token = stream.expect(TOKEN_TAG)
            if stream.peek.kind == TOKEN_EXPRESSION:
                next(stream)
            if not token.value or token.value in _LIQUID_KEYWORDS:
                message = (
                    "missing tag name" if not token.value else f"unexpected tag '{token.value}'"
                )
                raise LiquidSyntaxError(message, token=token)
            _warn(
                "liquid-unknown-tag",
                f"{{% {token.value} %}}: a tag feedkit does not know (a plugin's?); rendered empty",
                token,
            )
            return _MarkupNode(token, "")

    return {
        "tags": [
            simple_tag("include", IncludeNode),
            simple_tag("include_relative", IncludeRelativeNode),
            simple_tag("post_url", PostUrlNode),
            simple_tag("link", LinkNode),
            HighlightTag,
            UnknownTag,
        ],
        "error": LiquidError,
    }


def _page_url(site: LiquidSite, path: str) -> str | None:
    """The URL Jekyll gives a page without a ``permalink`` (``about.md`` ->
    ``/about.html``, ``docs/index.md`` -> ``/docs/``), if the file exists."""
    if not path or ".." in path.split("/"):
        return None
    if not os.path.isfile(os.path.join(site.source_dir, path)):
        return None
    stem, ext = os.path.splitext(path)
    if ext.lower() not in (".md", ".markdown", ".html", ".htm"):
        return "/" + path
    if os.path.basename(stem) == "index":
        return "/" + (os.path.dirname(stem) + "/" if os.path.dirname(stem) else "")
    return "/" + stem + ".html"


def _parse_include(env: Any, name: str, source: str) -> Any:
    cache: dict[str, Any] = env.feedkit_includes
    template = cache.get(name)
    if template is None:
        template = cache[name] = env.from_string(source, name=name, path=name)
    return template


_ENVIRONMENTS: dict[str, Environment] = {}


def _environment(site: LiquidSite) -> Environment:
    """The Liquid environment of ``site``: one per site and process (each holds its
    parsed includes)."""
    key = repr(site.site.get("url")) + repr(site.site.get("baseurl")) + site.digest
    env = _ENVIRONMENTS.get(key)
    if env is not None and env.feedkit_site is site:  # type: ignore[attr-defined]
        return env
    from liquid import Environment
    from liquid.filter import with_environment

    class JekyllEnvironment(Environment):
        loop_iteration_limit = _LOOP_LIMIT
        output_stream_limit = _OUTPUT_LIMIT

    env = JekyllEnvironment(strict_filters=False)
    env.feedkit_site = site  # type: ignore[attr-defined]
    env.feedkit_includes = {}  # type: ignore[attr-defined]
    for tag in _render_nodes()["tags"]:
        env.add_tag(tag)
    for name, function in FILTERS.items():
        env.add_filter(name, with_environment(function) if name in WITH_ENVIRONMENT else function)
    _ENVIRONMENTS.clear()  # one site per build: the last one is all a process needs
    _ENVIRONMENTS[key] = env
    return env


def render_liquid(
    text: str,
    *,
    site: LiquidSite,
    page: Mapping[str, Any],
    path: str,
    line: int,
    diagnostics: Diagnostics,
) -> str:
    """Return ``text`` (a post's body, from line ``line`` of the file at ``path``) with
    its Liquid rendered as Jekyll renders it, ``page`` being its ``page.*`` variables.

    Never raises: a missing include or post renders empty with a warning; a text Liquid
    cannot parse or render comes back unchanged with a warning naming the line.
    """
    if not has_liquid(text):
        return text
    from liquid.exceptions import LiquidError

    env = _environment(site)
    report = _Report(text, path, line, os.path.dirname(path))
    token = _REPORT.set(report)
    try:
        try:
            template = env.from_string(text)
        except LiquidError as exc:
            where_path, where_line = report.locate(exc.token)
            diagnostics.warn(
                "liquid-syntax",
                f"Liquid syntax error: {_message(exc)}; the text is kept as written",
                path=where_path,
                line=where_line,
            )
            return text
        try:
            rendered = template.render(site=site.site, page=page, paginator=None)
        except (LiquidError, Exception) as exc:  # a filter or tag failing: never fatal
            where_path, where_line = report.locate(getattr(exc, "token", None))
            diagnostics.warn(
                "liquid-error",
                f"Liquid could not render: {_message(exc)}; the text is kept as written",
                path=where_path,
                line=where_line,
            )
            return text
    finally:
        _REPORT.reset(token)
    for code, message, where_path, where_line in report.warnings:
        diagnostics.warn(code, message, path=where_path, line=where_line)
    return rendered


def _message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc).splitlines()[0] if str(exc) else ""
    return str(message or type(exc).__name__)
