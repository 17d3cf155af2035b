"""The report with learning curves at 5,000 runs: page weight and render time, against the report without them.

    python3 benchmarks/report_curves.py [--runs 5000] [--steps 81] [--repeat 3] [--chromium PATH] [--keep DIR]

Builds a synthetic sweep in memory (four parameters; each run's loss falls from about 3 towards a
floor set by its parameters over up to ``--steps`` iterations, with noise; hyperband with
``min_iter: 3, eta: 3`` stops runs that are behind at iterations 3, 9 and 27, as the agent would
have, judged against the runs before them), then times :func:`minisweep.report.render_report`
with and without ``learning_curves`` (the baseline: the page as it was before issue 15), and
prints both pages' sizes and the ratios.  With Chromium on PATH (or ``--chromium``), it also
times a headless Chromium loading each page and taking a screenshot, which is what a reader
waits for, and the same for an empty page (Chromium's own start, subtracted in the last line).
Measurements are interleaved and the best of ``--repeat`` is kept, so a busy machine slows both
sides alike.  ``--keep DIR`` leaves the pages and screenshots there to look at.
"""

import argparse
import bisect
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

CONFIG = {
    "method": "random",
    "metric": {"name": "val_loss", "goal": "minimize"},
    "early_terminate": {"type": "hyperband", "min_iter": 3, "eta": 3},
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
        "layers": {"distribution": "int_uniform", "min": 1, "max": 8},
        "optimizer": {"values": ["adam", "sgd", "rmsprop"]},
        "dropout": {"min": 0.0, "max": 0.5},
    },
}


def synthetic_runs(n, steps=81, seed=0):
    """``n`` finished or hyperband-stopped runs with learning curves, as an agent would have left them."""
    from minisweep.hyperband import bands
    from minisweep.runs import Run
    from minisweep.sweepconfig import parse_config

    rng = random.Random(seed)
    hb = parse_config(CONFIG).early_terminate
    checkpoints = [b for b in bands(hb) if b < steps]
    seen = {b: [] for b in checkpoints}  # per band: the sorted values of earlier runs
    runs = []
    for i in range(n):
        cfg = {"lr": 10 ** rng.uniform(-5, -1), "layers": rng.randint(1, 8),
               "optimizer": rng.choice(["adam", "sgd", "rmsprop"]), "dropout": rng.uniform(0, 0.5)}
        floor = (0.05 + 0.08 * (math.log10(cfg["lr"]) + 3) ** 2 + 0.04 * abs(cfg["layers"] - 4)
                 + {"adam": 0.0, "sgd": 0.12, "rmsprop": 0.05}[cfg["optimizer"]] + 0.3 * (cfg["dropout"] - 0.2) ** 2)
        tau = rng.uniform(4, 20)
        history, state, reason = [], "finished", None
        for t in range(1, steps + 1):
            value = floor + 3.0 * math.exp(-t / tau) + abs(rng.gauss(0, 0.02 + 0.1 * math.exp(-t / tau)))
            history.append({"val_loss": value, "epoch": t})
            if t in seen:
                earlier = seen[t]
                threshold = earlier[int(len(earlier) / hb.eta)] if earlier else value
                bisect.insort(earlier, value)
                if value > threshold:
                    state = "stopped"
                    reason = ("hyperband: val_loss %g at band %d is worse than the threshold %g "
                              "(%d runs reached band %d, eta 3)" % (value, t, threshold, len(earlier), t))
                    break
        runs.append(Run("r%05d" % i, state, cfg, history=history, index=i,
                        info={"wall_time": 2.0 + len(history) * 0.1, "error": reason} if reason
                        else {"wall_time": 2.0 + len(history) * 0.1}))
    return runs


class Result:
    """What render_report reads from a SweepResult, built in memory."""

    def __init__(self, runs):
        from minisweep.sweepconfig import parse_config

        self.id, self.project, self.entity, self.state = "bench5k", "bench", None, "finished"
        self.config = parse_config(CONFIG, warn=False)
        self.runs = runs


def render_times(result, repeat):
    """Best-of-``repeat`` render times without and with the curves, interleaved (a busy machine
    slows both alike), and the two pages."""
    from minisweep.report import render_report

    times = {False: [], True: []}
    pages = {}
    for _ in range(repeat):
        for curves in (False, True):
            start = time.perf_counter()
            pages[curves] = render_report(result, learning_curves=curves)
            times[curves].append(time.perf_counter() - start)
    return min(times[False]), min(times[True]), pages[False], pages[True]


def chromium_times(chromium, paths, out, repeat):
    """Best-of-``repeat`` seconds for headless Chromium to load each page and take its screenshot, interleaved."""
    times = {name: [] for name in paths}
    for _ in range(repeat):
        for name, path in paths.items():
            profile = tempfile.mkdtemp(prefix="minisweep-chromium-")
            argv = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--user-data-dir=" + profile, "--screenshot=" + os.path.join(out, name + ".png"),
                    "--window-size=1400,2400", "file://" + os.path.abspath(path)]
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=300)
            times[name].append(time.perf_counter() - start)
            shutil.rmtree(profile, ignore_errors=True)
    return {name: min(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--steps", type=int, default=81)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    parser.add_argument("--keep", help="a directory to leave the pages and screenshots in")
    args = parser.parse_args()
    runs = synthetic_runs(args.runs, args.steps)
    result = Result(runs)
    rows = sum(len(r.history) for r in runs)
    print("%d runs, %d logged rows, %d stopped by hyperband" % (len(runs), rows,
                                                                 sum(r.state == "stopped" for r in runs)))
    out = args.keep or tempfile.mkdtemp(prefix="minisweep-report-bench-")
    os.makedirs(out, exist_ok=True)
    try:
        base_t, new_t, base_page, new_page = render_times(result, args.repeat)
        paths = {"empty": os.path.join(out, "empty.html")}
        with open(paths["empty"], "w", encoding="utf-8") as fh:
            fh.write("<!DOCTYPE html><title>empty</title>")
        for name, page in (("baseline", base_page), ("curves", new_page)):
            paths[name] = os.path.join(out, "report-%s.html" % name)
            with open(paths[name], "w", encoding="utf-8") as fh:
                fh.write(page)
        b0, b1 = len(base_page.encode("utf-8")), len(new_page.encode("utf-8"))
        print("render_report (best of %d):  without curves %.2f s   with curves %.2f s   ratio %.2f"
              % (args.repeat, base_t, new_t, new_t / base_t))
        print("page weight:                 without curves %s bytes   with curves %s bytes   ratio %.2f"
              % ("{:,}".format(b0), "{:,}".format(b1), b1 / b0))
        if args.chromium:
            c = chromium_times(args.chromium, paths, out, args.repeat)
            print("chromium load + screenshot:  without curves %.2f s   with curves %.2f s   ratio %.2f"
                  % (c["baseline"], c["curves"], c["curves"] / c["baseline"]))
            print("  less Chromium's own start (an empty page, %.2f s):  %.2f s and %.2f s   ratio %.2f"
                  % (c["empty"], c["baseline"] - c["empty"], c["curves"] - c["empty"],
                     (c["curves"] - c["empty"]) / max(c["baseline"] - c["empty"], 1e-9)))
        else:
            print("(no chromium found: page load not measured)")
        if args.keep:
            print("pages and screenshots in %s" % out)
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
