"""``sweep()`` and ``load()``: creating a sweep, and reading one back.

``sweep(config)`` validates the config, creates the sweep's folder in the
store and returns its id; ``agent(sweep_id, function)`` (in :mod:`.runner`)
runs it; ``load(sweep_id)`` returns what happened, for notebooks and scripts.

Where sweeps live: ``dir=`` if given, else the environment variable
``MINISWEEP_DIR``, else ``./minisweep/`` under the working directory (W&B
keeps its files in ``./wandb/``).  When ``./minisweep/`` is a Python package
(a checkout of minisweep itself, or a project that vendors it under that
name) the default is ``./minisweep-runs/`` instead, so runs never land among
source files.
"""

import hashlib
import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import priorruns
from .errors import ConfigError, InvalidIdError, MinisweepError, Problem, RunNotFound, SweepNotFound
from .ids import is_id
from .runs import Run, best_run
from .store import SweepStore
from .sweepconfig import parse_config
from .update import refusals

__all__ = ["sweep", "load", "update", "resume", "SweepResult", "store_root", "DEFAULT_PROJECT"]

#: The project of a sweep created without one (W&B's name for it).
DEFAULT_PROJECT = "uncategorized"


def store_root(dir: Optional[str] = None) -> str:
    """The directory that holds the sweeps: ``dir``, ``$MINISWEEP_DIR`` or ``./minisweep``."""
    if dir is not None:
        return os.fspath(dir)
    env = os.environ.get("MINISWEEP_DIR")
    if env:
        return env
    default = os.path.join(os.getcwd(), "minisweep")
    if os.path.isfile(os.path.join(default, "__init__.py")):
        return os.path.join(os.getcwd(), "minisweep-runs")
    return default


def sweep(sweep: Any, entity: Optional[str] = None, project: Optional[str] = None,
          prior_runs: Optional[Sequence[Any]] = None, *, seed: Optional[int] = None,
          dir: Optional[str] = None) -> str:
    """Validate a sweep config, create the sweep, and return its id.

    Args:
        sweep: a config dict, a function returning one, or a config file path
            (YAML, JSON or TOML) — anything :func:`~.sweepconfig.parse_config` takes.
        entity: recorded with the sweep (W&B's team or user name).
        project: the project folder; defaults to the config's ``project`` key,
            then ``"uncategorized"``.
        prior_runs: runs of earlier sweeps for the search to take into account
            (W&B's argument): each a ``SWEEP_ID/RUN_ID``, a bare run id (looked
            up in every sweep of the store), a sweep id (all its runs), or a
            :class:`~.runs.Run`.  They are copied into the new sweep's config
            when it is created (see :mod:`.priorruns`).
        seed: the sweep's random seed (random when not given); with the same
            seed a random sweep proposes the same configs.
        dir: where sweeps live (see the module docs).

    Returns:
        The sweep id: short, URL- and filename-safe, unique across hosts.

    Raises:
        ConfigError: the config cannot run.
        RunNotFound: a prior run (or sweep) that is not in the store.
    """
    cfg = parse_config(sweep)
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "big")
    project = project_folder(project or cfg.project or DEFAULT_PROJECT)
    entity = entity or cfg.entity
    raw = cfg.raw
    if prior_runs:
        raw = dict(raw)
        raw[priorruns.KEY] = list(cfg.prior_records) + _prior_records(prior_runs, cfg, dir)
        cfg = parse_config(raw, warn=False)  # the records are checked like the rest
    store = SweepStore.create(store_root(dir), project, cfg.raw, seed=seed, entity=entity)
    return store.id


