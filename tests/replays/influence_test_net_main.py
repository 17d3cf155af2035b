# Replay of InfluenceFunctional/test_net: main.py (sweep mode) with mainfile.main_container.main().
# Source: https://github.com/InfluenceFunctional/test_net/blob/ea6260c46ea2afe866630f5fa803d6658230a930/main.py
#         https://github.com/InfluenceFunctional/test_net/blob/ea6260c46ea2afe866630f5fa803d6658230a930/mainfile.py
#         https://github.com/InfluenceFunctional/test_net/blob/ea6260c46ea2afe866630f5fa803d6658230a930/sweep_config.yaml
# Sweep: corpus 049 (bayes, metric "Best Test" with a space, null among the values). Function mode:
# `--sweep True` makes the script call login(), wandb.sweep(sweep_config, project=) and then, once
# per requested run, wandb.agent(sweep_id, container.main, count=1, project=) — a bound method as
# the function. Kept: `with wandb.init(project=, entity=, tags='sweep test' (a string), config=<the
# argparse Namespace>):`, config attribute access (sweep values win over the Namespace defaults),
# watch(model, log_graph=True), one row per epoch. The sweep YAML is inlined; the network is arithmetic.
from argparse import ArgumentParser

import wandb

SWEEP_CONFIG = {
    "method": "bayes",
    "metric": {"name": "Best Test", "goal": "minimize"},
    "parameters": {
        "model_type": {"values": ["transformer"]},
        "model_layers": {"distribution": "int_uniform", "min": 1, "max": 32},
        "model_dropout": {"distribution": "uniform", "min": 0, "max": 0.5},
        "model_norm": {"values": [None, "layer", "batch"]},
    },
}


class main_container:
    def __init__(self, config):
        self.config = config

    def main(self):
        with wandb.init(project=self.config.project_name, entity="mkilgour", tags='sweep test', config=self.config):
            config = wandb.config
            print(config)
            model = object()
            test_loss_record = []
            wandb.watch(model, log_graph=True)
            for epoch in range(config.epochs):
                test_loss = 1.0 / (1 + epoch) + config.model_dropout + config.model_layers / 100
                test_loss_record.append(test_loss)
                best_test = min(test_loss_record)
                if config.wandb:
                    wandb.log(
                        {"Train Loss": test_loss * 0.9,
                         "Test Loss": test_loss_record[-1],
                         "Best Test": best_test,
                         "Epoch": epoch}
                    )


def get_args(parser):
    for name, kind, default in [('sweep', bool, False), ('sweep_id', str, None), ('sweep_num_runs', int, 10),
                                ('project_name', str, 'my-test-net'), ('wandb', bool, True),
                                ('epochs', int, 10000), ('learning_rate', float, 1e-3),
                                ('model_type', str, 'mlp'), ('model_layers', int, 2),
                                ('model_norm', str, None), ('model_dropout', float, 0)]:
        parser.add_argument('--' + name, type=kind, default=default)
    return parser


if __name__ == '__main__':
    parser = ArgumentParser()
    parser = get_args(parser)
    config = parser.parse_args()
    container = main_container(config)
    if not config.sweep:
        container.main()
    else:
        sweep_config = SWEEP_CONFIG
        wandb.login()
        if config.sweep_id is not None:
            sweep_id = config.sweep_id
        else:
            sweep_id = wandb.sweep(sweep_config, project=config.project_name)
        for sweep_run in range(config.sweep_num_runs):
            wandb.agent(sweep_id, container.main, count=1, project=config.project_name)
