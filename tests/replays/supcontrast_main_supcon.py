# Replay of HobbitLong/SupContrast (a fork's sweep version): main_supcon.py.
# Source: https://github.com/HobbitLong/SupContrast/blob/fbf9a3150a7b7b726c5e7aee564f87c386881b17/main_supcon.py
# Sweep: corpus 018 (bayes on learning_rate, metric "loss", hyperband). Command mode: the agent passes
# --learning_rate=... etc. The ResNet and the contrastive loss are replaced by a decaying number; the
# wandb calls (login, init with vars(opt), run.name =, watch, run.log, Artifact/add_file/log_artifact,
# finish) keep the original's shapes.
import argparse
import datetime
import os
import tempfile

import wandb


def parse_option():
    parser = argparse.ArgumentParser("argument for training")
    parser.add_argument("--batch_size", type=int, default=256)
    parser.add_argument("--learning_rate", type=float, default=0.05)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--temp", type=float, default=0.07)
    parser.add_argument("--rand_augment", type=str, default=None)
    parser.add_argument("--lr_decay_epoch", type=str, default="700,800,900")
    parser.add_argument("--dataset", type=str, default="cifar10")
    parser.add_argument("--data_folder", type=str, default=None)
    parser.add_argument("--mean", type=str)
    parser.add_argument("--std", type=str)
    return parser.parse_args()


class Model:
    """Stands in for SupConResNet: wandb.watch only needs an object to hold on to."""


def main():
    opt = parse_option()
    model = Model()
    lr = opt.learning_rate

    wandb.login()
    wandb_run = wandb.init(project="supcon", config=vars(opt))
    wandb_run.name = "supcon_" + datetime.datetime.now().strftime("%Y-%m-%d:%Hh%Mm")
    wandb.watch(model, log_freq=100)

    for epoch in range(1, opt.epochs + 1):
        loss = opt.temp * 10 / (1 + lr * epoch * 10)
        wandb_run.log({"loss": loss, "learning_rate": lr})

    save_file = os.path.join(tempfile.mkdtemp(), "last.pth")
    with open(save_file, "w") as fh:
        fh.write("weights")
    art = wandb.Artifact("supcon", type="model")
    art.add_file(save_file)
    wandb.log_artifact(art)
    wandb.finish()


if __name__ == "__main__":
    main()
