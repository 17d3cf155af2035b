"""Lines per second through the output metric reader, against a plain ``readline`` loop, in the same run.

The command-line agent reads every byte a program prints (:mod:`minisweep.outputmetrics`).
This measures what that costs on two kinds of output, each a file of
``--lines`` lines read from disk (the page cache) the way the agent reads a pipe:

- *typical*: training output where about one line in ten carries a metric —
  log lines, tqdm redraws ending in ``\\r``, Keras bars, HF dicts, XGBoost lines;
- *all metrics*: every line is a metric line in one of those layouts (the worst case).

Columns, best of ``--repeat`` runs:

- ``readline``: ``for line in iter(f.readline, b"")`` and nothing else — the floor;
- ``old relay``: readline, decode and the old single-pattern match (``name=value`` alone on a line);
- ``reader``: 64 KiB chunks into ``MetricReader(["loss", "acc"])`` (declared names, the default);
- ``reader --all-metrics``: the same with ``every=True``.

    python benchmarks/metric_reader.py               # 200,000 lines
    nice -n 10 python benchmarks/metric_reader.py --lines 1000000
"""

import argparse
import os
import random
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from minisweep.outputmetrics import MetricReader  # noqa: E402

OLD_PATTERN = re.compile(r"^\s*(?P<name>[A-Za-z_][\w./-]*)\s*[:=]\s*(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)"
                         r"(?:[eE][-+]?\d+)?|[-+]?inf|nan)\s*$")

METRIC_LINES = [
    "epoch={e} loss={l:.4f} acc={a:.4f}",
    "\r10/10 [==============================] - 0s 2ms/step - loss: {l:.4f} - acc: {a:.4f} - val_loss: {l:.4f}",
    "Epoch {e}: 100%|\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588| 100/100 [00:01<00:00, 95.1it/s, "
    "acc={a:.3g}, loss={l:.3g}]",
    "{{'loss': {l:.4f}, 'grad_norm': 1.2345, 'learning_rate': 4.5e-05, 'epoch': {e}.0}}",
    "[{e}]\tvalidation_0-logloss:{l:.5f}\tvalidation_1-logloss:{l:.5f}",
    "INFO:train:epoch {e} loss {l:.4f}",
]
FILLER_LINES = [
    "2024-05-01 10:00:{s:02d},123 - data - INFO - loaded shard {e} with 50000 examples from /data/train",
    "\rEpoch {e}:  {p}%|\u2588\u2588\u2588       | {p}/100 [00:00<00:01, 95.1it/s, v_num=0]",
    "UserWarning: The given NumPy array is not writable, and PyTorch does not support non-writable tensors.",
    "  warnings.warn(msg)",
    "Saving checkpoint to /runs/exp-{e}/checkpoint-{p}",
]


def make_output(path, lines, metric_share, seed=0):
    rng = random.Random(seed)
    with open(path, "wb") as fh:
        for i in range(lines):
            e, p, s = i // 100, i % 100, i % 60
            pool = METRIC_LINES if rng.random() < metric_share else FILLER_LINES
            text = rng.choice(pool).format(e=e, p=p, s=s, l=rng.random(), a=rng.random())
            fh.write(text.encode("utf-8") + (b"" if text.startswith("\r") and pool is FILLER_LINES else b"\n"))


def run_readline(path):
    n = 0
    with open(path, "rb") as fh:
        for _ in iter(fh.readline, b""):
            n += 1
    return n


def run_old_relay(path):
    n = 0
    with open(path, "rb") as fh:
        for raw in iter(fh.readline, b""):
            line = raw.decode("utf-8", "replace")
            m = OLD_PATTERN.match(line.rstrip("\r\n"))
            if m:
                n += 1
    return n


def run_reader(path, every=False):
    reader = MetricReader(["loss", "acc"], every=every)
    rows = 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(65536)
            if not chunk:
                break
            rows += len(reader.feed(chunk))
    return rows + len(reader.close())


def best_of(repeat, fn, *args):
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print("%-14s %-22s %14s %10s %8s" % ("output", "loop", "lines/s", "rows", "ratio"))
    with tempfile.TemporaryDirectory() as tmp:
        for label, share in (("typical", 0.1), ("all metrics", 1.0)):
            path = os.path.join(tmp, "output.log")
            make_output(path, args.lines, share)
            base, _ = best_of(args.repeat, run_readline, path)
            for name, fn, extra in (("readline", run_readline, ()), ("old relay", run_old_relay, ()),
                                    ("reader", run_reader, ()), ("reader --all-metrics", run_reader, (True,))):
                seconds, result = (base, args.lines) if fn is run_readline else best_of(args.repeat, fn, path, *extra)
                rows = "" if fn is run_readline else str(result)
                print("%-14s %-22s %14.0f %10s %7.1fx" % (label, name, args.lines / seconds, rows, seconds / base))
    print("ratio = time / readline time (lower is better); lines include \\r-ended progress redraws")


if __name__ == "__main__":
    main()
