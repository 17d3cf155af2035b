"""Bayesian search over a conditional space: pick an arm, then fit a GP to that arm alone.

:mod:`.conditional` holds the tree that ``when`` builds (its form, its
validation, grid enumeration and random draws); this module is what bayes
does with it.  It is apart because it is a search method of its own, with
its own state of the art to argue with, and the tree does not need it.

An *arm* is one combination of branch choices (``optimizer = sgd``; with
nesting, ``model = net, act = gelu``).  A proposal takes two steps:

1. **Pick an arm** by Thompson sampling (:func:`_pick_arm`): each arm's
   chance of giving a run among the best quarter so far is a Beta belief
   (good runs against the others, pending ones counted as not good), one
   draw from each, the highest wins -- so an untried arm gets tried, one
   poor run does not write an arm off, and an arm that keeps giving good
   runs is searched most.
2. **Search inside it**: a Gaussian process over that arm's parameters
   (shared ones included, the branch choices fixed), fitted to that arm's
   runs only, proposes the values.  Every dimension that GP sees is active
   in every run it sees, and Adam's ``lr`` is never confused with SGD's.

The obvious alternative, one GP over every branch's dimensions with a
fixed value standing in for an inactive one, was tried and measured worse:
the other branches' runs, all sitting at that fixed value, teach the GP a
false slope along each branch parameter, and it drives them into the
corners of their ranges.  It is kept only as the fallback for a tree of
more than 64 arms (:func:`_bayes_flat`).  A proposal that repeats a run's
active values is given back as pending and the GP asked again; an arm with
no untaken point left is set aside.  ``benchmarks/conditional.py`` measures
both against random search and Optuna's TPE (``docs/how-sweeps-work.md``).

The GP machinery is passed in by :func:`.bayes.propose` (``axis_factory``,
``observations``, ``suggest``), because :mod:`.bayes` calls this module:
importing it back would be a cycle.

>>> from .sweepconfig import parse_config
>>> cfg = parse_config({"method": "random", "parameters": {
...     "a": {"values": [1, 2], "when": {2: {"b": {"values": ["x", "y"], "when": {"y": {"c": {"value": 0}}}}}}}}})
>>> [[(p.name, v) for p, v in arm] for arm in arms(cfg.parameters)]
[[('a', 1)], [('a', 2), ('b', 'x')], [('a', 2), ('b', 'y')]]
"""

import math
import warnings
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from .conditional import Branching, Point, Tree, point_config, sample
from .errors import MinisweepWarning
from .values import MISSING, lookup, value_key

if TYPE_CHECKING:
    import random

    from .bayes import Axis, Dim
    from .runs import Run
    from .sweepconfig import Param, SweepConfig

__all__ = ["arms", "bayes_next", "AxisFactory"]

#: Makes the unit-cube axis of one parameter (:class:`.bayes.Axis`).
AxisFactory = Callable[["Param"], "Axis"]
#: :func:`.bayes.observations`: (done runs, their losses, runs in flight).
Observations = Callable[["SweepConfig", Sequence["Run"]], Tuple[List["Run"], List[float], List["Run"]]]
#: :func:`.bayes.suggest`: (dims, X, y, rng, pending=, max_observations=) -> a unit point.
Suggest = Callable[..., List[float]]


