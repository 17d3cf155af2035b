"""The search layer: given a sweep and its runs, what to run next.

This is minisweep's brain, and it is pure: no files, no clock, no global
state.  Everything it knows arrives as arguments, so the agent, a user's own
controller and a test all call it the same way:

- :func:`next_config` returns the next run's config, or ``None`` when the
  sweep has nothing left to run: the grid is exhausted, ``run_cap`` runs exist,
  or a finished run reached ``metric.target``.
- :func:`~.hyperband.runs_to_stop` returns the running runs hyperband would
  stop now, each with its reason.

Randomness is owned: run number *k* of a sweep with seed *s* draws from
``random.Random`` seeded with ``(s, k)``, so a random sweep proposes the same
configs whether one agent runs it or twenty.

>>> cfg = {"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}}
>>> a = next_config(cfg, [], seed=7)
>>> a == next_config(cfg, [], seed=7), 0.0 <= a["x"] <= 1.0
(True, True)
>>> next_config({"method": "grid", "run_cap": 1, "parameters": {"x": {"values": [1, 2]}}},
...             [Run("r0", "finished", {"x": 1})]) is None
True
"""

import random
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import conditional, distributions
from .conditional import has_branches
from .sweepconfig import parse_config
from .hyperband import runs_to_stop
from .runs import Run, copy_config, is_number

__all__ = ["next_config", "recheck", "runs_to_stop", "rng_for", "sweep_done", "Run"]

#: States W&B counts as over (for the "worst" imputation); minisweep's stopped is W&B's finished.
_OVER = ("finished", "stopped", "failed", "crashed", "killed")
_FINISHED = ("finished", "stopped")
_BROKEN = ("failed", "crashed", "killed")


def rng_for(seed: Any, index: int) -> random.Random:
    """The random generator of run number ``index`` in a sweep seeded with ``seed``.

    String seeds are hashed with SHA-512 by :mod:`random`, identically on every
    Python version and platform.
    """
    if seed is None:
        return random.Random()
    return random.Random("minisweep:%s:%d" % (seed, index))


def sweep_done(sweep: Any, runs: Sequence[Run]) -> Optional[str]:
    """Why the sweep must start no new run (``run_cap``, ``metric.target``), or ``None``."""
    sweep = parse_config(sweep)
    if sweep.run_cap is not None and len(runs) >= sweep.run_cap:
        return "run_cap %d reached" % sweep.run_cap
    metric = sweep.metric
    if metric is not None and metric.target is not None:
        for run in runs:
            if run.state in _FINISHED:
                best = run.best(metric.name, metric.maximize)
                if best is not None and (best >= metric.target if metric.maximize else best <= metric.target):
                    return "run %s reached the target %s = %g" % (run.id, metric.name, metric.target)
    return None


def next_config(sweep: Any, runs: Sequence[Run], *, seed: Any = None, retry_failed: int = 0,
                index: Optional[int] = None) -> Optional[Dict[str, Any]]:
    """The config of the sweep's next run, or ``None`` when there is nothing left to run.

    Args:
        sweep: anything :func:`~.config.parse_config` accepts.
        runs: every run of the sweep so far, in any state.
        seed: the sweep's seed; with the same seed and the same runs the answer
            is the same.  ``None`` draws fresh randomness.
        retry_failed: grid only: extra attempts for a point whose runs all
            failed or crashed (0 keeps W&B's rule: every run counts).
        index: the new run's number in the sweep; defaults to ``len(runs)``.

    Returns:
        The config as a plain (nested) dict of its own: it shares no object with
        the sweep's ``values`` or an earlier answer, so the caller may mutate it.
    """
    config = _next_config(sweep, runs, seed=seed, retry_failed=retry_failed, index=index)
    return None if config is None else copy_config(config)


def _next_config(sweep: Any, runs: Sequence[Run], *, seed: Any, retry_failed: int,
                 index: Optional[int]) -> Optional[Dict[str, Any]]:
    sweep = parse_config(sweep)
    runs = list(runs)
    if sweep_done(sweep, runs):
        return None
    k = len(runs) if index is None else index
    if sweep.method == "grid":
        from .grid import next_point

        return next_point(sweep, runs, retry_failed=int(retry_failed))
    rng = rng_for(seed, k)
    if sweep.method == "random":
        if has_branches(sweep.parameters):  # conditional parameters: only the active ones are drawn
            return conditional.sample(sweep, rng)
        return sweep.nest({p.path: distributions.sample(p, rng) for p in sweep.params})
    return _bayes(sweep, runs, rng)


