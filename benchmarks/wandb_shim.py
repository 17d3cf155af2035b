"""What serving ``import wandb`` costs a child program, against interpreter start-up in the same run.

    python3 benchmarks/wandb_shim.py [--repeat 20]

Each sample is a fresh interpreter started the way ``minisweep agent`` starts a program: with the
shim directory first on ``PYTHONPATH``.  Three timings, interleaved so drift hits all alike, medians:

- ``python -c pass`` with the shim on the path (the baseline: start-up alone);
- ``python -c "import wandb"`` through the shim (the stub, the alias finder, minisweep.wandb);
- ``python -c "import wandb; wandb.init(); wandb.log(...); wandb.finish()"`` as a child of the
  agent would run it (the run joined from the environment, one row and the finish event written).

The figure to watch is the extra milliseconds over start-up: the price every run pays.  Compiled
modules are cached (in a temporary ``PYTHONPYCACHEPREFIX``), as on a user's machine; Python 3.8+.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def timed(code: str, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    from minisweep.wandb._install import shim_directory

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="minisweep-bench-")
    try:
        shim = shim_directory(tmp)
        rows = os.path.join(tmp, "rows.jsonl")
        env = dict(os.environ, PYTHONPATH=shim, MINISWEEP_RUN_ID="r1", MINISWEEP_RUN_CONFIG=json.dumps({"lr": 0.1}),
                   MINISWEEP_RUN_LOG=rows, MINISWEEP_RUN_DIR=tmp)
        env.pop("PYTHONSTARTUP", None)
        # as on a user's machine: compiled modules cached (in a private folder, so nothing lands in the tree)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pycache")
        timed("import wandb; wandb.init(); wandb.finish()", env)  # warm the cache
        base, imp, run = [], [], []
        for _ in range(args.repeat):
            base.append(timed("pass", env))
            imp.append(timed("import wandb", env))
            run.append(timed("import wandb; wandb.init(); wandb.log({'loss': 1.0}); wandb.finish()", env))
        b, i, r = statistics.median(base), statistics.median(imp), statistics.median(run)
        print("Python %s, %d samples, medians" % (sys.version.split()[0], args.repeat))
        print("start-up alone            %7.1f ms" % (b * 1000))
        print("import wandb (the shim)   %7.1f ms   +%.1f ms  (x%.2f of start-up)" % (i * 1000, (i - b) * 1000, i / b))
        print("init + log + finish       %7.1f ms   +%.1f ms  (x%.2f of start-up)" % (r * 1000, (r - b) * 1000, r / b))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
