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
- **bayes** picks an *arm* (one combination of branch choices) by Thompson
  sampling, then fits a Gaussian process to that arm's runs alone, over
  that arm's parameters: see :mod:`.conditionalbayes`, which holds that
  search apart from the tree it searches.

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
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from . import distributions
from .runs import FAILED_STATES
from .values import MISSING, grid_key, lookup, value_key

if TYPE_CHECKING:
    import random

    from .runs import Run
    from .sweepconfig import Param, SweepConfig

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
    "Point",
    "Tree",
]

#: What ``minisweep check`` names when a config uses ``when``.
EXTENSION = "conditional parameters ('when')"

#: The distributions whose parameter may carry ``when``.
BRANCHING = ("categorical", "categorical_w_probabilities")

#: A point of the space: ``[(Param, value)]`` in tree order, each parameter active in it.
Point = List[Tuple["Param", Any]]
#: A parameter tree (``SweepConfig.parameters``): name -> Param, :class:`Branching`, or a nested tree.
Tree = Mapping[str, Union["Param", "Branching", Dict[str, Any]]]
#: Where a parameter is active: ``((parent Param, value), ...)`` from the outermost branch in.
Conditions = Tuple[Tuple["Param", Any], ...]


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

    def __init__(self, param: "Param", branches: Sequence[Tuple[int, Any, Dict[str, Any]]]) -> None:
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


def spec_tree(tree: Tree) -> Dict[str, Any]:
    """A parameter tree back in W&B's shape (with ``when`` for branching parameters)."""
    return {key: {"parameters": spec_tree(node)} if isinstance(node, dict) else node.spec()
            for key, node in tree.items()}


def has_branches(tree: Tree) -> bool:
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


def leaves(tree: Tree, conditions: Conditions = (),
           spec_prefix: Tuple[Any, ...] = ("parameters",)) -> Iterator[Tuple["Param", Conditions, tuple]]:
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


def display_params(tree: Tree) -> List["Param"]:
    """One parameter per config path, in tree order: the columns of a table of runs."""
    seen = set()
    out = []
    for param, _, _ in leaves(tree):
        if param.path not in seen:
            seen.add(param.path)
            out.append(param)
    return out


def condition_text(conditions: Conditions) -> str:
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

    ``checker`` is :mod:`.sweepconfig`'s checker object, which calls this
    (typed ``Any``: its class is private to that module, and naming it here
    would import a private name).

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


def check_tree(tree: Tree) -> List[Tuple[tuple, str]]:
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


def _exclusive(a: Conditions, b: Conditions) -> bool:
    """Whether two sets of conditions can never hold together (one parent, two different values)."""
    for pa, va in a:
        for pb, vb in b:
            if pa is pb and value_key(va) != value_key(vb):
                return True
    return False


def after_parse(checker: Any, cfg: "SweepConfig") -> None:  # checker: as for parse_when
    """The checker's last step for a config that uses ``when``: overlapping names, and the extension label."""
    if not has_branches(cfg.parameters):
        return
    for spec_path, message in check_tree(cfg.parameters):
        checker.error(spec_path, message)
    cfg.params = display_params(cfg.parameters)
    cfg.extensions.append(EXTENSION)


# ------------------------------------------------------------------------------------- grid, random


#: The grid's list of one parameter's values, duplicates collapsed (:func:`.grid.axis_values`).
AxisValues = Callable[["Param"], List[Any]]


def grid_points(tree: Tree, axis_values: AxisValues) -> Iterator[Point]:
    """Every valid combination in grid order, as ``[(Param, value)]`` (constants included).

    ``axis_values`` gives one parameter's grid values (the grid passes its own).
    """
    cache: Dict[int, List[Any]] = {}

    def axis(param: "Param") -> List[Any]:
        values = cache.get(id(param))
        if values is None:
            values = cache[id(param)] = axis_values(param)
        return values

    def level(tree: Tree) -> Iterator[Point]:
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


def grid_size(tree: Tree, axis_values: AxisValues) -> int:
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


def point_config(sweep: "SweepConfig", point: Point) -> Dict[str, Any]:
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

    def run_key(self, tree: Tree, config: Mapping[str, Any]) -> Optional[frozenset]:
        """The key of the point a run's config stands for, or ``None`` if it lacks an active value."""
        pairs: List[Tuple[Tuple[str, ...], Any]] = []
        if not self._level(tree, config, pairs):
            return None
        return frozenset(pairs)

    def _level(self, tree: Tree, config: Mapping[str, Any], pairs: list) -> bool:
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

    def _match(self, param: "Param", value: Any) -> Any:
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


def grid_next(sweep: "SweepConfig", runs: Sequence["Run"], *, retry_failed: int = 0, axis_values: AxisValues,
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


def sample(sweep: "SweepConfig", rng: "random.Random") -> Dict[str, Any]:
    """A random run config: each level's parameters in tree order, a branch only after its value is drawn."""
    draw = distributions.sample
    point: Point = []

    def walk(tree: Tree) -> None:
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
