"""Inside a run: ``init()``, ``config``, ``log()``, ``finish()`` — W&B's in-run API.

A training function written for W&B reads its hyperparameters from
``wandb.config`` and reports with ``wandb.log``.  The same function runs
under minisweep with ``import minisweep as wandb``:

- ``init(project=..., config=defaults)`` returns the current :class:`ActiveRun`.
  Values passed as ``config`` are defaults: the sweep's values override them.
- ``config`` gives attribute and item access (``config.lr``, ``config["lr"]``).
- ``log(row)`` appends a history row; the run's ``summary`` keeps the last
  value of each key.  When hyperband (or a stop/cancel of the sweep) decides
  the run should end, ``run.should_stop`` turns true and the next ``log()``
  raises :class:`RunStopped`, which the agent records as ``stopped``.
- ``finish()`` ends the run early; ``login()`` does nothing (there is no server).

Every agent worker runs its function in its own thread, and "the current
run" is per thread, so four workers never see each other's config.  A thread
the function starts itself finds the run too when only one run is active in
the process.  In a child process started by the command-line agent,
``init()`` joins the run the agent handed over through the environment, and
``log()`` reports back to it.  Elsewhere ``init()`` makes a standalone run
that lives in memory only, so a training script also runs on its own.

>>> run = init(config={"lr": 0.1})          # standalone: no agent, nothing written
>>> config.lr, config["lr"]
(0.1, 0.1)
>>> log({"loss": 0.5}); log({"loss": 0.25, "acc": 0.9})
>>> run.summary["loss"], len(run.history)
(0.25, 2)
>>> finish()
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Iterator, List, Optional

from .errors import MinisweepError

__all__ = ["init", "log", "finish", "login", "config", "Config", "ActiveRun", "RunStopped",
           "current_run"]


class RunStopped(MinisweepError):
    """Raised by ``log()`` in a run that should stop (hyperband, or the sweep was stopped).

    The agent catches it and records the run as ``stopped``; a training loop
    that wants to clean up first can check ``run.should_stop`` instead.
    """

    def __init__(self, run_id: str, reason: str) -> None:
        self.run_id = run_id
        self.reason = reason
        super().__init__("run %s should stop: %s" % (run_id, reason))


class Config:
    """A run's hyperparameters, with attribute and item access (``wandb.config``).

    >>> c = Config({"lr": 0.1, "opt": {"name": "adam"}})
    >>> c.lr, c["opt"]["name"], "lr" in c, sorted(c)
    (0.1, 'adam', True, ['lr', 'opt'])
    >>> c.setdefaults({"lr": 1.0, "bs": 32}); c.bs
    32
    >>> c.lr
    0.1
    """

    def __init__(self, values: Optional[Dict[str, Any]] = None) -> None:
        from .runs import copy_config

        # a copy all the way down: the run may mutate nested values without touching the agent's record
        object.__setattr__(self, "_values", copy_config(dict(values or {})))
        object.__setattr__(self, "_lock", threading.Lock())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError("config has no key %r (it has: %s)" % (
                name, ", ".join(sorted(map(str, self._values))) or "nothing")) from None

    def __setattr__(self, name: str, value: Any) -> None:
        with self._lock:
            self._values[name] = value

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        with self._lock:
            self._values[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Config):
            return self._values == other._values
        return self._values == other

    def __repr__(self) -> str:
        return "Config(%r)" % (self._values,)

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def keys(self):
        return self._values.keys()

    def values(self):
        return self._values.values()

    def items(self):
        return self._values.items()

    def update(self, values: Any = None, allow_val_change: bool = True, **kwargs: Any) -> None:
        """Set several keys (W&B's ``allow_val_change`` is accepted and ignored)."""
        with self._lock:
            if values:
                self._values.update(dict(values))
            self._values.update(kwargs)

    def setdefaults(self, values: Dict[str, Any]) -> None:
        """Set the keys that are not set yet (how sweep values override ``init(config=...)``)."""
        from .runs import copy_config

        with self._lock:
            for key, value in dict(values).items():
                if key not in self._values:
                    self._values[key] = copy_config(value)

    def as_dict(self) -> Dict[str, Any]:
        return dict(self._values)


class ActiveRun:
    """The run a training function is in: what ``init()`` returns.

    Attributes:
        id, name: the run's id (its name is the same).
        sweep_id, project: where it belongs (``None`` for a standalone run).
        config: its :class:`Config`.
        summary: the last logged value of each key (assignable, as in W&B).
        history: the logged rows.
    """

    def __init__(self, run_id: str, config: Optional[Dict[str, Any]] = None, *, sweep_id: Optional[str] = None,
                 project: Optional[str] = None, on_log: Optional[Callable[[Dict[str, Any]], None]] = None,
                 on_finish: Optional[Callable[[], None]] = None) -> None:
        self.id = run_id
        self.name = run_id
        self.sweep_id = sweep_id
        self.project = project
        self.config = Config(config)
        self.summary: Dict[str, Any] = {}
        self.history: List[Dict[str, Any]] = []
        self._on_log = on_log
        self._on_finish = on_finish
        self._stop_reason: Optional[str] = None
        self.finished = False
        self.initialised = False

    # -- stopping -----------------------------------------------------------------------
    @property
    def should_stop(self) -> bool:
        """True once the run has been asked to stop; the next ``log()`` will raise."""
        return self._stop_reason is not None

    @property
    def stop_reason(self) -> Optional[str]:
        return self._stop_reason

    def request_stop(self, reason: str) -> None:
        if self._stop_reason is None:
            self._stop_reason = reason

    # -- the W&B surface -----------------------------------------------------------------
    def log(self, data: Dict[str, Any], step: Optional[int] = None, commit: Any = None) -> None:
        """Append a history row (``step`` and ``commit`` are accepted for W&B compatibility)."""
        if not isinstance(data, dict):
            raise TypeError("log() takes a dict of metrics, got %s" % type(data).__name__)
        if self.finished:
            raise MinisweepError("run %s is finished; log() after finish() is not recorded" % self.id)
        row = dict(data)
        if step is not None and "_step" not in row:
            row["_step"] = step
        self.record(row)
        if self._stop_reason is not None:
            raise RunStopped(self.id, self._stop_reason)

    def record(self, row: Dict[str, Any]) -> None:
        """Append a row without the stop check (how the agent adds rows a child process reported)."""
        self.history.append(row)
        self.summary.update(row)
        if self._on_log is not None:
            self._on_log(row)

    def finish(self, exit_code: Optional[int] = None, quiet: Any = None) -> None:
        """End the run now (the agent records it when the function returns)."""
        if not self.finished:
            self.finished = True
            if self._on_finish is not None:
                self._on_finish()

    def __enter__(self) -> "ActiveRun":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.finish()

    def __repr__(self) -> str:
        return "ActiveRun(%r, config=%r)" % (self.id, self.config.as_dict())


# ------------------------------------------------------------------------ the current run

_local = threading.local()
_active: Dict[int, ActiveRun] = {}   # thread ident -> run, for every run an agent is executing
_active_lock = threading.Lock()
_standalone: List[ActiveRun] = []    # the run init() made outside any agent, if any


def bind(run: ActiveRun) -> None:
    """Make ``run`` the current run of the calling thread (the agent does this)."""
    _local.run = run
    with _active_lock:
        _active[threading.get_ident()] = run


def unbind() -> None:
    _local.run = None
    with _active_lock:
        _active.pop(threading.get_ident(), None)


def current_run() -> Optional[ActiveRun]:
    """The run of the calling thread, or the only active run, or the standalone one, or ``None``."""
    run = getattr(_local, "run", None)
    if run is not None:
        return run
    with _active_lock:
        if len(_active) == 1:
            return next(iter(_active.values()))
        if len(_active) > 1:
            raise MinisweepError("called from a thread that belongs to no run while %d runs are active; "
                                 "use the run object that init() returned" % len(_active))
    if _standalone and not _standalone[-1].finished:
        return _standalone[-1]
    return None


def init(project: Optional[str] = None, config: Any = None, **kwargs: Any) -> ActiveRun:
    """Start (or join) the current run and return it; ``config`` values are defaults.

    Inside an agent this is the run the agent claimed; its sweep values win
    over ``config``.  Elsewhere it makes a standalone, in-memory run.  Other W&B
    keyword arguments (``entity``, ``name``, ``reinit``, ``mode``, ...) are accepted
    and ignored.
    """
    defaults = _as_dict(config)
    run = current_run()
    if run is None:
        run = _from_environment(project)
        if run is None:
            run = ActiveRun("standalone-%d" % (len(_standalone) + 1), project=project)
        run.config.setdefaults(defaults)
        _standalone.append(run)
    else:
        run.config.setdefaults(defaults)
    run.initialised = True
    return run


def _from_environment(project: Optional[str]) -> Optional[ActiveRun]:
    """The run a command-line agent handed this process through its environment, if any.

    The agent sets ``MINISWEEP_RUN_ID``, ``MINISWEEP_RUN_CONFIG`` (the config as
    JSON) and ``MINISWEEP_RUN_LOG`` (a file to append logged rows to, one JSON
    object a line); it reads the rows back and records them in the sweep.
    """
    import os

    run_id = os.environ.get("MINISWEEP_RUN_ID")
    if not run_id:
        return None
    import json

    try:
        values = json.loads(os.environ.get("MINISWEEP_RUN_CONFIG", "{}"))
    except ValueError:
        values = {}
    path = os.environ.get("MINISWEEP_RUN_LOG")
    on_log = None
    if path:
        def on_log(row: Dict[str, Any], _path: str = path) -> None:
            from .store import encode_value

            line = json.dumps(encode_value(row), allow_nan=False) + "\n"
            with open(_path, "a", encoding="utf-8") as fh:  # one complete line per write
                fh.write(line)
    return ActiveRun(run_id, values if isinstance(values, dict) else {},
                     sweep_id=os.environ.get("MINISWEEP_SWEEP_ID"),
                     project=os.environ.get("MINISWEEP_PROJECT") or project, on_log=on_log)


def _as_dict(config: Any) -> Dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, Config):
        return config.as_dict()
    if isinstance(config, dict):
        return dict(config)
    if hasattr(config, "__dict__"):  # an argparse.Namespace, as W&B allows
        return dict(vars(config))
    raise TypeError("init(config=...) takes a dict, got %s" % type(config).__name__)


def _require_run(what: str) -> ActiveRun:
    run = current_run()
    if run is None:
        raise MinisweepError("%s() needs a run: call minisweep.init() first, or run inside minisweep.agent()" % what)
    return run


def log(data: Dict[str, Any], step: Optional[int] = None, commit: Any = None) -> None:
    """``run.log(data)`` on the current run."""
    _require_run("log").log(data, step=step, commit=commit)


def finish(exit_code: Optional[int] = None, quiet: Any = None) -> None:
    """``run.finish()`` on the current run, if there is one."""
    run = current_run()
    if run is not None:
        run.finish()


def login(*args: Any, **kwargs: Any) -> bool:
    """Nothing to log in to: minisweep has no server.  Returns True, like a successful W&B login."""
    return True


class _CurrentConfig:
    """``minisweep.config``: the current run's :class:`Config` (empty outside a run)."""

    def _target(self) -> Config:
        run = current_run()
        return run.config if run is not None else _detached

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target(), name, value)

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._target()[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._target()

    def __iter__(self) -> Iterator[str]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __eq__(self, other: object) -> bool:
        return self._target() == other

    def __repr__(self) -> str:
        return repr(self._target())


_detached = Config()
config = _CurrentConfig()
