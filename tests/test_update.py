"""Changing a sweep after it started (sweep --update, update()) and resuming a finished one (--resume, resume())."""

import concurrent.futures
import json
import re
import threading
import unittest
from unittest import mock

import minisweep
from minisweep import ConfigError, parse_config
from minisweep.api import resume, update
from minisweep.store import SweepStore
from minisweep.update import refusals

from tests.support import CommandLineTest, TempDirTest

GRID = {"method": "grid", "metric": {"name": "loss"}, "parameters": {"a": {"values": [1, 2]}, "c": {"value": 0}}}
BAYES = {"method": "bayes", "metric": {"name": "loss"}, "run_cap": 3,
         "parameters": {"x": {"min": 0.0, "max": 1.0}, "n": {"min": 1, "max": 4}, "opt": {"values": ["a", "b"]}}}


def changed(base, **top):
    out = json.loads(json.dumps(base))
    for key, value in top.items():
        if key == "parameters_update":
            for name, spec in value.items():
                if spec is None:
                    del out["parameters"][name]
                else:
                    out["parameters"][name] = spec
        else:
            out[key] = value
    return out


class RefusalsTest(unittest.TestCase):
    def test_allowed_once_runs_exist(self):
        cases = [
            changed(BAYES, run_cap=10), changed(BAYES, run_cap=1), changed(BAYES, name="renamed", program="t.py"),
            changed(BAYES, metric={"name": "loss", "target": 0.1}),
            changed(BAYES, parameters_update={"x": {"min": -1.0, "max": 2.0}}),
            changed(BAYES, parameters_update={"opt": {"values": ["b", "a", "c"]}}),
            changed(BAYES, parameters_update={"opt": {"values": ["a", "b", "c"], "when": {"c": {"k": {"value": 1}}}}}),
        ]
        old = parse_config(BAYES)
        for new in cases:
            with self.subTest(new=new):
                self.assertEqual(refusals(old, parse_config(new), 3), [])

    def test_refused_once_runs_exist(self):
        cases = [
            (changed(BAYES, method="random"), "method"),
            (changed(BAYES, metric={"name": "acc"}), "metric"),
            (changed(BAYES, metric={"name": "loss", "goal": "maximize"}), "metric"),
            (changed(BAYES, parameters_update={"x": {"min": 0.5, "max": 1.0}}), "parameters.x.min"),
            (changed(BAYES, parameters_update={"x": {"min": 0.0, "max": 0.5}}), "parameters.x.max"),
            (changed(BAYES, parameters_update={"x": {"distribution": "log_uniform_values", "min": 0.1, "max": 1.0}}),
             "parameters.x: distribution"),
            (changed(BAYES, parameters_update={"opt": {"values": ["a"]}}), "parameters.opt.values"),
            (changed(BAYES, parameters_update={"n": None}), "parameters.n: removed"),
            (changed(BAYES, parameters_update={"z": {"values": [1]}}), "parameters.z: added"),
            (changed(BAYES, parameters_update={"opt": {"values": ["a", "b"], "when": {"a": {"k": {"value": 1}}}}}),
             "parameters.opt.when.a.k: added"),
            (changed(GRID, parameters_update={"c": {"value": 1}}), "parameters.c.value"),
        ]
        for new, start in cases:
            with self.subTest(start=start):
                base = GRID if "c" in new["parameters"] else BAYES
                found = refusals(parse_config(base), parse_config(new), 1)
                self.assertTrue(any(r.startswith(start) for r in found), found)

    def test_anything_goes_before_the_first_run(self):
        self.assertEqual(refusals(parse_config(BAYES), parse_config(GRID), 0), [])


