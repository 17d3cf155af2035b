"""The ``minisweep`` command line: ``wandb sweep`` / ``wandb agent``, offline, and views of the results.

::

    minisweep sweep sweep.yaml               # create the sweep; prints its id and the agent command
    minisweep agent ID [--count N]           # run the sweep's program for each run (W&B's macros)
    minisweep sweep --pause|--resume|--stop|--cancel ID
    minisweep ls                             # the sweeps in the store
    minisweep status ID                      # a table of runs, best marked
    minisweep status ID --watch              # a live view until the sweep is over (q quits)
    minisweep best ID [--format args]        # the best run's config, as JSON or as --k=v args
    minisweep export ID --format csv|jsonl   # every run, for a spreadsheet or a script
    minisweep report ID -o report.html       # one self-contained HTML page with plots
    minisweep check sweep.yaml               # validate a config and show what it means

Every command takes ``--dir`` (where sweeps live; default ``$MINISWEEP_DIR`` or
``./minisweep``).  Errors — a bad config, an unknown sweep id, a missing
program, bad flags — print one line and exit with status 2; ``--debug`` shows
the traceback instead.

Why one module of some 650 lines: it is the parser and one short function
per subcommand, each a thin call into the module that does the work (the
store and results in :mod:`.api`, the agent in :mod:`.runner`, the page in
:mod:`.report`, the live view in :mod:`.watch`); splitting it would scatter
one table of flags.  Each subcommand imports its module when it runs
(``# lazy:``), so ``minisweep --help`` loads none of them.
"""

import argparse
import csv
import io
import json
import os
import runpy
import shlex
import shutil
import sys
import warnings
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from . import __version__
from .bundle import DEFAULT_PYTHON, package_entry, write_zipapp
from .errors import MinisweepError, StoreError, SweepNotFound
from .formatting import duration

if TYPE_CHECKING:
    from .api import SweepResult
    from .runs import Run
    from .sweepconfig import Param, SweepConfig

__all__ = ["main"]

EXIT_USAGE = 2


# ----------------------------------------------------------------------------- helpers


def _short(value: Any, limit: int = 60) -> str:
    text = "%g" % value if isinstance(value, float) else repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(param: "Param") -> str:
    d = param.distribution
    if d == "constant":
        return "value %s" % _short(param.value)
    if d == "categorical":
        n = len(param.values)
        return "%d value%s: %s" % (n, "" if n == 1 else "s", _short(repr(param.values)))
    if d == "categorical_w_probabilities":
        return "%d values: %s, probabilities %s" % (len(param.values), _short(repr(param.values)),
                                                     _short(repr(param.probabilities)))
    spec = param.spec()
    return ", ".join("%s %s" % (k, _short(v)) for k, v in spec.items() if k != "distribution")


def check_report(cfg: "SweepConfig") -> List[str]:
    """The lines ``minisweep check`` prints for a valid config."""
    from . import grid, hyperband  # lazy: CLI start-up (a subcommand loads what it runs)

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
    if cfg.starting_points:
        lines.append("starting_points: %d, run first" % len(cfg.starting_points))
    if cfg.extensions:
        lines.append("extensions: %s: not portable to W&B" % ", ".join(cfg.extensions))
    lines.append("parameters:")
    from .conditional import condition_text, leaves  # lazy: CLI start-up (a subcommand loads what it runs)

    listed = [(p, condition_text(c)) for p, c, _ in leaves(cfg.parameters)]  # every branch's parameters too
    width = max(len(p.name) for p, _ in listed) if listed else 0
    dwidth = max(len(p.distribution) for p, _ in listed) if listed else 0
    for p, when in listed:
        line = "  %s  %s  %s" % (p.name.ljust(width), p.distribution.ljust(dwidth), _describe(p))
        lines.append(line + ("  (%s)" % when if when else ""))
    if cfg.method == "grid":
        lines.append("grid: %d points" % grid.size(cfg))
    return lines


