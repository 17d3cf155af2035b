"""A quick version of benchmarks/stress.py: agents killed, frozen, terminated, skewed or retrying at random;
nothing duplicated, lost or left running.

MINISWEEP_STRESS=1 runs a heavier round (more agents, points and faults, a slow disk).
"""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from stress import problems, run_stress  # noqa: E402
from tests.support import POSIX, STRESS as HEAVY  # noqa: E402


@unittest.skipUnless(POSIX, "kill -9 needs POSIX signals")
class StressTest(unittest.TestCase):
    def check(self, stats, points):
        self.assertEqual(stats["duplicates"], 0, stats)
        self.assertEqual(stats["lost"], 0, stats)
        self.assertEqual(stats["left_running"], 0, stats)
        self.assertEqual(stats["runs"], points, stats)
        self.assertEqual(stats["completed"] + stats["crashed"], points, stats)
        self.assertLessEqual(stats["crashed"], stats["kills"], stats)

    def test_agents_killed_at_random(self):
        points = 400 if HEAVY else 40
        # each run works 0.1 s, so the sweep lasts well past the kills (each within 0.3 s of the last)
        stats = run_stress(procs=6 if HEAVY else 3, points=points, kills=8 if HEAVY else 2, lease=0.5,
                           work=0.1, seed=1)
        self.check(stats, points)
        self.assertEqual(stats["kills"], 8 if HEAVY else 2)

    def test_slow_disk(self):
        points = 120 if HEAVY else 24
        stats = run_stress(procs=4 if HEAVY else 3, points=points, kills=4 if HEAVY else 1, lease=1.0,
                           fsync_delay=0.02 if HEAVY else 0.01, work=0.05, seed=2)
        self.check(stats, points)
        self.assertEqual(stats["kills"], 4 if HEAVY else 1)


    # The fault kinds of issue 11: each round must show none of its fault's problems (see
    # benchmarks/stress.py): nothing twice finished, lost, left running or orphaned.
    def check_fault(self, fault, points, stats):
        self.assertEqual(problems(fault, stats), [], stats)
        self.assertEqual(stats["runs"], points + (stats["duplicates"] if fault == "retry" else 0), stats)

    def test_agents_frozen_past_their_lease(self):
        points = 60 if HEAVY else 16
        stats = run_stress(procs=4 if HEAVY else 3, points=points, kills=4 if HEAVY else 2, lease=0.5,
                           work=0.1, seed=3, fault="stop")
        self.check_fault("stop", points, stats)
        self.assertEqual(stats["completed"] + stats["crashed"], points, stats)

    def test_command_line_agents_terminated(self):
        points = 40 if HEAVY else 10
        stats = run_stress(procs=3 if HEAVY else 2, points=points, kills=4 if HEAVY else 2, lease=0.5,
                           work=0.2, seed=4, fault="term")
        self.check_fault("term", points, stats)
        self.assertEqual(stats["kills"], 4 if HEAVY else 2)
        self.assertGreater(stats["killed"], 0, stats)  # the SIGTERMs reached agents at work
        self.assertEqual(stats["completed"] + stats["killed"], points, stats)

    def test_clocks_30_s_behind_with_retry_failed(self):
        points = 60 if HEAVY else 12
        stats = run_stress(procs=4 if HEAVY else 2, points=points, kills=0, lease=0.5, work=0.1, seed=5,
                           fault="skew")
        self.check_fault("skew", points, stats)
        self.assertEqual(stats["completed"], points, stats)

    def test_agents_with_and_without_retry_failed(self):
        points = 60 if HEAVY else 12
        stats = run_stress(procs=4 if HEAVY else 2, points=points, kills=0, lease=0.5, work=0.05, seed=6,
                           fault="retry")
        self.check_fault("retry", points, stats)
        self.assertEqual(stats["kills"], points // 4, stats)  # every fourth point failed once ...
        self.assertEqual(stats["completed"], points, stats)  # ... and was retried


if __name__ == "__main__":
    unittest.main()
