"""Fixtures shared by the test suite: the bundled site in a temporary folder, settings,
and the schemas from ../shared/ (tests that need them skip where they are absent)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from feedkit.diagnostics import Diagnostics
from feedkit.pipeline import BuildResult, build
from feedkit.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
SCHEMAS = SHARED / "schemas"
SEOUL = ZoneInfo("Asia/Seoul")
# The clock of the bundled-site tests: after every sample post but the scheduled one.
BUNDLED_NOW = datetime(2026, 1, 1, 9, 0, tzinfo=SEOUL)
SEED_NAME = "000_5bc091069e92d6b7.txt"


def require_schemas() -> Path:
    """Return the schemas folder, or skip the calling test where it is absent."""
    if not (SCHEMAS / "atom.rng").is_file():
        pytest.skip(f"schemas not found at {SCHEMAS} (they live in ../shared/ beside the repo)")
    return SCHEMAS


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the bundled sample site (feedkit.toml and content/) in a temporary folder.

    The seed post has no date of its own; its file time is set to 2024-06-17 09:00 KST so
    that tests do not depend on when the copy was made.
    """
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(REPO_ROOT / "feedkit.toml", root / "feedkit.toml")
    shutil.copytree(REPO_ROOT / "content", root / "content")
    stamp = datetime(2024, 6, 17, 9, 0, tzinfo=SEOUL).timestamp()
    os.utime(root / "content" / SEED_NAME, (stamp, stamp))
    return root


@pytest.fixture
def site_settings(site: Path) -> Settings:
    """Settings of the bundled site copy."""
    return load_settings(site / "feedkit.toml")


@pytest.fixture
def build_site() -> Callable[..., BuildResult]:
    """Build a site folder (with its feedkit.toml) at a given clock; returns the result."""

    def run(root: Path, *, now: datetime = BUNDLED_NOW, **overrides: Any) -> BuildResult:
        settings = load_settings(root / "feedkit.toml", overrides or None)
        return build(settings, now=now, diagnostics=Diagnostics())

    return run


def fork_workers(monkeypatch: pytest.MonkeyPatch, why: str) -> None:
    """Start this test's worker processes by forking the test process, so that they see
    the wrappers it patched in (a fork server's workers import feedkit afresh); skip the
    test, saying ``why``, where this system cannot fork."""
    import multiprocessing

    import feedkit._parallel

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip(why)
    monkeypatch.setattr(feedkit._parallel, "START_METHOD", "fork")


def write_post(folder: Path, name: str, front_matter: str, body: str = "Body text.\n") -> Path:
    """Write a post file with the given front matter (YAML text without the fences)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front_matter.strip()}\n---\n{body}", encoding="utf-8")
    return path


def load_script(name: str) -> ModuleType:
    """A script of ``scripts/`` loaded by path (it is not a package), registered in
    ``sys.modules`` first, as an import would: dataclasses look their module up."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module
