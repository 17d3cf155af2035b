"""Bad values on the command line and stray folders in the store: one line, exit status 2, or skipped.

Issue 11, items 11 and 14: these gave a traceback (or an empty ``ls``) before.
"""

import json
import os
import shutil
import subprocess
import sys
import unittest

import minisweep
from minisweep.runner import AgentError
from tests.support import CommandLineTest, env_with

CONFIG = {"program": "train.py", "method": "grid", "metric": {"name": "loss", "goal": "minimize"},
          "parameters": {"x": {"values": [1, 2]}}}


class CliTest(CommandLineTest):
    def setUp(self):
        super().setUp()
        self.write("train.py", "print('loss=1')\n")

    def start(self, *args, **env):
        env.setdefault("MINISWEEP_LEASE_SECONDS", "")
        return subprocess.Popen([sys.executable, "-m", "minisweep"] + list(args), cwd=self.dir,
                                env=env_with(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True)

    def finish(self, proc):
        out, err = proc.communicate(timeout=120)
        return proc.returncode, out, err

    def assert_one_line_exit_2(self, result, *words):
        code, out, err = result
        self.assertEqual(code, 2, err)
        self.assertNotIn("Traceback", err)
        self.assertNotIn("Exception in thread", err)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("error: "), err)
        for word in words:
            self.assertIn(word, lines[0])


class BadValuesTest(CliTest):
    """Item 14: a bad lease or metric pattern is refused before any run starts."""

    def test_bad_lease_seconds_flag_and_variable(self):
        sid = minisweep.sweep(CONFIG, project="p", dir=self.store)
        cases = []
        for value in ("0", "-5", "inf", "nan", "1e400"):
            cases.append((value, self.start("agent", sid, "--dir", self.store, "--count", "1",
                                            "--lease-seconds", value)))
        for value in ("inf", "nan", "0", "-1", "1e400", "abc", "-inf"):
            cases.append((value, self.start("agent", sid, "--dir", self.store, "--count", "1",
                                            MINISWEEP_LEASE_SECONDS=value)))
        for value, proc in cases:
            with self.subTest(value=value, args=proc.args):
                self.assert_one_line_exit_2(self.finish(proc), "lease")
        self.assertEqual(minisweep.load(sid, dir=self.store).runs, [])

    def test_bad_metric_pattern(self):
        sid = minisweep.sweep(CONFIG, project="p", dir=self.store)
        self.assert_one_line_exit_2(self.finish(self.start("agent", sid, "--dir", self.store, "--count", "1",
                                                           "--metric-pattern", "(")),
                                    "--metric-pattern")
        self.assertEqual(minisweep.load(sid, dir=self.store).runs, [])

    def test_good_variable_and_empty_variable_still_work(self):
        sid = minisweep.sweep(CONFIG, project="p", dir=self.store)
        for value in ("30", ""):
            with self.subTest(value=value):
                code, out, err = self.finish(self.start("agent", sid, "--dir", self.store, "--count", "1",
                                                        MINISWEEP_LEASE_SECONDS=value))
                self.assertEqual(code, 0, err)
        self.assertEqual(len(minisweep.load(sid, dir=self.store).runs), 2)

    def test_api_refuses_a_bad_lease_before_running(self):
        sid = minisweep.sweep(CONFIG, project="p", dir=self.store)
        calls = []
        for value in (0, -1.0, float("inf"), float("nan"), True, "60"):
            with self.subTest(value=value):
                with self.assertRaises(AgentError) as caught:
                    minisweep.agent(sid, lambda config: calls.append(config), count=1, dir=self.store,
                                    lease_seconds=value, quiet=True)
                self.assertIn("lease_seconds", str(caught.exception))
        self.assertEqual(calls, [])
        self.assertEqual(minisweep.load(sid, dir=self.store).runs, [])


class LsTest(CliTest):
    """Item 11: ``ls`` skips what is not a sweep and lists the rest."""

    def ls(self):
        return self.finish(self.start("ls", "--dir", self.store))

    def test_ls_skips_a_half_created_sweep_and_a_backup_copy(self):
        first = minisweep.sweep(CONFIG, project="p", dir=self.store)
        second = minisweep.sweep(CONFIG, project="q", dir=self.store)
        pdir = os.path.join(self.store, "p")
        # what a create killed (or still running) between writing sweep.json and the rename leaves
        shutil.copytree(os.path.join(pdir, first), os.path.join(pdir, ".zzzz.abcd1234.tmp"))
        # a user's backup copy: its sweep.json names the original
        shutil.copytree(os.path.join(pdir, first), os.path.join(pdir, first + ".bak"))
        # a folder that is not a sweep at all, and one whose sweep.json is not ours
        os.makedirs(os.path.join(pdir, "notes"))
        os.makedirs(os.path.join(pdir, "junk"))
        with open(os.path.join(pdir, "junk", "sweep.json"), "w") as fh:
            fh.write("{not json")
        code, out, err = self.ls()
        self.assertEqual(code, 0, err)
        self.assertNotIn("Traceback", err)
        listed = [line.split()[:2] for line in out.splitlines()[1:] if line.strip() and not line.startswith("-")]
        self.assertEqual(sorted(listed), [["p", first], ["q", second]], out)
        # the two folders that look like sweeps but are not are named, so nothing is hidden silently
        self.assertIn(first + ".bak", err)
        self.assertIn("junk", err)
        self.assertNotIn(".zzzz", err)

    def test_ls_during_concurrent_creates_lists_every_existing_sweep(self):
        existing = minisweep.sweep(CONFIG, project="p", dir=self.store)
        maker = subprocess.Popen(
            [sys.executable, "-c", "import minisweep, json, sys\n"
                                   "for _ in range(40): minisweep.sweep(json.loads(sys.argv[1]), project='p', "
                                   "dir=sys.argv[2])\n",
             json.dumps(CONFIG), self.store], env=env_with(), stderr=subprocess.PIPE,
            universal_newlines=True)
        self.addCleanup(maker.wait)
        try:
            rounds = 0
            while maker.poll() is None or rounds < 2:
                code, out, err = self.ls()
                self.assertEqual(code, 0, err)
                self.assertEqual(err, "")
                self.assertIn(existing, out)
                rounds += 1
        finally:
            _, maker_err = maker.communicate(timeout=120)
        self.assertEqual(maker.returncode, 0, maker_err)


if __name__ == "__main__":
    unittest.main()
