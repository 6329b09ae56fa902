"""Preview server: serve the output folder to feed readers and aggregators as a real host would.

:func:`make_server` returns a :class:`http.server.ThreadingHTTPServer` that answers ``GET`` and
``HEAD`` for the files under one folder, with what pollers rely on: feed media types, a strong
``ETag``, ``Last-Modified``, ``Cache-Control: no-cache``, ``304 Not Modified`` (RFC 7232),
``gzip`` with ``Vary: Accept-Encoding``, and WebSub discovery ``Link`` headers (WebSub §4).
:func:`watch_and_rebuild` polls source files and calls a rebuild when they change.

Choices a caller may need to know:

* ``/dir/`` serves ``dir/index.html``, else ``dir/feeds.html``, else 404; there is no directory
  listing. ``/dir`` (no slash) is redirected (301) to ``/dir/`` when one of those exists, so that
  relative links in the page resolve as they will on the real host.
* Nothing outside the folder is served: ``.`` and ``..`` segments (also percent-encoded),
  encoded ``/`` or ``\\``, NUL, invalid UTF-8 and symlinks resolving outside the folder are 404.
* ``POST``, ``PUT``, ``DELETE``, ``PATCH``, ``OPTIONS``, ``TRACE`` and ``CONNECT`` get 405 with
  ``Allow: GET, HEAD``; methods HTTP does not define get 501 (RFC 9110 §15.6.2).
* Each ``(url, rel)`` pair from ``link_headers`` is sent as its own ``Link`` header.
* ``Range`` is ignored (always the full 200) and ``Accept-Ranges: none`` says so.
* ``Access-Control-Allow-Origin: *`` is sent, as static hosts such as GitHub Pages do, so that
  browser-based readers can fetch the feeds.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import http.server
import logging
import mimetypes
import os
import re
import socket
import socketserver
import stat
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO

from .errors import FeedkitError

__all__ = [
    "LinkHeaders",
    "content_type_for",
    "make_server",
    "serve_forever_in_thread",
    "watch_and_rebuild",
]

logger = logging.getLogger(__name__)

LinkHeaders = Callable[[str], Sequence[tuple[str, str]]]
"""Maps a decoded URL path (``/categories/국제/rss.xml``) to ``(url, rel)`` pairs."""

ATOM = "application/atom+xml"
RSS = "application/rss+xml"
RDF = "application/rdf+xml"
JSON_FEED = "application/feed+json"

INDEX_NAMES = ("index.html", "feeds.html")
ALLOWED_METHODS = "GET, HEAD"

# Files up to this size are read whole and hashed for the ETag; larger ones (podcast
# enclosures, say) are streamed with an inode-size-mtime ETag, as Apache's default FileETag.
_MAX_BUFFERED = 16 * 1024 * 1024
_CHUNK = 64 * 1024
_SNIFF_BYTES = 512
_GZIP_CACHE_ENTRIES = 64

# The first root-ish element in the first 512 bytes names the format; declarations,
# stylesheet processing instructions and comments come before it.
_XML_ROOT = re.compile(rb"<(rss|feed|rdf:RDF)[\s>/]")
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_JSON_FEED_VERSION = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/')
_ENTITY_TAG = re.compile(r'(?:W/)?"([^"]*)"')
_REL = re.compile(r"[A-Za-z0-9.:/_ -]+")
# Characters left as they are in a Link URL: RFC 3986 reserved ones and "%", so that an
# already-encoded URL is not encoded twice. Header values must be ASCII.
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"

# Only the built-in table: /etc/mime.types differs from machine to machine.
_MIME_TYPES = mimetypes.MimeTypes()


def content_type_for(path: Path, head: bytes) -> str:
    """Return the ``Content-Type`` for a file named ``path`` whose first bytes are ``head``.

    ``atom.xml`` and ``rss.xml`` are Atom and RSS by name; other ``.xml`` files are sniffed
    for ``<feed``, ``<rss`` or ``<rdf:RDF`` in ``head`` (512 bytes suffice). ``feed.json``, and
    ``.json`` files declaring a jsonfeed.org version, are JSON Feed. XML types carry the
    charset of the XML declaration (UTF-8 when none), text types ``charset=utf-8``.
    """
    name = path.name.lower()
    suffix = path.suffix.lower()
    if suffix == ".xml":
        if name == "atom.xml":
            media_type = ATOM
        elif name == "rss.xml":
            media_type = RSS
        else:
            media_type = _sniff_xml(head)
        match = _XML_ENCODING.match(head.lstrip(b"\xef\xbb\xbf"))
        charset = match.group(1).decode("ascii").lower() if match else "utf-8"
        return f"{media_type}; charset={charset}"
    if suffix == ".json":
        if name == "feed.json" or _JSON_FEED_VERSION.search(head):
            return f"{JSON_FEED}; charset=utf-8"
        return "application/json"
    fixed = {
        ".ics": "text/calendar; charset=utf-8",
        ".xsl": "text/xsl",
        ".html": "text/html; charset=utf-8",
        ".htm": "text/html; charset=utf-8",
    }
    if suffix in fixed:
        return fixed[suffix]
    guessed, _ = _MIME_TYPES.guess_type(path.name, strict=False)
    if guessed is None:
        return "application/octet-stream"
    if guessed.startswith("text/") or guessed == "application/javascript":
        return f"{guessed}; charset=utf-8"
    return guessed


def _sniff_xml(head: bytes) -> str:
    match = _XML_ROOT.search(head)
    if match is None:
        return "application/xml"
    return {b"rss": RSS, b"feed": ATOM, b"rdf:RDF": RDF}[match.group(1)]


def _is_compressible(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip()
    return media_type.startswith("text/") or media_type.endswith(
        ("+xml", "+json", "/xml", "/json", "/javascript")
    )


def _accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (RFC 9110 §12.5.3, q-values)."""
    if not header:
        return False
    weights: dict[str, float] = {}
    for part in header.split(","):
        coding, _, params = part.partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.strip().lower()] = weight
    for coding in ("gzip", "x-gzip"):
        if coding in weights:
            return weights[coding] > 0
    return weights.get("*", 0.0) > 0


