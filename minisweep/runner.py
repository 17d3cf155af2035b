"""``agent()``: claim a run, execute the function, record everything, repeat.

An agent is a loop around three calls:

1. **claim** — under the store's cross-host lock, read the runs so far, ask
   the pure search layer (:func:`~.search.next_config`) for the next config,
   and record the new run as ``pending`` under this agent's lease;
2. **execute** — run the user's function in a fresh thread with that run as
   the thread's current run, so ``minisweep.init()`` / ``config`` / ``log()``
   reach it; a heartbeat thread renews the leases of the running runs and
   asks hyperband (and the sweep's state) whether any should stop;
3. **record** — the final state (``finished``, ``failed`` with its traceback,
   ``stopped`` by hyperband, ``killed`` by Ctrl-C), the summary and the wall
   time, fsync'd before the agent moves on.

``workers=N`` keeps N runs in flight at once, each in its own thread.  The
agent stops after ``count`` runs, when the sweep has nothing left (grid done,
``run_cap``, ``metric.target``), when the sweep is stopped or cancelled, when
its first five runs all fail (W&B's rule), or at Ctrl-C, which marks its
running runs ``killed`` and leaves the store consistent.
"""

import os
import socket
import sys
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, Optional

from .command import ChildFailed
from .errors import MinisweepError, StateError, StoreError
from .runs import DONE_STATES, is_better
from .session import ActiveRun, RunStopped, bind, unbind

__all__ = ["agent", "AgentError", "Terminated", "DEFAULT_LEASE_SECONDS"]

DEFAULT_LEASE_SECONDS = 60.0

#: Seconds to wait before each new attempt to record a run's end after a store error (a full disk).
FINISH_RETRY_DELAYS = (0.1, 0.5, 2.0, 5.0)


class AgentError(MinisweepError, RuntimeError):
    """The agent gave up (its first runs all failed, or it was asked for something it cannot do)."""


class Terminated(KeyboardInterrupt):
    """The command-line agent was told to go by a signal (SIGTERM: ``kill``, ``timeout``, a batch
    system's pre-emption; SIGHUP: its terminal closed).

    A :class:`KeyboardInterrupt`, so it takes Ctrl-C's path: the running runs
    are recorded ``killed`` and their programs stopped before the agent exits.
    """

    def __init__(self, signum: int) -> None:
        import signal

        self.signum = signum
        try:
            self.name = signal.Signals(signum).name
        except ValueError:
            self.name = "signal %d" % signum
        super().__init__("the agent received %s" % self.name)


class _Signals:
    """While the command-line agent runs: SIGTERM and SIGHUP raise :class:`Terminated` (once).

    Its programs run in process groups of their own, out of reach of the
    signals that end the agent, so without this a ``kill`` or a closed
    terminal leaves them running under PID 1.  Handlers can only be set from
    the main thread; elsewhere this does nothing.
    """

    def __init__(self) -> None:
        self.saved: Dict[int, Any] = {}
        self.fired = False

    def __enter__(self) -> "_Signals":
        import signal

        if threading.current_thread() is not threading.main_thread():
            return self
        for name in ("SIGTERM", "SIGHUP"):
            signum = getattr(signal, name, None)
            if signum is not None:
                try:
                    self.saved[signum] = signal.signal(signum, self._handle)
                except (ValueError, OSError):  # pragma: no cover - not the main interpreter
                    pass
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if not self.fired:  # a second signal while the runs are being stopped must not cut that short
            self.fired = True
            raise Terminated(signum)

    def __exit__(self, *exc: Any) -> None:
        import signal

        for signum, handler in self.saved.items():
            signal.signal(signum, handler)


def first_runs_failed(outcomes: List[str], n: int) -> bool:
    """W&B's rule for giving up: the first ``n`` runs (in order of ending) all failed; 0 turns it off."""
    first = outcomes[:n]
    return bool(n) and len(first) >= n and all(state == "failed" for state in first)


def gave_up_error(n: int, last_error: Optional[str]) -> AgentError:
    return AgentError("the first %d runs all failed; giving up. The last error:\n%s" % (n, last_error or "(none)"))


def last_runs_failed(outcomes: List[str], n: Optional[int]) -> bool:
    """``max_consecutive_failed_runs``: the last ``n`` runs to end all failed (``None`` or 0: never)."""
    last = outcomes[-n:] if n else []
    return bool(n) and len(last) >= n and all(state == "failed" for state in last)


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
    minisweep.runner.AgentError: lease_seconds (--lease-seconds) must be a positive, finite number of seconds, got inf

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


