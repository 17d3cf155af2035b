"""How much ``import minisweep`` costs, against interpreter start-up measured in the same run.

    python3 benchmarks/import_time.py [--repeat 20]

Each sample is a fresh interpreter: ``python -X importtime -c "import minisweep"``; the figure is
the cumulative time Python reports for the ``minisweep`` package itself (its own modules and
whatever they import that start-up had not loaded already).  The baseline is ``import json`` in the
same way, a module every Python program treats as cheap.  Medians over the samples.
"""

import argparse
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cumulative_us(module: str) -> int:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import " + module], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=True)
    for line in out.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    raise SystemExit("no importtime line for %s" % module)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    ours, base, full = [], [], []
    for _ in range(args.repeat):  # interleaved, so drift hits both sides alike
        ours.append(cumulative_us("minisweep"))
        base.append(cumulative_us("json"))
        full.append(cumulative_us("minisweep.runner"))
    m, b, f = statistics.median(ours), statistics.median(base), statistics.median(full)
    print("Python %s, %d samples, medians" % (sys.version.split()[0], args.repeat))
    print("import minisweep         %7.2f ms   %5.2fx import json" % (m / 1000, m / b))
    print("import minisweep.runner  %7.2f ms   %5.2fx import json  (everything agent() needs)" % (f / 1000, f / b))
    print("import json              %7.2f ms   (baseline)" % (b / 1000))


if __name__ == "__main__":
    main()
