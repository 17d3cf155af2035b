"""The agent loop: claim a run, execute the function, record everything, repeat.

:func:`~.runner.agent` is the front end (it opens the store, picks the
back-end, shows progress); this module is the loop it runs, and that every
back-end shares: threads here, a process pool or cluster through
:mod:`.distributed` (one :class:`Agent` per task, in the worker), programs
through :mod:`.command` (the function an :class:`Agent` calls starts one).
An :class:`Agent` is a loop around three calls:

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
loop stops after ``count`` runs, when the sweep has nothing left (grid done,
``run_cap``, ``metric.target``), when the sweep is stopped or cancelled, when
its first runs all fail (:func:`first_runs_failed`, W&B's rule), or at
Ctrl-C, which marks its running runs ``killed`` and leaves the store
consistent.  A config changed meanwhile (``sweep --update``: a bigger
``run_cap``, new grid values) reaches a running agent at its next claim: the
store re-reads ``sweep.json`` under the claim lock when the file changed, and
the agent parses it again before it proposes (:meth:`Agent.sync_config`).
Time is injected (``clock``, ``sleep``), so tests drive it with a fake clock.
"""

import inspect
import os
import signal
import socket
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, TextIO

from .macros import wandb_param_yaml
from .errors import AgentError, ChildFailed, MinisweepError, StateError, StoreError
from .hyperband import bands, decisions
from .runs import ACTIVE_STATES, Run, is_number, real_number
from .search import next_config, recheck, sweep_done
from .session import ActiveRun, RunStopped, bind, unbind
from .sweepconfig import SweepConfig, parse_config

if TYPE_CHECKING:
    from .runner import Progress
    from .store import SweepStore

__all__ = ["Agent", "Execution", "Terminated", "first_runs_failed", "last_runs_failed", "gave_up_error", "short_config",
           "FINISH_RETRY_DELAYS"]

#: Seconds to wait before each new attempt to record a run's end after a store error (a full disk).
FINISH_RETRY_DELAYS = (0.1, 0.5, 2.0, 5.0)


class Terminated(KeyboardInterrupt):
    """The command-line agent was told to go by a signal (SIGTERM: ``kill``, ``timeout``, a batch
    system's pre-emption; SIGHUP: its terminal closed).

    A :class:`KeyboardInterrupt`, so it takes Ctrl-C's path: the running runs
    are recorded ``killed`` and their programs stopped before the agent exits.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        try:
            self.name = signal.Signals(signum).name
        except ValueError:
            self.name = "signal %d" % signum
        super().__init__("the agent received %s" % self.name)


def first_runs_failed(outcomes: List[str], n: int) -> bool:
    """W&B's rule for giving up: the first ``n`` runs (in order of ending) all failed; 0 turns it off."""
    first = outcomes[:n]
    return bool(n) and len(first) >= n and all(state == "failed" for state in first)


def gave_up_error(n: int, last_error: Optional[str]) -> AgentError:
    return AgentError("the first %d runs all failed; giving up. The last error: %s" % (n, _last_error_text(last_error)))


def _last_error_text(error: Optional[str]) -> str:
    """The last error on the message's first line (all a command line shows), then the whole of it.

    A traceback is summed up by its last line (``ValueError: ...``); a program's failure by its first,
    followed by its last line of output when the first ends in a colon (``... exited with status 3; its
    last output: CUDA out of memory``).
    """
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    if not lines:
        return "(none)"
    if lines[0].startswith("Traceback"):
        head = lines[-1]
    elif lines[0].endswith(":") and len(lines) > 1:
        head = "%s %s" % (lines[0], lines[-1])
    else:
        head = lines[0]
    return head if len(lines) == 1 else "%s\n%s" % (head, error)


def last_runs_failed(outcomes: List[str], n: Optional[int]) -> bool:
    """``max_consecutive_failed_runs``: the last ``n`` runs to end all failed (``None`` or 0: never)."""
    last = outcomes[-n:] if n else []
    return bool(n) and len(last) >= n and all(state == "failed" for state in last)


