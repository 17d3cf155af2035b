"""next_config: stopping rules, and how bayes reads runs (W&B's state handling)."""

import unittest

from minisweep import next_config, parse_config
from minisweep.runs import Run
from minisweep.search import observations, sweep_done


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


if __name__ == "__main__":
    unittest.main()
