"""CPython 3.6 and 3.7: the compatibility module, and a cheap guard on the source.

The real guard is ``.ci/run``, which runs the whole suite on every CPython
from 3.6 to 3.13.  The source checks here catch the usual slips (a new
``from __future__ import annotations``, ``subprocess.run(text=True)``, a 3.8
stdlib name) on whatever interpreter runs the suite, with the line to fix.
"""

import ast
import datetime
import statistics
import unittest
from pathlib import Path

import minisweep
from minisweep import _compat

PACKAGE = Path(minisweep.__file__).resolve().parent
ROOT = PACKAGE.parent


class NormalDistTest(unittest.TestCase):
    def test_same_bits_as_the_standard_library(self):
        # every interpreter must sample the same normal values for the same seed
        if not hasattr(statistics, "NormalDist"):
            self.skipTest("statistics.NormalDist is 3.8+; test_textbook_quantiles covers this interpreter")
        ps = [i / 4096 for i in range(1, 4096)] + [1e-300, 1e-100, 1e-12, 1e-7, 0.075, 0.925, 1 - 1e-12,
                                                   0.5 - 0.425, 0.5 + 0.425, 0.5 - 0.4250001, 0.5 + 0.4250001]
        for mu, sigma in ((0.0, 1.0), (-3.0, 0.25), (1e3, 7.5)):
            ours, theirs = _compat.NormalDist(mu, sigma), statistics.NormalDist(mu, sigma)
            for p in ps:
                with self.subTest(mu=mu, sigma=sigma, p=p):
                    self.assertEqual(ours.inv_cdf(p), theirs.inv_cdf(p))
                    x = mu + sigma * (p - 0.5) * 16
                    self.assertEqual(ours.cdf(x), theirs.cdf(x))

    def test_textbook_quantiles(self):
        # standard normal quantiles as printed in statistical tables
        table = {0.5: 0.0, 0.841344746: 1.0, 0.975: 1.959963985, 0.995: 2.575829304, 0.999: 3.090232306,
                 0.0001: -3.719016485, 1e-10: -6.361340902}
        nd = _compat.NormalDist()
        for p, z in table.items():
            with self.subTest(p=p):
                self.assertAlmostEqual(nd.inv_cdf(p), z, places=8)
                self.assertAlmostEqual(nd.cdf(z), p, places=9)
        self.assertAlmostEqual(_compat.NormalDist(10.0, 2.0).inv_cdf(0.975), 10.0 + 2 * 1.959963985, places=8)
        for bad in (0.0, 1.0, -0.5, 1.5):
            with self.subTest(p=bad):
                with self.assertRaises(ValueError):
                    nd.inv_cdf(bad)


class IsoformatTest(unittest.TestCase):
    def test_reads_back_what_isoformat_writes(self):
        utc, plus2, minus = (datetime.timezone.utc, datetime.timezone(datetime.timedelta(hours=2)),
                             datetime.timezone(-datetime.timedelta(hours=9, minutes=30)))
        values = [datetime.datetime(2024, 3, 1), datetime.datetime(2024, 3, 1, 12, 30, 5),
                  datetime.datetime(1999, 12, 31, 23, 59, 59, 999999), datetime.datetime(2024, 3, 1, 0, 0, 0, 250000),
                  datetime.datetime(2024, 3, 1, 12, 30, tzinfo=utc), datetime.datetime(2024, 3, 1, 12, 30, 1, 5, plus2),
                  datetime.datetime(2024, 3, 1, 12, 30, tzinfo=minus)]
        for value in values:
            with self.subTest(value=value.isoformat()):
                back = _compat.datetime_fromisoformat(value.isoformat())
                self.assertEqual(back, value)
                self.assertEqual(back.utcoffset(), value.utcoffset())
        self.assertEqual(_compat.date_fromisoformat("2024-02-29"), datetime.date(2024, 2, 29))
        for bad in ("", "2024-3-1", "yesterday", "2024-03-01T25:00:00", "2024-02-30"):
            with self.subTest(bad=bad):
                with self.assertRaises(ValueError):
                    _compat.datetime_fromisoformat(bad)
                with self.assertRaises(ValueError):
                    _compat.date_fromisoformat(bad)

    def test_isfile_is_false_for_unrepresentable_paths(self):
        self.assertFalse(_compat.isfile("sweep\ud800.yaml"))
        self.assertFalse(_compat.isfile("sweep\0.yaml"))
        self.assertTrue(_compat.isfile(str(PACKAGE / "_compat.py")))


#: Attributes and names that CPython 3.6/3.7 lack; the fix to use instead.
TOO_NEW = {
    "NormalDist": "_compat.NormalDist",
    "fromisoformat": "_compat.datetime_fromisoformat / date_fromisoformat",
    "prod": "a loop (math.prod is 3.8+)",
    "isqrt": "int(math.sqrt(n)) with a check (3.8+)",
    "comb": "factorials (math.comb is 3.8+)",
    "perm": "factorials (math.perm is 3.8+)",
    "cached_property": "a property that stores its value (3.8+)",
    "nullcontext": "contextlib.ExitStack() (3.7+)",
    "removeprefix": "slicing (3.9+)",
    "removesuffix": "slicing (3.9+)",
    "time_ns": "time.time() (3.7+)",
    "monotonic_ns": "time.monotonic() (3.7+)",
    "perf_counter_ns": "time.perf_counter() (3.7+)",
    "IsolatedAsyncioTestCase": "a TestCase with an event loop (3.8+)",
    "AsyncMock": "a Mock returning a coroutine (3.8+)",
    "addClassCleanup": "tearDownClass (3.8+)",
    "enterContext": "addCleanup (3.11+)",
    "enterClassContext": "setUpClass/tearDownClass (3.11+)",
    "get_running_loop": "asyncio.get_event_loop() (3.7+)",
}
TOO_NEW_MODULES = {"dataclasses", "contextvars", "importlib.metadata", "importlib.resources", "zoneinfo",
                   "graphlib", "tomllib"}
