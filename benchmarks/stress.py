"""Stress: many agent processes on one sweep, under one kind of fault at a time.

    python3 benchmarks/stress.py [--fault kill|stop|term|skew|retry|all] [--procs 8] [--points 400]
                                 [--kills 6] [--lease 1.0] [--fsync-delay 0] [--work 0.002]

A grid sweep of ``--points`` points is worked by ``--procs`` agent processes at once, while one kind
of fault is applied ``--kills`` times:

- ``kill``: ``SIGKILL`` to a random agent, and a fresh agent started in its place;
- ``stop``: ``SIGSTOP`` to a random agent for twice the lease (other agents write its run off as
  crashed), then ``SIGCONT`` (its own ``finish`` wins);
- ``term``: ``SIGTERM`` to a random *command-line* agent (``minisweep agent``, each run a child
  program): it must stop its program and record the run ``killed`` before it exits; a fresh agent
  takes its place;
- ``skew``: half the agents run with their clock 30 s behind, every agent with ``retry_failed``;
  a live run must never look failed to another agent's search;
- ``retry``: half the agents have ``retry_failed``, half not, and the first attempt at every fourth
  point fails; every point must end with a finished run, and the sweep ``finished``.

When every agent has exited and the leases have lapsed, the sweep is read back and checked:

- completed: runs that finished;
- duplicates: runs of a point beyond its first (must be 0, except ``retry``: at most the failures);
- twice finished: points with two finished runs (must be 0 in every mode);
- lost: grid points that got no run at all, so the sweep ended short (must be 0);
- unfinished: points without a finished run (``retry``: must be 0);
- left running: runs still ``pending`` / ``running`` after the leases lapsed (must be 0);
- crashed: runs whose agent was killed under them (``kill``: about one per kill; ``term``: 0);
- killed: runs recorded ``killed`` (``term``: at most one per SIGTERM);
- orphans (``term``): programs still alive after their agent exited (must be 0);
- hung: agents that did not exit within ``HUNG_SECONDS`` of a SIGTERM, or by the round's deadline,
  and were killed (must be 0).

Throughput (finished runs per second) is printed as a ratio to one agent doing the same sweep
without faults, measured in the same run. ``--fsync-delay`` adds that many seconds to every fsync in
the agents, to see the lock and leases under a slow (network) disk. ``tests/test_stress.py`` runs a
small version of each fault kind in the suite.
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
from typing import Any, Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# The suite's answer to "is that process still running" (zombies are not): one definition for both.
from tests.support import alive as _alive  # noqa: E402

WORKER = """\
import os, sys, time
sys.path.insert(0, %(root)r)
import minisweep, minisweep.sharedfs as sharedfs

delay = float(os.environ.get("STRESS_FSYNC_DELAY", "0"))
if delay:
    real = sharedfs.fsync
    def slow(fd):
        time.sleep(delay)
        real(fd)
    sharedfs.fsync = slow

skew = float(os.environ.get("STRESS_SKEW", "0"))
fail_dir = os.environ.get("STRESS_FAIL_DIR")

