"""Starting points: configs a sweep runs first, then its method carries on from their results."""

import json
import os
import unittest

from minisweep import ConfigError, next_config, parse_config
from minisweep.runs import Run

from tests.support import CommandLineTest, TempDirTest, temp_dir

SPACE = {"lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
         "optimizer": {"values": ["adam", "sgd"]}, "bs": {"value": 32}}


def config(method="random", points=None, parameters=None, **top):
    raw = dict({"method": method, "parameters": parameters or SPACE}, **top)
    if points is not None:
        raw["starting_points"] = points
    return raw


def run_through(cfg, count, loss=lambda c: 0.0, seed=1):
    runs = []
    for k in range(count):
        conf = next_config(cfg, runs, seed=seed)
        if conf is None:
            break
        runs.append(Run("r%d" % k, "finished", conf, history=[{"loss": loss(conf)}]))
    return runs


class OrderTest(unittest.TestCase):
    def test_first_runs_take_the_points_in_order_with_constants_filled(self):
        cfg = config(points=[{"lr": 0.003, "optimizer": "adam"}, {"lr": 0.1, "optimizer": "sgd"}])
        runs = run_through(cfg, 4)
        self.assertEqual([r.config for r in runs[:2]], [{"bs": 32, "lr": 0.003, "optimizer": "adam"},
                                                         {"bs": 32, "lr": 0.1, "optimizer": "sgd"}])
        self.assertNotIn(runs[2].config, [r.config for r in runs[:2]])

    def test_a_point_some_run_already_has_is_not_run_again(self):
        cfg = config(points=[{"lr": 0.003, "optimizer": "adam"}, {"lr": 0.1, "optimizer": "sgd"}])
        runs = [Run("x", "pending", {"lr": 0.1, "optimizer": "sgd", "bs": 32.0})]  # claimed by another agent
        self.assertEqual(next_config(cfg, runs, seed=1), {"bs": 32, "lr": 0.003, "optimizer": "adam"})
        runs.append(Run("y", "failed", {"lr": 0.003, "optimizer": "adam", "bs": 32}))
        self.assertNotIn(next_config(cfg, runs, seed=1)["lr"], (0.003, 0.1))

    def test_grid_skips_the_points_it_started_with(self):
        cfg = config("grid", points=[{"a": 3}, {"a": 1}], parameters={"a": {"values": [1, 2, 3]}})
        self.assertEqual([r.config["a"] for r in run_through(cfg, 10)], [3, 1, 2])

    def test_run_cap_counts_them(self):
        cfg = config(points=[{"lr": 0.003, "optimizer": "adam"}], run_cap=1)
        self.assertEqual(len(run_through(cfg, 5)), 1)

    def test_bayes_carries_on_from_their_results(self):
        """After the starting points, bayes proposes exactly what it would from those runs as ordinary runs."""
        space = {"x": {"min": 0.0, "max": 1.0}, "y": {"min": 0.0, "max": 1.0}}
        points = [{"x": 0.30, "y": 0.70}, {"x": 0.34, "y": 0.66}, {"x": 0.9, "y": 0.1}]

        def loss(c):
            return (c["x"] - 0.32) ** 2 + (c["y"] - 0.68) ** 2

        plain = config("bayes", None, space, metric={"name": "loss"})
        runs = run_through(config("bayes", points, space, metric={"name": "loss"}), 5, loss, seed=3)
        self.assertEqual([r.config for r in runs[:3]], points)
        for k in (3, 4):
            self.assertEqual(runs[k].config, next_config(plain, runs[:k], seed=3))
        self.assertNotEqual(runs[3].config, next_config(plain, [], seed=3, index=3))


