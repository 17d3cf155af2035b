"""``wandb.sdk``: where W&B's classes live (``wandb.sdk.wandb_run.Run`` in annotations, ...)."""

from . import lib, wandb_config, wandb_metric, wandb_run, wandb_settings, wandb_summary  # noqa: F401
from .wandb_run import Run  # noqa: F401
from .wandb_settings import Settings  # noqa: F401

__all__ = ["wandb_run", "wandb_config", "wandb_summary", "wandb_settings", "wandb_metric", "lib", "Run",
           "Settings"]
