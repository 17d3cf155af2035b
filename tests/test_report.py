"""render_report: the page's structure (not its pixels), escaping, edge cases, and the importance ranking."""

import html.parser
import math
import random
import re
import time
import unittest
import warnings

from minisweep.api import SweepResult
from minisweep.report import importance, render_report
from minisweep.runs import Run
from minisweep.sweepconfig import parse_config

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


class ReportTest(unittest.TestCase):
    def setUp(self):
        catcher = warnings.catch_warnings()
        catcher.__enter__()
        self.addCleanup(catcher.__exit__, None, None, None)
        warnings.simplefilter("error")

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

    def test_full_report(self):
        runs = make_runs(40, failed_every=9)
        result = FakeResult(config(), runs)
        page = render_report(result)
        p = self.check_page(page, runs)
        self.assertEqual(page.count("<svg"), 3)  # runs plot, parallel coordinates, importance
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
                    self.assertEqual(page.count("<svg"), 1)  # the runs plot; the others need more runs
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
        self.assertEqual(page.count("<svg"), 3)
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

    def test_thousand_runs_small_and_fast(self):
        runs = make_runs(1000, failed_every=13)
        start = time.perf_counter()
        page = render_report(FakeResult(config(), runs))
        elapsed = time.perf_counter() - start
        self.check_page(page, runs)
        self.assertLess(len(page.encode("utf-8")), 2_000_000)
        self.assertLess(elapsed, 2.0)


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
