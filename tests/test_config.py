"""Reading and validating sweep configs: W&B's contract, and our messages."""

import json
import os
import sys
import unittest
import warnings
from pathlib import Path

import minisweep
from minisweep import ConfigError, MinisweepWarning, parse_config, read_config
from minisweep.distributions import DISTRIBUTIONS
from minisweep.sweepconfig import near_miss
from tests.support import CORPUS, needs_corpus, temp_dir



def cfg(parameters, method="random", **top):
    out = {"method": method, "parameters": parameters}
    out.update(top)
    return out


def parse_quiet(source):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MinisweepWarning)
        return parse_config(source)


def problems(source):
    """The problem lines parse_config reports for ``source``."""
    try:
        parse_quiet(source)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    raise AssertionError("expected a ConfigError")


def warned(source):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parse_config(source)
    return [str(w.message) for w in caught if issubclass(w.category, MinisweepWarning)]


class InferenceTest(unittest.TestCase):
    """W&B's rules for a parameter without 'distribution'."""

    def test_table(self):
        table = [
            ({"values": [1, 2]}, "categorical"),
            ({"values": ["a"], "probabilities": [1.0]}, "categorical_w_probabilities"),
            ({"value": 3}, "constant"),
            ({"value": None}, "constant"),
            ({"min": 1, "max": 5}, "int_uniform"),
            ({"min": 1.0, "max": 5}, "uniform"),
            ({"min": 0, "max": 0.5}, "uniform"),
            ({"min": "1e-7", "max": "1e-3"}, "uniform"),  # YAML 1.1 strings read as numbers
            ({"min": "2", "max": "8"}, "int_uniform"),
        ]
        for spec, expected in table:
            with self.subTest(spec=spec):
                p = parse_quiet(cfg({"x": spec})).params[0]
                self.assertEqual(p.distribution, expected)

    def test_string_bounds_decide_the_inferred_distribution(self):
        """What the README's *Numbers written as strings* says, value for value."""
        table = [
            ({"min": "1", "max": "6"}, "int_uniform", (1, 6)),  # quoted digits: integers
            ({"min": "1e2", "max": "1e3"}, "uniform", (100.0, 1000.0)),  # an exponent: floats
            ({"min": 100, "max": 1000}, "int_uniform", (100, 1000)),
            ({"min": " 2 ", "max": " 1_000 "}, "int_uniform", (2, 1000)),
            ({"min": 1, "max": "6.0"}, "uniform", (1, 6.0)),
        ]
        for spec, expected, bounds in table:
            with self.subTest(spec=spec):
                p = parse_quiet(cfg({"x": spec})).params[0]
                self.assertEqual((p.distribution, (p.min, p.max)), (expected, bounds))
                self.assertEqual([type(b) for b in (p.min, p.max)], [type(b) for b in bounds])
        c = parse_quiet(cfg({"x": {"value": "1e-4"}, "y": {"values": ["1e-4"]}}, run_cap="10"))
        self.assertEqual((c.params[0].value, c.params[1].values, c.run_cap), ("1e-4", ["1e-4"], 10))
        self.assertEqual(parse_quiet(cfg({"x": {"value": 1}}, run_cap="1e1")).run_cap, 10)
        # int_uniform's bounds are the exception: a float spelling is refused, as W&B's schema refuses 10.0
        self.assertEqual(problems(cfg({"x": {"distribution": "int_uniform", "min": "1e1", "max": 20}})),
                         ["parameters.x.min: int_uniform needs integer bounds, got 10.0 (write 10, or use uniform)"])
        for text in ("inf", "nan", "0x10", "1,5"):
            with self.subTest(text=text):
                self.assertEqual(problems(cfg({"x": {"min": text, "max": 2}})),
                                 ["parameters.x.min: expected a number, got a string %r" % text])

    def test_cannot_infer(self):
        self.assertEqual(problems(cfg({"x": {"min": 1}})), [
            "parameters.x: cannot tell the distribution from 'min': give 'values', 'value', "
            "or 'min' and 'max', or name a 'distribution'"])
        self.assertEqual(problems(cfg({"x": {}})), [
            "parameters.x: cannot tell the distribution from nothing: give 'values', 'value', "
            "or 'min' and 'max', or name a 'distribution'"])


