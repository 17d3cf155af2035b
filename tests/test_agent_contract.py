"""One contract for every way an agent can run a sweep, run against each of them.

An agent has four back-ends: its own threads (``agent(id, function, workers=N)``), several Python
processes each running an agent on one sweep directory, a ``concurrent.futures`` executor
(``agent(..., executor=ex)``) and command mode (``minisweep agent ID``: each run is the sweep's
program in a child process).  What a user relies on is the same for all four, so it is written once,
in ``AgentContract``, and each back-end is a small subclass that says how to start its agents
(Optuna tests its storages the same way: one suite, parametrised by a storage supplier).
MINISWEEP_STRESS=1 makes the shared grid larger.

The work is the same too: ``tests/agent_work.py``, whose behaviour the sweep's config decides.  What
only one back-end does (a stopped function seeing ``RunStopped``, exit statuses, metrics read from a
program's output, process pools that refuse a lambda) is tested beside that back-end, in
``test_agent``, ``test_cli`` and ``test_executor``.
"""

import concurrent.futures
import contextlib
import io
import json
import os
import subprocess
import sys
import threading
import time
import unittest
from typing import List, Optional

import minisweep
from minisweep.api import open_store
from tests import agent_work
from tests.support import STRESS, TempDirTest, env_with

WORK = os.path.abspath(agent_work.__file__)


