"""A sweep as one self-contained HTML page: what ran, what won, and what mattered.

:func:`render_report` turns a :class:`~.api.SweepResult` into a single HTML
file with inline CSS and SVG only: no scripts, fonts, images or links to
fetch, so it opens offline and can be mailed or archived as it is.  Every
string that comes from a config, a run or an error is HTML-escaped.  With
``refresh=`` the page reloads itself (a ``<meta http-equiv="refresh">``, no
script), so a browser left open on a page that is re-rendered to the same file
follows a running sweep.  The page has seven parts:

The header
    the sweep's id, project, method, metric and goal, state, how many runs
    are in each state, and the best run with its config and value.
The metric over runs
    one dot per run that finished (or was stopped early by hyperband: a
    hollow dot) with a usable value of the metric, at x = its run number and
    y = its best logged value; the line is the *running best*, the best value
    seen up to that run, so it shows how fast the search improved and
    whether it was still improving when it stopped.  The y axis is logarithmic
    when the values are all positive and span two decades or more.
Learning curves
    every run's metric at each step it logged it (x is ``_step`` when every
    row that holds the metric has one, else the iteration: the n-th value,
    as hyperband counts), all runs on one chart, coloured by the rank of
    their best value, the best run in black on top; a cross marks where
    hyperband stopped a run (the end of its curve).  Log scale as above.
    Past :data:`CURVE_POINT_BUDGET` points in all, each curve is
    *downsampled* to the min/max envelope of equal slices of the x axis
    (see :func:`downsample`), and the page says so.
Parallel coordinates
    one vertical axis per parameter (nested names dotted) and a last one for
    the metric; each run is a polyline through its values, coloured by its
    rank on the metric from dark (best) to orange (worst) so that a few very
    bad runs cannot wash out the rest, the best run drawn in black on top.
    Numeric axes are logarithmic for log-uniform distributions; categories
    are spaced evenly in the order the config lists them.  A
    parameter that has one value in every run carries no information and is
    left out (the page says which).  Bundles of dark lines through one region
    of an axis are the values that did well.
The metric against each parameter
    one small chart per parameter that varied: each finished run's best
    value against its value of the parameter (categories side by side,
    spread sideways so they can be counted), the best run ringed.
Parameter importance
    for each parameter, how much of the metric's spread across runs it
    accounts for on its own (see below), as sorted bars.
The runs table
    every run, in every state: id, state, runtime, each parameter, the
    metric's best value, and for runs that failed or were stopped the last
    line of the error or reason (hover it for the full text).

How importance is computed: the runs with a finite metric value are split
into groups by the parameter, one group per category or, for a numeric
parameter, up to ten groups of equal size by its quantiles (one per distinct
value when there are few).  The *correlation ratio* eta² is the share of the
metric's variance that lies between the group means rather than within the
groups: 1 when the parameter alone decides the metric, near 0 when it does not
matter.  Any grouping of random numbers explains some variance by chance
(about ``(k-1)/(n-1)`` with ``k`` groups of ``n`` runs), so the bar shows
eta² with that chance share removed (epsilon², never below 0).  For numeric
parameters the sign of the Spearman rank correlation says whether higher
values go with a higher or a lower metric.  When the metric axis is
logarithmic, the variance is that of log10 of the metric.  The ranking looks at
one parameter at a time: it cannot see interactions, and parameters that the
search moved together share their credit.

>>> import shutil, tempfile
>>> from .api import load, sweep
>>> from .runner import agent
>>> root = tempfile.mkdtemp()
>>> sweep_id = sweep({"method": "random", "metric": {"name": "loss"},
...     "parameters": {"x": {"min": 0.0, "max": 1.0}, "opt": {"values": ["adam", "<sgd>"]}}},
...     seed=0, dir=root)
>>> agent(sweep_id, lambda config: (config["x"] - 0.3) ** 2, count=8, dir=root, quiet=True)
8
>>> page = render_report(load(sweep_id, dir=root))
>>> page.startswith("<!DOCTYPE html>"), page.count("<svg"), "&lt;sgd&gt;" in page, "<sgd>" in page
(True, 6, True, False)
>>> shutil.rmtree(root)
"""

import html
import json
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .distributions import is_log_scale
from .runs import DONE_STATES, is_better, is_number

__all__ = ["render_report", "importance", "curve", "downsample"]

_MISSING = object()

# Plasma (matplotlib's perceptually uniform map) from 0.0 to 0.9, without its
# pale yellow end, which vanishes on white.  Index 0 is the best run's colour.
_PALETTE = ((13, 8, 135), (65, 4, 157), (106, 0, 168), (143, 13, 164), (177, 42, 144),
            (204, 71, 120), (225, 100, 98), (242, 132, 75), (252, 166, 54), (252, 206, 37))
_BEST_INK = "#111"
_POINT = "#3b6fb6"
_RUNNING_BEST = "#e8590c"


# ------------------------------------------------------------------------------------ text

def _esc(value: Any) -> str:
    """``value`` as text safe in HTML content and in quoted attributes (SVG's too)."""
    return html.escape(str(value), quote=True)


def _num(x: float, digits: int = 4) -> str:
    """A short, exact-looking number: ``0.001``, ``1.5e-05``, ``12``, ``nan``."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int) and abs(x) < 10 ** 12:
        return str(x)
    if isinstance(x, int) and not is_number(x):  # beyond float range: its own digits, as 1.2e+400
        text = str(abs(x))
        head = text[0] + ("." + text[1:digits] if digits > 1 else "")
        return "%s%se+%d" % ("-" if x < 0 else "", head.rstrip("0").rstrip("."), len(text) - 1)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    text = "%.*g" % (digits, x)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = "%se%d" % (mantissa, int(exponent))
    return text


def _text(value: Any, digits: int = 4) -> str:
    """A parameter or metric value as plain text (not yet escaped)."""
    if value is _MISSING:
        return "\u2014"
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float)):
        return _num(value, digits)
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return repr(value)


def _clip(text: str, limit: int) -> Tuple[str, bool]:
    """``text`` cut to ``limit`` characters (ending in an ellipsis), and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return text[:max(limit - 1, 1)] + "\u2026", True


def _span(text: str, limit: int, cls: str = "") -> str:
    """Escaped HTML for ``text``, cut to ``limit`` with the full text in a tooltip."""
    shown, cut = _clip(text, limit)
    attrs = ' class="%s"' % cls if cls else ""
    if cut:
        attrs += ' title="%s"' % _esc(text)
    return "<span%s>%s</span>" % (attrs, _esc(shown))


def _svg_text(x: float, y: float, text: str, limit: int = 1000, cls: str = "", anchor: str = "",
              extra: str = "") -> str:
    """An SVG ``<text>``, cut to ``limit`` characters with the full text in a ``<title>``."""
    shown, cut = _clip(text, limit)
    attrs = ' x="%.1f" y="%.1f"' % (x, y)
    if cls:
        attrs += ' class="%s"' % cls
    if anchor:
        attrs += ' text-anchor="%s"' % anchor
    title = "<title>%s</title>" % _esc(text) if cut else ""
    return "<text%s%s>%s%s</text>" % (attrs, extra, title, _esc(shown))


def _duration(seconds: Optional[float]) -> str:
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "\u2014"
    if seconds < 1:
        return "%.0f ms" % (seconds * 1000)
    if seconds < 60:
        return "%.1f s" % seconds
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return "%dm %02ds" % (minutes, secs)
    hours, minutes = divmod(minutes, 60)
    return "%dh %02dm" % (hours, minutes)


def _runtime(run: Any) -> Optional[float]:
    info = run.info or {}
    wall = info.get("wall_time")
    if isinstance(wall, (int, float)) and not isinstance(wall, bool):
        return float(wall)
    start, end = info.get("started_at"), info.get("finished_at")
    if all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in (start, end)):
        return float(end) - float(start)
    return None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[-1] if lines else ""


# ------------------------------------------------------------------------------------ data

def _lookup(config: Any, path: Sequence[str]) -> Any:
    """The value at ``path`` in a run's nested config, or ``_MISSING``."""
    node = config
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


def _finite(value: Any) -> bool:
    return is_number(value)


def _key(value: Any) -> str:
    """A hashable, type-aware key for grouping values (``1`` and ``"1"`` differ)."""
    return type(value).__name__ + ":" + _text(value, 17)


