#!/usr/bin/env python3
"""A real WebSub hub (Flask-WebSub 0.4.1) for feedkit's tests.

Run it with the interpreter of a venv that has requirements.txt installed:

    python hub_app.py --port 0 --db /tmp/x/hub.sqlite3

It listens on 127.0.0.1 only.  ``--port 0`` lets the OS choose a free port;
either way, once the socket is listening, one line is printed on stdout:

    READY http://127.0.0.1:PORT/hub

The hub endpoint is ``POST /hub`` (form-encoded) and accepts:

* ``hub.mode=subscribe|unsubscribe`` with ``hub.topic``, ``hub.callback``,
  optional ``hub.secret`` and ``hub.lease_seconds``;
* ``hub.mode=publish`` with ``hub.topic`` (REQUIRED by Flask-WebSub;
  ``hub.url`` is accepted but ignored).

Celery runs with ``task_always_eager=True`` (no broker, no worker): the work
is done inside the HTTP request that triggers it, so

* a subscribe POST returns 202 only after the hub has sent the verification
  GET to the callback (and stored the subscription if it was confirmed);
* a publish POST returns 202 only after the hub has fetched the topic and
  POSTed it to every subscriber (retries included).

Flask-WebSub itself does no URL validation (no https requirement, no
localhost block), so plain ``http://127.0.0.1`` topics and callbacks work.

It DOES require the topic's HTTP response to carry a ``Link`` header with both
``rel="hub"`` and ``rel="self"``; otherwise the publish is dropped (a
"NotificationError" line is logged on stderr).  ``--lenient-links`` adds
the missing links (hub = this hub, self = the topic URL) for topic servers
that cannot send headers, e.g. a plain ``http.server``.

Extra, test-only endpoint: ``GET /_subscriptions`` returns JSON
``[{"topic", "callback", "has_secret", "expires_in"}, ...]``.

Stop it with SIGTERM or SIGINT (exits 0).  It also exits by itself when its
parent process dies (unless --no-exit-with-parent).
"""

import argparse
import logging
import os
import signal
import sqlite3
import sys
import tempfile


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--port",
        type=int,
        default=0,
        help="port on 127.0.0.1 (0 = pick a free one; default 0)",
    )
    p.add_argument(
        "--db",
        default=None,
        help="sqlite3 file for subscriptions (default: a new temporary file). Created if missing.",
    )
    p.add_argument(
        "--signature-algorithm",
        default="sha256",
        choices=["sha1", "sha256", "sha384", "sha512"],
        help="X-Hub-Signature algorithm (default sha256; Flask-WebSub's own default is sha512)",
    )
    p.add_argument(
        "--request-timeout",
        type=float,
        default=5.0,
        help="timeout in seconds for each request the hub makes",
    )
    p.add_argument(
        "--max-attempts",
        type=int,
        default=2,
        help="MAX_ATTEMPTS: retries of a failed distribution POST, "
        "so 1+N tries in all; eager mode retries at once, "
        "without back-off (default 2)",
    )
    p.add_argument("--min-lease", type=int, default=1, help="HUB_MIN_LEASE_SECONDS (default 1)")
    p.add_argument(
        "--default-lease",
        type=int,
        default=3600,
        help="HUB_DEFAULT_LEASE_SECONDS (default 3600)",
    )
    p.add_argument(
        "--max-lease",
        type=int,
        default=86400 * 31,
        help="HUB_MAX_LEASE_SECONDS (default 31 days)",
    )
    p.add_argument(
        "--lenient-links",
        action="store_true",
        help="add Link rel=hub/rel=self when the topic's response "
        "lacks them (Flask-WebSub refuses to distribute "
        "otherwise)",
    )
    p.add_argument(
        "--no-exit-with-parent",
        dest="exit_with_parent",
        action="store_false",
        help="by default the hub exits by itself when the process "
        "that started it dies (no orphans after a crashed "
        "test run); this turns that off",
    )
    p.add_argument(
        "--verbose",
        action="store_true",
        help="log every request (werkzeug access log) and every task to stderr",
    )
    return p.parse_args(argv)


