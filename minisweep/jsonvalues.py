"""The JSON value encoder: any Python value a run logs, as strict JSON, and back.

A run may log anything: ``nan`` and ``inf`` (which strict JSON cannot hold),
tuples, sets, bytes, dates, numpy scalars and arrays, objects of its own.  The
store writes only strict JSON (``allow_nan=False``: other JSON readers reject
``NaN`` tokens), so a value that JSON cannot hold is *tagged*: a one-key dict
whose key names what it was.  :func:`decode_value` undoes the tags:

- ``float('nan')``, ``inf``, ``-inf`` become ``{"__float__": "nan"}`` (``"inf"``, ``"-inf"``);
- tuples, sets, bytes, datetimes and dates have tags of their own
  (``__tuple__``, ``__set__``, ``__bytes__`` in base64, ``__datetime__`` and
  ``__date__`` in ISO 8601);
- numpy-like scalars and arrays are unwrapped with ``.item()`` / ``.tolist()``,
  and other real numbers (``Decimal``, ``Fraction``) become plain numbers;
- a user's own dict that happens to look like a tag is wrapped in ``__dict__``;
- anything else is stored as ``{"__repr__": "..."}`` and reads back as that
  string (cut at 10,000 characters; nesting deeper than 100 levels too).

Keys become strings as :func:`json.dumps` would make them.  The encoder never
raises: a value that cannot even be ``repr``-ed is named by its type.

>>> encode_value({"loss": float("nan"), "shape": (2, 3), "when": __import__("datetime").date(2024, 5, 1)})
{'loss': {'__float__': 'nan'}, 'shape': {'__tuple__': [2, 3]}, 'when': {'__date__': '2024-05-01'}}
>>> decode_value({'loss': {'__float__': 'nan'}, 'shape': {'__tuple__': [2, 3]}, 'ok': {'__dict__': {'__set__': 1}}})
{'loss': nan, 'shape': (2, 3), 'ok': {'__set__': 1}}
"""

import base64
import binascii
import datetime
import json
import math
from collections.abc import Mapping
from typing import Any, Dict

from ._compat import date_fromisoformat, datetime_fromisoformat
from .runs import real_number

__all__ = ["encode_value", "decode_value", "decode_row"]

_TAGS = frozenset(("__float__", "__tuple__", "__set__", "__bytes__", "__datetime__", "__date__",
                   "__repr__", "__dict__"))
_REPR_LIMIT = 10000
_DEPTH_LIMIT = 100


def encode_value(value: Any) -> Any:
    """A strict-JSON form of ``value``; :func:`decode_value` undoes it.

    >>> encode_value({"loss": float("nan"), "shape": (2, 3), "tags": {"b"}})
    {'loss': {'__float__': 'nan'}, 'shape': {'__tuple__': [2, 3]}, 'tags': {'__set__': ['b']}}
    >>> decode_value(encode_value([float("-inf"), b"\\x00", {"__float__": 1}]))
    [-inf, b'\\x00', {'__float__': 1}]
    >>> encode_value(object())  # doctest: +ELLIPSIS
    {'__repr__': '<object object at 0x...>'}
    """
    return _enc(value, 0)


def _enc(v: Any, depth: int) -> Any:
    if v is None or v is True or v is False:
        return v
    if isinstance(v, str):
        return str(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        if math.isfinite(v):
            return float(v)
        return {"__float__": "nan" if v != v else ("inf" if v > 0 else "-inf")}
    if depth > _DEPTH_LIMIT:
        return {"__repr__": _safe_repr(v)}
    if isinstance(v, dict) or isinstance(v, Mapping):
        out = {}
        for k, x in v.items():
            out[_key(k)] = _enc(x, depth + 1)
        if len(out) == 1 and next(iter(out)) in _TAGS:
            return {"__dict__": out}  # a user's dict that looks like one of our tags
        return out
    if isinstance(v, list):
        return [_enc(x, depth + 1) for x in v]
    if isinstance(v, tuple):
        return {"__tuple__": [_enc(x, depth + 1) for x in v]}
    if isinstance(v, (set, frozenset)):
        items = [_enc(x, depth + 1) for x in v]
        try:
            items.sort(key=_sort_key)
        except (TypeError, ValueError):
            pass
        return {"__set__": items}
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"__bytes__": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, datetime.datetime):
        return {"__datetime__": v.isoformat()}
    if isinstance(v, datetime.date):
        return {"__date__": v.isoformat()}
    for name in ("item", "tolist"):  # numpy-like scalars and arrays
        method = getattr(v, name, None)
        if callable(method):
            try:
                plain = method()
            except Exception:
                continue
            if plain is not v and (plain is None or isinstance(plain, (bool, int, float, str, list, tuple, dict))):
                return _enc(plain, depth + 1)
    number = real_number(v)  # Decimal, Fraction, a scalar type with __float__ or __index__
    if number is not None:
        return _enc(number, depth + 1)
    return {"__repr__": _safe_repr(v)}


def _key(k: Any) -> str:
    if isinstance(k, str):
        return str(k)
    if k is None or isinstance(k, (bool, int, float)):
        return json.dumps(k)  # as json.dumps would: true, null, 1, 1.5, NaN
    return _safe_repr(k)


def _safe_repr(v: Any) -> str:
    try:
        text = repr(v)
    except Exception:
        text = "<unrepresentable %s>" % type(v).__name__
    return text if len(text) <= _REPR_LIMIT else text[:_REPR_LIMIT] + "...(truncated)"


def decode_value(value: Any) -> Any:
    """Undo :func:`encode_value` (a ``__repr__`` tag comes back as its string)."""
    if isinstance(value, list):
        return [decode_value(x) for x in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, x),) = value.items()
        if tag in _TAGS:
            try:
                if tag == "__float__" and x in ("nan", "inf", "-inf"):
                    return float(x)
                if tag == "__tuple__" and isinstance(x, list):
                    return tuple(decode_value(i) for i in x)
                if tag == "__set__" and isinstance(x, list):
                    items = [decode_value(i) for i in x]
                    try:
                        return set(items)
                    except TypeError:
                        return items
                if tag == "__bytes__" and isinstance(x, str):
                    return base64.b64decode(x.encode("ascii"), validate=True)
                if tag == "__datetime__" and isinstance(x, str):
                    return datetime_fromisoformat(x)
                if tag == "__date__" and isinstance(x, str):
                    return date_fromisoformat(x)
                if tag == "__repr__" and isinstance(x, str):
                    return x
                if tag == "__dict__" and isinstance(x, dict):
                    return {k: decode_value(i) for k, i in x.items()}
            except (ValueError, TypeError, binascii.Error):
                pass
    return {k: decode_value(x) for k, x in value.items()}


def decode_row(row: Dict[str, Any]) -> Dict[str, Any]:
    """:func:`decode_value` of each value of a logged row (or summary, or meta) whose keys are already strings."""
    return {k: decode_value(v) for k, v in row.items()}


def _sort_key(item: Any) -> str:
    """The order of a set's items on disk: by their strict-JSON text (raises for what cannot be sorted so)."""
    return json.dumps(item, allow_nan=False, sort_keys=True, ensure_ascii=False)
