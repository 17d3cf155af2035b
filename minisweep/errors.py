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

from __future__ import annotations

TYPE_CHECKING = False  # typing costs import time; annotations are strings here anyway
if TYPE_CHECKING:
    from typing import Iterable, List, Optional, Union

__all__ = [
    "MinisweepError",
    "Problem",
    "ConfigError",
    "MinisweepWarning",
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
        line: Optional[int] = None,
        column: Optional[int] = None,
        source: Optional[str] = None,
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
        problems: Union[str, Problem, Iterable[Problem]],
        *,
        key_path: str = "",
        line: Optional[int] = None,
        column: Optional[int] = None,
        source: Optional[str] = None,
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
    def line(self) -> Optional[int]:
        return self.problems[0].line

    @property
    def column(self) -> Optional[int]:
        return self.problems[0].column

    @property
    def source(self) -> Optional[str]:
        return self.problems[0].source

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        return "%d problems in the sweep config:\n%s" % (
            len(self.problems), "\n".join("  " + str(p) for p in self.problems))

    def __reduce__(self):  # keep the data when the exception crosses a process boundary
        return (_rebuild_config_error, ([(p.key_path, p.message, p.line, p.column, p.source) for p in self.problems],))


def _rebuild_config_error(rows):
    return ConfigError([Problem(k, m, line=l, column=c, source=s) for k, m, l, c, s in rows])
