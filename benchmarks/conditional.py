"""Bayesian search on conditional spaces: minisweep vs random search vs Optuna's TPE.

Each problem is a minisweep sweep config that uses ``when`` (conditional
parameters) and an objective with a known minimum, read from the run's
config.  Each engine proposes runs one after another, seeing every earlier
run finished with its ``loss`` (what an agent does):

* ``minisweep``: ``next_config(config, runs, seed=s)`` with ``method: bayes``
  (an arm of branch choices by Thompson sampling, then a GP of that arm's
  runs: see ``minisweep/conditionalbayes.py``);
* ``flat``: the same GP on the same problem written *without* ``when``: every
  branch parameter is drawn for every run and the objective ignores the
  inactive ones (what a W&B user has to write today);
* ``random``: ``method: random`` on the conditional config;
* ``optuna_tpe``: Optuna's ``TPESampler`` (independent TPE, its default),
  define-by-run: a branch's parameters are asked for only inside the branch,
  each under a name of its own;
* ``optuna_tpe_group``: ``TPESampler(multivariate=True, group=True)``, the
  setting Optuna documents for conditional spaces.

The table shows, per problem and budget, the median over ``--seeds`` seeds of
the simple regret (best loss found minus the known minimum), and the ratios
of minisweep's median to random's and to Optuna TPE's (below 1: minisweep
is better).  Engines that cannot be imported are reported, not fatal; the
benchmark needs only the standard library (Optuna comes from a dev venv).

    nice -n 10 python benchmarks/conditional.py                  # 20 seeds, every problem
    nice -n 10 /tmp/venv/bin/python benchmarks/conditional.py --seeds 5 --only minisweep optuna_tpe
"""

import argparse
import copy
import math
import os
import statistics
import sys
import time
import warnings
from typing import Any, Callable, Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import minisweep  # noqa: E402


class Problem:
    """A conditional search space (the ``parameters`` of a sweep config) and its objective."""

    def __init__(self, name: str, parameters: Dict[str, Any], objective: Callable[[Dict[str, Any]], float],
                 minimum: float, budgets: List[int]) -> None:
        self.name = name
        self.parameters = parameters
        self.objective = objective
        self.minimum = minimum
        self.budgets = budgets

    def config(self, method: str) -> Dict[str, Any]:
        return {"method": method, "metric": {"name": "loss"}, "parameters": copy.deepcopy(self.parameters)}


def _bowl(x: float, centre: float, width: float) -> float:
    return ((x - centre) / width) ** 2


def _optimizer_loss(c: Dict[str, Any]) -> float:
    """A synthetic training loss: each optimizer has its own good region; SGD's is best.

    Shared terms: weight decay best at 1e-4, batch size best at 64.
    """
    shared = 0.05 * _bowl(math.log10(c["weight_decay"]), -4.0, 2.0) + 0.02 * abs(math.log2(c["batch_size"] / 64))
    opt = c["optimizer"]
    if opt == "adam":
        return 0.15 + 0.2 * _bowl(math.log10(c["lr"]), -3.0, 2.0) + 0.1 * _bowl(c["beta1"], 0.9, 0.1) + shared
    if opt == "sgd":
        return (0.05 + 0.3 * _bowl(math.log10(c["lr"]), -1.5, 1.5) + 0.3 * _bowl(c["momentum"], 0.9, 0.9)
                + (0.0 if c["nesterov"] else 0.03) + shared)
    if opt == "rmsprop":
        return 0.2 + 0.2 * _bowl(math.log10(c["lr"]), -3.5, 1.5) + 0.1 * _bowl(c["alpha"], 0.95, 0.15) + shared
    return 0.45 + shared  # lbfgs: nothing to tune


OPTIMIZER = Problem(
    "optimizer",
    {
        "batch_size": {"values": [32, 64, 128, 256]},
        "weight_decay": {"distribution": "log_uniform_values", "min": 1e-6, "max": 1e-2},
        "optimizer": {"values": ["adam", "sgd", "rmsprop", "lbfgs"], "when": {
            "adam": {"lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
                     "beta1": {"min": 0.8, "max": 0.999}},
            "sgd": {"lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1.0},
                    "momentum": {"min": 0.0, "max": 0.99},
                    "nesterov": {"values": [True, False]}},
            "rmsprop": {"lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
                        "alpha": {"min": 0.8, "max": 0.999}},
        }},
    },
    _optimizer_loss, 0.05, [25, 50, 100])