SUBPROCESS_CALLS = {"run", "Popen", "check_output", "check_call", "call"}
BUILTIN_GENERICS = {"list", "dict", "tuple", "set", "frozenset", "type"}


_PARSED = {}


def sources():
    """(path, syntax tree) of every module of the package and the tests."""
    for top in ("minisweep", "tests"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if path not in _PARSED:
                _PARSED[path] = ast.parse(path.read_text(encoding="utf-8"), str(path))
            yield path, _PARSED[path]


def guarded_imports(tree):
    """Import statements inside a ``try:`` body: optional modules, used only where present."""
    return {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try)
            for stmt in t.body for n in ast.walk(stmt) if isinstance(n, (ast.Import, ast.ImportFrom))}


def evaluated_annotations(tree):
    """Annotations CPython evaluates when the def or class statement runs (all but those in function bodies)."""
    def walk(body, in_function):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                for arg in getattr(a, "posonlyargs", []) + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
                    if arg is not None and arg.annotation is not None:
                        yield arg.annotation
                if node.returns is not None:
                    yield node.returns
                yield from walk(node.body, True)
            elif isinstance(node, ast.AnnAssign):
                if not in_function:
                    yield node.annotation
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    sub = getattr(node, field, None)
                    if isinstance(sub, list):
                        yield from walk(sub, in_function)
    yield from walk(tree.body, False)


class SourceRunsOnOldPythonTest(unittest.TestCase):
    """Cheap static checks for what would break ``import minisweep`` or the suite on CPython 3.6/3.7."""

    def test_no_future_annotations(self):
        # 3.6 has no `from __future__ import annotations`: the module would not even compile
        problems = []
        for path, tree in sources():
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "__future__" and \
                        "annotations" in [a.name for a in node.names]:
                    problems.append("%s:%d: quote the annotations that need it instead"
                                    % (path.relative_to(ROOT), node.lineno))
        self.assertEqual(problems, [])

    def test_annotations_evaluate_on_36(self):
        # without the __future__ import, `X | None` and `list[int]` in a signature raise when the def runs
        problems = []
        for path, tree in sources():
            for ann in evaluated_annotations(tree):
                for node in ast.walk(ann):
                    where = "%s:%d: " % (path.relative_to(ROOT), ann.lineno)
                    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
                        problems.append(where + "X | Y in an annotation: use Optional/Union or quote it")
                    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and \
                            node.value.id in BUILTIN_GENERICS:
                        problems.append(where + "%s[...] in an annotation: use typing or quote it" % node.value.id)
        self.assertEqual(problems, [])

    def test_no_syntax_or_names_newer_than_36(self):
        problems = []
        for path, tree in sources():
            if path.name == "test_compat.py" or path == PACKAGE / "_compat.py":
                continue  # these two name the new features on purpose
            guarded = guarded_imports(tree)
            rel = str(path.relative_to(ROOT))
            for node in ast.walk(tree):
                where = "%s:%s: " % (rel, getattr(node, "lineno", "?"))
                if type(node).__name__ == "NamedExpr":
                    problems.append(where + "walrus operator (3.8+)")
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and \
                        getattr(node.args, "posonlyargs", None):
                    problems.append(where + "positional-only parameters (3.8+)")
                if isinstance(node, ast.Attribute) and node.attr in TOO_NEW:
                    problems.append(where + ".%s: use %s" % (node.attr, TOO_NEW[node.attr]))
                names = []
                if isinstance(node, ast.ImportFrom) and not (node.module or "").endswith("_compat"):
                    names = [node.module or ""] + ["%s.%s" % (node.module, a.name) for a in node.names]
                    problems.extend(where + "import of %s: use %s" % (a.name, TOO_NEW[a.name])
                                    for a in node.names if a.name in TOO_NEW)
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                problems.extend(where + "import of %s: not in CPython 3.6 (import it in a try: if optional)" % name
                                for name in names if name in TOO_NEW_MODULES and id(node) not in guarded)
                if isinstance(node, ast.Call):
                    func = node.func
                    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                    keywords = {kw.arg for kw in node.keywords}
                    if called in SUBPROCESS_CALLS and "capture_output" in keywords:
                        problems.append(where + "capture_output= (3.7+): use stdout=PIPE, stderr=PIPE")
                    if called in SUBPROCESS_CALLS and "text" in keywords:
                        problems.append(where + "text= (3.7+): use universal_newlines=True")
                    if called == "run" and isinstance(func, ast.Attribute) and \
                            isinstance(func.value, ast.Name) and func.value.id == "asyncio":
                        problems.append(where + "asyncio.run (3.7+)")
        self.assertEqual(problems, [])


if __name__ == "__main__":
    unittest.main()
