# Replay of april-tools/e4selflearning: sweep_dl.py driving train_ann.main(args, wandb_sweep=True).
# Source: https://github.com/april-tools/e4selflearning/blob/759dd7dff1610af5e733c027264fafd957acabc6/sweep_dl.py
#         https://github.com/april-tools/e4selflearning/blob/759dd7dff1610af5e733c027264fafd957acabc6/train_ann.py
# Sweep: corpus 010 (bayes, metric "best_acc"; it names program sweep.py, which is sweep_dl.py in the
# repository's current tree). Function mode: the sweep is created beforehand (`wandb
# sweep sweep.yml`), then this script is given its id and runs wandb.agent(sweep_id=..., function=
# partial(main, ...), count=1) once per trial, each time in a FORKED child process. `wandb.Config` is
# used in an annotation (evaluated when the class is defined), the run is renamed to its id, the
# config is iterated with .items(), and rows are logged with step=epoch. The network is arithmetic.
import argparse
import multiprocessing as mp
import os
from functools import partial

import wandb


def forked(fn):
    def call(*args, **kwargs):
        ctx = mp.get_context("fork")
        q = ctx.Queue(1)
        is_error = ctx.Value("b", False)

        def target():
            try:
                q.put(fn(*args, **kwargs))
            except BaseException as e:
                is_error.value = True
                q.put(e)

        ctx.Process(target=target).start()
        result = q.get()
        if is_error.value:
            raise result
        return result

    return call


class Args:
    def __init__(self, id: str, config: wandb.Config, output_dir: str, task_mode: int = None):
        self.output_dir = os.path.join(output_dir, id)
        self.task_mode = task_mode
        self.epochs = 4
        self.scaling_mode = 2
        self.use_wandb = True
        for key, value in config.items():
            if not hasattr(self, key):
                setattr(self, key, value)


def train_main(args, wandb_sweep=False):
    best_acc = 0.0
    for epoch in range(args.epochs):
        val_acc = 1 - 1 / (2 + epoch * args.lr * 100) - (0.01 if args.disable_bias else 0)
        best_acc = max(best_acc, val_acc)
        if args.use_wandb:
            log = {
                "train_classifier_loss": 1 - val_acc,
                "val_acc": val_acc,
                "best_acc": best_acc,
                "elapse": 0.1,
            }
            wandb.log(
                log,
                step=epoch,
            )


def main(output_dir: str, wandb_group: str, task_mode: int = None):
    run = wandb.init(group=wandb_group)
    config = run.config
    run.name = run.id
    args = Args(id=run.id, config=config, output_dir=output_dir, task_mode=task_mode)
    train_main(args, wandb_sweep=True)


@forked
def agent(params):
    wandb.agent(
        sweep_id=params.sweep_id,
        function=partial(
            main,
            output_dir=params.output_dir,
            wandb_group=params.wandb_group,
            task_mode=params.task_mode,
        ),
        count=1,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--output_dir", type=str, required=True)
    parser.add_argument("--sweep_id", type=str, required=True)
    parser.add_argument("--wandb_group", type=str, required=True)
    parser.add_argument("--num_trials", type=int, default=1)
    parser.add_argument("--task_mode", type=int, choices=[1, 2, 3], required=False)
    params = parser.parse_args()

    for _ in range(params.num_trials):
        agent(params)
