"""Tests of the sweep store (minisweep.store) and its cross-host lock (minisweep.lock).

Leases and lock expiry run on a fake clock wherever the logic allows; the
tests that must involve real processes (kill -9, four processes claiming one
grid) use leases of half a second.  Set MINISWEEP_STRESS=1 for the heavier
versions (more processes, more kills, a 10,000-run sweep).
"""

import datetime
import errno
import json
import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
import unittest
from unittest import mock

import minisweep.sharedfs as sharedfs
import minisweep.store as store_module
from minisweep.errors import (InvalidIdError, MinisweepError, RunNotFound, StateError, StoreError,
                              SweepNotFound)
from minisweep.journal import JournalReader
from minisweep.lock import LOCK_FORMAT, LeaseLock
from minisweep.search import next_config
from minisweep.store import FORMAT, SweepStore, decode_value, encode_value
from tests.support import ROOT, STRESS, FakeClock, TempStoreTest, env_with

CAN_KILL = hasattr(signal, "SIGKILL")


def grid(n: int) -> dict:
    return {"method": "grid", "parameters": {"a": {"values": list(range(n))}}}


def proposer(store: SweepStore):
    cfg = store.config
    return lambda runs, index: next_config(cfg, runs, seed=store.seed, index=index)


def read_text(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def strict_load(text: str):
    def reject(token):
        raise ValueError("non-standard JSON token %s" % token)
    return json.loads(text, parse_constant=reject)


WORKER = r"""
import os, sys, time
from minisweep.store import SweepStore
from minisweep.search import next_config
mode, root, project, sweep_id, lease = sys.argv[1:6]
lease = float(lease)
store = SweepStore.open(root, project, sweep_id)
cfg = store.config
agent = "w%d" % os.getpid()

def propose(runs, index):
    return next_config(cfg, runs, seed=store.seed, index=index)

def say(*words):
    sys.stdout.write(" ".join(str(w) for w in words) + "\n")
    sys.stdout.flush()

if mode in ("grid", "churn"):
    say("ready")
    while True:
        run = store.claim(agent, propose, lease_seconds=lease)
        if run is None:
            break
        store.start(run.id)
        for i in range(3 if mode == "churn" else 1):
            store.log(run.id, {"step": i, "loss": 1.0 / (i + 1)})
        store.finish(run.id, "finished", summary={"final": run.index})
        say("finished", run.id, run.index)
    say("done")
elif mode == "hold":
    def stuck(runs, index):
        say("locked")
        time.sleep(120)
    store.claim(agent, stuck, lease_seconds=lease)
elif mode == "hang":
    run = store.claim(agent, propose, lease_seconds=lease)
    store.start(run.id)
    store.log(run.id, {"loss": 0.5})
    store.finish(run.id, "finished", summary={"best": 0.5})
    say("finished", run.id, run.index)
    run = store.claim(agent, propose, lease_seconds=lease)
    store.start(run.id)
    store.log(run.id, {"loss": 0.7})
    say("running", run.id, run.index)
    while True:
        store.heartbeat(run.id)
        time.sleep(lease / 5)
"""


def spawn(mode: str, store: SweepStore, lease: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WORKER, mode, os.path.dirname(os.path.dirname(store.path)),
                             store.project, store.id, str(lease)],
                            stdout=subprocess.PIPE, universal_newlines=True, env=env_with(), cwd=str(ROOT))


def expect_line(child: subprocess.Popen, word: str) -> list:
    line = child.stdout.readline().split()
    if not line or line[0] != word:
        child.kill()
        raise AssertionError("worker said %r, expected %r" % (line, word))
    return line


class StoreTestCase(TempStoreTest):
    def create(self, config=None, **kw) -> SweepStore:
        return super().create(config if config is not None else grid(5), **kw)

    def spawn(self, mode: str, store: SweepStore, lease: float) -> subprocess.Popen:
        child = spawn(mode, store, lease)

        def cleanup():
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()
        self.addCleanup(cleanup)
        return child

    def journal(self, store: SweepStore) -> str:
        return os.path.join(store.path, "journal", store.writer + ".jsonl")

    def run_one(self, store: SweepStore, rows=({"loss": 1.0},), state="finished"):
        run = store.claim("agent", proposer(store), lease_seconds=30)
        store.start(run.id)
        for row in rows:
            store.log(run.id, row)
        store.finish(run.id, state)
        return run


# ------------------------------------------------------------------------------------------ layout


