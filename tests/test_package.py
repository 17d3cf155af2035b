"""The package as users get it: vendored under another name, cheap to import, stdlib only."""

import ast
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

import minisweep

PACKAGE = Path(minisweep.__file__).resolve().parent
ROOT = PACKAGE.parent


def stdlib_names():
    """The standard library's module names (3.10+), or None where Python cannot list them."""
    names = getattr(sys, "stdlib_module_names", None)
    return set(names) | set(sys.builtin_module_names) if names else None


class VendoringTest(unittest.TestCase):
    def test_copied_under_another_name(self):
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp, "thirdparty", "sweeper")
            shutil.copytree(str(PACKAGE), str(target), ignore=shutil.ignore_patterns("__pycache__"))
            Path(tmp, "thirdparty", "__init__.py").write_text("")
            Path(tmp, "sweep.yaml").write_text(textwrap.dedent("""\
                method: grid
                parameters:
                  lr:
                    values: [0.1, 0.01]
                  layers:
                    min: 1
                    max: 2
                """))
            script = textwrap.dedent("""\
                import importlib, pkgutil, sys

                class Block:  # make sure nothing reaches for the name 'minisweep'
                    def find_spec(self, name, path=None, target=None):
                        if name == "minisweep" or name.startswith("minisweep."):
                            raise ImportError("absolute import of " + name)
                        return None
                sys.meta_path.insert(0, Block())

                from thirdparty import sweeper
                for info in pkgutil.iter_modules(sweeper.__path__):
                    if info.name != "__main__":
                        importlib.import_module("thirdparty.sweeper." + info.name)
                cfg = sweeper.parse_config("sweep.yaml")
                print(sweeper.next_config(cfg, []))
                print(type(cfg).__module__)
                try:
                    sweeper.parse_config({"method": "nope", "parameters": {"x": {"value": 1}}})
                except sweeper.ConfigError as exc:
                    print("error:", exc)
                sweeper.install_as_wandb()   # the W&B surface serves `import wandb` under the vendored name
                import wandb, wandb.sdk.wandb_run
                print(wandb.__name__, wandb.sdk.wandb_run.Run is sweeper.session.ActiveRun)
                import os, subprocess
                shim = sweeper.wandb._install.shim_directory()
                env = dict(os.environ, PYTHONPATH=shim)
                child = subprocess.run([sys.executable, "-c", "import wandb; print(wandb.__name__)"], env=env,
                                       stdout=subprocess.PIPE, universal_newlines=True)
                print("child:", child.stdout.strip())
                """)
            out = subprocess.run([sys.executable, "-c", script], cwd=tmp, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(out.stdout.splitlines(), [
                "{'layers': 1, 'lr': 0.1}",
                "thirdparty.sweeper.sweepconfig",
                "error: method: 'nope' is not one of grid, random, bayes",
                "thirdparty.sweeper.wandb True",
                "child: thirdparty.sweeper.wandb"])
            cli = subprocess.run([sys.executable, "-m", "thirdparty.sweeper", "check", "sweep.yaml"], cwd=tmp,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
            self.assertEqual(cli.returncode, 0, cli.stderr)
            self.assertIn("grid: 4 points", cli.stdout)


class SourceRulesTest(unittest.TestCase):
    """Non-negotiables checked on the source itself."""

    def modules(self, frameworks=True):
        for path in sorted(PACKAGE.rglob("*.py")):
            if not frameworks and "integration" in path.relative_to(PACKAGE).parts:
                continue  # wandb.integration.*: framework callbacks, which import their framework when used
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))

    def test_relative_imports_and_stdlib_only(self):
        allowed = stdlib_names()
        for path, tree in self.modules(frameworks=False):
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    with self.subTest(file=path.name, module=name):
                        self.assertNotEqual(top, "minisweep", "use a relative import")
                        self.assertNotIn(top, ("numpy", "yaml", "requests", "scipy", "sklearn", "pickle"))
                        if allowed is not None and top not in ("__future__", "tomllib"):
                            self.assertIn(top, allowed, "not in the standard library")

    def test_no_eval_exec_or_shell(self):
        for path, tree in self.modules():
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                    with self.subTest(file=path.name, line=node.lineno):
                        self.assertNotIn(name, ("eval", "exec"))
                        for kw in node.keywords:
                            if kw.arg == "shell":
                                self.assertFalse(isinstance(kw.value, ast.Constant) and kw.value.value is True)

    def test_public_api(self):
        for name in minisweep.__all__:
            with self.subTest(name=name):
                self.assertTrue(hasattr(minisweep, name))
        self.assertRegex(minisweep.__version__, r"^\d+\.\d+\.\d+")
        self.assertTrue((PACKAGE / "py.typed").exists())


class ImportCostTest(unittest.TestCase):
    """`import minisweep` pulls in nothing heavy (the time is measured in benchmarks/import_time.py)."""

    def test_import_loads_only_the_core(self):
        script = ("import sys; before = set(sys.modules); import minisweep; "
                  "print(' '.join(sorted(set(sys.modules) - before)))")
        out = subprocess.run([sys.executable, "-S", "-c", script], cwd=str(ROOT), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        loaded = set(out.stdout.split())
        ours = {m for m in loaded if m.startswith("minisweep")}
        self.assertEqual(ours, {"minisweep", "minisweep._compat", "minisweep.errors"})
        heavy = {"json", "re", "threading", "argparse", "difflib", "statistics", "random", "datetime",
                 "tomllib", "subprocess", "multiprocessing", "importlib.util", "inspect", "dataclasses"}
        self.assertEqual(loaded & heavy, set())


class CommandLineTest(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, "-m", "minisweep"] + list(args), cwd=str(ROOT),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)

    def test_check_example(self):
        out = self.run_cli("check", "examples/sweep.yaml")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("a valid bayes sweep", out.stdout)
        self.assertIn("metric: val_loss (minimize)", out.stdout)

    def test_check_errors_one_line_each_exit_2(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bad.yaml")
            with open(path, "w") as fh:
                fh.write("method: bayesian\nparameters:\n  lr:\n    min: 0.1\n    max: 0.01\n")
            out = self.run_cli("check", path)
        self.assertEqual(out.returncode, 2)
        self.assertEqual(out.stdout, "")
        self.assertEqual(out.stderr.splitlines(), [
            "error: %s:1: method: 'bayesian' is not one of grid, random, bayes; did you mean 'bayes'?" % path,
            "error: %s:3: parameters.lr: min 0.1 is not less than max 0.01" % path])
        self.assertNotIn("Traceback", out.stderr)

    def test_check_grid_size_and_warnings(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "g.yaml")
            with open(path, "w") as fh:
                fh.write("method: grid\nmax_runs: 3\nparameters:\n  a: {values: [1, 2, 3]}\n"
                         "  b: {min: 1, max: 4}\n  c: {value: x}\n")
            out = self.run_cli("check", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("grid: 12 points", out.stdout)
        self.assertRegex(out.stdout, r"b\s+int_uniform\s+min 1, max 4")
        self.assertEqual(out.stderr.splitlines(),
                         ["warning: %s:2: max_runs: unknown top-level key, ignored; did you mean 'run_cap'?" % path])

    def test_missing_file_and_no_command(self):
        out = self.run_cli("check", "does-not-exist.yaml")
        self.assertEqual((out.returncode, out.stderr), (2, "error: no such file: does-not-exist.yaml\n"))
        self.assertEqual(self.run_cli().returncode, 2)


if __name__ == "__main__":
    unittest.main()
