"""The ``feedkit`` command: a thin layer of click over the Python API."""

from __future__ import annotations

import atexit
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__

F = TypeVar("F", bound=Callable[..., Any])


def _config_options(function: F) -> F:
    """Options shared by every command that reads the site's configuration."""
    decorators = [
        click.option(
            "--config",
            "config_path",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Config file (default: ./feedkit.toml, else ./_config.yml).",
        ),
        click.option("--site-url", help="Absolute URL of the site, e.g. https://example.com."),
        click.option("-v", "--verbose", is_flag=True, help="Also list skipped files and why."),
        click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


_wait_option = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to wait for another run on the same site to finish (then exit 75).",
)


# The exit status :func:`run` hands to the process (1 until the command says otherwise,
# as for an exception that escapes it).
_exit_status = 1


def run() -> None:
    """The ``feedkit`` script and ``python -m feedkit``: :func:`main`, ended by
    :func:`_exit_without_teardown`. An exit handler registered before this call would not
    run; nothing that the script imports first registers one (a test checks)."""
    global _exit_status
    # Registered before anything the command imports registers its own, so that it runs
    # last: atexit calls its handlers newest first.
    atexit.register(_exit_without_teardown)
    try:
        main(prog_name="feedkit")
    except SystemExit as ended:
        code = ended.code
        _exit_status = 0 if code is None else code if isinstance(code, int) else 1
        raise
    _exit_status = 0