class _Encoding:
    """The unit-cube view of (part of) a conditional space that the Gaussian process works in.

    With an ``arm`` (``{id(branching Param): value}``, one value for every
    branching parameter the arm reaches), the dimensions are the parameters
    active in that arm, the branching ones excluded (the arm fixes them), and
    a run outside the arm encodes to ``None``.  Without one (``arm=None``,
    the fallback for spaces with too many arms), the dimensions are every
    parameter of every branch, branching ones as categories, and a dimension
    a run did not have sits at the middle of its range.
    """

    def __init__(self, sweep: "SweepConfig", axis_factory: AxisFactory, arm: Optional[Dict[int, Any]] = None) -> None:
        self.sweep = sweep
        self.arm = arm
        params: List["Param"] = []

        def collect(tree: Tree) -> None:
            for name in sorted(tree):
                node = tree[name]
                if isinstance(node, dict):
                    collect(node)
                elif isinstance(node, Branching):
                    if arm is None:
                        params.append(node.param)
                        for _, _, sub in node.branches:
                            collect(sub)
                    else:
                        sub = node.branch(arm[id(node.param)])
                        if sub is not None:
                            collect(sub)
                elif node.distribution != "constant":
                    params.append(node)

        collect(sweep.parameters)
        self.axes = [axis_factory(p) for p in params]
        self.index = {id(p): j for j, p in enumerate(params)}
        self.neutral = [axis.dim.snap(0.5) for axis in self.axes]

    @property
    def dims(self) -> List["Dim"]:
        return [axis.dim for axis in self.axes]

    def encode(self, config: Mapping[str, Any], bad: List[str]) -> Optional[List[float]]:
        """A run's config as a unit point: ``None`` if an active value is missing or the run is in
        another arm; values the space does not allow go to ``bad``."""
        u = list(self.neutral)
        arm = self.arm

        def walk(tree: Tree) -> bool:
            for name in sorted(tree):
                node = tree[name]
                if isinstance(node, dict):
                    if not walk(node):
                        return False
                    continue
                param = node.param if isinstance(node, Branching) else node
                if param.distribution == "constant":
                    continue
                value = lookup(config, param.path)
                if value is MISSING:
                    return False
                if arm is not None and isinstance(node, Branching):
                    chosen = arm[id(param)]
                    if value_key(value) != value_key(chosen):
                        return False
                    value = chosen
                else:
                    j = self.index[id(param)]
                    try:
                        u[j] = self.axes[j].to_unit(value)
                    except (TypeError, ValueError):
                        bad.append("%s=%r" % (param.name, value))
                        continue
                if isinstance(node, Branching):
                    sub = node.branch(value)
                    if sub is not None and not walk(sub):
                        return False
            return True

        return u if walk(self.sweep.parameters) else None

    def decode(self, u: Sequence[float]) -> Point:
        """The point a unit vector stands for, in tree order, following the branches it (or the arm) chooses."""
        point: Point = []

        def walk(tree: Tree) -> None:
            for name in sorted(tree):
                node = tree[name]
                if isinstance(node, dict):
                    walk(node)
                    continue
                param = node.param if isinstance(node, Branching) else node
                if param.distribution == "constant":
                    value = param.value
                elif self.arm is not None and isinstance(node, Branching):
                    value = self.arm[id(param)]
                else:
                    j = self.index[id(param)]
                    value = self.axes[j].from_unit(u[j])
                point.append((param, value))
                if isinstance(node, Branching):
                    sub = node.branch(value)
                    if sub is not None:
                        walk(sub)

        walk(self.sweep.parameters)
        return point

    def canonical(self, point: Point) -> List[float]:
        """The unit point of a decoded point: its active coordinates, the middle elsewhere."""
        u = list(self.neutral)
        for param, value in point:
            j = self.index.get(id(param))
            if j is not None:
                u[j] = self.axes[j].to_unit(value)
        return u


def _key(u: Sequence[float]) -> Tuple[float, ...]:
    return tuple(round(x, 12) for x in u)


#: How many times the model is asked again when its proposal repeats a run's active values.
_RETRIES = 3
#: Beyond this many arms (combinations of branch choices) bayes falls back to one flat GP.
_MAX_ARMS = 64


