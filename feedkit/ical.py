"""Timeline events as JSON Feed extension data and as an iCalendar file (RFC 5545).

Pure: events and posts in, a JSON-ready mapping or the bytes of ``timeline.ics`` out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, timedelta
from typing import Any
from urllib.parse import urlsplit

from . import __version__
from ._datexpr import Precision
from .models import Post
from .timeline import TimelineEvent

__all__ = ["TIMELINE_EXTENSION", "timeline_calendar", "timeline_extension"]

# JSON Feed 1.1 "Extensions": a key starting with "_", an object with an "about" URL.
TIMELINE_EXTENSION = "_timeline"
TIMELINE_ABOUT = "https://pypi.org/project/feedkit/#timeline"


def timeline_extension(events: Sequence[TimelineEvent]) -> dict[str, Any] | None:
    """Return the ``_timeline`` object of a JSON Feed item, or None when there are no events."""
    if not events:
        return None
    rows = []
    for event in events:
        row: dict[str, Any] = {"date_text": event.date_text, "text": event.text}
        if event.span is not None:
            row["start"] = event.span.start.isoformat()
            row["end"] = event.span.end.isoformat()
            row["precision"] = event.span.precision.name.lower()
        rows.append(row)
    return {"about": TIMELINE_ABOUT, "events": rows}


def _uid(post: Post, event: TimelineEvent) -> str:
    digest = hashlib.sha1(f"{post.id}#{event.table}.{event.row}".encode()).hexdigest()
    return f"{digest[:24]}@{urlsplit(post.url).hostname or 'feedkit'}"


def timeline_calendar(
    posts_events: Iterable[tuple[Post, Sequence[TimelineEvent]]], *, name: str
) -> bytes:
    """Return ``timeline.ics``: one VEVENT per dated row of day precision or finer.

    Day events are all-day (``DTSTART;VALUE=DATE``, exclusive ``DTEND``); timed events
    are written in UTC. UIDs derive from the post's id and the row's place, so they stay
    stable across builds; ``DTSTAMP`` is the post's updated instant, never the clock.
    """
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//feedkit//feedkit {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for post, events in posts_events:
        for event in events:
            span = event.span
            if span is None or span.precision < Precision.DAY:
                continue
            vevent = icalendar.Event()
            vevent.add("uid", _uid(post, event))
            vevent.add("dtstamp", post.updated_at.astimezone(UTC))
            if span.precision == Precision.DAY:
                vevent.add("dtstart", span.start.date())
                vevent.add("dtend", span.end.date() + timedelta(days=1))
            else:
                vevent.add("dtstart", span.start.astimezone(UTC))
                if span.end != span.start:
                    vevent.add("dtend", span.end.astimezone(UTC))
            vevent.add("summary", event.text or post.title)
            vevent.add("description", f"{post.title} ({event.date_text})")
            vevent.add("url", post.url)
            calendar.add_component(vevent)
    data: bytes = calendar.to_ical()
    return data
