"""render_report: the page's structure (not its pixels), escaping, edge cases, and the importance ranking."""

import html.parser
import math
import os
import random
import re
import unittest

import minisweep
from minisweep.api import SweepResult
from minisweep.importance import importance
from minisweep.report import render_report
from minisweep.runs import Run
from minisweep.sweepconfig import parse_config
from tests.support import CommandLineTest, warnings_are_errors

HOSTILE = "<script>alert(1)</script>"
HOSTILE_METRIC = "loss & \"quoted\" 'too' <b>"
TRACEBACK = "Traceback (most recent call last):\n  ...\nValueError: bad <input> & \"x\"\n"


class FakeResult(SweepResult):
    """A SweepResult built in memory: the real best_run() and counts(), no store."""

    def __init__(self, config, runs, id="sw1", project="proj", state="finished"):
        self.id = id
        self.project = project
        self.entity = None
        self.seed = 0
        self.path = None
        self.config = parse_config(config, warn=False)
        self.state = state
        self.runs = list(runs)


def config(metric="loss", goal="minimize", **extra):
    cfg = {
        "method": "random",
        "parameters": {
            "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
            "layers": {"distribution": "int_uniform", "min": 1, "max": 8},
            "optimizer": {"values": ["adam", "sgd", HOSTILE]},
            "dropout": {"min": 0.0, "max": 0.5},
            "model": {"parameters": {"act": {"value": "relu"}}},
        },
    }
    if metric is not None:
        cfg["metric"] = {"name": metric, "goal": goal}
    cfg.update(extra)
    return cfg


def make_runs(n, metric="loss", seed=0, failed_every=0):
    rng = random.Random(seed)
    runs = []
    for i in range(n):
        cfg = {"lr": 10 ** rng.uniform(-5, -1), "layers": rng.randint(1, 8),
               "optimizer": rng.choice(["adam", "sgd", HOSTILE]), "dropout": rng.uniform(0, 0.5),
               "model": {"act": "relu"}}
        if failed_every and i % failed_every == failed_every - 1:
            runs.append(Run("run%d" % i, "failed", cfg, index=i,
                            info={"error": TRACEBACK, "wall_time": 0.5}))
            continue
        value = (math.log10(cfg["lr"]) + 3) ** 2 + rng.random()
        history = [{"epoch": e, metric: value + 1.0 / (e + 1)} for e in range(3)]
        state = "stopped" if i % 7 == 3 else "finished"
        runs.append(Run("run%d" % i, state, cfg, history=history, index=i, info={"wall_time": 12.5 + i}))
    return runs