def arms(tree: Tree, cap: int = _MAX_ARMS) -> Optional[List[Point]]:
    """Every combination of branch choices, as ``[(branching Param, value)]`` in tree order.

    A tree without ``when`` has one arm, ``[]``.  ``None`` when there are
    more than ``cap`` (see the module's example).
    """
    class TooMany(Exception):
        pass

    def level(tree: Tree) -> List[Point]:
        result: List[Point] = [[]]
        for name in sorted(tree):
            node = tree[name]
            if isinstance(node, dict):
                options = level(node)
            elif isinstance(node, Branching):
                options = []
                seen = set()
                for value in node.param.values:
                    if value_key(value) in seen:
                        continue
                    seen.add(value_key(value))
                    sub = node.branch(value)
                    for rest in (level(sub) if sub is not None else [[]]):
                        options.append([(node.param, value)] + rest)
            else:
                continue
            result = [a + b for a in result for b in options]
            if len(result) > cap:
                raise TooMany
        return result

    try:
        return level(tree)
    except TooMany:
        return None


def _arm_key(arm: Point) -> tuple:
    return tuple((id(p), value_key(v)) for p, v in arm)


def _run_arm(tree: Tree, config: Mapping[str, Any]) -> Optional[tuple]:
    """The key of the arm a run's config is in, or ``None`` (a branching value missing or unknown)."""
    key: List[Tuple[int, Any]] = []

    def walk(tree: Tree) -> bool:
        for name in sorted(tree):
            node = tree[name]
            if isinstance(node, dict):
                if not walk(node):
                    return False
            elif isinstance(node, Branching):
                value = lookup(config, node.param.path)
                if value is MISSING:
                    return False
                k = value_key(value)
                if all(value_key(v) != k for v in node.param.values):
                    return False
                key.append((id(node.param), k))
                sub = node.branch(value)
                if sub is not None and not walk(sub):
                    return False
        return True

    return tuple(key) if walk(tree) else None


#: The share of runs that count as "good" when arms are compared (at least one run).
_GOOD = 0.25


def _pick_arm(candidates: List[tuple], losses: Dict[tuple, List[float]], busy: Dict[tuple, int],
              rng: "random.Random") -> tuple:
    """The arm to search next, by Thompson sampling on each arm's chance of a good run.

    A run is *good* when its loss is among the best quarter of all runs.  An
    arm with ``g`` good runs out of ``n`` (pending runs count as not good, so
    parallel agents spread out) has a Beta(g + 1, n - g + 1) belief about its
    chance of giving a good run; one draw from each belief, and the highest
    draw wins.  An arm never tried draws from Beta(1, 1), so it gets tried; an
    arm whose one run was poor is not written off (Beta(1, 2) still often
    wins against an arm with a modest record); an arm that keeps giving good
    runs wins most of the time.  This is how TPE weighs a categorical
    parameter (good against bad), made a bandit.
    """
    every = sorted(y for k in candidates for y in losses.get(k, ()) if math.isfinite(y))
    cut = every[max(0, int(math.ceil(_GOOD * len(every))) - 1)] if every else None
    best_key, best_draw = candidates[0], -1.0
    for k in candidates:
        ys = losses.get(k, ())
        good = sum(1 for y in ys if cut is not None and y <= cut)
        n = len(ys) + busy.get(k, 0)
        draw = rng.betavariate(good + 1, n - good + 1)
        if draw > best_draw:
            best_key, best_draw = k, draw
    return best_key


