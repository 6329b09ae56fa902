"""Work spread over worker processes gives what the main process would."""

from __future__ import annotations

import pytest


def test_map_ahead_keeps_order_and_never_gives_the_pool_more_than_it_may():
    from concurrent.futures import ThreadPoolExecutor

    from feedkit._parallel import map_ahead

    submitted: list[int] = []

    class CountingPool(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            submitted.append(args[0])
            return super().submit(fn, *args, **kwargs)

    taken = 0
    with CountingPool(max_workers=3) as pool:
        for result in map_ahead(pool, lambda n: n * n, range(50), ahead=4):
            assert result == taken * taken
            taken += 1
            # Each job is submitted before the results of the four before it are taken.
            assert len(submitted) - taken <= 4 - 1
    assert taken == 50 and submitted == list(range(50))


def test_map_ahead_cancels_what_was_not_taken():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from feedkit._parallel import map_ahead

    gate = threading.Event()
    ran: list[int] = []

    def job(n: int) -> int:
        if n > 0:
            gate.wait(5)
        ran.append(n)
        return n

    with ThreadPoolExecutor(max_workers=1) as pool:
        results = map_ahead(pool, job, range(10), ahead=5)
        assert next(results) == 0
        results.close()  # jobs 1-4 were submitted: all but a started one are cancelled
        gate.set()
    assert ran in ([0], [0, 1])


def test_posts_resolved_in_workers_hold_the_sources_read_here(site_settings):
    """A worker sends a resolved post back without its source: the post holds the very
    source the main process read (not a second copy of every source, on a large first
    build), and is the post that resolving it here gives, with its signature part."""
    from feedkit._parallel import resolve_in_workers
    from feedkit._rebuild import post_signature
    from feedkit.collect import collect_sources
    from feedkit.dates import resolve_post
    from feedkit.diagnostics import Diagnostics

    from .conftest import BUNDLED_NOW

    sources = collect_sources(site_settings, Diagnostics()).sources
    made = resolve_in_workers(sources, {}, {}, site_settings, BUNDLED_NOW)
    if made is None:
        pytest.skip("one core: nothing is resolved in workers")
    assert len(sources) >= 6
    for source in sources:
        here = Diagnostics()
        expected = resolve_post(
            source, None, None, settings=site_settings, now=BUNDLED_NOW, diagnostics=here
        )
        post, found, signature = made[source.path]
        assert post == expected
        assert list(map(str, found)) == list(map(str, here))
        if post is not None:
            assert post.source is source
            assert signature == post_signature(expected)
        else:
            assert signature is None