def _takes_config(function: Callable[..., Any]) -> bool:
    """Whether ``function`` wants the config as its one argument (the simple form)."""
    try:
        sig = inspect.signature(function)
    except (TypeError, ValueError):
        return False
    required = [p for p in sig.parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return len(required) == 1


class Execution:
    """One run in flight: its thread, its ActiveRun, and how it ended."""

    def __init__(self, run: Run, active: ActiveRun) -> None:
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


class Agent:
    """One agent's loop over a sweep's store: see the module's docstring; :meth:`run` returns the runs it started."""

    def __init__(self, store: "SweepStore", function: Callable[..., Any], *, count: Optional[int], workers: int,
                 lease_seconds: float, max_initial_failures: int, retry_failed: int,
                 clock: Callable[[], float], sleep: Callable[[float], None], poll_seconds: float,
                 out: Optional[TextIO], progress: "Optional[Progress]" = None, interrupt_grace: float = 0.0,
                 max_consecutive_failed_runs: Optional[int] = None, settle: bool = True) -> None:
        self.store = store
        self.cfg = parse_config(store.config, warn=False)
        self.cfg_source = store.config  # the store's config object self.cfg was parsed from
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
        self.active: Dict[str, Execution] = {}
        self.lock = threading.Lock()
        self.wakeup = threading.Event()
        self.done = threading.Event()
        self.outcomes: List[str] = []
        self.last_error: Optional[str] = None
        self.in_flight = 0  # runs pending or running (in any agent) when this agent last proposed
        self.bands = _bands(self.cfg)

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
    def sync_config(self) -> bool:
        """Parse the store's config again if it was updated since (``sweep --update``); whether it was.

        Called before every proposal; under the claim lock the store has just
        re-read ``sweep.json`` if the file changed (:meth:`~.store.SweepStore.claim`),
        so the whole claim sees one config.  Cheap when nothing changed: one
        identity test.
        """
        raw = self.store.config
        if raw is self.cfg_source:
            return False
        cfg = parse_config(raw, warn=False)
        self.cfg, self.bands, self.cfg_source = cfg, _bands(cfg), raw
        self.say("sweep %s: its config was updated; going on with the new one" % self.store.id)
        return True

    def propose(self, runs: List[Run], index: int) -> Optional[Dict[str, Any]]:
        # ``runs`` is the store's verdict view (a run is crashed only once an agent wrote it off)
        self.sync_config()
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

    def _claim(self) -> Optional[Run]:
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
        # The runs as shown (a run whose lease lapsed shows as crashed): good enough for a draft;
        # the claim itself is decided under the lock on the store's verdict view.
        seen = self.store.runs()
        draft = self.propose(seen, len(seen))

        def settle(runs: List[Run], index: int) -> Optional[Dict[str, Any]]:
            if self.sync_config():  # the config was updated since the draft: the draft is void
                return self.propose(runs, index)
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
        answer: Dict[str, Any] = {}

        def check(runs: List[Run], index: int) -> None:
            self.sync_config()
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
                                 "The last error: %s" % (n, n, _last_error_text(self.last_error)))
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

    def _launch(self, run: Run) -> None:
        def on_log(row: Dict[str, Any]) -> None:
            self._on_log(execution, row)

        active = ActiveRun(run.id, run.config, sweep_id=self.store.id, project=self.store.project,
                           entity=self.store.entity, dir=os.path.join(self.store.path, "files", run.id),
                           on_log=on_log)
        execution = Execution(run, active)
        thread = threading.Thread(target=self._execute, args=(execution,), name="minisweep-run-%s" % run.id,
                                  daemon=True)
        execution.thread = thread
        with self.lock:
            self.active[run.id] = execution
        thread.start()

    # -- one run -----------------------------------------------------------------------------
    def _execute(self, e: Execution) -> None:
        bind(e.active)
        started = self.clock()
        state, error = "finished", None
        try:
            self.store.start(e.run.id)
            if self.progress is not None:
                self.progress.started(e)
            else:
                self.say("run %s started: %s" % (e.run.id, short_config(e.run.config)))
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
        if isinstance(result, dict):
            active.log(result)
        elif real_number(result) is not None:  # any real number: numpy scalars, Decimal, Fraction
            name = self.cfg.metric.name if self.cfg.metric is not None else "value"
            active.log({name: real_number(result)})

    def _record(self, e: Execution, state: str, error: Optional[str], wall: float) -> None:
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

    def _finish(self, e: Execution, state: str, error: Optional[str], wall: float) -> str:
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
    def _on_log(self, e: Execution, row: Dict[str, Any]) -> None:
        self.store.log(e.run.id, row)
        if self.progress is not None:
            self.progress.logged(e, row)
        metric = self.cfg.metric
        if self.bands and metric is not None and metric.name in row:
            if is_number(real_number(row[metric.name])):
                e.iterations += 1
                if e.iterations in self.bands:
                    self._judge([e])

    def _judge(self, executions: List[Execution]) -> None:
        """Ask hyperband about these runs; flag the ones it stops."""
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


def _bands(cfg: SweepConfig) -> set:
    """The iteration counts at which hyperband judges a run (none without ``early_terminate`` and a metric)."""
    hb = cfg.early_terminate
    return set(bands(hb)) if hb is not None and cfg.metric is not None else set()


def short_config(config: Dict[str, Any], limit: int = 100) -> str:
    """A config on one line of at most ``limit`` characters, for the agent's messages."""
    text = ", ".join("%s=%r" % kv for kv in config.items())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _set_run_environment(active: ActiveRun, config: Dict[str, Any]) -> None:
    """``WANDB_RUN_ID`` and ``WANDB_SWEEP_PARAM_PATH`` (W&B's config file, written into ``run.dir``)."""
    path = os.path.join(active.dir, "config-%s.yaml" % active.id)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(wandb_param_yaml(config))
    os.environ["WANDB_RUN_ID"] = active.id
    os.environ["WANDB_SWEEP_PARAM_PATH"] = path
