"""Replays: real W&B sweep scripts, reduced, run unchanged under minisweep.

Each file in ``tests/replays/`` is a reduction of a training script from a public repository behind
one of the sweep configs in the shared corpus (its header names the repository and path). A reduction
keeps every ``wandb`` call of the original with its argument shapes (``init`` keywords, ``config``
access, ``log`` rows and ``step=``, ``summary``, ``define_metric``, ``watch``, ``Image``, ``finish``,
annotations such as ``wandb.Config``...) and replaces the model with a little arithmetic, so a run
takes milliseconds. Every replay says ``import wandb`` as its original does: nothing is installed,
and the agent serves minisweep's ``wandb`` to the child.

Each test runs a real sweep the way its project did: command mode (``minisweep sweep`` then
``minisweep agent``, the child started per run) or function mode (``python -m minisweep run SCRIPT``
for a script that calls ``wandb.sweep`` / ``wandb.agent`` itself), then reads the store and checks
that every run finished (or, in a sweep with hyperband, was stopped by it) and recorded the sweep's
metric as a number.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import minisweep

from .support import env_with

REPLAYS = Path(__file__).resolve().parent / "replays"


class Replay:
    """One replay: the script, its reduced sweep config, how it is run, the metric to find.

    Args:
        script: the file name in tests/replays/.
        config: the sweep config (YAML text, without ``program``), or None for a script that
            creates its own sweep (function mode).
        metric: the metric every run must have recorded; defaults to the config's.
        count: runs to do.
        mode: ``"agent"`` (command mode) or ``"run"`` (``minisweep run SCRIPT``).
        args: arguments for ``minisweep run SCRIPT``; ``{sweep_id}`` is replaced by the sweep's id.
        summary: the metric is read from the run's summary (the script writes it there) rather
            than from a logged row.
    """

    def __init__(self, script, config, metric, count=2, mode="agent", args=(), summary=False):
        self.script = script
        self.config = config
        self.metric = metric
        self.count = count
        self.mode = mode
        self.args = list(args)
        self.summary = summary


CASES = []


class Outcome:
    """What running one replay's sweep left behind: the tool's output and the sweep's id (or None)."""

    def __init__(self, returncode, output, sweep_id, store):
        self.returncode = returncode
        self.output = output
        self.sweep_id = sweep_id
        self.store = store


def run_replay(replay, folder):
    """Run one replay's whole sweep in ``folder`` (subprocesses only, so replays can run side by side)."""
    store = os.path.join(folder, "store")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "minisweep"] + [str(a) for a in args], cwd=folder,
                              env=env_with(MINISWEEP_DIR=store), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)

    sweep_id = None
    if replay.config is not None:
        path = os.path.join(folder, "sweep.yaml")
        with open(path, "w") as fh:
            fh.write("program: %s\n%s" % (REPLAYS / replay.script, replay.config))
        out = cli("sweep", path)
        found = re.search(r"^created sweep (\S+)", out.stdout, re.M)
        if out.returncode != 0 or not found:
            return Outcome(out.returncode or 1, out.stdout, None, store)
        sweep_id = found.group(1)
    if replay.mode == "agent":
        out = cli("agent", sweep_id, "--count", replay.count)
    else:
        out = cli("run", REPLAYS / replay.script, *[a.replace("{sweep_id}", sweep_id or "") for a in replay.args])
    if sweep_id is None:  # the script made its own sweep
        made = [os.path.basename(d) for d, _, files in os.walk(store) if "sweep.json" in files]
        sweep_id = made[0] if len(made) == 1 else None
    return Outcome(out.returncode, out.stdout, sweep_id, store)


