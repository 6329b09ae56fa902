#!/usr/bin/env python3
"""End-to-end proof: topic server -> real hub (subprocess) -> subscriber.

    FEEDKIT_HUB_PYTHON=/tmp/hubvenv/bin/python python3 demo_roundtrip.py
    python3 demo_roundtrip.py --hub-python /tmp/hubvenv/bin/python [--no-link]

Runs with any Python 3.11 (stdlib only); the hub runs under --hub-python /
$FEEDKIT_HUB_PYTHON (default: this interpreter).  --no-link serves the feed
without a Link header and starts the hub with --lenient-links.
Exits 0 on success and prints timings.
"""

import argparse
import functools
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from subscriber import Subscriber, publish  # noqa: E402

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:feedkit:demo</id>
  <title>demo</title>
  <updated>2024-01-0{n}T00:00:00Z</updated>
  <link rel="self" href="{topic}"/>
  <link rel="hub" href="{hub}"/>
{entries}</feed>
"""
ENTRY = """  <entry><id>urn:feedkit:demo:{i}</id><title>Entry {i}</title>
    <updated>2024-01-0{i}T00:00:00Z</updated></entry>
"""


def write_feed(path, n, topic, hub):
    entries = "".join(ENTRY.format(i=i) for i in range(n, 0, -1))
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(ATOM.format(n=n, topic=topic, hub=hub, entries=entries))
    os.replace(tmp, path)


def start_hub(python, db, extra=(), timeout=30.0):
    """Start hub_app.py; return (proc, hub_url). Reads the READY line."""
    cmd = [python, os.path.join(HERE, "hub_app.py"), "--port", "0", "--db", db, *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    result = {}

    def read_ready():
        result["line"] = proc.stdout.readline()

    t = threading.Thread(target=read_ready, daemon=True)
    t.start()
    t.join(timeout)
    line = result.get("line", "")
    if not line.startswith("READY "):
        stop_hub(proc)
        raise RuntimeError(f"hub did not start (rc={proc.returncode}, line={line!r})")
    return proc, line.split()[1]


def stop_hub(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hub-python", default=os.environ.get("FEEDKIT_HUB_PYTHON", sys.executable))
    ap.add_argument("--no-link", action="store_true")
    args = ap.parse_args()

    t0 = time.monotonic()
    marks = []

    def mark(what):
        marks.append((what, time.monotonic() - t0))

    work = tempfile.mkdtemp(prefix="feedkit-websub-demo-")
    feed_path = os.path.join(work, "feed.atom")
    hub_url_box = [""]

    class TopicHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def end_headers(self):
            if not args.no_link and self.path.endswith("feed.atom"):
                self.send_header("Link", f'<{hub_url_box[0]}>; rel="hub", <{topic}>; rel="self"')
            super().end_headers()

        def guess_type(self, path):
            if path.endswith(".atom"):
                return "application/atom+xml"
            return super().guess_type(path)

    topic_srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(TopicHandler, directory=work)
    )
    topic_srv.daemon_threads = True
    topic = f"http://127.0.0.1:{topic_srv.server_port}/feed.atom"
    threading.Thread(target=topic_srv.serve_forever, daemon=True).start()

    proc = None
    sub = Subscriber(secret=f"demo-secret-{os.getpid()}").start()
    try:
        proc, hub_url = start_hub(
            args.hub_python,
            os.path.join(work, "hub.sqlite3"),
            ["--lenient-links"] if args.no_link else [],
        )
        hub_url_box[0] = hub_url
        mark("hub READY")
        write_feed(feed_path, 1, topic, hub_url)

        status = sub.subscribe(hub_url, topic, lease_seconds=600)
        mark(f"subscribe answered {status}")
        assert status == 202, status
        v = sub.wait_for_verification(10)
        assert v.mode == "subscribe" and v.topic == topic and v.answered, v
        mark(f"verification seen (lease={v.lease_seconds})")

        write_feed(feed_path, 2, topic, hub_url)
        status = publish(hub_url, topic)
        mark(f"publish answered {status}")
        assert status == 202, status
        body, headers, sig_ok = sub.wait_for_distribution(15)
        mark("distribution received")
        assert b"urn:feedkit:demo:2" in body, body[:200]
        assert sig_ok, headers.get("X-Hub-Signature")
        sig = (headers.get("X-Hub-Signature") or "")[:20]
        print(
            f"distribution: {len(body)} bytes, "
            f"Content-Type={headers.get('Content-Type')}, X-Hub-Signature={sig}..."
        )
        print(f"distribution Link: {headers.get('Link')}")

        status = sub.unsubscribe(hub_url, topic)
        v = sub.wait_for_verification(10)
        assert status == 202 and v.mode == "unsubscribe" and v.answered, v
        write_feed(feed_path, 3, topic, hub_url)
        publish(hub_url, topic)
        try:
            sub.wait_for_distribution(1)
            raise AssertionError("distribution after unsubscribe")
        except TimeoutError:
            pass
        mark("unsubscribe verified, no more distributions")
    finally:
        rc = stop_hub(proc) if proc else None
        mark(f"hub stopped rc={rc}")
        sub.stop()
        topic_srv.shutdown()
        topic_srv.server_close()

    for what, t in marks:
        print(f"{t:7.3f}s  {what}")
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
