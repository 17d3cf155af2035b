"""``wandb.sdk.wandb_settings``: the settings class (accepted; changes nothing offline)."""

from ..objects import Settings

__all__ = ["Settings"]
