# Replay of Jaeha0526/alphazero_clique: src/pipeline_clique.py (mode "pipeline").
# Source: https://github.com/Jaeha0526/alphazero_clique/blob/5df6d170afca0738e3cf99e3d4d884e819c4ff22/src/pipeline_clique.py
# Sweep: corpus 050 (bayes + hyperband, hyphenated parameter names such as hidden-dim, metric
# "validation_policy_loss"). Command mode: init(project=) runs BEFORE argparse, the --hidden-dim=...
# flags are parsed, then every wandb.config item is copied onto args with '-' -> '_' (guarded by
# `hasattr(wandb.config, 'keys') and len(wandb.config.keys()) > 0`), the experiment is named after
# wandb.run.id, the pipeline sees `wandb.run is not None` and calls config.update(vars(args),
# allow_val_change=True), logs one row per iteration with step=iteration, and finishes the run
# object. Self-play and training are replaced by arithmetic.
import argparse
import multiprocessing as mp

import wandb


def run_pipeline(args):
    wandb_run = wandb.run if wandb.run is not None else None
    if wandb_run is None:
        wandb_run = wandb.init(project="alphazero_clique", name=args.experiment_name, config=vars(args),
                               resume="allow", id="pipeline_%s" % args.experiment_name)
    else:
        wandb.config.update(vars(args), allow_val_change=True)
        print("Using existing wandb run (sweep mode).")
    for iteration in range(args.iterations):
        iteration_metrics = {
            "iteration": iteration,
            "validation_policy_loss": 2.0 / (1 + iteration) + 1.0 / args.hidden_dim,
            "validation_value_loss": 0.5 / (1 + iteration),
            "evaluation_win_rate_vs_initial": min(1.0, 0.1 * iteration),
        }
        if wandb_run and iteration_metrics:
            wandb.log(iteration_metrics, step=iteration_metrics.get("iteration", iteration))
    if wandb_run:
        wandb_run.finish()


if __name__ == "__main__":
    try:
        mp.set_start_method('spawn')
    except RuntimeError:
        pass

    wandb.init(project="alphazero_clique-src")

    parser = argparse.ArgumentParser(description="AlphaZero Clique Game Pipeline")
    parser.add_argument("--mode", type=str, default="pipeline", choices=["pipeline", "selfplay", "train"])
    parser.add_argument("--vertices", type=int, default=6)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--game-mode", type=str, default="symmetric", choices=["symmetric", "asymmetric"])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--hidden-dim", type=int, default=64)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--min-lr", type=float, default=1e-7)
    parser.add_argument("--experiment-name", type=str, default="default")
    args = parser.parse_args()

    if hasattr(wandb.config, 'keys') and len(wandb.config.keys()) > 0:
        print("Using wandb config for sweep parameters")
        for key, value in wandb.config.items():
            key = key.replace('-', '_')
            setattr(args, key, value)
        args.experiment_name = f"n7k4_32_8_sweep_{wandb.run.id}"

    if args.mode == "pipeline":
        run_pipeline(args)
