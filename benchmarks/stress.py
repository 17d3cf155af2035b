"""Stress: many agent processes on one sweep, random ``kill -9``s, optionally a slow disk.

    python3 benchmarks/stress.py [--procs 8] [--points 400] [--kills 6] [--lease 1.0] [--fsync-delay 0]

A grid sweep of ``--points`` points is worked by ``--procs`` agent processes at once. While they
work, a killer sends ``SIGKILL`` to a random agent ``--kills`` times and starts a fresh agent in its
place. When every agent has exited and the leases have lapsed, the sweep is read back and checked:

- completed: runs that finished;
- duplicates: grid points that got more than one run (must be 0);
- lost: grid points that got no run at all, so the sweep ended short (must be 0);
- left running: runs still ``pending`` / ``running`` after the leases lapsed (must be 0);
- crashed: runs whose agent was killed under them (expected: about one per kill).

Throughput (finished runs per second) is printed as a ratio to one agent doing the same sweep
without kills, measured in the same run. ``--fsync-delay`` adds that many seconds to every fsync in
the agents, to see the lock and leases under a slow (network) disk. ``tests/test_stress.py`` runs a
small version of this in the suite.
"""

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORKER = """\
import os, sys, time
sys.path.insert(0, %(root)r)
import minisweep, minisweep.store as store

delay = float(os.environ.get("STRESS_FSYNC_DELAY", "0"))
if delay:
    real = store._fsync
    def slow(fd):
        time.sleep(delay)
        real(fd)
    store._fsync = slow

def work(config):
    time.sleep(float(os.environ.get("STRESS_WORK", "0")))
    return {"loss": config["p"] * 0.001}

minisweep.agent(sys.argv[1], function=work, dir=sys.argv[2], quiet=True)
"""


def _spawn(script: str, sweep_id: str, store: str, env: Dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, script, sweep_id, store], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_stress(procs: int, points: int, kills: int, lease: float, fsync_delay: float = 0.0,
               work: float = 0.002, seed: int = 0, base: str = None) -> Dict[str, float]:
    """Run one stress round; returns the counts and the elapsed seconds."""
    sys.path.insert(0, ROOT)
    import minisweep

    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="minisweep-stress-", dir=base)
    try:
        store = os.path.join(tmp, "store")
        script = os.path.join(tmp, "worker.py")
        with open(script, "w") as fh:
            fh.write(WORKER % {"root": ROOT})
        sweep_id = minisweep.sweep({"method": "grid", "metric": {"name": "loss"},
                                    "parameters": {"p": {"values": list(range(points))}}}, dir=store)
        env = dict(os.environ, MINISWEEP_LEASE_SECONDS=str(lease), STRESS_FSYNC_DELAY=str(fsync_delay),
                   STRESS_WORK=str(work))
        start = time.perf_counter()
        alive: List[subprocess.Popen] = [_spawn(script, sweep_id, store, env) for _ in range(procs)]
        killed = 0
        while True:
            alive = [p for p in alive if p.poll() is None]
            if not alive:
                break
            if killed < kills:
                time.sleep(rng.uniform(0.05, 0.3))
                victim = rng.choice(alive)
                if victim.poll() is None:
                    os.kill(victim.pid, signal.SIGKILL)
                    victim.wait()
                    killed += 1
                    alive.append(_spawn(script, sweep_id, store, env))
            else:
                time.sleep(0.02)
        elapsed = time.perf_counter() - start
        time.sleep(lease + 2.5)  # past every lease plus the readers' clock-skew allowance
        result = minisweep.load(sweep_id, dir=store)
        per_point: Dict[int, int] = {}
        for run in result.runs:
            per_point[run.config["p"]] = per_point.get(run.config["p"], 0) + 1
        counts = result.counts()
        return {
            "runs": len(result.runs),
            "completed": counts.get("finished", 0),
            "crashed": counts.get("crashed", 0),
            "duplicates": sum(n - 1 for n in per_point.values() if n > 1),
            "lost": points - len(per_point),
            "left_running": counts.get("running", 0) + counts.get("pending", 0),
            "kills": killed,
            "seconds": elapsed,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, default=8)
    parser.add_argument("--points", type=int, default=400)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--lease", type=float, default=1.0)
    parser.add_argument("--fsync-delay", type=float, default=0.0, help="seconds added to every fsync")
    parser.add_argument("--work", type=float, default=0.002, help="seconds each run's function sleeps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    one = run_stress(1, args.points, 0, args.lease, args.fsync_delay, args.work, args.seed, args.dir)
    many = run_stress(args.procs, args.points, args.kills, args.lease, args.fsync_delay, args.work, args.seed,
                      args.dir)
    print("grid of %d points; %d agents, %d kill -9s, lease %.1fs, fsync delay %.3fs, work %.3fs/run" % (
        args.points, args.procs, many["kills"], args.lease, args.fsync_delay, args.work))
    print("%-24s %10s %10s" % ("", "1 agent", "%d agents" % args.procs))
    for key in ("runs", "completed", "crashed", "duplicates", "lost", "left_running"):
        print("%-24s %10d %10d" % (key, one[key], many[key]))
    rate1 = one["completed"] / one["seconds"]
    rate = many["completed"] / many["seconds"]
    print("%-24s %10.0f %10.0f" % ("finished runs/s", rate1, rate))
    print("throughput ratio to one agent: %.2fx" % (rate / rate1))
    bad = many["duplicates"] or many["lost"] or many["left_running"] or one["duplicates"] or one["lost"]
    if bad:
        print("FAILED: duplicates, lost or left-running runs")
        sys.exit(1)


if __name__ == "__main__":
    main()
