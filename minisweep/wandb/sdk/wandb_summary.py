"""``wandb.sdk.wandb_summary``: the run summary class."""

from ...session import Summary

__all__ = ["Summary"]
