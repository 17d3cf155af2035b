"""The sweep store: a sweep's runs kept in plain files that many agents share.

A sweep lives in one directory, ``<root>/<project>/<sweep_id>/``, which can sit
on a laptop's disk or on NFS shared by a cluster.  Every file in it is strict
JSON that a person can read with ``cat``, and every file carries a format
version (see ``docs/store.md`` for the full layout)::

    sweep.json            the sweep: id, project, entity, seed, config, created_at
    state.json            running | paused | stopped | cancelled | finished
    lock                  the claim lock, while someone holds it (see :mod:`.lock`)
    claims/<k>.json       run number k is taken: a hard link to its writer's marker
    journal/<writer>.jsonl  one append-only log per store object: claim, start, beat, log, finish, crash
    journal/<writer>.mark   that writer's marker (one line naming it); .lock: its lock record
    stop/<run_id>.json    a request that the run's agent stop it

The division of labour is what makes it safe without a database:

- **Choosing run k** happens under the lock, and is then made exclusive on its
  own.  The claimer appends the claim (run id, config, agent, lease) to its
  journal, then hard-links its *marker* file to ``claims/<k>.json``; ``link``
  fails if run k is already taken.  Nothing new is created per run (making a
  file is the slowest metadata operation on many file systems): the marker
  exists once per store object, and ``claims/<k>.json`` is only a new name
  for it.  A claim line counts only once confirmed, by the marker of run k
  naming its writer or by a later line of that writer about the run (which
  it writes only after winning); a line whose writer lost the race for k, or
  died before linking, is never a run.  A marker whose line is missing (its
  line was lost in a power cut) still takes its number, and the run appears
  if the line ever does.  A claimer proposes run k only after reading claims
  ``0 .. k-1`` and the lines they point to (appended before the link, so
  already there), so even if a lock were wrongly broken, two agents could
  never both create run k, and a grid point is never proposed twice from the
  same view.
- **Everything after the claim** is appended to the journal of the store
  object that claimed the run.  Each journal has exactly one writer, so
  appends never interleave (``O_APPEND`` is not atomic across NFS clients), and
  no lock is needed to log.  Readers keep a byte offset per journal and read
  only what is new: the cost of a claim does not grow with the sweep.

The store's contract:

- *Atomic.*  ``sweep.json``, ``state.json`` and stop requests are written to a
  temporary file and renamed over the old one; a claim marker's name appears
  only after the claim line it confirms is written.  A journal line is
  either complete or ignored: readers skip a torn final line (and any line
  that is not valid JSON) and never crash on one.
- *Durable.*  :meth:`SweepStore.finish` syncs the journal (``fsync``) before
  it returns, and the journal also holds the run's claim, so a finished run
  survives a power cut: about one ``fsync`` per run.  History rows and
  ``start`` are appended and flushed but not synced: a power cut (not a
  ``kill -9``, which loses nothing that was written) can lose the rows and
  claims of runs that had not finished, and then their run numbers may be
  given out again, or stay unused.
- *Crash-safe.*  ``kill -9`` at any instant leaves a store that loads, with
  every finished run intact.  It can leave behind: a ``lock`` (broken once its
  owner's lease lapses), a run that is ``pending`` or ``running`` (shown as
  ``crashed`` once its lease lapses, and rewritten as ``crashed`` by the next
  agent that claims), a torn last journal line, a claim line that was never
  confirmed (ignored), a writer's ``.mark`` and ``.lock`` files in
  ``journal/``, and stray ``*.tmp`` files, which nothing reads.
- *Full disk.*  Any ``OSError`` while writing (``ENOSPC``) is raised as
  :class:`~.errors.StoreError` with the path and ``errno``; the store stays
  loadable, and a journal whose append failed half way is cut back to its
  last whole line.
- *Shared folders.*  What the store creates takes its permission bits from
  its folder, whatever the umask (a group folder stays usable by the whole
  group); it reads only regular files, without blocking (a stray FIFO or
  directory in ``journal/`` is skipped); it never writes through a symbolic
  link, and refuses a ``journal/``, ``claims/`` or ``stop/`` that is one
  (:mod:`.sharedfs`).
- *Threads, processes, hosts.*  One :class:`SweepStore` may be shared by an
  agent's threads.  Any number of store objects, in any processes on any
  hosts sharing the directory, may work on one sweep.  A :class:`~.runs.Run`
  the store has handed out never changes afterwards (treat it as read-only).
- *Leases.*  A claimed run holds a lease of ``lease_seconds``, renewed by
  :meth:`SweepStore.heartbeat`.  A reader shows a ``pending`` or ``running``
  run as ``crashed`` when its last sign of life, by the writer's clock, is
  older than the lease plus ``clock_skew`` by the reader's clock, or when the
  reader itself has watched it stay silent for a whole lease (on its own
  monotonic clock).  Only the second rule, which no clock skew can fool,
  makes a claiming agent *write* the verdict ``crashed``.  If the run's owner
  turns out to be alive and finishes the run, its own ``finish`` wins.

Ids: sweep ids and run ids are 8 random characters from ``[0-9a-z]``; every
id used in a path (project, sweep id, run id) must match
``[A-Za-z0-9][A-Za-z0-9_.-]{0,63}`` without ``..``, so nothing is ever written
outside the sweep's directory (:mod:`.ids`).

Values that JSON cannot hold are tagged, never written as invalid JSON:
``float('nan')`` becomes ``{"__float__": "nan"}``; tuples, sets, bytes and
dates have tags of their own; numpy-like scalars are unwrapped with
``.item()``; anything else is stored as ``{"__repr__": "..."}`` and reads back
as that string (:mod:`.jsonvalues`).

Where the parts live: this module is the public API and the order of
operations (what is written, synced and linked when); :mod:`.journal` writes
one journal and reads them all, incrementally; :mod:`.replay` turns the
records into runs in memory, with no file I/O; :mod:`.lock` is the claim
lock; :mod:`.sharedfs` holds the file operations and the shared-folder rules.

Why one module of some 700 lines, above the package's 600: this docstring is
the store's written contract, a fifth of the file, and the methods that carry
it out, each short, are the public API: splitting them would part a promise
from the code that keeps it.

>>> import tempfile
>>> from minisweep.search import next_config
>>> tmp = tempfile.TemporaryDirectory()
>>> cfg = {"method": "grid", "parameters": {"lr": {"values": [0.1, 0.01]}}}
>>> store = SweepStore.create(tmp.name, "demo", cfg, sweep_id="s1")
>>> propose = lambda runs, index: next_config(cfg, runs, index=index)
>>> run = store.claim("agent-1", propose, lease_seconds=30)
>>> run.index, run.state, run.config
(0, 'pending', {'lr': 0.1})
>>> store.start(run.id)
>>> store.log(run.id, {"loss": float("nan")})
>>> store.log(run.id, {"loss": 0.25})
>>> store.finish(run.id, "finished")
>>> [r.summary for r in SweepStore.open(tmp.name, "demo", "s1").runs()]
[{'loss': 0.25}]
>>> import json
>>> with open(store.path + "/claims/0.json") as f:  # run 0's marker: which writer's journal holds it
...     json.load(f) == {"format": 2, "kind": "minisweep.mark", "writer": store.writer}
True
>>> store.close(); tmp.cleanup()
"""

