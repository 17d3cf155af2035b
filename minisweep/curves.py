"""Learning curves: every run's metric at each step it logged it, on one chart, kept small.

:func:`curve` reads a run's curve from its history (x is ``_step`` when every row that holds the metric
has one, else the iteration, as hyperband counts); :func:`curves_chart` draws all of them, coloured by
the rank of their best value, the best run in black on top, a cross where hyperband (or anything else)
stopped a run.  A sweep of thousands of long runs would make a page of hundreds of megabytes, so past
:data:`CURVE_POINT_BUDGET` points in all each curve is cut to the min/max envelope of equal slices of the
x axis (:func:`downsample`): peaks and dips survive, and the page says so.
"""

import math
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

from . import formatting as fmt
from .charts import Scale, axis_bottom, axis_left, clip, esc, metric_is_log, rank_colour, svg_text
from .runs import is_number

if TYPE_CHECKING:  # (for type checkers only: the report imports this module)
    from .report import RunRow
    from .runs import Run
    from .sweepconfig import Metric

__all__ = ["CURVE_POINT_BUDGET", "TITLED_RUNS", "curve", "downsample", "curves_chart", "stop_reason"]


#: Points drawn for all learning curves together, at most; beyond it curves are downsampled.
CURVE_POINT_BUDGET = 150000


#: Runs at or below which each curve and dot gets its own hover text.
TITLED_RUNS = 150


def stop_reason(run: "Run") -> Optional[str]:
    """Why a run in state ``stopped`` was stopped (its recorded reason), else ``None``."""
    if run.state != "stopped":
        return None
    reason = (run.info or {}).get("error")
    return str(reason) if reason else "stopped early"


def _by_hyperband(reason: Optional[str]) -> bool:
    return bool(reason) and str(reason).startswith("hyperband")


def _curve_x_kind(rows: "Sequence[RunRow]", name: str) -> str:
    """``"step"`` when every row that logged the metric also has a numeric ``_step``, else ``"iteration"``."""
    seen = False
    for r in rows:
        for row in r.run.history:
            if is_number(row.get(name)):
                seen = True
                if not is_number(row.get("_step")):
                    return "iteration"
    return "step" if seen else "iteration"


def curve(run: "Run", name: str, x_kind: str = "iteration") -> List[Tuple[float, float]]:
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


def curves_chart(rows: "List[RunRow]", metric: "Metric", best: "Optional[RunRow]") -> str:
    """Every run's metric over its steps on one chart: best in black, hyperband stops marked."""
    x_kind = _curve_x_kind(rows, metric.name)
    curves = [(r, curve(r.run, metric.name, x_kind)) for r in rows]
    curves = [(r, pts if x_kind == "iteration" or _ascending(pts) else sorted(pts, key=lambda p: p[0]))
              for r, pts in curves if pts]  # (W&B's _step only grows; a run that logged out of order is sorted)
    if not curves:
        return '<p class="note">No run has logged a finite value of %s yet.</p>' % esc(metric.name)
    width, height = 1000, 420
    left, right, top, bottom = 78, 24, 16, 48
    all_y = [y for _, pts in curves for _, y in pts]
    all_x = [x for _, pts in curves for x, _ in pts]
    log = metric_is_log(all_y)
    ys = Scale(all_y, height - bottom, top, log=log)
    integer = all(float(x) == int(x) for x in all_x)
    xs = Scale(all_x, left, width - right, count=10, integer=integer)
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
    titled = n <= TITLED_RUNS
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
        reason = stop_reason(r.run)
        if reason is not None:
            marks.append((r, pts[-1][0], px[-1], reason))
        if best is not None and r is best:
            best_curve = (r, px)
            continue
        title = ""
        if titled:
            title = "<title>run %d %s (%s): best %s</title>" % (r.number, esc(r.run.id), esc(r.run.state),
                                                                 esc(r.metric_text))
        shade = min(9, rank * 10 // n)
        shades[shade].append('<path data-run="%s" d="%s">%s</path>' % (esc(r.run.id), _path(px), title))
    opacity = 0.9 if n <= 20 else (0.6 if n <= 200 else (0.35 if n <= 1000 else 0.22))
    out = ['<svg class="plot" viewBox="0 0 %d %d" width="%d" height="%d" role="img">' % (width, height, width, height),
           '<title>%s over the steps of each run</title>' % esc(metric.name)]
    out += axis_left(ys, left, width - right, grid=True)
    base = height - bottom
    out += axis_bottom(xs, base, left, width - right)
    xlabel = "step (_step)" if x_kind == "step" else "iteration (the n-th value of %s each run logged)" % metric.name
    out.append(svg_text((left + width - right) / 2, height - 8, xlabel, limit=80, cls="label", anchor="middle"))
    label = metric.name + (" (log scale)" if ys.log else "")
    out.append(svg_text(16, (top + base) / 2, label, limit=48, cls="label", anchor="middle",
                         extra=' transform="rotate(-90 16 %.1f)"' % ((top + base) / 2)))
    for shade in range(9, -1, -1):  # worst first: the better runs end up on top
        if shades[shade]:
            out.append('<g class="curves" stroke="%s" stroke-opacity="%.2f">%s</g>'
                       % (rank_colour(1.0 - (shade + 0.5) / 10.0), opacity, "".join(shades[shade])))
    if marks:
        out.append(_stop_marks(marks, x_kind))
    if best_curve is not None:
        r, px = best_curve
        d = _path(px)
        out.append('<path class="curve-halo" d="%s"/>' % d)
        out.append('<path class="curve-best" data-run="%s" d="%s"><title>best run %s: %s = %s</title></path>'
                   % (esc(r.run.id), d, esc(r.run.id), esc(metric.name), esc(r.metric_text)))
        ex, ey = px[-1]
        anchor = "end" if ex > width * 0.7 else "start"
        out.append(svg_text(ex + (-8 if anchor == "end" else 8), ey - 10, "best: %s" % r.run.id, limit=40,
                             cls="callout", anchor=anchor))
    out.append("</svg>")
    legend = ['<div class="legend"><span><i class="line shade"></i> one line per run, coloured by the rank of its '
              'best %s (dark: better)</span>' % esc(metric.name)]
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


def _stop_marks(marks: "Sequence[Tuple[RunRow, float, Tuple[int, int], str]]", x_kind: str) -> str:
    """A cross where each stopped run's curve ends; one path per run, or, for many, one path in all."""
    unit = "step" if x_kind == "step" else "iteration"
    if len(marks) <= TITLED_RUNS:
        parts = []
        for r, step, (x, y), reason in marks:
            parts.append('<path class="stop-mark%s" data-run="%s" data-step="%s" d="M%d %dl8 8m0 -8l-8 8">'
                         '<title>run %s stopped at %s %s: %s</title></path>'
                         % ("" if _by_hyperband(reason) else " other", esc(r.run.id), esc(fmt.number(step, 12)),
                            x - 4, y - 4, esc(r.run.id), unit, fmt.number(step), esc(clip(reason, 300)[0])))
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
