"""Hardening of the store and its readers (issue 11): the ways an unlucky sweep folder broke them.

Each test class is one item of issue 11: a huge number in a metric or a
journal line, stray entries in ``journal/`` and shared folders, a lock path
that is a dangling symlink or a directory, symlinked sub-folders, ``agent()``
closing its store, and ``ls`` next to leftovers of a killed ``create``.
"""

import contextlib
import errno
import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import unittest
from unittest import mock

import minisweep
from minisweep import cli
from minisweep.api import load
from minisweep.errors import StoreError
from minisweep.lock import LeaseLock
from minisweep.runner import AgentError
from minisweep.runs import Run, is_number
from minisweep.search import next_config
from minisweep.store import SweepStore

from tests import support
from tests.support import FakeClock, env_with, temp_dir

HUGE = 10 ** 400  # beyond float range: float(HUGE) raises OverflowError


class TempStoreTest(support.TempStoreTest):
    def cli(self, *args):
        """Run the command line in this process: (exit status, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main([str(a) for a in args])
        return code, out.getvalue(), err.getvalue()


def propose_from(store: SweepStore):
    return lambda runs, index: next_config(store.config, runs, seed=store.seed, index=index)


# ------------------------------------------------------------------------------ item 6: huge numbers


class TestHugeNumbers(TempStoreTest):
    """Item 6: an int beyond float range counts as a non-finite value (like ``inf``), never as an error."""

    def test_is_number_rejects_ints_beyond_float_range(self):
        self.assertFalse(is_number(HUGE))
        self.assertFalse(is_number(-HUGE))
        self.assertTrue(is_number(10 ** 300))  # still within float range
        self.assertTrue(is_number(-(10 ** 300)))

    def test_a_huge_value_never_ranks(self):
        run = Run("r", "finished", {}, history=[{"loss": HUGE}, {"loss": 3}, {"loss": -HUGE}])
        self.assertEqual(run.metric_values("loss"), [3])
        self.assertEqual(run.best("loss", maximize=True), 3)
        self.assertEqual(run.best("loss", maximize=False), 3)

    def test_sweep_with_a_huge_metric_runs_and_every_view_works(self):
        config = {"method": "bayes", "metric": {"name": "loss", "goal": "maximize", "target": 100},
                  "parameters": {"x": {"min": 0.0, "max": 1.0}}}
        sweep_id = minisweep.sweep(config, project="p", dir=self.root)
        calls = []

        def train(cfg):
            calls.append(cfg)
            return {"loss": HUGE if len(calls) % 2 else float(len(calls))}

        started = minisweep.agent(sweep_id, train, count=4, dir=self.root, quiet=True)
        self.assertEqual(started, 4)  # every bayes / target check after the huge value still claims
        result = load(sweep_id, dir=self.root)
        self.assertEqual(result.counts(), {"finished": 4})
        best = result.best_run()
        self.assertEqual(best.summary["loss"], 4.0)  # the largest finite value; the huge ones do not rank
        for command in ("status", "best", "export"):
            with self.subTest(command=command):
                code, out, err = self.cli(command, sweep_id, "--dir", self.root)
                self.assertEqual(code, 0, err)
        code, out, err = self.cli("export", sweep_id, "--dir", self.root, "--format", "jsonl")
        self.assertEqual(code, 0, err)
        self.assertIn(str(HUGE), out)  # exported exactly as logged
        report = os.path.join(self.dir, "report.html")
        code, out, err = self.cli("report", sweep_id, "--dir", self.root, "-o", report)
        self.assertEqual(code, 0, err)

    def test_huge_numbers_in_journal_lines_do_not_break_readers(self):
        store = self.create({"method": "grid", "parameters": {"a": {"values": [1, 2, 3]}}})
        run = store.claim("agent", propose_from(store), lease_seconds=30)
        store.start(run.id)
        store.log(run.id, {"loss": 1.0})
        store.finish(run.id, "finished")
        journal = os.path.join(store.path, "journal", store.writer + ".jsonl")
        with open(journal, "a") as f:  # a second run whose lines carry 400-digit numbers everywhere
            f.write('{"op": "claim", "run": "bigrun01", "index": 1, "config": {"a": 2}, "agent": "x", '
                    '"lease_seconds": %d, "at": %d}\n' % (HUGE, HUGE))
            f.write('{"op": "start", "run": "bigrun01", "at": %d}\n' % HUGE)
            f.write('{"op": "log", "run": "bigrun01", "row": {"loss": %d}, "at": %d}\n' % (HUGE, HUGE))
            f.write('{"op": "finish", "run": "bigrun01", "state": "finished", "at": %d, "wall_time": %d}\n'
                    % (HUGE, HUGE))
        reader = self.reopen(store)
        runs = {r.id: r for r in reader.runs()}
        self.assertEqual(set(runs), {run.id, "bigrun01"})
        big = runs["bigrun01"]
        self.assertEqual(big.state, "finished")
        self.assertEqual(big.summary, {"loss": HUGE})
        self.assertNotIn("wall_time", big.info)  # not a usable duration
        self.assertEqual(big.info["lease_seconds"], 60.0)  # the default, not an overflow
        # a claim after it still works (it reads and judges every run)
        self.assertEqual(reader.claim("agent", propose_from(reader), lease_seconds=30).index, 2)
        code, out, err = self.cli("status", store.id, "--dir", self.root)
        self.assertEqual(code, 0, err)
        code, out, err = self.cli("report", store.id, "--dir", self.root, "-o", os.path.join(self.dir, "r.html"))
        self.assertEqual(code, 0, err)


# ------------------------------------------------------------------ item 7: stray entries, shared folders


def grid3() -> dict:
    return {"method": "grid", "metric": {"name": "loss"}, "parameters": {"a": {"values": [1, 2, 3]}}}


def spin_clock() -> FakeClock:
    """A monotonic clock from 0 and its sleep, failing the test when asked the time 100000 times (a spin)."""
    return FakeClock(0.0, spin_limit=100000)


def bounded(test: unittest.TestCase, function, seconds: float = 20.0):
    """Call ``function`` in a thread; fail (instead of hanging the suite) if it does not return in time."""
    box = {}

    def target():
        try:
            box["value"] = function()
        except BaseException as exc:  # handed to the test below
            box["error"] = exc
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    test.assertFalse(thread.is_alive(), "blocked for %g s" % seconds)
    if "error" in box:
        raise box["error"]
    return box.get("value")


def release_fifo(path: str) -> None:
    """Let a reader blocked in open() on the FIFO ``path`` go (only the old code blocks there)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError:
        pass


