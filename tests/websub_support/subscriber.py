"""A tiny WebSub subscriber for tests (stdlib only, listens on 127.0.0.1).

    with Subscriber(secret="s3cret") as sub:
        status = sub.subscribe(hub_url, topic_url, lease_seconds=600)
        assert status == 202
        sub.wait_for_verification(5)          # the hub's intent check
        ...publish...
        body, headers, signature_ok = sub.wait_for_distribution(10)

The callback URL is ``http://127.0.0.1:PORT/callback/<random token>``.
The hub's verification GET is answered by echoing ``hub.challenge`` (only for
a topic that was subscribed/unsubscribed through this object; anything else
gets 404).  Every content distribution POST is recorded with its body and
headers, and its ``X-Hub-Signature`` (``sha1=``/``sha256=``/``sha384=``/
``sha512=`` + hex HMAC of the raw body keyed with the secret) is checked.
"""

import hashlib
import hmac
import http.server
import queue
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import NamedTuple, Self

__all__ = [
    "Distribution",
    "Headers",
    "Subscriber",
    "Verification",
    "check_signature",
    "post_form",
    "publish",
]

_ALGORITHMS = {"sha1", "sha256", "sha384", "sha512"}


class Headers(dict):
    """dict of header name -> value whose lookups ignore case."""

    def __init__(self, items=()):
        super().__init__()
        for k, v in items:
            self[k] = v

    def __setitem__(self, key, value):
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key):
        return super().__getitem__(key.lower())

    def __contains__(self, key):
        return super().__contains__(str(key).lower())

    def get(self, key, default=None):
        return super().get(key.lower(), default)


class Distribution(NamedTuple):
    body: bytes
    headers: Headers  # case-insensitive, keys stored lower-case
    signature_ok: bool


class Verification(NamedTuple):
    mode: str  # subscribe / unsubscribe / denied
    topic: str
    challenge: str | None
    lease_seconds: int | None
    reason: str | None
    answered: bool  # True if we echoed the challenge


def check_signature(secret: str | None, body: bytes, header: str | None) -> bool:
    """True if ``header`` ("algo=hexdigest") is a valid HMAC of ``body``.

    With no secret, True only when no signature header was sent."""
    if not secret:
        return header is None
    if not header or "=" not in header:
        return False
    algo, _, digest = header.strip().partition("=")
    algo = algo.strip().lower()
    if algo not in _ALGORITHMS:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, getattr(hashlib, algo)).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


class Subscriber:
    """A WebSub subscriber with one callback URL, served from a thread."""

    def __init__(self, secret: str | None = None, host: str = "127.0.0.1", port: int = 0):
        # secret=None -> a random one; secret="" -> subscribe without secret
        self.secret = secrets.token_hex(16) if secret is None else secret
        self.token = secrets.token_hex(8)
        #: HTTP status the callback answers distributions with (e.g. 410)
        self.distribution_status = 200
        #: topics we agreed to (un)subscribe to: topic -> expected mode
        self._pending: dict[str, str] = {}
        self.verifications: list[Verification] = []
        self.distributions: list[Distribution] = []
        self._verif_q: queue.Queue[Verification] = queue.Queue()
        self._dist_q: queue.Queue[Distribution] = queue.Queue()
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer((host, port), self._make_handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------
    @property
    def callback_url(self) -> str:
        host, port = self._server.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode("ascii")
        return f"http://{host}:{port}/callback/{self.token}"

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="websub-subscriber", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- talking to the hub ----------------------------------------------
    def subscribe(
        self,
        hub_url: str,
        topic: str,
        lease_seconds: int | None = 600,
        timeout: float = 30.0,
    ) -> int:
        """POST hub.mode=subscribe; returns the hub's HTTP status (202).

        Flask-WebSub in eager mode verifies intent before answering, so
        after this returns the verification has already happened."""
        return self._request(hub_url, "subscribe", topic, lease_seconds, timeout)

    def unsubscribe(self, hub_url: str, topic: str, timeout: float = 30.0) -> int:
        return self._request(hub_url, "unsubscribe", topic, None, timeout)

    def _request(self, hub_url, mode, topic, lease_seconds, timeout) -> int:
        with self._lock:
            self._pending[topic] = mode
        form = {"hub.mode": mode, "hub.topic": topic, "hub.callback": self.callback_url}
        if mode == "subscribe" and self.secret:
            form["hub.secret"] = self.secret
        if lease_seconds is not None:
            form["hub.lease_seconds"] = str(int(lease_seconds))
        return post_form(hub_url, form, timeout)

    # ---- waiting ---------------------------------------------------------
    def wait_for_verification(self, timeout: float = 10.0) -> Verification:
        try:
            return self._verif_q.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(
                f"no verification request from the hub within {timeout:.1f}s"
            ) from None

    def wait_for_distribution(self, timeout: float = 10.0) -> Distribution:
        """Next not-yet-consumed distribution: (body, headers, signature_ok).
        Raises TimeoutError."""
        try:
            return self._dist_q.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(
                f"no content distribution from the hub within {timeout:.1f}s"
            ) from None

    # ---- HTTP handler ----------------------------------------------------
    def _make_handler(self):
        sub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _reply(self, status, body=b"", ctype="text/plain"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _ours(self):
                path = urllib.parse.urlsplit(self.path).path
                return path == "/callback/" + sub.token

            def do_GET(self):
                if not self._ours():
                    return self._reply(404, b"unknown callback\n")
                q = dict(
                    urllib.parse.parse_qsl(
                        urllib.parse.urlsplit(self.path).query, keep_blank_values=True
                    )
                )
                mode = q.get("hub.mode", "")
                topic = q.get("hub.topic", "")
                challenge = q.get("hub.challenge")
                lease = q.get("hub.lease_seconds")
                with sub._lock:
                    expected = sub._pending.get(topic)
                answered = (
                    mode in ("subscribe", "unsubscribe")
                    and expected == mode
                    and challenge is not None
                )
                v = Verification(
                    mode,
                    topic,
                    challenge,
                    int(lease) if lease and lease.isdigit() else None,
                    q.get("hub.reason"),
                    answered,
                )
                sub.verifications.append(v)
                sub._verif_q.put(v)
                if answered:
                    return self._reply(200, challenge.encode("utf-8"))
                if mode == "denied":
                    return self._reply(200, b"")
                return self._reply(404, b"not expecting that\n")

            def do_POST(self):
                if not self._ours():
                    return self._reply(404, b"unknown callback\n")
                body = self._read_body()
                headers = Headers(self.headers.items())
                ok = check_signature(sub.secret, body, self.headers.get("X-Hub-Signature"))
                d = Distribution(body, headers, ok)
                sub.distributions.append(d)
                sub._dist_q.put(d)
                self._reply(sub.distribution_status, b"")

            def _read_body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    out = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return out
                        out += self.rfile.read(size)
                        self.rfile.readline()
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

        return Handler


def post_form(url: str, form: dict[str, str], timeout: float = 30.0) -> int:
    """POST an x-www-form-urlencoded body; return the HTTP status."""
    data = urllib.parse.urlencode(form).encode("ascii")
    req = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code


def publish(hub_url: str, topic: str, timeout: float = 30.0) -> int:
    """Send a publish ping (hub.mode=publish, hub.url and hub.topic)."""
    return post_form(
        hub_url, {"hub.mode": "publish", "hub.url": topic, "hub.topic": topic}, timeout
    )
