"""Bayesian search over a sweep: runs as observations (W&B's state handling), parameters as unit-cube axes.

These are the parts of :mod:`minisweep.bayes` between a sweep and :func:`~minisweep.bayes.suggest`
(moved with their code from test_search.py).
"""

import unittest

from minisweep import distributions, parse_config
from minisweep.bayes import Axis, observations
from minisweep.runs import Run


def bayes(goal="minimize", **metric):
    return parse_config({"method": "bayes", "metric": dict({"name": "loss", "goal": goal}, **metric),
                         "parameters": {"x": {"min": 0.0, "max": 1.0}, "c": {"values": ["a", "b", "c"]}}})


def hist(*values):
    return [{"loss": v} for v in values]


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
                dim = Axis(self.param(spec)).dim
                self.assertEqual((dim.kind, dim.n), (kind, n))

    def test_a_proposal_and_its_run_map_to_the_same_point(self):
        us = [i / 997.0 for i in range(998)]
        for spec, kind, _ in self.SPECS:
            if kind == "real":
                continue
            with self.subTest(spec=spec):
                axis = Axis(self.param(spec))
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
                axis = Axis(p)
                levels = {axis.from_unit(u) for u in axis.dim.levels()}
                drawn = {distributions.sample(p, rng) for _ in range(3000)}
                self.assertLessEqual(drawn, levels)
                self.assertEqual(len(levels), axis.dim.n)
                self.assertTrue(all(type(v) is type(next(iter(drawn))) for v in levels))

    def test_log_scale_levels_keep_their_geometry(self):
        dim = Axis(self.param({"distribution": "q_log_uniform_values", "min": 16, "max": 512, "q": 16})).dim
        self.assertEqual(dim.centre(0), 0.0)   # 16
        self.assertAlmostEqual(dim.centre(1), 0.2)  # 32: one doubling of five
        self.assertEqual(dim.centre(31), 1.0)  # 512

    def test_values_off_the_levels_map_to_the_nearest(self):
        axis = Axis(self.param({"distribution": "q_uniform", "min": 0.0, "max": 1.0, "q": 0.25}))
        self.assertEqual(axis.to_unit(0.3), axis.to_unit(0.25))
        self.assertEqual(axis.to_unit(7.0), axis.to_unit(1.0))
        with self.assertRaises(ValueError):
            axis.to_unit("big")


if __name__ == "__main__":
    unittest.main()
