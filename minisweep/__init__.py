"""minisweep: W&B-style hyperparameter sweeps, offline, in pure Python.

>>> import minisweep
>>> cfg = minisweep.parse_config({"method": "grid", "parameters": {"lr": {"values": [0.1, 0.01]}}})
>>> minisweep.next_config(cfg, [])
{'lr': 0.1}

Names are loaded on first use, so ``import minisweep`` costs almost nothing.
"""

__version__ = "0.1.0.dev0"

from .errors import ConfigError, MinisweepError, MinisweepWarning

__all__ = [
    "__version__",
    "ConfigError",
    "MinisweepError",
    "MinisweepWarning",
    "read_config",
    "parse_config",
    "SweepConfig",
    "Run",
    "next_config",
    "runs_to_stop",
]

# public name -> submodule that defines it (imported on first access, PEP 562)
_LAZY = {
    "read_config": "reader",
    "parse_config": "sweepconfig",
    "SweepConfig": "sweepconfig",
    "Run": "runs",
    "next_config": "search",
    "runs_to_stop": "hyperband",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    from importlib import import_module

    value = getattr(import_module("." + module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
