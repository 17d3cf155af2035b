"""Inside a run: ``init()``, ``config``, ``log()``, ``summary``, ``finish()`` — W&B's in-run API.

A training function written for W&B reads its hyperparameters from
``wandb.config`` and reports with ``wandb.log``.  The same function runs
under minisweep with ``import minisweep as wandb`` (the quickstart subset) or
``import minisweep.wandb as wandb`` (everything real scripts use, see
:mod:`minisweep.wandb`).  The rules follow W&B's client:

- ``init(project=..., config=defaults, name=..., tags=...)`` returns the current
  :class:`ActiveRun`.  Values passed as ``config`` are defaults: the sweep's
  values win, and a later attempt to change a sweep value is ignored with a
  note on standard error ("locked by the sweep", as W&B says).  Changing any
  other key to a different value raises :class:`ConfigValueError` unless
  ``allow_val_change=True``.
- ``log(row, step=None, commit=None)`` follows W&B's row-merging rules: without
  ``step`` each call is a history row (``commit=False`` keeps the data for the
  next row); with ``step`` the data of one step is merged into one row, written
  when a later step arrives, on ``commit=True``, or at ``finish()``; a ``step``
  below the current one is ignored.  Nested dicts are flattened to dotted keys
  (``{"val": {"acc": 1}}`` is ``val.acc``), as W&B's backend does, so a sweep
  metric ``val.acc`` finds them.  Media objects (``wandb.Image`` ...) are not kept.
- ``summary`` holds the last value of each logged key, and anything assigned
  to it (``summary["best"] = x``, ``summary.best = x``, ``summary.update()``);
  ``define_metric(name, summary="min")`` replaces the last value by
  ``summary[name]["min"]`` (read as ``name.min``), as W&B does.
- ``finish(exit_code=1)`` marks the run ``failed``; ``wandb.run`` is ``None``
  afterwards.  When hyperband (or a stop/cancel of the sweep) decides the run
  should end, ``run.should_stop`` turns true and the next ``log()`` raises
  :class:`RunStopped`, which the agent records as ``stopped``.

Every agent worker runs its function in its own thread, and "the current
run" is per thread, so four workers never see each other's config.  A thread
the function starts itself finds the run too when only one run is active in
the process.  In a child process started by the command-line agent,
``init()`` joins the run the agent handed over through the environment, and
everything the child does through this API reaches the agent through the
run's channel file (see :func:`_from_environment`).  Elsewhere ``init()``
makes a standalone run that lives in memory only, so a training script also
runs on its own.

The run's config and summary themselves (locked sweep keys, ``define_metric`` aggregates) are in
:mod:`.runvalues`.  Why one module of some 700 lines: what stays here is one concept, the run in
progress, and :class:`ActiveRun` carries W&B's whole ``Run``
surface, because real scripts and integrations (Lightning, Transformers, Keras) call dozens of its
methods, most of which do nothing offline but must exist, and the rules of ``log`` (steps, commits,
summaries) must stay next to the thread-bound "current run" that ``init()``, ``log()`` and the agent
share.  Splitting it would leave two halves that each need the other.

>>> run = init(config={"lr": 0.1})          # standalone: no agent, nothing written
>>> config.lr, config["lr"]
(0.1, 0.1)
>>> log({"loss": 0.5}); log({"loss": 0.25, "val": {"acc": 0.9}})
>>> run.summary["loss"], run.summary["val.acc"], len(run.history)
(0.25, 0.9, 2)
>>> finish()
"""

import atexit
import copy
import json
import os
import threading
from types import SimpleNamespace
from typing import Any, Callable, Dict, Iterator, List, Optional, Union

from .errors import MinisweepError
from .jsonvalues import encode_value
from .runvalues import (Aggregate, Config, ConfigValueError, Metric, MinisweepValueError, Summary,
                        as_config_dict, check_metric, flatten, is_media, remark)

__all__ = ["init", "log", "finish", "login", "config", "Config", "Summary", "ActiveRun", "RunStopped",
           "ConfigValueError", "Metric", "current_run", "define_metric", "save"]

