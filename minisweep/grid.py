"""Grid search: every combination of the listed values, in W&B's order.

A grid is the cartesian product of each parameter's values.  W&B fixes the
order, and so do we:

1. Parameters are sorted by name at each level of nesting, depth first
   (``a``, ``b.x``, ``b.y``, ``c``), and the product varies the *first* name
   slowest, like nested ``for`` loops written in that order.
2. ``int_uniform`` contributes ``min .. max`` inclusive; ``q_uniform``
   contributes ``min, min + q, ...`` strictly below ``max``; a constant is in
   every point and is not part of the product.
3. Duplicate values collapse.  Values compare *as values*: ``1.0`` equals
   ``1``, key order in a dict does not matter, but ``True`` stays distinct from
   ``1``, and a tuple stays distinct from a list (see :func:`~.values.grid_key`; a run's
   stored list may then stand for either).  A collapsed value keeps the place of its
   first occurrence and is proposed as written in its last (W&B's quirk).
4. A point is *seen* once any run in the sweep has it, whatever that run's
   state; the next run takes the first unseen point, and when every point is
   seen the grid is done.  W&B compares a hash of each parameter's whole
   value (``yaml_hash`` in wandb/sweeps ``src/sweeps/grid_search.py``), looked
   up at the parameter's own path, so keys beside a nested parameter never
   matter; minisweep goes one step further for a dict listed in ``values``:
   keys a run added inside it are ignored, so a run that extends its config
   never makes its point look untaken (and run twice).

Beyond W&B, ``retry_failed=N`` lets a point whose every run failed or
crashed be tried up to N more times.

>>> from .sweepconfig import parse_config
>>> cfg = parse_config({"method": "grid", "parameters": {
...     "b": {"values": [1, 2]}, "a": {"values": ["x", "y"]}, "c": {"value": 0}}})
>>> [p for p in points(cfg)]
[{('a',): 'x', ('b',): 1}, {('a',): 'x', ('b',): 2}, {('a',): 'y', ('b',): 1}, {('a',): 'y', ('b',): 2}]
>>> from .runs import Run
>>> next_point(cfg, [Run("r0", "finished", {"a": "x", "b": 1, "c": 0})])
{'a': 'x', 'b': 2, 'c': 0}
"""

import itertools
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple

from . import conditional
from .conditional import has_branches
from .distributions import grid_values
from .runs import FAILED_STATES, Run
from .values import MISSING, grid_key, lookup, value_key

if TYPE_CHECKING:
    import random

    from .sweepconfig import SweepConfig

__all__ = ["propose", "axis_values", "points", "size", "next_point", "FAILED_STATES"]


def axis_values(param: Any) -> List[Any]:
    """The de-duplicated values the grid takes for one parameter (rule 3).

    W&B's order is that of each value's first occurrence, and the value it
    proposes is the last of the equal ones (``[2.0, 2]`` proposes ``2``).

    >>> from .sweepconfig import Param
    >>> axis_values(Param(("a",), "categorical", values=[2.0, 1, 2, (1,), [1]]))
    [2, 1, (1,), [1]]
    """
    slot: Dict[Any, int] = {}
    values: List[Any] = []
    for v in grid_values(param):
        k = grid_key(v)
        if k in slot:
            values[slot[k]] = v
        else:
            slot[k] = len(values)
            values.append(v)
    return values


def _axes(sweep: "SweepConfig") -> Tuple[List[Tuple[str, ...]], List[List[Any]], Dict[Tuple[str, ...], Any]]:
    """The searched paths, their de-duplicated values, and the constants."""
    paths: List[Tuple[str, ...]] = []
    axes: List[List[Any]] = []
    constants: Dict[Tuple[str, ...], Any] = {}
    for param in sweep.params:
        if param.distribution == "constant":
            constants[param.path] = param.value
            continue
        paths.append(param.path)
        axes.append(axis_values(param))
    return paths, axes, constants


def points(sweep: "SweepConfig") -> Iterator[Dict[Tuple[str, ...], Any]]:
    """Every grid point in order, as ``{path: value}`` for the searched parameters."""
    if has_branches(sweep.parameters):  # conditional parameters: only the valid combinations
        for point in conditional.grid_points(sweep.parameters, axis_values):
            yield {p.path: v for p, v in point if p.distribution != "constant"}
        return
    paths, axes, _ = _axes(sweep)
    for combo in itertools.product(*axes):
        yield dict(zip(paths, combo))


