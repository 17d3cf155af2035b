"""``agent()``: run a sweep's runs, here in threads, on an executor, or as programs.

:func:`agent` is the front end of the agent: it checks its arguments, opens
the sweep's store, picks the back-end and shows what happens.  The loop it
runs (claim, execute, record, repeat) is :class:`~.agentloop.Agent`; the
back-ends are

- **threads** (the default): the loop runs ``function`` in ``workers``
  threads of this process;
- **an executor** (``executor=``): a process pool, Dask, Ray, ... runs one
  loop per task in its workers (:mod:`.distributed`);
- **programs** (no ``function``): each run starts the sweep's ``program`` /
  ``command`` as a child process, as ``wandb agent`` does (:mod:`.command`).

The agent stops after ``count`` runs, when the sweep has nothing left (grid
done, ``run_cap``, ``metric.target``), when the sweep is stopped or
cancelled, when its first five runs all fail (W&B's rule), or at Ctrl-C,
which marks its running runs ``killed`` and leaves the store consistent.
"""

import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, TextIO

from .agentloop import Agent, Terminated, short_config
from .api import SweepResult, open_store
from .errors import AgentError
from .runs import DONE_STATES, Run, is_better
from .sharedfs import make_dirs
from .sweepconfig import Metric, parse_config

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from .agentloop import Execution
    from .store import SweepStore

__all__ = ["agent", "AgentError", "Terminated", "Progress", "DEFAULT_LEASE_SECONDS"]

DEFAULT_LEASE_SECONDS = 60.0


class _Signals:
    """While the command-line agent runs: SIGTERM and SIGHUP raise :class:`Terminated` (once).

    Its programs run in process groups of their own, out of reach of the
    signals that end the agent, so without this a ``kill`` or a closed
    terminal leaves them running under PID 1.  Handlers can only be set from
    the main thread; elsewhere this does nothing.
    """

    def __init__(self, exit_after: float = 60.0) -> None:
        self.saved: Dict[int, Any] = {}
        self.exit_after = exit_after
        self.signum = 0
        self.fired_at: Optional[float] = None  # when the first signal came (None: none yet)
        self.cancelled = False

    def __enter__(self) -> "_Signals":
        if threading.current_thread() is not threading.main_thread():
            return self
        for name in ("SIGTERM", "SIGHUP"):
            signum = getattr(signal, name, None)
            if signum is not None:
                try:
                    self.saved[signum] = signal.signal(signum, self._handle)
                except (ValueError, OSError):  # pragma: no cover - not the main interpreter
                    pass
        # The exception a signal raises lands wherever the main thread is, possibly inside
        # a lock's bookkeeping, and a lock left held can keep the agent from ever exiting
        # (tests/test_stress.py saw, rarely, an agent still alive 60 s after its SIGTERM).
        # The store survives a kill at any instant, so past a deadline the process ends
        # itself rather than hang.  The watchdog is started here, not in the handler:
        # starting a thread takes a lock too.
        watchdog = threading.Thread(target=self._watch, name="minisweep-signal-watchdog", daemon=True)
        watchdog.start()
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.fired_at is None:  # a second signal while the runs are being stopped must not cut that short
            self.signum = signum
            self.fired_at = time.monotonic()  # a plain assignment: no lock in a signal handler
            raise Terminated(signum)

    def _watch(self) -> None:
        while not self.cancelled:
            time.sleep(0.5)
            fired_at = self.fired_at
            if fired_at is not None and not self.cancelled and time.monotonic() - fired_at > self.exit_after:
                _exit_now(self.signum, self.exit_after)

    def cancel(self) -> None:
        """The agent has stopped and closed its store: no need to end the process."""
        self.cancelled = True

    def __exit__(self, *exc: Any) -> None:
        for signum, handler in self.saved.items():
            signal.signal(signum, handler)


def _exit_now(signum: int, after: float) -> None:
    # os.write, not print: the stream's lock may be the one left held.
    os.write(2, ("minisweep: the agent had not stopped %g s after signal %d; exiting\n" % (after, signum)).encode())
    os._exit(128 + signum)


