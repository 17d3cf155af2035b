"""How good is minisweep's Bayesian search?  Simple regret on five problems.

Every problem of ``problems.py`` is a W&B sweep config.  Each engine gets that
config and proposes ``--trials`` runs one after another, seeing every earlier
run as finished with its ``loss`` (what an agent does):

* ``minisweep``: ``minisweep.next_config(config, runs, seed=s)`` with
  ``method: bayes``, the runs as ``minisweep.Run`` records;
* ``random``: the same call with ``method: random``;
* ``wandb``: W&B's own engine, ``sweeps.next_run(config, runs)``, on the same
  config, if the ``sweeps`` package can be imported;
* ``optuna_gp``: Optuna's ``GPSampler`` (needs ``optuna`` and ``torch``) on
  the same parameters, translated one by one.

It prints the median simple regret over ``--seeds`` seeds (best value found
minus the known minimum), the ratios ours / random and ours / W&B measured in
this run, and the issue's target (W&B's engine measured once on the same
protocol).  Engines that cannot be imported are reported, not fatal; the
benchmark itself needs only the standard library.

    python benchmarks/bayes_quality.py                      # 20 seeds, 50 trials
    python benchmarks/bayes_quality.py --seeds 5 --problems branin mixed --only minisweep random
"""

import argparse
import os
import statistics
import sys
import time
import warnings
from typing import Callable, Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import minisweep  # noqa: E402
from problems import PROBLEMS, Problem  # noqa: E402

# Median simple regret of W&B's engine after 50 trials over 20 seeds (the targets).
TARGETS = {"branin": 0.0065, "hartmann6": 0.34, "rosenbrock4": 6.0, "ackley5": 3.0, "mixed": 0.092}

Engine = Callable[[Problem, int, int], List[float]]


def _run_next_config(method: str) -> Engine:
    def run(problem: Problem, seed: int, trials: int) -> List[float]:
        sweep = minisweep.parse_config(problem.sweep_config(method))  # parsed once, as the agent does
        runs: List[minisweep.Run] = []
        out: List[float] = []
        for t in range(trials):
            config = minisweep.next_config(sweep, runs, seed=seed)
            loss = problem.objective(config)
            out.append(loss)
            runs.append(minisweep.Run(f"r{t}", "finished", config, history=[{"loss": loss}]))
        return out

    return run


def _wandb_runner() -> Optional[Engine]:
    try:
        import numpy as np
        import sweeps
        from sweeps import RunState, SweepRun
    except Exception as exc:  # ImportError, or a broken install
        _WHY["wandb"] = f"not installed ({type(exc).__name__})"
        return None

    def run(problem: Problem, seed: int, trials: int) -> List[float]:
        np.random.seed(seed)
        cfg = problem.sweep_config("bayes")
        runs: List[SweepRun] = []
        out: List[float] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for t in range(trials):
                suggestion = sweeps.next_run(cfg, runs)
                values = {k: v["value"] for k, v in suggestion.config.items()}
                loss = problem.objective(values)
                out.append(loss)
                runs.append(SweepRun(name=f"r{t}", state=RunState.finished, config=suggestion.config,
                                     summary_metrics={"loss": loss}, history=[{"loss": loss}]))
        return out

    return run


def _optuna_runner() -> Optional[Engine]:
    try:
        import optuna
        import torch  # noqa: F401  (the GP sampler needs it)
    except Exception as exc:
        _WHY["optuna_gp"] = f"not installed ({exc.name if isinstance(exc, ImportError) else type(exc).__name__})"
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def suggest(trial: "optuna.Trial", name: str, spec: dict) -> object:
        dist = spec.get("distribution")
        if "values" in spec:
            return trial.suggest_categorical(name, spec["values"])
        if dist == "int_uniform" or (dist is None and isinstance(spec["min"], int) and isinstance(spec["max"], int)):
            return trial.suggest_int(name, spec["min"], spec["max"])
        if dist == "q_log_uniform_values":  # Optuna has no log scale with a step: the closest is a plain step
            return trial.suggest_int(name, spec["min"], spec["max"], step=spec["q"])
        return trial.suggest_float(name, spec["min"], spec["max"], log=dist == "log_uniform_values")

    def run(problem: Problem, seed: int, trials: int) -> List[float]:
        def objective(trial: "optuna.Trial") -> float:
            return problem.objective({name: suggest(trial, name, spec) for name, spec in problem.parameters.items()})

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
            study.optimize(objective, n_trials=trials)
        return [t.value for t in study.trials]

    return run


_WHY: Dict[str, str] = {}


def _fmt(v: Optional[float]) -> str:
    if v is None:
        return "-"
    return f"{v:.3g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--problems", nargs="*", default=list(PROBLEMS))
    ap.add_argument("--no-external", action="store_true", help="skip W&B and Optuna even if installed")
    ap.add_argument("--only", nargs="*", default=None, help="run only these engines (minisweep random wandb optuna_gp)")
    args = ap.parse_args(argv)

    engines: Dict[str, Optional[Engine]] = {
        "minisweep": _run_next_config("bayes"),
        "random": _run_next_config("random"),
        "wandb": None if args.no_external else _wandb_runner(),
        "optuna_gp": None if args.no_external else _optuna_runner(),
    }
    if args.no_external:
        _WHY["wandb"] = _WHY["optuna_gp"] = "skipped"
    for engine in list(engines):
        if args.only is not None and engine not in args.only:
            engines[engine] = None
            _WHY.setdefault(engine, "skipped")

    print(f"median simple regret after {args.trials} trials over {args.seeds} seeds (lower is better);"
          f" every engine gets the same W&B sweep config")
    cols = ["problem", "minisweep", "random", "wandb", "optuna_gp", "x random", "x wandb", "target", "beats",
            "s/trial", "wandb s/t"]
    print("  ".join(f"{c:>10}" for c in cols))
    for name in args.problems:
        problem = PROBLEMS[name]
        med: Dict[str, Optional[float]] = {}
        secs: Dict[str, float] = {}
        for engine, run in engines.items():
            if run is None:
                med[engine] = None
                continue
            regrets = []
            t0 = time.perf_counter()
            for seed in range(args.seeds):
                ys = run(problem, seed, args.trials)
                regrets.append(min(ys[: args.trials]) - problem.minimum)
            secs[engine] = (time.perf_counter() - t0) / (args.seeds * args.trials)
            med[engine] = statistics.median(regrets)
        ours, rnd, wb, target = med["minisweep"], med["random"], med["wandb"], TARGETS.get(name)

        def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
            return a / b if a is not None and b else None

        beats = "-" if ours is None or target is None else "yes" if ours < target else "NO"
        row = [name, _fmt(ours), _fmt(rnd),
               _fmt(wb) if wb is not None else _WHY.get("wandb", "-")[:10],
               _fmt(med["optuna_gp"]) if med["optuna_gp"] is not None else _WHY.get("optuna_gp", "-")[:10],
               _fmt(ratio(ours, rnd)), _fmt(ratio(ours, wb)), _fmt(target), beats,
               f"{secs['minisweep']:.3f}" if "minisweep" in secs else "-",
               f"{secs['wandb']:.3f}" if "wandb" in secs else "-"]
        print("  ".join(f"{c:>10}" for c in row), flush=True)
    for engine in ("wandb", "optuna_gp"):
        if engine in _WHY:
            print(f"{engine}: {_WHY[engine]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