#: The child -> agent channel (one JSON value a line, appended by the child):
#: a JSON object is one history row (the original format, still accepted), and
#: a JSON array ``[kind, data]`` is an event: ``["summary", {...}]``,
#: ``["config", {...}]``, ``["meta", {"name": ..., "tags": [...], ...}]``,
#: ``["define_metric", {...}]``, ``["finish", {"exit_code": n}]``.
EVENTS = ("summary", "config", "meta", "define_metric", "finish")

_META = ("name", "group", "tags", "notes", "job_type")


class RunStopped(MinisweepError):
    """Raised by ``log()`` in a run that should stop (hyperband, or the sweep was stopped).

    The agent catches it and records the run as ``stopped``; a training loop
    that wants to clean up first can check ``run.should_stop`` instead.
    """

    def __init__(self, run_id: str, reason: str) -> None:
        self.run_id = run_id
        self.reason = reason
        super().__init__("run %s should stop: %s" % (run_id, reason))


class ActiveRun:
    """The run a training function is in: what ``init()`` returns (W&B's ``Run``).

    Attributes:
        id: the run's id; ``name`` is its display name (the id until set; settable).
        sweep_id, project, entity: where it belongs (``None`` for a standalone run).
        group, tags, notes, job_type: recorded with the run (settable).
        config: its :class:`Config`; summary: its :class:`Summary`.
        history: the logged rows (flat keys).
        dir: a folder for the run's files (created on first use).
        exit_code: what ``finish(exit_code=)`` said (non-zero: the run failed).
    """

    def __init__(self, run_id: str, config: Optional[Dict[str, Any]] = None, *, sweep_id: Optional[str] = None,
                 project: Optional[str] = None, on_log: Optional[Callable[[Dict[str, Any]], None]] = None,
                 on_finish: Optional[Callable[[], None]] = None, entity: Optional[str] = None,
                 dir: Optional[str] = None, on_event: Optional[Callable[[str, Any], None]] = None,
                 lock_config: bool = True) -> None:
        object.__setattr__(self, "_meta", {"name": run_id, "group": None, "tags": (), "notes": None,
                                           "job_type": None})
        self.id = run_id
        self.sweep_id = sweep_id
        self.project = project
        self.entity = entity
        self._on_event = on_event
        self.config = Config(config, locked=(config or {}).keys() if lock_config else (),
                             on_change=lambda d: self._event("config", d))
        self.summary = Summary(on_change=lambda d: self._event("summary", d))
        self.history: List[Dict[str, Any]] = []
        self.config_changes: Dict[str, Any] = {}  # keys the run added or changed after it started
        self.metrics: Dict[str, Metric] = {}
        self._aggregates: Dict[str, Aggregate] = {}
        self._explicit: set = set()
        self._on_log = on_log
        self._on_finish = on_finish
        self._stop_reason: Optional[str] = None
        self._dir = dir
        self._dir_parent: Optional[str] = None
        self._step = 0
        self._pending: Dict[str, Any] = {}
        self._log_lock = threading.RLock()
        self.exit_code: Optional[int] = None
        self.finished = False
        self.initialised = False

    # -- metadata (name, group, tags, notes, job_type) -------------------------------------
    def __getattr__(self, name: str) -> Any:
        meta = self.__dict__.get("_meta")
        if meta is not None and name in meta:
            return meta[name]
        raise AttributeError("%r object has no attribute %r" % (type(self).__name__, name))

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _META:
            self.set_meta(**{name: value})
        else:
            object.__setattr__(self, name, value)

    def set_meta(self, _quiet: bool = False, **values: Any) -> None:
        """Record name / group / tags / notes / job_type (``None`` leaves one unchanged)."""
        changed = {}
        for key, value in values.items():
            if key not in _META or value is None:
                continue
            if key == "tags":
                value = tuple(str(t) for t in ([value] if isinstance(value, str) else value))
            else:
                value = str(value)
            if self._meta.get(key) != value:
                self._meta[key] = value
                changed[key] = list(value) if key == "tags" else value
        if changed and not _quiet:
            self._event("meta", changed)

    def meta(self) -> Dict[str, Any]:
        """What the store records about the run besides its config and results."""
        out: Dict[str, Any] = {}
        for key in _META:
            value = self._meta.get(key)
            if value is None or value == () or (key == "name" and value == self.id):
                continue
            out[key] = list(value) if key == "tags" else value
        if self.config_changes:
            out["config_changes"] = dict(self.config_changes)
        if self.metrics:
            out["metrics"] = [m.as_dict() for m in self.metrics.values()]
        if self.exit_code:
            out["exit_code"] = self.exit_code
        return out

    def _event(self, kind: str, data: Any) -> None:
        if kind == "config":
            self.config_changes.update(data)
        if self._on_event is not None:
            self._on_event(kind, data)

    # -- where it is ----------------------------------------------------------------------
    @property
    def dir(self) -> str:
        """The run's own folder (created on first use): ``<sweep>/files/<run id>`` under an agent."""
        if self._dir is None:
            import tempfile  # lazy: only a run that saves files or asks for its folder needs it

            if self._dir_parent:
                os.makedirs(self._dir_parent, exist_ok=True)
            self._dir = tempfile.mkdtemp(prefix="minisweep-run-%s-" % self.id, dir=self._dir_parent)
        os.makedirs(self._dir, exist_ok=True)
        return self._dir

    @property
    def path(self) -> str:
        return "/".join(str(p) for p in (self.entity or "local", self.project or "uncategorized", self.id))

    @property
    def step(self) -> int:
        return self._step

    @property
    def url(self) -> None:
        return None

    def get_url(self) -> None:
        """There is no web page for an offline run."""
        return None

    get_project_url = get_sweep_url = get_url

    @property
    def offline(self) -> bool:
        return True

    @property
    def disabled(self) -> bool:
        return False

    @property
    def resumed(self) -> bool:
        return False

    def project_name(self) -> Optional[str]:
        return self.project

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

    # -- logging --------------------------------------------------------------------------
    def log(self, data: Dict[str, Any], step: Optional[int] = None, commit: Any = None, sync: Any = None) -> None:
        """Add ``data`` to the history with W&B's rules for ``step`` and ``commit`` (see the module docs)."""
        if not isinstance(data, dict):
            raise TypeError("log() takes a dict of metrics, got %s" % type(data).__name__)
        if self.finished:
            raise MinisweepError("run %s is finished; log() after finish() is not recorded" % self.id)
        with self._log_lock:
            if step is not None:
                try:
                    step = int(step)
                except (TypeError, ValueError):
                    raise TypeError("log(step=...) takes an integer, got %r" % (step,)) from None
                if step < self._step:
                    remark("log(step=%d) is below the current step %d: the data is ignored, as W&B does"
                          % (step, self._step))
                    data = {}
                elif step > self._step:
                    self._commit()
                    self._step = step
            if data:
                self._pending.update(data)
                if step is not None:
                    self._pending["_step"] = step
            if commit or (commit is None and step is None):
                self._commit()
        if self._stop_reason is not None:
            raise RunStopped(self.id, self._stop_reason)

    def _commit(self) -> None:
        """Write the pending row (lock held)."""
        if not self._pending:
            return
        row, self._pending = self._pending, {}
        self._step += 1
        self.record(row)

    def flush(self) -> None:
        """Write a row still waiting for its step to end (``finish()`` does this)."""
        with self._log_lock:
            self._commit()

    def record(self, row: Dict[str, Any]) -> None:
        """Add a history row without the stop check (how the agent adds rows a child process reported)."""
        flat = flatten({k: v for k, v in row.items() if not is_media(v)})
        if not flat:
            return
        with self._log_lock:
            self.history.append(flat)
            self._summarise(flat)
        if self._on_log is not None:
            self._on_log(flat)

    def _summarise(self, row: Dict[str, Any]) -> None:
        plain: Dict[str, Any] = {}
        for key, value in row.items():
            metric = self._metric_for(key) if key not in self._explicit else None
            ops = metric.ops() if metric is not None else []
            if not ops or ops == ["copy"]:
                plain[key] = value
                continue
            agg = self._aggregates.setdefault(key, Aggregate())
            agg.add(value)
            if "none" in ops:
                continue
            out = {}
            for op in ops:
                if op == "mean":
                    out[key + ".mean"] = agg.total / agg.count if agg.count else None
                elif op == "best":
                    maximize = str(metric.goal or "minimize").lower() == "maximize"
                    out[key + ".best"] = agg.max if maximize else agg.min
                elif op in ("min", "max", "last", "first"):
                    out[key + "." + op] = getattr(agg, op)
            self.summary._drop_quietly([key])
            self.summary._set_quietly({k: v for k, v in out.items() if v is not None})
        if plain:
            self.summary._set_quietly(plain)

    def _metric_for(self, key: str) -> Optional[Metric]:
        metric = self.metrics.get(key)
        if metric is not None:
            return metric
        for m in self.metrics.values():
            if m.name.endswith("*") and m.matches(key):
                return m
        return None

    def define_metric(self, name: str, step_metric: Any = None, step_sync: Optional[bool] = None,
                      hidden: Optional[bool] = None, summary: Optional[str] = None, goal: Optional[str] = None,
                      overwrite: Optional[bool] = None, **kwargs: Any) -> Metric:
        """Say how a metric's summary is made: ``summary="min"`` keeps ``name.min`` instead of the last value.

        ``summary`` is one of, or a comma-separated list of, ``min``, ``max``,
        ``mean``, ``first``, ``last``, ``best`` (with ``goal``), ``none``.  A
        sweep whose metric is ``name.min`` then reads that value; a sweep whose
        metric is ``name`` still reads the best value in the history, as in W&B.
        ``step_metric``, ``hidden`` and ``step_sync`` only change W&B's charts and are accepted.
        """
        if isinstance(step_metric, Metric):
            step_metric = step_metric.name
        check_metric(name, step_metric, summary, goal)
        old = self.metrics.get(name)
        if old is not None and not overwrite:
            summary = summary if summary is not None else old.summary
            goal = goal if goal is not None else old.goal
            step_metric = step_metric if step_metric is not None else old.step_metric
        metric = Metric(name, step_metric, summary, goal, hidden, step_sync)
        self.metrics[name] = metric
        self._event("define_metric", metric.as_dict())
        return metric

    # -- files ------------------------------------------------------------------------------
    def save(self, glob_str: Optional[str] = None, base_path: Optional[str] = None, policy: str = "live") -> List[str]:
        """Copy the files matching ``glob_str`` into :attr:`dir` (keeping paths below ``base_path``)."""
        import glob  # lazy: only a run that saves files or asks for its folder needs it
        import shutil  # lazy: only a run that saves files or asks for its folder needs it

        if glob_str is None:
            return []
        pattern = os.fspath(glob_str)
        if policy not in ("live", "now", "end"):
            raise MinisweepValueError("save(policy=%r): expected 'live', 'now' or 'end'" % (policy,))
        saved = []
        for path in sorted(glob.glob(pattern, recursive=True)):
            if not os.path.isfile(path):
                continue
            if base_path is not None:
                rel = os.path.relpath(path, base_path)
            else:
                rel = os.path.basename(path)
            if rel.startswith(".."):
                rel = os.path.basename(path)
            target = os.path.join(self.dir, rel)
            if os.path.abspath(target) != os.path.abspath(path):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(path, target)
            saved.append(target)
        return saved

    # -- ending ---------------------------------------------------------------------------
    def finish(self, exit_code: Optional[int] = None, quiet: Any = None) -> None:
        """End the run: write any pending row; a non-zero ``exit_code`` marks it failed."""
        if self.finished:
            return
        self.flush()
        if exit_code is not None:
            self.set_exit_code(exit_code)
        self.finished = True
        if self._on_event is not None:
            self._on_event("finish", {"exit_code": self.exit_code})
        if self._on_finish is not None:
            self._on_finish()

    def set_exit_code(self, exit_code: Any) -> None:
        try:
            self.exit_code = int(exit_code)
        except (TypeError, ValueError):
            self.exit_code = 1

    def reopen(self) -> None:
        """``init()`` again after ``finish()`` (``reinit``): the same sweep run takes more data."""
        self.finished = False

    def __enter__(self) -> "ActiveRun":
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        self.finish(exit_code=1 if exc_type is not None and not issubclass(exc_type, RunStopped) else None)

    def __repr__(self) -> str:
        return "ActiveRun(%r, config=%r)" % (self.id, self.config.as_dict())

    # -- accepted and harmless (W&B features with no offline meaning) --------------------
    def watch(self, *args: Any, **kwargs: Any) -> None:
        """W&B logs gradients to its server; nothing to do offline."""

    def unwatch(self, *args: Any, **kwargs: Any) -> None:
        """See :meth:`watch`."""

    def alert(self, *args: Any, **kwargs: Any) -> None:
        """W&B sends an alert by e-mail or Slack; offline the title and text go to standard error."""
        title = kwargs.get("title", args[0] if args else "")
        text = kwargs.get("text", args[1] if len(args) > 1 else "")
        remark("alert: %s: %s" % (title, text))

    def mark_preempting(self) -> None:
        """Nothing to tell: an offline sweep has no server to warn."""

    def log_code(self, *args: Any, **kwargs: Any) -> None:
        """W&B uploads the source code; offline it is where it is."""
        return None

    def log_artifact(self, artifact: Any, *args: Any, **kwargs: Any) -> Any:
        """Accepted: the artifact's files stay on disk where they are (nothing is uploaded)."""
        return artifact

    log_model = link_model = link_artifact = upload_file = log_artifact

    def use_artifact(self, *args: Any, **kwargs: Any) -> Any:
        raise OfflineError("use_artifact() downloads from W&B's server, which an offline sweep has not got; "
                           "read the files from disk instead")

    use_model = use_artifact

    def status(self) -> Dict[str, Any]:
        return {"id": self.id, "finished": self.finished, "should_stop": self.should_stop}

    def _label(self, *args: Any, **kwargs: Any) -> None:
        """W&B's private usage telemetry; integrations call it (``run._label(code="transformers_trainer")``
        in Hugging Face's WandbCallback). Nothing to record offline."""

    @property
    def settings(self) -> Any:
        return SimpleNamespace(mode="offline", run_id=self.id, project=self.project, entity=self.entity,
                               sweep_id=self.sweep_id, files_dir=self._dir, _offline=True, _noop=False)


