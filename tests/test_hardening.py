"""Issue 11 (agent side): each test reproduces a way a sweep hung, lost a run or ran a point twice.

Every test here failed on the code before its fix.
"""

import contextlib
import decimal
import errno
import fractions
import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import unittest

import minisweep
from minisweep import next_config, parse_config
from minisweep.runs import Run
from minisweep.errors import ConfigError, StoreError
from minisweep.session import ActiveRun
from minisweep.store import SweepStore
from tests.support import POSIX, SLEEPER, CommandLineTest, TempDirTest, alive, env_with


# ------------------------------------------------------------------------------ 1. config aliasing


ENVS = {"method": "grid", "parameters": {"env": {"values": [{"name": "cartpole", "steps": 10},
                                                            {"name": "pendulum", "steps": 20}]}}}


class ConfigAliasingTest(TempDirTest):
    def test_a_run_that_mutates_a_nested_value_does_not_rerun_its_point(self):
        sid = self.sweep(ENVS)

        def train():
            minisweep.init()
            minisweep.config["env"]["name"] = "changed by the run"
            minisweep.config["env"]["extra"] = 1
            minisweep.log({"loss": 1.0})

        self.assertEqual(self.agent(sid, train, count=5), 2)
        result = self.load(sid)
        self.assertEqual([r.config["env"]["name"] for r in result.runs], ["cartpole", "pendulum"])
        self.assertEqual(result.state, "finished")

    def test_the_simple_form_mutating_its_config_changes_nothing_recorded(self):
        sid = self.sweep(ENVS)

        def train(config):
            config["env"]["steps"] = -1
            return 0.5

        self.assertEqual(self.agent(sid, train, count=5), 2)
        self.assertEqual([r.config["env"]["steps"] for r in self.load(sid).runs], [10, 20])

    def test_next_config_shares_nothing_with_the_sweep_or_later_answers(self):
        cfg = parse_config(ENVS)
        for method in ("grid", "random"):
            with self.subTest(method=method):
                cfg = parse_config(dict(ENVS, method=method))
                first = next_config(cfg, [], seed=3)
                first["env"]["name"] = "mutated"
                first["env"]["new"] = True
                again = next_config(cfg, [], seed=3)
                self.assertIn(again["env"]["name"], ("cartpole", "pendulum"))
                self.assertNotIn("new", again["env"])
                self.assertEqual([v["name"] for v in cfg.params[0].values], ["cartpole", "pendulum"])

    def test_run_and_active_run_copy_the_config_they_are_given(self):
        config = {"env": {"name": "cartpole"}, "layers": [1, 2]}
        run = Run("r1", "running", config)
        active = ActiveRun("r1", run.config)
        active.config["env"]["name"] = "x"
        active.config["layers"].append(3)
        run.config["env"]["other"] = 1
        self.assertEqual(config, {"env": {"name": "cartpole"}, "layers": [1, 2]})
        self.assertEqual(run.config, {"env": {"name": "cartpole", "other": 1}, "layers": [1, 2]})

    def test_keys_a_run_added_inside_a_dict_value_do_not_make_its_point_look_untaken(self):
        # A run whose recorded config gained a key inside its dict value (a run updating its own
        # config) still holds its point: the grid moves on to the next one.
        cfg = parse_config(ENVS)
        runs = [Run("r0", "finished", {"env": {"name": "cartpole", "steps": 10, "seed": 7}})]
        self.assertEqual(next_config(cfg, runs), {"env": {"name": "pendulum", "steps": 20}})
        runs.append(Run("r1", "finished", {"env": {"name": "pendulum", "steps": 20, "seed": 7}}))
        self.assertIsNone(next_config(cfg, runs))
        # but a changed value is another point
        self.assertEqual(next_config(cfg, [Run("r0", "finished", {"env": {"name": "cartpole", "steps": 11}})]),
                         {"env": {"name": "cartpole", "steps": 10}})



# ----------------------------------------------------------------------------- 2. a failed finish


class FailingFinish:
    """Patches SweepStore.finish to fail as a disk or an encoder would, ``times`` times."""

    def __init__(self, exc_factory, times):
        self.exc_factory = exc_factory
        self.times = times
        self.calls = []

    def __enter__(self):
        real = self.real = SweepStore.finish
        outer = self

        def finish(store, run_id, state, **kw):
            outer.calls.append((state, kw.get("summary")))
            if outer.times is None or len(outer.calls) <= outer.times:
                exc = outer.exc_factory(kw)
                if exc is not None:
                    raise exc
            return real(store, run_id, state, **kw)

        SweepStore.finish = finish
        return self

    def __exit__(self, *exc):
        SweepStore.finish = self.real