def _lease_seconds(value: Any) -> float:
    """The lease to use: ``value``, else ``$MINISWEEP_LEASE_SECONDS`` (unset or empty: 60 s).

    The one place a lease from a caller, the command line (``--lease-seconds``) or
    the environment is checked, before anything runs: a lease must be a positive,
    finite number of seconds (0 would lapse every run at once, ``inf`` or ``nan``
    would never lapse one; ``1e400`` reads as ``inf``).

    >>> _lease_seconds(30)
    30.0
    >>> _lease_seconds(float("inf"))
    Traceback (most recent call last):
    ...
    minisweep.errors.AgentError: lease_seconds (--lease-seconds) must be a positive, finite number of seconds, got inf

    Raises:
        AgentError: a bad value (the command line prints it as one line, exit status 2).
    """
    if value is not None:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf"):
            return float(value)
        raise AgentError("lease_seconds (--lease-seconds) must be a positive, finite number of seconds, got %r"
                         % (value,))
    env = os.environ.get("MINISWEEP_LEASE_SECONDS", "").strip()
    if not env:
        return DEFAULT_LEASE_SECONDS
    try:
        seconds = float(env)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise AgentError("MINISWEEP_LEASE_SECONDS=%r: a lease must be a positive, finite number of seconds" % env)
    return seconds