def recheck(sweep: Any, draft: Optional[Dict[str, Any]], seen: Sequence[Run], runs: Sequence[Run]) -> str:
    """May a config proposed from the runs ``seen`` still be claimed now that the runs are ``runs``?

    A Bayesian suggestion costs a GP fit, so an agent computes it *before*
    taking the claim lock, from what it saw then, and holds the lock only to
    claim it.  Under the lock it asks this question of what changed meanwhile:

    - ``"done"``: the sweep must start nothing (it was already done when the
      draft was made, or has become so: ``run_cap``, ``metric.target``);
    - ``"again"``: a run claimed meanwhile has exactly the draft's config (a
      small discrete space): propose again from ``runs``;
    - ``"claim"``: claim the draft.  Runs that finished or started meanwhile
      only mean the draft was made from slightly older news, as when two
      agents ask at the same moment.

    >>> cfg = {"method": "bayes", "run_cap": 2, "metric": {"name": "loss"}, "parameters": {"x": {"values": [1, 2]}}}
    >>> seen = [Run("a", "finished", {"x": 1})]
    >>> recheck(cfg, {"x": 2}, seen, seen), recheck(cfg, {"x": 2}, seen, seen + [Run("b", "pending", {"x": 2})])
    ('claim', 'done')
    >>> recheck(dict(cfg, run_cap=3), {"x": 2}, seen, seen + [Run("b", "pending", {"x": 2.0})])
    'again'
    """
    from .grid import value_key

    if draft is None or sweep_done(sweep, runs):
        return "done"
    old = {run.id for run in seen}
    key = value_key(draft)
    for run in runs:
        if run.id not in old and value_key(run.config) == key:
            return "again"
    return "claim"


# ----------------------------------------------------------------------------- bayes


#: A quantised (``q_*``) parameter with at most this many distinct values is searched as ordered levels.
_MAX_Q_LEVELS = 1000
#: Observations that condition the GP in one suggestion (the best half and an even spread of the
#: rest; W&B uses 100).  The GP's cost grows with the square of this number (its Cholesky factor with
#: the cube).  A run left out makes its region look unexplored again and draws the search back there:
#: with 64, Hartmann-6 stalled once its runs outnumbered the cap (benchmarks/bayes_quality.py).
_MAX_OBSERVATIONS = 100


class _Axis:
    """How one searchable parameter maps to a :class:`~.bayes.Dim` and back.

    The optimizer works in the unit cube of prior CDFs.  A continuous
    parameter is a ``real`` Dim: ``cdf`` in, ``ppf`` out.  A discrete one is a
    Dim with *levels*, one per value a run can take, and the mapping goes
    through the level index, never through ``ppf``:

    - categorical: a ``cat`` Dim, level ``k`` is ``values[k]``;
    - ``int_uniform``: an ``int`` Dim with ``max - min + 1`` equally spaced levels;
    - quantised (``q_uniform``, ``q_log_uniform_values``, ``q_normal``, ...):
      its reachable values ``k * q`` (W&B's ``round(x / q) * q`` over the
      prior's range), as an ``int`` Dim whose levels sit at the prior CDF of
      each value, so batch sizes 16, 32, ..., 512 on a log scale stay on a log
      scale.  With more than ``_MAX_Q_LEVELS`` values the step is finer than
      a thousandth of the range: it is searched as ``real`` and rounded by
      ``ppf``.

    So a proposal and the run it becomes map to the same point (``ppf`` of a
    level centre quantised, then ``cdf`` of that value, would drift to
    another point, and the optimizer could propose one config twice), and the
    optimizer, which never proposes a point already taken while an untaken
    level combination exists, never proposes an observed config either.
    """

    __slots__ = ("param", "dim", "values", "_lo", "_q", "_index")

    def __init__(self, p: Any) -> None:
        from .bayes import Dim

        self.param = p
        self.values: Optional[List[Any]] = None
        self._lo = 0
        self._q: Any = None
        self._index: Optional[Dict[Any, int]] = None
        d = p.distribution
        if d in ("categorical", "categorical_w_probabilities"):
            self.dim = Dim("cat", len(p.values))
            self.values = list(p.values)
        elif d == "int_uniform":
            self.dim = Dim("int", p.max - p.min + 1)
            self._lo, self._q = p.min, 1
        elif d.startswith("q_"):
            lo, hi = distributions.ppf(p, 0.0), distributions.ppf(p, 1.0)  # already quantised
            k0, k1 = int(round(lo / p.q)), int(round(hi / p.q))
            values = [distributions.quantize(k * p.q, p.q) for k in range(k0, k1 + 1)] if k1 - k0 < _MAX_Q_LEVELS else []
            positions = [distributions.cdf(p, v) for v in values]
            if values and all(a < b for a, b in zip(positions, positions[1:])):
                self.dim = Dim("int", positions=positions)
                self.values, self._lo, self._q = values, k0, p.q
            else:
                self.dim = Dim("real")
        else:
            self.dim = Dim("real")

    def to_unit(self, value: Any) -> float:
        """The unit coordinate of a run's value (a level centre for a discrete parameter).

        Raises:
            TypeError, ValueError: the value cannot belong to this parameter.
        """
        dim, p = self.dim, self.param
        if dim.kind == "cat":
            from .grid import value_key

            if self._index is None:  # one look-up per run, not a scan of the values
                self._index = {}
                for i, v in enumerate(p.values):
                    self._index.setdefault(value_key(v), i)
            i = self._index.get(value_key(value))
            if i is None:
                raise ValueError("%r is not one of the parameter's values" % (value,))
            return dim.centre(i)
        if dim.kind == "int":
            if not is_number(value):
                raise ValueError("%r is not a number" % (value,))
            k = int(round(value / self._q)) - self._lo
            return dim.centre(min(max(k, 0), dim.n - 1))
        return distributions.cdf(p, value)

    def from_unit(self, u: float) -> Any:
        """The parameter value at unit coordinate ``u``."""
        if self.dim.kind == "real":
            return distributions.ppf(self.param, u)
        k = self.dim.level(u)
        if self.values is not None:
            return self.values[k]
        return self._lo + k  # int_uniform


