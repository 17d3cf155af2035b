"""``wandb.apis.public``: the server's view of runs and sweeps, for annotations and ``isinstance``.

``Api()`` raises an error that points to ``minisweep.load(sweep_id)``, the
offline way to read a sweep's runs.
"""

from typing import Any

from ..objects import Api

__all__ = ["Api", "Run", "Sweep", "Project", "Runs"]


class Run:
    """A run as W&B's server reports it; offline, read runs with ``minisweep.load(...).runs``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        Api()


class Sweep(Run):
    """A sweep as W&B's server reports it; offline, ``minisweep.load(sweep_id)``."""


class Project(Run):
    """A project on W&B's server."""


class Runs(Run):
    """A page of runs on W&B's server."""
