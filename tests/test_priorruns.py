"""Prior runs: an earlier sweep's runs, which a new sweep's search takes into account."""

import json
import re

import minisweep
from minisweep import next_config, parse_config
from minisweep.errors import RunNotFound
from minisweep.runs import Run

from tests.support import CommandLineTest, TempDirTest

GRID = {"method": "grid", "metric": {"name": "loss"},
        "parameters": {"a": {"values": [1, 2, 3]}, "b": {"values": ["x", "y"]}}}
SPACE = {"method": "bayes", "metric": {"name": "loss"},
         "parameters": {"x": {"min": 0.0, "max": 1.0}, "y": {"min": 0.0, "max": 1.0}}}


def loss(c):
    return (c["x"] - 0.3) ** 2 + (c["y"] - 0.6) ** 2


class PriorRunsTest(TempDirTest):
    def run_grid(self, config, count=None):
        sid = self.sweep(config)
        self.agent(sid, lambda c: {"loss": c["a"]}, count=count)
        return sid, self.load(sid)

    def test_a_new_grid_skips_the_points_a_whole_earlier_sweep_ran(self):
        old, first = self.run_grid(GRID, count=4)
        sid = self.sweep(GRID, prior_runs=[old])
        self.agent(sid, lambda c: {"loss": c["a"]})
        again = self.load(sid)
        done = {(r.config["a"], r.config["b"]) for r in first.runs}
        self.assertEqual(len(done), 4)
        self.assertEqual({(r.config["a"], r.config["b"]) for r in again.runs},
                         {(a, b) for a in (1, 2, 3) for b in "xy"} - done)
        self.assertEqual(again.state, "finished")
        self.assertEqual(len(again.config.prior_runs), 4)
        self.assertTrue(all(r.id.startswith(old + "/") for r in again.config.prior_runs))

    def test_runs_by_id_in_each_form(self):
        old, first = self.run_grid(GRID, count=3)
        r0, r1, r2 = first.runs
        sid = self.sweep(GRID, prior_runs=[old + "/" + r0.id, r1.id, Run("mine", "finished", {"a": 3, "b": "y"})])
        prior = self.load(sid).config.prior_runs
        self.assertEqual([r.id for r in prior], [old + "/" + r0.id, old + "/" + r1.id, "mine"])
        self.assertEqual([r.config for r in prior], [r0.config, r1.config, {"a": 3, "b": "y"}])
        self.assertEqual(prior[0].best("loss"), r0.summary["loss"])

    def test_unknown_ids_are_refused(self):
        for ref in ("nosuchid", "nosweep1/abc", 42):
            with self.subTest(ref=ref):
                with self.assertRaises((RunNotFound, minisweep.SweepNotFound)):
                    self.sweep(GRID, prior_runs=[ref])

    def test_bayes_conditions_on_them_from_its_first_proposal(self):
        old = self.sweep(dict(SPACE, method="random"))
        self.agent(old, loss, count=6)
        prior = self.load(old).runs
        sid = self.sweep(SPACE, prior_runs=[old], seed=5)
        cfg = self.load(sid).config
        self.assertEqual(next_config(cfg, [], seed=5),
                         next_config(SPACE, [Run(r.id, r.state, r.config, history=r.history) for r in prior],
                                     seed=5, index=0))
        self.assertNotEqual(next_config(cfg, [], seed=5), next_config(SPACE, [], seed=5))

    def test_run_cap_counts_only_the_sweeps_own_runs(self):
        old, _ = self.run_grid(GRID, count=2)
        sid = self.sweep(dict(GRID, run_cap=3), prior_runs=[old])
        self.assertEqual(self.agent(sid, lambda c: {"loss": 1.0}), 3)

    def test_the_records_keep_only_the_metric(self):
        old = self.sweep(dict(SPACE, method="random"))
        self.agent(old, lambda c: {"loss": loss(c), "other": 1, "big": "x" * 100}, count=1)
        sid = self.sweep(SPACE, prior_runs=[old])
        (rec,) = self.load(sid).config.prior_records
        self.assertEqual(set(rec), {"sweep", "id", "state", "config", "history"})
        self.assertEqual([list(row) for row in rec["history"]], [["loss"]])

    def test_the_wandb_client_signature_passes_them_on(self):
        import minisweep.wandb as wandb

        old, _ = self.run_grid(GRID, count=5)
        sid = wandb.sweep(GRID, None, "p", [old], dir=self.dir)  # wandb.sweep(sweep, entity, project, prior_runs)
        self.assertEqual(self.agent(sid, lambda c: {"loss": c["a"]}), 1)

    def test_bad_records_are_refused_with_key_paths(self):
        with self.assertRaises(minisweep.ConfigError) as caught:
            parse_config(dict(GRID, prior_runs=[{"id": "r", "state": "done", "config": {}}, 3]))
        paths = [p.key_path for p in caught.exception.problems]
        self.assertEqual(paths, ["prior_runs.0.state", "prior_runs.1"])


class CommandLineTest_(CommandLineTest):
    def test_prior_run_option_and_status(self):
        path = self.write("grid.json", json.dumps(GRID))
        out = self.cli("sweep", path, "--dir", self.store)
        self.assertEqual(out.returncode, 0, out.stderr)
        old = re.search(r"created sweep (\w+)", out.stdout).group(1)
        self.agent_run(old)
        out = self.cli("sweep", "-R", old, path, "--dir", self.store)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn("ignored", out.stderr)
        new = re.search(r"created sweep (\w+)", out.stdout).group(1)
        status = self.cli("status", new, "--dir", self.store)
        self.assertEqual(status.returncode, 0, status.stderr)
        prior_rows = [line for line in status.stdout.splitlines() if line.startswith("p ") and "prior finished" in line]
        self.assertEqual(len(prior_rows), 2, status.stdout)
        self.assertTrue(all(old + "/" in line for line in prior_rows))
        self.assertIn("2 runs of earlier sweeps", status.stdout)
        check = self.cli("check", path)
        self.assertNotIn("prior", check.stdout)
        report = self.cli("report", new, "--dir", self.store, "-o", "r.html")
        self.assertEqual(report.returncode, 0, report.stderr)
        with open(self.dir + "/r.html", encoding="utf-8") as fh:
            page = fh.read()
        self.assertIn("<dt>prior runs</dt><dd>2, from sweep %s" % old, page)

    def test_unknown_prior_run_is_one_line_and_status_2(self):
        path = self.write("grid.json", json.dumps(GRID))
        out = self.cli("sweep", "-R", "nosuchid", path, "--dir", self.store)
        self.assertEqual(out.returncode, 2)
        self.assertEqual(len(out.stderr.strip().splitlines()), 1, out.stderr)
        self.assertIn("nosuchid", out.stderr)

    def agent_run(self, sweep_id):
        minisweep.agent(sweep_id, function=lambda c: {"loss": c["a"]}, count=2, dir=self.store, quiet=True)


if __name__ == "__main__":
    import unittest

    unittest.main()
