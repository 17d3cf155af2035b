"""How good is minisweep's Bayesian search?  Simple regret on five problems.

Runs minisweep's ``bayes.suggest`` and uniform random search on every problem
of ``problems.py`` for ``--trials`` trials and ``--seeds`` seeds, and prints
the median simple regret (best value found minus the known minimum), the
ratio bayes / random, and the target to beat: W&B's own engine measured on
the same protocol.  If W&B's ``sweeps`` package or Optuna's GP sampler
(``optuna`` + ``torch``) can be imported, they run side by side in the same
process; otherwise their columns say why not.  Needs only the standard
library itself.

    python benchmarks/bayes_quality.py                      # 20 seeds, 50 trials
    python benchmarks/bayes_quality.py --seeds 5 --problems branin mixed
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
import warnings
from typing import Callable, Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from minisweep.bayes import suggest  # noqa: E402
from problems import PROBLEMS, Problem  # noqa: E402

# Median simple regret of W&B's engine after 50 trials over 20 seeds.
TARGETS = {"branin": 0.0065, "hartmann6": 0.34, "rosenbrock4": 6.0, "ackley5": 3.0, "mixed": 0.092}


def run_minisweep(problem: Problem, seed: int, trials: int) -> List[float]:
    X: List[List[float]] = []
    y: List[float] = []
    for t in range(trials):
        rng = random.Random(seed * 1_000_003 + t)
        u = suggest(problem.dims, X, y, rng)
        X.append(u)
        y.append(problem.objective(u))
    return y


def run_random(problem: Problem, seed: int, trials: int) -> List[float]:
    rng = random.Random(seed)
    out = []
    for _ in range(trials):
        u = [dim.snap(rng.random()) for dim in problem.dims]
        out.append(problem.objective(u))
    return out


def _wandb_runner() -> Optional[Callable[[Problem, int, int], List[float]]]:
    try:
        import numpy as np
        import sweeps
        from sweeps import RunState, SweepRun
    except Exception as exc:  # ImportError, or a broken install
        _WHY["wandb"] = f"not installed ({type(exc).__name__})"
        return None

    def run(problem: Problem, seed: int, trials: int) -> List[float]:
        np.random.seed(seed)
        cfg = problem.sweep_config()
        runs: List[SweepRun] = []
        out: List[float] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for t in range(trials):
                suggestion = sweeps.next_run(cfg, runs, validate=False)
                values = {k: v["value"] for k, v in suggestion.config.items()}
                loss = problem.objective_config(values)
                out.append(loss)
                runs.append(SweepRun(name=f"r{t}", state=RunState.finished, config=suggestion.config,
                                     summary_metrics={"loss": loss}, history=[{"loss": loss}]))
        return out

    return run


def _optuna_runner() -> Optional[Callable[[Problem, int, int], List[float]]]:
    try:
        import optuna
        import torch  # noqa: F401  (the GP sampler needs it)
    except Exception as exc:
        _WHY["optuna_gp"] = f"not installed ({exc.name if isinstance(exc, ImportError) else type(exc).__name__})"
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def run(problem: Problem, seed: int, trials: int) -> List[float]:
        def objective(trial: "optuna.Trial") -> float:
            cfg = {}
            for name, spec in problem.parameters.items():
                if "values" in spec:
                    cfg[name] = trial.suggest_categorical(name, spec["values"])
                elif spec.get("distribution") == "int_uniform":
                    cfg[name] = trial.suggest_int(name, spec["min"], spec["max"])
                elif spec.get("distribution") == "q_log_uniform_values":
                    cfg[name] = trial.suggest_int(name, spec["min"], spec["max"], step=spec["q"])
                else:
                    cfg[name] = trial.suggest_float(name, spec["min"], spec["max"],
                                                    log=spec.get("distribution") == "log_uniform_values")
            return problem.objective_config(cfg)

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
    return f"{v:.3g}" if v >= 1e-3 or v == 0 else f"{v:.2e}"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--problems", nargs="*", default=list(PROBLEMS))
    ap.add_argument("--no-external", action="store_true", help="skip W&B and Optuna even if installed")
    ap.add_argument("--only", nargs="*", default=None, help="run only these engines (minisweep random wandb optuna_gp)")
    args = ap.parse_args(argv)

    engines: Dict[str, Optional[Callable[[Problem, int, int], List[float]]]] = {
        "minisweep": run_minisweep,
        "random": run_random,
        "wandb": None if args.no_external else _wandb_runner(),
        "optuna_gp": None if args.no_external else _optuna_runner(),
    }
    if args.no_external:
        _WHY["wandb"] = _WHY["optuna_gp"] = "skipped"
    for engine in list(engines):
        if args.only is not None and engine not in args.only:
            engines[engine] = None
            _WHY.setdefault(engine, "skipped")

    print(f"median simple regret after {args.trials} trials over {args.seeds} seeds (lower is better)")
    cols = ["problem", "minisweep", "random", "ratio", "target", "beats", "wandb", "optuna_gp", "sec/run"]
    print("  ".join(f"{c:>11}" for c in cols))
    failures = 0
    for name in args.problems:
        problem = PROBLEMS[name]
        med: Dict[str, Optional[float]] = {}
        secs = 0.0
        for engine, run in engines.items():
            if run is None:
                med[engine] = None
                continue
            regrets = []
            t0 = time.perf_counter()
            for seed in range(args.seeds):
                ys = run(problem, seed, args.trials)
                regrets.append(min(ys[: args.trials]) - problem.minimum)
            if engine == "minisweep":
                secs = (time.perf_counter() - t0) / args.seeds
            med[engine] = statistics.median(regrets)
        ours, rnd, target = med["minisweep"], med["random"], TARGETS.get(name)
        ratio = ours / rnd if ours is not None and rnd else None
        beats = "yes" if target is not None and ours is not None and ours < target else "NO"
        failures += beats == "NO"
        row = [name, _fmt(ours), _fmt(rnd), _fmt(ratio), _fmt(target), beats,
               _fmt(med["wandb"]) if med["wandb"] is not None else _WHY.get("wandb", "-")[:11],
               _fmt(med["optuna_gp"]) if med["optuna_gp"] is not None else _WHY.get("optuna_gp", "-")[:11],
               f"{secs:.2f}"]
        print("  ".join(f"{c:>11}" for c in row), flush=True)
    for engine in ("wandb", "optuna_gp"):
        if engine in _WHY:
            print(f"{engine}: {_WHY[engine]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
