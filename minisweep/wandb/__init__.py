"""``import minisweep.wandb as wandb``: the W&B client surface real sweep scripts use, offline.

W&B's quickstart needs five names (``sweep``, ``agent``, ``init``, ``config``,
``log``), and ``import minisweep as wandb`` serves those.  Real projects use
many more: they call ``wandb.watch(model)`` right after ``init``, log
``wandb.Image`` objects, read ``run.dir``, declare ``define_metric``, and name
``wandb.sdk.wandb_run.Run`` in annotations.  This module answers all of them,
in three tiers (the README's "Porting a W&B project" lists every name):

- **Real**, with W&B's rules: ``init`` (``config``, ``name``, ``group``, ``tags``,
  ``notes``, ``job_type``, ``dir``, ...), ``config``, ``log(row, step=, commit=)``,
  ``summary``, ``define_metric``, ``finish(exit_code=)``, ``run`` (``id``,
  ``name``, ``project``, ``sweep_id``, ``dir``), ``save``, ``util.generate_id``,
  ``sweep``, ``agent`` (see :mod:`minisweep.session`).
- **Accepted and harmless**: ``watch``, ``unwatch``, media and charts
  (``Image``, ``Table``, ``Histogram``, ``plot.*``, ...; logged media are not
  recorded), ``Settings``, ``Artifact`` / ``log_artifact``, ``alert``,
  ``mark_preempting``, ``login``, ``setup``, ``require``, and the names scripts
  use in annotations and ``except`` clauses (``wandb.errors.CommError`` ...).
- **A clear error naming the offline way** where only W&B's server could
  answer: ``wandb.Api()`` (use ``minisweep.load``) and ``use_artifact``.

Nothing is ever sent anywhere.  Scripts that say ``import wandb`` get this
module under that name from ``minisweep agent`` (command mode), from
``minisweep run SCRIPT`` (function mode), or after
:func:`install_as_wandb` (see :mod:`minisweep.wandb._install`).

>>> import minisweep.wandb as wandb
>>> run = wandb.init(config={"lr": 0.1}, name="try-1", tags=["baseline"])
>>> wandb.watch(object())                       # accepted, does nothing
>>> wandb.log({"loss": 0.5, "sample": wandb.Image([[0]])})   # the image is not recorded
>>> wandb.summary["best_loss"] = 0.5
>>> run.name, run.tags, run.history
('try-1', ('baseline',), [{'loss': 0.5}])
>>> wandb.finish(); wandb.run is None
True
"""

import sys

from .. import session as _session
from ..session import (ActiveRun as Run, Config, ConfigValueError, Metric, OfflineError, Summary,  # noqa: F401
                       define_metric, finish, init, log, login, save)
from .data_types import (Audio, BoundingBoxes2D, Classes, Graph, Histogram, Html, Image, ImageMask,  # noqa: F401
                         Molecule, Object3D, Plotly, Table, Video)
from .errors import CommError, Error, UsageError  # noqa: F401
from .objects import AlertLevel, Api, Artifact, Settings  # noqa: F401

#: The W&B client version whose surface this follows, marked as minisweep's
#: stand-in by a PEP 440 local label (frameworks that compare versions accept it).
__version__ = "0.31.0+minisweep"

__all__ = [
    "init", "config", "log", "summary", "finish", "run", "define_metric", "save", "login", "sweep", "agent",
    "watch", "unwatch", "alert", "mark_preempting", "log_artifact", "log_model", "use_artifact", "use_model",
    "link_model", "setup", "teardown", "require", "termlog", "termwarn", "termerror", "install_as_wandb",
    "Run", "Config", "Summary", "Metric", "Settings", "Artifact", "Api", "AlertLevel", "Error", "CommError",
    "UsageError", "Image", "Table", "Histogram", "Video", "Audio", "Html", "Object3D", "Molecule", "Plotly",
    "Graph", "Classes", "ImageMask", "BoundingBoxes2D", "plot", "util", "errors", "sdk", "apis",
]

config = _session.config
summary = _session.summary

# Submodules scripts reach as attributes (``wandb.util.generate_id()``), loaded on first use.
_SUBMODULES = ("util", "errors", "sdk", "apis", "plot", "data_types", "integration", "keras", "wandb_run",
               "wandb_agent", "env")


