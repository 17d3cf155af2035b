"""Grid search: W&B's order, dedup rules and seen-ness, plus re-running failed points."""

import unittest

from minisweep import next_config, parse_config
from minisweep.grid import next_point, points, size
from minisweep.values import value_key
from minisweep.runs import Run


def grid(parameters, **top):
    return parse_config(dict({"method": "grid", "parameters": parameters}, **top))


def run_all(cfg, limit=1000):
    """Every config the grid proposes, feeding each back as a finished run."""
    runs, out = [], []
    while len(out) < limit:
        conf = next_config(cfg, runs)
        if conf is None:
            return out
        out.append(conf)
        runs.append(Run("r%d" % len(runs), "finished", conf))
    raise AssertionError("grid did not finish")


class OrderTest(unittest.TestCase):
    def test_alphabetical_first_name_slowest(self):
        cfg = grid({"lr": {"values": [0.1, 0.01]}, "bs": {"values": [16, 32, 64]}})
        self.assertEqual(run_all(cfg), [
            {"bs": 16, "lr": 0.1}, {"bs": 16, "lr": 0.01},
            {"bs": 32, "lr": 0.1}, {"bs": 32, "lr": 0.01},
            {"bs": 64, "lr": 0.1}, {"bs": 64, "lr": 0.01}])

    def test_nested_names_depth_first(self):
        cfg = grid({"z": {"values": [1, 2]},
                    "m": {"parameters": {"b": {"values": ["x", "y"]}, "a": {"values": [True, False]}}}})
        got = run_all(cfg)
        self.assertEqual([(c["m"]["a"], c["m"]["b"], c["z"]) for c in got], [
            (True, "x", 1), (True, "x", 2), (True, "y", 1), (True, "y", 2),
            (False, "x", 1), (False, "x", 2), (False, "y", 1), (False, "y", 2)])

    def test_values_order_kept(self):
        cfg = grid({"a": {"values": [3, 1, 2]}})
        self.assertEqual([c["a"] for c in run_all(cfg)], [3, 1, 2])

    def test_constants_in_every_run(self):
        cfg = grid({"a": {"values": [1, 2]}, "c": {"value": "k"}, "d": {"distribution": "constant", "value": [1]}})
        self.assertEqual(run_all(cfg), [{"a": 1, "c": "k", "d": [1]}, {"a": 2, "c": "k", "d": [1]}])
        self.assertEqual(size(cfg), 2)

    def test_only_constants(self):
        cfg = grid({"c": {"value": 1}})
        self.assertEqual(run_all(cfg), [{"c": 1}])


class DiscretisationTest(unittest.TestCase):
    def test_int_uniform_inclusive(self):
        self.assertEqual([c["n"] for c in run_all(grid({"n": {"min": -1, "max": 2}}))], [-1, 0, 1, 2])

    def test_q_uniform_excludes_max(self):
        cfg = grid({"x": {"distribution": "q_uniform", "min": 0, "max": 1, "q": 0.25}})
        self.assertEqual([c["x"] for c in run_all(cfg)], [0.0, 0.25, 0.5, 0.75])

    def test_q_uniform_ints_stay_ints(self):
        cfg = grid({"x": {"distribution": "q_uniform", "min": 0, "max": 10, "q": 5}})
        got = [c["x"] for c in run_all(cfg)]
        self.assertEqual(got, [0, 5])
        self.assertTrue(all(type(v) is int for v in got))

    def test_q_uniform_default_q_gives_floats(self):
        cfg = grid({"x": {"distribution": "q_uniform", "min": 0, "max": 3}})
        got = [c["x"] for c in run_all(cfg)]
        self.assertEqual(got, [0.0, 1.0, 2.0])
        self.assertTrue(all(type(v) is float for v in got))

    def test_q_uniform_steps_like_numpy_arange(self):
        # arange steps by (min + q) - min, so 1 + 3 * 0.30000000000000004
        cfg = grid({"x": {"distribution": "q_uniform", "min": 1, "max": 3, "q": 0.3}})
        got = [c["x"] for c in run_all(cfg)]
        self.assertEqual(len(got), 7)  # ceil((3 - 1) / 0.3)
        self.assertEqual(got[3], 1.9000000000000001)
        self.assertLess(got[-1], 3)

    def test_disallowed_distributions(self):
        for dist, keys in (("uniform", {"min": 0, "max": 1}), ("normal", {}),
                           ("log_uniform_values", {"min": 1, "max": 2}), ("beta", {})):
            with self.subTest(dist=dist):
                with self.assertRaises(ValueError) as cm:
                    grid({"x": dict(keys, distribution=dist)})
                self.assertIn("grid search cannot enumerate distribution '%s'" % dist, str(cm.exception))


