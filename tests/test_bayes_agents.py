"""Several agents on one bayes sweep: the GP works outside the claim lock (issue 16, issue 11 item 12)."""

import threading
import unittest
from unittest import mock

import minisweep
from minisweep import bayes, search
from minisweep.runs import Run
from tests.support import temp_dir


class RecheckTest(unittest.TestCase):
    """What an agent does under the lock with a suggestion it computed before taking it."""

    cfg = {"method": "bayes", "metric": {"name": "loss"}, "parameters": {"x": {"values": [1, 2, 3]}}}

    def test_verdicts(self):
        seen = [Run("a", "finished", {"x": 1}, history=[{"loss": 1.0}])]
        later = [Run("a", "finished", {"x": 1}, history=[{"loss": 1.0}]), Run("b", "running", {"x": 3})]
        cases = [
            ("nothing changed", self.cfg, {"x": 2}, seen, "claim"),
            ("another agent claimed another config", self.cfg, {"x": 2}, later, "claim"),
            ("another agent claimed the same config", self.cfg, {"x": 3}, later, "again"),
            ("the draft repeats a run it saw (an exhausted space)", self.cfg, {"x": 1}, later, "claim"),
            ("run_cap reached meanwhile", dict(self.cfg, run_cap=2), {"x": 2}, later, "done"),
            ("nothing left when the draft was made", self.cfg, None, seen, "done"),
        ]
        for what, cfg, draft, runs, expected in cases:
            with self.subTest(what):
                self.assertEqual(search.recheck(cfg, draft, seen, runs), expected)

    def test_target_reached_meanwhile(self):
        cfg = dict(self.cfg, metric={"name": "loss", "target": 0.5})
        seen = [Run("a", "finished", {"x": 1}, history=[{"loss": 1.0}])]
        runs = seen + [Run("b", "finished", {"x": 3}, history=[{"loss": 0.1}])]
        self.assertEqual(search.recheck(cfg, {"x": 2}, seen, runs), "done")


class ConcurrentAgentsTest(unittest.TestCase):
    AGENTS = 3

    def setUp(self):
        self.dir = temp_dir(self)

    def test_agents_compute_suggestions_at_the_same_time(self):
        # Every agent's first GP suggestion waits at a barrier for the others'.
        # Had the suggestion been computed under the claim lock, only one agent
        # could reach it at a time and the barrier would break.
        config = {"method": "bayes", "metric": {"name": "loss", "goal": "minimize"},
                  "parameters": {"x": {"min": 0.0, "max": 1.0}, "opt": {"values": ["a", "b", "c"]}}}
        sid = minisweep.sweep(config, project="p", dir=self.dir, seed=3)
        # Two finished runs, so that the agents' suggestions need the GP.
        minisweep.agent(sid, function=lambda c: (c.x - 0.3) ** 2, count=2, dir=self.dir, quiet=True)
        barrier = threading.Barrier(self.AGENTS, timeout=10)
        met = []
        real = bayes.suggest
        first = threading.local()

        def suggest(*args, **kwargs):
            if not getattr(first, "done", False):
                first.done = True
                met.append(barrier.wait() is not None)
            return real(*args, **kwargs)

        counts = []
        errors = []

        def one_agent():
            try:
                counts.append(minisweep.agent(sid, function=lambda c: (c.x - 0.3) ** 2 + (c.opt != "b"),
                                              count=4, dir=self.dir, quiet=True))
            except BaseException as exc:  # noqa: BLE001  (reported below)
                errors.append(exc)

        with mock.patch.object(bayes, "suggest", side_effect=suggest):
            threads = [threading.Thread(target=one_agent) for _ in range(self.AGENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(len(met), self.AGENTS)
        self.assertEqual(counts, [4] * self.AGENTS)
        self.check_runs(sid, 2 + 4 * self.AGENTS)

    def check_runs(self, sid, expected):
        from minisweep.api import open_store

        store = open_store(sid, "p", self.dir)
        try:
            runs = store.runs()
        finally:
            store.close()
        self.assertEqual(len(runs), expected)
        self.assertTrue(all(r.state == "finished" for r in runs), [r.state for r in runs])
        configs = [(round(r.config["x"], 12), r.config["opt"]) for r in runs]
        self.assertEqual(len(set(configs)), len(configs))


if __name__ == "__main__":
    unittest.main()
