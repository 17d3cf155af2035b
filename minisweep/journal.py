"""The journals: a sweep's append-only files, how one is written, and how all are read.

Each store object writes exactly one journal, ``journal/<writer>.jsonl``, and
no other object ever writes to it, so its lines never interleave (``O_APPEND``
is not atomic across NFS clients) and no lock is needed to log.  Every line is
one strict-JSON record; the first is the header (format version, writer, sweep,
host, pid), the rest are the records :mod:`.replay` applies: ``claim``,
``start``, ``beat``, ``log``, ``finish``, ``crash`` and a last ``close``.  The
writer's *marker*, ``journal/<writer>.mark``, is one line naming it;
``claims/<k>.json`` is a hard link to it, which is how run number ``k`` is
taken (see :mod:`.store`).

Writing (:class:`JournalWriter`), and what a crash or a full disk can do to it:

- The header and the marker are synced, and so is the folder, when the
  journal is first opened: a journal's name survives a power cut.
- Lines are appended whole, a batch at a time; the caller syncs
  (:meth:`JournalWriter.sync`) only what must survive a power cut (a
  ``finish``, a heartbeat).  ``kill -9`` loses nothing that was written; a
  power cut can lose unsynced lines.
- An append that fails half way (``ENOSPC``) is cut back to the last whole
  line (``ftruncate``), or, if even that fails, ended with a newline, so the
  next line is whole and readers skip just the damaged one.
- A claim line is *published* (written through a descriptor of its own and
  closed, which on NFS sends it to the server) before the marker is linked,
  so nobody can see a claim's marker before its line.

Reading (:class:`JournalReader`), incrementally: a reader keeps a byte offset
per journal and reads only what is new, so the cost of a claim does not grow
with the sweep.  A torn last line is left for later (it may still be being
written); a line that is not JSON, or not a record, is skipped; a file in
``journal/`` that is not a journal of ours, or not a regular file, is ignored;
a journal whose writer wrote ``close`` is never read again.  A file written by
a newer minisweep (a higher ``format``) raises :class:`~.errors.StoreError`
instead of being guessed at.

>>> import os, tempfile, threading
>>> from .replay import Replay
>>> tmp = tempfile.TemporaryDirectory(); claims, journals = (os.path.join(tmp.name, d) for d in ("claims", "journal"))
>>> os.mkdir(claims); os.mkdir(journals)
>>> w = JournalWriter(journals, "w1", "s1", clock=lambda: 5.0, mutex=threading.RLock())
>>> _ = w.append([{"op": "claim", "run": "r1", "index": 0, "config": {}, "agent": "a", "lease_seconds": 9, "at": 5.0}])
>>> w.link_marker(claims, 0)
True
>>> replay = Replay("me", clock=lambda: 5.0, monotonic=lambda: 0.0)
>>> reader = JournalReader(claims, journals, "me", replay)
>>> reader.read()
>>> [(r.id, r.index, r.state) for r in replay.snapshot()]
[('r1', 0, 'pending')]
>>> w.close(); tmp.cleanup()
"""

import errno
import json
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Dict, Optional, Sequence, Tuple, Union

from . import sharedfs
from .errors import StoreError
from .ids import check_id
from .sharedfs import O_NOFOLLOW, NotAFile, create_file, open_file, read_file, store_error, unlink_quietly, write_all

if TYPE_CHECKING:
    from .replay import Replay

__all__ = ["FORMAT", "Damaged", "check_format", "doc_bytes", "record_line", "JournalWriter", "JournalReader",
           "writable_dir"]

#: Format version written into every file (and every journal's header line).
#: 2: ``claims/<k>.json`` is a hard link to its writer's marker; the claim itself is a journal line.
FORMAT = 2

#: Errors a damaged claim file or journal line raises while it is read (it is then skipped).
_DAMAGED = (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError)


class Damaged(ValueError):
    """A file or line that is not what it should be (readers skip it; :meth:`.SweepStore.open` reports it)."""


