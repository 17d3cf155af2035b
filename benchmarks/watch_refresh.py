"""What one refresh of ``minisweep status --watch`` costs on a large sweep, against reading it afresh.

    python3 benchmarks/watch_refresh.py [--runs 5000] [--rows 20] [--repeat 20]

Writes a sweep of ``--runs`` finished runs of ``--rows`` history rows each, plus two runs in
progress owned by another writer (another "host"), then measures, in the same run:

- the baseline: ``SweepWatch(SweepStore.open(...)).refresh()`` from scratch, which is what a
  watcher that re-read the sweep every second would pay (and what ``minisweep status`` pays once);
- one incremental refresh of a watcher that is already up to date, after the other writer logged
  one row to each of its runs: time and bytes read;
- a refresh when nothing changed.

The ratio of the incremental refresh to the baseline is the point: it should stay small and flat
as ``--runs`` grows (try 1000 and 10000).
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main():
    from minisweep.store import SweepStore
    from minisweep.watch import SweepWatch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="minisweep-watch-bench-")
    try:
        cfg = {"method": "random", "metric": {"name": "loss"}, "parameters": {"x": {"min": 0.0, "max": 1.0}}}
        a = SweepStore.create(tmp, "p", cfg, sweep_id="s")
        start = time.perf_counter()
        for i in range(args.runs):
            run = a.claim("a", lambda runs, index: {"x": index / float(args.runs)}, lease_seconds=3600)
            a.start(run.id)
            for t in range(args.rows):
                a.log(run.id, {"loss": 1.0 / (t + 1) + i * 1e-6, "epoch": t})
            a.finish(run.id, "finished")
        b = SweepStore.open(tmp, "p", "s")
        live = []
        for _ in range(2):
            run = b.claim("b", lambda runs, index: {"x": 0.5}, lease_seconds=3600)
            b.start(run.id)
            live.append(run.id)
        print("wrote %d runs x %d rows in %.1f s" % (args.runs, args.rows, time.perf_counter() - start))

        fresh = []
        for _ in range(max(3, args.repeat // 4)):
            t0 = time.perf_counter()
            w = SweepWatch(SweepStore.open(tmp, "p", "s"))
            w.refresh()
            fresh.append(time.perf_counter() - t0)
        full_bytes = w.bytes_read
        step, idle, step_bytes = [], [], []
        for k in range(args.repeat):
            for run_id in live:
                b.log(run_id, {"loss": 1.0 / (k + 1)})
            t0 = time.perf_counter()
            changed = w.refresh()
            step.append(time.perf_counter() - t0)
            step_bytes.append(w.bytes_read)
            assert changed
            t0 = time.perf_counter()
            assert not w.refresh()
            idle.append(time.perf_counter() - t0)
        base = statistics.median(fresh)
        print("read from scratch (baseline):      %8.1f ms  %10d bytes" % (base * 1e3, full_bytes))
        print("incremental refresh, 2 new rows:   %8.2f ms  %10d bytes   ratio %.4f"
              % (statistics.median(step) * 1e3, statistics.median(step_bytes), statistics.median(step) / base))
        print("refresh with nothing new:          %8.2f ms  %10d bytes   ratio %.4f"
              % (statistics.median(idle) * 1e3, 0, statistics.median(idle) / base))
        a.close()
        b.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