class OfflineError(MinisweepError, RuntimeError):
    """A W&B feature that needs W&B's server (``wandb.Api()``, ``use_artifact``): the error names the offline way."""


# ------------------------------------------------------------------------ the current run

_local = threading.local()
_active: Dict[int, ActiveRun] = {}   # thread ident -> run, for every run an agent is executing
_active_lock = threading.Lock()
_standalone: List[ActiveRun] = []    # the runs init() made outside any agent


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


def live_run() -> Optional[ActiveRun]:
    """``wandb.run``: the current run, or ``None`` before ``init()`` and after ``finish()``."""
    run = current_run()
    if run is None or run.finished:
        return None
    return run


def _env_meta() -> Dict[str, Any]:
    """W&B's environment variables for a run's name, notes, tags, group and job type."""
    env = os.environ
    tags = env.get("WANDB_TAGS")
    return {"name": env.get("WANDB_NAME") or None, "notes": env.get("WANDB_NOTES") or None,
            "group": env.get("WANDB_RUN_GROUP") or None, "job_type": env.get("WANDB_JOB_TYPE") or None,
            "tags": [t.strip() for t in tags.split(",") if t.strip()] if tags else None}


def init(project: Optional[str] = None, config: Any = None, **kwargs: Any) -> ActiveRun:
    """Start (or join) the current run and return it; ``config`` values are defaults.

    Inside an agent this is the run the agent claimed: its sweep values win
    over ``config``, and W&B's ``id`` / ``resume`` are ignored (as W&B ignores
    them in a sweep).  Elsewhere it makes a standalone, in-memory run.
    ``name``, ``group``, ``tags``, ``notes`` and ``job_type`` are recorded
    with the run (``WANDB_NAME``, ``WANDB_TAGS``, ... are the defaults);
    ``config_exclude_keys`` / ``config_include_keys`` filter ``config``;
    ``allow_val_change=True`` lets the script change config values; ``dir`` is
    where a standalone run keeps its files.  Other W&B arguments (``entity``,
    ``reinit``, ``mode``, ``settings``, ``save_code``, ``sync_tensorboard``, ...)
    are accepted and change nothing: minisweep never sends data anywhere.
    """
    defaults = as_config_dict(config, "init(config=...)")
    include = kwargs.get("config_include_keys")
    exclude = kwargs.get("config_exclude_keys")
    if include:
        defaults = {k: v for k, v in defaults.items() if k in include}
    if exclude:
        defaults = {k: v for k, v in defaults.items() if k not in exclude}
    meta = _env_meta()
    for key in _META:
        if kwargs.get(key) is not None:
            meta[key] = kwargs[key]
    run = current_run()
    if run is None:
        run = _from_environment(project)
        if run is None:
            run_id = str(kwargs.get("id") or "standalone-%d" % (len(_standalone) + 1))
            run = ActiveRun(run_id, project=project or os.environ.get("WANDB_PROJECT"),
                            entity=kwargs.get("entity") or os.environ.get("WANDB_ENTITY"), lock_config=False)
            if kwargs.get("dir"):
                run._dir_parent = os.fspath(kwargs["dir"])
            if os.environ.get("WANDB_SWEEP_ID"):  # a program of an agent that lost its run's variables
                remark("init() found no run of sweep %s to join (MINISWEEP_RUN_ID is not set): this run is "
                      "kept in memory only and is not recorded" % os.environ["WANDB_SWEEP_ID"])
        _standalone.append(run)
    elif run.finished:
        run.reopen()
    if kwargs.get("allow_val_change"):
        object.__setattr__(run.config, "_allow_changes", True)
    run.config.setdefaults(defaults)
    run.set_meta(**meta)
    run.initialised = True
    return run