def update(sweep_id: str, config: Any, *, project: Optional[str] = None, dir: Optional[str] = None) -> List[str]:
    """Replace a sweep's config: ``wandb sweep --update ID config.yaml``, from Python.

    Before the first run anything valid goes, as in W&B; after, only the
    changes :func:`.update.refusals` allows (a bigger ``run_cap``, new
    values, a wider range, ...), so a grid that gained values or a bayes
    sweep with a bigger ``run_cap`` can carry on (:func:`resume` it if it
    had finished).  Prior runs already stored are kept unless ``config``
    names its own.  Running agents take the new config up at their next
    claim (a changed ``command`` or ``program``: agents started afterwards).

    Returns:
        The top-level keys whose settings changed.

    Raises:
        ConfigError: the new config cannot run, or the change is refused
            (one problem per reason, each naming the key).
    """
    new = parse_config(config)
    store = open_store(sweep_id, project, dir)
    changed: List[str] = []

    def change(current: Dict[str, Any], runs: List[Run]) -> Dict[str, Any]:
        # under the store's claim lock: ``current`` is the config as stored now, not as first read
        old = parse_config(current, warn=False)
        raw = dict(new.raw)
        if old.prior_records and priorruns.KEY not in raw:
            raw[priorruns.KEY] = list(old.prior_records)
        reasons = refusals(old, parse_config(raw, warn=False), len(runs))
        if reasons:
            raise ConfigError([Problem(r.split(":", 1)[0], "cannot change once runs exist (%d): %s"
                                       % (len(runs), r.split(":", 1)[1].strip())) for r in reasons])
        changed.extend(sorted(k for k in set(old.raw) | set(raw) if old.raw.get(k) != raw.get(k)))
        return raw

    store.update_config(change)
    return changed


def resume(sweep_id: str, *, project: Optional[str] = None, dir: Optional[str] = None) -> str:
    """Set a paused, stopped, cancelled or finished sweep running again; returns the state it had.

    A finished grid with new values (:func:`update`) runs the new points; a
    bayes sweep whose ``run_cap`` was raised carries on from all its runs.
    """
    store = open_store(sweep_id, project, dir)
    before = store.state()
    store.set_state("running")
    return before


def _prior_records(references: Sequence[Any], cfg: Any, dir: Optional[str]) -> List[Dict[str, Any]]:
    """The frozen records of the prior runs named by ``references`` (see :func:`sweep`)."""
    metric = cfg.metric.name if cfg.metric is not None else None
    root = store_root(dir)
    out: List[Dict[str, Any]] = []
    for ref in references:
        if isinstance(ref, Run):
            out.append(priorruns.record(ref, None, metric))
            continue
        if not isinstance(ref, str) or not ref.strip("/"):
            raise RunNotFound(str(ref), "prior run %r: expected a run id, SWEEP_ID/RUN_ID or a sweep id" % (ref,))
        parts = ref.strip("/").split("/")
        if len(parts) >= 2:  # [entity/][project/]SWEEP/RUN
            result = load(parts[-2], project=parts[-3] if len(parts) >= 3 else None, dir=dir)
            found = [r for r in result.runs if r.id == parts[-1]]
            if not found:
                raise RunNotFound(ref, "prior run %r: sweep %s has no run %s" % (ref, result.id, parts[-1]))
            out.append(priorruns.record(found[0], result.id, metric))
            continue
        if SweepStore.find(root, ref):  # a whole sweep
            result = load(ref, dir=dir)
            out.extend(priorruns.record(r, result.id, metric) for r in result.runs)
            continue
        for project, sweep_id in SweepStore.listing(root):
            try:
                result = SweepResult(SweepStore.open(root, project, sweep_id))
            except MinisweepError:  # a damaged or vanished sweep: look in the others
                continue
            found = [r for r in result.runs if r.id == ref]
            if found:
                out.append(priorruns.record(found[0], result.id, metric))
                break
        else:
            raise RunNotFound(ref, "prior run %r: no sweep and no run with that id in %s" % (ref, root))
    return out