class AgentContract:
    """What every back-end must do.  A subclass defines ``run_agents`` (and may check where runs ran)."""

    #: how many agents (or workers) share a sweep in the tests that use several
    WORKERS = 3
    def run_agents(self, sweep_id: str, workers: int = 1, count: Optional[int] = None,
                   lease: Optional[float] = None) -> Optional[str]:
        """Run ``workers`` agents (or one agent with ``workers`` workers) on the sweep to their end.

        ``lease`` (seconds) sets the runs' lease, and so how often the agents heartbeat and look at
        the sweep's state (a quarter of it).

        Returns:
            ``None`` when they ended normally, else what the agent said when it gave up.
        """
        raise NotImplementedError

    def check_where_runs_ran(self, pids: List[int], workers: int) -> None:
        """Back-end specific: ``pids`` are the processes that ran the runs, in order."""

    def prepare(self, config: dict) -> dict:
        """The sweep config as this back-end needs it (command mode: the program to run)."""
        return config

    def sweep(self, parameters, **top):
        config = self.prepare(dict(top, parameters=parameters))
        return minisweep.sweep(config, project="p", dir=self.dir, seed=1)

    # ---------------------------------------------------------------------------------- the contract

    def test_every_grid_point_runs_exactly_once_across_agents(self):
        n = 100 if STRESS else 8
        sid = self.sweep({"x": {"values": list(range(n))}, "pause": {"value": 0.05}}, method="grid",
                         metric={"name": "loss"})
        self.assertIsNone(self.run_agents(sid, workers=self.WORKERS))
        result = self.load(sid)
        self.assertEqual(sorted(r.config["x"] for r in result.runs), list(range(n)))
        self.assertEqual(result.counts(), {"finished": n})
        self.assertEqual(result.state, "finished")
        self.check_where_runs_ran([r.summary["pid"] for r in result.runs], self.WORKERS)

    def test_count_stops_the_agent(self):
        sid = self.sweep({"x": {"min": 0.0, "max": 1.0}}, method="random")
        self.assertIsNone(self.run_agents(sid, count=3))
        result = self.load(sid)
        self.assertEqual(result.counts(), {"finished": 3})
        self.assertEqual(result.state, "running")  # a random sweep never runs out: only count ended it

    def test_gives_up_when_the_first_five_runs_fail(self):
        sid = self.sweep({"x": {"min": 0.0, "max": 1.0}, "fail": {"value": "always"}}, method="random")
        error = self.run_agents(sid, count=20)
        self.assertIsNotNone(error, "the agent did not give up")
        # the line that says the agent gave up also says why (a command line shows that line alone)
        gave_up = [line for line in error.splitlines() if "the first 5 runs all failed" in line]
        self.assertTrue(gave_up, error)
        self.assertIn("broken on purpose", gave_up[-1])
        self.assertEqual(self.load(sid).counts(), {"failed": 5})

    def test_a_raising_function_is_recorded_failed_with_its_reason_and_the_agent_goes_on(self):
        sid = self.sweep({"x": {"values": [1, 2, 3]}, "fail": {"value": 2}}, method="grid")
        self.assertIsNone(self.run_agents(sid))
        runs = self.load(sid).runs
        self.assertEqual([(r.config["x"], r.state) for r in runs], [(1, "finished"), (2, "failed"), (3, "finished")])
        self.assertIn("ValueError: broken on purpose at x=2", runs[1].info.get("error", ""))
        self.assertNotIn("error", runs[0].info)

    def test_a_run_is_given_the_config_the_sweep_proposed(self):
        sid = self.sweep({"x": {"values": [1, 2.5]}, "name": {"values": ["a", "b c"]}, "flag": {"value": True},
                          "nested": {"parameters": {"depth": {"values": [2]}}}}, method="grid")
        self.assertIsNone(self.run_agents(sid, workers=2))
        runs = self.load(sid).runs
        self.assertEqual(len(runs), 4)
        self.assertEqual(sorted((r.config["x"], r.config["name"]) for r in runs),
                         [(1, "a"), (1, "b c"), (2.5, "a"), (2.5, "b c")])
        for run in runs:
            self.assertEqual(run.config["flag"], True)
            self.assertEqual(run.config["nested"], {"depth": 2})
            self.assertEqual(json.loads(run.summary["seen"]), run.config)

    def test_logged_metrics_reach_the_store_and_rank_the_best_run(self):
        sid = self.sweep({"x": {"values": [3, -1, 2]}, "steps": {"value": 3}}, method="grid",
                         metric={"name": "loss", "goal": "minimize"})
        self.assertIsNone(self.run_agents(sid))
        result = self.load(sid)
        for run in result.runs:
            x = run.config["x"]
            self.assertEqual(run.metric_values("loss"), [abs(x) * 3, abs(x) * 2, abs(x) * 1])
            self.assertEqual(run.summary["loss"], abs(x))
        self.assertEqual(result.best_run().config["x"], -1)

    def test_hyperband_stops_runs_that_fall_behind(self):
        sid = self.sweep({"x": {"values": [1, 2, 30, 40]}, "steps": {"value": 10}, "pause": {"value": 0.05}},
                         method="grid", metric={"name": "loss"},
                         early_terminate={"type": "hyperband", "min_iter": 2, "eta": 2})
        self.assertIsNone(self.run_agents(sid))
        runs = self.load(sid).runs
        states = {r.config["x"]: r.state for r in runs}
        self.assertEqual((states[1], states[2]), ("finished", "finished"))
        self.assertIn("stopped", (states[30], states[40]))
        for run in runs:
            if run.state == "stopped":
                self.assertLess(len(run.metric_values("loss")), 10)
                self.assertIn("hyperband", run.info.get("error", ""))

    def test_cancelling_the_sweep_stops_its_running_runs(self):
        # each run would log for a minute; the sweep is cancelled once the first one runs
        sid = self.sweep({"x": {"values": [1, 2]}, "steps": {"value": 1200}, "pause": {"value": 0.05}},
                         method="grid", metric={"name": "loss"})

        def cancel_once_running():
            deadline = time.time() + 60
            while time.time() < deadline:
                if any(r.state == "running" for r in self.load(sid).runs):
                    store = open_store(sid, "p", self.dir)
                    store.set_state("cancelled")
                    store.close()
                    return
                time.sleep(0.05)

        canceller = threading.Thread(target=cancel_once_running)
        canceller.start()
        started = time.time()
        try:
            self.assertIsNone(self.run_agents(sid, lease=1.0))
        finally:
            canceller.join()
        self.assertLess(time.time() - started, 40, "the run was not stopped")
        result = self.load(sid)
        self.assertEqual(result.state, "cancelled")
        self.assertEqual([r.state for r in result.runs], ["stopped"])  # and no run started after the cancel
        self.assertIn("cancelled", result.runs[0].info.get("error", ""))
        self.assertLess(len(result.runs[0].metric_values("loss")), 1200)

    def test_a_stopped_sweep_starts_nothing(self):
        sid = self.sweep({"x": {"values": [1, 2]}}, method="grid")
        store = open_store(sid, "p", self.dir)
        store.set_state("stopped")
        store.close()
        self.assertIsNone(self.run_agents(sid))
        result = self.load(sid)
        self.assertEqual(result.runs, [])
        self.assertEqual(result.state, "stopped")