def _from_environment(project: Optional[str]) -> Optional[ActiveRun]:
    """The run a command-line agent handed this process through its environment, if any.

    The agent sets ``MINISWEEP_RUN_ID``, ``MINISWEEP_RUN_CONFIG`` (the config as
    JSON), ``MINISWEEP_RUN_DIR`` (the run's folder) and ``MINISWEEP_RUN_LOG``, a
    file the child appends to: one JSON value a line, a history row or an event
    (see :data:`EVENTS`).  The agent reads it back and records it in the sweep.
    The run is finished when the process exits (``atexit``), as W&B does.
    """
    run_id = os.environ.get("MINISWEEP_RUN_ID")
    if not run_id:
        return None
    try:
        values = json.loads(os.environ.get("MINISWEEP_RUN_CONFIG", "{}"))
    except ValueError:
        values = {}
    path = os.environ.get("MINISWEEP_RUN_LOG")
    write = None
    if path:
        lock = threading.Lock()

        def write(item: Any, _path: str = path) -> None:
            line = json.dumps(encode_value(item), allow_nan=False) + "\n"
            with lock:
                with open(_path, "a", encoding="utf-8") as fh:  # one complete line per write
                    fh.write(line)

    run = ActiveRun(run_id, values if isinstance(values, dict) else {},
                    sweep_id=os.environ.get("MINISWEEP_SWEEP_ID"),
                    project=os.environ.get("MINISWEEP_PROJECT") or project,
                    entity=os.environ.get("WANDB_ENTITY") or None,
                    dir=os.environ.get("MINISWEEP_RUN_DIR") or None,
                    on_log=(lambda row: write(row)) if write else None,
                    on_event=(lambda kind, data: write([kind, data])) if write else None)
    atexit.register(_finish_at_exit, run)
    return run