class DistributionsTest(unittest.TestCase):
    minimal = {
        "constant": {"value": 1},
        "categorical": {"values": [1, 2]},
        "categorical_w_probabilities": {"values": [1, 2], "probabilities": [0.25, 0.75]},
        "int_uniform": {"min": 0, "max": 3},
        "uniform": {"min": 0, "max": 1},
        "q_uniform": {"min": 0, "max": 10},
        "log_uniform": {"min": -5, "max": 0},
        "log_uniform_values": {"min": 1e-5, "max": 1},
        "inv_log_uniform": {"min": 0, "max": 5},
        "inv_log_uniform_values": {"min": 1, "max": 100},
        "q_log_uniform": {"min": 0, "max": 5},
        "q_log_uniform_values": {"min": 1, "max": 100},
        "normal": {},
        "q_normal": {},
        "log_normal": {},
        "q_log_normal": {},
        "beta": {},
        "q_beta": {},
    }

    def test_all_eighteen_accepted_with_defaults_filled(self):
        self.assertEqual(sorted(self.minimal), sorted(DISTRIBUTIONS))
        self.assertEqual(len(DISTRIBUTIONS), 18)
        for dist, keys in self.minimal.items():
            with self.subTest(dist=dist):
                spec = dict(keys, distribution=dist)
                p = parse_quiet(cfg({"x": spec})).params[0]
                self.assertEqual(p.distribution, dist)
                full = p.spec()
                for key, default in DISTRIBUTIONS[dist].items():
                    self.assertIn(key, full)
                    if key not in keys and default is not None:
                        self.assertEqual(full[key], default)

    def test_defaults(self):
        self.assertEqual(parse_quiet(cfg({"x": {"distribution": "q_uniform", "min": 0, "max": 1}})).params[0].q, 1.0)
        n = parse_quiet(cfg({"x": {"distribution": "normal"}})).params[0]
        self.assertEqual((n.mu, n.sigma), (0.0, 1.0))
        b = parse_quiet(cfg({"x": {"distribution": "beta"}})).params[0]
        self.assertEqual((b.a, b.b), (1.0, 1.0))

    def test_deprecated_warn_with_the_replacement(self):
        for dist, instead in (("log_uniform", "log_uniform_values"),
                              ("inv_log_uniform", "inv_log_uniform_values"),
                              ("q_log_uniform", "q_log_uniform_values")):
            with self.subTest(dist=dist):
                messages = warned(cfg({"x": dict(self.minimal[dist], distribution=dist)}))
                self.assertEqual(len(messages), 1)
                self.assertIn("deprecated", messages[0])
                self.assertIn("write distribution: %s" % instead, messages[0])
        (msg,) = warned(cfg({"x": {"distribution": "log_uniform", "min": 0, "max": 2}}))
        self.assertEqual(msg, "parameters.x.distribution: distribution log_uniform is deprecated: its min and max "
                              "are natural-log exponents, so it draws values between 1 and 7.38906; write "
                              "distribution: log_uniform_values with min: 1 and max: 7.38906")

    def test_string_numbers_where_numbers_are_required(self):
        c = parse_quiet(cfg({
            "lr": {"distribution": "log_uniform_values", "min": "1e-5", "max": "1e-1"},
            "m": {"distribution": "normal", "mu": "1e-3", "sigma": "2e0"},
            "q": {"distribution": "q_uniform", "min": "0", "max": "1e1", "q": "5e-1"},
            "b": {"distribution": "beta", "a": "2", "b": "3.5"},
            "p": {"values": ["x", "y"], "probabilities": ["2.5e-1", "7.5e-1"]},
            "v": {"values": ["1e-4", "1e-3"]},
        }, method="bayes", metric={"name": "loss", "target": "1e-2"}))
        by = {p.name: p for p in c.params}
        self.assertEqual((by["lr"].min, by["lr"].max), (1e-5, 1e-1))
        self.assertEqual((by["m"].mu, by["m"].sigma), (1e-3, 2.0))
        self.assertEqual((by["q"].min, by["q"].max, by["q"].q), (0, 10.0, 0.5))
        self.assertEqual((by["b"].a, by["b"].b), (2, 3.5))
        self.assertEqual(by["p"].probabilities, [0.25, 0.75])
        self.assertEqual(by["v"].values, ["1e-4", "1e-3"])  # values stay as written
        self.assertEqual(c.metric.target, 0.01)

    def test_hyperband_numbers_from_strings(self):
        c = parse_quiet(cfg({"x": {"value": 1}}, metric={"name": "l"},
                            early_terminate={"type": "hyperband", "min_iter": "3", "eta": "2"}))
        self.assertEqual((c.early_terminate.min_iter, c.early_terminate.eta), (3, 2))


