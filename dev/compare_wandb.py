"""Differential check of minisweep's grid order and hyperband decisions against W&B's engine.

Dev-only: needs W&B's ``sweeps`` package (``pip install sweeps`` in a virtualenv).  Run from the
repository root:  python dev/compare_wandb.py
Random grid configs (values with duplicates, int_uniform, float q_uniform, constants) are run to
exhaustion through both engines, and random hyperband configs and run histories are judged by both;
it prints the number of mismatches (0 expected).
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import minisweep
from minisweep.runs import Run
from sweeps import next_run, SweepRun, RunState
from sweeps.hyperband_stopping import hyperband_stop_runs
import minisweep.hyperband as hb

def unwrap(cfg):
    return {k: v['value'] for k, v in cfg.items()}

def rand_values(rng):
    pool = [1, 2, 2.0, 3, True, False, "a", "b", None, [1, 2], {"x": 1, "y": 2}, {"y": 2, "x": 1}, 0.5]
    return [rng.choice(pool) for _ in range(rng.randint(1, 4))]

mism = 0
for trial in range(300):
    rng = random.Random(trial)
    params = {}
    for i in range(rng.randint(1, 4)):
        name = rng.choice("abcdefgh") + rng.choice(["", "x", "_1"])
        kind = rng.random()
        if kind < 0.5:
            params[name] = {"values": rand_values(rng)}
        elif kind < 0.65:
            lo = rng.randint(-3, 3); params[name] = {"min": lo, "max": lo + rng.randint(1, 3)}
        elif kind < 0.8:
            lo = rng.choice([0, 0.5, 1]); params[name] = {"distribution": "q_uniform", "min": lo, "max": lo + rng.choice([1, 2, 2.5]), "q": rng.choice([0.5, 1, 0.3, 0.7])}
        else:
            params[name] = {"value": rng.choice([1, "z"])}
    config = {"method": "grid", "parameters": params}
    wruns, oruns = [], []
    for step in range(40):
        w = next_run(config, wruns)
        o = minisweep.next_config(config, oruns)
        wc = None if w is None else unwrap(w.config)
        if wc != o or (wc is not None and json.dumps(wc, sort_keys=True) != json.dumps(o, sort_keys=True)):
            print("MISMATCH", trial, config, step, wc, o); mism += 1; break
        if w is None: break
        wruns.append(SweepRun(name=str(step), state=RunState.finished, config=w.config))
        oruns.append(Run(str(step), "finished", o))
print("grid mismatches", mism)

# hyperband
mism = 0
for trial in range(2000):
    rng = random.Random(trial)
    et = {"type": "hyperband", "eta": rng.choice([2, 3, 4, 2.5])}
    if rng.random() < 0.5:
        et["min_iter"] = rng.randint(1, 4)
    else:
        et["max_iter"] = rng.randint(3, 30); et["s"] = rng.randint(1, 4)
    if rng.random() < 0.5:
        et["strict"] = rng.random() < 0.5
    goal = rng.choice(["minimize", "maximize"])
    config = {"method": "random", "metric": {"name": "loss", "goal": goal}, "early_terminate": et, "parameters": {"x": {"value": 1}}}
    wruns, oruns = [], []
    for i in range(rng.randint(1, 10)):
        hist = []
        for j in range(rng.randint(0, 12)):
            row = {"loss": rng.choice([rng.randint(0, 5), rng.random(), float('nan')])} if rng.random() < 0.85 else {"other": 1}
            hist.append(row)
        state = rng.choice(["running", "running", "finished", "failed"])
        wruns.append(SweepRun(name=str(i), state=state, history=hist))
        oruns.append(Run(str(i), state, history=hist))
    try:
        w = sorted(r.name for r in hyperband_stop_runs(wruns, config))
    except Exception as e:
        w = "error %s" % type(e).__name__
    try:
        o = sorted(d.run.id for d in minisweep.runs_to_stop(config, oruns))
    except minisweep.ConfigError:
        o = "error ValueError"
    if w != o:
        print("HB MISMATCH", trial, config, w, o); mism += 1
        if mism > 5: break
print("hyperband mismatches", mism)
