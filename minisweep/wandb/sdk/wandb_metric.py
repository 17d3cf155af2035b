"""``wandb.sdk.wandb_metric``: what ``define_metric()`` returns."""

from ...session import Metric

__all__ = ["Metric"]