class ReplayTest(unittest.TestCase):
    """One test per replay. The sweeps themselves run side by side, four at a time, in setUpClass."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        folders = {}
        for replay in CASES:
            folders[replay.script] = os.path.join(cls.tmp.name, replay.script[:-3])
            os.mkdir(folders[replay.script])
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = {r.script: pool.submit(run_replay, r, folders[r.script]) for r in CASES}
        cls.outcomes = {name: future.result() for name, future in futures.items()}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check(self, replay):
        outcome = self.outcomes[replay.script]
        self.assertEqual(outcome.returncode, 0, outcome.output)
        self.assertIsNotNone(outcome.sweep_id, outcome.output)
        result = minisweep.load(outcome.sweep_id, dir=outcome.store)
        self.assertEqual(len(result.runs), replay.count, outcome.output)
        # a sweep with hyperband may stop a run that falls behind: it still recorded the metric
        states = ("finished", "stopped") if "early_terminate" in (replay.config or "") else ("finished",)
        for run in result.runs:
            self.assertIn(run.state, states, "run %s\n%s" % (run.id, outcome.output))
            if replay.summary:
                value = run.summary.get(replay.metric)
            else:
                values = [row[replay.metric] for row in run.history if replay.metric in row]
                self.assertTrue(values, "run %s logged no %r: %s\n%s" % (
                    run.id, replay.metric, json.dumps(run.history)[:2000], outcome.output))
                value = values[-1]
            self.assertIsInstance(value, (int, float), "run %s: %r = %r\n%s" % (
                run.id, replay.metric, value, outcome.output))


def _add(replay):
    CASES.append(replay)

    def test(self):
        self.check(replay)

    test.__name__ = "test_" + replay.script[:-3]
    test.__doc__ = "%s runs unchanged (%s mode); its runs record %r." % (replay.script, replay.mode, replay.metric)
    setattr(ReplayTest, test.__name__, test)


# --- the table: one line per real script -------------------------------------------------------------

_add(Replay("pysr_wandb_train.py", """
method: bayes
metric: {goal: minimize, name: overall}
parameters:
  parsimony: {min: 0.001, max: 0.01}
  alpha: {distribution: log_uniform, min: -1.0, max: 1.0}
  populations: {distribution: int_uniform, min: 10, max: 20}
  annealing: {values: ["true", "false"]}
""", "overall"))

_add(Replay("torch_wandb_boilerplate_main.py", """
method: grid
project: boilerplate
name: mnist
metric: {name: val/f1, goal: maximize}
parameters:
  device: {value: cuda:0}
  epochs: {value: 3}
  lr:
    values:
    - -1e-3
    - 1e-3
  seed: {values: [12345]}
""", "val/f1"))

_add(Replay("mnist_vae_sweep_train_model.py", """
method: bayes
metric: {goal: minimize, name: validation_loss}
parameters:
  learn_rate: {min: 0.00001, max: 0.1}
  hidden_dim: {min: 200, max: 600}
  latent_dim: {min: 10, max : 40}
  epochs: {min: 2, max: 4}
RUN: 10
""", "validation_loss"))

_add(Replay("dqn_training_train_racing_sweep.py", """
method: bayes
metric: {name: val_reward, goal: maximize, impute: best}
parameters:
  total_timesteps: {value: 20}
  lr: {distribution: log_uniform_values, min: 0.00001, max: 0.0001}
  batch_size: {values: [32, 64, 128]}
  gamma: {distribution: uniform, min: 0.95, max: 0.999}
  activation: {values: ['gelu', 'silu']}
  action_config: {values: ['large_precision', 'large_extended', 'xlarge_full']}
  cnn_config: {values: ['medium_3layer', 'large_4layer']}
""", "val_reward"))

_add(Replay("supcontrast_main_supcon.py", """
project: supcon
method: bayes
metric: {goal: minimize, name: loss}
early_terminate: {type: hyperband, min_iter: 15}
parameters:
  batch_size: {value: 16}
  learning_rate: {min: 0.0001, max: 0.1, distribution: uniform}
  rand_augment: {value: None}
  temp: {value: 0.1}
  epochs: {value: 3}
  lr_decay_epoch:
    value: 70,80,90
  dataset: {value: path}
  mean:
    value: (0.4914, 0.4822, 0.4465)
""", "loss"))

_add(Replay("e4selflearning_sweep_dl.py", """
method: bayes
metric: {goal: maximize, name: best_acc}
parameters:
  scaling_mode: {values: [1, 2, 3], distribution: categorical}
  disable_bias: {values: [True, False], distribution: categorical}
  lr: {max: 0.01, min: 0.0001, distribution: uniform}
  weight_decay: {max: 1, min: 0.0, distribution: uniform}
