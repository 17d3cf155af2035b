"""What a run holds for the training script: its config and its summary (``wandb.config``, ``wandb.summary``).

Both are dict-likes with attribute access that W&B scripts read and write directly.  The config's
*sweep keys are locked*: a script's defaults (``init(config=...)``, ``config.update(...)``) never
override what the sweep chose, and changing another key to a different value needs
``allow_val_change=True`` (:class:`ConfigValueError` otherwise), as in W&B's client.  The summary holds
the last value of each logged key and whatever the script assigns to it; :class:`Metric` is a
``define_metric`` declaration, which can replace the last value by an aggregate (``min``, ``max``,
``mean``, ``first``, ``best``) kept by :class:`Aggregate`.

The run these belong to, and the module-level ``init()`` / ``log()`` / ``config`` / ``summary``, are in
:mod:`.session`.
"""

import copy
import sys
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional

from .errors import MinisweepError
from .runs import copy_config

__all__ = ["Config", "ConfigValueError", "Summary", "Metric", "MinisweepValueError", "check_metric", "flatten",
           "is_media", "as_config_dict", "remark", "Aggregate", "SUMMARY_OPS"]


class ConfigValueError(MinisweepError, ValueError):
    """A config key was changed to a different value without ``allow_val_change=True`` (W&B's rule)."""

    def __init__(self, key: str, old: Any, new: Any) -> None:
        self.key = key
        self.old = old
        self.new = new
        super().__init__("config.%s: attempted to change the value from %r to %r; pass allow_val_change=True "
                         "to config.update() to do it" % (key, old, new))


def remark(text: str) -> None:
    """A remark for the user on standard error (W&B's ``termwarn``; not a Python warning)."""
    try:
        sys.stderr.write("minisweep: %s\n" % text)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # a closed or missing stderr must not break a run
        pass


def as_config_dict(values: Any, what: str = "config") -> Dict[str, Any]:
    """A dict from what W&B accepts as a config: a dict, a Config, an argparse.Namespace, absl flags."""
    if values is None:
        return {}
    if isinstance(values, Config):
        return values.as_dict()
    if isinstance(values, dict):
        return dict(values)
    if hasattr(values, "flag_values_dict"):  # absl.flags.FLAGS, as W&B accepts
        return dict(values.flag_values_dict())
    if hasattr(values, "keys") and hasattr(values, "__getitem__"):  # any mapping (OmegaConf's DictConfig ...)
        return {k: values[k] for k in values.keys()}
    if hasattr(values, "__dict__"):  # an argparse.Namespace
        return {k: v for k, v in vars(values).items() if not k.startswith("_")}
    raise TypeError("%s takes a dict or an argparse.Namespace, got %s" % (what, type(values).__name__))


def flatten(row: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    """Nested dicts as dotted keys, as W&B's backend stores them.

    >>> flatten({"val": {"acc": 0.9, "loss": 1}, "lr": 0.1})
    {'val.acc': 0.9, 'val.loss': 1, 'lr': 0.1}
    """
    out: Dict[str, Any] = {}
    for key, value in row.items():
        name = prefix + str(key)
        if isinstance(value, dict) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def is_media(value: Any) -> bool:
    """A W&B media or chart object (``wandb.Image``, ``Table``, ``plot.*`` ...), which is not recorded."""
    if getattr(type(value), "_minisweep_media", False):
        return True
    if isinstance(value, (list, tuple)) and value:
        return all(getattr(type(v), "_minisweep_media", False) for v in value)
    return False


class _Values:
    """What :class:`Config` and :class:`Summary` share: a dict of values (``self._values``) read as a mapping."""

    _values: Dict[str, Any]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, type(self)):
            return self._values == other._values
        return self._values == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._values)

    def keys(self):
        return self._values.keys()

    def values(self):
        return self._values.values()

    def items(self):
        return self._values.items()

    def as_dict(self) -> Dict[str, Any]:
        """A plain dict of the values (a copy of the top level)."""
        return dict(self._values)


