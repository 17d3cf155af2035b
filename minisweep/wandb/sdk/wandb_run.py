"""``wandb.sdk.wandb_run``: the run class (the same class as ``wandb.wandb_run.Run``)."""

from ...session import ActiveRun as Run

__all__ = ["Run"]
