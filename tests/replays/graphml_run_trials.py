# Replay of AnjaKroon/GraphML: run_trials.py.
# Source: https://github.com/AnjaKroon/GraphML/blob/78f4073f7b0633634845655fdbe6a70de8e0399e/run_trials.py
#         https://github.com/AnjaKroon/GraphML/blob/78f4073f7b0633634845655fdbe6a70de8e0399e/sweep_config.yaml
# Sweep: corpus 043 (metric "val_loss"). Function mode: wandb.sweep(sweep=..., project=, entity=) and
# wandb.agent(sweep_id, train, count=100), where train(config=None) is called with no argument. Kept:
# `with wandb.init(config=config):` as a context manager, a SECOND wandb.init() inside it (W&B hands
# back the run already in progress), config attribute access, a row before training, the final
# val_loss row, and run.finish() inside the with block (the block's exit finishes again). The
# sweep file is inlined as a two-point grid (the agent stops when the grid is done, well before 100
# runs); PyTorch Lightning training is replaced by arithmetic logged the way its WandbLogger logs.
import wandb

sweep_config = {
    "method": "grid",
    "metric": {"name": "val_loss", "goal": "minimize"},
    "parameters": {
        "num_parameters": {"values": [100000]},
        "batch_size": {"values": [2]},
        "lr": {"values": [1e-5, 1e-4]},
        "normalize_edge_weights": {"values": [True]},
        "neighbor_aggregation": {"values": ["mean"]},
        "model": {"values": ["GCNN_RNN"]},
        "rel_mlp_width": {"values": [2]},
    },
}


def train(config=None):
    with wandb.init(config=config):
        config = wandb.config
        run = wandb.init()

        config_dict = {
            "model": config.model,
            "num_params": config.num_parameters,
            "n_epochs": 3,
            "batch_size": config.batch_size,
            "lr": config.lr,
            "normalize_edge_weights": config.normalize_edge_weights,
            "neighbor_aggregation": config.neighbor_aggregation,
            "mlp_width": config.rel_mlp_width,
        }
        num_params = config_dict["num_params"] // 10
        wandb.log({"real_num_model_parameters": num_params})

        val_loss = None
        for epoch in range(config_dict["n_epochs"]):
            val_loss = 1.0 / (1 + epoch * config_dict["lr"] * 1e4)
            wandb.run.log({"val_loss": val_loss, "epoch": epoch, "trainer/global_step": epoch})

        wandb.log({"val_loss": val_loss})
        run.finish()


if __name__ == "__main__":
    sweep_id = wandb.sweep(sweep=sweep_config, project='GCNN RNN with input mlp', entity='GraphML_COVID')
    wandb.agent(sweep_id, train, count=100)
