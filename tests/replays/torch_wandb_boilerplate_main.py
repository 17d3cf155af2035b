# Replay of HashakGik/torch-wandb-boilerplate: main.py (with train.py's history).
# Source: https://github.com/HashakGik/torch-wandb-boilerplate/blob/a5991ff1ec9beba111a957ff42401ed7c43b7b05/main.py
# Sweep: corpus 003 (grid, metric "val/f1"). Command mode. The script only talks to W&B when the agent
# set WANDB_SWEEP_ID (or --wandb_project is given), groups runs by a name made from the
# hyper-parameters, sets run tags after training, logs the history with log(data=..., step=i) and
# finishes with exit_code=1 unless training succeeded. Training is replaced by arithmetic.
import argparse
import os

import wandb


def get_arg_parser():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=-1e-3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", type=str, default="cpu")
    parser.add_argument("--wandb_project", type=str, default=None)
    return parser


def generate_name(opts):
    return "lr{}_e{}".format(opts["lr"], opts["epochs"])


def run(opts):
    history = []
    for epoch in range(opts["epochs"]):
        f1 = 1 - 1 / (2 + epoch * abs(opts["lr"]) * 100)
        history.append({"train/loss": 1 - f1, "val/f1": f1, "test/f1": f1 * 0.99})
    return {"Success"}, history


if __name__ == "__main__":
    arg_parser = get_arg_parser()
    opts = vars(arg_parser.parse_args())
    experiment_name = generate_name(opts)

    if os.environ.get('DEVICE') is not None:
        opts['device'] = os.environ.get('DEVICE')

    wb = None
    if "WANDB_SWEEP_ID" in os.environ:
        wb = wandb.init(group=experiment_name, config=opts)
    elif opts['wandb_project'] is not None:
        wb = wandb.init(project=opts['wandb_project'], group=experiment_name, config=opts)

    return_flags, history = run(opts)

    if wb is not None:
        wb.tags = sorted(return_flags)
        for i, h in enumerate(history):
            wb.log(data=h, step=i)

        if "Success" not in return_flags:
            wb.finish(exit_code=1)
        else:
            wb.finish()
    else:
        print({"history": history, "flags": return_flags})
