"""A 10,000-run sweep: is the agent's cost per run flat, and does ``minisweep status`` stay under a second?

    python3 benchmarks/scale.py [--runs 10000]

One agent runs a trivial function for every run of a random sweep (durable store). The function
stamps the time of each call, so the run rate of the first and the last thousand runs can be
compared: their ratio should be about 1 (an agent does not re-read the sweep for each run).
Then ``python3 -m minisweep status`` and ``minisweep.load()`` are timed on the full sweep, each
against starting the interpreter (``python3 -c pass``) measured in the same run.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def timed(argv, env):
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    import minisweep

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10000)
    parser.add_argument("--block", type=int, default=1000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="minisweep-scale-")
    try:
        store = os.path.join(tmp, "store")
        sid = minisweep.sweep({"method": "random", "run_cap": args.runs, "metric": {"name": "loss"},
                               "parameters": {"x": {"min": 0.0, "max": 1.0}, "y": {"values": [1, 2, 3]},
                                              "z": {"min": 1, "max": 9}}}, project="p", dir=store)
        stamps = []

        def work(config):
            stamps.append(time.perf_counter())
            return {"loss": config.x * config.y, "acc": config.z}

        start = time.perf_counter()
        minisweep.agent(sid, function=work, dir=store, quiet=True)
        total = time.perf_counter() - start
        b = args.block
        first = (b - 1) / (stamps[b - 1] - stamps[0])
        last = (b - 1) / (stamps[-1] - stamps[-b])
        print("%d runs in %.1f s (%.0f runs/s)" % (len(stamps), total, len(stamps) / total))
        print("runs/s, first %d: %.0f   last %d: %.0f   last/first: %.2f" % (b, first, b, last, last / first))
        env = dict(os.environ, PYTHONPATH=ROOT)
        base = statistics.median(timed([sys.executable, "-c", "pass"], env) for _ in range(5))
        status = statistics.median(timed([sys.executable, "-m", "minisweep", "status", sid, "--dir", store], env)
                                   for _ in range(5))
        load = statistics.median(timed([sys.executable, "-c", "import minisweep; minisweep.load(%r, dir=%r)"
                                        % (sid, store)], env) for _ in range(5))
        print("minisweep status on %d runs: %.2f s (%.1fx python -c pass = %.2f s)" % (args.runs, status,
                                                                                       status / base, base))
        print("minisweep.load   on %d runs: %.2f s (%.1fx python -c pass)" % (args.runs, load, load / base))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
