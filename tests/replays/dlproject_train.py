# Replay of ManuelaCorte/DLProject: src/vgproject/train.py (visual grounding, sweep mode).
# Source: https://github.com/ManuelaCorte/DLProject/blob/e120789063dae14b0ef3e03836055b25504d330d/src/vgproject/train.py
#         https://github.com/ManuelaCorte/DLProject/blob/e120789063dae14b0ef3e03836055b25504d330d/sweep_config.json
# Sweep: corpus 054 (bayes with run_cap 10, metric "validation_accuracy"). Function mode: the script
# creates the sweep itself, wandb.sweep(sweep_configuration, project="vgproject"), and runs
# wandb.agent(sweep, function=initialize_run, count=10) — W&B calls the function with NO argument, so
# its default sweep=True applies. Kept: login(key=os.getenv(...)) with no key set, init(project=),
# the project's own Config updated from wandb.config, watch(model, loss, log="all", log_freq=100,
# log_graph=True), the sweep metric row, then a row of nested {"train", "val"} dicts with commit=True,
# finish on the run object. The sweep file is inlined; the CLIP-based model is arithmetic.
import os
from typing import Any, Dict

import wandb

SWEEP_CONFIG_JSON = {
    "name": "vgproject_sweep",
    "method": "bayes",
    "metric": {"name": "validation_accuracy", "goal": "maximize"},
    "parameters": {
        "epochs": {"value": 5},
        "lr": {"min": 1e-5, "max": 1e-3},
        "lr_backbone": {"min": 1e-6, "max": 1e-4},
        "l1": {"values": [3.0, 3.25, 3.5]},
        "l2": {"values": [1.0, 1.5, 2.0]},
        "dropout": {"values": [0.2, 0.3, 0.4, 0.5]},
        "weight_decay": {"min": 1e-4, "max": 1e-2},
    },
    "run_cap": 10,
}


class Config:
    def __init__(self):
        self.epochs = 10
        self.lr = 1e-4
        self.l1 = 5.0
        self.l2 = 2.0
        self.sweep = True
        self.wandb = True

    def update(self, params):
        for key, value in params.items():
            setattr(self, key, value)


class Model:
    pass


def train(cfg):
    loss_func = object()
    model = Model()
    if cfg.wandb:
        wandb.watch(model, loss_func, log="all", log_freq=100, log_graph=True)
    for epoch in range(cfg.epochs):
        iou = 0.3 + 0.05 * epoch + cfg.lr * 10 - cfg.l1 / 100
        loss = 1 - iou
        if cfg.sweep:
            wandb.log({"validation_accuracy": iou})
        if cfg.wandb:
            wandb.log(
                {
                    "Loss": {"train": loss * 0.9, "val": loss},
                    "Average IOU": {"train": iou * 1.1, "val": iou},
                    "Accuracy@50": {"train": iou, "val": iou * 0.9},
                },
                commit=True,
            )


def initialize_run(sweep: bool = True) -> None:
    config = Config()
    wandb_run = None
    if sweep:
        wandb.login(key=os.getenv("WANDB_API_KEY"))
        wandb_run = wandb.init(project="vgproject")
        wandb_cfg = wandb.config
        config.update(wandb_cfg)
    else:
        wandb_run = wandb.init(project="vgproject", config=vars(config))
    train(config)
    if config.wandb:
        wandb_run.finish()  # type: ignore


def main() -> None:
    cfg = Config()
    if cfg.sweep:
        sweep_configuration: Dict[str, Any] = SWEEP_CONFIG_JSON
        sweep: str = wandb.sweep(sweep_configuration, project="vgproject")
        wandb.agent(sweep, function=initialize_run, count=10)
    else:
        initialize_run(cfg.sweep)


if __name__ == "__main__":
    main()