def build_app(args, hub_url_holder):
    """Return (flask_app, hub).  hub_url_holder[0] is the hub's public URL,
    filled in once the port is known (used by --lenient-links)."""
    import flask_websub.hub.tasks as hub_tasks
    from celery import Celery
    from celery.signals import task_failure
    from flask import Flask, jsonify
    from flask_websub.hub import Hub, SQLite3HubStorage

    celery = Celery("feedkit_test_hub")
    celery.conf.update(
        # no broker/worker: every .delay() runs synchronously in-process
        task_always_eager=True,
        task_eager_propagates=False,  # failures are logged, not raised
        task_store_eager_result=False,
        broker_url="memory://localhost/",  # never contacted, but never amqp either
        result_backend=None,
        worker_hijack_root_logger=False,
    )

    app = Flask("feedkit_test_hub")
    app.config.update(
        # These are read from app.config (the rest from Hub(**config)).
        PUBLISH_SUPPORTED=True,
        HUB_MIN_LEASE_SECONDS=args.min_lease,
        HUB_DEFAULT_LEASE_SECONDS=args.default_lease,
        HUB_MAX_LEASE_SECONDS=args.max_lease,
    )

    storage = SQLite3HubStorage(args.db)
    hub = Hub(
        storage,
        celery,
        SIGNATURE_ALGORITHM=args.signature_algorithm,
        REQUEST_TIMEOUT=args.request_timeout,
        MAX_ATTEMPTS=args.max_attempts,
        BACKOFF_BASE=0.1,
    )
    app.register_blueprint(hub.build_blueprint(url_prefix="/hub"))

    if args.lenient_links:
        original = hub_tasks.get_new_content

        def get_new_content(config, topic_url):
            body, updated = original(config, topic_url)
            headers = dict(updated["headers"])
            link = headers.get("Link", "")
            extra = []
            if 'rel="hub"' not in link:
                extra.append(f'<{hub_url_holder[0]}>; rel="hub"')
            if 'rel="self"' not in link:
                extra.append(f'<{topic_url}>; rel="self"')
            if extra:
                headers["Link"] = ", ".join(([link] if link else []) + extra)
            updated["headers"] = headers
            return body, updated

        hub_tasks.get_new_content = get_new_content

    log = logging.getLogger("feedkit_test_hub")

    @task_failure.connect(weak=False)
    def _log_failure(sender=None, exception=None, **_kw):
        name = getattr(sender, "name", sender)
        text = str(exception)
        if len(text) > 240:  # MaxRetriesExceededError repeats the body
            text = text[:240] + "..."
        log.warning("task %s failed: %s: %s", name, type(exception).__name__, text)

    @app.get("/_subscriptions")
    def _subscriptions():
        con = sqlite3.connect(args.db)
        try:
            rows = con.execute(
                "select topic_url, callback_url, secret, "
                "expiration_time - strftime('%s', 'now') from hub "
                "order by topic_url, callback_url"
            ).fetchall()
        finally:
            con.close()
        return jsonify(
            [
                {"topic": t, "callback": c, "has_secret": bool(s), "expires_in": e}
                for t, c, s, e in rows
            ]
        )

    @app.get("/_health")
    def _health():
        return "ok\n"

    return app, hub


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if args.verbose else logging.WARNING,
        format="hub %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # celery logs each failed task with a full traceback; the
        # task_failure handler below logs one line instead
        logging.getLogger("celery").setLevel(logging.CRITICAL)
        # flask_websub.warn() logs a full traceback; keep one line
        logging.getLogger("flask_websub").addFilter(_drop_exc_info)

    if args.db is None:
        fd, args.db = tempfile.mkstemp(prefix="feedkit-hub-", suffix=".sqlite3")
        os.close(fd)
    db_dir = os.path.dirname(os.path.abspath(args.db))
    os.makedirs(db_dir, exist_ok=True)

    hub_url_holder = [None]
    app, _hub = build_app(args, hub_url_holder)

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", args.port, app, threaded=True)
    hub_url = f"http://127.0.0.1:{server.server_port}/hub"
    hub_url_holder[0] = hub_url

    def _stop(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    if args.exit_with_parent:
        _watch_parent()

    print("READY " + hub_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _watch_parent():
    """SIGTERM ourselves once the parent process is gone."""
    import threading
    import time

    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _drop_exc_info(record):
    """Fold the exception into one line instead of a full traceback."""
    exc = record.exc_info
    if exc:
        if isinstance(exc, tuple):
            exc = exc[1]
        if isinstance(exc, BaseException):
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: {exc}"
            record.args = ()
        record.exc_info = None
        record.exc_text = None
    return True


if __name__ == "__main__":
    sys.exit(main())
