"""Conditional parameters: sub-parameters that exist only when a parent takes a given value.

Some settings only mean something next to another one: ``beta1`` belongs to
Adam, ``momentum`` to SGD, a kernel width to the RBF kernel.  A flat sweep
has to draw them all for every run, so half of every config is noise, a
grid repeats the same experiment once per value of a parameter the run
ignores, and a Bayesian model is told that ``momentum`` mattered to an
Adam run.  W&B users have asked for a way to say so for years (wandb/wandb
issues #1487, #2853, #3865); a design with a ``param-choice`` type
(wandb/sweeps pull request #71) was closed unmerged.  hyperopt nests
``hp.choice`` spaces, Optuna's define-by-run API simply asks for a
parameter inside an ``if``, and ConfigSpace attaches a condition ("active
only if the parent equals this value") to each child.  minisweep takes the
nesting of the first, keeps the names of the second and the "active when
the parent is one of these values" meaning of the third.

The form (an extension: W&B cannot read it, and ``minisweep check`` says so
in one line).  A parameter that lists ``values`` may carry ``when``: a
mapping from some of those values to the parameters that exist only when
that value is chosen::

    parameters:
      batch_size: {values: [32, 64]}
      optimizer:
        values: [adam, sgd, lbfgs]
        when:
          adam:
            beta1: {min: 0.8, max: 0.999}
            lr: {distribution: log_uniform_values, min: 0.00001, max: 0.01}
          sgd:
            lr: {distribution: log_uniform_values, min: 0.001, max: 1.0}
            momentum: {values: [0.0, 0.9]}

- A branch's parameters land in the run's config *beside* their parent:
  ``{"batch_size": 32, "optimizer": "sgd", "lr": 0.01, "momentum": 0.9}``, so
  the program reads ``config.momentum`` exactly as it would without
  ``when``.  A run's config holds only its active parameters.
- A value with no branch (``lbfgs``) has no sub-parameters.
- A branch is written like ``parameters`` itself: any distribution, nested
  groups (``{parameters: ...}``), and further ``when`` (nesting to any depth).
- One name in two branches of the same parent is two parameters that never
  meet (Adam's ``lr`` and SGD's ``lr`` above have their own ranges).  A name
  that *could* meet another in one config -- a sibling of the parent, a
  branch of another parent beside it, the parent itself -- is an error.
- Only a parameter with ``values`` can branch (a condition on a float is
  fragile: ConfigSpace's documentation warns against it too).  Branch keys
  are matched to the values as values (``2`` matches ``2.0``; a JSON key
  ``"2"`` matches ``2`` when no value is the string ``"2"``); a key that names
  no value is an error that lists the values.

How each method treats the tree:

- **grid** enumerates exactly the valid combinations, each once, in W&B's
  order extended to branches: the names of one level sorted, the first
  varying slowest, and a branching parameter varying like one parameter
  whose values are (value, point of that value's branch) pairs -- its values
  in their listed order, and within one value the branch's own grid in the
  same order.  Without ``when`` this is W&B's order exactly.
- **random** draws the level's parameters in that order and, after a
  parent, only the branch of the value it drew.
- **bayes** works in two steps.  An *arm* is one combination of branch
  choices (``optimizer = sgd``; with nesting, ``model = net, act = gelu``).
  First an arm is picked by Thompson sampling: each arm's chance of giving
  a run among the best quarter so far is a Beta belief (good runs against
  the others, pending ones counted as not good), one draw from each, the
  highest wins -- so an untried arm gets tried, one poor run does not write
  an arm off, and an arm that keeps giving good runs is searched most.
  Then a Gaussian process over that arm's parameters (shared ones included,
  the branch choices fixed), fitted to that arm's runs only, proposes the
  values.  Every dimension that GP sees is active in every run it sees, and
  Adam's ``lr`` is never confused with SGD's.  (The obvious alternative, one
  GP over every branch's dimensions with a fixed value standing in for an
  inactive one, was tried and measured worse: the other branches' runs, all
  sitting at that fixed value, teach the GP a false slope along each branch
  parameter, and it drives them into the corners of their ranges.  It is
  kept only as the fallback for a tree of more than 64 arms.)  A proposal
  that repeats a run's active values is given back as pending and the GP
  asked again; an arm with no untaken point left is set aside.

>>> from .grid import axis_values
>>> from .sweepconfig import parse_config
>>> cfg = parse_config({"method": "grid", "parameters": {
...     "opt": {"values": ["adam", "sgd", "lbfgs"],
...             "when": {"adam": {"beta1": {"values": [0.9, 0.99]}},
...                      "sgd": {"momentum": {"values": [0.0, 0.9]}}}}}})
>>> for point in grid_points(cfg.parameters, axis_values):
...     print(point_config(cfg, point))
{'opt': 'adam', 'beta1': 0.9}
{'opt': 'adam', 'beta1': 0.99}
{'opt': 'sgd', 'momentum': 0.0}
{'opt': 'sgd', 'momentum': 0.9}
{'opt': 'lbfgs'}
>>> grid_size(cfg.parameters, axis_values)
5
"""