def disk_full(kw):
    return StoreError("cannot write journal: No space left on device", path="journal", errno=errno.ENOSPC)


class FailedFinishTest(TempDirTest):
    def run_agent(self, sid, function, **kw):
        err = io.StringIO()
        sleeps = []
        with contextlib.redirect_stderr(err):
            n = minisweep.agent(sid, function=function, dir=self.dir, sleep=sleeps.append, **kw)
        return n, err.getvalue(), sleeps

    def test_a_transient_disk_error_is_retried(self):
        sid = self.sweep({"method": "grid", "metric": {"name": "loss"}, "parameters": {"x": {"values": [1, 2]}}})
        with FailingFinish(disk_full, times=2) as fault:
            n, err, sleeps = self.run_agent(sid, lambda c: c.x / 10.0)
        self.assertEqual(n, 2)
        self.assertNotIn("Exception in thread", err)
        self.assertEqual(len(fault.calls), 4)  # two failures, then each run's end recorded once
        self.assertEqual(len(sleeps), 2)
        result = self.load(sid)
        self.assertEqual([(r.state, r.summary["loss"]) for r in result.runs], [("finished", 0.1), ("finished", 0.2)])

    def test_a_summary_that_cannot_be_recorded_fails_the_run_with_the_reason(self):
        sid = self.sweep({"method": "grid", "parameters": {"x": {"values": [1, 2]}}})

        def unencodable(kw):
            if kw.get("summary"):
                return ValueError("Exceeds the limit (4300 digits) for integer string conversion")
            return None

        with FailingFinish(unencodable, times=None):
            n, err, _ = self.run_agent(sid, lambda c: {"big": c.x})
        self.assertEqual(n, 2)
        self.assertNotIn("Exception in thread", err)
        runs = self.load(sid).runs
        self.assertEqual([r.state for r in runs], ["failed", "failed"])
        self.assertIn("summary could not be recorded", runs[0].info["error"])
        self.assertIn("4300 digits", runs[0].info["error"])
        self.assertIn("summary could not be recorded", err)

    def test_a_disk_that_stays_full_is_reported_and_the_agent_goes_on(self):
        sid = self.sweep({"method": "grid", "parameters": {"x": {"values": [1, 2]}}})
        with FailingFinish(disk_full, times=None):
            n, err, sleeps = self.run_agent(sid, lambda c: 1.0, lease_seconds=0.5, max_initial_failures=0)
        self.assertEqual(n, 2)
        self.assertNotIn("Exception in thread", err)
        self.assertIn("could not record", err)
        self.assertIn("No space left on device", err)
        self.assertGreater(len(sleeps), 0)
        time.sleep(0.5 + 2.5)  # the lease plus the readers' clock-skew allowance
        self.assertEqual([r.state for r in self.load(sid).runs], ["crashed", "crashed"])



# ------------------------------------------------------------- 3. retry_failed and a second agent


GRID2 = {"method": "grid", "metric": {"name": "loss"}, "parameters": {"x": {"values": [1, 2]}}}


class TwoAgents(TempDirTest):
    """Agent A runs x=1 (held until B has found nothing left); agent B runs x=2."""

    def wait_for_running(self, sid, n=1):
        deadline = time.time() + 30
        while time.time() < deadline:
            runs = self.load(sid).runs
            if sum("running" in (r.state, r.info.get("state_before")) for r in runs) >= n:
                return
            time.sleep(0.01)
        self.fail("agent A never started its run")

    def two_agents(self, retry_a, retry_b, fail_first=True, clock_a=time.time, lease=5.0):
        sid = self.sweep(GRID2)
        gate = threading.Event()
        calls = []

        def a(config):
            calls.append(("a", config.x))
            if len([c for c in calls if c[0] == "a"]) == 1:
                gate.wait(30)
                if fail_first:
                    raise RuntimeError("the first attempt fails")
            return 0.5

        def b(config):
            calls.append(("b", config.x))
            return 0.25

        def b_sleep(seconds):  # B waits for runs in flight: now let A's run end
            gate.set()
            time.sleep(0.02)

        errors = []

        def run_a():
            try:
                with contextlib.redirect_stderr(io.StringIO()):
                    minisweep.agent(sid, function=a, dir=self.dir, quiet=True, retry_failed=retry_a,
                                    clock=clock_a, lease_seconds=lease, poll_seconds=0.05)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        thread = threading.Thread(target=run_a)
        thread.start()
        try:
            self.wait_for_running(sid)
            minisweep.agent(sid, function=b, dir=self.dir, quiet=True, retry_failed=retry_b, sleep=b_sleep,
                            poll_seconds=0.05, lease_seconds=lease)
        finally:
            gate.set()  # B returned: A's run may end now
            thread.join(60)
        self.assertEqual(errors, [])
        return self.load(sid), calls