class NestedTest(unittest.TestCase):
    def test_nested_kept_and_ordered_depth_first(self):
        c = parse_quiet(cfg({
            "z": {"value": 1},
            "opt": {"parameters": {"lr": {"min": 0.1, "max": 1.0},
                                   "kind": {"parameters": {"name": {"values": ["a", "b"]}}}}},
            "a": {"values": [1, 2]},
        }))
        self.assertEqual([p.path for p in c.params],
                         [("a",), ("opt", "kind", "name"), ("opt", "lr"), ("z",)])
        self.assertEqual([p.name for p in c.params], ["a", "opt.kind.name", "opt.lr", "z"])
        self.assertEqual(c.to_dict()["parameters"]["opt"]["parameters"]["lr"]["distribution"], "uniform")
        conf = minisweep.next_config(c, [], seed=1)
        self.assertEqual(sorted(conf), ["a", "opt", "z"])
        self.assertEqual(sorted(conf["opt"]), ["kind", "lr"])
        self.assertIn(conf["opt"]["kind"]["name"], ["a", "b"])

    def test_nested_errors_name_the_full_path(self):
        self.assertEqual(problems(cfg({"opt": {"parameters": {"lr": {"min": 1.0, "max": 0.5}}}})),
                         ["parameters.opt.parameters.lr: min 1.0 is not less than max 0.5"])
        self.assertEqual(problems(cfg({"opt": {"parameters": {"lr": {"value": 1}}, "value": 2}})),
                         ["parameters.opt: a parameter with nested 'parameters' takes no other keys, got 'value'"])


