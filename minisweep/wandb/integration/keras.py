"""wandb's Keras callbacks, offline: ``from wandb.integration.keras import WandbMetricsLogger``.

W&B's own callbacks live in the ``wandb`` package (``wandb/integration/keras/``) and import
TensorFlow. These are minisweep's versions, written for the same call shapes and logging the same keys,
so a Keras sweep script runs unchanged and its sweep metric has the name it has on W&B:

- ``WandbMetricsLogger(log_freq="epoch", initial_global_step=0)`` logs every entry of Keras' ``logs``
  as ``epoch/<name>`` (``epoch/loss``, ``epoch/val_loss``, ...) plus ``epoch/epoch`` and
  ``epoch/learning_rate`` at the end of each epoch; with ``log_freq="batch"`` or an int N, also
  ``batch/<name>``, ``batch/batch_step`` and ``batch/learning_rate`` every N training batches.
- ``WandbCallback(monitor="val_loss", log_best_prefix="best_", log_batch_frequency=None, ...)``, the
  legacy callback: logs Keras' names unprefixed (``val_loss``, ``accuracy``) with ``epoch``, and writes
  the best monitored value to the summary as ``best_val_loss`` / ``best_epoch``. Its media options
  (images, gradients, weights, graphs, evaluation tables) are accepted and ignored; with
  ``save_model=True`` the best model is saved as ``model-best.keras`` in the run's folder.
- ``WandbModelCheckpoint(filepath, ...)`` is Keras' ``ModelCheckpoint`` (files are saved locally;
  there is no artifact upload).
- ``WandbEvalCallback`` is accepted as a base class; its tables are not built.

Keras 3 (any backend) and ``tf.keras`` both work. Importing this module imports Keras (as W&B's imports
TensorFlow); nothing else in minisweep imports it, so ``import minisweep`` or ``import wandb`` never
costs a Keras import. Like W&B's, the callbacks raise ``wandb.Error`` unless ``wandb.init()`` was
called first.
"""

import importlib
import operator
import os
from typing import Any, Dict, Optional

__all__ = ["WandbMetricsLogger", "WandbCallback", "WandbModelCheckpoint", "WandbEvalCallback"]


def _wandb() -> Any:
    """The ``wandb`` surface this package belongs to (``minisweep.wandb``, or a vendored copy)."""
    return importlib.import_module(__name__.rsplit(".", 2)[0])


def _keras() -> Any:
    try:
        return importlib.import_module("keras")
    except ImportError:
        return importlib.import_module("tensorflow.keras")


def _scalar(value: Any) -> Any:
    """A NumPy or tensor scalar as a plain Python number; anything else unchanged."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) in ((), None):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def _require_run(name: str) -> Any:
    wandb = _wandb()
    if wandb.run is None:
        raise wandb.Error("You must call `wandb.init()` before %s()" % name)
    return wandb


def _learning_rate(keras: Any, model: Any, step: int) -> Optional[float]:
    """The optimizer's current learning rate, a schedule evaluated at ``step``; None if there is none."""
    lr = getattr(getattr(model, "optimizer", None), "learning_rate", None)
    if lr is None:
        return None
    schedules = getattr(getattr(keras, "optimizers", None), "schedules", None)
    schedule = getattr(schedules, "LearningRateSchedule", None)
    if schedule is not None and isinstance(lr, schedule):
        lr = lr(step)
    ops = getattr(keras, "ops", None)
    if ops is not None:
        lr = ops.convert_to_numpy(lr)
    elif hasattr(lr, "numpy"):
        lr = lr.numpy()
    return float(lr)


keras = _keras()
Callback = keras.callbacks.Callback


