"""Issue 11 (agent side): each test reproduces a way a sweep hung, lost a run or ran a point twice.

Every test here failed on the code before its fix.
"""

import os
import tempfile
import threading
import time
import unittest

import minisweep
from minisweep import next_config, parse_config
from minisweep.runs import Run
from minisweep.session import ActiveRun


class TempDirTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def sweep(self, config, **kw):
        return minisweep.sweep(config, project="p", dir=self.dir, seed=kw.pop("seed", 1), **kw)

    def agent(self, sweep_id, function, **kw):
        kw.setdefault("quiet", True)
        return minisweep.agent(sweep_id, function=function, dir=self.dir, **kw)

    def load(self, sweep_id):
        return minisweep.load(sweep_id, dir=self.dir)


# ------------------------------------------------------------------------------ 1. config aliasing


ENVS = {"method": "grid", "parameters": {"env": {"values": [{"name": "cartpole", "steps": 10},
                                                            {"name": "pendulum", "steps": 20}]}}}


class ConfigAliasingTest(TempDirTest):
    def test_a_run_that_mutates_a_nested_value_does_not_rerun_its_point(self):
        sid = self.sweep(ENVS)

        def train():
            minisweep.init()
            minisweep.config["env"]["name"] = "changed by the run"
            minisweep.config["env"]["extra"] = 1
            minisweep.log({"loss": 1.0})

        self.assertEqual(self.agent(sid, train, count=5), 2)
        result = self.load(sid)
        self.assertEqual([r.config["env"]["name"] for r in result.runs], ["cartpole", "pendulum"])
        self.assertEqual(result.state, "finished")

    def test_the_simple_form_mutating_its_config_changes_nothing_recorded(self):
        sid = self.sweep(ENVS)

        def train(config):
            config["env"]["steps"] = -1
            return 0.5

        self.assertEqual(self.agent(sid, train, count=5), 2)
        self.assertEqual([r.config["env"]["steps"] for r in self.load(sid).runs], [10, 20])

    def test_next_config_shares_nothing_with_the_sweep_or_later_answers(self):
        cfg = parse_config(ENVS)
        for method in ("grid", "random"):
            with self.subTest(method=method):
                cfg = parse_config(dict(ENVS, method=method))
                first = next_config(cfg, [], seed=3)
                first["env"]["name"] = "mutated"
                first["env"]["new"] = True
                again = next_config(cfg, [], seed=3)
                self.assertIn(again["env"]["name"], ("cartpole", "pendulum"))
                self.assertNotIn("new", again["env"])
                self.assertEqual([v["name"] for v in cfg.params[0].values], ["cartpole", "pendulum"])

    def test_run_and_active_run_copy_the_config_they_are_given(self):
        config = {"env": {"name": "cartpole"}, "layers": [1, 2]}
        run = Run("r1", "running", config)
        active = ActiveRun("r1", run.config)
        active.config["env"]["name"] = "x"
        active.config["layers"].append(3)
        run.config["env"]["other"] = 1
        self.assertEqual(config, {"env": {"name": "cartpole"}, "layers": [1, 2]})
        self.assertEqual(run.config, {"env": {"name": "cartpole", "other": 1}, "layers": [1, 2]})

    def test_keys_a_run_added_inside_a_dict_value_do_not_make_its_point_look_untaken(self):
        # A run whose recorded config gained a key inside its dict value (a run updating its own
        # config) still holds its point: the grid moves on to the next one.
        cfg = parse_config(ENVS)
        runs = [Run("r0", "finished", {"env": {"name": "cartpole", "steps": 10, "seed": 7}})]
        self.assertEqual(next_config(cfg, runs), {"env": {"name": "pendulum", "steps": 20}})
        runs.append(Run("r1", "finished", {"env": {"name": "pendulum", "steps": 20, "seed": 7}}))
        self.assertIsNone(next_config(cfg, runs))
        # but a changed value is another point
        self.assertEqual(next_config(cfg, [Run("r0", "finished", {"env": {"name": "cartpole", "steps": 11}})]),
                         {"env": {"name": "cartpole", "steps": 10}})


if __name__ == "__main__":
    unittest.main()
