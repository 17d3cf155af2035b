"""minisweep: W&B-style hyperparameter sweeps, offline, in pure Python.

``import minisweep as wandb`` runs W&B's sweep quickstart unchanged:
``wandb.sweep(config)`` creates a sweep on disk, ``wandb.agent(sweep_id,
function, count)`` runs it, and inside the function ``wandb.init()``,
``wandb.config`` and ``wandb.log()`` work as they do with W&B.  Real projects
use more of W&B's client: ``import minisweep.wandb as wandb`` gives all of it,
and ``minisweep.install_as_wandb()`` makes an unchanged ``import wandb`` give
it too (``minisweep agent`` does that for its programs).  Underneath,
the search layer is pure and usable on its own:

>>> import minisweep
>>> cfg = minisweep.parse_config({"method": "grid", "parameters": {"lr": {"values": [0.1, 0.01]}}})
>>> minisweep.next_config(cfg, [])
{'lr': 0.1}

Names are loaded on first use, so ``import minisweep`` costs almost nothing.
"""

__version__ = "0.1.0.dev0"

from ._compat import enable_module_getattr
from .errors import ConfigError, MinisweepError, MinisweepWarning

__all__ = [
    "__version__",
    # the W&B workflow
    "sweep",
    "agent",
    "load",
    "init",
    "config",
    "log",
    "finish",
    "login",
    "run",
    "summary",
    "install_as_wandb",
    # the pure layers underneath
    "read_config",
    "parse_config",
    "next_config",
    "runs_to_stop",
    "SweepConfig",
    "SweepResult",
    "Run",
    "Config",
    # errors
    "MinisweepError",
    "ConfigError",
    "MinisweepWarning",
    "RunStopped",
    "AgentError",
    "StoreError",
    "SweepNotFound",
]

# public name -> submodule that defines it (imported on first access, PEP 562)
_LAZY = {
    "sweep": "api",
    "load": "api",
    "SweepResult": "api",
    "agent": "runner",
    "AgentError": "errors",
    "init": "session",
    "config": "session",
    "log": "session",
    "finish": "session",
    "login": "session",
    "Config": "session",
    "RunStopped": "session",
    "install_as_wandb": "wandb._install",
    "read_config": "reader",
    "parse_config": "sweepconfig",
    "SweepConfig": "sweepconfig",
    "Run": "runs",
    "next_config": "search",
    "runs_to_stop": "search",
    "StoreError": "errors",
    "SweepNotFound": "errors",
}


def __getattr__(name):
    if name in ("run", "summary"):  # change with the calling thread's run: never cached
        from . import session  # lazy: public names load on first use (PEP 562), so import minisweep stays cheap

        if name == "run":
            return session.live_run()
        return session.summary
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    from importlib import import_module  # lazy: public names load on first use (PEP 562)

    value = getattr(import_module("." + module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


enable_module_getattr(__name__)  # __getattr__ above on CPython 3.6 too