def _axes(params: Sequence[Any]) -> List[_Axis]:
    return [_Axis(p) for p in params]


def _dims(params: Sequence[Any]) -> List[Any]:
    """The optimizer's :class:`~.bayes.Dim` of each searchable parameter."""
    return [axis.dim for axis in _axes(params)]


def _unit_point(axes: Sequence[_Axis], run: Run) -> Optional[List[float]]:
    """A run's config as a unit point, or ``None`` if a value is missing or impossible.

    An impossible value (a category not in ``values``: W&B raises on it) leaves
    the run out of the model with one :class:`~.errors.MinisweepWarning` naming
    the run and every such value, so one stray run does not stop the sweep.
    """
    from .grid import _MISSING, lookup

    point = []
    bad = []
    for axis in axes:
        value = lookup(run.config, axis.param.path)
        if value is _MISSING:
            return None
        try:
            point.append(axis.to_unit(value))
        except (TypeError, ValueError):
            bad.append("%s=%r" % (".".join(axis.param.path), value))
    if bad:
        import warnings

        from .errors import MinisweepWarning

        warnings.warn("bayes: run %s has %s, which the sweep's parameters do not allow; the run is left out of the "
                      "model" % (run.id, ", ".join(bad)), MinisweepWarning, stacklevel=4)
        return None
    return point


def observations(sweep: Any, runs: Sequence[Run]) -> Tuple[List[Run], List[float], List[Run]]:
    """Runs with their objective (lower is better), and the runs still in flight.

    W&B's rules: a finished run counts with the best value it logged; a
    failed, crashed or killed run with the imputed value (``metric.impute``:
    by default the worst value any run that is over has logged); a running run
    is in flight, unless ``impute_while_running`` gives it a value; a pending
    run is in flight.  ``maximize`` negates, so lower is always better.
    """
    metric = sweep.metric
    name, maximize = metric.name, metric.maximize
    worst = None
    for run in runs:
        if run.state in _OVER:
            w = run.best(name, not maximize)  # the run's worst value
            if w is not None:
                worst = w if worst is None else (min(worst, w) if maximize else max(worst, w))
    if worst is None:
        worst = 0.0

    def imputed(run: Run, strategy: str) -> float:
        if strategy == "best":
            value = run.best(name, maximize)
            return 0.0 if value is None else value
        if strategy == "latest":
            values = run.metric_values(name)
            return values[-1] if values else 0.0
        return worst

    def best_or(run: Run, strategy: str) -> float:
        value = run.best(name, maximize)
        return imputed(run, strategy) if value is None else value

    done: List[Run] = []
    ys: List[float] = []
    flying: List[Run] = []
    for run in runs:
        if run.state in _FINISHED:
            y = best_or(run, metric.impute)
        elif run.state in _BROKEN:
            y = imputed(run, metric.impute)
        elif run.state == "running" and metric.impute_while_running != "false":
            y = best_or(run, metric.impute_while_running)
        else:
            flying.append(run)
            continue
        if not is_number(y):
            y = worst
        done.append(run)
        ys.append(-y if maximize else y)
    return done, ys, flying


def _bayes(sweep: Any, runs: List[Run], rng: random.Random) -> Dict[str, Any]:
    from .bayes import suggest

    if has_branches(sweep.parameters):  # conditional parameters: one GP over every branch's dimensions
        return conditional.bayes_next(sweep, runs, rng, axis_factory=_Axis, observations=observations,
                                      suggest=suggest, max_observations=_MAX_OBSERVATIONS)
    axes = _axes([p for p in sweep.params if p.distribution != "constant"])
    flat = {p.path: p.value for p in sweep.params if p.distribution == "constant"}
    if axes:
        done, ys, flying = observations(sweep, runs)
        X: List[List[float]] = []
        y: List[float] = []
        for run, value in zip(done, ys):
            point = _unit_point(axes, run)
            if point is not None:
                X.append(point)
                y.append(value)
        pending = [pt for pt in (_unit_point(axes, r) for r in flying) if pt is not None]
        u = suggest([axis.dim for axis in axes], X, y, rng, pending=pending, max_observations=_MAX_OBSERVATIONS)
        for axis, ui in zip(axes, u):
            flat[axis.param.path] = axis.from_unit(ui)
    return sweep.nest({p.path: flat[p.path] for p in sweep.params})