def agent(sweep_id: str, function: Optional[Callable[..., Any]] = None, entity: Optional[str] = None,
          project: Optional[str] = None, count: Optional[int] = None, *, workers: int = 1,
          dir: Optional[str] = None, lease_seconds: Optional[float] = None, max_initial_failures: int = 5,
          retry_failed: int = 0, quiet: bool = False, verbose: bool = False,
          clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
          poll_seconds: float = 5.0, kill_delay: float = 5.0, metric_pattern: Optional[str] = None,
          progress: bool = False, executor: "Optional[Executor]" = None, metrics: Optional[List[str]] = None,
          all_metrics: bool = False, tensorboard: Optional[List[str]] = None,
          max_consecutive_failed_runs: Optional[int] = None, forward_signals: bool = False,
          term_timeout: Optional[float] = None) -> int:
    """Run ``function`` once per run of the sweep; return how many runs this agent started.

    Args:
        sweep_id: what :func:`~.api.sweep` returned.
        function: the training function.  Called with no argument (W&B's form:
            it uses ``minisweep.init()`` / ``config`` / ``log()``), or with the
            config when it takes exactly one argument; a dict it returns is
            logged, and a number is logged as the sweep's metric.  Without a
            function, each run starts the sweep's ``program`` / ``command`` as a
            child process (:mod:`.command`), as ``wandb agent`` does.
        entity: accepted for W&B compatibility.
        project: the sweep's project; found from the id when omitted.
        count: how many runs this agent executes (``None``: until the sweep is done).
        workers: runs executed at once, each in its own thread.
        dir: where sweeps live (see :func:`~.api.store_root`).
        lease_seconds: how long a run may go without a heartbeat before other
            agents consider it crashed (default: ``$MINISWEEP_LEASE_SECONDS``, else 60).
        max_initial_failures: give up when this many first runs all fail (0: never).
        max_consecutive_failed_runs: also give up when this many runs in a row
            failed (W&B's ``agent(max_consecutive_failed_runs=)``; ``None``: never).
        forward_signals, term_timeout: W&B's agent options, accepted.  minisweep
            always sends SIGTERM to a stopped or interrupted child's process group,
            then SIGKILL after ``kill_delay``; ``term_timeout`` (seconds) sets that
            delay when given.
        retry_failed: grid only: extra attempts for points whose runs failed or crashed.
        quiet: print nothing but tracebacks of failed runs (otherwise a line per run
            and a summary, on standard error).
        verbose: also print every logged row.
        clock, sleep, poll_seconds: injected time (tests), and how often a paused agent looks again.
        kill_delay: command mode: seconds between SIGTERM and SIGKILL when a run is stopped.
        metric_pattern: command mode: a regular expression (groups ``name`` and ``value``) that
            replaces the built-in output layouts (:mod:`.outputmetrics`).
        metrics: command mode: names read from the program's output besides the sweep's metric.
        all_metrics: command mode: read every numeric name from the output, declared or not.
        tensorboard: command mode: directories whose TensorBoard event files are read as the run's
            metrics besides the run's own directory (``{run_id}`` is replaced by the run's id;
            see :mod:`.tensorboard`).
        progress: on a terminal, keep a one-line progress display instead of a line per run.
        executor: a :class:`concurrent.futures.Executor` (a process pool, Dask, Ray,
            mpi4py, ...): each run is sent to it and runs in a worker that writes
            to the shared sweep directory itself; ``workers`` runs are kept in
            flight (see :mod:`.distributed`).

    Raises:
        AgentError: when the first runs all failed, or the function is not callable.
        ConfigError: command mode, when the command cannot start (no program, a missing script).
        SweepNotFound: no such sweep.
        KeyboardInterrupt: after marking the running runs ``killed`` (first Ctrl-C).
    """
    if function is not None and not callable(function):
        raise AgentError("function must be callable, got %s" % type(function).__name__)
    if max_consecutive_failed_runs is not None and (isinstance(max_consecutive_failed_runs, bool) or
                                                    not isinstance(max_consecutive_failed_runs, int) or
                                                    max_consecutive_failed_runs < 0):
        raise AgentError("max_consecutive_failed_runs must be a whole number >= 0, got %r"
                         % (max_consecutive_failed_runs,))
    if term_timeout is not None:
        kill_delay = float(term_timeout)
    lease = _lease_seconds(lease_seconds)  # checked before anything runs

    store = open_store(sweep_id, project, dir, clock=clock)
    make_dirs(store.path, "files")  # runs' folders go there: shared as the sweep is, never a symlink (sharedfs)
    if executor is not None:
        from .distributed import run_on_executor  # lazy: only executor= needs it (and concurrent.futures)

        if function is None:
            raise AgentError("executor= runs a function in the executor's workers; give function=...")
        try:
            started = run_on_executor(store, function, executor, count=count, workers=workers,
                                      lease_seconds=lease,
                                      max_initial_failures=max_initial_failures, retry_failed=retry_failed,
                                      say=(lambda text: None) if quiet else
                                      (lambda text: print("minisweep: " + text, file=sys.stderr)))
        finally:
            store.close()  # (see below)
        if not quiet:
            print("minisweep: " + _summary(store, started), file=sys.stderr)
        return started
    grace = 0.0
    if function is None:
        from .command import CommandFunction  # lazy: only a sweep run as programs needs it (subprocess, relay)
        from .outputmetrics import declared_names  # lazy: as above

        cfg = parse_config(store.config, warn=False)
        names = declared_names(cfg.metric.name if cfg.metric is not None else None, metrics)
        function = CommandFunction(store.path, cfg.command, cfg.program, sweep_id=store.id,
                                   project=store.project, echo=None if quiet else sys.stdout,
                                   metric_pattern=metric_pattern, metrics=names, every_metric=all_metrics,
                                   tensorboard=tensorboard or (), kill_delay=kill_delay, entity=store.entity)
        function.check()
        if not quiet:
            print("minisweep: serving `import wandb` to the program from minisweep's offline stand-in "
                  "(nothing is sent anywhere)", file=sys.stderr)
        if not names and not all_metrics and not metric_pattern and not quiet:
            print("minisweep: the sweep has no metric and no --metrics were given: the program's output is "
                  "not read for metrics (minisweep.log() still is)", file=sys.stderr)
        grace = kill_delay + 2.0
    display = None
    if not quiet and (verbose or progress):
        display = Progress(sys.stderr, count=count, metric=None, live=progress and _is_tty(sys.stderr),
                           verbose=verbose)
    runner = Agent(store, function, count=count, workers=workers, lease_seconds=lease,
                    max_initial_failures=max_initial_failures, retry_failed=retry_failed, clock=clock,
                    sleep=sleep, poll_seconds=poll_seconds, out=None if quiet else sys.stderr,
                    progress=display, interrupt_grace=grace,
                    max_consecutive_failed_runs=max_consecutive_failed_runs)
    if display is not None:
        display.metric = runner.cfg.metric
    signals = _Signals(exit_after=grace + 30.0)
    try:
        if grace:  # command mode: the programs must not outlive the agent
            with signals:
                started = runner.run()
        else:
            runner.wandb_env = workers == 1
            with _SweepEnvironment(store):
                started = runner.run()
    finally:
        if display is not None:
            display.close()
        # however the agent ends: no descriptor left, a close line in its journal, its marker and
        # lock record removed (a store writes nothing before its first claim, so there is nothing
        # to close when the agent fails before it runs); reading the runs still works after it
        store.close()
        signals.cancel()
    if not quiet:
        print("minisweep: " + _summary(store, started), file=sys.stderr)
    return started