class SecondAgentTest(TwoAgents):
    def test_the_agent_with_retry_failed_waits_for_a_run_in_flight_and_retries_it(self):
        result, calls = self.two_agents(retry_a=0, retry_b=1)
        self.assertEqual(sorted((r.config["x"], r.state) for r in result.runs),
                         [(1, "failed"), (1, "finished"), (2, "finished")])
        self.assertEqual(result.state, "finished")

    def test_an_agent_with_nothing_left_does_not_finish_the_sweep_under_a_run_in_flight(self):
        result, calls = self.two_agents(retry_a=1, retry_b=0)
        self.assertEqual(calls, [("a", 1), ("b", 2), ("a", 1)])  # A retried its own failed point
        self.assertEqual([(r.config["x"], r.state) for r in result.runs],
                         [(1, "failed"), (2, "finished"), (1, "finished")])
        self.assertEqual(result.state, "finished")


# --------------------------------------------------------------------------------- 4. clock skew


class ClockSkewTest(TwoAgents):
    def test_a_live_run_on_a_host_30_s_behind_is_not_rerun(self):
        # A's host clock is 30 s behind: B *shows* A's run as crashed, but must not re-run it.
        result, calls = self.two_agents(retry_a=0, retry_b=1, fail_first=False,
                                        clock_a=lambda: time.time() - 30.0, lease=3.0)
        self.assertEqual(sorted(calls), [("a", 1), ("b", 2)])
        self.assertEqual([(r.config["x"], r.state) for r in result.runs], [(1, "finished"), (2, "finished")])
        self.assertEqual(result.state, "finished")

    def test_the_search_sees_verdicts_not_the_shown_state(self):
        sid = self.sweep(GRID2)
        root = os.path.join(self.dir)
        behind = SweepStore.open(root, "p", sid, clock=lambda: time.time() - 30.0)
        here = SweepStore.open(root, "p", sid)
        self.addCleanup(behind.close)
        self.addCleanup(here.close)
        propose = lambda runs, index: next_config(GRID2, runs, retry_failed=1)
        run = behind.claim("a", propose, lease_seconds=10)
        behind.start(run.id)
        self.assertEqual(run.config, {"x": 1})
        (shown,) = here.runs()
        self.assertEqual((shown.state, shown.info.get("lapsed")), ("crashed", True))  # shown, by timestamps
        seen = []
        second = here.claim("b", lambda runs, index: seen.append([r.state for r in runs]) or propose(runs, index),
                            lease_seconds=10)
        self.assertEqual(second.config, {"x": 2})
        self.assertEqual(seen, [["running"]])
        self.assertIsNone(here.claim("b", propose, lease_seconds=10))



# ---------------------------------------------------------------- 13. values the agent cannot pass on


class FakeFloat32:
    """What the agent sees of numpy.float32 (numpy is not installed in the suite): a real number with
    ``item()``, ``__float__`` and a ``dtype``, but not a float."""

    dtype = "float32"

    def __init__(self, value):
        self._value = float(value)

    def __float__(self):
        return self._value

    def item(self):
        return self._value

    def __repr__(self):
        return "np.float32(%r)" % self._value


class FakeInt64:
    """numpy.int64's interface: ``__index__`` and ``__int__`` (registered as numbers.Integral by numpy)."""

    dtype = "int64"

    def __init__(self, value):
        self._value = int(value)

    def __index__(self):
        return self._value

    __int__ = __index__

    def __float__(self):
        return float(self._value)

    def __repr__(self):
        return "np.int64(%d)" % self._value


class BareReal:
    """A real number with nothing but ``__float__`` (no ``item()``), like a user's own scalar type."""

    def __init__(self, value):
        self._value = value

    def __float__(self):
        return float(self._value)


