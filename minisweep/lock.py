"""A lock for a directory shared by many hosts, with a lease instead of ``flock``.

Agents on different machines that share a sweep directory over NFS must take
turns choosing the next run.  ``flock`` and ``fcntl`` locks are not to be
relied on there (they depend on the NFS lock daemon, and a lock held by a dead
machine may never be released), so this lock uses only operations that NFS
performs atomically on the server:

1. **Taking it.**  The would-be owner writes its *owner record* (host, pid,
   agent, a random token, its lease length) to a private file, closes it (on
   NFS, closing sends the data to the server), and hard-links it to the fixed
   name ``lock``.  ``link`` fails with ``EEXIST`` when the name is taken, so
   exactly one contender wins.  NFS may replay a ``link`` whose reply was lost
   and report ``EEXIST`` for a link that did succeed; the winner is recognised
   by the private file's link count having become 2.
2. **Holding it.**  While it holds the lock, the owner *refreshes* the record
   every quarter lease: it rewrites a fixed-width beat counter inside the file,
   through a descriptor it keeps open, and syncs it to the server.
3. **Waiting for it.**  A waiter opens ``lock`` (opening makes an NFS client
   revalidate its cache), and notes what it sees: the inode, size, mtime and
   bytes.  It breaks the lock only after that observation has stayed *exactly
   the same* for the owner's whole lease, timed on the waiter's own monotonic
   clock.  No timestamp written by another machine is ever compared with the
   local clock, so clock skew between hosts cannot make a live lock look
   dead, and a lock is never broken for its age alone: a slow owner that keeps
   refreshing keeps its lock.
4. **Breaking it.**  The waiter renames ``lock`` to a unique tombstone name
   (``rename`` is atomic), then reads the tombstone: if it is the record it
   watched go stale, it deletes it and competes for the lock as usual; if
   another waiter broke and re-took the lock in between, the waiter has just
   stolen a live lock, so it links the tombstone back to ``lock`` and retries.
5. **Letting go.**  The owner checks that ``lock`` is still its inode, renames
   it to a tombstone, checks again, and deletes it.  An owner that stalled for
   longer than its lease may find its lock broken; :meth:`LeaseLock.refresh`
   then returns ``False`` and :attr:`LeaseLock.held` turns false.

**Reusing the record file.**  Creating a file is the slowest of these steps on
many file systems (it allocates an inode), so a lock given a ``record=`` path
keeps that private file from one acquisition to the next: it rewrites the
file in place (a new random token each time) and links it again.  Rewriting a
file that a waiter might be reading would be wrong (a breaker compares the
tombstone's bytes with what it watched go stale), so the owner rewrites only
when no name but its own can lead to the file:

- only after a *clean* release: the owner itself renamed ``lock`` (still its
  inode) to its tombstone and removed it.  A breaker reads a record only
  through its own tombstone, which it makes by renaming ``lock``; had one
  done so during this hold, the owner's release would have found ``lock``
  gone or foreign (not clean), or, if the breaker had already linked it back,
  the breaker had finished reading before the owner's rename;
- and only when the file's link count is 1 (its private name alone), checked
  on a freshly opened descriptor: no tombstone, no ``lock``.  While the count
  is 1 nobody else can make a new name for it, since ``link`` needs an
  existing name and the private one is used by its owner alone.

Otherwise the owner unlinks its private name (leaving the inode to whoever
holds the other names) and creates a fresh file.  A waiter that opened
``lock`` just before a release and reads the file while it is rewritten
stats ``lock`` again after reading and discards the observation unless
``lock`` still names the same file, so it never times a lease from bytes read
before they were published.  Without ``record=`` a fresh temporary file is
made for each acquisition and removed once linked.

Limits, stated plainly: a lock can be broken wrongly if its owner is alive but
cannot write to the shared directory for a whole lease (a paused VM, a network
partition).  Callers must therefore treat the lock as a way to take turns
efficiently, not as their only defence; the sweep store also makes each run
number's claim exclusive on its own (see :mod:`.store`).

Time and sleeping are injected, so tests drive a waiter with a fake clock:

>>> import os, tempfile
>>> tmp = tempfile.TemporaryDirectory(); d = tmp.name
>>> t = [0.0]
>>> def fake_sleep(s): t[0] += s
>>> stale = LeaseLock(os.path.join(d, "lock"), {"agent": "dead"}, heartbeat=False)
>>> stale.acquire(lease_seconds=5.0)   # taken, then its owner "dies": no refresh, no release
True
>>> waiter = LeaseLock(os.path.join(d, "lock"), {"agent": "w"}, monotonic=lambda: t[0],
...                    sleep=fake_sleep, heartbeat=False)
>>> waiter.acquire(lease_seconds=5.0), t[0] >= 5.0, waiter.broken
(True, True, 1)
>>> waiter.release(); tmp.cleanup()
"""

