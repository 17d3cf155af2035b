"""Tests of replay (minisweep.replay): journal records applied to in-memory runs, on plain dicts.

No file is touched: each test feeds hand-written records, as the journals of
several writers would hold them, in the orders a reader can meet them, and
checks the runs a reader would show.  The clocks are fake.
"""

import ast
import unittest

import minisweep.replay
from minisweep.replay import Replay, check_lease


class Clocks:
    """A wall clock and a monotonic clock that tests move by hand."""

    def __init__(self) -> None:
        self.wall = 1000.0
        self.mono = 50.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


def claim(run_id, index, at=1000.0, lease=30.0, config=None):
    return {"op": "claim", "run": run_id, "index": index, "config": config if config is not None else {"i": index},
            "agent": "agent-" + run_id, "lease_seconds": lease, "at": at}


class ReplayTestCase(unittest.TestCase):
    def setUp(self):
        self.clocks = Clocks()
        self.replay = self.new()

    def new(self, reader="me", skew=2.0):
        return Replay(reader, clock=lambda: self.clocks.wall, monotonic=lambda: self.clocks.mono, clock_skew=skew)

    def view(self, replay=None, shown=True):
        return [(r.index, r.id, r.state) for r in (replay or self.replay).snapshot(shown)]

    def apply(self, record, writer, replay=None):
        self.assertTrue((replay or self.replay).apply(record, writer), record)


class TestClaims(ReplayTestCase):
    def test_a_claim_is_a_run_once_its_marker_names_its_writer_in_either_order(self):
        line_first, marker_first = self.new(), self.new()
        self.apply(claim("r1", 0), "w1", line_first)
        self.assertEqual(self.view(line_first), [])  # tentative: its writer may have lost the race
        line_first.mark(0, "w1")
        marker_first.mark(0, "w1")
        self.assertEqual(self.view(marker_first), [])  # the number is taken, the run not known yet
        self.assertTrue(marker_first.is_used(0))
        self.apply(claim("r1", 0), "w1", marker_first)
        for replay in (line_first, marker_first):
            self.assertEqual(self.view(replay), [(0, "r1", "pending")])
            self.assertEqual(replay.snapshot()[0].config, {"i": 0})

    def test_a_claim_whose_writer_lost_the_race_for_its_number_is_never_a_run(self):
        self.apply(claim("loser", 0), "w2")
        self.apply(claim("winner", 0), "w1")
        self.replay.mark(0, "w1")
        self.apply({"op": "start", "run": "loser", "at": 1001.0}, "w2")  # the loser goes on writing
        self.apply({"op": "finish", "run": "loser", "state": "finished", "at": 1002.0}, "w2")
        self.assertEqual(self.view(), [(0, "winner", "pending")])

    def test_a_claim_line_read_after_another_writers_marker_loses(self):
        self.replay.mark(0, "w1")
        self.apply(claim("loser", 0), "w2")
        self.apply(claim("winner", 0), "w1")
        self.assertEqual(self.view(), [(0, "winner", "pending")])

    def test_a_later_line_of_its_owner_confirms_a_claim_whose_marker_is_lost(self):
        self.apply(claim("r1", 0), "w1")
        self.apply({"op": "start", "run": "r1", "at": 1001.0}, "w1")
        self.assertEqual(self.view(), [(0, "r1", "running")])
        self.assertEqual(self.replay.next_free(0), 1)

    def test_a_line_of_another_writer_confirms_nothing_and_changes_nothing(self):
        self.apply(claim("r1", 0), "w1")
        self.apply({"op": "start", "run": "r1", "at": 1001.0}, "w2")
        self.assertEqual(self.view(), [])
        self.replay.mark(0, "w1")
        self.apply({"op": "log", "run": "r1", "row": {"loss": 1.0}, "at": 1002.0}, "w2")
        self.apply({"op": "finish", "run": "r1", "state": "failed", "at": 1003.0}, "w2")
        run = self.replay.snapshot()[0]
        self.assertEqual((run.state, run.history), ("pending", []))

    def test_runs_are_listed_by_run_number_whatever_the_order_they_are_read_in(self):
        for run_id, index in (("c", 2), ("a", 0), ("b", 1)):
            self.apply(claim(run_id, index), "w1")
            self.replay.mark(index, "w1")
        self.assertEqual(self.view(), [(0, "a", "pending"), (1, "b", "pending"), (2, "c", "pending")])
        self.assertEqual([r.index for r in self.replay.snapshot()], [0, 1, 2])

    def test_a_run_id_or_number_seen_twice_keeps_the_first(self):
        self.apply(claim("r1", 0, config={"x": 1}), "w1")
        self.replay.mark(0, "w1")
        self.apply(claim("r1", 1, config={"x": 2}), "w1")  # the same run id again
        self.apply(claim("r2", 0, config={"x": 3}), "w1")  # the same number again
        self.replay.mark(1, "w1")
        self.assertEqual(self.view(), [(0, "r1", "pending")])
        self.assertEqual(self.replay.snapshot()[0].config, {"x": 1})
        with self.assertRaises(ValueError):  # a format-1 claim file for a taken number: the reader skips it
            self.replay.add_claim({"run": "r3", "index": 0, "writer": "w2"})

    def test_a_claim_document_fills_in_what_it_lacks(self):
        rec = self.replay.add_claim({"run": "r1", "index": 0, "lease_seconds": "soon", "config": [1]})
        run = self.replay.snapshot()[0]
        self.assertEqual((rec.lease, run.config, run.info["agent"], run.info["claimed_at"]), (60.0, {}, "", 0.0))