def _exit_without_teardown() -> None:
    """End the process once every other exit handler has run, skipping the interpreter's
    teardown: freeing each object of every imported module one by one took 11 ms after a
    build with nothing to do and 25 ms after one that rendered a post (10,000 posts,
    #25), and the system frees a process's memory at once. Python has joined the
    threads that are not daemons before exit handlers run; files a build writes are
    closed (and synced) by the code that writes them; only standard output and error
    may still hold bytes."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None when the process started with it closed
                stream.flush()
    except (OSError, ValueError):
        return  # a closed pipe: the interpreter reports it as it would have
    os._exit(_exit_status)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="feedkit")
def main() -> None:
    """Publish RSS 2.0, Atom 1.0 and JSON Feed files from a folder of posts.

    \b
    Examples:
      feedkit build                      # ./feedkit.toml, posts in ./content, into ./public
      feedkit build _posts --out _site --site-url https://example.com
    """


def _parse_now(value: str | None) -> datetime:
    from datetime import UTC

    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected an ISO 8601 instant, got {value!r}") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@contextmanager
def _json_errors(as_json: bool, diagnostics: Any = None) -> Iterator[None]:
    """Under ``--json``, a failure still prints the one JSON document the command
    promises on stdout (``{"error": ..., "diagnostics": [...]}``), then exits as usual."""
    try:
        yield
    except click.ClickException as exc:
        if as_json:
            document = {
                "error": {
                    "message": exc.format_message(),
                    "path": getattr(exc, "path", None),
                    "line": getattr(exc, "line", None),
                    "exit_code": exc.exit_code,
                },
                "diagnostics": [d.as_dict() for d in diagnostics] if diagnostics else [],
            }
            click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        raise


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Keep Python's cycle collector off for a one-shot build.

    A build makes a few records for every post (tens of thousands on a large site) and
    almost no reference cycles; the collector would walk all of them hundreds of times
    and free nothing, about a sixth of an incremental build. The command exits after the
    build; the API leaves the collector alone.
    """
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@main.command("build")
@click.argument("content", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: public).",
)
@click.option("--limit", type=click.IntRange(min=1), help="Entries per feed (default: 20).")
@click.option("--drafts", is_flag=True, default=None, help="Publish drafts too.")
@click.option("--future", is_flag=True, default=None, help="Publish posts dated in the future now.")
@click.option("--strict", is_flag=True, help="Fail on any warning, and then write nothing.")
@_wait_option
@click.option(
    "--now",
    "now_text",
    metavar="TIMESTAMP",
    help="Build as if it were this ISO 8601 instant (for testing schedules).",
)
@click.option(
    "--hub",
    "hubs",
    multiple=True,
    metavar="URL",
    help="WebSub hub to advertise and ping (repeatable; adds to websub.hubs).",
)
@click.option(
    "--ping", is_flag=True, help="Ping the hubs right after writing (when the output is live)."
)
@_config_options
def build_command(
    content: Path | None,
    out: Path | None,
    limit: int | None,
    drafts: bool | None,
    future: bool | None,
    strict: bool,
    wait: float,
    now_text: str | None,
    hubs: tuple[str, ...],
    ping: bool,
    config_path: Path | None,
    site_url: str | None,
    verbose: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Build the feeds of a site.

    CONTENT is the folder of posts (default: the config's content.dir, else ./content).

    \b
    Example:
      feedkit build content --out public --site-url https://example.com
    """
    from .diagnostics import Diagnostics
    from .settings import find_config, hugo_languages, is_hugo_config

    now = _parse_now(now_text)
    # The state records real time only: --now is the clock of this build alone.
    recorded_at = _parse_now(None) if now_text is not None else None
    diagnostics = Diagnostics()
    overrides: dict[str, dict[str, Any]] = {
        "site": {"url": site_url},
        "content": {
            "dir": str(content.resolve()) if content else None,
            "drafts": drafts,
            "future": future,
        },
        "feeds": {"output": str(out.resolve()) if out else None, "limit": limit},
    }
    path = config_path or find_config(Path.cwd())
    languages: tuple[str | None, ...] = (None,)
    if path is not None and is_hugo_config(path):
        # A multilingual Hugo site is one site per language: a feed set for each.
        with _json_errors(as_json, diagnostics):
            languages = hugo_languages(path)
    results: dict[str, Any] = {}
    for language in languages:
        if len(languages) > 1:
            diagnostics = Diagnostics()  # each language's build reports its own
        with _json_errors(as_json, diagnostics):
            result = _build_and_report(
                path,
                _for_language(overrides, language, languages),
                hubs,
                now,
                recorded_at,
                strict,
                wait,
                ping,
                diagnostics,
                verbose,
                quiet,
                as_json and len(languages) == 1,
                language=language,
            )
        results[language or ""] = result
    if len(languages) > 1:
        if as_json:
            document = {lang: each.as_dict() for lang, each in results.items()}
            click.echo(json.dumps({"languages": document}, ensure_ascii=False, indent=2))
        result = _combined(list(results.values()))
    if (strict and result.posts_skipped) or result.posts_skipped_newly:
        # Under cron, a post skipped for a problem reported before, in a file unchanged
        # since, is old news: it does not fail the run again (README, "Running from cron").
        from .errors import SourceError

        count = result.posts_skipped if strict else result.posts_skipped_newly
        raise SourceError(f"{count} post(s) skipped (see above); the others were published")


def _for_language(
    overrides: dict[str, dict[str, Any]], language: str | None, languages: tuple[str | None, ...]
) -> dict[str, dict[str, Any]]:
    """``overrides`` for one language of a Hugo site: an --out folder gets the language's
    subfolder, as Hugo publishes every language but the default under /<lang>/."""
    output = overrides["feeds"].get("output")
    if language is None or language == languages[0] or output is None:
        return overrides
    return {**overrides, "feeds": {**overrides["feeds"], "output": f"{output}/{language}"}}


def _combined(results: list[Any]) -> Any:
    """One result standing for the builds of every language, for the exit status."""
    from dataclasses import replace

    first = results[0]
    return replace(
        first,
        posts_skipped=sum(r.posts_skipped for r in results),
        posts_published=sum(r.posts_published for r in results),
    )


def _build_and_report(
    path: Path | None,
    overrides: dict[str, dict[str, Any]],
    hubs: tuple[str, ...],
    now: datetime,
    recorded_at: datetime | None,
    strict: bool,
    wait: float,
    ping: bool,
    diagnostics: Any,
    verbose: bool,
    quiet: bool,
    as_json: bool,
    *,
    language: str | None = None,
) -> Any:
    """Load the settings (of one ``language`` of a Hugo site), build, print the
    diagnostics and the result; return it."""
    from .pipeline import build
    from .settings import load_settings

    try:
        settings = _with_hubs(
            load_settings(path, overrides, diagnostics=diagnostics, language=language), hubs
        )
        _require_site_url(settings)
        with _ProgressLine(enabled=not quiet and not as_json) as progress, _no_cyclic_gc():
            result = build(
                settings,
                now=now,
                strict=strict,
                wait=wait,
                ping=ping,
                diagnostics=diagnostics,
                progress=progress,
                recorded_at=recorded_at,
            )
    except click.ClickException:
        _print_diagnostics(diagnostics, verbose=verbose, quiet=quiet)
        raise
    known = frozenset() if strict else result.known_problems
    _print_diagnostics(diagnostics, verbose=verbose, quiet=quiet, known=known)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    elif not quiet:
        hidden = 0 if verbose else len(known)
        if hidden:
            click.echo(
                f"feedkit: {hidden} problem(s) reported before, in files unchanged since, "
                "not shown again (build -v lists them)",
                err=True,
            )
        click.echo(_summary_line(result), err=True)
    return result


@main.command("dates")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--now", "now_text", metavar="TIMESTAMP", help="Resolve as if it were this ISO 8601 instant."
)
@click.option(
    "--tables",
    "tables_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Judge each table of this HTML or Markdown file: its kind, date column and why.",
)
@_config_options
def dates_command(
    paths: tuple[Path, ...],
    now_text: str | None,
    tables_path: Path | None,
    config_path: Path | None,
    site_url: str | None,
    verbose: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Explain each post's dates: published and updated with their sources, and the
    events of its timeline tables. Writes nothing.

    PATHS limits the report to some posts or folders (default: every post). With --tables,
    report instead how each table of one file is judged (only timelines give events);
    dates without a year are read against --now, in the site's time zone.

    \b
    Example:
      feedkit dates content/ --json
      feedkit dates --tables _posts/2024-06-18-ferry.md --now 2024-06-18T09:00+09:00
    """
    from .diagnostics import Diagnostics
    from .pipeline import explain_dates
    from .settings import find_config, load_settings

    diagnostics = Diagnostics()
    path = config_path or find_config(Path.cwd())
    with _json_errors(as_json, diagnostics):
        if tables_path is not None:
            zone = load_settings(path, {"site": {"url": site_url or "http://localhost"}}).site.zone
            _print_tables(tables_path, now=_parse_now(now_text), tz=zone, as_json=as_json)
            return
        settings = load_settings(path, {"site": {"url": site_url}})
        if not settings.site.url:
            # Dates do not depend on the site's URL; a placeholder lets permalinks be shown.
            settings = load_settings(path, {"site": {"url": "http://localhost"}})
        reports = explain_dates(
            settings, now=_parse_now(now_text), paths=paths, diagnostics=diagnostics
        )
    _print_diagnostics(diagnostics, verbose=verbose, quiet=quiet)
    if as_json:
        document = [report.as_dict() for report in reports]
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    for report in reports:
        click.echo(f"{report.path}  [{report.status}]  {report.title}")
        click.echo(f"  published  {report.published.at.isoformat()}  ({report.published.source})")
        click.echo(f"  updated    {report.updated.at.isoformat()}  ({report.updated.source})")
        for event in report.timeline:
            if event.span is None:
                when = "(not a date)"
            else:
                start, end = event.span.start.isoformat(), event.span.end.isoformat()
                when = start if start == end else f"{start} .. {end}"
                when += f"  [{event.span.precision.name.lower()}]"
            click.echo(f"  timeline   {event.date_text!r}: {when}  {event.text}")


def _print_tables(path: Path, *, now: datetime, tz: Any, as_json: bool) -> None:
    """Print how each table of ``path`` is judged, and the events of its timelines."""
    from .errors import SourceError
    from .render import render_markdown
    from .timeline import judge_tables

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read: {exc}", path=path) from exc
    if path.suffix.lower() in (".md", ".markdown", ".mkd"):
        body = (
            text.split("\n---\n", 1)[1] if text.startswith("---\n") and "\n---\n" in text else text
        )
        text = render_markdown(body)
    judged = judge_tables(text, now.astimezone(tz), tz)
    if as_json:
        document = [
            {
                **verdict.as_dict(),
                "events": [
                    {
                        "row": event.row,
                        "date_text": event.date_text,
                        "text": event.text,
                        **(
                            {}
                            if event.span is None
                            else {
                                "start": event.span.start.isoformat(),
                                "end": event.span.end.isoformat(),
                                "precision": event.span.precision.name.lower(),
                            }
                        ),
                    }
                    for event in events
                ],
            }
            for verdict, events in judged
        ]
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    if not judged:
        click.echo(f"{path}: no tables")
    for verdict, events in judged:
        column = "-" if verdict.date_column is None else str(verdict.date_column + 1)
        click.echo(
            f"{path} table {verdict.table + 1}: {verdict.kind.value}  "
            f"(date column {column}, {verdict.header_rows} header row(s), {verdict.rows} rows)"
        )
        for reason in verdict.reasons:
            click.echo(f"  because {reason}")
        for event in events:
            when = "(not a date)"
            if event.span is not None:
                start, end = event.span.start.isoformat(), event.span.end.isoformat()
                when = (start if start == end else f"{start} .. {end}") + (
                    f"  [{event.span.precision.name.lower()}]"
                )
            click.echo(f"  event {event.date_text!r}: {when}  {event.text}")


@main.command("check")
@click.argument(
    "directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--hub",
    "hubs",
    multiple=True,
    metavar="URL",
    help="WebSub hub every feed must advertise (repeatable).",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="URL the folder is served at; each self link must be this plus the file's path.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
def check_command(
    directory: Path | None, hubs: tuple[str, ...], base_url: str | None, as_json: bool
) -> None:
    """Check published RSS, Atom and JSON Feed files for problems readers would trip on.

    DIRECTORY is the output of `feedkit build` (default: the config's feeds.output, with
    its site URL as --base-url). Exits 1 if any problem is found.

    \b
    Example:
      feedkit check public --base-url https://example.com
    """
    from .check import check_output
    from .settings import find_config, load_settings

    if directory is None:
        with _json_errors(as_json):
            settings = load_settings(find_config(Path.cwd()))
        directory = settings.feeds.output
        if base_url is None and settings.site.url:
            base_url = settings.site.root_url
    problems = check_output(directory, hubs=hubs, base_url=base_url)
    if as_json:
        document = {
            "directory": str(directory),
            "problems": [problem.as_dict() for problem in problems],
        }
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(f"feedkit check: {len(problems)} problems in {directory}", err=True)
    if problems:
        from .errors import FeedkitError

        raise FeedkitError(f"{len(problems)} problem(s) found", path=directory)


@main.command("serve")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; the default is reachable from this machine only.",
)
@click.option("--watch", is_flag=True, help="Build now, then rebuild when posts or config change.")
@_config_options
def serve_command(
    port: int,
    host: str,
    watch: bool,
    config_path: Path | None,
    site_url: str | None,
    verbose: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Serve the output folder over HTTP, as a feed reader or aggregator would fetch it.

    Feeds get their media types, ETag, Last-Modified, 304 Not Modified, gzip and WebSub
    Link headers. Stop with Ctrl-C.

    \b
    Example:
      feedkit serve --watch          # then subscribe to http://127.0.0.1:8000/atom.xml
    """
    import logging
    import threading

    from .diagnostics import Diagnostics
    from .pipeline import build
    from .serve import make_server, serve_forever_in_thread, watch_and_rebuild
    from .settings import find_config, load_settings

    logging.basicConfig(
        level=logging.DEBUG if verbose else (logging.ERROR if quiet else logging.INFO),
        format="feedkit: %(message)s",
    )
    path = config_path or find_config(Path.cwd())
    overrides: dict[str, dict[str, Any]] = {"site": {"url": site_url}}
    settings = load_settings(path, overrides)

    def rebuild() -> None:
        # The config is read again: it is one of the watched files.
        fresh = load_settings(path, overrides)
        _require_site_url(fresh)
        diagnostics = Diagnostics()
        try:
            result = build(fresh, now=_parse_now(None), diagnostics=diagnostics)
        finally:
            _print_diagnostics(diagnostics, verbose=verbose, quiet=quiet)
        if not quiet:
            click.echo(_summary_line(result), err=True)

    if watch:
        rebuild()
    output = settings.feeds.output
    server = make_server(output, host=host, port=port, link_headers=_feed_links(settings))
    bound_host, bound_port = server.server_address[:2]
    host_text = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
    shown_host = f"[{host_text}]" if ":" in host_text else host_text
    url = f"http://{shown_host}:{bound_port}/"
    if as_json:
        click.echo(json.dumps({"url": url, "directory": str(output)}, ensure_ascii=False))
    elif not quiet:
        click.echo(f"feedkit: serving {output} at {url} (Ctrl-C to stop)", err=True)
    stop = threading.Event()
    thread = serve_forever_in_thread(server)
    try:
        if watch:
            watched = [settings.content.dir, *([path] if path else [])]
            watch_and_rebuild(watched, rebuild, stop=stop, exclude=[output])
        else:
            while thread.is_alive():
                thread.join(0.5)  # a timeout keeps Ctrl-C working on every platform
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def _feed_links(settings: Any) -> Callable[[str], list[tuple[str, str]]]:
    """WebSub discovery links (rel=hub, rel=self; WebSub section 4) for served feeds."""
    from .permalinks import encode_url_path

    root = settings.site.root_url
    feed_names = ("rss.xml", "atom.xml", "feed.json")

    def links(url_path: str) -> list[tuple[str, str]]:
        if not root or not url_path.endswith(feed_names) or "/archive/" in url_path:
            return []
        self_url = root + encode_url_path(url_path.lstrip("/"))
        return [*((hub, "hub") for hub in settings.websub.hubs), (self_url, "self")]

    return links


_STAGE_LABELS = {"read": "reading posts", "write": "writing feeds"}


class _ProgressLine:
    """A progress line on stderr for builds that take more than about a second, and only
    on a terminal: under cron (no terminal) a build prints nothing but its summary."""

    def __init__(self, *, enabled: bool, stream: Any = None, delay: float = 1.0) -> None:
        import time

        self._stream = stream if stream is not None else sys.stderr
        # No stderr at all (started with it closed, ``2>&-``): nothing to show it on.
        self._enabled = enabled and self._stream is not None and self._stream.isatty()
        self._started = time.monotonic()
        self._delay = delay
        self._shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        import time

        if not self._enabled or time.monotonic() - self._started < self._delay:
            return
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        label = _STAGE_LABELS.get(stage, stage)
        self._stream.write(f"\rfeedkit: {label:<14} [{bar}] {done}/{total}\x1b[K")
        self._stream.flush()
        self._shown = True

    def __enter__(self) -> _ProgressLine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def _with_hubs(settings: Any, hubs: tuple[str, ...]) -> Any:
    """``settings`` with the ``--hub`` URLs added to ``websub.hubs`` (checked like them)."""
    if not hubs:
        return settings
    import dataclasses

    from .settings import load_settings

    checked = load_settings(None, {"websub": {"hubs": list(hubs)}}).websub.hubs
    merged = tuple(dict.fromkeys((*settings.websub.hubs, *checked)))
    return dataclasses.replace(settings, websub=dataclasses.replace(settings.websub, hubs=merged))


@main.command("ping")
@click.option(
    "--status",
    "show_status",
    is_flag=True,
    help="List what is queued (or was refused) and why; send nothing.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send nothing.")
@click.option(
    "--drop",
    "drop_hubs",
    multiple=True,
    metavar="HUB",
    help="Remove the pings for this hub from the queue; send nothing (repeatable).",
)
@click.option("--clear", is_flag=True, help="Remove every ping from the queue; send nothing.")
@_wait_option
@_config_options
def ping_command(
    show_status: bool,
    dry_run: bool,
    drop_hubs: tuple[str, ...],
    clear: bool,
    wait: float,
    config_path: Path | None,
    site_url: str | None,
    verbose: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Send the WebSub pings that builds queued for the feeds they changed.

    For a deploy step between build and ping: run it once the new files are live.
    Exits 75 if pings are left in the queue (a hub was down), 1 if a hub refused one
    or if pings were given up (queued for over a week). Pings for a hub no longer
    configured are dropped, and said so.

    \b
    Example:
      feedkit build && rsync -a public/ host:/srv/www/ && feedkit ping
      feedkit ping --drop https://old-hub.example/   # forget a hub's pings
    """
    from .pings import clear_pings, ping_queue, send_queued_pings
    from .settings import find_config, load_settings

    with _json_errors(as_json):
        settings = load_settings(
            config_path or find_config(Path.cwd()), {"site": {"url": site_url}}
        )
    if clear or drop_hubs:
        removed = clear_pings(settings, hubs=None if clear else drop_hubs, wait=wait)
        if as_json:
            click.echo(json.dumps({"removed": removed}))
        elif not quiet:
            click.echo(f"feedkit: {removed} pings removed from the queue", err=True)
        return
    if show_status:
        from .pings import queued_ping_dict

        queue = ping_queue(settings)
        if as_json:
            rows = [queued_ping_dict(q) for q in queue]
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            # Human text goes to stderr, as --dry-run's and every other command's does.
            for q in queue:
                reason = f" ({q.last_error})" if q.last_error else ""
                click.echo(
                    f"{q.status}  {q.feed_url} -> {q.hub}  since "
                    f"{q.queued_at.isoformat()}, {q.attempts} attempts{reason}",
                    err=True,
                )
            click.echo(f"feedkit: {len(queue)} pings in the queue", err=True)
        return
    summary = send_queued_pings(settings, now=_parse_now(None), wait=wait, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        for q in summary.dropped:
            click.echo(f"dropped  {q.feed_url} -> {q.hub} (hub no longer configured)", err=True)
        for q in summary.given_up:
            click.echo(
                f"given up  {q.feed_url} -> {q.hub} (queued since {q.queued_at.isoformat()}, "
                f"{q.attempts} attempts; {q.last_error or 'never delivered'})",
                err=True,
            )
        for result in summary.results:
            if not quiet or result.outcome.value != "delivered":
                detail = f" ({result.error})" if result.error else ""
                click.echo(
                    f"{result.outcome.value}  {result.ping.feed_url} -> {result.ping.hub}{detail}",
                    err=True,
                )
        if not quiet:
            click.echo(_ping_line(summary), err=True)
    from .errors import FeedkitError, HubUnavailable

    if summary.failed:
        raise FeedkitError(f"{summary.failed} ping(s) refused by a hub; see feedkit ping --status")
    if summary.given_up and not dry_run:
        raise FeedkitError(
            f"{len(summary.given_up)} ping(s) given up after a week in the queue (see above)"
        )
    if summary.still_queued and not dry_run:
        raise HubUnavailable(f"{summary.still_queued} ping(s) still queued; try again later")


def _ping_line(summary: Any) -> str:
    return (
        f"feedkit: pings {summary.delivered} delivered, {summary.still_queued} queued, "
        f"{summary.failed} failed"
    )


@main.command("links")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Config file (default: ./feedkit.toml, else ./_config.yml).",
)
@click.option("--site-url", help="Absolute URL of the site, e.g. https://example.com.")
@click.option("--json", "as_json", is_flag=True, help="Print the feeds' URLs as JSON.")
def links_command(config_path: Path | None, site_url: str | None, as_json: bool) -> None:
    """Print the <link rel="alternate"> tags that let browsers and feed readers find the
    site-wide feeds, to paste into the <head> of the site's pages. Needs no build.

    \b
    Example:
      feedkit links >> _includes/head.html
    """
    from .browser import discovery_links, site_feed_link
    from .settings import find_config, load_settings

    with _json_errors(as_json):
        settings = load_settings(
            config_path or find_config(Path.cwd()), {"site": {"url": site_url}}
        )
        _require_site_url(settings)
    if as_json:
        feed = site_feed_link(settings)
        document = {"title": feed.title, "urls": dict(feed.urls)}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        click.echo(discovery_links(settings))


@main.command("init")
@click.option(
    "--site-url", metavar="URL", help="Absolute URL of the site, e.g. https://example.com."
)
@click.option("--title", help="Feed title.")
@click.option("--language", metavar="TAG", help="Language tag of the site, e.g. ko or en-US.")
@click.option("--timezone", metavar="ZONE", help="IANA time zone, e.g. Asia/Seoul.")
@click.option(
    "--content",
    "content_dir",
    metavar="DIR",
    help="Folder holding the posts, relative to the current folder (default: content).",
)
@click.option(
    "--out", metavar="DIR", help="Output folder, relative to the current folder (default: public)."
)
@click.option("--force", is_flag=True, help="Replace an existing feedkit.toml.")
def init_command(
    site_url: str | None,
    title: str | None,
    language: str | None,
    timezone: str | None,
    content_dir: str | None,
    out: str | None,
    force: bool,
) -> None:
    """Write a commented feedkit.toml in the current folder, listing every key.

    Values come from the options, else from a Jekyll _config.yml in the folder; the other
    keys are written commented out with their defaults. An existing feedkit.toml is left
    alone unless --force.

    \b
    Example:
      feedkit init --site-url https://example.com --title "My blog" --language ko
    """
    from .init import init_config

    values: dict[str, dict[str, Any]] = {
        "site": {"url": site_url, "title": title, "language": language, "timezone": timezone},
        "content": {"dir": content_dir},
        "feeds": {"output": out},
    }
    path = init_config(Path.cwd(), values, force=force)
    click.echo(f"feedkit: wrote {path}", err=True)


def _require_site_url(settings: Any) -> None:
    from .errors import ConfigError

    if not settings.site.url:
        raise ConfigError(
            "site.url is not set: feeds need absolute URLs (set [site] url in "
            "feedkit.toml, url in _config.yml, or pass --site-url)"
        )


def _summary_line(result: Any) -> str:
    parts = [
        f"{result.posts_read} posts read ({result.posts_parsed} parsed)",
        f"{result.posts_skipped} skipped",
        f"{result.posts_published} published",
        f"{len(result.files_written)} files written",
        f"{len(result.files_unchanged)} unchanged",
        f"{result.seconds:.2f} s",
    ]
    if result.pings is not None:
        pings = result.pings
        parts.append(
            f"pings {pings.delivered} delivered, {pings.still_queued} queued, {pings.failed} failed"
        )
    line = "feedkit: " + ", ".join(parts)
    if result.next_scheduled is not None:
        upcoming = result.next_scheduled
        line += f"; next scheduled: {upcoming.path} at {upcoming.due_at.isoformat()}"
    return line


def _print_diagnostics(
    diagnostics: Any, *, verbose: bool, quiet: bool, known: frozenset[Any] = frozenset()
) -> None:
    """Print the diagnostics for the verbosity asked; ``known`` (problems reported before,
    in files unchanged since) are printed only with ``-v``."""
    from .diagnostics import Level

    floor = Level.INFO if verbose else (Level.ERROR if quiet else Level.WARNING)
    for diagnostic in diagnostics.at_least(floor):
        if verbose or diagnostic not in known:
            click.echo(str(diagnostic), err=True)


if __name__ == "__main__":  # pragma: no cover
    run()