class TestLayout(StoreTestCase):
    def test_create_writes_a_documented_readable_layout(self):
        store = self.create(grid(3), sweep_id="abc123", seed=7, entity="me")
        self.assertEqual(store.path, os.path.join(os.path.abspath(self.root), "proj", "abc123"))
        self.assertEqual(sorted(os.listdir(store.path)), ["claims", "journal", "state.json", "stop", "sweep.json"])
        with open(os.path.join(store.path, "sweep.json")) as f:
            doc = strict_load(f.read())
        self.assertEqual((doc["format"], doc["kind"], doc["id"], doc["project"], doc["entity"], doc["seed"]),
                         (2, "minisweep.sweep", "abc123", "proj", "me", 7))
        self.assertEqual(doc["config"], grid(3))
        self.run_one(store)
        store.request_stop(store.runs()[0].id, "because")
        # every file is strict JSON with a format version (journals: in the header line)
        for dirpath, _, files in os.walk(store.path):
            for name in files:
                with open(os.path.join(dirpath, name)) as f:
                    text = f.read()
                first = strict_load(text.splitlines()[0] if name.endswith(".jsonl") else text)
                self.assertEqual(first["format"], LOCK_FORMAT if first["kind"] == "minisweep.lock" else FORMAT, name)
                for line in text.splitlines() if name.endswith(".jsonl") else []:
                    strict_load(line)

    def test_open_find_and_not_found(self):
        store = self.create(grid(2), sweep_id="s1", seed=3)
        other = self.reopen(store)
        self.assertEqual((other.id, other.project, other.seed, other.config), ("s1", "proj", 3, grid(2)))
        self.assertEqual(other.created_at, store.created_at)
        self.assertEqual(SweepStore.find(self.root, "s1"), [("proj", "s1")])
        self.assertEqual(SweepStore.find(self.root, "s1", project="proj"), [("proj", "s1")])
        self.assertEqual(SweepStore.find(self.root, "nope"), [])
        with self.assertRaises(SweepNotFound) as cm:
            SweepStore.open(self.root, "proj", "nope")
        self.assertIsInstance(cm.exception, LookupError)
        self.assertIn("nope", str(cm.exception))

    def test_generated_ids_and_seed(self):
        a, b = self.create(), self.create()
        self.assertNotEqual(a.id, b.id)
        self.assertRegex(a.id, r"^[0-9a-z]{8}$")
        self.assertIsInstance(a.seed, int)
        run = a.claim("x", proposer(a), lease_seconds=5)
        self.assertRegex(run.id, r"^[0-9a-z]{8}$")

    def test_duplicate_sweep_id_is_refused(self):
        self.create(sweep_id="dup")
        with self.assertRaises(StoreError) as cm:
            self.create(sweep_id="dup")
        self.assertEqual(cm.exception.errno, errno.EEXIST)

    def test_state(self):
        store = self.create()
        self.assertEqual(store.state(), "running")
        for state in ("paused", "running", "stopped", "cancelled", "finished"):
            store.set_state(state)
            self.assertEqual(self.reopen(store).state(), state)
        with self.assertRaises(StateError):
            store.set_state("bogus")

    def test_newer_format_is_refused_clearly(self):
        store = self.create(sweep_id="new")
        path = os.path.join(store.path, "sweep.json")
        with open(path) as f:
            doc = json.load(f)
        doc["format"] = 99
        with open(path, "w") as f:
            json.dump(doc, f)
        with self.assertRaisesRegex(StoreError, "format 99"):
            SweepStore.open(self.root, "proj", "new")

    def test_stop_requests(self):
        store = self.create()
        run = store.claim("a", proposer(store), lease_seconds=5)
        self.assertIsNone(store.stop_requested(run.id))
        self.reopen(store).request_stop(run.id, "hyperband: s=2 r=3")
        self.assertEqual(store.stop_requested(run.id), "hyperband: s=2 r=3")

    def test_misuse(self):
        store = self.create()
        run = store.claim("a", proposer(store), lease_seconds=5)
        other = self.reopen(store)
        with self.assertRaises(RunNotFound):
            other.log(run.id, {"x": 1})  # another store object's run
        with self.assertRaises(RunNotFound):
            store.start("zzzzzzzz")
        store.start(run.id)
        with self.assertRaises(StateError):
            store.start(run.id)
        with self.assertRaises(StateError):
            store.finish(run.id, "running")
        store.finish(run.id, "failed", error="boom", wall_time=1.5)
        with self.assertRaises(StateError):
            store.finish(run.id, "finished")
        with self.assertRaises(StateError):
            store.log(run.id, {"x": 1})
        shown = other.runs()[0]
        self.assertEqual((shown.state, shown.info["error"], shown.info["wall_time"]), ("failed", "boom", 1.5))
        with self.assertRaises(ValueError):
            store.claim("a", proposer(store), lease_seconds=0)


# ------------------------------------------------------------------------------------------- ids


class TestIds(StoreTestCase):
    HOSTILE = ["../x", "/etc", "a/b", "..", ".", "", "a\x00b", "a\\b", ".hidden", "-x", "a..b", "x" * 65,
               "x\n", " x", "C:\\x", 5, b"abc"]
    # refused as ids, but fine as project names (W&B allows them; each is still one folder name)
    PROJECT_OK = ["-x", "a..b", "x" * 65, " x"]

    def test_hostile_ids_are_rejected_and_nothing_is_written(self):
        store = self.create(sweep_id="ok")
        outside = os.path.dirname(self.root)
        before = sorted(os.listdir(outside))
        for bad in self.HOSTILE:
            with self.subTest(bad=bad):
                as_project = [] if bad in self.PROJECT_OK else [lambda: SweepStore.create(self.root, bad, {}),
                                                                lambda: SweepStore.open(self.root, bad, "ok")]
                for call in as_project + [
                             lambda: SweepStore.create(self.root, "proj", {}, sweep_id=bad),
                             lambda: SweepStore.open(self.root, "proj", bad),
                             lambda: SweepStore.find(self.root, bad),
                             lambda: store.request_stop(bad, "x"),
                             lambda: store.stop_requested(bad),
                             lambda: store.heartbeat(bad),
                             lambda: store.log(bad, {}),
                             lambda: store.finish(bad, "finished")]:
                    with self.assertRaises(InvalidIdError) as cm:
                        call()
                    self.assertIsInstance(cm.exception, ValueError)
                    self.assertIsInstance(cm.exception, MinisweepError)
        self.assertEqual(sorted(os.listdir(outside)), before)
        self.assertEqual(sorted(os.listdir(self.root)), ["proj"])
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, "proj"))), ["ok"])

    def test_good_ids(self):
        for good in ("a", "A-1", "x.y_z", "0" * 64, "run-12.final"):
            with self.subTest(good=good):
                self.assertEqual(store_module.check_id("id", good), good)

    def test_project_names_as_wandb_allows_them(self):
        # W&B refuses only / \ # ? % : (and more than 128 characters); real scripts use spaces:
        # wandb.sweep(..., project='GCNN RNN with input mlp') (AnjaKroon/GraphML run_trials.py)
        for good in ("GCNN RNN with input mlp", "MNIST VAE SWEEP", "a..b", "x" * 128, "émoji ✓"):
            with self.subTest(good=good):
                store = SweepStore.create(self.root, good, {}, sweep_id="s1")
                self.assertEqual(store.path, os.path.join(self.root, good, "s1"))
                self.assertEqual(SweepStore.open(self.root, good, "s1").path, store.path)
                self.assertIn((good, "s1"), SweepStore.find(self.root, "s1"))
        for bad in ("a/b", "a\\b", "a#b", "a?b", "a%b", "a:b", "x" * 129, ".", "..", ".x", "a\tb", ""):
            with self.subTest(bad=bad), self.assertRaises(InvalidIdError) as cm:
                SweepStore.create(self.root, bad, {})
            self.assertIn("128 characters", str(cm.exception))