class PageParser(html.parser.HTMLParser):
    """Collects the tags, the runs table's body rows, and every attribute value."""

    VOID = {"meta", "br", "img", "input", "link", "hr", "line", "circle", "rect", "path", "polyline", "stop"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.stack = []
        self.attrs = []
        self.runs_rows = []
        self.in_runs_table = False
        self.in_tbody = False
        self.texts = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        d = dict(attrs)
        if tag == "table" and "runs" in (d.get("class") or ""):
            self.in_runs_table = True
        if tag == "tbody" and self.in_runs_table:
            self.in_tbody = True
        if tag == "tr" and self.in_tbody:
            self.runs_rows.append(d)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            raise AssertionError("unbalanced </%s>, open: %s" % (tag, self.stack[-5:]))
        self.stack.pop()
        if tag == "tbody":
            self.in_tbody = False
        if tag == "table":
            self.in_runs_table = False

    def handle_data(self, data):
        self.texts.append(data)


def parse(page):
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


class PageTestCase(unittest.TestCase):
    """Warnings are errors; check_page holds what every page must satisfy."""

    def setUp(self):
        warnings_are_errors(self)

    def check_page(self, page, runs):
        """What every page must satisfy; returns the parser."""
        p = parse(page)
        self.assertEqual(p.stack, [], "unclosed tags")
        self.assertEqual(p.rawdata, "", "unparsed leftovers")
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        self.assertEqual(len(p.runs_rows), len(runs))
        self.assertEqual(page.count("<tr") - 1, len(runs))  # one header row
        # self-contained: nothing to fetch, nothing to run
        self.assertNotIn("http://", page)
        self.assertNotIn("https://", page)
        names = {name.lower() for name, _ in p.attrs}
        self.assertFalse(names & {"src", "href", "xlink:href", "srcset", "action", "data"}, names)
        self.assertFalse([name for name in names if name.startswith("on")], names)  # no event handlers
        self.assertNotRegex(page, r"(?i)<script")
        self.assertNotIn("script", p.tags)
        self.assertNotRegex(page, r"(?i)<(link|img|iframe|object|embed)\b")
        self.assertNotRegex(page, r"(?i)url\((?!#)")  # only url(#gradient)
        self.assertNotRegex(page, r"(?i)@import")
        return p


class ReportTest(PageTestCase):
    def test_full_report(self):
        runs = make_runs(40, failed_every=9)
        result = FakeResult(config(), runs)
        page = render_report(result)
        p = self.check_page(page, runs)
        # runs plot, learning curves, parallel coordinates, one chart per varying parameter (4), importance
        self.assertEqual(page.count("<svg"), 8)
        self.assertNotIn("src=", page)
        best = result.best_run()
        starred = [d for d in p.runs_rows if "best" in (d.get("class") or "")]
        self.assertEqual(len(starred), 1)
        self.assertIn('<tr class="best"><td class="id"><span class="star" title="best run">\u2605</span> '
                      '<code>%s</code>' % best.id, page)
        self.assertIn("Best run <code>%s</code>" % best.id, page)
        # the parameter names, nested ones dotted; the constant one noted, not drawn
        for name in ("lr", "layers", "optimizer", "dropout", "model.act"):
            self.assertIn(">%s<" % name, page)
        self.assertIn("the same in every run: model.act", page)
        # a failed run shows its error's last line, and the whole traceback on hover
        self.assertIn("ValueError: bad &lt;input&gt; &amp; &quot;x&quot;", page)
        self.assertTrue(any(k == "title" and v.startswith("Traceback") for k, v in p.attrs))
        # the importance method is explained in the page
        self.assertIn("correlation ratio", page)
        self.assertIn("What it cannot see", page)
        self.assertIn("12.5 s", page)

    def test_hostile_strings_are_escaped(self):
        runs = make_runs(12, metric=HOSTILE_METRIC, failed_every=5)
        runs.append(Run("<img src=x>", "failed", {"optimizer": HOSTILE}, index=99,
                        info={"error": HOSTILE + "\n" + HOSTILE}))
        cfg = config(metric=HOSTILE_METRIC, name=HOSTILE)
        page = render_report(FakeResult(cfg, runs, id="<id>", project="<p&q>", state="<s>"))
        self.check_page(page, runs)
        self.assertNotIn(HOSTILE, page)
        self.assertNotIn(HOSTILE_METRIC, page)
        self.assertNotIn("<img", page)
        self.assertNotIn('"quoted"', page)
        self.assertNotIn("'too'", page)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", page)
        self.assertIn("loss &amp; &quot;quoted&quot; &#x27;too&#x27; &lt;b&gt;", page)
        # the parsed text holds the strings as text
        texts = "".join(parse(page).texts)
        self.assertIn(HOSTILE, texts)
        self.assertIn(HOSTILE_METRIC, texts)

    def test_no_metric(self):
        runs = make_runs(5, metric="acc")
        page = render_report(FakeResult(config(metric=None), runs))
        self.check_page(page, runs)
        self.assertNotIn("<svg", page)
        self.assertIn("no metric", page)
        self.assertNotIn("(best)</span></th>", page)

    def test_zero_and_one_run(self):
        for n in (0, 1):
            with self.subTest(runs=n):
                runs = make_runs(n)
                page = render_report(FakeResult(config(), runs, state="running"))
                self.check_page(page, runs)
                if n == 1:
                    self.assertEqual(page.count("<svg"), 2)  # the runs plot, its curve; the others need more runs
                    self.assertIn('class="best"', page)
                    self.assertIn("at least two finished runs", page)
                    self.assertIn("at least three finished runs", page)
                else:
                    self.assertNotIn("<svg", page)
                    self.assertIn("No runs yet", page)

    def test_only_failed_and_running_runs(self):
        runs = [Run("a", "failed", {"lr": 0.1}, info={"error": "boom"}),
                Run("b", "running", {"lr": 0.01}, history=[{"loss": 1.0}]),
                Run("c", "pending", {"lr": 0.01})]
        page = render_report(FakeResult(config(), runs, state="running"))
        self.check_page(page, runs)
        self.assertNotIn('class="best"', page)
        self.assertIn("No run has finished", page)

    def test_nan_and_inf_metrics(self):
        runs = make_runs(8)
        runs.append(Run("nan1", "finished", {"lr": 0.1}, history=[{"loss": float("nan")}], index=8))
        runs.append(Run("inf1", "finished", {"lr": 0.1}, history=[{"loss": float("inf")}], index=9))
        runs.append(Run("str1", "finished", {"lr": 0.1}, summary={"loss": "n/a"}, index=10))
        page = render_report(FakeResult(config(), runs))
        self.check_page(page, runs)
        self.assertEqual(page.count("<svg"), 8)
        self.assertNotIn("NaN", page)
        row = re.search(r"<code>nan1</code>.*?</tr>", page).group(0)
        self.assertIn(">nan<", row)
        self.assertIn(">inf<", re.search(r"<code>inf1</code>.*?</tr>", page).group(0))
        self.assertIn(">n/a<", re.search(r"<code>str1</code>.*?</tr>", page).group(0))
        all_nan = [Run("x%d" % i, "finished", {"lr": 0.1}, history=[{"loss": float("nan")}]) for i in range(3)]
        page = render_report(FakeResult(config(), all_nan))
        self.check_page(page, all_nan)
        self.assertNotIn("<svg", page)

    def test_constant_metric_and_maximize(self):
        runs = [Run("r%d" % i, "finished", {"lr": 10 ** -i, "optimizer": "adam"}, history=[{"acc": 0.5}])
                for i in range(1, 6)]
        page = render_report(FakeResult(config(metric="acc", goal="maximize"), runs))
        self.check_page(page, runs)
        self.assertIn("did not vary", page)
        self.assertIn("running best (max)", page)

    def test_long_values_are_truncated_with_full_text_in_a_title(self):
        long = "x" * 300 + "END"
        runs = make_runs(6)
        for i, run in enumerate(runs):
            run.config["optimizer"] = long + str(i % 2)
        cfg = config()
        cfg["parameters"]["optimizer"] = {"values": [long + "0", long + "1"]}
        page = render_report(FakeResult(cfg, runs))
        self.check_page(page, runs)
        self.assertIn("<title>%s0</title>" % long, page)   # in the SVG
        self.assertIn('title="%s0"' % long, page)          # in the table
        self.assertIn("x\u2026", page)

    def test_log_axis_when_values_span_decades(self):
        runs = [Run("r%d" % i, "finished", {"lr": 0.1}, history=[{"loss": 10.0 ** (i - 3)}], index=i)
                for i in range(6)]
        page = render_report(FakeResult(config(), runs))
        self.assertIn("loss (log scale)", page)
        runs = [Run("r%d" % i, "finished", {"lr": 0.1}, history=[{"loss": 1.0 + i}]) for i in range(6)]
        self.assertNotIn("(log scale)", render_report(FakeResult(config(), runs)))

    def test_thousand_runs_stay_small(self):
        # (its speed is measured by benchmarks/report_curves.py, not by a timed test: the machine is shared)
        runs = make_runs(1000, failed_every=13)
        page = render_report(FakeResult(config(), runs))
        self.check_page(page, runs)
        self.assertLess(len(page.encode("utf-8")), 2_000_000)


class ImportanceTest(unittest.TestCase):
    def params(self):
        return parse_config({"method": "random", "parameters": {
            "signal": {"min": 0.0, "max": 1.0},
            "noise": {"min": 0.0, "max": 1.0},
            "cat": {"values": ["a", "b", "c"]},
            "catnoise": {"values": ["a", "b", "c"]},
            "same": {"value": 1}}}).params

    def test_a_parameter_that_decides_the_metric_outranks_noise(self):
        rng = random.Random(3)
        for n in (12, 60, 400):
            with self.subTest(runs=n):
                samples = []
                for _ in range(n):
                    v = {"signal": rng.random(), "noise": rng.random(), "cat": rng.choice("abc"),
                         "catnoise": rng.choice("abc"), "same": 1}
                    y = 3 * v["signal"] + {"a": 0.0, "b": 1.0, "c": 2.0}[v["cat"]] + rng.gauss(0, 0.1)
                    samples.append((v, y))
                ranking = importance(self.params(), samples)
                names = [r.name for r in ranking]
                self.assertNotIn("same", names)  # one group: nothing to rank
                self.assertLess(names.index("signal"), names.index("noise"))
                self.assertLess(names.index("cat"), names.index("catnoise"))
                self.assertLess(names.index("signal"), names.index("catnoise"))
                self.assertGreater(ranking[names.index("signal")].rho, 0.3)
                self.assertIsNone(ranking[names.index("cat")].rho)
                self.assertEqual(ranking[names.index("cat")].best_group, "a")
                if n >= 60:
                    self.assertLess(ranking[names.index("noise")].score, 0.15)

    def test_report_ranks_by_hand_built_runs(self):
        rng = random.Random(5)
        runs = []
        for i in range(50):
            cfg = {"lr": 10 ** rng.uniform(-5, -1), "layers": rng.randint(1, 8), "optimizer": "adam",
                   "dropout": rng.uniform(0, 0.5), "model": {"act": "relu"}}
            runs.append(Run("r%d" % i, "finished", cfg, history=[{"loss": 10 * cfg["dropout"]}], index=i))
        page = render_report(FakeResult(config(), runs))
        bars = re.findall(r'class="imp-name" text-anchor="end">([^<]+)</text>', page)
        self.assertEqual(bars[0], "dropout")
        self.assertNotIn("optimizer", bars)  # constant in these runs

    def test_too_few_samples(self):
        self.assertEqual(importance(self.params(), [({"signal": 0.1}, 1.0), ({"signal": 0.2}, 2.0)]), [])


if __name__ == "__main__":
    unittest.main()


# ---------------------------------------------------------------------------------------- learning curves

def curved_runs(n, steps=12, seed=1, stop_every=4, with_step=False):
    """Runs whose loss falls over ``steps`` iterations; every ``stop_every``-th run is stopped by hyperband
    after 3 values, one more run is still running, one failed before logging anything."""
    rng = random.Random(seed)
    runs, stops = [], {}
    for i in range(n):
        cfg = {"lr": 10 ** rng.uniform(-5, -1), "layers": rng.randint(1, 8),
               "optimizer": rng.choice(["adam", "sgd"]), "dropout": rng.uniform(0, 0.5), "model": {"act": "relu"}}
        floor = 0.1 + rng.random()
        length = 3 if stop_every and i % stop_every == 1 else steps
        history = []
        for t in range(length):
            row = {"loss": floor + 2.0 / (t + 1) + 0.01 * rng.random(), "other": t}
            if with_step:
                row["_step"] = 10 * t + 5
            history.append(row)
            history.append({"lr_now": 0.1})  # a row without the metric: not an iteration
        if length < steps:
            runs.append(Run("run%d" % i, "stopped", cfg, history=history, index=i,
                            info={"error": "hyperband: loss %g at band 3 is worse than the threshold 1 "
                                           "(5 runs reached band 3, eta 3)" % history[-2]["loss"]}))
            stops[runs[-1].id] = history[-2]["_step"] if with_step else 3
        else:
            runs.append(Run("run%d" % i, "finished", cfg, history=history, index=i))
    runs.append(Run("live", "running", {"lr": 0.01, "layers": 2, "optimizer": "adam", "dropout": 0.1},
                    history=[{"loss": 2.5}, {"loss": 2.2}], index=n))
    runs.append(Run("dead", "failed", {"lr": 0.01, "layers": 2, "optimizer": "adam", "dropout": 0.1},
                    index=n + 1, info={"error": "boom"}))
    return runs, stops


class SvgParser(html.parser.HTMLParser):
    """The SVG charts of a page: per <svg>, its title and every element with its attributes, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.svgs = []
        self.in_title = False
        self.classes = []  # the class of each open <g>

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        if tag == "svg":
            self.svgs.append({"title": "", "elements": [], "texts": []})
        elif self.svgs:
            if tag == "title" and not self.svgs[-1]["title"] and not self.svgs[-1]["elements"]:
                self.in_title = True
            d["_group"] = " ".join(c for c in self.classes if c)
            self.svgs[-1]["elements"].append((tag, d))
            if tag == "g":
                self.classes.append(d.get("class", ""))

    def handle_startendtag(self, tag, attrs):
        if self.svgs:
            d = dict(attrs)
            d["_group"] = " ".join(c for c in self.classes if c)
            self.svgs[-1]["elements"].append((tag, d))

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag == "g" and self.classes:
            self.classes.pop()

    def handle_data(self, data):
        if self.svgs and self.in_title:
            self.svgs[-1]["title"] += data
        elif self.svgs:
            self.svgs[-1]["texts"].append(data)

    def chart(self, title_end):
        found = [s for s in self.svgs if s["title"].endswith(title_end)]
        assert len(found) == 1, [s["title"] for s in self.svgs]
        return found[0]


def svgs(page):
    p = SvgParser()
    p.feed(page)
    p.close()
    return p


def path_points(d):
    """The absolute points of a path written as ``Mx y`` then relative ``l dx dy ...`` (or ``h0``)."""
    m = re.match(r"M(-?\d+) (-?\d+)(?:l([-\d ]+)|h0)$", d)
    assert m, d
    x, y = int(m.group(1)), int(m.group(2))
    points = [(x, y)]
    numbers = [int(v) for v in (m.group(3) or "").split()]
    for dx, dy in zip(numbers[::2], numbers[1::2]):
        x, y = x + dx, y + dy
        points.append((x, y))
    return points


class LearningCurvesTest(PageTestCase):
    def curves(self, page):
        chart = svgs(page).chart("over the steps of each run")
        curves = {d["data-run"]: d for tag, d in chart["elements"]
                  if tag == "path" and "curves" in d["_group"] and "data-run" in d}
        best = [d for tag, d in chart["elements"] if tag == "path" and d.get("class") == "curve-best"]
        marks = [d for tag, d in chart["elements"] if tag == "path" and "stop-mark" in (d.get("class") or "")]
        return chart, curves, best, marks

    def test_a_curve_per_run_best_highlighted_stops_marked(self):
        runs, stops = curved_runs(10)
        result = FakeResult(config(), runs)
        page = render_report(result)
        self.check_page(page, runs)
        chart, curves, best, marks = self.curves(page)
        logged = {r.id for r in runs if r.metric_values("loss")}
        self.assertEqual(len(logged), 11)  # ten runs and the running one; not the failed one
        best_id = result.best_run().id
        # a curve per run that logged the metric, the best drawn apart and last
        self.assertEqual(len(best), 1)
        self.assertEqual(best[0]["data-run"], best_id)
        self.assertEqual(set(curves) | {best_id}, logged)
        self.assertNotIn(best_id, curves)
        order = [d.get("data-run") for tag, d in chart["elements"] if tag == "path"]
        self.assertEqual(order[-1], best_id)
        # each curve has one point per value logged (no downsampling at this size), left to right
        for run in runs:
            if run.id in logged:
                points = path_points((curves.get(run.id) or best[0])["d"])
                self.assertEqual(len(points), len(run.metric_values("loss")), run.id)
                self.assertEqual(points, sorted(points, key=lambda p: p[0]))
        self.assertNotIn("Downsampled", page)
        # a cross at the end of each hyperband-stopped curve, labelled with the iteration it stopped at
        self.assertEqual({d["data-run"]: int(d["data-step"]) for d in marks}, stops)
        self.assertEqual(len(stops), 3)
        for d in marks:
            x, y = path_points(curves[d["data-run"]]["d"])[-1]
            mx, my = [int(v) for v in re.match(r"M(-?\d+) (-?\d+)", d["d"]).groups()]
            self.assertEqual((mx + 4, my + 4), (x, y))
            self.assertEqual(d.get("class"), "stop-mark")
        self.assertIn("iteration (the n-th value of loss", "".join(chart["texts"]))

    def test_x_is_step_when_every_row_has_one(self):
        runs, stops = curved_runs(8, with_step=True)
        runs = [r for r in runs if r.id != "live"]  # its rows have no _step
        page = render_report(FakeResult(config(), runs))
        chart, curves, best, marks = self.curves(page)
        self.assertIn("step (_step)", "".join(chart["texts"]))
        self.assertEqual({d["data-run"]: int(d["data-step"]) for d in marks}, stops)
        self.assertEqual(set(stops.values()), {25})  # the third value, logged at _step 25
        # rows logged out of order are drawn in the order of their steps
        jumbled = Run("jumbled", "finished", {"lr": 0.1}, index=99,
                      history=[{"loss": 3.0, "_step": 50}, {"loss": 2.0, "_step": 10}, {"loss": 1.0, "_step": 90}])
        curves = self.curves(render_report(FakeResult(config(), runs + [jumbled])))[1]
        xs = [x for x, _ in path_points(curves["jumbled"]["d"])]
        self.assertEqual(xs, sorted(xs))
        self.assertEqual(len(xs), 3)
        # a run whose rows lack _step turns the axis back into iterations
        runs, _ = curved_runs(8, with_step=True)
        self.assertIn("iteration (the n-th", "".join(self.curves(render_report(FakeResult(config(), runs)))[0]["texts"]))

    def test_log_scale_when_values_span_decades(self):
        runs = [Run("r%d" % i, "finished", {"lr": 0.1}, history=[{"loss": 10.0 ** (2 - t)} for t in range(6)],
                    index=i) for i in range(3)]
        chart = self.curves(render_report(FakeResult(config(), runs)))[0]
        self.assertIn("loss (log scale)", chart["texts"])
        runs = [Run("r%d" % i, "finished", {"lr": 0.1}, history=[{"loss": 2.0 - 0.1 * t} for t in range(6)],
                    index=i) for i in range(3)]
        chart = self.curves(render_report(FakeResult(config(), runs)))[0]
        self.assertIn("loss", chart["texts"])
        self.assertNotIn("loss (log scale)", chart["texts"])

    def test_one_chart_per_varying_parameter(self):
        runs, _ = curved_runs(10)
        result = FakeResult(config(), runs)
        page = render_report(result)
        parsed = svgs(page)
        best = result.best_run()
        done = [r for r in runs if r.state in ("finished", "stopped")]
        for name in ("lr", "layers", "optimizer", "dropout"):
            chart = parsed.chart("loss against %s" % name)
            dots = {d.get("class"): path_points_many(d["d"]) for tag, d in chart["elements"]
                    if tag == "path" and (d.get("class") or "").startswith("dots")}
            # every finished run but the best (ringed) in blue, the stopped ones in grey
            self.assertEqual(len(dots["dots"]), sum(r.state == "finished" for r in done) - 1, name)
            self.assertEqual(len(dots["dots stopped"]), sum(r.state == "stopped" for r in done), name)
            rings = [d for tag, d in chart["elements"] if tag == "circle" and d.get("class") == "best-ring"]
            self.assertEqual(len(rings), 1)
        self.assertFalse([s for s in parsed.svgs if s["title"] == "loss against model.act"])  # constant: no chart
        self.assertIn("lr (log scale)", parsed.chart("loss against lr")["texts"])
        self.assertIsNotNone(best)

    def test_five_thousand_runs_are_downsampled_and_say_so(self):
        runs, stops = curved_runs(5000, steps=40, stop_every=3)
        page = render_report(FakeResult(config(), runs))
        # self-contained (the full HTML parse of check_page takes seconds at this size: only the chart is parsed)
        self.assertNotRegex(page, r"(?i)<script|https?://|\b(src|href)=|url\((?!#)")
        chart, curves, best, marks = self.curves(re.search(r"<h2>Learning curves</h2>.*?</section>", page, re.S).group(0))
        self.assertEqual(len(curves) + len(best), 5001)  # still a curve per run (and the running one)
        note = re.search(r'<p class="note downsampled">(.*?)</p>', page)
        self.assertIsNotNone(note)
        self.assertIn("Downsampled for drawing", note.group(1))
        self.assertIn("min/max envelope", note.group(1))
        longest = max(len(path_points(d["d"])) for d in curves.values())
        self.assertLess(longest, 40)
        # thousands of stops: one path of distinct crosses instead of a path per run
        self.assertEqual(len(marks), 1)
        self.assertIn("%d runs stopped by hyperband" % len(stops), page)
        self.assertLess(len(page.encode("utf-8")), 6000000)

    def test_meta_refresh(self):
        runs, _ = curved_runs(3)
        page = render_report(FakeResult(config(), runs), refresh=15)
        self.check_page(page, runs)
        self.assertEqual(re.findall(r'<meta http-equiv="refresh" content="([^"]*)">', page), ["15"])
        self.assertLess(page.index("http-equiv"), page.index("</head>"))
        self.assertNotIn("http-equiv", render_report(FakeResult(config(), runs)))
        for bad in (0, -1, float("nan"), float("inf"), True, "5"):
            with self.subTest(refresh=bad):
                with self.assertRaises(ValueError):
                    render_report(FakeResult(config(), runs), refresh=bad)


def path_points_many(d):
    """The dots of a path of zero-length strokes ``Mx yh0Mx yh0...``."""
    return [(int(x), int(y)) for x, y in re.findall(r"M(-?\d+) (-?\d+)h0", d)]


class DownsampleTest(unittest.TestCase):
    def test_keeps_each_buckets_extremes_in_order(self):
        from minisweep.curves import downsample

        rng = random.Random(2)
        points = [(x, rng.gauss(0, 1)) for x in range(1000)]
        points[500] = (500, 50.0)   # a spike
        points[731] = (731, -40.0)  # a dip
        small = downsample(points, 0, 999, 20)
        self.assertLessEqual(len(small), 2 * 20 + 2)
        self.assertEqual(small[0], points[0])
        self.assertEqual(small[-1], points[-1])
        self.assertIn((500, 50.0), small)
        self.assertIn((731, -40.0), small)
        self.assertEqual(small, sorted(small))
        for b in range(20):  # every bucket's lowest and highest value survive
            inside = [p for p in points[1:-1] if min(int(p[0] / (999 / 20.0)), 19) == b]
            self.assertIn(min(inside, key=lambda p: p[1]), small)
            self.assertIn(max(inside, key=lambda p: p[1]), small)
        few = points[:30]
        self.assertEqual(downsample(few, 0, 999, 20), few)


class ReportCommandTest(CommandLineTest):
    """``minisweep report`` on a real sweep whose runs hyperband stopped."""

    def test_report_with_curves_and_refresh(self):
        store = self.store
        sid = minisweep.sweep({"method": "grid", "metric": {"name": "loss"},
                               "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 2},
                               "parameters": {"x": {"values": [1, 4, 2, 8, 3]}}}, project="p", dir=store, seed=1)

        def train(config):
            for step in range(6):
                minisweep.log({"loss": config["x"] + 1.0 / (step + 1)})

        minisweep.agent(sid, function=train, dir=store, quiet=True)
        runs = minisweep.load(sid, dir=store).runs
        stopped = {r.id: len(r.metric_values("loss")) for r in runs if r.state == "stopped"}
        self.assertTrue(stopped)  # x=4 and x=8 fall behind at iteration 2

        page_path = os.path.join(self.dir, "r.html")
        out = self.cli("report", sid, "--dir", store, "-o", page_path, "--refresh", "30")
        self.assertEqual(out.returncode, 0, out.stderr)
        with open(page_path, encoding="utf-8") as fh:
            page = fh.read()
        self.assertIn('<meta http-equiv="refresh" content="30">', page)
        chart = svgs(page).chart("over the steps of each run")
        drawn = {d["data-run"] for tag, d in chart["elements"] if tag == "path" and "data-run" in d
                 and "stop-mark" not in (d.get("class") or "")}
        self.assertEqual(drawn, {r.id for r in runs})
        marks = {d["data-run"]: int(d["data-step"]) for tag, d in chart["elements"]
                 if tag == "path" and "stop-mark" in (d.get("class") or "")}
        self.assertEqual(marks, stopped)
        self.assertEqual([n for n in os.listdir(self.dir) if n.endswith(".tmp")], [])
        for bad in ("0", "-5", "nan", "inf"):
            with self.subTest(refresh=bad):
                out = self.cli("report", sid, "--dir", store, "-o", page_path, "--refresh=" + bad)
                self.assertEqual(out.returncode, 2)
                self.assertEqual(len(out.stderr.splitlines()), 1, out.stderr)
                self.assertIn("--refresh", out.stderr)
