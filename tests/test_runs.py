"""Tests of the run states and the "best run" rule (minisweep.runs), the one home of both."""

import unittest

from minisweep.runs import (ACTIVE_STATES, BROKEN_STATES, DONE_STATES, FAILED_STATES, STATES, TERMINAL_STATES, Run,
                            best_run, is_better)


class TestStateGroups(unittest.TestCase):
    def test_every_state_is_active_or_terminal_and_terminal_is_done_or_broken(self):
        self.assertEqual(sorted(ACTIVE_STATES + TERMINAL_STATES), sorted(STATES))
        self.assertEqual(sorted(DONE_STATES + BROKEN_STATES), sorted(TERMINAL_STATES))
        self.assertEqual(set(DONE_STATES), {"finished", "stopped"})  # minisweep's stopped is W&B's finished
        self.assertEqual(set(FAILED_STATES), {"failed", "crashed"})  # killed was meant: never retried

    def test_the_groups_are_used_by_the_modules_that_reason_with_them(self):
        from minisweep import grid
        self.assertIs(grid.FAILED_STATES, FAILED_STATES)


class TestBestRun(unittest.TestCase):
    def runs(self):
        return [Run("a", "finished", history=[{"loss": 0.5}, {"loss": 0.3}]),
                Run("b", "failed", history=[{"loss": 0.1}]),            # broken: never the best
                Run("c", "running", history=[{"loss": 0.05}]),          # not over: never the best
                Run("d", "stopped", history=[{"loss": 0.2}]),           # hyperband's stop counts
                Run("e", "finished", history=[{"loss": float("nan")}]),  # no finite value
                Run("f", "finished", history=[{"loss": 0.2}])]          # ties with d: d came first

    def test_minimize_takes_the_first_of_the_lowest_done_run(self):
        self.assertEqual(best_run(self.runs(), "loss").id, "d")

    def test_maximize_takes_the_highest(self):
        self.assertEqual(best_run(self.runs(), "loss", maximize=True).id, "a")  # its best is 0.5

    def test_no_done_run_with_the_metric_is_none(self):
        self.assertIsNone(best_run(self.runs()[1:3], "loss"))
        self.assertIsNone(best_run(self.runs(), "acc"))

    def test_is_better_is_strict(self):
        for value, than, maximize, expected in ((1.0, 2.0, False, True), (1.0, 2.0, True, False),
                                                (2.0, 2.0, False, False), (2.0, 2.0, True, False),
                                                (-5.0, None, True, True)):
            with self.subTest(value=value, than=than, maximize=maximize):
                self.assertIs(is_better(value, than, maximize), expected)


if __name__ == "__main__":
    unittest.main()
