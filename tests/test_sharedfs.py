"""Tests of the file helpers in minisweep.sharedfs: one copy of each, used by the store and its lock.

(The shared-folder rules themselves, permissions, FIFOs and symbolic links, are
tested through the store in test_store_hardening.)
"""

import errno
import os
import unittest
from unittest import mock

from minisweep import sharedfs
from minisweep.errors import StoreError
from minisweep.lock import LeaseLock
from tests.support import temp_dir


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir(self)


class TestWriteAll(TempDirTest):
    def test_short_writes_are_continued(self):
        path = os.path.join(self.dir, "f")
        real_write, sizes = os.write, []

        def three_bytes_at_a_time(fd, data):
            sizes.append(len(data))
            return real_write(fd, bytes(data)[:3])
        fd = sharedfs.create_file(path)
        try:
            with mock.patch("os.write", three_bytes_at_a_time):
                sharedfs.write_all(fd, b"0123456789")
        finally:
            os.close(fd)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"0123456789")
        self.assertEqual(sizes, [10, 7, 4, 1])

    def test_a_write_that_writes_nothing_is_an_error_not_a_loop(self):
        calls = []

        def nothing(fd, data):
            calls.append(1)
            if len(calls) > 50:  # the old loop of the lock would spin here for ever
                raise RuntimeError("still looping")
            return 0
        fd = sharedfs.create_file(os.path.join(self.dir, "f"))
        try:
            with mock.patch("os.write", nothing):
                with self.assertRaises(OSError) as cm:
                    sharedfs.write_all(fd, b"data")
        finally:
            os.close(fd)
        self.assertEqual((cm.exception.errno, len(calls)), (errno.EIO, 1))

    def test_the_lock_writes_its_record_with_it(self):
        calls = []

        def nothing(fd, data):
            calls.append(1)
            if len(calls) > 50:
                raise RuntimeError("still looping")
            return 0
        lock = LeaseLock(os.path.join(self.dir, "lock"), {"agent": "a"}, heartbeat=False)
        with mock.patch("os.write", nothing):
            with self.assertRaises(StoreError) as cm:
                lock.acquire(5.0)
        self.assertEqual((cm.exception.errno, len(calls)), (errno.EIO, 1))
        self.assertEqual(os.listdir(self.dir), [])  # its record file is gone, no lock taken


class TestWriteAtomic(TempDirTest):
    def test_replaces_the_whole_file(self):
        path = os.path.join(self.dir, "state.json")
        sharedfs.write_atomic(path, b"old\n")
        sharedfs.write_atomic(path, b"new\n", durable=False)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"new\n")
        self.assertEqual(os.listdir(self.dir), ["state.json"])

    def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_one(self):
        path = os.path.join(self.dir, "state.json")
        sharedfs.write_atomic(path, b"old\n")

        def full(*args):
            raise OSError(errno.ENOSPC, "No space left on device")
        with mock.patch.object(sharedfs, "fsync", full):  # the one place every caller syncs through
            with self.assertRaises(StoreError) as cm:
                sharedfs.write_atomic(path, b"new\n")
        self.assertEqual((cm.exception.errno, cm.exception.path), (errno.ENOSPC, path))
        self.assertIn("cannot write %s" % path, str(cm.exception))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"old\n")
        self.assertEqual(os.listdir(self.dir), ["state.json"])


class TestQuietRemoval(TempDirTest):
    def test_missing_things_raise_nothing(self):
        sharedfs.unlink_quietly(os.path.join(self.dir, "missing"))
        sharedfs.remove_tree_quietly(os.path.join(self.dir, "missing"))
        os.makedirs(os.path.join(self.dir, "a", "b"))
        sharedfs.remove_tree_quietly(os.path.join(self.dir, "a"))
        self.assertEqual(os.listdir(self.dir), [])


if __name__ == "__main__":
    unittest.main()
