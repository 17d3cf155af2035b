# Replay of HEmile/a-nesi: anesi/experiments/mnist_op/mnistop.py (SWEEP = True branch).
# Source: https://github.com/HEmile/a-nesi/blob/4366c29b19831efe1c60a95997ce60935874ca6b/anesi/experiments/mnist_op/mnistop.py
# Sweep: corpus 032 (random + hyperband, metric "val_accuracy"; q_log_uniform_values, categorical with
# probabilities). Command mode; the script ignores its argv (parse_known_args) and, as its author's TODO
# says, passes the sweep FILE's own content as init(config=...): wandb.config then holds "method",
# "metric", "parameters" next to the sweep's values, and the defaults dict is updated from wandb.config
# with dict.update. Kept: training rows every few iterations and a validation row per epoch with an
# f-string prefix. The sweep file is inlined (no PyYAML here); the neurosymbolic model is arithmetic.
import argparse

import wandb

SWEEP = True
SWEEP_FILE = {
    "program": "mnistop.py",
    "method": "random",
    "metric": {"name": "val_accuracy", "goal": "maximize"},
    "parameters": {"N": {"values": [1]}, "epochs": {"values": [3]},
                   "perception_lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-2}},
}

if __name__ == '__main__':
    config = {
        "use_cuda": True,
        "N": 1,
        "op": "add",
        "test": False,
        "batch_size": 16,
        "amt_samples": 100,
        "perception_lr": 1e-3,
        "epochs": 30,
        "log_per_epoch": 3,
        "hidden_size": 200,
        "K_beliefs": 100,
    }

    parser = argparse.ArgumentParser()
    parser.add_argument('--config', type=str, default=None)
    known, unknown = parser.parse_known_args()
    if SWEEP:
        sweep_config = SWEEP_FILE
        run = wandb.init(config=sweep_config)
        config.update(wandb.config)
        print(config)

    for epoch in range(config["epochs"]):
        for i in range(config["log_per_epoch"]):
            train_acc = 0.5 + 0.1 * epoch + config["perception_lr"]
            wandb.log({
                "percept_loss": 1 - train_acc,
                "nrm_loss": 0.5,
                "train_accuracy": train_acc,
                "avg_alpha": 0.1,
            })
        val_accuracy = 0.5 + 0.1 * epoch + config["perception_lr"] - 1.0 / config["batch_size"]
        wdb_prefix = 'test' if config['test'] else 'val'
        wandb.log({
            f"{wdb_prefix}_accuracy": val_accuracy,
            f"{wdb_prefix}_digit_accuracy": val_accuracy + 0.1,
            f"{wdb_prefix}_time": 0.01,
            f"{wdb_prefix}_target": 2 * val_accuracy + 0.1,
            "epoch_time": 0.1,
        })
