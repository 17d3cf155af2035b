"""The report's charts, drawn as inline SVG: scales, and every chart but the learning curves.

Each chart is a function from the report's rows (:class:`.report.RunRow`: a run, its parameter values
and its best metric value) to an SVG string; the page (:mod:`.report`) puts them together.  Every text
that comes from a config, a run or an error goes through :func:`esc`.  A :class:`Scale` maps data to
pixels, linear or logarithmic, with "nice" ticks; :func:`rank_colour` colours a run by its rank on the
metric (dark is better), so that a few very bad runs cannot wash out the rest.  The learning curves,
which must stay small for sweeps of many long runs, are in :mod:`.curves`.
"""

import html
import math
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from . import formatting as fmt
from .distributions import is_log_scale
from .importance import average_ranks, importance, is_numeric_param

if TYPE_CHECKING:  # (for type checkers only: the report imports this module)
    from .report import RunRow
    from .sweepconfig import Metric, Param

__all__ = ["esc", "clip", "html_span", "svg_text", "Scale", "metric_is_log", "rank_colour", "axis_left", "axis_bottom",
           "scatter_chart", "parallel_chart", "param_charts", "importance_chart", "ordered_categories"]


# Plasma (matplotlib's perceptually uniform map) from 0.0 to 0.9, without its
# pale yellow end, which vanishes on white.  Index 0 is the best run's colour.
_PALETTE = ((13, 8, 135), (65, 4, 157), (106, 0, 168), (143, 13, 164), (177, 42, 144),
            (204, 71, 120), (225, 100, 98), (242, 132, 75), (252, 166, 54), (252, 206, 37))


def esc(value: Any) -> str:
    """``value`` as text safe in HTML content and in quoted attributes (SVG's too)."""
    return html.escape(str(value), quote=True)


def clip(text: str, limit: int) -> Tuple[str, bool]:
    """``text`` cut to ``limit`` characters (ending in an ellipsis), and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return text[:max(limit - 1, 1)] + "\u2026", True


def html_span(text: str, limit: int, cls: str = "") -> str:
    """Escaped HTML for ``text``, cut to ``limit`` with the full text in a tooltip."""
    shown, cut = clip(text, limit)
    attrs = ' class="%s"' % cls if cls else ""
    if cut:
        attrs += ' title="%s"' % esc(text)
    return "<span%s>%s</span>" % (attrs, esc(shown))


def svg_text(x: float, y: float, text: str, limit: int = 1000, cls: str = "", anchor: str = "",
              extra: str = "") -> str:
    """An SVG ``<text>``, cut to ``limit`` characters with the full text in a ``<title>``."""
    shown, cut = clip(text, limit)
    attrs = ' x="%.1f" y="%.1f"' % (x, y)
    if cls:
        attrs += ' class="%s"' % cls
    if anchor:
        attrs += ' text-anchor="%s"' % anchor
    title = "<title>%s</title>" % esc(text) if cut else ""
    return "<text%s%s>%s%s</text>" % (attrs, extra, title, esc(shown))


def ordered_categories(param: "Param", values: Sequence[Any]) -> List[Any]:
    """The distinct values, in the config's order, then any others in order of first appearance."""
    seen: Dict[str, Any] = {}
    for v in list(param.values or []) + list(values):
        seen.setdefault(fmt.group_key(v), v)
    present = {fmt.group_key(v) for v in values}
    return [v for k, v in seen.items() if k in present]


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


class Scale:
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


def metric_is_log(values: Sequence[float]) -> bool:
    """A log axis for the metric when every value is positive and they span two decades or more."""
    return bool(values) and min(values) > 0 and max(values) / min(values) >= 100


def rank_colour(goodness: float) -> str:
    """The palette's colour for ``goodness`` in [0, 1]: 1 (best) is dark blue, 0 (worst) orange."""
    position = min(max(1.0 - goodness, 0.0), 1.0) * (len(_PALETTE) - 1)
    i = min(int(position), len(_PALETTE) - 2)
    f = position - i
    a, b = _PALETTE[i], _PALETTE[i + 1]
    return "#%02x%02x%02x" % tuple(int(round(a[k] + (b[k] - a[k]) * f)) for k in range(3))


