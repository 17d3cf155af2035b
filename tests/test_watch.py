"""``minisweep status --watch``: the incremental digest, the plain table, and the curses view under a real pty."""

import io
import os
import select
import struct
import subprocess
import sys
import time
import unittest

from minisweep import watchmodel as watch_module
from minisweep.store import SweepStore
from minisweep.watch import SweepWatch, sparkline, watch
from tests import vt
from tests.support import env_with, temp_dir, warnings_are_errors

CONFIG = {"method": "random", "metric": {"name": "loss"},
          "early_terminate": {"type": "hyperband", "min_iter": 3, "eta": 3},
          "parameters": {"lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 0.1},
                         "layers": {"values": [1, 2, 3]}}}
HYPERBAND = "hyperband: loss 2.5 at band 3 is worse than the threshold 1.5 (4 runs reached band 3, eta 3)"


class Clock:
    def __init__(self, now=1700000000.0):
        self.now = now

    def __call__(self):
        return self.now


class Sweep:
    """A sweep and two writers on it, as two agents on two hosts would be."""

    def __init__(self, test, config=CONFIG, clock=None):
        self.root = temp_dir(test)
        self.clock = clock or Clock()
        self.a = SweepStore.create(self.root, "p", config, sweep_id="sw", clock=self.clock)
        self.b = SweepStore.open(self.root, "p", "sw", clock=self.clock)
        test.addCleanup(self.a.close)
        test.addCleanup(self.b.close)
        self.n = 0

    def reader(self):
        return SweepStore.open(self.root, "p", "sw", clock=self.clock)

    def run(self, writer=None, values=(), start=True):
        writer = writer or self.a
        self.n += 1
        config = {"lr": 0.001 * self.n, "layers": 1 + self.n % 3}
        run = writer.claim("agent-%s" % writer.writer, lambda runs, index: config, lease_seconds=600)
        if start:
            writer.start(run.id)
        for v in values:
            writer.log(run.id, {"loss": v, "epoch": 1})
        return run


