"""Hyperband: W&B's bands, thresholds and decisions, worked out by hand."""

import unittest

from minisweep import parse_config, runs_to_stop
from minisweep.hyperband import Hyperband, bands, decisions, thresholds
from minisweep.runs import Run


def sweep(goal="minimize", **et):
    return parse_config({"method": "random", "metric": {"name": "loss", "goal": goal},
                         "early_terminate": dict({"type": "hyperband"}, **et),
                         "parameters": {"x": {"value": 1}}})


def hist(*values, key="loss"):
    return [{key: v} for v in values]


def stopped(cfg, runs):
    return [d.run.id for d in runs_to_stop(cfg, runs)]


class BandsTest(unittest.TestCase):
    def test_from_max_iter_and_s(self):
        table = [
            ((81, 3, 3), [3, 9, 27]),
            ((27, 2, 3), [3, 9]),
            ((10, 2, 3), [1, 3]),        # 3.33 -> 3, 1.11 -> 1
            ((5, 2, 2), [1, 2]),         # 2.5 -> 2, 1.25 -> 1
            ((9, 5, 3), [1, 3]),         # stops once the band falls below 1
            ((100, 2, 2.5), [16, 40]),
        ]
        for (max_iter, s, eta), expected in table:
            with self.subTest(max_iter=max_iter, s=s, eta=eta):
                self.assertEqual(bands(Hyperband(max_iter=max_iter, s=s, eta=eta)), expected)

    def test_from_min_iter(self):
        self.assertEqual(bands(Hyperband(min_iter=2, eta=2))[:5], [2, 4, 8, 16, 32])
        self.assertEqual(bands(Hyperband(min_iter=1, eta=2.5))[:4], [1, 2, 6, 15])
        self.assertEqual(bands(Hyperband(min_iter=3))[:3], [3, 9, 27])  # eta defaults to 3

    def test_max_iter_wins_over_min_iter(self):
        cfg = sweep(min_iter=1, max_iter=27, s=2, eta=3)
        self.assertEqual(bands(cfg.early_terminate), [3, 9])

    def test_min_iter_when_max_iter_has_no_s(self):
        cfg = sweep(min_iter=2, max_iter=27, eta=3)
        self.assertEqual(bands(cfg.early_terminate)[:2], [2, 6])

    def test_no_band_is_a_config_error(self):
        with self.assertRaises(ValueError) as cm:
            sweep(max_iter=3, s=2, eta=4)
        self.assertEqual(str(cm.exception), "early_terminate: max_iter 3 divided by eta 4 is below 1, so hyperband "
                                            "has no band to stop at; raise max_iter or s, or lower eta")

    def test_defaults(self):
        hb = sweep(min_iter=3).early_terminate
        self.assertEqual((hb.eta, hb.strict), (3, True))


