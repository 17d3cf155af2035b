# Replay of HekpoMaH/DEAR: train_reasoner.py --agentify SWEEP_ID.
# Source: https://github.com/HekpoMaH/DEAR/blob/64e082c6b78e00db64f9d80c086ad8ddc62ca280/train_reasoner.py
# Sweep: corpus 017 (bayes, NESTED parameters deq.deq_max_iter, metric "val/loss/min_loss_so_far").
# Function mode: the sweep exists (`wandb sweep`), and the script runs
# wandb.agent(SID, function=lambda: train(...), entity=, project=). Kept: init(project=, entity=,
# group=None, settings=wandb.Settings(code_dir="."), save_code=True), deep_update of a config dict
# with wandb.config.as_dict() (nested values arrive as dicts), config["seed"]. The PyTorch Lightning
# trainer is replaced by arithmetic that logs what its WandbLogger would log (metric + trainer/global_step
# through wandb.run.log); docopt (not in the standard library) by a two-option parser.
import sys

import wandb


def deep_update(mapping, *updating_mappings):
    updated_mapping = mapping.copy()
    for updating_mapping in updating_mappings:
        for k, v in updating_mapping.items():
            if k in updated_mapping and isinstance(updated_mapping[k], dict) and isinstance(v, dict):
                updated_mapping[k] = deep_update(updated_mapping[k], v)
            else:
                updated_mapping[k] = v
    return updated_mapping


def train(config, args=None):
    config = {"max_epochs": 3, "jac_reg": False, "deq": {"deq_max_iter": 20, "deq_tol": 0.1}}
    wandb.init(
        project="nardeq",
        entity="clrs-cambridge",
        group=None,
        settings=wandb.Settings(code_dir="."),
        save_code=True,
    )
    if args["--agentify"] is not None:
        config = deep_update(config, wandb.config.as_dict())
        args["--seed"] = config["seed"]
    if not isinstance(config["deq"], dict) or config["deq"]["deq_tol"] != 0.1:
        raise SystemExit("nested sweep parameters did not merge into the config: %r" % (config,))
    min_loss = float("inf")
    for epoch in range(config["max_epochs"]):
        loss = 1.0 / (1 + epoch) + config["deq"]["deq_max_iter"] / 1000 + config["jac_reg_tau"] * config["jac_reg"]
        min_loss = min(min_loss, loss)
        wandb.run.log({"val/loss": loss, "val/loss/min_loss_so_far": min_loss, "trainer/global_step": epoch * 10})


if __name__ == "__main__":
    argv = sys.argv[1:]
    args = {"--agentify": None, "--seed": 47}
    if "--agentify" in argv:
        args["--agentify"] = argv[argv.index("--agentify") + 1]
    if args["--agentify"] is None:
        train(None, args=args)
    else:
        wandb.agent(
            args["--agentify"],
            function=lambda: train(None, args=args),
            entity="clrs-cambridge",
            project="nardeq",
        )