class _SweepEnvironment:
    """W&B's agent variables for a function-mode sweep, set while the agent runs and then restored.

    Like W&B's Python agent: ``WANDB_SWEEP_ID``, ``WANDB_PROJECT``,
    ``WANDB_ENTITY`` (when the sweep has one) for the whole agent, and
    ``WANDB_RUN_ID`` / ``WANDB_SWEEP_PARAM_PATH`` for each run
    (:func:`_set_run_environment`) — only with one worker, because the
    environment is shared by every thread of the process.
    """

    NAMES = ("WANDB_SWEEP_ID", "WANDB_PROJECT", "WANDB_ENTITY", "WANDB_RUN_ID", "WANDB_SWEEP_PARAM_PATH")

    def __init__(self, store: "SweepStore") -> None:
        self.store = store
        self.saved: Dict[str, Optional[str]] = {}

    def __enter__(self) -> "_SweepEnvironment":
        self.saved = {name: os.environ.get(name) for name in self.NAMES}
        os.environ["WANDB_SWEEP_ID"] = self.store.id
        os.environ["WANDB_PROJECT"] = self.store.project
        if self.store.entity:
            os.environ["WANDB_ENTITY"] = str(self.store.entity)
        return self

    def __exit__(self, *exc: Any) -> None:
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """What an agent shows while it works: one live line on a terminal, plain lines elsewhere.

    The live line reads ``runs 3/10 · best loss=0.123 · h8k2 running loss=0.531``:
    runs done (of ``count``), the best value so far, and the last metric of a
    run in flight.  Messages (a failure, the sweep finishing) are printed above it.
    """

    def __init__(self, stream: TextIO, *, count: Optional[int], metric: Optional[Metric], live: bool,
                 verbose: bool) -> None:
        self.stream = stream
        self.count = count
        self.metric = metric
        self.live = live
        self.verbose = verbose
        self.done = 0
        self.best: Optional[float] = None
        self.current: Dict[str, str] = {}
        self.lock = threading.Lock()
        self.shown = False

    def _value(self, e: "Execution") -> Optional[float]:
        if self.metric is None:
            return None
        return Run(e.run.id, history=e.active.history).best(self.metric.name, self.metric.maximize)

    def _line(self) -> str:
        parts = ["runs %d%s" % (self.done, "/%d" % self.count if self.count else "")]
        if self.best is not None and self.metric is not None:
            parts.append("best %s=%.6g" % (self.metric.name, self.best))
        for run_id, text in list(self.current.items())[-2:]:
            parts.append("%s %s" % (run_id, text))
        return " | ".join(parts)

    def _redraw(self) -> None:
        if self.live:
            text = self._line()
            width = 120
            self.stream.write("\r\033[K" + text[:width])
            self.stream.flush()
            self.shown = True

    def message(self, text: str) -> None:
        with self.lock:
            if self.live and self.shown:
                self.stream.write("\r\033[K")
            self.stream.write("minisweep: %s\n" % text)
            self._redraw()

    def started(self, e: "Execution") -> None:
        with self.lock:
            self.current[e.run.id] = "running"
            if not self.live:
                self.stream.write("minisweep: run %s started: %s\n" % (e.run.id, short_config(e.run.config)))
            self._redraw()

    def logged(self, e: "Execution", row: Dict[str, Any]) -> None:
        with self.lock:
            if self.metric is not None and self.metric.name in row:
                self.current[e.run.id] = "running %s=%s" % (self.metric.name, _fmt_value(row[self.metric.name]))
            if self.verbose:
                if self.live and self.shown:
                    self.stream.write("\r\033[K")
                self.stream.write("minisweep: run %s: %s\n" % (e.run.id, short_config(row, 200)))
            self._redraw()

    def finished(self, e: "Execution", state: str) -> None:
        with self.lock:
            self.done += 1
            self.current.pop(e.run.id, None)
            value = self._value(e)
            if value is not None and state in DONE_STATES and is_better(value, self.best, self.metric.maximize):
                self.best = value
            if not self.live:
                tail = "" if value is None else " (%s=%s)" % (self.metric.name, _fmt_value(value))
                self.stream.write("minisweep: run %s %s%s\n" % (e.run.id, state, tail))
            self._redraw()

    def close(self) -> None:
        with self.lock:
            if self.live and self.shown:
                self.stream.write("\r\033[K")
                self.stream.flush()


def _fmt_value(value: Any) -> str:
    return "%.6g" % value if isinstance(value, float) else str(value)


def _summary(store: "SweepStore", started: int) -> str:
    """One line on how the sweep stands: what this agent ran, and the best run so far."""
    result = SweepResult(store)
    counts = ", ".join("%d %s" % (n, state) for state, n in sorted(result.counts().items()))
    line = "sweep %s (%s): this agent started %d run%s; the sweep has %s" % (
        store.id, store.project, started, "" if started == 1 else "s", counts or "no runs")
    best = result.best_run()
    metric = result.config.metric
    if best is not None and metric is not None:
        line += "; best %s = %g (run %s: %s)" % (metric.name, best.best(metric.name, metric.maximize), best.id,
                                                  short_config(best.config, 80))
    return line