class ValidationTest(unittest.TestCase):
    def problems(self, points, method="random", parameters=None):
        with self.assertRaises(ConfigError) as caught:
            parse_config(config(method, points, parameters))
        return {p.key_path: p.message for p in caught.exception.problems}

    def test_refused(self):
        cond = {"opt": {"values": ["a", "b"], "when": {"a": {"beta": {"min": 0.0, "max": 1.0}}}}}
        cases = [
            ([{"lr": 2.0, "optimizer": "adam"}], "random", None, "starting_points.0.lr", "outside the range"),
            ([{"lr": 0.01, "optimizer": "adamw"}], "random", None, "starting_points.0.optimizer", "not one of"),
            ([{"lr": 0.01}], "random", None, "starting_points.0.optimizer", "missing"),
            ([{"lr": 0.01, "optimizer": "sgd", "momentum": 0.9}], "random", None, "starting_points.0.momentum",
             "not a parameter"),
            ([{"lr": "fast", "optimizer": "sgd"}], "random", None, "starting_points.0.lr", "finite number"),
            ([{"lr": 0.01, "optimizer": "sgd", "bs": 64}], "random", None, "starting_points.0.bs", "constant"),
            ({"lr": 0.01}, "random", None, "starting_points", "expected a list"),
            ([], "random", None, "starting_points", "an empty list"),
            (["adam"], "random", None, "starting_points.0", "expected a mapping"),
            ([{"a": 4}], "grid", {"a": {"values": [1, 2, 3]}}, "starting_points.0.a", "not one of"),
            ([{"n": 2.5}], "random", {"n": {"min": 1, "max": 4}}, "starting_points.0.n", "integers"),
            ([{"q": 0.25}], "grid", {"q": {"distribution": "q_uniform", "min": 0, "max": 1, "q": 0.5}},
             "starting_points.0.q", "not a point of the grid"),
            ([{"opt": "b", "beta": 0.5}], "random", cond, "starting_points.0.beta", "active with this"),
            ([{"opt": "a"}], "random", cond, "starting_points.0.beta", "missing"),
        ]
        for points, method, parameters, key_path, words in cases:
            with self.subTest(key_path=key_path, words=words):
                found = self.problems(points, method, parameters)
                self.assertIn(key_path, found)
                self.assertIn(words, found[key_path])

    def test_allowed(self):
        cond = {"opt": {"values": ["a", "b"], "when": {"a": {"beta": {"min": 0.0, "max": 1.0}}}}}
        for points, parameters in [
            ([{"opt": "b"}, {"opt": "a", "beta": 0.5}], cond),
            ([{"g": {"x": 1}}], {"g": {"parameters": {"x": {"values": [1, 2]}}}}),
            ([{"m": -50.0}], {"m": {"distribution": "normal"}}),
            ([{"n": 4.0}], {"n": {"min": 1, "max": 4}}),
        ]:
            with self.subTest(points=points):
                cfg = parse_config(config("random", points, parameters))
                self.assertEqual(len(cfg.starting_points), len(points))

    def test_a_file_error_names_the_line(self):
        path = os.path.join(temp_dir(self), "sweep.yaml")
        with open(path, "w") as f:
            f.write("method: random\nparameters:\n  lr: {min: 0.0, max: 1.0}\nstarting_points:\n"
                    "  - {lr: 0.5}\n  - {lr: 5.0}\n")
        with self.assertRaises(ConfigError) as caught:
            parse_config(path)
        self.assertEqual((caught.exception.key_path, caught.exception.line), ("starting_points.1.lr", 6))

    def test_round_trip(self):
        cfg = parse_config(config(points=[{"lr": 0.01, "optimizer": "sgd"}]))
        again = parse_config(cfg.to_dict())
        self.assertEqual(again.starting_points, cfg.starting_points)
        self.assertIn("starting points ('starting_points')", cfg.extensions)


class CheckTest(CommandLineTest):
    def test_check_labels_the_extension(self):
        path = self.write("s.json", json.dumps(config(points=[{"lr": 0.01, "optimizer": "sgd"}])))
        out = self.cli("check", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        (line,) = [l for l in out.stdout.splitlines() if "not portable to W&B" in l]
        self.assertIn("starting points", line)
        self.assertIn("starting_points: 1", out.stdout)


class AgentTest(TempDirTest):
    def test_the_agent_runs_them_first(self):
        sid = self.sweep(config("bayes", [{"lr": 0.001, "optimizer": "adam"}], metric={"name": "loss"}, run_cap=4))
        self.assertEqual(self.agent(sid, lambda c: c.lr), 4)
        runs = self.load(sid).runs
        self.assertEqual(runs[0].config, {"bs": 32, "lr": 0.001, "optimizer": "adam"})
        self.assertEqual(len({json.dumps(r.config, sort_keys=True) for r in runs}), 4)


if __name__ == "__main__":
    unittest.main()