class DedupTest(unittest.TestCase):
    def test_value_key(self):
        self.assertEqual(value_key(1), value_key(1.0))
        self.assertNotEqual(value_key(True), value_key(1))
        self.assertNotEqual(value_key(False), value_key(0))
        self.assertNotEqual(value_key("1"), value_key(1))
        self.assertNotEqual(value_key(None), value_key("None"))
        self.assertEqual(value_key({"a": 1, "b": 2}), value_key({"b": 2, "a": 1}))
        self.assertNotEqual(value_key([1, 2]), value_key([2, 1]))
        self.assertEqual(value_key([1, [2.0]]), value_key([1.0, [2]]))

    def test_duplicates_collapse_in_first_position(self):
        cfg = grid({"a": {"values": [2.0, 1, True, 2, "2", {"x": 1, "y": 2}, {"y": 2, "x": 1}]}})
        got = [c["a"] for c in run_all(cfg)]
        # 2.0 and 2 collapse (proposed as 2, the last spelling, in 2.0's place); True and 1 stay distinct
        self.assertEqual(got, [2, 1, True, "2", {"y": 2, "x": 1}])
        self.assertIs(type(got[0]), int)
        self.assertEqual(size(cfg), 5)


    def test_a_list_and_a_tuple_are_two_points(self):
        # issue 11 item 19: W&B keys a grid value by the YAML dump of it (yaml_hash in wandb/sweeps
        # src/sweeps/grid_search.py), and PyYAML dumps a tuple as '!!python/tuple [2, 3]', a list as
        # '[2, 3]': two points.  Each is proposed once, though a run's config stores both as a list.
        cfg = grid({"dims": {"values": [[2, 3], (2, 3)]}, "lr": {"values": [0.1]}})
        self.assertEqual(size(cfg), 2)
        self.assertEqual([p[("dims",)] for p in points(cfg)], [[2, 3], (2, 3)])
        got = run_all(cfg)
        self.assertEqual([c["dims"] for c in got], [[2, 3], (2, 3)])
        # as read back from the store (JSON): both runs hold a list, and the grid is done
        stored = [Run("a", "finished", {"dims": [2, 3], "lr": 0.1}),
                  Run("b", "finished", {"dims": [2, 3], "lr": 0.1})]
        self.assertIsNone(next_point(cfg, stored))
        self.assertEqual(next_point(cfg, stored[:1]), {"dims": (2, 3), "lr": 0.1})


class SeenTest(unittest.TestCase):
    def setUp(self):
        self.cfg = grid({"a": {"values": [1, 2, 3]}})

    def test_every_state_counts_as_seen(self):
        for state in ("pending", "running", "finished", "failed", "crashed", "killed", "stopped"):
            with self.subTest(state=state):
                self.assertEqual(next_config(self.cfg, [Run("r", state, {"a": 1})]), {"a": 2})

    def test_seen_by_value(self):
        self.assertEqual(next_config(self.cfg, [Run("r", "finished", {"a": 1.0})]), {"a": 2})
        self.assertEqual(next_config(self.cfg, [Run("r", "finished", {"a": True})]), {"a": 1})

    def test_out_of_order_runs(self):
        runs = [Run("r0", "finished", {"a": 2}), Run("r1", "finished", {"a": 1})]
        self.assertEqual(next_config(self.cfg, runs), {"a": 3})

    def test_runs_missing_a_parameter_do_not_count(self):
        self.assertEqual(next_config(self.cfg, [Run("r", "finished", {"b": 1})]), {"a": 1})

    def test_constant_changes_do_not_matter(self):
        cfg = grid({"a": {"values": [1, 2]}, "c": {"value": 5}})
        self.assertEqual(next_config(cfg, [Run("r", "finished", {"a": 1, "c": 99})]), {"a": 2, "c": 5})

    def test_exhausted(self):
        runs = [Run(str(v), "finished", {"a": v}) for v in (1, 2, 3)]
        self.assertIsNone(next_config(self.cfg, runs))

    def test_extra_runs_beyond_the_grid(self):
        runs = [Run(str(v), "finished", {"a": v}) for v in (1, 2, 3, 4, 5)]
        self.assertIsNone(next_config(self.cfg, runs))

    def test_run_cap(self):
        cfg = grid({"a": {"values": [1, 2, 3]}}, run_cap=2)
        self.assertEqual(len(run_all(cfg)), 2)

    def test_points_and_size(self):
        cfg = grid({"a": {"values": [1, 2]}, "b": {"min": 1, "max": 3}})
        self.assertEqual(size(cfg), 6)
        self.assertEqual(len(list(points(cfg))), 6)


class RetryFailedTest(unittest.TestCase):
    """Beyond W&B: failed and crashed points can be re-run (wandb#1879)."""

    def setUp(self):
        self.cfg = grid({"a": {"values": [1, 2]}})

    def test_default_is_wandb(self):
        runs = [Run("r0", "failed", {"a": 1}), Run("r1", "finished", {"a": 2})]
        self.assertIsNone(next_point(self.cfg, runs))

    def test_failed_and_crashed_points_rerun(self):
        for state in ("failed", "crashed"):
            with self.subTest(state=state):
                runs = [Run("r0", state, {"a": 1}), Run("r1", "finished", {"a": 2})]
                self.assertEqual(next_config(self.cfg, runs, retry_failed=1), {"a": 1})

    def test_killed_and_stopped_are_not_failures(self):
        for state in ("killed", "stopped"):
            with self.subTest(state=state):
                runs = [Run("r0", state, {"a": 1}), Run("r1", "finished", {"a": 2})]
                self.assertIsNone(next_config(self.cfg, runs, retry_failed=1))

    def test_retry_limit(self):
        runs = [Run("r0", "failed", {"a": 1}), Run("r1", "finished", {"a": 2}),
                Run("r2", "crashed", {"a": 1})]
        self.assertIsNone(next_config(self.cfg, runs, retry_failed=1))
        self.assertEqual(next_config(self.cfg, runs, retry_failed=2), {"a": 1})

    def test_a_success_settles_the_point(self):
        runs = [Run("r0", "failed", {"a": 1}), Run("r1", "finished", {"a": 1}), Run("r2", "finished", {"a": 2})]
        self.assertIsNone(next_config(self.cfg, runs, retry_failed=5))

    def test_a_running_retry_is_not_proposed_again(self):
        runs = [Run("r0", "failed", {"a": 1}), Run("r1", "running", {"a": 1}), Run("r2", "finished", {"a": 2})]
        self.assertIsNone(next_config(self.cfg, runs, retry_failed=5))


if __name__ == "__main__":
    unittest.main()