# ---------------------------------------------------------------------------------------- back-ends


class ThreadsTest(AgentContract, TempDirTest):
    """``agent(id, function, workers=N)``: the runs in this process, each in a thread of its own."""

    def run_agents(self, sweep_id, workers=1, count=None, lease=None):
        with contextlib.redirect_stderr(io.StringIO()):  # failed runs' tracebacks, even when quiet
            try:
                minisweep.agent(sweep_id, function=agent_work.train, dir=self.dir, workers=workers, count=count,
                                lease_seconds=lease, quiet=True)
            except minisweep.AgentError as exc:
                return str(exc)
        return None

    def check_where_runs_ran(self, pids, workers):
        self.assertEqual(set(pids), {os.getpid()})


AGENT = """\
import sys
import minisweep
from tests.agent_work import train
count = int(sys.argv[3]) if len(sys.argv) > 3 else None
minisweep.agent(sys.argv[1], function=train, dir=sys.argv[2], count=count, quiet=True)
"""


class ProcessesTest(AgentContract, TempDirTest):
    """Several Python processes, each running ``agent()`` on the same sweep directory."""

    def run_agents(self, sweep_id, workers=1, count=None, lease=None):
        argv = [sys.executable, "-c", AGENT, sweep_id, self.dir] + ([str(count)] if count is not None else [])
        env = env_with(MINISWEEP_LEASE_SECONDS=lease if lease is not None else "")
        procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  universal_newlines=True) for _ in range(workers)]
        errors = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            if proc.returncode != 0:
                errors.append(err)
        return "\n".join(errors) or None

    def check_where_runs_ran(self, pids, workers):
        self.assertNotIn(os.getpid(), pids)
        self.assertGreater(len(set(pids)), 1)  # the work was shared


@contextlib.contextmanager
def stderr_to_devnull():
    """File descriptor 2 (which child processes inherit) on os.devnull, for the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class ExecutorTest(AgentContract, TempDirTest):
    """``agent(..., executor=ProcessPoolExecutor(N))``: each run sent to a worker process."""

    def run_agents(self, sweep_id, workers=1, count=None, lease=None):
        with stderr_to_devnull():  # the workers inherit it: failed runs' tracebacks, even when quiet
            with concurrent.futures.ProcessPoolExecutor(max(2, workers)) as ex:
                try:
                    minisweep.agent(sweep_id, function=agent_work.train, dir=self.dir, executor=ex,
                                    workers=workers, count=count, lease_seconds=lease, quiet=True)
                except minisweep.AgentError as exc:
                    return str(exc)
        return None

    def check_where_runs_ran(self, pids, workers):
        self.assertNotIn(os.getpid(), pids)


class CommandTest(AgentContract, TempDirTest):
    """Command mode, as ``minisweep agent ID --workers N``: each run is the sweep's program, a child process."""

    def prepare(self, config):
        return dict(config, program=WORK)

    def run_agents(self, sweep_id, workers=1, count=None, lease=None):
        argv = [sys.executable, "-m", "minisweep", "agent", sweep_id, "--dir", self.dir, "--quiet",
                "--workers", str(workers), "--kill-delay", "1"] + (["--count", str(count)] if count else [])
        argv += ["--lease-seconds", str(lease)] if lease is not None else []
        out = subprocess.run(argv, cwd=self.dir, env=env_with(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=120)
        return out.stderr if out.returncode != 0 else None

    def check_where_runs_ran(self, pids, workers):
        self.assertNotIn(os.getpid(), pids)
        self.assertEqual(len(set(pids)), len(pids))  # a process per run



if __name__ == "__main__":
    unittest.main()
