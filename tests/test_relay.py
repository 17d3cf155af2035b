"""The command-line agent's output relay: metrics from real children, and a relay that never hangs a run."""

import io
import os
import subprocess
import sys
import textwrap
import threading
import unittest

import minisweep
from minisweep.command import CommandFunction, _Relay, _Sources
from minisweep.errors import StoreError
from tests.support import CommandLineTest, env_with, temp_dir

POSIX = os.name == "posix"

# A program that prints its metrics the way frameworks do, and a config dump first.
PRINTS_LIKE_FRAMEWORKS = textwrap.dedent("""\
    import sys
    print("Namespace(epochs=2, loss='ce', lr=0.001, acc=1)")        # an argparse echo
    print("config: {'lr': 0.001, 'batch_size': 64, 'loss': 'ce'}")     # a config dump
    for epoch in (1, 2):
        print("Epoch %d/2" % epoch)
        sys.stdout.write("\\r1/2 [==>...] - ETA: 0s - loss: 0.9000 - acc: 0.1000" + "\\b" * 60)
        sys.stdout.write("\\r2/2 [======] - 0s 2ms/step - loss: %.4f - acc: %.4f\\n" % (1.0 / epoch, 0.4 * epoch))
    print("{'eval_loss': 0.4321, 'epoch': 2.0}")
    sys.stdout.flush()
    """)

# A program that logs through minisweep AND prints the same value (as a progress bar would).
LOGS_AND_PRINTS = textwrap.dedent("""\
    import minisweep
    minisweep.init()
    for epoch in range(4):
        loss = 1.0 / (epoch + 1)
        minisweep.log({"loss": loss})
        print("epoch %d loss=%.4f acc=%.2f" % (epoch, loss, 0.5 + epoch / 10), flush=True)
    """)

# A program that prints a lot, with characters an ASCII terminal cannot show, then its metric.
PRINTS_A_LOT = textwrap.dedent("""\
    import sys
    sys.stdout.buffer.write("caf\\u00e9 \\u2713 \\u2501\\u2501\\u2501\\n".encode("utf-8"))
    sys.stdout.flush()
    for i in range(20000):
        print("line %05d of filler output that fills the pipe buffer many times over" % i)
    print("loss=0.125", flush=True)
    """)


