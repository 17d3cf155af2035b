"""What the tests share: paths, a temporary folder per test, child processes, a fake clock.

A test module imports its fixtures from here, never from another test module, so that running one
module alone (``python -m unittest tests.test_cli``) does not load and collect the tests of another.
Nothing here is a test: the module name does not match ``test*.py``, and the base classes below hold
no ``test_`` methods, so discovery runs nothing twice.

The pieces, smallest first:

- ``ROOT`` (this checkout), ``SHARED`` and ``CORPUS`` (the read-only shared material beside it,
  absent on most machines: a test that needs it is decorated ``@needs_corpus`` and skips cleanly);
- ``env_with(**extra)``: the environment for a child Python that imports *this* checkout's package;
- ``temp_dir(test)``: a fresh folder removed when ``test`` ends, whether it passed or not;
- ``warnings_are_errors(test)``: the style rule "warnings are errors in tests", undone after the test;
- ``TempDirTest``: ``self.dir`` plus ``sweep`` / ``agent`` / ``load`` on it (project ``p``, seed 1);
- ``CommandLineTest``: ``self.store`` plus running ``python -m minisweep`` in the foreground
  (``cli``) or the background (``start_agent``), and waiting on the programs it starts;
- ``TempStoreTest``: a ``SweepStore`` root per test, every store opened closed at the end;
- ``alive(pid)`` and ``SLEEPER``, a program that notes its pid and waits to be stopped;
- ``FakeClock``: a clock and its ``sleep``, so waits and leases are tested without sleeping.

``benchmarks/stress.py`` imports ``alive`` from here too: both live in every checkout (neither is
shipped), and one answer to "is that process still running, zombies aside" is better than two that
drift apart (they had: one said "alive" when ``/proc`` could not be read, the other "gone").
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import warnings
from pathlib import Path

import minisweep
from minisweep.store import SweepStore

__all__ = ["ROOT", "SHARED", "CORPUS", "POSIX", "STRESS", "needs_corpus", "env_with", "temp_dir",
           "warnings_are_errors", "TempDirTest", "CommandLineTest", "TempStoreTest", "alive", "SLEEPER",
           "FakeClock"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "sweep-configs"
POSIX = os.name == "posix"
STRESS = os.environ.get("MINISWEEP_STRESS") == "1"  # heavier multi-process tests when "1"

needs_corpus = unittest.skipUnless(CORPUS.is_dir(), "the shared corpus of sweep configs is not present")


def env_with(**extra):
    """The environment for a child process that imports this checkout's minisweep.

    Values are turned into strings, so ``env_with(MINISWEEP_DIR=path, COUNT=3)`` is fine.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def temp_dir(test, **kw):
    """A new folder, removed with everything in it when ``test`` ends; ``kw`` as for ``mkdtemp``."""
    tmp = tempfile.TemporaryDirectory(**kw)
    test.addCleanup(tmp.cleanup)
    return tmp.name


def warnings_are_errors(test):
    """Turn every warning into an error until ``test`` ends (the filters are restored after)."""
    catcher = warnings.catch_warnings()
    catcher.__enter__()
    test.addCleanup(catcher.__exit__, None, None, None)
    warnings.simplefilter("error")


class TempDirTest(unittest.TestCase):
    """``self.dir``, a folder of this test's own, and the public API pointed at it."""

    def setUp(self):
        self.dir = temp_dir(self)

    def sweep(self, config, **kw):
        return minisweep.sweep(config, project="p", dir=self.dir, seed=kw.pop("seed", 1), **kw)

    def agent(self, sweep_id, function, **kw):
        kw.setdefault("quiet", True)
        return minisweep.agent(sweep_id, function=function, dir=self.dir, **kw)

    def load(self, sweep_id):
        return minisweep.load(sweep_id, dir=self.dir)


class CommandLineTest(TempDirTest):
    """``python -m minisweep`` run in ``self.dir`` (where programs are written) on ``self.store``."""

    def setUp(self):
        super().setUp()
        self.store = os.path.join(self.dir, "store")

    def load(self, sweep_id):
        return minisweep.load(sweep_id, dir=self.store)

    def write(self, name, text):
        """Write ``text`` to ``name`` in ``self.dir``; returns its path."""
        path = os.path.join(self.dir, name)
        with open(path, "w") as fh:
            fh.write(text)
        return path

    def cli(self, *args, timeout=120, **env):
        """Run the command line to its end: a CompletedProcess with text stdout and stderr."""
        return subprocess.run([sys.executable, "-m", "minisweep"] + [str(a) for a in args], cwd=self.dir,
                              env=env_with(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=timeout)

    def start_agent(self, sweep_id, *extra, **env):
        """`minisweep agent` in the background, for tests that stop, cancel or interrupt it."""
        return subprocess.Popen([sys.executable, "-m", "minisweep", "agent", sweep_id, "--dir", self.store]
                                + list(extra), cwd=self.dir, env=env_with(**env), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, universal_newlines=True)

    def wait_for_pid(self, path, seconds=30):
        """The first pid a program (``SLEEPER``) wrote to ``path``; fails the test if none comes."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            if os.path.exists(path):
                with open(path) as fh:
                    text = fh.read().strip()
                if text:
                    return int(text.splitlines()[0])
            time.sleep(0.05)
        self.fail("the child never started")

    def wait_gone(self, pid, seconds=10):
        """Whether process ``pid`` ended within ``seconds``."""
        deadline = time.time() + seconds
        while alive(pid) and time.time() < deadline:
            time.sleep(0.05)
        return not alive(pid)


class TempStoreTest(unittest.TestCase):
    """A store root per test (``self.root`` inside ``self.dir``); warnings are errors."""

    def setUp(self):
        warnings_are_errors(self)
        self.dir = temp_dir(self)
        self.root = os.path.join(self.dir, "root")

    def create(self, config, **kw):
        store = SweepStore.create(self.root, "proj", config, **kw)
        self.addCleanup(store.close)
        return store

    def reopen(self, store, **kw):
        other = SweepStore.open(self.root, store.project, store.id, **kw)
        self.addCleanup(other.close)
        return other


def alive(pid):
    """Whether process ``pid`` runs: it exists and is not a zombie waiting for its parent."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process
        return True
    if not os.path.isdir("/proc/self"):  # no /proc to ask about zombies: kill() said it exists
        return True
    try:
        with open("/proc/%d/stat" % pid) as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:  # it went away between the two questions
        return False


# A program that writes its pid to $PID_OUT, reports a metric and then waits a long time (to be stopped).
SLEEPER = textwrap.dedent("""\
    import os, sys, time
    with open(os.environ["PID_OUT"], "a") as fh:
        fh.write("%d\\n" % os.getpid())
    print("loss=1.0", flush=True)
    time.sleep(120)
    """)


class FakeClock:
    """A wall clock and a monotonic clock in one; ``sleep`` (alias ``advance``) moves it on.

    With ``spin_limit`` it fails the test when asked the time more than that many times: a wait
    loop that spins instead of sleeping is caught instead of hanging the suite.
    """

    def __init__(self, t=1000.0, spin_limit=None):
        self.t = t
        self.calls = 0
        self.sleeps = 0
        self.spin_limit = spin_limit

    def __call__(self):
        self.calls += 1
        if self.spin_limit is not None and self.calls > self.spin_limit:
            raise AssertionError("the wait loop asked the time %d times without sleeping enough: it spins"
                                 % self.calls)
        return self.t

    def sleep(self, seconds):
        self.sleeps += 1
        self.t += seconds

    advance = sleep
