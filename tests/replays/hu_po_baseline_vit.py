# Replay of hu-po/baseline: vit.py (Keras 3 ViT on CIFAR-100 with a hand-written wandb callback).
# Source: https://github.com/hu-po/baseline/blob/8f74eb2746e63a751649e2bc7923037f3d78c9fe/vit.py
# Sweep: corpus 053 (random + hyperband, metric "val_top-5-accuracy", a name with a hyphen). Command
# mode: the agent's --batch_size=... flags are rewritten to --batch-size=... for the CLI parser (tyro in
# the original; a small stand-in here). wandb is imported inside functions, guarded by try/except, as in
# the original. Kept: init(project=, entity=, name=None, tags=None, config=dict), wandb.run.name, a
# callback logging Keras' epoch logs (.item()-converted) plus "epoch", final_* rows at train end,
# wandb.summary[...] =, finish(). Keras and the ViT are replaced by arithmetic.
import os
import sys


class ViTConfig:
    def __init__(self):
        self.image_size = 72
        self.patch_size = 6
        self.projection_dim = 64
        self.num_heads = 4
        self.transformer_layers = 8
        self.learning_rate = 0.001
        self.weight_decay = 0.0001
        self.batch_size = 256
        self.num_epochs = 10
        self.keras_backend = "jax"
        self.use_wandb = True
        self.wandb_project = os.getenv("WANDB_PROJECT", "keras3_edge_baseline")
        self.wandb_entity = os.getenv("WANDB_ENTITY", "hug")
        self.wandb_run_name = None
        self.wandb_tags = None


class WandbMetricsCallback:
    def __init__(self):
        self.wandb_available = False
        try:
            import wandb
            self.wandb = wandb
            self.wandb_available = True
        except ImportError:
            pass

    def on_epoch_end(self, epoch, logs=None):
        if not self.wandb_available or logs is None:
            return
        wandb_logs = {}
        for key, value in logs.items():
            if hasattr(value, 'item'):
                value = value.item()
            elif hasattr(value, '__float__'):
                value = float(value)
            wandb_logs[key] = value
        wandb_logs['epoch'] = epoch + 1
        self.wandb.log(wandb_logs)

    def on_train_end(self, logs=None):
        if self.wandb_available and logs:
            self.wandb.log({"final_" + k: float(v) for k, v in logs.items()})


def main(config):
    os.environ["KERAS_BACKEND"] = config.keras_backend
    if config.use_wandb:
        try:
            import wandb
        except Exception:
            config.use_wandb = False
    if config.use_wandb:
        wandb_config = {
            "backend": config.keras_backend,
            "architecture": "Vision Transformer",
            "image_size": config.image_size,
            "patch_size": config.patch_size,
            "num_patches": (config.image_size // config.patch_size) ** 2,
            "learning_rate": config.learning_rate,
            "weight_decay": config.weight_decay,
            "batch_size": config.batch_size,
            "num_epochs": config.num_epochs,
        }
        wandb.init(
            project=config.wandb_project,
            entity=config.wandb_entity,
            name=config.wandb_run_name,
            tags=config.wandb_tags,
            config=wandb_config,
        )
        print("Wandb run initialized: %s" % wandb.run.name)
        wandb.log({"total_parameters": config.projection_dim * config.transformer_layers * 1000})
    callback = WandbMetricsCallback()
    logs = {}
    for epoch in range(config.num_epochs):
        acc = 0.2 + 0.1 * epoch + config.learning_rate
        logs = {"loss": 3 - acc, "accuracy": acc, "top-5-accuracy": acc + 0.2,
                "val_loss": 3.1 - acc, "val_accuracy": acc - 0.01, "val_top-5-accuracy": acc + 0.19}
        callback.on_epoch_end(epoch, logs)
    callback.on_train_end(logs)
    if config.use_wandb:
        wandb.summary["final_test_accuracy"] = logs["val_accuracy"]
        wandb.summary["final_test_top5_accuracy"] = logs["val_top-5-accuracy"]
        wandb.finish()


def _normalize_flags(argv):
    out = [argv[0]]
    for tok in argv[1:]:
        if tok.startswith("--") and "=" in tok:
            name, val = tok.split("=", 1)
            out.append("%s=%s" % (name.replace("_", "-"), val))
        else:
            out.append(tok.replace("_", "-") if tok.startswith("--") else tok)
    return out


def cli(cls, argv):
    """Stands in for tyro.cli: --kebab-case=value flags onto the config's fields, typed by their defaults."""
    config = cls()
    for tok in argv[1:]:
        name, _, value = tok[2:].partition("=")
        field = name.replace("-", "_")
        current = getattr(config, field)
        setattr(config, field, type(current)(value) if current is not None else value)
    return config


if __name__ == "__main__":
    sys.argv = _normalize_flags(sys.argv)
    main(cli(ViTConfig, sys.argv))
