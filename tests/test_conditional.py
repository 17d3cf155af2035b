"""Conditional parameters ('when'): the form, its validation, and what grid, random and bayes make of it.

The property tests build seeded random conditional trees and compare the grid with a brute-force
oracle written here from the rules alone: every assignment of every parameter (or "absent") is tried,
and one is valid when exactly the parameters whose conditions hold have a value.
"""

import itertools
import json
import os
import random
import unittest

from minisweep import ConfigError, next_config, parse_config
from minisweep.conditionalbayes import arms
from minisweep.grid import size
from minisweep.runs import Run

from tests.support import CommandLineTest, TempDirTest, temp_dir, warnings_are_errors

OPTIMIZERS = {
    "batch_size": {"values": [32, 64]},
    "optimizer": {
        "values": ["adam", "sgd", "lbfgs"],
        "when": {
            "adam": {"beta1": {"values": [0.9, 0.99]}},
            "sgd": {"lr": {"values": [0.1, 0.01]}, "momentum": {"values": [0.0, 0.9]}},
        },
    },
}


def sweep(parameters, method="grid", **top):
    return parse_config(dict({"method": method, "parameters": parameters}, **top))


def run_grid(cfg, limit=1000):
    """Every config the grid proposes, each fed back as a finished run."""
    runs, out = [], []
    while len(out) < limit:
        conf = next_config(cfg, runs)
        if conf is None:
            return out
        out.append(conf)
        runs.append(Run("r%d" % len(runs), "finished", conf))
    raise AssertionError("grid did not finish")


def canon(config):
    return json.dumps(config, sort_keys=True)


# ------------------------------------------------------------------------------ random trees


class TreeMaker:
    """Seeded random conditional parameter trees that are valid by construction.

    Names at one config level are unique, except that branches of one parent
    draw from a small pool of their own, so the same name often appears in
    two branches (allowed: they never meet).
    """

    def __init__(self, rng):
        self.rng = rng
        self.counter = 0
        self.leaves = 0

    def fresh(self, prefix="p"):
        self.counter += 1
        return "%s%d" % (prefix, self.counter)

    def values(self):
        n = self.rng.randint(1, 3)
        kind = self.rng.choice(["int", "str", "mixed"])
        pool = {"int": [0, 1, 2, 3, 5], "str": ["a", "b", "c", "d"], "mixed": [1, "x", True, None, 2.5]}[kind]
        return self.rng.sample(pool, n)

    def leaf(self):
        self.leaves += 1
        r = self.rng.random()
        if r < 0.15:
            return {"value": self.rng.choice([7, "k", [1, 2]])}
        if r < 0.3:
            lo = self.rng.randint(-2, 2)
            return {"min": lo, "max": lo + self.rng.randint(1, 2)}
        return {"values": self.values()}

    def level(self, depth, names):
        """A mapping of parameters whose names come from ``names`` (a callable)."""
        out = {}
        for _ in range(self.rng.randint(1, 3 if depth < 2 else 2)):
            if self.leaves >= 5:
                break
            name = names()
            if name in out:
                continue
            r = self.rng.random()
            if depth < 3 and r < 0.35:
                out[name] = self.branching(depth)
            elif depth < 3 and r < 0.45:
                out[name] = {"parameters": self.level(depth + 1, self.fresh)}
            else:
                out[name] = self.leaf()
        if not out:
            out[names()] = self.leaf()
        return out

    def branching(self, depth):
        self.leaves += 1
        values = self.values() + [self.fresh("v")]
        pool = [self.fresh("c") for _ in range(3)]
        when = {}
        for value in values:
            if self.rng.random() < 0.7 and self.leaves < 5:
                key = value
                if isinstance(value, int) and not isinstance(value, bool) and self.rng.random() < 0.5:
                    key = str(value)  # as a JSON document writes it
                if key is None or isinstance(key, bool) or key in when:
                    continue
                when[key] = self.level(depth + 1, lambda: self.rng.choice(pool))
        spec = {"values": values}
        if when:
            spec["when"] = when
        return spec


ABSENT = object()


def same(a, b):
    return type(a) is type(b) and a == b


