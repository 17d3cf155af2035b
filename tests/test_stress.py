"""A quick version of benchmarks/stress.py: agents killed at random, nothing duplicated or lost.

MINISWEEP_STRESS=1 runs a heavier round (more agents, points and kills, a slow disk).
"""

import os
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from stress import run_stress  # noqa: E402

HEAVY = os.environ.get("MINISWEEP_STRESS") == "1"


@unittest.skipUnless(os.name == "posix", "kill -9 needs POSIX signals")
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


if __name__ == "__main__":
    unittest.main()