class ErrorMessagesTest(unittest.TestCase):
    """Every error path, with its exact message."""

    table = [
        ({"parameters": {"x": {"value": 1}}},
         ["method: missing: choose one of grid, random, bayes"]),
        (cfg({"x": {"value": 1}}, method="bayesian"),
         ["method: 'bayesian' is not one of grid, random, bayes; did you mean 'bayes'?"]),
        (cfg({"x": {"value": 1}}, method="custom"),
         ["method: 'custom' needs W&B's external controller; minisweep runs grid, random and bayes"]),
        ({"method": "grid"},
         ["parameters: missing: a sweep needs 'parameters', e.g. parameters: {lr: {min: 0.0001, max: 0.1}}"]),
        (cfg({}),
         ["parameters: expected a mapping of parameter names to their settings, e.g. "
          "{lr: {min: 0.0001, max: 0.1}}, got an empty mapping"]),
        (cfg([1, 2]),
         ["parameters: expected a mapping of parameter names to their settings, e.g. "
          "{lr: {min: 0.0001, max: 0.1}}, got a list"]),
        (cfg({"lr": 0.1}),
         ["parameters.lr: expected a mapping such as {value: 0.1} or {values: [...]}, got a number 0.1"]),
        (cfg({"lr": {"min": 0.1, "max": 0.01}}),
         ["parameters.lr: min 0.1 is not less than max 0.01"]),
        (cfg({"n": {"min": 3, "max": 3}}),
         ["parameters.n: min 3 is not less than max 3"]),
        (cfg({"lr": {"distribution": "lognormal"}}),
         ["parameters.lr.distribution: unknown distribution 'lognormal'; did you mean 'log_normal'?"]),
        (cfg({"s": {"values": "step"}}),
         ["parameters.s.values: expected a list, got a string 'step'; for a single value write value: 'step'"]),
        (cfg({"s": {"values": []}}),
         ["parameters.s.values: expected at least one value, got an empty list"]),
        (cfg({"e": {"distribution": "int_uniform", "num_epochs": 10}}),
         ["parameters.e.num_epochs: unknown key for distribution int_uniform (allowed: min, max)"]),
        (cfg({"e": {"distribution": "uniform", "min": 0}}),
         ["parameters.e: distribution uniform needs 'max'"]),
        (cfg({"e": {"distribution": "categorical"}}),
         ["parameters.e: distribution categorical needs 'values'"]),
        (cfg({"e": {"values": [1, 2], "value": 1}}),
         ["parameters.e.value: unknown key for distribution categorical (allowed: values)"]),
        (cfg({"n": {"distribution": "int_uniform", "min": 0.5, "max": 3}}),
         ["parameters.n.min: expected an integer, got 0.5"]),
        # issue 11 item 18: W&B's schema types int_uniform's bounds as integers, so 0.0 and 1.0 are two violations
        (cfg({"n": {"distribution": "int_uniform", "min": 0.0, "max": 1.0}}),
         ["parameters.n.min: int_uniform needs integer bounds, got 0.0 (write 0, or use uniform)",
          "parameters.n.max: int_uniform needs integer bounds, got 1.0 (write 1, or use uniform)"]),
        (cfg({"n": {"min": "abc", "max": 3.0}}),
         ["parameters.n.min: expected a number, got a string 'abc'"]),
        (cfg({"n": {"min": True, "max": 3.0}}),
         ["parameters.n.min: expected a number, got a boolean true"]),
        (cfg({"n": {"min": float("nan"), "max": 3.0}}),
         ["parameters.n.min: expected a finite number, got nan"]),
        (cfg({"lr": {"distribution": "log_uniform_values", "min": 0, "max": 1}}),
         ["parameters.lr.min: log_uniform_values needs min > 0 (it samples on a log scale), got 0"]),
        (cfg({"lr": {"distribution": "q_uniform", "min": 0, "max": 1, "q": 0}}),
         ["parameters.lr.q: q must be greater than 0, got 0"]),
        (cfg({"lr": {"distribution": "normal", "sigma": -1}}),
         ["parameters.lr.sigma: sigma must not be negative, got -1"]),
        (cfg({"lr": {"distribution": "beta", "a": 0}}),
         ["parameters.lr.a: beta needs a > 0, got 0"]),
        (cfg({"c": {"values": [1, 2], "probabilities": [0.5]}}),
         ["parameters.c.probabilities: 1 probabilities for 2 values"]),
        (cfg({"c": {"values": [1, 2], "probabilities": [0.5, 0.6]}}),
         ["parameters.c.probabilities: probabilities sum to 1.1, not 1"]),
        (cfg({"c": {"values": [1, 2], "probabilities": [-0.5, 1.5]}}),
         ["parameters.c.probabilities: probabilities must not be negative"]),
        (cfg({"c": {"values": [1, 2], "probabilities": 0.5}}),
         ["parameters.c.probabilities: expected a list of numbers, got a number"]),
        (cfg({"dropout": {"min": 0.0, "max": 0.5}}, method="grid"),
         ["parameters.dropout: grid search cannot enumerate distribution 'uniform'; give 'values' or use q_uniform"]),
        (cfg({"c": {"values": [1, 2], "probabilities": [0.5, 0.5]}}, method="grid"),
         ["parameters.c: grid search tries every value once, so it cannot use probabilities; "
          "drop 'probabilities' or use method: random"]),
        (cfg({"x": {"value": 1}}, method="bayes"),
         ["metric: bayes search needs a metric to optimise, e.g. metric: {name: loss, goal: minimize}"]),
        (cfg({"x": {"value": 1}}, metric={"goal": "minimize"}),
         ["metric.name: missing: name the metric your runs log, e.g. name: val_loss"]),
        (cfg({"x": {"value": 1}}, metric="loss"),
         ["metric: expected a mapping such as {name: loss, goal: minimize}, got a string"]),
        (cfg({"x": {"value": 1}}, metric={"name": "l", "target": "high"}),
         ["metric.target: expected a number, got a string 'high'"]),
        (cfg({"x": {"value": 1}}, early_terminate={"type": "hyperband", "min_iter": 3}),
         ["early_terminate: hyperband needs a metric to compare runs; add metric: {name: ..., goal: ...}"]),
        (cfg({"x": {"value": 1}}, metric={"name": "l"}, early_terminate={"type": "median"}),
         ["early_terminate.type: 'median': the only early_terminate type is hyperband"]),
        (cfg({"x": {"value": 1}}, metric={"name": "l"}, early_terminate={"type": "hyperband"}),
         ["early_terminate: hyperband needs min_iter, or max_iter and s (e.g. {type: hyperband, min_iter: 3, eta: 3})"]),
        (cfg({"x": {"value": 1}}, metric={"name": "l"}, early_terminate={"type": "hyperband", "min_iter": 3, "eta": 1}),
         ["early_terminate.eta: must be greater than 1, got 1"]),
        (cfg({"x": {"value": 1}}, metric={"name": "l"}, early_terminate={"type": "hyperband", "min_iter": 0}),
         ["early_terminate.min_iter: must be at least 1, got 0"]),
        (cfg({"x": {"value": 1}}, metric={"name": "l"},
             early_terminate={"type": "hyperband", "min_iter": 3, "strict": "yes"}),
         ["early_terminate.strict: expected true or false, got 'yes'"]),
        (cfg({"x": {"value": 1}}, run_cap=0),
         ["run_cap: must be a positive integer, got 0"]),
        (cfg({"x": {"value": 1}}, run_cap=2.5),
         ["run_cap: expected an integer, got 2.5"]),
        (cfg({"x": {"value": 1}}, command="python train.py"),
         ["command: expected a non-empty list of strings such as [\"${env}\", \"${interpreter}\", "
          "\"${program}\", \"${args}\"], got a string"]),
        (cfg({"x": {"value": 1}}, command=["python", {"a": 1}]),
         ["command.1: expected a string, got a mapping"]),
        (cfg({"x": {"value": 1}}, program=["a.py"]),
         ["program: expected a string, got a list"]),
        ("- 1\n- 2\n",
         ["a sweep config must be a mapping with 'method' and 'parameters', got a list"]),
    ]

    def test_each_message(self):
        for source, expected in self.table:
            with self.subTest(source=source):
                self.assertEqual(problems(source), expected)

    def test_all_problems_at_once(self):
        err = None
        try:
            parse_quiet({"method": "bayesian", "parameters": {
                "a": {"min": 2, "max": 1}, "b": {"values": "x"}, "c": {"distribution": "nope"}}})
        except ConfigError as exc:
            err = exc
        self.assertIsNotNone(err)
        self.assertEqual([p.key_path for p in err.problems],
                         ["method", "parameters.a", "parameters.b.values", "parameters.c.distribution"])
        self.assertTrue(str(err).startswith("4 problems in the sweep config:\n"))
        self.assertIsInstance(err, ValueError)
        self.assertEqual(err.key_path, "method")

    def test_missing_method_found_nested(self):
        # corpus 019: 'method: random' indented under metric
        self.assertEqual(problems({"metric": {"name": "a", "method": "random"}, "parameters": {"x": {"value": 1}}}), [
            "method: missing: choose one of grid, random, bayes ('method' was found under 'metric': "
            "is it indented too far?)"])