def bayes_next(sweep: "SweepConfig", runs: Sequence["Run"], rng: "random.Random", *, axis_factory: AxisFactory,
               observations: Observations, suggest: Suggest, max_observations: int) -> Dict[str, Any]:
    """The next config of a bayes sweep over a conditional space (see the module docstring).

    Two steps.  First the *arm* (the combination of branch choices) is
    picked by :func:`_pick_arm`.  Then a GP over that arm's parameters, fitted
    to that arm's runs, proposes the values: every dimension it sees is
    active in every run it sees, so no run is ever asked what its unused
    parameters were.  The GP machinery is passed in (``axis_factory`` maps a
    Param to an object with ``dim``, ``to_unit`` and ``from_unit``;
    ``observations`` and ``suggest`` are the plain bayes sweep's).
    """
    done, ys, flying = observations(sweep, runs)
    tree = sweep.parameters
    every = arms(tree)
    if every is None:
        return _bayes_flat(sweep, done, ys, flying, rng, axis_factory, suggest, max_observations)
    by_key = {_arm_key(arm): arm for arm in every}
    order = [_arm_key(arm) for arm in every]
    losses: Dict[tuple, List[float]] = {}
    busy: Dict[tuple, int] = {}
    for run, value in zip(done, ys):
        key = _run_arm(tree, run.config)
        if key in by_key:
            losses.setdefault(key, []).append(value)
    for run in flying:
        key = _run_arm(tree, run.config)
        if key in by_key:
            busy[key] = busy.get(key, 0) + 1
    candidates = list(order)
    while candidates:
        key = _pick_arm(candidates, losses, busy, rng)
        config = _propose_in_arm(sweep, done, ys, flying, by_key[key], rng, axis_factory, suggest,
                                 max_observations)
        if config is not None:
            return config
        candidates.remove(key)  # every point of this arm is taken
    return sample(sweep, rng)


def _propose_in_arm(sweep: "SweepConfig", done: Sequence["Run"], ys: Sequence[float], flying: Sequence["Run"],
                    arm: Point, rng: "random.Random", axis_factory: AxisFactory, suggest: Suggest,
                    max_observations: int) -> Optional[Dict[str, Any]]:
    """A new config in ``arm`` from the GP of its runs, or ``None`` if the arm has no untaken point left."""
    enc = _Encoding(sweep, axis_factory, {id(p): v for p, v in arm})
    X, y, pending = _encoded(enc, done, ys, flying)
    taken = {_key(u) for u in X + pending}
    for _ in range(_RETRIES + 1):
        point = enc.decode(suggest(enc.dims, X, y, rng, pending=pending, max_observations=max_observations))
        canon = enc.canonical(point)
        if _key(canon) not in taken:
            return point_config(sweep, point)
        if not enc.dims:
            return None
        pending = pending + [canon]
    return None


def _encoded(enc: _Encoding, done: Sequence["Run"], ys: Sequence[float],
             flying: Sequence["Run"]) -> Tuple[List[List[float]], List[float], List[List[float]]]:
    X: List[List[float]] = []
    y: List[float] = []
    bad: List[str] = []
    for run, value in zip(done, ys):
        del bad[:]
        u = enc.encode(run.config, bad)
        if bad:
            _warn_bad(run, bad)
        elif u is not None:
            X.append(u)
            y.append(value)
    pending = []
    for run in flying:
        del bad[:]
        u = enc.encode(run.config, bad)
        if u is not None and not bad:
            pending.append(u)
    return X, y, pending


def _bayes_flat(sweep: "SweepConfig", done: Sequence["Run"], ys: Sequence[float], flying: Sequence["Run"],
                rng: "random.Random", axis_factory: AxisFactory, suggest: Suggest,
                max_observations: int) -> Dict[str, Any]:
    """More arms than :data:`_MAX_ARMS`: one GP over every branch's dimensions (inactive ones at the middle)."""
    enc = _Encoding(sweep, axis_factory)
    X, y, pending = _encoded(enc, done, ys, flying)
    taken = {_key(u) for u in X + pending}
    for _ in range(_RETRIES + 1):
        point = enc.decode(suggest(enc.dims, X, y, rng, pending=pending, max_observations=max_observations))
        canon = enc.canonical(point)
        if _key(canon) not in taken:
            return point_config(sweep, point)
        pending = pending + [canon]
    return sample(sweep, rng)


def _warn_bad(run: "Run", bad: Sequence[str]) -> None:
    warnings.warn("bayes: run %s has %s, which the sweep's parameters do not allow; the run is left out of the "
                  "model" % (run.id, ", ".join(bad)), MinisweepWarning, stacklevel=6)
