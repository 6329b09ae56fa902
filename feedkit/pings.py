"""Sending the WebSub pings a build queued: the API behind ``build --ping`` and ``feedkit
ping`` (the protocol itself is in :mod:`feedkit.websub`)."""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .models import QueuedPing
from .settings import Settings
from .state import State, lock_state

if TYPE_CHECKING:
    import requests

    from .websub import PingResult

__all__ = ["PingSummary", "changed_feed_urls", "deliver_pings", "ping_queue", "send_queued_pings"]


@dataclass(frozen=True)
class PingSummary:
    """What became of the WebSub pings of a run."""

    queued_now: int  # pings added to the queue by this run (feeds that changed)
    delivered: int
    failed: int  # refused by a hub; not retried
    still_queued: int  # left in the queue for a later run
    results: tuple[PingResult, ...] = ()
    waited_seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        """Return the summary as a JSON-ready mapping."""
        return {
            "queued_now": self.queued_now,
            "delivered": self.delivered,
            "failed": self.failed,
            "still_queued": self.still_queued,
            "waited_seconds": round(self.waited_seconds, 3),
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

    queued = state.pings(status="queued")
    pings = [Ping(q.feed_url, q.hub, q.attempts) for q in queued]
    if dry_run:
        return PingSummary(
            0,
            0,
            0,
            len(pings),
            tuple(PingResult(p, PingOutcome.QUEUED, 0, "dry run: not sent") for p in pings),
        )
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


def ping_queue(settings: Settings) -> list[QueuedPing]:
    """Return the pings waiting (or refused) in the state database, oldest first."""
    if not settings.state.path.is_file():
        return []
    with State(settings.state.path) as state:
        return state.pings()
