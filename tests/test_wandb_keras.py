"""wandb.integration.keras: W&B's Keras callbacks on minisweep's surface, without Keras installed.

Keras itself is exercised by ``integration/test_frameworks.py`` (real Keras 3 in a venv). Here a
stand-in ``keras`` module with the few names the callbacks use drives them through a real sweep, so the
keys they log — the names a Keras user's sweep metric has on W&B — are checked on every interpreter.
"""

import importlib
import io
import sys
import subprocess
import types
import unittest
from contextlib import redirect_stderr

import minisweep
import minisweep.wandb as wandb

from .support import env_with, temp_dir

MODULES = ("minisweep.wandb.integration.keras", "minisweep.wandb.keras")
wandb_keras = None  # the module, imported afresh by each test on top of the stand-in keras


class Schedule:
    """Stands in for keras.optimizers.schedules.LearningRateSchedule: halves the rate every step."""

    def __init__(self, initial):
        self.initial = initial

    def __call__(self, step):
        return self.initial / 2 ** step


def fake_keras():
    keras = types.ModuleType("keras")

    class Callback:
        def __init__(self):
            self.model = None

        def set_model(self, model):
            self.model = model

    class ModelCheckpoint(Callback):
        def __init__(self, filepath, monitor="val_loss"):
            super().__init__()
            self.filepath = filepath
            self.monitor = monitor

    keras.callbacks = types.SimpleNamespace(Callback=Callback, ModelCheckpoint=ModelCheckpoint)
    keras.optimizers = types.SimpleNamespace(schedules=types.SimpleNamespace(LearningRateSchedule=Schedule))
    keras.ops = types.SimpleNamespace(convert_to_numpy=lambda value: value)
    return keras


class Model:
    def __init__(self, learning_rate):
        self.optimizer = types.SimpleNamespace(learning_rate=learning_rate)
        self.saved = []

    def save(self, path):
        self.saved.append(path)


class KerasCallbackTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir(self)
        saved = {name: sys.modules.pop(name, None) for name in ("keras",) + MODULES}
        self.addCleanup(self.restore, saved)
        sys.modules["keras"] = fake_keras()
        global wandb_keras
        wandb_keras = importlib.import_module(MODULES[0])  # built on the stand-in

    @staticmethod
    def restore(saved):
        for name, module in saved.items():  # nothing built on the stand-in outlives the test
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module

    def run_sweep(self, train):
        sweep_id = wandb.sweep({"method": "grid", "metric": {"name": "epoch/val_loss", "goal": "minimize"},
                                "parameters": {"lr": {"values": [0.5]}}}, project="p", dir=self.dir)
        with redirect_stderr(io.StringIO()):
            wandb.agent(sweep_id, train, dir=self.dir, quiet=True)
        return minisweep.load(sweep_id, dir=self.dir).runs[0]

    def test_metrics_logger_logs_epoch_keys_with_the_learning_rate(self):
        def train():
            wandb.init()
            callback = wandb_keras.WandbMetricsLogger()
            callback.set_model(Model(wandb.config.lr))
            for epoch in range(3):
                callback.on_train_batch_end(0, {"loss": 9.0})
                callback.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 2.0 / (epoch + 1)})

        run = self.run_sweep(train)
        self.assertEqual(run.state, "finished")
        rows = [row for row in run.history if "epoch/val_loss" in row]
        self.assertEqual([row["epoch/epoch"] for row in rows], [0, 1, 2])
        self.assertEqual([row["epoch/val_loss"] for row in rows], [2.0, 1.0, 2.0 / 3])
        self.assertEqual(rows[0]["epoch/learning_rate"], 0.5)
        self.assertFalse([key for row in run.history for key in row if key.startswith("batch/")])

    def test_batch_logging_every_n_batches_with_a_schedule(self):
        def train():
            wandb.init()
            callback = wandb_keras.WandbMetricsLogger(log_freq=2)
            callback.set_model(Model(Schedule(wandb.config.lr)))
            for batch in range(4):
                callback.on_train_batch_end(batch, {"loss": float(batch)})

        run = self.run_sweep(train)
        rows = [row for row in run.history if "batch/loss" in row]
        self.assertEqual([(r["batch/batch_step"], r["batch/loss"]) for r in rows], [(0, 0.0), (2, 2.0)])
        self.assertEqual([r["batch/learning_rate"] for r in rows], [0.25, 0.0625])  # evaluated at steps 1, 3

    def test_legacy_callback_logs_keras_names_and_the_best_value_in_the_summary(self):
        def train():
            wandb.init()
            callback = wandb_keras.WandbCallback(save_model=False)
            callback.set_model(Model(0.1))
            for epoch, val_loss in enumerate([3.0, 1.0, 2.0]):
                callback.on_epoch_end(epoch, {"loss": val_loss, "val_loss": val_loss})

        run = self.run_sweep(train)
        self.assertEqual([row["val_loss"] for row in run.history if "val_loss" in row], [3.0, 1.0, 2.0])
        self.assertEqual([row["epoch"] for row in run.history if "val_loss" in row], [0, 1, 2])
        self.assertEqual(run.summary["best_val_loss"], 1.0)
        self.assertEqual(run.summary["best_epoch"], 1)

    def test_callbacks_need_a_run_first_as_on_wandb(self):
        self.assertIsNone(wandb.run)
        for name in ("WandbMetricsLogger", "WandbCallback", "WandbEvalCallback"):
            with self.subTest(name=name), self.assertRaises(wandb.Error) as cm:
                getattr(wandb_keras, name)()
            self.assertIn("wandb.init()", str(cm.exception))

    def test_the_old_import_path_is_the_same_module(self):
        from minisweep.wandb import keras as old_path

        self.assertIs(old_path.WandbMetricsLogger, wandb_keras.WandbMetricsLogger)

    def test_unknown_names_are_attribute_errors(self):
        with self.assertRaises(AttributeError):
            wandb_keras.WandbNoSuchCallback

    def test_importing_minisweep_or_the_surface_does_not_import_keras(self):
        code = ("import sys, minisweep, minisweep.wandb, minisweep.wandb.integration; "
                "print('keras' in sys.modules)")
        out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, universal_newlines=True,
                             env=env_with(), check=True)
        self.assertEqual(out.stdout.strip(), "False")


if __name__ == "__main__":
    unittest.main()
