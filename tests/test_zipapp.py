"""The one-file copy: ``minisweep zipapp`` writes it, and it runs a sweep on CPython 3.6 and 3.13.

A locked-down machine gets one file and its system Python (3.6 on RHEL 8).
These tests build that file, move it to an empty directory where no other
minisweep can be imported, and run a grid sweep through it with the oldest
and the newest interpreter found (pyenv's, as ``.ci/run`` finds them), then
import it as a library.
"""

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

import minisweep
from minisweep import bundle

ROOT = Path(minisweep.__file__).resolve().parent.parent

SWEEP_YAML = textwrap.dedent("""\
    program: train.py
    method: grid
    metric: {name: loss, goal: minimize}
    parameters:
      lr: {values: [0.01, 0.05, 0.1]}
      layers: {values: [1, 2]}
    """)

# a training script that imports minisweep: in the agent's child it must come from the one file
TRAIN_PY = textwrap.dedent("""\
    import minisweep

    run = minisweep.init()
    assert minisweep.__file__.startswith(%r), minisweep.__file__
    import wandb  # the agent's shim serves minisweep.wandb, from the one file too

    assert wandb.__name__.endswith("minisweep.wandb") and wandb.__file__.startswith(%r), wandb.__file__
    minisweep.log({"loss": (run.config["lr"] - 0.05) ** 2 + run.config["layers"]})
    minisweep.finish()
    """)