import binascii
import errno
import json
import os
import socket
import threading
import time
from typing import Any, Callable, Dict, Optional, Tuple

from .errors import StoreError
from .sharedfs import O_NOFOLLOW, NotAFile, create_file, open_file, unlink_quietly, write_all

__all__ = ["LeaseLock", "LOCK_FORMAT"]

#: Format version of the owner record.
LOCK_FORMAT = 1

_BEAT_WIDTH = 12
_BEAT_MARK = b'"beat": "'


#: The errno a StoreError carries for a lock path that is not a file.
_FOREIGN_ERRNO = {"a directory": errno.EISDIR, "a symbolic link": errno.ELOOP}


def _token() -> str:
    return binascii.hexlify(os.urandom(8)).decode("ascii")


def _pwrite_all(fd: int, data: bytes) -> None:
    """Write ``data`` at offset 0."""
    if not hasattr(os, "pwrite"):  # pragma: no cover - Windows
        os.lseek(fd, 0, os.SEEK_SET)
        write_all(fd, data)
        return
    view, offset = memoryview(data), 0
    while view:
        n = os.pwrite(fd, view, offset)
        if n <= 0:  # as in sharedfs.write_all: an error, not a loop for ever
            raise OSError(errno.EIO, "pwrite returned %d" % n)
        view, offset = view[n:], offset + n