class TestRunRecords(ReplayTestCase):
    def setUp(self):
        super().setUp()
        self.apply(claim("r1", 0), "w1")
        self.replay.mark(0, "w1")

    def test_start_log_finish_of_the_owner(self):
        self.apply({"op": "start", "run": "r1", "at": 1001.0}, "w1")
        self.apply({"op": "log", "run": "r1", "row": {"loss": {"__float__": "nan"}, "t": {"__tuple__": [1]}},
                    "at": 1002.0}, "w1")
        self.apply({"op": "log", "run": "r1", "row": {"loss": 0.5}, "at": 1003.0}, "w1")
        self.apply({"op": "finish", "run": "r1", "state": "finished", "summary": {"acc": 0.9}, "wall_time": 2.5,
                    "meta": {"name": "bright-sun-1"}, "at": 1004.0}, "w1")
        run = self.replay.snapshot()[0]
        self.assertEqual(run.state, "finished")
        self.assertEqual(run.history[1], {"loss": 0.5})
        self.assertEqual(run.history[0]["t"], (1,))
        self.assertEqual(run.summary, {"loss": 0.5, "t": (1,), "acc": 0.9})  # rows, then the summary given
        self.assertEqual((run.info["started_at"], run.info["finished_at"], run.info["wall_time"],
                          run.info["name"]), (1001.0, 1004.0, 2.5, "bright-sun-1"))

    def test_a_finish_with_no_terminal_state_is_ignored(self):
        for state in ("running", 7, None, "done"):
            self.apply({"op": "finish", "run": "r1", "state": state, "at": 1001.0}, "w1")
        self.assertEqual(self.view(), [(0, "r1", "pending")])

    def test_a_run_that_is_over_is_handed_out_as_the_same_object_until_it_changes(self):
        self.apply({"op": "finish", "run": "r1", "state": "finished", "at": 1001.0}, "w1")
        first = self.replay.snapshot()[0]
        self.assertIs(self.replay.snapshot()[0], first)
        self.apply(claim("r2", 1), "w1")
        self.replay.mark(1, "w1")
        self.assertIs(self.replay.snapshot()[0], first)
        self.apply(claim("r0", 0), "w1")  # nothing changes r1
        self.assertIs(self.replay.snapshot()[0], first)

    def test_damaged_records_are_skipped_and_change_nothing(self):
        self.apply({"op": "log", "run": "r1", "row": {"loss": 1.0}, "at": 1001.0}, "w1")
        before = [(r.id, r.state, r.history, r.info) for r in self.replay.snapshot()]
        damaged = [
            "not a record", ["op", "claim"], 7, None, {}, {"op": "log"},          # not dicts, no run
            {"op": "log", "run": "r1"},                                            # no row
            {"op": "claim", "run": "../x", "index": 1},                            # a run id that is no id
            {"op": "claim", "run": "r9", "index": -1}, {"op": "claim", "run": "r9", "index": True},
            {"op": "claim", "run": "r9", "index": "1"}, {"op": "claim", "index": 1},
            {"op": "crash", "run": 5}, {"op": "crash"},                            # a verdict without a run id
            {"op": "start", "run": ["r1"]},                                        # a run id that is a list
        ]
        for record in damaged:
            with self.subTest(record=record):
                self.assertFalse(self.replay.apply(record, "w1"))
        after = [(r.id, r.state, r.history, r.info) for r in self.replay.snapshot()]
        self.assertEqual(after, before)

    def test_odd_values_in_a_whole_record_are_tolerated(self):
        self.apply({"op": "log", "run": "r1", "row": [1, 2], "at": "noon"}, "w1")  # a row that is not a dict
        self.apply({"op": "finish", "run": "r1", "state": "failed", "error": 3, "wall_time": 10 ** 400,
                    "summary": "x", "meta": [1], "at": float("nan")}, "w1")
        run = self.replay.snapshot()[0]
        self.assertEqual((run.state, run.history), ("failed", []))
        self.assertNotIn("error", run.info)
        self.assertNotIn("wall_time", run.info)
        self.assertEqual(run.info["finished_at"], 1000.0)  # the last sign of life stands in for a bad time


