"""How long does one Bayesian suggestion take?  Seconds at 10, 100, 1000 runs.

Times ``minisweep.next_config`` on a ``method: bayes`` sweep with 10, 100
and 1000 finished runs, as the agent calls it: with the sweep already parsed
into a ``SweepConfig``.  Four sweeps: five uniform parameters (``box5``, a
smooth objective), the benchmark's ``mixed`` problem (log-uniform, integer,
categorical, uniform and q-log-uniform), twenty uniform parameters
(``box20``) and two uniform parameters with a categorical of 5,000 values
(``cat5000``).  The bounds (issue 16): at most 2x W&B's engine on ``box5``
and ``mixed`` at 100 and 1000 runs, at most 0.25 s on ``box20`` at 1000 runs,
at most 0.1 s on ``cat5000``.  Measured in the same process:

* ``dict``: the same call given the config as a plain dict (it parses the
  config on every call);
* ``random``: ``next_config`` of the same sweep with ``method: random`` (the floor);
* ``wandb``: W&B's own engine, ``sweeps.next_run``, on the same config and
  runs, if the ``sweeps`` package can be imported (the bar to stay under).

Times are medians over ``--reps`` calls, each with a different seed, the
engines taking turns call by call; ``x wandb`` is the median of the calls'
ratios, each of two calls made side by side (a relative bound is judged on
it).  By
default they are *CPU* seconds of this process (``time.process_time``), with
numerical libraries held to one thread: on a machine shared with other work
wall-clock times measure the neighbours, while CPU time is close to what an
idle machine's wall clock would show.  ``--clock wall`` measures wall time.

    python benchmarks/bayes_cost.py [--reps 5]
"""

