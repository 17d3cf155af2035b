"""A program that reports only through torch's SummaryWriter reaches a minisweep sweep.

A real sweep (`minisweep sweep` then `minisweep agent`, subprocesses) of
integration/programs/tensorboard_train.py, which writes TensorBoard event files with the real
torch.utils.tensorboard into $MINISWEEP_RUN_DIR and prints no metric; the agent reads them in pure
Python (minisweep/tensorboard.py). Run by integration/run; skipped where torch or tensorboard is missing.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"

sys.path.insert(0, str(ROOT))
import minisweep  # noqa: E402


@unittest.skipUnless(importlib.util.find_spec("torch") and importlib.util.find_spec("tensorboard"),
                     "needs torch and tensorboard (integration/run installs them)")
class SummaryWriterSweepTest(unittest.TestCase):
    def test_scalars_written_with_summary_writer_are_the_runs_metrics(self):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(str(PROGRAMS / "tensorboard_train.py"), tmp)
            with open(os.path.join(tmp, "sweep.yaml"), "w") as fh:
                fh.write("program: tensorboard_train.py\nmethod: grid\nmetric: {name: val_loss, goal: minimize}\n"
                         "parameters:\n  lr: {values: [0.5, 0.01]}\n")
            env = dict(os.environ)
            env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
            store = os.path.join(tmp, "store")

            def cli(*args):
                out = subprocess.run([sys.executable, "-m", "minisweep"] + list(args), cwd=tmp, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                                     timeout=600)
                self.assertEqual(out.returncode, 0, out.stdout)
                return out.stdout

            sweep_id = cli("sweep", "sweep.yaml", "--dir", store, "--project", "integration").split()[2]
            output = cli("agent", sweep_id, "--dir", store)
            result = minisweep.load(sweep_id, dir=store)
            self.assertEqual([r.state for r in result.runs], ["finished", "finished"], output)
            for run in result.runs:
                with self.subTest(run=run.id, lr=run.config["lr"]):
                    losses = [(row["_step"], row["train/loss"]) for row in run.history if "train/loss" in row]
                    self.assertEqual([step for step, _ in losses], [0, 1, 2, 3, 4], run.history)
                    self.assertTrue(all(isinstance(v, float) and v >= 0 for _, v in losses), losses)
                    self.assertNotIn("weight", run.summary)  # a histogram is not a scalar
                    self.assertEqual([r["_step"] for r in run.history if "val_loss" in r], [5])
            # the larger learning rate fits this line better in 5 steps: the sweep's best run says so
            self.assertEqual(result.best_run().config["lr"], 0.5, output)


if __name__ == "__main__":
    unittest.main()