class ValuesTest(TempDirTest):
    def test_yaml_dates_are_refused_with_the_key_path_and_line(self):
        text = "method: grid\nparameters:\n  day:\n    values: [2020-01-02, '2020-01-03']\n  when: {value: 2021-05-05 10:00:00}\n"
        with self.assertRaises(ConfigError) as caught:
            parse_config(text)
        problems = caught.exception.problems
        self.assertEqual([(p.key_path, p.line) for p in problems],
                         [("parameters.day.values.0", 4), ("parameters.when.value", 5)])
        self.assertIn("quote it", str(problems[0]))
        self.assertIn("'2020-01-02'", str(problems[0]))
        # quoted, it is a string every run can receive
        self.assertEqual(parse_config(text.replace("[2020-01-02", "['2020-01-02'").replace(
            "2021-05-05 10:00:00", "'2021-05-05 10:00:00'")).params[0].values, ["2020-01-02", "2020-01-03"])

    def test_values_json_cannot_carry_are_refused_in_dicts_too(self):
        import datetime

        for value in (datetime.date(2020, 1, 1), {"a": [datetime.datetime(2020, 1, 1)]}, {1, 2}, object()):
            with self.subTest(value=value), self.assertRaises(ConfigError):
                parse_config({"method": "grid", "parameters": {"x": {"values": [1, value]}}})
        # tuples, nested lists and dicts are JSON arrays and objects: accepted
        parse_config({"method": "grid", "parameters": {"x": {"values": [(2, 3), [1, [2]], {"k": None}]}}})

    def test_real_numbers_of_any_type_are_logged_and_ranked(self):
        sid = self.sweep({"method": "grid", "metric": {"name": "loss"},
                          "parameters": {"x": {"values": [0, 1, 2, 3, 4]}}})
        results = {0: FakeFloat32(0.5), 1: decimal.Decimal("0.125"), 2: fractions.Fraction(1, 16),
                   3: FakeInt64(3), 4: BareReal(0.25)}
        self.assertEqual(self.agent(sid, lambda c: results[c.x]), 5)
        result = self.load(sid)
        losses = [r.summary.get("loss") for r in result.runs]
        self.assertEqual(losses, [0.5, 0.125, 0.0625, 3, 0.25])
        self.assertIs(type(losses[3]), int)
        self.assertEqual(result.best_run().config, {"x": 2})

    def test_logged_rows_keep_real_numbers_as_numbers(self):
        sid = self.sweep({"method": "grid", "metric": {"name": "loss"}, "parameters": {"x": {"values": [1, 2]}}})

        def train():
            minisweep.init()
            x = minisweep.config.x
            minisweep.log({"loss": decimal.Decimal(x) / 4, "epoch": FakeInt64(1), "acc": FakeFloat32(0.5)})

        self.agent(sid, train)
        result = self.load(sid)
        self.assertEqual([r.history for r in result.runs],
                         [[{"loss": 0.25, "epoch": 1, "acc": 0.5}], [{"loss": 0.5, "epoch": 1, "acc": 0.5}]])
        self.assertEqual(result.best_run().config, {"x": 1})



# ------------------------------------------------------------------------- 5. processes left behind


# A program that starts a grandchild in its own process group, which outlives it by a while and
# then prints a metric line and notes that it is still alive.
LEAVES_A_GRANDCHILD = textwrap.dedent("""\
    import os, subprocess, sys
    late = os.path.join(os.environ["OUT_DIR"], "late")
    grandchild = subprocess.Popen([sys.executable, "-c",
        "import sys, time; time.sleep(1.5); print('loss=99', flush=True); open(sys.argv[1], 'a').write('alive')",
        late])
    with open(os.path.join(os.environ["OUT_DIR"], "grandchildren"), "a") as fh:
        fh.write("%d\\n" % grandchild.pid)
    print("loss=1", flush=True)
    """)


# A command-line agent whose main thread, told to stop, then blocks for ever (here on a lock it
# already holds, as when the signal's exception left one held): the watchdog must end it.
_STUCK_AGENT = textwrap.dedent("""
    import os, signal, sys, threading, time
    from minisweep.agentloop import Terminated
    from minisweep.runner import _Signals
    held = threading.Lock()
    held.acquire()
    signals = _Signals(exit_after=1.0)
    with signals:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(30)
        except Terminated:
            if sys.argv[1] == "cancel":
                signals.cancel()
                time.sleep(2.5)
                print("alive")
                sys.exit(0)
            held.acquire()
    """)


