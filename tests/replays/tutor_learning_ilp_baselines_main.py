# Replay of HashakGik/TutorLearningILPBaselines: main.py.
# Source: https://github.com/HashakGik/TutorLearningILPBaselines/blob/adb6d9d50c9e9338b2ba427a61fd465a9f49990f/main.py
# Sweep: corpus 040 (random with run_cap, metric "avg_test_f1"; a parameter whose values include null,
# which W&B's agent passes as --prefix_cheat=None). Command mode. W&B is used only at the very end: one
# init(project=, group=, config=opts) and ONE log call with a deeply nested row (the options with
# strings and lists, per-task train/test metrics) whose only top-level number is the sweep metric,
# then finish(). The ILP engines (Popper/Aleph) are replaced by arithmetic.
import argparse
import sys
import time

import wandb

assert __name__ == "__main__", "Invalid usage! Run this script from command line, do not import it!"
if len(sys.argv) == 1:
    print("Not enough arguments were provided.")
    sys.exit(0)


def arg_string(value):
    return None if value == "None" else value


def arg_boolean(value):
    return str(value).lower() in ("true", "1", "yes")


arg_parser = argparse.ArgumentParser()
arg_parser.add_argument("--wandb_project", type=arg_string, default=None)
arg_parser.add_argument("--wandb_group", type=arg_string, default=None)
arg_parser.add_argument("--prefix", type=arg_string, default="minimal")
arg_parser.add_argument("--prefix_cheat", type=arg_string, default=None)
arg_parser.add_argument("--engine", type=arg_string, default="popper", choices=["aleph", "popper"])
arg_parser.add_argument("--max_vars", type=int, default=6)
arg_parser.add_argument("--max_clauses", type=int, default=1)
arg_parser.add_argument("--singleton_vars", type=arg_boolean, default=False)
opts = vars(arg_parser.parse_args())

start_time = time.time()
results = {}
for task_id in ("task_a", "task_b"):
    f1 = 0.5 + 0.05 * opts["max_clauses"] + (0.2 if opts["prefix_cheat"] == "cheat" else 0)
    results[task_id] = {"program": "p(X) :- q(X).",
                        "train": {"f1": f1 + 0.1, "precision": 0.9, "recall": 0.8},
                        "test": {"f1": f1, "precision": 0.85, "recall": 0.75}}

opts["time"] = time.time() - start_time
opts['exp_name'] = "exp_%d" % opts["max_vars"]
opts['command_line'] = "python " + " ".join(sys.argv)

tmp = {"opts": opts, "results": results}
tmp["avg_test_f1"] = sum([v["test"]["f1"] for v in results.values()]) / len(results.keys())

wb = None
if opts['wandb_project'] is not None:
    if opts['wandb_group'] is not None:
        wb = wandb.init(project=opts['wandb_project'], group=opts['wandb_group'], config=opts)
    else:
        wb = wandb.init(project=opts['wandb_project'], config=opts)

    wb.log(tmp)

    wb.finish()
