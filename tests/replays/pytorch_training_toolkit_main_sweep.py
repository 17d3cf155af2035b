# Replay of 0Miquel/Pytorch-training-toolkit: main_sweep.py with source/trainer.py and source/logger.py.
# Source: https://github.com/0Miquel/Pytorch-training-toolkit/blob/94aaae0f7c171db76b0d6c0c314dc5595571492c/main_sweep.py
#         https://github.com/0Miquel/Pytorch-training-toolkit/blob/94aaae0f7c171db76b0d6c0c314dc5595571492c/source/trainer.py
#         https://github.com/0Miquel/Pytorch-training-toolkit/blob/94aaae0f7c171db76b0d6c0c314dc5595571492c/source/logger.py
# Sweep: corpus 014 (random, DOTTED flat parameter names such as optimizer.settings.lr, metric
# "val.loss" — reached only through W&B flattening a nested {"val": {"loss": ...}} row). Function
# mode: wandb.sweep(cfg_sweep, project=) then wandb.agent(sweep_id, train, count=n) where
# train(cfg=None, wandb_name=None) must be called with NO argument (a config passed as cfg would send
# it down the non-sweep branch). Kept: init(config=None), the dotted keys of wandb.config rebuilt into
# nested dicts, run.project, rows accumulated then logged once per epoch, run.finish(). The sweep
# file is inlined (sweeps/sweep.yaml, reduced); the network and the OmegaConf conversion are replaced.
import argparse
import sys

import wandb

SWEEP_YAML = {
    "method": "random",
    "metric": {"goal": "minimize", "name": "val.loss"},
    "parameters": {
        "optimizer.optimizer_name": {"value": "Adam"},
        "optimizer.settings.lr": {"max": 0.002, "min": 0.0005, "distribution": "uniform"},
        "trainer.metrics": {"value": ["accuracy"]},
        "trainer.n_epochs": {"value": 2},
        "trainer.device": {"value": "cuda"},
        "dataset.settings.batch_size": {"value": 8},
    },
}


def nested_dict(original_dict):
    nested = {}
    for key, value in original_dict.items():
        parts = key.split(".")
        d = nested
        for part in parts[:-1]:
            if part not in d:
                d[part] = {}
            d = d[part]
        d[parts[-1]] = value
    return nested


class Logger:
    def __init__(self, cfg, wandb_name):
        if cfg is not None:
            self.project_name = wandb_name
            self.sweep = False
            self.cfg = dict(cfg)
            self.run = wandb.init(project=self.project_name, config=self.cfg)
        else:
            self.sweep = True
            self.run = wandb.init(config=cfg)
            config = wandb.config
            self.cfg = nested_dict(config)
            self.project_name = self.run.project
        self.logs = {}

    def add(self, metrics):
        self.logs.update(metrics)

    def upload(self):
        wandb.log(self.logs)

    def finish(self):
        self.run.finish()


def train(cfg=None, wandb_name=None):
    log = False
    if wandb_name is not None or cfg is None:
        log = True
        logger = Logger(cfg, wandb_name)
        cfg = logger.cfg
    lr = cfg["optimizer"]["settings"]["lr"]
    for epoch in range(cfg["trainer"]["n_epochs"]):
        train_loss = 1.0 / (1 + epoch * lr * 1000)
        if log:
            logger.add({"train": {"accuracy": 1 - train_loss, "loss": train_loss, "lr": lr}})
            logger.add({"val": {"accuracy": 0.9 - train_loss, "loss": train_loss + 0.05}})
            logger.upload()
    if log:
        logger.finish()


def main(sweep_fname, sweep_count, wandb_pname):
    cfg_sweep = SWEEP_YAML
    sweep_id = wandb.sweep(cfg_sweep, project=wandb_pname)
    wandb.agent(sweep_id, train, count=sweep_count)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweep", default="sweep.yaml")
    parser.add_argument("--n_runs", default=5, type=int)
    parser.add_argument("--wandb_name", default="test")
    args = parser.parse_args(sys.argv[1:])
    main(args.sweep, args.n_runs, args.wandb_name)
