"""``wandb.sdk.lib.config_util.ConfigError``: what Hugging Face's callback imports to catch config errors."""

from ...errors import Error
from ....session import ConfigValueError


class ConfigError(Error):
    """A config problem W&B reports (minisweep raises :class:`ConfigValueError`, a subclass of ValueError)."""


__all__ = ["ConfigError", "ConfigValueError"]