def _finish_at_exit(run: ActiveRun) -> None:
    try:
        run.finish()
    except Exception:  # pragma: no cover - a broken channel at exit must not hide the script's own error
        pass


def apply_event(run: ActiveRun, kind: str, data: Any) -> None:
    """Apply an event a child reported (:data:`EVENTS`) to the agent's copy of its run."""
    if kind == "summary" and isinstance(data, dict):
        run.summary._set_quietly(flatten(data))
        run._explicit.update(flatten(data))
    elif kind == "config" and isinstance(data, dict):
        run.config_changes.update(data)
    elif kind == "meta" and isinstance(data, dict):
        run.set_meta(_quiet=True, **{k: v for k, v in data.items() if k in _META})
    elif kind == "define_metric" and isinstance(data, dict) and isinstance(data.get("name"), str):
        try:
            check_metric(data["name"], data.get("step_metric"), data.get("summary"), data.get("goal"))
        except MinisweepValueError:
            return
        run.metrics[data["name"]] = Metric(data["name"], data.get("step_metric"), data.get("summary"),
                                           data.get("goal"))
    elif kind == "finish" and isinstance(data, dict) and data.get("exit_code") is not None:
        run.set_exit_code(data["exit_code"])


def _require_run(what: str) -> ActiveRun:
    run = current_run()
    if run is None:
        raise MinisweepError("%s() needs a run: call minisweep.init() first, or run inside minisweep.agent()" % what)
    return run


