"""Validating a W&B sweep configuration: what a config means, checked once.

A sweep config is a plain mapping, written for W&B (usually in YAML).  This
module turns it into a :class:`SweepConfig`: every parameter with its
distribution named (inferred when the author left it out), its defaults
filled, nested ``parameters`` kept as a tree, and every problem reported at
once as a :class:`~.errors.ConfigError` whose lines name the key path.

The rules are W&B's (its schema is wandb/sweeps
``src/sweeps/config/schema.json``).  Where W&B only *flags* a config but
still runs it (an unknown top-level key, a ``goal`` that is not
minimize/maximize) we run it too and warn, suggesting the near miss.  Where
W&B cannot run a parameter (a scalar where ``values`` needs a list, ``min``
not below ``max``, an unknown distribution) we refuse, with a message naming
the culprit and the fix.  One deliberate kindness beyond W&B: YAML 1.1 reads
``1e-4`` (no dot) as a *string*; where a number is required we accept such a
string as the number it spells.

Why one module of some 800 lines: validating a config is one walk over one
document.  ``_Checker`` visits each key once, and every rule needs the same
context (the key path and the line for its message, the method for the
grid-only rules, every problem collected for one report); the classes it
returns are what the walk builds.  What is a concept of its own lives
elsewhere: the distributions and their keys (:mod:`.distributions`),
hyperband's settings and bands (:mod:`.hyperband`), reading a file or text
(:mod:`.reader`).

>>> cfg = parse_config({"method": "random", "metric": {"name": "loss"},
...                     "parameters": {"lr": {"min": 0.0001, "max": 0.1},
...                                    "layers": {"min": 1, "max": 4},
...                                    "opt": {"values": ["adam", "sgd"]}}})
>>> [(p.name, p.distribution) for p in cfg.params]
[('layers', 'int_uniform'), ('lr', 'uniform'), ('opt', 'categorical')]
>>> cfg.metric.goal
'minimize'
>>> parse_config({"method": "grid", "parameters": {"lr": {"min": 0.1, "max": 0.01}}})
Traceback (most recent call last):
  ...
minisweep.errors.ConfigError: parameters.lr: min 0.1 is not less than max 0.01
"""

import datetime
import math
import re
import warnings
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from . import conditional, distributions, priorruns, startpoints
from .distributions import DEPRECATED, DISTRIBUTIONS, GRID_DISTRIBUTIONS
from .errors import ConfigError, MinisweepWarning, Problem
from .hyperband import Hyperband, bands
from .reader import kind_of as _kind
from .reader import read_config_with_positions
from .values import as_written

__all__ = [
    "SweepConfig",
    "Param",
    "Metric",
    "parse_config",
    "METHODS",
]

METHODS = ("grid", "random", "bayes")

_TOP_LEVEL = (
    "method", "parameters", "metric", "early_terminate", "run_cap", "command", "program",
    "name", "description", "project", "entity", "controller",
    "starting_points",  # a minisweep extension (see startpoints.py)
    "prior_runs",  # records of earlier sweeps' runs, written by sweep(prior_runs=...) (see priorruns.py)
    # accepted by W&B's schema; minisweep reads them but has no use for them
    "apiVersion", "kind", "job", "image_uri", "metrics", "scheduler",
)
_IGNORED_TOP_LEVEL = ("job", "image_uri", "metrics", "scheduler")
_METRIC_KEYS = ("name", "goal", "target", "impute", "impute_while_running")
_HYPERBAND_KEYS = ("type", "min_iter", "max_iter", "s", "eta", "strict")
_IMPUTE = ("worst", "best", "latest")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# (no two adjacent parts may match the same digits: a failing match would backtrack quadratically)
_NUMBER_RE = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?$")
_INT_RE = re.compile(r"^[-+]?[0-9][0-9_]*$")
_MAX_FLOAT = 1.7976931348623157e308
_MAX_EXPONENT = math.log(_MAX_FLOAT)  # math.exp of anything larger overflows
_MAX_GRID_VALUES = 1_000_000  # most values one grid parameter may list


