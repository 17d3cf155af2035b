"""Hardening of the store and its readers (issue 11): the ways an unlucky sweep folder broke them.

Each test class is one item of issue 11: a huge number in a metric or a
journal line, stray entries in ``journal/`` and shared folders, a lock path
that is a dangling symlink or a directory, symlinked sub-folders, ``agent()``
closing its store, and ``ls`` next to leftovers of a killed ``create``.
"""

import contextlib
import io
import json
import os
import tempfile
import unittest
import warnings

import minisweep
from minisweep import cli
from minisweep.api import load
from minisweep.runs import Run, is_number
from minisweep.search import next_config
from minisweep.store import SweepStore

HUGE = 10 ** 400  # beyond float range: float(HUGE) raises OverflowError


class TempStoreTest(unittest.TestCase):
    def setUp(self) -> None:
        warnings.simplefilter("error")
        self.addCleanup(warnings.resetwarnings)
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.root = os.path.join(tmp.name, "root")

    def create(self, config, **kw) -> SweepStore:
        store = SweepStore.create(self.root, "proj", config, **kw)
        self.addCleanup(store.close)
        return store

    def reopen(self, store: SweepStore) -> SweepStore:
        other = SweepStore.open(self.root, store.project, store.id)
        self.addCleanup(other.close)
        return other

    def cli(self, *args):
        """Run the command line in this process: (exit status, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main([str(a) for a in args])
        return code, out.getvalue(), err.getvalue()


def propose_from(store: SweepStore):
    return lambda runs, index: next_config(store.config, runs, seed=store.seed, index=index)


# ------------------------------------------------------------------------------ item 6: huge numbers


class TestHugeNumbers(TempStoreTest):
    """Item 6: an int beyond float range counts as a non-finite value (like ``inf``), never as an error."""

    def test_is_number_rejects_ints_beyond_float_range(self):
        self.assertFalse(is_number(HUGE))
        self.assertFalse(is_number(-HUGE))
        self.assertTrue(is_number(10 ** 300))  # still within float range
        self.assertTrue(is_number(-(10 ** 300)))

    def test_a_huge_value_never_ranks(self):
        run = Run("r", "finished", {}, history=[{"loss": HUGE}, {"loss": 3}, {"loss": -HUGE}])
        self.assertEqual(run.metric_values("loss"), [3])
        self.assertEqual(run.best("loss", maximize=True), 3)
        self.assertEqual(run.best("loss", maximize=False), 3)

    def test_sweep_with_a_huge_metric_runs_and_every_view_works(self):
        config = {"method": "bayes", "metric": {"name": "loss", "goal": "maximize", "target": 100},
                  "parameters": {"x": {"min": 0.0, "max": 1.0}}}
        sweep_id = minisweep.sweep(config, project="p", dir=self.root)
        calls = []

        def train(cfg):
            calls.append(cfg)
            return {"loss": HUGE if len(calls) % 2 else float(len(calls))}

        started = minisweep.agent(sweep_id, train, count=4, dir=self.root, quiet=True)
        self.assertEqual(started, 4)  # every bayes / target check after the huge value still claims
        result = load(sweep_id, dir=self.root)
        self.assertEqual(result.counts(), {"finished": 4})
        best = result.best_run()
        self.assertEqual(best.summary["loss"], 4.0)  # the largest finite value; the huge ones do not rank
        for command in ("status", "best", "export"):
            with self.subTest(command=command):
                code, out, err = self.cli(command, sweep_id, "--dir", self.root)
                self.assertEqual(code, 0, err)
        code, out, err = self.cli("export", sweep_id, "--dir", self.root, "--format", "jsonl")
        self.assertEqual(code, 0, err)
        self.assertIn(str(HUGE), out)  # exported exactly as logged
        report = os.path.join(self.dir, "report.html")
        code, out, err = self.cli("report", sweep_id, "--dir", self.root, "-o", report)
        self.assertEqual(code, 0, err)

    def test_huge_numbers_in_journal_lines_do_not_break_readers(self):
        store = self.create({"method": "grid", "parameters": {"a": {"values": [1, 2, 3]}}})
        run = store.claim("agent", propose_from(store), lease_seconds=30)
        store.start(run.id)
        store.log(run.id, {"loss": 1.0})
        store.finish(run.id, "finished")
        journal = os.path.join(store.path, "journal", store.writer + ".jsonl")
        with open(journal, "a") as f:  # a second run whose lines carry 400-digit numbers everywhere
            f.write('{"op": "claim", "run": "bigrun01", "index": 1, "config": {"a": 2}, "agent": "x", '
                    '"lease_seconds": %d, "at": %d}\n' % (HUGE, HUGE))
            f.write('{"op": "start", "run": "bigrun01", "at": %d}\n' % HUGE)
            f.write('{"op": "log", "run": "bigrun01", "row": {"loss": %d}, "at": %d}\n' % (HUGE, HUGE))
            f.write('{"op": "finish", "run": "bigrun01", "state": "finished", "at": %d, "wall_time": %d}\n'
                    % (HUGE, HUGE))
        reader = self.reopen(store)
        runs = {r.id: r for r in reader.runs()}
        self.assertEqual(set(runs), {run.id, "bigrun01"})
        big = runs["bigrun01"]
        self.assertEqual(big.state, "finished")
        self.assertEqual(big.summary, {"loss": HUGE})
        self.assertNotIn("wall_time", big.info)  # not a usable duration
        self.assertEqual(big.info["lease_seconds"], 60.0)  # the default, not an overflow
        # a claim after it still works (it reads and judges every run)
        self.assertEqual(reader.claim("agent", propose_from(reader), lease_seconds=30).index, 2)
        code, out, err = self.cli("status", store.id, "--dir", self.root)
        self.assertEqual(code, 0, err)
        code, out, err = self.cli("report", store.id, "--dir", self.root, "-o", os.path.join(self.dir, "r.html"))
        self.assertEqual(code, 0, err)


if __name__ == "__main__":
    unittest.main()
