# Replay of SalvoCalcagno/eeg-music-challenge-icassp-2025-baselines: train.py with src/saver.Saver.
# Source: https://github.com/SalvoCalcagno/eeg-music-challenge-icassp-2025-baselines/blob/1526ffb0a70df13a6c4761c99420784a1499c8af/train.py
#         https://github.com/SalvoCalcagno/eeg-music-challenge-icassp-2025-baselines/blob/1526ffb0a70df13a6c4761c99420784a1499c8af/src/saver.py
# Sweep: corpus 052 (grid, metric "val/max_balanced_accuracy"). Function mode: the sweep exists and its
# id is given as --sweep-id; wandb.agent(sweep_id, function=train_func, project=args.task,
# entity=args.entity) with a closure and no count (the agent runs the grid to its end). Kept:
# init(project=, entity=), dict(wandb.config) merged into the argparse namespace, EVERY argument
# written back with `wandb.config[name] = value` inside try/except (a pathlib.Path among them),
# run.name =, watch(model, log='all', log_freq=500), a buffered saver whose rows carry the metric,
# wandb.plot.confusion_matrix(y_true=, preds=) and wandb.Image(..., caption=) in the buffer, and
# run.finish(). The EEG networks are replaced by arithmetic.
import argparse
from pathlib import Path

import wandb


class Saver:
    def __init__(self):
        self.buffer = {}

    def watch_model(self, model):
        wandb.watch(model, log='all', log_freq=500)

    def log(self):
        wandb.log(self.buffer)
        self.buffer = {}

    def add_scalar(self, name, value, iter_n, iter_name='epoch'):
        self.buffer[name] = value
        self.buffer[iter_name] = iter_n

    def add_confusion_matrix(self, name, labels, predictions, iter_n, iter_name='epoch'):
        cm = wandb.plot.confusion_matrix(y_true=labels, preds=predictions)
        self.buffer[name] = cm
        self.buffer[iter_name] = iter_n

    def add_images(self, name, images_vector, iter_n, iter_name='epoch'):
        images = wandb.Image(images_vector, caption=name)
        self.buffer[name] = images
        self.buffer[iter_name] = iter_n


def train(args):
    saver = Saver()
    saver.watch_model(object())
    best = 0.0
    for epoch in range(args.epochs):
        acc = 0.25 + 0.05 * epoch - args.lr * 10 + 1.0 / args.batch_size
        best = max(best, acc)
        saver.add_scalar("train/loss", 1 - acc, epoch)
        saver.add_scalar("val/balanced_accuracy", acc, epoch)
        saver.add_scalar("val/max_balanced_accuracy", best, epoch)
        saver.add_confusion_matrix("val/confusion_matrix", [0, 1, 2, 3], [0, 1, 1, 3], epoch)
        saver.add_images("val/inputs", [[0.0, 1.0], [1.0, 0.0]], epoch)
        saver.log()
    return best


def main(args):
    sweep_id = args.sweep_id

    def train_func():
        if args.sweep:
            run = wandb.init(project=args.task, entity=args.entity)
            sweep_params = dict(wandb.config)
            args.__dict__.update(sweep_params)
        updated_args = args
        updated_args.logdir = Path(f"exps/{updated_args.task}/{updated_args.model}")
        updated_args.tag = "baseline"
        args_dict = vars(updated_args)
        for arg_name, arg in args_dict.items():
            try:
                wandb.config[arg_name] = arg
            except Exception:
                print(f"Could not save {arg_name} to wandb")
                continue
        run.name = f"{updated_args.task}_{updated_args.model}_{updated_args.tag}"
        train(updated_args)
        run.finish()

    if args.sweep:
        wandb.agent(sweep_id, function=train_func, project=args.task, entity=args.entity)
    else:
        train_func()


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--task', type=str, default='emotion_recognition')
    parser.add_argument('--sweep', action='store_true')
    parser.add_argument('--sweep-id', type=str, default=None)
    parser.add_argument('--entity', default="eeg-music")
    parser.add_argument('--model', default='eegnet')
    parser.add_argument('--batch_size', type=int, default=32)
    parser.add_argument('--lr', type=float, default=0.001)
    parser.add_argument('--epochs', type=int, default=150)
    main(parser.parse_args())