class Param:
    """One searchable (or constant) parameter, with its distribution resolved.

    ``path`` is the tuple of names from the top of ``parameters`` down to this
    leaf (``("optimizer", "lr")`` for a nested one); ``name`` joins it with dots
    for display.  The distribution's keys are attributes; keys a distribution
    does not take are ``None``.
    """

    __slots__ = ("path", "distribution", "value", "values", "probabilities",
                 "min", "max", "q", "mu", "sigma", "a", "b")

    def __init__(self, path: Tuple[str, ...], distribution: str, **keys: Any) -> None:
        self.path = tuple(path)
        self.distribution = distribution
        for slot in self.__slots__[2:]:
            setattr(self, slot, keys.pop(slot, None))
        if keys:
            raise TypeError("unknown parameter keys: %s" % ", ".join(sorted(keys)))

    @property
    def name(self) -> str:
        return ".".join(self.path)

    def spec(self) -> Dict[str, Any]:
        """The parameter as a W&B config entry, distribution and defaults explicit."""
        out: Dict[str, Any] = {"distribution": self.distribution}
        for key in DISTRIBUTIONS[self.distribution]:
            out[key] = getattr(self, key)
        return out

    def __repr__(self) -> str:
        body = ", ".join("%s=%r" % (k, v) for k, v in self.spec().items() if k != "distribution")
        return "Param(%r, %r, %s)" % (self.name, self.distribution, body)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Param):
            return NotImplemented
        return self.path == other.path and self.spec() == other.spec()


class Metric:
    """The metric a sweep optimises: ``name``, ``goal`` and the optional extras."""

    __slots__ = ("name", "goal", "target", "impute", "impute_while_running")

    def __init__(self, name: str, goal: str = "minimize", target: Optional[float] = None,
                 impute: str = "worst", impute_while_running: str = "false") -> None:
        self.name = name
        self.goal = goal
        self.target = target
        self.impute = impute
        self.impute_while_running = impute_while_running

    @property
    def maximize(self) -> bool:
        return self.goal == "maximize"

    def spec(self) -> Dict[str, Any]:
        out = {"name": self.name, "goal": self.goal, "impute": self.impute,
               "impute_while_running": self.impute_while_running}
        if self.target is not None:
            out["target"] = self.target
        return out

    def __repr__(self) -> str:
        return "Metric(%r, goal=%r)" % (self.name, self.goal)


