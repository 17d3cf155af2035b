"""Changing a sweep's config after it started: what is safe, and why the rest is refused.

W&B lets ``wandb sweep --update ID config.yaml`` replace a sweep's config
until its first run starts, and refuses after.  That is safe but blunt:
the usual wish is to let a sweep go on with a bigger ``run_cap``, a grid
with one more value, a range that turned out too narrow.  minisweep allows
a change once runs exist exactly when every run so far is still a run the
new config could have proposed, and the search keeps meaning what it did:

- allowed: ``run_cap`` (raised, lowered or removed), ``metric.target``,
  ``early_terminate``, ``command``, ``program``, ``name``, ``description``,
  ``starting_points``; new ``values`` for a categorical (the old ones all
  kept); a wider range (``min`` not higher, ``max`` not lower) with the same
  distribution and ``q``; ``probabilities`` of a categorical; a new branch
  (``when``) under a new value, and new values in a branch's parameters by
  the same rules.
- refused, with the reason: another ``method`` (the runs were chosen by the
  old one), another metric name or goal (their results would mean
  something else), a parameter added or removed (the runs lack it or have
  one the search no longer knows), another distribution, a value removed or
  a range narrowed (a run could lie outside the space), a changed constant.

Before any run exists, any valid config is allowed, as in W&B.  The stored
prior runs (``prior_runs``) are kept when the new config does not name any.

>>> from .sweepconfig import parse_config
>>> old = parse_config({"method": "grid", "run_cap": 4, "parameters": {"a": {"values": [1, 2]}}})
>>> refusals(old, parse_config({"method": "grid", "run_cap": 9, "parameters": {"a": {"values": [1, 2, 3]}}}), 2)
[]
>>> refusals(old, parse_config({"method": "random", "parameters": {"a": {"values": [1]}}}), 2)
['method: grid -> random: the runs so far were chosen by grid search', 'parameters.a.values: 2 removed: a run may have it']
"""

from typing import Any, Dict, List, Optional, Tuple

from .conditional import leaves
from .values import value_key

__all__ = ["refusals"]

_RANGED = ("min", "max")


def refusals(old: Any, new: Any, run_count: int) -> List[str]:
    """Why ``new`` may not replace ``old`` in a sweep that has ``run_count`` runs (``[]``: it may)."""
    if run_count == 0:
        return []
    out: List[str] = []
    if new.method != old.method:
        out.append("method: %s -> %s: the runs so far were chosen by %s search" % (old.method, new.method,
                                                                                    old.method))
    om, nm = old.metric, new.metric
    if (om is None) != (nm is None) or (om is not None and (om.name, om.goal) != (nm.name, nm.goal)):
        out.append("metric: %s -> %s: the runs so far were judged by the old metric" % (
            _metric(om), _metric(nm)))
    olds = _leaves(old.parameters)
    news = _leaves(new.parameters)
    new_values = _new_values(old, new)
    for key, param in olds.items():
        where = "parameters." + ".".join(str(k) for k in key)
        if key not in news:
            out.append("%s: removed: the runs so far have it" % where)
            continue
        why = _param_change(param, news[key])
        if why:
            out.append("%s%s" % (where, why))
    for key in news:
        if key not in olds and not _under_new_value(key, new_values):
            out.append("parameters.%s: added: the runs so far lack it" % ".".join(str(k) for k in key))
    return out


def _metric(metric: Any) -> str:
    return "none" if metric is None else "%s (%s)" % (metric.name, metric.goal)


def _leaves(tree: Any) -> Dict[tuple, Any]:
    """Every parameter by where it is written (``when`` branches included), without ``parameters``."""
    out = {}
    for param, _, spec_path in leaves(tree):
        out[tuple(k for k in spec_path[1:] if k != "parameters")] = param
    return out


def _new_values(old: Any, new: Any) -> List[Tuple[tuple, Any]]:
    """``(where, value key)`` of each value a branching parameter gained."""
    olds = _leaves(old.parameters)
    out = []
    for key, param in _leaves(new.parameters).items():
        if param.values is not None and key in olds and olds[key].values is not None:
            had = {value_key(v) for v in olds[key].values}
            out.extend((key, value_key(v)) for v in param.values if value_key(v) not in had)
    return out


def _under_new_value(key: tuple, new_values: List[Tuple[tuple, Any]]) -> bool:
    """Whether a parameter written at ``key`` sits in the branch of a value that is new."""
    for i in range(len(key) - 2):
        if key[i + 1] == "when":
            for where, vk in new_values:
                if where == key[:i + 1] and vk == value_key(key[i + 2]):
                    return True
    return False


def _param_change(old: Any, new: Any) -> Optional[str]:
    if new.distribution != old.distribution:
        return ": distribution %s -> %s: the runs so far were drawn from the old one" % (
            old.distribution, new.distribution)
    d = old.distribution
    if d == "constant":
        if value_key(new.value) != value_key(old.value):
            return ".value: %r -> %r: the runs so far have the old one" % (old.value, new.value)
        return None
    if old.values is not None:
        now = {value_key(v) for v in new.values}
        gone = [v for v in old.values if value_key(v) not in now]
        if gone:
            return ".values: %s removed: a run may have %s" % (
                ", ".join(repr(v) if isinstance(v, str) else str(v) for v in gone), "it" if len(gone) == 1 else "them")
        return None
    if old.q is not None and new.q != old.q:
        return ".q: %r -> %r: the runs so far lie on the old steps" % (old.q, new.q)
    if old.min is not None:
        if new.min > old.min:
            return ".min: %r -> %r: narrowed: a run may lie below the new min" % (old.min, new.min)
        if new.max < old.max:
            return ".max: %r -> %r: narrowed: a run may lie above the new max" % (old.max, new.max)
        return None
    for key in ("mu", "sigma", "a", "b"):
        if getattr(old, key) is not None and getattr(new, key) != getattr(old, key):
            return ".%s: %r -> %r: the runs so far were drawn from the old distribution" % (
                key, getattr(old, key), getattr(new, key))
    return None
