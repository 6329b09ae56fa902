"""WebSub publishing: discovery links in every feed, and pings that are sent only when a
feed changed and are never lost. Pings go to scripted hubs on 127.0.0.1 and, in the last
test, to a real Flask-WebSub hub."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import feedparser
import lxml.etree
import pytest

from feedkit import __version__
from feedkit.diagnostics import Diagnostics
from feedkit.pings import ping_queue, send_queued_pings
from feedkit.pipeline import BuildResult, build
from feedkit.settings import load_settings
from feedkit.websub import Ping, PingOutcome, RetryPolicy, send_pings

from .conftest import REPO_ROOT, write_post

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2025, 5, 1, 9, 0, tzinfo=SEOUL)
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class FakeHub:
    """A scripted hub: answers each ping with the next (status, headers) of its script."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[dict[str, object]] = field(default_factory=list)
    url: str = ""

    def answer(self) -> tuple[int, dict[str, str]]:
        return self.script.pop(0) if self.script else (202, {})


@pytest.fixture
def hub_factory() -> Iterator[Callable[..., FakeHub]]:
    servers = []

    def start(*script: tuple[int, dict[str, str]] | int) -> FakeHub:
        hub = FakeHub([s if isinstance(s, tuple) else (s, {}) for s in script])

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                hub.requests.append(
                    {"form": parse_qs(body), "headers": dict(self.headers), "at": time.monotonic()}
                )
                status, headers = hub.answer()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        hub.url = f"http://127.0.0.1:{server.server_address[1]}/hub"
        return hub

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def dead_hub_url() -> str:
    """A hub URL on which nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hub"


def make_site(root: Path, hubs: list[str], *, budget: float = 5.0) -> None:
    hub_list = ", ".join(json.dumps(h) for h in hubs)
    (root / "feedkit.toml").write_text(
        '[site]\nurl = "https://example.com"\ntitle = "Hubbed"\ntimezone = "Asia/Seoul"\n'
        "[feeds]\ncategories = false\ntags = false\ntimeline = false\n"
        f"[websub]\nhubs = [{hub_list}]\nbudget = {budget}\ntimeout = 2\n",
        encoding="utf-8",
    )
    write_post(root / "content", "first.md", "title: First\ndate: 2025-04-01")


def run(root: Path, *, now: datetime = NOW, ping: bool = True) -> BuildResult:
    settings = load_settings(root / "feedkit.toml")
    return build(settings, now=now, ping=ping, diagnostics=Diagnostics())


FEEDS = {
    "https://example.com/rss.xml",
    "https://example.com/atom.xml",
    "https://example.com/feed.json",
}


def test_every_feed_advertises_its_hubs_and_one_self_link(tmp_path):
    make_site(tmp_path, ["https://hub.example/a", "https://hub.example/b"])
    run(tmp_path, ping=False)
    out = tmp_path / "public"
    atom = lxml.etree.parse(str(out / "atom.xml")).getroot()
    rels = [(link.get("rel"), link.get("href")) for link in atom.findall(f"{ATOM}link")]
    assert ("hub", "https://hub.example/a") in rels and ("hub", "https://hub.example/b") in rels
    assert [href for rel, href in rels if rel == "self"] == ["https://example.com/atom.xml"]
    channel = lxml.etree.parse(str(out / "rss.xml")).getroot().find("channel")
    rss_links = [(link.get("rel"), link.get("href")) for link in channel.findall(f"{ATOM}link")]
    assert sorted(rel for rel, _ in rss_links) == ["hub", "hub", "self"]
    assert channel.findtext("link") == "https://example.com/"  # not the last link added
    parsed = feedparser.parse((out / "rss.xml").read_bytes())
    assert parsed.bozo == 0
    document = json.loads((out / "feed.json").read_text("utf-8"))
    assert document["hubs"] == [
        {"type": "WebSub", "url": "https://hub.example/a"},
        {"type": "WebSub", "url": "https://hub.example/b"},
    ]


def test_changed_feeds_are_pinged_with_both_url_fields(tmp_path, hub_factory):
    one, two = hub_factory(), hub_factory()
    make_site(tmp_path, [one.url, two.url])
    result = run(tmp_path)
    assert result.pings.delivered == 6 and result.pings.still_queued == 0
    for hub in (one, two):
        topics = {r["form"]["hub.topic"][0] for r in hub.requests}
        assert topics == FEEDS
        for request in hub.requests:
            form = request["form"]
            assert form["hub.mode"] == ["publish"]
            assert form["hub.url"] == form["hub.topic"]
            assert request["headers"]["User-Agent"].startswith(f"feedkit/{__version__}")
            assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert ping_queue(load_settings(tmp_path / "feedkit.toml")) == []


def test_no_ping_when_nothing_changed(tmp_path, hub_factory):
    hub = hub_factory()
    make_site(tmp_path, [hub.url])
    run(tmp_path)
    hub.requests.clear()
    result = run(tmp_path, now=NOW + timedelta(minutes=5))
    assert hub.requests == [] and result.pings.queued_now == 0


def test_only_the_changed_feeds_are_pinged(tmp_path, hub_factory):
    hub = hub_factory()
    make_site(tmp_path, [hub.url])
    (tmp_path / "feedkit.toml").write_text(
        (tmp_path / "feedkit.toml").read_text().replace("categories = false", "categories = true")
    )
    write_post(
        tmp_path / "content", "second.md", "title: Second\ndate: 2025-04-02\ncategories: [뉴스]"
    )
    run(tmp_path)
    hub.requests.clear()
    write_post(tmp_path / "content", "first.md", "title: First\ndate: 2025-04-01", "Edited.\n")
    run(tmp_path, now=NOW + timedelta(minutes=5))
    assert {r["form"]["hub.topic"][0] for r in hub.requests} == FEEDS  # not categories/뉴스/


@pytest.mark.parametrize("status", [202, 204, 200])
def test_any_2xx_is_delivered(tmp_path, hub_factory, status):
    hub = hub_factory(*[status] * 3)
    make_site(tmp_path, [hub.url])
    assert run(tmp_path).pings.delivered == 3


def test_503_with_retry_after_is_retried(tmp_path, hub_factory):
    hub = hub_factory((503, {"Retry-After": "1"}))
    make_site(tmp_path, [hub.url])
    result = run(tmp_path)
    assert result.pings.delivered == 3
    retried = [r for r in result.pings.results if r.attempts == 2]
    assert len(retried) == 1
    first, second = hub.requests[0], hub.requests[1]
    assert second["at"] - first["at"] >= 0.95  # Retry-After honoured


def test_retry_after_as_http_date_and_backoff_use_the_given_sleep(hub_factory):
    hub = hub_factory((429, {"Retry-After": "7"}), 500, 503, 202)
    slept: list[float] = []
    results = send_pings(
        [Ping("https://example.com/atom.xml", hub.url)],
        policy=RetryPolicy(budget=60, max_attempts=5),
        sleep=slept.append,
        seed=1,
    )
    assert results[0].outcome is PingOutcome.DELIVERED and results[0].attempts == 4
    assert slept[0] == 7.0
    assert all(0 < delay <= 8 for delay in slept[1:])
    assert slept[2] > 0  # exponential backoff with jitter between 5xx answers


def test_a_run_with_nothing_to_do_reports_the_queue_and_pings_it_only_when_asked(
    tmp_path, hub_factory
):
    hub = hub_factory(204, 204, 204)
    make_site(tmp_path, [hub.url])
    for path in (tmp_path / "content").iterdir():
        os.utime(path, (0, 0))  # old enough for the last build to be reused
    first = run(tmp_path, ping=False)
    assert (first.pings.queued_now, first.pings.still_queued) == (3, 3)
    idle = run(tmp_path, ping=False)
    assert idle.reused and (idle.pings.queued_now, idle.pings.still_queued) == (0, 3)
    assert hub.requests == []
    pinged = run(tmp_path)
    assert pinged.reused and (pinged.pings.delivered, pinged.pings.still_queued) == (3, 0)
    assert len(hub.requests) == 3


def test_400_is_reported_and_not_retried(tmp_path, hub_factory):
    hub = hub_factory(400, 400, 400)
    make_site(tmp_path, [hub.url])
    result = run(tmp_path)
    assert result.pings.failed == 3 and len(hub.requests) == 3
    queue = ping_queue(load_settings(tmp_path / "feedkit.toml"))
    assert {q.status for q in queue} == {"failed"}
    assert all(q.last_error.startswith("HTTP 400") for q in queue)


def test_a_dead_hub_queues_and_the_next_run_drains_the_queue(tmp_path, hub_factory):
    url = dead_hub_url()
    make_site(tmp_path, [url], budget=1.0)
    result = run(tmp_path)
    assert result.pings.still_queued == 3 and result.pings.delivered == 0
    # Once the hub has failed one ping, the others wait in the queue without trying.
    assert [r.attempts > 0 for r in result.pings.results].count(True) == 1
    settings = load_settings(tmp_path / "feedkit.toml")
    queue = ping_queue(settings)
    assert len(queue) == 3 and all("cannot connect" in q.last_error for q in queue)
    # Changed again while queued: still one ping per feed and hub.
    write_post(tmp_path / "content", "first.md", "title: First\ndate: 2025-04-01", "Again.\n")
    run(tmp_path, now=NOW + timedelta(minutes=5))
    assert len(ping_queue(settings)) == 3
    # The hub comes back on the same port: `feedkit ping` drains the queue.
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    received: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append(parse_qs(body)["hub.topic"][0])
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        summary = send_queued_pings(settings, now=NOW + timedelta(minutes=10))
    finally:
        server.shutdown()
        server.server_close()
    assert summary.delivered == 3 and set(received) == FEEDS
    assert ping_queue(settings) == []


def test_one_dead_hub_does_not_delay_the_others(tmp_path, hub_factory):
    # A hub that accepts connections but never answers: each ping waits for the timeout.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        quick = hub_factory()
        slow_url = f"http://127.0.0.1:{silent.getsockname()[1]}/hub"
        make_site(tmp_path, [slow_url, quick.url], budget=3.0)
        started = time.monotonic()
        result = run(tmp_path)
        assert result.pings.delivered == 3 and result.pings.still_queued == 3
        assert max(r["at"] for r in quick.requests) - started < 1.5
        assert result.pings.waited_seconds <= 3.0 + 2.5  # bounded by the run's budget
    finally:
        silent.close()


def test_ping_status_and_dry_run_from_the_cli(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from feedkit.cli import main

    make_site(tmp_path, [dead_hub_url()], budget=0.5)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    built = runner.invoke(main, ["build", "--now", NOW.isoformat()])
    assert built.exit_code == 0  # pings only queued: the build still succeeds
    status = runner.invoke(main, ["ping", "--status", "--json"])
    rows = json.loads(status.stdout)
    assert len(rows) == 3 and {row["status"] for row in rows} == {"queued"}
    dry = runner.invoke(main, ["ping", "--dry-run", "--json"])
    assert dry.exit_code == 0
    assert {r["outcome"] for r in json.loads(dry.stdout)["results"]} == {"queued"}
    sent = runner.invoke(main, ["ping"])
    assert sent.exit_code == 75  # the hub is still down: worth retrying later
    assert len(json.loads(runner.invoke(main, ["ping", "--status", "--json"]).stdout)) == 3


def test_serve_sends_hub_and_self_link_headers(tmp_path, monkeypatch):
    from feedkit.cli import _feed_links

    make_site(tmp_path, ["https://hub.example/"])
    links = _feed_links(load_settings(tmp_path / "feedkit.toml"))
    assert links("/atom.xml") == [
        ("https://hub.example/", "hub"),
        ("https://example.com/atom.xml", "self"),
    ]
    assert links("/archive/1.xml") == []


# --- a real hub ---------------------------------------------------------------------

HUB_APP = REPO_ROOT / "tests" / "websub_support" / "hub_app.py"


@pytest.fixture
def real_hub(tmp_path: Path) -> Iterator[str]:
    python = os.environ.get("FEEDKIT_HUB_PYTHON", sys.executable)
    probe = subprocess.run([python, "-c", "import flask_websub"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(
            "Flask-WebSub is not installed (pip install -r tests/websub_support/requirements.txt)"
        )
    log = (tmp_path / "hub.log").open("w")
    process = subprocess.Popen(
        [python, str(HUB_APP), "--port", "0", "--db", str(tmp_path / "hub.sqlite3")],
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("READY "), (tmp_path / "hub.log").read_text()
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@pytest.mark.slow
def test_a_real_hub_delivers_the_new_entry_to_a_subscriber(tmp_path, real_hub):
    sys.path.insert(0, str(REPO_ROOT / "tests" / "websub_support"))
    try:
        from subscriber import Subscriber
    finally:
        sys.path.pop(0)
    from feedkit.cli import _feed_links
    from feedkit.serve import make_server, serve_forever_in_thread

    # The site is served on 127.0.0.1, so its URL (and each feed's topic) is that address.
    port = int(dead_hub_url().rsplit(":", 1)[1].split("/")[0])  # a free port
    site_url = f"http://127.0.0.1:{port}"
    (tmp_path / "feedkit.toml").write_text(
        f'[site]\nurl = "{site_url}"\ntitle = "Real"\ntimezone = "Asia/Seoul"\n'
        f"[feeds]\ncategories = false\ntags = false\n"
        f'[websub]\nhubs = ["{real_hub}"]\nbudget = 20\ntimeout = 15\n',
        encoding="utf-8",
    )
    write_post(tmp_path / "content", "first.md", "title: First\ndate: 2025-04-01")
    settings = load_settings(tmp_path / "feedkit.toml")
    (tmp_path / "public").mkdir()
    server = make_server(tmp_path / "public", port=port, link_headers=_feed_links(settings))
    serve_forever_in_thread(server)
    try:
        run(tmp_path)
        topic = f"{site_url}/atom.xml"
        with Subscriber(secret="s3cret-feedkit") as subscriber:
            assert subscriber.subscribe(real_hub, topic, lease_seconds=600) == 202
            subscriber.wait_for_verification(10)
            write_post(tmp_path / "content", "second.md", "title: 두 번째 글\ndate: 2025-04-02")
            result = run(tmp_path, now=NOW + timedelta(minutes=5))
            assert result.pings.delivered == 3, result.pings.as_dict()
            body, headers, signature_ok = subscriber.wait_for_distribution(15)
        assert signature_ok and headers.get("X-Hub-Signature")
        titles = [entry.title for entry in feedparser.parse(body).entries]
        assert "두 번째 글" in titles
    finally:
        server.shutdown()
        server.server_close()