def project_folder(project: str) -> str:
    """The folder a project's sweeps live in: the name itself when it is a safe path component,
    else a safe spelling of it (W&B accepts spaces and most punctuation in project names).

    >>> project_folder("mnist"), project_folder("GCNN RNN with input mlp"), project_folder("a..b")
    ('mnist', 'GCNN_RNN_with_input_mlp', 'a_b')

    Raises:
        InvalidIdError: a name W&B refuses too (empty, longer than 128, or with ``/ \\ # ? % :``),
            only dots, or with a control character.
    """
    if (not isinstance(project, str) or not project.strip(". ") or len(project) > 128
            or any(c in "/\\#?%:" or ord(c) < 32 or ord(c) == 127 for c in project)):
        raise InvalidIdError("project", project)
    if is_id(project):
        return project
    folder = re.sub(r"[^A-Za-z0-9_.-]+", "_", project)
    folder = re.sub(r"\.\.+", "_", folder).strip("_.-") or "project"
    if len(folder) > 64:
        folder = folder[:55].rstrip("_.-") + "-" + hashlib.sha1(project.encode("utf-8")).hexdigest()[:8]
    return folder


def split_sweep_path(sweep_id: str, entity: Optional[str] = None,
                     project: Optional[str] = None) -> Tuple[str, Optional[str], Optional[str]]:
    """``(sweep_id, entity, project)`` from W&B's id forms ``ID``, ``project/ID``, ``entity/project/ID``.

    The parts in the path win over ``entity`` and ``project``, as in ``wandb agent``.

    >>> split_sweep_path("team/mnist/ab12cd34")
    ('ab12cd34', 'team', 'mnist')
    >>> split_sweep_path("mnist/ab12cd34", project="other")
    ('ab12cd34', None, 'mnist')
    """
    if not isinstance(sweep_id, str) or "/" not in sweep_id:
        return sweep_id, entity, project
    parts = sweep_id.strip("/").split("/")
    if len(parts) == 2:
        return parts[1], entity, parts[0] or project
    if len(parts) == 3:
        return parts[2], parts[0] or entity, parts[1] or project
    return sweep_id, entity, project  # not a W&B form: check_id names it


def open_store(sweep_id: str, project: Optional[str] = None, dir: Optional[str] = None,
               **kwargs: Any) -> SweepStore:
    """The :class:`~.store.SweepStore` of a sweep, found by id (and project, when given).

    ``sweep_id`` may be W&B's ``entity/project/ID`` or ``project/ID`` (see :func:`split_sweep_path`).
    """
    sweep_id, _, project = split_sweep_path(sweep_id, None, project)
    root = store_root(dir)
    if project is not None:
        return SweepStore.open(root, project_folder(project), sweep_id, **kwargs)
    found = SweepStore.find(root, sweep_id)
    if not found:
        raise SweepNotFound(sweep_id, root)
    return SweepStore.open(root, found[0][0], found[0][1], **kwargs)


class SweepResult:
    """A sweep as read from the store: its config, state and runs.

    Attributes:
        id, project, entity: where it is.
        config: the validated :class:`~.sweepconfig.SweepConfig`.
        state: ``running``, ``paused``, ``stopped``, ``cancelled`` or ``finished``.
        runs: every :class:`~.runs.Run`, in claim order (a run whose agent
            died shows as ``crashed`` once its lease has lapsed).
    """

    def __init__(self, store: SweepStore) -> None:
        self.id = store.id
        self.project = store.project
        self.entity = store.entity
        self.seed = store.seed
        self.path = store.path
        self.config = parse_config(store.config, warn=False)
        self.state = store.state()
        self.runs: List[Run] = list(store.runs())

    def best_run(self) -> Optional[Run]:
        """The finished (or hyperband-stopped) run with the best value of the metric, or ``None``."""
        metric = self.config.metric
        if metric is None:
            return None
        return best_run(self.runs, metric.name, metric.maximize)

    def counts(self) -> Dict[str, int]:
        """How many runs are in each state."""
        out: Dict[str, int] = {}
        for run in self.runs:
            out[run.state] = out.get(run.state, 0) + 1
        return out

    def __repr__(self) -> str:
        return "SweepResult(%r, state=%r, runs=%d)" % (self.id, self.state, len(self.runs))


def load(sweep_id: str, entity: Optional[str] = None, project: Optional[str] = None, *,
         dir: Optional[str] = None) -> SweepResult:
    """Read a sweep back: ``load(sweep_id).best_run().config``.

    Raises:
        SweepNotFound: no sweep with that id under the store's root.
    """
    return SweepResult(open_store(sweep_id, project, dir))
