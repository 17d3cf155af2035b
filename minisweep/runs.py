"""A run: one execution of the user's function with one config.

:class:`Run` is a plain record, the unit the search layer reasons about and
the store persists.  Users can build one by hand to drive
:func:`~.search.next_config` from their own controller.

``state`` follows W&B: ``pending`` (claimed, not started), ``running``,
``finished``, ``failed`` (the function raised), ``crashed`` (its agent died:
its lease lapsed), ``killed`` (stopped by the user, Ctrl-C), and minisweep's
``stopped`` (ended early by hyperband; W&B reports those as finished).

This module is the one home of the groups of states the rest of the package
reasons with, and of the rule that picks the best run:

- :data:`ACTIVE_STATES`: claimed and not over (an agent is, or is about to be, busy with it);
- :data:`TERMINAL_STATES`: over, never to change again; they split into
- :data:`DONE_STATES`: ended as planned (``finished``, or ``stopped`` early by
  hyperband), so its metric counts: for the best run, for ``metric.target``,
  for the Bayesian model; and
- :data:`BROKEN_STATES`: ended without completing (``failed``, ``crashed``, ``killed``);
- :data:`FAILED_STATES`: the broken runs that ``retry_failed`` runs again (not
  ``killed``: somebody meant that).

The best run (:func:`best_run`) is the done run with the best finite value of
the metric anywhere in its history or summary; on a tie, the first one (by
position in the list given).

>>> run = Run("r1", "finished", {"lr": 0.1}, history=[{"loss": 3.0}, {"loss": 2.5, "acc": 0.7}])
>>> run.summary
{'loss': 2.5, 'acc': 0.7}
>>> run.metric_values("loss")
[3.0, 2.5]
>>> other = Run("r2", "stopped", {"lr": 0.3}, history=[{"loss": 1.5}])
>>> best_run([run, other, Run("r3", "failed", history=[{"loss": 0.1}])], "loss").id
'r2'
"""

import math
import operator
from typing import Any, Dict, Iterable, List, Optional, Union

__all__ = ["Run", "STATES", "TERMINAL_STATES", "ACTIVE_STATES", "DONE_STATES", "BROKEN_STATES", "FAILED_STATES",
           "best_run", "is_better"]

STATES = ("pending", "running", "finished", "failed", "crashed", "killed", "stopped")
#: States a run never leaves.
TERMINAL_STATES = ("finished", "failed", "crashed", "killed", "stopped")
#: States of a run that holds (or is about to hold) an agent's attention.
ACTIVE_STATES = ("pending", "running")
#: Terminal states of a run that ended as planned: its metric counts (best run, target, the Bayesian model).
DONE_STATES = ("finished", "stopped")
#: Terminal states of a run that ended without completing: its metric is imputed, never the best.
BROKEN_STATES = ("failed", "crashed", "killed")
#: States that ``retry_failed`` treats as "did not really run" (a ``killed`` run was stopped on purpose).
FAILED_STATES = ("failed", "crashed")