def work(config):
    time.sleep(float(os.environ.get("STRESS_WORK", "0")))
    if fail_dir and config["p"] %% 4 == 3:  # the last point of a grid of 4k points among them
        try:  # the first attempt at the point fails
            os.close(os.open(os.path.join(fail_dir, str(config["p"])), os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            pass
        else:
            raise RuntimeError("first attempt fails")
    return {"loss": config["p"] * 0.001}

minisweep.agent(sys.argv[1], function=work, dir=sys.argv[2], quiet=True, max_initial_failures=0,
                retry_failed=int(os.environ.get("STRESS_RETRY", "0")), poll_seconds=0.05,
                clock=(lambda: time.time() - skew) if skew else time.time)
"""

# The program a command-line agent runs for each run (``term``): notes its pid, works, reports.
PROGRAM = """\
import os, sys, time
with open(os.path.join(os.environ["STRESS_PIDS"], str(os.getpid())), "w"):
    pass
time.sleep(float(os.environ.get("STRESS_WORK", "0")))
p = [a for a in sys.argv if a.startswith("--p=")][0][4:]
print("loss=%s" % (int(p) * 0.001))
"""

FAULTS = ("kill", "stop", "term", "skew", "retry")
#: How long an agent may take to exit after a SIGTERM before it counts as hung (and is killed); the whole
#: round may take ten times this (plus ten times its points' work). A hang then fails the round with ``hung: N`` instead of never ending.
HUNG_SECONDS = 60.0


def _spawn(script: str, sweep_id: str, store: str, env: Dict[str, str], cli: bool = False) -> subprocess.Popen:
    if cli:  # the command-line agent, as a user (or a batch system) starts it
        argv = [sys.executable, "-m", "minisweep", "agent", sweep_id, "--dir", store, "--quiet",
                "--kill-delay", "1"]
        env = dict(env, PYTHONPATH=ROOT + os.pathsep + env.get("PYTHONPATH", ""))
    else:
        argv = [sys.executable, script, sweep_id, store]
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _at_work(pid: int, pids_dir: str, born: float) -> bool:
    """Whether agent ``pid`` is running a program now (Linux: a program noted in ``pids_dir`` is its child)."""
    if not os.path.isdir("/proc/self"):  # elsewhere: an agent a few seconds old is surely at work
        return time.monotonic() - born > 3.0
    return pid in _parents(pids_dir)


def _parents(pids_dir: str) -> set:
    """The parents of the programs (noted in ``pids_dir``) that are running now, from /proc."""
    out = set()
    for name in os.listdir(pids_dir):
        try:
            with open("/proc/%s/stat" % name) as fh:
                fields = fh.read().split(")")[-1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            out.add(int(fields[1]))
    return out


def run_stress(procs: int, points: int, kills: int, lease: float, fsync_delay: float = 0.0,
               work: float = 0.002, seed: int = 0, base: str = None, fault: str = "kill") -> Dict[str, float]:
    """Run one stress round with ``kills`` faults of kind ``fault``; returns the counts and the seconds."""
    sys.path.insert(0, ROOT)
    import minisweep

    if fault not in FAULTS:
        raise ValueError("fault must be one of %s" % ", ".join(FAULTS))
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="minisweep-stress-", dir=base)
    try:
        store = os.path.join(tmp, "store")
        script = os.path.join(tmp, "worker.py")
        with open(script, "w") as fh:
            fh.write(WORKER % {"root": ROOT})
        config = {"method": "grid", "metric": {"name": "loss"}, "parameters": {"p": {"values": list(range(points))}}}
        pids_dir = os.path.join(tmp, "pids")
        cli = fault == "term"
        if cli:
            os.mkdir(pids_dir)
            program = os.path.join(tmp, "program.py")
            with open(program, "w") as fh:
                fh.write(PROGRAM)
            config["program"] = program
        sweep_id = minisweep.sweep(config, dir=store)
        env = dict(os.environ, MINISWEEP_LEASE_SECONDS=str(lease), STRESS_FSYNC_DELAY=str(fsync_delay),
                   STRESS_WORK=str(work), STRESS_PIDS=pids_dir)
        envs = [env] * procs
        if fault == "skew":  # half the agents 30 s behind; every agent retries failed points
            envs = [dict(env, STRESS_RETRY="1", STRESS_SKEW="30" if i % 2 == 0 else "0") for i in range(procs)]
        elif fault == "retry":  # half the agents retry; the first attempt at every fourth point (3, 7, ...) fails
            os.mkdir(os.path.join(tmp, "fail"))
            envs = [dict(env, STRESS_RETRY="1" if i % 2 else "0", STRESS_FAIL_DIR=os.path.join(tmp, "fail"))
                    for i in range(procs)]
        start = time.perf_counter()
        alive: List[subprocess.Popen] = [_spawn(script, sweep_id, store, e, cli) for e in envs]
        born = {p.pid: time.monotonic() for p in alive}
        done = hung = 0
        deadline = time.monotonic() + HUNG_SECONDS * 10 + 10 * points * max(work, 0.01)
        while True:
            alive = [p for p in alive if p.poll() is None]
            if not alive:
                break
            if time.monotonic() > deadline:  # agents that never exit: kill them and say so
                for p in alive:
                    p.kill()
                    p.wait()
                hung += len(alive)
                break
            if done < kills and fault in ("kill", "stop", "term"):
                time.sleep(rng.uniform(0.05, 0.3))
                # a SIGTERM must reach an agent at work (running a program), not one still starting Python
                ready = [p for p in alive if not cli or _at_work(p.pid, pids_dir, born[p.pid])]
                if not ready:
                    continue
                victim = rng.choice(ready)
                if victim.poll() is not None:
                    continue
                if fault == "stop":  # frozen past its lease, then thawed: it carries on
                    os.kill(victim.pid, signal.SIGSTOP)
                    time.sleep(2 * lease)
                    os.kill(victim.pid, signal.SIGCONT)
                    done += 1
                    continue
                os.kill(victim.pid, signal.SIGKILL if fault == "kill" else signal.SIGTERM)
                try:
                    victim.wait(timeout=HUNG_SECONDS)
                except subprocess.TimeoutExpired:  # it ignored the SIGTERM: a failure to report, not to wait on
                    victim.kill()
                    victim.wait()
                    hung += 1
                done += 1
                alive.append(_spawn(script, sweep_id, store, env, cli))
                born[alive[-1].pid] = time.monotonic()
            else:
                time.sleep(0.02)
        elapsed = time.perf_counter() - start
        if fault in ("skew", "retry"):
            done = procs // 2 if fault == "skew" else len(os.listdir(os.path.join(tmp, "fail")))
        time.sleep(lease + 2.5)  # past every lease plus the readers' clock-skew allowance
        orphans = [int(pid) for pid in os.listdir(pids_dir) if _alive(int(pid))] if cli else []
        for pid in orphans:
            os.kill(pid, signal.SIGKILL)
        result = minisweep.load(sweep_id, dir=store)
        per_point: Dict[int, List[str]] = {}
        for run in result.runs:
            per_point.setdefault(run.config["p"], []).append(run.state)
        counts = result.counts()
        return {
            "runs": len(result.runs),
            "completed": counts.get("finished", 0),
            "crashed": counts.get("crashed", 0),
            "killed": counts.get("killed", 0),
            "failed": counts.get("failed", 0),
            "duplicates": sum(len(states) - 1 for states in per_point.values()),
            "twice_finished": sum(1 for states in per_point.values() if states.count("finished") > 1),
            "lost": points - len(per_point),
            "unfinished": points - sum(1 for states in per_point.values() if "finished" in states),
            "left_running": counts.get("running", 0) + counts.get("pending", 0),
            "orphans": len(orphans),
            "hung": hung,
            "kills": done,
            "state": result.state,
            "seconds": elapsed,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def problems(fault: str, stats: Dict[str, Any]) -> List[str]:
    """What went wrong in a round, by the rules of its fault kind (an empty list: nothing)."""
    bad = []
    for key in ("twice_finished", "lost", "left_running", "orphans", "hung"):
        if stats[key]:
            bad.append("%s: %d" % (key, stats[key]))
    if fault == "retry":
        if stats["duplicates"] > stats["kills"]:
            bad.append("duplicates: %d for %d failures" % (stats["duplicates"], stats["kills"]))
        if stats["unfinished"]:
            bad.append("unfinished: %d (retry_failed did not retry them)" % stats["unfinished"])
        if stats["state"] != "finished":
            bad.append("the sweep is %s, not finished" % stats["state"])
    elif stats["duplicates"]:
        bad.append("duplicates: %d" % stats["duplicates"])
    if fault == "term" and stats["crashed"]:
        bad.append("crashed: %d (a SIGTERM'd agent must record its runs)" % stats["crashed"])
    if fault == "term" and stats["killed"] > stats["kills"]:
        bad.append("killed: %d for %d SIGTERMs" % (stats["killed"], stats["kills"]))
    if fault == "kill" and stats["crashed"] > stats["kills"]:
        bad.append("crashed: %d for %d kills" % (stats["crashed"], stats["kills"]))
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", default="kill", choices=FAULTS + ("all",))
    parser.add_argument("--procs", type=int, default=8)
    parser.add_argument("--points", type=int, default=400)
    parser.add_argument("--kills", type=int, default=6, help="faults applied (kill, stop, term)")
    parser.add_argument("--lease", type=float, default=1.0)
    parser.add_argument("--fsync-delay", type=float, default=0.0, help="seconds added to every fsync")
    parser.add_argument("--work", type=float, default=0.002, help="seconds each run's function sleeps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    faults = FAULTS if args.fault == "all" else (args.fault,)
    one = run_stress(1, args.points, 0, args.lease, args.fsync_delay, args.work, args.seed, args.dir)
    # the command-line agent (term) starts a program per run: its baseline is one command-line agent
    one_cli = run_stress(1, args.points, 0, args.lease, args.fsync_delay, args.work, args.seed, args.dir,
                         fault="term") if "term" in faults else None
    rounds = [(fault, run_stress(args.procs, args.points, args.kills, args.lease, args.fsync_delay, args.work,
                                 args.seed, args.dir, fault=fault)) for fault in faults]
    print("grid of %d points; %d agents, lease %.1fs, fsync delay %.3fs, work %.3fs/run" % (
        args.points, args.procs, args.lease, args.fsync_delay, args.work))
    print("%-16s %10s" % ("", "1 agent") + "".join(" %10s" % fault for fault, _ in rounds))
    for key in ("kills", "runs", "completed", "crashed", "killed", "failed", "duplicates", "twice_finished",
                "lost", "unfinished", "left_running", "orphans", "hung"):
        print("%-16s %10s" % ("faults" if key == "kills" else key, one[key])
              + "".join(" %10s" % stats[key] for _, stats in rounds))
    rate1 = one["completed"] / one["seconds"]
    print("%-16s %10.1f" % ("finished runs/s", rate1)
          + "".join(" %10.1f" % (stats["completed"] / stats["seconds"]) for _, stats in rounds))

    def ratio(fault: str, stats: Dict[str, Any]) -> str:
        base = one_cli if fault == "term" and one_cli is not None else one
        return "%.2fx" % (stats["completed"] / stats["seconds"] / (base["completed"] / base["seconds"]))

    print("%-16s %10s" % ("ratio to 1 agent", "1.00x") + "".join(" %10s" % ratio(f, st) for f, st in rounds))
    if one_cli is not None:
        print("(term: ratio to one command-line agent, %.1f runs/s)" % (one_cli["completed"] / one_cli["seconds"]))
    failed = [(fault, problems(fault, stats)) for fault, stats in rounds] + [("1 agent", problems("kill", one))]
    failed = [(fault, bad) for fault, bad in failed if bad]
    for fault, bad in failed:
        print("FAILED (%s): %s" % (fault, "; ".join(bad)))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
