"""How good is minisweep's Bayesian search?  Simple regret, side by side with W&B and Optuna.

Every problem of ``problems.py`` is a W&B sweep config.  Each engine gets that
config and proposes runs one after another, seeing every earlier run as
finished with its ``loss`` (what an agent does):

* ``minisweep``: ``minisweep.next_config(config, runs, seed=s)`` with
  ``method: bayes``, the runs as ``minisweep.Run`` records;
* ``random``: the same call with ``method: random``;
* ``wandb``: W&B's own engine, ``sweeps.next_run(config, runs)``, on the same
  config, if the ``sweeps`` package can be imported;
* ``optuna_tpe`` and ``optuna_gp``: Optuna's ``TPESampler`` and ``GPSampler``
  (the latter needs ``torch``) on the same parameters, translated one by one.

A *row* is a problem and a budget of trials.  Each engine runs each seed once
to the largest budget of the problem; the regret at a smaller budget is read
off the same run (every engine here proposes the same first trials whatever
the budget).  The table shows the median simple regret over ``--seeds`` seeds
(best value found minus the known minimum) and the ratio of minisweep to
Optuna's GP.  Engines that cannot be imported are reported, not fatal; the
benchmark itself needs only the standard library.

``--out FILE`` appends every run (engine, problem, seed, the losses) as JSON
lines, and ``--table FILE ...`` prints the table of saved runs, so slow
engines can run apart (in the background, under ``nice``) and be compared
later; ``--minisweep-path DIR --label NAME`` runs another checkout's minisweep
under another name (``before``, for the code on main).

    python benchmarks/bayes_quality.py                              # every row, 20 seeds
    python benchmarks/bayes_quality.py --seeds 5 --rows hartmann6 --only minisweep
    python benchmarks/bayes_quality.py --only wandb optuna_gp --out /tmp/ext.jsonl
    python benchmarks/bayes_quality.py --table /tmp/ext.jsonl /tmp/ours.jsonl
"""

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from typing import Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from problems import PROBLEMS, Problem  # noqa: E402

#: The rows: problem -> budgets (the issue's table and its harder settings).
ROWS: Dict[str, List[int]] = {
    "branin": [50],
    "hartmann6": [50, 100, 200],
    "ackley5": [50, 100, 200],
    "rosenbrock4": [50],
    "mixed": [50],
    "levy10": [100],
    "hartmann6in20": [100],
    "hpo": [50, 100],
}

ENGINES = ["minisweep", "random", "wandb", "optuna_tpe", "optuna_gp"]

Engine = Callable[[Problem, int, int], List[float]]

_WHY: Dict[str, str] = {}


def _run_next_config(method: str) -> Engine:
    import minisweep

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


def _optuna_runner(kind: str) -> Optional[Engine]:
    try:
        import optuna
        if kind == "gp":
            import torch  # noqa: F401  (the GP sampler needs it)
    except Exception as exc:
        why = exc.name if isinstance(exc, ImportError) else type(exc).__name__
        _WHY["optuna_" + kind] = f"not installed ({why})"
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def suggest(trial: "optuna.Trial", name: str, spec: dict) -> object:
        dist = spec.get("distribution")
        if "values" in spec:
            return trial.suggest_categorical(name, spec["values"])
        if dist == "int_uniform" or (dist is None and isinstance(spec["min"], int) and isinstance(spec["max"], int)):
            return trial.suggest_int(name, spec["min"], spec["max"])
        if dist in ("q_log_uniform_values", "q_uniform"):  # Optuna has no log scale with a step: a plain step
            return trial.suggest_int(name, spec["min"], spec["max"], step=spec["q"])
        return trial.suggest_float(name, spec["min"], spec["max"], log=dist == "log_uniform_values")

    def run(problem: Problem, seed: int, trials: int) -> List[float]:
        def objective(trial: "optuna.Trial") -> float:
            return problem.objective({name: suggest(trial, name, spec) for name, spec in problem.parameters.items()})

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sampler = optuna.samplers.GPSampler(seed=seed) if kind == "gp" else optuna.samplers.TPESampler(seed=seed)
            study = optuna.create_study(sampler=sampler)
            study.optimize(objective, n_trials=trials)
        return [t.value for t in study.trials]

    return run


def _engine(name: str) -> Optional[Engine]:
    if name == "minisweep":
        return _run_next_config("bayes")
    if name == "random":
        return _run_next_config("random")
    if name == "wandb":
        return _wandb_runner()
    return _optuna_runner(name.split("_")[1])