def find_python(minor):
    """pyenv's CPython 3.<minor> (the newest patch release), as .ci/run finds it; None when absent."""
    roots = []
    try:
        out = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True, timeout=30)
        if out.returncode == 0 and out.stdout.strip():
            roots.append(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    roots.append(os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv"))
    for root in roots:
        found = [p for p in sorted(glob.glob(os.path.join(root, "versions", "3.%d.*" % minor, "bin",
                                                          "python3.%d" % minor))) if os.access(p, os.X_OK)]
        if found:
            return found[-1]
    return None


def clean_env():
    """The environment without anything that could make another minisweep importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MINISWEEP_", "WANDB_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class ZipappTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="minisweep-zipapp-")
        cls.pyz = os.path.join(cls.tmp, "built.pyz")
        out = subprocess.run([sys.executable, "-m", "minisweep", "zipapp", "-o", cls.pyz], cwd=str(ROOT),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        cls.build_message = out.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def workdir(self):
        """An empty directory holding only minisweep.pyz, removed after the test."""
        d = tempfile.mkdtemp(prefix="machine-", dir=self.tmp)
        self.addCleanup(shutil.rmtree, d, True)
        shutil.copy(self.pyz, os.path.join(d, "minisweep.pyz"))
        return d

    def run_in(self, d, python, *args, check=True):
        out = subprocess.run([python] + list(args), cwd=d, env=clean_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
        if check:
            self.assertEqual(out.returncode, 0, "%s %s\n%s%s" % (python, args, out.stdout, out.stderr))
        return out

    # ----------------------------------------------------------------- the file itself

    def test_same_source_same_bytes(self):
        again = os.path.join(self.tmp, "again.pyz")
        count = bundle.write_zipapp(again)
        with open(self.pyz, "rb") as a, open(again, "rb") as b:
            first, second = a.read(), b.read()
        self.assertEqual(hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest())
        self.assertTrue(first.startswith(b"#!/usr/bin/env python3\n"))
        self.assertTrue(os.access(self.pyz, os.X_OK))
        self.assertIn("wrote %s (%d files)" % (self.pyz, count), self.build_message)
        # the one file writes itself again byte for byte: it is its own source
        d = self.workdir()
        self.run_in(d, sys.executable, "minisweep.pyz", "zipapp", "-o", "copy.pyz")
        with open(os.path.join(d, "copy.pyz"), "rb") as fh:
            self.assertEqual(fh.read(), first)

    def test_holds_every_module_and_no_bytecode(self):
        import zipfile

        with zipfile.ZipFile(self.pyz) as z:
            names = z.namelist()
        package = ROOT / "minisweep"
        expected = sorted("minisweep/" + p.relative_to(package).as_posix() for p in package.rglob("*")
                          if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
        self.assertEqual(names, ["__main__.py"] + expected)

    def test_interpreter_line_and_bad_one(self):
        d = self.workdir()
        self.run_in(d, sys.executable, "minisweep.pyz", "zipapp", "-o", "p.pyz", "-p", "/usr/bin/python3")
        with open(os.path.join(d, "p.pyz"), "rb") as fh:
            self.assertEqual(fh.readline(), b"#!/usr/bin/python3\n")
        bad = self.run_in(d, sys.executable, "minisweep.pyz", "zipapp", "-o", "q.pyz", "-p", "", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertEqual(len(bad.stderr.splitlines()), 1, bad.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "q.pyz")))

    # ------------------------------------------------- a grid sweep on the oldest and newest Python

    def grid_sweep(self, python):
        d = self.workdir()
        with open(os.path.join(d, "sweep.yaml"), "w") as fh:
            fh.write(SWEEP_YAML)
        with open(os.path.join(d, "train.py"), "w") as fh:
            fh.write(TRAIN_PY % ((os.path.join(d, "minisweep.pyz"),) * 2))
        created = self.run_in(d, python, "minisweep.pyz", "sweep", "sweep.yaml")
        sweep_id = created.stdout.split()[2]
        self.assertIn("run an agent with:  python3 minisweep.pyz agent %s" % sweep_id, created.stdout)
        self.run_in(d, python, "minisweep.pyz", "agent", sweep_id, "--quiet")
        best = self.run_in(d, python, "minisweep.pyz", "best", sweep_id)
        self.assertEqual(json.loads(best.stdout), {"layers": 1, "lr": 0.05})
        status = self.run_in(d, python, "minisweep.pyz", "status", sweep_id)
        self.assertIn("grid finished, 6 finished", status.stdout)
        # the library, from the same file
        script = textwrap.dedent("""\
            import sys
            sys.path.insert(0, "minisweep.pyz")
            import minisweep
            assert minisweep.__file__.startswith("minisweep.pyz"), minisweep.__file__
            result = minisweep.load(%r)
            print(sorted((r.config["layers"], r.config["lr"], r.state, r.summary["loss"]) for r in result.runs))
            """) % sweep_id
        runs = self.run_in(d, python, "-c", script)
        expected = sorted((layers, lr, "finished", (lr - 0.05) ** 2 + layers)
                          for layers in (1, 2) for lr in (0.01, 0.05, 0.1))
        self.assertEqual(runs.stdout.strip(), str(expected))

    def test_grid_sweep_on_oldest_python(self):
        python = find_python(6)
        if python is None:
            self.skipTest("CPython 3.6 not found under $(pyenv root)/versions: the oldest supported Python "
                          "is not tested here (.ci/run's machines have it)")
        self.grid_sweep(python)

    def test_grid_sweep_on_newest_python(self):
        python = find_python(13)
        if python is None:
            self.skipTest("CPython 3.13 not found under $(pyenv root)/versions: the newest supported Python "
                          "is not tested here (.ci/run's machines have it)")
        self.grid_sweep(python)

    def test_grid_sweep_on_this_python(self):
        self.grid_sweep(sys.executable)

    def test_doctests_pass_inside_the_one_file(self):
        # nothing the package's own examples use may depend on its files being in a directory
        d = self.workdir()
        script = textwrap.dedent("""\
            import doctest, importlib, pkgutil, sys, unittest
            sys.path.insert(0, "minisweep.pyz")
            import minisweep
            suite = unittest.TestSuite()
            for info in sorted(pkgutil.walk_packages(minisweep.__path__, "minisweep."), key=lambda i: i.name):
                last = info.name.rpartition(".")[2]
                if last.startswith("__") or ".wandb.integration" in info.name or info.name.endswith(".keras"):
                    continue
                suite.addTests(doctest.DocTestSuite(importlib.import_module(info.name)))
            result = unittest.TextTestRunner(stream=sys.stdout, verbosity=0).run(suite)
            print("ran", result.testsRun, "doctests from", minisweep.__file__)
            sys.exit(0 if result.wasSuccessful() else 1)
            """)
        out = self.run_in(d, sys.executable, "-W", "error", "-c", script)
        self.assertIn("doctests from minisweep.pyz", out.stdout)


if __name__ == "__main__":
    unittest.main()
