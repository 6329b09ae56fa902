"""Count posts whose feed content still shows raw Liquid or stray ``**``, on Jekyll sites.

Usage::

    python scripts/liquid_residue.py SITE [SITE ...] [--feedkit PATH] [--work DIR]

Each SITE (a Jekyll site's folder) is copied into ``--work`` (the site itself is never
written to) and built with the ``feedkit`` command given (default: the one on PATH),
every post in ``feed.json`` (``--limit`` high enough for all). For each post the script
looks at the text a reader sees outside ``<pre>`` and ``<code>`` (where ``{{`` may be
the author's text: Go or Vue templates, Liquid documentation) and counts:

- ``liquid``: posts whose content or summary holds ``{%`` or ``{{`` there;
- ``stars``: posts whose content holds ``**`` there (emphasis left literal);
- ``liquid_any``: posts whose content holds ``{%`` or ``{{`` anywhere, code included.

It prints one JSON line per site: posts, those counts, and the build's warnings by code.
A site whose ``_config.yml`` has no ``url`` is built with ``--site-url``; one whose
``_config.yml`` feedkit rejects, through a minimal ``feedkit.toml`` (both are said in the
line).
Run it with feedkit before and after a change to compare.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import lxml.html

# For sites whose _config.yml has no url (feeds need one; the counts do not depend on it).
SITE_URL = "https://site.invalid"


def _outside_code(fragment: str) -> str:
    if not fragment.strip():
        return ""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for element in root.xpath("//pre|//code"):
        element.drop_tree()
    return str(root.text_content())


def measure(site: Path, feedkit: str, work: Path) -> dict[str, object]:
    """Build a copy of ``site`` with ``feedkit``; return the counts for its posts."""
    copy = work / site.name
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(site, copy, symlinks=True, ignore=shutil.ignore_patterns(".git", "_site"))
    out = copy / "_feedkit_out"
    command = [feedkit, "build", "--out", str(out), "--limit", "100000", "--json", "-q"]
    counts: dict[str, object] = {"site": site.name}
    done = subprocess.run(command, cwd=copy, capture_output=True, text=True, timeout=3600)
    if done.returncode == 2 and "site.url is not set" in done.stderr:
        counts["site_url"] = SITE_URL
        command += ["--site-url", SITE_URL]
        done = subprocess.run(command, cwd=copy, capture_output=True, text=True, timeout=3600)
    if done.returncode == 2 and "invalid configuration" in done.stderr:
        # A _config.yml key feedkit rejects (issue #23 item 4): the site is read through
        # a feedkit.toml instead, which keeps _config.yml for Liquid but not for feedkit.
        counts["via_feedkit_toml"] = done.stderr.strip().splitlines()[-1][:200]
        (copy / "feedkit.toml").write_text(
            f'[site]\nurl = "{SITE_URL}"\n[content]\ndir = "."\n', "utf-8"
        )
        done = subprocess.run(command, cwd=copy, capture_output=True, text=True, timeout=3600)
    counts["exit"] = done.returncode
    warnings: collections.Counter[str] = collections.Counter()
    try:
        result = json.loads(done.stdout)
        for diagnostic in result.get("diagnostics", []):
            if diagnostic.get("level") in ("warning", "error"):
                warnings[diagnostic.get("code", "?")] += 1
    except ValueError:
        counts["stderr"] = done.stderr[-500:]
    feed = out / "feed.json"
    items = json.loads(feed.read_text("utf-8"))["items"] if feed.is_file() else []
    liquid = stars = liquid_any = 0
    for item in items:
        content = item.get("content_html", "")
        summary = item.get("summary", "")
        outside = _outside_code(content) + " " + summary
        liquid += "{%" in outside or "{{" in outside
        stars += "**" in _outside_code(content)
        liquid_any += "{%" in content or "{{" in content
    counts.update(
        posts=len(items),
        liquid=liquid,
        stars=stars,
        liquid_any=liquid_any,
        warnings=dict(sorted(warnings.items())),
    )
    shutil.rmtree(copy)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", nargs="+", type=Path)
    parser.add_argument("--feedkit", default="feedkit")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="liquid-residue-"))
    work.mkdir(parents=True, exist_ok=True)
    for site in args.sites:
        print(json.dumps(measure(site, args.feedkit, work), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