# ---------------------------------------------------------------------------------------- values


class NumpyLikeScalar:
    def __init__(self, value):
        self.value = value

    def item(self):
        return self.value


class TestValues(StoreTestCase):
    def test_round_trips(self):
        now = datetime.datetime(2024, 5, 6, 7, 8, 9)
        table = [
            (float("inf"), float("inf")),
            (float("-inf"), float("-inf")),
            ((1, 2.5, "x"), (1, 2.5, "x")),
            ({3, 1, 2}, {1, 2, 3}),
            (frozenset(["a"]), {"a"}),
            (b"\x00\xff", b"\x00\xff"),
            (now, now),
            (now.date(), now.date()),
            (NumpyLikeScalar(2.5), 2.5),
            (NumpyLikeScalar(float("inf")), float("inf")),
            ({"__float__": "nan"}, {"__float__": "nan"}),  # a user's dict that looks like a tag
            ({"__tuple__": [1]}, {"__tuple__": [1]}),
            ({1: "a", None: "b", 2.5: "c", False: "d"}, {"1": "a", "null": "b", "2.5": "c", "false": "d"}),
            ([1, [2, {"k": (3,)}]], [1, [2, {"k": (3,)}]]),
            ("naïve ☃", "naïve ☃"),
            (2 ** 70, 2 ** 70),
        ]
        for value, expected in table:
            with self.subTest(value=value):
                text = json.dumps(encode_value(value), allow_nan=False)
                self.assertEqual(decode_value(strict_load(text)), expected)
        nan = decode_value(strict_load(json.dumps(encode_value(float("nan")), allow_nan=False)))
        self.assertTrue(math.isnan(nan))
        odd = decode_value(encode_value(object()))
        self.assertTrue(odd.startswith("<object object"))

    def test_metrics_survive_the_store(self):
        store = self.create()
        odd = object()
        row = {"nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"), "t": (1, 2), "s": {"b"},
               "b": b"\x01", "np": NumpyLikeScalar(0.5), "obj": odd, "nested": {"x": [float("nan")]}}
        run = self.run_one(store, rows=[row])
        for text in read_text(self.journal(store)).splitlines():
            strict_load(text)
        got = self.reopen(store).runs()[0].history[0]
        self.assertTrue(math.isnan(got["nan"]) and math.isnan(got["nested"]["x"][0]))
        self.assertEqual((got["inf"], got["ninf"], got["t"], got["s"], got["b"], got["np"]),
                         (float("inf"), float("-inf"), (1, 2), {"b"}, b"\x01", 0.5))
        self.assertEqual(got["obj"], repr(odd))
        self.assertEqual(self.reopen(store).runs()[0].id, run.id)


# ---------------------------------------------------------------------------------------- claims


