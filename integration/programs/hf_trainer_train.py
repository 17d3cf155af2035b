"""A Hugging Face Trainer script as a W&B sweep user writes it: `report_to="wandb"`, no `import wandb`.

A BERT classifier built from a config (2 layers of width 16, no download) learns whether the first
token of a random sequence is even; the sweep tunes the learning rate. Under `minisweep agent` the
Trainer's own WandbCallback logs `eval/loss` to the sweep.
"""
import argparse
import tempfile

import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments


class Parity(torch.utils.data.Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(1, 40, (n, 8), generator=g)

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        ids = self.ids[i]
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": int(ids[0]) % 2}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning_rate", type=float, default=1e-3)
    parser.add_argument("--num_train_epochs", type=int, default=2)
    args = parser.parse_args()

    torch.manual_seed(0)
    config = BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16, num_labels=2)
    model = BertForSequenceClassification(config)
    with tempfile.TemporaryDirectory() as out:
        training_args = TrainingArguments(
            output_dir=out, report_to="wandb", learning_rate=args.learning_rate,
            num_train_epochs=args.num_train_epochs, per_device_train_batch_size=16,
            per_device_eval_batch_size=32, eval_strategy="epoch", logging_strategy="epoch",
            save_strategy="no", use_cpu=True, disable_tqdm=True, seed=0)
        trainer = Trainer(model=model, args=training_args, train_dataset=Parity(64, 1), eval_dataset=Parity(32, 2))
        trainer.train()


if __name__ == "__main__":
    main()
