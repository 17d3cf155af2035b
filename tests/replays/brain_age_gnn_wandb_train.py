# Replay of kamilest/brain-age-gnn: wandb_train.py -> brain_gnn_train.train_with_cross_validation().
# Source: https://github.com/kamilest/brain-age-gnn/blob/aabe128d248f153e57a15b346cfc9beab26a0afe/wandb_train.py
#         https://github.com/kamilest/brain-age-gnn/blob/aabe128d248f153e57a15b346cfc9beab26a0afe/brain_gnn_train.py
# Sweep: corpus 026 (bayes, metric 'cv_validation_average_mse'). Command mode with argparse flags. The
# sweep metric is ONLY written to the summary (wandb.run.summary[...] = ...), after the folds; the
# script never calls finish(). Kept: init(project=, config=defaults, reinit=True), wandb.save("*.pt"),
# run.save() with no argument, watch, config.update with the sweep's own values, renaming the run per
# fold, files written into wandb.run.dir and saved, per-fold log rows, per-fold summary keys. The graph
# network is replaced by arithmetic.
import argparse
import ast
import os

import wandb

hyperparameter_defaults = dict(model='gcn', epochs=3, learning_rate=5e-4, dropout=0, weight_decay=0)


def train(lr, weight_decay, epochs, fold, run_name):
    early_stopping_checkpoint = 'checkpoint.pt'
    wandb.run.save()
    wandb.watch(object())
    wandb.config.update({
        "graph_name": "population_graph",
        "epochs": epochs,
        "learning_rate": lr,
        "weight_decay": weight_decay})
    if run_name is None:
        run_name = wandb.run.name
    else:
        wandb.run.name = run_name + '-fold-{}'.format(fold)
    wandb.run.save()
    early_stopping_checkpoint = '{}_state_dict.pt'.format(wandb.run.name)
    val_mse = None
    for epoch in range(epochs):
        train_mse = 10 / (1 + epoch * lr * 1000) + fold
        val_mse = train_mse * 1.2 + weight_decay
        with open(os.path.join(wandb.run.dir, early_stopping_checkpoint), "w") as fh:
            fh.write("state")
        wandb.save(early_stopping_checkpoint)
        wandb.log({"train_mse_fold_{}".format(fold): train_mse,
                   "train_r2_fold_{}".format(fold): 0.5,
                   "validation_mse_fold_{}".format(fold): val_mse,
                   "validation_r_fold_{}".format(fold): 0.7})
    wandb.run.summary["final_validation_mse_fold_{}".format(fold)] = val_mse
    wandb.run.summary["final_validation_r2_fold_{}".format(fold)] = 0.5
    return run_name, val_mse


def train_with_cross_validation(n_folds, epochs, lr, weight_decay):
    results = []
    run_name = None
    wandb.init(project="brain-age-gnn", config=hyperparameter_defaults, reinit=True)
    wandb.save("*.pt")
    for i in range(n_folds):
        run_name, mse = train(lr, weight_decay, epochs, i, run_name)
        results.append(mse)
    wandb.run.summary["cv_validation_average_mse"] = sum(results) / len(results)
    wandb.run.summary["cv_validation_average_r2"] = 0.5
    return results


parser = argparse.ArgumentParser(description='Brain age graph neural network.')
parser.add_argument('--model', default='gcn', type=str)
parser.add_argument('--epochs', default=3, type=int)
parser.add_argument('--learning_rate', default=5e-4, type=float)
parser.add_argument('--dropout', default=0, type=float)
parser.add_argument('--weight_decay', default=0, type=float)
parser.add_argument('--n_conv_layers', default=1, type=int)
parser.add_argument('--layer_sizes', default='[364, 364, 512, 256, 256, 1]', type=str)
parser.add_argument('--similarity', default="(['SEX', 'ICD10', 'FTE', 'NEU'], 0.8)", type=str)
args = parser.parse_args()
similarity_threshold = ast.literal_eval(args.similarity)[1]
train_with_cross_validation(3, args.epochs, args.learning_rate, args.weight_decay)
