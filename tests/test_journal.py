"""Tests of the journal reader and writer (minisweep.journal) on their own, without a SweepStore.

The store's behaviour built on them (torn lines, full disks, races for a run
number) is tested through the store in test_store.
"""

import json
import os
import threading
import unittest

from minisweep.errors import StoreError
from minisweep.journal import FORMAT, JournalReader, JournalWriter
from minisweep.replay import Replay
from minisweep.store import SweepStore
from tests.support import temp_dir


class JournalTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir(self)
        self.claims = os.path.join(self.dir, "claims")
        self.journals = os.path.join(self.dir, "journal")
        os.mkdir(self.claims)
        os.mkdir(self.journals)
        self.slept = []
        self.replay = Replay("me", clock=lambda: 0.0, monotonic=lambda: 0.0)
        self.reader = JournalReader(self.claims, self.journals, "me", self.replay, sleep=self.slept.append)

    def writer(self, name="w1"):
        w = JournalWriter(self.journals, name, "s1", clock=lambda: 7.0, mutex=threading.RLock())
        self.addCleanup(w.close)
        return w


class TestReader(JournalTest):
    def test_a_claim_file_link_reported_is_waited_for_with_the_injected_sleep(self):
        # link() said claims/0.json exists, but this (NFS) client does not show it: wait, then give up
        self.reader.read(wait_for=0)
        self.assertEqual(len(self.slept), 3000)
        self.assertEqual(set(self.slept), {0.01})
        self.assertEqual(self.reader.probe, 0)

    def test_the_store_waits_with_the_sleep_it_was_given(self):
        store = SweepStore.create(self.dir, "p", {"method": "grid", "parameters": {"a": {"values": [1]}}},
                                  sweep_id="s1", sleep=self.slept.append)
        self.addCleanup(store.close)
        with store._mutex:
            store._refresh(wait_for=0)  # as a claim does after link() said run number 0 is taken
        self.assertEqual(len(self.slept), 3000)

    def test_claim_files_that_exist_are_not_waited_for(self):
        w = self.writer()
        w.append([{"op": "claim", "run": "r1", "index": 0, "config": {}, "agent": "a", "lease_seconds": 9, "at": 1.0}])
        self.assertTrue(w.link_marker(self.claims, 0))
        self.reader.read(wait_for=0)
        self.assertEqual(self.slept, [])
        self.assertEqual(([r.id for r in self.replay.snapshot()], self.reader.probe), (["r1"], 1))

    def test_reading_is_incremental_and_stops_at_a_close(self):
        w = self.writer()
        w.append([{"op": "claim", "run": "r1", "index": 0, "config": {}, "agent": "a", "lease_seconds": 9, "at": 1.0}])
        w.link_marker(self.claims, 0)
        self.reader.read()
        first = self.reader.bytes_read
        self.reader.read()
        self.assertEqual(self.reader.bytes_read, first)  # nothing new, nothing read
        w.append([{"op": "log", "run": "r1", "row": {"loss": 1.0}, "at": 2.0}])
        self.reader.read()
        self.assertEqual(self.reader.bytes_read - first, len(b'{"op": "log", "run": "r1", "row": {"loss": 1.0}, "at": 2.0}\n'))
        w.close()
        self.reader.read()
        with open(w.path, "ab") as f:  # (nobody writes after a close; if someone did, nobody would read it)
            f.write(b'{"op": "log", "run": "r1", "row": {"loss": 2.0}, "at": 3.0}\n')
        self.reader.read()
        self.assertEqual(self.replay.snapshot()[0].history, [{"loss": 1.0}])

    def test_a_journal_of_a_newer_format_is_refused(self):
        with open(os.path.join(self.journals, "future.jsonl"), "w") as f:
            f.write(json.dumps({"format": FORMAT + 1, "kind": "minisweep.journal", "writer": "future"}) + "\n")
        with self.assertRaises(StoreError) as cm:
            self.reader.read()
        self.assertIn("upgrade minisweep", str(cm.exception))


class TestWriter(JournalTest):
    def test_nothing_is_created_before_the_first_line_and_the_header_names_the_writer(self):
        w = self.writer()
        self.assertEqual(os.listdir(self.journals), [])
        w.append([{"op": "beat", "run": "r1", "at": 1.0}])
        self.assertEqual(sorted(os.listdir(self.journals)), ["w1.jsonl", "w1.mark"])
        with open(w.path, encoding="utf-8") as f:
            header, line = [json.loads(x) for x in f.read().splitlines()]
        self.assertEqual((header["format"], header["kind"], header["writer"], header["sweep"], header["created_at"]),
                         (FORMAT, "minisweep.journal", "w1", "s1", 7.0))
        self.assertEqual(line, {"op": "beat", "run": "r1", "at": 1.0})

    def test_a_taken_number_is_refused_and_closing_leaves_only_the_journal(self):
        a, b = self.writer("a"), self.writer("b")
        for w in (a, b):
            w.append([{"op": "beat", "run": "x", "at": 1.0}])
        self.assertTrue(a.link_marker(self.claims, 0))
        self.assertTrue(a.link_marker(self.claims, 0))  # an NFS replay of our own link is still ours
        self.assertFalse(b.link_marker(self.claims, 0))
        a.close()
        b.close()
        self.assertEqual(sorted(os.listdir(self.journals)), ["a.jsonl", "b.jsonl"])
        with open(a.path, encoding="utf-8") as f:
            self.assertEqual(json.loads(f.read().splitlines()[-1]), {"op": "close", "at": 7.0})


if __name__ == "__main__":
    unittest.main()
