"""How minisweep writes values and lengths of time for people to read.

The HTML report, the live ``status --watch`` view and the command line's tables all show numbers,
parameter values and durations; they share one way of writing each, here.

A number is short but never misleading: four significant digits by default, integers whole,
integers beyond the float range written from their own digits, non-finite values by name.

>>> number(0.000123456), number(12), number(1234567.0), number(-10 ** 400), number(float("-inf"))
('0.0001235', '12', '1.235e6', '-1e+400', '-inf')

A value (a parameter's, a metric's) is a number as above, a string as it is, ``null``, or JSON with
sorted keys; :data:`MISSING` (a run whose config lacks the parameter) is a dash.  ``group_key`` says
which values are "the same category" (``1`` and ``"1"`` are not):

>>> text({"b": 1, "a": [1.5]}), text(None), text(True), text(MISSING)
('{"a": [1.5], "b": 1}', 'null', 'true', '—')
>>> group_key(1) == group_key("1"), group_key(0.1 + 0.2) == group_key(0.3)
(False, False)

A duration has three styles: ``"table"`` (the command line's status table: tenths of a second below a
minute, ``-`` when unknown), ``"age"`` (the live view: whole seconds) and ``"page"`` (the HTML report:
milliseconds below a second, spaced units, a dash for unknown, negative or non-finite times).

>>> [duration(s) for s in (None, 4.25, 125.9, 7384)]
['-', '4.2s', '2m05s', '2h03m']
>>> [duration(s, "age") for s in (-3, 4.9, 125.9, 7384)]
['0s', '4s', '2m05s', '2h03m']
>>> [duration(s, "page") for s in (None, float("nan"), 0.25, 4.25, 125.9, 7384)]
['—', '—', '250 ms', '4.2 s', '2m 06s', '2h 03m']
"""

import json
import math
from typing import Any, Optional

from .runs import is_number

__all__ = ["MISSING", "number", "text", "group_key", "duration"]

#: A parameter a run's config does not have (written as a dash).
MISSING = object()

_DASH = "\u2014"


def number(x: Any, digits: int = 4) -> str:
    """A short, exact-looking number: ``0.001``, ``1.5e-05``, ``12``, ``nan``."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int) and abs(x) < 10 ** 12:
        return str(x)
    if isinstance(x, int) and not is_number(x):  # beyond float range: its own digits, as 1.2e+400
        digits_text = str(abs(x))
        head = digits_text[0] + ("." + digits_text[1:digits] if digits > 1 else "")
        return "%s%se+%d" % ("-" if x < 0 else "", head.rstrip("0").rstrip("."), len(digits_text) - 1)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    out = "%.*g" % (digits, x)
    if "e" in out:
        mantissa, exponent = out.split("e")
        out = "%se%d" % (mantissa, int(exponent))
    return out


def text(value: Any, digits: int = 4) -> str:
    """A parameter or metric value as plain text (not escaped for HTML)."""
    if value is MISSING:
        return _DASH
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float)):
        return number(value, digits)
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return repr(value)


def group_key(value: Any) -> str:
    """A hashable, type-aware key for grouping values into categories (``1`` and ``"1"`` differ)."""
    return type(value).__name__ + ":" + text(value, 17)


def duration(seconds: Optional[float], style: str = "table") -> str:
    """``seconds`` written in ``style``: ``"table"``, ``"age"`` or ``"page"`` (see the module's examples)."""
    page = style == "page"
    if seconds is None or (page and (not math.isfinite(seconds) or seconds < 0)):
        return _DASH if page else "-"
    if style == "age":
        seconds = max(0, int(seconds))
        if seconds < 60:
            return "%ds" % seconds
    else:
        seconds = float(seconds)
        if page and seconds < 1:
            return "%.0f ms" % (seconds * 1000)
        if seconds < 60:
            return ("%.1f s" if page else "%.1fs") % seconds
    space = " " if page else ""
    minutes, secs = divmod(int(round(seconds)) if page else int(seconds), 60)
    if minutes < 60:
        return "%dm%s%02ds" % (minutes, space, secs)
    hours, minutes = divmod(minutes, 60)
    return "%dh%s%02dm" % (hours, space, minutes)