def check_format(doc: Any, kind: Union[str, Tuple[str, ...]], path: str) -> Dict[str, Any]:
    """``doc`` if it is a ``kind`` record this version can read.

    Raises:
        Damaged: not such a record.
        StoreError: written by a newer minisweep (mixing versions on one sweep is refused).
    """
    kinds = (kind,) if isinstance(kind, str) else kind
    if not isinstance(doc, dict) or doc.get("kind") not in kinds:
        raise Damaged("%s is not a %s file" % (path, kinds[0]))
    fmt = doc.get("format")
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 1:
        raise Damaged("%s has no valid format version" % path)
    if fmt > FORMAT:
        raise StoreError("%s has format %d; this minisweep reads format %d: upgrade minisweep"
                         % (path, fmt, FORMAT), path=path)
    return doc


def doc_bytes(obj: Dict[str, Any]) -> bytes:
    """A whole-file document: indented for people, keys in the order given (a config stays as written)."""
    try:
        return (json.dumps(obj, allow_nan=False, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(obj, allow_nan=False, indent=2) + "\n").encode("ascii")


def record_line(record: Dict[str, Any]) -> bytes:
    """One record as one line of strict JSON (keys in the order given)."""
    text = json.dumps(record, allow_nan=False, ensure_ascii=False)
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # lone surrogates: fall back to \\u escapes, still valid JSON
        return json.dumps(record, allow_nan=False).encode("ascii") + b"\n"


def writable_dir(path: str) -> None:
    """Refuse to write into a folder of the sweep that is a symbolic link, or not a folder.

    Raises:
        StoreError: it is not a real folder (see :func:`~.sharedfs.check_dir`).
    """
    try:
        sharedfs.check_dir(path)
    except OSError as exc:
        raise store_error("cannot write to", path, exc) from exc


# ------------------------------------------------------------------------------------------ writing


class JournalWriter:
    """The journal one store object writes, ``<journal_dir>/<writer>.jsonl``, and its marker.

    Args:
        journal_dir: the sweep's ``journal/`` folder.
        writer: the store object's writer id (the journal's and the marker's name).
        sweep_id: recorded in the header.
        clock: wall clock for the header's ``created_at``.
        mutex: the lock its owner holds around :meth:`append` (taken here to
            replace the marker while claiming).

    Nothing is created until the first :meth:`append`.
    """

    def __init__(self, journal_dir: str, writer: str, sweep_id: str, *, clock: Callable[[], float] = time.time,
                 mutex: Optional[ContextManager[Any]] = None) -> None:
        self.dir = journal_dir
        self.writer = writer
        self.sweep_id = sweep_id
        self.path = os.path.join(journal_dir, writer + ".jsonl")
        self._clock = clock
        self._mutex = mutex if mutex is not None else threading.RLock()
        self.fd: Optional[int] = None        # our journal, opened on first write
        self._good_size = 0                  # its length up to the last whole line
        self._torn = False
        self.marker: Optional[str] = None    # our marker file (claims/<k>.json are hard links to it)
        self.marker_id: Optional[Tuple[int, int]] = None

    def append(self, records: Sequence[Dict[str, Any]], publish: bool = False) -> int:
        """Append whole lines (called with the mutex held); returns the journal's descriptor.

        ``publish``: write them through a descriptor of their own and close it,
        so that on NFS they reach the server (close-to-open) before we go on.

        Raises:
            StoreError: the journal could not be created or written (a half
                written line is cut off first).
        """
        if self.fd is None:
            self.fd = self._open()
        fd = self.fd
        data = b"".join(record_line(r) for r in records)
        if self._torn:
            self._repair(fd)
        try:
            if publish:
                wfd = os.open(self.path, os.O_WRONLY | os.O_APPEND | O_NOFOLLOW)
                try:
                    write_all(wfd, data)
                finally:
                    os.close(wfd)
            else:
                write_all(fd, data)
        except OSError as exc:
            self._torn = True
            self._repair(fd)
            raise store_error("cannot append to", self.path, exc) from exc
        self._good_size += len(data)
        return fd

    def sync(self, fd: int) -> None:
        """``fsync`` the journal (``fd`` as :meth:`append` returned it): what was appended survives a power cut.

        Raises:
            StoreError: the sync failed.
        """
        try:
            sharedfs.fsync(fd)
        except OSError as exc:
            raise store_error("cannot sync", self.path, exc) from exc

    def _open(self) -> int:
        header = record_line({"format": FORMAT, "kind": "minisweep.journal", "writer": self.writer,
                              "sweep": self.sweep_id, "host": socket.gethostname(), "pid": os.getpid(),
                              "created_at": self._clock()})
        writable_dir(self.dir)
        try:
            fd = create_file(self.path, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            raise store_error("cannot create the journal", self.path, exc) from exc
        try:
            write_all(fd, header)
            sharedfs.fsync(fd)
            self._new_marker()
            sharedfs.fsync_dir(self.dir)  # the files' names must survive a power cut too
        except OSError as exc:
            os.close(fd)
            unlink_quietly(self.path)
            raise store_error("cannot create the journal", self.path, exc) from exc
        self._good_size = len(header)
        return fd

    def _new_marker(self) -> None:
        """Create our claim marker ``<writer>.mark`` (synced): what ``claims/<k>.json`` link to."""
        path = os.path.join(self.dir, self.writer + ".mark")
        if self.marker is not None:  # the old one reached its file system's link limit: a new inode
            unlink_quietly(path)
        self.marker = self.marker_id = None
        fd = create_file(path)
        try:
            write_all(fd, record_line({"format": FORMAT, "kind": "minisweep.mark", "writer": self.writer}))
            sharedfs.fsync(fd)
            st = os.fstat(fd)
        except OSError:
            os.close(fd)
            unlink_quietly(path)
            raise
        os.close(fd)
        self.marker, self.marker_id = path, (st.st_dev, st.st_ino)

    def _repair(self, fd: int) -> None:
        """Cut a half-written line off our journal, or at least end it, so the next line is whole."""
        try:
            os.ftruncate(fd, self._good_size)
            self._torn = False
            return
        except OSError:
            pass
        try:  # cannot cut it: end it, so readers skip just that one damaged line
            n = os.write(fd, b"\n")
            if n == 1:
                self._good_size = os.fstat(fd).st_size
                self._torn = False
        except OSError:
            pass

    def link_marker(self, claims_dir: str, index: int) -> bool:
        """Take run number ``index``: hard-link our marker to ``claims/<index>.json``; False if it is taken.

        Call it after the claim line is appended (published).  ``link`` fails
        if the number is taken; the line then stays unconfirmed and readers
        drop it.  A marker at its file system's link limit is replaced.

        Raises:
            StoreError: the link failed for another reason.
        """
        path = os.path.join(claims_dir, "%d.json" % index)
        for _ in range(3):
            try:
                if self.marker is None:  # (making a new one failed last time)
                    with self._mutex:
                        self._new_marker()
                os.link(self.marker, path)  # type: ignore[arg-type]
                return True
            except FileExistsError:
                return self.is_ours(path)  # an NFS replay of our own link reports EEXIST
            except OSError as exc:
                if self.is_ours(path):
                    return True
                if exc.errno == errno.EMLINK:  # the marker has as many names as its file system allows
                    try:
                        with self._mutex:
                            self._new_marker()
                        continue
                    except OSError as exc2:
                        exc = exc2
                raise store_error("cannot claim run number %d in" % index, claims_dir, exc) from exc
        raise StoreError("cannot claim run number %d in %s: no marker can be linked" % (index, claims_dir),
                         path=claims_dir, errno=errno.EMLINK)

    def is_ours(self, path: str) -> bool:
        """Whether ``path`` is a name of our marker."""
        try:
            st = os.stat(path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self.marker_id

    def close(self) -> None:
        """End the journal with a ``close`` record (readers stop polling it) if it exists, and let go of it.

        Never raises.  The marker's own name goes; its links under ``claims/`` keep it.
        """
        if self.fd is not None:
            try:
                self.append([{"op": "close", "at": self._clock()}])
            except StoreError:
                pass
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None
        if self.marker is not None:
            unlink_quietly(self.marker)
            self.marker = None


# ------------------------------------------------------------------------------------------ reading


class _Position:
    """A reader's position in one writer's journal."""

    __slots__ = ("path", "offset", "writer", "done")

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0
        self.writer: Optional[str] = None
        self.done = False  # closed by its writer, or not a journal: never read again


class JournalReader:
    """Reads what is new in a sweep's claim files and journals, and feeds it to a :class:`~.replay.Replay`.

    Args:
        claims_dir, journal_dir: the sweep's ``claims/`` and ``journal/`` folders.
        own: the reading store object's writer id (its own journal is never read back).
        replay: where the records go.
        sleep: how to wait for a claim file that a ``link`` has just made but
            an NFS client may not show yet.

    Attributes:
        bytes_read: bytes read from claim and journal files so far.
        probe: the next ``claims/<k>.json`` to look for.
    """

    def __init__(self, claims_dir: str, journal_dir: str, own: str, replay: "Replay", *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.claims_dir = claims_dir
        self.journal_dir = journal_dir
        self.own = own
        self.replay = replay
        self._sleep = sleep
        self.bytes_read = 0
        self.probe = 0
        self._journals: Dict[str, _Position] = {}

    def read(self, wait_for: Optional[int] = None) -> None:
        """Read what is new: claim files, then every journal's tail.

        ``wait_for``: a run number whose claim file ``link`` reported as
        existing; it is waited for (up to 30 s) if it is not visible yet.
        """
        self.read_claims(wait_for)
        self.read_journals()

    def read_claims(self, wait_for: Optional[int]) -> None:
        """Read ``claims/<k>.json`` from :attr:`probe` on, until one is missing."""
        replay = self.replay
        k = self.probe
        waited = 0.0
        while True:
            if replay.is_used(k):
                k += 1
                continue
            path = os.path.join(self.claims_dir, "%d.json" % k)
            try:
                raw = read_file(path)
            except NotAFile:  # a stray directory, FIFO or symlink: the number stays used, as if damaged
                replay.taken.add(k)
                k += 1
                continue
            except FileNotFoundError:
                if wait_for is not None and k <= wait_for and waited < 30.0:
                    # link said it exists; an NFS client may still cache "no such file" briefly
                    self._sleep(0.01)
                    waited += 0.01
                    continue
                break
            except OSError as exc:
                raise store_error("cannot read", path, exc) from exc
            self.bytes_read += len(raw)
            try:
                doc = check_format(json.loads(raw.decode("utf-8")), ("minisweep.mark", "minisweep.claim"), path)
                if doc["kind"] == "minisweep.mark":
                    replay.mark(k, check_id("writer", doc["writer"]))
                else:  # format 1: the claim file held the claim itself
                    if doc["index"] != k:
                        raise Damaged("%s holds run number %r" % (path, doc["index"]))
                    replay.add_claim(doc)
            except _DAMAGED:
                replay.taken.add(k)  # damaged (only a power cut can do that): the number stays used
            k += 1
        self.probe = k

    def read_journals(self) -> None:
        """Read the new whole lines of every journal but our own."""
        try:
            names = os.listdir(self.journal_dir)
        except OSError as exc:
            raise store_error("cannot list", self.journal_dir, exc) from exc
        mine = self.own + ".jsonl"
        for name in names:
            if not name.endswith(".jsonl") or name == mine or name.startswith("."):
                continue
            j = self._journals.get(name)
            if j is None:
                j = self._journals[name] = _Position(os.path.join(self.journal_dir, name))
            if not j.done:
                self._read_journal(j)

    def _read_journal(self, j: _Position) -> None:
        try:
            fd = open_file(j.path)  # opening revalidates an NFS client's cache
        except FileNotFoundError:
            return
        except NotAFile:  # a directory, FIFO, socket or symlink named like a journal: never read
            j.done = True
            return
        except OSError as exc:
            raise store_error("cannot read", j.path, exc) from exc
        try:
            with os.fdopen(fd, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size <= j.offset:
                    return
                f.seek(j.offset)
                data = f.read(size - j.offset)
        except OSError as exc:
            raise store_error("cannot read", j.path, exc) from exc
        self.bytes_read += len(data)
        end = data.rfind(b"\n")
        if end < 0:
            return  # only a partial line so far (or a torn last line): look again later
        for raw in data[:end].split(b"\n"):
            if j.writer is None:  # the first line is the header: which writer, which format
                try:
                    header = check_format(json.loads(raw.decode("utf-8")), "minisweep.journal", j.path)
                    j.writer = check_id("writer", header["writer"])
                    continue
                except _DAMAGED:
                    j.done = True  # not a journal of ours: ignore the file
                    return
            try:
                record = json.loads(raw.decode("utf-8"))
            except _DAMAGED:
                continue  # a damaged line (garbage, or cut by a full disk): skip it
            if isinstance(record, dict) and record.get("op") == "close":
                j.done = True
            self.replay.apply(record, j.writer)  # (a damaged record is skipped)
        j.offset += end + 1
