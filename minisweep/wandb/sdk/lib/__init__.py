"""``wandb.sdk.lib``: ``RunDisabled`` (Lightning checks ``isinstance(run, (Run, RunDisabled))``) and ``config_util``."""

from . import config_util  # noqa: F401


class RunDisabled:
    """W&B's run in ``mode="disabled"``; minisweep's runs are never disabled, so nothing is an instance."""


__all__ = ["RunDisabled", "config_util"]