class TestVerdictsAndLeases(ReplayTestCase):
    def setUp(self):
        super().setUp()
        self.apply(claim("r1", 0, lease=10.0), "w1")
        self.replay.mark(0, "w1")

    def crash(self, run_id="r1"):
        return {"op": "crash", "run": run_id, "agent": "judge", "reason": "lease lapsed", "at": 1020.0}

    def test_a_verdict_crashes_an_active_run_and_its_owners_finish_still_wins(self):
        self.apply(self.crash(), "w2")
        run = self.replay.snapshot()[0]
        self.assertEqual((run.state, run.info["crashed_by"], run.info["error"]), ("crashed", "judge", "lease lapsed"))
        self.apply({"op": "finish", "run": "r1", "state": "finished", "at": 1030.0}, "w1")
        run = self.replay.snapshot()[0]
        self.assertEqual(run.state, "finished")
        self.assertNotIn("crashed_by", run.info)

    def test_a_verdict_read_before_its_claim_crashes_the_run_once_it_appears(self):
        self.apply(self.crash("r2"), "w2")
        self.apply(claim("r2", 1), "w3")
        self.replay.mark(1, "w3")
        self.assertEqual(self.view()[1], (1, "r2", "crashed"))
        self.assertEqual(self.replay.lapsed("me"), [])  # not active: never judged again

    def test_a_silent_run_shows_crashed_by_timestamps_but_the_search_sees_it_as_it_is(self):
        self.clocks.wall += 12.5  # past the lease plus the clock skew, by the writer's timestamps
        self.assertEqual(self.view(), [(0, "r1", "crashed")])
        self.assertTrue(self.replay.snapshot()[0].info["lapsed"])
        self.assertEqual(self.view(shown=False), [(0, "r1", "pending")])
        self.assertEqual(self.replay.lapsed("me"), [])  # no verdict: this reader has not watched a whole lease

    def test_a_verdict_is_written_only_after_watching_a_whole_lease_of_silence(self):
        self.replay.observe()
        self.clocks.mono += 9.0
        self.apply({"op": "beat", "run": "r1", "at": 1000.0}, "w1")  # a sign of life (its clock is behind)
        self.replay.observe()
        self.clocks.mono += 9.0
        self.assertEqual(self.replay.lapsed("me"), [])  # watched 9 s since the beat
        self.clocks.mono += 1.0
        verdicts = self.replay.lapsed("me")
        self.assertEqual([(v["op"], v["run"], v["agent"]) for v in verdicts], [("crash", "r1", "me")])
        self.assertEqual(self.view(), [(0, "r1", "crashed")])  # watched: crashed in the view already
        self.replay.verdict(verdicts[0])
        self.assertEqual(self.view(shown=False), [(0, "r1", "crashed")])

    def test_a_readers_own_runs_are_never_judged_by_watching(self):
        own = self.new(reader="w1")
        self.apply(claim("r1", 0, lease=10.0), "w1", own)
        own.mark(0, "w1")
        self.clocks.mono += 100.0
        self.assertEqual(own.lapsed("w1"), [])
        self.assertEqual(self.view(own), [(0, "r1", "pending")])

    def test_lease_values(self):
        self.assertEqual(check_lease(5), 5.0)
        self.assertEqual(check_lease(-1, 60.0), 60.0)
        for bad in (0, -1, float("inf"), "5", True, None):
            with self.subTest(lease=bad):
                with self.assertRaises(ValueError):
                    check_lease(bad)


class TestPurity(unittest.TestCase):
    def test_replay_imports_nothing_that_touches_files_or_clocks(self):
        with open(minisweep.replay.__file__, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.add(("." * node.level) + (node.module or ""))
        self.assertIn(".runs", imported)  # (the reader sees the imports at all)
        forbidden = {"os", "io", "time", "threading", "socket", "shutil", "tempfile", "pathlib", "builtins",
                     ".sharedfs", ".journal", ".store", ".lock"}
        self.assertEqual(imported & forbidden, set())
        self.assertNotIn("open", {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})


if __name__ == "__main__":
    unittest.main()