def oracle(parameters):
    """Every valid config of a raw parameter tree, by brute force over all assignments."""
    found = []  # (config path, domain, conditions as [(leaf index, value)])

    def walk(tree, prefix, conditions):
        for name, spec in tree.items():
            if "parameters" in spec:
                walk(spec["parameters"], prefix + (name,), conditions)
                continue
            if "value" in spec:
                domain = [spec["value"]]
            elif "values" in spec:
                domain = spec["values"]
            else:
                domain = list(range(spec["min"], spec["max"] + 1))
            index = len(found)
            found.append((prefix + (name,), domain, conditions))
            for key, sub in spec.get("when", {}).items():
                (value,) = [v for v in domain if same(v, key) or (isinstance(key, str) and isinstance(v, int)
                                                                  and not isinstance(v, bool) and str(v) == key)]
                walk(sub, prefix, conditions + [(index, value)])

    walk(parameters, (), [])

    valid = set()
    for assignment in itertools.product(*[domain + [ABSENT] for _, domain, _ in found]):
        ok = True
        for (path, _, conditions), value in zip(found, assignment):
            active = all(assignment[i] is not ABSENT and same(assignment[i], v) for i, v in conditions)
            if active != (value is not ABSENT):
                ok = False
                break
        if ok:
            config = {}
            for (path, _, _), value in zip(found, assignment):
                if value is not ABSENT:
                    node = config
                    for key in path[:-1]:
                        node = node.setdefault(key, {})
                    node[path[-1]] = value
            valid.add(canon(config))
    return valid


def order_key(parameters, config):
    """The documented grid order as a sort key: names sorted per level, branches right after their value."""
    key = []

    def walk(tree, node_config):
        for name in sorted(tree):
            spec = tree[name]
            if "parameters" in spec:
                walk(spec["parameters"], node_config.get(name, {}))
                continue
            if "value" in spec:
                continue
            domain = spec["values"] if "values" in spec else list(range(spec["min"], spec["max"] + 1))
            value = node_config[name]
            index = [i for i, v in enumerate(domain) if same(v, value)][0]
            key.append(index)
            for k, sub in spec.get("when", {}).items():
                if same(k, value) or (isinstance(k, str) and isinstance(value, int) and not isinstance(value, bool)
                                      and str(value) == k):
                    walk(sub, node_config)

    walk(parameters, config)
    return key


def random_trees(count, seed):
    rng = random.Random(seed)
    for _ in range(count):
        maker = TreeMaker(rng)
        yield maker.level(0, maker.fresh)


class GridPropertyTest(unittest.TestCase):
    def test_every_valid_combination_exactly_once_in_order(self):
        checked = 0
        for parameters in random_trees(150, seed=14):
            with self.subTest(parameters=parameters):
                cfg = sweep(parameters)
                got = run_grid(cfg)
                expected = oracle(parameters)
                keys = [canon(c) for c in got]
                self.assertEqual(len(keys), len(set(keys)), "a combination came twice")
                self.assertEqual(set(keys), expected)
                self.assertEqual(size(cfg), len(expected))
                order = [order_key(parameters, c) for c in got]
                self.assertEqual(order, sorted(order), "not in the documented order")
                checked += 1
        self.assertEqual(checked, 150)

    def test_the_trees_are_conditional(self):
        """The generator does make branches (else the property above would test little)."""
        with_when = sum('"when"' in json.dumps(p) for p in random_trees(150, seed=14))
        self.assertGreater(with_when, 60)

    def test_random_draws_only_valid_combinations(self):
        for parameters in random_trees(40, seed=15):
            with self.subTest(parameters=parameters):
                cfg = sweep(parameters, method="random")
                valid = oracle(parameters)
                for k in range(30):
                    self.assertIn(canon(next_config(cfg, [], seed=3, index=k)), valid)

    def test_bayes_proposes_only_valid_combinations(self):
        for parameters in random_trees(8, seed=16):
            with self.subTest(parameters=parameters):
                cfg = sweep(parameters, method="bayes", metric={"name": "loss"})
                valid = oracle(parameters)
                runs = []
                rng = random.Random(0)
                for k in range(6):
                    conf = next_config(cfg, runs, seed=5)
                    self.assertIn(canon(conf), valid)
                    runs.append(Run("r%d" % k, "finished", conf, history=[{"loss": rng.random()}]))


