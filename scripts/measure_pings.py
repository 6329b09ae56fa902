"""Measure WebSub pinging with three hubs on 127.0.0.1, one of them down.

Usage::

    python scripts/measure_pings.py [--down refused|silent] [--budget SECONDS]

Two hubs answer 202; the third either refuses connections (``refused``) or accepts them
and never answers (``silent``, the worse case: each ping waits for its timeout). A small
site is built with ``build(..., ping=True)``; the script prints how many pings were
delivered and queued and how long the build waited on the pings, then drains the queue
once the dead hub comes back.
"""

from __future__ import annotations

import argparse
import http.server
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from feedkit.diagnostics import Diagnostics
from feedkit.pipeline import build
from feedkit.settings import load_settings


def start_hub(port: int = 0) -> http.server.ThreadingHTTPServer:
    """A hub that answers every publish ping with 202."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    """Run the measurement and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down", choices=("refused", "silent"), default="silent")
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=3.0)
    options = parser.parse_args()
    hubs = [start_hub(), start_hub()]
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    if options.down == "silent":
        dead.listen(64)
    else:
        dead.close()
    urls = [f"http://127.0.0.1:{h.server_address[1]}/hub" for h in hubs]
    urls.append(f"http://127.0.0.1:{dead_port}/hub")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        hub_list = ", ".join(f'"{url}"' for url in urls)
        (root / "feedkit.toml").write_text(
            '[site]\nurl = "https://example.com"\ntitle = "Pings"\n'
            f"[websub]\nhubs = [{hub_list}]\nbudget = {options.budget}\n"
            f"timeout = {options.timeout}\n",
            encoding="utf-8",
        )
        (root / "content").mkdir()
        (root / "content" / "a.md").write_text(
            "---\ntitle: A\ndate: 2025-01-01\ncategories: [news]\n---\nBody.\n"
        )
        settings = load_settings(root / "feedkit.toml")
        started = time.monotonic()
        result = build(
            settings, now=datetime(2025, 6, 1, tzinfo=UTC), ping=True, diagnostics=Diagnostics()
        )
        elapsed = time.monotonic() - started
        pings = result.pings
        assert pings is not None
        per_hub: dict[str, list[str]] = {}
        for ping in pings.results:
            per_hub.setdefault(ping.ping.hub, []).append(ping.outcome.value)
        print(f"hubs: 3 (one {options.down}); feeds changed: {len(pings.results) // 3}")
        print(
            f"pings delivered: {pings.delivered}, queued: {pings.still_queued}, "
            f"failed: {pings.failed}"
        )
        print(f"time spent pinging: {pings.waited_seconds:.2f} s (whole build {elapsed:.2f} s)")
        for hub, outcomes in per_hub.items():
            print(f"  {hub}: {', '.join(sorted(set(outcomes)))} x{len(outcomes)}")
        if options.down == "silent":
            dead.close()
        revived = start_hub(dead_port)
        from feedkit.pings import send_queued_pings

        drained = send_queued_pings(settings, now=datetime(2025, 6, 1, 0, 5, tzinfo=UTC))
        print(
            f"after the hub came back: delivered {drained.delivered}, "
            f"still queued {drained.still_queued}"
        )
        revived.shutdown()
    for hub in hubs:
        hub.shutdown()


if __name__ == "__main__":
    main()