class SweepConfig:
    """A validated sweep: what :func:`parse_config` returns.

    Attributes:
        method: ``"grid"``, ``"random"`` or ``"bayes"``.
        parameters: the parameter tree; each value is a :class:`Param` or, for
            nested parameters, a dict of the same shape.
        params: every leaf :class:`Param`, in W&B's order (names sorted at each
            level, depth first).  Grid search varies the first one slowest.
        metric: a :class:`Metric`, or ``None``.
        early_terminate: a :class:`Hyperband`, or ``None``.
        run_cap: the most runs the sweep may have, or ``None``.
        command, program, name, description, project, entity: as written.
        extra: top-level keys minisweep does not use, as written.
        warnings: what was accepted but looked wrong, one line each.
        extensions: the minisweep extensions the config uses (W&B cannot run
            it), e.g. conditional parameters (see :mod:`.conditional`).
        starting_points: run configs to try first (see :mod:`.startpoints`).
        prior_runs: runs of earlier sweeps the search takes into account, as
            :class:`~.runs.Run` objects (``prior_records``: as stored; see :mod:`.priorruns`).
        raw: the mapping as read, before validation.
    """

    def __init__(self) -> None:
        self.method: str = ""
        self.parameters: Dict[str, Any] = {}
        self.params: List[Param] = []
        self.metric: Optional[Metric] = None
        self.early_terminate: Optional[Hyperband] = None
        self.run_cap: Optional[int] = None
        self.command: Optional[List[Any]] = None
        self.program: Optional[str] = None
        self.name: Optional[str] = None
        self.description: Optional[str] = None
        self.project: Optional[str] = None
        self.entity: Optional[str] = None
        self.controller: Optional[Dict[str, Any]] = None
        self.extra: Dict[str, Any] = {}
        self.warnings: List[str] = []
        self.extensions: List[str] = []
        self.starting_points: List[Dict[str, Any]] = []
        self.prior_records: List[Dict[str, Any]] = []
        self.prior_runs: List[Any] = []
        self.raw: Dict[str, Any] = {}
        self.source: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        """The config in W&B's shape with every default filled and every distribution named."""
        out: Dict[str, Any] = {"method": self.method, "parameters": _spec_tree(self.parameters)}
        if self.metric is not None:
            out["metric"] = self.metric.spec()
        if self.early_terminate is not None:
            out["early_terminate"] = self.early_terminate.spec()
        for key in ("run_cap", "command", "program", "name", "description", "project", "entity",
                    "controller"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.starting_points:
            out["starting_points"] = [dict(point) for point in self.starting_points]
        if self.prior_records:
            out["prior_runs"] = [dict(rec) for rec in self.prior_records]
        out.update(self.extra)
        return out

    def nest(self, flat: Mapping[Tuple[str, ...], Any]) -> Dict[str, Any]:
        """Turn ``{path: value}`` into the run's nested config dict.

        >>> cfg = parse_config({"method": "random", "parameters": {
        ...     "opt": {"parameters": {"lr": {"value": 0.1}}}, "bs": {"value": 8}}})
        >>> cfg.nest({("bs",): 8, ("opt", "lr"): 0.1})
        {'bs': 8, 'opt': {'lr': 0.1}}
        """
        out: Dict[str, Any] = {}
        for path, value in flat.items():
            node = out
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = value
        return out

    def __repr__(self) -> str:
        return "SweepConfig(method=%r, params=%r)" % (self.method, [p.name for p in self.params])


def _spec_tree(tree: Mapping[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, node in tree.items():
        out[key] = {"parameters": _spec_tree(node)} if isinstance(node, dict) else node.spec()
    return out


def iter_params(tree: Mapping[str, Any]) -> Iterator[Param]:
    """Leaf parameters of a parameter tree, names sorted at each level, depth first."""
    for key in sorted(tree):
        node = tree[key]
        if isinstance(node, dict):
            yield from iter_params(node)
        else:  # a Param, or a conditional.Branching: its parent parameter
            yield getattr(node, "param", node)


# --------------------------------------------------------------------------- parsing


def parse_config(source: Any, *, warn: bool = True) -> SweepConfig:
    """Read and validate a sweep config.

    Args:
        source: anything :func:`~.reader.read_config` accepts (a dict, a
            callable returning one, a file path, YAML or JSON text), or a
            :class:`SweepConfig`, returned as is.
        warn: emit each accepted-but-suspicious finding as a
            :class:`~.errors.MinisweepWarning` (they are also kept in
            ``.warnings``).

    Returns:
        The :class:`SweepConfig`.

    Raises:
        ConfigError: listing every problem, each with its key path and, for a
            file, its line.
    """
    if isinstance(source, SweepConfig):
        return source
    raw, positions, filename = read_config_with_positions(source)
    checker = _Checker(positions, filename)
    cfg = checker.check(raw)
    if checker.problems:
        raise ConfigError(checker.problems)
    cfg.warnings = [str(p) for p in checker.warnings]
    cfg.source = filename
    if warn and cfg.warnings:
        for text in cfg.warnings:
            warnings.warn(text, MinisweepWarning, stacklevel=2)
    return cfg


def _number_from_text(text: str) -> Any:
    """The number a string matching _NUMBER_RE spells: '1_000' -> 1000, '1e-4' -> 0.0001."""
    text = text.strip().replace("_", "")
    if _INT_RE.match(text) and len(text) <= 4300:  # int() refuses longer ones on Python 3.11+
        return int(text)
    return float(text)  # too long an int is beyond any float: inf, refused as not finite


def near_miss(word: str, choices: Any) -> Optional[str]:
    """The closest of ``choices`` to ``word``, or ``None`` if none is close.

    >>> near_miss("max_runs", ["run_cap", "method", "parameters"])
    'run_cap'
    >>> near_miss("bayesian", ["grid", "random", "bayes"])
    'bayes'
    """
    import difflib  # lazy: needed only for a typo, and it costs as much as the validator to import

    aliases = {"max_runs": "run_cap", "runs": "run_cap", "n_runs": "run_cap", "num_runs": "run_cap",
               "count": "run_cap", "max_trials": "run_cap", "early_stopping": "early_terminate",
               "params": "parameters", "hyperparameters": "parameters", "objective": "metric",
               "search": "method", "algorithm": "method", "script": "program"}
    choices = list(choices)
    lowered = str(word).lower()
    if lowered in aliases and aliases[lowered] in choices:
        return aliases[lowered]
    for choice in choices:
        if lowered == choice.lower():
            return choice
    found = difflib.get_close_matches(lowered, choices, n=1, cutoff=0.6)
    if found:
        return found[0]
    for choice in choices:  # 'bayesian' -> 'bayes', 'minimise' -> 'minimize'
        if len(choice) >= 4 and (lowered.startswith(choice) or choice.startswith(lowered[:5])):
            return choice
    return None


class _Checker:
    """Walks a raw config, collecting problems (errors) and warnings with positions."""

    def __init__(self, positions: Optional[Dict[tuple, Tuple[int, int]]], filename: Optional[str]) -> None:
        self.positions = positions or {}
        self.filename = filename
        self.problems: List[Problem] = []
        self.warnings: List[Problem] = []

    # -- reporting -------------------------------------------------------------------------
    def _problem(self, path: tuple, message: str) -> Problem:
        line = column = None
        probe = tuple(path)
        while probe:
            if probe in self.positions:
                line, column = self.positions[probe]
                break
            probe = probe[:-1]
        key_path = ".".join(str(p) for p in path)
        return Problem(key_path, message, line=line, source=self.filename)

    def error(self, path: tuple, message: str) -> None:
        self.problems.append(self._problem(path, message))

    def warn(self, path: tuple, message: str) -> None:
        self.warnings.append(self._problem(path, message))

    # -- numbers -----------------------------------------------------------------------------
    def number(self, path: tuple, value: Any, *, integer: bool = False) -> Optional[float]:
        """A number, accepting YAML 1.1's stringly numbers ('1e-4'); reports and returns None if not."""
        num = self._peek_number(value)
        if num is None:
            want = "an integer" if integer else "a number"
            self.error(path, "expected %s, got %s %s" % (want, _kind(value), as_written(value)))
            return None
        value = num
        if isinstance(value, float) and not math.isfinite(value):
            self.error(path, "expected a finite number, got %s" % as_written(value))
            return None
        if isinstance(value, int) and abs(value) > _MAX_FLOAT:  # float arithmetic would overflow
            self.error(path, "expected a number between -%g and %g, got an integer beyond that"
                       % (_MAX_FLOAT, _MAX_FLOAT))
            return None
        if integer:
            if isinstance(value, float):
                if not value.is_integer():
                    self.error(path, "expected an integer, got %s" % as_written(value))
                    return None
                value = int(value)
        return value

    def _int_bound(self, path: tuple, value: Any) -> Optional[int]:
        """An int_uniform bound: W&B's schema types it ``integer``, so ``1.0`` is refused too."""
        if isinstance(self._peek_number(value), float) and self._peek_number(value).is_integer():
            self.error(path, "int_uniform needs integer bounds, got %s (write %d, or use uniform)"
                       % (as_written(self._peek_number(value)), int(self._peek_number(value))))
            return None
        return self.number(path, value, integer=True)

    # -- the document -----------------------------------------------------------------------
    def check(self, raw: Any) -> SweepConfig:
        cfg = SweepConfig()
        if not isinstance(raw, dict):
            self.error((), "a sweep config must be a mapping with 'method' and 'parameters', got %s"
                       % _kind(raw))
            return cfg
        cfg.raw = raw
        for key in raw:
            if not isinstance(key, str):
                self.error((key,), "top-level keys must be strings, got %s %s" % (_kind(key), as_written(key)))
            elif key not in _TOP_LEVEL:
                hint = near_miss(key, _TOP_LEVEL[:13])
                self.warn((key,), "unknown top-level key, ignored%s" % (
                    "; did you mean '%s'?" % hint if hint else ""))
                cfg.extra[key] = raw[key]
            elif key in _IGNORED_TOP_LEVEL:
                self.warn((key,), "W&B-only key, ignored by minisweep")
                cfg.extra[key] = raw[key]
            elif key in ("apiVersion", "kind"):
                cfg.extra[key] = raw[key]

        self._method(cfg, raw)
        if "parameters" not in raw:
            self.error(("parameters",), "missing: a sweep needs 'parameters', e.g. "
                       "parameters: {lr: {min: 0.0001, max: 0.1}}")
        else:
            cfg.parameters = self._parameters(("parameters",), raw["parameters"], cfg.method)
            cfg.params = list(iter_params(cfg.parameters))
            conditional.after_parse(self, cfg)  # 'when' (conditional parameters): overlapping names, the extension label
        if "metric" in raw:
            cfg.metric = self._metric(raw["metric"])
        if "early_terminate" in raw:
            cfg.early_terminate = self._early_terminate(raw["early_terminate"])
        if cfg.metric is None:
            if cfg.method == "bayes":
                self.error(("metric",), "bayes search needs a metric to optimise, e.g. "
                           "metric: {name: loss, goal: minimize}")
            if cfg.early_terminate is not None:
                self.error(("early_terminate",), "hyperband needs a metric to compare runs; "
                           "add metric: {name: ..., goal: ...}")
        if "run_cap" in raw:
            cap = self.number(("run_cap",), raw["run_cap"], integer=True)
            if cap is not None and cap <= 0:
                self.error(("run_cap",), "must be a positive integer, got %s" % as_written(raw["run_cap"]))
            elif cap is not None:
                cfg.run_cap = int(cap)
        if "command" in raw:
            command = raw["command"]
            if not isinstance(command, list) or not command:
                self.error(("command",), "expected a non-empty list of strings such as "
                           "[\"${env}\", \"${interpreter}\", \"${program}\", \"${args}\"], got %s"
                           % _kind(command))
            else:
                for i, item in enumerate(command):
                    if isinstance(item, (dict, list)) or item is None:
                        self.error(("command", i), "expected a string, got %s" % _kind(item))
                cfg.command = list(command)
        for key in ("program", "name", "description", "project", "entity"):
            if key in raw and raw[key] is not None:
                value = raw[key]
                if isinstance(value, (dict, list)):
                    self.error((key,), "expected a string, got %s" % _kind(value))
                else:
                    setattr(cfg, key, value if isinstance(value, str) else str(value))
        if "starting_points" in raw and cfg.method:
            cfg.starting_points = startpoints.parse_starting_points(self, raw["starting_points"], cfg)
            cfg.extensions.append(startpoints.EXTENSION)
        if "prior_runs" in raw:
            cfg.prior_records = priorruns.parse_prior_runs(self, raw["prior_runs"])
            cfg.prior_runs = priorruns.runs(cfg.prior_records)
            if cfg.prior_records:
                cfg.extensions.append(priorruns.EXTENSION)
        if "controller" in raw:
            ctl = raw["controller"]
            if not isinstance(ctl, dict) or ctl.get("type") not in ("local", "cloud"):
                self.warn(("controller",), "expected {type: local} or {type: cloud}; ignored")
            else:
                cfg.controller = dict(ctl)
        return cfg

    def _method(self, cfg: SweepConfig, raw: Dict[str, Any]) -> None:
        if "method" not in raw:
            msg = "missing: choose one of grid, random, bayes"
            for key, value in raw.items():
                if isinstance(value, dict) and "method" in value:
                    msg += " ('method' was found under '%s': is it indented too far?)" % key
                    break
            self.error(("method",), msg)
            return
        method = raw["method"]
        if method == "custom":
            self.error(("method",), "'custom' needs W&B's external controller; minisweep runs grid, random and bayes")
        elif method not in METHODS:
            hint = near_miss(str(method), METHODS)
            self.error(("method",), "%s is not one of grid, random, bayes%s" % (
                as_written(method), "; did you mean '%s'?" % hint if hint else ""))
        else:
            cfg.method = method

    def _metric(self, raw: Any) -> Optional[Metric]:
        if not isinstance(raw, dict):
            self.error(("metric",), "expected a mapping such as {name: loss, goal: minimize}, got %s" % _kind(raw))
            return None
        ok = True
        for key in raw:
            if key not in _METRIC_KEYS:
                hint = near_miss(str(key), _METRIC_KEYS)
                self.warn(("metric", key), "unknown key, ignored%s" % (
                    "; did you mean '%s'?" % hint if hint else ""))
        name = raw.get("name")
        if name is None:
            self.error(("metric", "name"), "missing: name the metric your runs log, e.g. name: val_loss")
            ok = False
        elif not isinstance(name, str):
            if isinstance(name, (dict, list, bool)):
                self.error(("metric", "name"), "expected a string, got %s" % _kind(name))
                ok = False
            else:
                name = str(name)
        goal = raw.get("goal", "minimize")
        if goal not in ("minimize", "maximize"):
            hint = near_miss(str(goal), ("minimize", "maximize"))
            self.warn(("metric", "goal"), "%s is not minimize or maximize; minimising%s" % (
                as_written(goal), " (did you mean '%s'?)" % hint if hint else ""))
            goal = "minimize"
        target = None
        if "target" in raw and raw["target"] is not None:
            target = self.number(("metric", "target"), raw["target"])
            ok = ok and target is not None
        impute = raw.get("impute", "worst")
        if impute not in _IMPUTE:
            self.warn(("metric", "impute"), "%s is not one of worst, best, latest; using worst" % as_written(impute))
            impute = "worst"
        iwr = raw.get("impute_while_running", "false")
        if iwr is False:
            iwr = "false"
        if iwr not in _IMPUTE + ("false",):
            self.warn(("metric", "impute_while_running"),
                      "%s is not one of worst, best, latest, false; using false" % as_written(iwr))
            iwr = "false"
        if not ok:
            return None
        return Metric(name, goal, target, impute, iwr)

    def _early_terminate(self, raw: Any) -> Optional[Hyperband]:
        path = ("early_terminate",)
        if not isinstance(raw, dict):
            self.error(path, "expected a mapping such as {type: hyperband, min_iter: 3}, got %s" % _kind(raw))
            return None
        kind = raw.get("type")
        if kind != "hyperband":
            self.error(path + ("type",), "%s: the only early_terminate type is hyperband"
                       % ("missing" if kind is None else as_written(kind)))
            return None
        for key in raw:
            if key not in _HYPERBAND_KEYS:
                hint = near_miss(str(key), _HYPERBAND_KEYS)
                # W&B's schema flags it but the sweep still runs: warn, as for top-level keys
                self.warn(path + (key,), "unknown key, ignored%s (allowed: %s)"
                          % ("; did you mean '%s'?" % hint if hint else "", ", ".join(_HYPERBAND_KEYS)))
        hb = Hyperband()
        if "min_iter" in raw:
            hb.min_iter = self.number(path + ("min_iter",), raw["min_iter"], integer=True)
            if hb.min_iter is not None and hb.min_iter < 1:
                self.error(path + ("min_iter",), "must be at least 1, got %s" % as_written(raw["min_iter"]))
        if "max_iter" in raw:
            hb.max_iter = self.number(path + ("max_iter",), raw["max_iter"], integer=True)
            if hb.max_iter is not None and hb.max_iter < 1:
                self.error(path + ("max_iter",), "must be at least 1, got %s" % as_written(raw["max_iter"]))
        if "s" in raw:
            hb.s = self.number(path + ("s",), raw["s"])
            if hb.s is not None and hb.s < 0:
                self.error(path + ("s",), "must not be negative, got %s" % as_written(raw["s"]))
        if "eta" in raw:
            eta = self.number(path + ("eta",), raw["eta"])
            if eta is not None and eta <= 1:
                self.error(path + ("eta",), "must be greater than 1, got %s" % as_written(raw["eta"]))
            elif eta is not None:
                hb.eta = eta
        if "strict" in raw:
            if isinstance(raw["strict"], bool):
                hb.strict = raw["strict"]
            else:
                self.error(path + ("strict",), "expected true or false, got %s" % as_written(raw["strict"]))
        if "min_iter" not in raw and not ("max_iter" in raw and "s" in raw):
            self.error(path, "hyperband needs min_iter, or max_iter and s "
                       "(e.g. {type: hyperband, min_iter: 3, eta: 3})")
        elif hb.max_iter is not None and hb.s is not None and hb.eta > 1:
            if not bands(hb):
                self.error(path, "max_iter %s divided by eta %s is below 1, so hyperband has no band to stop at; "
                           "raise max_iter or s, or lower eta" % (as_written(hb.max_iter), as_written(hb.eta)))
        return hb

    # -- parameters --------------------------------------------------------------------------
    def _parameters(self, path: tuple, raw: Any, method: str) -> Dict[str, Any]:
        if not isinstance(raw, dict) or not raw:
            self.error(path, "expected a mapping of parameter names to their settings, e.g. "
                       "{lr: {min: 0.0001, max: 0.1}}, got %s" % ("an empty mapping" if isinstance(raw, dict) else _kind(raw)))
            return {}
        tree: Dict[str, Any] = {}
        for name, spec in raw.items():
            here = path + (name,)
            if not isinstance(name, str):
                self.error(here, "parameter names must be strings, got %s %s" % (_kind(name), as_written(name)))
                continue
            if not _NAME_RE.match(name):
                self.warn(here, "parameter name %r is not a plain identifier (letters, digits, _ . -); "
                          "some programs will not parse it as a flag" % name)
            node = self._parameter(here, spec, method)
            if node is not None:
                tree[name] = node
        return tree

    def _parameter(self, path: tuple, spec: Any, method: str) -> Any:
        if not isinstance(spec, dict):
            self.error(path, "expected a mapping such as {value: %s} or {values: [...]}, got %s %s"
                       % (as_written(spec), _kind(spec), as_written(spec)))
            return None
        if "parameters" in spec:
            others = [k for k in spec if k != "parameters"]
            if others:
                self.error(path, "a parameter with nested 'parameters' takes no other keys, got %s"
                           % ", ".join(repr(k) for k in others))
            return self._parameters(path + ("parameters",), spec["parameters"], method)
        if "when" in spec:  # a minisweep extension: sub-parameters that exist for one value only
            return conditional.parse_when(self, path, spec, method)
        dist = spec.get("distribution")
        if dist is None:
            dist = self._infer(path, spec)
            if dist is None:
                return None
        elif not isinstance(dist, str) or dist not in DISTRIBUTIONS:
            hint = near_miss(str(dist), DISTRIBUTIONS)
            self.error(path + ("distribution",), "unknown distribution %s%s" % (
                as_written(dist), "; did you mean '%s'?" % hint if hint else
                " (known: %s)" % ", ".join(DISTRIBUTIONS)))
            return None
        keys = DISTRIBUTIONS[dist]
        bad = [k for k in spec if k != "distribution" and k not in keys]
        if bad:
            for key in bad:
                hint = near_miss(str(key), keys)
                if hint in spec:
                    hint = None
                self.error(path + (key,), "unknown key for distribution %s%s (allowed: %s)" % (
                    dist, "; did you mean '%s'?" % hint if hint else "", ", ".join(keys)))
            return None
        missing = [k for k, default in keys.items() if default is None and k not in spec]
        if missing:
            self.error(path, "distribution %s needs %s" % (dist, " and ".join(repr(k) for k in missing)))
            return None
        values: Dict[str, Any] = {}
        for key, default in keys.items():
            values[key] = spec.get(key, default)
        param = self._check_values(path, dist, values)
        if param is None:
            return None
        if dist in DEPRECATED:
            self._deprecated(path, param)
        if method == "grid" and dist not in GRID_DISTRIBUTIONS:
            if dist == "categorical_w_probabilities":
                self.error(path, "grid search tries every value once, so it cannot use probabilities; "
                           "drop 'probabilities' or use method: random")
            else:
                self.error(path, "grid search cannot enumerate distribution '%s'; give 'values' "
                           "or use q_uniform" % dist)
        if not self._searchable(path, param, method):
            return None
        return param

    def _searchable(self, path: tuple, p: Param, method: str) -> bool:
        """Whether the search layer can list or draw ``p``'s values: a grid of at most
        _MAX_GRID_VALUES values, and draws that stay within floating point (a
        range wider than 1.8e308, a ``q`` so small that value / q overflows,
        a log-normal whose exp() overflows are refused here, not crashed on later)."""
        d = p.distribution
        if d in ("constant", "categorical", "categorical_w_probabilities"):
            return True
        try:
            if method == "grid" and d in GRID_DISTRIBUTIONS:
                count = p.max - p.min + 1 if d == "int_uniform" else math.ceil((p.max - p.min) / p.q)
                if count > _MAX_GRID_VALUES:
                    self.error(path, "grid search would list %s values of this parameter, more than %d; "
                               "narrow min and max%s" % (count, _MAX_GRID_VALUES,
                                                         " or raise q" if d == "q_uniform" else ""))
                    return False
            for u in (0.0, 0.5, 1.0):  # every draw lies between ppf(0) and ppf(1)
                if not math.isfinite(distributions.ppf(p, u)):
                    raise OverflowError
        except (OverflowError, ValueError, ZeroDivisionError):
            self.error(path, "these numbers are too large (or q too small) for floating point: drawing "
                       "a value would overflow; keep magnitudes and ranges below about 1e308")
            return False
        return True

    def _infer(self, path: tuple, spec: Dict[str, Any]) -> Optional[str]:
        """W&B's inference when 'distribution' is left out."""
        if "values" in spec:
            return "categorical_w_probabilities" if "probabilities" in spec else "categorical"
        if "value" in spec:
            return "constant"
        if "min" in spec and "max" in spec:
            lo = self._peek_number(spec["min"])
            hi = self._peek_number(spec["max"])
            if isinstance(lo, int) and isinstance(hi, int):
                return "int_uniform"
            return "uniform"  # a bound that is not a number is reported by the numeric check
        keys = ", ".join(repr(k) for k in spec) or "nothing"
        self.error(path, "cannot tell the distribution from %s: give 'values', 'value', or 'min' and "
                   "'max', or name a 'distribution'" % keys)
        return None

    @staticmethod
    def _peek_number(value: Any) -> Any:
        """``value`` as a number (YAML 1.1's '1e-4' included), or ``None`` when it is not one."""
        if isinstance(value, str) and _NUMBER_RE.match(value.strip()):
            return _number_from_text(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return value

    def _check_values(self, path: tuple, dist: str, v: Dict[str, Any]) -> Optional[Param]:
        before = len(self.problems)
        if dist in ("categorical", "categorical_w_probabilities"):
            values = v["values"]
            if not isinstance(values, list):
                self.error(path + ("values",), "expected a list, got %s %s; for a single value write "
                           "value: %s" % (_kind(values), as_written(values), as_written(values)))
            elif not values:
                self.error(path + ("values",), "expected at least one value, got an empty list")
            if dist == "categorical_w_probabilities" and isinstance(values, list):
                probs = v["probabilities"]
                if not isinstance(probs, list):
                    self.error(path + ("probabilities",), "expected a list of numbers, got %s" % _kind(probs))
                else:
                    nums = [self.number(path + ("probabilities", i), p) for i, p in enumerate(probs)]
                    if all(n is not None for n in nums):
                        if any(n < 0 for n in nums):
                            self.error(path + ("probabilities",), "probabilities must not be negative")
                        elif len(nums) != len(values):
                            self.error(path + ("probabilities",), "%d probabilities for %d values"
                                       % (len(nums), len(values)))
                        elif abs(sum(nums) - 1.0) > 1e-6:
                            self.error(path + ("probabilities",), "probabilities sum to %r, not 1" % sum(nums))
                        v["probabilities"] = nums
            if isinstance(values, list):
                for i, value in enumerate(values):
                    self._passable(path + ("values", i), value)
        elif dist == "constant":
            self._passable(path + ("value",), v["value"])
        elif dist == "int_uniform":
            lo = self._int_bound(path + ("min",), v["min"])
            hi = self._int_bound(path + ("max",), v["max"])
            if lo is not None and hi is not None:
                v["min"], v["max"] = lo, hi
                if not lo < hi:
                    self.error(path, "min %s is not less than max %s" % (as_written(lo), as_written(hi)))
        elif "min" in v:  # the uniform family
            lo = self.number(path + ("min",), v["min"])
            hi = self.number(path + ("max",), v["max"])
            if lo is not None and hi is not None:
                v["min"], v["max"] = lo, hi
                if not lo < hi:
                    self.error(path, "min %s is not less than max %s" % (as_written(lo), as_written(hi)))
                elif dist.endswith("_values") and lo <= 0:
                    self.error(path + ("min",), "%s needs min > 0 (it samples on a log scale), got %s"
                               % (dist, as_written(lo)))
                elif dist in DEPRECATED:  # bounds are exponents: e**710 is beyond the largest float
                    key, bound = ("min", -lo) if dist == "inv_log_uniform" else ("max", hi)
                    if bound > _MAX_EXPONENT:
                        self.error(path + (key,), "%s %s is a natural-log exponent, and e**%s is beyond the "
                                   "largest float; write distribution: %s with the values themselves"
                                   % (key, as_written(v[key]), as_written(bound), DEPRECATED[dist]))
        else:  # normal family and beta family
            for key in ("mu", "sigma", "a", "b"):
                if key in v:
                    num = self.number(path + (key,), v[key])
                    if num is not None:
                        v[key] = num
                        if key == "sigma" and num < 0:
                            self.error(path + (key,), "sigma must not be negative, got %s" % as_written(num))
                        if key in ("a", "b") and num <= 0:
                            self.error(path + (key,), "beta needs %s > 0, got %s" % (key, as_written(num)))
        if "q" in v:
            q = self.number(path + ("q",), v["q"])
            if q is not None:
                v["q"] = q
                if q <= 0:
                    self.error(path + ("q",), "q must be greater than 0, got %s" % as_written(q))
        if len(self.problems) > before:
            return None
        return Param(conditional.config_path(path), dist, **v)

    def _passable(self, path: tuple, value: Any, depth: int = 0) -> None:
        """Report a parameter value no run could be handed: one JSON cannot carry.

        A run receives its config as JSON (a program's ``--k=v`` flags, its
        ``MINISWEEP_RUN_CONFIG``), and W&B sends every sweep config through
        ``json.dumps`` (``upsert_sweep`` in wandb/wandb
        ``wandb/sdk/internal/internal_api.py``), so it refuses these too, with a
        traceback.  The usual culprit is an unquoted YAML date (``2020-01-01``
        is a date in YAML 1.1, as PyYAML reads it): quoting makes it a string.
        """
        if value is None or isinstance(value, (str, bool, int, float)) or depth > 100:
            return
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                self._passable(path + (i,), item, depth + 1)
        elif isinstance(value, dict):
            for key, item in value.items():
                self._passable(path + (key,), item, depth + 1)
        elif isinstance(value, (datetime.date, datetime.time)):
            text = value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
            self.error(path, "%s is a YAML date, which a run cannot be handed (its config travels as JSON); "
                       "quote it to pass the text: '%s'" % (text, text))
        else:
            self.error(path, "a %s cannot be handed to a run (its config travels as JSON); use a string, "
                       "a number, true/false, null, a list or a mapping" % type(value).__name__)

    def _deprecated(self, path: tuple, p: Param) -> None:
        instead = DEPRECATED[p.distribution]
        lo, hi = p.min, p.max
        if p.distribution == "inv_log_uniform":
            vlo, vhi = math.exp(-hi), math.exp(-lo)
        else:
            vlo, vhi = math.exp(lo), math.exp(hi)
        msg = ("distribution %s is deprecated: its min and max are natural-log exponents, so it draws values "
               "between %.6g and %.6g; write distribution: %s with min: %.6g and max: %.6g"
               % (p.distribution, vlo, vhi, instead, vlo, vhi))
        if 0 < lo < 1 and 0 < hi <= 1:
            msg += " (or, if %s and %s are the values you meant, min: %s and max: %s)" % (
                as_written(lo), as_written(hi), as_written(lo), as_written(hi))
        self.warn(path + ("distribution",), msg)