def __getattr__(name):
    if name == "run":  # changes with the calling thread's run, and is None after finish(): never cached
        return _session.live_run()
    if name in _SUBMODULES:
        from importlib import import_module  # lazy: submodules load on first use (PEP 562)

        return import_module("." + name, __name__)
    raise AttributeError("module %r has no attribute %r (minisweep's stand-in for wandb does not provide it; "
                         "see the README's 'Porting a W&B project')" % ("wandb", name))


def __dir__():
    return sorted(set(globals()) | set(__all__))


# ------------------------------------------------------------------------- the sweep workflow


def sweep(sweep, entity=None, project=None, prior_runs=None, **kwargs):
    """``wandb.sweep(config)``: create the sweep on disk and return its id (see :func:`minisweep.sweep`).

    ``prior_runs`` names runs of earlier sweeps in the store (a run id,
    ``SWEEP_ID/RUN_ID``, or a sweep id for all its runs) for the search to take
    into account (see :mod:`minisweep.priorruns`).
    """
    from ..api import sweep as _sweep  # lazy: keeps `import wandb` in a program cheap

    return _sweep(sweep, entity=entity, project=project, prior_runs=prior_runs, **kwargs)


def agent(sweep_id, function=None, entity=None, project=None, count=None, forward_signals=False,
          term_timeout=None, max_consecutive_failed_runs=None, **kwargs):
    """``wandb.agent(sweep_id, function, count=)``: run the sweep here (see :func:`minisweep.agent`).

    ``sweep_id`` may be ``entity/project/ID``.  ``max_consecutive_failed_runs``
    stops the agent after that many failed runs in a row, as W&B's does.
    """
    from ..runner import agent as _agent  # lazy: keeps `import wandb` in a program cheap

    return _agent(sweep_id, function, entity=entity, project=project, count=count,
                  forward_signals=forward_signals, term_timeout=term_timeout,
                  max_consecutive_failed_runs=max_consecutive_failed_runs, **kwargs)


def install_as_wandb():
    """Make ``import wandb`` give this module (see :mod:`minisweep.wandb._install`)."""
    from ._install import install_as_wandb as _install  # lazy: only install_as_wandb() needs the installer

    return _install()


# ------------------------------------------------------------------ accepted and harmless


def _current():
    return _session.current_run()


def watch(models=None, criterion=None, log="gradients", log_freq=1000, idx=None, log_graph=False):
    """W&B records gradients and the model graph on its server; offline there is nothing to do."""
    return None


def unwatch(models=None):
    """See :func:`watch`."""
    return None


def alert(title="", text="", level=None, wait_duration=None):
    """W&B sends an e-mail or Slack alert; offline the alert is printed to standard error."""
    termwarn("alert: %s: %s" % (title, text))


def mark_preempting():
    """Nothing to tell: an offline sweep has no server to warn."""
    return None


def log_artifact(artifact_or_path, name=None, type=None, aliases=None, tags=None):
    """Accepted: the artifact's files stay where they are on disk (nothing is uploaded)."""
    return artifact_or_path


def log_model(path, name=None, aliases=None):
    """See :func:`log_artifact`."""
    return None


link_model = log_model


def use_artifact(artifact_or_name, type=None, aliases=None, use_as=None):
    """W&B downloads an artifact from its server; offline this is an error that says what to do."""
    raise OfflineError("use_artifact(%r) downloads from W&B's server, which an offline sweep has not got; "
                       "read the files from disk instead" % (artifact_or_name,))


def use_model(name):
    """See :func:`use_artifact`."""
    return use_artifact(name)


def setup(settings=None):
    """W&B starts its service process here; minisweep has none."""
    return None


def teardown(exit_code=None):
    """Finish the current run, if any (W&B also stops its service)."""
    run = _session.live_run()
    if run is not None:
        run.finish(exit_code=exit_code)


def require(requirement=None, experiment=None):
    """W&B's feature flags (``wandb.require("service")``): nothing to switch on offline."""
    return None


def termlog(string="", newline=True, repeat=True, prefix=True):
    """Print a line to standard error, as W&B's client does."""
    sys.stderr.write(("wandb: " if prefix else "") + str(string) + ("\n" if newline else ""))


def termwarn(string="", newline=True, repeat=True, prefix=True):
    termlog("WARNING " + str(string), newline, repeat, prefix)


def termerror(string="", newline=True, repeat=True, prefix=True):
    termlog("ERROR " + str(string), newline, repeat, prefix)


from .._compat import enable_module_getattr  # noqa: E402

enable_module_getattr(__name__)  # __getattr__ above on CPython 3.6 too
