"""sweep() and agent() end to end: the quickstarts, workers, processes, crashes, Ctrl-C, hyperband.

What every back-end must do (threads, processes, executor=, command mode) is in test_agent_contract;
here is what only the in-process agent and its separate processes do.
"""

import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import unittest
from pathlib import Path

import minisweep
from minisweep.errors import InvalidIdError, SweepNotFound
from minisweep.runner import AgentError
from minisweep.store import DEFAULT_CLOCK_SKEW
from tests.support import ROOT, TempDirTest, env_with


class QuickstartTest(TempDirTest):
    """Both seed quickstarts, verbatim apart from `import minisweep as wandb`."""

    def run_example(self, name):
        out = subprocess.run([sys.executable, "-m", "examples." + name], cwd=str(ROOT),
                             env=env_with(MINISWEEP_DIR=self.dir), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out

    def only_sweep(self, project):
        (sweep_id,) = os.listdir(os.path.join(self.dir, project))
        return minisweep.load(sweep_id, dir=self.dir)

    def test_random_quickstart(self):
        out = self.run_example("quickstart")
        result = self.only_sweep("my-first-sweep")
        self.assertEqual(len(result.runs), 10)
        self.assertEqual(result.counts(), {"finished": 10})
        for run in result.runs:
            self.assertTrue(0.01 <= run.config["x"] <= 0.1)
            self.assertIn(run.config["y"], (1, 3, 7))
            self.assertAlmostEqual(run.summary["score"], run.config["x"] ** 3 + run.config["y"])
        best = result.best_run()
        self.assertEqual(best.summary["score"], min(r.summary["score"] for r in result.runs))
        self.assertIn("this agent started 10 runs", out.stderr)

    def test_grid_quickstart_without_project(self):
        self.run_example("quickstart_grid")
        result = self.only_sweep("uncategorized")
        self.assertEqual([r.config for r in result.runs], [{"a": 1}, {"a": 2}, {"a": 3}, {"a": 4}])
        self.assertEqual([r.summary for r in result.runs], [{"a": a, "accuracy": a + 1} for a in (1, 2, 3, 4)])
        self.assertEqual(result.state, "finished")
        self.assertEqual(result.best_run().config, {"a": 4})


class AgentInProcessTest(TempDirTest):
    def test_simple_form_receives_config_and_returns_the_metric(self):
        sid = self.sweep({"method": "grid", "metric": {"name": "loss"}, "parameters": {"x": {"values": [3, 1, 2]}}})
        self.assertEqual(self.agent(sid, lambda config: config.x * 10), 3)
        result = minisweep.load(sid, dir=self.dir)
        self.assertEqual([r.summary["loss"] for r in result.runs], [30, 10, 20])
        self.assertEqual(result.best_run().config, {"x": 1})

    def test_returned_dict_is_logged(self):
        sid = self.sweep({"method": "grid", "parameters": {"x": {"values": [1]}}})
        self.agent(sid, lambda config: {"a": config["x"], "b": "text"})
        (run,) = minisweep.load(sid, dir=self.dir).runs
        self.assertEqual(run.history, [{"a": 1, "b": "text"}])

    def test_count_and_run_cap(self):
        sid = self.sweep({"method": "random", "run_cap": 5, "parameters": {"x": {"min": 0.0, "max": 1.0}}})
        self.assertEqual(self.agent(sid, lambda c: 1.0, count=3), 3)
        self.assertEqual(self.agent(sid, lambda c: 1.0, count=10), 2)  # run_cap: 5 in all
        self.assertEqual(len(minisweep.load(sid, dir=self.dir).runs), 5)

    def test_target_ends_the_sweep(self):
        sid = self.sweep({"method": "grid", "metric": {"name": "loss", "target": 0.5},
                          "parameters": {"x": {"values": [1.0, 0.4, 0.1, 0.0]}}})
        self.assertEqual(self.agent(sid, lambda c: c.x), 2)
        self.assertEqual(minisweep.load(sid, dir=self.dir).state, "finished")

    def test_workers_isolate_config(self):
        sid = self.sweep({"method": "grid", "parameters": {"i": {"values": list(range(8))}}})
        barrier = threading.Barrier(4, timeout=10)
        seen = []

        def main():
            minisweep.init(config={"default": 1})
            mine = minisweep.config.i
            if mine < 4:
                barrier.wait()  # the first four runs are all in flight at once
            for step in range(50):
                assert minisweep.config.i == mine, "another run's config leaked in"
                minisweep.log({"i": mine, "step": step})
                time.sleep(0.001)
            seen.append((mine, minisweep.config.default, minisweep.run.summary["i"]))

        self.assertEqual(self.agent(sid, main, workers=4), 8)
        self.assertEqual(sorted(seen), [(i, 1, i) for i in range(8)])
        result = minisweep.load(sid, dir=self.dir)
        for run in result.runs:
            self.assertEqual({row["i"] for row in run.history}, {run.config["i"]})
            self.assertEqual(len(run.history), 50)

    def assertLogs_stderr(self):
        """Swallow the tracebacks a failing run prints, for a quiet test log."""
        test = self

        class Quiet:
            def __enter__(self):
                self.old = sys.stderr
                sys.stderr = open(os.devnull, "w")

            def __exit__(self, *exc):
                sys.stderr.close()
                sys.stderr = self.old
                return False

        del test
        return Quiet()

    def test_max_initial_failures_0_never_gives_up(self):
        # (giving up after the first five failures is in the contract every back-end meets: test_agent_contract)
        sid = self.sweep({"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}})

        def main():
            raise RuntimeError("always")

        with self.assertLogs_stderr():
            self.assertEqual(self.agent(sid, main, count=7, max_initial_failures=0), 7)
        self.assertEqual(minisweep.load(sid, dir=self.dir).counts(), {"failed": 7})

    def test_nan_and_odd_metrics(self):
        sid = self.sweep({"method": "grid", "metric": {"name": "loss"}, "parameters": {"x": {"values": [1, 2, 3]}}})
        values = {1: float("nan"), 2: 0.5, 3: float("-inf")}

        def main():
            minisweep.init()
            minisweep.log({"loss": values[minisweep.config.x], "t": (1, 2), "blob": b"\x00\xff"})

        self.agent(sid, main)
        result = minisweep.load(sid, dir=self.dir)
        losses = [r.summary["loss"] for r in result.runs]
        self.assertTrue(math.isnan(losses[0]))
        self.assertEqual(losses[1:], [0.5, float("-inf")])
        self.assertEqual(result.best_run().config, {"x": 2})  # non-finite values never win
        for path in Path(self.dir).rglob("*.json*"):
            text = path.read_text()
            self.assertNotIn("NaN", text.replace('"nan"', ""), path)
            self.assertNotIn("Infinity", text, path)

    def test_a_run_hyperband_stops_sees_run_stopped_from_log_with_should_stop_set(self):
        # (which runs hyperband stops, and their records, are in the contract: test_agent_contract)
        sid = self.sweep({"method": "grid", "metric": {"name": "loss"},
                          "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 2},
                          "parameters": {"quality": {"values": [1, 2, 3, 10, 20, 30]}}})
        flags = {}

        def main():
            run = minisweep.init()
            q = minisweep.config.quality
            for epoch in range(10):
                try:
                    minisweep.log({"loss": q * (10 - epoch)})  # higher quality number: worse loss
                except minisweep.RunStopped:
                    flags[q] = run.should_stop
                    raise

        self.agent(sid, main)
        stopped = {r.config["quality"] for r in minisweep.load(sid, dir=self.dir).runs if r.state == "stopped"}
        self.assertTrue(stopped)
        self.assertEqual(flags, {q: True for q in stopped})

    def test_returns_0_on_a_stopped_sweep(self):
        # (that a stopped sweep starts nothing is in the contract: test_agent_contract)
        from minisweep.api import open_store

        sid = self.sweep({"method": "grid", "parameters": {"x": {"values": [1, 2]}}})
        open_store(sid, "p", self.dir).set_state("stopped")
        self.assertEqual(self.agent(sid, lambda c: 1), 0)

    def test_paused_sweep_waits(self):
        from minisweep.api import open_store

        sid = self.sweep({"method": "grid", "parameters": {"x": {"values": [1, 2]}}})
        store = open_store(sid, "p", self.dir)
        store.set_state("paused")
        naps = []

        def sleep(seconds):  # the fake sleep resumes the sweep on the third nap
            naps.append(seconds)
            if len(naps) == 3:
                store.set_state("running")

        self.assertEqual(self.agent(sid, lambda c: 1, sleep=sleep, poll_seconds=7), 2)
        self.assertEqual(naps, [7, 7, 7])

    def test_bad_arguments(self):
        sid = self.sweep({"method": "grid", "parameters": {"x": {"values": [1]}}})
        with self.assertRaises(minisweep.ConfigError) as cm:  # no function: the program runs, and there is none
            minisweep.agent(sid, dir=self.dir)
        self.assertEqual(str(cm.exception), "program: the sweep's command uses ${program} but the config has no "
                                            "'program'")
        with self.assertRaises(AgentError):
            minisweep.agent(sid, function=42, dir=self.dir)
        with self.assertRaises(SweepNotFound):
            self.agent("nosuchid", lambda: None)
        for hostile in ("../x", "/etc", "a/b", "..", "", "x\x00y"):
            with self.subTest(hostile=hostile):
                with self.assertRaises((InvalidIdError, SweepNotFound)):
                    self.agent(hostile, lambda: None)
                with self.assertRaises(InvalidIdError):
                    minisweep.sweep({"method": "grid", "parameters": {"x": {"values": [1]}}},
                                    project=hostile or "..", dir=self.dir)
        self.assertEqual(sorted(os.listdir(self.dir)), ["p"])  # nothing written elsewhere

    def test_lease_from_the_environment(self):
        from minisweep.runner import _lease_seconds

        old = os.environ.get("MINISWEEP_LEASE_SECONDS")
        try:
            os.environ["MINISWEEP_LEASE_SECONDS"] = "2.5"
            self.assertEqual(_lease_seconds(None), 2.5)
            self.assertEqual(_lease_seconds(9), 9.0)
            os.environ["MINISWEEP_LEASE_SECONDS"] = "soon"
            with self.assertRaises(AgentError):
                _lease_seconds(None)
        finally:
            if old is None:
                os.environ.pop("MINISWEEP_LEASE_SECONDS", None)
            else:
                os.environ["MINISWEEP_LEASE_SECONDS"] = old


WORKER = textwrap.dedent("""\
    import os, sys, time
    import minisweep

    def main():
        minisweep.init()
        time.sleep(float(os.environ.get("WORK_SECONDS", "0")))
        minisweep.log({"loss": minisweep.config.a + minisweep.config.b, "pid": os.getpid()})

    minisweep.agent(sys.argv[1], function=main, dir=sys.argv[2], quiet=True)
    """)


class ProcessesTest(TempDirTest):
    """Crashes and Ctrl-C in separate agent processes (sharing a grid is in test_agent_contract)."""

    def spawn(self, sweep_id, **env):
        script = os.path.join(self.dir, "worker.py")
        if not os.path.exists(script):
            with open(script, "w") as fh:
                fh.write(WORKER)
        return subprocess.Popen([sys.executable, script, sweep_id, os.path.join(self.dir, "store")],
                                env=env_with(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True)

    def wait_until_running(self, sid, store):
        """Block until the sweep's first run is running (its agent is inside the function)."""
        deadline = time.time() + 30
        while time.time() < deadline:
            runs = minisweep.load(sid, dir=store).runs
            if runs and runs[0].state == "running":
                return
            time.sleep(0.05)
        self.fail("the agent never started a run")

    def grid(self, n):
        return minisweep.sweep({"method": "grid", "metric": {"name": "loss"},
                                "parameters": {"a": {"values": list(range(n))}, "b": {"values": [0, 100]}}},
                               project="p", dir=os.path.join(self.dir, "store"))

    def test_killed_agent_run_becomes_crashed_and_the_sweep_carries_on(self):
        sid = self.grid(3)
        store = os.path.join(self.dir, "store")
        victim = self.spawn(sid, WORK_SECONDS=60, MINISWEEP_LEASE_SECONDS=0.5)
        self.wait_until_running(sid, store)
        os.kill(victim.pid, signal.SIGKILL)
        victim.communicate(timeout=30)
        # past the lease plus the clock-skew allowance a one-shot reader grants other hosts
        time.sleep(0.5 + DEFAULT_CLOCK_SKEW + 0.3)
        runs = minisweep.load(sid, dir=store).runs
        self.assertEqual([r.state for r in runs], ["crashed"])  # readers see it before anyone rewrites it
        survivor = self.spawn(sid, MINISWEEP_LEASE_SECONDS=0.5)
        out, err = survivor.communicate(timeout=120)
        self.assertEqual(survivor.returncode, 0, err)
        result = minisweep.load(sid, dir=store)
        self.assertEqual(result.counts(), {"crashed": 1, "finished": 5})
        crashed = [r for r in result.runs if r.state == "crashed"][0]
        self.assertEqual(crashed.config, {"a": 0, "b": 0})  # W&B: a crashed point counts as seen

    def test_ctrl_c_marks_the_run_killed(self):
        sid = self.grid(3)
        store = os.path.join(self.dir, "store")
        proc = self.spawn(sid, WORK_SECONDS=60)
        self.wait_until_running(sid, store)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("KeyboardInterrupt", err)
        runs = minisweep.load(sid, dir=store).runs
        self.assertEqual([r.state for r in runs], ["killed"])  # nothing left running, no new run started


if __name__ == "__main__":
    unittest.main()
