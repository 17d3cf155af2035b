"""The other common Lightning sweep idiom: `wandb.init()` first, hyperparameters from `wandb.config`,
then `WandbLogger()`, which finds the run in progress and logs into it (Lightning warns that it reuses it).
"""
import lightning as L
import torch
import wandb
from lightning.pytorch.loggers import WandbLogger
from torch.utils.data import DataLoader, TensorDataset

from lightning_train import Regressor, data


def main():
    wandb.init(config={"lr": 0.1, "hidden": 4, "epochs": 2})
    config = wandb.config
    torch.manual_seed(0)
    model = Regressor(config.lr, config.hidden)
    trainer = L.Trainer(max_epochs=config.epochs, logger=WandbLogger(log_model=False), accelerator="cpu",
                        devices=1, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, DataLoader(data(64, 1), batch_size=16), DataLoader(data(32, 2), batch_size=32))
    wandb.finish()


if __name__ == "__main__":
    main()