""", "best_acc", mode="run",
    args=["--output_dir", "out", "--sweep_id", "{sweep_id}", "--wandb_group", "g", "--task_mode", "3",
          "--num_trials", "2"]))

_add(Replay("modulation_explainability_train_constellation.py", """
method: bayes
project: modulation-classification
parameters:
  model_type: {values: [resnet50, resnet34, vit_b_16]}
  use_curriculum: {values: [true, false]}
  batch_size: {values: [128, 256]}
  base_lr: {values: [1e-6, 1e-5]}
  max_lr: {values: [1e-4, 1e-3]}
  dropout: {value: 0.5}
  epochs: {value: 4}
  snr_list: {value: "0,2,4,6,8,10"}
name: "final_comprehensive_lr_curriculum"
early_terminate: {type: hyperband, min_iter: 10, max_iter: 30, s: 2, eta: 3}
metric: {name: val_combined_accuracy, goal: maximize}
""", "val_combined_accuracy"))

_add(Replay("dear_train_reasoner.py", """
method: "grid"
name: "sample"
entity: "dgg30"
project: "nardeq"
metric: {goal: "minimize", name: "val/loss/min_loss_so_far"}
parameters:
    jac_reg: {values: [True, False]}
    jac_reg_tau: {values: [0.001]}
    deq:
        parameters:
            deq_max_iter: {values: [40]}
    seed: {values: [1]}
""", "val/loss/min_loss_so_far", mode="run", args=["--agentify", "{sweep_id}"]))

_add(Replay("brain_age_gnn_wandb_train.py", """
method: bayes
metric: {name: 'cv_validation_average_mse', goal: minimize}
parameters:
  model: {values: ['gcn', 'gat']}
  learning_rate: {distribution: log_uniform, min: -9.904, max: -2.995}
  weight_decay: {distribution: log_uniform, min: -9.904, max: -2.995}
  dropout: {distribution: uniform, min: 0, max: 0.5}
  similarity:
    distribution: categorical
    values:
      - "(['SEX', 'ICD10', 'FI', 'FTE', 'MEM'], 0.8)"
      - "(['SEX', 'FTE', 'FI', 'MEM'], 0.9)"
""", "cv_validation_average_mse", summary=True))

_add(Replay("gnn_mi_run_sweep_kfold.py", """
description: "CoordToCnc with perimeter"
method: grid
parameters:
  allow_stop: {value: 1000}
  cv.fold_id: {values: [0, 1]}
  cv.k_fold: {value: 5}
  dataset.name: {value: "CoordToCnc_perimeter"}
  dataset.standardize: {values: [null]}
  early_stop: {value: 1000}
  epochs: {values: [3]}
  loss.weight: {values: [0.57]}
  model.desc: {value: ""}
  model.name: {value: EGNN}
""", "val_loss"))

_add(Replay("hu_po_baseline_vit.py", """
method: random
metric: {name: val_top-5-accuracy, goal: maximize}
parameters:
  learning_rate: {distribution: log_uniform_values, min: 0.0001, max: 0.01}
  batch_size: {values: [16, 32, 64, 128]}
  projection_dim: {values: [16, 32]}
  image_size: {values: [48, 64]}
  patch_size: {values: [4, 6]}
  num_epochs: {value: 3}
  keras_backend: {values: ["jax", "torch"]}
early_terminate: {type: hyperband, s: 2, eta: 3, max_iter: 3}
""", "val_top-5-accuracy"))

_add(Replay("tutor_learning_ilp_baselines_main.py", """
method: random
run_cap: 50
project: ILP_baselines
name: raw_test
metric: {name: avg_test_f1, goal: maximize}
parameters:
  wandb_project: {value: "ILP_baselines"}
  prefix: {value: "minimal"}
  prefix_cheat: {values: [~, "cheat"]}
  engine: {values: ["popper", "aleph"]}
  max_vars: {values: [12, 15]}
  max_clauses: {values: [1, 2, 4]}
  singleton_vars: {value: False}
