"""``wandb.apis``: W&B's server APIs; offline only their names exist (``wandb.apis.public.Run``)."""

from . import public  # noqa: F401
from .public import Api as PublicApi  # noqa: F401

__all__ = ["public", "PublicApi"]