# ---------------------------------------------------------------------------------- behaviour


class GridTest(unittest.TestCase):
    def test_documented_order(self):
        got = run_grid(sweep(OPTIMIZERS))
        expected = []
        for bs in (32, 64):
            expected += [{"batch_size": bs, "optimizer": "adam", "beta1": b} for b in (0.9, 0.99)]
            expected += [{"batch_size": bs, "optimizer": "sgd", "lr": lr, "momentum": m}
                         for lr in (0.1, 0.01) for m in (0.0, 0.9)]
            expected += [{"batch_size": bs, "optimizer": "lbfgs"}]
        self.assertEqual(got, expected)
        self.assertEqual(size(sweep(OPTIMIZERS)), 14)

    def test_runs_with_extra_keys_still_take_their_point(self):
        cfg = sweep(OPTIMIZERS)
        runs = [Run("a", "finished", {"batch_size": 32, "optimizer": "adam", "beta1": 0.9, "momentum": 0.5}),
                Run("b", "failed", {"batch_size": 32, "optimizer": "adam", "beta1": 0.99})]
        self.assertEqual(next_config(cfg, runs), {"batch_size": 32, "optimizer": "sgd", "lr": 0.1, "momentum": 0.0})
        self.assertEqual(next_config(cfg, runs, retry_failed=1),
                         {"batch_size": 32, "optimizer": "adam", "beta1": 0.99})

    def test_a_run_missing_an_active_value_takes_no_point(self):
        cfg = sweep(OPTIMIZERS)
        runs = [Run("a", "finished", {"batch_size": 32, "optimizer": "adam"})]
        self.assertEqual(next_config(cfg, runs), {"batch_size": 32, "optimizer": "adam", "beta1": 0.9})

    def test_nested_branches_and_groups(self):
        cfg = sweep({"model": {"values": ["tree", "net"], "when": {
            "net": {"arch": {"parameters": {"depth": {"values": [1, 2]}}},
                    "act": {"values": ["relu", "gelu"], "when": {"gelu": {"approx": {"values": [True, False]}}}}}}}})
        self.assertEqual(run_grid(cfg), [
            {"model": "tree"},
            {"model": "net", "act": "relu", "arch": {"depth": 1}},
            {"model": "net", "act": "relu", "arch": {"depth": 2}},
            {"model": "net", "act": "gelu", "approx": True, "arch": {"depth": 1}},
            {"model": "net", "act": "gelu", "approx": True, "arch": {"depth": 2}},
            {"model": "net", "act": "gelu", "approx": False, "arch": {"depth": 1}},
            {"model": "net", "act": "gelu", "approx": False, "arch": {"depth": 2}},
        ])

    def test_without_when_the_order_is_unchanged(self):
        plain = {"b": {"values": [1, 2]}, "a": {"values": ["x", "y"]}}
        self.assertEqual([tuple(c.items()) for c in run_grid(sweep(plain))],
                         [(("a", "x"), ("b", 1)), (("a", "x"), ("b", 2)), (("a", "y"), ("b", 1)), (("a", "y"), ("b", 2))])