import difflib
import math
import warnings
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from . import distributions
from .errors import MinisweepWarning
from .runs import FAILED_STATES
from .values import MISSING, grid_key, lookup, value_key

__all__ = [
    "Branching",
    "EXTENSION",
    "config_path",
    "has_branches",
    "leaves",
    "grid_points",
    "grid_size",
    "grid_next",
    "point_config",
    "sample",
    "bayes_next",
]

#: What ``minisweep check`` names when a config uses ``when``.
EXTENSION = "conditional parameters ('when')"

#: The distributions whose parameter may carry ``when``.
BRANCHING = ("categorical", "categorical_w_probabilities")

Point = List[Tuple[Any, Any]]  # [(Param, value)] in tree order


class Branching:
    """A node of the parameter tree: a parameter with ``values`` and its branches.

    Attributes:
        param: the parent :class:`~.sweepconfig.Param` (categorical).
        branches: ``[(index, key, subtree)]``: the index of the value in
            ``param.values``, the key as written under ``when``, and the
            branch's parameter tree (a mapping of name to node, as
            ``SweepConfig.parameters``).
    """

    __slots__ = ("param", "branches", "_by_value")

    def __init__(self, param: Any, branches: Sequence[Tuple[int, Any, Dict[str, Any]]]) -> None:
        self.param = param
        self.branches = sorted(branches, key=lambda b: b[0])
        self._by_value = {value_key(param.values[i]): sub for i, _, sub in self.branches}

    @property
    def path(self) -> Tuple[str, ...]:
        return self.param.path

    @property
    def name(self) -> str:
        return self.param.name

    def branch(self, value: Any) -> Optional[Dict[str, Any]]:
        """The subtree active when the parent is ``value`` (compared as a value), or ``None``."""
        try:
            return self._by_value.get(value_key(value))
        except TypeError:  # an unhashable oddity in a run's config: no branch
            return None

    def spec(self) -> Dict[str, Any]:
        """The parent's W&B entry plus ``when``, every branch written out in full."""
        out = self.param.spec()
        out["when"] = {key: spec_tree(sub) for _, key, sub in self.branches}
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Branching):
            return NotImplemented
        return self.param == other.param and self.spec() == other.spec()

    def __repr__(self) -> str:
        return "Branching(%r, when=%r)" % (self.param, [key for _, key, _ in self.branches])


def spec_tree(tree: Mapping[str, Any]) -> Dict[str, Any]:
    """A parameter tree back in W&B's shape (with ``when`` for branching parameters)."""
    return {key: {"parameters": spec_tree(node)} if isinstance(node, dict) else node.spec()
            for key, node in tree.items()}


def has_branches(tree: Mapping[str, Any]) -> bool:
    """Whether a parameter tree uses ``when`` anywhere."""
    for node in tree.values():
        if isinstance(node, Branching) or (isinstance(node, dict) and has_branches(node)):
            return True
    return False


def config_path(spec_path: Sequence[Any]) -> Tuple[str, ...]:
    """Where a parameter's value goes in a run's config, from where it is written.

    A spec path alternates ``parameters`` and names; a branch adds ``when``
    and the value, and its parameters sit beside the parent, so the parent's
    name is dropped with them.

    >>> config_path(("parameters", "opt", "parameters", "lr"))
    ('opt', 'lr')
    >>> config_path(("parameters", "opt", "when", "adam", "beta1"))
    ('beta1',)
    >>> config_path(("parameters", "g", "parameters", "opt", "when", "sgd", "m", "parameters", "x"))
    ('g', 'm', 'x')
    """
    out: List[str] = []
    name = spec_path[1]
    i = 2
    while i < len(spec_path):
        if spec_path[i] == "parameters":
            out.append(name)
            name = spec_path[i + 1]
            i += 2
        else:  # "when", value, name: the name replaces the parent
            name = spec_path[i + 2]
            i += 3
    out.append(name)
    return tuple(out)