def _branin(x1: float, x2: float) -> float:
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


def _model_loss(c: Dict[str, Any]) -> float:
    """Three model families, nested two deep; the best is the net with tanh at the right scale.

    ``linear``: 1.0.  ``tree``: a bowl in (depth, log lr), best 0.6.  ``net``: the log of Branin
    (over width and dropout scaled to [0, 1]) over its minimum, times 0.2, plus a layers term: best 0
    with relu; tanh subtracts 0.1 and adds its scale's bowl, so the minimum is -0.1.
    """
    model = c["model"]
    if model == "linear":
        return 1.0
    if model == "tree":
        return 0.6 + 0.05 * (c["depth"] - 6) ** 2 + 0.3 * _bowl(math.log10(c["lr"]), -1.0, 1.0)
    base = (0.2 * math.log(_branin(c["width"] * 15 - 5, c["dropout"] * 15) / _BRANIN_MIN)
            + 0.1 * abs(c["layers"] - 3))
    if c["activation"] == "tanh":
        return base - 0.1 + 0.3 * _bowl(c["scale"], 0.7, 0.5)
    return base


_BRANIN_MIN = 0.39788735772973816


MODEL = Problem(
    "nested",
    {
        "model": {"values": ["linear", "tree", "net"], "when": {
            "tree": {"depth": {"min": 2, "max": 12},
                     "lr": {"distribution": "log_uniform_values", "min": 1e-3, "max": 1.0}},
            "net": {"width": {"min": 0.0, "max": 1.0},
                    "dropout": {"min": 0.0, "max": 1.0},
                    "layers": {"min": 1, "max": 6},
                    "activation": {"values": ["relu", "tanh"], "when": {
                        "tanh": {"scale": {"min": 0.0, "max": 2.0}}}}},
        }},
    },
    _model_loss, -0.1, [50, 100])

PROBLEMS = {p.name: p for p in (OPTIMIZER, MODEL)}

ENGINES = ["minisweep", "flat", "random", "optuna_tpe", "optuna_tpe_group"]

_WHY: Dict[str, str] = {}


# ----------------------------------------------------------------------------------- engines


