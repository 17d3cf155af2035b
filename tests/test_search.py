"""next_config: stopping rules, and Bayesian search through it (see test_bayes_runs for its parts)."""

import math
import statistics
import unittest

from minisweep import next_config, parse_config
from minisweep.runs import Run
from minisweep.search import sweep_done


class StoppingRulesTest(unittest.TestCase):
    def test_run_cap_counts_every_run(self):
        cfg = parse_config({"method": "random", "run_cap": 3, "parameters": {"x": {"min": 0.0, "max": 1.0}}})
        runs = [Run("a", "failed", {"x": 0.5}), Run("b", "running", {"x": 0.5})]
        self.assertIsNotNone(next_config(cfg, runs, seed=0))
        runs.append(Run("c", "pending", {"x": 0.1}))
        self.assertIsNone(next_config(cfg, runs, seed=0))
        self.assertEqual(sweep_done(cfg, runs), "run_cap 3 reached")

    def test_target_minimize_and_maximize(self):
        for goal, good, bad in (("minimize", 0.05, 0.2), ("maximize", 0.95, 0.8)):
            with self.subTest(goal=goal):
                cfg = parse_config({"method": "random", "metric": {"name": "acc", "goal": goal,
                                                                    "target": 0.1 if goal == "minimize" else 0.9},
                                    "parameters": {"x": {"min": 0.0, "max": 1.0}}})
                self.assertIsNotNone(next_config(cfg, [Run("r", "finished", history=[{"acc": bad}])], seed=0))
                self.assertIsNone(next_config(cfg, [Run("r", "finished", history=[{"acc": good}])], seed=0))
                # a running or failed run that touched the target does not end the sweep
                self.assertIsNotNone(next_config(cfg, [Run("r", "running", history=[{"acc": good}])], seed=0))
                self.assertIsNotNone(next_config(cfg, [Run("r", "failed", history=[{"acc": good}])], seed=0))

    def test_target_reached_exactly(self):
        cfg = parse_config({"method": "random", "metric": {"name": "l", "target": 0.5},
                            "parameters": {"x": {"value": 1}}})
        self.assertIn("reached the target", sweep_done(cfg, [Run("r7", "finished", history=[{"l": 0.5}])]))


class BayesNextConfigTest(unittest.TestCase):
    def test_in_range_and_deterministic(self):
        cfg = parse_config({"method": "bayes", "metric": {"name": "loss"}, "parameters": {
            "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
            "n": {"min": 1, "max": 8},
            "opt": {"values": ["adam", "sgd"]},
            "q": {"distribution": "q_log_uniform_values", "min": 16, "max": 512, "q": 16},
            "k": {"value": "const"}}})
        runs = []
        for i in range(8):
            conf = next_config(cfg, runs, seed=3)
            self.assertEqual(conf, next_config(cfg, runs, seed=3))
            self.assertTrue(1e-5 <= conf["lr"] <= 1e-1)
            self.assertIn(conf["n"], range(1, 9))
            self.assertIsInstance(conf["n"], int)
            self.assertIn(conf["opt"], ("adam", "sgd"))
            self.assertEqual(conf["q"] % 16, 0)
            self.assertIsInstance(conf["q"], int)  # q given as an int
            self.assertEqual(conf["k"], "const")
            runs.append(Run(str(i), "finished", conf, history=[{"loss": conf["lr"] * conf["n"]}]))

    def test_pending_runs_are_fantasies(self):
        cfg = parse_config({"method": "bayes", "metric": {"name": "loss"},
                            "parameters": {"x": {"min": 0.0, "max": 1.0}, "y": {"min": 0.0, "max": 1.0}}})
        runs = [Run(str(i), "finished", {"x": x, "y": y}, history=[{"loss": (x - 0.3) ** 2 + (y - 0.6) ** 2}])
                for i, (x, y) in enumerate([(0.1, 0.1), (0.9, 0.9), (0.3, 0.7), (0.5, 0.5), (0.2, 0.5)])]
        first = next_config(cfg, runs, seed=1)
        second = next_config(cfg, runs + [Run("p", "running", first)], seed=1)
        self.assertNotEqual(first, second)

    def test_nested_parameters(self):
        cfg = parse_config({"method": "bayes", "metric": {"name": "loss"}, "parameters": {
            "opt": {"parameters": {"lr": {"min": 0.0, "max": 1.0}, "name": {"values": ["a", "b"]}}}}})
        runs = []
        for i in range(4):
            conf = next_config(cfg, runs, seed=0)
            self.assertEqual(sorted(conf), ["opt"])
            runs.append(Run(str(i), "finished", conf, history=[{"loss": conf["opt"]["lr"]}]))

    def test_only_constants(self):
        cfg = parse_config({"method": "bayes", "metric": {"name": "loss"}, "parameters": {"k": {"value": 1}}})
        self.assertEqual(next_config(cfg, [], seed=0), {"k": 1})


