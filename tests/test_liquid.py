"""Liquid in Jekyll posts, rendered as Jekyll renders it (issue #23).

The oracle is Jekyll itself where it is installed: it builds tests/data/jekyll-liquid-site
with jekyll-feed, feedkit builds the same site, and each post's content text (after
Liquid and Markdown) must be the same. The rest checks what Jekyll cannot show: the
warnings for missing includes, missing posts and syntax errors (Jekyll stops there), and
that editing an include re-renders the posts of an incremental build.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import feedparser
import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedkit.diagnostics import Diagnostics, Level
from feedkit.liquid import LiquidSite, render_liquid
from feedkit.pipeline import build
from feedkit.settings import find_config, load_settings

from .conftest import REPO_ROOT, SEOUL

FIXTURE = REPO_ROOT / "tests" / "data" / "jekyll-liquid-site"
BROKEN_POSTS = REPO_ROOT / "tests" / "data" / "liquid-broken-posts"
NOW = datetime(2025, 1, 1, tzinfo=SEOUL)
# kramdown's SmartyPants quotes, which feedkit does not make (README, "Liquid").
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


def _text(fragment: str) -> str:
    """The text a reader sees of an HTML fragment, whitespace folded."""
    text = lxml.html.fragment_fromstring(fragment, create_parent="div").text_content()
    return " ".join(text.translate(_SMART_QUOTES).split())


def _contents(feed_path: Path) -> dict[str, str]:
    parsed = feedparser.parse(feed_path.read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return {entry.link: _text(entry.content[0].value) for entry in parsed.entries}


def _build_with_feedkit(site: Path, diagnostics: Diagnostics | None = None) -> dict[str, str]:
    settings = load_settings(find_config(site))
    build(settings, now=NOW, diagnostics=Diagnostics() if diagnostics is None else diagnostics)
    return _contents(site / "_site" / "atom.xml")


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("jekyll") is None,
    reason="Jekyll is not installed (Debian: apt-get install jekyll ruby-jekyll-feed)",
)
def test_each_post_reads_as_jekyll_renders_it(tmp_path: Path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site)
    completed = subprocess.run(
        ["jekyll", "build", "--quiet"], cwd=site, capture_output=True, text=True, timeout=180
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    jekyll = _contents(site / "_site" / "feed.xml")
    shutil.rmtree(site / "_site")

    diagnostics = Diagnostics()
    feedkit = _build_with_feedkit(site, diagnostics)
    assert len(jekyll) == 6
    assert sorted(feedkit) == sorted(jekyll)
    for link, text in jekyll.items():
        assert feedkit[link] == text, link
    assert not diagnostics.at_least(Level.WARNING), list(diagnostics)


def test_liquid_is_rendered_before_markdown_and_in_summaries(tmp_path: Path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site)
    build(load_settings(find_config(site)), now=NOW, diagnostics=Diagnostics())
    parsed = feedparser.parse((site / "_site" / "atom.xml").read_bytes())
    by_title = {entry.title: entry for entry in parsed.entries}
    for entry in parsed.entries:
        rendered = entry.content[0].value + entry.summary
        if entry.title != "Liquid left alone":
            assert "{{" not in rendered.replace("{{ site.title }}", "")
            assert "{%" not in rendered.replace("{% include x.html %}", "")
    includes = by_title["Includes and comments"].content[0].value
    assert '<aside class="note note-warn">조심하세요 — 리퀴드 실험실</aside>' in includes
    assert "no reader sees it" not in includes
    # The markdownify filter and a Markdown include went through Markdown.
    assert "<em>cat</em>" in includes and "<em>김실험</em>" in includes
    code = by_title["Links between posts, and code"].content[0].value
    assert '<figure class="highlight"><pre><code class="language-ruby"' in code
    assert 'href="https://liquid.example/lab/liquid/2024/01/02/variables-and-filters.html"' in code
    alone = by_title["Liquid left alone"].content[0].value
    assert "{{ page.title }}" in alone and "{% include note.html %}" in alone
    korean = by_title["한국어 강조"].content[0].value
    assert "<strong>문서 주석(Documentation Comments)</strong>을" in korean
    assert "**" not in korean
    # The excerpt is made from the rendered text: no raw Liquid, the site's title.
    assert "리퀴드 실험실" in by_title["Excerpt with Liquid"].summary


def test_missing_includes_posts_and_syntax_errors_are_warnings(tmp_path: Path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site)
    for post in BROKEN_POSTS.glob("2024-*.md"):
        shutil.copy(post, site / "_posts" / post.name)
    diagnostics = Diagnostics()
    contents = _build_with_feedkit(site, diagnostics)

    missing = contents["https://liquid.example/lab/2024/02/01/missing-include.html"]
    assert missing == "Before. After, with 리퀴드 실험실. Link to nowhere."
    broken = contents["https://liquid.example/lab/2024/02/02/syntax-error.html"]
    assert "{{ site.title }}" in broken and "{% if page.title %}" in broken
    found = {(d.code, d.path, d.line) for d in diagnostics.at_least(Level.WARNING)}
    assert ("liquid-include-missing", "_posts/2024-02-01-missing-include.md", 7) in found
    assert ("liquid-post-missing", "_posts/2024-02-01-missing-include.md", 11) in found
    assert any(
        code == "liquid-syntax" and path == "_posts/2024-02-02-syntax-error.md"
        for code, path, _ in found
    )
    # The other posts are published as ever.
    assert len(contents) == 8


def test_editing_an_include_re_renders_the_posts_that_use_it(tmp_path: Path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site)
    first = _build_with_feedkit(site)
    link = "https://liquid.example/lab/liquid/2024/01/03/includes.html"
    assert "조심하세요 — 리퀴드 실험실" in first[link]
    note = site / "_includes" / "note.html"
    note.write_text(note.read_text("utf-8").replace(" — ", " ::: "), "utf-8")
    second = _build_with_feedkit(site)
    assert "조심하세요 ::: 리퀴드 실험실" in second[link]
    assert second[link] != first[link]


def test_a_plain_folder_gets_no_liquid(tmp_path: Path):
    (tmp_path / "feedkit.toml").write_text(
        '[site]\nurl = "https://plain.example"\ntitle = "Plain"\n', "utf-8"
    )
    posts = tmp_path / "content"
    posts.mkdir()
    (posts / "note.md").write_text(
        "---\ntitle: Note\ndate: 2024-01-01\n---\nWrite {{ site.title }} in Liquid.\n", "utf-8"
    )
    settings = load_settings(tmp_path / "feedkit.toml")
    build(settings, now=NOW, diagnostics=Diagnostics())
    contents = _contents(settings.feeds.output / "atom.xml")
    assert list(contents.values()) == ["Write {{ site.title }} in Liquid."]


SITE = LiquidSite(
    site={"url": "https://s.example", "baseurl": "/b", "title": "S", "time": NOW},
    includes={
        "loop.html": "{% include loop.html %}",
        "p.html": "[{{ include.a }}|{{ include.b }}|{{ include.c }}]",
    },
    post_urls={"2024-01-02-hello": "/2024/01/02/hello.html"},
    link_urls={"_posts/2024-01-02-hello.md": "/2024/01/02/hello.html"},
)


def _render(text: str) -> tuple[str, list[tuple[str, int | None]]]:
    found = Diagnostics()
    out = render_liquid(
        text, site=SITE, page={"title": "T"}, path="_posts/x.md", line=5, diagnostics=found
    )
    return out, [(d.code, d.line) for d in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{% include p.html a=1 b="two words" c=page.title %}', "[1|two words|T]"),
        ("{% include p.html a='single' b=true c=2.5 %}", "[single|true|2.5]"),
        ("{% post_url 2024-01-02-hello %}", "/b/2024/01/02/hello.html"),
        ('{% assign n = "p.html" %}{% include {{ n }} a=page.title %}', "[T||]"),
        ('{% assign d = "2024-01-02" %}{% post_url {{ d }}-hello %}', "/b/2024/01/02/hello.html"),
        ("{% link _posts/2024-01-02-hello.md %}", "/b/2024/01/02/hello.html"),
        ("{% raw %}{{ x }}{% endraw %}", "{{ x }}"),
        ("a{% comment %} hidden {% endcomment %}b", "ab"),
        ('{{ "x" | no_such_filter }}', "x"),
        ("{{ missing.variable }}", ""),
        ("{% highlight ruby %}\na < b\n{% endhighlight %}", None),
    ],
)
def test_tags_and_filters(text, expected):
    out, warnings = _render(text)
    if expected is not None:
        assert out == expected
    else:
        assert out == (
            '<figure class="highlight"><pre><code class="language-ruby" data-lang="ruby">'
            "a &lt; b</code></pre></figure>"
        )
    assert warnings == []


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("ok\n\n{% include nope.html %}", "liquid-include-missing", 7),
        ("{% post_url 1999-01-01-none %}", "liquid-post-missing", 5),
        ("line\n{% link about.md %}", "liquid-post-missing", 6),
        ("a\nb\n{% for x in y %}", "liquid-syntax", None),
        ("{% include loop.html %}", "liquid-error", None),
        ("{% for i in (1..2000000) %}{% endfor %}", "liquid-error", None),
        ("a\n{% gist 123abc %} b", "liquid-unknown-tag", 6),
        ("x {% endif %} y", "liquid-syntax", 5),
    ],
)
def test_problems_are_warnings_with_the_line(text, code, line):
    out, warnings = _render(text)
    codes = [c for c, _ in warnings]
    assert codes == [code]
    if line is not None:
        assert warnings[0][1] == line
    if code in ("liquid-syntax", "liquid-error"):
        assert out == text  # kept as written
    else:
        assert "{%" not in out


def test_site_data_and_posts_are_variables(tmp_path: Path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site)
    (site / "_data" / "team").mkdir(parents=True)
    (site / "_data" / "team" / "members.yml").write_text("- name: 민지\n- name: Joe\n", "utf-8")
    (site / "_data" / "broken.yml").write_text("a: [unclosed\n", "utf-8")
    post = site / "_posts" / "2024-01-08-data.md"
    post.write_text(
        "---\ntitle: Data\ndate: 2024-01-08 09:00:00 +0900\n---\n"
        "Team: {{ site.data.team.members | map: 'name' | join: ' & ' }}. "
        "Posts: {{ site.posts | size }}, newest {{ site.posts.first.title }}.\n",
        "utf-8",
    )
    diagnostics = Diagnostics()
    contents = _build_with_feedkit(site, diagnostics)
    assert contents["https://liquid.example/lab/2024/01/08/data.html"] == (
        "Team: 민지 & Joe. Posts: 7, newest Data."
    )
    assert [d.code for d in diagnostics.at_least(Level.WARNING)] == ["liquid-data"]


def test_a_changed_only_build_links_to_posts_it_did_not_read_again(tmp_path: Path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site)
    _build_with_feedkit(site)
    post = site / "_posts" / "2024-01-04-links-and-code.md"
    post.write_text(post.read_text("utf-8").replace("Read [", "Now read ["), "utf-8")
    settings = load_settings(find_config(site))
    result = build(settings, now=NOW, diagnostics=Diagnostics())
    assert result.posts_parsed == 1  # the other posts are known from the last build
    contents = _contents(site / "_site" / "atom.xml")
    text = contents["https://liquid.example/lab/liquid/2024/01/04/links-and-code.html"]
    assert text.startswith("Now read the first post and the includes.")
    assert "The bare tags give /lab/liquid/2024/01/03/includes.html and" in text


@given(st.text(alphabet="{}%|ab .'\"=-()[]\n", max_size=60))
def test_liquid_never_raises_and_only_warns(text):
    found = Diagnostics()
    out = render_liquid(text, site=SITE, page={}, path="_posts/x.md", line=1, diagnostics=found)
    assert isinstance(out, str)
    assert all(d.code.startswith("liquid-") for d in found)


@given(
    st.sampled_from(["include", "include_relative", "post_url", "link", "highlight"]),
    st.text(max_size=30),
)
def test_jekyll_tags_never_raise(tag, markup):
    text = "{% " + tag + " " + markup.replace("%}", "") + " %}x"
    out = render_liquid(
        text, site=SITE, page={}, path="_posts/x.md", line=1, diagnostics=Diagnostics()
    )
    assert isinstance(out, str)


def test_liquid_rendered_in_worker_processes_equals_liquid_rendered_here(tmp_path, monkeypatch):
    """Workers started from the fork server get the Liquid site (its includes, its
    posts' URLs) by pickle, not by inheriting the main process's memory: every file of
    a build whose stages all run in workers equals that of a build in one process."""
    import feedkit._parallel
    import feedkit.collect

    outputs = {}
    for mode in ("workers", "here"):
        site = tmp_path / mode
        shutil.copytree(FIXTURE, site)
        threshold = 1 if mode == "workers" else 10**9
        monkeypatch.setattr(feedkit.collect, "_PARALLEL_READS", threshold)
        for name in ("PARALLEL_RESOLVE", "PARALLEL_POSTS", "PARALLEL_PAGES", "PARALLEL_FEEDS"):
            monkeypatch.setattr(feedkit._parallel, name, threshold)
        diagnostics = Diagnostics()
        result = build(load_settings(find_config(site)), now=NOW, diagnostics=diagnostics)
        assert result.posts_rendered > 0
        outputs[mode] = {
            path.relative_to(site / "_site"): path.read_bytes()
            for path in (site / "_site").rglob("*")
            if path.is_file()
        }
    assert outputs["workers"] == outputs["here"]
    atom = outputs["workers"][Path("atom.xml")].decode("utf-8")
    assert "조심하세요 — 리퀴드 실험실" in atom  # an include, rendered in a worker
