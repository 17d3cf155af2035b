"""Starting points: configs a sweep runs first, before its method takes over.

Last month's best config, the defaults a paper recommends, a point a
colleague swears by: a search should try these first and carry on from
what they give.  W&B users have asked for it (wandb/wandb #8521: initial
values for a Bayesian search); Optuna has ``study.enqueue_trial`` and Ray
Tune ``points_to_evaluate`` for the same need.  minisweep's form, a
top-level ``starting_points`` list of run configs, is an extension (W&B
cannot read it, and ``minisweep check`` says so)::

    method: bayes
    metric: {name: val_loss}
    parameters:
      lr: {distribution: log_uniform_values, min: 1e-5, max: 1e-1}
      optimizer: {values: [adam, sgd]}
    starting_points:
      - {lr: 0.003, optimizer: adam}      # last month's best
      - {lr: 0.1, optimizer: sgd}

Rules:

- Each starting point is a whole run config: a value for every parameter
  that is active with it (constants may be left out: they are filled in),
  nested as the run's config is, and nothing else.  Each value must be one
  the parameter can take (one of ``values``, within ``min``..``max``, a grid
  point for a grid), so a typo is caught when the sweep is created, with
  its key path and line.
- The sweep's first runs take the starting points in order: the next run
  takes the first starting point no run of the sweep has yet (compared as
  values), so several agents share them out, each once.
- Then the method carries on *from their results*: they are runs like any
  other, so bayes conditions on them, grid skips their points, and
  ``run_cap`` counts them.

>>> from .sweepconfig import parse_config
>>> from .search import next_config
>>> cfg = parse_config({"method": "random", "parameters": {"lr": {"min": 0.0, "max": 1.0}, "bs": {"value": 8}},
...                     "starting_points": [{"lr": 0.25}]})
>>> next_config(cfg, [], seed=1)
{'bs': 8, 'lr': 0.25}
>>> parse_config({"method": "random", "parameters": {"lr": {"min": 0.0, "max": 1.0}},
...               "starting_points": [{"lr": 2.0}]})
Traceback (most recent call last):
  ...
minisweep.errors.ConfigError: starting_points.0.lr: 2.0 is outside the range of lr (0.0 .. 1.0)
"""

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from . import distributions
from .conditional import Branching, leaves
from .values import MISSING, as_written, lookup, value_key

__all__ = ["EXTENSION", "KEY", "parse_starting_points", "next_start"]

#: The top-level key.
KEY = "starting_points"
#: What ``minisweep check`` names when a config uses it.
EXTENSION = "starting points ('starting_points')"

_UNBOUNDED = ("normal", "q_normal", "log_normal", "q_log_normal")


def _allowed(param: Any, value: Any, method: str) -> Optional[str]:
    """Why ``value`` is not one ``param`` can take (``None`` when it is)."""
    d = param.distribution
    if d == "constant":
        return None if value_key(value) == value_key(param.value) else "%s is constant %s" % (
            param.name, as_written(param.value))
    if d in ("categorical", "categorical_w_probabilities"):
        keys = [value_key(v) for v in param.values]
        if value_key(value) not in keys:
            return "%s is not one of the values of %s (%s)" % (as_written(value), param.name,
                                                               ", ".join(as_written(v) for v in param.values))
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "expected a finite number for %s, got %s" % (param.name, as_written(value))
    if method == "grid":
        if all(value_key(value) != value_key(v) for v in distributions.grid_values(param)):
            return "%s is not a point of the grid of %s" % (as_written(value), param.name)
        return None
    if d == "int_uniform" and not float(value).is_integer():
        return "%s takes integers, got %s" % (param.name, as_written(value))
    if d in _UNBOUNDED:
        if d.endswith("log_normal") and value <= 0:
            return "%s is log-normal: it takes numbers above 0, got %s" % (param.name, as_written(value))
        return None
    lo, hi = distributions.ppf(param, 0.0), distributions.ppf(param, 1.0)
    slack = 1e-9 * max(1.0, abs(lo), abs(hi))
    if not lo - slack <= value <= hi + slack:
        return "%s is outside the range of %s (%s .. %s)" % (as_written(value), param.name, as_written(lo), as_written(hi))
    return None