class WarningsTest(unittest.TestCase):
    """What W&B only flags, we accept with a warning that names the key and the near miss."""

    def test_unknown_top_level_keys(self):
        table = [
            ("max_runs", "max_runs: unknown top-level key, ignored; did you mean 'run_cap'?"),
            ("RUN", "RUN: unknown top-level key, ignored; did you mean 'run_cap'?"),
            ("paramters", None),  # fine-grained below
            ("sweep_anew", "sweep_anew: unknown top-level key, ignored"),
        ]
        for key, expected in table:
            with self.subTest(key=key):
                source = cfg({"x": {"value": 1}})
                source[key] = 10
                if key == "paramters":
                    (msg,) = warned(source)
                    self.assertIn("did you mean 'parameters'?", msg)
                    continue
                self.assertEqual(warned(source), [expected])
                self.assertEqual(parse_quiet(source).extra, {key: 10})

    def test_goal_and_impute(self):
        source = cfg({"x": {"value": 1}}, metric={"name": "l", "goal": "maximise", "impute": "median"})
        self.assertEqual(warned(source), [
            "metric.goal: 'maximise' is not minimize or maximize; minimising (did you mean 'maximize'?)",
            "metric.impute: 'median' is not one of worst, best, latest; using worst"])
        c = parse_quiet(source)
        self.assertEqual((c.metric.goal, c.metric.impute), ("minimize", "worst"))

    def test_unknown_metric_key(self):
        self.assertEqual(warned(cfg({"x": {"value": 1}}, metric={"name": "l", "gaol": "maximize"})),
                         ["metric.gaol: unknown key, ignored; did you mean 'goal'?"])

    def test_unknown_early_terminate_key(self):
        # issue 11 item 16: W&B flags an unknown early_terminate key and still runs the sweep
        source = cfg({"x": {"value": 1}}, metric={"name": "l"},
                     early_terminate={"type": "hyperband", "min_iter": 3, "max_itr": 9})
        self.assertEqual(warned(source), [
            "early_terminate.max_itr: unknown key, ignored; did you mean 'max_iter'? "
            "(allowed: type, min_iter, max_iter, s, eta, strict)"])
        c = parse_quiet(source)
        self.assertEqual((c.early_terminate.min_iter, c.early_terminate.max_iter), (3, None))

    def test_odd_parameter_name(self):
        (msg,) = warned(cfg({"max_grad:norm": {"value": 1}}))
        self.assertIn("parameters.max_grad:norm: parameter name 'max_grad:norm' is not a plain identifier", msg)

    def test_warnings_kept_on_the_config(self):
        source = cfg({"x": {"value": 1}}, max_runs=3)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            c = parse_config(source, warn=False)
        self.assertEqual(c.warnings, ["max_runs: unknown top-level key, ignored; did you mean 'run_cap'?"])

    def test_near_miss(self):
        self.assertEqual(near_miss("max_runs", ["run_cap", "method"]), "run_cap")
        self.assertEqual(near_miss("paramters", ["parameters", "method"]), "parameters")
        self.assertIsNone(near_miss("zzz", ["parameters", "method"]))


class ReadConfigTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir(self)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    def test_dict_is_copied(self):
        source = {"method": "grid", "parameters": {"a": {"values": [1]}}}
        got = read_config(source)
        got["parameters"]["a"]["values"].append(2)
        self.assertEqual(source["parameters"]["a"]["values"], [1])

    def test_callable(self):
        self.assertEqual(read_config(lambda: {"method": "grid"}), {"method": "grid"})
        with self.assertRaises(ConfigError) as cm:
            read_config(lambda: [1])
        self.assertEqual(str(cm.exception), "the config function returned list, not a dict")

    def test_yaml_file_and_text(self):
        text = "method: grid\nparameters:\n  lr:\n    values: [1e-4, 1.0e-3]\n"
        path = self.write("s.yaml", text)
        expected = {"method": "grid", "parameters": {"lr": {"values": ["1e-4", 0.001]}}}
        self.assertEqual(read_config(path), expected)
        self.assertEqual(read_config(Path(path)), expected)
        self.assertEqual(read_config(text), expected)
        self.assertEqual(read_config(self.write("s.yml", text)), expected)

    def test_json_file_and_text(self):
        text = '{"method": "grid", "parameters": {"lr": {"values": [1e-4]}}}'
        expected = {"method": "grid", "parameters": {"lr": {"values": [0.0001]}}}
        self.assertEqual(read_config(self.write("s.json", text)), expected)
        self.assertEqual(read_config(text), expected)  # JSON numbers, not YAML 1.1 strings

    def test_bad_json_names_line_and_column(self):
        path = self.write("bad.json", '{\n  "method": "grid",\n  "parameters": {,}\n}')
        with self.assertRaises(ConfigError) as cm:
            read_config(path)
        self.assertEqual((cm.exception.line, cm.exception.column), (3, 18))
        self.assertTrue(str(cm.exception).startswith(path + ":3:18: invalid JSON: "))

    @unittest.skipUnless(sys.version_info >= (3, 11), "tomllib arrived in Python 3.11")
    def test_toml_file(self):
        path = self.write("s.toml", 'method = "random"\n[parameters.lr]\nmin = 1e-4\nmax = 0.1\n')
        self.assertEqual(read_config(path), {"method": "random", "parameters": {"lr": {"min": 1e-4, "max": 0.1}}})
        bad = self.write("bad.toml", 'method = \n')
        with self.assertRaises(ConfigError) as cm:
            read_config(bad)
        self.assertIn("invalid TOML", str(cm.exception))

    @unittest.skipIf(sys.version_info >= (3, 11), "this Python has tomllib")
    def test_toml_needs_311(self):
        path = self.write("s.toml", 'method = "random"\n')
        with self.assertRaises(ConfigError) as cm:
            read_config(path)
        self.assertIn("Python 3.11 or newer", str(cm.exception))
        self.assertIn("this is Python %d.%d" % sys.version_info[:2], str(cm.exception))

    def test_missing_and_empty_files(self):
        with self.assertRaises(ConfigError) as cm:
            read_config(os.path.join(self.dir, "nope.yaml"))
        self.assertIn("no such file", str(cm.exception))
        with self.assertRaises(ConfigError) as cm:
            read_config(self.write("empty.yaml", "  \n"))
        self.assertIn("the file is empty", str(cm.exception))

    def test_not_a_config(self):
        with self.assertRaises(ConfigError):
            read_config(42)

    def test_yaml_errors_carry_file_and_line(self):
        path = self.write("bad.yaml", "method: grid\nparameters:\n  lr: [1, 2\n")
        with self.assertRaises(ConfigError) as cm:
            read_config(path)
        self.assertEqual(cm.exception.source, path)
        self.assertIsNotNone(cm.exception.line)

    def test_validation_errors_carry_file_and_line(self):
        path = self.write("s.yaml", "method: random\nparameters:\n  lr:\n    min: 0.1\n    max: 0.01\n"
                                    "  bs:\n    values: 8\n")
        with self.assertRaises(ConfigError) as cm:
            parse_quiet(path)
        self.assertEqual([str(p) for p in cm.exception.problems], [
            path + ":3: parameters.lr: min 0.1 is not less than max 0.01",
            path + ":7: parameters.bs.values: expected a list, got a number 8; for a single value write value: 8"])

    def test_warnings_carry_file_and_line(self):
        path = self.write("s.yaml", "method: random\nmax_runs: 5\nparameters:\n  x: {value: 1}\n")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parse_config(path)
        self.assertEqual([str(w.message) for w in caught],
                         [path + ":2: max_runs: unknown top-level key, ignored; did you mean 'run_cap'?"])


