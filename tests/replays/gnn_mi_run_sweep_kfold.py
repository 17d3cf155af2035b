# Replay of matthiaszeller/GNN-MI: src/run_sweep_kfold.py with train.GNN.train()/evaluate().
# Source: https://github.com/matthiaszeller/GNN-MI/blob/14481b4ba90d513d95e9b5409fdeb0e71a5560da/src/run_sweep_kfold.py
#         https://github.com/matthiaszeller/GNN-MI/blob/14481b4ba90d513d95e9b5409fdeb0e71a5560da/src/train.py
#         https://github.com/matthiaszeller/GNN-MI/blob/14481b4ba90d513d95e9b5409fdeb0e71a5560da/src/setup.py
# Sweep: corpus 027 (grid, no metric; dotted parameter names such as cv.fold_id and model.name kept
# flat). Command mode: the script refuses to run unless sys.argv holds --model.name=..., and reads
# config['dataset.name'] from dict(run.config). Kept: init(**settings with a pathlib dir, group=,
# job_type=), `wandb.sdk.wandb_run.Run` annotations evaluated at definition with the MODULE as default
# run (run.log / run.summary.update on the wandb module), a nested row with commit=False followed by
# a committed one, run.summary.update, run.finish(). The graph network is replaced by arithmetic.
import pathlib
import sys
import tempfile
from typing import Dict

import wandb

WANDB_SETTINGS = {
    'project': 'egnn-mi',
    'entity': 'mazeller',
    'dir': pathlib.Path(tempfile.mkdtemp()),
}


class GNN:
    def __init__(self, config):
        self.config = config
        self.epoch = 0

    def train(self, epochs: int, early_stop: int, allow_stop: int = 200,
              run: wandb.sdk.wandb_run.Run = wandb):
        val_metrics = None
        for epoch_idx in range(1, epochs + 1):
            self.epoch = epoch_idx
            metrics = {'loss': 1.0 / epoch_idx, 'epoch': epoch_idx, 'aux': {'MSE': 0.1},
                       '1': {'f1-score': 0.6}, '0': {'f1-score': 0.7}}
            run.log({'train': metrics}, commit=False)
            val_metrics = self.evaluate(val_set=True)
        run.summary.update({'early_stop': False})
        return val_metrics

    def evaluate(self, val_set: bool, run: wandb.sdk.wandb_run.Run = wandb) -> Dict[str, float]:
        prefix = 'val' if val_set else 'test'
        val_loss = 1.2 / self.epoch + self.config['loss.weight'] + self.config['cv.fold_id'] / 100
        metrics = {'loss': val_loss, 'epoch': self.epoch, '1': {'f1-score': 0.6}, '0': {'f1-score': 0.7}}
        run.log({
            prefix + '_loss': val_loss,
            prefix + '_f1_score': 2 * 0.6 * 0.7 / 1.3,
            prefix: metrics
        })
        return metrics


filtered_args = [arg for arg in sys.argv if 'model.name' in arg]
if len(filtered_args) != 1:
    raise ValueError('no model name in parameters, this script can only be run with wandb agent for sweeps')
model_name = filtered_args[0].split('=')[1]

run = wandb.init(**WANDB_SETTINGS,
                 group=f"model-{model_name}",
                 job_type='sweep-kfold')
config = dict(run.config)

train_set = config['dataset.name'] + '-fold-%d' % config['cv.fold_id']
gnn = GNN(config=config)
val_metrics = gnn.train(
    epochs=config['epochs'],
    early_stop=config['early_stop'],
    allow_stop=config['allow_stop'],
    run=run
)
run.finish()