class UpdateResumeTest(TempDirTest):
    def test_a_finished_grid_that_gained_a_value_runs_only_the_new_point(self):
        sid = self.sweep(GRID)
        self.assertEqual(self.agent(sid, lambda c: c.a), 2)
        self.assertEqual(self.load(sid).state, "finished")
        self.assertEqual(update(sid, changed(GRID, parameters_update={"a": {"values": [1, 2, 3]}}), dir=self.dir),
                         ["parameters"])
        self.assertEqual(resume(sid, dir=self.dir), "finished")
        self.assertEqual(self.agent(sid, lambda c: c.a), 1)
        result = self.load(sid)
        self.assertEqual([r.config["a"] for r in result.runs], [1, 2, 3])
        self.assertEqual(result.state, "finished")

    def test_a_bayes_sweep_given_a_bigger_run_cap_carries_on(self):
        sid = self.sweep(BAYES)
        self.assertEqual(self.agent(sid, lambda c: c.x), 3)
        update(sid, changed(BAYES, run_cap=5), dir=self.dir)
        resume(sid, dir=self.dir)
        self.assertEqual(self.agent(sid, lambda c: c.x), 2)
        self.assertEqual(len(self.load(sid).runs), 5)
        self.assertEqual(self.load(sid).config.run_cap, 5)

    def test_an_unsafe_change_is_refused_and_nothing_is_written(self):
        sid = self.sweep(BAYES)
        self.agent(sid, lambda c: c.x, count=1)
        with self.assertRaises(ConfigError) as caught:
            update(sid, changed(BAYES, method="random", parameters_update={"x": {"min": 0.2, "max": 1.0}}),
                   dir=self.dir)
        self.assertEqual([p.key_path for p in caught.exception.problems], ["method", "parameters.x.min"])
        self.assertIn("cannot change once runs exist (1)", str(caught.exception))
        self.assertEqual(self.load(sid).config.method, "bayes")

    def test_before_any_run_anything_valid_goes(self):
        sid = self.sweep(BAYES)
        update(sid, GRID, dir=self.dir)
        self.assertEqual(self.agent(sid, lambda c: c.a), 2)

    def test_prior_runs_are_kept(self):
        old = self.sweep(GRID)
        self.agent(old, lambda c: c.a, count=1)
        sid = self.sweep(GRID, prior_runs=[old])
        update(sid, changed(GRID, run_cap=5), dir=self.dir)
        self.assertEqual(len(self.load(sid).config.prior_runs), 1)


class ConcurrentUpdateTest(TempDirTest):
    def test_an_update_is_checked_against_the_config_another_update_just_wrote(self):
        # Two people update at once. The second one's file was written from the sweep as it was (values
        # [1, 2]); by the time it lands, the first has added 3, which a run may hold by then. It must be
        # checked against the config the first left, and refused for removing 3, not checked against the
        # config it started from and allowed to drop 3 silently.
        sid = self.sweep(GRID)
        self.agent(sid, lambda c: c.a, count=1)
        first = changed(GRID, parameters_update={"a": {"values": [1, 2, 3]}})
        second = changed(GRID, parameters_update={"a": {"values": [1, 2, 4]}})
        real = SweepStore.update_config
        raced = []

        def first_lands_meanwhile(store, *args, **kwargs):
            if not raced:  # the second update has opened the store and parsed its config: now the first lands
                raced.append(True)
                worker = threading.Thread(target=update, args=(sid, first), kwargs={"dir": self.dir})
                worker.start()
                worker.join()
            return real(store, *args, **kwargs)

        with mock.patch.object(SweepStore, "update_config", first_lands_meanwhile):
            with self.assertRaises(ConfigError) as caught:
                update(sid, second, dir=self.dir)
        self.assertIn("parameters.a.values", str(caught.exception))
        self.assertIn("3 removed", str(caught.exception))
        self.assertEqual(self.load(sid).config.raw["parameters"]["a"]["values"], [1, 2, 3])