class Config(_Values):
    """A run's hyperparameters, with attribute and item access (``wandb.config``).

    Keys set by the sweep are *locked*: changing them is ignored with a note,
    so ``init(config=defaults)`` or a later ``config.update(defaults)`` never
    overrides the sweep (W&B's rule).  Other keys may be added freely, but
    changing one to a different value needs ``allow_val_change=True``.
    ``copy.deepcopy(config)`` is a detached copy.

    >>> c = Config({"lr": 0.1, "opt": {"name": "adam"}})
    >>> c.lr, c["opt"]["name"], "lr" in c, sorted(c)
    (0.1, 'adam', True, ['lr', 'opt'])
    >>> c.setdefaults({"lr": 1.0, "bs": 32}); c.bs
    32
    >>> c.lr
    0.1
    >>> c.update({"lr": 0.5}, allow_val_change=True); c.lr
    0.5
    """

    def __init__(self, values: Optional[Dict[str, Any]] = None, *, locked: Any = (),
                 on_change: Optional[Callable[[Dict[str, Any]], None]] = None) -> None:
        # a copy all the way down: the run may mutate nested values without touching the agent's record
        object.__setattr__(self, "_values", copy_config(dict(values or {})))
        object.__setattr__(self, "_locked", set(locked))
        object.__setattr__(self, "_lock", threading.RLock())
        object.__setattr__(self, "_on_change", on_change)
        object.__setattr__(self, "_allow_changes", False)

    # -- reading ------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError("config has no key %r (it has: %s)" % (
                name, ", ".join(sorted(map(str, self._values))) or "nothing")) from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    # -- writing ------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        self.update({name: value})

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def update(self, values: Any = None, allow_val_change: Optional[bool] = None, **kwargs: Any) -> None:
        """Set several keys from a dict, a Config or an ``argparse.Namespace``.

        Keys set by the sweep keep the sweep's value (a note says so); another
        key that already has a *different* value raises :class:`ConfigValueError`
        unless ``allow_val_change=True``.
        """
        items = as_config_dict(values, "config.update()")
        items.update(kwargs)
        changed: Dict[str, Any] = {}
        allow = allow_val_change or self._allow_changes
        with self._lock:
            for key, value in items.items():
                key = str(key).strip("-") if isinstance(key, str) else key  # W&B strips '-' from keys
                if key in self._locked:
                    if self._values.get(key) != value:
                        remark("config item %r is set by the sweep (%r); ignored the update to %r"
                              % (key, self._values.get(key), value))
                    continue
                if not allow and key in self._values and self._values[key] != value:
                    raise ConfigValueError(key, self._values[key], value)
                self._values[key] = value
                changed[key] = value
        if changed and self._on_change is not None:
            self._on_change(changed)

    def setdefaults(self, values: Any) -> None:
        """Set the keys that are not set yet (how sweep values override ``init(config=...)``)."""
        changed: Dict[str, Any] = {}
        with self._lock:
            for key, value in as_config_dict(values, "config.setdefaults()").items():
                if key not in self._values:
                    self._values[key] = copy_config(value)
                    changed[key] = value
        if changed and self._on_change is not None:
            self._on_change(changed)

    def persist(self) -> None:
        """Accepted for W&B compatibility (every change is recorded as it happens)."""

    # -- copies -------------------------------------------------------------------------
    def __copy__(self) -> "Config":
        return Config(self._values, locked=self._locked)

    def __deepcopy__(self, memo: Dict[int, Any]) -> "Config":
        return Config(copy.deepcopy(self._values, memo), locked=self._locked)

    def __getstate__(self) -> Dict[str, Any]:
        return {"values": self._values, "locked": sorted(map(str, self._locked))}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        Config.__init__(self, state.get("values"), locked=state.get("locked", ()))