def axis_left(scale: Scale, x: float, x2: float, grid: bool, digits: int = 4) -> List[str]:
    """A vertical axis at ``x`` with tick labels on its left (and grid lines to ``x2``)."""
    out = ['<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>' % (x, scale.start, x, scale.end)]
    for t in scale.ticks:
        y = scale(t)
        if grid:
            out.append('<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>' % (x, y, x2, y))
        out.append('<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>' % (x - 4, y, x, y))
        out.append(svg_text(x - 7, y + 4, fmt.number(t, digits), cls="tick", anchor="end"))
    return out


def axis_bottom(scale: Scale, y: float, x1: float, x2: float) -> List[str]:
    """A horizontal axis at ``y`` from ``x1`` to ``x2`` with tick labels below it."""
    out = ['<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>' % (x1, y, x2, y)]
    for t in scale.ticks:
        x = scale(t)
        out.append('<line class="axis" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x, y, x, y + 4))
        out.append(svg_text(x, y + 18, fmt.number(t), cls="tick", anchor="middle"))
    return out


def scatter_chart(rows: "List[RunRow]", metric: "Metric") -> str:
    """The metric of each done run against its run number, with the running best."""
    done = sorted((r for r in rows if r.done), key=lambda r: r.number)
    if not done:
        return '<p class="note">No finished run with a finite value of %s yet.</p>' % esc(metric.name)
    width, height = 1000, 360
    left, right, top, bottom = 78, 24, 16, 48
    values = [r.metric for r in done]
    log = metric_is_log(values)
    ys = Scale(values, height - bottom, top, log=log)
    xs = Scale([1] + [r.number for r in done], left, width - right, count=10, integer=True)
    xs.lo = max(xs.lo, 0)
    xs.ticks = [t for t in xs.ticks if t >= xs.lo]
    out = ['<svg class="plot" viewBox="0 0 %d %d" width="%d" height="%d" role="img">' % (width, height, width, height),
           '<title>%s over runs</title>' % esc(metric.name)]
    out += axis_left(ys, left, width - right, grid=True)
    base = height - bottom
    out += axis_bottom(xs, base, left, width - right)
    out.append(svg_text((left + width - right) / 2, height - 8, "run number", cls="label", anchor="middle"))
    label = metric.name + (" (log scale)" if ys.log else "")
    out.append(svg_text(16, (top + base) / 2, label, limit=48, cls="label", anchor="middle",
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
                   % (cls, xs(r.number), ys(r.metric), radius, r.number, esc(r.run.id), esc(r.run.state),
                      esc(r.metric_text)))
    bx, by = xs(best.number), ys(best.metric)
    out.append('<circle class="best-ring" cx="%.1f" cy="%.1f" r="8"/>' % (bx, by))
    anchor = "end" if bx > width * 0.75 else "start"
    out.append(svg_text(bx + (-12 if anchor == "end" else 12), by - 14,
                         "best: %s = %s" % (best.run.id, best.metric_text),
                         limit=60, cls="callout", anchor=anchor))
    out.append("</svg>")
    legend = ('<div class="legend"><span><i class="dot"></i> finished</span>'
              '<span><i class="dot hollow"></i> stopped early by hyperband</span>'
              '<span><i class="line"></i> running best (%s)</span>'
              '<span><i class="ring"></i> best run</span></div>' % ("max" if metric.maximize else "min"))
    return legend + '<div class="figure">%s</div>' % "\n".join(out)


def parallel_chart(params: "Sequence[Param]", rows: "List[RunRow]", metric: "Metric", best: "Optional[RunRow]") -> str:
    """Parallel coordinates: one axis per varying parameter and one for the metric."""
    done = [r for r in rows if r.done]
    if len(done) < 2:
        return '<p class="note">Parallel coordinates need at least two finished runs with a value of %s.</p>' % (
            esc(metric.name))
    constant, axes_params = [], []
    for p in params:
        seen = {fmt.group_key(r.values[p.name]) for r in done}
        if len(seen) <= 1:
            constant.append((p, done[0].values[p.name]))
        else:
            axes_params.append(p)
    # runs missing a numeric parameter cannot be placed on its axis
    numeric = {p.name: is_numeric_param(p, [r.values[p.name] for r in done if r.values[p.name] is not fmt.MISSING])
               for p in axes_params}
    drawn = [r for r in done if all(not numeric[p.name] or r.values[p.name] is not fmt.MISSING for p in axes_params)]
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
            scale = Scale(floats, bottom, top, log=is_log_scale(p), integer=integer)
            parts += axis_left(scale, x, x, grid=False)

            def position(v: Any, scale: Scale = scale) -> float:
                return scale(float(v))
            kind = "log" if scale.log else ""
        else:
            cats = ordered_categories(p, values)
            slot = {fmt.group_key(c): j for j, c in enumerate(cats)}
            k = len(cats)

            def position(v: Any, slot: Dict[str, int] = slot, k: int = k) -> float:
                return top + (slot[fmt.group_key(v)] + 0.5) / k * plot_h
            parts.append('<line class="axis" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x, top, x, bottom))
            every = max(1, int(math.ceil(k / 24.0)))  # at most ~24 labels on an axis
            for j, c in enumerate(cats):
                y = top + (j + 0.5) / k * plot_h
                parts.append('<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>' % (x - 4, y, x + 4, y))
                if j % every == 0:
                    parts.append(svg_text(x - 7, y + 4, fmt.text(c), limit=min(18, label_chars), cls="tick",
                                           anchor="end"))
            kind = "categories"
        axes.append((x, p.name, position, parts, kind))
    mvalues = [r.metric for r in drawn]
    mscale = Scale(mvalues, bottom, top, log=metric_is_log(mvalues))
    mx = left + (count - 1) * spacing
    mparts = ['<line class="axis" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (mx, top, mx, bottom)]
    for t in mscale.ticks:
        y = mscale(t)
        mparts.append('<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>' % (mx, y, mx + 4, y))
        mparts.append(svg_text(mx + 7, y + 4, fmt.number(t), cls="tick", anchor="start"))
    axes.append((mx, metric.name, mscale, mparts, ("log, " if mscale.log else "") + metric.goal))

    # Colour by rank, not value: a few very bad runs would otherwise squeeze every good run into one shade.
    order = sorted(drawn, key=lambda r: -r.metric if metric.maximize else r.metric)
    ranks = average_ranks([-r.metric if metric.maximize else r.metric for r in drawn])
    goodness_of = {id(r): 1.0 - (rank - 1) / (len(drawn) - 1.0) for r, rank in zip(drawn, ranks)}

    def goodness(r: "RunRow") -> float:
        return goodness_of[id(r)]

    many = len(drawn) > 150
    opacity = 0.85 if len(drawn) <= 50 else (0.55 if len(drawn) <= 300 else 0.35)
    out = ['<svg class="plot" viewBox="0 0 %d %d" width="%d" height="%d" role="img">' % (width, height, width, height),
           '<title>Parallel coordinates of the parameters and %s</title>' % esc(metric.name)]
    lines = []
    for r in sorted(drawn, key=goodness):  # worst first: the best end up on top
        if best is not None and r is best:
            continue
        points = " ".join("%.1f,%.1f" % (x, position(r.metric if i == count - 1 else r.values[name]))
                          for i, (x, name, position, _, _) in enumerate(axes))
        title = "" if many else "<title>%s: %s</title>" % (esc(r.run.id), esc(r.metric_text))
        lines.append('<polyline class="pc" points="%s" stroke="%s">%s</polyline>'
                     % (points, rank_colour(goodness(r)), title))
    out.append('<g class="pc-lines" stroke-opacity="%.2f">%s</g>' % (opacity, "".join(lines)))
    if best is not None and best in drawn:
        points = " ".join("%.1f,%.1f" % (x, position(best.metric if i == count - 1 else best.values[name]))
                          for i, (x, name, position, _, _) in enumerate(axes))
        out.append('<polyline class="pc-halo" points="%s"/>' % points)
        out.append('<polyline class="pc-best" points="%s"><title>best run %s: %s</title></polyline>'
                   % (points, esc(best.run.id), esc(best.metric_text)))
    for x, name, _, parts, kind in axes:
        out.extend(parts)
        out.append(svg_text(x, top - 30, name, limit=label_chars, cls="axis-name", anchor="middle"))
        if kind:
            out.append(svg_text(x, top - 14, "(%s)" % kind, cls="axis-kind", anchor="middle"))
    # the colour legend: best to worst, left to right, with the values at the ends and the median
    lx, ly, lw = left, bottom + 44, 260
    stops = "".join('<stop offset="%.1f" stop-color="%s"/>' % (j / 10.0, rank_colour(1.0 - j / 10.0)) for j in range(11))
    out.append('<defs><linearGradient id="ms-metric-scale">%s</linearGradient></defs>' % stops)
    out.append('<rect x="%d" y="%d" width="%d" height="12" fill="url(#ms-metric-scale)"/>' % (lx, ly, lw))
    out.append(svg_text(lx, ly - 6, "colour: rank by %s, best \u2192 worst" % metric.name, limit=60,
                         cls="legend-text"))
    median = order[(len(order) - 1) // 2].metric
    for fx, value, anchor in ((0, order[0].metric, "start"), (0.5, median, "middle"), (1, order[-1].metric, "end")):
        out.append(svg_text(lx + lw * fx, ly + 27, fmt.number(value), cls="tick", anchor=anchor))
    if best is not None and best in drawn:
        bx = lx + lw + 50
        out.append('<line class="pc-best" x1="%d" y1="%d" x2="%d" y2="%d"/>' % (bx, ly + 6, bx + 34, ly + 6))
        out.append(svg_text(bx + 42, ly + 10, "best run %s" % best.run.id, limit=40, cls="legend-text"))
    out.append("</svg>")
    notes = []
    if constant:
        items = ", ".join("%s = %s" % (esc(p.name), html_span(fmt.text(v), 40)) for p, v in constant)
        notes.append("Not shown, the same in every run: %s." % items)
    skipped = len(done) - len(drawn)
    if skipped:
        notes.append("%d run%s without a value for every numeric parameter %s left out."
                     % (skipped, "" if skipped == 1 else "s", "is" if skipped == 1 else "are"))
    if not axes_params:
        notes.append("No parameter varied between the finished runs.")
    note = "".join('<p class="note">%s</p>' % n for n in notes)
    return '<div class="figure">%s</div>%s' % ("\n".join(out), note)


def importance_chart(params: "Sequence[Param]", rows: "List[RunRow]", metric: "Metric") -> str:
    done = [r for r in rows if r.done]
    log = metric_is_log([r.metric for r in done])
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
        % (esc(metric.name), " (on a log scale)" if log else ""))
    n = len(samples)
    if n < 3:
        return ('<p class="note">Importance needs at least three finished runs with a value of %s; '
                'there %s %d.</p>' % (esc(metric.name), "is" if n == 1 else "are", n)) + explain
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
           '<title>Parameter importance for %s</title>' % esc(metric.name)]
    out.append(svg_text(name_w + 10, 14, "share of the variance explained beyond chance", cls="axis-kind"))
    out.append(svg_text(name_w + bar_w + 70, 14, "direction", cls="axis-kind"))
    for i, r in enumerate(ranking):
        y = 24 + i * row_h
        out.append(svg_text(name_w, y + 15, r.name, limit=26, cls="imp-name", anchor="end"))
        out.append('<rect class="imp-track" x="%d" y="%d" width="%d" height="16"/>' % (name_w + 10, y + 3, bar_w))
        out.append('<rect class="imp-bar" x="%d" y="%d" width="%.1f" height="16"><title>eta\u00b2 %.3f, '
                   'chance-corrected %.3f, %d groups of %d runs</title></rect>'
                   % (name_w + 10, y + 3, max(bar_w * r.score, 1.5), r.eta2, r.score, r.groups, r.runs))
        out.append(svg_text(name_w + bar_w + 18, y + 15, "%.0f%%" % (100 * r.score), cls="imp-value"))
        if r.rho is not None:
            word = "higher" if r.rho > 0 else "lower"
            if abs(r.rho) < 0.2:
                detail = "no clear direction (\u03c1 %+.2f)" % r.rho
            else:
                good = (r.rho > 0) == metric.maximize
                detail = "higher \u2192 %s %s, %s (\u03c1 %+.2f)" % (
                    word, metric.name, "better" if good else "worse", r.rho)
        elif r.best_group is not None:
            detail = "best on average: %s" % fmt.text(r.best_group)
        else:
            detail = ""
        out.append(svg_text(name_w + bar_w + 70, y + 15, detail, limit=56, cls="imp-detail"))
    out.append("</svg>")
    return caution + '<div class="figure">%s</div>' % "\n".join(out) + explain


def _jitter(number: int) -> float:
    """A fixed pseudo-random offset in [-0.5, 0.5) for a run number (the same on every render)."""
    return ((number * 2654435761) % 1000) / 1000.0 - 0.5


def param_charts(params: "Sequence[Param]", rows: "List[RunRow]", metric: "Metric", best: "Optional[RunRow]") -> str:
    """One small chart per varying parameter: each finished run's metric against its value."""
    done = [r for r in rows if r.done]
    if len(done) < 2:
        return '<p class="note">These charts need at least two finished runs with a value of %s.</p>' % (
            esc(metric.name))
    values = [r.metric for r in done]
    log = metric_is_log(values)
    width, height = 340, 230
    left, right, top, bottom = 62, 14, 26, 42
    charts = []
    for p in params:
        present = [r for r in done if r.values[p.name] is not fmt.MISSING]
        if len({fmt.group_key(r.values[p.name]) for r in present}) < 2:
            continue
        ys = Scale([r.metric for r in present], height - bottom, top, log=log, count=4)
        xvals = [r.values[p.name] for r in present]
        out = ['<svg class="plot small" viewBox="0 0 %d %d" width="%d" height="%d" role="img">'
               % (width, height, width, height),
               '<title>%s against %s</title>' % (esc(metric.name), esc(p.name))]
        out += axis_left(ys, left, width - right, grid=True, digits=3)
        base = height - bottom
        out.append('<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>' % (left, base, width - right, base))
        if is_numeric_param(p, xvals):
            integer = all(isinstance(v, int) for v in xvals)
            xs = Scale([float(v) for v in xvals], left + 6, width - right - 6, log=is_log_scale(p), count=4,
                        integer=integer)
            ticks = xs.ticks if len(xs.ticks) <= 6 else xs.ticks[::2]
            for t in ticks:
                x = xs(t)
                out.append('<line class="axis" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x, base, x, base + 4))
                out.append(svg_text(x, base + 16, fmt.number(t, 3), cls="tick", anchor="middle"))

            # a parameter with few distinct values (layers: 1..8) stacks its runs in columns: spread them
            distinct = sorted({xs(float(v)) for v in xvals})
            gap = min((b - a for a, b in zip(distinct, distinct[1:])), default=0.0) if len(distinct) <= 16 else 0.0
            spread = min(gap * 0.5, 24.0)

            def place(r: "RunRow", xs: Scale = xs, spread: float = spread) -> float:
                return xs(float(r.values[p.name])) + spread * _jitter(r.number)
            kind = " (log scale)" if xs.log else ""
        else:
            cats = ordered_categories(p, xvals)
            slot = {fmt.group_key(c): j for j, c in enumerate(cats)}
            k = len(cats)
            span = (width - right - left) / float(k)
            every = max(1, int(math.ceil(k / 6.0)))
            for j, c in enumerate(cats):
                x = left + (j + 0.5) * span
                out.append('<line class="axis" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x, base, x, base + 4))
                if j % every == 0:
                    out.append(svg_text(x, base + 16, fmt.text(c), limit=max(4, int(span * every / 7)),
                                         cls="tick", anchor="middle"))

            def place(r: "RunRow", slot: Dict[str, int] = slot, span: float = span) -> float:
                # spread the runs of one category sideways (a fixed jitter by run number) so they can be counted
                return left + (slot[fmt.group_key(r.values[p.name])] + 0.5 + 0.6 * _jitter(r.number)) * span
            kind = ""
        out.append(svg_text((left + width - right) / 2, height - 6, p.name + kind, limit=44, cls="label",
                             anchor="middle"))
        out.append(svg_text(left - 4, top - 12, metric.name + (" (log scale)" if ys.log else ""), limit=40,
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
                       '</circle>' % (place(best), ys(best.metric), esc(best.run.id), esc(p.name),
                                      esc(fmt.text(best.values[p.name]))))
        out.append("</svg>")
        charts.append("\n".join(out))
    if not charts:
        return '<p class="note">No parameter varied between the finished runs.</p>'
    return '<div class="small-multiples">%s</div>' % "".join(charts)
