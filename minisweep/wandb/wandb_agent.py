"""``wandb.wandb_agent``: where W&B's ``agent`` function lives (some scripts import it from here)."""

from . import agent

__all__ = ["agent"]
