"""The ``minisweep`` command line.

``minisweep check CONFIG`` validates a sweep config and prints what minisweep
understood from it: the method, the metric, each parameter with its
distribution (inferred or written), and for a grid the number of points.  A
config that cannot run prints one line per problem and exits with status 2;
no traceback unless ``--debug``.
"""

from __future__ import annotations

import sys
from typing import Any, List, Optional, Sequence

__all__ = ["main"]

EXIT_USAGE = 2


def _describe(param: Any) -> str:
    d = param.distribution
    if d == "constant":
        return "value %s" % _short(param.value)
    if d == "categorical":
        n = len(param.values)
        return "%d value%s: %s" % (n, "" if n == 1 else "s", _short(param.values))
    if d == "categorical_w_probabilities":
        return "%d values: %s, probabilities %s" % (len(param.values), _short(param.values),
                                                     _short(param.probabilities))
    spec = param.spec()
    return ", ".join("%s %s" % (k, _short(v)) for k, v in spec.items() if k != "distribution")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value) if not isinstance(value, float) else "%g" % value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_report(cfg: Any) -> List[str]:
    """The lines ``minisweep check`` prints for a valid config."""
    from . import grid, hyperband

    lines = ["%s: a valid %s sweep" % (cfg.source or "config", cfg.method)]
    if cfg.metric is not None:
        line = "metric: %s (%s)" % (cfg.metric.name, cfg.metric.goal)
        if cfg.metric.target is not None:
            line += ", target %g" % cfg.metric.target
        lines.append(line)
    else:
        lines.append("metric: none")
    if cfg.early_terminate is not None:
        hb = cfg.early_terminate
        b = hyperband.bands(hb)
        shown = ", ".join(str(x) for x in b[:6]) + (", ..." if len(b) > 6 else "")
        lines.append("early_terminate: hyperband at iterations %s (eta %g, %s)" % (
            shown, hb.eta, "strict" if hb.strict else "not strict"))
    if cfg.run_cap is not None:
        lines.append("run_cap: %d" % cfg.run_cap)
    lines.append("parameters:")
    width = max(len(p.name) for p in cfg.params) if cfg.params else 0
    dwidth = max(len(p.distribution) for p in cfg.params) if cfg.params else 0
    for p in cfg.params:
        lines.append("  %s  %s  %s" % (p.name.ljust(width), p.distribution.ljust(dwidth), _describe(p)))
    if cfg.method == "grid":
        lines.append("grid: %d points" % grid.size(cfg))
    return lines


def _cmd_check(args: Any) -> int:
    import warnings

    from .sweepconfig import parse_config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = parse_config(args.config, warn=False)
    for line in check_report(cfg):
        print(line)
    for text in cfg.warnings:
        print("warning: %s" % text, file=sys.stderr)
    return 0


def build_parser() -> Any:
    import argparse

    from . import __version__

    parser = argparse.ArgumentParser(
        prog="minisweep", description="W&B-style hyperparameter sweeps, offline.")
    parser.add_argument("--version", action="version", version="minisweep " + __version__)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("check", help="validate a sweep config and show what it means",
                       description="Validate a sweep config (YAML, JSON or TOML) and print the method, "
                                   "metric and every parameter with its distribution.")
    p.add_argument("config", help="path to the sweep config file")
    p.set_defaults(func=_cmd_check)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    from .errors import MinisweepError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except MinisweepError as exc:
        if args.debug:
            raise
        problems = getattr(exc, "problems", None)
        if problems:
            for problem in problems:
                print("error: %s" % problem, file=sys.stderr)
        else:
            print("error: %s" % exc, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
