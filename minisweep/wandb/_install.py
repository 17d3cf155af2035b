"""Serving ``import wandb`` from minisweep: in this process, and in the children of ``minisweep agent``.

Three ways, one mechanism:

- :func:`install_as_wandb` (the idiom of ``pymysql.install_as_MySQLdb()``) puts
  :mod:`minisweep.wandb` into ``sys.modules["wandb"]`` and adds an *alias
  finder* to ``sys.meta_path``: ``import wandb.sdk.wandb_run`` then returns the
  very module object ``minisweep.wandb.sdk.wandb_run``, so classes are
  identical (``isinstance`` checks in frameworks hold) and nothing is loaded
  twice.  The finder only maps names; it never reads files, so it works from
  a zipapp and under any package name (a vendored copy serves its own
  ``<name>.wandb``).
- ``minisweep run SCRIPT`` calls it, then runs the script as ``__main__``.
- ``minisweep agent`` (command mode) writes a *shim directory*
  (:func:`shim_directory`) and puts it first on the child's ``PYTHONPATH``.
  It holds ``wandb/__init__.py`` — four lines that import this package (from
  the agent's own ``sys.path`` entry when the child cannot find it) and call
  :func:`install_as_wandb` — and ``wandb-<version>.dist-info/``, so that
  ``importlib.metadata.version("wandb")`` answers.  PyTorch Lightning refuses
  to use its ``WandbLogger`` unless a *distribution* named ``wandb`` with a
  version ``>= 0.12.10`` is installed; the dist-info declares the version of
  W&B's client this surface follows with the local label ``+minisweep``
  (``0.31.0+minisweep``), which version comparisons accept and which says to
  anyone who looks (``pip list`` in the child) that this is minisweep's stand-in.

When the real wandb is installed: under ``minisweep agent`` and ``minisweep
run`` the stand-in still wins (the shim comes first on the path; ``run``
installs it before the script imports anything), and the child's environment
says ``WANDB_MODE=offline``, so even a script that reaches the real package by
other means sends nothing.  :func:`install_as_wandb` refuses to replace a real
wandb that the process has already imported (modules holding it would keep
talking to W&B's server): call it first.
"""

import json
import os
import sys
import types
from typing import TYPE_CHECKING, Optional, Sequence

if TYPE_CHECKING:  # (for type checkers only)
    from importlib.machinery import ModuleSpec

from ..bundle import package_entry
from ..errors import MinisweepError

__all__ = ["install_as_wandb", "shim_directory", "WANDB_NAME", "SHIM_VERSION"]

#: The module name served.
WANDB_NAME = "wandb"

#: The version the shim's dist-info declares (W&B's client version this surface follows).
SHIM_VERSION = "0.31.0+minisweep"


def _surface() -> types.ModuleType:
    """This package's ``wandb`` module, under whatever name the package has."""
    return sys.modules[__name__.rpartition(".")[0]]


class WandbAlias:
    """A meta path finder and loader: ``wandb`` and ``wandb.X`` are ``<package>.wandb`` and ``<package>.wandb.X``.

    The loader hands back the already-imported module itself, restoring the
    module's own ``__spec__`` after the import system has set its alias spec
    (so relative imports inside it keep working without ``ImportWarning``).
    """

    def __init__(self, target: str, alias: str = WANDB_NAME) -> None:
        self.target = target
        self.alias = alias

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Optional[types.ModuleType] = None) -> "Optional[ModuleSpec]":
        if fullname != self.alias and not fullname.startswith(self.alias + "."):
            return None
        import importlib  # lazy: only an `import wandb` being redirected needs it
        import importlib.util  # lazy: only an `import wandb` being redirected needs it

        real = self.target + fullname[len(self.alias):]
        try:
            module = importlib.import_module(real)
        except ImportError as exc:
            if getattr(exc, "name", None) == real:  # the stand-in has no such module
                return None
            raise
        spec = importlib.util.spec_from_loader(fullname, self, is_package=hasattr(module, "__path__"))
        spec.loader_state = (module, getattr(module, "__spec__", None))
        return spec

    def create_module(self, spec: "ModuleSpec") -> types.ModuleType:
        return spec.loader_state[0]

    def exec_module(self, module: types.ModuleType) -> None:
        spec = getattr(module, "__spec__", None)
        state = getattr(spec, "loader_state", None)
        if state is not None and state[0] is module and state[1] is not None:
            module.__spec__ = state[1]

    def __repr__(self) -> str:
        return "WandbAlias(%r -> %r)" % (self.alias, self.target)