def copy_config(value: Any) -> Any:
    """A copy of a JSON-shaped value that shares no dict, list or set with the original.

    Configs cross several boundaries (the sweep's own ``values``, the search's
    answer, the store's record, the run's ``wandb.config``); each side gets its
    own copy, so a run that mutates ``config["env"]["name"]`` changes nothing
    but its own view.  Only containers are copied (leaves are immutable or
    not ours to copy), which costs far less than :func:`copy.deepcopy`.

    >>> a = {"env": {"name": "cartpole"}, "dims": [1, 2]}
    >>> b = copy_config(a); b["env"]["name"] = "x"; b["dims"].append(3)
    >>> a
    {'env': {'name': 'cartpole'}, 'dims': [1, 2]}
    """
    if isinstance(value, dict):
        return {k: copy_config(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_config(v) for v in value]
    if isinstance(value, tuple):
        return tuple(copy_config(v) for v in value)
    if isinstance(value, set):
        return set(value)
    return value


def real_number(value: Any) -> Optional[Union[int, float]]:
    """``value`` as a plain int or float if it is a real number of any type, else ``None``.

    NumPy scalars (``float32``, ``int64``), ``Decimal``, ``Fraction`` and any
    type with ``__index__`` (an integer) or ``__float__`` count, so a metric a
    function returns or logs is never silently dropped because of its type.
    Booleans, strings and complex numbers do not count.

    >>> import decimal, fractions
    >>> real_number(decimal.Decimal("0.5")), real_number(fractions.Fraction(1, 4)), real_number(True)
    (0.5, 0.25, None)
    """
    if value is None or isinstance(value, (bool, str, bytes, complex)):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    kind = type(value)
    if getattr(kind, "dtype", None) is not None and "bool" in str(getattr(value, "dtype", "")):
        return None  # numpy.bool_ has __float__, but a flag is no metric
    if hasattr(kind, "__index__"):
        try:
            return operator.index(value)
        except Exception:  # __index__ may refuse (a float-valued array)
            pass
    if hasattr(kind, "__float__"):
        try:
            return float(value)
        except Exception:  # complex-like types refuse
            return None
    return None


def is_number(value: Any) -> bool:
    """A finite int or float, not a bool (W&B's test for a usable metric value).

    An int too large for a float (beyond about 1.8e308, such as ``10**400``)
    counts as infinite, as a float overflowing to ``inf`` would: it is not a
    usable value, so it never ranks, exactly like ``inf`` and ``nan``.  It is
    still kept and shown as logged.

    >>> is_number(0.5), is_number(10**300), is_number(10**400), is_number(float("inf")), is_number(True)
    (True, True, False, False, False)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return False


def number_or(value: Any, default: float = 0.0) -> float:
    """``value`` as a float if it is a usable number (:func:`is_number`), else ``default``.

    >>> number_or(3), number_or("3"), number_or(float("nan"), -1.0)
    (3.0, 0.0, -1.0)
    """
    return float(value) if is_number(value) else default


class Run:
    """One run of a sweep.

    Args:
        id: the run's id, unique within the sweep.
        state: one of :data:`STATES`.
        config: the run's parameter values (nested dicts for nested parameters).
        history: the logged rows, oldest first.
        summary: the last value of each key; derived from ``history`` when not given.
        index: the run's position in the sweep (0, 1, ...), when known.
    """

    __slots__ = ("id", "state", "config", "history", "_summary", "index", "info")

    def __init__(self, id: str, state: str = "finished", config: Optional[Dict[str, Any]] = None, *,
                 history: Optional[List[Dict[str, Any]]] = None, summary: Optional[Dict[str, Any]] = None,
                 index: Optional[int] = None, info: Optional[Dict[str, Any]] = None) -> None:
        if state not in STATES:
            raise ValueError("run state %r is not one of %s" % (state, ", ".join(STATES)))
        self.id = id
        self.state = state
        self.config = copy_config(dict(config or {}))
        self.history = list(history or [])
        self._summary = dict(summary) if summary is not None else None
        self.index = index
        self.info = dict(info or {})

    @property
    def summary(self) -> Dict[str, Any]:
        """The last logged value of each key (or the summary given explicitly)."""
        if self._summary is not None:
            return self._summary
        out: Dict[str, Any] = {}
        for row in self.history:
            out.update(row)
        return out

    @summary.setter
    def summary(self, value: Dict[str, Any]) -> None:
        self._summary = dict(value)

    def metric_values(self, name: str) -> List[float]:
        """Every finite value logged for ``name``, in order: the run's iterations for hyperband."""
        return [row[name] for row in self.history if name in row and is_number(row[name])]

    def best(self, name: str, maximize: bool = False) -> Optional[float]:
        """The best finite value of ``name`` in the history and summary, or ``None``."""
        values = self.metric_values(name)
        extra = self.summary.get(name) if self._summary is not None else None
        if extra is not None and is_number(extra):
            values.append(extra)
        if not values:
            return None
        return max(values) if maximize else min(values)

    def __repr__(self) -> str:
        return "Run(%r, %r, %r)" % (self.id, self.state, self.config)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Run):
            return NotImplemented
        return (self.id, self.state, self.config, self.history, self.summary) == (
            other.id, other.state, other.config, other.history, other.summary)


def is_better(value: float, than: Optional[float], maximize: bool = False) -> bool:
    """``value`` strictly beats ``than`` (anything beats ``None``): the one comparison behind every "best".

    >>> is_better(0.5, 0.7), is_better(0.5, 0.7, maximize=True), is_better(0.5, None), is_better(0.5, 0.5)
    (True, False, True, False)
    """
    if than is None:
        return True
    return value > than if maximize else value < than


def best_run(runs: Iterable[Run], name: str, maximize: bool = False) -> Optional[Run]:
    """The run in :data:`DONE_STATES` with the best finite value of ``name`` (the first on a tie), or ``None``.

    A run's value is :meth:`Run.best`: its best in the history and summary.
    Runs in any other state, and runs that never logged a finite ``name``,
    are never the best.
    """
    best, best_value = None, None
    for run in runs:
        if run.state not in DONE_STATES:
            continue
        value = run.best(name, maximize)
        if value is not None and is_better(value, best_value, maximize):
            best, best_value = run, value
    return best