@needs_corpus
class CorpusValidationTest(unittest.TestCase):
    """Which way each real config goes, and why.

    Accepted: everything W&B runs, warnings where W&B's schema flags something it still runs.
    Rejected: configs W&B cannot run either.
    """

    rejected = {
        # scalar where 'values' needs a list, int_uniform without min/max but with an unknown key,
        # 'values' given to uniform / int_uniform: W&B cannot sample these parameters
        "009": ["parameters.scheduler_interval.values: expected a list",
                "parameters.epochs.num_epochs: unknown key for distribution int_uniform",
                "parameters.learning_rate.values: unknown key for distribution uniform",
                "parameters.image_dims.values: unknown key for distribution int_uniform",
                "parameters.batch_size.values: unknown key for distribution int_uniform",
                "parameters.augmentation.values: expected a list"],
        # 'method' indented under metric: no top-level method, which W&B requires
        "019": ["method: missing"],
        # n_conv_layers / layer_sizes mis-indented into 'similarity': extra keys W&B rejects
        "026": ["parameters.similarity.n_conv_layers: unknown key",
                "parameters.similarity.layer_sizes: unknown key"],
    }
    warned = {
        "005": ["parameter name 'max_grad:norm' is not a plain identifier"],   # W&B runs it
        "012": ["mods_to_process: unknown top-level key", "snr_list: unknown top-level key",
                "distribution log_uniform is deprecated"],
        "030": ["metric.goal: 'hello world wrt wandb sweep function' is not minimize or maximize"],
        "045": ["RUN: unknown top-level key, ignored; did you mean 'run_cap'?"],
        "046": ["max_runs: unknown top-level key, ignored; did you mean 'run_cap'?"],
        "047": ["sweep_anew: unknown top-level key", "sweep_id: unknown top-level key"],
    }
    deprecated = ("001", "020", "034", "035", "036", "037")  # log_uniform with natural-log bounds

    def files(self):
        for path in sorted(CORPUS.iterdir()):
            if path.suffix in (".yml", ".yaml", ".json") and not path.name.endswith(".expected.json"):
                yield path

    def test_every_file(self):
        seen = 0
        for path in self.files():
            prefix = path.name[:3]
            if prefix == "044":  # not YAML at all: covered by the YAML reader's tests
                continue
            seen += 1
            with self.subTest(file=path.name):
                expected_json = path.with_name(path.name + ".expected.json")
                # validate what PyYAML reads, so this test does not depend on our YAML reader
                source = json.loads(expected_json.read_text()) if expected_json.exists() else json.loads(path.read_text())
                if prefix in self.rejected:
                    got = problems(source)
                    self.assertEqual(len(got), len(self.rejected[prefix]), got)
                    for line, start in zip(got, self.rejected[prefix]):
                        self.assertTrue(line.startswith(start), (line, start))
                    continue
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    c = parse_config(source)
                messages = [str(w.message) for w in caught]
                self.assertEqual(c.warnings, messages)
                for fragment in self.warned.get(prefix, []):
                    self.assertTrue(any(fragment in m for m in messages), (fragment, messages))
                if prefix in self.deprecated:
                    self.assertTrue(any("is deprecated" in m for m in messages))
                if prefix not in self.warned and prefix not in self.deprecated:
                    self.assertEqual(messages, [], path.name)
                # every accepted config can propose a run
                if c.method != "bayes":
                    conf = minisweep.next_config(c, [], seed=0)
                    self.assertIsInstance(conf, dict)
        self.assertEqual(seen, 54)

    def test_the_files_themselves(self):
        """Through our own reader: the same verdicts, with line numbers."""
        path = next(p for p in self.files() if p.name.startswith("009"))
        with self.assertRaises(ConfigError) as cm:
            parse_quiet(str(path))
        lines = [p.line for p in cm.exception.problems]
        self.assertTrue(all(isinstance(n, int) for n in lines), lines)
        self.assertEqual(cm.exception.problems[0].line, 29)  # scheduler_interval.values: step


if __name__ == "__main__":
    unittest.main()