import errno
import json
import os
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional, Tuple

from .errors import RunNotFound, StateError, StoreError, SweepNotFound
from .ids import check_id, check_project, is_id, is_project, new_id
from .journal import FORMAT, JournalReader, JournalWriter, check_format, doc_bytes, writable_dir
from .jsonvalues import decode_row, decode_value, encode_value
from .lock import LeaseLock
from .replay import DEFAULT_CLOCK_SKEW, Replay, RunRecord, check_lease
from .runs import TERMINAL_STATES, Run, number_or
from .sharedfs import (NotAFile, fsync_dir, make_dir, read_file, remove_tree_quietly, store_error,
                       write_atomic)

__all__ = [
    "SweepStore",
    "SWEEP_STATES",
    "FORMAT",
    "DEFAULT_CLOCK_SKEW",
    "check_id",
    "check_project",
    "new_id",
    "encode_value",
    "decode_value",
]

#: The states of a sweep as a whole.
SWEEP_STATES = ("running", "paused", "stopped", "cancelled", "finished")


def _stamp(path: str) -> Optional[Tuple[int, int, int]]:
    """What tells a replaced file from the old one: ``(inode, mtime in ns, size)``; ``None`` if unreadable."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _project_names(root: str, project: Optional[str]) -> List[str]:
    """The project folders under ``root`` to look in (sorted): ``project`` alone, or every valid one.

    Raises:
        InvalidIdError: a bad ``project``.
    """
    if project is not None:
        names = [check_project(project)]
    else:
        try:
            names = sorted(os.listdir(root))
        except OSError:
            return []
    return [name for name in names if is_project(name)]


class SweepStore:
    """One sweep's directory: its config, state and runs, shared safely by many agents.

    Build one with :meth:`create` or :meth:`open`, not directly.

    Attributes:
        id, project, entity, seed, config, created_at: from ``sweep.json``
            (``config`` is the sweep config as it was given, or as
            :meth:`update_config` last replaced it: each :meth:`claim`
            re-reads it under the lock when the file changed, so a running
            agent sees an update at its next claim).
        path: the sweep's directory.
        writer: this object's journal name (``journal/<writer>.jsonl``).
        bytes_read: bytes this object has read from claim and journal files
            (a measure of the incremental cost of :meth:`runs` and :meth:`claim`).
    """

    def __init__(self, path: str, doc: Dict[str, Any], *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 clock_skew: float = DEFAULT_CLOCK_SKEW) -> None:
        self.path = path
        self.id: str = doc["id"]
        self.project: str = doc["project"]
        self.entity: Optional[str] = doc.get("entity")
        self.seed: Any = doc.get("seed")
        self.config: Dict[str, Any] = decode_value(doc.get("config"))
        self.created_at: float = number_or(doc.get("created_at"))
        self._doc_stamp: Optional[Tuple[int, int, int]] = None  # sweep.json's stat when config was last read
        self.writer = new_id()
        self._clock = clock
        self._claims_dir = os.path.join(path, "claims")
        self._journal_dir = os.path.join(path, "journal")
        self._stop_dir = os.path.join(path, "stop")
        self._mutex = threading.RLock()        # the replay's tables and our journal
        self._claim_mutex = threading.Lock()   # this object's threads take turns to claim
        self._lock = LeaseLock(os.path.join(path, "lock"), {"writer": self.writer},
                               monotonic=monotonic, sleep=sleep, clock=clock,
                               record=os.path.join(self._journal_dir, self.writer + ".lock"))
        self._replay = Replay(self.writer, clock=clock, monotonic=monotonic, clock_skew=clock_skew)
        self._journal = JournalWriter(self._journal_dir, self.writer, self.id, clock=clock, mutex=self._mutex)
        self._reader = JournalReader(self._claims_dir, self._journal_dir, self.writer, self._replay, sleep=sleep)
        self._closed = False

    @property
    def bytes_read(self) -> int:
        """Bytes this object has read from claim and journal files (see the class docstring)."""
        return self._reader.bytes_read

    # ---------------------------------------------------------------------------- create / open

    @classmethod
    def create(cls, root: Any, project: str, config: Dict[str, Any], *, sweep_id: Optional[str] = None,
               seed: Any = None, entity: Optional[str] = None, clock: Callable[[], float] = time.time,
               **options: Any) -> "SweepStore":
        """Create a new sweep directory and return its store.

        Args:
            root: the store's root directory (created if missing).
            project: the project's name (a safe id).
            config: the sweep config, stored as given.
            sweep_id: the new sweep's id; a random 8-character id if omitted.
            seed: the sweep's seed; a random integer if omitted, so every
                agent draws the same configs for the same run number.
            entity: recorded, not used.
            clock: wall clock (seconds); tests pass a fake one.
            options: ``monotonic``, ``sleep`` and ``clock_skew``, as for :meth:`open`.

        Raises:
            InvalidIdError: a bad project or sweep id.
            StoreError: the sweep id exists already, or the directory cannot be written.
        """
        check_project(project)
        sweep_id = check_id("sweep id", sweep_id) if sweep_id is not None else new_id()
        if not isinstance(config, dict):
            raise TypeError("config must be a dict, got %s" % type(config).__name__)
        if entity is not None and not isinstance(entity, str):
            raise TypeError("entity must be a string or None")
        if seed is None:
            seed = int.from_bytes(os.urandom(4), "big")
        root = os.path.abspath(os.fspath(root))
        project_dir = os.path.join(root, project)
        final = os.path.join(project_dir, sweep_id)
        now = clock()
        doc = {"format": FORMAT, "kind": "minisweep.sweep", "id": sweep_id, "project": project,
               "entity": entity, "seed": encode_value(seed), "config": encode_value(config),
               "created_at": now}
        try:
            os.makedirs(root, exist_ok=True)
            if not os.path.isdir(project_dir):
                try:
                    make_dir(project_dir)  # shared as the root is (see sharedfs)
                except FileExistsError:
                    pass
        except OSError as exc:
            raise store_error("cannot create", project_dir, exc) from exc
        if os.path.lexists(final):
            raise StoreError("sweep %r exists already in %s" % (sweep_id, project_dir), path=final,
                             errno=errno.EEXIST)
        # build the whole sweep under a hidden name, then rename it into place: all or nothing
        tmp = os.path.join(project_dir, ".%s.%s.tmp" % (sweep_id, new_id()))
        try:
            make_dir(tmp)
            for sub in ("claims", "journal", "stop"):
                make_dir(os.path.join(tmp, sub))
            write_atomic(os.path.join(tmp, "sweep.json"), doc_bytes(doc))
            write_atomic(os.path.join(tmp, "state.json"), doc_bytes(
                {"format": FORMAT, "kind": "minisweep.state", "state": "running", "at": now}))
            os.rename(tmp, final)
            fsync_dir(project_dir)
        except OSError as exc:
            remove_tree_quietly(tmp)
            if isinstance(exc, StoreError):
                raise
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                raise StoreError("sweep %r exists already in %s" % (sweep_id, project_dir), path=final,
                                 errno=errno.EEXIST) from exc
            raise store_error("cannot create the sweep", final, exc) from exc
        return cls(final, doc, clock=clock, **options)

    @classmethod
    def open(cls, root: Any, project: str, sweep_id: str, *, clock: Callable[[], float] = time.time,
             monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
             clock_skew: float = DEFAULT_CLOCK_SKEW) -> "SweepStore":
        """Open an existing sweep.

        Args:
            root, project, sweep_id: where the sweep is.
            clock: wall clock for timestamps and for judging leases by them.
            monotonic: this reader's clock for watching leases and the lock.
            sleep: how to wait for the lock.
            clock_skew: seconds of clock difference between hosts that a
                reader tolerates before it shows a silent run as crashed.

        Raises:
            InvalidIdError: a bad project or sweep id.
            SweepNotFound: no such sweep.
            StoreError: ``sweep.json`` is unreadable or from a newer minisweep.
        """
        check_project(project)
        check_id("sweep id", sweep_id)
        path = os.path.join(os.path.abspath(os.fspath(root)), project, sweep_id)
        doc_path = os.path.join(path, "sweep.json")
        try:
            raw = read_file(doc_path)
        except FileNotFoundError:
            raise SweepNotFound(sweep_id, os.path.join(os.path.abspath(os.fspath(root)), project)) from None
        except OSError as exc:
            raise store_error("cannot read", doc_path, exc) from exc
        try:
            doc = json.loads(raw.decode("utf-8"))
            check_format(doc, "minisweep.sweep", doc_path)
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError("%s is damaged: %s" % (doc_path, exc), path=doc_path) from exc
        if doc.get("id") != sweep_id or doc.get("project") != project:
            raise StoreError("%s describes sweep %r of project %r, not %r of %r" % (
                doc_path, doc.get("id"), doc.get("project"), sweep_id, project), path=doc_path)
        return cls(path, doc, clock=clock, monotonic=monotonic, sleep=sleep, clock_skew=clock_skew)

    @staticmethod
    def find(root: Any, sweep_id: str, project: Optional[str] = None) -> List[Tuple[str, str]]:
        """Every ``(project, sweep_id)`` under ``root`` holding this sweep id (sorted).

        Raises:
            InvalidIdError: a bad sweep id or project.
        """
        check_id("sweep id", sweep_id)
        root = os.fspath(root)
        found = []
        for name in _project_names(root, project):
            if os.path.isfile(os.path.join(root, name, sweep_id, "sweep.json")):
                found.append((name, sweep_id))
        return found

    @staticmethod
    def listing(root: Any, project: Optional[str] = None) -> List[Tuple[str, str]]:
        """Every ``(project, sweep_id)`` under ``root`` that may be a sweep (sorted), for ``ls``.

        Only folders whose names are a valid project and sweep id and that hold a
        ``sweep.json``: the hidden ``.<id>.<nonce>.tmp`` folder of a create still
        running (or killed before its rename) is not one, nor is anything else
        that is not a valid id.  A folder may still fail to :meth:`open` (a
        backup copy ``cp -r <id> <id>.bak`` names another sweep; a sweep
        removed meanwhile): the caller skips those.

        Raises:
            InvalidIdError: a bad ``project``.
        """
        root = os.fspath(root)
        found = []
        for name in _project_names(root, project):
            try:
                ids = sorted(os.listdir(os.path.join(root, name)))
            except OSError:  # not a folder, or removed meanwhile
                continue
            for sweep_id in ids:
                if is_id(sweep_id) and os.path.isfile(os.path.join(root, name, sweep_id, "sweep.json")):
                    found.append((name, sweep_id))
        return found

    # ------------------------------------------------------------------------------ sweep state

    def state(self) -> str:
        """The sweep's state, read afresh: one of :data:`SWEEP_STATES`."""
        path = os.path.join(self.path, "state.json")
        try:
            doc = check_format(json.loads(read_file(path).decode("utf-8")), "minisweep.state", path)
        except FileNotFoundError:
            return "running"
        except OSError as exc:
            raise store_error("cannot read", path, exc) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError("%s is damaged: %s" % (path, exc), path=path) from exc
        state = doc.get("state")
        return state if state in SWEEP_STATES else "running"

    def set_state(self, state: str) -> None:
        """Set the sweep's state (atomically, durably).

        Raises:
            StateError: ``state`` is not one of :data:`SWEEP_STATES`.
            StoreError: the file cannot be written.
        """
        if state not in SWEEP_STATES:
            raise StateError("sweep state %r is not one of %s" % (state, ", ".join(SWEEP_STATES)), state=state)
        write_atomic(os.path.join(self.path, "state.json"), doc_bytes(
            {"format": FORMAT, "kind": "minisweep.state", "state": state, "at": self._clock()}))

    def update_config(self, change: Callable[[Dict[str, Any], List[Run]], Dict[str, Any]], *,
                      lease_seconds: float = 30.0) -> None:
        """Replace the sweep's config (``sweep.json``, atomically) with ``change(config, runs)``.

        ``change`` is given the config as stored and every run, and returns
        the new config or raises to refuse (see :mod:`.update` for what is
        allowed).  It is called under the claim lock, with the file read
        under it too, so no run is claimed and no other update lands between
        the check and the write: two updates at once are applied one after
        the other, each checked against the config the other left.  Every
        store object, in any agent, picks the new config up at its next
        :meth:`claim`, under the same lock, so a claim never mixes two configs.

        Raises:
            whatever ``change`` raises; StoreError: the file cannot be read or written.
        """
        self._check_open()
        doc_path = os.path.join(self.path, "sweep.json")
        with self._claim_mutex:
            self._lock.acquire(check_lease(lease_seconds))
            try:
                with self._mutex:
                    self._refresh()
                    runs = self._replay.snapshot(shown=False)
                try:
                    doc = json.loads(read_file(doc_path).decode("utf-8"))
                except (OSError, ValueError, UnicodeDecodeError) as exc:
                    raise StoreError("cannot read %s: %s" % (doc_path, exc), path=doc_path) from exc
                config = change(decode_value(doc["config"]), runs)
                if not isinstance(config, dict):
                    raise TypeError("config must be a dict, got %s" % type(config).__name__)
                doc["config"] = encode_value(config)
                doc["updated_at"] = self._clock()
                write_atomic(doc_path, doc_bytes(doc))
                self.config = decode_value(doc["config"])
                self._doc_stamp = _stamp(doc_path)
            finally:
                self._lock.release()

    # ------------------------------------------------------------------------------------- runs

    def runs(self) -> List[Run]:
        """Every run of the sweep, by run number, read incrementally.

        A ``pending`` or ``running`` run whose lease has lapsed is shown as
        ``crashed`` (with ``info["lapsed"] = True``) even before an agent
        rewrites it.  The store never modifies a :class:`Run` it has handed
        out (a changed run is a new object), so callers may keep them; they
        are shared between calls, so treat them as read-only.
        """
        with self._mutex:
            self._refresh()
            return self._replay.snapshot()

    def claim(self, agent_id: str, propose: Callable[[List[Run], int], Optional[Dict[str, Any]]], *,
              lease_seconds: float) -> Optional[Run]:
        """Choose and record the sweep's next run, under the lock.

        Under the lock this refreshes the runs, marks runs whose lease has
        lapsed as ``crashed``, and calls ``propose(runs, index)``.  If it
        returns a config, run number ``index`` is recorded as ``pending``,
        owned by this store object, its lease starting now.

        Args:
            agent_id: the agent's name, recorded with the run.
            propose: ``(runs, index) -> config dict or None``; called with the
                lock held, possibly more than once if another agent took
                ``index`` first.
            lease_seconds: the run's lease (and this claim's lock lease).

        Returns:
            The new run, or ``None`` when ``propose`` returns ``None``.

        Raises:
            StoreError: the claim could not be written.  If it was written but
                not journaled, the run stays ``pending`` until its lease lapses.
        """
        if not isinstance(agent_id, str) or not agent_id:
            raise TypeError("agent_id must be a non-empty string")
        lease = check_lease(lease_seconds)
        self._check_open()
        writable_dir(self._journal_dir)  # (the lock record and our journal go there)
        writable_dir(self._claims_dir)
        with self._claim_mutex:
            self._lock.owner["agent"] = agent_id
            self._lock.acquire(lease)
            try:
                self._reload_config()
                with self._mutex:
                    self._refresh()
                    self._judge(agent_id)
                while True:
                    with self._mutex:
                        runs = self._replay.snapshot(shown=False)
                        index = self._replay.next_free(self._reader.probe)
                    config = propose(runs, index)
                    if config is None:
                        return None
                    if not isinstance(config, dict):
                        raise TypeError("propose returned %s, not a dict or None" % type(config).__name__)
                    with self._mutex:
                        run_id = new_id()
                        while run_id in self._replay.runs:
                            run_id = new_id()
                    now = self._clock()
                    record = {"format": FORMAT, "kind": "minisweep.claim", "index": index, "run": run_id,
                              "config": encode_value(config), "agent": agent_id, "writer": self.writer,
                              "lease_seconds": lease, "claimed_at": now}
                    if self._write_claim(index, record):
                        break
                    with self._mutex:  # another agent took run number `index`: learn it, propose again
                        self._refresh(wait_for=index)
                with self._mutex:
                    rec = self._replay.add_claim(record)
                    return rec.to_run(rec.state)
            finally:
                self._lock.release()

    def start(self, run_id: str) -> None:
        """Mark a run this store claimed as ``running`` (renews its lease)."""
        with self._mutex:
            rec = self._own(run_id)
            if rec.started_at is not None or rec.finished_at is not None:
                raise StateError("run %r is %s, not pending" % (run_id, rec.state), state=rec.state, run_id=run_id)
            now = self._clock()
            self._append([{"op": "start", "run": run_id, "at": now}])
            rec.start(now)  # (still crashed if another agent has written it off meanwhile)

    def heartbeat(self, run_id: str) -> None:
        """Renew a run's lease: one journal line, synced so other hosts see it."""
        with self._mutex:
            rec = self._own(run_id)
            if rec.finished_at is not None:
                return
            now = self._clock()
            fd = self._append([{"op": "beat", "run": run_id, "at": now}])
            rec.touch(now)
        self._journal.sync(fd)

    def log(self, run_id: str, row: Dict[str, Any]) -> None:
        """Append a history row to a run (flushed, not synced); the summary is the last value per key."""
        if not isinstance(row, Mapping):
            raise TypeError("a history row must be a dict, got %s" % type(row).__name__)
        encoded = encode_value(dict(row))
        if "__dict__" in encoded and len(encoded) == 1:
            encoded = encoded["__dict__"]
        with self._mutex:
            rec = self._own(run_id)
            if rec.finished_at is not None:
                raise StateError("run %r is %s: it takes no more rows" % (run_id, rec.state),
                                 state=rec.state, run_id=run_id)
            now = self._clock()
            self._append([{"op": "log", "run": run_id, "row": encoded, "at": now}])
            rec.add_row(decode_row(encoded), now)

    def finish(self, run_id: str, state: str, *, summary: Optional[Dict[str, Any]] = None,
               error: Optional[str] = None, wall_time: Optional[float] = None,
               meta: Optional[Dict[str, Any]] = None) -> None:
        """Give a run its terminal state; synced to disk before returning.

        Args:
            state: one of ``finished``, ``failed``, ``crashed``, ``killed``, ``stopped``.
            summary: values to add to (or override in) the summary.
            error: what went wrong, for ``failed`` runs.
            wall_time: seconds the run took.
            meta: what the run said about itself (``name``, ``group``, ``tags``,
                ``notes``, ``job_type``, ``config_changes``, ``metrics``,
                ``exit_code``); shown in ``Run.info``.

        Raises:
            StateError: ``state`` is not terminal, or the run is finished already.
            StoreError: the journal could not be written or synced; the
                run is then not finished, and ``finish`` may be called again.
        """
        if state not in TERMINAL_STATES:
            raise StateError("%r is not a terminal run state (%s)" % (state, ", ".join(TERMINAL_STATES)),
                             state=state, run_id=run_id)
        enc_summary = None
        if summary is not None:
            if not isinstance(summary, Mapping):
                raise TypeError("summary must be a dict")
            enc_summary = encode_value(dict(summary))
            if "__dict__" in enc_summary and len(enc_summary) == 1:
                enc_summary = enc_summary["__dict__"]
        with self._mutex:
            rec = self._own(run_id)
            if rec.finished_at is not None:  # (a verdict of another agent does not count: the owner's word wins)
                raise StateError("run %r is %s already" % (run_id, rec.state), state=rec.state, run_id=run_id)
            now = self._clock()
            record = {"op": "finish", "run": run_id, "state": state, "at": now}
            if enc_summary is not None:
                record["summary"] = enc_summary
            if error is not None:
                record["error"] = str(error)
            if wall_time is not None:
                record["wall_time"] = number_or(wall_time)
            if meta:
                record["meta"] = encode_value(dict(meta))
            fd = self._append([record])
        self._journal.sync(fd)
        with self._mutex:
            self._replay.finish(rec, record)

    def request_stop(self, run_id: str, reason: str) -> None:
        """Ask the agent running ``run_id`` to stop it (hyperband, or a cancel)."""
        check_id("run id", run_id)
        doc = {"format": FORMAT, "kind": "minisweep.stop", "run": run_id, "reason": str(reason),
               "at": self._clock(), "host": socket.gethostname(), "pid": os.getpid()}
        writable_dir(self._stop_dir)
        write_atomic(os.path.join(self._stop_dir, run_id + ".json"), doc_bytes(doc), durable=False)

    def stop_requested(self, run_id: str) -> Optional[str]:
        """The reason someone asked for ``run_id`` to stop, or ``None``."""
        check_id("run id", run_id)
        path = os.path.join(self._stop_dir, run_id + ".json")
        try:
            raw = read_file(path)
        except (FileNotFoundError, NotAFile):  # (a stray FIFO or directory there is no request)
            return None
        except OSError as exc:
            raise store_error("cannot read", path, exc) from exc
        try:
            reason = json.loads(raw.decode("utf-8")).get("reason")
        except (ValueError, AttributeError, UnicodeDecodeError):
            reason = None
        return reason if isinstance(reason, str) and reason else "stop requested"

    def close(self) -> None:
        """Mark this object's journal closed (readers stop polling it) and let go of the lock."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            self._journal.close()
        self._lock.close()

    def __enter__(self) -> "SweepStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "SweepStore(%r)" % self.path

    # ---------------------------------------------------------------------------- writing (ours)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store of sweep %r is closed" % self.id, path=self.path)

    def _own(self, run_id: str) -> RunRecord:
        check_id("run id", run_id)
        self._check_open()
        rec = self._replay.runs.get(run_id)
        if rec is None or rec.owner != self.writer:
            raise RunNotFound(run_id, "run %r was not claimed through this store object" % (run_id,))
        return rec

    def _append(self, records: List[Dict[str, Any]], closing: bool = False, publish: bool = False) -> int:
        """Append whole lines to our journal (called with the mutex held); returns the descriptor."""
        if not closing:
            self._check_open()
        return self._journal.append(records, publish=publish)

    def _reload_config(self) -> None:
        """Under the claim lock: take up ``sweep.json``'s config if the file changed (one ``stat`` if not).

        The file is only ever replaced whole (:meth:`update_config` renames a
        new one over it), so a changed ``(inode, mtime, size)`` is the sign;
        ``config`` becomes a new object only when its content differs, so a
        caller can tell an update by identity.
        """
        doc_path = os.path.join(self.path, "sweep.json")
        stamp = _stamp(doc_path)
        if stamp is None or stamp == self._doc_stamp:
            return
        try:
            doc = check_format(json.loads(read_file(doc_path).decode("utf-8")), "minisweep.sweep", doc_path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise StoreError("cannot read %s: %s" % (doc_path, exc), path=doc_path) from exc
        config = decode_value(doc.get("config"))
        if config != self.config:
            self.config = config
        self._doc_stamp = stamp

    def _write_claim(self, index: int, record: Dict[str, Any]) -> bool:
        """Claim run number ``index`` for ``record`` (a claim document); False if somebody has.

        The claim line goes into our journal first (published: on the
        server before anyone can see the marker), then ``claims/<index>.json``
        is made a hard link to our marker.  ``link`` fails if the number is
        taken; the line then stays unconfirmed and readers drop it.
        """
        line = {"op": "claim", "run": record["run"], "index": index, "config": record["config"],
                "agent": record["agent"], "lease_seconds": record["lease_seconds"], "at": record["claimed_at"]}
        with self._mutex:
            self._append([line], publish=True)
        return self._journal.link_marker(self._claims_dir, index)

    def _judge(self, agent_id: str) -> None:
        """Write ``crashed`` for other agents' runs this reader has watched stay silent for a lease."""
        verdicts = self._replay.lapsed(agent_id)
        if verdicts:
            self._append(verdicts)
            for v in verdicts:
                self._replay.verdict(v)

    def _refresh(self, wait_for: Optional[int] = None) -> None:
        """Read what is new (called with the mutex held): claim files, then every journal's tail."""
        self._reader.read(wait_for)
        self._replay.observe()
