"""Throughput of the sweep store: trivial-objective runs per second, durable, 1 and 4 processes.

Two minisweep columns: *store* drives the store API directly — ``claim``
(random search proposes the config under the lock), ``start``, one ``log``
row and ``finish`` (synced to disk) — and *agent* is the whole product:
``minisweep.agent()`` running a trivial function (a thread per run, the
in-run API, heartbeats).  When Optuna is importable, the same workload
runs against Optuna's ``JournalFileBackend`` (random sampler, one
``suggest_float``, the objective returns it) in the same directory tree, and
the ratio is printed.  With the standard library alone it prints our figures.

    python benchmarks/store_throughput.py                 # ours only (stdlib)
    /work/devvenv/bin/python benchmarks/store_throughput.py   # side by side with Optuna

Workers are separate processes started before the clock runs; the clock runs
from "go" until the last worker reports done, so interpreter start-up and
imports are not counted.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

CONFIG = {"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}}


def worker_ours(root: str, sweep_id: str, _share: int) -> int:
    from minisweep.search import next_config
    from minisweep.store import SweepStore

    store = SweepStore.open(root, "bench", sweep_id)
    cfg = store.config

    def propose(runs, index):
        return next_config(cfg, runs, seed=store.seed, index=index)

    ready_and_wait()
    n = 0
    while True:
        run = store.claim("bench-%d" % os.getpid(), propose, lease_seconds=30.0)
        if run is None:
            break
        store.start(run.id)
        store.log(run.id, {"loss": run.config["x"]})
        store.finish(run.id, "finished")
        n += 1
    store.close()
    return n


def worker_agent(root: str, sweep_id: str, _share: int) -> int:
    import minisweep

    ready_and_wait()
    return minisweep.agent(sweep_id, function=lambda config: config.x, dir=root, quiet=True)


def worker_optuna(root: str, study_name: str, share: int) -> int:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(os.path.join(root, "optuna.log")))
    study = optuna.load_study(study_name=study_name, storage=storage,
                              sampler=optuna.samplers.RandomSampler(seed=os.getpid()))
    ready_and_wait()
    study.optimize(lambda trial: trial.suggest_float("x", 0.0, 1.0), n_trials=share)
    return share


def ready_and_wait() -> None:
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()


def setup(backend: str, root: str, runs: int) -> str:
    if backend in ("ours", "agent"):
        from minisweep.store import SweepStore

        cfg = dict(CONFIG, run_cap=runs)
        store = SweepStore.create(root, "bench", cfg, seed=0)
        store.close()
        return store.id
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(os.path.join(root, "optuna.log")))
    optuna.create_study(study_name="bench", storage=storage)
    return "bench"


def measure(backend: str, procs: int, runs: int, base: str) -> float:
    root = tempfile.mkdtemp(prefix="minisweep-bench-", dir=base)
    try:
        name = setup(backend, root, runs)
        shares = [runs // procs + (1 if i < runs % procs else 0) for i in range(procs)]
        children = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", backend,
                                      root, name, str(share)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True)
                    for share in shares]
        for child in children:
            if child.stdout.readline().strip() != "ready":
                raise SystemExit("a %s worker failed to start" % backend)
        start = time.perf_counter()
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        done = 0
        for child in children:
            line = child.stdout.readline().split()
            if not line or line[0] != "done":
                raise SystemExit("a %s worker failed" % backend)
            done += int(line[1])
        elapsed = time.perf_counter() - start
        for child in children:
            child.wait()
        if done != runs:
            raise SystemExit("%s: %d runs done, expected %d" % (backend, done, runs))
        return runs / elapsed
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--procs", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--dir", default=None, help="where to put the stores (default: the temp dir)")
    parser.add_argument("--repeat", type=int, default=1, help="best of N")
    parser.add_argument("--worker", nargs=4, metavar=("BACKEND", "ROOT", "NAME", "SHARE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        backend, root, name, share = args.worker
        work = {"ours": worker_ours, "agent": worker_agent, "optuna": worker_optuna}[backend]
        n = work(root, name, int(share))
        sys.stdout.write("done %d\n" % n)
        sys.stdout.flush()
        return
    try:
        import optuna  # noqa: F401

        have_optuna = True
    except ImportError:
        have_optuna = False
    print("runs=%d, durable store, trivial objective, random search; dir=%s" % (args.runs, args.dir or tempfile.gettempdir()))
    if not have_optuna:
        print("(optuna not importable here: our figures only)")
    print("%-6s %12s %12s %12s %12s %12s" % ("procs", "store/s", "agent/s", "optuna/s", "store/optuna",
                                              "agent/optuna"))
    for procs in args.procs:
        # interleaved, best of N each: fsync latency drifts, so all sides should sample the same moments
        ours = agent = theirs = 0.0
        for _ in range(args.repeat):
            ours = max(ours, measure("ours", procs, args.runs, args.dir))
            agent = max(agent, measure("agent", procs, args.runs, args.dir))
            if have_optuna:
                theirs = max(theirs, measure("optuna", procs, args.runs, args.dir))
        if have_optuna:
            print("%-6d %12.0f %12.0f %12.0f %11.1fx %11.1fx" % (procs, ours, agent, theirs, ours / theirs,
                                                                 agent / theirs))
        else:
            print("%-6d %12.0f %12.0f %12s %12s %12s" % (procs, ours, agent, "-", "-", "-"))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