def install_as_wandb() -> types.ModuleType:
    """Make ``import wandb`` (and ``import wandb.X``) give minisweep's offline stand-in; returns it.

    Idempotent.  Raises :class:`~minisweep.errors.MinisweepError` when the real
    wandb was imported before: call this first, before anything imports wandb.
    """
    surface = _surface()
    existing = sys.modules.get(WANDB_NAME)
    if existing is not None and existing is not surface and not getattr(existing, "_minisweep_shim", False):
        raise MinisweepError("the real wandb was imported before install_as_wandb(); call install_as_wandb() "
                             "first, before anything imports wandb (its modules would keep talking to W&B)")
    for name in [n for n in sys.modules if n.startswith(WANDB_NAME + ".")]:
        module = sys.modules[name]
        if not getattr(module, "__name__", "").startswith(surface.__name__):
            del sys.modules[name]  # a leftover of a real wandb that failed half way: never mix the two
    sys.modules[WANDB_NAME] = surface
    if not any(isinstance(f, WandbAlias) and f.target == surface.__name__ for f in sys.meta_path):
        sys.meta_path.insert(0, WandbAlias(surface.__name__))
    return surface


_STUB = '''\
"""Written by minisweep: `import wandb` in this program gets minisweep's offline stand-in.

Nothing is sent anywhere.  See %(package)s.wandb._install for how and why.
"""
import importlib
import sys

_minisweep_shim = True
try:
    _surface = importlib.import_module(%(surface)r)
except ImportError:
    sys.path.append(%(entry)r)
    _surface = importlib.import_module(%(surface)r)
_surface.install_as_wandb()  # replaces this module in sys.modules
'''

_METADATA = '''\
Metadata-Version: 2.1
Name: wandb
Version: %(version)s
Summary: minisweep's offline stand-in for the wandb client (nothing is sent anywhere)
'''


def shim_directory(parent: Optional[str] = None) -> str:
    """Write the shim directory (see the module docs) and return its path.

    Args:
        parent: where to make it (default: a new temporary directory, which the
            caller removes when done).
    """
    import tempfile  # lazy: only writing the shim needs it (tempfile loads random)

    surface = _surface().__name__
    path = tempfile.mkdtemp(prefix="minisweep-wandb-shim-", dir=parent)
    package = os.path.join(path, WANDB_NAME)
    os.makedirs(package)
    values = {"package": surface.rpartition(".")[0], "surface": surface, "entry": package_entry()}
    with open(os.path.join(package, "__init__.py"), "w", encoding="utf-8") as fh:
        fh.write(_STUB % values)
    dist = os.path.join(path, "wandb-%s.dist-info" % SHIM_VERSION)
    os.makedirs(dist)
    with open(os.path.join(dist, "METADATA"), "w", encoding="utf-8") as fh:
        fh.write(_METADATA % {"version": SHIM_VERSION})
    with open(os.path.join(dist, "INSTALLER"), "w", encoding="utf-8") as fh:
        fh.write("minisweep\n")
    with open(os.path.join(dist, "top_level.txt"), "w", encoding="utf-8") as fh:
        fh.write("wandb\n")
    with open(os.path.join(path, "minisweep-shim.json"), "w", encoding="utf-8") as fh:
        json.dump({"serves": WANDB_NAME, "from": surface, "version": SHIM_VERSION}, fh)
    return path
