# Replay of MilesCranmer/pysr_wandb: train.py -> pysr_wandb/pysr_wandb.py main().
# Source: https://github.com/MilesCranmer/pysr_wandb/blob/d0f055821f0a1e1e8cfceb5ec2b2b1b834153877/pysr_wandb/pysr_wandb.py
# Sweep: corpus 001 (bayes, metric "overall"). Command mode; the script takes no arguments and reads
# wandb.config. PySR's symbolic regression is replaced by arithmetic on the config. Kept: init with
# entity and a defaults dict, deepcopy(wandb.config) edited as a plain copy, **wandb.config, log with
# step=seed (the step goes back to 0 for each problem: W&B drops rows below the current step), a
# Table made from a data frame, and the final "overall" row without a step.
from copy import deepcopy

import wandb

DEFAULT_CONFIG = dict(populations=15, population_size=33, parsimony=0.0032, annealing=False, batching=False,
                      topn=12, ncyclesperiteration=550, alpha=0.1)
PROBLEMS = ["poly", "trig"]


class Frame:
    """Stands in for the pandas DataFrame of PySR's equations."""

    columns = ["equation", "score", "loss", "complexity"]


class Regressor:
    def set_params(self, **params):
        self.params = params


def init_wandb():
    wandb.init(
        project="pysr_wandb",
        entity="mcranmer",
        config=DEFAULT_CONFIG,
    )
    return wandb


def run(wandb, problem, seed):
    config = deepcopy(wandb.config)
    config["annealing"] = bool(config["annealing"])
    config["populations"] = int(config["populations"])
    model = Regressor()
    model.set_params(**wandb.config)
    best_loss = abs(config["parsimony"] - 0.003) + 0.01 * seed + len(problem) * config["alpha"] / config["populations"]
    best_complexity = 5 + seed
    combined = best_loss ** 0.1
    wandb.log(
        {
            f"loss_{problem}": best_loss,
            f"complexity_{problem}": best_complexity,
            f"combined_{problem}": combined,
        },
        step=seed,
    )
    wandb_table = wandb.Table(dataframe=Frame())
    wandb.log({"equations_{problem_name}": wandb_table})
    return combined


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def runall(wandb):
    all_results = []
    for problem in PROBLEMS:
        combined = [run(wandb, problem, seed) for seed in range(3)]
        med = median(combined)
        wandb.log({f"combined_{problem}": med})
        all_results.append(med)
    wandb.log({"overall": median(all_results)})


def main():
    wandb = init_wandb()
    runall(wandb)


if __name__ == "__main__":
    main()