class ActiveOnlyTest(unittest.TestCase):
    def test_random_config_holds_only_active_parameters(self):
        cfg = sweep(dict(OPTIMIZERS, optimizer=dict(OPTIMIZERS["optimizer"], when={
            "adam": {"beta1": {"min": 0.8, "max": 0.999}},
            "sgd": {"lr": {"distribution": "log_uniform_values", "min": 0.001, "max": 1.0},
                    "momentum": {"min": 0.0, "max": 0.99}}})), method="random")
        seen = set()
        for k in range(200):
            conf = next_config(cfg, [], seed=1, index=k)
            expected = {"batch_size", "optimizer"} | {"adam": {"beta1"}, "sgd": {"lr", "momentum"},
                                                      "lbfgs": set()}[conf["optimizer"]]
            self.assertEqual(set(conf), expected)
            if conf["optimizer"] == "sgd":
                self.assertTrue(0.001 <= conf["lr"] <= 1.0)
            seen.add(conf["optimizer"])
        self.assertEqual(seen, {"adam", "sgd", "lbfgs"})

    def test_same_name_in_two_branches_keeps_each_range(self):
        cfg = sweep({"opt": {"values": ["adam", "sgd"], "when": {
            "adam": {"lr": {"min": 0.0, "max": 0.001}}, "sgd": {"lr": {"min": 10.0, "max": 20.0}}}}}, method="random")
        for k in range(100):
            conf = next_config(cfg, [], seed=2, index=k)
            lo, hi = (0.0, 0.001) if conf["opt"] == "adam" else (10.0, 20.0)
            self.assertTrue(lo <= conf["lr"] <= hi, conf)

    def test_bayes_config_holds_only_active_parameters_and_learns_the_branch(self):
        cfg = sweep({"opt": {"values": ["a", "b"], "when": {
            "a": {"x": {"min": 0.0, "max": 1.0}}, "b": {"y": {"min": 0.0, "max": 1.0}, "z": {"values": [1, 2]}}}}},
            method="bayes", metric={"name": "loss"})
        runs = []
        for k in range(16):
            conf = next_config(cfg, runs, seed=4)
            expected = {"opt", "x"} if conf["opt"] == "a" else {"opt", "y", "z"}
            self.assertEqual(set(conf), expected)
            loss = (conf["x"] - 0.3) ** 2 if conf["opt"] == "a" else 1.0 + conf["y"]
            runs.append(Run("r%d" % k, "finished", conf, history=[{"loss": loss}]))
        late = [r.config["opt"] for r in runs[8:]]
        self.assertGreaterEqual(late.count("a"), 6, late)  # branch b is never better than 1.0

    def test_bayes_does_not_repeat_a_discrete_config(self):
        cfg = sweep({"opt": {"values": ["a", "b"], "when": {"a": {"x": {"values": [1, 2]}}}}},
                    method="bayes", metric={"name": "loss"})
        runs = []
        for k in range(3):
            conf = next_config(cfg, runs, seed=1)
            runs.append(Run("r%d" % k, "finished", conf, history=[{"loss": float(k)}]))
        self.assertEqual(sorted(canon(r.config) for r in runs),
                         sorted(canon(c) for c in ({"opt": "a", "x": 1}, {"opt": "a", "x": 2}, {"opt": "b"})))


class BayesArmsTest(unittest.TestCase):
    """How bayes chooses between branches (arms) and models inside one."""

    CFG = {"method": "bayes", "metric": {"name": "loss"}, "parameters": {
        "opt": {"values": ["a", "b"], "when": {"a": {"x": {"min": 0.0, "max": 1.0}},
                                               "b": {"x": {"min": 10.0, "max": 20.0}}}}}}

    def test_an_arm_with_one_poor_run_is_not_written_off(self):
        runs = [Run("a%d" % i, "finished", {"opt": "a", "x": i / 10.0}, history=[{"loss": 1.0 + i / 10.0}])
                for i in range(5)]
        runs.append(Run("b0", "finished", {"opt": "b", "x": 15.0}, history=[{"loss": 3.0}]))
        picks = [next_config(self.CFG, runs, seed=s)["opt"] for s in range(60)]
        self.assertGreater(picks.count("b"), 3, picks)
        self.assertGreater(picks.count("a"), picks.count("b"), picks)

    def test_an_arm_that_gives_the_good_runs_is_searched_most(self):
        runs = [Run("a%d" % i, "finished", {"opt": "a", "x": i / 10.0}, history=[{"loss": 0.1 * i}])
                for i in range(6)]
        runs += [Run("b%d" % i, "finished", {"opt": "b", "x": 10.0 + i}, history=[{"loss": 5.0 + i}])
                 for i in range(6)]
        picks = [next_config(self.CFG, runs, seed=s)["opt"] for s in range(40)]
        self.assertGreater(picks.count("a"), 30, picks)

    def test_each_arm_keeps_its_own_range_for_a_shared_name(self):
        runs = []
        for k in range(12):
            conf = next_config(self.CFG, runs, seed=9)
            lo, hi = (0.0, 1.0) if conf["opt"] == "a" else (10.0, 20.0)
            self.assertTrue(lo <= conf["x"] <= hi, conf)
            runs.append(Run("r%d" % k, "finished", conf, history=[{"loss": abs(conf["x"] - 0.5)}]))

    def test_many_arms_fall_back_to_one_flat_model(self):
        parameters = {"s%d" % i: {"values": [0, 1], "when": {1: {"x%d" % i: {"min": 0.0, "max": 1.0}}}}
                      for i in range(7)}  # 2**7 = 128 arms
        cfg = sweep(parameters, method="bayes", metric={"name": "loss"})
        self.assertIsNone(arms(cfg.parameters))
        runs = []
        for k in range(5):
            conf = next_config(cfg, runs, seed=2)
            expected = {"s%d" % i for i in range(7)} | {"x%d" % i for i in range(7) if conf["s%d" % i] == 1}
            self.assertEqual(set(conf), expected)
            runs.append(Run("r%d" % k, "finished", conf, history=[{"loss": sum(conf.values())}]))