class DiscreteSpaceTest(unittest.TestCase):
    def test_never_repeats_a_config_while_an_unseen_one_exists(self):
        cfg = parse_config({"method": "bayes", "metric": {"name": "loss"}, "parameters": {
            "n": {"min": 1, "max": 3},
            "opt": {"values": ["a", "b"]},
            "q": {"distribution": "q_uniform", "min": 0.0, "max": 1.0, "q": 0.5},
            "b": {"distribution": "q_log_uniform_values", "min": 16, "max": 32, "q": 16}}})
        runs, seen = [], set()
        for i in range(24):  # 3 * 2 * 3 * 2 configs in all
            conf = next_config(cfg, runs, seed=5)
            key = (conf["n"], conf["opt"], conf["q"], conf["b"])
            self.assertNotIn(key, seen, i)
            seen.add(key)
            loss = conf["n"] + (conf["opt"] == "b") + conf["q"] + conf["b"] / 16
            runs.append(Run(str(i), "finished", conf, history=[{"loss": loss}]))
        self.assertIsNotNone(next_config(cfg, runs, seed=5))  # exhausted: still answers


# A small "training run": each optimizer has its own best learning rate.
MIXED = {"lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1},
         "opt": {"values": ["sgd", "adam", "rmsprop"]},
         "layers": {"min": 1, "max": 6},
         "batch": {"distribution": "q_log_uniform_values", "min": 16, "max": 256, "q": 16}}
_BASE = {"sgd": 0.1, "adam": 0.0, "rmsprop": 0.05}
_BEST_LOG_LR = {"sgd": -1.5, "adam": -3.0, "rmsprop": -3.5}


def mixed_loss(c):
    return (_BASE[c["opt"]] + 0.1 * (math.log10(c["lr"]) - _BEST_LOG_LR[c["opt"]]) ** 2
            + 0.01 * (c["layers"] - 4) ** 2 + 0.02 * math.log2(c["batch"] / 64) ** 2)


def best_of(method, seed, trials):
    cfg = parse_config({"method": method, "metric": {"name": "loss"}, "parameters": MIXED})
    runs = []
    for t in range(trials):
        conf = next_config(cfg, runs, seed=seed)
        runs.append(Run(str(t), "finished", conf, history=[{"loss": mixed_loss(conf)}]))
    return min(r.history[0]["loss"] for r in runs)


class BayesQualityTest(unittest.TestCase):
    def test_beats_random_on_a_mixed_problem(self):
        seeds = range(5)
        ours = [best_of("bayes", s, 20) for s in seeds]
        rnd = [best_of("random", s, 20) for s in seeds]
        # Typically ours ~1e-4 (the right optimizer, lr within a few percent) and random ~0.05.
        self.assertLess(statistics.median(ours), 0.2 * statistics.median(rnd), (ours, rnd))
        self.assertGreaterEqual(sum(a < b for a, b in zip(ours, rnd)), 4, (ours, rnd))


if __name__ == "__main__":
    unittest.main()
