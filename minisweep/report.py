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
    Past :data:`.curves.CURVE_POINT_BUDGET` points in all, each curve is
    *downsampled* to the min/max envelope of equal slices of the x axis
    (see :func:`.curves.downsample`), and the page says so.
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

The page is put together here; its charts are drawn by :mod:`.charts` (scales, the metric over
runs, parallel coordinates, the metric against each parameter, the importance bars) and
:mod:`.curves` (learning curves and their downsampling); :mod:`.importance` computes the ranking
and :mod:`.formatting` writes the numbers.

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

import math
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from . import formatting as fmt
from .charts import clip, esc, html_span, importance_chart, parallel_chart, param_charts, scatter_chart
from .curves import curve, curves_chart, downsample
from .importance import importance
from .runs import DONE_STATES, is_better, is_number

if TYPE_CHECKING:  # (for type checkers only: no import cycle at run time)
    from .api import SweepResult
    from .runs import Run
    from .sweepconfig import Metric, Param

# importance, curve and downsample have their homes in .importance and .curves; they are named here too,
# where they were first published.
__all__ = ["render_report", "importance", "curve", "downsample"]

def _runtime(run: "Run") -> Optional[float]:
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


def _lookup(config: Any, path: Sequence[str]) -> Any:
    """The value at ``path`` in a run's nested config, or ``fmt.MISSING``."""
    node = config
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return fmt.MISSING
        node = node[key]
    return node


class RunRow:
    """One run as the report sees it."""

    __slots__ = ("run", "number", "values", "metric", "metric_text")

    def __init__(self, run: "Run", number: int, values: Dict[str, Any], metric: Optional[float],
                 metric_text: str) -> None:
        self.run = run
        self.number = number
        self.values = values
        self.metric = metric            # a finite value, or None
        self.metric_text = metric_text  # what the table shows

    @property
    def done(self) -> bool:
        return self.run.state in DONE_STATES and self.metric is not None


def _metric_of(run: "Run", metric: "Metric") -> Tuple[Optional[float], str]:
    """A run's best finite metric value, and its text (``nan`` when only non-finite values were logged)."""
    value = run.best(metric.name, metric.maximize)
    if value is not None:
        return float(value), fmt.number(value, 6)
    raw = run.summary.get(metric.name, fmt.MISSING)
    if raw is fmt.MISSING:
        for row in reversed(run.history):
            if metric.name in row:
                raw = row[metric.name]
                break
    return None, ("" if raw is fmt.MISSING else fmt.text(raw, 6))


def _rows(result: "SweepResult") -> List[RunRow]:
    metric = result.config.metric
    rows = []
    for position, run in enumerate(result.runs):
        number = run.index + 1 if isinstance(run.index, int) else position + 1
        values = {p.name: _lookup(run.config, p.path) for p in result.config.params}
        value, text = _metric_of(run, metric) if metric is not None else (None, "")
        rows.append(RunRow(run, number, values, value, text))
    return rows


def _header(result: "SweepResult", rows: List[RunRow], best: Optional[RunRow]) -> str:
    cfg = result.config
    metric = cfg.metric
    counts: Dict[str, int] = {}
    for row in rows:
        counts[row.run.state] = counts.get(row.run.state, 0) + 1
    chips = " ".join('<span class="state s-%s">%s %d</span>' % (esc(s), esc(s), c)
                     for s, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) or "none yet"
    facts = [("project", esc(result.project)), ("method", esc(cfg.method))]
    if metric is not None:
        facts.append(("metric", "%s <span class=\"muted\">(%s)</span>" % (esc(metric.name), esc(metric.goal))))
    else:
        facts.append(("metric", '<span class="muted">none configured</span>'))
    if cfg.early_terminate is not None:
        facts.append(("early stopping", "hyperband"))
    facts.append(("state", esc(result.state)))
    facts.append(("runs", "%d &nbsp; %s" % (len(rows), chips)))
    if cfg.prior_runs:  # earlier sweeps' runs the search counts (see priorruns.py)
        sweeps = sorted({r.info.get("sweep") or "?" for r in cfg.prior_runs})
        facts.append(("prior runs", "%d, from sweep%s %s <span class=\"muted\">(the search counts them; they are "
                      "not in this sweep's table)</span>" % (len(cfg.prior_runs), "" if len(sweeps) == 1 else "s",
                                                            esc(", ".join(sweeps)))))
    out = ['<header><h1>Sweep <code>%s</code></h1>' % esc(result.id)]
    if getattr(cfg, "name", None):
        out.append('<p class="sub">%s</p>' % esc(cfg.name))
    out.append('<dl class="facts">%s</dl>' % "".join("<dt>%s</dt><dd>%s</dd>" % f for f in facts))
    if best is not None:
        items = "".join("<dt>%s</dt><dd>%s</dd>" % (esc(p.name), html_span(fmt.text(best.values[p.name], 8), 80))
                        for p in cfg.params)
        out.append('<div class="best-card"><div class="best-title">Best run <code>%s</code> (run %d): '
                   '%s = <b>%s</b></div><dl class="facts">%s</dl></div>'
                   % (esc(best.run.id), best.number, esc(metric.name), esc(best.metric_text), items))
    elif metric is not None:
        out.append('<p class="note">No run has finished with a value of %s yet.</p>' % esc(metric.name))
    out.append("</header>")
    return "\n".join(out)


