"""``wandb.wandb_run.Run``: the run class, the one ``init()`` returns (Lightning checks ``isinstance``)."""

from ..session import ActiveRun as Run

__all__ = ["Run"]