class Summary(_Values):
    """A run's summary (``wandb.summary``): the last value of each logged key, plus what you assign.

    Keys are flat (``val.acc``); reading a prefix such as ``summary["val"]``
    gives the nested dict back.

    >>> s = Summary(); s["best"] = 0.5; s.epochs = 3; s.update({"val": {"acc": 0.9}})
    >>> s["best"], s.epochs, s["val.acc"], s["val"]
    (0.5, 3, 0.9, {'acc': 0.9})
    """

    def __init__(self, on_change: Optional[Callable[[Dict[str, Any]], None]] = None) -> None:
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_on_change", on_change)
        object.__setattr__(self, "_lock", threading.RLock())

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            nested = self._nested(key)
            if nested:
                return nested
            raise

    def _nested(self, key: str) -> Dict[str, Any]:
        prefix = str(key) + "."
        out: Dict[str, Any] = {}
        for name, value in list(self._values.items()):
            if isinstance(name, str) and name.startswith(prefix):
                node = out
                parts = name[len(prefix):].split(".")
                for part in parts[:-1]:
                    node = node.setdefault(part, {})
                    if not isinstance(node, dict):
                        break
                else:
                    node[parts[-1]] = value
        return out

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError("summary has no key %r" % name) from None

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __setattr__(self, name: str, value: Any) -> None:
        self.update({name: value})

    def __delitem__(self, key: str) -> None:
        with self._lock:
            found = [k for k in self._values if k == key or (isinstance(k, str) and k.startswith(key + "."))]
            if not found:
                raise KeyError(key)
            for k in found:
                del self._values[k]

    __delattr__ = __delitem__

    def update(self, values: Any = None, **kwargs: Any) -> None:
        """Assign several keys (nested dicts become dotted keys)."""
        items = flatten(as_config_dict(values, "summary.update()"))
        items.update(flatten(kwargs))
        if not items:
            return
        with self._lock:
            for key in items:  # an assigned key replaces any aggregate (key.min ...) computed for it
                for k in [k for k in self._values if isinstance(k, str) and k.startswith(str(key) + ".")]:
                    del self._values[k]
            self._values.update(items)
        if self._on_change is not None:
            self._on_change(items)

    def _set_quietly(self, items: Dict[str, Any]) -> None:
        with self._lock:
            self._values.update(items)

    def _drop_quietly(self, keys: Any) -> None:
        with self._lock:
            for key in keys:
                self._values.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._values or (isinstance(key, str) and bool(self._nested(key)))

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


SUMMARY_OPS = ("min", "max", "mean", "last", "first", "best", "copy", "none")


class Metric:
    """What ``define_metric()`` returns: the metric's name and how its summary is made."""

    def __init__(self, name: str, step_metric: Optional[str] = None, summary: Optional[str] = None,
                 goal: Optional[str] = None, hidden: Optional[bool] = None, step_sync: Optional[bool] = None) -> None:
        self.name = name
        self.step_metric = step_metric
        self.summary = summary
        self.goal = goal
        self.hidden = hidden
        self.step_sync = step_sync

    def ops(self) -> List[str]:
        return [s.strip().lower() for s in (self.summary or "").split(",") if s.strip()]

    def matches(self, key: str) -> bool:
        if self.name.endswith("*"):
            return key.startswith(self.name[:-1])
        return key == self.name

    def as_dict(self) -> Dict[str, Any]:
        return {k: v for k, v in (("name", self.name), ("step_metric", self.step_metric),
                                  ("summary", self.summary), ("goal", self.goal)) if v is not None}

    def __repr__(self) -> str:
        return "Metric(%r, summary=%r)" % (self.name, self.summary)


def check_metric(name: Any, step_metric: Any = None, summary: Any = None, goal: Any = None) -> None:
    """W&B's checks on ``define_metric`` arguments (``wandb.Error`` there, ValueError here)."""
    if not name or not isinstance(name, str):
        raise MinisweepValueError("define_metric() needs a non-empty metric name, got %r" % (name,))
    if "*" in (name[:-1] if name.endswith("*") else name):
        raise MinisweepValueError("define_metric(%r): only a trailing * is allowed" % name)
    if summary is not None:
        if not isinstance(summary, str):
            raise MinisweepValueError("define_metric(summary=%r): expected a string such as 'min' or 'max,last'"
                                      % (summary,))
        for op in summary.split(","):
            if op.strip().lower() not in SUMMARY_OPS:
                raise MinisweepValueError("define_metric(summary=%r): %r is not one of %s" % (
                    summary, op.strip(), ", ".join(SUMMARY_OPS)))
    if goal is not None and str(goal).lower() not in ("minimize", "maximize"):
        raise MinisweepValueError("define_metric(goal=%r): expected 'minimize' or 'maximize'" % (goal,))


class MinisweepValueError(MinisweepError, ValueError):
    """A value passed to the run API that W&B also refuses."""


class Aggregate:
    __slots__ = ("first", "last", "min", "max", "total", "count")

    def __init__(self) -> None:
        self.first = self.last = self.min = self.max = None  # type: Any
        self.total = 0.0
        self.count = 0

    def add(self, value: Any) -> None:
        if self.count == 0 and self.first is None:
            self.first = value
        self.last = value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.min = value if self.min is None else min(self.min, value)
            self.max = value if self.max is None else max(self.max, value)
            self.total += value
            self.count += 1
