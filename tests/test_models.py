"""The records passed between the stages, as they travel to worker processes and back."""

from __future__ import annotations

import pickle
from dataclasses import is_dataclass
from datetime import datetime, timedelta, timezone

from feedkit import models
from feedkit.diagnostics import Diagnostic, Level
from feedkit.models import (
    Artifact,
    Author,
    CachedSource,
    Enclosure,
    FeedSpec,
    Item,
    LedgerEntry,
    Post,
    PostDates,
    QueuedPing,
    ResolvedDate,
    Source,
)

SEOUL = timezone(timedelta(hours=9))
T0 = datetime(2024, 6, 18, 9, 30, tzinfo=SEOUL)


def make_post(number: int) -> Post:
    """A post with every field set to a value of its own."""
    note = Diagnostic(Level.WARNING, "date-invalid", "no date", f"p{number}.md", 3)
    source = Source(
        path=f"p{number}.md",
        abspath=f"/site/content/p{number}.md",
        metadata={"title": f"글 {number}", "tags": ["a", "b"], "date": T0},
        body=None,
        body_line=5,
        markup="markdown",
        size=1000 + number,
        mtime_ns=number,
        content_hash=f"{number:032x}",
        is_draft_file=False,
        folder_categories=("뉴스",),
        notes=(note,),
        collection="posts",
    )
    dates = PostDates(ResolvedDate(T0, "front-matter:date"), ResolvedDate(T0, "git"))
    return Post(
        source=source,
        id=f"https://example.com/p{number}.html",
        title=f"글 {number}",
        permalink=f"/p{number}.html",
        url=f"https://example.com/p{number}.html",
        dates=dates,
        excerpt="요약",
        categories=("뉴스",),
        tags=("a", "b"),
        author=Author("기자", "reporter@example.com", "https://example.com/reporter"),
        image="/img/a.png",
        lang="ko",
        is_draft=False,
    )


def test_every_model_comes_back_from_a_pickle_equal_with_every_field():
    post = make_post(1)
    item = Item(
        post,
        "<p>본문</p>",
        "<p>요약</p>",
        "요약",
        "https://example.com/img/a.png",
        Enclosure("https://example.com/img/a.png", 123, "image/png"),
        {"_timeline": {"events": []}},
    )
    records = [
        post,
        item,
        FeedSpec("tag:a", "tag", "a", "tags/a/", "tags/a/", "사이트 · a", (post, post), 3, 2, 4),
        Artifact("rss.xml", b"<rss/>", "application/rss+xml", "site"),
        LedgerEntry("id", "p1.md", "h", T0, T0, T0, 7),
        CachedSource("p1.md", 10, 11, "h", {"title": "t"}, 4, "html", True, ("a",), ()),
        QueuedPing("https://example.com/rss.xml", "https://hub", T0, 2, "timeout", "queued", T0),
    ]
    model_classes = {
        value
        for value in vars(models).values()
        if isinstance(value, type) and is_dataclass(value) and value.__module__ == models.__name__
    }
    nested = {Source, PostDates, ResolvedDate, Author, Enclosure}  # inside post and item
    assert {type(record) for record in records} | nested == model_classes
    for record in records:
        copy = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(copy) is type(record)
        assert copy == record  # every field, nested records too
    # Shared objects stay shared: a spec's two posts are one object again.
    spec = pickle.loads(pickle.dumps(records[2]))
    assert spec.posts[0] is spec.posts[1]


def test_an_item_waiting_for_its_feed_job_comes_back_equal_and_takes_little_room():
    from feedkit._parallel import _packed, _unpacked

    post = make_post(1)
    paragraph = "<p>태풍 북상에 따른 피해를 강조했다. 서울시는 이번 방문에 주목한다.</p>"
    html = paragraph * 100
    item = Item(post, html, paragraph, "요약", None, None, {"_timeline": {"events": []}})
    data = _packed(item)
    assert _unpacked(post, data) == item
    assert _unpacked(post, data).post is post  # the caller's post: not in the bytes
    assert len(data) < len(html.encode("utf-8")) / 4  # compressed (HTML repeats itself)
