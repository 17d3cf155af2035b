"""agent(..., executor=ex): runs sent to a concurrent.futures executor share the sweep directory."""

import concurrent.futures
import os
import unittest

import minisweep
from minisweep.runner import AgentError
from tests.support import temp_dir


def train(config):
    """Module level, so a process pool can send it to its workers."""
    return {"loss": (config["x"] - 3) ** 2, "pid": os.getpid()}


def always_fails(config):
    raise ValueError("broken on purpose")


class PureExecutor(concurrent.futures.ThreadPoolExecutor):
    """Like Dask's executor: a task with the same function and arguments as an earlier one is not run
    again, its result is reused (Dask takes functions to be pure unless told otherwise)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = {}

    def submit(self, fn, *args, **kwargs):
        key = (fn, args, tuple(sorted(kwargs.items())))
        try:
            hash(key)
        except TypeError:
            return super().submit(fn, *args, **kwargs)
        if key not in self.seen:
            self.seen[key] = super().submit(fn, *args, **kwargs)
        return self.seen[key]


class ExecutorTest(unittest.TestCase):
    """What only executors do (the contract every back-end meets is in test_agent_contract)."""

    def setUp(self):
        self.dir = temp_dir(self)

    def grid(self, n):
        return minisweep.sweep({"method": "grid", "metric": {"name": "loss"},
                                "parameters": {"x": {"values": list(range(n))}}}, dir=self.dir)

    def test_count_and_thread_pool(self):
        sid = self.grid(10)
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            self.assertEqual(minisweep.agent(sid, function=train, dir=self.dir, executor=ex, workers=4, count=6,
                                             quiet=True), 6)
        self.assertEqual(len(minisweep.load(sid, dir=self.dir).runs), 6)

    def test_an_executor_that_reuses_results_of_identical_tasks(self):
        sid = self.grid(6)
        with PureExecutor(2) as ex:
            started = minisweep.agent(sid, function=train, dir=self.dir, executor=ex, workers=2, count=6, quiet=True)
        self.assertEqual(started, 6)
        self.assertEqual(sorted(r.config["x"] for r in minisweep.load(sid, dir=self.dir).runs), list(range(6)))

    def test_unsendable_function_fails_before_any_run(self):
        sid = self.grid(3)
        with concurrent.futures.ProcessPoolExecutor(1) as ex:
            with self.assertRaises(AgentError) as cm:
                minisweep.agent(sid, function=lambda config: 1.0, dir=self.dir, executor=ex, quiet=True)
        self.assertIn("cannot be sent to the executor's workers", str(cm.exception))
        self.assertIn("not a lambda", str(cm.exception))
        self.assertEqual(minisweep.load(sid, dir=self.dir).runs, [])

    def test_first_failures_give_up_with_runs_in_flight(self):
        # (with one run at a time: test_agent_contract)
        sid = minisweep.sweep({"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}}, dir=self.dir)
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            with self.assertRaises(AgentError) as cm:
                import contextlib
                import io

                with contextlib.redirect_stderr(io.StringIO()):
                    minisweep.agent(sid, function=always_fails, dir=self.dir, executor=ex, workers=2, count=50,
                                    quiet=True)
        self.assertIn("the first 5 runs all failed", str(cm.exception))
        self.assertIn("broken on purpose", str(cm.exception))
        self.assertLess(len(minisweep.load(sid, dir=self.dir).runs), 50)


if __name__ == "__main__":
    unittest.main()