class RunningAgentTest(TempDirTest):
    """An update reaches an agent that is already running, at its next claim, without a restart."""

    def updating_on_first_run(self, sid, new, result):
        """A run function that updates the sweep while its first run is in flight, as another terminal would."""
        done = []

        def train(c):
            if not done:
                done.append(update(sid, new, dir=self.dir))
            return result(c)
        return train

    def test_a_running_grid_agent_runs_a_value_added_mid_sweep(self):
        sid = self.sweep(GRID)
        train = self.updating_on_first_run(sid, changed(GRID, parameters_update={"a": {"values": [1, 2, 3]}}),
                                           lambda c: c.a)
        self.assertEqual(self.agent(sid, train), 3)
        result = self.load(sid)
        self.assertEqual([r.config["a"] for r in result.runs], [1, 2, 3])
        self.assertEqual(result.state, "finished")

    def test_a_running_bayes_agent_carries_on_past_the_old_run_cap(self):
        sid = self.sweep(BAYES)
        train = self.updating_on_first_run(sid, changed(BAYES, run_cap=5), lambda c: c.x)
        self.assertEqual(self.agent(sid, train), 5)
        self.assertEqual(len(self.load(sid).runs), 5)

    def test_a_lower_run_cap_stops_a_running_agent_early(self):
        sid = self.sweep(changed(BAYES, method="random", run_cap=6))
        train = self.updating_on_first_run(sid, changed(BAYES, method="random", run_cap=2), lambda c: c.x)
        self.assertEqual(self.agent(sid, train, workers=1), 2)

    def test_an_executor_worker_sees_the_update(self):
        # a worker keeps its store open between tasks (distributed._open): that store must not keep the old config
        sid = self.sweep(GRID)
        train = self.updating_on_first_run(sid, changed(GRID, parameters_update={"a": {"values": [1, 2, 3]}}),
                                           lambda c: c["a"])
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            self.assertEqual(self.agent(sid, train, executor=ex, workers=1), 3)
        self.assertEqual(sorted(r.config["a"] for r in self.load(sid).runs), [1, 2, 3])


class CommandLineUpdateTest(CommandLineTest):
    def test_update_program_and_resume_from_the_command_line(self):
        path = self.write("g.json", json.dumps(GRID))
        out = self.cli("sweep", path, "--dir", self.store)
        sid = re.search(r"created sweep (\w+)", out.stdout).group(1)
        minisweep.agent(sid, function=lambda c: c.a, dir=self.store, quiet=True)
        bigger = self.write("g2.json", json.dumps(changed(GRID, parameters_update={"a": {"values": [1, 2, 3]}})))
        out = self.cli("sweep", "--update", sid, "--program", "train2.py", bigger, "--dir", self.store)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("config updated (parameters, program)", out.stdout)
        self.assertEqual(self.load(sid).config.program, "train2.py")
        out = self.cli("sweep", "--resume", sid, "--dir", self.store)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("finished -> running", out.stdout)
        narrower = self.write("g3.json", json.dumps(changed(GRID, parameters_update={"a": {"values": [1]}})))
        out = self.cli("sweep", "--update", sid, narrower, "--dir", self.store)
        self.assertEqual(out.returncode, 2)
        self.assertIn("parameters.a.values", out.stderr)
        self.assertNotIn("Traceback", out.stderr)

    def test_a_running_command_line_agent_runs_the_value_added_by_sweep_update(self):
        # run 1's program runs `minisweep sweep --update` itself, as a user would from another terminal
        new = dict(changed(GRID, parameters_update={"a": {"values": [1, 2, 3]}}), program="train.py")
        bigger = self.write("g2.json", json.dumps(new))
        self.write("train.py", "import os, subprocess, sys\n"
                               "if '--a=1' in sys.argv:\n"
                               "    subprocess.check_call([sys.executable, '-m', 'minisweep', 'sweep', '--update', "
                               "os.environ['WANDB_SWEEP_ID'], %r, '--dir', %r])\n"
                               "print('loss=1')\n" % (bigger, self.store))
        sid = minisweep.sweep(dict(GRID, program="train.py"), project="p", dir=self.store, seed=1)
        out = self.cli("agent", sid, "--dir", self.store)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual([r.config["a"] for r in self.load(sid).runs], [1, 2, 3])


if __name__ == "__main__":
    unittest.main()