def _matching_etag(if_none_match: str, etags: Sequence[str]) -> str | None:
    """The entity-tag among ``etags`` that ``If-None-Match`` matches, or None.

    Uses the weak comparison RFC 7232 §3.2 prescribes for If-None-Match: ``W/`` is ignored.
    ``*`` matches the first (the variant being served).
    """
    if if_none_match.strip() == "*":
        return etags[0]
    offered = set(_ENTITY_TAG.findall(if_none_match))
    for etag in etags:
        if _ENTITY_TAG.fullmatch(etag) and etag.strip('"') in offered:
            return etag
    return None


def _is_unmodified_since(if_modified_since: str, mtime: float) -> bool:
    """Whether the file's mtime, in whole seconds, is at or before the header's date.

    Invalid dates and dates in the future are ignored (RFC 7232 §3.3).
    """
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:  # "-0000": UTC, source unknown (RFC 5322 §3.3)
        since = since.replace(tzinfo=UTC)
    stamp = since.timestamp()
    if stamp > time.time():
        return False
    return int(mtime) <= stamp


def _format_link(url: str, rel: str) -> str:
    if not _REL.fullmatch(rel):
        raise ValueError(f"invalid Link rel {rel!r}")
    return f'<{urllib.parse.quote(url, safe=_URL_SAFE)}>; rel="{rel}"'


@dataclass(frozen=True)
class _Target:
    """A regular file inside the root, and the normalised decoded URL path that named it."""

    path: Path
    url_path: str


@dataclass(frozen=True)
class _Redirect:
    location: str


def _resolve_request(root: Path, target: str) -> _Target | _Redirect | None:
    """Map a request-target to a file under ``root`` (already resolved), or None for 404."""
    # http.server decoded the request line as Latin-1: percent-decode the original bytes,
    # then decode them as UTF-8 (RFC 3986 §2.5), strictly.
    raw = target.encode("latin-1")
    if raw.startswith((b"http://", b"https://")):
        raw = urllib.parse.urlsplit(raw).path or b"/"
    raw = raw.split(b"?", 1)[0].split(b"#", 1)[0]
    if not raw.startswith(b"/"):
        return None
    segments: list[str] = []
    for part in raw.split(b"/"):
        if not part:
            continue
        try:
            segment = urllib.parse.unquote_to_bytes(part).decode("utf-8")
        except UnicodeDecodeError:
            return None
        # An encoded slash is refused rather than split, as Apache does by default
        # (AllowEncodedSlashes Off).
        if segment in (".", "..") or any(char in segment for char in "/\\\x00"):
            return None
        segments.append(segment)
    real = _resolve_inside(root, root.joinpath(*segments))
    if real is None:
        return None
    url_path = "/" + "/".join(segments)
    if not real.is_dir():
        return _Target(real, url_path) if real.is_file() else None
    for name in INDEX_NAMES:
        index = _resolve_inside(root, real / name)
        if index is not None and index.is_file():
            if not raw.endswith(b"/"):
                return _Redirect(urllib.parse.quote(url_path + "/"))
            return _Target(index, url_path.rstrip("/") + "/")
    return None