import argparse
import math
import os
import random
import statistics
import sys
import time
import warnings
from typing import Callable, Dict, List, Optional

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # W&B's engine: one thread
    os.environ.setdefault(_var, "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import minisweep  # noqa: E402
from problems import MIXED_PARAMETERS, mixed_objective  # noqa: E402

# Seconds per suggestion of W&B's engine with 5 parameters, measured once (the bar when it is not installed).
WANDB_SECONDS = {100: 0.051, 1000: 0.065}
# The bounds: a multiple of W&B's engine (measured in this run, else WANDB_SECONDS), or seconds.
RELATIVE_BOUND = 2.0
ABSOLUTE_BOUNDS = {("box20", 1000): 0.25, ("cat5000", 10): 0.1, ("cat5000", 100): 0.1, ("cat5000", 1000): 0.1}

BOX5 = {f"x{i + 1}": {"min": 0.0, "max": 1.0} for i in range(5)}
BOX20 = {f"x{i + 1}": {"min": 0.0, "max": 1.0} for i in range(20)}
CAT5000 = {"x1": {"min": 0.0, "max": 1.0}, "x2": {"min": 0.0, "max": 1.0}, "c": {"values": list(range(5000))}}


def _box5_objective(cfg: dict) -> float:
    x = [cfg[f"x{i + 1}"] for i in range(5)]
    return sum((u - 0.3) ** 2 for u in x) + 0.1 * math.sin(7.0 * x[0])


def _box20_objective(cfg: dict) -> float:
    x = [cfg[f"x{i + 1}"] for i in range(20)]
    return sum((u - 0.3) ** 2 for u in x[:6]) + 0.1 * math.sin(7.0 * x[0])


def _cat5000_objective(cfg: dict) -> float:
    return (cfg["x1"] - 0.3) ** 2 + (cfg["x2"] - 0.6) ** 2 + 0.01 * (cfg["c"] % 97)


SWEEPS = {"box5": (BOX5, _box5_objective), "mixed": (MIXED_PARAMETERS, mixed_objective),
          "box20": (BOX20, _box20_objective), "cat5000": (CAT5000, _cat5000_objective)}


def _config(parameters: dict, method: str) -> dict:
    return {"method": method, "metric": {"name": "loss", "goal": "minimize"}, "parameters": parameters}


def _runs(parameters: dict, objective: Callable[[dict], float], n: int) -> List[minisweep.Run]:
    """``n`` finished runs at random configs of the sweep."""
    random_sweep = minisweep.parse_config(_config(parameters, "random"))
    out = []
    for k in range(n):
        config = minisweep.next_config(random_sweep, [], seed=1000 + k)
        out.append(minisweep.Run(f"r{k}", "finished", config, history=[{"loss": objective(config)}]))
    return out


_CLOCK = time.process_time


def _median_time(fn: Callable[[int], object], reps: int) -> float:
    return statistics.median(_interleaved({"fn": fn}, reps)["fn"])


def _interleaved(fns: Dict[str, Callable[[int], object]], reps: int) -> Dict[str, List[float]]:
    """Times of ``reps`` calls of each function, the functions taking turns (rep ``r`` starts at the ``r``-th).

    Taking turns, a slow spell of the machine slows every engine alike, so
    the ratio of rep ``r``'s times keeps its meaning when the times do not.
    """
    names = list(fns)
    times: Dict[str, List[float]] = {k: [] for k in names}
    for r in range(reps):
        k0 = r % len(names)
        for k in names[k0:] + names[:k0]:
            t0 = _CLOCK()
            fns[k](r)
            times[k].append(_CLOCK() - t0)
    return times


def _wandb_caller() -> Optional[Callable[[dict, List[minisweep.Run]], Callable[[int], object]]]:
    """``make(cfg, runs)`` -> a call of W&B's engine on them, or ``None`` without the ``sweeps`` package."""
    try:
        import numpy as np
        import sweeps
        from sweeps import RunState, SweepRun
    except Exception:
        return None

    def make(cfg: dict, runs: List[minisweep.Run]) -> Callable[[int], object]:
        wruns = [SweepRun(name=r.id, state=RunState.finished, config={k: {"value": v} for k, v in r.config.items()},
                          summary_metrics=dict(r.summary), history=list(r.history)) for r in runs]
        np.random.seed(0)
        sweeps.next_run(cfg, wruns)  # warm up imports and caches
        return lambda r: sweeps.next_run(cfg, wruns)

    return make


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="*", default=[10, 100, 1000])
    ap.add_argument("--sweeps", nargs="*", default=list(SWEEPS))
    ap.add_argument("--no-external", action="store_true", help="skip W&B even if installed")
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu", help="CPU time of this process, or wall time")
    args = ap.parse_args(argv)
    global _CLOCK
    _CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    wandb = None if args.no_external else _wandb_caller()
    warnings.simplefilter("ignore")  # W&B's engine warns on every call
    print(f"{args.clock} seconds per suggestion of next_config, parsed SweepConfig (median of {args.reps})")
    cols = ["sweep", "runs", "minisweep", "dict", "random", "x random", "wandb", "x wandb", "bound", "ok"]
    print("  ".join(f"{c:>9}" for c in cols))
    for sweep_name in args.sweeps:
        parameters, objective = SWEEPS[sweep_name]
        cfg = _config(parameters, "bayes")
        parsed = minisweep.parse_config(cfg)
        parsed_random = minisweep.parse_config(_config(parameters, "random"))
        minisweep.next_config(parsed, _runs(parameters, objective, 10), seed=0)  # warm up imports
        for n in args.sizes:
            runs = _runs(parameters, objective, n)
            fns: Dict[str, Callable[[int], object]] = {
                "ours": lambda r: minisweep.next_config(parsed, runs, seed=r),
                "dict": lambda r: minisweep.next_config(cfg, runs, seed=r)}
            if wandb:
                fns["wandb"] = wandb(cfg, runs)
            times = _interleaved(fns, args.reps)
            ours, as_dict = statistics.median(times["ours"]), statistics.median(times["dict"])
            rnd = _median_time(lambda r: minisweep.next_config(parsed_random, runs, seed=r), max(args.reps, 100))
            wb = statistics.median(times["wandb"]) if wandb else None
            # Against W&B: the median of the reps' ratios, each of two calls made side by side.
            x_wb = statistics.median(a / b for a, b in zip(times["ours"], times["wandb"])) if wandb else None
            target = ABSOLUTE_BOUNDS.get((sweep_name, n))
            ok = None if target is None else ours <= target
            if target is None and sweep_name in ("box5", "mixed") and n in WANDB_SECONDS:
                target = RELATIVE_BOUND * (wb or WANDB_SECONDS[n])
                ok = x_wb <= RELATIVE_BOUND if x_wb is not None else ours <= target
            row = [sweep_name, str(n), f"{ours:.4f}", f"{as_dict:.4f}", f"{rnd:.1e}", f"{ours / rnd:.0f}",
                   f"{wb:.4f}" if wb else "n/a", f"{x_wb:.2f}" if x_wb is not None else "-",
                   f"{target:.3f}" if target else "-", "-" if ok is None else "yes" if ok else "NO"]
            print("  ".join(f"{c:>9}" for c in row), flush=True)
    if wandb is None:
        print("wandb: not installed (pip install sweeps to compare)" if not args.no_external else "wandb: skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