""", "avg_test_f1"))

_add(Replay("radio_sunburst_detector_sweep.py", """
method: bayes
project: radio_sunburst_detection
entity: i4ds_radio_sunburst_detection
metric: {goal: maximize, name: val_f1_score_avg}
parameters:
  l1: {min: 0.00001, max: 0.01}
  learning_rate: {min: 0.0001, max: 0.1}
  last_layers_to_train: {values: [0, 1, 2, 3]}
  elim_wrong_channels: {values: [True, False]}
command:
  - ${interpreter}
  - ${program}
  - "--config_name"
  - t_1
  - "--batch_size"
  - 64
""", "val_f1_score_avg"))

_add(Replay("a_nesi_mnistop.py", """
project: mnist-add
entity: nesy-gems
method: random
metric: {name: val_accuracy, goal: maximize}
early_terminate: {type: hyperband, min_iter: 4}
parameters:
  N: {values: [1]}
  epochs: {values: [3]}
  batch_size: {distribution: q_log_uniform_values, min: 16, max: 256}
  perception_lr: {distribution: log_uniform_values, min: 1e-5, max: 1e-2}
  nrm_loss:
    values: [ 'mse', 'bce' ]
    probabilities: [0.3, 0.7]
  policy: {values: [ 'on' ]}
""", "val_accuracy"))

_add(Replay("hassaku_sweep_agent.py", """
method: bayes
metric: {name: max_optimizing_metric, goal: maximize}
name: acf-amazonvid2018-sweep
project: test-sweep
entity: karapost
run_cap: 50
parameters:
  alg: {value: acf}
  dataset: {value: amazonvid2018}
  data_path: {value: /home/alessandro/hassaku/data}
  n_epochs: {value: 3}
  running_settings:
    parameters:
      train_n_workers: {value: 8}
      batch_verbose: {value: True}
  lr: {distribution: log_uniform_values, min: 1e-3, max: 1}
""", "max_optimizing_metric"))

_add(Replay("alphazero_clique_pipeline_clique.py", """
project: alphazero_clique-src
method: bayes
metric: {goal: minimize, name: validation_policy_loss}
early_terminate: {type: hyperband, min_iter: 5, eta: 2, s: 3}
parameters:
  mode: {value: "pipeline"}
  vertices: {value: 7}
  k: {value: 4}
  hidden-dim: {values: [32, 64]}
  game-mode: {value: "symmetric"}
  iterations: {value: 3}
  min-lr: {value: 0.0000001}
""", "validation_policy_loss"))

_add(Replay("dlproject_train.py", None, "validation_accuracy", count=10, mode="run"))

_add(Replay("graphml_run_trials.py", None, "val_loss", mode="run"))

_add(Replay("influence_test_net_main.py", None, "Best Test", mode="run",
            args=["--sweep", "True", "--sweep_num_runs", "2", "--epochs", "3"]))

_add(Replay("eeg_music_challenge_train.py", """
method: grid
name: Baselines
project: emotion_recognition
metric: {goal: maximize, name: val/max_balanced_accuracy}
parameters:
  model: {values: ["eegnet", "syncnet"]}
  use_voting: {value: true}
  lr: {values: [0.001]}
  batch_size: {values: [16]}
  epochs: {value: 3}
""", "val/max_balanced_accuracy", mode="run", args=["--sweep", "--sweep-id", "{sweep_id}"]))

_add(Replay("pytorch_training_toolkit_main_sweep.py", None, "val.loss", mode="run", args=["--n_runs", "2"]))


class CatalogTest(unittest.TestCase):
    def test_every_replay_file_has_a_test_and_cites_its_source(self):
        files = sorted(p.name for p in REPLAYS.glob("*.py"))
        self.assertEqual(files, sorted(r.script for r in CASES))
        self.assertGreaterEqual(len(files), 20)
        for name in files:
            with self.subTest(replay=name):
                head = (REPLAYS / name).read_text(encoding="utf-8")[:1500]
                self.assertIn("Source: https://github.com/", head)
                self.assertIn("import wandb", (REPLAYS / name).read_text(encoding="utf-8"))


if __name__ == "__main__":
    unittest.main()