class SweepWatchTest(unittest.TestCase):
    def setUp(self):
        warnings_are_errors(self)

    def test_counts_running_runs_best_and_events(self):
        s = Sweep(self)
        done = s.run(s.a, [3.0, 2.0, 1.0])
        s.a.finish(done.id, "finished")
        live = s.run(s.b, [4.0, 3.5])   # another agent's run, in progress
        pend = s.run(s.b, start=False)
        w = SweepWatch(s.reader(), clock=s.clock)
        self.assertTrue(w.refresh())
        self.assertEqual(w.counts, {"finished": 1, "running": 1, "pending": 1})
        self.assertEqual(w.best.run.id, done.id)
        self.assertEqual(w.best.best, 1.0)
        self.assertEqual([(f.run.id, f.state, f.iterations, f.latest) for f in w.active()],
                         [(live.id, "running", 2, 3.5), (pend.id, "pending", 0, None)])
        self.assertEqual(w.series(), [1.0])
        self.assertEqual(list(w.events), [])
        # the other agent logs, is asked to stop by hyperband, then stops its run
        s.b.log(live.id, {"loss": 2.5})
        s.b.request_stop(live.id, HYPERBAND)
        self.assertTrue(w.refresh())
        self.assertEqual([(f.iterations, f.latest) for f in w.active()][0], (3, 2.5))
        self.assertEqual(w.stopping, {live.id: HYPERBAND})
        text = w.text(120, 30)
        self.assertRegex(text, r"%s \(#2\) +stopping +3  2\.5 " % live.id)
        s.b.finish(live.id, "stopped", error=HYPERBAND)
        self.assertTrue(w.refresh())
        self.assertEqual(w.counts, {"finished": 1, "stopped": 1, "pending": 1})
        self.assertEqual(w.stopping, {})
        self.assertEqual(w.events[-1].kind, "hyperband")
        self.assertIn("run %s (#2) stopped by hyperband: loss 2.5 at band 3 is worse than the threshold 1.5"
                      % live.id, w.text(200, 30))
        self.assertEqual(w.series(), [1.0, 2.5])  # a stopped run counts with its value so far
        # a better run takes over as best; a failure is an event
        better = s.run(s.a, [0.5])
        s.a.finish(better.id, "finished")
        bad = s.run(s.a)
        s.a.finish(bad.id, "failed", error="Traceback ...\nValueError: bad lr")
        w.refresh()
        self.assertEqual(w.best.run.id, better.id)
        self.assertEqual(w.events[-1].kind, "failed")
        self.assertIn("failed: ValueError: bad lr", w.events[-1].text)
        self.assertFalse(w.over)
        s.b.finish(pend.id, "killed")
        s.a.set_state("stopped")
        w.refresh()
        self.assertTrue(w.over)
        self.assertIn("done: the sweep is stopped, and nothing is in progress", w.text())

    def test_a_refresh_reads_only_what_changed(self):
        s = Sweep(self)
        for i in range(30):
            r = s.run(s.a, [1.0 / (i + 1)] * 5)
            s.a.finish(r.id, "finished")
        live = s.run(s.b, [9.0])
        reader = s.reader()
        w = SweepWatch(reader, clock=s.clock)
        w.refresh()
        journals = os.path.join(reader.path, "journal")

        def journal_bytes():
            return sum(os.path.getsize(os.path.join(journals, n)) for n in os.listdir(journals)
                       if n.endswith(".jsonl"))

        self.assertGreater(w.bytes_read, 5000)
        self.assertFalse(w.refresh())  # nothing new: nothing read, nothing to redraw
        self.assertEqual(w.bytes_read, 0)
        size = journal_bytes()
        s.b.log(live.id, {"loss": 8.0})
        built = []
        original = watch_module.RunFacts

        class Counting(original):
            def __init__(self, run, metric):
                built.append(run.id)
                original.__init__(self, run, metric)

        watch_module.RunFacts = Counting
        self.addCleanup(setattr, watch_module, "RunFacts", original)
        self.assertTrue(w.refresh())
        self.assertEqual(w.bytes_read, journal_bytes() - size)  # exactly the new line
        self.assertEqual(built, [live.id])  # the 30 finished runs were not looked at again
        self.assertEqual(w.active()[0].latest, 8.0)

    def test_the_watcher_writes_nothing(self):
        s = Sweep(self)
        s.run(s.a, [1.0])

        def listing():
            return sorted(os.path.relpath(os.path.join(d, n), s.root)
                          for d, _, names in os.walk(s.root) for n in names)

        before = listing()
        reader = s.reader()
        w = SweepWatch(reader, clock=s.clock)
        for _ in range(3):
            w.refresh()
        out = io.StringIO()
        s.a.set_state("cancelled")
        s.a.finish(s.a.runs()[0].id, "killed")
        self.assertEqual(watch(reader, mode="plain", out=out, wait=lambda seconds: True), 0)
        self.assertEqual(listing(), before)

    def test_the_view_fits_any_size(self):
        s = Sweep(self)
        for i in range(12):
            r = s.run(s.a, [2.0, 1.0 + i])
            s.a.finish(r.id, "stopped", error=HYPERBAND)
        for i in range(9):
            s.run(s.b, [float(i)])
        w = SweepWatch(s.reader(), clock=s.clock)
        w.refresh()
        for cols, rows in ((20, 6), (40, 10), (60, 16), (80, 24), (132, 50)):
            with self.subTest(size=(cols, rows)):
                lines = w.lines(cols, rows, footer="q quits")
                self.assertLessEqual(len(lines), rows)
                self.assertTrue(all(len(text) <= cols for text, _ in lines), lines)
                self.assertTrue(lines[0][0].startswith("minisweep  sweep"))
                self.assertEqual(lines[-1][0], "q quits")
        big = [text for text, _ in w.lines(132, 50)]
        self.assertEqual(sum(1 for t in big if "running" in t and "(#" in t), 9)  # every run in progress
        self.assertEqual(sum(1 for t in big if "stopped by hyperband" in t), 8)  # the latest events
        small = [text for text, _ in w.lines(80, 16)]
        self.assertIn("more in progress", "\n".join(small))

    def test_sparkline(self):
        self.assertEqual(sparkline([3, 1, 2]), "\u2588\u2581\u2585")
        self.assertEqual(sparkline([]), "")
        self.assertEqual(len(sparkline([0.001, 1000.0, 1.0], log=True)), 3)
        self.assertEqual(sparkline([0.001, 1000.0, 1.0], log=True)[2], "\u2585")  # the middle, on a log scale

    def test_over_when_nothing_is_left_to_run(self):
        for config, n in (({"method": "grid", "metric": {"name": "loss"}, "parameters": {"x": {"values": [1, 2]}}}, 2),
                          ({"method": "random", "run_cap": 3, "metric": {"name": "loss"},
                            "parameters": {"x": {"min": 0.0, "max": 1.0}}}, 3)):
            with self.subTest(method=config["method"]):
                s = Sweep(self, config)
                w = SweepWatch(s.reader(), clock=s.clock)
                runs = []
                for _ in range(n):
                    runs.append(s.a.claim("a", lambda rs, i: {"x": 1}, lease_seconds=600))
                    s.a.start(runs[-1].id)
                w.refresh()
                self.assertFalse(w.over)  # the last runs are still in progress
                for r in runs:
                    s.a.finish(r.id, "finished", summary={"loss": 1.0})
                w.refresh()
                self.assertTrue(w.over)
                self.assertEqual(w.state, "running")  # (the agent had not marked it finished)


