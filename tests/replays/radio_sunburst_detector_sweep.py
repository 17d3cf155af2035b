# Replay of i4Ds/radio_sunburst_detector: sweep.py.
# Source: https://github.com/i4Ds/radio_sunburst_detector/blob/64bf91269c3d450371a40404347911e9188a10b7/sweep.py
#         https://github.com/i4Ds/radio_sunburst_detector/blob/64bf91269c3d450371a40404347911e9188a10b7/model_base_configs/t_1.yaml
# Sweep: corpus 038 (bayes, metric "val_f1_score_avg"). Command mode with a command that has NO ${args}:
# `${interpreter} ${program} --config_name t_1 --batch_size 64`, so the sweep's values reach the
# script only through wandb.init(). Kept: init() with no arguments, config.update(base config with a
# nested model_params dict), `"instrument_to_use" in wandb.config`, item access, and one log call
# per averaged metric. The base config YAML is inlined (no PyYAML here); the k-fold Keras training is
# replaced by arithmetic.
import argparse

import wandb

BASE_CONFIGS = {
    "t_1": {
        "model_params": {"input_shape": [256, 256, 1], "encoder_filters": 32, "dropout": 0.1,
                         "optimizer": "adam", "learning_rate": 0.001},
        "model": "autoencoder",
        "batch_size": 128,
        "epochs": 10,
        "burst_frac": 0.1,
        "instrument_to_use": ["australia_assa_02"],
    }
}


def main(config_name: str, batch_size: int) -> None:
    wandb.init()
    config = BASE_CONFIGS[config_name]
    wandb.config.update(config)
    del config
    instruments = ["australia_assa_02", "austria_unigraz_01"]
    if "instrument_to_use" in wandb.config:
        instruments = [i for i in instruments if i in wandb.config["instrument_to_use"]]
    model_params = wandb.config["model_params"]
    evals = []
    for fold in range(4):
        f1 = 0.6 + wandb.config["burst_frac"] - wandb.config["l1"] * 10 + 0.01 * fold
        f1 -= 0.02 * wandb.config["last_layers_to_train"] + (0.01 if wandb.config["elim_wrong_channels"] else 0)
        evals.append({"val_loss": 1 - f1, "val_acc": f1 + 0.1, "val_f1_score": f1 * model_params["encoder_filters"] / 32})
    metrics_avg = {m: sum(e[m] for e in evals) / len(evals) for m in evals[0].keys()}
    metrics_std = {m: 0.01 for m in evals[0].keys()}
    for metric, value in metrics_avg.items():
        wandb.log({f"{metric}_avg": value})
    for metric, value in metrics_std.items():
        wandb.log({f"{metric}_std": value})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Sweep for a specific model.")
    parser.add_argument("--config_name", metavar="config_name", required=True, help="Name of model.")
    parser.add_argument("--batch_size", metavar="batch_size", type=int, default=32)
    args = parser.parse_args()
    main(args.config_name, args.batch_size)