def _check_point(checker: Any, path: tuple, point: Any, tree: Mapping[str, Any], method: str) -> Optional[Dict]:
    """Report what is wrong with one starting point; its full config (constants added) when nothing is."""
    if not isinstance(point, dict) or not point:
        checker.error(path, "expected a mapping from parameter names to values, e.g. {lr: 0.01}, got %s"
                      % ("an empty mapping" if isinstance(point, dict) else as_written(point)))
        return None
    before = len(checker.problems)
    full: Dict[Tuple[str, ...], Any] = {}
    used = set()

    def walk(tree: Mapping[str, Any]) -> None:
        for name in sorted(tree):
            node = tree[name]
            if isinstance(node, dict):
                walk(node)
                continue
            param = node.param if isinstance(node, Branching) else node
            value = lookup(point, param.path)
            where = path + param.path
            if value is MISSING:
                if param.distribution == "constant":
                    full[param.path] = param.value
                    continue
                checker.error(where, "missing: a starting point needs a value for every parameter active with it")
                continue
            used.add(param.path)
            why = _allowed(param, value, method)
            if why is not None:
                checker.error(where, why)
                continue
            full[param.path] = value
            if isinstance(node, Branching):
                sub = node.branch(value)
                if sub is not None:
                    walk(sub)

    walk(tree)
    for extra in _leaf_paths(point):
        if not any(extra[:len(p)] == p for p in used) and extra not in full:
            checker.error(path + extra, "not a parameter of the sweep%s; a run's config holds only its active "
                          "parameters" % (" active with this starting point" if _named(tree, extra) else ""))
    if len(checker.problems) > before:
        return None
    return {"paths": full}


def _named(tree: Mapping[str, Any], path: tuple) -> bool:
    return any(p.path == path for p, _, _ in leaves(tree))


def _leaf_paths(config: Mapping[str, Any], prefix: tuple = ()) -> List[tuple]:
    out: List[tuple] = []
    for key, value in config.items():
        if isinstance(value, dict) and value:
            out.extend(_leaf_paths(value, prefix + (key,)))
        else:
            out.append(prefix + (key,))
    return out


def parse_starting_points(checker: Any, raw: Any, cfg: Any) -> List[Dict[str, Any]]:
    """Validate ``starting_points`` (called by the config checker); the run configs, constants filled in."""
    path = (KEY,)
    if not isinstance(raw, list) or not raw:
        checker.error(path, "expected a list of run configs, e.g. [{lr: 0.01, optimizer: adam}], got %s"
                      % ("an empty list" if isinstance(raw, list) else as_written(raw)))
        return []
    out = []
    for i, point in enumerate(raw):
        checked = _check_point(checker, path + (i,), point, cfg.parameters, cfg.method)
        if checked is not None:
            out.append(cfg.nest(_ordered(cfg, checked["paths"])))
    return out


def _ordered(cfg: Any, flat: Dict[Tuple[str, ...], Any]) -> Dict[Tuple[str, ...], Any]:
    order = [p.path for p, _, _ in leaves(cfg.parameters)]
    return {p: flat[p] for p in order if p in flat}


def next_start(sweep: Any, runs: Sequence[Any]) -> Optional[Dict[str, Any]]:
    """The first starting point no run has yet, or ``None`` when every one has been run.

    A run has a starting point when every value of the point is at the same
    place in the run's config, equal as a value (``1`` and ``1.0`` are equal).
    """
    for point in getattr(sweep, "starting_points", None) or ():
        pairs = [(p, value_key(v)) for p, v in _flat(point)]
        if not any(all(_has(run.config, p, k) for p, k in pairs) for run in runs):
            return point
    return None


def _flat(config: Mapping[str, Any], prefix: tuple = ()) -> List[Tuple[tuple, Any]]:
    out: List[Tuple[tuple, Any]] = []
    for key, value in config.items():
        if isinstance(value, dict) and value:
            out.extend(_flat(value, prefix + (key,)))
        else:
            out.append((prefix + (key,), value))
    return out


def _has(config: Any, path: tuple, key: Any) -> bool:
    value = lookup(config, path)
    return value is not MISSING and value_key(value) == key