class LeaseLock:
    """An exclusive lock on ``path`` that works across threads, processes and hosts.

    Args:
        path: the lock's file name; its directory must exist and be shared by
            every contender.
        owner: extra fields for the owner record (``agent`` is the useful one);
            ``host``, ``pid`` and a random ``token`` are added.
        monotonic: the waiter's clock for judging a lapsed lease.
        sleep: how a waiter pauses between looks.
        clock: wall clock, only written into the record for people to read.
        heartbeat: refresh the lock from a background thread while it is held
            (turn off only in tests that call :meth:`refresh` themselves).
        record: a private file name, on the same file system as ``path``,
            for this contender's owner record, kept and reused from one
            acquisition to the next (see the module docstring) and removed by
            :meth:`close`.  ``None``: a fresh temporary file next to ``path``
            for each acquisition.

    One object is one contender: it is not reentrant, and the threads of one
    process that want to take turns should each use their own object or
    serialise on a :class:`threading.Lock` first.
    """

    def __init__(self, path: str, owner: Optional[Dict[str, Any]] = None, *,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time,
                 heartbeat: bool = True,
                 poll: Tuple[float, float] = (0.0002, 0.02),
                 record: Optional[str] = None) -> None:
        self.path = os.fspath(path)
        self.record = os.fspath(record) if record is not None else None
        self._reusable = False  # the record file may be rewritten in place (after a clean release)
        self.owner = dict(owner or {})
        self._monotonic = monotonic
        self._sleep = sleep
        self._clock = clock
        self._heartbeat = heartbeat
        self._poll = poll
        self._fd: Optional[int] = None
        self._ino: Optional[Tuple[int, int]] = None
        self._beat = 0
        self._beat_offset = 0
        self._lease = 0.0
        self._last_beat = 0.0
        self._mutex = threading.Lock()
        self._wake = threading.Condition(self._mutex)
        self._thread: Optional[threading.Thread] = None
        #: Number of stale locks this object has broken (for tests and diagnostics).
        self.broken = 0

    # ------------------------------------------------------------------ taking

    @property
    def held(self) -> bool:
        """True while this object believes it holds the lock."""
        return self._fd is not None

    def acquire(self, lease_seconds: float, timeout: Optional[float] = None) -> bool:
        """Take the lock, waiting as long as needed (or ``timeout`` seconds).

        Args:
            lease_seconds: how long others must see this owner's record
                unchanged before they may break the lock.  The lock is
                refreshed every quarter of it while held.
            timeout: give up after this many seconds (on ``monotonic``);
                ``None`` waits for ever.

        Returns:
            True once held; False if ``timeout`` ran out.

        Raises:
            StoreError: the directory cannot be written.
        """
        if self._fd is not None:
            raise RuntimeError("%s is already held by this LeaseLock" % self.path)
        lease = float(lease_seconds)
        if not lease > 0:
            raise ValueError("lease_seconds must be positive, got %r" % (lease_seconds,))
        token = _token()
        record = dict(self.owner)
        record.update({"format": LOCK_FORMAT, "kind": "minisweep.lock", "token": token,
                       "host": socket.gethostname(), "pid": os.getpid(),
                       "lease_seconds": lease, "acquired_at": self._clock()})
        text = json.dumps(record, sort_keys=True, allow_nan=False)
        # the beat counter goes last, fixed width, so refreshing rewrites it in place
        data = (text[:-1] + ', "beat": "' + "0" * _BEAT_WIDTH + '"}\n').encode("utf-8")
        tmp = self._write_record(data, token)
        try:
            fd = os.open(tmp, os.O_RDWR)
        except OSError as exc:
            self._drop_record(tmp)
            raise StoreError("cannot open the lock record %s: %s" % (tmp, exc.strerror or exc),
                             path=tmp, errno=exc.errno) from exc
        start = self._monotonic()
        seen: Optional[tuple] = None
        seen_since = 0.0
        delay = self._poll[0]
        vanished = 0  # looks in a row that found no lock although link() said it was taken
        try:
            while True:
                if self._link(tmp, fd):
                    self._reusable = False  # until released cleanly
                    if self.record is None:
                        unlink_quietly(tmp)
                    st = os.fstat(fd)
                    with self._mutex:
                        self._fd, self._ino, self._beat, self._lease = fd, (st.st_dev, st.st_ino), 0, lease
                        self._last_beat = time.monotonic()
                        self._beat_offset = data.rindex(_BEAT_MARK) + len(_BEAT_MARK)
                        fd = -1
                        if self._heartbeat:
                            self._start_beater()
                    return True
                look = self._observe()
                now = self._monotonic()
                if look is None:  # released while we looked: try again at once (once; then back off)
                    seen = None
                    vanished += 1
                    if vanished == 1:
                        continue
                elif look != seen:
                    vanished = 0
                    seen, seen_since = look, now
                elif now - seen_since >= _lease_of(look[-1], lease):
                    self._break(look)
                    seen = None
                    continue
                else:
                    vanished = 0
                if timeout is not None and now - start >= timeout:
                    return False
                self._sleep(delay)
                delay = min(delay * 2, self._poll[1], lease / 4)
        finally:
            if fd != -1:
                os.close(fd)
                self._drop_record(tmp)

    def _write_record(self, data: bytes, token: str) -> str:
        """Put ``data`` in our private record file, closed (so on NFS it is on the server); return its name."""
        path = self.record
        if path is None:
            path = "%s.%s.tmp" % (self.path, token)
        elif self._reusable:
            try:
                fd = os.open(path, os.O_WRONLY | O_NOFOLLOW)
            except OSError:
                fd = -1
            if fd != -1:
                try:
                    # rewrite in place only while no other name leads here (see the module docstring)
                    st = os.fstat(fd)
                    if st.st_nlink == 1:
                        _pwrite_all(fd, data)
                        if st.st_size > len(data):
                            # (never to 0: ext4 flushes a file truncated to 0 on close, which costs a sync)
                            os.ftruncate(fd, len(data))
                        return path
                except OSError:
                    pass
                finally:
                    os.close(fd)
            self._reusable = False
        if self.record is not None:
            unlink_quietly(path)  # whoever else names the old file keeps it; we start a fresh one
        try:
            fd = create_file(path)  # readable by whoever shares the folder (see .sharedfs)
            try:
                write_all(fd, data)
            finally:
                os.close(fd)  # on NFS, close sends the record to the server before anyone can see it
        except OSError as exc:
            unlink_quietly(path)
            raise StoreError("cannot write the lock record %s: %s" % (path, exc.strerror or exc),
                             path=path, errno=exc.errno) from exc
        self._reusable = self.record is not None
        return path

    def _drop_record(self, path: str) -> None:
        """After a failed or timed-out acquisition: a temporary record goes; a kept one stays for next time."""
        if self.record is None:
            unlink_quietly(path)

    def close(self) -> None:
        """Release the lock if held and remove the kept record file (the object may be used again)."""
        self.release()
        with self._mutex:
            if self.record is not None and self._fd is None:
                unlink_quietly(self.record)
                self._reusable = False

    def _link(self, tmp: str, fd: int) -> bool:
        try:
            os.link(tmp, self.path)
            return True
        except FileExistsError:
            pass
        except OSError as exc:
            if os.fstat(fd).st_nlink != 2:
                raise StoreError("cannot take the lock %s: %s" % (self.path, exc.strerror or exc),
                                 path=self.path, errno=exc.errno) from exc
        # NFS can replay a link whose reply was lost and answer EEXIST: did ours land?
        return os.fstat(fd).st_nlink == 2

    def _observe(self) -> Optional[tuple]:
        """What a waiter can see of the current owner record, or None if there is none.

        Raises:
            StoreError: ``path`` is not a lock file (a directory, a symbolic
                link, a FIFO): no minisweep made it, and none will remove it.
        """
        try:
            fd = open_file(self.path)  # never blocks (a FIFO), never follows a symlink
        except FileNotFoundError:
            return None
        except NotAFile as exc:
            raise StoreError("%s is %s, not a lock file: remove it (minisweep never makes one)"
                             % (self.path, exc.kind), path=self.path,
                             errno=_FOREIGN_ERRNO.get(exc.kind, errno.EINVAL)) from None
        except OSError as exc:
            raise StoreError("cannot read the lock %s: %s" % (self.path, exc.strerror or exc),
                             path=self.path, errno=exc.errno) from exc
        try:
            st = os.fstat(fd)
            content = os.read(fd, 65536)
        finally:
            os.close(fd)
        try:  # still the file we read?  If not, its owner let go meanwhile (and may be rewriting it)
            now = os.stat(self.path)
        except FileNotFoundError:
            return None
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, content)

    def _break(self, look: tuple) -> None:
        tomb = "%s.%s.broken" % (self.path, _token())
        try:
            os.rename(self.path, tomb)
        except FileNotFoundError:
            return
        try:
            fd = os.open(tomb, os.O_RDONLY)
            try:
                st = os.fstat(fd)
                content = os.read(fd, 65536)
            finally:
                os.close(fd)
            if (st.st_dev, st.st_ino, content) == (look[0], look[1], look[-1]):
                self.broken += 1
            else:  # someone re-took the lock between our look and our rename: give it back
                try:
                    os.link(tomb, self.path)
                except FileExistsError:
                    pass
        finally:
            unlink_quietly(tomb)

    # ----------------------------------------------------------------- holding

    def refresh(self) -> bool:
        """Renew the lease: rewrite the beat counter and sync it.  False if the lock was lost."""
        with self._mutex:
            fd = self._fd
            if fd is None:
                return False
            self._beat += 1
            self._last_beat = time.monotonic()
            digits = ("%0*d" % (_BEAT_WIDTH, self._beat % 10 ** _BEAT_WIDTH)).encode("ascii")
            try:
                if hasattr(os, "pwrite"):
                    os.pwrite(fd, digits, self._beat_offset)
                else:  # pragma: no cover - Windows
                    os.lseek(fd, self._beat_offset, os.SEEK_SET)
                    write_all(fd, digits)
                os.fsync(fd)  # other NFS clients see the beat only once it reaches the server
            except OSError:
                pass  # a missed beat is survivable; the next one may succeed
            try:
                st = os.stat(self.path)
                mine = (st.st_dev, st.st_ino) == self._ino
            except OSError:
                mine = False
            if not mine:  # broken by a waiter that judged us dead: let go of the descriptor
                self._close_locked()
            return mine

    def _start_beater(self) -> None:
        # called with the mutex held; a running beater notices the new hold on its own
        if self._thread is None:
            self._thread = threading.Thread(target=self._beater, name="minisweep-lock-heartbeat", daemon=True)
            self._thread.start()

    def _beater(self) -> None:
        """Refresh the lock every quarter lease while it is held; exit after a long idle spell."""
        idle = 0
        while True:
            with self._mutex:
                interval = max(self._lease / 4, 0.001)
                if self._fd is None:
                    idle += 1
                    if idle > 8:
                        self._thread = None
                        return
                    self._wake.wait(timeout=interval)
                    continue
                idle = 0
                # real time, not the injected clock: this thread really waits (on a Condition) between beats
                remaining = self._last_beat + interval - time.monotonic()
                if remaining > 0:
                    self._wake.wait(timeout=remaining)
                    continue
            self.refresh()

    # ---------------------------------------------------------------- letting go

    def release(self) -> None:
        """Let go of the lock (a no-op if it was lost or never taken)."""
        with self._mutex:
            if self._fd is None:
                return
            try:
                st = os.stat(self.path)
                if (st.st_dev, st.st_ino) != self._ino:
                    return  # lost: the file there now belongs to someone else
                tomb = "%s.%s.released" % (self.path, _token())
                os.rename(self.path, tomb)
            except OSError:
                return
            finally:
                if (self._fd is not None):
                    self._close_locked()
            clean = False
            try:
                st = os.stat(tomb)
                if (st.st_dev, st.st_ino) != self._ino:  # raced with a breaker: put theirs back
                    try:
                        os.link(tomb, self.path)
                    except FileExistsError:
                        pass
                else:
                    clean = True
            except OSError:
                pass
            try:
                os.unlink(tomb)
            except OSError:
                clean = False
            # we moved our own record out of `lock` and removed it: no breaker can be reading it
            self._reusable = clean and self.record is not None

    def _close_locked(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass


def _lease_of(content: bytes, default: float) -> float:
    """The lease the owner announced in its record, or ``default`` if unreadable."""
    try:
        value = float(json.loads(content.decode("utf-8"))["lease_seconds"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, OverflowError, RecursionError):
        return default  # (OverflowError: an integer beyond float range)
    if value > 0 and value < 1e7:
        return value
    return default
