# The example from W&B's wandb.agent() reference, unchanged except for the import line:
# a grid over "a", a sweep created without a project, and wandb.config.a.
# Run it from anywhere:  python3 examples/quickstart_grid.py
import minisweep as wandb

sweep_configuration = {
    "name": "my-awesome-sweep",
    "metric": {"name": "accuracy", "goal": "maximize"},
    "method": "grid",
    "parameters": {"a": {"values": [1, 2, 3, 4]}},
}


def my_train_func():
    # read the current value of parameter "a" from wandb.config
    wandb.init()
    a = wandb.config.a

    wandb.log({"a": a, "accuracy": a + 1})


sweep_id = wandb.sweep(sweep_configuration)

# run the sweep
wandb.agent(sweep_id, function=my_train_func)