class DecisionsTest(unittest.TestCase):
    def test_wandb_docstring_example(self):
        # max_iter 5, s 2, eta 2: bands [1, 2]; band 1 threshold 10, band 2 threshold sorted([9,10,8,7,6])[2] = 8
        cfg = sweep(max_iter=5, s=2, eta=2)
        runs = [Run("a", "finished", history=hist(10, 9)),
                Run("b", "running", history=hist(10, 10)),
                Run("c", "running", history=hist(10, 8, 8)),
                Run("d", "running", history=hist(10, 7, 7)),
                Run("e", "finished", history=hist(10, 6, 6))]
        self.assertEqual(thresholds(cfg, runs), [10, 8])
        self.assertEqual(stopped(cfg, runs), ["b"])
        (d,) = runs_to_stop(cfg, runs)
        self.assertEqual((d.band, d.threshold, d.value), (2, 8, 10))
        self.assertEqual(d.reason, "loss 10 at band 2 is worse than the threshold 8 (5 runs reached band 2, eta 2)")

    def test_threshold_index_is_int_len_over_eta(self):
        # eta 3 and 3 runs at band 1: index int(3 / 3) = 1 -> the second best
        cfg = sweep(min_iter=1, eta=3)
        runs = [Run("a", "finished", history=hist(1)), Run("b", "finished", history=hist(2)),
                Run("c", "running", history=hist(3))]
        self.assertEqual(thresholds(cfg, runs)[0], 2)
        self.assertEqual(stopped(cfg, runs), ["c"])
        runs[2] = Run("c", "running", history=hist(2))
        self.assertEqual(stopped(cfg, runs), [])  # equal to the threshold is not worse

    def test_alone_at_a_band_is_never_stopped(self):
        cfg = sweep(min_iter=1, eta=3)
        runs = [Run("a", "finished", history=hist(1, 1)), Run("b", "running", history=hist(0.5, 100, 100))]
        # band 1: [1, 0.5] -> index int(2/3) = 0 -> 0.5; b is at band 3? no: bands 1, 3: b has 3 values
        self.assertEqual(thresholds(cfg, runs)[:2], [0.5, 100])
        self.assertEqual(stopped(cfg, runs), [])

    def test_strict_versus_not(self):
        runs = [Run("x", "running", history=hist(1, 9))] + [
            Run("f%d" % i, "finished", history=hist(5, 5)) for i in range(3)]
        # band 2 values [9, 5, 5, 5] -> index int(4/2) = 2 -> 5
        self.assertEqual(stopped(sweep(min_iter=2, eta=2), runs), ["x"])
        self.assertEqual(stopped(sweep(min_iter=2, eta=2, strict=False), runs), [])
        (d,) = decisions(sweep(min_iter=2, eta=2, strict=False), runs)
        self.assertEqual(d.reason, "best loss 1 by band 2 is within the threshold 5 (4 runs reached band 2, eta 2)")

    def test_maximize_negates(self):
        cfg = sweep(goal="maximize", min_iter=1, eta=2)
        runs = [Run("a", "finished", history=hist(0.9)), Run("b", "finished", history=hist(0.8)),
                Run("c", "running", history=hist(0.1)), Run("d", "running", history=hist(0.95))]
        # negated: [-0.95, -0.9, -0.8, -0.1] -> index 2 -> -0.8 -> threshold 0.8
        self.assertEqual(thresholds(cfg, runs)[0], 0.8)
        self.assertEqual(stopped(cfg, runs), ["c"])

    def test_iterations_are_rows_with_the_metric(self):
        cfg = sweep(min_iter=2, eta=2)
        noisy = [{"loss": 10}, {"acc": 1}, {"_step": 5}, {"loss": float("nan")}, {"loss": 10}]
        runs = [Run("a", "finished", history=hist(1, 1)), Run("b", "finished", history=hist(1, 1)),
                Run("n", "running", history=noisy)]
        # n's second iteration is the fifth row; band 2 values [1, 1, 10] -> index 1 -> 1; 10 > 1
        self.assertEqual(stopped(cfg, runs), ["n"])
        runs[2] = Run("n", "running", history=noisy[:4])  # only one iteration so far: no band reached
        self.assertEqual(stopped(cfg, runs), [])

    def test_only_running_runs_are_judged(self):
        cfg = sweep(min_iter=1, eta=2)
        runs = [Run("g%d" % i, "finished", history=hist(1)) for i in range(10)]
        # worse than the threshold (1), but not running: never judged
        runs += [Run(s, s, history=hist(50)) for s in ("pending", "finished", "failed", "crashed", "killed", "stopped")]
        self.assertEqual(stopped(cfg, runs), [])
        runs.append(Run("r", "running", history=hist(100)))
        self.assertEqual(stopped(cfg, runs), ["r"])

    def test_judged_at_the_largest_band_reached(self):
        cfg = sweep(min_iter=1, eta=2)  # bands 1, 2, 4, ...
        runs = [Run("a", "finished", history=hist(1, 1, 1)), Run("b", "finished", history=hist(1, 1, 1)),
                Run("r", "running", history=hist(50, 0.5, 50))]
        # three values: largest band reached is 2; its 2nd value 0.5 beats the threshold 1
        self.assertEqual(stopped(cfg, runs), [])
        (d,) = decisions(cfg, runs)
        self.assertEqual(d.band, 2)

    def test_without_early_terminate_nothing_stops(self):
        cfg = parse_config({"method": "random", "metric": {"name": "loss"}, "parameters": {"x": {"value": 1}}})
        self.assertEqual(runs_to_stop(cfg, [Run("r", "running", history=hist(1, 2, 3))]), [])


if __name__ == "__main__":
    unittest.main()