class TestStrayEntries(TempStoreTest):
    """Item 7: what is not a journal (or not a claim, or not a stop request) is skipped, never waited on."""

    def finished_run(self, store: SweepStore):
        run = store.claim("agent", propose_from(store), lease_seconds=30)
        store.start(run.id)
        store.log(run.id, {"loss": 0.5})
        store.finish(run.id, "finished")
        return run

    def test_directories_fifos_sockets_and_symlinks_in_journal_are_skipped(self):
        store = self.create(grid3())
        run = self.finished_run(store)
        journal = os.path.join(store.path, "journal")
        os.mkdir(os.path.join(journal, "x.jsonl"))
        fifo = os.path.join(journal, "fifo.jsonl")
        os.mkfifo(fifo)
        self.addCleanup(release_fifo, fifo)
        sock = socket.socket(socket.AF_UNIX)
        self.addCleanup(sock.close)
        sock.bind(os.path.join(journal, "s.jsonl"))
        # a symlink to a real journal elsewhere: not followed (it would be counted twice, or read from anywhere)
        outside = os.path.join(self.dir, "elsewhere.jsonl")
        shutil.copy(os.path.join(journal, store.writer + ".jsonl"), outside)
        os.symlink(outside, os.path.join(journal, "link.jsonl"))
        os.symlink(os.path.join(self.dir, "nowhere"), os.path.join(journal, "dangling.jsonl"))
        reader = self.reopen(store)
        runs = bounded(self, reader.runs)
        self.assertEqual([(r.id, r.state) for r in runs], [(run.id, "finished")])
        nxt = bounded(self, lambda: reader.claim("agent", propose_from(reader), lease_seconds=30))
        self.assertEqual(nxt.index, 1)
        code, out, err = bounded(self, lambda: self.cli("status", store.id, "--dir", self.root))
        self.assertEqual(code, 0, err)

    def test_a_fifo_or_directory_among_the_claims_takes_its_number_without_blocking(self):
        store = self.create(grid3())
        claims = os.path.join(store.path, "claims")
        fifo = os.path.join(claims, "0.json")
        os.mkfifo(fifo)
        self.addCleanup(release_fifo, fifo)
        os.mkdir(os.path.join(claims, "1.json"))
        run = bounded(self, lambda: store.claim("agent", propose_from(store), lease_seconds=30))
        self.assertEqual(run.index, 2)  # 0 and 1 are used (as a damaged claim file would be)
        self.assertEqual([r.id for r in bounded(self, self.reopen(store).runs)], [run.id])

    def test_a_fifo_in_stop_is_not_waited_on(self):
        store = self.create(grid3())
        run = store.claim("agent", propose_from(store), lease_seconds=30)
        fifo = os.path.join(store.path, "stop", run.id + ".json")
        os.mkfifo(fifo)
        self.addCleanup(release_fifo, fifo)
        self.assertIsNone(bounded(self, lambda: store.stop_requested(run.id)))


