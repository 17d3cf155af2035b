"""Scaling out on an executor you already run: ``agent(..., executor=ex)``.

minisweep has no cluster manager of its own.  Any
:class:`concurrent.futures.Executor` can run a sweep's runs: the stdlib's
``ProcessPoolExecutor``, Dask's ``Client.get_executor()``, Ray's
``ray.util.concurrent.futures`` executor, ``mpi4py.futures.MPIPoolExecutor``.
The sweep directory is the only thing they share.

Each task sent to the executor is one *remote agent run*: in the worker, it
opens the sweep's store (kept open between tasks of the same worker process),
claims the next run under the store's lock, runs the function, heartbeats the
lease and records the result — exactly what a local agent does, so the
guarantees are the same (no run twice, no run lost, a dead worker's run turns
``crashed`` when its lease lapses).  The calling process only keeps
``workers`` tasks in flight and stops when the sweep has nothing left, when
``count`` runs were started, or when the first runs all failed.

The function must reach the workers: the executor serialises it (a
function defined at module level, in a module the workers can import, not a
lambda or a closure).  :func:`run_on_executor` checks that with one probe task
before it starts any run, and says plainly what is wrong when it cannot.
"""

import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._compat import check_sendable
from .agentloop import Agent, first_runs_failed, gave_up_error
from .errors import AgentError
from .store import SweepStore

__all__ = ["run_on_executor", "remote_run"]

_stores: Dict[Tuple[str, str, str], SweepStore] = {}
_stores_lock = threading.Lock()


def _probe(function: Any) -> bool:
    """Runs in a worker: proves the function arrived intact."""
    return callable(function)


def _open(root: str, project: str, sweep_id: str) -> SweepStore:
    """The worker process's store for this sweep, opened once and kept (reads stay incremental)."""
    key = (root, project, sweep_id)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = SweepStore.open(root, project, sweep_id)
            _stores[key] = store
        return store


def remote_run(root: str, project: str, sweep_id: str, function: Callable[..., Any], lease_seconds: float,
               retry_failed: int, task: int) -> Tuple[int, List[str], Optional[str]]:
    """One remote agent run, in a worker: (runs started: 0 or 1, their final states, last error).

    ``task`` numbers the tasks of one :func:`run_on_executor` call.  It is not
    used here, but it makes every task's arguments different: executors that
    take functions to be pure (Dask does, by default) would otherwise return
    the first task's result for all the others instead of running them.
    """
    store = _open(root, project, sweep_id)
    # settle=False: the calling process marks the sweep finished once every task is back (one dry
    # claim in all, instead of one per task)
    runner = Agent(store, function, count=1, workers=1, lease_seconds=lease_seconds, max_initial_failures=0,
                    retry_failed=retry_failed, clock=time.time, sleep=time.sleep, poll_seconds=5.0, out=None,
                    settle=False)
    started = runner.run()
    return started, list(runner.outcomes), runner.last_error


def run_on_executor(store: SweepStore, function: Callable[..., Any], executor: Executor, *, count: Optional[int],
                    workers: int, lease_seconds: float, max_initial_failures: int, retry_failed: int,
                    say: Callable[[str], None]) -> int:
    """Keep ``workers`` remote agent runs in flight on ``executor``; return how many runs were started.

    Raises:
        AgentError: the function cannot be sent to the executor's workers, or the
            first ``max_initial_failures`` runs all failed.
    """
    try:
        check_sendable(executor, function)
        if not executor.submit(_probe, function).result():
            raise AgentError("the function did not arrive callable in the executor's workers")
    except AgentError:
        raise
    except Exception as exc:  # serialisation errors differ between executors: name the cause plainly
        raise AgentError("the function cannot be sent to the executor's workers (%s: %s); define it at the "
                         "top level of a module the workers can import - not a lambda, a closure or a "
                         "method of a local object" % (type(exc).__name__, exc)) from None
    root = os.path.dirname(os.path.dirname(store.path))
    args = (root, store.project, store.id, function, lease_seconds, retry_failed)
    in_flight: set = set()
    submitted = started = 0
    outcomes: List[str] = []
    last_error: Optional[str] = None
    exhausted = False
    try:
        while True:
            while not exhausted and len(in_flight) < workers and (count is None or submitted < count):
                in_flight.add(executor.submit(remote_run, *args, submitted))
                submitted += 1
            if not in_flight:
                break
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                n, states, error = future.result()
                started += n
                outcomes.extend(states)
                if error:
                    last_error = error
                for state in states:
                    say("a run %s" % state)
                if n == 0:
                    exhausted = True  # the sweep has nothing left (or is stopped): send no more tasks
            if first_runs_failed(outcomes, max_initial_failures):
                for future in in_flight:
                    future.cancel()
                wait(in_flight)
                raise gave_up_error(max_initial_failures, last_error)
    except KeyboardInterrupt:
        for future in in_flight:
            future.cancel()
        raise
    if exhausted:  # every task is back: the sweep is finished if nothing is left and nothing in flight
        Agent(store, function, count=0, workers=1, lease_seconds=lease_seconds, max_initial_failures=0,
               retry_failed=retry_failed, clock=time.time, sleep=time.sleep, poll_seconds=5.0,
               out=None).settle_sweep()
    return started

