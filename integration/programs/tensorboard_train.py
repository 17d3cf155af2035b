"""A training script that reports only through TensorBoard, as plain PyTorch code does.

It writes with torch.utils.tensorboard.SummaryWriter into $MINISWEEP_RUN_DIR (the run's directory,
which minisweep's agent hands every program), or into ./runs when run on its own. It prints nothing
that looks like a metric.
"""

import argparse
import os

import torch
from torch.utils.tensorboard import SummaryWriter

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
args = parser.parse_args()

torch.manual_seed(0)
x = torch.linspace(-1, 1, 64).unsqueeze(1)
y = 3 * x + 0.5
model = torch.nn.Linear(1, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
writer = SummaryWriter(os.environ.get("MINISWEEP_RUN_DIR", "runs"))
for epoch in range(5):
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    writer.add_scalar("train/loss", loss.item(), epoch)
    writer.add_histogram("weight", model.weight.detach(), epoch)
writer.add_scalar("val_loss", torch.nn.functional.mse_loss(model(x), y).item(), 5)
writer.close()
print("done training")