class PlainWatchTest(unittest.TestCase):
    def test_a_table_per_change_until_the_sweep_is_over(self):
        s = Sweep(self)
        live = s.run(s.a, [3.0])
        steps = [
            lambda: None,                                    # nothing new: no new table
            lambda: s.a.log(live.id, {"loss": 2.0}),
            lambda: s.a.finish(live.id, "stopped", error=HYPERBAND),
            lambda: s.a.set_state("finished"),
        ]
        waits = []

        def wait(seconds):
            waits.append(seconds)
            steps[len(waits) - 1]()
            return False

        out = io.StringIO()
        self.assertEqual(watch(s.reader(), mode="plain", out=out, wait=wait, interval=0.25, clock=s.clock), 0)
        self.assertEqual(waits, [0.25] * 4)
        blocks = out.getvalue().split("\n\n" + "minisweep  sweep")
        self.assertEqual(len(blocks), 4)  # the first look, the new row, the stop, the end
        self.assertRegex(blocks[0], r"%s \(#1\) +running +1  3 " % live.id)
        self.assertRegex(blocks[1], r"%s \(#1\) +running +2  2 " % live.id)
        self.assertIn("stopped by hyperband", blocks[2])
        self.assertIn("done: the sweep is finished", blocks[3])
        self.assertNotIn("\x1b", out.getvalue())  # a pipe or a file gets no escape sequences
        self.assertNotIn("q quits", out.getvalue())

    def test_quit(self):
        s = Sweep(self)
        s.run(s.a, [3.0])
        out = io.StringIO()
        self.assertEqual(watch(s.reader(), mode="plain", out=out, wait=lambda seconds: True), 0)
        self.assertEqual(out.getvalue().count("minisweep  sweep"), 1)


