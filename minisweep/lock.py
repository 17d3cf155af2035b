"""A lock for a directory shared by many hosts, with a lease instead of ``flock``.

Agents on different machines that share a sweep directory over NFS must take
turns choosing the next run.  ``flock`` and ``fcntl`` locks are not to be
relied on there (they depend on the NFS lock daemon, and a lock held by a dead
machine may never be released), so this lock uses only operations that NFS
performs atomically on the server:

1. **Taking it.**  The would-be owner writes its *owner record* (host, pid,
   agent, a random token, its lease length) to a private temporary file, closes
   it (on NFS, closing sends the data to the server), and hard-links it to the
   fixed name ``lock``.  ``link`` fails with ``EEXIST`` when the name is
   taken, so exactly one contender wins.  NFS may replay a ``link`` whose reply
   was lost and report ``EEXIST`` for a link that did succeed; the winner is
   recognised by the temporary file's link count having become 2.
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

from __future__ import annotations

import binascii
import json
import os
import socket
import threading
import time
from typing import Any, Callable, Dict, Optional, Tuple

from .errors import StoreError

__all__ = ["LeaseLock", "LOCK_FORMAT"]

#: Format version of the owner record.
LOCK_FORMAT = 1

_BEAT_WIDTH = 12
_BEAT_MARK = b'"beat": "'


def _token() -> str:
    return binascii.hexlify(os.urandom(8)).decode("ascii")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


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

    One object is one contender: it is not reentrant, and the threads of one
    process that want to take turns should each use their own object or
    serialise on a :class:`threading.Lock` first.
    """

    def __init__(self, path: str, owner: Optional[Dict[str, Any]] = None, *,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time,
                 heartbeat: bool = True,
                 poll: Tuple[float, float] = (0.0002, 0.02)) -> None:
        self.path = os.fspath(path)
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
        tmp = "%s.%s.tmp" % (self.path, token)
        record = dict(self.owner)
        record.update({"format": LOCK_FORMAT, "kind": "minisweep.lock", "token": token,
                       "host": socket.gethostname(), "pid": os.getpid(),
                       "lease_seconds": lease, "acquired_at": self._clock()})
        text = json.dumps(record, sort_keys=True, allow_nan=False)
        # the beat counter goes last, fixed width, so refreshing rewrites it in place
        data = (text[:-1] + ', "beat": "' + "0" * _BEAT_WIDTH + '"}\n').encode("utf-8")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)  # on NFS, close sends the record to the server before anyone can see it
            fd = os.open(tmp, os.O_RDWR)
        except OSError as exc:
            _unlink_quietly(tmp)
            raise StoreError("cannot write the lock record %s: %s" % (tmp, exc.strerror or exc),
                             path=tmp, errno=exc.errno) from exc
        start = self._monotonic()
        seen: Optional[tuple] = None
        seen_since = 0.0
        delay = self._poll[0]
        try:
            while True:
                if self._link(tmp, fd):
                    _unlink_quietly(tmp)
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
                if look is None:  # released while we looked: try again at once
                    seen = None
                    continue
                if look != seen:
                    seen, seen_since = look, now
                elif now - seen_since >= _lease_of(look[-1], lease):
                    self._break(look)
                    seen = None
                    continue
                if timeout is not None and now - start >= timeout:
                    return False
                self._sleep(delay)
                delay = min(delay * 2, self._poll[1], lease / 4)
        finally:
            if fd != -1:
                os.close(fd)
                _unlink_quietly(tmp)

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
        """What a waiter can see of the current owner record, or None if there is none."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            st = os.fstat(fd)
            content = os.read(fd, 65536)
        finally:
            os.close(fd)
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
            if (st.st_ino, content) == (look[1], look[-1]):
                self.broken += 1
            else:  # someone re-took the lock between our look and our rename: give it back
                try:
                    os.link(tomb, self.path)
                except FileExistsError:
                    pass
        finally:
            _unlink_quietly(tomb)

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
                    _write_all(fd, digits)
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
            try:
                st = os.stat(tomb)
                if (st.st_dev, st.st_ino) != self._ino:  # raced with a breaker: put theirs back
                    try:
                        os.link(tomb, self.path)
                    except FileExistsError:
                        pass
            except OSError:
                pass
            _unlink_quietly(tomb)

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
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return default
    if value > 0 and value < 1e7:
        return value
    return default


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
