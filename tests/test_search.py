"""next_config: stopping rules, and how bayes reads runs (W&B's state handling)."""

import math
import statistics
import unittest

from minisweep import distributions, next_config, parse_config
from minisweep.runs import Run
from minisweep.search import _Axis, observations, sweep_done


def bayes(goal="minimize", **metric):
    return parse_config({"method": "bayes", "metric": dict({"name": "loss", "goal": goal}, **metric),
                         "parameters": {"x": {"min": 0.0, "max": 1.0}, "c": {"values": ["a", "b", "c"]}}})


def hist(*values):
    return [{"loss": v} for v in values]


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


class ObservationsTest(unittest.TestCase):
    """W&B's _construct_gp_data, state by state."""

    def test_states(self):
        cfg = bayes()
        runs = [Run("f", "finished", {"x": 0.1, "c": "a"}, history=hist(3.0, 1.0, 2.0)),
                Run("g", "finished", {"x": 0.2, "c": "b"}, history=hist(5.0, 4.0)),
                Run("x", "failed", {"x": 0.3, "c": "a"}, history=hist(0.1)),
                Run("k", "crashed", {"x": 0.4, "c": "a"}),
                Run("r", "running", {"x": 0.5, "c": "c"}, history=hist(0.5)),
                Run("p", "pending", {"x": 0.6, "c": "c"})]
        done, ys, flying = observations(cfg, runs)
        # finished: best value; failed/crashed: the worst value any run that is over logged (5.0)
        self.assertEqual([(r.id, y) for r, y in zip(done, ys)], [("f", 1.0), ("g", 4.0), ("x", 5.0), ("k", 5.0)])
        self.assertEqual([r.id for r in flying], ["r", "p"])

    def test_maximize_negates(self):
        cfg = bayes(goal="maximize")
        runs = [Run("f", "finished", {"x": 0.1, "c": "a"}, history=hist(0.5, 0.9, 0.7)),
                Run("x", "killed", {"x": 0.3, "c": "a"})]
        done, ys, _ = observations(cfg, runs)
        self.assertEqual(ys, [-0.9, -0.5])  # best 0.9; killed imputed with the worst (0.5), negated

    def test_impute_best_and_latest(self):
        runs = [Run("f", "finished", {"x": 0.1, "c": "a"}, history=hist(4.0)),
                Run("x", "failed", {"x": 0.3, "c": "a"}, history=hist(3.0, 1.0, 2.0))]
        self.assertEqual(observations(bayes(impute="best"), runs)[1], [4.0, 1.0])
        self.assertEqual(observations(bayes(impute="latest"), runs)[1], [4.0, 2.0])
        # a failed run that logged nothing: 0.0, as W&B
        runs[1] = Run("x", "failed", {"x": 0.3, "c": "a"})
        self.assertEqual(observations(bayes(impute="latest"), runs)[1], [4.0, 0.0])

    def test_impute_while_running(self):
        runs = [Run("r", "running", {"x": 0.5, "c": "c"}, history=hist(0.7, 0.6))]
        done, ys, flying = observations(bayes(impute_while_running="best"), runs)
        self.assertEqual((ys, flying), ([0.6], []))

    def test_finished_without_metric_gets_the_worst(self):
        runs = [Run("a", "finished", {"x": 0.1, "c": "a"}, history=hist(2.0, 9.0)),
                Run("b", "finished", {"x": 0.2, "c": "a"}, history=[{"other": 1}])]
        self.assertEqual(observations(bayes(), runs)[1], [2.0, 9.0])

    def test_non_finite_values_are_ignored(self):
        runs = [Run("a", "finished", {"x": 0.1, "c": "a"}, history=hist(float("nan"), 3.0, float("inf")))]
        self.assertEqual(observations(bayes(), runs)[1], [3.0])


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


class ParameterMappingTest(unittest.TestCase):
    """How bayes maps each distribution to the optimizer's unit cube, and back."""

    def param(self, spec):
        return parse_config({"method": "bayes", "metric": {"name": "loss"}, "parameters": {"p": spec}}, warn=False).params[0]

    SPECS = [
        ({"values": ["a", "b", "c"]}, "cat", 3),
        ({"values": [1, 2], "probabilities": [0.3, 0.7]}, "cat", 2),
        ({"min": 1, "max": 8}, "int", 8),
        ({"distribution": "q_uniform", "min": 0.0, "max": 1.0, "q": 0.25}, "int", 5),
        ({"distribution": "q_uniform", "min": 0, "max": 10, "q": 3}, "int", 4),
        ({"distribution": "q_log_uniform_values", "min": 16, "max": 512, "q": 16}, "int", 32),
        ({"distribution": "q_log_uniform_values", "min": 1e-4, "max": 1.0, "q": 0.1}, "int", 11),
        ({"distribution": "q_log_uniform", "min": 0.0, "max": 3.0, "q": 1}, "int", 20),
        ({"distribution": "q_normal", "mu": 0.0, "sigma": 2.0, "q": 1.0}, "int", 25),
        ({"distribution": "q_log_normal", "mu": 0.0, "sigma": 0.5, "q": 0.5}, "int", 41),
        ({"distribution": "q_beta", "a": 2.0, "b": 2.0, "q": 0.1}, "int", 11),
        ({"distribution": "q_uniform", "min": 0.0, "max": 1.0, "q": 1e-5}, "real", None),
        ({"min": 0.0, "max": 1.0}, "real", None),
        ({"distribution": "log_uniform_values", "min": 1e-5, "max": 1.0}, "real", None),
    ]

    def test_kinds(self):
        for spec, kind, n in self.SPECS:
            with self.subTest(spec=spec):
                dim = _Axis(self.param(spec)).dim
                self.assertEqual((dim.kind, dim.n), (kind, n))

    def test_a_proposal_and_its_run_map_to_the_same_point(self):
        us = [i / 997.0 for i in range(998)]
        for spec, kind, _ in self.SPECS:
            if kind == "real":
                continue
            with self.subTest(spec=spec):
                axis = _Axis(self.param(spec))
                for u in us:
                    value = axis.from_unit(u)
                    self.assertEqual(axis.to_unit(value), axis.dim.snap(u), (u, value))

    def test_levels_are_the_values_a_run_can_take(self):
        import random

        rng = random.Random(0)
        for spec, kind, _ in self.SPECS:
            if kind != "int":
                continue
            with self.subTest(spec=spec):
                p = self.param(spec)
                axis = _Axis(p)
                levels = {axis.from_unit(u) for u in axis.dim.levels()}
                drawn = {distributions.sample(p, rng) for _ in range(3000)}
                self.assertLessEqual(drawn, levels)
                self.assertEqual(len(levels), axis.dim.n)
                self.assertTrue(all(type(v) is type(next(iter(drawn))) for v in levels))

    def test_log_scale_levels_keep_their_geometry(self):
        dim = _Axis(self.param({"distribution": "q_log_uniform_values", "min": 16, "max": 512, "q": 16})).dim
        self.assertEqual(dim.centre(0), 0.0)   # 16
        self.assertAlmostEqual(dim.centre(1), 0.2)  # 32: one doubling of five
        self.assertEqual(dim.centre(31), 1.0)  # 512

    def test_values_off_the_levels_map_to_the_nearest(self):
        axis = _Axis(self.param({"distribution": "q_uniform", "min": 0.0, "max": 1.0, "q": 0.25}))
        self.assertEqual(axis.to_unit(0.3), axis.to_unit(0.25))
        self.assertEqual(axis.to_unit(7.0), axis.to_unit(1.0))
        with self.assertRaises(ValueError):
            axis.to_unit("big")


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