class _Row:
    """One run as the report sees it."""

    __slots__ = ("run", "number", "values", "metric", "metric_text")

    def __init__(self, run: Any, number: int, values: Dict[str, Any], metric: Optional[float],
                 metric_text: str) -> None:
        self.run = run
        self.number = number
        self.values = values
        self.metric = metric            # a finite value, or None
        self.metric_text = metric_text  # what the table shows

    @property
    def done(self) -> bool:
        return self.run.state in DONE_STATES and self.metric is not None


def _metric_of(run: Any, metric: Any) -> Tuple[Optional[float], str]:
    """A run's best finite metric value, and its text (``nan`` when only non-finite values were logged)."""
    value = run.best(metric.name, metric.maximize)
    if value is not None:
        return float(value), _num(value, 6)
    raw = run.summary.get(metric.name, _MISSING)
    if raw is _MISSING:
        for row in reversed(run.history):
            if metric.name in row:
                raw = row[metric.name]
                break
    return None, ("" if raw is _MISSING else _text(raw, 6))


def _rows(result: Any) -> List[_Row]:
    metric = result.config.metric
    rows = []
    for position, run in enumerate(result.runs):
        number = run.index + 1 if isinstance(run.index, int) else position + 1
        values = {p.name: _lookup(run.config, p.path) for p in result.config.params}
        value, text = _metric_of(run, metric) if metric is not None else (None, "")
        rows.append(_Row(run, number, values, value, text))
    return rows


def _is_numeric(param: Any, values: Sequence[Any]) -> bool:
    """Whether a parameter gets a numeric axis: not categorical, and every value a finite number."""
    if param.distribution in ("categorical", "constant"):
        return False
    return all(_finite(v) for v in values)


def _categories(param: Any, values: Sequence[Any]) -> List[Any]:
    """The distinct values, in the config's order, then any others in order of first appearance."""
    seen: Dict[str, Any] = {}
    for v in list(param.values or []) + list(values):
        seen.setdefault(_key(v), v)
    present = {_key(v) for v in values}
    return [v for k, v in seen.items() if k in present]


# ------------------------------------------------------------------------------------ scales