def leaves(tree: Mapping[str, Any], conditions: Tuple[Tuple[Any, Any], ...] = (),
           spec_prefix: Tuple[Any, ...] = ("parameters",)) -> Iterator[Tuple[Any, Tuple[Tuple[Any, Any], ...], tuple]]:
    """Every parameter of a tree in tree order, with the conditions under which it is active.

    Yields ``(param, conditions, spec_path)``: ``conditions`` is a tuple of
    ``(parent Param, value)`` from the outermost branch in; ``spec_path`` is
    where the parameter is written (for messages).  Names are sorted at each
    level; a branching parameter comes first, then its branches in the
    order of its values.
    """
    for name in sorted(tree):
        node = tree[name]
        here = spec_prefix + (name,)
        if isinstance(node, dict):
            yield from leaves(node, conditions, here + ("parameters",))
        elif isinstance(node, Branching):
            yield node.param, conditions, here
            for index, key, sub in node.branches:
                inner = conditions + ((node.param, node.param.values[index]),)
                yield from leaves(sub, inner, here + ("when", key))
        else:
            yield node, conditions, here


def display_params(tree: Mapping[str, Any]) -> List[Any]:
    """One parameter per config path, in tree order: the columns of a table of runs."""
    seen = set()
    out = []
    for param, _, _ in leaves(tree):
        if param.path not in seen:
            seen.add(param.path)
            out.append(param)
    return out


def condition_text(conditions: Sequence[Tuple[Any, Any]]) -> str:
    """``"when opt = adam"`` for a leaf's conditions ("" when it is always active)."""
    if not conditions:
        return ""
    return "when " + " and ".join("%s = %s" % (p.name, _text(v)) for p, v in conditions)


# ------------------------------------------------------------------------------------------ parsing


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return str(value)


def _fmt(value: Any) -> str:
    """A value as written in a config, for messages: strings quoted, true/false/null as YAML spells them."""
    return repr(value) if isinstance(value, str) else _text(value)


