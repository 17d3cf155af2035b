"""Parameter values compared as values, and found in a run's nested config.

A run's config travels as JSON (to a program, into the store, back), so the
search layer never compares values with ``==`` or ``is``: ``1`` and ``1.0``
are one value, key order in a dict does not matter, but ``True`` is not
``1`` (YAML writes them differently, and so does W&B's grid).  This module is
that one rule, shared by the grid (which point is taken), Bayesian search
(which category a run holds), the distributions (a category's index) and the
agent's re-check of a proposal:

- :func:`value_key`: the hashable key under which equal values are equal;
- :func:`grid_key`: the same, but a tuple is not a list (W&B keys a grid
  value by its YAML dump, where a tuple is ``!!python/tuple``);
- :func:`lookup`: the value at a parameter's path in a nested config, or
  :data:`MISSING`.

>>> value_key(1) == value_key(1.0), value_key(True) == value_key(1)
(True, False)
>>> lookup({"opt": {"lr": 0.1}}, ("opt", "lr")), lookup({"opt": {}}, ("opt", "lr")) is MISSING
(0.1, True)
"""

import math
from typing import Any, Dict, Sequence

__all__ = ["value_key", "grid_key", "lookup", "MISSING", "as_written"]


class _Missing:
    """The marker :func:`lookup` returns for a path a config does not have (``None`` is a value)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: What :func:`lookup` returns when the config has no value at the path.
MISSING: Any = _Missing()


def value_key(value: Any) -> Any:
    """A hashable key under which equal parameter values are equal.

    >>> value_key(1) == value_key(1.0), value_key(True) == value_key(1)
    (True, False)
    >>> value_key({"a": 1, "b": [2]}) == value_key({"b": [2.0], "a": 1})
    True
    """
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        if isinstance(value, float):
            if math.isnan(value):
                return ("nan",)
            if value.is_integer():
                return ("n", int(value))
        return ("n", value)
    if value is None:
        return ("z",)
    if isinstance(value, str):
        return ("s", value)
    return _key(value, False)


def _key(value: Any, tuples: bool) -> Any:
    """:func:`value_key`, telling a tuple from a list when ``tuples`` (the grid's own rule)."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value_key(value)
    if isinstance(value, (list, tuple)):
        tag = "t" if tuples and isinstance(value, tuple) else "l"
        return (tag,) + tuple(_key(v, tuples) for v in value)
    if isinstance(value, dict):
        return ("d",) + tuple(sorted((str(k), _key(v, tuples)) for k, v in value.items()))
    return ("o", repr(value))


def grid_key(value: Any) -> Any:
    """The key under which the grid collapses equal values: :func:`value_key`, but a tuple is
    not a list (W&B keys a grid value by its YAML dump, where a tuple is ``!!python/tuple``).

    >>> grid_key([2, 3]) == grid_key((2, 3)), value_key([2, 3]) == value_key((2, 3))
    (False, True)
    """
    return _key(value, True)


def lookup(config: Dict[str, Any], path: Sequence[str]) -> Any:
    """The value at ``path`` in a nested config, or :data:`MISSING` when absent."""
    node: Any = config
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return node


def as_written(value: Any) -> str:
    """A value as the user wrote it in a config, for messages: strings quoted, YAML's true/false/null.

    >>> as_written("adam"), as_written(True), as_written(None), as_written(0.5)
    ("'adam'", 'true', 'null', '0.5')
    """
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return repr(value)