def _resolve_inside(root: Path, candidate: Path) -> Path | None:
    """``candidate`` with symlinks resolved, if it exists and is inside ``root``."""
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return None
    return real if real.is_relative_to(root) else None


@dataclass(frozen=True)
class _Representation:
    """What is known of a file once it is open: its bytes (None if streamed) and validators."""

    body: bytes | None
    size: int
    mtime: float
    tag: str
    content_type: str


def _load(file: BinaryIO, path: Path) -> _Representation | None:
    info = os.fstat(file.fileno())
    if not stat.S_ISREG(info.st_mode):
        return None
    if info.st_size <= _MAX_BUFFERED:
        body: bytes | None = file.read()
        assert body is not None
        # A hash of the bytes served, not the stat: two writes within one tick of the file
        # system clock (coarse on Linux) can leave size and mtime_ns unchanged, and pollers
        # would then keep a stale copy. Hashing is cheap next to reading the file, which a
        # GET does anyway, so nothing is cached by stat.
        tag = hashlib.blake2b(body, digest_size=16).hexdigest()
        return _Representation(
            body, len(body), info.st_mtime, tag, content_type_for(path, body[:_SNIFF_BYTES])
        )
    head = file.read(_SNIFF_BYTES)
    file.seek(0)
    tag = f"{info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}"
    return _Representation(None, info.st_size, info.st_mtime, tag, content_type_for(path, head))