class ValidationTest(unittest.TestCase):
    def assertProblem(self, parameters, key_path, *words, method="grid"):
        with self.assertRaises(ConfigError) as caught:
            sweep(parameters, method=method)
        paths = [p.key_path for p in caught.exception.problems]
        self.assertIn(key_path, paths, str(caught.exception))
        text = str(caught.exception)
        for word in words:
            self.assertIn(word, text)

    def test_refused(self):
        cases = [
            ({"x": {"min": 0.0, "max": 1.0, "when": {0.5: {"y": {"value": 1}}}}}, "parameters.x.when",
             ["only a parameter that lists 'values'"]),
            ({"x": {"values": [1, 2], "when": []}}, "parameters.x.when", ["expected a mapping"]),
            ({"x": {"values": [1, 2], "when": {}}}, "parameters.x.when", ["an empty mapping"]),
            ({"opt": {"values": ["adam", "sgd"], "when": {"adamw": {"b": {"value": 1}}}}},
             "parameters.opt.when.adamw", ["not one of the values", "did you mean 'adam'"]),
            ({"n": {"values": [1, 2], "when": {1: {"a": {"value": 1}}, "1": {"b": {"value": 1}}}}},
             "parameters.n.when.1", ["names the same value"]),
            ({"lr": {"values": [1]}, "opt": {"values": ["a", "b"], "when": {"a": {"lr": {"values": [2]}}}}},
             "parameters.opt.when.a.lr", ["'lr' is also defined at parameters.lr"]),
            ({"opt": {"values": ["a", "b"], "when": {"a": {"opt": {"values": [2]}}}}},
             "parameters.opt.when.a.opt", ["also defined at parameters.opt"]),
            ({"o": {"values": ["a"], "when": {"a": {"k": {"value": 1}}}},
              "p": {"values": ["b"], "when": {"b": {"k": {"value": 2}}}}},
             "parameters.p.when.b.k", ["also defined at parameters.o.when.a.k"]),
            ({"g": {"parameters": {"x": {"value": 1}}}, "o": {"values": ["a"], "when": {"a": {"g": {"value": 1}}}}},
             "parameters.o.when.a.g", ["one inside the other"]),
            ({"o": {"values": ["a"], "when": {"a": {"parameters": {"x": {"value": 1}}}}}},
             "parameters.o.when.a.parameters", ["directly under the value"]),
            ({"o": {"values": ["a"], "when": {"a": {"x": {"min": "low", "max": 1.0}}}}},
             "parameters.o.when.a.x.min", ["expected a number"]),
            ({"o": {"values": ["a"], "when": {"a": {"x": {"min": 0.0, "max": 1.0}}}}},
             "parameters.o.when.a.x", ["grid search cannot enumerate"]),
            ({"o": {"values": ["a"], "when": {"a": None}}}, "parameters.o.when.a", ["expected a mapping"]),
        ]
        for parameters, key_path, words in cases:
            with self.subTest(key_path=key_path):
                self.assertProblem(parameters, key_path, *words)

    def test_allowed(self):
        for parameters in [
            {"o": {"values": ["a", "b"], "when": {"a": {"k": {"value": 1}}, "b": {"k": {"min": 0, "max": 3}}}}},
            {"o": {"values": ["a", "b"], "when": {"a": {"k": {"value": 1}}, "b": {"k": {"parameters": {
                "j": {"value": 2}}}}}}},
            {"n": {"values": [1, 2, True], "when": {"2": {"k": {"value": 1}}, True: {"j": {"value": 1}}}}},
        ]:
            with self.subTest(parameters=parameters):
                sweep(parameters)

    def test_json_key_matches_a_number(self):
        cfg = sweep({"n": {"values": [1, 2]}, "m": {"values": [1, 2], "when": {"2": {"k": {"values": ["x"]}}}}})
        self.assertIn({"m": 2, "k": "x", "n": 1}, run_grid(cfg))

    def test_a_file_error_names_the_line(self):
        path = os.path.join(temp_dir(self), "sweep.yaml")
        text = ("method: grid\n"
                "parameters:\n"
                "  optimizer:\n"
                "    values: [adam, sgd]\n"
                "    when:\n"
                "      adamw:\n"
                "        beta1: {values: [0.9]}\n")
        with open(path, "w") as f:
            f.write(text)
        with self.assertRaises(ConfigError) as caught:
            parse_config(path)
        self.assertEqual(caught.exception.key_path, "parameters.optimizer.when.adamw")
        self.assertEqual(caught.exception.line, 6)

    def test_round_trip_through_to_dict(self):
        cfg = sweep(OPTIMIZERS)
        again = parse_config(cfg.to_dict())
        self.assertEqual(run_grid(again), run_grid(cfg))
        self.assertEqual(again.to_dict(), cfg.to_dict())
        self.assertEqual(cfg.extensions, ["conditional parameters ('when')"])
        self.assertEqual(sweep({"x": {"values": [1]}}).extensions, [])