def _flatten(config: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(_flatten(value, prefix + key + "."))
        else:
            out[prefix + key] = value
    return out


def _table(header: List[str], rows: List[List[str]]) -> List[str]:
    widths = [len(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    fmt = "  ".join("%%-%ds" % w for w in widths)
    out = [(fmt % tuple(header)).rstrip(), (fmt % tuple("-" * w for w in widths)).rstrip()]
    out += [(fmt % tuple(row)).rstrip() for row in rows]
    return out


#: What a run may say about itself (``init(name=, group=, tags=, notes=)``), shown when any run has it.
_RUN_META = ("name", "group", "tags", "notes")


def _meta_keys(runs: Sequence["Run"], keys: Sequence[str] = _RUN_META) -> List[str]:
    return [k for k in keys if any(run.info.get(k) for run in runs)]


def _meta_text(run: "Run", key: str) -> str:
    value = run.info.get(key)
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _load(args: argparse.Namespace) -> "SweepResult":
    from .api import load  # lazy: CLI start-up (a subcommand loads what it runs)

    return load(args.sweep_id, project=getattr(args, "project", None), dir=args.dir)


# ---------------------------------------------------------------------------- commands


def _cmd_check(args: argparse.Namespace) -> int:
    from .sweepconfig import parse_config  # lazy: CLI start-up (a subcommand loads what it runs)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = parse_config(args.config, warn=False)
    for line in check_report(cfg):
        print(line)
    for text in cfg.warnings:
        print("warning: %s" % text, file=sys.stderr)
    return 0


_CONTROL = {"pause": "paused", "resume": "running", "stop": "stopped", "cancel": "cancelled"}


def _with_overrides(args: argparse.Namespace, cfg: Any = None) -> Dict[str, Any]:
    """The config file's mapping with ``--name`` and ``--program`` applied."""
    from .sweepconfig import parse_config  # lazy: CLI start-up (a subcommand loads what it runs)

    if cfg is None:
        cfg = parse_config(args.config, warn=False)
    raw = dict(cfg.raw)
    if args.name:
        raw["name"] = args.name
    if args.program:
        raw["program"] = args.program
    return raw


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .api import open_store, sweep  # lazy: CLI start-up (a subcommand loads what it runs)
    from .sweepconfig import parse_config  # lazy: CLI start-up (a subcommand loads what it runs)

    action = next((a for a in _CONTROL if getattr(args, a)), None)
    if action is not None:
        store = open_store(getattr(args, action), args.project, args.dir)
        before = store.state()
        store.set_state(_CONTROL[action])  # --resume: paused, stopped, cancelled or finished -> running
        print("sweep %s: %s -> %s" % (store.id, before, _CONTROL[action]))
        return 0
    if not args.config:
        raise _UsageError("give a config file, or one of --pause/--resume/--stop/--cancel with a sweep id")
    if args.update:
        from .api import update  # lazy: CLI start-up (a subcommand loads what it runs)

        changed = update(args.update, _with_overrides(args), project=args.project, dir=args.dir)
        print("sweep %s: config updated (%s)" % (args.update, ", ".join(changed) or "no change"))
        return 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = parse_config(args.config, warn=False)
    for text in cfg.warnings:
        print("warning: %s" % text, file=sys.stderr)
    raw = _with_overrides(args, cfg)
    sweep_id = sweep(raw, entity=args.entity, project=args.project, prior_runs=args.prior_runs, seed=args.seed,
                     dir=args.dir)
    where = " --dir %s" % args.dir if args.dir else ""
    print("created sweep %s (%s, %s)" % (sweep_id, args.project or cfg.project or "uncategorized", cfg.method))
    print("run an agent with:  %s agent %s%s" % (_command_name(), sweep_id, where))
    return 0


def _cmd_agent(args: argparse.Namespace) -> int:
    from .runner import agent  # lazy: CLI start-up (a subcommand loads what it runs)

    if args.max_consecutive_failed_runs is not None and args.max_consecutive_failed_runs < 0:
        raise _UsageError("--max-consecutive-failed-runs must be 0 or more, got %d" % args.max_consecutive_failed_runs)
    agent(args.sweep_id, project=args.project, count=args.count, workers=args.workers, dir=args.dir,
          lease_seconds=args.lease_seconds, quiet=args.quiet, verbose=args.verbose,
          kill_delay=args.kill_delay, metric_pattern=args.metric_pattern, progress=True,
          metrics=_names(args.metrics), all_metrics=args.all_metrics, tensorboard=args.tensorboard,
          term_timeout=args.term_timeout, forward_signals=args.forward_signals,
          max_consecutive_failed_runs=args.max_consecutive_failed_runs)
    return 0  # the agent's summary line says how many runs it started


def _names(text: Any) -> List[str]:
    """``--metrics acc,val_loss`` (the flag may be repeated) as a list of names."""
    names: List[str] = []
    for item in text or []:
        names += [n.strip() for n in str(item).split(",") if n.strip()]
    return names


def _cmd_ls(args: argparse.Namespace) -> int:
    from .api import SweepResult, store_root  # lazy: CLI start-up (a subcommand loads what it runs)
    from .store import SweepStore  # lazy: CLI start-up (a subcommand loads what it runs)

    root = store_root(args.dir)
    rows = []
    for project, sweep_id in SweepStore.listing(root, args.project):
        try:
            result = SweepResult(SweepStore.open(root, project, sweep_id))
        except SweepNotFound:  # removed since it was listed
            continue
        except StoreError as exc:  # a backup copy naming another sweep, a damaged sweep.json: list the rest
            folder, why = os.path.join(root, project, sweep_id), (str(exc).splitlines() or [""])[0]
            print("minisweep: skipped, not a sweep: %s" % (why if folder in why else "%s: %s" % (folder, why)),
                  file=sys.stderr)
            continue
        best = result.best_run()
        metric = result.config.metric
        best_text = "-"
        if best is not None and metric is not None:
            best_text = "%s=%s" % (metric.name, _short(best.best(metric.name, metric.maximize)))
        rows.append([project, sweep_id, result.config.name or "", result.config.method, result.state,
                     str(len(result.runs)), best_text])
    if not rows:
        print("no sweeps in %s" % root)
        return 0
    for line in _table(["project", "sweep", "name", "method", "state", "runs", "best"], rows):
        print(line)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    if args.watch:
        from .api import open_store  # lazy: CLI start-up (a subcommand loads what it runs)
        from .watch import watch  # lazy: CLI start-up (a subcommand loads what it runs)

        interval = args.interval
        if not (interval > 0 and interval < float("inf")):
            raise _UsageError("--interval: expected a positive number of seconds, got %s" % _short(interval))
        store = open_store(args.sweep_id, getattr(args, "project", None), args.dir)
        return watch(store, interval=interval, mode="plain" if args.plain else "auto")
    result = _load(args)
    metric = result.config.metric
    best = result.best_run()
    counts = ", ".join("%d %s" % (n, s) for s, n in sorted(result.counts().items())) or "no runs"
    print("sweep %s (%s): %s %s, %s" % (result.id, result.project, result.config.method, result.state, counts))
    names = [p.name for p in result.config.params if p.distribution != "constant"]
    meta = _meta_keys(result.runs, ("name", "group", "tags"))
    header = ["", "run"] + meta + ["state", "runtime"] + names + ([metric.name] if metric else [])
    rows = []
    prior = result.config.prior_runs  # earlier sweeps' runs the search counts (priorruns.py), shown apart
    for run in list(result.runs) + list(prior):
        flat = _flatten(run.config)
        mark = "p" if run.info.get("prior") else "*" if best is not None and run.id == best.id else ""
        row = [mark, run.id]
        row += [_short(_meta_text(run, k) or "-", 24) for k in meta]
        row += ["prior " + run.state if mark == "p" else run.state, duration(run.info.get("wall_time"))]
        row += [_short(flat.get(n, "-"), 24) for n in names]
        if metric is not None:
            value = run.best(metric.name, metric.maximize)
            if value is None and metric.name in run.summary:
                value = run.summary[metric.name]
            row.append("-" if value is None else _short(value, 16))
        rows.append(row)
    for line in _table(header, rows):
        print(line)
    if best is not None and metric is not None:
        print("* best: run %s, %s = %s" % (best.id, metric.name, _short(best.best(metric.name, metric.maximize))))
    if prior:
        print("p prior: %d run%s of earlier sweeps, which the search takes into account (run_cap does not count "
              "them)" % (len(prior), "" if len(prior) == 1 else "s"))
    return 0


def _cmd_best(args: argparse.Namespace) -> int:
    result = _load(args)
    best = result.best_run()
    if best is None:
        raise _UsageError("sweep %s has no finished run with a value of its metric yet" % result.id)
    if args.format == "json":
        print(json.dumps(best.config, indent=2, sort_keys=False, default=str))
    else:
        from .macros import macro_values  # lazy: CLI start-up (a subcommand loads what it runs)

        print(" ".join(_quote(a) for a in macro_values(best.config, program=None)["args"]))
    return 0


def _quote(arg: str) -> str:
    return shlex.quote(arg)


def _cmd_export(args: argparse.Namespace) -> int:
    from .jsonvalues import encode_value  # lazy: CLI start-up (a subcommand loads what it runs)

    result = _load(args)
    out = io.StringIO()
    metric = result.config.metric
    if args.format == "jsonl":
        for run in result.runs:
            record = {"id": run.id, "state": run.state, "config": run.config, "summary": run.summary,
                      "history": run.history, "wall_time": run.info.get("wall_time")}
            for key in _RUN_META + ("job_type", "config_changes", "exit_code"):
                if run.info.get(key) is not None:
                    record[key] = run.info[key]
            if metric is not None:
                record["best"] = run.best(metric.name, metric.maximize)
            out.write(json.dumps(encode_value(record), allow_nan=False) + "\n")
    else:
        flats = [_flatten(run.config) for run in result.runs]
        params = []
        for flat in flats:
            for key in flat:
                if key not in params:
                    params.append(key)
        summary_keys: List[str] = []
        for run in result.runs:
            for key in run.summary:
                if key not in summary_keys:
                    summary_keys.append(key)
        writer = csv.writer(out, lineterminator="\n")
        meta = _meta_keys(result.runs)
        header = ["run"] + meta + ["state", "wall_time"] + ["config." + p for p in params] + \
                 ["summary." + k for k in summary_keys] + (["best." + metric.name] if metric else [])
        writer.writerow(header)
        for run, flat in zip(result.runs, flats):
            row = [run.id] + [_meta_text(run, k) for k in meta] + [run.state, run.info.get("wall_time", "")]
            row += [_csv_cell(flat.get(p, "")) for p in params]
            row += [_csv_cell(run.summary.get(k, "")) for k in summary_keys]
            if metric is not None:
                best = run.best(metric.name, metric.maximize)
                row.append("" if best is None else best)
            writer.writerow(row)
    text = out.getvalue()
    if args.output and args.output != "-":
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        print("wrote %d runs to %s" % (len(result.runs), args.output), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return value


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import render_report  # lazy: CLI start-up (a subcommand loads what it runs)

    refresh = args.refresh
    if refresh is not None and not (refresh > 0 and refresh < float("inf")):
        raise _UsageError("--refresh: expected a positive number of seconds, got %s" % _short(refresh))
    result = _load(args)
    html = render_report(result, refresh=refresh)
    # a new name, then a rename: a browser reloading the page never reads half of it
    tmp = os.path.join(os.path.dirname(os.path.abspath(args.output)),
                       ".%s.%d.tmp" % (os.path.basename(args.output), os.getpid()))
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(html)
        os.replace(tmp, args.output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print("wrote %s (%d runs)" % (args.output, len(result.runs)), file=sys.stderr)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    """Run an unchanged W&B script in this process, with ``import wandb`` served by minisweep."""
    from .wandb._install import (  # lazy: CLI start-up (a subcommand loads what it runs)
        install_as_wandb, shim_directory)

    script = args.script
    if not os.path.isfile(script):
        raise _UsageError("no such script: %s" % script)
    if args.dir:
        os.environ["MINISWEEP_DIR"] = os.path.abspath(args.dir)
    os.environ["WANDB_MODE"] = "offline"  # nothing is sent, even by a real wandb reached some other way
    install_as_wandb()
    shim = shim_directory()  # its dist-info answers importlib.metadata.version("wandb")
    saved_argv, saved_path = list(sys.argv), list(sys.path)
    sys.argv = [script] + list(args.args)
    sys.path[:0] = [os.path.dirname(os.path.abspath(script)), shim]
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path
        shutil.rmtree(shim, ignore_errors=True)
    return 0


def _command_name() -> str:
    """How to type this command line again, for the hints it prints (``python3 minisweep.pyz`` in a zipapp)."""
    entry = package_entry()
    if not os.path.isfile(entry):
        return "minisweep"
    typed = sys.argv[0] if sys.argv and os.path.abspath(sys.argv[0]) == entry else entry
    return "python3 " + typed


def _cmd_zipapp(args: argparse.Namespace) -> int:
    try:
        count = write_zipapp(args.output, python=args.python)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    print("wrote %s (%d files); run it with: python3 %s --help" % (args.output, count, args.output),
          file=sys.stderr)
    return 0


class _UsageError(Exception):
    """A mistake on the command line: printed as one line, exit status 2."""


# ------------------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # one line, not argparse's usage block
            self.exit(EXIT_USAGE, "error: %s (see %s --help)\n" % (message, self.prog))

    parser = Parser(
        prog="minisweep", description="W&B-style hyperparameter sweeps, offline.",
        epilog="Sweeps live in --dir, $MINISWEEP_DIR, or ./minisweep (./minisweep-runs when ./minisweep is a "
               "Python package).")
    parser.add_argument("--version", action="version", version="minisweep " + __version__)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def add(name: str, func: Any, help: str, description: str, *, sweep_id: bool = True) -> Any:
        p = sub.add_parser(name, help=help, description=description)
        p.add_argument("--dir", help="where sweeps live (default: $MINISWEEP_DIR or ./minisweep)")
        p.add_argument("--debug", action="store_true", help="show tracebacks")
        if sweep_id:
            p.add_argument("sweep_id", metavar="ID", help="the sweep id (or W&B's ENTITY/PROJECT/ID)")
            p.add_argument("-p", "--project", help="the sweep's project (found from the id when omitted)")
            p.add_argument("-e", "--entity", help="accepted, as W&B's -e (sweeps are found by project and id)")
        p.set_defaults(func=func)
        return p

    p = add("check", _cmd_check, "validate a sweep config and show what it means",
            "Validate a sweep config (YAML, JSON or TOML) and print the method, metric and every parameter "
            "with its distribution.", sweep_id=False)
    p.add_argument("config", help="path to the sweep config file")

    p = add("sweep", _cmd_sweep, "create a sweep from a config file (or pause/resume/stop/cancel one)",
            "Create a sweep from a config file and print its id, as `wandb sweep` does; or change a sweep's "
            "state. --stop: no new runs, running ones finish; --cancel: running ones are stopped too.",
            sweep_id=False)
    p.add_argument("config", nargs="?", help="the sweep config file (YAML, JSON or TOML)")
    p.add_argument("-p", "--project", help="project folder (default: the config's project, else uncategorized)")
    p.add_argument("-e", "--entity", help="recorded with the sweep")
    p.add_argument("--name", help="the sweep's name (overrides the config's)")
    p.add_argument("--program", help="the training program (overrides the config's)")
    p.add_argument("-R", "--prior_run", "--prior-run", dest="prior_runs", action="append", metavar="RUN_ID",
                   help="a run of an earlier sweep for the search to take into account (SWEEP_ID/RUN_ID, a run "
                        "id, or a sweep id for all its runs); repeatable")
    p.add_argument("--controller", action="store_true", help="W&B: start a local controller (minisweep's "
                                                              "agents are their own controller; accepted)")
    p.add_argument("--verbose", action="store_true", help="accepted, as W&B's")
    p.add_argument("--seed", type=int, help="random seed (default: random)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--update", metavar="ID", help="replace sweep ID's config with CONFIG: anything before its "
                       "first run; after, only safe changes (a bigger run_cap, new values, a wider range)")
    for action, text in (("pause", "no new runs until resumed"),
                         ("resume", "set a paused, stopped, cancelled or finished sweep running again"),
                         ("stop", "no new runs; running ones finish"),
                         ("cancel", "no new runs; running ones are stopped")):
        group.add_argument("--" + action, metavar="ID", help=text)

    p = add("agent", _cmd_agent, "run the sweep's program for each run",
            "Start an agent: for each run, start the sweep's command (default `${env} ${interpreter} "
            "${program} ${args}`) with W&B's macros, read its metrics (minisweep.log() in the child, or "
            "lines such as `loss=0.23` on its output) and record the run.")
    p.add_argument("--count", type=int, help="how many runs this agent executes (default: until the sweep is done)")
    p.add_argument("-f", "--forward-signals", action="store_true",
                   help="W&B: pass SIGINT/SIGTERM on to the runs (minisweep always does: SIGTERM to the run's "
                        "process group, SIGKILL after --kill-delay)")
    p.add_argument("-t", "--term-timeout", type=float, metavar="SECONDS",
                   help="W&B: seconds from the forwarded signal to SIGKILL (sets --kill-delay)")
    p.add_argument("--max-consecutive-failed-runs", type=int, metavar="N",
                   help="stop after N runs in a row failed (W&B's option; the first-5-fail rule holds as well)")
    p.add_argument("--workers", type=int, default=1, help="runs at once (default 1)")
    p.add_argument("--lease-seconds", type=float, help="lease length (default $MINISWEEP_LEASE_SECONDS or 60)")
    p.add_argument("--kill-delay", type=float, default=5.0, help="seconds from SIGTERM to SIGKILL (default 5)")
    p.add_argument("--metrics", action="append", metavar="NAMES",
                   help="comma-separated names to read from the program's output besides the sweep's metric "
                        "(e.g. acc,val_loss); only declared names are read, so printed configs are not metrics")
    p.add_argument("--all-metrics", action="store_true",
                   help="read every numeric name from the output (name: value, name=value, dict keys, tables)")
    p.add_argument("--tensorboard", action="append", metavar="DIR",
                   help="also read TensorBoard scalars from event files under DIR ({run_id} in DIR is the run's id; "
                        "without it only files that appear during the run count); the run's own directory "
                        "$MINISWEEP_RUN_DIR is always read")
    p.add_argument("--metric-pattern", help="regular expression with groups 'name' and 'value' that replaces the "
                                            "built-in output layouts (its matches are taken whatever the name)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors (and failed runs' tracebacks)")
    p.add_argument("--verbose", action="store_true", help="also print every metric row")

    p = add("run", _cmd_run, "run an unchanged W&B script that calls wandb.sweep()/wandb.agent() itself",
            "Run SCRIPT with ARGS in this process, as `python SCRIPT ARGS` would, with `import wandb` giving "
            "minisweep's offline stand-in (minisweep.wandb): its wandb.sweep() creates the sweep in --dir and "
            "its wandb.agent() runs it here. Nothing is sent anywhere.", sweep_id=False)
    p.add_argument("script", help="the Python script")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")

    p = add("ls", _cmd_ls, "list the sweeps", "List the sweeps in the store.", sweep_id=False)
    p.add_argument("--project", help="only this project")

    p = add("status", _cmd_status, "a table of a sweep's runs (--watch: live)", "Show a sweep's runs: state, "
            "runtime, parameters and metric, the best one marked with *. With --watch: a live view (runs in "
            "progress, the best so far, hyperband stops as they happen) until the sweep is over or q is pressed.")
    p.add_argument("--watch", action="store_true", help="keep watching: refresh the view until the sweep is over "
                                                         "(q quits)")
    p.add_argument("--interval", type=float, default=1.0, metavar="SECONDS",
                   help="--watch: seconds between refreshes (default 1)")
    p.add_argument("--plain", action="store_true", help="--watch: print a plain table at each change instead of "
                                                         "a full-screen view")

    p = add("best", _cmd_best, "the best run's config", "Print the best run's config as JSON, or as --k=v "
            "arguments (the form ${args} gives a program).")
    p.add_argument("--format", choices=("json", "args"), default="json")

    p = add("export", _cmd_export, "every run as CSV or JSON lines", "Write every run (config, summary, "
            "state, runtime; history too in jsonl) as CSV or JSON lines.")
    p.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")

    p = add("report", _cmd_report, "an offline HTML report", "Write one self-contained HTML page: the metric "
            "over runs, every run's learning curve, a parallel-coordinates plot, the metric against each "
            "parameter, parameter importance and the runs table.")
    p.add_argument("-o", "--output", default="report.html", help="file to write (default report.html)")
    p.add_argument("--refresh", type=float, metavar="SECONDS",
                   help="make the page reload itself every SECONDS; re-run the command as often (a shell "
                        "loop, cron) and a browser left open follows a running sweep")
    p = sub.add_parser("zipapp", help="write the package as one file to copy to a locked-down machine",
                       description="Write this minisweep as one self-contained file (a zipapp): run it with "
                                   "'python3 minisweep.pyz COMMAND ...' on CPython 3.6 or later, or put it on "
                                   "sys.path and 'import minisweep'. The same source gives the same bytes.")
    p.add_argument("-o", "--output", default="minisweep.pyz", help="file to write (default minisweep.pyz)")
    p.add_argument("-p", "--python", default=DEFAULT_PYTHON,
                   help="interpreter for the #! line (default %r)" % DEFAULT_PYTHON)
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(func=_cmd_zipapp)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except (MinisweepError, _UsageError) as exc:
        if args.debug:
            raise
        problems = getattr(exc, "problems", None)
        if problems and len(problems) > 1:
            for problem in problems:
                print("error: %s" % problem, file=sys.stderr)
        else:
            print("error: %s" % str(exc).splitlines()[0] if str(exc) else "error: %s" % type(exc).__name__,
                  file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        if args.debug:
            raise
        print("error: %s" % exc, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        if args.debug:
            raise
        signum = getattr(exc, "signum", None)  # agentloop.Terminated: SIGTERM or SIGHUP
        try:
            print("minisweep: %s" % (exc if signum else "interrupted"), file=sys.stderr)
        except OSError:  # a closed terminal (SIGHUP)
            pass
        return 128 + signum if signum else 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