def _flatten(parameters: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    """The same space without ``when``: each branch parameter at the top under a name of its own."""
    out: Dict[str, Any] = {}
    for name, spec in parameters.items():
        spec = dict(spec)
        when = spec.pop("when", {})
        out[prefix + name] = spec
        for value, sub in when.items():
            out.update(_flatten(sub, "%s%s_%s_" % (prefix, name, value)))
    return out


def _active(parameters: Dict[str, Any], flat: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    """The conditional config a flat config stands for (the inactive values dropped)."""
    out: Dict[str, Any] = {}
    for name, spec in parameters.items():
        value = flat[prefix + name]
        out[name] = value
        sub = spec.get("when", {}).get(value)
        if sub is not None:
            out.update(_active(sub, flat, "%s%s_%s_" % (prefix, name, value)))
    return out


Engine = Callable[[Problem, int, int], List[float]]


def _minisweep(method: str, flat: bool = False) -> Engine:
    def run(problem: Problem, seed: int, trials: int) -> List[float]:
        cfg = problem.config(method)
        if flat:
            cfg["parameters"] = _flatten(problem.parameters)
        sweep = minisweep.parse_config(cfg)
        runs: List[minisweep.Run] = []
        out: List[float] = []
        for t in range(trials):
            config = minisweep.next_config(sweep, runs, seed=seed)
            loss = problem.objective(_active(problem.parameters, config) if flat else config)
            out.append(loss)
            runs.append(minisweep.Run("r%d" % t, "finished", config, history=[{"loss": loss}]))
        return out

    return run


def _optuna(group: bool) -> Optional[Engine]:
    name = "optuna_tpe_group" if group else "optuna_tpe"
    try:
        import optuna
    except ImportError as exc:
        _WHY[name] = "not installed (%s)" % exc.name
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def suggest(trial: Any, name: str, spec: Dict[str, Any]) -> Any:
        dist = spec.get("distribution")
        if "values" in spec:
            return trial.suggest_categorical(name, spec["values"])
        if isinstance(spec["min"], int) and isinstance(spec["max"], int) and dist is None:
            return trial.suggest_int(name, spec["min"], spec["max"])
        return trial.suggest_float(name, spec["min"], spec["max"], log=dist == "log_uniform_values")

    def walk(trial: Any, parameters: Dict[str, Any], prefix: str, out: Dict[str, Any]) -> None:
        for pname, spec in parameters.items():  # define-by-run: a branch is asked for inside it
            value = suggest(trial, prefix + pname, spec)
            out[pname] = value
            sub = spec.get("when", {}).get(value)
            if sub is not None:
                walk(trial, sub, "%s%s_%s_" % (prefix, pname, value), out)

    def run(problem: Problem, seed: int, trials: int) -> List[float]:
        def objective(trial: Any) -> float:
            config: Dict[str, Any] = {}
            walk(trial, problem.parameters, "", config)
            return problem.objective(config)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # multivariate/group are experimental: a warning each
            sampler = optuna.samplers.TPESampler(seed=seed, multivariate=group, group=group)
            study = optuna.create_study(sampler=sampler)
            study.optimize(objective, n_trials=trials)
        return [t.value for t in study.trials]

    return run


def _engine(name: str) -> Optional[Engine]:
    if name == "minisweep":
        return _minisweep("bayes")
    if name == "flat":
        return _minisweep("bayes", flat=True)
    if name == "random":
        return _minisweep("random")
    return _optuna(group=name == "optuna_tpe_group")


# ------------------------------------------------------------------------------------- table


def _fmt(v: Optional[float]) -> str:
    if v is None:
        return "-"
    return "%.3g" % v if abs(v) >= 1e-3 or v == 0 else "%.2e" % v


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--only", nargs="+", choices=ENGINES, default=ENGINES)
    parser.add_argument("--problems", nargs="+", choices=sorted(PROBLEMS), default=list(PROBLEMS))
    args = parser.parse_args(argv)

    engines: Dict[str, Engine] = {}
    for name in args.only:
        engine = _engine(name)
        if engine is None:
            print("%s: skipped, %s" % (name, _WHY.get(name, "unavailable")))
        else:
            engines[name] = engine
    regrets: Dict[tuple, List[float]] = {}
    seconds: Dict[str, float] = {name: 0.0 for name in engines}
    for pname in args.problems:
        problem = PROBLEMS[pname]
        top = max(problem.budgets)
        for name, engine in engines.items():
            start = time.perf_counter()
            for seed in range(args.seeds):
                losses = engine(problem, seed, top)
                for budget in problem.budgets:
                    regrets.setdefault((pname, budget, name), []).append(
                        max(0.0, min(losses[:budget]) - problem.minimum))
            seconds[name] += time.perf_counter() - start
            print("  %s / %s: %d seeds in %.0f s" % (pname, name, args.seeds, time.perf_counter() - start),
                  file=sys.stderr)

    cols = ["problem", "trials"] + list(engines) + ["x random", "x optuna_tpe"]
    print("median simple regret over %d seeds (lower is better)" % args.seeds)
    print("  ".join("%16s" % c for c in cols))
    for pname in args.problems:
        for budget in PROBLEMS[pname].budgets:
            med = {name: statistics.median(regrets[(pname, budget, name)]) for name in engines}

            def ratio(other: str) -> str:
                if "minisweep" not in med or other not in med:
                    return "-"
                if med[other] == 0:
                    return "-" if med["minisweep"] else "1"
                return "%.2f" % (med["minisweep"] / med[other])

            row = [pname, str(budget)] + [_fmt(med[name]) for name in engines] + [ratio("random"),
                                                                                 ratio("optuna_tpe")]
            print("  ".join("%16s" % c for c in row))
    print("seconds per engine: " + ", ".join("%s %.0f" % kv for kv in seconds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
