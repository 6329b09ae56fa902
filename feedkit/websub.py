"""WebSub publishing (W3C WebSub Recommendation, section 7): pinging hubs about feeds.

After a build, every subscription feed whose bytes changed is queued in the state
database, one ping per feed and hub. :func:`send_pings` delivers them: one form-encoded
POST per feed (``hub.mode=publish`` with both ``hub.url`` and ``hub.topic``, since hubs
differ in which they read), each hub in its own thread so that a hub that is down
never delays the others. 2xx is delivered; 429, 5xx, timeouts and connection errors are
retried with exponential backoff and jitter, honouring ``Retry-After``, until the run's
time budget is spent; any other answer is a failure that is not retried. What is not
delivered stays queued, with the reason, for the next run or ``feedkit ping``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    import requests

__all__ = [
    "USER_AGENT",
    "Ping",
    "PingOutcome",
    "PingResult",
    "RetryPolicy",
    "send_pings",
]

USER_AGENT = f"feedkit/{__version__} (+https://pypi.org/project/feedkit/)"


@dataclass(frozen=True)
class Ping:
    """One publish notification to send: this feed changed, tell this hub."""

    feed_url: str
    hub: str
    attempts: int = 0  # attempts made in earlier runs


class PingOutcome(StrEnum):
    """What became of a ping in this run."""

    DELIVERED = "delivered"  # the hub answered 2xx
    QUEUED = "queued"  # worth retrying later (429, 5xx, timeout, connection error)
    FAILED = "failed"  # the hub refused it (another 4xx); not retried


@dataclass(frozen=True)
class PingResult:
    """A ping with its outcome, the attempts made in this run and the last error."""

    ping: Ping
    outcome: PingOutcome
    attempts: int
    error: str | None = None
    status: int | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try within one run.

    ``budget`` bounds the whole run's waiting, in seconds; ``timeout`` bounds each
    request (a hub that fetches the feed before answering needs a few seconds).
    """

    budget: float = 30.0
    timeout: float = 10.0
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _backoff(attempt: int, policy: RetryPolicy, rng: random.Random) -> float:
    # "Full jitter": spread retries from many publishers instead of synchronising them.
    ceiling = min(policy.max_delay, policy.base_delay * (2**attempt))
    return rng.uniform(policy.base_delay / 2, ceiling)


def _send_one(
    ping: Ping,
    session: requests.Session,
    policy: RetryPolicy,
    deadline: float,
    rng: random.Random,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> PingResult:
    import requests

    data = {"hub.mode": "publish", "hub.url": ping.feed_url, "hub.topic": ping.feed_url}
    headers = {"User-Agent": USER_AGENT}
    error: str | None = None
    status: int | None = None
    attempt = 0
    while attempt < policy.max_attempts:
        attempt += 1
        remaining = deadline - clock()
        if remaining <= 0:
            attempt -= 1
            error = error or "not tried: this run's time budget was spent"
            break
        wait: float | None = None
        try:
            response = session.post(
                ping.hub,
                data=data,
                headers=headers,
                timeout=min(policy.timeout, remaining),
                allow_redirects=True,
            )
        except requests.Timeout:
            error, status = "timed out", None
        except requests.RequestException as exc:
            error, status = f"cannot connect: {type(exc).__name__}", None
        else:
            status = response.status_code
            if 200 <= status < 300:
                return PingResult(ping, PingOutcome.DELIVERED, attempt, status=status)
            reason = (response.reason or "").strip()
            error = f"HTTP {status} {reason}".strip()
            if status != 429 and status < 500:
                return PingResult(ping, PingOutcome.FAILED, attempt, error, status)
            wait = _retry_after(response.headers.get("Retry-After"), time.time())
        if attempt >= policy.max_attempts:
            break
        delay = wait if wait is not None else _backoff(attempt - 1, policy, rng)
        if clock() + delay >= deadline:
            error = f"{error}; next try after this run's time budget"
            break
        sleep(delay)
    return PingResult(ping, PingOutcome.QUEUED, attempt, error, status)


def send_pings(
    pings: Iterable[Ping],
    *,
    session_factory: Callable[[], requests.Session] | None = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    seed: int | None = None,
) -> list[PingResult]:
    """Send ``pings``, each hub in its own thread; return one result per ping, in order.

    ``session_factory`` makes one ``requests.Session`` per hub (sessions are not shared
    between threads). Never raises for a hub's failure: each outcome is in its result.
    """
    import requests

    policy = policy or RetryPolicy()
    factory = session_factory or requests.Session
    todo = list(pings)
    by_hub: dict[str, list[Ping]] = {}
    for ping in todo:
        by_hub.setdefault(ping.hub, []).append(ping)
    deadline = clock() + policy.budget
    results: dict[Ping, PingResult] = {}
    lock = threading.Lock()

    def run_hub(hub_pings: Sequence[Ping], hub_seed: int | None) -> None:
        rng = random.Random(hub_seed)
        unavailable: PingResult | None = None
        with factory() as session:
            for ping in hub_pings:
                if unavailable is not None:
                    # The hub did not take the last ping however long we tried: the
                    # others wait in the queue rather than spend the run's time again.
                    error = f"not tried: the hub was unavailable ({unavailable.error})"
                    result = PingResult(ping, PingOutcome.QUEUED, 0, error, unavailable.status)
                else:
                    result = _send_one(ping, session, policy, deadline, rng, sleep, clock)
                    if result.outcome is PingOutcome.QUEUED:
                        unavailable = result
                with lock:
                    results[ping] = result

    if by_hub:
        with ThreadPoolExecutor(max_workers=len(by_hub), thread_name_prefix="websub") as pool:
            futures = [
                pool.submit(run_hub, hub_pings, None if seed is None else seed + index)
                for index, hub_pings in enumerate(by_hub.values())
            ]
            for future in futures:
                future.result()
    return [results[ping] for ping in todo]