def _kind(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string"}.get(type(value), type(value).__name__)


def _near_miss(word: str, choices: Sequence[str]) -> Optional[str]:
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _match_key(values: Sequence[Any], key: Any) -> Optional[int]:
    """The index of the value a ``when`` key names: equal as a value, else spelled the same."""
    try:
        k = value_key(key)
    except TypeError:
        return None
    for i, v in enumerate(values):
        if isinstance(v, (dict, list)):
            continue
        if value_key(v) == k:
            return i
    if isinstance(key, str):  # a JSON document's keys are always strings
        spelled = [i for i, v in enumerate(values) if not isinstance(v, (dict, list, str)) and _text(v) == key]
        if len(spelled) == 1:
            return spelled[0]
    return None


def parse_when(checker: Any, path: tuple, spec: Dict[str, Any], method: str) -> Optional[Branching]:
    """Validate a parameter written with ``when`` (called by the config checker).

    The parent is checked as any parameter; then each branch: its key must
    name one of the parent's values, and its body is a mapping of
    parameters.  Problems go to ``checker.error`` with their key path.
    """
    rest = {k: v for k, v in spec.items() if k != "when"}
    param = checker._parameter(path, rest, method)
    if param is None:
        return None
    where = path + ("when",)
    if param.distribution not in BRANCHING:
        checker.error(where, "only a parameter that lists 'values' can have branches, and this one is %s; "
                      "write values: [...] and give the branches under those values" % param.distribution)
        return None
    when = spec["when"]
    if not isinstance(when, dict) or not when:
        checker.error(where, "expected a mapping from some of the values to the parameters that exist only "
                      "with that value, e.g. when: {%s: {x: {min: 0.0, max: 1.0}}}, got %s"
                      % (_text(param.values[0]) if not isinstance(param.values[0], (dict, list)) else "value",
                         "an empty mapping" if isinstance(when, dict) else "a %s" % _kind(when)))
        return None
    branches = []
    used: Dict[Any, Any] = {}
    shown = ", ".join(_fmt(v) for v in param.values)
    for key, body in when.items():
        here = where + (key,)
        index = _match_key(param.values, key)
        if index is None:
            hint = _near_miss(str(key), [_text(v) for v in param.values if not isinstance(v, (dict, list))])
            checker.error(here, "%s is not one of the values of %s (%s)%s" % (
                _fmt(key), param.name, shown, "; did you mean '%s'?" % hint if hint else ""))
            continue
        if index in used:
            checker.error(here, "names the same value as the branch %s; give each value one branch"
                          % _fmt(used[index]))
            continue
        used[index] = key
        if isinstance(body, dict) and list(body) == ["parameters"] and isinstance(body["parameters"], dict):
            checker.error(here + ("parameters",), "write the branch's parameters directly under the value "
                          "(when: {%s: {name: {...}}}); 'parameters' here would be read as a parameter "
                          "called 'parameters'" % _text(key))
            continue
        sub = checker._parameters(here, body, method)
        if sub:
            branches.append((index, key, sub))
    return Branching(param, branches)


def check_tree(tree: Mapping[str, Any]) -> List[Tuple[tuple, str]]:
    """Parameters that could land in one run's config at the same place: ``[(spec_path, message)]``.

    Two parameters may share a config path only if they sit in different
    branches of one parent (then no config has both).  The same goes for a
    path and a path inside it (a value where another parameter needs a
    nested mapping).
    """
    found = list(leaves(tree))
    problems = []
    by_head: Dict[str, List[int]] = {}
    for i, (param, _, _) in enumerate(found):
        by_head.setdefault(param.path[0], []).append(i)
    for indices in by_head.values():
        for a_pos, a in enumerate(indices):
            pa, ca, sa = found[a]
            for b in indices[:a_pos]:
                pb, cb, sb = found[b]
                short = min(len(pa.path), len(pb.path))
                if pa.path[:short] != pb.path[:short] or _exclusive(ca, cb):
                    continue
                where = ".".join(str(s) for s in sb)
                if pa.path == pb.path:
                    msg = ("'%s' is also defined at %s, and a run could have both; give it another name, "
                           "or move both into different branches of one parameter" % (pa.name, where))
                else:
                    msg = ("'%s' and '%s' (at %s) would both be in one run's config, one inside the other; "
                           "rename one of them" % (pa.name, pb.name, where))
                problems.append((sa, msg))
                break
    return problems


def _exclusive(a: Sequence[Tuple[Any, Any]], b: Sequence[Tuple[Any, Any]]) -> bool:
    """Whether two sets of conditions can never hold together (one parent, two different values)."""
    for pa, va in a:
        for pb, vb in b:
            if pa is pb and value_key(va) != value_key(vb):
                return True
    return False


def after_parse(checker: Any, cfg: Any) -> None:
    """The checker's last step for a config that uses ``when``: overlapping names, and the extension label."""
    if not has_branches(cfg.parameters):
        return
    for spec_path, message in check_tree(cfg.parameters):
        checker.error(spec_path, message)
    cfg.params = display_params(cfg.parameters)
    cfg.extensions.append(EXTENSION)


# ------------------------------------------------------------------------------------- grid, random


#: The grid's list of one parameter's values, duplicates collapsed (:func:`.grid.axis_values`).
AxisValues = Callable[[Any], List[Any]]


def grid_points(tree: Mapping[str, Any], axis_values: AxisValues) -> Iterator[Point]:
    """Every valid combination in grid order, as ``[(Param, value)]`` (constants included).

    ``axis_values`` gives one parameter's grid values (the grid passes its own).
    """
    cache: Dict[int, List[Any]] = {}

    def axis(param: Any) -> List[Any]:
        values = cache.get(id(param))
        if values is None:
            values = cache[id(param)] = axis_values(param)
        return values

    def level(tree: Mapping[str, Any]) -> Iterator[Point]:
        entries = []
        for name in sorted(tree):
            node = tree[name]
            if isinstance(node, dict):
                entries.append(lambda node=node: level(node))
            elif isinstance(node, Branching):
                entries.append(lambda node=node: branch(node))
            else:
                entries.append(lambda node=node: ([(node, v)] for v in axis(node)))
        return _product(entries, 0)

    def branch(node: Branching) -> Iterator[Point]:
        for value in axis(node.param):
            sub = node.branch(value)
            if sub is None:
                yield [(node.param, value)]
            else:
                for rest in level(sub):
                    yield [(node.param, value)] + rest

    return level(tree)


def _product(entries: Sequence[Any], i: int) -> Iterator[Point]:
    """The product of ``entries`` (each a callable giving a fresh iterator), the first varying slowest."""
    if i == len(entries):
        yield []
        return
    for head in entries[i]():
        for tail in _product(entries, i + 1):
            yield head + tail


def grid_size(tree: Mapping[str, Any], axis_values: AxisValues) -> int:
    """How many valid combinations the grid has."""
    n = 1
    for node in tree.values():
        if isinstance(node, dict):
            n *= grid_size(node, axis_values)
        elif isinstance(node, Branching):
            total = 0
            for value in axis_values(node.param):
                sub = node.branch(value)
                total += 1 if sub is None else grid_size(sub, axis_values)
            n *= total
        elif node.distribution != "constant":
            n *= len(axis_values(node))
    return n


def point_config(sweep: Any, point: Point) -> Dict[str, Any]:
    """The run config of a point: its values nested at their paths, in tree order."""
    return sweep.nest({param.path: value for param, value in point})


def _point_key(point: Point) -> frozenset:
    return frozenset((p.path, grid_key(v)) for p, v in point if p.distribution != "constant")


class _Matcher:
    """Which grid point a run's config stands for: the grid's seen-ness rules over a tree."""

    def __init__(self, axis_values: AxisValues, widened: Callable[..., Any]) -> None:
        self.axis_values = axis_values
        self.widened = widened
        self.cache: Dict[int, Any] = {}

    def run_key(self, tree: Mapping[str, Any], config: Any) -> Optional[frozenset]:
        """The key of the point a run's config stands for, or ``None`` if it lacks an active value."""
        pairs: List[Tuple[Tuple[str, ...], Any]] = []
        if not self._level(tree, config, pairs):
            return None
        return frozenset(pairs)

    def _level(self, tree: Mapping[str, Any], config: Any, pairs: list) -> bool:
        for name in sorted(tree):
            node = tree[name]
            if isinstance(node, dict):
                if not self._level(node, config, pairs):
                    return False
                continue
            param = node.param if isinstance(node, Branching) else node
            if param.distribution == "constant":
                continue
            value = lookup(config, param.path)
            if value is MISSING:
                return False
            pairs.append((param.path, self._match(param, value)))
            if isinstance(node, Branching):
                sub = node.branch(value)
                if sub is not None and not self._level(sub, config, pairs):
                    return False
        return True

    def _match(self, param: Any, value: Any) -> Any:
        """The grid key of the grid value a run's value stands for (rule 4 of :mod:`.grid`)."""
        entry = self.cache.get(id(param))
        if entry is None:
            values = self.axis_values(param)
            keys = [grid_key(v) for v in values]
            twins: Dict[Any, Any] = {}
            for v, k in zip(values, keys):
                twins.setdefault(value_key(v), k)
            dicts = [(v, k) for v, k in zip(values, keys) if isinstance(v, dict)]
            entry = self.cache[id(param)] = (set(keys), twins, dicts)
        known, twins, dicts = entry
        key = grid_key(value)
        if key in known:
            return key
        twin = twins.get(value_key(value))
        if twin is not None:  # a list standing for a tuple, 1 for 1.0
            return twin
        if dicts and isinstance(value, dict):
            return self.widened(value, dicts, key)
        return key


def grid_next(sweep: Any, runs: Sequence[Any], *, retry_failed: int = 0, axis_values: AxisValues,
              widened: Callable[..., Any]) -> Optional[Dict[str, Any]]:
    """The config of the first grid point no run has taken, or ``None`` when every one is taken.

    The seen-ness rules are the plain grid's (:func:`~.grid.next_point`): a
    run takes the point its active values name, whatever its state; keys a
    run has beyond its active parameters never matter.  The grid passes in
    its own ``axis_values`` and ``widened`` (the key of a dict value a run
    extended).
    """
    tree = sweep.parameters
    matcher = _Matcher(axis_values, widened)
    taken: Dict[frozenset, int] = {}
    for run in runs:
        key = matcher.run_key(tree, run.config)
        if key is None:
            continue
        if retry_failed and run.state in FAILED_STATES:
            if taken.get(key, 1) != 0:
                taken[key] = taken.get(key, 0) + 1
        else:
            taken[key] = 0
    for point in grid_points(tree, axis_values):
        key = _point_key(point)
        state = taken.get(key)
        if state is not None and (state == 0 or state > retry_failed):
            continue
        return point_config(sweep, point)
    return None


def sample(sweep: Any, rng: Any) -> Dict[str, Any]:
    """A random run config: each level's parameters in tree order, a branch only after its value is drawn."""
    draw = distributions.sample
    point: Point = []

    def walk(tree: Mapping[str, Any]) -> None:
        for name in sorted(tree):
            node = tree[name]
            if isinstance(node, dict):
                walk(node)
            elif isinstance(node, Branching):
                value = draw(node.param, rng)
                point.append((node.param, value))
                sub = node.branch(value)
                if sub is not None:
                    walk(sub)
            else:
                point.append((node, draw(node, rng)))

    walk(sweep.parameters)
    return point_config(sweep, point)


# -------------------------------------------------------------------------------------------- bayes


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

    def __init__(self, sweep: Any, axis_factory: Any, arm: Optional[Dict[int, Any]] = None) -> None:
        self.sweep = sweep
        self.arm = arm
        params: List[Any] = []

        def collect(tree: Mapping[str, Any]) -> None:
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
    def dims(self) -> List[Any]:
        return [axis.dim for axis in self.axes]

    def encode(self, config: Any, bad: List[str]) -> Optional[List[float]]:
        """A run's config as a unit point: ``None`` if an active value is missing or the run is in
        another arm; values the space does not allow go to ``bad``."""
        u = list(self.neutral)
        arm = self.arm

        def walk(tree: Mapping[str, Any]) -> bool:
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

        def walk(tree: Mapping[str, Any]) -> None:
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


def arms(tree: Mapping[str, Any], cap: int = _MAX_ARMS) -> Optional[List[Point]]:
    """Every combination of branch choices, as ``[(branching Param, value)]`` in tree order.

    A tree without ``when`` has one arm, ``[]``.  ``None`` when there are more than ``cap``.

    >>> from .sweepconfig import parse_config
    >>> cfg = parse_config({"method": "random", "parameters": {
    ...     "a": {"values": [1, 2], "when": {2: {"b": {"values": ["x", "y"], "when": {"y": {"c": {"value": 0}}}}}}}}})
    >>> [[(p.name, v) for p, v in arm] for arm in arms(cfg.parameters)]
    [[('a', 1)], [('a', 2), ('b', 'x')], [('a', 2), ('b', 'y')]]
    """
    class TooMany(Exception):
        pass

    def level(tree: Mapping[str, Any]) -> List[Point]:
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


def _run_arm(tree: Mapping[str, Any], config: Any) -> Optional[tuple]:
    """The key of the arm a run's config is in, or ``None`` (a branching value missing or unknown)."""
    key: List[Tuple[int, Any]] = []

    def walk(tree: Mapping[str, Any]) -> bool:
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
              rng: Any) -> tuple:
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


def bayes_next(sweep: Any, runs: Sequence[Any], rng: Any, *, axis_factory: Any, observations: Any,
               suggest: Any, max_observations: int) -> Dict[str, Any]:
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


def _propose_in_arm(sweep: Any, done: Sequence[Any], ys: Sequence[float], flying: Sequence[Any], arm: Point,
                    rng: Any, axis_factory: Any, suggest: Any, max_observations: int) -> Optional[Dict[str, Any]]:
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


def _encoded(enc: _Encoding, done: Sequence[Any], ys: Sequence[float],
             flying: Sequence[Any]) -> Tuple[List[List[float]], List[float], List[List[float]]]:
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


def _bayes_flat(sweep: Any, done: Sequence[Any], ys: Sequence[float], flying: Sequence[Any], rng: Any,
                axis_factory: Any, suggest: Any, max_observations: int) -> Dict[str, Any]:
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


def _warn_bad(run: Any, bad: Sequence[str]) -> None:
    warnings.warn("bayes: run %s has %s, which the sweep's parameters do not allow; the run is left out of the "
                  "model" % (run.id, ", ".join(bad)), MinisweepWarning, stacklevel=6)
