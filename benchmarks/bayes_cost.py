"""How long does one Bayesian suggestion take?  Seconds at 10, 100, 1000 runs.

Times ``minisweep.bayes.suggest`` with 5 real parameters and 10, 100 and
1000 finished observations of a smooth function, next to two baselines
measured in the same process: drawing a random point (the floor) and, if
W&B's ``sweeps`` package is importable, W&B's own engine on the same runs
(the bar to stay under).  Times are medians over ``--reps`` calls.

    python benchmarks/bayes_cost.py [--reps 5]
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
from typing import Callable, List, Optional

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from minisweep.bayes import Dim, suggest  # noqa: E402

D = 5
# Seconds per suggestion W&B's engine takes with 5 parameters (the targets).
TARGETS = {100: 0.051, 1000: 0.065}


def _objective(x: List[float]) -> float:
    return sum((u - 0.3) ** 2 for u in x) + 0.1 * math.sin(7.0 * x[0])


def _history(n: int, seed: int = 0):
    rng = random.Random(seed)
    X = [[rng.random() for _ in range(D)] for _ in range(n)]
    return X, [_objective(x) for x in X]


def _median_time(fn: Callable[[int], object], reps: int) -> float:
    times = []
    for r in range(reps):
        t0 = time.perf_counter()
        fn(r)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _wandb_timer() -> Optional[Callable[[List[List[float]], List[float], int], float]]:
    try:
        import numpy as np
        import sweeps
        from sweeps import RunState, SweepRun
    except Exception:
        return None
    cfg = {"method": "bayes", "metric": {"name": "loss", "goal": "minimize"},
           "parameters": {f"x{i}": {"min": 0.0, "max": 1.0} for i in range(D)}}

    def timer(X: List[List[float]], y: List[float], reps: int) -> float:
        runs = [SweepRun(name=str(k), state=RunState.finished, config={f"x{i}": {"value": u} for i, u in enumerate(x)},
                         summary_metrics={"loss": v}, history=[{"loss": v}]) for k, (x, v) in enumerate(zip(X, y))]
        np.random.seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sweeps.next_run(cfg, runs, validate=False)  # warm up imports and caches
            return _median_time(lambda r: sweeps.next_run(cfg, runs, validate=False), reps)

    return timer


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="*", default=[10, 100, 1000])
    args = ap.parse_args(argv)
    dims = [Dim("real")] * D
    wandb = _wandb_timer()
    suggest(dims, *_history(10), random.Random(0))  # warm up
    print(f"seconds per suggestion, {D} real parameters (median of {args.reps})")
    cols = ["runs", "minisweep", "random", "x random", "wandb", "x wandb", "target", "ok"]
    print("  ".join(f"{c:>10}" for c in cols))
    for n in args.sizes:
        X, y = _history(n)
        ours = _median_time(lambda r: suggest(dims, X, y, random.Random(r)), args.reps)
        rnd = _median_time(lambda r: [dim.snap(u) for dim, u in zip(dims, (random.Random(r).random() for _ in dims))],
                           max(args.reps, 100))
        wb = wandb(X, y, args.reps) if wandb else None
        target = TARGETS.get(n)
        row = [str(n), f"{ours:.4f}", f"{rnd:.2e}", f"{ours / rnd:.0f}",
               f"{wb:.4f}" if wb else "n/a", f"{ours / wb:.2f}" if wb else "-",
               f"{target:.3f}" if target else "-", ("yes" if ours <= target else "NO") if target else "-"]
        print("  ".join(f"{c:>10}" for c in row), flush=True)
    if wandb is None:
        print("wandb: not installed (pip install sweeps to compare)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
