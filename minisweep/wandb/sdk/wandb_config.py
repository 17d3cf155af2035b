"""``wandb.sdk.wandb_config``: the run config class."""

from ...session import Config

__all__ = ["Config"]
