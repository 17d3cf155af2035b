"""TensorBoard event files read in pure Python: real files, corrupt, truncated and growing ones, and a sweep.

The files under tests/data/tensorboard/ were written by the real writers —
torch 2.13.0's ``torch.utils.tensorboard.SummaryWriter`` and tensorboard
2.21.0's ``tensorboard.summary.Writer`` and ``RecordWriter`` — by
dev/make_tensorboard_fixtures.py, which says what each holds.
"""

import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import textwrap
import unittest

import minisweep
from minisweep.tensorboard import (EventFileReader, Scalar, Watcher, crc32c, find_event_files, follow,
                                   masked_crc32c, record, rows_from_scalars)
from tests.support import env_with

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tensorboard")
TORCH = os.path.join(DATA, "torch", "events.out.tfevents.1700000000.fixture.0")


def f32(x):
    """``x`` as the float32 an event file stores."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


# what torch's SummaryWriter was given (dev/make_tensorboard_fixtures.py, torch_writer)
TORCH_POINTS = [p for step in range(5) for p in (
    Scalar(step, "loss", f32(1.0 / (step + 1))), Scalar(step, "acc", f32(0.5 + step / 10)),
    Scalar(step, "train/lr", f32(0.1 * 0.5 ** step)))]


def read_file(path):
    with open(path, "rb") as fh:
        return fh.read()


class CrcTest(unittest.TestCase):
    def test_check_values(self):
        # the CRC-32C check value (RFC 3720 B.4 lists this and the all-zero / all-ones vectors)
        self.assertEqual(crc32c(b"123456789"), 0xE3069283)
        self.assertEqual(crc32c(bytes(32)), 0x8A9136AA)
        self.assertEqual(crc32c(b"\xff" * 32), 0x62A8AB43)
        self.assertEqual(crc32c(bytes(range(32))), 0x46DD794E)

    def test_eight_bytes_a_step_equals_one_byte_a_step(self):
        from minisweep.tensorboard import _crc32c_bytewise

        data = read_file(TORCH)
        for n in list(range(0, 40)) + [len(data)]:
            with self.subTest(n=n):
                self.assertEqual(crc32c(data[:n]), _crc32c_bytewise(data[:n]))
        self.assertEqual(_crc32c_bytewise(b"123456789"), 0xE3069283)

    def test_masked_crc_matches_what_tensorboard_wrote(self):
        data = read_file(TORCH)
        length = struct.unpack("<Q", data[:8])[0]
        self.assertEqual(masked_crc32c(data[:8]), struct.unpack("<I", data[8:12])[0])
        self.assertEqual(masked_crc32c(data[12:12 + length]), struct.unpack("<I", data[12 + length:16 + length])[0])


class RealFilesTest(unittest.TestCase):
    def test_torch_summary_writer(self):
        # add_scalar (simple_value) and add_scalar(new_style=True) (a tensor); the histogram and text are skipped
        reader = EventFileReader(TORCH)
        self.assertEqual(reader.read(), TORCH_POINTS)
        self.assertEqual((reader.offset, reader.skipped, reader.problems), (os.path.getsize(TORCH), 0, []))
        self.assertEqual(reader.read(), [])

    def test_torch_add_scalars_subdirectories(self):
        rows = Watcher([os.path.join(DATA, "torch")]).poll()
        self.assertEqual([r for r in rows if "pair_a/pair" in r], [{"_step": s, "pair_a/pair": float(s)} for s in range(5)])
        self.assertEqual([r for r in rows if "pair_b/pair" in r],
                         [{"_step": s, "pair_b/pair": 2.0 * s} for s in range(5)])
        self.assertEqual(rows[:2], [{"_step": 0, "loss": 1.0, "acc": 0.5, "train/lr": f32(0.1)},
                                    {"_step": 1, "loss": 0.5, "acc": f32(0.6), "train/lr": f32(0.05)}])

    def test_tensorboard_writer_tf2_style_tensors(self):
        path = find_event_files(os.path.join(DATA, "tbwriter"))[0]
        self.assertEqual(EventFileReader(path).read(),
                         [Scalar(10, "val/loss", f32(0.9)), Scalar(20, "val/loss", f32(0.8)),
                          Scalar(30, "val/loss", f32(0.7))])

    def test_double_and_tensor_content_encodings(self):
        path = find_event_files(os.path.join(DATA, "encodings"))[0]
        self.assertEqual(EventFileReader(path).read(),
                         [Scalar(1, "double", 0.125), Scalar(1, "content", 0.25),
                          Scalar(2, "double", 0.0625), Scalar(2, "content", 0.125)])


class DamagedFilesTest(unittest.TestCase):
    def test_a_record_with_a_bad_crc_is_skipped(self):
        data = bytearray(read_file(TORCH))
        # find the third record (the first scalar after the file_version and loss records) and damage its data
        offsets, i = [], 0
        while i < len(data):
            offsets.append(i)
            i += 12 + struct.unpack("<Q", bytes(data[i:i + 8]))[0] + 4
        data[offsets[2] + 14] ^= 0xFF   # inside record 2's data: the 'acc' point of step 0
        reader = EventFileReader(io.BytesIO(bytes(data)))
        self.assertEqual(reader.read(), [p for p in TORCH_POINTS if p != Scalar(0, "acc", 0.5)])
        self.assertEqual(reader.skipped, 1)
        self.assertIn("fails its CRC and is skipped", reader.problems[0])

    def test_a_bad_length_stops_the_file(self):
        data = bytearray(read_file(TORCH))
        second = 12 + struct.unpack("<Q", bytes(data[:8]))[0] + 4
        third = second + 12 + struct.unpack("<Q", bytes(data[second:second + 8]))[0] + 4
        data[third + 1] ^= 0x01   # the third record's length: the framing is lost from there
        reader = EventFileReader(io.BytesIO(bytes(data)))
        self.assertEqual(reader.read(), TORCH_POINTS[:1])
        self.assertTrue(reader.broken)
        self.assertIn("byte %d: the record length fails its CRC" % third, reader.problems[0])
        self.assertEqual(reader.read(), [])

    def test_a_truncated_file_gives_a_prefix_and_no_error(self):
        data = read_file(TORCH)
        for cut in range(0, len(data), 97):
            with self.subTest(cut=cut):
                points = EventFileReader(io.BytesIO(data[:cut])).read()
                self.assertEqual(points, TORCH_POINTS[:len(points)])

    def test_garbage_is_not_fatal(self):
        for junk in (b"\x00" * 100, b"not an event file at all, just text\n" * 5, bytes(range(256)) * 3):
            with self.subTest(junk=junk[:10]):
                reader = EventFileReader(io.BytesIO(junk))
                self.assertEqual(reader.read(), [])
        # a valid frame around bytes that are no protobuf
        reader = EventFileReader(io.BytesIO(record(b"\xff\xff\xff") + record(b"\x10\x01")))
        self.assertEqual((reader.read(), reader.skipped), ([], 1))

    def test_a_growing_file_is_read_incrementally(self):
        data = read_file(TORCH)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "events.out.tfevents.1.host")
            reader = EventFileReader(path)
            got = []
            with open(path, "wb") as fh:
                for i in range(0, len(data), 250):  # the writer flushes at arbitrary points
                    fh.write(data[i:i + 250])
                    fh.flush()
                    got += reader.read()
            self.assertEqual(got, TORCH_POINTS)
            self.assertEqual(reader.offset, len(data))


class WatcherTest(unittest.TestCase):
    def test_only_new_files_and_the_interval(self):
        now = [100.0]
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(TORCH, os.path.join(tmp, "events.out.tfevents.1.old"))
            watcher = Watcher([tmp, os.path.join(tmp, "missing")], only_new=True, interval=5.0,
                              clock=lambda: now[0])
            self.assertEqual(watcher.poll(), [])          # the old file is not this run's
            os.makedirs(os.path.join(tmp, "validation"))
            shutil.copy(os.path.join(DATA, "tbwriter", "events.out.tfevents.1700000000.fixture.0"),
                        os.path.join(tmp, "validation", "events.out.tfevents.2.new"))
            self.assertEqual(watcher.poll(), [])          # too soon after the last look
            now[0] += 5.0
            self.assertEqual(watcher.poll(), [{"_step": 10, "validation/val/loss": f32(0.9)},
                                              {"_step": 20, "validation/val/loss": f32(0.8)},
                                              {"_step": 30, "validation/val/loss": f32(0.7)}])
            self.assertEqual(watcher.poll(force=True), [])

    def test_follow_logs_rows_from_a_thread(self):
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            stop = follow([tmp], rows.append, interval=0.05)
            shutil.copy(TORCH, os.path.join(tmp, "events.out.tfevents.3.new"))
            stop()
        self.assertEqual(rows, rows_from_scalars(TORCH_POINTS))


# A program that reports only through TensorBoard: it writes a real event file (copied from the
# fixture, in pieces, as a writer flushes) where it is told, and prints nothing.
WRITES_EVENTS = textwrap.dedent("""\
    import os, sys, time
    data = open(sys.argv[1], "rb").read()
    where = os.environ["TB_DIR"].replace("RUN", os.environ["MINISWEEP_RUN_ID"]) if "TB_DIR" in os.environ \\
        else os.environ["MINISWEEP_RUN_DIR"]
    os.makedirs(where, exist_ok=True)
    with open(os.path.join(where, "events.out.tfevents.1700000000.host.1"), "wb") as fh:
        for i in range(0, len(data), 1000):
            fh.write(data[i:i + 1000])
            fh.flush()
            time.sleep(0.05)
    """)


class SweepTest(unittest.TestCase):
    def run_sweep(self, *args, **env):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "train.py"), "w") as fh:
                fh.write(WRITES_EVENTS)
            store = os.path.join(tmp, "store")
            sid = minisweep.sweep({"program": "train.py", "method": "grid", "metric": {"name": "loss"},
                                   "command": ["${interpreter}", "${program}", TORCH],
                                   "early_terminate": {"type": "hyperband", "min_iter": 100},
                                   "parameters": {"x": {"values": [1]}}}, project="p", dir=store)
            out = subprocess.run([sys.executable, "-m", "minisweep", "agent", sid, "--dir", store] + list(args),
                                 cwd=tmp, env=env_with(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 universal_newlines=True, timeout=120)
            self.assertEqual(out.returncode, 0, out.stderr)
            (run,) = minisweep.load(sid, dir=store).runs
            return run

    def test_event_files_in_the_run_directory_are_the_runs_metrics(self):
        run = self.run_sweep()
        self.assertEqual(run.state, "finished")
        self.assertEqual([r for r in run.history if "loss" in r],
                         [{"_step": s, "loss": f32(1.0 / (s + 1)), "acc": f32(0.5 + s / 10),
                           "train/lr": f32(0.1 * 0.5 ** s)} for s in range(5)])
        self.assertEqual(run.summary["loss"], f32(0.2))

    def test_a_tensorboard_directory_with_the_run_id(self):
        run = self.run_sweep("--tensorboard", "tb/{run_id}", TB_DIR="tb/RUN")
        self.assertEqual([r["loss"] for r in run.history if "loss" in r], [f32(1.0 / (s + 1)) for s in range(5)])


if __name__ == "__main__":
    unittest.main()
