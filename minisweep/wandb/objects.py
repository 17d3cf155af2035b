"""``wandb.Settings``, ``wandb.Artifact``, ``wandb.AlertLevel`` (accepted) and ``wandb.Api`` (an error)."""

import contextlib
import os
from typing import Any

from ..session import OfflineError

__all__ = ["Settings", "Artifact", "AlertLevel", "Api"]


class Settings:
    """``wandb.Settings(start_method="thread", console="off", ...)``: kept, and changes nothing offline."""

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None

    def update(self, *args: Any, **kwargs: Any) -> None:
        for arg in args:
            self.__dict__.update(dict(arg))
        self.__dict__.update(kwargs)

    def __repr__(self) -> str:
        return "Settings(%s)" % ", ".join("%s=%r" % kv for kv in sorted(self.__dict__.items()))


class Artifact:
    """``wandb.Artifact(name, type, ...)``: accepted; ``log_artifact`` uploads nothing, the files stay on disk."""

    def __init__(self, name: str = "", type: str = "", description: Any = None, metadata: Any = None,
                 **kwargs: Any) -> None:
        self.name = name
        self.type = type
        self.description = description
        self.metadata = dict(metadata or {})
        self.files: list = []

    def add_file(self, local_path: Any, name: Any = None, **kwargs: Any) -> Any:
        self.files.append(str(local_path))
        return None

    def add_dir(self, local_path: Any, name: Any = None, **kwargs: Any) -> None:
        self.files.append(str(local_path))

    def add_reference(self, uri: Any, name: Any = None, **kwargs: Any) -> None:
        """Accepted; references are not followed."""

    def add(self, obj: Any, name: Any) -> None:
        """Accepted; the object is not kept."""

    def new_file(self, name: str, mode: str = "x", encoding: Any = None) -> Any:
        """A context manager giving a file that is thrown away (W&B would upload it)."""
        import tempfile  # lazy: only new_file() needs it (tempfile loads random)

        @contextlib.contextmanager
        def _file() -> Any:
            fd, path = tempfile.mkstemp(prefix="minisweep-artifact-")
            os.close(fd)
            try:
                with open(path, mode.replace("x", "w"), encoding=encoding if "b" not in mode else None) as fh:
                    yield fh
            finally:
                os.remove(path)

        return _file()

    def wait(self, timeout: Any = None) -> "Artifact":
        return self

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Accepted; nothing is uploaded."""

    def download(self, *args: Any, **kwargs: Any) -> Any:
        raise OfflineError("Artifact.download() needs W&B's server, which an offline sweep has not got; "
                           "read the files from disk instead")

    def __repr__(self) -> str:
        return "Artifact(%r, type=%r) (not uploaded offline)" % (self.name, self.type)


class AlertLevel:
    """``wandb.AlertLevel.INFO`` / ``WARN`` / ``ERROR``."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class Api:
    """``wandb.Api()`` reads runs from W&B's server: offline, use ``minisweep.load(sweep_id)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise OfflineError("wandb.Api() reads W&B's server, which an offline sweep has not got; "
                           "use minisweep.load(sweep_id) (its .runs, .best_run()) or `minisweep export ID`")