def size(sweep: "SweepConfig") -> int:
    """How many points the grid has."""
    if has_branches(sweep.parameters):
        return conditional.grid_size(sweep.parameters, axis_values)
    _, axes, _ = _axes(sweep)
    n = 1
    for values in axes:
        n *= len(values)
    return n


def propose(sweep: "SweepConfig", runs: Sequence["Run"], rng: "random.Random", *,
            retry_failed: int = 0) -> Optional[Dict[str, Any]]:
    """Grid search as a sampler (see :mod:`.search`): :func:`next_point`; a grid draws nothing, so ``rng`` is unused."""
    return next_point(sweep, runs, retry_failed=int(retry_failed))


def next_point(sweep: "SweepConfig", runs: Sequence["Run"], *, retry_failed: int = 0) -> Optional[Dict[str, Any]]:
    """The config of the first point no run has taken yet, or ``None`` when the grid is done.

    Args:
        sweep: a :class:`~.sweepconfig.SweepConfig` with ``method: grid``.
        runs: every run of the sweep so far (any state).
        retry_failed: how many extra attempts a point gets when all its runs
            failed or crashed (0: W&B's rule, every run counts).
    """
    if has_branches(sweep.parameters):
        return conditional.grid_next(sweep, runs, retry_failed=retry_failed, axis_values=axis_values,
                                     widened=_widened_key)
    paths, axes, constants = _axes(sweep)
    key_axes = [[grid_key(v) for v in values] for values in axes]
    known = [set(keys) for keys in key_axes]
    # A run's config went through JSON, so a tuple point comes back as a list: a list value
    # may stand for any grid value equal to it as a value, list first (see _settle).
    twins: List[Dict[Any, List[Any]]] = []
    for values, keys in zip(axes, key_axes):
        same: Dict[Any, List[Any]] = {}
        for v, k in zip(values, keys):
            same.setdefault(value_key(v), []).append(k)
        twins.append(same)
    dict_axes = [[(v, k) for v, k in zip(values, keys) if isinstance(v, dict)]
                 for values, keys in zip(axes, key_axes)]
    taken: Dict[tuple, int] = {}  # point key -> 0 if settled, else number of failed attempts
    for run in runs:
        keys = []
        for path, seen, dicts, same in zip(paths, known, dict_axes, twins):
            value = lookup(run.config, path)
            if value is MISSING:
                break
            key = grid_key(value)
            if key not in seen and dicts and isinstance(value, dict):
                key = _widened_key(value, dicts, key)
            choices = [key]
            if key == value_key(value):  # no tuple in it: it may stand for a tuple twin
                choices += [k for k in same.get(key, ()) if k != key]
            keys.append(choices)
        else:
            key = _settle(keys, taken)
            if retry_failed and run.state in FAILED_STATES:
                if taken.get(key, 1) != 0:
                    taken[key] = taken.get(key, 0) + 1
            else:
                taken[key] = 0
    for index_combo in itertools.product(*[range(len(v)) for v in axes]):
        key = tuple(key_axes[i][j] for i, j in enumerate(index_combo))
        if key in taken and (taken[key] == 0 or taken[key] > retry_failed):
            continue
        flat = dict(constants)
        for i, j in enumerate(index_combo):
            flat[paths[i]] = axes[i][j]
        return sweep.nest(_ordered(sweep, flat))
    return None


def _settle(choices: List[List[Any]], taken: Dict[tuple, int]) -> tuple:
    """The first point among ``choices`` (one list of keys per axis) not yet settled, else the first."""
    first = None
    for combo in itertools.product(*choices):
        if taken.get(combo, 1) != 0:
            return combo
        if first is None:
            first = combo
    return first


def _widened_key(value: Dict[str, Any], dicts: List[Tuple[Dict[str, Any], Any]], key: Any) -> Any:
    """The key of the grid's dict value that ``value`` extends (keys a run added are ignored).

    When several grid values match, the one with the most keys wins; when none
    does, ``value`` keeps its own key (it is no point of the grid).
    """
    best, size = key, -1
    for candidate, candidate_key in dicts:
        if len(candidate) > size and all(k in value and value_key(value[k]) == value_key(v)
                                         for k, v in candidate.items()):
            best, size = candidate_key, len(candidate)
    return best


def _ordered(sweep: "SweepConfig", flat: Dict[Tuple[str, ...], Any]) -> Dict[Tuple[str, ...], Any]:
    return {p.path: flat[p.path] for p in sweep.params if p.path in flat}