class TestClaims(StoreTestCase):
    def test_grid_in_one_store(self):
        store = self.create(grid(4))
        seen = []
        while True:
            run = store.claim("a", proposer(store), lease_seconds=10)
            if run is None:
                break
            self.assertEqual((run.state, run.index), ("pending", len(seen)))
            store.start(run.id)
            store.log(run.id, {"loss": float(run.index)})
            store.finish(run.id, "finished", summary={"extra": 1})
            seen.append(run.config["a"])
        self.assertEqual(seen, [0, 1, 2, 3])
        runs = self.reopen(store).runs()
        self.assertEqual([r.state for r in runs], ["finished"] * 4)
        self.assertEqual(runs[2].summary, {"loss": 2.0, "extra": 1})
        self.assertEqual(runs[2].info["agent"], "a")

    def test_propose_sees_runs_and_index(self):
        store = self.create(grid(3))
        calls = []

        def propose(runs, index):
            calls.append((len(runs), index))
            return {"a": index}
        for _ in range(3):
            store.claim("a", propose, lease_seconds=10)
        self.assertEqual(calls, [(0, 0), (1, 1), (2, 2)])
        self.assertIsNone(store.claim("a", lambda runs, index: None, lease_seconds=10))

    def test_a_taken_run_number_is_learned_and_proposed_again(self):
        store = self.create(grid(3))
        other = self.reopen(store)
        proposals = []

        def propose(runs, index):
            if not proposals:  # meanwhile another agent takes run number 0 (as if the lock were broken)
                other._write_claim(0, {"format": 1, "kind": "minisweep.claim", "index": 0, "run": "intruder",
                                       "config": {"a": 0}, "agent": "o", "writer": other.writer,
                                       "lease_seconds": 10.0, "claimed_at": 0.0})
            proposals.append(index)
            return next_config(store.config, runs, index=index)
        run = store.claim("a", propose, lease_seconds=10)
        self.assertEqual(proposals, [0, 1])
        self.assertEqual((run.index, run.config), (1, {"a": 1}))

    # format 2: claims/<k>.json is a hard link to its writer's marker; the claim is a journal line

    def intruder_line(self, other: SweepStore, index: int, run_id: str = "intruder") -> None:
        with other._mutex:
            other._append([{"op": "claim", "run": run_id, "index": index, "config": {"a": 0}, "agent": "o",
                            "lease_seconds": 10.0, "at": 0.0}])

    def test_a_marker_without_its_claim_line_keeps_its_number_and_loses_no_run(self):
        store = self.create(grid(3))
        other = self.reopen(store)
        with other._mutex:
            other._append([{"op": "beat", "run": "nobody", "at": 0.0}])  # opens its journal and marker
        os.link(other._journal.marker, os.path.join(store.path, "claims", "0.json"))  # ... its line never written
        reader = self.reopen(store)
        self.assertEqual(reader.runs(), [])
        run = store.claim("a", proposer(store), lease_seconds=10)
        self.assertEqual(run.index, 1)  # number 0 is not given out again
        self.intruder_line(other, 0)  # the line turns up after all: the run appears, nothing twice
        for r in (reader, store, self.reopen(store)):
            self.assertEqual([(x.index, x.id) for x in r.runs()], [(0, "intruder"), (1, run.id)])

    def test_a_claim_line_without_its_marker_is_not_a_run(self):
        store = self.create(grid(3))
        other = self.reopen(store)
        self.intruder_line(other, 0)  # written, but `other` lost the race for the number (or died)
        self.assertEqual(store.runs(), [])
        run = store.claim("a", proposer(store), lease_seconds=10)
        self.assertEqual((run.index, run.config), (0, {"a": 0}))
        with other._mutex:  # even if the loser wrote more about it, the marker decides
            other._append([{"op": "start", "run": "intruder", "at": 0.0}])
        for r in (store, self.reopen(store)):
            self.assertEqual([x.id for x in r.runs()], [run.id])

    def test_a_run_whose_marker_was_lost_is_rebuilt_from_its_journal(self):
        store = self.create(grid(3))
        run = self.run_one(store)
        os.unlink(os.path.join(store.path, "claims", "0.json"))  # a power cut lost the directory entry
        other = self.reopen(store)
        self.assertEqual([(r.id, r.state) for r in other.runs()], [(run.id, "finished")])
        self.assertEqual(other.claim("b", proposer(other), lease_seconds=10).index, 1)

    def test_a_claim_racing_a_reader_is_read_whole(self):
        store = self.create(grid(3))
        reader = self.reopen(store)
        run = store.claim("a", proposer(store), lease_seconds=10)
        # the reader reads the journal as if between the claimer's line and its link
        with mock.patch.object(JournalReader, "read_claims", lambda self_, wait_for: None):
            self.assertEqual([r.id for r in reader.runs()], [])  # the line alone: tentative
        self.assertEqual([r.id for r in reader.runs()], [run.id])  # the marker confirms it
        self.assertEqual(reader.claim("b", proposer(reader), lease_seconds=10).index, 1)

    def test_a_marker_at_its_link_limit_is_replaced(self):
        store = self.create(grid(3))
        self.run_one(store)
        real_link, calls = os.link, []

        def full(src, dst):
            if os.path.basename(os.path.dirname(dst)) == "claims":
                calls.append(src)
                if len(calls) == 1:
                    raise OSError(errno.EMLINK, "Too many links")
            return real_link(src, dst)
        with mock.patch("os.link", full):
            run = store.claim("a", proposer(store), lease_seconds=10)
        self.assertEqual((run.index, len(calls)), (1, 2))
        a, b = (os.stat(os.path.join(store.path, "claims", "%d.json" % i)) for i in (0, 1))
        self.assertNotEqual(a.st_ino, b.st_ino)
        self.assertEqual([r.index for r in self.reopen(store).runs()], [0, 1])

    def test_close_leaves_only_journals(self):
        store = self.create(grid(3))
        self.run_one(store)
        self.assertEqual(len(os.listdir(os.path.join(store.path, "journal"))), 3)  # journal, marker, lock record
        store.close()
        self.assertEqual(os.listdir(os.path.join(store.path, "journal")), [store.writer + ".jsonl"])
        self.assertEqual(self.reopen(store).runs()[0].state, "finished")

    def check_grid_outcome(self, store: SweepStore, n: int) -> None:
        runs = self.reopen(store).runs()
        self.assertEqual(sorted(r.config["a"] for r in runs), list(range(n)), "every point exactly once")
        self.assertEqual(sorted(r.index for r in runs), list(range(n)), "no run number twice")
        self.assertEqual(len({r.id for r in runs}), n)
        self.assertEqual({r.state for r in runs}, {"finished"})
        self.assertEqual(sorted(os.listdir(os.path.join(store.path, "claims"))),
                         sorted("%d.json" % i for i in range(n)))

    def threads_claim(self, stores, n) -> None:
        errors = []

        def work(store):
            try:
                while True:
                    run = store.claim("t", proposer(store), lease_seconds=10)
                    if run is None:
                        return
                    store.start(run.id)
                    store.log(run.id, {"loss": 1.0})
                    store.finish(run.id, "finished")
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
        threads = [threading.Thread(target=work, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])

    def test_four_threads_with_their_own_stores(self):
        n = 200 if STRESS else 40
        store = self.create(grid(n))
        with mock.patch.object(sharedfs, "fsync", lambda fd: None):
            self.threads_claim([self.reopen(store) for _ in range(4)], n)
        self.check_grid_outcome(store, n)

    def test_four_threads_sharing_one_store(self):
        n = 200 if STRESS else 40
        store = self.create(grid(n))
        shared = self.reopen(store)
        with mock.patch.object(sharedfs, "fsync", lambda fd: None):
            self.threads_claim([shared] * 4, n)
        self.check_grid_outcome(store, n)

    def test_four_processes(self):
        n, procs = (300, 8) if STRESS else (40, 4)
        store = self.create(grid(n))
        children = [self.spawn("grid", store, 10.0) for _ in range(procs)]
        done = []
        for child in children:
            out, _ = child.communicate(timeout=120)
            self.assertEqual(child.returncode, 0)
            done += [line.split()[1] for line in out.splitlines() if line.startswith("finished")]
        self.assertEqual(len(done), n)
        self.check_grid_outcome(store, n)


