"""``wandb.errors``: the exception classes scripts catch (``except wandb.errors.CommError:``).

minisweep never talks to a server, so most of these are never raised; they
exist so that the ``except`` clauses and annotations of W&B scripts work.
:class:`Error` is the base; it is also a :class:`~minisweep.errors.MinisweepError`.
"""

from ..errors import MinisweepError

__all__ = ["Error", "CommError", "UsageError", "AuthenticationError", "UnsupportedError", "WandbCoreNotAvailableError"]


class Error(MinisweepError):
    """Base of W&B's errors (``wandb.Error``)."""

    def __init__(self, message: str = "", context: object = None) -> None:
        self.message = message
        self.context = context
        super().__init__(message)


class CommError(Error):
    """A failure to talk to W&B's server (never raised offline)."""

    def __init__(self, msg: str = "", exc: object = None) -> None:
        self.exc = exc
        super().__init__(msg)


class UsageError(Error):
    """The API was used the wrong way."""


class AuthenticationError(CommError):
    """A bad API key (never raised offline: there is nothing to log in to)."""


class UnsupportedError(UsageError):
    """A feature this client cannot provide."""


class WandbCoreNotAvailableError(Error):
    """W&B's core service is missing (never raised offline)."""
