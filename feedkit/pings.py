"""Sending the WebSub pings a build queued: the API behind ``build --ping`` and ``feedkit
ping`` (the protocol itself is in :mod:`feedkit.websub`)."""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .models import QueuedPing
from .settings import Settings
from .state import State, lock_state

if TYPE_CHECKING:
    import requests

    from .websub import PingResult

__all__ = [
    "GIVE_UP_AFTER",
    "PingSummary",
    "changed_feed_urls",
    "clear_pings",
    "deliver_pings",
    "ping_queue",
    "queued_ping_dict",
    "send_queued_pings",
]


@dataclass(frozen=True)
class PingSummary:
    """What became of the WebSub pings of a run."""

    queued_now: int  # pings added to the queue by this run (feeds that changed)
    delivered: int
    failed: int  # refused by a hub; not retried
    still_queued: int  # left in the queue for a later run
    results: tuple[PingResult, ...] = ()
    waited_seconds: float = 0.0
    # Taken out of the queue without being sent: pings for a hub no longer configured,
    # and pings given up after GIVE_UP_AFTER in the queue.
    dropped: tuple[QueuedPing, ...] = ()
    given_up: tuple[QueuedPing, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """Return the summary as a JSON-ready mapping."""
        return {
            "queued_now": self.queued_now,
            "delivered": self.delivered,
            "failed": self.failed,
            "still_queued": self.still_queued,
            "waited_seconds": round(self.waited_seconds, 3),
            "dropped": [queued_ping_dict(q) for q in self.dropped],
            "given_up": [queued_ping_dict(q) for q in self.given_up],
            "results": [
                {
                    "feed_url": r.ping.feed_url,
                    "hub": r.ping.hub,
                    "outcome": r.outcome.value,
                    "attempts": r.attempts,
                    "status": r.status,
                    "error": r.error,
                }
                for r in self.results
            ],
        }


def queued_ping_dict(ping: QueuedPing) -> dict[str, object]:
    """A queued ping as a JSON-ready mapping (``ping --status --json``)."""
    return {
        "feed_url": ping.feed_url,
        "hub": ping.hub,
        "status": ping.status,
        "queued_at": ping.queued_at.isoformat(),
        "attempts": ping.attempts,
        "last_error": ping.last_error,
    }


# A ping still queued this long after it was queued is given up (and reported): a hub
# down for a week is gone, and the next change of the feed queues a fresh ping anyway.
GIVE_UP_AFTER = timedelta(days=7)


def changed_feed_urls(written: Iterable[str], settings: Settings) -> list[str]:
    """URLs of the subscription feeds among written files (archives and calendars are not
    subscription feeds: WebSub section 7 asks for the topics that changed)."""
    from .generate import FEED_FILES
    from .permalinks import encode_url_path

    names = tuple(FEED_FILES[fmt][0] for fmt in settings.feeds.formats)
    return [
        settings.site.root_url + encode_url_path(path)
        for path in written
        if path.endswith(names) and not path.startswith("archive/")
    ]


def deliver_pings(
    state: State,
    settings: Settings,
    *,
    now: datetime,
    session_factory: Callable[[], requests.Session] | None,
    dry_run: bool = False,
) -> PingSummary:
    from .websub import Ping, PingOutcome, PingResult, RetryPolicy, send_pings

    queue = state.pings()
    configured = set(settings.websub.hubs)
    dropped = tuple(q for q in queue if q.hub not in configured)
    given_up = tuple(
        q
        for q in queue
        if q.hub in configured and q.status == "queued" and now - q.queued_at > GIVE_UP_AFTER
    )
    gone = {(q.feed_url, q.hub) for q in (*dropped, *given_up)}
    queued = [q for q in queue if q.status == "queued" and (q.feed_url, q.hub) not in gone]
    pings = [Ping(q.feed_url, q.hub, q.attempts) for q in queued]
    if dry_run:
        return PingSummary(
            0,
            0,
            0,
            len(pings),
            tuple(PingResult(p, PingOutcome.QUEUED, 0, "dry run: not sent") for p in pings),
            dropped=dropped,
            given_up=given_up,
        )
    if gone:
        state.drop_pings(gone)
    policy = RetryPolicy(budget=settings.websub.budget, timeout=settings.websub.timeout)
    started = _time.perf_counter()
    results = send_pings(pings, session_factory=session_factory, policy=policy)
    waited = _time.perf_counter() - started
    state.record_pings(
        ((r.ping.feed_url, r.ping.hub, r.outcome.value, r.attempts, r.error) for r in results),
        now=now,
    )
    counts = {outcome: 0 for outcome in PingOutcome}
    for result in results:
        counts[result.outcome] += 1
    return PingSummary(
        0,
        counts[PingOutcome.DELIVERED],
        counts[PingOutcome.FAILED],
        counts[PingOutcome.QUEUED],
        tuple(results),
        waited,
        dropped=dropped,
        given_up=given_up,
    )


def send_queued_pings(
    settings: Settings,
    *,
    now: datetime,
    wait: float = 0.0,
    dry_run: bool = False,
    session_factory: Callable[[], requests.Session] | None = None,
) -> PingSummary:
    """Send the WebSub pings waiting in the state database (``feedkit ping``).

    For a deploy step between build and ping: the build queues the pings of the feeds it
    changed, and this sends them once the files are live. With ``dry_run`` nothing is
    sent and the queue is left as it is.
    """
    with lock_state(settings.state.path, wait=wait), State(settings.state.path) as state:
        return deliver_pings(
            state, settings, now=now, session_factory=session_factory, dry_run=dry_run
        )


def clear_pings(settings: Settings, *, hubs: Iterable[str] | None = None, wait: float = 0.0) -> int:
    """Remove from the queue every ping (queued or refused) for ``hubs``, or every ping
    when ``hubs`` is None (``feedkit ping --drop HUB`` / ``--clear``); return how many."""
    if not settings.state.path.is_file():
        return 0
    with lock_state(settings.state.path, wait=wait), State(settings.state.path) as state:
        queue = state.pings()
        wanted = None if hubs is None else set(hubs)
        gone = {(q.feed_url, q.hub) for q in queue if wanted is None or q.hub in wanted}
        state.drop_pings(gone)
        return len(gone)


def ping_queue(settings: Settings) -> list[QueuedPing]:
    """Return the pings waiting (or refused) in the state database, oldest first."""
    if not settings.state.path.is_file():
        return []
    with State(settings.state.path) as state:
        return state.pings()