@unittest.skipUnless(POSIX, "signals")
class SignalWatchdogTest(unittest.TestCase):
    def run_stuck(self, mode):
        return subprocess.run([sys.executable, "-c", _STUCK_AGENT, mode], env=env_with(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=60)

    def test_an_agent_stuck_after_a_sigterm_still_exits(self):
        start = time.monotonic()
        done = self.run_stuck("hang")
        self.assertEqual(done.returncode, 128 + signal.SIGTERM, done.stderr)
        self.assertIn("had not stopped", done.stderr)
        self.assertLess(time.monotonic() - start, 30)

    def test_an_agent_that_stopped_is_left_alone(self):
        done = self.run_stuck("cancel")
        self.assertEqual((done.returncode, done.stdout.strip()), (0, "alive"), done.stderr)


@unittest.skipUnless(POSIX, "process groups and signals")
class ProcessLifecycleTest(CommandLineTest):
    def make_sweep(self, program, values):
        return minisweep.sweep({"program": program, "method": "grid", "metric": {"name": "loss"},
                                "parameters": {"x": {"values": values}}}, project="p", dir=self.store)

    def test_sigterm_and_sighup_stop_the_program_and_record_the_run(self):
        self.write("train.py", SLEEPER)
        for sig, code in ((signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGHUP, 128 + signal.SIGHUP)):
            with self.subTest(signal=sig.name):
                pids = os.path.join(self.dir, "pids-%s" % sig.name)
                sid = self.make_sweep("train.py", [1, 2])
                agent = self.start_agent(sid, "--kill-delay", "1", PID_OUT=pids)
                pid = self.wait_for_pid(pids)
                agent.send_signal(sig)
                try:
                    stdout, stderr = agent.communicate(timeout=60)
                finally:
                    if not self.wait_gone(pid, 0):
                        os.kill(pid, signal.SIGKILL)  # leave nothing behind, even when the test fails
                self.assertEqual(agent.returncode, code, stderr)
                self.assertNotIn("Traceback", stderr)
                self.assertIn("received %s" % sig.name, stderr)
                self.assertTrue(self.wait_gone(pid, 5), "the program outlived the agent's %s" % sig.name)
                (run,) = minisweep.load(sid, dir=self.store).runs
                self.assertEqual(run.state, "killed")
                self.assertIn(sig.name, run.info["error"])

    def test_a_program_that_exits_takes_its_leftovers_with_it(self):
        self.write("train.py", LEAVES_A_GRANDCHILD)
        sid = self.make_sweep("train.py", [1, 2])
        out = subprocess.run([sys.executable, "-m", "minisweep", "agent", sid, "--dir", self.store], cwd=self.dir,
                             env=env_with(OUT_DIR=self.dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=120)
        with open(os.path.join(self.dir, "grandchildren")) as fh:
            grandchildren = [int(line) for line in fh.read().split()]
        try:
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(len(grandchildren), 2)
            for pid in grandchildren:
                self.assertTrue(self.wait_gone(pid, 5), "a grandchild outlived its run")
            time.sleep(2.0)  # past the moment a surviving grandchild would have spoken
            self.assertFalse(os.path.exists(os.path.join(self.dir, "late")))
            runs = minisweep.load(sid, dir=self.store).runs
            self.assertEqual([(r.state, r.history) for r in runs], [("finished", [{"loss": 1}])] * 2)
        finally:
            for pid in grandchildren:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)

    def test_an_error_in_the_agents_loop_stops_the_program(self):
        from minisweep import command

        program = self.write("train.py", SLEEPER)
        pids = os.path.join(self.dir, "pids")
        sid = self.make_sweep(program, [1])
        real = command._Sources.poll

        def deeply_nested_row(sources):  # what json.loads does with a row nested 100,000 deep
            if os.path.exists(pids):  # once the program is surely running
                raise RecursionError("maximum recursion depth exceeded while decoding a JSON array")
            real(sources)

        command._Sources.poll = deeply_nested_row  # the polling loop's look at the rows the program logged
        os.environ["PID_OUT"] = pids
        try:
            with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
                minisweep.agent(sid, dir=self.store, quiet=True, kill_delay=1.0)
        finally:
            command._Sources.poll = real
            del os.environ["PID_OUT"]
        pid = self.wait_for_pid(pids)
        try:
            self.assertTrue(self.wait_gone(pid, 5), "the program outlived the error")
        finally:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        (run,) = minisweep.load(sid, dir=self.store).runs
        self.assertEqual(run.state, "failed")
        self.assertIn("RecursionError", run.info["error"])


if __name__ == "__main__":
    unittest.main()