class _PreviewServer(http.server.ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows its root folder, Link headers and gzip cache."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        root: Path,
        link_headers: LinkHeaders | None,
    ) -> None:
        self.root = root
        self.link_headers = link_headers
        self._gzip_cache: dict[str, bytes] = {}
        self._gzip_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can take
        # seconds; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def gzip_body(self, tag: str, body: bytes) -> bytes:
        """``body`` gzipped, cached by its content hash ``tag`` (so never stale)."""
        with self._gzip_lock:
            cached = self._gzip_cache.get(tag)
        if cached is not None:
            return cached
        # mtime=0: the same bytes always give the same gzip bytes, hence one ETag.
        compressed = gzip.compress(body, compresslevel=6, mtime=0)
        with self._gzip_lock:
            if len(self._gzip_cache) >= _GZIP_CACHE_ENTRIES:
                self._gzip_cache.pop(next(iter(self._gzip_cache)))
            self._gzip_cache[tag] = compressed
        return compressed

    def handle_error(self, request: object, client_address: object) -> None:
        # The default prints a traceback on stderr.
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            logger.debug("connection from %s ended: %s", client_address, error)
        else:
            logger.exception("error serving %s", client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _PreviewServer
    protocol_version = "HTTP/1.1"
    server_version = "feedkit-serve"
    # Idle keep-alive connections from readers must not hold a thread forever.
    timeout = 30

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _method_not_allowed(self) -> None:
        # The request body, if any, is not read, so the connection cannot be reused.
        self.close_connection = True
        self._send_status(HTTPStatus.METHOD_NOT_ALLOWED, [("Allow", ALLOWED_METHODS)])

    do_POST = do_PUT = do_DELETE = do_PATCH = _method_not_allowed
    do_OPTIONS = do_TRACE = do_CONNECT = _method_not_allowed

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)

    def _respond(self, *, send_body: bool) -> None:
        resolved = _resolve_request(self.server.root, self.path)
        if isinstance(resolved, _Redirect):
            self._send_status(HTTPStatus.MOVED_PERMANENTLY, [("Location", resolved.location)])
            return
        if resolved is None:
            self._send_status(HTTPStatus.NOT_FOUND)
            return
        try:
            links = self._links(resolved.url_path)
        except Exception:
            logger.exception("link_headers failed for %s", resolved.url_path)
            self._send_status(HTTPStatus.INTERNAL_SERVER_ERROR)
            return
        try:
            file = open(resolved.path, "rb")  # noqa: SIM115 - closed below, after streaming
        except OSError:
            self._send_status(HTTPStatus.NOT_FOUND)
            return
        with file:
            loaded = _load(file, resolved.path)
            if loaded is None:
                self._send_status(HTTPStatus.NOT_FOUND)
                return
            self._send_representation(file, loaded, links, send_body=send_body)

    def _links(self, url_path: str) -> list[tuple[str, str]]:
        if self.server.link_headers is None:
            return []
        return [("Link", _format_link(u, r)) for u, r in self.server.link_headers(url_path)]

    def _send_representation(
        self,
        file: BinaryIO,
        loaded: _Representation,
        links: Sequence[tuple[str, str]],
        *,
        send_body: bool,
    ) -> None:
        compressible = _is_compressible(loaded.content_type) and loaded.body is not None
        use_gzip = compressible and _accepts_gzip(self.headers.get("Accept-Encoding"))
        identity_etag = f'"{loaded.tag}"'
        # A different ETag for the gzip variant, as Apache's mod_deflate gives: the two
        # variants have different bytes, so a strong validator must differ (RFC 7232 §2.3.3).
        gzip_etag = f'"{loaded.tag}-gzip"'
        etag = gzip_etag if use_gzip else identity_etag

        if_none_match = ", ".join(self.headers.get_all("If-None-Match") or [])
        if if_none_match:
            # Either variant's tag validates: a cache holding the other variant may reuse it,
            # and the 304 names the one it holds (RFC 7232 §4.1). In Apache 2.2 the "-gzip"
            # tag never matched (bug 45023), so gzip clients never got a 304.
            variants = [gzip_etag, identity_etag] if use_gzip else [identity_etag, gzip_etag]
            matched = _matching_etag(if_none_match, variants)
            not_modified = matched is not None
            etag = matched or etag
        else:
            # If-None-Match takes precedence when present (RFC 7232 §6). Last-Modified has
            # one-second resolution, so a change within the same second is only seen by ETag.
            if_modified_since = self.headers.get("If-Modified-Since", "")
            not_modified = _is_unmodified_since(if_modified_since, loaded.mtime)

        common = [
            ("ETag", etag),
            ("Last-Modified", email.utils.formatdate(loaded.mtime, usegmt=True)),
            ("Cache-Control", "no-cache"),
            ("Access-Control-Allow-Origin", "*"),
        ]
        if compressible:
            common.append(("Vary", "Accept-Encoding"))
        common += links
        if not_modified:
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._send_headers(common)
            return

        body = loaded.body
        if body is not None and use_gzip:
            body = self.server.gzip_body(loaded.tag, body)
        headers = [("Content-Type", loaded.content_type)]
        headers.append(("Content-Length", str(len(body) if body is not None else loaded.size)))
        if use_gzip:
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Accept-Ranges", "none"))
        self.send_response(HTTPStatus.OK)
        self._send_headers(headers + common)
        if not send_body:
            return
        if body is not None:
            self._write(body)
        else:
            self._stream(file, loaded.size)

    def _stream(self, file: BinaryIO, size: int) -> None:
        remaining = size
        while remaining > 0:
            chunk = file.read(min(_CHUNK, remaining))
            if not chunk:
                # The file shrank after Content-Length was sent: end the connection so the
                # client sees a short body rather than a corrupt next response.
                self.close_connection = True
                return
            self._write(chunk)
            remaining -= len(chunk)

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
        except ConnectionError:
            self.close_connection = True

    def _send_headers(self, headers: Sequence[tuple[str, str]]) -> None:
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _send_status(
        self,
        status: HTTPStatus,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        body = f"{status.value} {status.phrase}\n".encode()
        self.send_response(status)
        self._send_headers(
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-cache"),
                *headers,
            ]
        )
        if self.command != "HEAD":
            self._write(body)


def make_server(
    directory: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    link_headers: LinkHeaders | None = None,
) -> http.server.ThreadingHTTPServer:
    """Return a server, bound but not yet serving, for the files under ``directory``.

    ``port=0`` picks a free port; read it back from ``server.server_address[1]``. Call
    ``serve_forever()`` (or :func:`serve_forever_in_thread`), then ``shutdown()`` and
    ``server_close()``. ``link_headers(url_path)`` is called for every file served (200 and
    304) with the decoded, normalised URL path (``/categories/국제/rss.xml``, or ``/dir/``
    for an index page); each ``(url, rel)`` pair it returns becomes one ``Link`` header.
    The folder is read on each request, so a rebuild is served at once.

    Raises :class:`FeedkitError` if ``directory`` is not a folder or the address cannot be
    bound (port in use, host not local).
    """
    try:
        root = directory.resolve(strict=True)
    except FileNotFoundError as exc:
        raise FeedkitError(
            "nothing to serve yet: run `feedkit build` first (or `feedkit serve --watch`, "
            "which builds)",
            path=directory,
        ) from exc
    except OSError as exc:
        raise FeedkitError(f"cannot serve: {exc.strerror or exc}", path=directory) from exc
    if not root.is_dir():
        raise FeedkitError("cannot serve: not a folder", path=directory)
    try:
        server = _PreviewServer((host, port), root, link_headers)
    except OSError as exc:
        raise FeedkitError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    if host not in ("127.0.0.1", "::1", "localhost"):
        logger.warning("serving %s on %s, reachable from other machines", root, host)
    return server


