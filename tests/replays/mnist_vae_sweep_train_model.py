# Replay of AntonRydahl/MNIST_VAE_SWEEP: src/models/train_model.py.
# Source: https://github.com/AntonRydahl/MNIST_VAE_SWEEP/blob/90f3a76a732f716d524e9d3d8fcb9248097934f7/src/models/train_model.py
# Sweep: corpus 045 (bayes, metric "validation_loss"). Command mode: the agent passes --epochs=...,
# --learning_rate=...; the script parses none of them itself (parse_known_args) and reads them back
# from wandb.config after init(config=defaults, project=...). Kept: watch(model, log_freq=100), two
# log calls per epoch, and a final row of wandb.Image objects. The VAE is replaced by arithmetic.
import argparse

import wandb


class Model:
    """Stands in for the VAE (wandb.watch only holds on to it)."""


def train_and_test():
    parser = argparse.ArgumentParser()
    args, leftovers = parser.parse_known_args()
    config_defaults = {
        "batch_size": 100,
        "x_dim": 784,
        "hidden_dim": 400,
        "latent_dim": 20,
        "learning_rate": 1e-3,
        "epochs": 10,
    }

    if hasattr(args, 'epochs'):
        config_defaults["epochs"] = args.epochs
    if hasattr(args, 'learning_rate'):
        config_defaults["learning_rate"] = args.learning_rate

    wandb.init(config=config_defaults, project="MNIST VAE SWEEP")

    config = wandb.config
    batch_size = config.batch_size
    latent_dim = config.latent_dim
    lr = config.learning_rate
    epochs = config.epochs

    model = Model()
    wandb.watch(model, log_freq=100)

    for epoch in range(epochs):
        overall_loss = 100.0 / (1 + epoch * lr * 1000) + latent_dim / 100
        validation_loss = overall_loss * 1.1
        wandb.log({"validation_loss": validation_loss / batch_size})
        wandb.log({"loss": overall_loss / batch_size})

    pixels = [[0.0] * 28 for _ in range(28)]
    wandb.log({
        'original': wandb.Image(pixels),
        'reconstructed': wandb.Image(pixels),
        'generated': wandb.Image(pixels)
    })


if __name__ == '__main__':
    train_and_test()