def _takes_config(function: Callable[..., Any]) -> bool:
    """Whether ``function`` wants the config as its one argument (the simple form)."""
    import inspect

    try:
        sig = inspect.signature(function)
    except (TypeError, ValueError):
        return False
    required = [p for p in sig.parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return len(required) == 1


class _Execution:
    """One run in flight: its thread, its ActiveRun, and how it ended."""

    def __init__(self, run: Any, active: ActiveRun) -> None:
        self.run = run
        self.active = active
        self.thread: Optional[threading.Thread] = None
        self.state: Optional[str] = None
        self.error: Optional[str] = None
        self.recorded = False
        self.lock = threading.Lock()
        self.iterations = 0
        self.killed_because: Optional[str] = None  # set when the agent is interrupted (Ctrl-C, SIGTERM)
        # set when the run's thread is done; waited on instead of Thread.join, which a Ctrl-C
        # arriving mid-join can leave claiming a live thread has stopped (CPython gh-90882)
        self.done = threading.Event()


class _Agent:
    def __init__(self, store: Any, function: Callable[..., Any], *, count: Optional[int], workers: int,
                 lease_seconds: float, max_initial_failures: int, retry_failed: int,
                 clock: Callable[[], float], sleep: Callable[[float], None], poll_seconds: float,
                 out: Any, progress: Any = None, interrupt_grace: float = 0.0,
                 max_consecutive_failed_runs: Optional[int] = None, settle: bool = True) -> None:
        from .hyperband import bands
        from .sweepconfig import parse_config

        self.store = store
        self.cfg = parse_config(store.config, warn=False)
        self.function = function
        self.takes_config = _takes_config(function)
        self.count = count
        self.workers = max(1, int(workers))
        self.lease_seconds = lease_seconds
        self.max_initial_failures = max_initial_failures
        self.max_consecutive_failed_runs = max_consecutive_failed_runs
        self.wandb_env = False  # function mode, one worker: set WANDB_RUN_ID etc. per run (see agent())
        self.retry_failed = retry_failed
        self.clock = clock
        self.sleep = sleep
        self.poll_seconds = poll_seconds
        self.out = out
        self.progress = progress
        self.interrupt_grace = interrupt_grace
        self.settle = settle  # mark the sweep finished when this agent ends its last run (see settle_sweep)
        self.agent_id = "%s-%d-%s" % (socket.gethostname().split(".")[0][:20] or "host", os.getpid(),
                                      os.urandom(3).hex())
        self.active: Dict[str, _Execution] = {}
        self.lock = threading.Lock()
        self.wakeup = threading.Event()
        self.done = threading.Event()
        self.outcomes: List[str] = []
        self.last_error: Optional[str] = None
        self.in_flight = 0  # runs pending or running (in any agent) when this agent last proposed
        hb = self.cfg.early_terminate
        self.bands = set(bands(hb)) if hb is not None and self.cfg.metric is not None else set()

    # -- output ------------------------------------------------------------------------------
    def say(self, text: str, always: bool = False) -> None:
        """Tell the user (``always``: even a quiet agent, as it shows tracebacks of failed runs)."""
        try:
            if self.progress is not None:
                self.progress.message(text)
            elif self.out is not None:
                print("minisweep: " + text, file=self.out)
            elif always:
                print("minisweep: " + text, file=sys.stderr)
        except OSError:  # the terminal is gone (SIGHUP): the agent's work goes on regardless
            pass

    # -- the loop ----------------------------------------------------------------------------
    def propose(self, runs: List[Any], index: int) -> Optional[Dict[str, Any]]:
        from .runs import ACTIVE_STATES
        from .search import next_config

        # ``runs`` is the store's verdict view (a run is crashed only once an agent wrote it off)
        self.in_flight = sum(1 for r in runs if r.state in ACTIVE_STATES)
        return next_config(self.cfg, runs, seed=self.store.seed, index=index, retry_failed=self.retry_failed)

    def settle_sweep(self) -> None:
        """Mark the sweep ``finished`` if nothing is left to run and nothing is in flight in any agent."""
        cfg = self.cfg
        can_end = cfg.method == "grid" or cfg.run_cap is not None or (
            cfg.metric is not None and cfg.metric.target is not None)
        if can_end and not self._gave_up() and self.store.state() == "running":
            if self._nothing_left() and self.store.state() == "running":
                self.store.set_state("finished")

    def _claim(self) -> Any:
        """Claim the next run.  A bayes suggestion is computed before taking the lock.

        The GP's work (up to a fraction of a second) would otherwise hold the
        sweep's claim lock and make every other agent queue behind it.  So
        the draft is made from the runs as they are now, and under the lock
        :func:`~.search.recheck` decides from what changed meanwhile: claim
        it, stop (the sweep became done), or, rarely (another agent claimed
        the very same config), propose again under the lock.
        """
        if self.cfg.method != "bayes":
            return self.store.claim(self.agent_id, self.propose, lease_seconds=self.lease_seconds)
        from .runs import ACTIVE_STATES
        from .search import recheck

        # The runs as shown (a run whose lease lapsed shows as crashed): good enough for a draft;
        # the claim itself is decided under the lock on the store's verdict view.
        seen = self.store.runs()
        draft = self.propose(seen, len(seen))

        def settle(runs: List[Any], index: int) -> Optional[Dict[str, Any]]:
            self.in_flight = sum(1 for r in runs if r.state in ACTIVE_STATES)
            verdict = recheck(self.cfg, draft, seen, runs)
            if verdict == "done":
                return None
            return draft if verdict == "claim" else self.propose(runs, index)

        return self.store.claim(self.agent_id, settle, lease_seconds=self.lease_seconds)

    def _nothing_left(self) -> bool:
        """Whether the sweep is over: nothing to propose and no run in flight, in any agent.

        A dry claim (its ``propose`` answers nothing) gives the same view under
        the same lock as a real one; only grid sweeps ask ``next_config``, so a
        Bayesian sweep is not fitted once more for the answer.
        """
        from .runs import ACTIVE_STATES
        from .search import sweep_done

        answer: Dict[str, Any] = {}

        def check(runs: List[Any], index: int) -> None:
            answer["in_flight"] = any(r.state in ACTIVE_STATES for r in runs)
            if self.cfg.method == "grid":
                answer["done"] = self.propose(runs, index) is None
            else:
                answer["done"] = sweep_done(self.cfg, runs) is not None
            return None

        self.store.claim(self.agent_id, check, lease_seconds=self.lease_seconds)
        return bool(answer.get("done")) and not answer.get("in_flight")

    def run(self) -> int:
        heartbeat = threading.Thread(target=self._heartbeat_loop, name="minisweep-heartbeat", daemon=True)
        heartbeat.start()
        launched = 0
        exhausted = waiting = False
        try:
            while self.count is None or launched < self.count:
                if self._gave_up():
                    break
                if not self._wait_for_slot():
                    break
                state = self.store.state()
                if state == "paused":
                    self.say("sweep %s is paused; waiting" % self.store.id)
                    while self.store.state() == "paused":
                        self.sleep(self.poll_seconds)
                    continue
                if state not in ("running", "finished"):  # paused, stopped, cancelled: the user's word
                    self.say("sweep %s is %s; no new runs" % (self.store.id, state))
                    break
                self.in_flight = 0
                run = self._claim()
                if run is None:
                    if self.in_flight and self.retry_failed:
                        # a run in flight (here or in another agent) may still fail: its point would be retried
                        if not waiting:
                            self.say("sweep %s has nothing to run now; waiting for %d run%s in flight, which "
                                     "retry_failed may retry" % (self.store.id, self.in_flight,
                                                                  "" if self.in_flight == 1 else "s"))
                        waiting = True
                        self.sleep(self.poll_seconds)
                        continue
                    self.say("sweep %s has nothing left to run" % self.store.id)
                    exhausted = True
                    break
                if self.store.state() == "finished":  # another agent saw nothing left, but our
                    self.store.set_state("running")   # retry_failed has a point to try again
                waiting = False
                launched += 1
                self._launch(run)
            self._join_all()
            # The sweep is finished only when nothing is in flight: an agent that finds nothing left
            # while others' runs are running leaves the state alone (a failed or crashed one may
            # still be retried), and the agent that ends the last run marks it.
            if self.settle and (exhausted or launched):
                self.settle_sweep()
        except KeyboardInterrupt as exc:
            self._interrupted(exc)
            raise
        finally:
            self.done.set()
            self.wakeup.set()
        if self._gave_up():
            n = self.max_consecutive_failed_runs
            with self.lock:
                consecutive = last_runs_failed(self.outcomes, n)
            if consecutive and not first_runs_failed(self.outcomes, self.max_initial_failures):
                raise AgentError("%d runs in a row failed (max_consecutive_failed_runs=%d); giving up. "
                                 "The last error:\n%s" % (n, n, self.last_error or "(none)"))
            raise gave_up_error(self.max_initial_failures, self.last_error)
        return launched

    def _gave_up(self) -> bool:
        with self.lock:
            return (first_runs_failed(self.outcomes, self.max_initial_failures)
                    or last_runs_failed(self.outcomes, self.max_consecutive_failed_runs))

    def _wait_for_slot(self) -> bool:
        while True:
            with self.lock:
                if len(self.active) < self.workers:
                    return True
                executions = list(self.active.values())
            for e in executions:
                e.done.wait(0.05)
            if self._gave_up():
                return False

    def _join_all(self) -> None:
        while True:
            with self.lock:
                executions = list(self.active.values())
            if not executions:
                return
            for e in executions:
                e.done.wait(0.1)

    def _launch(self, run: Any) -> None:
        active = ActiveRun(run.id, run.config, sweep_id=self.store.id, project=self.store.project,
                           entity=self.store.entity, dir=os.path.join(self.store.path, "files", run.id))
        execution = _Execution(run, active)
        active._on_log = lambda row, e=execution: self._on_log(e, row)
        thread = threading.Thread(target=self._execute, args=(execution,), name="minisweep-run-%s" % run.id,
                                  daemon=True)
        execution.thread = thread
        with self.lock:
            self.active[run.id] = execution
        thread.start()

    # -- one run -----------------------------------------------------------------------------
    def _execute(self, e: _Execution) -> None:
        bind(e.active)
        started = self.clock()
        state, error = "finished", None
        try:
            self.store.start(e.run.id)
            if self.progress is not None:
                self.progress.started(e)
            else:
                self.say("run %s started: %s" % (e.run.id, _short(e.run.config)))
            if self.wandb_env and not self.done.is_set():  # (not once the agent has restored the environment)
                _set_run_environment(e.active, e.run.config)
            result = self.function(e.active.config) if self.takes_config else self.function()
            if result is not None and not e.active.finished:
                self._log_result(e.active, result)
            e.active.flush()  # a row still waiting for its step to end (W&B writes it at finish)
            if e.active.exit_code:  # finish(exit_code=1): W&B marks the run failed
                state = "failed"
                error = "the run called finish(exit_code=%d)" % e.active.exit_code
        except RunStopped as exc:
            state = "stopped"
            error = exc.reason
        except ChildFailed as exc:  # a program's failure: its exit status and last output, no traceback
            state = "failed"
            error = str(exc)
            self.say("run %s failed: %s" % (e.run.id, error.splitlines()[0]))
        except BaseException:  # the user's code may raise anything; record it and go on
            state = "failed"
            error = traceback.format_exc()
            sys.stderr.write("minisweep: run %s failed:\n%s" % (e.run.id, error))
        finally:
            if state != "finished":
                try:  # keep a step's row that was still waiting when the run ended badly
                    e.active.flush()
                except Exception:  # the run already failed; its rows are best effort
                    pass
            unbind()
        if e.killed_because is not None:  # the agent was interrupted: however the run ended, it was killed
            state, error = "killed", e.killed_because
        try:
            self._record(e, state, error, self.clock() - started)
        finally:
            e.done.set()

    def _log_result(self, active: ActiveRun, result: Any) -> None:
        """Log what the function returned: a dict as a row, a real number (even NaN) as the metric; else nothing."""
        from .runs import real_number

        if isinstance(result, dict):
            active.log(result)
        elif real_number(result) is not None:  # any real number: numpy scalars, Decimal, Fraction
            name = self.cfg.metric.name if self.cfg.metric is not None else "value"
            active.log({name: real_number(result)})

    def _record(self, e: _Execution, state: str, error: Optional[str], wall: float) -> None:
        with e.lock:
            if e.recorded:
                return
            e.recorded = True
            e.state = state
        try:
            state = self._finish(e, state, error, wall)
        finally:
            with self.lock:
                self.active.pop(e.run.id, None)
                self.outcomes.append(state)
                if state == "failed":
                    self.last_error = error
            if self.progress is not None:
                self.progress.finished(e, state)
            else:
                self.say("run %s %s" % (e.run.id, state))

    def _finish(self, e: _Execution, state: str, error: Optional[str], wall: float) -> str:
        """Record how a run ended; return the state recorded (or that it ended with, if none could be).

        A store error (a full disk, a lost NFS server) is retried after
        :data:`FINISH_RETRY_DELAYS`, as ``docs/store.md`` allows; any other error
        means the summary cannot be recorded, and the run is recorded ``failed``
        without it, the reason in its error.  When nothing can be recorded, the
        agent says so and moves on: the run shows ``crashed`` once its lease lapses.
        Nothing here raises, so the run's thread never dies with a traceback.
        """
        summary: Optional[Dict[str, Any]] = e.active.summary.as_dict()
        meta: Optional[Dict[str, Any]] = e.active.meta() or None  # name, tags, ... (see ActiveRun.meta)
        delays = list(FINISH_RETRY_DELAYS)
        while True:
            try:
                self.store.finish(e.run.id, state, summary=summary, error=error, wall_time=wall, meta=meta)
                return state
            except StoreError as exc:
                if delays:
                    self.sleep(delays.pop(0))
                    continue
                problem = str(exc)
            except StateError as exc:  # finished already (by an earlier attempt whose answer was lost)
                self.say("run %s: %s" % (e.run.id, exc))
                return state
            except Exception as exc:  # the summary cannot be encoded (or a store bug): record the end without it
                if summary is not None:
                    reason = "the run's summary could not be recorded: %s: %s" % (type(exc).__name__, exc)
                    self.say("run %s %s, but %s; recording it failed" % (e.run.id, state, reason), always=True)
                    error = reason if not error else "%s\n%s" % (error, reason)
                    state, summary, meta = "failed", None, None
                    continue
                problem = "%s: %s" % (type(exc).__name__, exc)
            self.say("run %s %s, but the agent could not record that it ended (%s); it will show as crashed "
                     "once its lease lapses" % (e.run.id, state, problem), always=True)
            return state

    # -- logging and stopping ----------------------------------------------------------------
    def _on_log(self, e: _Execution, row: Dict[str, Any]) -> None:
        self.store.log(e.run.id, row)
        if self.progress is not None:
            self.progress.logged(e, row)
        metric = self.cfg.metric
        if self.bands and metric is not None and metric.name in row:
            from .runs import is_number, real_number

            if is_number(real_number(row[metric.name])):
                e.iterations += 1
                if e.iterations in self.bands:
                    self._judge([e])

    def _judge(self, executions: List[_Execution]) -> None:
        """Ask hyperband about these runs; flag the ones it stops."""
        from .hyperband import decisions

        ids = {e.run.id: e for e in executions}
        for d in decisions(self.cfg, self.store.runs()):
            e = ids.get(d.run.id)
            if e is not None and d.stop:
                e.active.request_stop("hyperband: " + d.reason)

    def _heartbeat_loop(self) -> None:
        interval = max(0.05, self.lease_seconds / 4.0)
        while not self.done.wait(interval):
            with self.lock:
                executions = list(self.active.values())
            if not executions:
                continue
            try:
                for e in executions:
                    self.store.heartbeat(e.run.id)
                state = self.store.state()
                for e in executions:
                    reason = self.store.stop_requested(e.run.id)
                    if reason:
                        e.active.request_stop(reason)
                    elif state == "cancelled":
                        e.active.request_stop("the sweep was cancelled")
                if self.bands:
                    self._judge(executions)
            except MinisweepError as exc:  # keep heart-beating through a transient store error
                self.say("heartbeat: %s" % exc)

    def _interrupted(self, why: Optional[BaseException] = None) -> None:
        """Ctrl-C, SIGTERM or SIGHUP: stop every run in flight and record it ``killed``.

        In command mode (``interrupt_grace`` > 0) each program is stopped first
        (SIGTERM, then SIGKILL after ``kill_delay``) and its run thread records
        the run once the program is gone, so nothing it prints meanwhile lands
        on a run that is over; whatever is still unrecorded after the grace
        period is recorded here.  A function cannot be interrupted, so its runs
        are recorded at once.
        """
        with self.lock:
            executions = list(self.active.values())
        terminated = isinstance(why, Terminated)
        reason = str(why) if terminated else "interrupted by the user (Ctrl-C)"
        for e in executions:
            e.killed_because = reason
            e.active.request_stop(reason if terminated else "interrupted")
        if self.interrupt_grace > 0 and executions:  # give the programs time to go (SIGTERM, then SIGKILL)
            deadline = time.monotonic() + self.interrupt_grace
            try:
                for e in executions:
                    e.done.wait(max(0.0, deadline - time.monotonic()))
            except KeyboardInterrupt:  # a second Ctrl-C: stop waiting, but still record the runs
                pass
        for e in executions:
            self._record(e, "killed", reason, 0.0)
        if executions:
            self.say("interrupted: marked %s killed" % ", ".join(e.run.id for e in executions))


def _short(config: Dict[str, Any], limit: int = 100) -> str:
    text = ", ".join("%s=%r" % kv for kv in config.items())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def agent(sweep_id: str, function: Optional[Callable[..., Any]] = None, entity: Optional[str] = None,
          project: Optional[str] = None, count: Optional[int] = None, *, workers: int = 1,
          dir: Optional[str] = None, lease_seconds: Optional[float] = None, max_initial_failures: int = 5,
          retry_failed: int = 0, quiet: bool = False, verbose: bool = False,
          clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
          poll_seconds: float = 5.0, kill_delay: float = 5.0, metric_pattern: Optional[str] = None,
          progress: bool = False, executor: Any = None, metrics: Optional[List[str]] = None,
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
    from .api import open_store
    from .sharedfs import make_dirs

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
        from .distributed import run_on_executor

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
        from .command import CommandFunction
        from .outputmetrics import declared_names
        from .sweepconfig import parse_config

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
    runner = _Agent(store, function, count=count, workers=workers, lease_seconds=lease,
                    max_initial_failures=max_initial_failures, retry_failed=retry_failed, clock=clock,
                    sleep=sleep, poll_seconds=poll_seconds, out=None if quiet else sys.stderr,
                    progress=display, interrupt_grace=grace,
                    max_consecutive_failed_runs=max_consecutive_failed_runs)
    if display is not None:
        display.metric = runner.cfg.metric
    try:
        if grace:  # command mode: the programs must not outlive the agent
            with _Signals():
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

    def __init__(self, store: Any) -> None:
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


def _set_run_environment(active: ActiveRun, config: Dict[str, Any]) -> None:
    """``WANDB_RUN_ID`` and ``WANDB_SWEEP_PARAM_PATH`` (W&B's config file, written into ``run.dir``)."""
    from .command import wandb_param_yaml

    path = os.path.join(active.dir, "config-%s.yaml" % active.id)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(wandb_param_yaml(config))
    os.environ["WANDB_RUN_ID"] = active.id
    os.environ["WANDB_SWEEP_PARAM_PATH"] = path


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

    def __init__(self, stream: Any, *, count: Optional[int], metric: Any, live: bool, verbose: bool) -> None:
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

    def _value(self, e: Any) -> Optional[float]:
        if self.metric is None:
            return None
        from .runs import Run

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

    def started(self, e: Any) -> None:
        with self.lock:
            self.current[e.run.id] = "running"
            if not self.live:
                self.stream.write("minisweep: run %s started: %s\n" % (e.run.id, _short(e.run.config)))
            self._redraw()

    def logged(self, e: Any, row: Dict[str, Any]) -> None:
        with self.lock:
            if self.metric is not None and self.metric.name in row:
                self.current[e.run.id] = "running %s=%s" % (self.metric.name, _fmt_value(row[self.metric.name]))
            if self.verbose:
                if self.live and self.shown:
                    self.stream.write("\r\033[K")
                self.stream.write("minisweep: run %s: %s\n" % (e.run.id, _short(row, 200)))
            self._redraw()

    def finished(self, e: Any, state: str) -> None:
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


def _summary(store: Any, started: int) -> str:
    """One line on how the sweep stands: what this agent ran, and the best run so far."""
    from .api import SweepResult

    result = SweepResult(store)
    counts = ", ".join("%d %s" % (n, state) for state, n in sorted(result.counts().items()))
    line = "sweep %s (%s): this agent started %d run%s; the sweep has %s" % (
        store.id, store.project, started, "" if started == 1 else "s", counts or "no runs")
    best = result.best_run()
    metric = result.config.metric
    if best is not None and metric is not None:
        line += "; best %s = %g (run %s: %s)" % (metric.name, best.best(metric.name, metric.maximize), best.id,
                                                  _short(best.config, 80))
    return line