# ---------------------------------------------------------------------------------------- crashes


class TestCrashSafety(StoreTestCase):
    def test_torn_last_line(self):
        store = self.create(grid(5))
        finished = [self.run_one(store).id for _ in range(3)]
        run = store.claim("a", proposer(store), lease_seconds=30)
        store.start(run.id)
        store.log(run.id, {"loss": 0.123456789})
        path = self.journal(store)
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "r+b") as f:
            f.truncate(len(data) - 10)  # cut the last line in the middle
        reader = self.reopen(store)
        runs = reader.runs()
        self.assertEqual([r.id for r in runs if r.state == "finished"], finished)
        self.assertEqual([r.history for r in runs[:3]], [[{"loss": 1.0}]] * 3)
        self.assertEqual((runs[3].id, runs[3].state, runs[3].history), (run.id, "running", []))
        # a reader keeps its place before the partial line and reads it whole once it is complete
        with open(path, "ab") as f:
            f.write(data[-10:])
        self.assertEqual(reader.runs()[3].history, [{"loss": 0.123456789}])

    def test_garbage_in_a_journal(self):
        store = self.create(grid(5))
        finished = [self.run_one(store).id for _ in range(2)]
        reader = self.reopen(store)
        self.assertEqual(len(reader.runs()), 2)
        with open(self.journal(store), "ab") as f:
            f.write(b"\x00\xff garbage {not json\n{\"op\": 5}\n[1, 2]\n\"str\"\n{\"op\": \"log\", \"run\": 3}\n")
            f.write(b"{\"op\": \"finish\", \"run\": \"" + finished[0].encode() + b"\", \"state\": 7}\n")
            f.write(b"[" * 100000 + b"\n")
            f.write(b"half a line with no end")
        with open(os.path.join(store.path, "journal", "stranger.jsonl"), "wb") as f:
            f.write(b"not a header\n{}\n")
        for r in (reader, self.reopen(store)):
            runs = r.runs()
            self.assertEqual([x.id for x in runs], finished)
            self.assertEqual({x.state for x in runs}, {"finished"})

    def test_full_disk_on_append(self):
        store = self.create(grid(5))
        done = self.run_one(store)
        run = store.claim("a", proposer(store), lease_seconds=30)
        store.start(run.id)
        real_write = os.write
        calls = []

        def half_then_full(fd, data):
            calls.append(len(data))
            if len(calls) == 1:
                return real_write(fd, bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        with mock.patch("os.write", half_then_full):
            with self.assertRaises(StoreError) as cm:
                store.log(run.id, {"loss": 0.5})
        self.assertEqual(cm.exception.errno, errno.ENOSPC)
        self.assertIsInstance(cm.exception, OSError)
        self.assertIn(self.journal(store), str(cm.exception))
        runs = self.reopen(store).runs()  # still loads
        self.assertEqual((runs[0].id, runs[0].state), (done.id, "finished"))
        # the half line was cut off: the next record is whole
        store.log(run.id, {"loss": 0.25})
        store.finish(run.id, "finished")
        for line in read_text(self.journal(store)).splitlines():
            strict_load(line)
        self.assertEqual(self.reopen(store).runs()[1].history, [{"loss": 0.25}])

    def test_full_disk_when_the_cut_fails_too(self):
        store = self.create(grid(5))
        run = store.claim("a", proposer(store), lease_seconds=30)
        store.start(run.id)
        real_write = os.write
        state = {"n": 0}

        def half_then_full(fd, data):
            state["n"] += 1
            if state["n"] == 1:
                return real_write(fd, bytes(data)[:7])
            raise OSError(errno.ENOSPC, "No space left on device")

        def no_truncate(fd, size):
            raise OSError(errno.EIO, "cannot truncate")
        with mock.patch("os.ftruncate", no_truncate):
            with mock.patch("os.write", half_then_full):
                with self.assertRaises(StoreError):
                    store.log(run.id, {"loss": 0.5})
            store.log(run.id, {"loss": 0.25})  # ends the damaged line first
            store.finish(run.id, "finished")
        runs = self.reopen(store).runs()
        self.assertEqual((runs[0].state, runs[0].history), ("finished", [{"loss": 0.25}]))

    def test_full_disk_on_sync_claim_and_create(self):
        store = self.create(grid(5))
        run = store.claim("a", proposer(store), lease_seconds=30)
        store.start(run.id)

        def full(*args):
            raise OSError(errno.ENOSPC, "No space left on device")
        with mock.patch.object(sharedfs, "fsync", full):
            with self.assertRaises(StoreError) as cm:
                store.finish(run.id, "finished")
            self.assertEqual(cm.exception.errno, errno.ENOSPC)
            with self.assertRaises(StoreError):
                SweepStore.create(self.root, "proj", {})
        self.assertEqual(os.listdir(os.path.join(self.root, "proj")), [store.id])  # no half-made sweep
        store.finish(run.id, "finished")  # may be retried
        with mock.patch("os.write", full):
            with self.assertRaises(StoreError):
                store.claim("a", proposer(store), lease_seconds=30)
            with self.assertRaises(StoreError):
                store.set_state("paused")
        self.assertEqual(store.state(), "running")
        runs = self.reopen(store).runs()
        self.assertEqual([r.state for r in runs], ["finished"])
        self.assertEqual(store.claim("a", proposer(store), lease_seconds=30).index, 1)

    @unittest.skipUnless(CAN_KILL, "needs SIGKILL")
    def test_kill_9_while_holding_the_lock(self):
        store = self.create(grid(3))
        child = self.spawn("hold", store, 0.5)
        expect_line(child, "locked")
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        waiter = self.reopen(store)
        t0 = time.monotonic()
        run = waiter.claim("b", proposer(waiter), lease_seconds=5.0)  # the dead owner's lease (0.5 s) counts
        self.assertGreaterEqual(time.monotonic() - t0, 0.45)
        self.assertEqual((run.index, run.config), (0, {"a": 0}))
        self.assertEqual(waiter._lock.broken, 1)
        self.assertEqual([n for n in os.listdir(store.path) if n.startswith("lock")], [])

    @unittest.skipUnless(CAN_KILL, "needs SIGKILL")
    def test_kill_9_with_a_running_run(self):
        store = self.create(grid(5))
        reader = self.reopen(store, clock_skew=0.0)
        child = self.spawn("hang", store, 0.5)
        done_id = expect_line(child, "finished")[1]
        running_id = expect_line(child, "running")[1]
        self.assertEqual([r.state for r in reader.runs()], ["finished", "running"])
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        reader.runs()
        time.sleep(0.6)
        runs = reader.runs()
        self.assertEqual((runs[0].id, runs[0].state, runs[0].summary), (done_id, "finished", {"loss": 0.5, "best": 0.5}))
        self.assertEqual((runs[1].id, runs[1].state, runs[1].info["lapsed"]), (running_id, "crashed", True))
        self.assertEqual(runs[1].history, [{"loss": 0.7}])
        nxt = reader.claim("c", proposer(reader), lease_seconds=0.5)  # rewrites the lapsed run
        self.assertEqual(nxt.index, 2)
        # a reader whose clock cannot judge the lease (it stands still at 0) sees the written verdict
        fresh = self.reopen(store, clock=lambda: 0.0)
        crashed = fresh.runs()[1]
        self.assertEqual((crashed.state, crashed.info["crashed_by"]), ("crashed", "c"))
        self.assertNotIn("lapsed", crashed.info)

    @unittest.skipUnless(CAN_KILL, "needs SIGKILL")
    def test_kill_9_at_random_instants(self):
        store = self.create({"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}}, seed=1)
        rng = random.Random(5)
        reported = {}
        for _ in range(30 if STRESS else 3):
            child = self.spawn("churn", store, 0.3)
            expect_line(child, "ready")
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(child.pid, signal.SIGKILL)
            out, _ = child.communicate()
            for line in out.splitlines():
                if line.startswith("finished"):
                    reported[line.split()[1]] = int(line.split()[2])
            runs = {r.id: r for r in self.reopen(store).runs()}  # loads every time
            for run_id, index in reported.items():
                run = runs[run_id]
                self.assertEqual((run.state, run.index, len(run.history), run.summary["final"]),
                                 ("finished", index, 3, index))
        indices = [r.index for r in self.reopen(store).runs()]
        self.assertEqual(sorted(indices), list(range(len(indices))))


# ----------------------------------------------------------------------------------------- leases


class TestLeases(StoreTestCase):
    def stores(self, writer_offset=0.0, skew=0.0):
        clock = FakeClock()
        writer_clock = (lambda: clock.t + writer_offset) if writer_offset else clock
        a = self.create(grid(5), clock=writer_clock, monotonic=clock, sleep=clock.sleep, clock_skew=skew)
        b = self.reopen(a, clock=clock, monotonic=clock, sleep=clock.sleep, clock_skew=skew)
        return clock, a, b

    def verdicts(self, store):
        return [json.loads(line) for line in read_text(self.journal(store)).splitlines()[1:]
                if '"op": "crash"' in line]

    def test_heartbeats_keep_a_run_alive_and_silence_crashes_it(self):
        clock, a, b = self.stores()
        run = a.claim("A", proposer(a), lease_seconds=10)
        a.start(run.id)
        self.assertEqual(b.runs()[0].state, "running")
        for _ in range(5):
            clock.advance(8)
            a.heartbeat(run.id)
            self.assertEqual(b.runs()[0].state, "running")
        clock.advance(10.5)
        shown = b.runs()[0]
        self.assertEqual((shown.state, shown.info["lapsed"], shown.info["state_before"]), ("crashed", True, "running"))
        b.claim("B", proposer(b), lease_seconds=10)
        self.assertEqual(len(self.verdicts(b)), 1)
        fresh = self.reopen(a, clock=FakeClock(0.0))
        self.assertEqual(fresh.runs()[0].state, "crashed")
        # its owner was alive after all, and finishes it: the owner's word wins
        a.runs()  # (the owner has read the verdict too)
        a.log(run.id, {"loss": 1.0})
        a.finish(run.id, "finished")
        self.assertEqual(self.reopen(a).runs()[0].state, "finished")
        self.assertEqual(b.runs()[0].state, "finished")

    def test_a_pending_run_lapses_too(self):
        clock, a, b = self.stores()
        a.claim("A", proposer(a), lease_seconds=5)
        b.runs()
        clock.advance(5.5)
        self.assertEqual(b.runs()[0].state, "crashed")
        b.claim("B", proposer(b), lease_seconds=5)
        self.assertEqual(len(self.verdicts(b)), 1)

    def test_the_verdict_needs_the_reader_to_watch_a_whole_lease(self):
        # the writer's clock is 1000 s behind: its timestamps look ancient at once
        clock, a, b = self.stores(writer_offset=-1000.0)
        run = a.claim("A", proposer(a), lease_seconds=10)
        a.start(run.id)
        self.assertEqual(b.runs()[0].state, "crashed")  # shown lapsed by timestamps ...
        b.claim("B", proposer(b), lease_seconds=10)
        self.assertEqual(self.verdicts(b), [])  # ... but nobody writes it off before watching it
        for _ in range(4):
            clock.advance(6)
            a.heartbeat(run.id)
            b.claim("B", proposer(b), lease_seconds=10)
        self.assertEqual(self.verdicts(b), [])
        clock.advance(10)
        b.claim("B", proposer(b), lease_seconds=10)
        self.assertEqual([v["run"] for v in self.verdicts(b)], [run.id])

    def test_a_writer_clock_ahead_cannot_hide_a_dead_run(self):
        clock, a, b = self.stores(writer_offset=+1000.0)
        run = a.claim("A", proposer(a), lease_seconds=10)
        a.start(run.id)
        b.runs()
        clock.advance(9)
        self.assertEqual(b.runs()[0].state, "running")
        clock.advance(2)
        self.assertEqual(b.runs()[0].state, "crashed")  # watched silent for a lease
        b.claim("B", proposer(b), lease_seconds=10)
        self.assertEqual([v["run"] for v in self.verdicts(b)], [run.id])

    def test_skew_allowance(self):
        clock, a, b = self.stores(skew=5.0)
        b2 = self.reopen(a, clock=clock, monotonic=lambda: 0.0, clock_skew=5.0)  # judges by timestamps only
        run = a.claim("A", proposer(a), lease_seconds=10)
        a.start(run.id)
        clock.advance(14)
        self.assertEqual(b2.runs()[0].state, "running")
        clock.advance(2)
        self.assertEqual(b2.runs()[0].state, "crashed")


# ------------------------------------------------------------------------------------------- lock


class TestLock(StoreTestCase):
    def setUp(self):
        super().setUp()
        os.makedirs(self.root)
        self.path = os.path.join(self.root, "lock")

    def stale(self, lease=5.0):
        dead = LeaseLock(self.path, {"agent": "dead"}, heartbeat=False)
        self.assertTrue(dead.acquire(lease))
        dead._fd, fd = None, dead._fd  # the owner "dies" holding it
        os.close(fd)
        return dead

    def test_a_stale_lock_is_broken_after_the_owners_lease(self):
        self.stale(lease=7.0)
        clock = FakeClock(0.0)
        waiter = LeaseLock(self.path, {"agent": "w"}, monotonic=clock, sleep=clock.sleep, heartbeat=False)
        self.assertTrue(waiter.acquire(lease_seconds=1.0))  # the owner's 7 s count, not the waiter's 1 s
        self.assertGreaterEqual(clock.t, 7.0)
        self.assertLess(clock.t, 7.2)
        self.assertEqual(waiter.broken, 1)
        self.assertEqual(sorted(os.listdir(self.root)), ["lock"])
        waiter.release()
        self.assertEqual(os.listdir(self.root), [])

    def test_a_refreshed_lock_is_never_broken_whatever_its_age(self):
        holder = LeaseLock(self.path, {"agent": "slow"}, heartbeat=False)
        holder.acquire(lease_seconds=5.0)
        clock = FakeClock(0.0)
        beats = []

        def sleep(seconds):
            clock.advance(seconds)
            if clock.t < 100.0 and clock.t - (beats[-1] if beats else 0.0) >= 1.0:
                holder.refresh()
                beats.append(clock.t)
        waiter = LeaseLock(self.path, {"agent": "w"}, monotonic=clock, sleep=sleep, heartbeat=False)
        self.assertTrue(waiter.acquire(lease_seconds=5.0))
        self.assertGreaterEqual(clock.t, beats[-1] + 5.0)  # only after the refreshes stopped
        self.assertGreater(beats[-1], 95.0)
        self.assertFalse(holder.refresh())  # the holder learns it lost the lock
        self.assertFalse(holder.held)
        holder.release()  # and does not take the new owner's lock with it
        self.assertTrue(os.path.exists(self.path))
        waiter.release()

    def test_timeout(self):
        self.stale(lease=50.0)
        clock = FakeClock(0.0)
        waiter = LeaseLock(self.path, {}, monotonic=clock, sleep=clock.sleep, heartbeat=False)
        self.assertFalse(waiter.acquire(lease_seconds=1.0, timeout=10.0))
        self.assertEqual(sorted(os.listdir(self.root)), ["lock"])  # our temporary file is gone

    # the kept record file (record=): reused only when no other name can lead to it

    def kept(self, name="me"):
        lock = LeaseLock(self.path, {"agent": name}, heartbeat=False,
                         record=os.path.join(self.root, "." + name + ".record"))
        self.addCleanup(lock.close)
        return lock

    def test_a_kept_record_is_reused_after_a_clean_release(self):
        lock = self.kept()
        inodes, tokens = set(), set()
        for _ in range(3):
            self.assertTrue(lock.acquire(5.0))
            st = os.stat(self.path)
            inodes.add(st.st_ino)
            self.assertEqual(st.st_nlink, 2)  # `lock` and the record's own name
            tokens.add(json.loads(read_text(self.path))["token"])
            lock.release()
            self.assertEqual(os.stat(lock.record).st_nlink, 1)
        self.assertEqual((len(inodes), len(tokens)), (1, 3))  # one file, a new record each time
        self.assertEqual(sorted(os.listdir(self.root)), [".me.record"])
        lock.close()
        self.assertEqual(os.listdir(self.root), [])

    def test_a_breaker_mid_break_never_sees_the_owner_rewrite_its_record(self):
        owner = self.kept()
        self.assertTrue(owner.acquire(5.0))
        watched = os.stat(self.path).st_ino, read_text(self.path)
        tomb = self.path + ".x.broken"
        os.rename(self.path, tomb)  # a breaker has renamed `lock` and is about to read its tombstone
        owner.release()  # finds `lock` gone: not a clean release
        self.assertTrue(owner.acquire(5.0))  # ... so this takes a fresh file
        self.assertNotEqual(os.stat(self.path).st_ino, watched[0])
        self.assertEqual((os.stat(tomb).st_ino, read_text(tomb)), watched)  # the breaker's evidence is intact
        os.unlink(tomb)
        owner.release()

    def test_a_breaker_that_linked_the_record_back_keeps_it(self):
        owner = self.kept()
        self.assertTrue(owner.acquire(5.0))
        first = os.stat(self.path).st_ino
        owner.release()
        os.link(owner.record, self.path + ".y.broken")  # any other name, however it came about
        before = read_text(self.path + ".y.broken")
        self.assertTrue(owner.acquire(5.0))
        self.assertNotEqual(os.stat(self.path).st_ino, first)  # link count 2: not rewritten in place
        self.assertEqual(read_text(self.path + ".y.broken"), before)
        owner.release()

    def test_a_stale_kept_record_is_broken_and_its_owner_recovers(self):
        clock = FakeClock(0.0)
        owner = self.kept("owner")
        self.assertTrue(owner.acquire(2.0))
        owner._close_locked()  # the owner stalls: no refresh, and it believes it lost the lock
        waiter = LeaseLock(self.path, {"agent": "w"}, monotonic=clock, sleep=clock.sleep, heartbeat=False,
                           record=os.path.join(self.root, ".w.record"))
        self.addCleanup(waiter.close)
        self.assertTrue(waiter.acquire(2.0))
        self.assertEqual(waiter.broken, 1)
        self.assertGreaterEqual(clock.t, 2.0)
        waiter.release()
        self.assertTrue(owner.acquire(2.0, timeout=0.0))  # a fresh start for the owner
        owner.release()
        self.assertEqual(sorted(os.listdir(self.root)), [".owner.record", ".w.record"])

    def test_an_observation_of_a_record_in_motion_is_discarded(self):
        owner = self.kept()
        self.assertTrue(owner.acquire(5.0))
        waiter = LeaseLock(self.path, {}, heartbeat=False)
        self.assertIsNotNone(waiter._observe())
        real_read = os.read

        def read_then_release(fd, n):
            data = real_read(fd, n)
            owner.release()  # the owner lets go (and may rewrite its record) while the waiter reads
            return data
        with mock.patch("os.read", read_then_release):
            self.assertIsNone(waiter._observe())

    def test_the_background_refresh_keeps_a_slow_claimer_safe(self):
        store = self.create(grid(3))
        slow, quick = self.reopen(store), self.reopen(store)
        order = []
        in_propose = threading.Event()

        def slow_propose(runs, index):
            in_propose.set()
            time.sleep(1.0)  # four leases of 0.25 s: refreshed meanwhile
            order.append("slow")
            return {"a": index}

        def quick_claim():
            in_propose.wait()
            run = quick.claim("q", proposer(quick), lease_seconds=0.25)
            order.append(("quick", run.index))
        t = threading.Thread(target=quick_claim)
        t.start()
        run = slow.claim("s", slow_propose, lease_seconds=0.25)
        t.join(10)
        self.assertEqual(order, ["slow", ("quick", 1)])
        self.assertEqual(run.index, 0)
        self.assertEqual((slow._lock.broken, quick._lock.broken), (0, 0))


# ------------------------------------------------------------------------------------ incremental


class TestIncremental(StoreTestCase):
    def test_bytes_read_per_claim_stay_flat(self):
        n = 10000 if STRESS else 800
        store = self.create({"method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}}})
        a, b = self.reopen(store), self.reopen(store)
        per_claim = []
        with mock.patch.object(sharedfs, "fsync", lambda fd: None):
            for i in range(n):
                s = a if i % 2 == 0 else b
                before = s.bytes_read
                run = s.claim("x", proposer(s), lease_seconds=30)
                if s is b:
                    per_claim.append(s.bytes_read - before)
                s.start(run.id)
                s.log(run.id, {"loss": 0.5, "step": i})
                s.finish(run.id, "finished")
        early, late = max(per_claim[10:60]), max(per_claim[-50:])
        self.assertGreater(early, 0)
        self.assertLessEqual(late, early * 1.5)
        written = sum(os.path.getsize(os.path.join(d, f)) for d in (os.path.join(store.path, "claims"),
                                                                     os.path.join(store.path, "journal"))
                      for f in os.listdir(d))
        self.assertLess(b.bytes_read, written)  # each byte is read at most once (plus torn tails)
        self.assertEqual(len(b.runs()), n)


if __name__ == "__main__":
    unittest.main()