def serve_forever_in_thread(
    server: socketserver.BaseServer, *, poll_interval: float = 0.1
) -> threading.Thread:
    """Start ``server.serve_forever()`` in a daemon thread and return the thread.

    Stop it with ``server.shutdown()`` (which returns within ``poll_interval`` seconds),
    then ``server.server_close()``.
    """
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": poll_interval},
        name="feedkit-serve",
        daemon=True,
    )
    thread.start()
    return thread


Signature = tuple[tuple[str, int, int, int], ...]


def _signature(paths: Sequence[Path], exclude: Sequence[Path] = ()) -> Signature:
    """Sorted (path, size, mtime_ns, inode) of every file under ``paths``, not in ``exclude``.

    The inode catches editors that save by replacing the file, even in the same clock tick.
    Names starting with "." (``.git``, swap files) are skipped; a missing path counts as empty.
    """
    entries: list[tuple[str, int, int, int]] = []
    # Excluded folders count as already visited. They are looked up on every scan, as the
    # output folder may only appear with the first build.
    seen_dirs: set[tuple[int, int]] = set()
    for folder in exclude:
        with contextlib.suppress(OSError):
            info = folder.stat()
            seen_dirs.add((info.st_dev, info.st_ino))

    def visit_dir(directory: str) -> None:
        try:
            info = os.stat(directory)
        except OSError:
            return
        # Symlinked folders are followed, once each, so a link loop ends.
        if (info.st_dev, info.st_ino) in seen_dirs:
            return
        seen_dirs.add((info.st_dev, info.st_ino))
        try:
            with os.scandir(directory) as scan:
                children = list(scan)
        except OSError:
            return
        for entry in children:
            if entry.name.startswith("."):
                continue
            with contextlib.suppress(OSError):  # removed while scanning: the next poll sees it
                if entry.is_dir():
                    visit_dir(entry.path)
                elif entry.is_file():
                    stat_result = entry.stat()
                    entries.append(_entry(entry.path, stat_result))

    for path in paths:
        if path.is_dir():
            visit_dir(os.fspath(path))
        else:
            with contextlib.suppress(OSError):
                entries.append(_entry(os.fspath(path), path.stat()))
    return tuple(sorted(entries))


def _entry(path: str, info: os.stat_result) -> tuple[str, int, int, int]:
    return (path, info.st_size, info.st_mtime_ns, info.st_ino)


def watch_and_rebuild(
    paths: Sequence[Path],
    rebuild: Callable[[], None],
    *,
    interval: float = 1.0,
    stop: threading.Event,
    exclude: Sequence[Path] = (),
) -> None:
    """Poll the files under ``paths`` every ``interval`` seconds; call ``rebuild`` on change.

    A change is acted on once the files have been stable for one more interval, so a burst of
    saves (or a ``git checkout``) gives one rebuild. An exception from ``rebuild`` is logged
    and watching goes on. Returns when ``stop`` is set (within one interval). Folders in
    ``exclude`` are not scanned: pass the output folder when it lies under ``paths``, or each
    rebuild (which writes a new build date) would trigger the next.
    """

    def scan() -> Signature:
        return _signature(paths, exclude)

    last = scan()
    while not stop.wait(interval):
        current = scan()
        if current == last:
            continue
        settled = _wait_until_stable(scan, current, interval=interval, stop=stop)
        if settled is None:
            return
        current = settled
        logger.info("change detected under %s; rebuilding", ", ".join(map(str, paths)))
        try:
            rebuild()
        except FeedkitError as exc:
            logger.error("rebuild failed: %s", exc.format_message())
        except Exception:
            logger.exception("rebuild failed")
        # The signature from before the rebuild: files edited during it trigger another.
        last = current


def _wait_until_stable(
    scan: Callable[[], Signature], current: Signature, *, interval: float, stop: threading.Event
) -> Signature | None:
    """The signature once it stays the same for ``interval``, or None if ``stop`` is set."""
    while not stop.wait(interval):
        settled = scan()
        if settled == current:
            return settled
        current = settled
    return None
