# Replay of shamoons/modulation-explainability: src/train_constellation.py -> training_constellation.train().
# Source: https://github.com/shamoons/modulation-explainability/blob/1614de89be0fcaca194caa1adc1eebc531763fe8/src/train_constellation.py
#         https://github.com/shamoons/modulation-explainability/blob/1614de89be0fcaca194caa1adc1eebc531763fe8/src/training_constellation.py
# Sweep: corpus 011 (bayes + hyperband, metric "val_combined_accuracy"). Command mode with argparse
# flags (str2bool flags for booleans). Kept: init(project=, config=dict with a long description),
# config.update with split sizes, a per-epoch row mixing numbers with wandb.Image(figure) and
# per-class keys containing "/", a separate row of wandb.Table(columns=, data=) objects, curriculum
# rows, and a final test row. The constellation networks are replaced by arithmetic.
import argparse

import wandb


class Figure:
    """Stands in for a matplotlib figure (wandb.Image accepts one)."""


def str2bool(v):
    return str(v).lower() in ("yes", "true", "t", "1")


def train(model_type, base_lr, max_lr, batch_size, epochs, dropout, use_curriculum, snr_list):
    wandb_config = {
        "epochs": epochs,
        "snr_list": snr_list,
        "model_type": model_type,
        "base_lr": base_lr,
        "dropout": dropout,
        "batch_size": batch_size,
        "description": f"ENHANCED SNR BOTTLENECK - {model_type}. CyclicLR: base={base_lr}, max={max_lr}.",
    }
    wandb.init(project="modulation-explainability", config=wandb_config)
    wandb.config.update({
        "train_split": 0.8,
        "val_split": 0.1,
        "test_split": 0.1,
        "train_samples": 800,
        "val_samples": 100,
        "test_samples": 100,
        "total_samples": 1000,
    })
    mod_labels = ["BPSK", "QPSK", "8PSK"]
    snr_labels = [str(s) for s in snr_list.split(",")[:3]]
    best = 0.0
    for epoch in range(epochs):
        acc = 50 * (1 - 1 / (1 + epoch * max_lr * 1000)) + (5 if use_curriculum else 0)
        best = max(best, acc)
        log_dict = {
            "epoch": epoch + 1,
            "train_loss": 2 - acc / 50,
            "val_loss": 2.1 - acc / 50,
            "val_modulation_accuracy": acc + 3,
            "val_snr_accuracy": acc - 3,
            "val_combined_accuracy": acc,
            "confusion_matrix_modulation": wandb.Image(Figure()),
            "f1_scores_snr": wandb.Image(Figure()),
        }
        for i, label in enumerate(mod_labels):
            log_dict[f"val_f1_scores_modulation_per_class/{label}"] = 0.3 + 0.1 * i
        wandb.log({
            "confusion_matrix_modulation_table": wandb.Table(
                columns=["True"] + mod_labels,
                data=[[mod_labels[i]] + [1, 2, 3] for i in range(len(mod_labels))]
            ),
            "f1_scores_snr_table": wandb.Table(
                columns=["SNR", "F1_Score"],
                data=[[snr_labels[i], 0.5] for i in range(len(snr_labels))]
            )
        })
        wandb.log(log_dict)
        if use_curriculum:
            for key, value in {"low_snr_fraction": 0.5, "high_snr_fraction": 0.5}.items():
                wandb.log({f"curriculum/train_{key}": value})
    wandb.log({
        "final_test_loss": 2 - best / 50,
        "final_test_combined_accuracy": best,
        "best_epoch": epochs - 1
    })


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument('--batch_size', type=int, default=128)
    parser.add_argument('--snr_list', type=str, default="0,2,4,6,8,10")
    parser.add_argument('--epochs', type=int, default=100)
    parser.add_argument('--base_lr', type=float, default=1e-5)
    parser.add_argument('--max_lr', type=float, default=1e-3)
    parser.add_argument('--model_type', type=str, default='swin_tiny')
    parser.add_argument('--dropout', type=float, default=0.3)
    parser.add_argument('--use_curriculum', type=str2bool, default=False)
    parser.add_argument('--use_pretrained', type=str2bool, default=False)
    parser.add_argument('--snr_layer_config', type=str, default='standard')
    args = parser.parse_args()
    train(args.model_type, args.base_lr, args.max_lr, args.batch_size, args.epochs, args.dropout,
          args.use_curriculum, args.snr_list)