AGENT_WITH_UMASK = textwrap.dedent("""\
    import os, sys
    os.umask(0o077)
    import minisweep
    root = sys.argv[1]
    sweep_id = sys.argv[2] if len(sys.argv) > 2 else minisweep.sweep(
        {"method": "grid", "metric": {"name": "loss"}, "parameters": {"a": {"values": [1, 2, 3]}}},
        project="p", dir=root)
    minisweep.agent(sweep_id, lambda config: {"loss": config["a"]}, count=2, dir=root, quiet=True)
    print(sweep_id)
    """)


@unittest.skipUnless(os.name == "posix", "POSIX permission bits")
class TestSharedFolders(TempStoreTest):
    """Item 7: files and folders are shared as the folder they are made in is, whatever the creator's umask."""

    def run_umask_agent(self, root, *args):
        out = subprocess.run([sys.executable, "-c", AGENT_WITH_UMASK, root] + list(args), env=env_with(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def modes(self, top):
        """{relative path: permission bits} of everything under ``top``."""
        found = {}
        for here, dirs, files in os.walk(top):
            for name in dirs + files:
                path = os.path.join(here, name)
                found[os.path.relpath(path, top)] = stat.S_IMODE(os.lstat(path).st_mode)
        return found

    @staticmethod
    def shared_part(modes):
        """All but what is in a run's own folder (``files/<run>/``, which only its agent writes)."""
        kept = {}
        for name, mode in modes.items():
            parts = name.split(os.sep)
            if "files" in parts and len(parts) > parts.index("files") + 1:
                continue
            kept[name] = mode
        return kept

    def test_a_umask_077_agent_keeps_a_group_folder_usable_by_the_group(self):
        root = os.path.join(self.dir, "team")
        os.mkdir(root)
        os.chmod(root, 0o2770)  # a team folder: group read/write, new entries in the folder's group
        sweep_id = minisweep.sweep(grid3(), project="p", dir=root)  # made by a member with the usual umask
        self.run_umask_agent(root, sweep_id)  # another member's agent, with umask 077
        modes = self.modes(os.path.join(root, "p", sweep_id))
        self.assertTrue(any(name.startswith("journal" + os.sep) for name in modes))
        for name, mode in self.shared_part(modes).items():
            with self.subTest(path=name):
                self.assertEqual(mode & 0o060, 0o060, oct(mode))  # the group may read and write it
                self.assertEqual(mode & 0o007, 0, oct(mode))  # others get what the folder gives them: nothing

    def test_a_sweep_created_under_umask_077_in_a_group_folder_is_shared(self):
        root = os.path.join(self.dir, "team")
        os.mkdir(root)
        os.chmod(root, 0o2775)
        sweep_id = self.run_umask_agent(root)  # creates the sweep and runs it, all under umask 077
        for name, mode in self.shared_part(self.modes(root)).items():
            with self.subTest(path=name):
                path = os.path.join(root, name)
                if os.path.isdir(path):
                    self.assertEqual(mode & 0o777, 0o775, oct(mode))
                    self.assertTrue(mode & stat.S_ISGID, oct(mode))  # kept: new entries stay in the group
                else:
                    self.assertEqual(mode, 0o664, oct(mode))
        self.assertEqual(len(load(sweep_id, dir=root).runs), 2)

    def test_a_private_folder_stays_private(self):
        root = os.path.join(self.dir, "mine")
        os.mkdir(root)
        os.chmod(root, 0o700)
        self.run_umask_agent(root)
        for name, mode in self.modes(root).items():
            with self.subTest(path=name):
                self.assertEqual(mode & 0o077, 0, oct(mode))


# --------------------------------------------------------------- item 8: a lock that is not a lock file


class TestForeignLock(TempStoreTest):
    """Item 8: a dangling symlink or a directory named ``lock``: a clear StoreError, no spinning."""

    def setUp(self):
        super().setUp()
        os.makedirs(self.root)
        self.path = os.path.join(self.root, "lock")

    def waiter(self, clock):
        return LeaseLock(self.path, {"agent": "w"}, monotonic=clock, sleep=clock.sleep, heartbeat=False)

    def test_a_dangling_symlink(self):
        os.symlink(os.path.join(self.root, "gone"), self.path)
        clock = spin_clock()
        with self.assertRaises(StoreError) as cm:
            self.waiter(clock).acquire(lease_seconds=1.0, timeout=5.0)
        self.assertIn("symbolic link", str(cm.exception))
        self.assertEqual(cm.exception.path, self.path)
        self.assertTrue(os.path.islink(self.path))  # not ours to remove

    def test_a_directory(self):
        os.mkdir(self.path)
        clock = spin_clock()
        with self.assertRaises(StoreError) as cm:
            self.waiter(clock).acquire(lease_seconds=1.0, timeout=5.0)
        self.assertNotIsInstance(cm.exception, IsADirectoryError)
        self.assertIn("directory", str(cm.exception))
        self.assertEqual(cm.exception.errno, errno.EISDIR)

    def test_a_fifo(self):
        os.mkfifo(self.path)
        self.addCleanup(release_fifo, self.path)
        clock = spin_clock()
        with self.assertRaises(StoreError):
            bounded(self, lambda: self.waiter(clock).acquire(lease_seconds=1.0, timeout=5.0))

    def test_a_lock_that_keeps_vanishing_is_waited_for_with_sleeps_and_a_timeout(self):
        # link() says "taken" but every look finds nothing (a lock name no open() can reach):
        # the waiter must still sleep between tries and give up at its timeout
        os.symlink(os.path.join(self.root, "gone"), self.path)
        clock = spin_clock()
        waiter = self.waiter(clock)
        with mock.patch.object(LeaseLock, "_observe", return_value=None):
            self.assertFalse(waiter.acquire(lease_seconds=1.0, timeout=5.0))
        self.assertGreaterEqual(clock.t, 5.0)
        self.assertLess(clock.calls, 10000)

    def test_the_store_reports_it(self):
        store = self.create(grid3())
        os.mkdir(os.path.join(store.path, "lock"))
        with self.assertRaises(StoreError) as cm:
            store.claim("agent", propose_from(store), lease_seconds=30)
        self.assertIn("lock", str(cm.exception))


# ------------------------------------------------------------------- item 9: symlinked sub-folders


class TestSymlinkedFolders(TempStoreTest):
    """Item 9: a sweep's journal/, claims/, stop/ or files/ that is a symlink is refused, never written through."""

    def redirect(self, store: SweepStore, name: str) -> str:
        """Move ``name`` out of the sweep folder and leave a symlink to it in its place; the outside path."""
        outside = os.path.join(self.dir, "outside-" + name)
        inside = os.path.join(store.path, name)
        if os.path.isdir(inside):
            os.rename(inside, outside)
        else:
            os.mkdir(outside)
        os.symlink(outside, inside)
        return outside

    def test_journal_and_claims(self):
        for name in ("journal", "claims"):
            with self.subTest(folder=name):
                store = self.create(grid3(), sweep_id="s-" + name)
                outside = self.redirect(store, name)
                with self.assertRaises(StoreError) as cm:
                    store.claim("agent", propose_from(store), lease_seconds=30)
                self.assertIn("symbolic link", str(cm.exception))
                self.assertIn(name, str(cm.exception))
                self.assertEqual(os.listdir(outside), [])  # nothing written through it
                self.assertFalse(os.path.exists(os.path.join(store.path, "lock")))

    def test_stop(self):
        store = self.create(grid3())
        run = store.claim("agent", propose_from(store), lease_seconds=30)
        outside = self.redirect(store, "stop")
        with self.assertRaises(StoreError) as cm:
            store.request_stop(run.id, "hyperband")
        self.assertIn("symbolic link", str(cm.exception))
        self.assertEqual(os.listdir(outside), [])

    @unittest.skipUnless(os.name == "posix", "runs a child process")
    def test_files_of_runs(self):
        program = os.path.join(self.dir, "train.py")
        with open(program, "w") as f:
            f.write("print('loss=0.5')\n")
        config = dict(grid3(), program=program)
        sweep_id = minisweep.sweep(config, project="p", dir=self.root)
        store = SweepStore.open(self.root, "p", sweep_id)
        self.addCleanup(store.close)
        outside = self.redirect(store, "files")
        for function in (None, lambda config: 1.0):  # a program (command mode), a function
            with self.subTest(command_mode=function is None):
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    with self.assertRaises(StoreError) as cm:
                        minisweep.agent(sweep_id, function, count=1, dir=self.root, quiet=True)
                self.assertIn("symbolic link", str(cm.exception))
                self.assertIn("files", str(cm.exception))
                self.assertEqual(os.listdir(outside), [])
                self.assertEqual(load(sweep_id, dir=self.root).runs, [])  # refused before any run


# ------------------------------------------------------------------------ item 10: agent() closes its store


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class TestAgentClosesItsStore(TempStoreTest):
    """Item 10: each ``agent()`` call closes its store: no descriptor left, a ``close`` line, no marker."""

    def test_no_descriptor_leaks_over_300_calls(self):
        if not os.path.isdir("/proc/self/fd"):
            self.skipTest("needs /proc/self/fd to count descriptors")
        root = self.root
        if os.path.isdir("/dev/shm"):  # memory: 300 agents' fsyncs cost nothing there
            root = temp_dir(self, dir="/dev/shm")
        config = {"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}}
        # a sweep per call, so that no agent has to read the journals of the ones before it
        sweep_ids = [minisweep.sweep(config, project="p", dir=root) for _ in range(301)]
        minisweep.agent(sweep_ids[0], lambda config: config["x"], count=1, dir=root, quiet=True)  # warm up
        before = open_fds()
        for sweep_id in sweep_ids[1:]:
            minisweep.agent(sweep_id, lambda config: config["x"], count=1, dir=root, quiet=True)
        self.assertLessEqual(open_fds(), before)  # (it was one more descriptor per call: 300)
        self.assertEqual(len(load(sweep_ids[-1], dir=root).runs), 1)

    def test_the_journal_is_closed_and_the_marker_and_lock_record_removed(self):
        sweep_id = minisweep.sweep(grid3(), project="p", dir=self.root)
        minisweep.agent(sweep_id, lambda config: config["a"], count=2, dir=self.root, quiet=True)
        journal = os.path.join(self.root, "p", sweep_id, "journal")
        names = os.listdir(journal)
        self.assertEqual([n for n in names if not n.endswith(".jsonl")], [])  # no .mark, no .lock left
        (name,) = names
        with open(os.path.join(journal, name)) as f:
            last = json.loads(f.read().splitlines()[-1])
        self.assertEqual(last["op"], "close")

    def test_closed_even_when_the_agent_gives_up(self):
        sweep_id = minisweep.sweep(grid3(), project="p", dir=self.root)

        def fails(config):
            raise RuntimeError("boom")
        with self.assertRaises(AgentError):
            with contextlib.redirect_stderr(io.StringIO()):
                minisweep.agent(sweep_id, fails, dir=self.root, quiet=True, max_initial_failures=2)
        journal = os.path.join(self.root, "p", sweep_id, "journal")
        self.assertEqual([n for n in os.listdir(journal) if not n.endswith(".jsonl")], [])


if __name__ == "__main__":
    unittest.main()