def log(data: Dict[str, Any], step: Optional[int] = None, commit: Any = None, sync: Any = None) -> None:
    """``run.log(data)`` on the current run."""
    _require_run("log").log(data, step=step, commit=commit)


def define_metric(name: str, *args: Any, **kwargs: Any) -> Metric:
    """``run.define_metric(...)`` on the current run."""
    return _require_run("define_metric").define_metric(name, *args, **kwargs)


def save(glob_str: Optional[str] = None, base_path: Optional[str] = None, policy: str = "live") -> List[str]:
    """``run.save(...)`` on the current run."""
    return _require_run("save").save(glob_str, base_path, policy)


def finish(exit_code: Optional[int] = None, quiet: Any = None) -> None:
    """``run.finish(exit_code)`` on the current run, if there is one."""
    run = current_run()
    if run is not None:
        run.finish(exit_code=exit_code)


def login(*args: Any, **kwargs: Any) -> bool:
    """Nothing to log in to: minisweep has no server.  Returns True, like a successful W&B login."""
    return True


class _Current:
    """``minisweep.config`` and ``minisweep.summary``: the current run's :class:`Config` or :class:`Summary`.

    Every access is forwarded to that object of the run bound to the calling thread (see :func:`bind`),
    or, outside a run, to a detached one that belongs to no run, so ``minisweep.config.lr`` works in a
    script whether or not an agent runs it.  Forwarded too: ``copy.copy`` and ``copy.deepcopy`` (a copy
    of the current object), and ``del`` (where the object allows it).
    """

    __slots__ = ("_attribute", "_detached")

    def __init__(self, attribute: str, detached: "Union[Config, Summary]") -> None:
        object.__setattr__(self, "_attribute", attribute)
        object.__setattr__(self, "_detached", detached)

    def _target(self) -> "Union[Config, Summary]":
        run = current_run()
        return getattr(run, self._attribute) if run is not None else self._detached

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target(), name, value)

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._target()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._target()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._target()

    def __iter__(self) -> Iterator[str]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __eq__(self, other: object) -> bool:
        return self._target() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._target())

    def __copy__(self) -> "Union[Config, Summary]":
        return copy.copy(self._target())

    def __deepcopy__(self, memo: Dict[int, Any]) -> "Union[Config, Summary]":
        return copy.deepcopy(self._target(), memo)


config = _Current("config", Config())
summary = _Current("summary", Summary())