class CheckTest(CommandLineTest):
    def test_check_labels_the_extension_in_one_line(self):
        path = self.write("sweep.json", json.dumps({"method": "grid", "parameters": OPTIMIZERS}))
        out = self.cli("check", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        flagged = [line for line in lines if "not portable to W&B" in line]
        self.assertEqual(len(flagged), 1, out.stdout)
        self.assertIn("conditional parameters", flagged[0])
        self.assertTrue(any("momentum" in line and "when optimizer = sgd" in line for line in lines), out.stdout)
        self.assertIn("grid: 14 points", lines)


class EndToEndTest(TempDirTest):
    def test_agent_runs_a_conditional_grid(self):
        warnings_are_errors(self)
        sid = self.sweep({"method": "grid", "metric": {"name": "loss"}, "parameters": OPTIMIZERS})
        received = []

        def train(config):
            received.append(dict(config))
            return {"loss": config.get("beta1", 0.0) + config.get("momentum", 0.5)}

        self.assertEqual(self.agent(sid, train), 14)
        result = self.load(sid)
        self.assertEqual([r.config for r in result.runs], run_grid(sweep(OPTIMIZERS)))
        self.assertEqual(received, [r.config for r in result.runs])
        self.assertEqual(result.state, "finished")
        self.assertEqual(result.best_run().config, {"batch_size": 32, "optimizer": "sgd", "lr": 0.1, "momentum": 0.0})

    def test_agent_runs_a_conditional_bayes_sweep(self):
        sid = self.sweep({"method": "bayes", "metric": {"name": "loss"}, "run_cap": 8, "parameters": {
            "opt": {"values": ["a", "b"], "when": {"a": {"x": {"min": 0.0, "max": 1.0}},
                                                   "b": {"y": {"min": 0.0, "max": 1.0}}}}}})
        self.assertEqual(self.agent(sid, lambda c: c.get("x", c.get("y"))), 8)
        result = self.load(sid)
        for run in result.runs:
            self.assertEqual(set(run.config), {"opt", "x"} if run.config["opt"] == "a" else {"opt", "y"})


if __name__ == "__main__":
    unittest.main()