class WandbMetricsLogger(Callback):  # type: ignore[misc, valid-type]
    """Logs Keras' metrics as ``epoch/<name>`` (and ``batch/<name>``) to the current run."""

    def __init__(self, log_freq: Any = "epoch", initial_global_step: int = 0, *args: Any,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        wandb = _require_run("WandbMetricsLogger")
        if log_freq == "batch":
            log_freq = 1
        self.logging_batch_wise = isinstance(log_freq, int)
        self.log_freq = log_freq if self.logging_batch_wise else None
        self.global_batch = 0
        self.global_step = initial_global_step
        prefix = "batch" if self.logging_batch_wise else "epoch"
        step = "batch/batch_step" if self.logging_batch_wise else "epoch/epoch"
        wandb.define_metric(step)
        wandb.define_metric(prefix + "/*", step_metric=step)
        self._lr_failed = False

    def _get_lr(self) -> Optional[float]:
        try:
            return _learning_rate(keras, self.model, self.global_step)
        except Exception as exc:  # the rate is a nicety: never stop training for it
            if not self._lr_failed:
                _wandb().termerror("Unable to log learning rate: %s" % exc, repeat=False)
                self._lr_failed = True
            return None

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        row = {"epoch/" + k: _scalar(v) for k, v in (logs or {}).items()}
        row["epoch/epoch"] = epoch
        lr = self._get_lr()
        if lr is not None:
            row["epoch/learning_rate"] = lr
        _wandb().log(row)

    def on_batch_end(self, batch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        self.global_step += 1
        if self.logging_batch_wise and batch % self.log_freq == 0:
            row = {"batch/" + k: _scalar(v) for k, v in (logs or {}).items()}
            row["batch/batch_step"] = self.global_batch
            lr = self._get_lr()
            if lr is not None:
                row["batch/learning_rate"] = lr
            _wandb().log(row)
            self.global_batch += self.log_freq

    def on_train_batch_end(self, batch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        self.on_batch_end(batch, logs)


class WandbCallback(Callback):  # type: ignore[misc, valid-type]
    """The legacy callback: Keras' metric names unprefixed, the best monitored value in the summary."""

    def __init__(self, monitor: str = "val_loss", verbose: int = 0, mode: str = "auto",
                 save_weights_only: bool = False, log_weights: bool = False, log_gradients: bool = False,
                 save_model: bool = True, training_data: Any = None, validation_data: Any = None,
                 labels: Any = None, predictions: int = 36, generator: Any = None, input_type: Any = None,
                 output_type: Any = None, log_evaluation: bool = False, validation_steps: Any = None,
                 class_colors: Any = None, log_batch_frequency: Optional[int] = None,
                 log_best_prefix: Optional[str] = "best_", save_graph: bool = True,
                 validation_indexes: Any = None, validation_row_processor: Any = None,
                 prediction_row_processor: Any = None, infer_missing_processors: bool = True,
                 log_evaluation_frequency: int = 0, compute_flops: bool = False, **kwargs: Any) -> None:
        super().__init__()
        wandb = _require_run("WandbCallback")
        self.monitor = monitor
        self.verbose = verbose
        self.save_model = save_model
        self.save_weights_only = save_weights_only
        self.log_batch_frequency = log_batch_frequency
        self.log_best_prefix = log_best_prefix
        if mode not in ("auto", "min", "max"):
            mode = "auto"
        if mode == "max" or (mode == "auto" and ("acc" in monitor or monitor.startswith("fmeasure"))):
            self.monitor_op, self.best = operator.gt, float("-inf")
        else:
            self.monitor_op, self.best = operator.lt, float("inf")
        previous = wandb.run.summary.get("%s%s" % (log_best_prefix, monitor)) if log_best_prefix else None
        if previous is not None:
            self.best = previous

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        wandb = _wandb()
        logs = {k: _scalar(v) for k, v in (logs or {}).items()}
        wandb.log({"epoch": epoch}, commit=False)
        wandb.log(logs, commit=True)
        current = logs.get(self.monitor)
        if current is not None and self.monitor_op(current, self.best):
            if self.log_best_prefix:
                wandb.run.summary["%s%s" % (self.log_best_prefix, self.monitor)] = current
                wandb.run.summary["%sepoch" % self.log_best_prefix] = epoch
            if self.save_model:
                path = os.path.join(wandb.run.dir, "model-best.keras")
                if self.save_weights_only:
                    self.model.save_weights(path.replace(".keras", ".weights.h5"))
                else:
                    self.model.save(path)
            self.best = current

    def on_train_batch_end(self, batch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        if self.log_batch_frequency and batch % self.log_batch_frequency == 0:
            _wandb().log({k: _scalar(v) for k, v in (logs or {}).items()}, commit=True)


class WandbModelCheckpoint(keras.callbacks.ModelCheckpoint):  # type: ignore[misc, name-defined]
    """Keras' ModelCheckpoint; W&B's version also uploads the files as artifacts (nothing to upload here)."""

    def __init__(self, filepath: str, *args: Any, **kwargs: Any) -> None:
        _require_run("WandbModelCheckpoint")
        super().__init__(filepath, *args, **kwargs)


class WandbEvalCallback(Callback):  # type: ignore[misc, valid-type]
    """Base class for W&B's evaluation tables; the tables are not built offline."""

    def __init__(self, data_table_columns: Any = None, pred_table_columns: Any = None, *args: Any,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _require_run("WandbEvalCallback")
        self.data_table_columns = data_table_columns
        self.pred_table_columns = pred_table_columns
