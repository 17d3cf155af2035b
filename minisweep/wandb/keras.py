"""``wandb.keras``: the old home of the Keras callbacks, an alias of :mod:`.integration.keras`."""

from .integration.keras import *  # noqa: F401,F403
