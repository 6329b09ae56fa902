"""Guard tests: README documents every setting and command; __all__ lists the API."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

import feedkit
from feedkit.cli import main
from feedkit.settings import _SECTIONS

from .conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text("utf-8")
KEYS = [f"{name}.{f.name}" for name, cls in _SECTIONS.items() for f in dataclasses.fields(cls)]


@pytest.mark.parametrize("key", KEYS)
def test_every_setting_is_in_the_readme(key):
    assert f"`{key}`" in README


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_and_is_in_the_readme(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output
    assert f"feedkit {command}" in README


@pytest.mark.parametrize("name", feedkit.__all__)
def test_public_names_resolve(name):
    assert getattr(feedkit, name) is not None