@unittest.skipUnless(sys.platform.startswith("linux") or sys.platform == "darwin", "needs a POSIX pseudo-terminal")
class TerminalTest(unittest.TestCase):
    """The real command in a real pseudo-terminal, read through a VT100 screen."""

    def setUp(self):
        self.s = Sweep(self, clock=time.time)  # the watching process judges leases by the real clock

    def spawn(self, rows, cols, *extra):
        import fcntl
        import termios

        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        # a new session whose controlling terminal is the pty, so that a resize sends it SIGWINCH
        boot = ("import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
                "os.execv(sys.executable, [sys.executable, '-m', 'minisweep'] + sys.argv[1:])")
        proc = subprocess.Popen([sys.executable, "-c", boot, "status", "sw", "--watch", "--interval", "0.05",
                                 "--dir", self.s.root] + list(extra),
                                stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                                env=env_with(TERM="vt100", LANG="C.UTF-8", LC_ALL="C.UTF-8"), cwd=self.s.root)
        # the slave stays open here too: Linux may drop what a program wrote just before it exited if the
        # last slave descriptor closes before the master has read it
        self.addCleanup(self._reap, proc, master, slave)
        return proc, master, vt.Screen(rows, cols)

    def _reap(self, proc, master, slave):
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        os.close(slave)
        os.close(master)

    def pump(self, master, screen, until, timeout=20.0, quiet=0.0):
        """Feed the screen until ``until(screen)`` holds (and nothing more came for ``quiet`` seconds);
        fail with the screen shown if it never does."""
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while True:
            if until(screen) and time.monotonic() - last >= quiet:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail("the screen never showed what was expected:\n" + screen.text())
            ready, _, _ = select.select([master], [], [], min(left, 0.2))
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the program ended and the pty closed
                    data = b""
                if not data:
                    if until(screen):
                        return
                    self.fail("the program ended; the screen:\n" + screen.text())
                screen.feed(data)
                last = time.monotonic()

    def resize(self, master, screen, rows, cols):
        import fcntl
        import termios

        screen.resize(rows, cols)
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def test_live_view_follows_the_sweep_a_resize_and_its_end(self):
        s = self.s
        done = s.run(s.a, [3.0, 2.0, 0.75])
        s.a.finish(done.id, "finished")
        live = s.run(s.b, [5.0, 4.0])
        other = s.run(s.a, [6.0])
        proc, master, screen = self.spawn(24, 100)

        def row(run_id):
            return next((line for line in screen.lines() if line.startswith(run_id)), "")

        self.pump(master, screen, lambda sc: row(live.id) and row(other.id) and "q quits" in sc.text())
        lines = screen.lines()
        self.assertTrue(lines[0].startswith("minisweep  sweep sw (p)  random  RUNNING"))
        self.assertEqual(lines[1], "runs 3: 2 running, 1 finished")
        self.assertTrue(lines[2].startswith("best  %s (#1)  loss = 0.75" % done.id), lines[2])
        self.assertRegex(row(live.id), r"running +2  4 +4 ")
        self.assertTrue(lines[23].startswith("q quits"))  # the footer on the bottom line
        # agents on two "hosts" write; the view follows, hyperband's stop shows as it happens
        s.b.log(live.id, {"loss": 3.5})
        self.pump(master, screen, lambda sc: " 3  3.5 " in row(live.id))
        s.a.request_stop(other.id, HYPERBAND)
        self.pump(master, screen, lambda sc: "stopping" in row(other.id))
        s.a.log(other.id, {"loss": 6.5})
        s.a.finish(other.id, "stopped", error=HYPERBAND)
        self.pump(master, screen, lambda sc: "stopped by hyperband: loss 2.5 at band 3" in sc.text()
                  and not row(other.id))
        self.assertIn("runs 3: 1 running, 1 finished, 1 stopped", screen.lines())
        # a smaller window: the whole view redrawn to fit it, footer on its new bottom line
        self.resize(master, screen, 12, 60)
        self.pump(master, screen, lambda sc: sc.lines()[11].startswith("q quits"))
        lines = screen.lines()
        self.assertTrue(lines[0].startswith("minisweep  sweep sw (p)  random  RUNNING"))
        self.assertTrue(lines[2].startswith("best  %s (#1)" % done.id))
        self.assertTrue(row(live.id))
        self.assertEqual([line for line in lines if "q quits" in line], [lines[11]])  # no leftovers of the old size
        # and larger again
        self.resize(master, screen, 30, 120)
        self.pump(master, screen, lambda sc: sc.lines()[29].startswith("q quits"))
        self.assertIn("stopped by hyperband: loss 2.5 at band 3 is worse than the threshold 1.5",
                      screen.text())
        # the sweep finishes while watched: the program ends by itself and leaves the final table
        s.b.log(live.id, {"loss": 0.5})
        s.b.finish(live.id, "finished")
        s.a.set_state("finished")
        self.pump(master, screen, lambda sc: proc.poll() is not None and "done: the sweep is finished" in sc.text(),
                  quiet=0.3)
        self.assertEqual(proc.wait(timeout=10), 0)
        self.assertIn("runs 3: 2 finished, 1 stopped", screen.text())
        self.assertIn("best  %s (#2)  loss = 0.5" % live.id, screen.text())

    def test_q_quits(self):
        s = self.s
        s.run(s.a, [1.0])
        for extra in ((), ("--plain",)):
            with self.subTest(extra=extra):
                proc, master, screen = self.spawn(20, 80, *extra)
                self.pump(master, screen, lambda sc: "q quits" in sc.text())
                os.write(master, b"q")
                self.assertEqual(proc.wait(timeout=10), 0)

    def test_not_a_terminal_gets_the_plain_table(self):
        s = self.s
        live = s.run(s.a, [1.0])
        s.a.set_state("stopped")
        proc = subprocess.Popen([sys.executable, "-m", "minisweep", "status", "sw", "--watch", "--interval", "0.05",
                                 "--dir", s.root], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env_with(TERM="vt100"), universal_newlines=True, cwd=s.root)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        time.sleep(0.3)
        s.a.finish(live.id, "finished")
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.assertNotIn("\x1b", out)
        self.assertIn("%s (#1)" % live.id, out)
        self.assertTrue(out.rstrip().endswith("done: the sweep is stopped, and nothing is in progress"), out)

    def test_bad_interval(self):
        out = subprocess.run([sys.executable, "-m", "minisweep", "status", "sw", "--watch", "--interval", "0",
                              "--dir", self.s.root], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env_with(), universal_newlines=True, timeout=60)
        self.assertEqual(out.returncode, 2)
        self.assertEqual(out.stderr, "error: --interval: expected a positive number of seconds, got 0\n")


if __name__ == "__main__":
    unittest.main()
