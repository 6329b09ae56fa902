"""Preview server: a real server on 127.0.0.1, polled the way feed readers and aggregators do."""

from __future__ import annotations

import gzip
import http.client
import logging
import os
import socket
import threading
import time
from email.utils import formatdate

import pytest
import requests

from feedkit import serve
from feedkit.errors import FeedkitError
from feedkit.serve import make_server, serve_forever_in_thread, watch_and_rebuild

ATOM_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<?xml-stylesheet href="/style.xsl" type="text/xsl"?>\n'
    b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>\n'
)
RSS_BODY = b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel/></rss>\n'
JSON_FEED_BODY = b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": []}\n'
HUB = "https://hub.example/"


def make_site(parent):
    """An output folder with one file of each kind, plus a secret just outside it."""
    root = parent / "public"
    files = {
        "atom.xml": ATOM_BODY,
        "rss.xml": RSS_BODY,
        "feed.json": JSON_FEED_BODY,
        "archive/2024.xml": ATOM_BODY,
        "archive/old-rss.xml": RSS_BODY,
        "sitemap.xml": b'<?xml version="1.0"?><urlset/>',
        "custom.json": JSON_FEED_BODY,
        "data.json": b'{"a": 1}',
        "events.ics": b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        "style.xsl": b"<xsl:stylesheet/>",
        "index.html": b"<!doctype html><title>home</title>",
        "picture.png": b"\x89PNG\r\n\x1a\n",
        "categories/국제/rss.xml": RSS_BODY,
        "only-feeds/feeds.html": b"<!doctype html><title>feeds</title>",
        "empty-dir/readme.txt": b"no index here",
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (parent / "secret.txt").write_bytes(b"secret")
    (parent / "secrets").mkdir()
    (parent / "secrets" / "key.txt").write_bytes(b"secret")
    (root / "leak.txt").symlink_to(parent / "secret.txt")
    (root / "leakdir").symlink_to(parent / "secrets", target_is_directory=True)
    (root / "alias.xml").symlink_to(root / "rss.xml")
    return root


def start(root, **kwargs):
    server = make_server(root, port=0, **kwargs)
    thread = serve_forever_in_thread(server, poll_interval=0.02)
    return server, thread


def stop(server, thread):
    server.shutdown()
    server.server_close()
    thread.join(timeout=2)
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A site shared by the tests that do not change it."""
    return make_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def base(site):
    """The base URL of a server for ``site`` without Link headers."""
    server, thread = start(site)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    stop(server, thread)


@pytest.fixture
def fresh_site(tmp_path):
    """A site of the test's own, to change."""
    return make_site(tmp_path)


@pytest.fixture
def fresh_base(fresh_site):
    """The base URL of a server for ``fresh_site``."""
    server, thread = start(fresh_site)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    stop(server, thread)


def raw_request(base_url, method, target, headers=None):
    """Send ``target`` unnormalised (requests would resolve dot segments itself)."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def identity(url, **headers):
    return requests.get(url, headers={"Accept-Encoding": "identity", **headers}, timeout=5)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
        ("/archive/2024.xml", "application/atom+xml; charset=utf-8"),
        ("/archive/old-rss.xml", "application/rss+xml; charset=utf-8"),
        ("/sitemap.xml", "application/xml; charset=utf-8"),
        ("/custom.json", "application/feed+json; charset=utf-8"),
        ("/data.json", "application/json"),
        ("/events.ics", "text/calendar; charset=utf-8"),
        ("/style.xsl", "text/xsl"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/picture.png", "image/png"),
    ],
)
def test_content_type_of_each_kind(base, path, content_type):
    response = identity(base + path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type


def test_xml_declaration_charset_is_kept(tmp_path):
    head = b'<?xml version="1.0" encoding="EUC-KR"?><rss version="2.0">'
    assert serve.content_type_for(tmp_path / "x.xml", head) == "application/rss+xml; charset=euc-kr"


def test_validators_and_cache_headers(base, site):
    response = identity(base + "/atom.xml")
    assert response.content == ATOM_BODY
    assert response.headers["Content-Length"] == str(len(ATOM_BODY))
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    mtime = (site / "atom.xml").stat().st_mtime
    assert response.headers["Last-Modified"] == formatdate(mtime, usegmt=True)


def test_aggregator_poll_loop(fresh_base, fresh_site):
    base, site = fresh_base, fresh_site
    url = base + "/rss.xml"
    first = identity(url)
    assert first.status_code == 200
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    by_etag = identity(url, **{"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.content == b""
    assert by_etag.headers["ETag"] == etag
    assert by_etag.headers["Last-Modified"] == last_modified
    assert "Content-Length" not in by_etag.headers

    by_date = identity(url, **{"If-Modified-Since": last_modified})
    assert by_date.status_code == 304 and by_date.content == b""

    target = site / "rss.xml"
    before = target.stat()
    new_body = RSS_BODY.replace(b"2.0", b"2.1")
    assert len(new_body) == len(RSS_BODY)
    target.write_bytes(new_body)
    # Same size and the very same mtime_ns: only the content differs.
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))

    changed = identity(url, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.content == new_body
    assert changed.headers["ETag"] != etag
    again = identity(url, **{"If-None-Match": changed.headers["ETag"]})
    assert again.status_code == 304


def test_change_with_new_mtime_is_seen_by_if_modified_since(fresh_base, fresh_site):
    base, site = fresh_base, fresh_site
    url = base + "/atom.xml"
    target = site / "atom.xml"
    os.utime(target, (1_700_000_000, 1_700_000_000))
    last_modified = identity(url).headers["Last-Modified"]
    target.write_bytes(ATOM_BODY + b"\n")
    os.utime(target, (1_700_000_010, 1_700_000_010))
    response = identity(url, **{"If-Modified-Since": last_modified})
    assert response.status_code == 200 and response.content == ATOM_BODY + b"\n"


@pytest.mark.parametrize(
    "header",
    ['"nope", {etag}', "W/{etag}", 'W/"nope",W/{etag}', "*", '"nope",{etag}'],
)
def test_if_none_match_lists_weak_and_star(base, header):
    url = base + "/feed.json"
    etag = identity(url).headers["ETag"]
    response = identity(url, **{"If-None-Match": header.format(etag=etag)})
    assert response.status_code == 304


def test_if_none_match_takes_precedence_over_if_modified_since(base):
    url = base + "/feed.json"
    last_modified = identity(url).headers["Last-Modified"]
    response = identity(url, **{"If-None-Match": '"other"', "If-Modified-Since": last_modified})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "since",
    [
        "Thu, 01 Jan 1970 00:00:00 GMT",  # before the file
        "not a date",
        formatdate(time.time() + 86_400, usegmt=True),  # in the future: ignored
    ],
)
def test_if_modified_since_not_satisfied(base, since):
    response = identity(base + "/rss.xml", **{"If-Modified-Since": since})
    assert response.status_code == 200


def test_head_has_the_headers_of_get_and_no_body(base):
    for encoding in ("identity", "gzip"):
        get = requests.get(base + "/atom.xml", headers={"Accept-Encoding": encoding}, timeout=5)
        head = requests.head(base + "/atom.xml", headers={"Accept-Encoding": encoding}, timeout=5)
        assert head.status_code == 200 and head.content == b""
        strip = {"Date"}
        assert {k: v for k, v in head.headers.items() if k not in strip} == {
            k: v for k, v in get.headers.items() if k not in strip
        }


def test_head_of_missing_file_has_no_body(base):
    status, _, body = raw_request(base, "HEAD", "/missing.xml")
    assert status == 404 and body == b""


def test_gzip_when_accepted(base, site):
    url = base + "/atom.xml"
    response = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=5)
    raw = response.raw.read(decode_content=False)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Content-Length"] == str(len(raw))
    assert gzip.decompress(raw) == ATOM_BODY
    assert "Accept-Encoding" in response.headers["Vary"]
    plain = identity(url)
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept-Encoding"
    assert response.headers["ETag"] != plain.headers["ETag"]
    assert response.headers["ETag"].endswith('-gzip"')

    decoded = requests.get(url, timeout=5)  # requests asks for gzip and decodes it
    assert decoded.content == ATOM_BODY
    revalidated = requests.get(url, headers={"If-None-Match": response.headers["ETag"]}, timeout=5)
    assert revalidated.status_code == 304
    assert revalidated.headers["ETag"] == response.headers["ETag"]


@pytest.mark.parametrize("accept", ["gzip;q=0", "identity", "br", "gzip;q=0, *"])
def test_no_gzip_when_refused(base, accept):
    response = requests.get(base + "/rss.xml", headers={"Accept-Encoding": accept}, timeout=5)
    assert "Content-Encoding" not in response.headers
    assert response.content == RSS_BODY


def test_binary_files_are_not_gzipped(base):
    response = requests.get(base + "/picture.png", headers={"Accept-Encoding": "gzip"}, timeout=5)
    assert "Content-Encoding" not in response.headers and "Vary" not in response.headers


@pytest.mark.parametrize(
    "target",
    ["/categories/%EA%B5%AD%EC%A0%9C/rss.xml", "/categories/국제/rss.xml"],
)
def test_korean_paths(base, target):
    response = identity(base + target)  # requests percent-encodes the second form
    assert response.status_code == 200 and response.content == RSS_BODY


@pytest.mark.parametrize(
    "target",
    [
        "/../etc/passwd",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E/secret.txt",
        "//etc/passwd",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/archive/../../secret.txt",
        "/./rss.xml",
        "/rss.xml%00.html",
        "/%00",
        "/%ff%fe",
        "/leak.txt",
        "/leakdir/key.txt",
        "http://evil.example/../secret.txt",
        "secret.txt",
        "/missing.xml",
        "/empty-dir/",
    ],
)
def test_nothing_outside_the_folder(base, target):
    status, _, body = raw_request(base, "GET", target)
    assert status == 404
    assert b"secret" not in body


def test_symlink_inside_the_folder_is_served(base):
    assert identity(base + "/alias.xml").content == RSS_BODY


def test_directories(base):
    assert identity(base + "/").content.startswith(b"<!doctype html><title>home")
    assert b"feeds" in identity(base + "/only-feeds/").content
    status, headers, _ = raw_request(base, "GET", "/only-feeds")
    assert status == 301 and dict(headers)["Location"] == "/only-feeds/"
    assert identity(base + "/empty-dir").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_not_allowed(base, method):
    response = requests.request(method, base + "/rss.xml", data=b"x", timeout=5)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


def test_link_headers_for_feeds(site):
    seen = []

    def links(url_path):
        seen.append(url_path)
        if not url_path.endswith(("rss.xml", "atom.xml", "feed.json")):
            return []
        return [(HUB, "hub"), ("https://example.com" + url_path, "self")]

    server, thread = start(site, link_headers=links)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, headers, _ = raw_request(base_url, "GET", "/categories/%EA%B5%AD%EC%A0%9C/rss.xml")
        assert status == 200
        assert [value for name, value in headers if name == "Link"] == [
            f'<{HUB}>; rel="hub"',
            '<https://example.com/categories/%EA%B5%AD%EC%A0%9C/rss.xml>; rel="self"',
        ]
        assert seen == ["/categories/국제/rss.xml"]
        response = identity(base_url + "/atom.xml")
        assert response.links["hub"]["url"] == HUB
        assert response.links["self"]["url"] == "https://example.com/atom.xml"
        not_modified = identity(base_url + "/atom.xml", **{"If-None-Match": "*"})
        assert not_modified.status_code == 304 and not_modified.links["hub"]["url"] == HUB
        assert "Link" not in identity(base_url + "/").headers
        assert seen[-1] == "/"
    finally:
        stop(server, thread)


def test_failing_link_headers_give_a_500(site, caplog):
    def links(url_path):
        raise KeyError(url_path)

    server, thread = start(site, link_headers=links)
    try:
        with caplog.at_level(logging.ERROR, logger="feedkit.serve"):
            response = identity(f"http://127.0.0.1:{server.server_address[1]}/rss.xml")
        assert response.status_code == 500
        assert "link_headers failed for /rss.xml" in caplog.text
    finally:
        stop(server, thread)


def test_no_link_headers_by_default(base):
    assert "Link" not in identity(base + "/atom.xml").headers


def test_large_files_are_streamed(site, monkeypatch):
    monkeypatch.setattr(serve, "_MAX_BUFFERED", 8)
    server, thread = start(site)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        first = requests.get(base_url + "/atom.xml", timeout=5)
        assert first.content == ATOM_BODY
        assert "Content-Encoding" not in first.headers
        assert first.headers["Content-Type"].startswith("application/atom+xml")
        again = identity(base_url + "/atom.xml", **{"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
    finally:
        stop(server, thread)


def test_requests_are_not_written_to_stderr(base, capfd):
    identity(base + "/rss.xml")
    identity(base + "/missing")
    raw_request(base, "GET", "/../secret.txt")
    with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=5) as sock:
        sock.sendall(b"GARBAGE\r\n\r\n")
        sock.recv(1024)
    assert capfd.readouterr().err == ""


def test_server_errors_are_feedkit_errors(site, tmp_path):
    with pytest.raises(FeedkitError, match="run `feedkit build` first"):
        make_server(tmp_path / "missing", port=0)
    with pytest.raises(FeedkitError, match="not a folder"):
        make_server(site / "rss.xml", port=0)
    server, thread = start(site)
    try:
        with pytest.raises(FeedkitError, match="cannot listen"):
            make_server(site, port=server.server_address[1])
    finally:
        stop(server, thread)


def test_binds_to_loopback_by_default(site):
    server = make_server(site, port=0)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


def wait_until(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@pytest.fixture
def watcher(tmp_path):
    """Start watch_and_rebuild on tmp_path/content in a thread; yields (folder, start)."""
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "post.md").write_text("one")
    stop_event = threading.Event()
    threads = []

    def start_watching(rebuild):
        thread = threading.Thread(
            target=watch_and_rebuild,
            args=([folder, tmp_path / "feedkit.toml"], rebuild),
            kwargs={"interval": 0.05, "stop": stop_event, "exclude": [folder / "_site"]},
            daemon=True,
        )
        thread.start()
        threads.append(thread)
        time.sleep(0.1)  # let the first signature be taken
        return thread

    yield folder, start_watching
    stop_event.set()
    for thread in threads:
        thread.join(timeout=1)
        assert not thread.is_alive()


def test_watch_rebuilds_once_after_a_burst_of_changes(watcher):
    folder, start_watching = watcher
    calls = []
    start_watching(lambda: calls.append(time.monotonic()))
    time.sleep(0.2)
    assert calls == []
    for text in ("two", "three!", "four four"):
        (folder / "post.md").write_text(text)
    assert wait_until(lambda: len(calls) == 1)
    time.sleep(0.25)
    assert len(calls) == 1


def test_watch_sees_new_deleted_and_nested_files(watcher, tmp_path):
    folder, start_watching = watcher
    calls = []
    start_watching(lambda: calls.append(1))
    (folder / "nested" / "deep").mkdir(parents=True)
    (folder / "nested" / "deep" / "new.md").write_text("x")
    assert wait_until(lambda: len(calls) == 1)
    (folder / "post.md").unlink()
    assert wait_until(lambda: len(calls) == 2)
    (tmp_path / "feedkit.toml").write_text("[site]\n")
    assert wait_until(lambda: len(calls) == 3)
    (folder / ".post.md.swp").write_text("editor noise")
    (folder / "_site").mkdir()  # the excluded output folder, created by the first build
    (folder / "_site" / "rss.xml").write_text("output")
    time.sleep(0.25)
    assert len(calls) == 3


def test_watch_survives_a_failing_rebuild(watcher, caplog):
    folder, start_watching = watcher
    calls = []

    def rebuild():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        if len(calls) == 2:
            raise FeedkitError("bad front matter", path="post.md", line=2)

    with caplog.at_level(logging.INFO, logger="feedkit.serve"):
        thread = start_watching(rebuild)
        for n, text in enumerate(("two", "three!", "four four")):
            (folder / "post.md").write_text(text)
            assert wait_until(lambda n=n: len(calls) == n + 1)
        assert thread.is_alive()
    messages = [record.getMessage() for record in caplog.records]
    assert "rebuild failed" in messages
    assert "rebuild failed: post.md:2: bad front matter" in messages


def test_watch_returns_promptly_when_stopped(tmp_path):
    stop_event = threading.Event()
    thread = threading.Thread(
        target=watch_and_rebuild,
        args=([tmp_path], lambda: None),
        kwargs={"interval": 10.0, "stop": stop_event},
        daemon=True,
    )
    thread.start()
    stop_event.set()
    thread.join(timeout=1)
    assert not thread.is_alive()
