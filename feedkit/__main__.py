"""``python -m feedkit``: the ``feedkit`` command, for when its script is not on PATH."""

from .cli import run

run()