def _fmt(v: Optional[float]) -> str:
    if v is None:
        return "-"
    return f"{v:.3g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"


def _regrets(records: List[dict], engine: str, problem: str, trials: int) -> List[float]:
    minimum = PROBLEMS[problem].minimum
    out = []
    for r in records:
        if r["engine"] == engine and r["problem"] == problem and len(r["losses"]) >= trials:
            out.append(max(0.0, min(r["losses"][:trials]) - minimum))
    return out


def table(records: List[dict], rows: Dict[str, List[int]], seeds: Optional[int] = None) -> str:
    """The table of median regrets of saved runs, one line per problem and budget.

    ``seeds`` keeps the first that many seeds of each engine (all by default).
    """
    if seeds is not None:
        records = [r for r in records if r["seed"] < seeds]
    engines = [e for e in ["minisweep", "before"] + ENGINES[1:] if any(r["engine"] == e for r in records)]
    engines += sorted({r["engine"] for r in records} - set(engines))
    cols = ["problem", "trials", "seeds"] + engines + ["x optuna_gp", "x before", "basin"]
    lines = ["  ".join(f"{c:>13}" for c in cols)]
    for problem, budgets in rows.items():
        for trials in budgets:
            med: Dict[str, Optional[float]] = {}
            n = 0
            basin = "-"
            for e in engines:
                reg = _regrets(records, e, problem, trials)
                med[e] = statistics.median(reg) if reg else None
                if e == "minisweep":
                    n = len(reg)
                    if problem.startswith("hartmann6") and reg:
                        # seeds still in the second basin (regret 0.119 = -3.2032 vs -3.3224)
                        basin = f"{sum(1 for v in reg if v > 0.1)}/{len(reg)}"
            if all(v is None for v in med.values()):
                continue

            def ratio(a: Optional[float], b: Optional[float]) -> str:
                return _fmt(a / b) if a is not None and b else "-"

            row = [problem, str(trials), str(n)] + [_fmt(med[e]) for e in engines]
            row += [ratio(med.get("minisweep"), med.get("optuna_gp")), ratio(med.get("minisweep"), med.get("before")),
                    basin]
            lines.append("  ".join(f"{c:>13}" for c in row))
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--rows", nargs="*", default=list(ROWS), help="problems to run (all their budgets)")
    ap.add_argument("--trials", type=int, default=None, help="one budget for every problem instead of its own")
    ap.add_argument("--only", nargs="*", default=None, help="engines to run: " + " ".join(ENGINES))
    ap.add_argument("--no-external", action="store_true", help="skip W&B and Optuna even if installed")
    ap.add_argument("--out", help="append every run to this JSON-lines file")
    ap.add_argument("--table", nargs="*", metavar="FILE", help="print the table of saved runs and exit")
    ap.add_argument("--minisweep-path", help="import minisweep from this directory instead of this checkout")
    ap.add_argument("--label", default=None, help="engine name for minisweep's runs (e.g. before)")
    args = ap.parse_args(argv)

    rows = {p: ([args.trials] if args.trials else ROWS.get(p, [50])) for p in args.rows}
    if args.table is not None:
        records = []
        for path in args.table:
            with open(path) as f:
                records.extend(json.loads(line) for line in f if line.strip())
        print(table(records, rows, args.seeds))
        return 0

    sys.path.insert(0, args.minisweep_path or os.path.dirname(HERE))
    names = args.only if args.only is not None else (["minisweep", "random"] if args.no_external else ENGINES)
    records: List[dict] = []
    out = open(args.out, "a") if args.out else None
    print(f"median simple regret over {args.seeds} seeds (lower is better); every engine gets the same W&B sweep config")
    try:
        for name in names:
            run = _engine(name)
            if run is None:
                print(f"{name}: {_WHY.get(name, 'unavailable')}")
                continue
            label = args.label if (args.label and name == "minisweep") else name
            for problem in rows:
                t0 = time.perf_counter()
                trials = max(rows[problem])
                for seed in range(args.first_seed, args.first_seed + args.seeds):
                    losses = run(PROBLEMS[problem], seed, trials)
                    rec = {"engine": label, "problem": problem, "seed": seed, "losses": losses}
                    records.append(rec)
                    if out is not None:
                        out.write(json.dumps(rec) + "\n")
                        out.flush()
                secs = (time.perf_counter() - t0) / (args.seeds * trials)
                print(f"{label} {problem}: {secs:.3f} s/trial", file=sys.stderr, flush=True)
    finally:
        if out is not None:
            out.close()
    print(table(records, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
