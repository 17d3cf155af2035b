"""The exception tree of minisweep.

Every error minisweep raises on purpose derives from :class:`MinisweepError`,
and each subclass also derives from the built-in exception a caller would
already catch (``ValueError`` for bad input, ``OSError`` for the store), so
old handlers keep working.  Errors carry data, not just text: a
:class:`ConfigError` holds every :class:`Problem` found, each with the key
path (``parameters.lr.min``) and, when the config came from a file, the file
name, line and column.

>>> err = ConfigError([Problem("parameters.lr", "min 0.1 is not less than max 0.01", line=7, source="sweep.yaml")])
>>> print(err)
sweep.yaml:7: parameters.lr: min 0.1 is not less than max 0.01
>>> err.key_path, err.line
('parameters.lr', 7)
>>> isinstance(err, ValueError)
True
"""

TYPE_CHECKING = False  # typing costs import time; so the annotations here are quoted strings
if TYPE_CHECKING:
    from typing import Iterable, List, Optional, Union

__all__ = [
    "MinisweepError",
    "Problem",
    "ConfigError",
    "MinisweepWarning",
    "StoreError",
    "SweepNotFound",
    "RunNotFound",
    "InvalidIdError",
    "StateError",
    "AgentError",
    "ChildFailed",
]


class MinisweepError(Exception):
    """Root of every exception minisweep raises deliberately."""


class MinisweepWarning(UserWarning):
    """Something minisweep accepts but suspects is a mistake (a near-miss key, a deprecated form)."""


class Problem:
    """One thing wrong with a config: where it is and what to do about it.

    Args:
        key_path: dotted path of the offending key (``parameters.lr.min``), or ``""`` for the whole document.
        message: what is wrong, naming the culprit and, where possible, the fix.
        line: 1-based line in the source file, when known.
        column: 1-based column in the source file, when known.
        source: the file name the config came from, when it came from a file.
    """

    __slots__ = ("key_path", "message", "line", "column", "source")

    def __init__(
        self,
        key_path: str,
        message: str,
        *,
        line: "Optional[int]" = None,
        column: "Optional[int]" = None,
        source: "Optional[str]" = None,
    ) -> None:
        self.key_path = key_path
        self.message = message
        self.line = line
        self.column = column
        self.source = source

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = self.source + ":"
        if self.line is not None:
            where += "%d:" % self.line
            if self.column is not None:
                where += "%d:" % self.column
        head = (where + " ") if where else ""
        if self.key_path:
            return "%s%s: %s" % (head, self.key_path, self.message)
        return head + self.message

    def __repr__(self) -> str:
        return "Problem(%r, %r, line=%r, column=%r, source=%r)" % (
            self.key_path, self.message, self.line, self.column, self.source)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return all(getattr(self, s) == getattr(other, s) for s in self.__slots__)


class ConfigError(MinisweepError, ValueError):
    """A sweep config that cannot be read or cannot be run.

    Reports every problem at once.  ``problems`` is the list of
    :class:`Problem`; ``key_path``, ``line``, ``column`` and ``source`` are
    those of the first problem, for callers that only care about one.

    Args:
        problems: a list of :class:`Problem`, or a single message string.
        key_path, line, column, source: used with a single message string.
    """

    def __init__(
        self,
        problems: "Union[str, Problem, Iterable[Problem]]",
        *,
        key_path: str = "",
        line: "Optional[int]" = None,
        column: "Optional[int]" = None,
        source: "Optional[str]" = None,
    ) -> None:
        if isinstance(problems, str):
            problems = [Problem(key_path, problems, line=line, column=column, source=source)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: List[Problem] = list(problems)
        if not self.problems:
            raise ValueError("ConfigError needs at least one problem")
        super().__init__(str(self))

    @property
    def key_path(self) -> str:
        return self.problems[0].key_path

    @property
    def line(self) -> "Optional[int]":
        return self.problems[0].line

    @property
    def column(self) -> "Optional[int]":
        return self.problems[0].column

    @property
    def source(self) -> "Optional[str]":
        return self.problems[0].source

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        return "%d problems in the sweep config:\n%s" % (
            len(self.problems), "\n".join("  " + str(p) for p in self.problems))

    def __reduce__(self):  # keep the data when the exception crosses a process boundary
        return (_rebuild_config_error, ([(p.key_path, p.message, p.line, p.column, p.source) for p in self.problems],))


class StoreError(MinisweepError, OSError):
    """The sweep store could not read or write its files (full disk, permissions, a damaged file).

    ``path`` names the file or directory involved and ``errno`` is that of the
    underlying :class:`OSError` (``errno.ENOSPC`` for a full disk), when there
    was one.
    """

    def __init__(self, message: str, *, path: "Optional[str]" = None, errno: "Optional[int]" = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.filename = path
        self.errno = errno

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return (_rebuild_store_error, (self.message, self.path, self.errno))


class SweepNotFound(MinisweepError, LookupError):
    """No sweep with this id exists under the store's root (in this project, when one was given)."""

    def __init__(self, sweep_id: str, where: str) -> None:
        super().__init__("sweep %r not found in %s" % (sweep_id, where))
        self.sweep_id = sweep_id
        self.where = where

    def __reduce__(self):
        return (SweepNotFound, (self.sweep_id, self.where))


class RunNotFound(MinisweepError, LookupError):
    """A run id that this store does not know, or that another agent owns."""

    def __init__(self, run_id: str, message: str = "") -> None:
        super().__init__(message or "run %r not found" % (run_id,))
        self.run_id = run_id

    def __reduce__(self):
        return (RunNotFound, (self.run_id, str(self)))


class InvalidIdError(MinisweepError, ValueError):
    """A project name, sweep id or run id that is not a safe single path component.

    ``kind`` says which (``"sweep id"``, ``"project"``, ``"run id"``) and
    ``value`` holds the rejected value.
    """

    def __init__(self, kind: str, value: object, rule: "Optional[str]" = None) -> None:
        self.rule = rule or ("use 1 to 64 letters, digits, '_', '.' or '-', "
                             "starting with a letter or digit, and no '..'")
        super().__init__("invalid %s %r: %s" % (kind, value, self.rule))
        self.kind = kind
        self.value = value

    def __reduce__(self):
        return (InvalidIdError, (self.kind, self.value, self.rule))


class StateError(MinisweepError, ValueError):
    """A state name that does not exist, or a transition the store refuses (finishing a run twice)."""

    def __init__(self, message: str, *, state: "Optional[str]" = None, run_id: "Optional[str]" = None) -> None:
        super().__init__(message)
        self.state = state
        self.run_id = run_id

    def __reduce__(self):
        return (_rebuild_state_error, (str(self), self.state, self.run_id))


class AgentError(MinisweepError, RuntimeError):
    """The agent gave up (its first runs all failed, or it was asked for something it cannot do)."""


class ChildFailed(MinisweepError, RuntimeError):
    """A run's program exited with a non-zero status, or could not start (the run is recorded ``failed``)."""


def _rebuild_store_error(message, path, errno):
    return StoreError(message, path=path, errno=errno)


def _rebuild_state_error(message, state, run_id):
    return StateError(message, state=state, run_id=run_id)


def _rebuild_config_error(rows):
    return ConfigError([Problem(k, m, line=l, column=c, source=s) for k, m, l, c, s in rows])