def _meta_label(run: "Run") -> str:
    """The run's name (``init(name=...)``) after its id, when it has one."""
    name = (run.info or {}).get("name")
    return ' <span class="run-name">%s</span>' % html_span(str(name), 32) if name else ""


def _meta_title(run: "Run") -> str:
    """The run's group, tags and notes as the id cell's tooltip."""
    info = run.info or {}
    parts = []
    for key in ("group", "tags", "notes"):
        value = info.get(key)
        if value:
            parts.append("%s: %s" % (key, ", ".join(map(str, value)) if isinstance(value, list) else value))
    return ' title="%s"' % esc("\n".join(parts)) if parts else ""


def _table(params: "Sequence[Param]", rows: List[RunRow], metric: "Metric", best: Optional[RunRow]) -> str:
    head = ["run", "state", "runtime"] + [p.name for p in params]
    if metric is not None:
        head.append("%s (best)" % metric.name)
    head.append("error / note")
    out = ['<div class="table-wrap"><table class="runs"><thead><tr>']
    numeric = [False, False, True] + [bool(rows) and all(is_number(r.values[p.name]) for r in rows) for p in params]
    numeric += [True, False] if metric is not None else [False]
    out += ['<th%s>%s</th>' % (' class="num"' if n else "", html_span(h, 32)) for h, n in zip(head, numeric)]
    out.append("</tr></thead><tbody>")
    for r in rows:
        run = r.run
        is_best = best is not None and r is best
        cells = ['<td class="id"%s>%s<code>%s</code>%s</td>'
                 % (_meta_title(run), '<span class="star" title="best run">\u2605</span> ' if is_best else "",
                    esc(run.id), _meta_label(run)),
                 '<td><span class="state s-%s">%s</span></td>' % (esc(run.state), esc(run.state)),
                 '<td class="num">%s</td>' % fmt.duration(_runtime(run), "page")]
        for p in params:
            v = r.values[p.name]
            cls = "num" if is_number(v) else ""
            cells.append('<td class="%s">%s</td>' % (cls, html_span(fmt.text(v), 40)))
        if metric is not None:
            text = r.metric_text or "\u2014"
            cells.append('<td class="num metric%s">%s</td>' % (" bad" if r.metric is None and r.metric_text else "",
                                                                html_span(text, 24)))
        error = (run.info or {}).get("error")
        if error:
            full = str(error)
            if len(full) > 2000:
                full = "\u2026" + full[-2000:]
            line, _ = clip(_last_line(full), 64)
            cells.append('<td class="err" title="%s">%s</td>' % (esc(full), esc(line)))
        else:
            cells.append("<td></td>")
        out.append('<tr%s>%s</tr>' % (' class="best"' if is_best else "", "".join(cells)))
    out.append("</tbody></table></div>")
    if not rows:
        out.append('<p class="note">No runs yet.</p>')
    return "\n".join(out)


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


def render_report(result: "SweepResult", *, refresh: Optional[float] = None, learning_curves: bool = True) -> str:
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
                    % (esc(metric.name), esc(metric.name), scatter_chart(rows, metric)))
        if learning_curves:
            body.append('<section><h2>Learning curves</h2><p class="lede">Each run&rsquo;s %s at every step it '
                        'logged it, all runs on one chart.</p>%s</section>'
                        % (esc(metric.name), curves_chart(rows, metric, best)))
        body.append('<section><h2>Parameters and %s</h2><p class="lede">One line per finished run through its '
                    'parameter values and its %s, coloured by its rank on %s: dark is better.</p>%s</section>'
                    % (esc(metric.name), esc(metric.name), esc(metric.name), parallel_chart(params, rows, metric, best)))
        if learning_curves:
            body.append('<section><h2>%s against each parameter</h2><p class="lede">One dot per run that ended: '
                        'its best %s against its value of the parameter; blue: finished runs, grey: runs stopped '
                        'early, at their best value when stopped; the ring is the best run.</p>%s</section>'
                        % (esc(metric.name), esc(metric.name), param_charts(params, rows, metric, best)))
        body.append('<section><h2>Parameter importance</h2>%s</section>' % importance_chart(params, rows, metric))
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
        meta = '<meta http-equiv="refresh" content="%s">\n' % fmt.number(refresh, 6)
        footer = " It reloads itself every %s s." % fmt.number(refresh, 6)
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n%s'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<title>Sweep %s \u2014 minisweep report</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n%s\n'
            '<footer class="note">Made by minisweep. This page is self-contained: it loads nothing.%s</footer>\n'
            '</main>\n</body>\n</html>\n' % (meta, esc(result.id), _CSS, "\n".join(body), footer))