class AgentOutputTest(CommandLineTest):
    def make_sweep(self, program, metric="loss", extra=""):
        self.write("train.py", program)
        config = {"program": "train.py", "method": "grid", "parameters": {"x": {"values": [1]}}}
        if metric:
            config["metric"] = {"name": metric, "goal": "minimize"}
        config.update(extra or {})
        return minisweep.sweep(config, project="p", dir=self.store)

    def agent(self, sweep_id, *args, stdout=subprocess.PIPE, timeout=120, **env):
        return subprocess.run([sys.executable, "-m", "minisweep", "agent", sweep_id, "--dir", self.store]
                              + list(args), cwd=self.dir, env=env_with(**env), stdout=stdout,
                              stderr=subprocess.PIPE, timeout=timeout)

    def test_framework_layouts_are_read_for_declared_names_only(self):
        sid = self.make_sweep(PRINTS_LIKE_FRAMEWORKS)
        out = self.agent(sid, "--metrics", "acc,eval_loss")
        self.assertEqual(out.returncode, 0, out.stderr)
        (run,) = minisweep.load(sid, dir=self.store).runs
        self.assertEqual(run.state, "finished")
        self.assertEqual(run.history, [{"loss": 1.0, "acc": 0.4, "_step": 1}, {"loss": 0.5, "acc": 0.8, "_step": 2},
                                       {"eval_loss": 0.4321}])

    def test_a_value_logged_and_printed_counts_once(self):
        sid = self.make_sweep(LOGS_AND_PRINTS)
        out = self.agent(sid, "--metrics", "acc")
        self.assertEqual(out.returncode, 0, out.stderr)
        (run,) = minisweep.load(sid, dir=self.store).runs
        losses = [row["loss"] for row in run.history if "loss" in row]
        self.assertEqual(losses, [1.0, 0.5, 1.0 / 3, 0.25])  # not eight: the printed copies are not taken
        self.assertEqual([row["acc"] for row in run.history if "acc" in row], [0.5, 0.6, 0.7, 0.8])

    @unittest.skipUnless(POSIX, "a pipe closed by its reader")
    def test_agent_piped_into_head_does_not_hang_the_run(self):
        sid = self.make_sweep(PRINTS_A_LOT)
        agent = subprocess.Popen([sys.executable, "-m", "minisweep", "agent", sid, "--dir", self.store],
                                 cwd=self.dir, env=env_with(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        agent.stdout.readline()   # what `| head -1` does: read one line, then close the pipe
        agent.stdout.close()
        agent.stdout = None  # communicate() on 3.6 fails on a closed pipe instead of skipping it
        try:
            _, stderr = agent.communicate(timeout=120)
        except subprocess.TimeoutExpired:  # the old relay died on EPIPE and the child blocked forever
            agent.kill()
            agent.communicate()
            self.fail("the agent hung once its stdout was closed")
        self.assertEqual(agent.returncode, 0, stderr)
        self.assertNotIn(b"Traceback", stderr)
        (run,) = minisweep.load(sid, dir=self.store).runs
        self.assertEqual((run.state, run.summary), ("finished", {"loss": 0.125}))
        log = os.path.join(self.store, "p", sid, "files", run.id, "output.log")
        with open(log, "rb") as fh:
            self.assertIn(b"line 19999 of filler", fh.read())  # the log still has every line

    def test_a_terminal_that_cannot_encode_the_output(self):
        sid = self.make_sweep(PRINTS_A_LOT)
        out = self.agent(sid, PYTHONIOENCODING="ascii:strict")
        self.assertEqual(out.returncode, 0, out.stderr)
        (run,) = minisweep.load(sid, dir=self.store).runs
        self.assertEqual((run.state, run.summary), ("finished", {"loss": 0.125}))
        self.assertIn(b"line 19999 of filler", out.stdout)

    def test_a_bad_metric_pattern_is_one_line_before_any_run(self):
        sid = self.make_sweep(PRINTS_A_LOT)
        for pattern, message in ((r"(?P<name>\w+)=(?P<value>\S+)", "also matches 'abc', which is not a number"),
                                 (r"(\w+)=([\d.]+)", "needs the named groups")):
            with self.subTest(pattern=pattern):
                out = self.agent(sid, "--metric-pattern", pattern)
                self.assertEqual(out.returncode, 2)
                err = out.stderr.decode()
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertIn("--metric-pattern: ", err)
                self.assertIn(message, err)
        self.assertEqual(minisweep.load(sid, dir=self.store).runs, [])

    def test_a_good_metric_pattern(self):
        sid = self.make_sweep("print('RESULT loss is 0.75 and acc is 0.5')\nprint('loss=0.1')\n")
        out = self.agent(sid, "--metric-pattern", r"(?P<name>\w+) is (?P<value>\d+\.\d+)")
        self.assertEqual(out.returncode, 0, out.stderr)
        (run,) = minisweep.load(sid, dir=self.store).runs
        self.assertEqual(run.history, [{"loss": 0.75, "acc": 0.5}])

    def test_no_metric_declared_reads_no_output(self):
        sid = self.make_sweep("print('loss=0.5')\n", metric=None)
        out = self.agent(sid)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b"not read for metrics", out.stderr)
        (run,) = minisweep.load(sid, dir=self.store).runs
        self.assertEqual(run.history, [])
        out = self.agent(minisweep.sweep({"program": "train.py", "method": "grid",
                                          "parameters": {"x": {"values": [2]}}}, project="p", dir=self.store),
                         "--all-metrics")
        self.assertEqual(out.returncode, 0, out.stderr)


class FakeActive:
    def __init__(self, fail_after=None):
        self.id = "run1"
        self.rows = []
        self.fail_after = fail_after

    def record(self, row):
        if self.fail_after is not None and len(self.rows) >= self.fail_after:
            raise StoreError("disk full while writing the journal")
        self.rows.append(row)


class FakeProc:
    def __init__(self, data):
        self.stdout = io.BufferedReader(io.BytesIO(data))


class BrokenStream:
    """A terminal that went away: every write fails with EPIPE."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")


class RelayTest(unittest.TestCase):
    def relay(self, data, active, echo=None, metrics=("loss",)):
        tmp = temp_dir(self)
        rows_path = os.path.join(tmp, "rows.jsonl")
        open(rows_path, "w").close()
        owner = CommandFunction(tmp, ["x"], None, sweep_id="s", project="p", echo=echo, metrics=list(metrics))
        log = io.BytesIO()
        log.close = lambda: None
        relay = _Relay(owner, FakeProc(data), log, _Sources(active, rows_path))
        thread = threading.Thread(target=relay.run)
        thread.start()
        thread.join(30)
        self.assertFalse(thread.is_alive(), "the relay did not finish")
        return relay, log.getvalue()

    def test_a_broken_terminal_stops_the_echo_not_the_relay(self):
        data = b"".join(b"loss=%d\n" % i for i in range(5000))
        active = FakeActive()
        relay, log = self.relay(data, active, echo=BrokenStream())
        self.assertIsNone(relay.failure)
        self.assertEqual(len(active.rows), 5000)
        self.assertTrue(log.startswith(data))
        self.assertIn(b"stopped copying the output to the terminal", log)

    def test_a_store_error_fails_the_run_and_the_pipe_is_still_drained(self):
        data = b"".join(b"loss=%d\n" % i for i in range(5000)) + b"the end\n"
        active = FakeActive(fail_after=2)
        relay, log = self.relay(data, active)
        self.assertEqual(active.rows, [{"loss": 0}, {"loss": 1}])
        self.assertEqual(relay.failure, "recording a metric from the output failed: disk full while writing the journal")
        self.assertTrue(log.startswith(data))  # every byte was still read and kept

    def test_event_file_rows_skip_logged_names_and_a_store_error_fails_the_run(self):
        class OneRow:
            def poll(self, force=False):
                return [{"_step": 1, "loss": 0.5, "acc": 0.25}] if force else []

        tmp = temp_dir(self)
        rows_path = os.path.join(tmp, "rows.jsonl")
        with open(rows_path, "w") as fh:
            fh.write('{"loss": 0.75}\n')   # the program logs loss itself
        active = FakeActive()
        sources = _Sources(active, rows_path, [OneRow()])
        sources.poll(final=True)
        self.assertEqual(active.rows, [{"loss": 0.75}, {"_step": 1, "acc": 0.25}])
        self.assertIsNone(sources.failure)
        broken = _Sources(FakeActive(fail_after=0), os.path.join(tmp, "none.jsonl"), [OneRow()])
        broken.poll(final=True)
        self.assertEqual(broken.failure, "recording a TensorBoard scalar failed: disk full while writing the journal")

    def test_a_reader_that_trips_skips_and_goes_on(self):
        active = FakeActive()

        class Tripping:
            def __init__(self):
                self.calls = 0

            def feed(self, data):
                self.calls += 1
                if self.calls == 1:
                    raise RuntimeError("bug")
                return [{"loss": self.calls}]

            def close(self):
                return []

        data = b"x" * (3 * _Relay.CHUNK)
        tmp = temp_dir(self)
        rows_path = os.path.join(tmp, "rows.jsonl")
        open(rows_path, "w").close()
        owner = CommandFunction(tmp, ["x"], None, sweep_id="s", project="p", metrics=["loss"])
        owner.reader = Tripping
        log = io.BytesIO()
        relay = _Relay(owner, FakeProc(data), log, _Sources(active, rows_path))
        relay.run()
        self.assertIsNone(relay.failure)
        self.assertEqual(active.rows, [{"loss": 2}, {"loss": 3}])
        self.assertIn(b"could not read metrics from the output: RuntimeError: bug", log.getvalue())


if __name__ == "__main__":
    unittest.main()