def _nice_step(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude * (1 + 1e-9):
            return m * magnitude
    return 10 * magnitude


def _linear_ticks(lo: float, hi: float, count: int) -> Tuple[float, float, List[float]]:
    """A domain widened to round numbers around [lo, hi], and its ticks."""
    if hi - lo <= abs(hi) * 1e-12:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    step = _nice_step((hi - lo) / max(count, 1))
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    n = int(round((stop - start) / step))
    ticks = [float("%.12g" % (start + i * step)) for i in range(n + 1)]
    return start, stop, ticks


def _log_ticks(lo: float, hi: float) -> Tuple[float, float, List[float]]:
    """A log domain and its ticks: whole decades, with 2 and 5 between them when there is room."""
    if hi / lo < 10:  # under a decade: the data's own range, with round ticks inside it
        _, _, ticks = _linear_ticks(lo, hi, 4)
        lo, hi = lo / 1.05, hi * 1.05
        return lo, hi, [t for t in ticks if lo <= t <= hi]
    e0 = math.floor(math.log10(lo) + 1e-9)
    e1 = math.ceil(math.log10(hi) - 1e-9)
    decades = e1 - e0
    mults = (1, 2, 5) if decades <= 3 else (1,)
    stride = max(1, int(math.ceil(decades / 8.0)))
    ticks = [float("%.12g" % (m * 10.0 ** e)) for e in range(e0, e1 + 1) if (e - e0) % stride == 0
             for m in mults if e < e1 or m == 1]
    return 10.0 ** e0, 10.0 ** e1, ticks


class _Scale:
    """Maps values in a domain to pixels along an axis; logarithmic or linear."""

    def __init__(self, values: Sequence[float], start: float, end: float, log: bool = False,
                 count: int = 5, integer: bool = False) -> None:
        lo, hi = min(values), max(values)
        self.log = log and lo > 0
        if self.log:
            self.lo, self.hi, self.ticks = _log_ticks(lo, hi)
        else:
            self.lo, self.hi, self.ticks = _linear_ticks(lo, hi, count)
            if integer:
                self.ticks = [t for t in self.ticks if t == int(t)]
        self.start, self.end = start, end

    def _t(self, v: float) -> float:
        if self.log:
            return math.log10(v)
        return v

    def fraction(self, v: float) -> float:
        """Where ``v`` lies in the domain, 0 at its low end and 1 at its high end."""
        lo, hi = self._t(self.lo), self._t(self.hi)
        return (self._t(v) - lo) / (hi - lo) if hi > lo else 0.5

    def __call__(self, v: float) -> float:
        return self.start + (self.end - self.start) * self.fraction(v)

    def pixel(self) -> Any:
        """A fast ``v -> round(self(v))`` for many values."""
        lo, hi = self._t(self.lo), self._t(self.hi)
        start = self.start
        if hi <= lo:
            mid = int(round((self.start + self.end) / 2.0))
            return lambda v: mid
        k = (self.end - self.start) / (hi - lo)
        if self.log:
            log10 = math.log10
            return lambda v: int(round(start + k * (log10(v) - lo)))
        return lambda v: int(round(start + k * (v - lo)))


def _metric_is_log(values: Sequence[float]) -> bool:
    """A log axis for the metric when every value is positive and they span two decades or more."""
    return bool(values) and min(values) > 0 and max(values) / min(values) >= 100


def _colour(goodness: float) -> str:
    """The palette's colour for ``goodness`` in [0, 1]: 1 (best) is dark blue, 0 (worst) orange."""
    position = min(max(1.0 - goodness, 0.0), 1.0) * (len(_PALETTE) - 1)
    i = min(int(position), len(_PALETTE) - 2)
    f = position - i
    a, b = _PALETTE[i], _PALETTE[i + 1]
    return "#%02x%02x%02x" % tuple(int(round(a[k] + (b[k] - a[k]) * f)) for k in range(3))


# ------------------------------------------------------------------------------------ importance

class Importance:
    """How much one parameter accounts for the metric, by itself.

    Attributes:
        name: the parameter's dotted name.
        eta2: the correlation ratio, the share of the metric's variance between groups.
        score: ``eta2`` less the share ``groups`` random groups would explain (0 to 1): the ranking key.
        groups: how many groups the runs fell into.
        runs: how many runs were used.
        rho: the Spearman rank correlation with the metric (numeric parameters), else ``None``.
        best_group: for categorical parameters, the category with the best mean metric.
    """

    __slots__ = ("name", "eta2", "score", "groups", "runs", "rho", "best_group")

    def __init__(self, name: str, eta2: float, score: float, groups: int, runs: int,
                 rho: Optional[float], best_group: Any) -> None:
        self.name, self.eta2, self.score, self.groups, self.runs = name, eta2, score, groups, runs
        self.rho, self.best_group = rho, best_group

    def __repr__(self) -> str:
        return "Importance(%r, score=%.3f, eta2=%.3f)" % (self.name, self.score, self.eta2)


def _ranks(xs: Sequence[float]) -> List[float]:
    """Ranks 1..n, ties given their average rank."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0 + 1
        i = j + 1
    return ranks


def _spearman(xs: Sequence[float], ys: Sequence[float]) -> Optional[float]:
    rx, ry = _ranks(xs), _ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx <= 0 or syy <= 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def _bins(xs: Sequence[float], most: int) -> List[str]:
    """A group label per value: the value itself when there are few distinct ones, else its quantile bin."""
    distinct = sorted(set(xs))
    if len(distinct) <= most:
        return [repr(x) for x in xs]
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    labels = [""] * len(xs)
    first_bin: Dict[float, int] = {}
    for position, i in enumerate(order):
        b = first_bin.setdefault(xs[i], position * most // len(xs))  # ties stay in one bin
        labels[i] = str(b)
    return labels


def importance(params: Sequence[Any], samples: Sequence[Tuple[Dict[str, Any], float]],
               maximize: bool = False) -> List[Importance]:
    """Rank parameters by the share of the metric's variance each explains alone, best first.

    Args:
        params: the sweep's :class:`~.sweepconfig.Param` list.
        samples: ``(values, y)`` per run: ``values`` maps a parameter's dotted
            name to its value; ``y`` is the finite metric value (or its log).
        maximize: the goal, used to name the best category.

    Returns:
        One :class:`Importance` per parameter with at least two groups, by ``score``, highest first.

    >>> from .sweepconfig import Param
    >>> ps = [Param(("x",), "uniform", min=0, max=1), Param(("noise",), "uniform", min=0, max=1)]
    >>> import random
    >>> rng = random.Random(1)
    >>> values = [{"x": rng.random(), "noise": rng.random()} for _ in range(40)]
    >>> ranking = importance(ps, [(v, v["x"] ** 2) for v in values])
    >>> [(r.name, round(r.score, 2), r.groups, round(r.rho, 2)) for r in ranking]
    [('x', 0.9, 4, 1.0), ('noise', 0.0, 4, 0.13)]
    """
    n = len(samples)
    out: List[Importance] = []
    if n < 3:
        return out
    most = max(2, min(10, int(math.sqrt(n / 2.0))))
    for param in params:
        pairs = [(values.get(param.name, _MISSING), y) for values, y in samples]
        pairs = [(v, y) for v, y in pairs if v is not _MISSING]
        if len(pairs) < 3:
            continue
        xs = [v for v, _ in pairs]
        ys = [y for _, y in pairs]
        numeric = _is_numeric(param, xs)
        labels = _bins([float(x) for x in xs], most) if numeric else [_key(x) for x in xs]
        groups: Dict[str, List[float]] = {}
        for label, y in zip(labels, ys):
            groups.setdefault(label, []).append(y)
        k, m = len(groups), len(ys)
        if k < 2:
            continue
        mean = sum(ys) / m
        total = sum((y - mean) ** 2 for y in ys)
        if total <= 1e-300 * max(1.0, mean * mean):
            continue
        between = sum(len(g) * (sum(g) / len(g) - mean) ** 2 for g in groups.values())
        eta2 = min(max(between / total, 0.0), 1.0)
        if m > k:
            within = total - between
            score = (between - (k - 1) * within / (m - k)) / total
        else:
            score = 0.0
        score = min(max(score, 0.0), 1.0)
        rho = _spearman([float(x) for x in xs], ys) if numeric else None
        best_group = None
        if not numeric:
            means = {label: sum(g) / len(g) for label, g in groups.items()}
            pick = (max if maximize else min)(means, key=lambda label: means[label])
            best_group = next(x for x, label in zip(xs, labels) if label == pick)
        out.append(Importance(param.name, eta2, score, k, m, rho, best_group))
    out.sort(key=lambda r: (-r.score, -r.eta2, r.name))
    return out


# ------------------------------------------------------------------------------------ views

def _header(result: Any, rows: List[_Row], best: Optional[_Row]) -> str:
    cfg = result.config
    metric = cfg.metric
    counts: Dict[str, int] = {}
    for row in rows:
        counts[row.run.state] = counts.get(row.run.state, 0) + 1
    chips = " ".join('<span class="state s-%s">%s %d</span>' % (_esc(s), _esc(s), c)
                     for s, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) or "none yet"
    facts = [("project", _esc(result.project)), ("method", _esc(cfg.method))]
    if metric is not None:
        facts.append(("metric", "%s <span class=\"muted\">(%s)</span>" % (_esc(metric.name), _esc(metric.goal))))
    else:
        facts.append(("metric", '<span class="muted">none configured</span>'))
    if cfg.early_terminate is not None:
        facts.append(("early stopping", "hyperband"))
    facts.append(("state", _esc(result.state)))
    facts.append(("runs", "%d &nbsp; %s" % (len(rows), chips)))
    out = ['<header><h1>Sweep <code>%s</code></h1>' % _esc(result.id)]
    if getattr(cfg, "name", None):
        out.append('<p class="sub">%s</p>' % _esc(cfg.name))
    out.append('<dl class="facts">%s</dl>' % "".join("<dt>%s</dt><dd>%s</dd>" % f for f in facts))
    if best is not None:
        items = "".join("<dt>%s</dt><dd>%s</dd>" % (_esc(p.name), _span(_text(best.values[p.name], 8), 80))
                        for p in cfg.params)
        out.append('<div class="best-card"><div class="best-title">Best run <code>%s</code> (run %d): '
                   '%s = <b>%s</b></div><dl class="facts">%s</dl></div>'
                   % (_esc(best.run.id), best.number, _esc(metric.name), _esc(best.metric_text), items))
    elif metric is not None:
        out.append('<p class="note">No run has finished with a value of %s yet.</p>' % _esc(metric.name))
    out.append("</header>")
    return "\n".join(out)


def _axis_left(scale: _Scale, x: float, x2: float, grid: bool, digits: int = 4) -> List[str]:
    """A vertical axis at ``x`` with tick labels on its left (and grid lines to ``x2``)."""
    out = ['<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>' % (x, scale.start, x, scale.end)]
    for t in scale.ticks:
        y = scale(t)
        if grid:
            out.append('<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>' % (x, y, x2, y))
        out.append('<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>' % (x - 4, y, x, y))
        out.append(_svg_text(x - 7, y + 4, _num(t, digits), cls="tick", anchor="end"))
    return out


def _scatter(rows: List[_Row], metric: Any) -> str:
    """The metric of each done run against its run number, with the running best."""
    done = sorted((r for r in rows if r.done), key=lambda r: r.number)
    if not done:
        return '<p class="note">No finished run with a finite value of %s yet.</p>' % _esc(metric.name)
    width, height = 1000, 360
    left, right, top, bottom = 78, 24, 16, 48
    values = [r.metric for r in done]
    log = _metric_is_log(values)
    ys = _Scale(values, height - bottom, top, log=log)
    xs = _Scale([1] + [r.number for r in done], left, width - right, count=10, integer=True)
    xs.lo = max(xs.lo, 0)
    xs.ticks = [t for t in xs.ticks if t >= xs.lo]
    out = ['<svg class="plot" viewBox="0 0 %d %d" width="%d" height="%d" role="img">' % (width, height, width, height),
           '<title>%s over runs</title>' % _esc(metric.name)]
    out += _axis_left(ys, left, width - right, grid=True)
    base = height - bottom
    out.append('<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>' % (left, base, width - right, base))
    for t in xs.ticks:
        x = xs(t)
        out.append('<line class="axis" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x, base, x, base + 4))
        out.append(_svg_text(x, base + 18, _num(t), cls="tick", anchor="middle"))
    out.append(_svg_text((left + width - right) / 2, height - 8, "run number", cls="label", anchor="middle"))
    label = metric.name + (" (log scale)" if ys.log else "")
    out.append(_svg_text(16, (top + base) / 2, label, limit=48, cls="label", anchor="middle",
                         extra=' transform="rotate(-90 16 %.1f)"' % ((top + base) / 2)))
    # the running best, as steps
    better = (lambda a, b: a > b) if metric.maximize else (lambda a, b: a < b)
    path, current = [], None
    for r in done:
        if current is None:
            current = r.metric
            path.append("M%.1f %.1f" % (xs(r.number), ys(current)))
        elif better(r.metric, current):
            path.append("H%.1f V%.1f" % (xs(r.number), ys(r.metric)))
            current = r.metric
    path.append("H%.1f" % xs(done[-1].number))
    out.append('<path class="running-best" d="%s"/>' % " ".join(path))
    best = min(done, key=lambda r: (-r.metric if metric.maximize else r.metric, r.number))
    radius = 4 if len(done) <= 200 else 2.5
    for r in done:
        cls = "pt" if r.run.state == "finished" else "pt hollow"
        out.append('<circle class="%s" cx="%.1f" cy="%.1f" r="%s"><title>run %d %s (%s): %s</title></circle>'
                   % (cls, xs(r.number), ys(r.metric), radius, r.number, _esc(r.run.id), _esc(r.run.state),
                      _esc(r.metric_text)))
    bx, by = xs(best.number), ys(best.metric)
    out.append('<circle class="best-ring" cx="%.1f" cy="%.1f" r="8"/>' % (bx, by))
    anchor = "end" if bx > width * 0.75 else "start"
    out.append(_svg_text(bx + (-12 if anchor == "end" else 12), by - 14,
                         "best: %s = %s" % (best.run.id, best.metric_text),
                         limit=60, cls="callout", anchor=anchor))
    out.append("</svg>")
    legend = ('<div class="legend"><span><i class="dot"></i> finished</span>'
              '<span><i class="dot hollow"></i> stopped early by hyperband</span>'
              '<span><i class="line"></i> running best (%s)</span>'
              '<span><i class="ring"></i> best run</span></div>' % ("max" if metric.maximize else "min"))
    return legend + '<div class="figure">%s</div>' % "\n".join(out)


def _parallel(params: Sequence[Any], rows: List[_Row], metric: Any, best: Optional[_Row]) -> str:
    """Parallel coordinates: one axis per varying parameter and one for the metric."""
    done = [r for r in rows if r.done]
    if len(done) < 2:
        return '<p class="note">Parallel coordinates need at least two finished runs with a value of %s.</p>' % (
            _esc(metric.name))
    constant, axes_params = [], []
    for p in params:
        seen = {_key(r.values[p.name]) for r in done}
        if len(seen) <= 1:
            constant.append((p, done[0].values[p.name]))
        else:
            axes_params.append(p)
    # runs missing a numeric parameter cannot be placed on its axis
    numeric = {p.name: _is_numeric(p, [r.values[p.name] for r in done if r.values[p.name] is not _MISSING])
               for p in axes_params}
    drawn = [r for r in done if all(not numeric[p.name] or r.values[p.name] is not _MISSING for p in axes_params)]
    if len(drawn) < 2:
        return '<p class="note">Too few finished runs with every parameter set to draw parallel coordinates.</p>'
    count = len(axes_params) + 1
    left, right, top, plot_h = 96, 110, 62, 380
    spacing = 170 if count > 1 else 0
    width = max(760, left + right + spacing * (count - 1))
    if count > 1:
        spacing = (width - left - right) / float(count - 1)
    bottom = top + plot_h
    height = bottom + 82
    label_chars = max(8, int(spacing / 7.5)) if count > 1 else 30

    axes = []  # (x, name, position function, drawing)
    for i, p in enumerate(axes_params):
        x = left + i * spacing
        parts = []
        values = [r.values[p.name] for r in drawn]
        if numeric[p.name]:
            floats = [float(v) for v in values]
            integer = all(isinstance(v, int) for v in values)
            scale = _Scale(floats, bottom, top, log=is_log_scale(p), integer=integer)
            parts += _axis_left(scale, x, x, grid=False)

            def position(v: Any, scale: _Scale = scale) -> float:
                return scale(float(v))
            kind = "log" if scale.log else ""
        else:
            cats = _categories(p, values)
            slot = {_key(c): j for j, c in enumerate(cats)}
            k = len(cats)

            def position(v: Any, slot: Dict[str, int] = slot, k: int = k) -> float:
                return top + (slot[_key(v)] + 0.5) / k * plot_h
            parts.append('<line class="axis" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x, top, x, bottom))
            every = max(1, int(math.ceil(k / 24.0)))  # at most ~24 labels on an axis
            for j, c in enumerate(cats):
                y = top + (j + 0.5) / k * plot_h
                parts.append('<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>' % (x - 4, y, x + 4, y))
                if j % every == 0:
                    parts.append(_svg_text(x - 7, y + 4, _text(c), limit=min(18, label_chars), cls="tick",
                                           anchor="end"))
            kind = "categories"
        axes.append((x, p.name, position, parts, kind))
    mvalues = [r.metric for r in drawn]
    mscale = _Scale(mvalues, bottom, top, log=_metric_is_log(mvalues))
    mx = left + (count - 1) * spacing
    mparts = ['<line class="axis" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (mx, top, mx, bottom)]
    for t in mscale.ticks:
        y = mscale(t)
        mparts.append('<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>' % (mx, y, mx + 4, y))
        mparts.append(_svg_text(mx + 7, y + 4, _num(t), cls="tick", anchor="start"))
    axes.append((mx, metric.name, mscale, mparts, ("log, " if mscale.log else "") + metric.goal))

    # Colour by rank, not value: a few very bad runs would otherwise squeeze every good run into one shade.
    order = sorted(drawn, key=lambda r: -r.metric if metric.maximize else r.metric)
    ranks = _ranks([-r.metric if metric.maximize else r.metric for r in drawn])
    goodness_of = {id(r): 1.0 - (rank - 1) / (len(drawn) - 1.0) for r, rank in zip(drawn, ranks)}

    def goodness(r: _Row) -> float:
        return goodness_of[id(r)]

    many = len(drawn) > 150
    opacity = 0.85 if len(drawn) <= 50 else (0.55 if len(drawn) <= 300 else 0.35)
    out = ['<svg class="plot" viewBox="0 0 %d %d" width="%d" height="%d" role="img">' % (width, height, width, height),
           '<title>Parallel coordinates of the parameters and %s</title>' % _esc(metric.name)]
    lines = []
    for r in sorted(drawn, key=goodness):  # worst first: the best end up on top
        if best is not None and r is best:
            continue
        points = " ".join("%.1f,%.1f" % (x, position(r.metric if i == count - 1 else r.values[name]))
                          for i, (x, name, position, _, _) in enumerate(axes))
        title = "" if many else "<title>%s: %s</title>" % (_esc(r.run.id), _esc(r.metric_text))
        lines.append('<polyline class="pc" points="%s" stroke="%s">%s</polyline>'
                     % (points, _colour(goodness(r)), title))
    out.append('<g class="pc-lines" stroke-opacity="%.2f">%s</g>' % (opacity, "".join(lines)))
    if best is not None and best in drawn:
        points = " ".join("%.1f,%.1f" % (x, position(best.metric if i == count - 1 else best.values[name]))
                          for i, (x, name, position, _, _) in enumerate(axes))
        out.append('<polyline class="pc-halo" points="%s"/>' % points)
        out.append('<polyline class="pc-best" points="%s"><title>best run %s: %s</title></polyline>'
                   % (points, _esc(best.run.id), _esc(best.metric_text)))
    for x, name, _, parts, kind in axes:
        out.extend(parts)
        out.append(_svg_text(x, top - 30, name, limit=label_chars, cls="axis-name", anchor="middle"))
        if kind:
            out.append(_svg_text(x, top - 14, "(%s)" % kind, cls="axis-kind", anchor="middle"))
    # the colour legend: best to worst, left to right, with the values at the ends and the median
    lx, ly, lw = left, bottom + 44, 260
    stops = "".join('<stop offset="%.1f" stop-color="%s"/>' % (j / 10.0, _colour(1.0 - j / 10.0)) for j in range(11))
    out.append('<defs><linearGradient id="ms-metric-scale">%s</linearGradient></defs>' % stops)
    out.append('<rect x="%d" y="%d" width="%d" height="12" fill="url(#ms-metric-scale)"/>' % (lx, ly, lw))
    out.append(_svg_text(lx, ly - 6, "colour: rank by %s, best \u2192 worst" % metric.name, limit=60,
                         cls="legend-text"))
    median = order[(len(order) - 1) // 2].metric
    for fx, value, anchor in ((0, order[0].metric, "start"), (0.5, median, "middle"), (1, order[-1].metric, "end")):
        out.append(_svg_text(lx + lw * fx, ly + 27, _num(value), cls="tick", anchor=anchor))
    if best is not None and best in drawn:
        bx = lx + lw + 50
        out.append('<line class="pc-best" x1="%d" y1="%d" x2="%d" y2="%d"/>' % (bx, ly + 6, bx + 34, ly + 6))
        out.append(_svg_text(bx + 42, ly + 10, "best run %s" % best.run.id, limit=40, cls="legend-text"))
    out.append("</svg>")
    notes = []
    if constant:
        items = ", ".join("%s = %s" % (_esc(p.name), _span(_text(v), 40)) for p, v in constant)
        notes.append("Not shown, the same in every run: %s." % items)
    skipped = len(done) - len(drawn)
    if skipped:
        notes.append("%d run%s without a value for every numeric parameter %s left out."
                     % (skipped, "" if skipped == 1 else "s", "is" if skipped == 1 else "are"))
    if not axes_params:
        notes.append("No parameter varied between the finished runs.")
    note = "".join('<p class="note">%s</p>' % n for n in notes)
    return '<div class="figure">%s</div>%s' % ("\n".join(out), note)


def _importance_view(params: Sequence[Any], rows: List[_Row], metric: Any) -> str:
    done = [r for r in rows if r.done]
    log = _metric_is_log([r.metric for r in done])
    samples = [(r.values, math.log10(r.metric) if log else r.metric) for r in done]
    ranking = importance(params, samples, metric.maximize)
    explain = (
        "<p>For each parameter, the finished runs are split into groups: one group per category, or, for a "
        "number, up to ten groups of about the same size by its value (one per value when it takes only a "
        "few). The bar is the share of the spread (variance) of %s%s that lies <em>between</em> the groups' "
        "averages rather than within the groups &mdash; the <em>correlation ratio</em> &eta;&sup2; &mdash; "
        "less the share that the same number of groups of random numbers would explain by chance. 0%% means "
        "no more than chance; 100%% means the parameter alone fixes the metric. For numbers, the arrow "
        "tells whether higher values go with a higher or a lower metric (the sign of the Spearman rank "
        "correlation &rho;); a parameter can matter with no clear direction when its best values lie in the "
        "middle of its range. For categories, the category with the best average is named.</p>"
        "<p><b>What it cannot see.</b> Each parameter is looked at alone: effects that only show in "
        "combination (a learning rate that is good only with one optimizer) are missed or split, and "
        "parameters that the search moved together (as Bayesian search does when it homes in) share the "
        "credit. Runs stopped early by hyperband count with their value at the time they stopped. It "
        "measures association among these runs, not cause, and with few runs it is noisy.</p>"
        % (_esc(metric.name), " (on a log scale)" if log else ""))
    n = len(samples)
    if n < 3:
        return ('<p class="note">Importance needs at least three finished runs with a value of %s; '
                'there %s %d.</p>' % (_esc(metric.name), "is" if n == 1 else "are", n)) + explain
    if not ranking:
        return ('<p class="note">No parameter varied, or the metric did not vary, across the finished runs.</p>'
                + explain)
    caution = ""
    if n < 30:
        caution = ('<p class="note warn">Only %d finished runs: the ranking is rough, and small differences '
                   'between bars may be chance.</p>' % n)
    width, row_h, name_w, bar_w = 1000, 28, 190, 420
    height = row_h * len(ranking) + 30
    out = ['<svg class="plot" viewBox="0 0 %d %d" width="%d" height="%d" role="img">' % (width, height, width, height),
           '<title>Parameter importance for %s</title>' % _esc(metric.name)]
    out.append(_svg_text(name_w + 10, 14, "share of the variance explained beyond chance", cls="axis-kind"))
    out.append(_svg_text(name_w + bar_w + 70, 14, "direction", cls="axis-kind"))
    for i, r in enumerate(ranking):
        y = 24 + i * row_h
        out.append(_svg_text(name_w, y + 15, r.name, limit=26, cls="imp-name", anchor="end"))
        out.append('<rect class="imp-track" x="%d" y="%d" width="%d" height="16"/>' % (name_w + 10, y + 3, bar_w))
        out.append('<rect class="imp-bar" x="%d" y="%d" width="%.1f" height="16"><title>eta\u00b2 %.3f, '
                   'chance-corrected %.3f, %d groups of %d runs</title></rect>'
                   % (name_w + 10, y + 3, max(bar_w * r.score, 1.5), r.eta2, r.score, r.groups, r.runs))
        out.append(_svg_text(name_w + bar_w + 18, y + 15, "%.0f%%" % (100 * r.score), cls="imp-value"))
        if r.rho is not None:
            word = "higher" if r.rho > 0 else "lower"
            if abs(r.rho) < 0.2:
                detail = "no clear direction (\u03c1 %+.2f)" % r.rho
            else:
                good = (r.rho > 0) == metric.maximize
                detail = "higher \u2192 %s %s, %s (\u03c1 %+.2f)" % (
                    word, metric.name, "better" if good else "worse", r.rho)
        elif r.best_group is not None:
            detail = "best on average: %s" % _text(r.best_group)
        else:
            detail = ""
        out.append(_svg_text(name_w + bar_w + 70, y + 15, detail, limit=56, cls="imp-detail"))
    out.append("</svg>")
    return caution + '<div class="figure">%s</div>' % "\n".join(out) + explain


def _meta_label(run: Any) -> str:
    """The run's name (``init(name=...)``) after its id, when it has one."""
    name = (run.info or {}).get("name")
    return ' <span class="run-name">%s</span>' % _span(str(name), 32) if name else ""


def _meta_title(run: Any) -> str:
    """The run's group, tags and notes as the id cell's tooltip."""
    info = run.info or {}
    parts = []
    for key in ("group", "tags", "notes"):
        value = info.get(key)
        if value:
            parts.append("%s: %s" % (key, ", ".join(map(str, value)) if isinstance(value, list) else value))
    return ' title="%s"' % _esc("\n".join(parts)) if parts else ""


def _table(params: Sequence[Any], rows: List[_Row], metric: Any, best: Optional[_Row]) -> str:
    head = ["run", "state", "runtime"] + [p.name for p in params]
    if metric is not None:
        head.append("%s (best)" % metric.name)
    head.append("error / note")
    out = ['<div class="table-wrap"><table class="runs"><thead><tr>']
    numeric = [False, False, True] + [bool(rows) and all(_finite(r.values[p.name]) for r in rows) for p in params]
    numeric += [True, False] if metric is not None else [False]
    out += ['<th%s>%s</th>' % (' class="num"' if n else "", _span(h, 32)) for h, n in zip(head, numeric)]
    out.append("</tr></thead><tbody>")
    for r in rows:
        run = r.run
        is_best = best is not None and r is best
        cells = ['<td class="id"%s>%s<code>%s</code>%s</td>'
                 % (_meta_title(run), '<span class="star" title="best run">\u2605</span> ' if is_best else "",
                    _esc(run.id), _meta_label(run)),
                 '<td><span class="state s-%s">%s</span></td>' % (_esc(run.state), _esc(run.state)),
                 '<td class="num">%s</td>' % _duration(_runtime(run))]
        for p in params:
            v = r.values[p.name]
            cls = "num" if _finite(v) else ""
            cells.append('<td class="%s">%s</td>' % (cls, _span(_text(v), 40)))
        if metric is not None:
            text = r.metric_text or "\u2014"
            cells.append('<td class="num metric%s">%s</td>' % (" bad" if r.metric is None and r.metric_text else "",
                                                                _span(text, 24)))
        error = (run.info or {}).get("error")
        if error:
            full = str(error)
            if len(full) > 2000:
                full = "\u2026" + full[-2000:]
            line, _ = _clip(_last_line(full), 64)
            cells.append('<td class="err" title="%s">%s</td>' % (_esc(full), _esc(line)))
        else:
            cells.append("<td></td>")
        out.append('<tr%s>%s</tr>' % (' class="best"' if is_best else "", "".join(cells)))
    out.append("</tbody></table></div>")
    if not rows:
        out.append('<p class="note">No runs yet.</p>')
    return "\n".join(out)


# ------------------------------------------------------------------------------------ learning curves

#: Points drawn for all learning curves together, at most; beyond it curves are downsampled.
CURVE_POINT_BUDGET = 150000
#: Runs at or below which each curve and dot gets its own hover text.
_TITLED_RUNS = 150


def _stop_reason(run: Any) -> Optional[str]:
    """Why a run in state ``stopped`` was stopped (its recorded reason), else ``None``."""
    if run.state != "stopped":
        return None
    reason = (run.info or {}).get("error")
    return str(reason) if reason else "stopped early"


def _by_hyperband(reason: Optional[str]) -> bool:
    return bool(reason) and str(reason).startswith("hyperband")


def _curve_x_kind(rows: Sequence[_Row], name: str) -> str:
    """``"step"`` when every row that logged the metric also has a numeric ``_step``, else ``"iteration"``."""
    seen = False
    for r in rows:
        for row in r.run.history:
            if _finite(row.get(name)):
                seen = True
                if not _finite(row.get("_step")):
                    return "iteration"
    return "step" if seen else "iteration"


def curve(run: Any, name: str, x_kind: str = "iteration") -> List[Tuple[float, float]]:
    """A run's learning curve: ``(x, value)`` for each finite value of ``name`` it logged, in order.

    ``x`` is the row's ``_step`` when ``x_kind`` is ``"step"``, else the
    value's iteration: 1 for the first value logged, 2 for the second, as
    hyperband counts them.

    >>> from .runs import Run
    >>> run = Run("r", history=[{"loss": 3.0, "_step": 0}, {"acc": 1}, {"loss": float("nan")},
    ...                         {"loss": 2.0, "_step": 5}])
    >>> curve(run, "loss"), curve(run, "loss", "step")
    ([(1, 3.0), (2, 2.0)], [(0, 3.0), (5, 2.0)])
    """
    out: List[Tuple[float, float]] = []
    step = x_kind == "step"
    isfinite = math.isfinite
    for row in run.history:
        value = row.get(name)
        if value.__class__ is float:
            if isfinite(value):
                out.append((row.get("_step") if step else len(out) + 1, value))
        elif is_number(value):  # (an int beyond float range is not: see runs.is_number)
            out.append((row.get("_step") if step else len(out) + 1, float(value)))
    return out


def downsample(points: Sequence[Tuple[float, float]], lo: float, hi: float,
               buckets: int) -> List[Tuple[float, float]]:
    """Keep the lowest and the highest point of each of ``buckets`` equal slices of ``[lo, hi]``.

    The min/max envelope: peaks and dips survive, in their order along x;
    the first and the last point are always kept (a curve still ends where
    the run stopped).  ``points`` must be sorted by x.

    >>> pts = [(x, (-1) ** x * x) for x in range(1, 101)]
    >>> small = downsample(pts, 1, 100, 10)
    >>> len(small), small[0], small[-1], max(small, key=lambda p: p[1])
    (22, (1, -1), (100, 100), (100, 100))
    """
    if len(points) <= 2 * buckets + 2:
        return list(points)
    width = (hi - lo) / float(buckets) or 1.0
    out: List[Tuple[float, float]] = [points[0]]
    current, low, high = None, None, None

    def flush() -> None:
        pair = sorted({id(low): low, id(high): high}.values(), key=lambda p: p[0])
        out.extend(p for p in pair if p is not out[-1])

    for p in points[1:-1]:
        b = min(int((p[0] - lo) / width), buckets - 1)
        if b != current:
            if current is not None:
                flush()
            current, low, high = b, p, p
        else:
            if p[1] < low[1]:
                low = p
            if p[1] > high[1]:
                high = p
    if current is not None:
        flush()
    out.append(points[-1])
    return out


def _path(points: Sequence[Tuple[int, int]]) -> str:
    """An SVG path through integer points, in relative moves (the shortest text), repeats dropped."""
    x0, y0 = points[0]
    parts = ["M%d %d" % (x0, y0)]
    steps = []
    for x, y in points[1:]:
        if x == x0 and y == y0:
            continue
        steps.append("%d %d" % (x - x0, y - y0))
        x0, y0 = x, y
    if steps:
        parts.append("l" + " ".join(steps))
    else:
        parts.append("h0")  # a lone point: a dot, with round caps
    return "".join(parts)


def _ascending(points: Sequence[Tuple[float, float]]) -> bool:
    return all(a[0] <= b[0] for a, b in zip(points, points[1:]))


def _curves(rows: List[_Row], metric: Any, best: Optional[_Row]) -> str:
    """Every run's metric over its steps on one chart: best in black, hyperband stops marked."""
    x_kind = _curve_x_kind(rows, metric.name)
    curves = [(r, curve(r.run, metric.name, x_kind)) for r in rows]
    curves = [(r, pts if x_kind == "iteration" or _ascending(pts) else sorted(pts, key=lambda p: p[0]))
              for r, pts in curves if pts]  # (W&B's _step only grows; a run that logged out of order is sorted)
    if not curves:
        return '<p class="note">No run has logged a finite value of %s yet.</p>' % _esc(metric.name)
    width, height = 1000, 420
    left, right, top, bottom = 78, 24, 16, 48
    all_y = [y for _, pts in curves for _, y in pts]
    all_x = [x for _, pts in curves for x, _ in pts]
    log = _metric_is_log(all_y)
    ys = _Scale(all_y, height - bottom, top, log=log)
    integer = all(float(x) == int(x) for x in all_x)
    xs = _Scale(all_x, left, width - right, count=10, integer=integer)
    if x_kind == "iteration" or min(all_x) >= 0:
        xs.lo = max(xs.lo, 0)
        xs.ticks = [t for t in xs.ticks if t >= xs.lo]
    # downsampling: the budget shared among the curves, never finer than two points per pixel column
    plot_w = width - right - left
    buckets = max(8, min(plot_w, CURVE_POINT_BUDGET // (2 * len(curves))))
    x_lo, x_hi = min(all_x), max(all_x)
    thinned = 0
    logged = drawn = 0

    px_x, px_y = xs.pixel(), ys.pixel()

    def pixels(pts: Sequence[Tuple[float, float]]) -> List[Tuple[int, int]]:
        return [(px_x(x), px_y(y)) for x, y in pts]

    # colour by rank of each run's best value on its curve, in ten shades, worst drawn first
    def best_of(pts: Sequence[Tuple[float, float]]) -> float:
        values = [y for _, y in pts]
        return -max(values) if metric.maximize else min(values)

    ranked = sorted(curves, key=lambda c: best_of(c[1]))
    n = len(ranked)
    titled = n <= _TITLED_RUNS
    shades: List[List[str]] = [[] for _ in range(10)]
    best_curve = None
    marks = []
    for rank, (r, pts) in enumerate(ranked):
        logged += len(pts)
        shown = downsample(pts, x_lo, x_hi, buckets)
        if len(shown) < len(pts):
            thinned += 1
        drawn += len(shown)
        px = pixels(shown)
        reason = _stop_reason(r.run)
        if reason is not None:
            marks.append((r, pts[-1][0], px[-1], reason))
        if best is not None and r is best:
            best_curve = (r, px)
            continue
        title = ""
        if titled:
            title = "<title>run %d %s (%s): best %s</title>" % (r.number, _esc(r.run.id), _esc(r.run.state),
                                                                 _esc(r.metric_text))
        shade = min(9, rank * 10 // n)
        shades[shade].append('<path data-run="%s" d="%s">%s</path>' % (_esc(r.run.id), _path(px), title))
    opacity = 0.9 if n <= 20 else (0.6 if n <= 200 else (0.35 if n <= 1000 else 0.22))
    out = ['<svg class="plot" viewBox="0 0 %d %d" width="%d" height="%d" role="img">' % (width, height, width, height),
           '<title>%s over the steps of each run</title>' % _esc(metric.name)]
    out += _axis_left(ys, left, width - right, grid=True)
    base = height - bottom
    out.append('<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>' % (left, base, width - right, base))
    for t in xs.ticks:
        x = xs(t)
        out.append('<line class="axis" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x, base, x, base + 4))
        out.append(_svg_text(x, base + 18, _num(t), cls="tick", anchor="middle"))
    xlabel = "step (_step)" if x_kind == "step" else "iteration (the n-th value of %s each run logged)" % metric.name
    out.append(_svg_text((left + width - right) / 2, height - 8, xlabel, limit=80, cls="label", anchor="middle"))
    label = metric.name + (" (log scale)" if ys.log else "")
    out.append(_svg_text(16, (top + base) / 2, label, limit=48, cls="label", anchor="middle",
                         extra=' transform="rotate(-90 16 %.1f)"' % ((top + base) / 2)))
    for shade in range(9, -1, -1):  # worst first: the better runs end up on top
        if shades[shade]:
            out.append('<g class="curves" stroke="%s" stroke-opacity="%.2f">%s</g>'
                       % (_colour(1.0 - (shade + 0.5) / 10.0), opacity, "".join(shades[shade])))
    if marks:
        out.append(_stop_marks(marks, x_kind))
    if best_curve is not None:
        r, px = best_curve
        d = _path(px)
        out.append('<path class="curve-halo" d="%s"/>' % d)
        out.append('<path class="curve-best" data-run="%s" d="%s"><title>best run %s: %s = %s</title></path>'
                   % (_esc(r.run.id), d, _esc(r.run.id), _esc(metric.name), _esc(r.metric_text)))
        ex, ey = px[-1]
        anchor = "end" if ex > width * 0.7 else "start"
        out.append(_svg_text(ex + (-8 if anchor == "end" else 8), ey - 10, "best: %s" % r.run.id, limit=40,
                             cls="callout", anchor=anchor))
    out.append("</svg>")
    legend = ['<div class="legend"><span><i class="line shade"></i> one line per run, coloured by the rank of its '
              'best %s (dark: better)</span>' % _esc(metric.name)]
    if best_curve is not None:
        legend.append('<span><i class="line black"></i> the best run</span>')
    if marks:
        legend.append('<span><i class="cross">\u00d7</i> where hyperband stopped a run (grey: stopped for '
                      'another reason, such as a cancelled sweep)</span>')
    legend.append("</div>")
    notes = []
    if thinned:
        notes.append("Downsampled for drawing: %d of %d curves have more values than the chart has room for, so "
                     "each keeps only its lowest and highest value in each of %d equal slices of the %s axis (the "
                     "min/max envelope: peaks and dips survive); %s of %s logged values are drawn. The table and "
                     "the other charts use every value."
                     % (thinned, n, buckets, "step" if x_kind == "step" else "iteration",
                        "{:,}".format(drawn), "{:,}".format(logged)))
    note = "".join('<p class="note downsampled">%s</p>' % t for t in notes)
    return "".join(legend) + '<div class="figure">%s</div>' % "\n".join(out) + note


def _stop_marks(marks: Sequence[Tuple[_Row, float, Tuple[int, int], str]], x_kind: str) -> str:
    """A cross where each stopped run's curve ends; one path per run, or, for many, one path in all."""
    unit = "step" if x_kind == "step" else "iteration"
    if len(marks) <= _TITLED_RUNS:
        parts = []
        for r, step, (x, y), reason in marks:
            parts.append('<path class="stop-mark%s" data-run="%s" data-step="%s" d="M%d %dl8 8m0 -8l-8 8">'
                         '<title>run %s stopped at %s %s: %s</title></path>'
                         % ("" if _by_hyperband(reason) else " other", _esc(r.run.id), _esc(_num(step, 12)),
                            x - 4, y - 4, _esc(r.run.id), unit, _num(step), _esc(_clip(reason, 300)[0])))
        return '<g class="stop-marks">%s</g>' % "".join(parts)
    # thousands of stops pile up at the same few steps: draw each distinct pixel once
    groups: Dict[bool, List[str]] = {True: [], False: []}
    seen = set()
    for r, step, (x, y), reason in marks:
        hyper = _by_hyperband(reason)
        if (x, y, hyper) not in seen:
            seen.add((x, y, hyper))
            groups[hyper].append("M%d %dl6 6m0 -6l-6 6" % (x - 3, y - 3))
    out = ['<g class="stop-marks many">']
    for hyper in (False, True):
        if groups[hyper]:
            out.append('<path class="stop-mark%s" d="%s"><title>%d runs stopped %s</title></path>'
                       % ("" if hyper else " other", "".join(groups[hyper]),
                          sum(1 for m in marks if _by_hyperband(m[3]) == hyper),
                          "by hyperband" if hyper else "for another reason"))
    out.append("</g>")
    return "".join(out)


def _jitter(number: int) -> float:
    """A fixed pseudo-random offset in [-0.5, 0.5) for a run number (the same on every render)."""
    return ((number * 2654435761) % 1000) / 1000.0 - 0.5


def _param_charts(params: Sequence[Any], rows: List[_Row], metric: Any, best: Optional[_Row]) -> str:
    """One small chart per varying parameter: each finished run's metric against its value."""
    done = [r for r in rows if r.done]
    if len(done) < 2:
        return '<p class="note">These charts need at least two finished runs with a value of %s.</p>' % (
            _esc(metric.name))
    values = [r.metric for r in done]
    log = _metric_is_log(values)
    width, height = 340, 230
    left, right, top, bottom = 62, 14, 26, 42
    charts = []
    for p in params:
        present = [r for r in done if r.values[p.name] is not _MISSING]
        if len({_key(r.values[p.name]) for r in present}) < 2:
            continue
        ys = _Scale([r.metric for r in present], height - bottom, top, log=log, count=4)
        xvals = [r.values[p.name] for r in present]
        out = ['<svg class="plot small" viewBox="0 0 %d %d" width="%d" height="%d" role="img">'
               % (width, height, width, height),
               '<title>%s against %s</title>' % (_esc(metric.name), _esc(p.name))]
        out += _axis_left(ys, left, width - right, grid=True, digits=3)
        base = height - bottom
        out.append('<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>' % (left, base, width - right, base))
        if _is_numeric(p, xvals):
            integer = all(isinstance(v, int) for v in xvals)
            xs = _Scale([float(v) for v in xvals], left + 6, width - right - 6, log=is_log_scale(p), count=4,
                        integer=integer)
            ticks = xs.ticks if len(xs.ticks) <= 6 else xs.ticks[::2]
            for t in ticks:
                x = xs(t)
                out.append('<line class="axis" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x, base, x, base + 4))
                out.append(_svg_text(x, base + 16, _num(t, 3), cls="tick", anchor="middle"))

            # a parameter with few distinct values (layers: 1..8) stacks its runs in columns: spread them
            distinct = sorted({xs(float(v)) for v in xvals})
            gap = min((b - a for a, b in zip(distinct, distinct[1:])), default=0.0) if len(distinct) <= 16 else 0.0
            spread = min(gap * 0.5, 24.0)

            def place(r: _Row, xs: _Scale = xs, spread: float = spread) -> float:
                return xs(float(r.values[p.name])) + spread * _jitter(r.number)
            kind = " (log scale)" if xs.log else ""
        else:
            cats = _categories(p, xvals)
            slot = {_key(c): j for j, c in enumerate(cats)}
            k = len(cats)
            span = (width - right - left) / float(k)
            every = max(1, int(math.ceil(k / 6.0)))
            for j, c in enumerate(cats):
                x = left + (j + 0.5) * span
                out.append('<line class="axis" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x, base, x, base + 4))
                if j % every == 0:
                    out.append(_svg_text(x, base + 16, _text(c), limit=max(4, int(span * every / 7)),
                                         cls="tick", anchor="middle"))

            def place(r: _Row, slot: Dict[str, int] = slot, span: float = span) -> float:
                # spread the runs of one category sideways (a fixed jitter by run number) so they can be counted
                return left + (slot[_key(r.values[p.name])] + 0.5 + 0.6 * _jitter(r.number)) * span
            kind = ""
        out.append(_svg_text((left + width - right) / 2, height - 6, p.name + kind, limit=44, cls="label",
                             anchor="middle"))
        out.append(_svg_text(left - 4, top - 12, metric.name + (" (log scale)" if ys.log else ""), limit=40,
                             cls="axis-kind"))
        # every run a dot: one path of zero-length round-capped strokes, one per distinct pixel;
        # runs hyperband stopped (at their value when stopped) in grey, under the finished ones
        dot, alpha = (6, 0.8) if len(present) <= 100 else ((4, 0.55) if len(present) <= 1000 else (3, 0.4))
        for state, cls in (("stopped", "dots stopped"), ("finished", "dots")):
            seen = set()
            dots = []
            for r in present:
                if r.run.state != state or (best is not None and r is best):
                    continue
                pt = (int(round(place(r))), int(round(ys(r.metric))))
                if pt not in seen:
                    seen.add(pt)
                    dots.append("M%d %dh0" % pt)
            if dots:
                out.append('<path class="%s" stroke-width="%d" stroke-opacity="%.2f" d="%s"/>'
                           % (cls, dot, alpha if state == "stopped" else min(0.9, alpha + 0.3), "".join(dots)))
        if best is not None and best in present:
            out.append('<circle class="best-ring" cx="%.1f" cy="%.1f" r="5"><title>best run %s: %s = %s</title>'
                       '</circle>' % (place(best), ys(best.metric), _esc(best.run.id), _esc(p.name),
                                      _esc(_text(best.values[p.name]))))
        out.append("</svg>")
        charts.append("\n".join(out))
    if not charts:
        return '<p class="note">No parameter varied between the finished runs.</p>'
    return '<div class="small-multiples">%s</div>' % "".join(charts)


_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1d2330;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 48px; }
footer { margin-top: 28px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 36px 0 6px; padding-top: 14px; border-top: 1px solid #e3e6eb; }
code { font: 13px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
p { margin: 6px 0; max-width: 860px; }
.sub, .muted, .lede { color: #5b6474; }
.lede { margin-bottom: 10px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; margin: 10px 0; }
dl.facts dt { color: #5b6474; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.best-card { border: 1px solid #d9dee6; border-left: 4px solid #111; border-radius: 6px;
  padding: 10px 14px; margin: 14px 0 4px; background: #fafbfc; }
.best-card dl.facts { grid-template-columns: max-content 1fr max-content 1fr max-content 1fr; margin: 6px 0 0; }
.best-title { font-weight: 600; }
.state { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; line-height: 18px;
  background: #eef0f3; color: #3a4150; white-space: nowrap; }
.s-finished { background: #dcf3e3; color: #17663a; }
.s-stopped { background: #e4ecf7; color: #2a4d7d; }
.s-failed, .s-crashed { background: #fde2e1; color: #a1231b; }
.s-killed { background: #ececec; color: #555; }
.s-running, .s-pending { background: #fff1cc; color: #7a5700; }
.note { color: #5b6474; font-size: 13px; }
.warn { color: #8a5a00; }
.figure { overflow-x: auto; margin: 8px 0; }
svg.plot { display: block; font-size: 12px; }
svg.plot .axis { stroke: #5f6877; stroke-width: 1; fill: none; }
svg.plot .grid { stroke: #eceef2; stroke-width: 1; }
svg.plot text { fill: #2c3340; }
svg.plot .tick { font-size: 11px; fill: #4a5260; paint-order: stroke; stroke: #fff; stroke-width: 3px;
  stroke-linejoin: round; }
svg.plot .label, svg.plot .axis-name { font-size: 13px; font-weight: 600; }
svg.plot .axis-kind { font-size: 11px; fill: #6b7382; }
svg.plot .legend-text { font-size: 12px; }
svg.plot .callout { font-size: 12px; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
svg.plot .pt { fill: #3b6fb6; fill-opacity: 0.75; stroke: #3b6fb6; stroke-width: 1.2; }
svg.plot .pt.hollow { fill: #fff; fill-opacity: 1; }
svg.plot .best-ring { fill: none; stroke: #111; stroke-width: 2; }
svg.plot .running-best { fill: none; stroke: #e8590c; stroke-width: 2; }
svg.plot .pc { fill: none; stroke-width: 1.3; }
svg.plot .pc-halo { fill: none; stroke: #fff; stroke-width: 6; stroke-opacity: 0.9; }
svg.plot .pc-best { fill: none; stroke: #111; stroke-width: 2.6; }
svg.plot .imp-track { fill: #f0f2f5; }
svg.plot .imp-bar { fill: #3b6fb6; }
svg.plot .imp-name { font-size: 13px; font-weight: 600; }
svg.plot .imp-value { font-size: 13px; font-weight: 600; }
svg.plot .imp-detail { font-size: 12px; fill: #4a5260; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 12px; color: #4a5260; margin: 6px 0 0; }
.legend i { display: inline-block; vertical-align: middle; margin-right: 4px; }
.legend .dot { width: 9px; height: 9px; border-radius: 50%; background: #3b6fb6; border: 1.2px solid #3b6fb6; }
.legend .dot.hollow { background: #fff; }
.legend .line { width: 20px; height: 0; border-top: 2px solid #e8590c; }
.legend .ring { width: 12px; height: 12px; border-radius: 50%; border: 2px solid #111; }
svg.plot .curves path { fill: none; stroke-width: 1.2; stroke-linejoin: round; stroke-linecap: round; }
svg.plot .curve-best { fill: none; stroke: #111; stroke-width: 2.6; stroke-linejoin: round; stroke-linecap: round; }
svg.plot .curve-halo { fill: none; stroke: #fff; stroke-width: 6; stroke-opacity: 0.9; stroke-linejoin: round; }
svg.plot .stop-mark { fill: none; stroke: #c92a2a; stroke-width: 1.6; }
svg.plot .stop-mark.other { stroke: #868e96; }
svg.plot .dots { fill: none; stroke: #3b6fb6; stroke-linecap: round; }
svg.plot .dots.stopped { stroke: #adb5bd; }
svg.plot .stop-marks.many { stroke-opacity: 0.6; }
.small-multiples { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 8px 0; }
.legend .line.shade { border-top-color: #6a00a8; }
.legend .line.black { border-top: 3px solid #111; }
.legend .cross { font-style: normal; color: #c92a2a; font-weight: 700; font-size: 15px; }
.table-wrap { overflow-x: auto; margin-top: 8px; }
table.runs { border-collapse: collapse; font-size: 12.5px; white-space: nowrap; }
table.runs th { text-align: left; font-weight: 600; color: #3a4150; border-bottom: 2px solid #d4d9e1;
  padding: 5px 10px 5px 0; position: sticky; top: 0; background: #fff; }
table.runs td { padding: 3px 10px 3px 0; border-bottom: 1px solid #eef0f3; vertical-align: top; }
table.runs td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.runs td.metric { font-weight: 600; }
table.runs td.bad { color: #a1231b; }
table.runs td.err { color: #a1231b; max-width: 260px; overflow: hidden; text-overflow: ellipsis; }
table.runs th.num { text-align: right; }
table.runs tr.best td { background: #fff7d6; }
table.runs .star { color: #c77800; }
"""


def render_report(result: Any, *, refresh: Optional[float] = None, learning_curves: bool = True) -> str:
    """The sweep as one self-contained HTML page (a string; write it to a ``.html`` file).

    Args:
        result: a :class:`~.api.SweepResult` (what :func:`~.api.load` returns),
            or any object with its attributes: ``id``, ``project``, ``state``,
            ``config`` (a :class:`~.sweepconfig.SweepConfig`) and ``runs``.

        learning_curves: ``False`` leaves out the learning curves and the
            per-parameter charts (a smaller page for a very large sweep).
        refresh: if given, seconds after which a browser reloads the page
            (a ``<meta http-equiv="refresh">``), so a page left open follows a
            running sweep that is re-rendered to the same file.

    Returns:
        The page: inline CSS and SVG, no scripts and nothing to fetch.
    """
    cfg = result.config
    metric = cfg.metric
    params = list(cfg.params)
    rows = _rows(result)
    best = None
    if metric is not None:
        done = [r for r in rows if r.done]
        if done:  # the first of the best, as SweepResult.best_run picks it
            best = done[0]
            for r in done[1:]:
                if is_better(r.metric, best.metric, metric.maximize):
                    best = r
    body = [_header(result, rows, best)]
    if metric is not None:
        body.append('<section><h2>%s over runs</h2><p class="lede">Each run&rsquo;s best %s by run number; '
                    'the line is the best value so far.</p>%s</section>'
                    % (_esc(metric.name), _esc(metric.name), _scatter(rows, metric)))
        if learning_curves:
            body.append('<section><h2>Learning curves</h2><p class="lede">Each run&rsquo;s %s at every step it '
                        'logged it, all runs on one chart.</p>%s</section>'
                        % (_esc(metric.name), _curves(rows, metric, best)))
        body.append('<section><h2>Parameters and %s</h2><p class="lede">One line per finished run through its '
                    'parameter values and its %s, coloured by its rank on %s: dark is better.</p>%s</section>'
                    % (_esc(metric.name), _esc(metric.name), _esc(metric.name), _parallel(params, rows, metric, best)))
        if learning_curves:
            body.append('<section><h2>%s against each parameter</h2><p class="lede">One dot per run that ended: '
                        'its best %s against its value of the parameter; blue: finished runs, grey: runs stopped '
                        'early, at their best value when stopped; the ring is the best run.</p>%s</section>'
                        % (_esc(metric.name), _esc(metric.name), _param_charts(params, rows, metric, best)))
        body.append('<section><h2>Parameter importance</h2>%s</section>' % _importance_view(params, rows, metric))
    else:
        body.append('<p class="note">The sweep has no metric, so there is nothing to plot or rank: '
                    'only the runs are listed.</p>')
    body.append('<section><h2>Runs</h2><p class="lede">Every run in the order it was started%s. Hover an error '
                'for its full text.</p>%s</section>'
                % ("; the best is starred" if best is not None else "", _table(params, rows, metric, best)))
    meta, footer = "", ""
    if refresh is not None:
        if not (isinstance(refresh, (int, float)) and not isinstance(refresh, bool) and math.isfinite(refresh)
                and refresh > 0):
            raise ValueError("refresh must be a positive number of seconds, got %r" % (refresh,))
        meta = '<meta http-equiv="refresh" content="%s">\n' % _num(refresh, 6)
        footer = " It reloads itself every %s s." % _num(refresh, 6)
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n%s'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<title>Sweep %s \u2014 minisweep report</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n%s\n'
            '<footer class="note">Made by minisweep. This page is self-contained: it loads nothing.%s</footer>\n'
            '</main>\n</body>\n</html>\n' % (meta, _esc(result.id), _CSS, "\n".join(body), footer))
