"""The framework loggers, unchanged, reach a minisweep sweep on a machine without wandb.

Each test is a real sweep: `minisweep sweep` then `minisweep agent` as subprocesses, running a
training script written the way its framework's users write it (PyTorch Lightning's `WandbLogger`,
Hugging Face `Trainer(report_to="wandb")`, Keras with wandb's `WandbMetricsLogger`). The scripts are
in `integration/programs/`; none of them knows about minisweep. The tests then read the store and
check that every run finished with the framework's own metric name and the sweep's parameter values.

Run by `integration/run`, which builds a venv with the pinned releases of `requirements.txt` (and
without wandb); skipped when a framework is not importable, so `python -m unittest` elsewhere is quiet.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"

sys.path.insert(0, str(ROOT))
import minisweep  # noqa: E402


def available(module):
    return importlib.util.find_spec(module) is not None


class SweepTest(unittest.TestCase):
    """A temporary directory holding the program, the sweep file and the store."""

    def setUp(self):
        warnings.simplefilter("error")
        self.assertIsNone(importlib.util.find_spec("wandb"), "wandb must not be installed for these tests")
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.store = os.path.join(self.dir, "store")

    def cli(self, *args, timeout=600):
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env["KERAS_BACKEND"] = "torch"
        env.pop("WANDB_PROJECT", None)
        out = subprocess.run([sys.executable, "-m", "minisweep"] + [str(a) for a in args], cwd=self.dir, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                             timeout=timeout)
        return out

    def sweep(self, program, config_text, count):
        """Run a whole sweep of `program`; return (the loaded sweep, the agent's output)."""
        for name in os.listdir(str(PROGRAMS)):  # programs may import each other
            if name.endswith(".py"):
                shutil.copy(str(PROGRAMS / name), self.dir)
        with open(os.path.join(self.dir, "sweep.yaml"), "w") as fh:
            fh.write("program: %s\n%s" % (program, config_text))
        out = self.cli("sweep", "sweep.yaml", "--dir", self.store, "--project", "integration")
        self.assertEqual(out.returncode, 0, out.stdout)
        sweep_id = out.stdout.splitlines()[0].split()[2]
        agent = self.cli("agent", sweep_id, "--dir", self.store, "--count", count)
        self.assertEqual(agent.returncode, 0, agent.stdout)
        return minisweep.load(sweep_id, dir=self.store), agent.stdout

    def assert_logged(self, result, metric, params, output, count):
        """Every run finished, logged `metric` as a number and ran with the sweep's values of `params`."""
        self.assertEqual(len(result.runs), count, output)
        for run in result.runs:
            with self.subTest(run=run.id):
                self.assertEqual(run.state, "finished", output)
                values = [row[metric] for row in run.history if metric in row]
                self.assertTrue(values, "%s: no %r in %r\n%s" % (run.id, metric, run.history, output))
                self.assertTrue(all(isinstance(v, float) for v in values), values)
        seen = sorted(tuple(run.config[p] for p in params) for run in result.runs)
        return seen


@unittest.skipUnless(available("lightning"), "lightning is not installed (run integration/run)")
class LightningTest(SweepTest):
    """PyTorch Lightning's WandbLogger (it checks the installed wandb version: see docs/porting)."""

    def test_wandb_logger_metrics_reach_the_sweep(self):
        result, out = self.sweep("lightning_train.py", """
method: grid
metric: {name: val_loss, goal: minimize}
parameters:
  lr: {values: [0.1, 0.01]}
  hidden: {values: [2, 4]}
  epochs: {value: 2}
""", 4)
        seen = self.assert_logged(result, "val_loss", ["lr", "hidden"], out, 4)
        self.assertEqual(seen, [(0.01, 2), (0.01, 4), (0.1, 2), (0.1, 4)])
        for run in result.runs:
            # two epochs: one val_loss row each, with Lightning's own step metric beside it
            rows = [row for row in run.history if "val_loss" in row]
            self.assertEqual(len(rows), 2, run.history)
            self.assertIn("trainer/global_step", rows[0])
            self.assertIn("train_loss", run.summary)
        self.assertIsNotNone(result.best_run())

    def test_wandb_logger_joins_the_run_the_script_started(self):
        result, out = self.sweep("lightning_init_first.py", """
method: random
metric: {name: val_loss, goal: minimize}
parameters:
  lr: {values: [0.05]}
  hidden: {values: [3]}
""", 1)
        self.assert_logged(result, "val_loss", ["lr", "hidden"], out, 1)
        run = result.runs[0]
        self.assertEqual((run.config["lr"], run.config["hidden"]), (0.05, 3))
        self.assertEqual(len([row for row in run.history if "val_loss" in row]), 2)  # epochs from the script's defaults

    def test_hyperband_stops_a_run_that_falls_behind(self):
        # Grid order runs lr=0.1 first (it learns and finishes), then lr=0 (it cannot learn): after its
        # first epoch (band 1) it is worse than the first run was there, and the agent stops it while
        # it still has most of its epochs to go.
        result, out = self.sweep("lightning_train.py", """
method: grid
metric: {name: val_loss, goal: minimize}
early_terminate: {type: hyperband, min_iter: 1, eta: 3}
parameters:
  lr: {values: [0.1, 0.0]}
  epochs: {value: 100}
""", 2)
        states = {run.config["lr"]: run.state for run in result.runs}
        self.assertEqual(states[0.0], "stopped", out)
        self.assertEqual(states[0.1], "finished", out)
        stopped = [run for run in result.runs if run.config["lr"] == 0.0][0]
        epochs = len([row for row in stopped.history if "val_loss" in row])
        self.assertLess(epochs, 50, "the stopped run trained on")


@unittest.skipUnless(available("transformers") and available("accelerate"), "transformers is not installed")
class TransformersTest(SweepTest):
    """Hugging Face Trainer with report_to="wandb": its WandbCallback logs eval/loss."""

    def test_trainer_report_to_wandb_reaches_the_sweep(self):
        result, out = self.sweep("hf_trainer_train.py", """
method: grid
metric: {name: eval/loss, goal: minimize}
parameters:
  learning_rate: {values: [0.001, 0.0001]}
  num_train_epochs: {value: 2}
""", 2)
        seen = self.assert_logged(result, "eval/loss", ["learning_rate"], out, 2)
        self.assertEqual(seen, [(0.0001,), (0.001,)])
        for run in result.runs:
            # the sweep's learning rate wins over the TrainingArguments the callback writes back
            self.assertIn(run.config["learning_rate"], (0.001, 0.0001))
            self.assertIn("train/loss", run.summary)
            self.assertEqual(len([row for row in run.history if "eval/loss" in row]), 2)


@unittest.skipUnless(available("keras"), "keras is not installed")
class KerasTest(SweepTest):
    """Keras 3 (torch backend) with wandb's WandbMetricsLogger, served by minisweep.wandb.integration.keras."""

    def test_metrics_logger_reaches_the_sweep(self):
        result, out = self.sweep("keras_train.py", """
method: grid
metric: {name: epoch/val_loss, goal: minimize}
parameters:
  learning_rate: {values: [0.05, 0.005]}
  units: {value: 3}
  epochs: {value: 3}
""", 2)
        seen = self.assert_logged(result, "epoch/val_loss", ["learning_rate", "units"], out, 2)
        self.assertEqual(seen, [(0.005, 3), (0.05, 3)])
        for run in result.runs:
            rows = [row for row in run.history if "epoch/val_loss" in row]
            self.assertEqual([row["epoch/epoch"] for row in rows], [0, 1, 2])
            self.assertAlmostEqual(rows[0]["epoch/learning_rate"], run.config["learning_rate"], places=6)


if __name__ == "__main__":
    unittest.main()
